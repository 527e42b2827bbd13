// Package vault keeps Billfold's Stripe keys in the OS keyring (one entry per
// account and mode: service "Billfold", account "<acct_id>:<test|live>") and
// the account registry (accounts.json under BILLFOLD_HOME), which holds
// everything about an account except the key itself: only its masked form.
//
// It is the only package that imports the keyring. Every keyring call runs
// under a time limit off the caller's goroutine (see Keyring). There is no
// plaintext fallback: headless use takes BILLFOLD_API_KEY, which is used as
// given and never stored.
package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"billfold/backend"
)

// Options configure a Vault. Zero values take the defaults.
type Options struct {
	// Home is the data folder. "": BILLFOLD_HOME, else the OS config folder + "/Billfold".
	Home string
	// Provider is the keyring. nil: SystemProvider(Getenv).
	Provider Provider
	// Verifier checks keys with Stripe; Add, Rotate and Verify need it.
	Verifier Verifier
	// Timeout limits each keyring call (default 5 s); UnlockTimeout limits
	// Unlock, when the user may be answering a prompt (default 2 min).
	Timeout       time.Duration
	UnlockTimeout time.Duration
	// Getenv reads BILLFOLD_HOME, BILLFOLD_API_KEY and the D-Bus address. nil: os.Getenv.
	Getenv func(string) string
	Now    func() time.Time
	Logger *slog.Logger
}

// Vault is the account registry plus the keyring. It is safe for concurrent
// use; registry updates also take a file lock against other processes.
type Vault struct {
	home     string
	kr       *Keyring
	verifier Verifier
	getenv   func(string) string
	now      func() time.Time
	log      *slog.Logger
	mu       sync.Mutex
	// beforeRename is a test hook of the atomic registry write.
	beforeRename func(tmp string) error
}

// New returns a Vault. It touches no file and no keyring until used.
func New(opts Options) (*Vault, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Home == "" {
		h, err := HomeDir(opts.Getenv)
		if err != nil {
			return nil, err
		}
		opts.Home = h
	}
	if opts.Provider == nil {
		opts.Provider = SystemProvider(opts.Getenv)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	home, err := filepath.Abs(opts.Home)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	return &Vault{
		home:     home,
		kr:       NewKeyring(opts.Provider, opts.Timeout, opts.UnlockTimeout),
		verifier: opts.Verifier,
		getenv:   opts.Getenv,
		now:      opts.Now,
		log:      opts.Logger,
	}, nil
}

// HomeDir is BILLFOLD_HOME, or the OS config folder + "/Billfold".
func HomeDir(getenv func(string) string) (string, error) {
	if h := getenv("BILLFOLD_HOME"); h != "" {
		return h, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", backend.Errorf(backend.EDISK, "no config folder for Billfold (%v): set BILLFOLD_HOME to a folder for its data", err)
	}
	return filepath.Join(d, "Billfold"), nil
}

// Home is the data folder.
func (v *Vault) Home() string { return v.home }

var idFormat = regexp.MustCompile(`^(acct_[A-Za-z0-9]+):(test|live)$`)

// DataPath is the SQLite cache of account id, laid out as store.Path lays
// it out: HOME/accounts/<acct_id>/<mode>.db. The folder is shared by the
// test and live caches of one Stripe account.
func (v *Vault) DataPath(id string) (string, error) {
	m := idFormat.FindStringSubmatch(id)
	if m == nil {
		return "", backend.Errorf(backend.EINVALID, "%q is not an account id: expected acct_...:test or acct_...:live", id)
	}
	return filepath.Join(v.home, "accounts", m[1], m[2]+".db"), nil
}

// removeData deletes the cache of one account and mode: <mode>.db, its
// -wal/-shm/-journal and the copies moved aside as corrupt
// (<mode>.db.corrupt-*), and nothing else; then the folder if it is empty.
func removeData(dbPath string) ([]string, error) {
	dir, base := filepath.Split(dbPath)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !(n == base || strings.HasPrefix(n, base+"-") || strings.HasPrefix(n, base+".")) {
			continue
		}
		p := filepath.Join(dir, n)
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, err
		}
		removed = append(removed, p)
	}
	_ = os.Remove(dir) // only succeeds when empty
	return removed, nil
}

// AddOptions are the user's choices when adding an account.
type AddOptions struct {
	Label   string // "": the business name and mode
	APIBase string // "": Stripe's
}

// Add checks key locally, verifies it with Stripe, stores it in the keyring
// and then registers the account. On any failure nothing is stored. Adding an
// account that is already registered is ECONFLICT (use Rotate).
func (v *Vault) Add(ctx context.Context, key string, opts AddOptions) (acct Account, err error) {
	defer func() { err = scrub(err, key) }()
	k, err := backend.ParseAPIKey(key)
	if err != nil {
		return Account{}, err
	}
	base, err := CheckAPIBase(k.Mode(), opts.APIBase)
	if err != nil {
		return Account{}, err
	}
	label := strings.TrimSpace(opts.Label)
	if opts.Label != "" {
		if err := checkLabel(label); err != nil {
			return Account{}, err
		}
	}
	ver, err := v.verify(ctx, k, base, "")
	if err != nil {
		return Account{}, err
	}
	id := Entry(ver.AccountID, k.Mode())

	unlock, err := v.lock()
	if err != nil {
		return Account{}, err
	}
	defer unlock()
	accts, err := v.load()
	if err != nil {
		return Account{}, err
	}
	if i := find(accts, id); i >= 0 {
		return Account{}, backend.Errorf(backend.ECONFLICT, "account %s (%s) is already added: to replace its key run `billfold accounts rotate %s` with the key on standard input", id, accts[i].Label, id)
	}
	if label == "" {
		label = defaultLabel(accts, ver, k.Mode())
	} else if j := findLabel(accts, label); j >= 0 {
		return Account{}, backend.Errorf(backend.EINVALID, "the label %q is already used by %s: choose another", label, accts[j].ID)
	}
	now := v.now().UTC().Truncate(time.Second)
	acct = Account{
		ID: id, Label: label, AccountID: ver.AccountID, Name: ver.Name, Mode: k.Mode(),
		DefaultCurrency: ver.DefaultCurrency, KeyMasked: k.Masked(), Restricted: k.Restricted(),
		APIBase: base, Permissions: ver.Permissions, VerifiedAt: now, CreatedAt: now,
	}
	if err := v.kr.Set(ctx, id, k); err != nil {
		return Account{}, fmt.Errorf("store key: %w", err)
	}
	if err := v.save(append(accts, acct)); err != nil {
		if derr := v.kr.Delete(context.WithoutCancel(ctx), id); derr != nil && !errors.Is(derr, ErrNotFound) {
			v.log.Error("add account: could not remove the key again after the registry failed", "account", id, "err", derr)
		}
		return Account{}, err
	}
	v.log.Info("account added", "account", id, "key", k)
	return acct, nil
}

// Rotate replaces the key of account id with key after verifying that key
// belongs to the same Stripe account and mode. On failure the old key stays.
func (v *Vault) Rotate(ctx context.Context, id, key string) (acct Account, err error) {
	defer func() { err = scrub(err, key) }()
	k, err := backend.ParseAPIKey(key)
	if err != nil {
		return Account{}, err
	}
	cur, err := v.Get(ctx, id)
	if err != nil {
		return Account{}, err
	}
	if cur.Demo {
		return Account{}, errDemoKey
	}
	if k.Mode() != cur.Mode {
		return Account{}, backend.Errorf(backend.EINVALID, "that is a %s key but %s is a %s account: add it as its own account with `billfold accounts add`", k.Mode(), cur.ID, cur.Mode)
	}
	base, err := CheckAPIBase(k.Mode(), cur.APIBase)
	if err != nil {
		return Account{}, err
	}
	ver, err := v.verify(ctx, k, base, cur.AccountID)
	if err != nil {
		return Account{}, err
	}
	return v.update(ctx, cur.ID, func(a *Account, _ []Account) (func(), error) {
		old, gerr := v.kr.Get(ctx, a.ID)
		if gerr != nil && !errors.Is(gerr, ErrNotFound) {
			return nil, fmt.Errorf("read old key: %w", gerr)
		}
		if err := v.kr.Set(ctx, a.ID, k); err != nil {
			return nil, fmt.Errorf("store key: %w", err)
		}
		v.apply(a, ver, k)
		return func() { v.restore(ctx, a.ID, old) }, nil
	})
}

// Verify checks the stored key with Stripe again and records the time, the
// business name, default currency and permissions.
func (v *Vault) Verify(ctx context.Context, id string) (acct Account, err error) {
	cur, err := v.Get(ctx, id)
	if err != nil {
		return Account{}, err
	}
	if cur.Demo {
		return Account{}, errDemoKey
	}
	k, err := v.StoredKey(ctx, cur.ID)
	if err != nil {
		return Account{}, err
	}
	defer func() { err = scrub(err, k.Reveal()) }()
	base, err := CheckAPIBase(k.Mode(), cur.APIBase)
	if err != nil {
		return Account{}, err
	}
	ver, err := v.verify(ctx, k, base, cur.AccountID)
	if err != nil {
		if backend.ErrorCode(err) == backend.EUNAUTHORIZED {
			var be *backend.Error
			errors.As(err, &be)
			return Account{}, &backend.Error{Code: backend.EUNAUTHORIZED, RequestID: be.RequestID, Err: err,
				Message: fmt.Sprintf("Stripe rejected the stored key of %s (%s): it was revoked or expired; create a new key in the Stripe Dashboard and run `billfold accounts rotate %s` with it on standard input", cur.ID, cur.KeyMasked, cur.ID)}
		}
		return Account{}, err
	}
	return v.update(ctx, cur.ID, func(a *Account, _ []Account) (func(), error) {
		v.apply(a, ver, k)
		return nil, nil
	})
}

// Rename sets the label of account id.
func (v *Vault) Rename(ctx context.Context, id, label string) (Account, error) {
	label = strings.TrimSpace(label)
	if err := checkLabel(label); err != nil {
		return Account{}, err
	}
	cur, err := v.Get(ctx, id)
	if err != nil {
		return Account{}, err
	}
	return v.update(ctx, cur.ID, func(a *Account, all []Account) (func(), error) {
		if j := findLabel(all, label); j >= 0 && all[j].ID != a.ID {
			return nil, backend.Errorf(backend.EINVALID, "the label %q is already used by %s: choose another", label, all[j].ID)
		}
		a.Label = label
		return nil, nil
	})
}

// Remove deletes the key of account id from the keyring and the account from
// the registry. With deleteData it also deletes the account's data folder
// (DataPath and its journal and moved-aside files), exactly that. A key already missing from the keyring is fine;
// any other keyring failure leaves everything as it was.
func (v *Vault) Remove(ctx context.Context, id string, deleteData bool) error {
	cur, err := v.Get(ctx, id)
	if err != nil {
		return err
	}
	dbPath, err := v.DataPath(cur.ID)
	if err != nil {
		return err
	}
	unlock, err := v.lock()
	if err != nil {
		return err
	}
	defer unlock()
	accts, err := v.load()
	if err != nil {
		return err
	}
	i := find(accts, cur.ID)
	if i < 0 {
		return notFound(id)
	}
	old, gerr := v.kr.Get(ctx, cur.ID)
	if gerr != nil && !errors.Is(gerr, ErrNotFound) {
		return fmt.Errorf("remove %s: %w", cur.ID, gerr)
	}
	if gerr == nil {
		if err := v.kr.Delete(ctx, cur.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("remove %s: %w", cur.ID, err)
		}
	}
	if err := v.save(append(accts[:i:i], accts[i+1:]...)); err != nil {
		v.restore(ctx, cur.ID, old)
		return err
	}
	v.log.Info("account removed", "account", cur.ID, "delete_data", deleteData)
	if deleteData {
		removed, err := removeData(dbPath)
		v.log.Info("account data deleted", "account", cur.ID, "files", removed)
		if err != nil {
			return &backend.Error{Code: backend.EDISK, Err: err,
				Message: fmt.Sprintf("account %s was removed, but its data %s could not be deleted (%v): delete it by hand", cur.ID, dbPath, unwrapPathErr(err))}
		}
	}
	return nil
}

// List returns the registered accounts, sorted by id.
func (v *Vault) List(ctx context.Context) ([]Account, error) {
	if _, err := os.Stat(v.home); errors.Is(err, os.ErrNotExist) {
		return []Account{}, nil // reading creates nothing
	}
	unlock, err := v.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	accts, err := v.load()
	if accts == nil && err == nil {
		accts = []Account{}
	}
	return accts, err
}

// Get finds an account by its id (acct_...:test), by its Stripe account id
// when only one mode is registered, or by its label.
func (v *Vault) Get(ctx context.Context, ref string) (Account, error) {
	accts, err := v.List(ctx)
	if err != nil {
		return Account{}, err
	}
	if i := find(accts, ref); i >= 0 {
		return accts[i], nil
	}
	var byAcct []Account
	for _, a := range accts {
		if a.AccountID == ref {
			byAcct = append(byAcct, a)
		}
	}
	switch len(byAcct) {
	case 1:
		return byAcct[0], nil
	case 2:
		return Account{}, backend.Errorf(backend.EINVALID, "%s has a test and a live key: say which with %s:test or %s:live", ref, ref, ref)
	}
	if j := findLabel(accts, strings.TrimSpace(ref)); j >= 0 && ref != "" {
		return accts[j], nil
	}
	return Account{}, notFound(ref)
}

func notFound(ref string) error {
	return backend.Errorf(backend.ENOTFOUND, "no account %q: `billfold accounts list` shows the registered accounts", ref)
}

// Key is the key a sync of account id uses: BILLFOLD_API_KEY when set (used
// as given, never stored), else the key in the keyring. id may be "" with
// BILLFOLD_API_KEY.
func (v *Vault) Key(ctx context.Context, id string) (backend.APIKey, error) {
	if env := v.getenv("BILLFOLD_API_KEY"); env != "" {
		k, err := backend.ParseAPIKey(env)
		if err != nil {
			return backend.APIKey{}, scrub(&backend.Error{Code: backend.EINVALID, Message: "BILLFOLD_API_KEY: " + backend.ErrorMessage(err), Err: err}, env)
		}
		if id != "" {
			if a, err := v.Get(ctx, id); err == nil && a.Mode != k.Mode() {
				return backend.APIKey{}, backend.Errorf(backend.EINVALID, "BILLFOLD_API_KEY is a %s key but account %s is %s: unset it or choose the matching account", k.Mode(), a.ID, a.Mode)
			}
		}
		return k, nil
	}
	if id == "" {
		return backend.APIKey{}, backend.Errorf(backend.EINVALID, "no account chosen: pass --account ID (see `billfold accounts list`) or set BILLFOLD_API_KEY")
	}
	return v.StoredKey(ctx, id)
}

// StoredKey reads the key of account id from the keyring (ignoring
// BILLFOLD_API_KEY), under the normal time limit.
func (v *Vault) StoredKey(ctx context.Context, id string) (backend.APIKey, error) {
	a, err := v.Get(ctx, id)
	if err != nil {
		return backend.APIKey{}, err
	}
	return v.kr.Get(ctx, a.ID)
}

// Unlock reads the key of account id under the long unlock time limit: call
// it when the user asked to unlock the keyring, so its prompt can be answered.
func (v *Vault) Unlock(ctx context.Context, id string) error {
	a, err := v.Get(ctx, id)
	if err != nil {
		return err
	}
	_, err = v.kr.GetUnlocking(ctx, a.ID)
	return err
}

// verify asks the Verifier and checks its answer: the account id (equal to
// wantAcct if set), the mode, and that a restricted key can read something.
func (v *Vault) verify(ctx context.Context, k backend.APIKey, base, wantAcct string) (Verified, error) {
	if v.verifier == nil {
		return Verified{}, backend.Errorf(backend.EINTERNAL, "no Stripe verifier is configured in this build, so keys cannot be checked and none was stored: use BILLFOLD_API_KEY for headless use")
	}
	ver, err := v.verifier.Verify(ctx, k, base)
	if err != nil {
		var be *backend.Error
		errors.As(err, &be)
		switch backend.ErrorCode(err) {
		case backend.EUNAUTHORIZED:
			return Verified{}, &backend.Error{Code: backend.EUNAUTHORIZED, RequestID: be.RequestID, Err: err,
				Message: fmt.Sprintf("Stripe rejected the key %s (401): it is wrong, expired or revoked; create a new key in the Stripe Dashboard (Developers > API keys) and try again", k.Masked())}
		case backend.EFORBIDDEN, backend.ECANCELED, backend.EINVALID:
			return Verified{}, err
		case backend.EINTERNAL:
			return Verified{}, &backend.Error{Code: backend.EUNAVAILABLE, Err: err, Message: "could not verify the key with Stripe (" + err.Error() + "): check the network and try again"}
		default:
			return Verified{}, &backend.Error{Code: be.Code, RequestID: be.RequestID, Err: err, Message: "could not verify the key with Stripe: " + be.Message}
		}
	}
	if !accountIDFormat.MatchString(ver.AccountID) {
		return Verified{}, backend.Errorf(backend.EUNAVAILABLE, "Stripe's answer had no valid account id (%q): check the API base %s", ver.AccountID, base)
	}
	if wantAcct != "" && ver.AccountID != wantAcct {
		return Verified{}, backend.Errorf(backend.EINVALID, "that key belongs to Stripe account %s, not %s: add it as its own account with `billfold accounts add`", ver.AccountID, wantAcct)
	}
	if ver.Mode != "" && ver.Mode != k.Mode() {
		return Verified{}, backend.Errorf(backend.EINVALID, "Stripe says the key %s is a %s key, but its prefix says %s: check the key", k.Masked(), ver.Mode, k.Mode())
	}
	ver.DefaultCurrency = strings.ToLower(ver.DefaultCurrency)
	perms := map[string]Access{}
	for r, a := range ver.Permissions {
		perms[r] = a
	}
	if !k.Restricted() && len(ver.Permissions) == 0 {
		for _, r := range resources {
			perms[r] = AccessWrite
		}
	}
	for _, r := range resources {
		if perms[r] == "" {
			perms[r] = AccessNone
		}
	}
	ver.Permissions = perms
	readable := false
	for _, a := range perms {
		readable = readable || a.CanRead()
	}
	if !readable {
		return Verified{}, backend.Errorf(backend.EFORBIDDEN, "the restricted key %s cannot read any billing data: in the Stripe Dashboard give it Read access to %s (a read-only restricted key is recommended), then add it again", k.Masked(), strings.Join(resources, ", "))
	}
	return ver, nil
}

func (v *Vault) apply(a *Account, ver Verified, k backend.APIKey) {
	a.Name = ver.Name
	a.DefaultCurrency = ver.DefaultCurrency
	a.Permissions = ver.Permissions
	a.KeyMasked = k.Masked()
	a.Restricted = k.Restricted()
	a.VerifiedAt = v.now().UTC().Truncate(time.Second)
}

// update runs f on account id under the lock and saves the registry. f may
// return an undo, run when the save fails (to restore the keyring).
func (v *Vault) update(ctx context.Context, id string, f func(a *Account, all []Account) (undo func(), err error)) (Account, error) {
	unlock, err := v.lock()
	if err != nil {
		return Account{}, err
	}
	defer unlock()
	accts, err := v.load()
	if err != nil {
		return Account{}, err
	}
	i := find(accts, id)
	if i < 0 {
		return Account{}, notFound(id)
	}
	a := accts[i]
	undo, err := f(&a, accts)
	if err != nil {
		return Account{}, err
	}
	accts[i] = a
	if err := v.save(accts); err != nil {
		if undo != nil {
			undo()
		}
		return Account{}, err
	}
	return a, nil
}

// restore puts old back into entry after a failed registry write (or
// deletes entry when there was no old key). Best effort, logged.
func (v *Vault) restore(ctx context.Context, entry string, old backend.APIKey) {
	ctx = context.WithoutCancel(ctx)
	var err error
	if old.IsZero() {
		err = v.kr.Delete(ctx, entry)
		if errors.Is(err, ErrNotFound) {
			err = nil
		}
	} else {
		err = v.kr.Set(ctx, entry, old)
	}
	if err != nil {
		v.log.Error("could not restore the keyring entry after a failed registry write", "entry", entry, "err", err)
	}
}

// lock takes the in-process mutex and the registry's file lock.
func (v *Vault) lock() (func(), error) {
	v.mu.Lock()
	if err := ensureDir(v.home); err != nil {
		v.mu.Unlock()
		return nil, err
	}
	unlockFile, err := lockFile(filepath.Join(v.home, "accounts.lock"))
	if err != nil {
		v.mu.Unlock()
		return nil, diskError("lock the account registry", err)
	}
	return func() { unlockFile(); v.mu.Unlock() }, nil
}

func find(accts []Account, id string) int {
	for i, a := range accts {
		if a.ID == id {
			return i
		}
	}
	return -1
}

func findLabel(accts []Account, label string) int {
	for i, a := range accts {
		if strings.EqualFold(a.Label, label) {
			return i
		}
	}
	return -1
}

var keyLike = regexp.MustCompile(`(?i)\b(sk|rk|pk)_(test|live)_`)

// checkLabel accepts 1..80 printable characters that do not look like a key
// (labels are stored in plain text).
func checkLabel(label string) error {
	switch {
	case label == "":
		return backend.Errorf(backend.EINVALID, "the label is empty: give a short name such as \"Acme (test)\"")
	case utf8.RuneCountInString(label) > 80:
		return backend.Errorf(backend.EINVALID, "the label is longer than 80 characters: choose a shorter one")
	case !utf8.ValidString(label) || strings.IndexFunc(label, unicode.IsControl) >= 0:
		return backend.Errorf(backend.EINVALID, "the label has control characters or invalid text: use plain text")
	case keyLike.MatchString(label):
		return backend.Errorf(backend.EINVALID, "the label looks like an API key, and labels are stored in plain text: choose another label and give the key on standard input")
	}
	return nil
}

// defaultLabel is "<name> (<mode>)", numbered when taken.
func defaultLabel(accts []Account, ver Verified, mode backend.Mode) string {
	// Names come from Stripe (untrusted): control characters become spaces.
	name := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(ver.Name, " "))), " ")
	if r := []rune(name); len(r) > 60 {
		name = string(r[:60])
	}
	if name == "" || checkLabel(name) != nil {
		name = ver.AccountID
	}
	base := fmt.Sprintf("%s (%s)", name, mode)
	label := base
	for n := 2; findLabel(accts, label) >= 0; n++ {
		label = fmt.Sprintf("%s %d", base, n)
	}
	return label
}

// scrub replaces secret with its masked form in err's message. An error
// whose chain contains the key anywhere loses its chain.
func scrub(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	leaks := false
	for e := err; e != nil && !leaks; e = errors.Unwrap(e) {
		leaks = strings.Contains(e.Error(), secret)
	}
	if !leaks {
		return err
	}
	masked := secret
	if k, perr := backend.ParseAPIKey(secret); perr == nil {
		masked = k.Masked()
	} else {
		masked = "[redacted]"
	}
	var be *backend.Error
	code, reqID, msg := backend.EINTERNAL, "", err.Error()
	if errors.As(err, &be) {
		code, reqID = be.Code, be.RequestID
		if be.Message != "" {
			msg = be.Message
		}
	}
	return &backend.Error{Code: code, RequestID: strings.ReplaceAll(reqID, secret, masked), Message: strings.ReplaceAll(msg, secret, masked)}
}
