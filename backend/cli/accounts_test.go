package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"

	"billfold/backend"
	"billfold/backend/store"
	"billfold/backend/vault"
)

// stubVerifier plays Stripe for `accounts`: keys containing "revoked" get a
// 401; rk_ keys read customers only; the account id comes from the key.
type stubVerifier struct {
	mu    sync.Mutex
	calls int
	fail  error
}

func (s *stubVerifier) Verify(ctx context.Context, key backend.APIKey, base string) (vault.Verified, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		return vault.Verified{}, s.fail
	}
	if strings.Contains(key.Reveal(), "revoked") {
		return vault.Verified{}, &backend.Error{Code: backend.EUNAUTHORIZED, Message: "Invalid API Key provided", RequestID: "req_1"}
	}
	acct := "acct_1Acme"
	if strings.Contains(key.Reveal(), "Other") {
		acct = "acct_1Other"
	}
	v := vault.Verified{AccountID: acct, Name: "Acme\nInc", DefaultCurrency: "usd"}
	if key.Restricted() {
		v.Permissions = map[string]vault.Access{"customers": vault.AccessRead}
	}
	return v, nil
}

type accountsHarness struct {
	t          *testing.T
	home       string
	ver        *stubVerifier
	override   vault.Verifier // used instead of ver when set
	noVerifier bool           // Env.Verifier left nil, as before main wires it
	vars       map[string]string
	out        []string // every stdout and stderr
}

func newAccounts(t *testing.T) *accountsHarness {
	keyring.MockInit()
	t.Cleanup(keyring.MockInit)
	h := &accountsHarness{t: t, home: t.TempDir(), ver: &stubVerifier{}}
	// A bus address is set so the session-bus precheck passes; go-keyring's
	// mock answers, so D-Bus is never contacted.
	h.vars = map[string]string{"BILLFOLD_HOME": h.home, "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/billfold-test-bus"}
	return h
}

func (h *accountsHarness) run(stdin string, args ...string) (int, string, string) {
	h.t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv:   func(k string) string { return h.vars[k] },
		Verifier: func() vault.Verifier { return h.ver }}
	if h.override != nil {
		env.Verifier = func() vault.Verifier { return h.override }
	}
	if h.noVerifier {
		env.Verifier = nil
	}
	code := Run(context.Background(), args, env)
	h.out = append(h.out, out.String(), errb.String())
	return code, out.String(), errb.String()
}

const (
	cliKey   = "sk_test_51AcmeAAAAAAAAAAAAAAAAAAAAAAAAAAAA1111"
	cliKey2  = "sk_test_51AcmeBBBBBBBBBBBBBBBBBBBBBBBBBBBB2222"
	cliOther = "sk_test_51OtherCCCCCCCCCCCCCCCCCCCCCCCCCCC3333"
)

func TestAccountsFlow(t *testing.T) {
	h := newAccounts(t)
	code, out, _ := h.run("", "accounts", "list")
	if code != 0 || !strings.Contains(out, "No accounts yet") {
		t.Fatalf("list empty: %d %q", code, out)
	}
	code, out, _ = h.run("", "accounts", "list", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("list --json empty: %d %q", code, out)
	}
	// `echo KEY | billfold accounts add`: the trailing newline is the line's end.
	code, out, errOut := h.run(cliKey+"\n", "accounts", "add", "--api-base", "http://127.0.0.1:12111")
	if code != 0 || !strings.Contains(out, `added acct_1Acme:test "Acme Inc (test)"`) || !strings.Contains(out, "sk_test_…1111") {
		t.Fatalf("add: %d %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "read-only restricted key") {
		t.Errorf("no restricted-key tip: %q", errOut)
	}
	if got, _ := keyring.Get("Billfold", "acct_1Acme:test"); got != cliKey {
		t.Fatalf("keyring holds %q", got)
	}
	code, out, _ = h.run("", "accounts", "list", "--json")
	var list []vault.Account
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].APIBase != "http://127.0.0.1:12111" || list[0].KeyMasked != "sk_test_…1111" {
		t.Fatalf("list --json: %d %q", code, out)
	}
	code, out, _ = h.run("", "accounts", "list")
	if code != 0 || !strings.Contains(out, "acct_1Acme:test") || !strings.Contains(out, "Acme Inc") || strings.Count(out, "\n") != 2 {
		t.Fatalf("list: %d %q", code, out)
	}
	// An rk_ key with partial read access: added, with a warning naming what is missing.
	code, out, errOut = h.run("rk_test_51OtherDDDDDDDDDDDDDDDDDDDDDDDD4444", "accounts", "add", "--label", "Other", "--json")
	var a vault.Account
	if code != 0 || json.Unmarshal([]byte(out), &a) != nil || a.Label != "Other" || !a.Restricted || !strings.Contains(errOut, "cannot read charges, coupons, events") {
		t.Fatalf("add rk: %d %q %q", code, out, errOut)
	}
	code, out, _ = h.run("", "accounts", "rename", "acct_1Acme", "Main")
	if code != 0 || !strings.Contains(out, `renamed acct_1Acme:test to "Main"`) {
		t.Fatalf("rename: %d %q", code, out)
	}
	code, out, _ = h.run("", "accounts", "verify", "Main")
	if code != 0 || !strings.Contains(out, "verified acct_1Acme:test") {
		t.Fatalf("verify: %d %q", code, out)
	}
	code, out, _ = h.run(cliKey2, "accounts", "rotate", "Main")
	if code != 0 || !strings.Contains(out, "sk_test_…2222") {
		t.Fatalf("rotate: %d %q", code, out)
	}
	if got, _ := keyring.Get("Billfold", "acct_1Acme:test"); got != cliKey2 {
		t.Fatalf("keyring after rotate holds %q", got)
	}
	// A key of another account cannot replace this one.
	code, _, errOut = h.run(cliOther, "accounts", "rotate", "Main")
	if code != ExitUsage || !strings.Contains(errOut, "belongs to Stripe account acct_1Other") {
		t.Fatalf("rotate other: %d %q", code, errOut)
	}
	// The cache path is the one the store and `billfold sync` use.
	data, err := store.Path(h.home, "acct_1Acme", backend.ModeTest)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(data), 0o700)
	os.WriteFile(data, []byte("x"), 0o600)
	code, out, _ = h.run("", "accounts", "remove", "Main")
	if code != 0 || !strings.Contains(out, "kept its local data "+data) {
		t.Fatalf("remove: %d %q", code, out)
	}
	if _, err := os.Stat(data); err != nil {
		t.Fatal("remove without --delete-data deleted data")
	}
	if _, err := keyring.Get("Billfold", "acct_1Acme:test"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("key still in keyring: %v", err)
	}
	other, _ := store.Path(h.home, "acct_1Other", backend.ModeTest)
	os.MkdirAll(filepath.Dir(other), 0o700)
	os.WriteFile(other, []byte("x"), 0o600)
	os.WriteFile(other+"-wal", []byte("x"), 0o600)
	code, out, _ = h.run("", "accounts", "remove", "--delete-data", "acct_1Other:test")
	if code != 0 || !strings.Contains(out, "deleted its local data "+other) {
		t.Fatalf("remove --delete-data: %d %q", code, out)
	}
	for _, p := range []string{other, other + "-wal"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there", p)
		}
	}
	code, _, errOut = h.run("", "accounts", "remove", "acct_1Other:test")
	if code != ExitProblem || !strings.Contains(errOut, `no account "acct_1Other:test"`) {
		t.Fatalf("remove twice: %d %q", code, errOut)
	}
}

func TestAccountsBadInput(t *testing.T) {
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		msg   string
		setup func(h *accountsHarness)
	}{
		{name: "key as argument", args: []string{"accounts", "add", cliKey}, code: ExitUsage, msg: "never pass an API key as an argument"},
		{name: "key as argument after flags", args: []string{"accounts", "add", "--label", "x", "rk_live_abc"}, code: ExitUsage, msg: "never pass an API key"},
		{name: "key as subcommand", args: []string{"accounts", cliKey}, code: ExitUsage, msg: "never pass an API key"},
		{name: "key as rotate argument", stdin: cliKey, args: []string{"accounts", "rotate", "acct_1Acme:test", cliKey}, code: ExitUsage, msg: "never pass an API key"},
		{name: "other argument", args: []string{"accounts", "add", "hello"}, code: ExitUsage, msg: "takes no arguments"},
		{name: "empty stdin", args: []string{"accounts", "add"}, code: ExitUsage, msg: "the API key is empty"},
		{name: "only newline", stdin: "\n", args: []string{"accounts", "add"}, code: ExitUsage, msg: "the API key is empty"},
		{name: "spaces", stdin: "  " + cliKey + "  \n", args: []string{"accounts", "add"}, code: ExitUsage, msg: "spaces or line breaks"},
		{name: "two lines", stdin: cliKey + "\n" + cliKey2 + "\n", args: []string{"accounts", "add"}, code: ExitUsage, msg: "more than one line"},
		{name: "huge stdin", stdin: strings.Repeat("a", 5000), args: []string{"accounts", "add"}, code: ExitUsage, msg: "longer than 4096 bytes"},
		{name: "publishable", stdin: "pk_test_51AcmeAAAAAAAAAAAAAAAAAAAAA", args: []string{"accounts", "add"}, code: ExitUsage, msg: "publishable"},
		{name: "wrong prefix", stdin: "sk_prod_51AcmeAAAAAAAAAAAAAAAAAAAAA", args: []string{"accounts", "add"}, code: ExitUsage, msg: "does not look like a Stripe API key"},
		{name: "truncated", stdin: "sk_test_51Acme", args: []string{"accounts", "add"}, code: ExitUsage, msg: "truncated"},
		{name: "revoked", stdin: "sk_test_51revokedAAAAAAAAAAAAAAAAAAAA", args: []string{"accounts", "add"}, code: ExitUsage, msg: "Stripe rejected the key sk_test_…AAAA (401)"},
		{name: "live key to sandbox", stdin: "sk_live_51AcmeAAAAAAAAAAAAAAAAAAAAAAAA", args: []string{"accounts", "add", "--api-base", "http://127.0.0.1:12111"}, code: ExitUsage, msg: "only ever sent to Stripe"},
		{name: "live key to BILLFOLD_API_BASE", stdin: "sk_live_51AcmeAAAAAAAAAAAAAAAAAAAAAAAA", args: []string{"accounts", "add"}, code: ExitUsage, msg: "only ever sent to Stripe",
			setup: func(h *accountsHarness) { h.vars["BILLFOLD_API_BASE"] = "http://127.0.0.1:12111" }},
		{name: "restricted without read", stdin: "rk_test_51AcmeAAAAAAAAAAAAAAAAAAAAAAAA", args: []string{"accounts", "add"}, code: ExitUsage, msg: "cannot read any billing data",
			setup: func(h *accountsHarness) { h.override = noReadVerifier{} }},
		{name: "no secret service", stdin: cliKey, args: []string{"accounts", "add"}, code: ExitProblem, msg: "no Secret Service is running",
			setup: func(h *accountsHarness) { delete(h.vars, "DBUS_SESSION_BUS_ADDRESS") }},
		{name: "keyring locked", stdin: cliKey, args: []string{"accounts", "add"}, code: ExitProblem, msg: "locked",
			setup: func(h *accountsHarness) {
				keyring.MockInitWithError(errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"))
			}},
		{name: "not wired", stdin: cliKey, args: []string{"accounts", "add"}, code: ExitProblem, msg: "no Stripe verifier is configured",
			setup: func(h *accountsHarness) { h.noVerifier = true }},
		{name: "unknown subcommand", args: []string{"accounts", "frobnicate"}, code: ExitUsage, msg: `unknown subcommand "frobnicate"`},
		{name: "no subcommand", args: []string{"accounts"}, code: ExitUsage, msg: "missing subcommand"},
		{name: "verify unknown", args: []string{"accounts", "verify", "acct_nope:test"}, code: ExitProblem, msg: "no account"},
		{name: "rename missing label", args: []string{"accounts", "rename", "acct_1Acme:test"}, code: ExitUsage, msg: "expected an account and a label"},
		{name: "bad flag", args: []string{"accounts", "list", "--bogus"}, code: ExitUsage, msg: "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newAccounts(t)
			if c.setup != nil {
				c.setup(h)
			}
			code, out, errOut := h.run(c.stdin, c.args...)
			if code != c.code || !strings.Contains(errOut, c.msg) {
				t.Fatalf("exit %d, stderr %q; want %d containing %q", code, errOut, c.code, c.msg)
			}
			if strings.Count(strings.TrimRight(errOut, "\n"), "\n") != 0 {
				t.Errorf("error is not one line: %q", errOut)
			}
			for _, k := range []string{cliKey, cliKey2, "sk_live_51AcmeAAAAAAAAAAAAAAAAAAAAAAAA", "rk_test_51AcmeAAAAAAAAAAAAAAAAAAAAAAAA"} {
				if strings.Contains(out+errOut, k) {
					t.Errorf("output reveals the key %s", k)
				}
			}
			keyring.MockInit()
			if _, err := keyring.Get("Billfold", "acct_1Acme:test"); !errors.Is(err, keyring.ErrNotFound) {
				t.Errorf("a key was stored")
			}
			if b, err := os.ReadFile(filepath.Join(h.home, "accounts.json")); err == nil && strings.Contains(string(b), "acct_") {
				t.Errorf("an account was registered: %s", b)
			}
		})
	}
}

type noReadVerifier struct{}

func (noReadVerifier) Verify(ctx context.Context, key backend.APIKey, base string) (vault.Verified, error) {
	return vault.Verified{AccountID: "acct_1Acme", Permissions: map[string]vault.Access{"customers": vault.AccessNone}}, nil
}

// TestAccountsCanary runs a unique key through add, verify, rotate and the
// error paths, then greps every file under BILLFOLD_HOME and all output: only
// the masked form may appear.
func TestAccountsCanary(t *testing.T) {
	h := newAccounts(t)
	canary := "sk_test_CANARYacme" + strings.Repeat("K", 24) + "Zq81"
	canary2 := "sk_test_CANARYacme" + strings.Repeat("J", 24) + "Yp72"
	steps := []struct {
		stdin string
		args  []string
	}{
		{canary + "\n", []string{"accounts", "add", "--json"}},
		{canary, []string{"accounts", "add"}},                    // conflict
		{canary, []string{"accounts", "add", "--label", canary}}, // key as label
		{"", []string{"accounts", "add", canary}},                // key as argument
		{" " + canary, []string{"accounts", "add"}},
		{canary + "\n" + canary, []string{"accounts", "add"}},
		{"", []string{"accounts", "verify", "acct_1Acme:test", "--json"}},
		{"", []string{"accounts", "list", "--json"}},
		{"", []string{"accounts", "list"}},
		{canary2, []string{"accounts", "rotate", "acct_1Acme:test", "--json"}},
		{canary, []string{"accounts", "rotate", "acct_1Acme:test", canary}},
		{"", []string{"accounts", "rename", "acct_1Acme:test", canary2}},
	}
	for _, s := range steps {
		h.run(s.stdin, s.args...)
	}
	h.ver.fail = errors.New("stripe said: bad key " + canary2)
	h.run("", "accounts", "verify", "acct_1Acme:test")
	h.ver.fail = &backend.Error{Code: backend.EUNAUTHORIZED, Message: "Invalid API Key provided: " + canary2, RequestID: "req_x"}
	h.run("", "accounts", "verify", "acct_1Acme:test")
	h.ver.fail = nil
	keyring.MockInitWithError(errors.New("keyring echo " + canary2))
	h.run(canary2, "accounts", "rotate", "acct_1Acme:test")
	keyring.MockInit()
	keyring.Set("Billfold", "acct_1Acme:test", canary2)
	h.run("", "accounts", "remove", "acct_1Acme:test")

	all := strings.Join(h.out, "\n")
	if !strings.Contains(all, "sk_test_…Yp72") {
		t.Errorf("the masked key never appears; output:\n%s", all)
	}
	for _, secret := range []string{canary, canary2} {
		if n := strings.Count(all, secret); n != 0 {
			t.Errorf("output holds the key %d times:\n%s", n, all)
		}
		files := 0
		filepath.Walk(h.home, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return nil
			}
			files++
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds the key", p)
			}
			return nil
		})
		if files == 0 {
			t.Fatal("no files written under BILLFOLD_HOME")
		}
	}
}
