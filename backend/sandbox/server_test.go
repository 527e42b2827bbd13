package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const testKey = "sk_test_billfold123456"

var fixedNow = time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC)

func genData(t testing.TB, customers int) *Data {
	t.Helper()
	d, err := Generate(GenOptions{Seed: 7, Customers: customers})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// unpacked parses d's packed collections (Generate packs them).
func unpacked(t testing.TB, d *Data) *Data {
	t.Helper()
	u, err := d.Unpacked()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newTestServer(t testing.TB, d *Data, opt Options) *Server {
	t.Helper()
	if opt.Now == nil {
		opt.Now = func() time.Time { return fixedNow }
	}
	s, err := NewServer(d, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("bad json %q: %v", r.body, err)
	}
	return m
}

func do(t testing.TB, h http.Handler, method, path string, form url.Values, hdr map[string]string) result {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return result{rec.Code, rec.Header(), bytes.Clone(rec.Body.Bytes())}
}

func ids(t testing.TB, m map[string]any) []string {
	var out []string
	for _, x := range m["data"].([]any) {
		out = append(out, x.(map[string]any)["id"].(string))
	}
	return out
}

func TestSmoke(t *testing.T) {
	d := genData(t, 50)
	ud := unpacked(t, d)
	s := newTestServer(t, d, Options{})
	for _, p := range []string{"/v1/customers", "/v1/subscriptions?status=all", "/v1/invoices", "/v1/charges", "/v1/refunds", "/v1/events", "/v1/prices", "/v1/products", "/v1/coupons", "/v1/account", "/v1/balance"} {
		r := do(t, s, "GET", p, nil, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
	}
	t.Logf("customers=%d subs=%d invoices=%d charges=%d refunds=%d events=%d", len(d.Customers), len(d.Subscriptions), len(ud.Invoices), len(ud.Charges), len(ud.Refunds), len(ud.Events))
}
