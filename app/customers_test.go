package app

import (
	"context"
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"billfold/backend"
	"billfold/backend/analytics/sandboxdb"
	"billfold/backend/store"
)

type cancelSaver struct{}

func (cancelSaver) SaveFileDialog(string, string) (string, error) { return "", nil }

func TestCustomersServiceOverASyncedCache(t *testing.T) {
	t.Setenv("BILLFOLD_HOME", t.TempDir())
	e := sandboxdb.New(t, 11, 80, nil)
	ctx := context.Background()
	saver := &dirSaver{dir: t.TempDir()}
	svc := NewCustomersService(CustomersOptions{CachePath: func(context.Context) (string, error) { return e.Path, nil }, Saver: saver})

	// the customer with the most invoices
	var best backend.Customer
	most := -1
	if err := e.DB.EachCustomer(ctx, storeAll(), func(c *backend.Customer) error {
		d, err := e.DB.Customer(ctx, c.ID)
		if err != nil {
			return err
		}
		if len(d.Invoices) > most && c.Email != "" {
			best, most = *c, len(d.Invoices)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if most <= 0 {
		t.Fatal("no customer with invoices")
	}
	hits, err := svc.Search(best.Email[:strings.IndexByte(best.Email, '@')])
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range hits {
		found = found || h.ID == best.ID
	}
	if !found {
		t.Fatalf("search did not find %s: %+v", best.ID, hits)
	}
	if _, err := svc.Search("status:nope"); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("bad syntax: %v", err)
	}

	d, err := svc.Detail(best.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != best.ID || len(d.Invoices) != most || len(d.Subscriptions) == 0 || len(d.Timeline) == 0 || d.LastSynced == 0 {
		t.Fatalf("detail: %d invoices (want %d), %d subscriptions, %d timeline, synced %d", len(d.Invoices), most,
			len(d.Subscriptions), len(d.Timeline), d.LastSynced)
	}
	// lifetime paid equals the succeeded charges less refunds, computed here
	var want int64
	for _, p := range d.Payments {
		if p.Kind == "charge" && p.Status == "succeeded" {
			want += p.Amount - p.Refunded
		}
	}
	var got int64
	for _, m := range d.LifetimePaid {
		got += m.Amount
	}
	if got != want {
		t.Fatalf("lifetime paid %d, want %d", got, want)
	}
	for i := 1; i < len(d.Timeline); i++ {
		if d.Timeline[i].At > d.Timeline[i-1].At {
			t.Fatal("timeline not newest first")
		}
	}
	if _, err := svc.Detail("cus_nope"); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("unknown id: %v", err)
	}

	p, err := svc.ExportCSV("invoices")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(p)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) < 2 {
		t.Fatalf("csv: %v %d", err, len(recs))
	}
	if _, err := svc.ExportCSV("refunds-nope"); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("bad table: %v", err)
	}
	svc2 := NewCustomersService(CustomersOptions{CachePath: func(context.Context) (string, error) { return e.Path, nil }, Saver: cancelSaver{}})
	if p, err := svc2.ExportCSV("customers"); p != "" || err != nil {
		t.Fatalf("cancel: %q %v", p, err)
	}
}

func TestMonthly(t *testing.T) {
	for _, c := range []struct {
		amount   int64
		interval string
		n, want  int64
	}{{1200, "year", 1, 100}, {2900, "month", 1, 2900}, {9000, "month", 3, 3000}, {1000, "week", 1, 4333}, {100, "day", 1, 3042}, {5, "lightyear", 1, 0}} {
		if got := monthly(c.amount, c.interval, c.n); got != c.want {
			t.Errorf("monthly(%d %s/%d) = %d, want %d", c.amount, c.interval, c.n, got, c.want)
		}
	}
}

func storeAll() store.EachOptions { return store.EachOptions{} }

func TestCustomersServiceLists(t *testing.T) {
	t.Setenv("BILLFOLD_HOME", t.TempDir())
	e := sandboxdb.New(t, 12, 60, nil)
	svc := NewCustomersService(CustomersOptions{CachePath: func(context.Context) (string, error) { return e.Path, nil }})
	counts, err := e.DB.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w, err := svc.List(CustomerFilterDTO{}, "-created", 0, 10)
	if err != nil || w.Total != counts[backend.TypeCustomers] || len(w.Rows) != 10 || w.Rows[0].Created < w.Rows[9].Created {
		t.Fatalf("list: %+v %v", w, err)
	}
	page2, _ := svc.List(CustomerFilterDTO{}, "-created", 10, 10)
	if page2.Rows[0].ID == w.Rows[9].ID {
		t.Fatal("offset ignored")
	}
	if _, err := svc.List(CustomerFilterDTO{}, "mrr", 0, 10); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("bad sort: %v", err)
	}
	s, err := svc.Subscriptions("", "", 0, 1000)
	if err != nil || s.Total != counts[backend.TypeSubscriptions] {
		t.Fatalf("subscriptions: %d of %d, %v", s.Total, counts[backend.TypeSubscriptions], err)
	}
	pd, _ := svc.Subscriptions("past_due", "", 0, 1000)
	for _, r := range pd.Rows {
		if r.Status != "past_due" {
			t.Fatalf("past_due list has %s", r.Status)
		}
	}
	inv, err := svc.Invoices("open", false, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range inv.Rows {
		if r.Status != "open" {
			t.Fatalf("open list has %s", r.Status)
		}
	}
	if _, err := svc.Invoices("weird", false, 0, 10); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("bad status: %v", err)
	}
}
