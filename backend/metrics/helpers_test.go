package metrics

import (
	"encoding/json"
	"testing"
	"time"

	"billfold/backend"
)

// ts parses "2006-01-02" or "2006-01-02T15:04" in UTC.
func ts(t testing.TB, s string) int64 {
	t.Helper()
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", time.RFC3339} {
		if v, err := time.Parse(layout, s); err == nil {
			return v.Unix()
		}
	}
	t.Fatalf("bad time %q", s)
	return 0
}

func p64(v int64) *int64 { return &v }

func recurring(interval string, count, amount int64) backend.Price {
	return backend.Price{
		ID: "price_" + interval, Currency: "usd", Type: "recurring", BillingScheme: "per_unit",
		UnitAmount: p64(amount), Recurring: &backend.Recurring{Interval: interval, IntervalCount: count, UsageType: "licensed"},
	}
}

func item(p backend.Price, qty int64) backend.SubscriptionItem {
	return backend.SubscriptionItem{ID: "si_" + p.ID, Price: p, Quantity: qty}
}

func newSub(id, cust string, start int64, items ...backend.SubscriptionItem) backend.Subscription {
	return backend.Subscription{
		ID: id, Customer: backend.Ref{ID: cust}, Status: "active", Currency: "usd", StartDate: start,
		Created: start, Items: backend.List[backend.SubscriptionItem]{Data: items}, Livemode: true,
	}
}

func percentCoupon(duration, pct string) backend.Coupon {
	n := json.Number(pct)
	return backend.Coupon{ID: "co_" + duration + pct, Duration: duration, PercentOff: &n, Valid: true}
}

func amountCoupon(duration string, amount int64, cur string) backend.Coupon {
	return backend.Coupon{ID: "co_amt", Duration: duration, AmountOff: &amount, Currency: cur, Valid: true}
}

// v builds a version.
func v(at int64, s backend.Subscription) SubVersion { return SubVersion{At: at, Sub: s} }

// one wraps a single subscription object as its whole timeline (from its start).
func one(s backend.Subscription) Timeline {
	return Timeline{Versions: []SubVersion{{At: s.StartDate, Sub: s}}}
}

func day(t testing.TB, s string) Day {
	t.Helper()
	d, err := ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func month(t testing.TB, s string) Month {
	t.Helper()
	m, err := ParseMonth(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func withSettings(f func(*Settings)) Settings {
	s := Defaults()
	if f != nil {
		f(&s)
	}
	return s
}

func mustParse(t testing.TB, s *Settings, name, value string) {
	t.Helper()
	if err := s.ParseFlag(name, value); err != nil {
		t.Fatal(err)
	}
}

func monthRow(t testing.TB, rows []MonthRow, cur string, m Month) MonthRow {
	t.Helper()
	for _, r := range rows {
		if r.Currency == cur && r.Month == m {
			return r
		}
	}
	t.Fatalf("no row for %s %s", cur, m)
	return MonthRow{}
}

func totalAt(t testing.TB, series []Series, d Day) Snapshot {
	t.Helper()
	sn := SnapshotAt(series, d)
	if len(sn) == 0 {
		return Snapshot{Day: d}
	}
	if len(sn) != 1 {
		t.Fatalf("want one currency, got %+v", sn)
	}
	return sn[0]
}
