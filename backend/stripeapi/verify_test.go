package stripeapi

import (
	"context"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"billfold/backend"
	"billfold/backend/sandbox"
)

// sandboxServer serves a small generated business; restricted lists the
// sandbox's registered restricted keys and their grants.
func sandboxServer(t *testing.T, restricted map[string][]string) (*httptest.Server, *sandbox.Server) {
	t.Helper()
	d, err := sandbox.Generate(sandbox.GenOptions{Seed: 7, Customers: 20})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.NewServer(d, sandbox.Options{RestrictedKeys: restricted})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return srv, sb
}

func inspect(t *testing.T, base, key string) (KeyInfo, error) {
	t.Helper()
	c := newClient(t, base, func(o *Options) { o.Key = mustKey(t, key); o.Now = time.Now })
	return c.Inspect(context.Background())
}

func TestInspectAgainstSandbox(t *testing.T) {
	const (
		readOnly  = "rk_test_readonlyabcdefgh"
		customers = "rk_test_customersonly123"
		writer    = "rk_test_writer1234567890"
		noAccount = "rk_test_noaccount1234567"
	)
	all := func(lvl string) []string {
		var g []string
		for _, r := range ProbedResources {
			g = append(g, r+":"+lvl)
		}
		return g
	}
	srv, _ := sandboxServer(t, map[string][]string{
		readOnly:  append(all("read"), "account:read"),
		customers: {"customers:read", "account:read"},
		writer:    append(append(all("read"), "account:read"), "customers:write", "refunds:write"),
		noAccount: all("read"),
	})
	perms := func(def string, over map[string]string) map[string]string {
		m := map[string]string{}
		for _, r := range ProbedResources {
			m[r] = def
		}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name, key string
		perms     map[string]string
		fallback  bool
	}{
		{"secret key: full access, no probes", "sk_test_secretabcdefgh12", nil, false},
		{"read-only restricted key", readOnly, perms("read", nil), false},
		{"restricted to customers", customers, perms("none", map[string]string{"customers": "read"}), false},
		{"write on customers and refunds", writer, perms("read", map[string]string{"customers": "write", "refunds": "write"}), false},
		{"no access to the account", noAccount, perms("read", nil), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := inspect(t, srv.URL, tc.key)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode != backend.ModeTest {
				t.Errorf("mode %q", info.Mode)
			}
			if !reflect.DeepEqual(info.Permissions, tc.perms) {
				t.Errorf("permissions\n got %v\nwant %v", info.Permissions, tc.perms)
			}
			if info.Fallback != tc.fallback {
				t.Errorf("fallback %v, want %v", info.Fallback, tc.fallback)
			}
			if tc.fallback {
				// the same id the sync files the cache under
				c := newClient(t, srv.URL, func(o *Options) { o.Key = mustKey(t, tc.key) })
				id, _, fb, err := c.AccountID(context.Background())
				if err != nil || !fb || id != info.AccountID || info.Name != "" || info.DefaultCurrency != "" {
					t.Errorf("fallback id %q (%v, %v), inspect %+v", id, fb, err, info)
				}
				return
			}
			if info.AccountID != "acct_1SandboxBillfold" || info.Name != "Billfold Sandbox Co." || info.DefaultCurrency != "usd" {
				t.Errorf("account %+v", info)
			}
		})
	}
}

func TestInspectWriteProbesChangeNothing(t *testing.T) {
	const writer = "rk_test_writeeverything1"
	srv, sb := sandboxServer(t, map[string][]string{writer: {"*:write"}})
	events := func() int {
		d, err := sb.Data().Unpacked()
		if err != nil {
			t.Fatal(err)
		}
		return len(d.Events)
	}
	before := events()
	info, err := inspect(t, srv.URL, writer)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"customers", "subscriptions", "refunds"} {
		if info.Permissions[r] != "write" {
			t.Errorf("%s: %q, want write", r, info.Permissions[r])
		}
	}
	if info.Permissions["invoices"] != "read" {
		t.Errorf("invoices: %q (no write probe), want read", info.Permissions["invoices"])
	}
	if after := events(); after != before {
		t.Errorf("the probes created %d events", after-before)
	}
}

func TestInspectErrors(t *testing.T) {
	srv, _ := sandboxServer(t, map[string][]string{"rk_test_nothingatall123": {"balance:read"}})
	_, err := inspect(t, srv.URL, "sk_test_revokedabcdef1234")
	if backend.ErrorCode(err) != backend.EUNAUTHORIZED {
		t.Fatalf("revoked key: %v (%s)", err, backend.ErrorCode(err))
	}
	var be *backend.Error
	if !errors.As(err, &be) || be.RequestID == "" {
		t.Errorf("no request id in %#v", err)
	}
	if strings.Contains(err.Error(), "sk_test_revokedabcdef1234") {
		t.Errorf("the key leaked: %v", err)
	}
	// a restricted key that may read nothing at all: every probe is 403, no error
	info, err := inspect(t, srv.URL, "rk_test_nothingatall123")
	if err != nil {
		t.Fatal(err)
	}
	if got := MissingRead(info.Permissions); len(got) != len(ProbedResources) {
		t.Errorf("missing read %v", got)
	}
	// nothing listens
	dead := httptest.NewServer(nil)
	dead.Close()
	_, err = inspect(t, dead.URL, "sk_test_abcdefghijklmnop")
	if backend.ErrorCode(err) != backend.EUNAVAILABLE {
		t.Errorf("no server: %v (%s)", err, backend.ErrorCode(err))
	}
}

func TestTemplAndMissingRead(t *testing.T) {
	if got := templ("/v1/customers/cus_x"); got != "/v1/customers/{id}" {
		t.Error(got)
	}
	if got := templ("/v1/refunds"); got != "/v1/refunds" {
		t.Error(got)
	}
	if MissingRead(nil) != nil {
		t.Error("nil permissions mean full access")
	}
	got := MissingRead(map[string]string{"customers": "write", "events": "read"})
	if strings.Join(got, ",") != "charges,coupons,invoices,prices,products,refunds,subscriptions" {
		t.Error(got)
	}
}
