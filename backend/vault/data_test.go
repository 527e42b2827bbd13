package vault

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestDeleteAllData(t *testing.T) {
	for _, removeKeys := range []bool{false, true} {
		keyring.MockInit()
		home := t.TempDir()
		v, err := New(Options{Home: home, Getenv: func(k string) string {
			return map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}[k]
		}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := v.PutDemo(ctx, Account{Name: "Demo"}); err != nil {
			t.Fatal(err)
		}
		cache := []string{"acct_1BillfoldDemo/test.db", "acct_1BillfoldDemo/test.db-wal", "acct_1Other/live.db",
			"acct_1Other/live.db.corrupt-20260101T000000Z", "acct_1Other/test.db.building"}
		keep := []string{"acct_1Other/notes.txt", "acct_1Other/test.dbx", "stray/test.db"}
		for _, f := range append(append([]string{}, cache...), keep...) {
			p := filepath.Join(home, "accounts", f)
			os.MkdirAll(filepath.Dir(p), 0o700)
			os.WriteFile(p, []byte("x"), 0o600)
		}
		removed, err := v.DeleteAllData(ctx, removeKeys)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range removed {
			r, _ := filepath.Rel(filepath.Join(home, "accounts"), p)
			got = append(got, r)
		}
		sort.Strings(got)
		sort.Strings(cache)
		for _, f := range cache {
			if _, err := os.Stat(filepath.Join(home, "accounts", f)); !os.IsNotExist(err) {
				t.Errorf("removeKeys=%v: %s is still there", removeKeys, f)
			}
		}
		if !removeKeys && len(got) != len(cache) {
			t.Errorf("removeKeys=%v: removed %v, want %v", removeKeys, got, cache)
		}
		for _, f := range keep {
			if _, err := os.Stat(filepath.Join(home, "accounts", f)); err != nil {
				t.Errorf("%s was deleted", f)
			}
		}
		list, _ := v.List(ctx)
		if removeKeys != (len(list) == 0) {
			t.Errorf("removeKeys=%v: registry %v", removeKeys, list)
		}
	}
	keyring.MockInit()
}
