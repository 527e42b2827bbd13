package vault

// Integration tests against a real Secret Service: gnome-keyring in a private
// D-Bus session, never the user's. They run only with BILLFOLD_KEYRING_TEST=1,
// which `make test-keyring` sets inside that session:
//
//	XDG_DATA_HOME=$(mktemp -d) BILLFOLD_KEYRING_TEST=1 dbus-run-session -- sh -c \
//	  'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && go test -count=1 -run Keyring ./backend/vault/'
//
// No test here may call keyring.MockInit: it would replace the real provider
// for the rest of the process (tests that mock are named without "Keyring").

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"billfold/backend"
)

const (
	ssName      = "org.freedesktop.secrets"
	ssPath      = "/org/freedesktop/secrets"
	loginPath   = "/org/freedesktop/secrets/collection/login"
	gnomeUnlock = "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword"
)

// realKeyring skips unless inside the private session; there, an unreachable
// Secret Service is a failure when CI=true.
func realKeyring(t *testing.T) *Keyring {
	t.Helper()
	if os.Getenv("BILLFOLD_KEYRING_TEST") != "1" {
		t.Skip("real keyring tests run only inside a private D-Bus session (make test-keyring)")
	}
	// Refuse what looks like the user's own session: these tests lock the
	// login collection and unlock it with a test password.
	addr, data := os.Getenv("DBUS_SESSION_BUS_ADDRESS"), os.Getenv("XDG_DATA_HOME")
	if addr == "" || strings.Contains(addr, "/run/user/") || data == "" || !strings.HasPrefix(filepath.Clean(data), filepath.Clean(os.TempDir())+string(filepath.Separator)) {
		msg := "BILLFOLD_KEYRING_TEST=1 but this is not a private session (need dbus-run-session and XDG_DATA_HOME under " + os.TempDir() + "): run `make test-keyring`"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	k := NewKeyring(SystemProvider(nil), 10*time.Second, 0)
	_, err := k.Get(context.Background(), "acct_probe:test")
	if err != nil && !errors.Is(err, ErrNotFound) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Secret Service unreachable in the private session: %v", err)
		}
		t.Skipf("Secret Service unreachable: %v", err)
	}
	return k
}

// busOnly passes the private bus address through and nothing else (no
// BILLFOLD_API_KEY, no BILLFOLD_HOME).
func busOnly(k string) string {
	if k == "DBUS_SESSION_BUS_ADDRESS" {
		return os.Getenv(k)
	}
	return ""
}

// rawItems searches the daemon directly, bypassing go-keyring, so a test
// cannot pass against a mock.
func rawItems(t *testing.T, entry string) []dbus.ObjectPath {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	var unlocked, locked []dbus.ObjectPath
	err = conn.Object(ssName, ssPath).Call("org.freedesktop.Secret.Service.SearchItems", 0,
		map[string]string{"service": Service, "username": entry}).Store(&unlocked, &locked)
	if err != nil {
		t.Fatalf("SearchItems: %v", err)
	}
	return append(unlocked, locked...)
}

func TestKeyringRealAddReadRotateRemove(t *testing.T) {
	realKeyring(t)
	ctx := context.Background()
	e := newEnv(t)
	acme(e)
	v, err := New(Options{Home: e.home, Verifier: e.ver, Getenv: busOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keyring.Delete(Service, "acct_1Acme:test") })

	a, err := v.Add(ctx, keyA, AddOptions{})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if n := len(rawItems(t, a.ID)); n != 1 {
		t.Fatalf("the daemon holds %d items for Billfold/%s, want 1", n, a.ID)
	}
	k, err := v.Key(ctx, a.ID)
	if err != nil || k.Reveal() != keyA {
		t.Fatalf("Key = %v, %v", k, err)
	}
	if err := v.Unlock(ctx, a.ID); err != nil {
		t.Fatalf("Unlock of an unlocked keyring: %v", err)
	}
	if _, err := v.Rotate(ctx, a.ID, keyA2); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if got, _ := keyring.Get(Service, a.ID); got != keyA2 {
		t.Fatalf("after rotate the daemon holds %q", got)
	}
	if n := len(rawItems(t, a.ID)); n != 1 {
		t.Fatalf("after rotate the daemon holds %d items, want 1 (replaced, not added)", n)
	}
	// Not found: the entry vanished behind Billfold's back.
	if err := keyring.Delete(Service, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = v.StoredKey(ctx, a.ID)
	if !errors.Is(err, ErrNotFound) || backend.ErrorCode(err) != backend.ENOTFOUND || !strings.Contains(err.Error(), "accounts rotate") {
		t.Fatalf("StoredKey after the entry vanished: %v", err)
	}
	if _, err := v.Rotate(ctx, a.ID, keyA); err != nil {
		t.Fatalf("Rotate into a missing entry: %v", err)
	}
	if err := v.Remove(ctx, a.ID, true); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if n := len(rawItems(t, a.ID)); n != 0 {
		t.Fatalf("after remove the daemon holds %d items", n)
	}
	if _, err := keyring.Get(Service, a.ID); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("after remove: %v", err)
	}
	k2 := NewKeyring(SystemProvider(nil), 0, 0)
	if err := k2.Delete(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete missing: %v", err)
	}
	// A big value round-trips (Linux has no size limit; macOS/Windows say ErrTooBig).
	big, _ := backend.ParseAPIKey("sk_test_" + strings.Repeat("x", 4000))
	if err := k2.Set(ctx, "acct_1Big:test", big); err != nil {
		t.Fatalf("Set big: %v", err)
	}
	k2.Delete(ctx, "acct_1Big:test")
}

// TestKeyringRealNoService runs the test binary again on a private bus that
// has no Secret Service (no service files), so the real D-Bus error is mapped.
func TestKeyringRealNoService(t *testing.T) {
	if os.Getenv("BILLFOLD_KEYRING_CHILD") == "noservice" {
		k := NewKeyring(SystemProvider(nil), 10*time.Second, 0)
		_, err := k.Get(context.Background(), "acct_1A:test")
		if !errors.Is(err, ErrNoService) || !strings.HasPrefix(err.Error(), "no Secret Service is running: install and start gnome-keyring") {
			t.Fatalf("Get without a Secret Service: %v", err)
		}
		key, _ := backend.ParseAPIKey(keyA)
		if err := k.Set(context.Background(), "acct_1A:test", key); !errors.Is(err, ErrNoService) {
			t.Fatalf("Set without a Secret Service: %v", err)
		}
		return
	}
	realKeyring(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:dir=`+dir+`</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>`), 0o600)
	daemon := exec.Command("dbus-daemon", "--config-file="+conf, "--print-address", "--nofork")
	out, err := daemon.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := daemon.Start(); err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	t.Cleanup(func() { daemon.Process.Kill(); daemon.Wait() })
	buf := make([]byte, 512)
	n, err := out.Read(buf)
	if err != nil {
		t.Fatalf("dbus-daemon address: %v", err)
	}
	addr := strings.TrimSpace(string(buf[:n]))
	child := exec.Command(os.Args[0], "-test.run=^TestKeyringRealNoService$", "-test.count=1")
	child.Env = append(os.Environ(), "BILLFOLD_KEYRING_CHILD=noservice", "DBUS_SESSION_BUS_ADDRESS="+addr)
	res, err := child.CombinedOutput()
	if err != nil || !strings.Contains(string(res), "PASS") {
		t.Fatalf("child on a bus without a Secret Service: %v\n%s", err, res)
	}
}

// TestKeyringRealLocked locks the login collection through the Secret
// Service API. Unlocking then needs a prompt, which cannot be shown without a
// display, so gnome-keyring dismisses it: Billfold must say "locked" and
// store nothing. The collection is unlocked again with gnome-keyring's
// master-password call.
func TestKeyringRealLocked(t *testing.T) {
	realKeyring(t)
	ctx := context.Background()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := conn.Object(ssName, ssPath).Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{loginPath}).Store(&locked, &prompt); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	t.Cleanup(func() {
		var out dbus.Variant
		var session dbus.ObjectPath
		if err := conn.Object(ssName, ssPath).Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
			t.Errorf("could not unlock the collection again: %v", err)
			return
		}
		secret := struct {
			Session     dbus.ObjectPath
			Parameters  []byte
			Value       []byte
			ContentType string
		}{session, []byte{}, []byte("pw"), "text/plain"}
		if err := conn.Object(ssName, ssPath).Call(gnomeUnlock, 0, dbus.ObjectPath(loginPath), secret).Err; err != nil {
			t.Errorf("could not unlock the collection again: %v", err)
		}
		if _, err := NewKeyring(SystemProvider(nil), 10*time.Second, 0).Get(ctx, "acct_probe:test"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after unlocking again: %v", err)
		}
	})

	e := newEnv(t)
	acme(e)
	v, err := New(Options{Home: e.home, Verifier: e.ver, Getenv: busOnly, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Add(ctx, keyA, AddOptions{})
	if !errors.Is(err, ErrLocked) || backend.ErrorCode(err) != backend.EKEYRING || !strings.Contains(err.Error(), "the system keyring is locked or its unlock prompt was dismissed") {
		t.Fatalf("Add to a locked keyring: %v", err)
	}
	if l, err := v.List(ctx); err != nil || len(l) != 0 {
		t.Fatalf("registry after a locked add: %v %v", l, err)
	}
	if _, err := NewKeyring(SystemProvider(nil), 20*time.Second, 0).Get(ctx, "acct_1Acme:test"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Get from a locked keyring: %v", err)
	}
}
