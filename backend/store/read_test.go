package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"billfold/backend"
)

func TestCustomerDetail(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	seedCustomer(t, db, "cus_a", "Ada Lovelace", "ada@x.io", 10)
	seedCustomer(t, db, "cus_b", "Bob", "bob@x.io", 11)
	d, err := db.Customer(ctx, "cus_a")
	if err != nil {
		t.Fatal(err)
	}
	if d.Customer.Name != "Ada Lovelace" || len(d.Subscriptions) != 1 || len(d.Invoices) != 1 || len(d.Charges) != 1 || len(d.Refunds) != 1 {
		t.Fatalf("detail = %+v", d)
	}
	if d.Subscriptions[0].Items.Data[0].Quantity != 2 || len(d.Invoices[0].Lines.Data) != 2 || d.Refunds[0].Amount != 100 {
		t.Fatalf("detail content wrong: %+v", d)
	}
	if d.Charges[0].PaymentMethodDetails.Card.Last4 != "4242" {
		t.Fatal("card not decoded")
	}
	if n := count(t, db, "SELECT count(*) FROM charges WHERE card_last4 = '4242' AND card_brand = 'visa'"); n != 2 {
		t.Fatalf("derived card columns: %d", n)
	}
	if n := count(t, db, "SELECT count(*) FROM invoices WHERE paid_at = 70 AND amount_due = 5800 AND tax IS NULL"); n != 1 {
		t.Fatalf("derived invoice columns: %d", n)
	}
	if _, err := db.Customer(ctx, "cus_zzz"); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("unknown: %v", err)
	}
}

func TestListCustomersPages(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	var objs []backend.RawObject
	names := []string{"delta", "Alpha", "charlie", "bravo", "Echo", "alpha"}
	for i, n := range names {
		objs = append(objs, raw(t, backend.TypeCustomers, 1, customerJSON(fmt.Sprintf("cus_%d", i), n, n+"@x.io", int64(100+i%3), nil)))
	}
	savePage(t, db, objs...)
	walk := func(o CustomerListOptions) []string {
		var out []string
		for pages := 0; pages < 10; pages++ {
			p, err := db.ListCustomers(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Customers {
				out = append(out, c.Name)
			}
			if p.Next == "" {
				return out
			}
			o.After = p.Next
		}
		t.Fatal("too many pages")
		return nil
	}
	got := walk(CustomerListOptions{Sort: SortName, Limit: 4})
	if fmt.Sprint(got) != "[Alpha alpha bravo charlie delta Echo]" {
		t.Fatalf("by name = %v", got)
	}
	got = walk(CustomerListOptions{Sort: SortName, Order: "desc", Limit: 1})
	if fmt.Sprint(got) != "[Echo delta charlie bravo alpha Alpha]" {
		t.Fatalf("by name desc = %v", got)
	}
	got = walk(CustomerListOptions{Limit: 2}) // created desc, ties newest stored first
	if fmt.Sprint(got) != "[alpha charlie Echo Alpha bravo delta]" {
		t.Fatalf("by created = %v", got)
	}
	if _, err := db.ListCustomers(ctx, CustomerListOptions{Sort: "balance"}); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatal(err)
	}
	if _, err := db.ListCustomers(ctx, CustomerListOptions{After: "!!"}); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatal(err)
	}
}

func TestEachCountsHashes(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	seedCustomer(t, db, "cus_a", "A", "a@x.io", 10)
	seedCustomer(t, db, "cus_b", "B", "b@x.io", 20)
	var subs []string
	if err := db.EachSubscription(ctx, EachOptions{}, func(s *backend.Subscription) error {
		subs = append(subs, s.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(subs) != "[sub_cus_a sub_cus_b]" {
		t.Fatalf("subs = %v", subs)
	}
	var n int
	db.EachInvoice(ctx, EachOptions{Customer: "cus_b"}, func(*backend.Invoice) error { n++; return nil })
	db.EachCharge(ctx, EachOptions{CreatedGte: 15}, func(*backend.Charge) error { n++; return nil })
	db.EachRefund(ctx, EachOptions{}, func(*backend.Refund) error { n++; return nil })
	db.EachCustomer(ctx, EachOptions{CreatedLt: 15}, func(*backend.Customer) error { n++; return nil })
	if n != 1+1+2+1 {
		t.Fatalf("each rows = %d", n)
	}
	stop := errors.New("stop")
	if err := db.Each(ctx, backend.TypeCustomers, EachOptions{}, func(backend.RawObject) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("callback error not returned: %v", err)
	}
	counts, err := db.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[backend.ObjectType]int64{backend.TypeCustomers: 2, backend.TypeSubscriptions: 2, backend.TypeInvoices: 2,
		backend.TypeCharges: 2, backend.TypeRefunds: 2, backend.TypeEvents: 4, backend.TypeProducts: 0}
	for typ, w := range want {
		if counts[typ] != w {
			t.Errorf("count %s = %d, want %d", typ, counts[typ], w)
		}
	}
	h, _ := db.Hashes(ctx, backend.TypeSubscriptions, 0, 15)
	if len(h) != 1 {
		t.Fatalf("hashes = %v", h)
	}
	var rawSub json.RawMessage
	db.Each(ctx, backend.TypeSubscriptions, EachOptions{CreatedLt: 15}, func(o backend.RawObject) error {
		rawSub = append(json.RawMessage(nil), o.Raw...)
		return nil
	})
	if want, _ := backend.ContentHash(rawSub); h["sub_cus_a"] != want {
		t.Fatalf("hash %s != ContentHash %s", h["sub_cus_a"], want)
	}
}

func TestMetaSyncStateBackup(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	if err := db.SetAccount(ctx, "acct_1", backend.ModeTest); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAccount(ctx, "acct_1", backend.ModeTest); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAccount(ctx, "acct_2", backend.ModeTest); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("other account: %v", err)
	}
	in, _ := db.Info(ctx)
	if in.AccountID != "acct_1" || in.Mode != backend.ModeTest {
		t.Fatalf("info = %+v", in)
	}
	if err := db.RecordSync(ctx, true, 1234, json.RawMessage(`{"customers": 2}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordSync(ctx, false, 1300, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordSync(ctx, false, 1300, json.RawMessage(`{`)); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatal(err)
	}
	st, _ := db.SyncState(ctx)
	if st.LastFullSync != 1234 || st.LastIncrementalSync != 1300 || string(st.LastFullSummary) != `{"customers": 2}` {
		t.Fatalf("state = %+v", st)
	}
	seedCustomer(t, db, "cus_a", "A", "a@x.io", 10)
	dest := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, dest); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("existing dest: %v", err)
	}
	cp := openTest(t, dest)
	if cp.Recovery() != nil {
		t.Fatal("backup is damaged")
	}
	c1, _ := db.Counts(ctx)
	c2, _ := cp.Counts(ctx)
	if fmt.Sprint(c1) != fmt.Sprint(c2) {
		t.Fatalf("backup counts %v != %v", c2, c1)
	}
	if hits, _ := cp.SearchCustomers(ctx, "a@x", 5); len(hits) != 1 {
		t.Fatal("backup search index broken")
	}
}
