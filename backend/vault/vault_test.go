package vault

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"billfold/backend"
)

var errKeyringNotFound = keyring.ErrNotFound

const (
	keyA     = "sk_test_51AcmeAAAAAAAAAAAAAAAAAAAAAAAAAAAA1111"
	keyA2    = "sk_test_51AcmeBBBBBBBBBBBBBBBBBBBBBBBBBBBB2222"
	keyLive  = "sk_live_51AcmeCCCCCCCCCCCCCCCCCCCCCCCCCCCC3333"
	keyOther = "sk_test_51OtherDDDDDDDDDDDDDDDDDDDDDDDDDD4444"
	keyRK    = "rk_test_51AcmeEEEEEEEEEEEEEEEEEEEEEEEEEEEE5555"
)

func acme(e *env) {
	for _, k := range []string{keyA, keyA2, keyLive} {
		e.ver.answers[k] = Verified{AccountID: "acct_1Acme", Name: "Acme Inc", DefaultCurrency: "USD"}
	}
	e.ver.answers[keyOther] = Verified{AccountID: "acct_1Other", Name: "Other Ltd", DefaultCurrency: "eur"}
}

func code(err error) string { return backend.ErrorCode(err) }

// nothingStored fails unless the keyring and the registry are empty.
func nothingStored(t *testing.T, e *env) {
	t.Helper()
	if n := len(e.mem.entries()); n != 0 {
		t.Errorf("keyring holds %d entries, want 0", n)
	}
	accts, err := e.v.List(context.Background())
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(accts) != 0 {
		t.Errorf("registry holds %d accounts, want 0", len(accts))
	}
}

func TestAddBadInput(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, key, base, code, msg string
		setup                      func(e *env)
	}{
		{name: "empty", key: "", code: backend.EINVALID, msg: "empty"},
		{name: "whitespace", key: " " + keyA + "\n", code: backend.EINVALID, msg: "spaces or line breaks"},
		{name: "only whitespace", key: "   ", code: backend.EINVALID, msg: "spaces"},
		{name: "publishable", key: "pk_test_51AcmeAAAAAAAAAAAAAAAAAAAAAAAAAA", code: backend.EINVALID, msg: "publishable"},
		{name: "wrong prefix", key: "whsec_51AcmeAAAAAAAAAAAAAAAAAAAAAAAAAAAA", code: backend.EINVALID, msg: "does not look like"},
		{name: "truncated", key: "sk_test_51Acm", code: backend.EINVALID, msg: "truncated"},
		{name: "revoked 401", key: "sk_test_51revokedAAAAAAAAAAAAAAAAAAAAAAA", code: backend.EUNAUTHORIZED, msg: "revoked"},
		{name: "restricted without read", key: keyRK, code: backend.EFORBIDDEN, msg: "cannot read any billing data",
			setup: func(e *env) {
				e.ver.answers[keyRK] = Verified{AccountID: "acct_1Acme", Permissions: map[string]Access{"customers": AccessNone}}
			}},
		{name: "restricted with nil permissions", key: keyRK, code: backend.EFORBIDDEN, msg: "Read access",
			setup: func(e *env) { e.ver.answers[keyRK] = Verified{AccountID: "acct_1Acme"} }},
		{name: "live key to non-Stripe base", key: keyLive, base: "http://127.0.0.1:12111", code: backend.EINVALID, msg: "only ever sent to Stripe"},
		{name: "live key to look-alike base", key: keyLive, base: "https://api.stripe.com.evil.test", code: backend.EINVALID, msg: "only ever sent to Stripe"},
		{name: "bad base", key: keyA, base: "ftp://x", code: backend.EINVALID, msg: "not a valid URL"},
		{name: "http to remote", key: keyA, base: "http://example.com", code: backend.EINVALID, msg: "plain http"},
		{name: "stripe unreachable", key: keyA, code: backend.EUNAVAILABLE, msg: "could not verify",
			setup: func(e *env) { e.ver.errs[keyA] = errors.New("dial tcp: connection refused") }},
		{name: "no secret service", key: keyA, code: backend.EKEYRING, msg: "no Secret Service is running",
			setup: func(e *env) { e.mem.setErr = errNoSessionBus }},
		{name: "keyring locked", key: keyA, code: backend.EKEYRING, msg: "locked",
			setup: func(e *env) {
				e.mem.setErr = errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")
			}},
		{name: "keyring too big", key: keyA, code: backend.EKEYRING, msg: "too big",
			setup: func(e *env) { e.mem.setErr = keyring.ErrSetDataTooBig }},
		{name: "label looks like a key", key: keyA, code: backend.EINVALID, msg: "looks like an API key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			acme(e)
			if c.setup != nil {
				c.setup(e)
			}
			opts := AddOptions{APIBase: c.base}
			if c.name == "label looks like a key" {
				opts.Label = "my " + keyA
			}
			_, err := e.v.Add(ctx, c.key, opts)
			if code(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Add: code %q err %v; want code %q containing %q", code(err), err, c.code, c.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message is not one line: %q", err)
			}
			if len(c.key) > 8 && strings.Contains(err.Error(), strings.TrimSpace(c.key)) {
				t.Errorf("message reveals the key: %q", err)
			}
			e.mem.setErr = nil
			nothingStored(t, e)
			if c.code == backend.EINVALID && e.ver.count() != 0 {
				t.Errorf("bad input reached the verifier")
			}
		})
	}
}

func TestAddListGetKey(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	acme(e)
	a, err := e.v.Add(ctx, keyA, AddOptions{APIBase: "http://127.0.0.1:12111/"})
	if err != nil {
		t.Fatal(err)
	}
	want := Account{
		ID: "acct_1Acme:test", Label: "Acme Inc (test)", AccountID: "acct_1Acme", Name: "Acme Inc",
		Mode: backend.ModeTest, DefaultCurrency: "usd", KeyMasked: "sk_test_…1111", APIBase: "http://127.0.0.1:12111",
		Permissions: map[string]Access{}, VerifiedAt: e.clock.t, CreatedAt: e.clock.t,
	}
	for _, r := range resources {
		want.Permissions[r] = AccessWrite
	}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("Add = %+v\nwant %+v", a, want)
	}
	if got := e.mem.entries()["Billfold/acct_1Acme:test"]; got != keyA {
		t.Fatalf("keyring entry Billfold/acct_1Acme:test = %q", got)
	}
	if e.ver.bases[0] != "http://127.0.0.1:12111" {
		t.Errorf("verifier got base %q", e.ver.bases[0])
	}
	list, err := e.v.List(ctx)
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0], want) {
		t.Fatalf("List = %+v, %v", list, err)
	}
	for _, ref := range []string{"acct_1Acme:test", "acct_1Acme", "Acme Inc (test)", "acme inc (TEST)"} {
		if g, err := e.v.Get(ctx, ref); err != nil || g.ID != a.ID {
			t.Errorf("Get(%q) = %v, %v", ref, g.ID, err)
		}
	}
	if _, err := e.v.Get(ctx, "acct_nope"); code(err) != backend.ENOTFOUND {
		t.Errorf("Get unknown: %v", err)
	}
	k, err := e.v.Key(ctx, a.ID)
	if err != nil || k.Reveal() != keyA {
		t.Fatalf("Key = %v, %v", k, err)
	}

	// The same account again: a conflict, nothing changes.
	if _, err := e.v.Add(ctx, keyA2, AddOptions{}); code(err) != backend.ECONFLICT || !strings.Contains(err.Error(), "accounts rotate") {
		t.Fatalf("Add twice: %v", err)
	}
	if got := e.mem.entries()["Billfold/acct_1Acme:test"]; got != keyA {
		t.Fatal("conflicting add replaced the key")
	}
	// Live mode of the same account is its own entry; both modes make the bare acct id ambiguous.
	l, err := e.v.Add(ctx, keyLive, AddOptions{})
	if err != nil || l.ID != "acct_1Acme:live" || l.Label != "Acme Inc (live)" || l.APIBase != StripeAPIBase {
		t.Fatalf("Add live = %+v, %v", l, err)
	}
	if _, err := e.v.Get(ctx, "acct_1Acme"); code(err) != backend.EINVALID {
		t.Errorf("ambiguous Get: %v", err)
	}
	// An explicit label that is taken.
	if _, err := e.v.Add(ctx, keyOther, AddOptions{Label: "ACME INC (test)"}); code(err) != backend.EINVALID || !strings.Contains(err.Error(), "already used") {
		t.Errorf("taken label: %v", err)
	}
	if _, ok := e.mem.entries()["Billfold/acct_1Other:test"]; ok {
		t.Error("a refused add stored its key")
	}
}

func TestKeyFromEnvironment(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	acme(e)
	if _, err := e.v.Add(ctx, keyA, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	e.vars["BILLFOLD_API_KEY"] = keyA2
	for _, id := range []string{"", "acct_1Acme:test"} {
		k, err := e.v.Key(ctx, id)
		if err != nil || k.Reveal() != keyA2 {
			t.Fatalf("Key(%q) with BILLFOLD_API_KEY = %v, %v", id, k, err)
		}
	}
	if s, _ := e.v.StoredKey(ctx, "acct_1Acme:test"); s.Reveal() != keyA {
		t.Error("StoredKey should ignore BILLFOLD_API_KEY")
	}
	if got := e.mem.entries()["Billfold/acct_1Acme:test"]; got != keyA {
		t.Error("BILLFOLD_API_KEY was stored")
	}
	e.vars["BILLFOLD_API_KEY"] = keyLive
	if _, err := e.v.Key(ctx, "acct_1Acme:test"); code(err) != backend.EINVALID || !strings.Contains(err.Error(), "live key") {
		t.Errorf("mode mismatch: %v", err)
	}
	e.vars["BILLFOLD_API_KEY"] = keyA + " "
	if _, err := e.v.Key(ctx, ""); code(err) != backend.EINVALID || !strings.HasPrefix(err.Error(), "BILLFOLD_API_KEY: ") || strings.Contains(err.Error(), keyA) {
		t.Errorf("bad BILLFOLD_API_KEY: %v", err)
	}
	e.vars["BILLFOLD_API_KEY"] = ""
	if _, err := e.v.Key(ctx, ""); code(err) != backend.EINVALID {
		t.Errorf("no account, no env: %v", err)
	}
	if entries := e.mem.entries(); len(entries) != 1 {
		t.Errorf("keyring has %d entries", len(entries))
	}
}

func TestRotate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	acme(e)
	if _, err := e.v.Add(ctx, keyA, AddOptions{Label: "Main"}); err != nil {
		t.Fatal(err)
	}
	e.clock.t = e.clock.t.Add(time.Hour)
	bad := []struct {
		name, key, code, msg string
	}{
		{"other account", keyOther, backend.EINVALID, "belongs to Stripe account acct_1Other"},
		{"other mode", keyLive, backend.EINVALID, "live key"},
		{"revoked", "sk_test_51revokedZZZZZZZZZZZZZZZZZZZ", backend.EUNAUTHORIZED, "revoked"},
		{"malformed", "sk_test_short", backend.EINVALID, "truncated"},
	}
	for _, b := range bad {
		if _, err := e.v.Rotate(ctx, "Main", b.key); code(err) != b.code || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("Rotate %s: %v", b.name, err)
		}
		if got := e.mem.entries()["Billfold/acct_1Acme:test"]; got != keyA {
			t.Fatalf("Rotate %s changed the key", b.name)
		}
	}
	a, err := e.v.Rotate(ctx, "acct_1Acme:test", keyA2)
	if err != nil {
		t.Fatal(err)
	}
	if a.KeyMasked != "sk_test_…2222" || !a.VerifiedAt.Equal(e.clock.t) || a.Label != "Main" || a.CreatedAt.Equal(e.clock.t) {
		t.Errorf("Rotate = %+v", a)
	}
	if got := e.mem.entries()["Billfold/acct_1Acme:test"]; got != keyA2 {
		t.Fatalf("keyring after rotate = %q", got)
	}
	// A registry write failure puts the old key back.
	e.v.beforeRename = func(string) error { return syscall.ENOSPC }
	if _, err := e.v.Rotate(ctx, "Main", keyA); code(err) != backend.EDISK {
		t.Fatalf("Rotate with full disk: %v", err)
	}
	if got := e.mem.entries()["Billfold/acct_1Acme:test"]; got != keyA2 {
		t.Fatalf("keyring after failed rotate = %q, want the old key", got)
	}
}

func TestVerifyAgain(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.ver.answers[keyRK] = Verified{AccountID: "acct_1Acme", Name: "Acme", Permissions: map[string]Access{"customers": AccessRead}}
	a, err := e.v.Add(ctx, keyRK, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Restricted || a.Permissions["customers"] != AccessRead || a.Permissions["invoices"] != AccessNone {
		t.Fatalf("Add rk = %+v", a)
	}
	if m := a.MissingRead(); len(m) != len(resources)-1 {
		t.Errorf("MissingRead = %v", m)
	}
	e.clock.t = e.clock.t.Add(24 * time.Hour)
	perms := map[string]Access{}
	for _, r := range resources {
		perms[r] = AccessRead
	}
	e.ver.answers[keyRK] = Verified{AccountID: "acct_1Acme", Name: "Acme Renamed", DefaultCurrency: "GBP", Permissions: perms}
	v, err := e.v.Verify(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !v.VerifiedAt.Equal(e.clock.t) || v.Name != "Acme Renamed" || v.DefaultCurrency != "gbp" || len(v.MissingRead()) != 0 || v.Label != a.Label {
		t.Errorf("Verify = %+v", v)
	}
	stored, _ := e.v.Get(ctx, a.ID)
	if !reflect.DeepEqual(stored, v) {
		t.Errorf("registry after verify = %+v", stored)
	}
	// Revoked since: a clear message naming rotate; the registry keeps the last good state.
	e.ver.errs[keyRK] = &backend.Error{Code: backend.EUNAUTHORIZED, Message: "Invalid API Key", RequestID: "req_9"}
	_, err = e.v.Verify(ctx, a.ID)
	if code(err) != backend.EUNAUTHORIZED || !strings.Contains(err.Error(), "accounts rotate acct_1Acme:test") || !strings.Contains(err.Error(), "req_9") {
		t.Errorf("Verify revoked: %v", err)
	}
	// The key now belongs elsewhere.
	delete(e.ver.errs, keyRK)
	e.ver.answers[keyRK] = Verified{AccountID: "acct_1Moved", Permissions: perms}
	if _, err := e.v.Verify(ctx, a.ID); code(err) != backend.EINVALID {
		t.Errorf("Verify moved: %v", err)
	}
	// Key missing from the keyring.
	e.mem.m = map[string]string{}
	if _, err := e.v.Verify(ctx, a.ID); code(err) != backend.ENOTFOUND || !strings.Contains(err.Error(), "accounts rotate") {
		t.Errorf("Verify without key: %v", err)
	}
}

func TestRename(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	acme(e)
	a, _ := e.v.Add(ctx, keyA, AddOptions{})
	e.v.Add(ctx, keyOther, AddOptions{})
	r, err := e.v.Rename(ctx, a.ID, "  Acme main  ")
	if err != nil || r.Label != "Acme main" {
		t.Fatalf("Rename = %+v, %v", r, err)
	}
	if r, err := e.v.Rename(ctx, "Acme main", "ACME MAIN"); err != nil || r.Label != "ACME MAIN" {
		t.Fatalf("Rename to itself in other case = %+v, %v", r, err)
	}
	for label, msg := range map[string]string{
		"":                      "empty",
		"Other Ltd (test)":      "already used",
		strings.Repeat("x", 81): "longer than 80",
		"a\x00b":                "control",
		"rk_live_abc":           "looks like an API key",
	} {
		if _, err := e.v.Rename(ctx, a.ID, label); code(err) != backend.EINVALID || !strings.Contains(err.Error(), msg) {
			t.Errorf("Rename(%q): %v", label, err)
		}
	}
	if _, err := e.v.Rename(ctx, "acct_none:test", "x"); code(err) != backend.ENOTFOUND {
		t.Errorf("Rename unknown: %v", err)
	}
	got, _ := e.v.Get(ctx, a.ID)
	if got.Label != "ACME MAIN" {
		t.Errorf("label after refused renames = %q", got.Label)
	}
}

func TestRemove(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	acme(e)
	a, _ := e.v.Add(ctx, keyA, AddOptions{})
	l, _ := e.v.Add(ctx, keyLive, AddOptions{})
	dbA, _ := e.v.DataPath(a.ID)
	dbL, _ := e.v.DataPath(l.ID)
	if dbA != filepath.Join(e.home, "accounts", "acct_1Acme", "test.db") || dbL != filepath.Join(e.home, "accounts", "acct_1Acme", "live.db") {
		t.Fatalf("DataPath = %s, %s", dbA, dbL)
	}
	dir := filepath.Dir(dbA)
	os.MkdirAll(dir, 0o700)
	testFiles := []string{"test.db", "test.db-wal", "test.db-shm", "test.db.corrupt-20260101T000000Z", "test.db.corrupt-20260101T000000Z-wal"}
	keep := []string{"live.db", "live.db-wal", "test.dbx", "test.csv", "notes-test.db"}
	for _, n := range append(append([]string{}, testFiles...), keep...) {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600)
	}
	// Keyring locked: nothing changes.
	e.mem.getErr = errors.New("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'")
	if err := e.v.Remove(ctx, a.ID, true); code(err) != backend.EKEYRING || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("Remove locked: %v", err)
	}
	e.mem.getErr = nil
	if _, err := os.Stat(dbA); err != nil {
		t.Fatal("a failed remove deleted data")
	}
	// Registry write fails: the key is put back.
	e.v.beforeRename = func(string) error { return syscall.EROFS }
	if err := e.v.Remove(ctx, a.ID, true); code(err) != backend.EDISK {
		t.Fatalf("Remove read-only: %v", err)
	}
	e.v.beforeRename = nil
	if e.mem.entries()["Billfold/acct_1Acme:test"] != keyA {
		t.Fatal("failed remove lost the key")
	}
	// Without data.
	if err := e.v.Remove(ctx, l.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dbL); err != nil {
		t.Error("Remove without deleteData deleted data")
	}
	// With data: exactly the test cache and its companions.
	if err := e.v.Remove(ctx, "acct_1Acme", true); err != nil {
		t.Fatal(err)
	}
	for _, n := range testFiles {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s still there", n)
		}
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("Remove deleted %s", n)
		}
	}
	nothingStored(t, e)
	if err := e.v.Remove(ctx, a.ID, false); code(err) != backend.ENOTFOUND {
		t.Errorf("Remove twice: %v", err)
	}
	// The last cache of a Stripe account gone: its folder goes too.
	other, _ := e.v.Add(ctx, keyOther, AddOptions{})
	dbO, _ := e.v.DataPath(other.ID)
	os.MkdirAll(filepath.Dir(dbO), 0o700)
	os.WriteFile(dbO, []byte("x"), 0o600)
	if err := e.v.Remove(ctx, other.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(dbO)); !os.IsNotExist(err) {
		t.Errorf("empty account folder left: %v", err)
	}
	// A registered account whose key is already gone from the keyring can be removed.
	e.v.Add(ctx, keyOther, AddOptions{})
	e.mem.m = map[string]string{}
	if err := e.v.Remove(ctx, "acct_1Other:test", false); err != nil {
		t.Errorf("Remove with key already gone: %v", err)
	}
}

func TestAddRegistryFailureLeavesNoKey(t *testing.T) {
	e := newEnv(t)
	acme(e)
	var tmpSeen string
	e.v.beforeRename = func(tmp string) error { tmpSeen = tmp; return syscall.ENOSPC }
	_, err := e.v.Add(context.Background(), keyA, AddOptions{})
	if code(err) != backend.EDISK || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Add on a full disk: %v", err)
	}
	if _, err := os.Stat(tmpSeen); !os.IsNotExist(err) {
		t.Errorf("temp file %s left behind", tmpSeen)
	}
	e.v.beforeRename = nil
	nothingStored(t, e)
}

func TestRegistryPermsUmask000(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	e := newEnv(t)
	acme(e)
	if _, err := e.v.Add(context.Background(), keyA, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	check := func(p string, want os.FileMode) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", p, fi.Mode().Perm(), want)
		}
	}
	check(e.home, 0o700)
	check(filepath.Join(e.home, "accounts.json"), 0o600)
	check(filepath.Join(e.home, "accounts.lock"), 0o600)
	// An existing folder open to others is tightened.
	os.Chmod(e.home, 0o777)
	if _, err := e.v.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	check(e.home, 0o700)
}

func TestAtomicWrite(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	acme(e)
	if _, err := e.v.Add(ctx, keyA, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.home, "accounts.json")
	before, _ := os.ReadFile(path)
	// Between the temp file's fsync and the rename, accounts.json is the old
	// registry and the temp file is the complete new one in the same folder.
	e.v.beforeRename = func(tmp string) error {
		if filepath.Dir(tmp) != e.home {
			t.Errorf("temp file %s not beside the registry", tmp)
		}
		cur, _ := os.ReadFile(path)
		if string(cur) != string(before) {
			t.Error("registry changed before the rename")
		}
		var rf registryFile
		b, _ := os.ReadFile(tmp)
		if err := json.Unmarshal(b, &rf); err != nil || len(rf.Accounts) != 1 || rf.Accounts[0].Label != "New" {
			t.Errorf("temp file incomplete: %v %s", err, b)
		}
		return nil
	}
	if _, err := e.v.Rename(ctx, "acct_1Acme:test", "New"); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(e.home)
	for _, d := range ents {
		if strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("leftover %s", d.Name())
		}
	}
}

func TestCorruptRegistry(t *testing.T) {
	ctx := context.Background()
	cases := map[string]string{
		"garbage":      "{not json",
		"truncated":    `{"version":1,"accounts":[{"id":"acct_1A:test"`,
		"bad id":       `{"version":1,"accounts":[{"id":"x","account_id":"x","mode":"test"}]}`,
		"duplicate":    `{"version":1,"accounts":[{"id":"acct_1A:test","account_id":"acct_1A","mode":"test"},{"id":"acct_1A:test","account_id":"acct_1A","mode":"test"}]}`,
		"no version":   `{"accounts":[]}`,
		"trailing":     `{"version":1,"accounts":[]} {}`,
		"empty file":   ``,
		"wrong shape":  `[1,2,3]`,
		"binary noise": "\x00\x01\x02",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			os.MkdirAll(e.home, 0o700)
			path := filepath.Join(e.home, "accounts.json")
			os.WriteFile(path, []byte(content), 0o600)
			_, err := e.v.List(ctx)
			if code(err) != backend.ECORRUPT || !strings.Contains(err.Error(), "moved to") || !strings.Contains(err.Error(), "accounts add") {
				t.Fatalf("List on corrupt registry: %v", err)
			}
			aside := path + ".corrupt-20261123T100000Z"
			if b, err := os.ReadFile(aside); err != nil || string(b) != content {
				t.Fatalf("moved-aside file: %v", err)
			}
			list, err := e.v.List(ctx)
			if err != nil || len(list) != 0 {
				t.Fatalf("List after move = %v, %v", list, err)
			}
		})
	}
	t.Run("newer version is not moved", func(t *testing.T) {
		e := newEnv(t)
		os.MkdirAll(e.home, 0o700)
		path := filepath.Join(e.home, "accounts.json")
		os.WriteFile(path, []byte(`{"version":9,"accounts":[]}`), 0o600)
		if _, err := e.v.List(ctx); code(err) != backend.ECORRUPT || !strings.Contains(err.Error(), "newer Billfold") {
			t.Fatalf("List: %v", err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatal("registry of a newer version was moved")
		}
	})
	t.Run("unknown fields are kept readable", func(t *testing.T) {
		e := newEnv(t)
		os.MkdirAll(e.home, 0o700)
		os.WriteFile(filepath.Join(e.home, "accounts.json"), []byte(`{"version":1,"future":true,"accounts":[{"id":"acct_1A:test","account_id":"acct_1A","mode":"test","new_field":1}]}`), 0o600)
		if l, err := e.v.List(ctx); err != nil || len(l) != 1 {
			t.Fatalf("List = %v, %v", l, err)
		}
	})
	t.Run("add refuses to overwrite a corrupt registry silently", func(t *testing.T) {
		e := newEnv(t)
		acme(e)
		os.MkdirAll(e.home, 0o700)
		os.WriteFile(filepath.Join(e.home, "accounts.json"), []byte("{"), 0o600)
		if _, err := e.v.Add(ctx, keyA, AddOptions{}); code(err) != backend.ECORRUPT {
			t.Fatalf("Add: %v", err)
		}
		nothingStored(t, e)
	})
}

func TestListCreatesNothing(t *testing.T) {
	e := newEnv(t)
	if l, err := e.v.List(context.Background()); err != nil || len(l) != 0 {
		t.Fatalf("List = %v, %v", l, err)
	}
	if _, err := e.v.Get(context.Background(), "acct_1A:test"); code(err) != backend.ENOTFOUND {
		t.Fatalf("Get: %v", err)
	}
	if _, err := os.Stat(e.home); !os.IsNotExist(err) {
		t.Errorf("reading created %s", e.home)
	}
}

func TestHomeDir(t *testing.T) {
	h, err := HomeDir(func(k string) string { return map[string]string{"BILLFOLD_HOME": "/x/y"}[k] })
	if err != nil || h != "/x/y" {
		t.Errorf("HomeDir = %q, %v", h, err)
	}
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	h, err = HomeDir(func(string) string { return "" })
	if err != nil || h != "/cfg/Billfold" {
		t.Errorf("HomeDir default = %q, %v", h, err)
	}
}

func TestDataPathRejectsBadIDs(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"", "acct_1:prod", "../acct_1:test", "acct_1:test/..", "acct_1"} {
		if _, err := e.v.DataPath(id); code(err) != backend.EINVALID {
			t.Errorf("DataPath(%q): %v", id, err)
		}
	}
}

func TestCheckAPIBase(t *testing.T) {
	cases := []struct {
		mode       backend.Mode
		base, want string
		ok         bool
	}{
		{backend.ModeLive, "", StripeAPIBase, true},
		{backend.ModeLive, "https://api.stripe.com/", StripeAPIBase, true},
		{backend.ModeLive, "https://api.stripe.com:443", StripeAPIBase, true},
		{backend.ModeLive, "http://api.stripe.com", "", false},
		{backend.ModeLive, "https://api.stripe.com/v1/evil", "", false},
		{backend.ModeLive, "https://api.stripe.com@evil.test", "", false},
		{backend.ModeLive, "http://127.0.0.1:12111", "", false},
		{backend.ModeTest, "http://127.0.0.1:12111/", "http://127.0.0.1:12111", true},
		{backend.ModeTest, "http://localhost:12111", "http://localhost:12111", true},
		{backend.ModeTest, "http://[::1]:12111", "http://[::1]:12111", true},
		{backend.ModeTest, "https://stripe-proxy.example.com/api", "https://stripe-proxy.example.com/api", true},
		{backend.ModeTest, "http://10.0.0.1", "", false},
		{backend.ModeTest, "127.0.0.1:12111", "", false},
		{backend.ModeTest, "https://user:pw@host", "", false},
		{backend.ModeTest, "https://host/?q=1", "", false},
	}
	for _, c := range cases {
		got, err := CheckAPIBase(c.mode, c.base)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("CheckAPIBase(%s, %q) = %q, %v", c.mode, c.base, got, err)
		}
		if err != nil && code(err) != backend.EINVALID {
			t.Errorf("CheckAPIBase(%q) code %s", c.base, code(err))
		}
	}
}

// TestCanaryVault pushes a unique key through every path, including a
// verifier that echoes the key in its errors, and greps everything.
func TestCanaryVault(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	canary := "sk_test_CANARY" + strings.Repeat("Q", 20) + "9z7x"
	canary2 := "sk_test_CANARY" + strings.Repeat("R", 20) + "8y6w"
	e.ver.answers[canary] = Verified{AccountID: "acct_1Canary", Name: "Canary"}
	e.ver.answers[canary2] = Verified{AccountID: "acct_1Canary", Name: "Canary"}
	var outputs []any
	record := func(v any, err error) {
		outputs = append(outputs, v)
		if err != nil {
			outputs = append(outputs, err.Error(), backend.ErrorMessage(err), err)
		}
	}
	e.ver.errs[canary] = &backend.Error{Code: backend.EUNAUTHORIZED, Message: "Invalid API Key provided: " + canary}
	record(e.v.Add(ctx, canary, AddOptions{}))
	e.ver.errs[canary] = errors.New("verifier echo " + canary)
	record(e.v.Add(ctx, canary, AddOptions{}))
	delete(e.ver.errs, canary)
	e.mem.setErr = errors.New("provider echo " + canary)
	record(e.v.Add(ctx, canary, AddOptions{}))
	e.mem.setErr = nil
	record(e.v.Add(ctx, canary, AddOptions{}))
	record(e.v.Add(ctx, canary, AddOptions{})) // conflict
	record(e.v.Verify(ctx, "acct_1Canary:test"))
	e.ver.errs[canary] = &backend.Error{Code: backend.EUNAVAILABLE, Message: "connection to api failed with key " + canary, RequestID: "req_" + canary}
	record(e.v.Verify(ctx, "acct_1Canary:test"))
	e.ver.errs[canary2] = errors.New("stripe: bad key " + canary2)
	record(e.v.Rotate(ctx, "acct_1Canary:test", canary2))
	delete(e.ver.errs, canary2)
	record(e.v.Rotate(ctx, "acct_1Canary:test", canary2))
	record(e.v.Add(ctx, " "+canary, AddOptions{}))
	record(e.v.Add(ctx, canary+"!", AddOptions{}))
	e.mem.setErr = errors.New("provider echo " + canary)
	record(e.v.Rotate(ctx, "acct_1Canary:test", canary))
	e.mem.setErr = nil
	record(e.v.Key(ctx, "acct_1Canary:test"))
	record(e.v.List(ctx))
	e.vars["BILLFOLD_API_KEY"] = canary + "\n"
	record(e.v.Key(ctx, ""))

	for _, secret := range []string{canary, canary2} {
		for i, o := range outputs {
			b, _ := json.Marshal(o)
			for _, s := range []string{string(b), sprint(o)} {
				if strings.Contains(s, secret) {
					t.Errorf("output %d reveals the key: %s", i, s)
				}
			}
		}
		filepath.Walk(e.home, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				b, _ := os.ReadFile(p)
				if strings.Contains(string(b), secret) {
					t.Errorf("%s contains the key", p)
				}
			}
			return nil
		})
	}
	b, _ := os.ReadFile(filepath.Join(e.home, "accounts.json"))
	if !strings.Contains(string(b), "sk_test_…8y6w") {
		t.Errorf("registry lacks the masked key: %s", b)
	}
}
