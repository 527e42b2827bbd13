package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"billfold/backend"
)

func TestPath(t *testing.T) {
	p, err := Path("/h", "acct_123", backend.ModeLive)
	if err != nil || p != "/h/accounts/acct_123/live.db" {
		t.Fatalf("Path = %q, %v", p, err)
	}
	for _, c := range []struct{ acct, mode string }{{"acct_../x", "test"}, {"cus_1", "test"}, {"acct_1", "prod"}, {"", "test"}} {
		if _, err := Path("/h", c.acct, backend.Mode(c.mode)); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("Path(%q, %q) err = %v, want EINVALID", c.acct, c.mode, err)
		}
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	db := openTest(t, path)
	if n := count(t, db, "SELECT count(*) FROM schema_migrations"); n != int64(SchemaVersion()) || n < 1 {
		t.Fatalf("schema_migrations rows = %d, want %d", n, SchemaVersion())
	}
	in, err := db.Info(ctx)
	if err != nil || in.SchemaVersion != SchemaVersion() || in.StripeAPIVersion != backend.StripeAPIVersion {
		t.Fatalf("Info = %+v, %v", in, err)
	}
	var mode string
	db.r.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	var fk int
	db.w.QueryRow("PRAGMA foreign_keys").Scan(&fk)
	if fk != 1 {
		t.Errorf("foreign_keys = %d, want 1", fk)
	}
	savePage(t, db, raw(t, backend.TypeCustomers, 10, customerJSON("cus_1", "A", "a@x.io", 1, nil)))
	db.Close()

	// Reopening applies nothing again and keeps the data.
	db = openTest(t, path)
	if n := count(t, db, "SELECT count(*) FROM schema_migrations"); n != int64(SchemaVersion()) {
		t.Fatalf("after reopen: %d migrations", n)
	}
	if n := count(t, db, "SELECT count(*) FROM customers"); n != 1 {
		t.Fatalf("after reopen: %d customers", n)
	}
	// A cache from a newer build is refused, and left as it is.
	if _, err := db.w.Exec("INSERT INTO schema_migrations VALUES (999, '0999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(ctx, path, Options{})
	if backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("open newer schema: err = %v, want EINVALID", err)
	}
}

func TestLoadMigrationsRejectsGaps(t *testing.T) {
	ms, err := loadMigrations(migrationFS)
	if err != nil || len(ms) == 0 || ms[0].name != "0001_init.sql" {
		t.Fatalf("loadMigrations = %v, %v", ms, err)
	}
}

func TestUpsertGuard(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		stamp    int64
		wantName string
	}{
		{"older stamp ignored", 99, "Second"},
		{"equal stamp applied", 100, "Third"},
		{"newer stamp applied", 101, "Third"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openTest(t, dbPath(t))
			savePage(t, db, raw(t, backend.TypeCustomers, 50, customerJSON("cus_1", "First", "a@x.io", 1, nil)))
			savePage(t, db, raw(t, backend.TypeCustomers, 100, customerJSON("cus_1", "Second", "a@x.io", 1, nil)))
			savePage(t, db, raw(t, backend.TypeCustomers, c.stamp, customerJSON("cus_1", "Third", "a@x.io", 1, nil)))
			d, err := db.Customer(ctx, "cus_1")
			if err != nil {
				t.Fatal(err)
			}
			if d.Customer.Name != c.wantName {
				t.Fatalf("name = %q, want %q", d.Customer.Name, c.wantName)
			}
			hits, _ := db.SearchCustomers(ctx, c.wantName, 10)
			if len(hits) != 1 {
				t.Fatalf("search %q: %v", c.wantName, hits)
			}
			if other := map[string]string{"Second": "Third", "Third": "Second"}[c.wantName]; true {
				if hits, _ := db.SearchCustomers(ctx, other, 10); len(hits) != 0 {
					t.Fatalf("search %q still finds %v", other, hits)
				}
			}
		})
	}
}

func TestDeletedWithoutJSONAndCreatedFromJSON(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	o := raw(t, backend.TypeCustomers, 10, customerJSON("cus_1", "A", "a@x.io", 777, nil))
	o.Created = 0 // the caller did not fill it: taken from the JSON
	savePage(t, db, o)
	if n := count(t, db, "SELECT created FROM customers WHERE id = 'cus_1'"); n != 777 {
		t.Fatalf("created = %d", n)
	}
	del := backend.RawObject{Type: backend.TypeProducts, ID: "prod_x", Stamp: 5, Deleted: true}
	if err := db.ApplyEvents(ctx, nil, []backend.RawObject{del}, 5); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT count(*) FROM products WHERE id = 'prod_x' AND deleted = 1 AND raw LIKE '%\"deleted\":true%'"); n != 1 {
		t.Fatal("tombstone without JSON not stored")
	}
}

func TestSameContentNewerStampMovesStamp(t *testing.T) {
	db := openTest(t, dbPath(t))
	c := customerJSON("cus_1", "A", "a@x.io", 1, nil)
	savePage(t, db, raw(t, backend.TypeCustomers, 100, c))
	savePage(t, db, raw(t, backend.TypeCustomers, 200, c))
	// An older, different state must now lose against the moved stamp.
	savePage(t, db, raw(t, backend.TypeCustomers, 150, customerJSON("cus_1", "Stale", "a@x.io", 1, nil)))
	if n := count(t, db, "SELECT count(*) FROM customers WHERE name = 'A' AND stamp = 200"); n != 1 {
		t.Fatal("stamp did not move or stale state won")
	}
}

func TestSubscriptionVersions(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	sub := func(stamp, qty int64, status string) backend.RawObject {
		return raw(t, backend.TypeSubscriptions, stamp, subscriptionJSON("sub_1", "cus_1", status, 1000, qty))
	}
	savePage(t, db, sub(100, 1, "active"))
	savePage(t, db, sub(200, 1, "active"))   // same content: no version
	savePage(t, db, sub(300, 3, "active"))   // change
	savePage(t, db, sub(250, 5, "active"))   // older: ignored
	savePage(t, db, sub(300, 3, "active"))   // same again
	savePage(t, db, sub(400, 3, "canceled")) // change
	vs, err := db.SubscriptionVersions(ctx, "sub_1")
	if err != nil {
		t.Fatal(err)
	}
	var ats []int64
	for _, v := range vs {
		ats = append(ats, v.At)
	}
	if len(vs) != 3 || ats[0] != 100 || ats[1] != 300 || ats[2] != 400 {
		t.Fatalf("versions at %v, want [100 300 400]", ats)
	}
	var n int
	err = db.EachSubscriptionVersion(ctx, func(v SubscriptionVersion) error {
		n++
		if v.Subscription != "sub_1" || len(v.Raw) == 0 {
			return errors.New("bad version row")
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("EachSubscriptionVersion: %d, %v", n, err)
	}
	// Children follow the latest state.
	if q := count(t, db, "SELECT quantity FROM subscription_items WHERE subscription = 'sub_1'"); q != 3 {
		t.Fatalf("item quantity = %d, want 3", q)
	}
	if n := count(t, db, "SELECT count(*) FROM discounts WHERE parent_id = 'sub_1' AND coupon = 'co_1'"); n != 1 {
		t.Fatalf("discounts = %d", n)
	}
	if s := count(t, db, "SELECT count(*) FROM subscriptions WHERE status = 'canceled'"); s != 1 {
		t.Fatal("status not canceled")
	}
}

func TestSavePageAtomicWithRange(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	typ := backend.TypeCustomers
	plan := []backend.SyncRange{{Type: typ, Gte: 0, Lt: 100}, {Type: typ, Gte: 100, Lt: 200}}
	if err := db.ReplaceRanges(ctx, typ, plan); err != nil {
		t.Fatal(err)
	}
	r := backend.SyncRange{Type: typ, Gte: 0, Lt: 100, Cursor: "cus_2", Count: 2}
	good := []backend.RawObject{
		raw(t, typ, 10, customerJSON("cus_1", "A", "a@x.io", 50, nil)),
		raw(t, typ, 10, customerJSON("cus_2", "B", "b@x.io", 40, nil)),
	}
	if err := db.SavePage(ctx, r, good); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Ranges(ctx, typ)
	if len(got) != 2 || got[0].Cursor != "cus_2" || got[0].Count != 2 || got[0].Done {
		t.Fatalf("ranges = %+v", got)
	}
	// A bad object in the page: nothing of the page and not the range is saved.
	bad := []backend.RawObject{
		raw(t, typ, 10, customerJSON("cus_3", "C", "c@x.io", 30, nil)),
		{Type: typ, ID: "cus_4", Created: 20, Stamp: 10, Raw: []byte(`{"id": "cus_4", "name": 12`)},
	}
	r2 := backend.SyncRange{Type: typ, Gte: 0, Lt: 100, Cursor: "cus_4", Count: 4, Done: true}
	if err := db.SavePage(ctx, r2, bad); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("bad page: err = %v, want EINVALID", err)
	}
	if n := count(t, db, "SELECT count(*) FROM customers"); n != 2 {
		t.Fatalf("customers after failed page = %d, want 2", n)
	}
	got, _ = db.Ranges(ctx, typ)
	if got[0].Cursor != "cus_2" || got[0].Done {
		t.Fatalf("range moved by a failed page: %+v", got[0])
	}
	// A range that overlaps the plan is refused.
	err := db.SavePage(ctx, backend.SyncRange{Type: typ, Gte: 50, Lt: 150}, nil)
	if backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("overlapping range: err = %v, want ECONFLICT", err)
	}
	// Bad plans are refused and change nothing.
	for _, p := range [][]backend.SyncRange{
		{{Gte: 0, Lt: 10}, {Gte: 5, Lt: 20}},
		{{Gte: 10, Lt: 10}},
		{{Type: backend.TypeInvoices, Gte: 0, Lt: 10}},
	} {
		if err := db.ReplaceRanges(ctx, typ, p); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("ReplaceRanges(%v) err = %v, want EINVALID", p, err)
		}
	}
	if got, _ = db.Ranges(ctx, typ); len(got) != 2 {
		t.Fatalf("ranges after bad plans = %+v", got)
	}
	// Done is saved.
	r.Done, r.Cursor = true, ""
	if err := db.SavePage(ctx, r, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = db.Ranges(ctx, typ)
	if !got[0].Done {
		t.Fatal("done not saved")
	}
	if err := db.SavePage(ctx, backend.SyncRange{Type: "widgets", Gte: 0, Lt: 1}, nil); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("unknown type: %v", err)
	}
}

func TestApplyEventsDedupe(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	c := customerJSON("cus_1", "Ann", "ann@x.io", 5, nil)
	ev := backend.Event{ID: "evt_1", Object: "event", Type: "customer.updated", Created: 500, APIVersion: "2023-10-16",
		Data: backend.EventData{Object: mustJSON(t, c)}}
	ev2 := ev
	ev2.ID, ev2.Created = "evt_2", 501
	o := raw(t, backend.TypeCustomers, 500, c)
	if err := db.ApplyEvents(ctx, []backend.Event{ev, ev2}, []backend.RawObject{o}, 440); err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyEvents(ctx, []backend.Event{ev, ev2}, []backend.RawObject{o}, 441); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT count(*) FROM events"); n != 2 {
		t.Fatalf("events = %d, want 2", n)
	}
	if n := count(t, db, "SELECT count(*) FROM events WHERE customer = 'cus_1' AND object_type = 'customer'"); n != 2 {
		t.Fatalf("event refs not derived: %d", n)
	}
	if cur, err := db.EventsCursor(ctx); err != nil || cur != 441 {
		t.Fatalf("cursor = %d, %v", cur, err)
	}
	// A failing object rolls back the events and the cursor.
	ev3 := ev
	ev3.ID = "evt_3"
	bad := backend.RawObject{Type: backend.TypeCustomers, ID: "cus_9", Stamp: 1, Raw: []byte(`[1]`)}
	if err := db.ApplyEvents(ctx, []backend.Event{ev3}, []backend.RawObject{bad}, 999); err == nil {
		t.Fatal("bad object accepted")
	}
	if cur, _ := db.EventsCursor(ctx); cur != 441 {
		t.Fatalf("cursor moved to %d by a failed batch", cur)
	}
	if n := count(t, db, "SELECT count(*) FROM events"); n != 2 {
		t.Fatalf("events after failed batch = %d", n)
	}
}

func TestDeletes(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	savePage(t, db, raw(t, backend.TypeCustomers, 100, customerJSON("cus_1", "Dora Deleted", "dora@x.io", 5, nil)))
	savePage(t, db, raw(t, backend.TypeCustomers, 100, customerJSON("cus_2", "Dora Kept", "kept@x.io", 6, nil)))
	del := backend.RawObject{Type: backend.TypeCustomers, ID: "cus_1", Created: 5, Stamp: 200, Deleted: true,
		Raw: []byte(`{"id":"cus_1","object":"customer","deleted":true}`)}
	if err := db.ApplyEvents(ctx, nil, []backend.RawObject{del}, 200); err != nil {
		t.Fatal(err)
	}
	d, err := db.Customer(ctx, "cus_1")
	if err != nil || !d.Deleted || d.Customer.Email != "dora@x.io" {
		t.Fatalf("deleted customer: %+v, %v", d, err)
	}
	hits, _ := db.SearchCustomers(ctx, "dora", 10)
	if len(hits) != 1 || hits[0].ID != "cus_2" {
		t.Fatalf("search finds deleted: %v", hits)
	}
	page, _ := db.ListCustomers(ctx, CustomerListOptions{})
	if len(page.Customers) != 1 {
		t.Fatalf("list shows deleted: %+v", page.Customers)
	}
	page, _ = db.ListCustomers(ctx, CustomerListOptions{IncludeDeleted: true})
	if len(page.Customers) != 2 {
		t.Fatalf("list with deleted: %+v", page.Customers)
	}
	// A stale list page (older stamp, or the same second) does not bring it back.
	savePage(t, db, raw(t, backend.TypeCustomers, 150, customerJSON("cus_1", "Dora Deleted", "dora@x.io", 5, nil)))
	savePage(t, db, raw(t, backend.TypeCustomers, 200, customerJSON("cus_1", "Dora Deleted", "dora@x.io", 5, nil)))
	if d, _ := db.Customer(ctx, "cus_1"); !d.Deleted {
		t.Fatal("deleted customer resurrected")
	}
	counts, _ := db.Counts(ctx)
	if counts[backend.TypeCustomers] != 1 {
		t.Fatalf("counts = %v", counts)
	}
	h, _ := db.Hashes(ctx, backend.TypeCustomers, 0, 100)
	if len(h) != 1 || h["cus_2"] == "" {
		t.Fatalf("hashes = %v", h)
	}

	// Deleted products, prices, coupons, draft invoices become tombstones,
	// also when they were never seen before.
	for _, c := range []struct {
		typ backend.ObjectType
		id  string
	}{{backend.TypeProducts, "prod_9"}, {backend.TypePrices, "price_9"}, {backend.TypeCoupons, "co_9"}, {backend.TypeInvoices, "in_9"}} {
		o := backend.RawObject{Type: c.typ, ID: c.id, Stamp: 300, Deleted: true, Raw: []byte(`{"id":"` + c.id + `","deleted":true}`)}
		if err := db.ApplyEvents(ctx, nil, []backend.RawObject{o}, 300); err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		if n := count(t, db, "SELECT count(*) FROM "+tables[c.typ].name+" WHERE id = ? AND deleted = 1", c.id); n != 1 {
			t.Errorf("%s %s: no tombstone", c.typ, c.id)
		}
	}
	// A draft invoice seen, then deleted: its lines go.
	savePage(t, db, raw(t, backend.TypeInvoices, 100, invoiceJSON("in_1", "cus_2", "", 10, 3)))
	if n := count(t, db, "SELECT count(*) FROM invoice_lines WHERE invoice = 'in_1'"); n != 3 {
		t.Fatalf("lines = %d", n)
	}
	o := backend.RawObject{Type: backend.TypeInvoices, ID: "in_1", Stamp: 400, Deleted: true, Raw: []byte(`{"id":"in_1","object":"invoice","deleted":true}`)}
	if err := db.ApplyEvents(ctx, nil, []backend.RawObject{o}, 400); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT count(*) FROM invoice_lines WHERE invoice = 'in_1'"); n != 0 {
		t.Fatalf("lines of deleted invoice = %d", n)
	}
	// A coupon id reused by a newer coupon comes back.
	savePage(t, db, raw(t, backend.TypeCoupons, 500, obj{"id": "co_9", "object": "coupon", "created": int64(450), "duration": "once", "percent_off": 10, "valid": true}))
	if n := count(t, db, "SELECT count(*) FROM coupons WHERE id = 'co_9' AND deleted = 0 AND percent_off = '10'"); n != 1 {
		t.Fatal("reused coupon id not stored")
	}
}

func TestBusyByAnotherProcessIsConflict(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	a := openTest(t, path)
	b, err := Open(ctx, path, Options{BusyTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tx, err := a.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	err = b.SavePage(ctx, rng(backend.TypeCustomers), []backend.RawObject{raw(t, backend.TypeCustomers, 1, customerJSON("cus_1", "A", "a@x.io", 1, nil))})
	if backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("err = %v, want ECONFLICT", err)
	}
	// Reads are not blocked by the writer.
	if _, err := b.Counts(ctx); err != nil {
		t.Fatalf("read during another's write: %v", err)
	}
	tx.Rollback()
	if err := b.SavePage(ctx, rng(backend.TypeCustomers), nil); err != nil {
		t.Fatal(err)
	}
}
