package stripeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"billfold/backend"
)

const testKey = "sk_test_abcdefghijklmnop1234"

func mustKey(t *testing.T, s string) backend.APIKey {
	t.Helper()
	k, err := backend.ParseAPIKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// stub is an HTTP stub that fails the test when a step goes unused.
type stub struct {
	t     *testing.T
	mu    sync.Mutex
	steps []func(w http.ResponseWriter, r *http.Request)
	n     int
	reqs  []*http.Request
}

func newStub(t *testing.T, steps ...func(w http.ResponseWriter, r *http.Request)) (*stub, *httptest.Server) {
	s := &stub{t: t, steps: steps}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.n < len(s.steps) {
			t.Errorf("stub: %d of %d steps unused", len(s.steps)-s.n, len(s.steps))
		}
	})
	return s, srv
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.n >= len(s.steps) {
		s.mu.Unlock()
		s.t.Errorf("stub: unexpected request %s %s", r.Method, r.URL)
		w.WriteHeader(599)
		return
	}
	f := s.steps[s.n]
	s.n++
	s.reqs = append(s.reqs, r)
	s.mu.Unlock()
	w.Header().Set("Request-Id", fmt.Sprintf("req_%d", s.n))
	f(w, r)
}

func jsonStep(status int, body string, hdr ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func newClient(t *testing.T, base string, mod func(*Options)) *Client {
	t.Helper()
	o := Options{Key: mustKey(t, testKey), BaseURL: base, Limits: Limits{Unlimited: true},
		BackoffBase: time.Millisecond, BackoffCap: 5 * time.Millisecond, RetryAfterCap: 10 * time.Millisecond,
		Now: func() time.Time { return time.Unix(1700000000, 0) }}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const custPage = `{"object":"list","url":"/v1/customers","has_more":true,"data":[
 {"id":"cus_2","object":"customer","created":1600000002,"name":"B \"quoted\"","metadata":{"k":"v"},"unknown_field":[1,2,{"x":null}]},
 {"id":"cus_1","object":"customer","created":1600000001,"name":"A"}]}`

func TestListPageKeepsRawJSONAndSendsFilters(t *testing.T) {
	s, srv := newStub(t, jsonStep(200, custPage))
	c := newClient(t, srv.URL, nil)
	p, err := c.ListPage(context.Background(), backend.TypeCustomers, 1500000000, 1600000005, "cus_9", 100)
	if err != nil {
		t.Fatal(err)
	}
	q := s.reqs[0].URL.Query()
	if s.reqs[0].URL.Path != "/v1/customers" || q.Get("created[gte]") != "1500000000" || q.Get("created[lt]") != "1600000005" ||
		q.Get("starting_after") != "cus_9" || q.Get("limit") != "100" {
		t.Fatalf("request %s", s.reqs[0].URL)
	}
	if s.reqs[0].Header.Get("Stripe-Version") != backend.StripeAPIVersion || s.reqs[0].Header.Get("Authorization") != "Bearer "+testKey {
		t.Fatalf("headers %v", s.reqs[0].Header)
	}
	if !p.HasMore || len(p.Objects) != 2 {
		t.Fatalf("page %+v", p)
	}
	o := p.Objects[0]
	if o.ID != "cus_2" || o.Created != 1600000002 || o.Type != backend.TypeCustomers || o.Stamp != 1700000000 {
		t.Fatalf("object %+v", o)
	}
	want := `{"id":"cus_2","object":"customer","created":1600000002,"name":"B \"quoted\"","metadata":{"k":"v"},"unknown_field":[1,2,{"x":null}]}`
	if string(o.Raw) != want {
		t.Fatalf("raw changed:\n%s\nwant\n%s", o.Raw, want)
	}
}

func TestSubscriptionsListAllStatuses(t *testing.T) {
	s, srv := newStub(t, jsonStep(200, `{"object":"list","has_more":false,"data":[]}`))
	c := newClient(t, srv.URL, nil)
	if _, err := c.ListPage(context.Background(), backend.TypeSubscriptions, 0, 10, "", 100); err != nil {
		t.Fatal(err)
	}
	if s.reqs[0].URL.Query().Get("status") != "all" {
		t.Fatalf("subscriptions listed without status=all: %s", s.reqs[0].URL)
	}
}

func lines(from, to int) string {
	var b []string
	for i := from; i < to; i++ {
		b = append(b, fmt.Sprintf(`{"id":"il_%02d","object":"line_item","amount":%d}`, i, i*100))
	}
	return strings.Join(b, ",")
}

func TestNestedListsCompleted(t *testing.T) {
	inv := `{"object":"list","has_more":false,"data":[{"id":"in_1","object":"invoice","created":5,"lines":{"object":"list","data":[` + lines(0, 10) +
		`],"has_more":true,"total_count":215,"url":"/v1/invoices/in_1/lines"},"total":1}]}`
	s, srv := newStub(t,
		jsonStep(200, inv),
		jsonStep(200, `{"object":"list","has_more":true,"data":[`+lines(10, 110)+`]}`),
		jsonStep(200, `{"object":"list","has_more":true,"data":[`+lines(110, 210)+`]}`),
		jsonStep(200, `{"object":"list","has_more":false,"data":[`+lines(210, 215)+`]}`),
	)
	c := newClient(t, srv.URL, nil)
	p, err := c.ListPage(context.Background(), backend.TypeInvoices, 0, 10, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.reqs[1].URL; got.Path != "/v1/invoices/in_1/lines" || got.Query().Get("starting_after") != "il_09" {
		t.Fatalf("lines request %s", got)
	}
	if got := s.reqs[3].URL.Query().Get("starting_after"); got != "il_209" {
		t.Fatalf("last lines request after %s", got)
	}
	var got backend.Invoice
	if err := json.Unmarshal(p.Objects[0].Raw, &got); err != nil {
		t.Fatalf("rewritten JSON invalid: %v\n%s", err, p.Objects[0].Raw)
	}
	if len(got.Lines.Data) != 215 || got.Lines.HasMore || got.Lines.Data[214].ID != "il_214" || got.Total != 1 {
		t.Fatalf("lines %d has_more %v", len(got.Lines.Data), got.Lines.HasMore)
	}
	for i, l := range got.Lines.Data {
		if l.ID != fmt.Sprintf("il_%02d", i) {
			t.Fatalf("line %d is %s", i, l.ID)
		}
	}
}

func TestSubscriptionItemsAndChargeRefundsCompleted(t *testing.T) {
	sub := `{"object":"list","has_more":false,"data":[{"id":"sub_1","object":"subscription","created":5,"items":{"object":"list","has_more":true,"data":[{"id":"si_1","object":"subscription_item"}]}}]}`
	s, srv := newStub(t,
		jsonStep(200, sub),
		jsonStep(200, `{"object":"list","has_more":false,"data":[{"id":"si_2","object":"subscription_item"}]}`),
	)
	c := newClient(t, srv.URL, nil)
	p, err := c.ListPage(context.Background(), backend.TypeSubscriptions, 0, 10, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	q := s.reqs[1].URL.Query()
	if s.reqs[1].URL.Path != "/v1/subscription_items" || q.Get("subscription") != "sub_1" || q.Get("starting_after") != "si_1" {
		t.Fatalf("items request %s", s.reqs[1].URL)
	}
	if !strings.Contains(string(p.Objects[0].Raw), `"has_more":false,"data":[{"id":"si_1","object":"subscription_item"},{"id":"si_2","object":"subscription_item"}]`) {
		t.Fatalf("items not completed: %s", p.Objects[0].Raw)
	}
	ch := `{"id":"ch_1","object":"charge","created":5,"refunds":{"object":"list","data":[{"id":"re_1"}],"has_more":true}}`
	s2, srv2 := newStub(t, jsonStep(200, ch), jsonStep(200, `{"object":"list","has_more":false,"data":[{"id":"re_2"}]}`))
	c2 := newClient(t, srv2.URL, nil)
	o, err := c2.Retrieve(context.Background(), backend.TypeCharges, "ch_1")
	if err != nil {
		t.Fatal(err)
	}
	if s2.reqs[1].URL.Path != "/v1/refunds" || s2.reqs[1].URL.Query().Get("charge") != "ch_1" {
		t.Fatalf("refunds request %s", s2.reqs[1].URL)
	}
	if string(o.Raw) != `{"id":"ch_1","object":"charge","created":5,"refunds":{"object":"list","data":[{"id":"re_1"},{"id":"re_2"}],"has_more":false}}` {
		t.Fatalf("charge %s", o.Raw)
	}
}

func TestRetrieveDeletedCustomer(t *testing.T) {
	_, srv := newStub(t, jsonStep(200, `{"id":"cus_x","object":"customer","deleted":true}`))
	c := newClient(t, srv.URL, nil)
	o, err := c.Retrieve(context.Background(), backend.TypeCustomers, "cus_x")
	if err != nil || !o.Deleted || o.ID != "cus_x" {
		t.Fatalf("%+v %v", o, err)
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	ok := jsonStep(200, `{"object":"list","has_more":false,"data":[{"id":"cus_1","object":"customer","created":3}]}`)
	reset := func(w http.ResponseWriter, r *http.Request) {
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
	}
	truncated := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"object":"list","has_more":false,"data":[{"id":"cus_1","obj`))
	}
	s, srv := newStub(t,
		jsonStep(429, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}`, "Retry-After", "0", "Stripe-Rate-Limited-Reason", "endpoint-rate"),
		jsonStep(500, `{"error":{"type":"api_error","message":"boom"}}`),
		jsonStep(503, `<html>bad gateway</html>`),
		reset,
		truncated,
		jsonStep(409, `{"error":{"type":"invalid_request_error","message":"lock"}}`),
		ok,
	)
	c := newClient(t, srv.URL, nil)
	p, err := c.ListPage(context.Background(), backend.TypeCustomers, 0, 10, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Objects) != 1 || string(p.Objects[0].Raw) != `{"id":"cus_1","object":"customer","created":3}` {
		t.Fatalf("page %+v", p)
	}
	st := c.Stats()
	// net/http itself re-sends a GET once when a reused connection dies
	// before answering, so the reset may not reach the counters
	if st.Requests < 6 || st.Retries != st.Requests-1 || st.RateLimited != 1 {
		t.Fatalf("stats %+v", st)
	}
	_ = s
}

func TestErrorsMapped(t *testing.T) {
	tests := []struct {
		name   string
		steps  int
		status int
		body   string
		code   string
		want   []string
	}{
		{"revoked", 1, 401, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: ` + testKey + `"}}`, backend.EUNAUTHORIZED,
			[]string{"sk_test_…1234", "revoked", "req_1"}},
		{"forbidden", 1, 403, `{"error":{"type":"invalid_request_error","code":"secret_key_required","message":"Having the 'rak_customer_read' permission would allow this request to continue."}}`,
			backend.EFORBIDDEN, []string{"rak_customer_read", "customers", "req_1"}},
		{"not found", 1, 404, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such customer: 'cus_x'"}}`, backend.ENOTFOUND, []string{"No such customer"}},
		{"bad request", 1, 400, `{"error":{"type":"invalid_request_error","message":"Invalid integer: abc","param":"limit"}}`, backend.EINVALID, []string{"limit", "Invalid integer"}},
		{"rate limited", 3, 429, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"slow down"}}`, backend.ERATELIMIT, []string{"rate limit", "req_3", "after 2 retries"}},
		{"down", 3, 502, `oops`, backend.EUNAVAILABLE, []string{"unavailable", "502", "req_3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var steps []func(http.ResponseWriter, *http.Request)
			for i := 0; i < tc.steps; i++ {
				steps = append(steps, jsonStep(tc.status, tc.body))
			}
			_, srv := newStub(t, steps...)
			c := newClient(t, srv.URL, func(o *Options) { o.MaxRetries = 2 })
			_, err := c.ListPage(context.Background(), backend.TypeCustomers, 0, 10, "", 100)
			if got := backend.ErrorCode(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
			msg := backend.ErrorMessage(err)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, testKey) || strings.Contains(fmt.Sprintf("%v %+v", err, err), testKey) {
				t.Fatalf("the key leaked: %s", msg)
			}
		})
	}
}

func TestUnauthorizedStopsAllRequests(t *testing.T) {
	_, srv := newStub(t, jsonStep(401, `{"error":{"type":"invalid_request_error","message":"Expired API Key provided"}}`))
	c := newClient(t, srv.URL, nil)
	for i := 0; i < 5; i++ {
		_, err := c.ListPage(context.Background(), backend.TypeInvoices, 0, 10, "", 100)
		if backend.ErrorCode(err) != backend.EUNAUTHORIZED {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := c.Stats().Requests; n != 1 {
		t.Fatalf("%d requests after a 401, want 1", n)
	}
}

func TestLiveKeyRefusedForOtherBase(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, k := range []string{"sk_live_abcdefghijklmnop1234", "rk_live_abcdefghijklmnop1234"} {
		_, err := New(Options{Key: mustKey(t, k), BaseURL: srv.URL})
		if backend.ErrorCode(err) != backend.EINVALID || !strings.Contains(err.Error(), "live") || strings.Contains(err.Error(), k) {
			t.Fatalf("%v", err)
		}
		if _, err := New(Options{Key: mustKey(t, k), BaseURL: "https://api.stripe.com/"}); err != nil {
			t.Fatalf("live key to Stripe refused: %v", err)
		}
	}
	for _, bad := range []string{"ftp://x", "not a url", "http://", "https://api.stripe.com/v1"} {
		if _, err := New(Options{Key: mustKey(t, testKey), BaseURL: bad}); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("base %q accepted: %v", bad, err)
		}
	}
	if hits.Load() != 0 {
		t.Fatal("a request was sent")
	}
}

func TestEventsAndAccount(t *testing.T) {
	s, srv := newStub(t,
		jsonStep(200, `{"object":"list","has_more":true,"data":[{"id":"evt_2","object":"event","type":"customer.updated","created":20,"api_version":"2023-10-16","data":{"object":{"id":"cus_1","object":"customer","created":1},"previous_attributes":{"name":"x"}}}]}`),
		jsonStep(200, `{"id":"acct_123","object":"account","created":1500000000,"email":"a@b.c","settings":{"dashboard":{"display_name":"Shop"}}}`),
		jsonStep(403, `{"error":{"type":"invalid_request_error","message":"The provided key does not have the required permissions"}}`),
	)
	c := newClient(t, srv.URL, nil)
	p, err := c.Events(context.Background(), 10, 30, "evt_9", 100)
	if err != nil {
		t.Fatal(err)
	}
	if q := s.reqs[0].URL.Query(); q.Get("created[gte]") != "10" || q.Get("created[lt]") != "30" || q.Get("starting_after") != "evt_9" || q.Has("expand[]") {
		t.Fatalf("events request %s", s.reqs[0].URL)
	}
	if len(p.Events) != 1 || p.Events[0].Type != "customer.updated" || string(p.Events[0].Data.Object) != `{"id":"cus_1","object":"customer","created":1}` || !p.HasMore {
		t.Fatalf("events %+v", p)
	}
	id, created, fb, err := c.AccountID(context.Background())
	if err != nil || id != "acct_123" || created != 1500000000 || fb {
		t.Fatalf("account %s %d %v %v", id, created, fb, err)
	}
	// a secret key that cannot read the account is an error, not a fallback
	if _, _, _, err := c.AccountID(context.Background()); backend.ErrorCode(err) != backend.EFORBIDDEN {
		t.Fatalf("%v", err)
	}
}

func TestRestrictedKeyAccountFallbackIsStable(t *testing.T) {
	forbid := jsonStep(403, `{"error":{"type":"invalid_request_error","message":"Having the 'rak_accounts_kyc_basic_read' permission would allow this request to continue."}}`)
	_, srv := newStub(t, forbid, forbid)
	c := newClient(t, srv.URL, func(o *Options) { o.Key = mustKey(t, "rk_test_abcdefghijklmnop1234") })
	a, _, fb, err := c.AccountID(context.Background())
	b, _, _, err2 := c.AccountID(context.Background())
	if err != nil || err2 != nil || !fb || a != b || !strings.HasPrefix(a, "acct_key") || strings.Contains(a, "abcdefghijklmnop") {
		t.Fatalf("%q %q %v %v %v", a, b, fb, err, err2)
	}
}

func TestCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, srv := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		jsonStep(429, `{"error":{"type":"invalid_request_error","message":"slow"}}`, "Retry-After", "30")(w, r)
	})
	c := newClient(t, srv.URL, func(o *Options) { o.RetryAfterCap = time.Hour })
	_, err := c.ListPage(ctx, backend.TypeCustomers, 0, 10, "", 100)
	if backend.ErrorCode(err) != backend.ECANCELED {
		t.Fatalf("%v", err)
	}
}

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := newBucket(10) // burst 1
	if w := b.reserve(t0); w != 0 {
		t.Fatalf("first token waits %v", w)
	}
	if w := b.reserve(t0); w != 100*time.Millisecond {
		t.Fatalf("second token waits %v, want 100ms", w)
	}
	b.slow(t0, 2*time.Second)
	if w := b.reserve(t0); w < 2*time.Second {
		t.Fatalf("paused bucket waits %v", w)
	}
	if b.rate >= 10 {
		t.Fatalf("rate not cut: %v", b.rate)
	}
	// recovers to the base rate after quiet time
	b.reserve(t0.Add(time.Minute))
	if b.rate != 10 {
		t.Fatalf("rate %v after a quiet minute", b.rate)
	}
	if w := newBucket(0).reserve(t0); w != 0 {
		t.Fatal("unlimited bucket waits")
	}
	d := DefaultLimits(backend.ModeLive, false)
	g := DefaultLimits(backend.ModeTest, true)
	if d.Global != 80 || d.Endpoint != 20 || g.Global != 10 || g.Endpoint != 10 {
		t.Fatalf("defaults %+v %+v", d, g)
	}
}

func TestPricesExpandTiers(t *testing.T) {
	s, srv := newStub(t, jsonStep(200, `{"object":"list","has_more":false,"data":[]}`), jsonStep(200, `{"id":"price_1","object":"price","created":1,"tiers":[]}`))
	c := newClient(t, srv.URL, nil)
	if _, err := c.ListPage(context.Background(), backend.TypePrices, 0, 10, "", 100); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Retrieve(context.Background(), backend.TypePrices, "price_1"); err != nil {
		t.Fatal(err)
	}
	if got := s.reqs[0].URL.Query()["expand[]"]; fmt.Sprint(got) != "[data.tiers]" {
		t.Fatalf("list expand %v", got)
	}
	if got := s.reqs[1].URL.Query()["expand[]"]; fmt.Sprint(got) != "[tiers]" {
		t.Fatalf("retrieve expand %v", got)
	}
}
