package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"net/http/httptest"

	"billfold/backend/sandbox"
)

// TestKeyringCanaryFullFlow is reliability.md's canary in one flow, with the
// real binary and the real Secret Service (run by `make test-keyring` inside
// a private D-Bus session): a unique key is added against the sandbox and
// stored in the keyring; syncs read it from there through injected faults and
// kill -9s; a revoked key and a bad key fail; verify, list and remove run.
// Afterwards no file under BILLFOLD_HOME and no output holds the full key.
func TestKeyringCanaryFullFlow(t *testing.T) {
	if os.Getenv("BILLFOLD_KEYRING_TEST") != "1" {
		t.Skip("needs the real Secret Service in a private D-Bus session: run `make test-keyring`")
	}
	if addr, data := os.Getenv("DBUS_SESSION_BUS_ADDRESS"), os.Getenv("XDG_DATA_HOME"); addr == "" || strings.Contains(addr, "/run/user/") ||
		!strings.HasPrefix(filepath.Clean(data), filepath.Clean(os.TempDir())+string(filepath.Separator)) {
		t.Fatal("BILLFOLD_KEYRING_TEST=1 outside a private D-Bus session: run `make test-keyring`")
	}
	dir := t.TempDir()
	bin := buildBillfold(t, filepath.Join(dir, "bin"))
	data, err := sandbox.Generate(sandbox.GenOptions{Seed: 5, Customers: 150})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.NewServer(data, sandbox.Options{Latency: 10 * time.Millisecond, FaultRate: 0.05, Seed: 5,
		Faults: []string{"429", "500", "reset", "truncate"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	const key = "sk_test_CANARYfullflow51Zq8Lm2Vx7Rt4"
	const revoked = "sk_test_revokedCANARY8Hk3Nw5Pq1Yz"
	home := filepath.Join(dir, "home")
	env := append(os.Environ(), "BILLFOLD_HOME="+home, "BILLFOLD_API_KEY=", "BILLFOLD_DB=", "BILLFOLD_API_BASE=")
	var output bytes.Buffer
	run := func(stdin string, wantOK bool, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		output.Write(out.Bytes())
		if (err == nil) != wantOK {
			t.Fatalf("billfold %s: err %v, want ok=%v\n%s", strings.Join(args, " "), err, wantOK, out.String())
		}
	}

	run(key+"\n", true, "accounts", "add", "--label", "Canary", "--api-base", ts.URL)
	run(revoked+"\n", false, "accounts", "add", "--api-base", ts.URL)  // 401
	run("pk_test_CANARYpublishable123456\n", false, "accounts", "add") // bad input
	run("", false, "accounts", "add", "--api-base", ts.URL, key)       // a key as an argument is refused
	for i := 0; i < 5; i++ {                                           // syncs killed mid-way
		cmd := exec.Command(bin, "sync", "--json")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = &output, &output
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(300+200*i) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	}
	run("", true, "sync", "--json")
	run("", true, "verify", "--json")
	run("", true, "accounts", "list", "--json")
	if !strings.Contains(output.String(), "sk_test_…") {
		t.Fatalf("the masked key never appeared: the flow did not run as intended\n%s", output.String())
	}

	// every file under BILLFOLD_HOME (the cache read from the keyring's key
	// among them) and all output: only masked forms
	for _, k := range []string{key, revoked} {
		assertNoKey(t, k, home, output.Bytes(), ".db")
	}
	run("", true, "accounts", "remove", "Canary", "--delete-data")
}
