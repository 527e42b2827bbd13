package search

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"billfold/backend"
	"billfold/backend/store"
)

type obj = map[string]any

func rawObj(t testing.TB, typ backend.ObjectType, v obj) backend.RawObject {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	created, _ := v["created"].(int64)
	return backend.RawObject{Type: typ, ID: v["id"].(string), Created: created, Stamp: 10, Raw: b}
}

func customer(id, name, email string, created int64, extra obj) obj {
	c := obj{"id": id, "object": "customer", "created": created, "email": email, "name": name,
		"phone": nil, "description": nil, "currency": "usd", "balance": 0, "delinquent": false,
		"metadata": obj{}, "livemode": false}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func subscription(id, cus, status, currency string, created int64) obj {
	return obj{"id": id, "object": "subscription", "created": created, "customer": cus, "status": status,
		"currency": currency, "collection_method": "charge_automatically", "start_date": created,
		"current_period_start": created, "current_period_end": created + 30*86400, "cancel_at_period_end": false,
		"items": obj{"object": "list", "has_more": false, "data": []any{}}, "metadata": obj{}}
}

func invoice(id, cus, number string, created int64) obj {
	return obj{"id": id, "object": "invoice", "created": created, "number": number, "customer": cus, "status": "paid",
		"currency": "jpy", "amount_due": 5000, "amount_paid": 5000, "total": 5000, "subtotal": 5000, "paid": true,
		"lines": obj{"object": "list", "has_more": false, "data": []any{}}, "metadata": obj{}}
}

func charge(id, cus, last4 string, created int64) obj {
	return obj{"id": id, "object": "charge", "created": created, "customer": cus, "amount": 5000, "currency": "jpy",
		"status": "succeeded", "paid": true, "captured": true,
		"payment_method_details": obj{"type": "card", "card": obj{"brand": "visa", "last4": last4}}}
}

const xss = `<img src=x onerror=alert(1)>`

func fixture(t *testing.T) *store.DB {
	t.Helper()
	t.Setenv("BILLFOLD_HOME", t.TempDir())
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "test.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cus := []obj{
		customer("cus_Jose1", "José Müller", "jose.muller@example.com", 1, obj{"currency": "eur"}),
		customer("cus_Jane2", "Jane Doe", "jane.doe@example.com", 2, obj{"phone": "+1 (555) 123-4567"}),
		customer("cus_Party3", "Café 🎉 Club", "party@club.fr", 3, obj{"description": "Gold reseller"}),
		customer("cus_Obrien4", "Seán O'Brien", "sean@obrien.ie", 4, obj{"metadata": obj{"crm_id": "HS-99812", "plan": "pro"}}),
		customer("cus_Quote5", `Ann "The Boss" Lee`, "ann@lee.dev", 5, obj{"metadata": obj{"plan": "free"}}),
		customer("cus_Doe6", "John Doe", "john@doe.org", 6, obj{"currency": "jpy"}),
		customer("cus_Xss7", xss, "x@evil.test", 7, obj{"description": `"><script>alert(1)</script>`}),
		customer("cus_Jane8", "Janet Jane", "jj@other.org", 8, obj{"description": "mentions jane.doe@example.com"}),
		customer("cus_Gone9", "Jane Gone", "gone@example.com", 9, nil),
	}
	var page []backend.RawObject
	for _, c := range cus {
		page = append(page, rawObj(t, backend.TypeCustomers, c))
	}
	if err := db.SavePage(ctx, backend.SyncRange{Type: backend.TypeCustomers, Gte: 0, Lt: 2000000000}, page); err != nil {
		t.Fatal(err)
	}
	objs := []backend.RawObject{
		rawObj(t, backend.TypeSubscriptions, subscription("sub_J1", "cus_Jose1", "active", "eur", 10)),
		rawObj(t, backend.TypeSubscriptions, subscription("sub_D2", "cus_Jane2", "past_due", "usd", 11)),
		rawObj(t, backend.TypeSubscriptions, subscription("sub_D6", "cus_Doe6", "canceled", "jpy", 12)),
		rawObj(t, backend.TypeInvoices, invoice("in_D6a", "cus_Doe6", "ABCD1234-0007", 13)),
		rawObj(t, backend.TypeCharges, charge("ch_D6a", "cus_Doe6", "4242", 14)),
		rawObj(t, backend.TypeCharges, charge("ch_P3a", "cus_Party3", "0005", 15)),
	}
	if err := db.ApplyEvents(ctx, nil, objs, 0); err != nil {
		t.Fatal(err)
	}
	// A deleted customer is never found.
	gone := customer("cus_Gone9", "Jane Gone", "gone@example.com", 9, nil)
	gone["deleted"] = true
	del := rawObj(t, backend.TypeCustomers, gone)
	del.Deleted, del.Stamp = true, 20
	if err := db.ApplyEvents(ctx, nil, []backend.RawObject{del}, 0); err != nil {
		t.Fatal(err)
	}
	return db
}

func ids(rs []Result) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestCustomers(t *testing.T) {
	db := fixture(t)
	ctx := context.Background()
	cases := []struct {
		q    string
		want []string
	}{
		// plain words over every column
		{"jose", []string{"cus_Jose1"}},
		{"José", []string{"cus_Jose1"}},
		{"MÜLL", []string{"cus_Jose1"}},
		{"jane.do", []string{"cus_Jane2", "cus_Jane8"}},
		{"reseller", []string{"cus_Party3"}},
		{"🎉", []string{"cus_Party3"}},
		{"cafe club", []string{"cus_Party3"}},
		{"555 123", []string{"cus_Jane2"}},
		{"HS-99812", []string{"cus_Obrien4"}},
		{"o'brien", []string{"cus_Obrien4"}},
		{`"the boss"`, []string{"cus_Quote5"}},
		{`"boss the"`, []string{}},
		{`ann "the boss"`, []string{"cus_Quote5"}},
		// exact id and email come first, even before newer text matches
		{"jane.doe@example.com", []string{"cus_Jane2", "cus_Jane8"}},
		{"JANE.DOE@EXAMPLE.COM", []string{"cus_Jane2", "cus_Jane8"}},
		{"cus_Jose1", []string{"cus_Jose1"}},
		{"cus_jos", []string{"cus_Jose1"}},
		// subscription, invoice and charge ids, invoice numbers, last 4
		{"sub_D2", []string{"cus_Jane2"}},
		{"in_D6a", []string{"cus_Doe6"}},
		{"ch_P3a", []string{"cus_Party3"}},
		{"ABCD1234-0007", []string{"cus_Doe6"}},
		{"abcd1234-0007", []string{"cus_Doe6"}},
		{"4242", []string{"cus_Doe6"}},
		{"0005", []string{"cus_Party3"}},
		// fields
		{"email:jane", []string{"cus_Jane2"}},
		{"name:jane", []string{"cus_Jane2", "cus_Jane8"}},
		{"email:jane.doe@example.com", []string{"cus_Jane2"}},
		{"status:past_due", []string{"cus_Jane2"}},
		{"status:PAST_DUE", []string{"cus_Jane2"}},
		{"status:active jose", []string{"cus_Jose1"}},
		{"status:active jane", []string{}},
		{"currency:eur", []string{"cus_Jose1"}},
		{"currency:jpy", []string{"cus_Doe6"}},
		{"metadata['plan']:'pro'", []string{"cus_Obrien4"}},
		{`metadata["plan"]:free`, []string{"cus_Quote5"}},
		{"metadata['plan']:'pr'", []string{}},
		{"metadata['crm_id']:'HS-99812' sean", []string{"cus_Obrien4"}},
		// exclusions
		{"doe -john", []string{"cus_Jane8", "cus_Jane2"}},
		{"jane -status:past_due", []string{"cus_Jane8"}},
		{"example -email:jane", []string{"cus_Jane8", "cus_Jose1"}},
		{"-jane", []string{}},
		{"jane AND doe", []string{"cus_Jane2", "cus_Jane8"}},
		// odd input is plain data
		{xss, []string{"cus_Xss7"}},
		{"<script>", []string{"cus_Xss7"}},
		{"'; DROP TABLE customers; --", nil},
		{"1; DROP TABLE customers; --", []string{}},
		{`"`, nil},
		{"***", []string{}},
		{"   ", []string{}},
		{"gone", []string{}},
		{"xyzzy", []string{}},
	}
	for _, c := range cases {
		got, err := Customers(ctx, db, c.q, 20)
		if c.want == nil {
			if err == nil {
				t.Errorf("%q: want an error, got %v", c.q, ids(got))
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.q, err)
			continue
		}
		if g := ids(got); !reflect.DeepEqual(g, c.want) {
			t.Errorf("%q = %v, want %v", c.q, g, c.want)
		}
	}
	// The XSS name comes back byte for byte: rendering is the UI's job.
	got, _ := Customers(ctx, db, "cus_Xss7", 5)
	if len(got) != 1 || got[0].Name != xss || !got[0].Exact || got[0].Via != "id" {
		t.Fatalf("xss customer = %+v", got)
	}
	got, _ = Customers(ctx, db, "4242", 5)
	if len(got) != 1 || got[0].Via != "card" || !got[0].Exact {
		t.Fatalf("card = %+v", got)
	}
	// The limit holds.
	got, _ = Customers(ctx, db, "example", 1)
	if len(got) != 1 {
		t.Fatalf("limit 1: %v", ids(got))
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		q    string
		want []store.LookupTerm
		err  string
	}{
		{q: "jane doe", want: []store.LookupTerm{{Value: "jane"}, {Value: "doe"}}},
		{q: `"jane doe"`, want: []store.LookupTerm{{Value: "jane doe", Phrase: true}}},
		{q: `email:"a b"`, want: []store.LookupTerm{{Field: "email", Value: "a b", Phrase: true}}},
		{q: `name:'O\'Brien'`, want: []store.LookupTerm{{Field: "name", Value: "O'Brien", Phrase: true}}},
		{q: "-status:canceled", want: []store.LookupTerm{{Field: "status", Value: "canceled", Negate: true}}},
		{q: "currency:EUR", want: []store.LookupTerm{{Field: "currency", Value: "eur"}}},
		{q: "metadata['a b']:'c d'", want: []store.LookupTerm{{Field: "metadata", Key: "a b", Value: "c d", Phrase: true}}},
		{q: "12:30 -", want: []store.LookupTerm{{Value: "12:30"}, {Value: "-"}}},
		{q: "a AND b", want: []store.LookupTerm{{Value: "a"}, {Value: "b"}}},
		{q: "émoji🎉", want: []store.LookupTerm{{Value: "émoji🎉"}}},
		{q: `"unclosed`, err: "unclosed \" quote"},
		{q: "email:", err: "email: needs a value"},
		{q: "email: x", err: "needs a value"},
		{q: "foo:bar", err: `unknown field "foo"`},
		{q: "status:dead", err: `unknown subscription status "dead"`},
		{q: "currency:euro", err: "not a 3-letter ISO code"},
		{q: "metadata[plan]:x", err: "metadata key must be quoted"},
		{q: "metadata['plan':x", err: "closing ]"},
		{q: "metadata['plan']", err: "needs a value"},
		{q: "a OR b", err: "OR is not supported"},
		{q: `"a"b`, err: "a space is needed"},
		{q: strings.Repeat("a", 1001), err: "too long"},
		{q: "\xff", err: "UTF-8"},
	}
	for _, c := range cases {
		got, err := Parse(c.q)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: error %v, want %q", c.q, err, c.err)
			}
			if backend.ErrorCode(err) != backend.EINVALID {
				t.Errorf("%q: code %s", c.q, backend.ErrorCode(err))
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.q, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q = %+v, want %+v", c.q, got, c.want)
		}
	}
}
