package vault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	dbus "github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"

	"billfold/backend"
)

// Service is the keyring service name of every Billfold entry; the entry's
// account (user) is "<acct_id>:<test|live>".
const Service = "Billfold"

// Default time limits of keyring calls.
const (
	DefaultTimeout       = 5 * time.Second
	DefaultUnlockTimeout = 2 * time.Minute
)

// Provider is the small part of a keyring Billfold uses. SystemProvider wraps
// zalando/go-keyring; tests inject fakes (a blocking one for the time limit).
// Implementations may block; Keyring runs them off the caller's goroutine.
type Provider interface {
	Set(service, user, secret string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// goKeyring calls zalando/go-keyring's package functions: the OS keyring, or
// its in-memory mock after keyring.MockInit (tests).
type goKeyring struct {
	// precheck runs before each call; it reports a missing session bus
	// without letting godbus auto-launch a stray dbus-daemon. nil: none.
	precheck func() error
}

func (g goKeyring) Set(service, user, secret string) error {
	if err := g.check(); err != nil {
		return err
	}
	return keyring.Set(service, user, secret)
}

func (g goKeyring) Get(service, user string) (string, error) {
	if err := g.check(); err != nil {
		return "", err
	}
	return keyring.Get(service, user)
}

func (g goKeyring) Delete(service, user string) error {
	if err := g.check(); err != nil {
		return err
	}
	return keyring.Delete(service, user)
}

func (g goKeyring) check() error {
	if g.precheck == nil {
		return nil
	}
	return g.precheck()
}

// SystemProvider is the OS keyring (Secret Service on Linux, Keychain on
// macOS, Credential Manager on Windows). On Linux and the BSDs it first checks
// that a D-Bus session bus is known (DBUS_SESSION_BUS_ADDRESS or
// /run/user/UID/bus), because godbus would otherwise run dbus-launch and start
// a stray bus. getenv nil means os.Getenv.
func SystemProvider(getenv func(string) string) Provider {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return goKeyring{precheck: func() error { return sessionBusKnown(getenv, fileExists) }}
	}
	return goKeyring{}
}

// errNoSessionBus is what the precheck returns when no session bus is known.
var errNoSessionBus = errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")

func sessionBusKnown(getenv func(string) string, exists func(string) bool) error {
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	if u, err := user.Current(); err == nil && exists("/run/user/"+u.Uid+"/bus") {
		return nil
	}
	return errNoSessionBus
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Kind classifies keyring failures; each has its own message and next step.
type Kind int

const (
	KindOther     Kind = iota // any other failure of the keyring
	KindNotFound              // no entry for this account
	KindNoService             // no Secret Service / keyring daemon reachable
	KindLocked                // the collection is locked or its unlock prompt was dismissed
	KindTimeout               // the keyring did not answer in time
	KindTooBig                // the keyring refused the size of the data
	KindCanceled              // the caller cancelled
)

// Sentinels for errors.Is: errors.Is(err, vault.ErrLocked).
var (
	ErrNotFound  = &KeyringError{Kind: KindNotFound}
	ErrNoService = &KeyringError{Kind: KindNoService}
	ErrLocked    = &KeyringError{Kind: KindLocked}
	ErrTimeout   = &KeyringError{Kind: KindTimeout}
	ErrTooBig    = &KeyringError{Kind: KindTooBig}
)

// KeyringError is a failed keyring call. It is always wrapped in a
// *backend.Error whose message says what to do.
type KeyringError struct {
	Kind  Kind
	Op    string // get, set, delete
	Entry string // the keyring account, acct_...:test
	Limit time.Duration
	Err   error // the provider's error, if any
}

func (e *KeyringError) Error() string {
	s := "keyring " + e.Op
	if e.Entry != "" {
		s += " " + e.Entry
	}
	if e.Err != nil {
		return s + ": " + e.Err.Error()
	}
	return s + ": " + kindNames[e.Kind]
}

func (e *KeyringError) Unwrap() error { return e.Err }

// Is matches the sentinels by kind.
func (e *KeyringError) Is(target error) bool {
	t, ok := target.(*KeyringError)
	return ok && t.Op == "" && t.Err == nil && t.Entry == "" && t.Kind == e.Kind
}

var kindNames = map[Kind]string{
	KindOther: "failed", KindNotFound: "not found", KindNoService: "no secret service",
	KindLocked: "locked", KindTimeout: "timed out", KindTooBig: "too big", KindCanceled: "canceled",
}

// message is the user's one-liner for a keyring failure.
func (e *KeyringError) message() (code, msg string) {
	switch e.Kind {
	case KindNotFound:
		return backend.ENOTFOUND, fmt.Sprintf("the system keyring has no key for %s: add the key again with `billfold accounts rotate %s` (key on standard input), or remove the account", e.Entry, e.Entry)
	case KindNoService:
		return backend.EKEYRING, "no Secret Service is running: install and start gnome-keyring or KeePassXC's Secret Service, or use BILLFOLD_API_KEY for headless use"
	case KindLocked:
		return backend.EKEYRING, "the system keyring is locked or its unlock prompt was dismissed: unlock the \"Login\" keyring (log in to the desktop, or use Seahorse or KeePassXC) and try again"
	case KindTimeout:
		return backend.EKEYRING, fmt.Sprintf("the system keyring did not answer within %s: it may be waiting for an unlock prompt; unlock it and try again, or use BILLFOLD_API_KEY for headless use", e.Limit)
	case KindTooBig:
		return backend.EKEYRING, "the system keyring refused the key as too big: a Stripe key is about 100 characters; check what was pasted"
	case KindCanceled:
		return backend.ECANCELED, "the keyring call was cancelled"
	}
	detail := "unknown error"
	if e.Err != nil {
		detail = e.Err.Error()
	}
	return backend.EKEYRING, "the system keyring failed (" + detail + "): check that it is running and unlocked, then try again"
}

// classify maps a provider error to a Kind. It knows what go-keyring v0.2.8
// returns on Linux: keyring.ErrNotFound when the search finds nothing;
// godbus's dbus.Error (a value) with the bus's error name when the Secret
// Service is missing (ServiceUnknown, NameHasNoOwner, Spawn.*), locked
// (Secret.Error.IsLocked) or slow (NoReply); a plain error "failed to unlock
// correct collection '...'" when an unlock prompt was dismissed or could not
// be shown (a locked collection, or no default collection at all); and net
// or exec errors when there is no session bus. keyring.ErrSetDataTooBig
// comes from macOS and Windows.
func classify(op string, err error) Kind {
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return KindNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return KindTooBig
	case errors.Is(err, errNoSessionBus):
		return KindNoService
	}
	var name string
	var dv dbus.Error
	var dp *dbus.Error
	if errors.As(err, &dv) {
		name = dv.Name
	} else if errors.As(err, &dp) && dp != nil {
		name = dp.Name
	}
	switch {
	case name == "org.freedesktop.DBus.Error.ServiceUnknown",
		name == "org.freedesktop.DBus.Error.NameHasNoOwner",
		name == "org.freedesktop.DBus.Error.NoServer",
		name == "org.freedesktop.DBus.Error.Disconnected",
		name == "org.freedesktop.DBus.Error.NoNetwork",
		strings.HasPrefix(name, "org.freedesktop.DBus.Error.Spawn."):
		return KindNoService
	case name == "org.freedesktop.Secret.Error.IsLocked":
		return KindLocked
	case name == "org.freedesktop.DBus.Error.NoReply",
		name == "org.freedesktop.DBus.Error.Timeout",
		name == "org.freedesktop.DBus.Error.TimedOut":
		return KindTimeout
	case name == "org.freedesktop.Secret.Error.NoSuchObject" && op != "set":
		return KindNotFound
	case name != "":
		return KindOther
	}
	msg := err.Error()
	var ne interface{ Timeout() bool }
	switch {
	case strings.HasPrefix(msg, "failed to unlock correct collection"):
		return KindLocked
	case strings.Contains(msg, "couldn't determine address of session bus"),
		errors.Is(err, exec.ErrNotFound),
		strings.HasPrefix(msg, "dial unix"):
		return KindNoService
	case errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	}
	return KindOther
}

// Keyring runs Provider calls under a time limit, off the caller's goroutine,
// and turns failures into *backend.Error with a KeyringError inside.
//
// A call that times out (or whose ctx is cancelled) returns at once, but its
// goroutine lingers until the provider returns: go-keyring's D-Bus calls
// cannot be interrupted. A timed-out Set may therefore still land later.
type Keyring struct {
	p             Provider
	timeout       time.Duration
	unlockTimeout time.Duration
	// stuck counts calls still running after their caller gave up; past
	// maxStuck new calls fail at once instead of piling up goroutines.
	stuck atomic.Int32
}

// maxStuck is how many abandoned calls may linger before new calls are
// refused with a timeout error without reaching the provider.
const maxStuck = 4

// NewKeyring wraps p with the time limits (zero: the defaults).
func NewKeyring(p Provider, timeout, unlockTimeout time.Duration) *Keyring {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if unlockTimeout <= 0 {
		unlockTimeout = DefaultUnlockTimeout
	}
	return &Keyring{p: p, timeout: timeout, unlockTimeout: unlockTimeout}
}

// Entry is the keyring account of a Stripe account and mode.
func Entry(accountID string, mode backend.Mode) string { return accountID + ":" + string(mode) }

// Get reads the key of entry under the normal time limit.
func (k *Keyring) Get(ctx context.Context, entry string) (backend.APIKey, error) {
	return k.get(ctx, entry, k.timeout)
}

// GetUnlocking reads the key under the longer unlock limit: call it only when
// the user asked to unlock, so an unlock prompt may be on screen.
func (k *Keyring) GetUnlocking(ctx context.Context, entry string) (backend.APIKey, error) {
	return k.get(ctx, entry, k.unlockTimeout)
}

func (k *Keyring) get(ctx context.Context, entry string, limit time.Duration) (backend.APIKey, error) {
	var secret string
	err := k.run(ctx, "get", entry, limit, func() (err error) {
		secret, err = k.p.Get(Service, entry)
		return err
	})
	if err != nil {
		return backend.APIKey{}, err
	}
	key, perr := backend.ParseAPIKey(secret)
	if perr != nil {
		return backend.APIKey{}, &backend.Error{Code: backend.EKEYRING,
			Message: fmt.Sprintf("the keyring entry %s/%s does not hold a valid Stripe key: store the key again with `billfold accounts rotate %s`", Service, entry, entry),
			Err:     &KeyringError{Kind: KindOther, Op: "get", Entry: entry, Err: errors.New("invalid key format")}}
	}
	return key, nil
}

// Set stores key in entry (replacing any previous key).
func (k *Keyring) Set(ctx context.Context, entry string, key backend.APIKey) error {
	if key.IsZero() {
		return backend.Errorf(backend.EINTERNAL, "keyring set %s: empty key", entry)
	}
	return k.run(ctx, "set", entry, k.timeout, func() error {
		return k.p.Set(Service, entry, key.Reveal())
	})
}

// Delete removes entry. A missing entry is a KindNotFound error.
func (k *Keyring) Delete(ctx context.Context, entry string) error {
	return k.run(ctx, "delete", entry, k.timeout, func() error {
		return k.p.Delete(Service, entry)
	})
}

// run calls f on its own goroutine and waits for it, the timer or ctx.
func (k *Keyring) run(ctx context.Context, op, entry string, limit time.Duration, f func() error) error {
	if err := ctx.Err(); err != nil {
		return wrapKeyring(&KeyringError{Kind: KindCanceled, Op: op, Entry: entry, Err: err})
	}
	if k.stuck.Load() >= maxStuck {
		return wrapKeyring(&KeyringError{Kind: KindTimeout, Op: op, Entry: entry, Limit: limit,
			Err: errors.New("earlier keyring calls are still waiting")})
	}
	done := make(chan error, 1) // buffered: a lingering goroutine never blocks on send
	// state: 0 running, 1 finished, 2 abandoned by the caller.
	var state atomic.Int32
	go func() {
		defer func() {
			if !state.CompareAndSwap(0, 1) {
				k.stuck.Add(-1) // abandoned: no longer stuck
			}
		}()
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("keyring provider panicked: %v", r)
			}
		}()
		done <- f()
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	var ke *KeyringError
	select {
	case err := <-done:
		if err == nil {
			return nil
		}
		return wrapKeyring(&KeyringError{Kind: classify(op, err), Op: op, Entry: entry, Limit: limit, Err: err})
	case <-timer.C:
		ke = &KeyringError{Kind: KindTimeout, Op: op, Entry: entry, Limit: limit}
	case <-ctx.Done():
		ke = &KeyringError{Kind: KindCanceled, Op: op, Entry: entry, Err: ctx.Err()}
	}
	k.stuck.Add(1)
	if !state.CompareAndSwap(0, 2) {
		k.stuck.Add(-1) // it finished just now
	}
	return wrapKeyring(ke)
}

func wrapKeyring(ke *KeyringError) error {
	code, msg := ke.message()
	return &backend.Error{Code: code, Message: msg, Err: ke}
}
