package vault

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"billfold/backend"
)

func sprint(v any) string { return fmt.Sprintf("%v %+v %#v %s", v, v, v, v) }

// TestGoKeyringMock runs the go-keyring adapter against go-keyring's own
// mock provider: the round trip and each error it can return.
func TestMockProviderErrors(t *testing.T) {
	ctx := context.Background()
	keyring.MockInit()
	k := NewKeyring(goKeyring{}, 0, 0)
	key, _ := backend.ParseAPIKey(keyA)
	if _, err := k.Get(ctx, "acct_1A:test"); !errors.Is(err, ErrNotFound) || code(err) != backend.ENOTFOUND {
		t.Fatalf("Get missing: %v", err)
	}
	if err := k.Delete(ctx, "acct_1A:test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete missing: %v", err)
	}
	if err := k.Set(ctx, "acct_1A:test", key); err != nil {
		t.Fatal(err)
	}
	if raw, _ := keyring.Get(Service, "acct_1A:test"); raw != keyA {
		t.Fatalf("go-keyring holds %q under Billfold/acct_1A:test", raw)
	}
	got, err := k.Get(ctx, "acct_1A:test")
	if err != nil || got.Reveal() != keyA {
		t.Fatalf("Get = %v, %v", got, err)
	}
	if err := k.Delete(ctx, "acct_1A:test"); err != nil {
		t.Fatal(err)
	}
	// A value that is not a key (another app wrote it) is an error, not a key.
	keyring.Set(Service, "acct_1A:test", "hunter2")
	if _, err := k.Get(ctx, "acct_1A:test"); code(err) != backend.EKEYRING || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "accounts rotate") {
		t.Fatalf("Get invalid entry: %v", err)
	}

	errCases := []struct {
		name string
		err  error
		kind Kind
		code string
		msg  string
	}{
		{"not found", keyring.ErrNotFound, KindNotFound, backend.ENOTFOUND, "has no key for acct_1A:test"},
		{"too big", keyring.ErrSetDataTooBig, KindTooBig, backend.EKEYRING, "too big"},
		{"service unknown", dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown", Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"}}, KindNoService, backend.EKEYRING, "no Secret Service is running: install and start gnome-keyring"},
		{"service unknown pointer", &dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}, KindNoService, backend.EKEYRING, "BILLFOLD_API_KEY"},
		{"spawn failed", dbus.Error{Name: "org.freedesktop.DBus.Error.Spawn.ChildExited"}, KindNoService, backend.EKEYRING, "no Secret Service"},
		{"no session bus", errors.New("dbus: couldn't determine address of session bus"), KindNoService, backend.EKEYRING, "no Secret Service"},
		{"no dbus-launch", &exec.Error{Name: "dbus-launch", Err: exec.ErrNotFound}, KindNoService, backend.EKEYRING, "no Secret Service"},
		{"bus socket gone", errors.New("dial unix /run/user/0/bus: connect: no such file or directory"), KindNoService, backend.EKEYRING, "no Secret Service"},
		{"is locked", dbus.Error{Name: "org.freedesktop.Secret.Error.IsLocked"}, KindLocked, backend.EKEYRING, "locked"},
		{"prompt dismissed", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'"), KindLocked, backend.EKEYRING, "unlock prompt was dismissed"},
		{"no reply", dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, KindTimeout, backend.EKEYRING, "did not answer"},
		{"no such object", dbus.Error{Name: "org.freedesktop.Secret.Error.NoSuchObject"}, KindNotFound, backend.ENOTFOUND, "has no key"},
		{"access denied", dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied", Body: []any{"denied by policy"}}, KindOther, backend.EKEYRING, "the system keyring failed (denied by policy)"},
		{"generic", errors.New("something odd"), KindOther, backend.EKEYRING, "the system keyring failed (something odd): check that it is running and unlocked"},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			keyring.MockInitWithError(c.err)
			defer keyring.MockInit()
			k := NewKeyring(goKeyring{}, 0, 0)
			var err error
			switch {
			case c.kind == KindTooBig:
				err = k.Set(ctx, "acct_1A:test", key)
			default:
				_, err = k.Get(ctx, "acct_1A:test")
			}
			var ke *KeyringError
			if !errors.As(err, &ke) || ke.Kind != c.kind || code(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v (code %s, %+v); want kind %d code %s containing %q", err, code(err), ke, c.kind, c.code, c.msg)
			}
			if ke.Err == nil || ke.Err.Error() != c.err.Error() {
				t.Errorf("the provider's error is not in the chain")
			}
		})
	}
	// NoSuchObject on Set is not "not found".
	keyring.MockInitWithError(dbus.Error{Name: "org.freedesktop.Secret.Error.NoSuchObject"})
	if err := NewKeyring(goKeyring{}, 0, 0).Set(ctx, "acct_1A:test", key); errors.Is(err, ErrNotFound) {
		t.Errorf("Set NoSuchObject mapped to not found")
	}
	keyring.MockInit()
}

// TestKeyringTimeout: a provider that never answers returns a timeout error
// instead of blocking the caller; cancellation returns at once too.
func TestKeyringTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release) // let the lingering goroutines end
	ctx := context.Background()
	k := NewKeyring(blockingProvider{release}, 20*time.Millisecond, 40*time.Millisecond)
	key, _ := backend.ParseAPIKey(keyA)
	checks := map[string]func() error{
		"get":    func() error { _, err := k.Get(ctx, "acct_1A:test"); return err },
		"unlock": func() error { _, err := k.GetUnlocking(ctx, "acct_1A:test"); return err },
		"set":    func() error { return k.Set(ctx, "acct_1A:test", key) },
		"delete": func() error { return k.Delete(ctx, "acct_1A:test") },
	}
	for name, f := range checks {
		err := f()
		if !errors.Is(err, ErrTimeout) || code(err) != backend.EKEYRING || !strings.Contains(err.Error(), "did not answer within") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := checks["unlock"](); !strings.Contains(err.Error(), "40ms") {
		t.Errorf("unlock limit not used: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	long := NewKeyring(blockingProvider{release}, time.Hour, time.Hour)
	go cancel()
	if _, err := long.Get(cctx, "acct_1A:test"); code(err) != backend.ECANCELED || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := long.Set(cctx, "acct_1A:test", key); code(err) != backend.ECANCELED {
		t.Errorf("already cancelled: %v", err)
	}
}

// TestVaultKeyringTimeout: Add with a hanging keyring stores nothing in the registry.
func TestVaultKeyringTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	e := newEnv(t)
	acme(e)
	v, _ := New(Options{Home: e.home, Provider: blockingProvider{release}, Verifier: e.ver, Timeout: 10 * time.Millisecond})
	_, err := v.Add(context.Background(), keyA, AddOptions{})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Add: %v", err)
	}
	if l, err := v.List(context.Background()); err != nil || len(l) != 0 {
		t.Fatalf("registry after timeout: %v %v", l, err)
	}
}

type panicProvider struct{}

func (panicProvider) Set(string, string, string) error { panic("boom") }
func (panicProvider) Get(string, string) (string, error) {
	var m map[string]int
	m["x"]++
	return "", nil
}
func (panicProvider) Delete(string, string) error { panic("boom") }

func TestKeyringPanicIsAnError(t *testing.T) {
	k := NewKeyring(panicProvider{}, 0, 0)
	if _, err := k.Get(context.Background(), "acct_1A:test"); code(err) != backend.EKEYRING || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("Get: %v", err)
	}
}

func TestSessionBusPrecheck(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	none := func(string) bool { return false }
	if err := sessionBusKnown(env(map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/tmp/x"}), none); err != nil {
		t.Errorf("address set: %v", err)
	}
	if err := sessionBusKnown(env(nil), func(p string) bool { return strings.HasSuffix(p, "/bus") }); err != nil {
		t.Errorf("runtime bus: %v", err)
	}
	for _, m := range []map[string]string{nil, {"DBUS_SESSION_BUS_ADDRESS": "autolaunch:"}} {
		if err := sessionBusKnown(env(m), none); !errors.Is(err, errNoSessionBus) {
			t.Errorf("%v: %v", m, err)
		}
	}
	// Through the vault: the no-Secret-Service message, without touching D-Bus.
	p := goKeyring{precheck: func() error { return sessionBusKnown(env(nil), none) }}
	_, err := NewKeyring(p, 0, 0).Get(context.Background(), "acct_1A:test")
	if !errors.Is(err, ErrNoService) || err.Error() != "no Secret Service is running: install and start gnome-keyring or KeePassXC's Secret Service, or use BILLFOLD_API_KEY for headless use" {
		t.Errorf("precheck: %v", err)
	}
}

type countingBlocker struct {
	release chan struct{}
	calls   *atomic.Int32
}

func (b countingBlocker) Set(string, string, string) error { b.calls.Add(1); <-b.release; return nil }
func (b countingBlocker) Get(string, string) (string, error) {
	b.calls.Add(1)
	<-b.release
	return keyA, nil
}
func (b countingBlocker) Delete(string, string) error { b.calls.Add(1); <-b.release; return nil }

// TestKeyringStuckCallsDoNotPileUp: after maxStuck abandoned calls, new
// calls fail at once without reaching the provider; once the provider
// answers, calls go through again.
func TestKeyringStuckCallsDoNotPileUp(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	k := NewKeyring(countingBlocker{release, &calls}, 5*time.Millisecond, 0)
	ctx := context.Background()
	for i := 0; i < maxStuck+3; i++ {
		if _, err := k.Get(ctx, "acct_1A:test"); !errors.Is(err, ErrTimeout) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := calls.Load(); n != maxStuck {
		t.Fatalf("provider reached %d times, want %d", n, maxStuck)
	}
	close(release)
	for i := 0; k.stuck.Load() != 0; i++ {
		if i > 30000 {
			t.Fatal("stuck calls never drained")
		}
		time.Sleep(time.Millisecond)
	}
	if got, err := k.Get(ctx, "acct_1A:test"); err != nil || got.Reveal() != keyA {
		t.Fatalf("after the provider answered: %v, %v", got, err)
	}
}
