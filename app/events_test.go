package app

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestEventNamesMirrored checks that frontend/src/lib/api/events.ts lists
// exactly the event names declared here, so a rename cannot silently break
// a subscription in the webview.
func TestEventNamesMirrored(t *testing.T) {
	goNames := []string{EventSyncStatus, EventAccountsChanged, EventNavigate, EventAccountCurrent, EventDemoProgress, EventSyncProgress}

	src, err := os.ReadFile(filepath.Join("..", "frontend", "src", "lib", "api", "events.ts"))
	if err != nil {
		t.Fatalf("read events.ts: %v", err)
	}
	block := regexp.MustCompile(`(?s)export const EVENTS = \{(.*?)\} as const`).FindSubmatch(src)
	if block == nil {
		t.Fatal("events.ts has no `export const EVENTS = {...} as const`")
	}
	var tsNames []string
	for _, m := range regexp.MustCompile(`:\s*'([^']+)'`).FindAllSubmatch(block[1], -1) {
		tsNames = append(tsNames, string(m[1]))
	}
	sort.Strings(goNames)
	sort.Strings(tsNames)
	if strings.Join(goNames, ",") != strings.Join(tsNames, ",") {
		t.Fatalf("event names differ:\n Go: %v\n TS: %v", goNames, tsNames)
	}
}
