package metrics

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	"billfold/backend"
)

// genHistory builds a subscription with random mid-cycle changes, its
// versions, and the invoices Stripe would have issued for it (renewal
// invoices carrying the previous period's proration lines).
func genHistory(t *testing.T, seed int64) (versions []SubVersion, invoices []backend.Invoice) {
	rng := rand.New(rand.NewSource(seed))
	start := ts(t, "2023-01-01") + int64(rng.Intn(300))*86400 + int64(rng.Intn(86400))
	n := 3 + rng.Intn(10)
	periods := make([]int64, n+1)
	for k := range periods {
		periods[k] = addMonthsUnix(start, k)
	}
	prices := []backend.Price{}
	for i, amt := range []int64{1000, 2500, 4900, 9900} {
		p := recurring("month", 1, amt)
		p.ID = fmt.Sprintf("price_%d", i)
		prices = append(prices, p)
	}
	yearly := recurring("year", 1, 30000)
	yearly.ID = "price_y" // an add-on billed yearly is left out: one billing cycle here
	_ = yearly
	type it struct {
		price int
		qty   int64
	}
	cur := map[string]it{"si_0": {rng.Intn(4), 1 + int64(rng.Intn(3))}}
	nextKey := 1
	snapshot := func(m map[string]it) map[string]it {
		c := map[string]it{}
		for k, v := range m {
			c[k] = v
		}
		return c
	}
	toSub := func(m map[string]it) backend.Subscription {
		var items []backend.SubscriptionItem
		for k := 0; k < nextKey; k++ {
			key := fmt.Sprintf("si_%d", k)
			if v, ok := m[key]; ok {
				items = append(items, backend.SubscriptionItem{ID: key, Price: prices[v.price], Quantity: v.qty})
			}
		}
		s := newSub("sub_h", "cus_h", start, items...)
		return s
	}
	type change struct {
		at       int64
		old, new map[string]it
	}
	var changes []change
	states := []map[string]it{snapshot(cur)}
	versions = append(versions, v(start, toSub(cur)))
	for k := 0; k < n; k++ {
		for c := 0; c < rng.Intn(3); c++ {
			at := periods[k] + 3600 + rng.Int63n(periods[k+1]-periods[k]-7200)
			if len(changes) > 0 && at <= changes[len(changes)-1].at {
				continue
			}
			old := snapshot(cur)
			switch op := rng.Intn(4); {
			case op == 0: // add an item
				cur[fmt.Sprintf("si_%d", nextKey)] = it{rng.Intn(4), 1 + int64(rng.Intn(4))}
				nextKey++
			case op == 1 && len(cur) > 1: // remove one
				for key := range cur {
					delete(cur, key)
					break
				}
			case op == 2: // change a quantity
				for key, x := range cur {
					x.qty = 1 + int64(rng.Intn(9))
					cur[key] = x
					break
				}
			default: // change a price
				for key, x := range cur {
					x.price = (x.price + 1 + rng.Intn(3)) % 4
					cur[key] = x
					break
				}
			}
			changes = append(changes, change{at, old, snapshot(cur)})
			states = append(states, snapshot(cur))
			versions = append(versions, v(at, toSub(cur)))
		}
	}
	end := toSub(cur)
	end.Status, end.EndedAt, end.CanceledAt = "canceled", p64(periods[n]), p64(periods[n])
	versions = append(versions, v(periods[n], end))
	// invoices
	stateAt := func(tm int64) map[string]it {
		s := states[0]
		for i, c := range changes {
			if c.at <= tm {
				s = states[i+1]
			}
		}
		return s
	}
	line := func(key string, x it, from, to int64, proration bool, sign int64) backend.InvoiceLine {
		p := prices[x.price]
		q := x.qty
		amt := sign * (*p.UnitAmount) * q
		if proration {
			amt = sign * max(1, (*p.UnitAmount)*q*(to-from)/(31*86400))
		}
		return backend.InvoiceLine{Type: "subscription", Amount: amt, Currency: "usd", Period: backend.Period{Start: from, End: to},
			Price: &p, Proration: proration, Quantity: &q, Subscription: backend.Ref{ID: "sub_h"}, SubscriptionItem: key}
	}
	for k := 0; k <= n; k++ {
		inv := backend.Invoice{ID: fmt.Sprintf("in_%d", k), Created: periods[k], Status: "paid", Subscription: backend.Ref{ID: "sub_h"}}
		if k > 0 {
			for _, c := range changes {
				if c.at <= periods[k-1] || c.at >= periods[k] {
					continue
				}
				for key, o := range c.old {
					if nw, ok := c.new[key]; !ok || nw != o {
						inv.Lines.Data = append(inv.Lines.Data, line(key, o, c.at, periods[k], true, -1))
					}
				}
				for key, nw := range c.new {
					if o, ok := c.old[key]; !ok || nw != o {
						inv.Lines.Data = append(inv.Lines.Data, line(key, nw, c.at, periods[k], true, 1))
					}
				}
			}
		}
		if k < n {
			for key, x := range stateAt(periods[k]) {
				inv.Lines.Data = append(inv.Lines.Data, line(key, x, periods[k], periods[k+1], false, 1))
			}
		}
		// a voided draft of the same period with wrong quantities (voided and
		// reissued) must not override the paid invoice
		void := backend.Invoice{ID: inv.ID + "_void", Status: "void", Subscription: inv.Subscription}
		if k < n {
			for key, x := range stateAt(periods[k]) {
				x.qty *= 50
				void.Lines.Data = append(void.Lines.Data, line(key, x, periods[k], periods[k+1], false, 1))
			}
		}
		invoices = append(invoices, void, inv)
	}
	return versions, invoices
}

func TestHistoryFromInvoicesMatchesVersions(t *testing.T) {
	for seed := int64(1); seed <= 200; seed++ {
		versions, invoices := genHistory(t, seed)
		want := (&Timeline{Versions: versions}).Steps(Defaults())
		latest := versions[len(versions)-1].Sub
		got := BuildTimeline(latest, invoices, nil)
		if gs := got.Steps(Defaults()); !reflect.DeepEqual(gs, want) {
			t.Fatalf("seed %d: from invoices %v\nfrom versions %v", seed, gs, want)
		}
		// With stored versions from the k-th on, invoices fill the past.
		k := int(seed) % len(versions)
		joined := BuildTimeline(latest, invoices, versions[k:])
		if gs := joined.Steps(Defaults()); !reflect.DeepEqual(gs, want) {
			t.Fatalf("seed %d (versions from %d): %v\nwant %v", seed, k, gs, want)
		}
	}
}

func TestHistoryProrationPaintsMidCycleChange(t *testing.T) {
	// Example 7's seat change as Stripe invoices it: qty 1 from 01-01, qty 3
	// from 02-15 (proration lines on the 03-01 invoice).
	p := recurring("month", 1, 4900)
	q1, q3 := int64(1), int64(3)
	ln := func(from, to string, q *int64, proration bool, amount int64) backend.InvoiceLine {
		return backend.InvoiceLine{Type: "subscription", Amount: amount, Period: backend.Period{Start: ts(t, from), End: ts(t, to)},
			Price: &p, Proration: proration, Quantity: q, Subscription: backend.Ref{ID: "sub_7"}, SubscriptionItem: "si_1"}
	}
	invs := []backend.Invoice{
		{ID: "in1", Status: "paid", Lines: backend.List[backend.InvoiceLine]{Data: []backend.InvoiceLine{ln("2024-01-01", "2024-02-01", &q1, false, 4900)}}},
		{ID: "in2", Status: "paid", Lines: backend.List[backend.InvoiceLine]{Data: []backend.InvoiceLine{ln("2024-02-01", "2024-03-01", &q1, false, 4900)}}},
		{ID: "in3", Status: "paid", Lines: backend.List[backend.InvoiceLine]{Data: []backend.InvoiceLine{
			ln("2024-02-15", "2024-03-01", &q1, true, -2365), ln("2024-02-15", "2024-03-01", &q3, true, 7096),
			ln("2024-03-01", "2024-04-01", &q3, false, 14700)}}},
	}
	cur := newSub("sub_7", "cus_7", ts(t, "2024-01-01"), item(p, 3))
	cur.Status, cur.EndedAt, cur.CanceledAt = "canceled", p64(ts(t, "2024-04-01")), p64(ts(t, "2024-04-01"))
	tl := BuildTimeline(cur, invs, nil)
	got := DailyPoints(tl.Steps(Defaults()), nil)
	want := []Point{{day(t, "2024-01-01"), 4900}, {day(t, "2024-02-15"), 14700}, {day(t, "2024-04-01"), 0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

func TestHistoryInferredStatesAndGaps(t *testing.T) {
	p := recurring("month", 1, 5000)
	q := int64(1)
	ln := func(from, to string) backend.InvoiceLine {
		return backend.InvoiceLine{Type: "subscription", Amount: 5000, Period: backend.Period{Start: ts(t, from), End: ts(t, to)},
			Price: &p, Quantity: &q, Subscription: backend.Ref{ID: "sub_u"}, SubscriptionItem: "si_u"}
	}
	inv := func(id, status, from, to string) backend.Invoice {
		return backend.Invoice{ID: id, Status: status, Subscription: backend.Ref{ID: "sub_u"}, Created: ts(t, from),
			Lines: backend.List[backend.InvoiceLine]{Data: []backend.InvoiceLine{ln(from, to)}}}
	}
	base := newSub("sub_u", "cus_u", ts(t, "2024-01-01"), item(p, 1))
	base.CurrentPeriodStart = ts(t, "2024-02-01")

	// Unpaid: dunning ended with the invoice marked uncollectible on 02-16;
	// the first stored version (a sync on 03-10) already says unpaid.
	unpaid := base
	unpaid.Status = "unpaid"
	failed := inv("in_2", "uncollectible", "2024-02-01", "2024-03-01")
	failed.StatusTransitions.MarkedUncollectibleAt = p64(ts(t, "2024-02-16"))
	tl := BuildTimeline(unpaid, []backend.Invoice{inv("in_1", "paid", "2024-01-01", "2024-02-01"), failed},
		[]SubVersion{{At: ts(t, "2024-03-10"), Sub: unpaid}})
	want := []Point{{day(t, "2024-01-01"), 5000}, {day(t, "2024-02-16"), 0}}
	if got := DailyPoints(tl.Steps(Defaults()), nil); !reflect.DeepEqual(got, want) {
		t.Errorf("unpaid: %v, want %v", got, want)
	}

	// Canceled for non-payment: the open invoice was voided at the end; the
	// subscription counted (past_due) until ended_at.
	canceled := base
	canceled.Status, canceled.EndedAt, canceled.CanceledAt = "canceled", p64(ts(t, "2024-02-16")), p64(ts(t, "2024-02-16"))
	tl = BuildTimeline(canceled, []backend.Invoice{inv("in_1", "paid", "2024-01-01", "2024-02-01"), inv("in_2", "void", "2024-02-01", "2024-03-01")}, nil)
	if got := DailyPoints(tl.Steps(Defaults()), nil); !reflect.DeepEqual(got, want) {
		t.Errorf("void at cancel: %v, want %v", got, want)
	}

	// No invoice after 01-08 (dunning stopped invoicing): the last items
	// carry on until the subscription ended.
	tl = BuildTimeline(canceled, []backend.Invoice{inv("in_1", "paid", "2024-01-01", "2024-01-08")},
		[]SubVersion{{At: ts(t, "2024-02-16"), Sub: canceled}})
	if got := DailyPoints(tl.Steps(Defaults()), nil); !reflect.DeepEqual(got, want) {
		t.Errorf("gap: %v, want %v", got, want)
	}

	// Pending cancellation first seen at a sync: counted as requested at
	// canceled_at (at_request), not at the sync.
	pending := base
	pending.CancelAtPeriodEnd, pending.CanceledAt = true, p64(ts(t, "2024-02-16"))
	tl = BuildTimeline(pending, []backend.Invoice{inv("in_1", "paid", "2024-01-01", "2024-02-01"), inv("in_2", "paid", "2024-02-01", "2024-03-01")},
		[]SubVersion{{At: ts(t, "2024-02-20"), Sub: pending}})
	if got := DailyPoints(tl.Steps(Defaults()), nil); !reflect.DeepEqual(got, want) {
		t.Errorf("pending: %v, want %v", got, want)
	}
}

func TestVersionsFromEventsAndCatalog(t *testing.T) {
	tiered := backend.Price{ID: "price_t", Currency: "usd", Type: "recurring", BillingScheme: "tiered",
		Recurring: &backend.Recurring{Interval: "month", IntervalCount: 1, UsageType: "licensed"}}
	s1 := newSub("sub_v", "cus_v", ts(t, "2024-01-01"), item(tiered, 12))
	s1.Items.HasMore = true // truncated nested list
	s2 := cloneSub(s1)
	s2.Items.HasMore = false
	s2.Items.Data = append(s2.Items.Data, item(recurring("month", 1, 1000), 1))
	raw := func(s backend.Subscription) json.RawMessage { b, _ := json.Marshal(s); return b }
	events := []backend.Event{
		{ID: "evt_2", Type: "customer.subscription.updated", Created: ts(t, "2024-02-01"), Data: backend.EventData{Object: raw(s2)}},
		{ID: "evt_1", Type: "customer.subscription.created", Created: ts(t, "2024-01-01"), Data: backend.EventData{Object: raw(s1)}},
		{ID: "evt_3", Type: "invoice.paid", Created: ts(t, "2024-01-01"), Data: backend.EventData{Object: json.RawMessage(`{"id":"in_1"}`)}},
	}
	vs, err := VersionsFromEvents(events)
	if err != nil || len(vs) != 1 || len(vs["sub_v"]) != 2 || vs["sub_v"][0].At != ts(t, "2024-01-01") {
		t.Fatalf("%v %v", vs, err)
	}
	tl := BuildTimeline(s2, nil, vs["sub_v"])
	if n := len(tl.Versions[0].Sub.Items.Data); n != 2 {
		t.Fatalf("truncated list not completed: %d items", n)
	}
	if got := tl.Steps(Defaults()); len(got) != 1 || got[0].MRR != 1000 {
		t.Fatalf("without tiers only the per-unit item counts: %v", got)
	}
	tiered.TiersMode = "graduated"
	tiered.Tiers = []backend.Tier{{UpTo: p64(5), UnitAmount: p64(1000)}, {UpTo: p64(20), UnitAmount: p64(800), FlatAmount: p64(2000)}, {UnitAmount: p64(500)}}
	tl.UsePrices(map[string]backend.Price{"price_t": tiered})
	if got := tl.Steps(Defaults()); len(got) != 1 || got[0].MRR != 13600 {
		t.Fatalf("with the catalog's tiers: %v", got)
	}
	if _, err := VersionsFromEvents([]backend.Event{{ID: "evt_bad", Type: "customer.subscription.updated", Data: backend.EventData{Object: json.RawMessage(`{"id": 5}`)}}}); err == nil {
		t.Fatal("bad event object: no error")
	}
}

func TestHistoryDiscountsFromInvoices(t *testing.T) {
	p := recurring("month", 1, 5000)
	q := int64(1)
	inv := func(from, to string, d *backend.Discount) backend.Invoice {
		return backend.Invoice{ID: "in_" + from, Status: "paid", Subscription: backend.Ref{ID: "sub_d"}, Created: ts(t, from), Discount: d,
			Lines: backend.List[backend.InvoiceLine]{Data: []backend.InvoiceLine{{Type: "subscription", Amount: 5000,
				Period: backend.Period{Start: ts(t, from), End: ts(t, to)}, Price: &p, Quantity: &q,
				Subscription: backend.Ref{ID: "sub_d"}, SubscriptionItem: "si_d"}}}}
	}
	once := &backend.Discount{ID: "di_once", Coupon: percentCoupon("once", "50"), Start: ts(t, "2023-12-20")}
	forever := &backend.Discount{ID: "di_forever", Coupon: percentCoupon("forever", "20"), Start: ts(t, "2024-02-01")}
	invoices := []backend.Invoice{
		inv("2024-01-01", "2024-02-01", once),
		inv("2024-02-01", "2024-03-01", forever),
		inv("2024-03-01", "2024-04-01", forever),
		inv("2024-04-01", "2024-05-01", nil), // the forever coupon was removed
	}
	cur := newSub("sub_d", "cus_d", ts(t, "2024-01-01"), item(p, 1))
	cur.Status, cur.EndedAt, cur.CanceledAt = "canceled", p64(ts(t, "2024-05-01")), p64(ts(t, "2024-05-01"))
	for _, c := range []struct {
		mode string
		want []Point
	}{
		{"forever_only", []Point{{day(t, "2024-01-01"), 5000}, {day(t, "2024-02-01"), 4000}, {day(t, "2024-04-01"), 5000}, {day(t, "2024-05-01"), 0}}},
		{"all_active", []Point{{day(t, "2024-01-01"), 2500}, {day(t, "2024-02-01"), 4000}, {day(t, "2024-04-01"), 5000}, {day(t, "2024-05-01"), 0}}},
	} {
		s := Defaults()
		mustParse(t, &s, "discount-mode", c.mode)
		tl := BuildTimeline(cur, invoices, nil)
		if got := DailyPoints(tl.Steps(s), nil); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.mode, got, c.want)
		}
	}
}
