package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"billfold/backend/sandbox"
)

type syncHarness struct {
	t    *testing.T
	vars map[string]string
	srv  *sandbox.Server
	url  string
}

func newSyncHarness(t *testing.T) *syncHarness {
	data, err := sandbox.Generate(sandbox.GenOptions{Seed: 3, Customers: 60})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.NewServer(data, sandbox.Options{RestrictedKeys: map[string][]string{
		"rk_test_noinvoices0000000001": {"customers:read", "products:read", "prices:read", "coupons:read", "subscriptions:read", "charges:read", "refunds:read", "events:read"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &syncHarness{t: t, srv: srv, url: hs.URL, vars: map[string]string{
		"BILLFOLD_HOME":     t.TempDir(),
		"BILLFOLD_API_KEY":  "sk_test_billfoldcli00000000001",
		"BILLFOLD_API_BASE": hs.URL,
	}}
}

func (h *syncHarness) run(args ...string) (int, string, string) {
	h.t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return h.vars[k] }}
	code := Run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func TestSyncAndVerifyCommands(t *testing.T) {
	h := newSyncHarness(t)
	code, out, errs := h.run("sync", "--json")
	if code != 0 {
		t.Fatalf("sync: %d %s %s", code, out, errs)
	}
	var got struct {
		Account    string           `json:"account"`
		Mode       string           `json:"mode"`
		Objects    map[string]int64 `json:"objects"`
		Requests   int64            `json:"requests"`
		Retries    *int64           `json:"retries"`
		DurationMS *int64           `json:"duration_ms"`
		DB         string           `json:"db"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("sync --json printed %q: %v", out, err)
	}
	if !strings.HasPrefix(got.Account, "acct_") || got.Mode != "full" || got.Objects["customers"] < 50 || got.Objects["invoices"] == 0 ||
		got.Requests == 0 || got.Retries == nil || got.DurationMS == nil {
		t.Fatalf("sync --json: %s", out)
	}
	want := filepath.Join(h.vars["BILLFOLD_HOME"], "accounts", got.Account, "test.db")
	if got.DB != want {
		t.Fatalf("db %s, want %s", got.DB, want)
	}
	if fi, err := os.Stat(want); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v", fi, err)
	}
	// second run: incremental
	code, out, _ = h.run("sync", "--json")
	if code != 0 || !strings.Contains(out, `"mode": "incremental"`) {
		t.Fatalf("second sync: %d %s", code, out)
	}
	code, out, errs = h.run("verify")
	if code != 0 || !strings.Contains(out, "the cache matches Stripe") {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}
	// Stripe changes behind the cache's back: drift, named
	cust := h.srv.Data().Customers[0].ID
	req, _ := http.NewRequest("POST", h.url+"/v1/customers/"+cust, strings.NewReader(url.Values{"name": {"Changed Behind"}}.Encode()))
	req.Header.Set("Authorization", "Bearer "+h.vars["BILLFOLD_API_KEY"])
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("write: %v %v", resp, err)
	}
	resp.Body.Close()
	code, out, errs = h.run("verify")
	if code != ExitProblem || !strings.Contains(out, "drift: customers") || !strings.Contains(out, "different: "+cust) || !strings.Contains(errs, "verify --repair") {
		t.Fatalf("verify with drift: %d %s %s", code, out, errs)
	}
	code, out, _ = h.run("verify", "--json")
	var vj struct {
		OK    bool `json:"ok"`
		Drift []struct {
			Type      string   `json:"type"`
			Different []string `json:"different"`
		} `json:"drift"`
	}
	if code != ExitProblem || json.Unmarshal([]byte(out), &vj) != nil || vj.OK || len(vj.Drift) != 1 || vj.Drift[0].Different[0] != cust {
		t.Fatalf("verify --json with drift: %d %s", code, out)
	}
	code, out, errs = h.run("sync", "--repair")
	if code != 0 || !strings.Contains(out, "repaired") {
		t.Fatalf("sync --repair: %d %s %s", code, out, errs)
	}
	if code, out, _ = h.run("verify", "--json"); code != 0 || !strings.Contains(out, `"ok": true`) {
		t.Fatalf("verify after repair: %d %s", code, out)
	}
	// --db puts the cache where asked
	other := filepath.Join(t.TempDir(), "other.db")
	if code, _, errs = h.run("sync", "--db", other); code != 0 {
		t.Fatalf("sync --db: %s", errs)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatal(err)
	}
}

func TestSyncBadInput(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		args []string
		code int
		want string
	}{
		{"no key", map[string]string{"BILLFOLD_API_KEY": ""}, nil, ExitUsage, "no Stripe key: set BILLFOLD_API_KEY"},
		{"bad key", map[string]string{"BILLFOLD_API_KEY": "pk_test_abc"}, nil, ExitUsage, "publishable key"},
		{"revoked", map[string]string{"BILLFOLD_API_KEY": "sk_test_revoked000000000000001"}, nil, ExitUsage, "revoked"},
		{"restricted", map[string]string{"BILLFOLD_API_KEY": "rk_test_noinvoices0000000001"}, nil, ExitUsage, "may not read invoices: give it read access to invoices"},
		{"live key elsewhere", map[string]string{"BILLFOLD_API_KEY": "sk_live_abcdefghijklmnop0001"}, nil, ExitUsage, "refusing to send a live key"},
		{"bad base", map[string]string{"BILLFOLD_API_BASE": ""}, []string{"--api-base", "ftp://x"}, ExitUsage, "not a URL"},
		{"extra arg", nil, []string{"now"}, ExitUsage, "unexpected argument"},
		{"bad flag", nil, []string{"--bogus"}, ExitUsage, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newSyncHarness(t)
			for k, v := range tc.vars {
				h.vars[k] = v
			}
			key := h.vars["BILLFOLD_API_KEY"]
			code, out, errs := h.run(append([]string{"sync"}, tc.args...)...)
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			last := lines[len(lines)-1]
			if code != tc.code || !strings.HasPrefix(last, "billfold sync: ") || !strings.Contains(last, tc.want) {
				t.Fatalf("code %d stdout %q stderr %q", code, out, errs)
			}
			if len(key) > 12 && strings.Contains(errs+out, key) {
				t.Fatalf("the key leaked: %s", errs)
			}
			// nothing was written for a refused key
			if tc.code == ExitUsage {
				if _, err := os.Stat(filepath.Join(h.vars["BILLFOLD_HOME"], "accounts")); err == nil {
					t.Fatal("a cache was created")
				}
			}
		})
	}
}
