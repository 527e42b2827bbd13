package sandbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// expected is the brute-force answer: entries of col matching keep, newest
// first with ties by id descending.
func expectedIDs(col *collection, keep func(*entry) bool) []string {
	var es []*entry
	for _, e := range col.byID {
		if !e.deleted && keep(e) {
			es = append(es, e)
		}
	}
	sort.Slice(es, func(i, j int) bool { return before(es[i], es[j]) })
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.id
	}
	return out
}

func walk(t *testing.T, s http.Handler, path string, limit int, backward bool) []string {
	return walkFrom(t, s, path, limit, backward, "")
}

func walkFrom(t *testing.T, s http.Handler, path string, limit int, backward bool, cursor string) []string {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var all []string
	for n := 0; n < 10000; n++ {
		p := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		if cursor != "" {
			if backward {
				p += "&ending_before=" + cursor
			} else {
				p += "&starting_after=" + cursor
			}
		}
		r := do(t, s, "GET", p, nil, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
		m := r.json(t)
		got := ids(t, m)
		if len(got) > limit {
			t.Fatalf("%s: %d items > limit", p, len(got))
		}
		if backward {
			all = append(append([]string{}, got...), all...)
		} else {
			all = append(all, got...)
		}
		if !m["has_more"].(bool) {
			return all
		}
		if len(got) == 0 {
			t.Fatalf("%s: has_more with an empty page", p)
		}
		if backward {
			cursor = got[0]
		} else {
			cursor = got[len(got)-1]
		}
	}
	t.Fatal("pagination does not end")
	return nil
}

func TestListSemantics(t *testing.T) {
	d := genData(t, 120)
	ud := unpacked(t, d)
	s := newTestServer(t, d, Options{})
	st := s.st
	// same-second clusters must exist for the tie-breaking check to mean anything
	ties := 0
	for i := 1; i < len(d.Customers); i++ {
		if d.Customers[i].Created == d.Customers[i-1].Created {
			ties++
		}
	}
	if ties == 0 {
		t.Fatal("no same-second customers generated")
	}
	mid := ud.Invoices[len(ud.Invoices)/2].Created
	cases := []struct {
		path string
		col  string
		keep func(*entry) bool
	}{
		{"/v1/customers", "customers", func(*entry) bool { return true }},
		{"/v1/subscriptions", "subscriptions", func(e *entry) bool { return e.status != "canceled" && e.status != "incomplete_expired" }},
		{"/v1/subscriptions?status=all", "subscriptions", func(*entry) bool { return true }},
		{"/v1/subscriptions?status=canceled", "subscriptions", func(e *entry) bool { return e.status == "canceled" }},
		{"/v1/subscriptions?status=past_due", "subscriptions", func(e *entry) bool { return e.status == "past_due" }},
		{"/v1/invoices", "invoices", func(*entry) bool { return true }},
		{fmt.Sprintf("/v1/invoices?created[gte]=%d", mid), "invoices", func(e *entry) bool { return e.created >= mid }},
		{fmt.Sprintf("/v1/invoices?created[gt]=%d", mid), "invoices", func(e *entry) bool { return e.created > mid }},
		{fmt.Sprintf("/v1/invoices?created[lt]=%d", mid), "invoices", func(e *entry) bool { return e.created < mid }},
		{fmt.Sprintf("/v1/invoices?created[lte]=%d&created[gte]=%d", mid, mid-90*day), "invoices", func(e *entry) bool { return e.created <= mid && e.created >= mid-90*day }},
		{fmt.Sprintf("/v1/invoices?created=%d", mid), "invoices", func(e *entry) bool { return e.created == mid }},
		{"/v1/invoices?status=open", "invoices", func(e *entry) bool { return e.status == "open" }},
		{"/v1/invoices?customer=" + d.Customers[5].ID, "invoices", func(e *entry) bool { return e.customer == d.Customers[5].ID }},
		{"/v1/charges", "charges", func(*entry) bool { return true }},
		{"/v1/refunds", "refunds", func(*entry) bool { return true }},
		{"/v1/events", "events", func(*entry) bool { return true }},
		{"/v1/events?types[]=invoice.paid&types[]=charge.refunded", "events", func(e *entry) bool { return e.status == "invoice.paid" || e.status == "charge.refunded" }},
		{"/v1/prices", "prices", func(*entry) bool { return true }},
	}
	for _, c := range cases {
		want := expectedIDs(st.cols[c.col], c.keep)
		for _, limit := range []int{1, 7, 100} {
			if limit == 1 && len(want) > 400 {
				continue
			}
			got := walk(t, s, c.path, limit, false)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s limit %d forward: got %d ids, want %d (first diff at %d)", c.path, limit, len(got), len(want), firstDiff(got, want))
			}
			if len(want) > 0 {
				// walking backwards from the oldest with ending_before yields the same list
				back := walkFrom(t, s, c.path, limit, true, want[len(want)-1])
				if strings.Join(back, ",") != strings.Join(want[:len(want)-1], ",") {
					t.Errorf("%s limit %d backward: got %d ids, want %d (first diff at %d)", c.path, limit, len(back), len(want)-1, firstDiff(back, want))
				}
			}
		}
	}
	// ending_before walks: take the page before the last element
	want := expectedIDs(st.cols["invoices"], func(*entry) bool { return true })
	r := do(t, s, "GET", "/v1/invoices?limit=5&ending_before="+want[12], nil, nil)
	m := r.json(t)
	if got := ids(t, m); strings.Join(got, ",") != strings.Join(want[7:12], ",") || !m["has_more"].(bool) {
		t.Errorf("ending_before page = %v, has_more %v; want %v", got, m["has_more"], want[7:12])
	}
	r = do(t, s, "GET", "/v1/invoices?limit=5&ending_before="+want[3], nil, nil)
	m = r.json(t)
	if got := ids(t, m); strings.Join(got, ",") != strings.Join(want[0:3], ",") || m["has_more"].(bool) {
		t.Errorf("ending_before near the top = %v, has_more %v", got, m["has_more"])
	}
	if u := m["url"]; u != "/v1/invoices" {
		t.Errorf("list url = %v", u)
	}
}

func firstDiff(a, b []string) int {
	for i := range a {
		if i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return len(a)
}

func TestListErrorsAndNested(t *testing.T) {
	d := genData(t, 200)
	ud := unpacked(t, d)
	s := newTestServer(t, d, Options{})
	for _, c := range []struct {
		path, param string
		status      int
	}{
		{"/v1/customers?limit=0", "limit", 400},
		{"/v1/customers?limit=101", "limit", 400},
		{"/v1/customers?limit=abc", "limit", 400},
		{"/v1/customers?starting_after=cus_missing", "starting_after", 400},
		{"/v1/customers?starting_after=a&ending_before=b", "ending_before", 400},
		{"/v1/customers?created[gte]=x", "created[gte]", 400},
		{"/v1/customers?colour=red", "colour", 400},
		{"/v1/subscriptions?status=bogus", "status", 400},
		{"/v1/events?expand[]=data.customer", "expand", 400},
		{"/v1/customers/cus_missing", "id", 404},
		{"/v1/subscription_items", "subscription", 400},
		{"/v1/nothing", "", 404},
	} {
		r := do(t, s, "GET", c.path, nil, nil)
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d", c.path, r.status, c.status)
			continue
		}
		e := r.json(t)["error"].(map[string]any)
		if e["type"] != "invalid_request_error" || (c.param != "" && e["param"] != c.param) || e["message"] == "" {
			t.Errorf("%s: error %v", c.path, e)
		}
		if !strings.HasPrefix(r.header.Get("Request-Id"), "req_") {
			t.Errorf("%s: no Request-Id", c.path)
		}
	}
	// nested lists: 10 entries, has_more, url, and the rest through the url
	var big *Invoice
	for _, in := range ud.Invoices {
		if len(in.Lines.Data) > 10 {
			big = in
			break
		}
	}
	if big == nil {
		t.Fatal("no invoice with more than 10 lines generated")
	}
	inv := do(t, s, "GET", "/v1/invoices/"+big.ID, nil, nil).json(t)
	lines := inv["lines"].(map[string]any)
	if n := len(lines["data"].([]any)); n != 10 || lines["has_more"] != true || lines["url"] != "/v1/invoices/"+big.ID+"/lines" {
		t.Fatalf("nested lines: %d entries, has_more %v, url %v", n, lines["has_more"], lines["url"])
	}
	all := walk(t, s, "/v1/invoices/"+big.ID+"/lines", 10, false)
	if len(all) != len(big.Lines.Data) {
		t.Errorf("lines via url: %d, want %d", len(all), len(big.Lines.Data))
	}
	var wide *Subscription
	for _, sub := range d.Subscriptions {
		if len(sub.Items.Data) > 10 {
			wide = sub
		}
	}
	if wide == nil {
		t.Fatal("no subscription with more than 10 items")
	}
	sm := do(t, s, "GET", "/v1/subscriptions/"+wide.ID, nil, nil).json(t)
	items := sm["items"].(map[string]any)
	if len(items["data"].([]any)) != 10 || items["has_more"] != true || items["url"] != "/v1/subscription_items?subscription="+wide.ID {
		t.Errorf("nested items: %v %v", items["has_more"], items["url"])
	}
	if got := walk(t, s, "/v1/subscription_items?subscription="+wide.ID, 4, false); len(got) != len(wide.Items.Data) {
		t.Errorf("items via url: %d, want %d", len(got), len(wide.Items.Data))
	}
	// deleted customers: gone from the list, retrievable with deleted: true
	var gone *Customer
	for _, c := range d.Customers {
		if c.Deleted {
			gone = c
		}
	}
	if gone == nil {
		t.Fatal("no deleted customer generated")
	}
	dm := do(t, s, "GET", "/v1/customers/"+gone.ID, nil, nil).json(t)
	if dm["deleted"] != true || dm["id"] != gone.ID {
		t.Errorf("deleted customer retrieve: %v", dm)
	}
	for _, id := range walk(t, s, "/v1/customers", 100, false) {
		if id == gone.ID {
			t.Error("deleted customer listed")
		}
	}
	// expansion
	em := do(t, s, "GET", "/v1/subscriptions?limit=3&expand[]=data.customer&expand[]=data.latest_invoice.charge", nil, nil).json(t)
	for _, x := range em["data"].([]any) {
		sub := x.(map[string]any)
		if _, ok := sub["customer"].(map[string]any); !ok {
			t.Errorf("customer not expanded: %v", sub["customer"])
		}
		li, ok := sub["latest_invoice"].(map[string]any)
		if !ok {
			t.Errorf("latest_invoice not expanded")
			continue
		}
		if ch := li["charge"]; ch != nil {
			if _, ok := ch.(map[string]any); !ok {
				t.Errorf("latest_invoice.charge not expanded: %v", ch)
			}
		}
	}
	// tiers only when expanded
	var tiered *Price
	for _, p := range d.Prices {
		if p.BillingScheme == "tiered" {
			tiered = p
		}
	}
	if _, ok := do(t, s, "GET", "/v1/prices/"+tiered.ID, nil, nil).json(t)["tiers"]; ok {
		t.Error("tiers rendered without expand")
	}
	if tiers, _ := do(t, s, "GET", "/v1/prices/"+tiered.ID+"?expand[]=tiers", nil, nil).json(t)["tiers"].([]any); len(tiers) != 3 {
		t.Errorf("expand tiers: %v", tiers)
	}
}

func TestKeys(t *testing.T) {
	d := genData(t, 20)
	s := newTestServer(t, d, Options{RestrictedKeys: map[string][]string{"rk_test_registered1": {"invoices:read"}}})
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(testKey+":"))
	for _, c := range []struct {
		auth   string
		method string
		path   string
		status int
	}{
		{"", "GET", "/v1/customers", 401},
		{"Bearer nonsense_key_12345", "GET", "/v1/customers", 401},
		{"Bearer sk_test_revoked_123456", "GET", "/v1/customers", 401},
		{"Bearer sk_live_abcdefghijkl", "GET", "/v1/customers", 401},
		{basic, "GET", "/v1/customers", 200},
		{"Bearer rk_test_full_access", "GET", "/v1/customers", 200},
		{"Bearer rk_test_sync_customers-read_invoices-read", "GET", "/v1/customers", 200},
		{"Bearer rk_test_sync_customers-read_invoices-read", "GET", "/v1/invoices", 200},
		{"Bearer rk_test_sync_customers-read_invoices-read", "GET", "/v1/charges", 403},
		{"Bearer rk_test_sync_customers-read_invoices-read", "POST", "/v1/customers/" + d.Customers[0].ID, 403},
		{"Bearer rk_test_x_customers-write", "POST", "/v1/customers/" + d.Customers[0].ID, 200},
		{"Bearer rk_test_registered1", "GET", "/v1/invoices", 200},
		{"Bearer rk_test_registered1", "GET", "/v1/customers", 403},
		// expanded objects need their own read permission, as on Stripe
		{"Bearer rk_test_sync_invoices-read", "GET", "/v1/invoices?limit=3&expand[]=data.customer", 403},
		{"Bearer rk_test_sync_invoices-read_customers-read", "GET", "/v1/invoices?limit=3&expand[]=data.customer", 200},
		{"Bearer rk_test_sync_invoices-read", "GET", "/v1/invoices?limit=3", 200},
		{"Bearer rk_test_sync_subscriptions-read", "GET", "/v1/subscriptions/" + d.Subscriptions[0].ID + "?expand[]=latest_invoice", 403},
		{"Bearer rk_test_sync_subscriptions-read_invoices-read", "GET", "/v1/subscriptions/" + d.Subscriptions[0].ID + "?expand[]=latest_invoice", 200},
		{"Bearer rk_test_sync_subscriptions-read_invoices-read", "GET", "/v1/subscriptions/" + d.Subscriptions[0].ID + "?expand[]=latest_invoice.charge", 403},
		{"Bearer rk_test_sync_subscriptions-read", "GET", "/v1/subscriptions?limit=2&expand[]=data.items.data.price.product", 403},
		{"Bearer rk_test_sync_subscriptions-read_products-read", "GET", "/v1/subscriptions?limit=2&expand[]=data.items.data.price.product", 200},
		{"Bearer rk_test_sync_customers-write", "POST", "/v1/customers/" + d.Customers[1].ID + "?expand[]=default_source", 200},
	} {
		var form url.Values
		if c.method == "POST" {
			form = url.Values{"description": {"x"}}
		}
		hdr := map[string]string{"Authorization": c.auth}
		r := do(t, s, c.method, c.path, form, hdr)
		if r.status != c.status {
			t.Errorf("%q %s %s: status %d, want %d: %s", c.auth, c.method, c.path, r.status, c.status, r.body)
		}
		if c.status >= 400 && r.json(t)["error"] == nil {
			t.Errorf("%q: no error body", c.auth)
		}
		if c.status == 403 && !strings.Contains(r.json(t)["error"].(map[string]any)["message"].(string), "permission would allow") {
			t.Errorf("%q %s: 403 without Stripe's permission message: %s", c.auth, c.path, r.body)
		}
	}
	live := newTestServer(t, d, Options{AllowLive: true})
	if r := do(t, live, "GET", "/v1/customers", nil, map[string]string{"Authorization": "Bearer sk_live_abcdefghijkl"}); r.status != 200 {
		t.Errorf("AllowLive: %d", r.status)
	}
}

func TestRateLimits(t *testing.T) {
	d := genData(t, 10)
	now := fixedNow
	s := newTestServer(t, d, Options{RPS: 100, Now: func() time.Time { return now }})
	// per endpoint: 25 in the bucket, the 26th is limited by the endpoint
	for i := 0; i < 25; i++ {
		if r := do(t, s, "GET", "/v1/customers", nil, nil); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := do(t, s, "GET", "/v1/customers", nil, nil)
	if r.status != 429 || r.header.Get("Stripe-Rate-Limited-Reason") != "endpoint-rate" {
		t.Fatalf("26th: %d %q", r.status, r.header.Get("Stripe-Rate-Limited-Reason"))
	}
	if e := r.json(t)["error"].(map[string]any); e["code"] != "rate_limit" {
		t.Errorf("429 body: %v", e)
	}
	// another endpoint still has its own bucket
	if r := do(t, s, "GET", "/v1/invoices", nil, nil); r.status != 200 {
		t.Fatalf("other endpoint: %d", r.status)
	}
	// test mode: 25/s in all; spread over endpoints, the 26th is limited globally
	ts := newTestServer(t, d, Options{RPS: -1, Now: func() time.Time { return now }})
	paths := []string{"/v1/customers", "/v1/invoices", "/v1/charges", "/v1/events", "/v1/prices"}
	for i := 0; i < 25; i++ {
		if r := do(t, ts, "GET", paths[i%5], nil, nil); r.status != 200 {
			t.Fatalf("test mode request %d: %d", i, r.status)
		}
	}
	r = do(t, ts, "GET", "/v1/coupons", nil, nil)
	if r.status != 429 || r.header.Get("Stripe-Rate-Limited-Reason") != "global-rate" {
		t.Fatalf("global: %d %q", r.status, r.header.Get("Stripe-Rate-Limited-Reason"))
	}
	// one second later the buckets refill
	now = now.Add(time.Second)
	if r := do(t, ts, "GET", "/v1/coupons", nil, nil); r.status != 200 {
		t.Fatalf("after refill: %d", r.status)
	}
	if st := s.Stats(); st.RateLimited != 1 {
		t.Errorf("stats %+v", st)
	}
	// live mode: 100/s global, endpoints still 25/s
	now2 := fixedNow
	ls := newTestServer(t, d, Options{RPS: -1, Mode: "live", Now: func() time.Time { return now2 }})
	ok := 0
	for _, p := range []string{"/v1/customers", "/v1/invoices", "/v1/charges", "/v1/events", "/v1/prices"} {
		for i := 0; i < 25; i++ {
			if do(t, ls, "GET", p, nil, nil).status == 200 {
				ok++
			}
		}
	}
	if ok != 100 {
		t.Errorf("live mode served %d of 125 in one second, want 100", ok)
	}
}

func TestFaults(t *testing.T) {
	d := genData(t, 10)
	for _, fault := range []string{"429", "500", "reset", "timeout", "truncate"} {
		s := newTestServer(t, d, Options{FaultRate: 1, Faults: []string{fault}, TimeoutDelay: 50 * time.Millisecond, Seed: 3})
		hs := httptest.NewServer(s)
		req, _ := http.NewRequest("GET", hs.URL+"/v1/customers", nil)
		req.Header.Set("Authorization", "Bearer "+testKey)
		client := &http.Client{Timeout: 5 * time.Second}
		resp, err := client.Do(req)
		switch fault {
		case "429", "500":
			if err != nil {
				t.Fatalf("%s: %v", fault, err)
			}
			want := map[string]int{"429": 429, "500": 500}[fault]
			if resp.StatusCode != want {
				t.Errorf("%s: status %d", fault, resp.StatusCode)
			}
			resp.Body.Close()
		case "reset", "timeout":
			if err == nil {
				resp.Body.Close()
				t.Errorf("%s: request succeeded", fault)
			}
		case "truncate":
			if err == nil {
				var buf bytes.Buffer
				_, rerr := buf.ReadFrom(resp.Body)
				resp.Body.Close()
				if rerr == nil {
					t.Errorf("truncate: full body read (%d bytes)", buf.Len())
				}
			}
		}
		if st := s.Stats(); st.Faults != 1 {
			t.Errorf("%s: stats %+v", fault, st)
		}
		hs.Close()
	}
	// seeded: the same seed injects faults on the same requests
	pattern := func(seed uint64) string {
		s := newTestServer(t, d, Options{FaultRate: 0.3, Faults: []string{"500"}, Seed: seed})
		var b strings.Builder
		for i := 0; i < 60; i++ {
			fmt.Fprint(&b, do(t, s, "GET", "/v1/customers", nil, nil).status/100)
		}
		return b.String()
	}
	if a, b := pattern(9), pattern(9); a != b || !strings.Contains(a, "5") || !strings.Contains(a, "2") {
		t.Errorf("fault pattern not seeded or degenerate: %s vs %s", a, b)
	}
}

func TestIdempotencyAndWrites(t *testing.T) {
	d := genData(t, 60)
	ud := unpacked(t, d)
	s := newTestServer(t, d, Options{EventLag: 10 * time.Second})
	var sub *Subscription
	for _, x := range d.Subscriptions {
		if x.Status == "active" && !x.CancelAtPeriodEnd {
			sub = x
		}
	}
	form := url.Values{"cancel_at_period_end": {"true"}}
	hdr := map[string]string{"Idempotency-Key": "key-1"}
	first := do(t, s, "POST", "/v1/subscriptions/"+sub.ID, form, hdr)
	if first.status != 200 || first.json(t)["cancel_at_period_end"] != true {
		t.Fatalf("update: %d %s", first.status, first.body)
	}
	nEvents := len(s.Data().Events)
	again := do(t, s, "POST", "/v1/subscriptions/"+sub.ID, form, hdr)
	if again.status != 200 || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d replayed=%q", again.status, again.header.Get("Idempotent-Replayed"))
	}
	if len(s.Data().Events) != nEvents {
		t.Error("replay made an event")
	}
	other := do(t, s, "POST", "/v1/subscriptions/"+sub.ID, url.Values{"cancel_at_period_end": {"false"}}, hdr)
	if other.status != 400 || other.json(t)["error"].(map[string]any)["type"] != "idempotency_error" {
		t.Fatalf("different params: %d %s", other.status, other.body)
	}
	// the event is there with the request and key, but hidden until the lag passes
	ev := s.Data().Events[nEvents-1]
	if ev.Type != "customer.subscription.updated" || strv(ev.Request.IdempotencyKey) != "key-1" || len(ev.Data.PreviousAttributes) == 0 {
		t.Errorf("event %+v", ev)
	}
	if r := do(t, s, "GET", "/v1/events/"+ev.ID, nil, nil); r.status != 404 {
		t.Errorf("event visible before the lag: %d", r.status)
	}
	late := newTestServerFrom(s, fixedNow.Add(11*time.Second))
	if r := do(t, late, "GET", "/v1/events/"+ev.ID, nil, nil); r.status != 200 {
		t.Errorf("event invisible after the lag: %d", r.status)
	}
	// cancel: status canceled and listed only with status=all
	r := do(t, s, "DELETE", "/v1/subscriptions/"+sub.ID, nil, nil)
	if r.status != 200 || r.json(t)["status"] != "canceled" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	for _, id := range walk(t, s, "/v1/subscriptions", 100, false) {
		if id == sub.ID {
			t.Error("canceled subscription in the default list")
		}
	}
	// refunds: partial, then too much
	var ch *Charge
	for _, c := range ud.Charges {
		if c.Status == "succeeded" && c.AmountRefunded == 0 && c.Amount > 100 {
			ch = c
		}
	}
	if r := do(t, s, "POST", "/v1/refunds", url.Values{"charge": {ch.ID}, "amount": {"100"}}, nil); r.status != 200 {
		t.Fatalf("refund: %d %s", r.status, r.body)
	}
	cm := do(t, s, "GET", "/v1/charges/"+ch.ID, nil, nil).json(t)
	if cm["amount_refunded"].(float64) != 100 || len(cm["refunds"].(map[string]any)["data"].([]any)) != 1 {
		t.Errorf("charge after refund: %v", cm["amount_refunded"])
	}
	if r := do(t, s, "POST", "/v1/refunds", url.Values{"charge": {ch.ID}, "amount": {fmt.Sprint(ch.Amount)}}, nil); r.status != 400 {
		t.Errorf("over-refund: %d", r.status)
	}
	// customer update and delete
	c := d.Customers[1]
	if r := do(t, s, "POST", "/v1/customers/"+c.ID, url.Values{"email": {"x@example.com"}}, nil); r.status != 200 || r.json(t)["email"] != "x@example.com" {
		t.Errorf("update customer: %d %s", r.status, r.body)
	}
	if r := do(t, s, "DELETE", "/v1/customers/"+c.ID, nil, nil); r.status != 200 || r.json(t)["deleted"] != true {
		t.Errorf("delete customer: %d %s", r.status, r.body)
	}
	if r := do(t, s, "GET", "/v1/customers/"+c.ID, nil, nil); r.json(t)["deleted"] != true {
		t.Error("deleted customer not marked")
	}
	if st := s.Stats(); st.Replayed != 1 {
		t.Errorf("stats %+v", st)
	}
}

// newTestServerFrom shares s's state with another clock (for the lag test).
func newTestServerFrom(s *Server, now time.Time) *Server {
	c := &Server{opt: s.opt, st: s.st, log: s.log, rng: s.rng, endpoints: map[string]*bucket{}, idem: map[string]*idemRecord{}}
	c.opt.Now = func() time.Time { return now }
	return c
}

func TestDeterministicDump(t *testing.T) {
	dump := func() []byte {
		d, err := Generate(GenOptions{Seed: 42, Customers: 80})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := d.WriteFixture(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := dump(), dump()
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different bytes")
	}
	d, err := LoadFixture(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	if err := d.WriteFixture(&c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, c.Bytes()) {
		t.Fatal("fixture does not round-trip byte for byte")
	}
	// A server over the packed business and one over the parsed fixture
	// serve the same bytes, and the server's snapshot dumps the same.
	g, err := Generate(GenOptions{Seed: 42, Customers: 80})
	if err != nil {
		t.Fatal(err)
	}
	sg, sf := newTestServer(t, g, Options{}), newTestServer(t, d, Options{})
	for _, p := range []string{"/v1/invoices?limit=100", "/v1/charges?limit=100", "/v1/events?limit=100", "/v1/subscriptions?status=all&limit=100",
		"/v1/customers?limit=100", "/v1/invoices?limit=3&expand[]=data.customer&expand[]=data.subscription"} {
		rg, rf := do(t, sg, "GET", p, nil, nil), do(t, sf, "GET", p, nil, nil)
		if rg.status != 200 || !bytes.Equal(rg.body, rf.body) {
			t.Errorf("%s: packed and fixture servers differ (%d, %d)", p, rg.status, rf.status)
		}
	}
	var e bytes.Buffer
	if err := sg.Data().WriteFixture(&e); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, e.Bytes()) {
		al, el := bytes.Split(a, []byte("\n")), bytes.Split(e.Bytes(), []byte("\n"))
		for i := range al {
			if i >= len(el) || !bytes.Equal(al[i], el[i]) {
				t.Fatalf("server snapshot does not dump the generated bytes: line %d:\n%.300s\n%.300s", i, al[i], el[min(i, len(el)-1)])
			}
		}
		t.Fatal("server snapshot does not dump the generated bytes")
	}
	if _, err := LoadFixture(strings.NewReader(`{"customers": []}`)); err == nil {
		t.Error("fixture without now accepted")
	}
	if _, err := LoadFixture(strings.NewReader(`{"now":"2025-01-01T00:00:00Z","customers":[{"id":"cus_1"},{"id":"cus_1"}]}`)); err == nil {
		t.Error("duplicate ids accepted")
	}
}
