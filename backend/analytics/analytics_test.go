package analytics_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"billfold/backend"
	"billfold/backend/analytics"
	"billfold/backend/analytics/sandboxdb"
	"billfold/backend/metrics"
	"billfold/backend/store"
)

// direct computes every series straight from the store's objects with the
// metrics package, independently of analytics' chunked path.
func direct(t *testing.T, db *store.DB, s metrics.Settings) []metrics.Series {
	t.Helper()
	ctx := context.Background()
	cat := map[string]backend.Price{}
	if err := db.EachPrice(ctx, func(p *backend.Price) error { cat[p.ID] = *p; return nil }); err != nil {
		t.Fatal(err)
	}
	invs := map[string][]backend.Invoice{}
	if err := db.EachInvoice(ctx, store.EachOptions{IncludeDeleted: true}, func(v *backend.Invoice) error {
		if v.Subscription.ID != "" {
			invs[v.Subscription.ID] = append(invs[v.Subscription.ID], *v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	vers := map[string][]metrics.SubVersion{}
	if err := db.EachSubscriptionVersion(ctx, func(v store.SubscriptionVersion) error {
		var sub backend.Subscription
		if err := json.Unmarshal(v.Raw, &sub); err != nil {
			return err
		}
		vers[v.Subscription] = append(vers[v.Subscription], metrics.SubVersion{At: v.At, Sub: sub})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var tls []metrics.Timeline
	if err := db.EachSubscription(ctx, store.EachOptions{IncludeDeleted: true}, func(sub *backend.Subscription) error {
		tl := metrics.BuildTimeline(*sub, invs[sub.ID], vers[sub.ID])
		tl.UsePrices(cat)
		tls = append(tls, tl)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return metrics.BuildSeries(tls, s)
}

func sameSeries(t *testing.T, what string, got, want []metrics.Series) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d series, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("%s: series %d (%s %s) differs:\n got %v\nwant %v", what, i, want[i].Customer, want[i].Currency, got[i].Points, want[i].Points)
		}
	}
}

func TestRebuildAndRefreshMatchDirect(t *testing.T) {
	ctx := context.Background()
	e := sandboxdb.New(t, 5, 150, nil)
	s := metrics.Defaults()
	dirty, err := e.DB.DirtyCustomers(ctx)
	if err != nil || len(dirty) == 0 {
		t.Fatalf("after a full sync every customer with subscriptions is marked: %d, %v", len(dirty), err)
	}
	st, err := analytics.Ensure(ctx, e.DB, s, analytics.Options{Workers: 3})
	if err != nil || !st.Full || st.Points == 0 {
		t.Fatalf("ensure: %+v %v", st, err)
	}
	got, err := analytics.Series(ctx, e.DB, "")
	if err != nil {
		t.Fatal(err)
	}
	sameSeries(t, "rebuild", got, direct(t, e.DB, s))
	if d, _ := e.DB.DirtyCustomers(ctx); len(d) != 0 {
		t.Fatalf("rebuild left %d marks", len(d))
	}
	// nothing changed: Ensure does nothing
	if st, err := analytics.Ensure(ctx, e.DB, s, analytics.Options{}); err != nil || st.Full || st.Customers != 0 {
		t.Fatalf("second ensure: %+v %v", st, err)
	}

	// cancel two subscriptions, sync incrementally: only their customers refresh
	var subs []*backend.Subscription
	if err := e.DB.EachSubscription(ctx, store.EachOptions{}, func(sub *backend.Subscription) error {
		if sub.Status == "active" && len(subs) < 2 {
			c := *sub
			subs = append(subs, &c)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(subs) < 2 {
		t.Fatal("no active subscriptions")
	}
	for _, sub := range subs {
		if code := e.Post("DELETE", "/v1/subscriptions/"+sub.ID, nil); code != 200 {
			t.Fatalf("cancel %s: %d", sub.ID, code)
		}
	}
	e.Advance(2 * 60e9)
	e.Sync()
	marks, err := e.DB.DirtyCustomers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{subs[0].Customer.ID: true, subs[1].Customer.ID: true}
	for _, m := range marks {
		if !want[m.Customer] {
			t.Errorf("customer %s marked but not changed", m.Customer)
		}
		delete(want, m.Customer)
	}
	if len(want) != 0 {
		t.Fatalf("changed customers not marked: %v", want)
	}
	st, err = analytics.Ensure(ctx, e.DB, s, analytics.Options{Workers: 2})
	if err != nil || st.Full || st.Customers != len(marks) {
		t.Fatalf("refresh: %+v %v", st, err)
	}
	got, _ = analytics.Series(ctx, e.DB, "")
	sameSeries(t, "refresh", got, direct(t, e.DB, s))

	// a setting that changes MRR rebuilds everything
	c := analytics.Config{"discount_mode": "all_active"}
	if err := analytics.SaveConfig(ctx, e.DB, c); err != nil {
		t.Fatal(err)
	}
	lc, err := analytics.LoadConfig(ctx, e.DB)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := lc.Settings()
	if err != nil || s2.DiscountMode != metrics.AllActive {
		t.Fatalf("settings: %+v %v", s2, err)
	}
	if st, err := analytics.Ensure(ctx, e.DB, s2, analytics.Options{}); err != nil || !st.Full {
		t.Fatalf("ensure after a settings change: %+v %v", st, err)
	}
	got, _ = analytics.Series(ctx, e.DB, "")
	sameSeries(t, "all_active", got, direct(t, e.DB, s2))
	if err := analytics.SaveConfig(ctx, e.DB, analytics.Config{"discount-mode": "sometimes"}); err == nil {
		t.Fatal("a bad setting was saved")
	}
}
