package cli

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"billfold/backend/sandbox"
	"billfold/backend/vault"
)

// TestAccountsAddWithStripeVerifier adds keys checked by the real verifier
// against the sandbox: an sk_ key (full access), a read-only restricted key
// (permissions probed) and a revoked key (401, nothing stored).
func TestAccountsAddWithStripeVerifier(t *testing.T) {
	d, err := sandbox.Generate(sandbox.GenOptions{Seed: 3, Customers: 10})
	if err != nil {
		t.Fatal(err)
	}
	const ro = "rk_test_readonlyverifier01"
	var grants []string
	for _, r := range vault.Resources() {
		grants = append(grants, r+":read")
	}
	sb, err := sandbox.NewServer(d, sandbox.Options{RestrictedKeys: map[string][]string{ro: append(grants, "account:read")}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	h := newAccounts(t)
	h.override = StripeVerifier()

	code, out, errs := h.run(ro+"\n", "accounts", "add", "--api-base", srv.URL, "--json")
	if code != 0 {
		t.Fatalf("add: %d %s", code, errs)
	}
	var a vault.Account
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err, out)
	}
	if a.ID != "acct_1SandboxBillfold:test" || a.Name != "Billfold Sandbox Co." || a.DefaultCurrency != "usd" || !a.Restricted {
		t.Errorf("account %+v", a)
	}
	for _, r := range vault.Resources() {
		if a.Permissions[r] != vault.AccessRead {
			t.Errorf("%s: %q, want read", r, a.Permissions[r])
		}
	}
	// the same Stripe account with an sk_ key: rotate keeps the id, permissions become full
	code, out, errs = h.run("sk_test_fullaccess123456789\n", "accounts", "rotate", a.ID, "--json")
	if code != 0 {
		t.Fatalf("rotate: %d %s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil || a.Permissions["refunds"] != vault.AccessWrite {
		t.Errorf("after rotate %+v (%v)", a, err)
	}
	code, _, errs = h.run("sk_test_revokedkey123456789\n", "accounts", "add", "--api-base", srv.URL)
	if code != ExitUsage || !strings.Contains(errs, "401") {
		t.Errorf("revoked: %d %s", code, errs)
	}
	for _, o := range h.out {
		if strings.Contains(o, "sk_test_fullaccess123456789") || strings.Contains(o, ro) {
			t.Errorf("a key leaked: %s", o)
		}
	}
}
