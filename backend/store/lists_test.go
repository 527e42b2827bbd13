package store

import (
	"context"
	"testing"

	"billfold/backend"
)

func TestWindows(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	savePage(t, db,
		raw(t, backend.TypeCustomers, 10, customerJSON("cus_A", "alice", "a@x.io", 1, nil)),
		raw(t, backend.TypeCustomers, 10, customerJSON("cus_B", "Bob", "b@x.io", 2, obj{"delinquent": true, "currency": "eur"})),
		raw(t, backend.TypeCustomers, 10, customerJSON("cus_C", "carol", "c@x.io", 3, nil)),
		raw(t, backend.TypeCustomers, 10, customerJSON("cus_D", "dave", "d@x.io", 4, nil)),
	)
	failed := chargeJSON("ch_F", "cus_B", "in_B", 20, 0)
	failed["status"] = "failed"
	open := invoiceJSON("in_B", "cus_B", "sub_B", 20, 1)
	open["status"] = "open"
	if err := db.ApplyEvents(ctx, nil, []backend.RawObject{
		raw(t, backend.TypeSubscriptions, 10, subscriptionJSON("sub_A", "cus_A", "trialing", 10, 1)),
		raw(t, backend.TypeSubscriptions, 10, subscriptionJSON("sub_B", "cus_B", "past_due", 11, 1)),
		raw(t, backend.TypeSubscriptions, 10, subscriptionJSON("sub_C", "cus_C", "canceled", 12, 1)),
		raw(t, backend.TypeSubscriptions, 10, subscriptionJSON("sub_C2", "cus_C", "active", 13, 1)),
		raw(t, backend.TypeSubscriptions, 10, subscriptionJSON("sub_D", "cus_D", "canceled", 14, 1)),
		raw(t, backend.TypeInvoices, 10, open),
		raw(t, backend.TypeInvoices, 10, invoiceJSON("in_A", "cus_A", "sub_A", 15, 1)),
		raw(t, backend.TypeCharges, 10, failed),
	}, 0); err != nil {
		t.Fatal(err)
	}
	ids := func(rs []CustomerRow) (out []string) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return
	}
	cases := []struct {
		f     CustomerFilter
		want  string
		total int64
	}{
		{CustomerFilter{}, "cus_A cus_B cus_C cus_D", 4},
		{CustomerFilter{Desc: true, Limit: 2}, "cus_D cus_C", 4},
		{CustomerFilter{Desc: true, Limit: 2, Offset: 2}, "cus_B cus_A", 4},
		{CustomerFilter{Sort: SortName}, "cus_A cus_B cus_C cus_D", 4},
		{CustomerFilter{Status: "past_due"}, "cus_B", 1},
		{CustomerFilter{Delinquent: true}, "cus_B", 1},
		{CustomerFilter{Currency: "EUR"}, "cus_B", 1},
		{CustomerFilter{InTrial: true}, "cus_A", 1},
		{CustomerFilter{Canceled: true}, "cus_D", 1},
	}
	for _, c := range cases {
		w, err := db.CustomerWindow(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := joinIDs(ids(w.Rows)); got != c.want || w.Total != c.total {
			t.Errorf("%+v = %q (%d), want %q (%d)", c.f, got, w.Total, c.want, c.total)
		}
	}
	if _, err := db.CustomerWindow(ctx, CustomerFilter{Sort: "mrr; drop"}); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("bad sort: %v", err)
	}
	if _, err := db.CustomerWindow(ctx, CustomerFilter{Limit: 5000}); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("big limit: %v", err)
	}
	inv, total, err := db.InvoiceWindow(ctx, InvoiceListFilter{Failed: true})
	if err != nil || total != 1 || len(inv) != 1 || inv[0].ID != "in_B" || inv[0].CustomerName != "Bob" {
		t.Fatalf("dunning: %+v %d %v", inv, total, err)
	}
	inv, total, _ = db.InvoiceWindow(ctx, InvoiceListFilter{})
	if total != 2 || inv[0].ID != "in_B" {
		t.Fatalf("invoices: %+v", inv)
	}
	subs, total, err := db.SubscriptionWindow(ctx, SubscriptionListFilter{Status: "past_due"})
	if err != nil || total != 1 || subs[0].ID != "sub_B" || subs[0].CustomerEmail != "b@x.io" {
		t.Fatalf("past_due: %+v %v", subs, err)
	}
	subs, total, _ = db.SubscriptionWindow(ctx, SubscriptionListFilter{Limit: 2})
	if total != 5 || len(subs) != 2 || subs[0].ID != "sub_D" {
		t.Fatalf("subscriptions: %+v %d", subs, total)
	}
}

func joinIDs(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += " "
		}
		out += v
	}
	return out
}
