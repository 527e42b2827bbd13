package analytics

import (
	"context"
	"sort"
	"time"

	"billfold/backend"
	"billfold/backend/metrics"
	"billfold/backend/store"
)

// Query asks the dashboard for a range of days (inclusive, YYYY-MM-DD) in
// one currency ("" picks the currency with the most MRR at To).
type Query struct {
	From, To string
	Currency string
}

// KPI is a headline value at the end of the range and at the end of the
// previous period of the same length.
type KPI struct {
	Value    *int64        // money or count; nil when undefined
	Previous *int64        //
	Ratio    metrics.Ratio // for rates (Value/Previous unused)
	PrevRate metrics.Ratio
}

// PlanRow is MRR of one product at To.
type PlanRow struct {
	Product     string
	Name        string
	MRR         int64
	Subscribers int
}

// Freshness says how current the numbers are.
type Freshness struct {
	LastSync  int64 // unix seconds of the last full or incremental sync, 0: never
	BuiltAt   int64 // when the points were last computed
	Customers int64
	Points    int64
}

// Dashboard is everything the dashboard screen shows for a range.
type Dashboard struct {
	From, To, PrevFrom, PrevTo metrics.Day
	Currency                   string
	Currencies                 []string // currencies with any MRR history
	Test                       bool

	MRR, ARR, Subscribers, ARPU, LTV KPI
	CustomerChurn, NetMRRChurn, NRR  KPI
	Daily                            []metrics.DayRow   // one per day of the range
	Months                           []metrics.MonthRow // the months the range touches
	Cohorts                          []metrics.Cohort   // cohorts of the range's months, followed to To
	ByPlan                           []PlanRow          // at To (plan mix from the latest subscription objects)
	ByCurrency                       []metrics.Snapshot // every currency at To
	Trials                           []metrics.MonthTrials
	Cash                             []metrics.CashRow // monthly, in Currency
	Freshness                        Freshness
}

func i64(v int64) *int64 { return &v }

// Dashboard aggregates the materialised points (and, for trials, plans and
// cash, the stored objects) for q under s. Call Ensure first.
func BuildDashboard(ctx context.Context, db *store.DB, q Query, s metrics.Settings, now time.Time) (*Dashboard, error) {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	from, err := parseDay("from", q.From)
	if err != nil {
		return nil, err
	}
	to, err := parseDay("to", q.To)
	if err != nil {
		return nil, err
	}
	if to < from {
		return nil, backend.Errorf(backend.EINVALID, "the range ends (%s) before it starts (%s)", q.To, q.From)
	}
	if to-from > 366*30 {
		return nil, backend.Errorf(backend.EINVALID, "the range is longer than 30 years")
	}
	all, err := Series(ctx, db, "")
	if err != nil {
		return nil, err
	}
	d := &Dashboard{From: from, To: to, PrevTo: from - 1, PrevFrom: from - 1 - (to - from)}
	d.ByCurrency = metrics.SnapshotAt(all, to)
	seen := map[string]bool{}
	for _, sr := range all {
		if !seen[sr.Currency] {
			seen[sr.Currency] = true
			d.Currencies = append(d.Currencies, sr.Currency)
		}
	}
	d.Currency = q.Currency
	if d.Currency == "" {
		best := int64(-1)
		for _, sn := range d.ByCurrency {
			if sn.MRR > best {
				best, d.Currency = sn.MRR, sn.Currency
			}
		}
		if d.Currency == "" {
			d.Currency = "usd"
		}
	}
	d.Currency = lowerASCII(d.Currency)
	series := metrics.FilterCurrency(all, d.Currency)
	for i := range series {
		d.Test = d.Test || series[i].Test
	}

	snap := func(day metrics.Day) metrics.Snapshot {
		for _, sn := range metrics.SnapshotAt(series, day) {
			return sn
		}
		return metrics.Snapshot{Day: day, Currency: d.Currency}
	}
	cur, prev := snap(to), snap(d.PrevTo)
	d.MRR = KPI{Value: i64(cur.MRR), Previous: i64(prev.MRR)}
	d.ARR = KPI{Value: i64(cur.ARR), Previous: i64(prev.ARR)}
	d.Subscribers = KPI{Value: i64(int64(cur.ActiveSubscribers)), Previous: i64(int64(prev.ActiveSubscribers))}
	d.ARPU = KPI{Value: cur.ARPU, Previous: prev.ARPU}

	d.Daily = metrics.Daily(series, from, to)
	// months from the previous period's last month, so rates have a comparison
	m0 := min(d.PrevTo.Month(), from.Month())
	months := metrics.Months(series, m0, to.Month(), s)
	var last, before *metrics.MonthRow
	for i := range months {
		if months[i].Month >= from.Month() {
			d.Months = append(d.Months, months[i])
		}
	}
	if n := len(d.Months); n > 0 {
		last = &d.Months[n-1]
		for i := range months {
			if months[i].Month == d.PrevTo.Month() && months[i].Month != last.Month {
				before = &months[i]
			}
		}
	}
	if last != nil {
		var pb metrics.MonthRow
		if before != nil {
			pb = *before
		}
		d.CustomerChurn = KPI{Ratio: last.CustomerChurnRate, PrevRate: pb.CustomerChurnRate}
		d.NetMRRChurn = KPI{Ratio: last.NetMRRChurnRate, PrevRate: pb.NetMRRChurnRate}
		d.NRR = KPI{Ratio: last.NRR, PrevRate: pb.NRR}
		d.LTV = KPI{Value: last.LTV, Previous: pb.LTV}
	}
	d.Cohorts = metrics.Cohorts(series, from.Month(), to.Month(), to.Month())

	if d.ByPlan, err = byPlan(ctx, db, d.Currency, to, s); err != nil {
		return nil, err
	}
	if d.Trials, err = trials(ctx, db, d.Currency, from.Month(), to.Month(), loc); err != nil {
		return nil, err
	}
	if d.Cash, err = cash(ctx, db, d.Currency, from, to, loc); err != nil {
		return nil, err
	}
	st, err := db.MetricsState(ctx)
	if err != nil {
		return nil, err
	}
	ss, err := db.SyncState(ctx)
	if err != nil {
		return nil, err
	}
	d.Freshness = Freshness{LastSync: max(ss.LastFullSync, ss.LastIncrementalSync), BuiltAt: st.BuiltAt, Customers: st.Customers, Points: st.Points}
	_ = now
	return d, nil
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func parseDay(what, s string) (metrics.Day, error) {
	d, err := metrics.ParseDay(s)
	if err != nil {
		return 0, backend.Errorf(backend.EINVALID, "%s date %q: use YYYY-MM-DD", what, s)
	}
	return d, nil
}

// byPlan attributes each subscription's MRR at the end of day to the
// product of its largest item, from the latest subscription objects.
func byPlan(ctx context.Context, db *store.DB, currency string, day metrics.Day, s metrics.Settings) ([]PlanRow, error) {
	names, err := db.ProductNames(ctx)
	if err != nil {
		return nil, err
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	t := (day + 1).Start(loc) - 1
	by := map[string]*PlanRow{}
	err = db.EachSubscriptionWhere(ctx, store.SubscriptionFilter{Currency: currency, LiveAt: t}, func(sub *backend.Subscription) error {
		v := metrics.SubscriptionMRR(sub, t, s)
		if v <= 0 {
			return nil
		}
		prod, best := "", int64(-1)
		for i := range sub.Items.Data {
			it := &sub.Items.Data[i]
			if r, ok := metrics.ItemMonthly(it, s); ok && r != nil {
				if a := r.Num().Int64() / max(1, r.Denom().Int64()); a > best {
					best = a
					prod = it.Price.Product.ID
				}
			}
		}
		row := by[prod]
		if row == nil {
			name := names[prod]
			if name == "" {
				name = prod
			}
			if prod == "" {
				name = "Other"
			}
			row = &PlanRow{Product: prod, Name: name}
			by[prod] = row
		}
		row.MRR += v
		row.Subscribers++
		return nil
	})
	out := make([]PlanRow, 0, len(by))
	for _, r := range by {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].MRR != out[j].MRR {
			return out[i].MRR > out[j].MRR
		}
		return out[i].Product < out[j].Product
	})
	return out, err
}

func trials(ctx context.Context, db *store.DB, currency string, from, to metrics.Month, loc *time.Location) ([]metrics.MonthTrials, error) {
	var in []metrics.TrialInput
	idx := map[string]int{}
	err := db.EachSubscriptionWhere(ctx, store.SubscriptionFilter{Currency: currency, WithTrial: true}, func(sub *backend.Subscription) error {
		if sub.TrialStart == nil {
			return nil
		}
		idx[sub.ID] = len(in)
		in = append(in, metrics.TrialInput{Sub: *sub})
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(idx))
	for id := range idx {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if err := db.EachInvoiceOfSubscriptions(ctx, ids, func(v *backend.Invoice) error {
		i := idx[v.Subscription.ID]
		in[i].Invoices = append(in[i].Invoices, *v)
		return nil
	}); err != nil {
		return nil, err
	}
	return metrics.TrialsByMonth(in, from, to, loc), nil
}

func cash(ctx context.Context, db *store.DB, currency string, from, to metrics.Day, loc *time.Location) ([]metrics.CashRow, error) {
	gte, lt := from.Month().First().Start(loc), (to + 1).Start(loc)
	var charges []backend.Charge
	if err := db.EachChargeIn(ctx, currency, gte, lt, func(c *backend.Charge) error {
		charges = append(charges, *c)
		return nil
	}); err != nil {
		return nil, err
	}
	var refunds []backend.Refund
	if err := db.EachRefundIn(ctx, currency, gte, lt, func(r *backend.Refund) error {
		refunds = append(refunds, *r)
		return nil
	}); err != nil {
		return nil, err
	}
	rows := metrics.Cash(charges, refunds, loc, true)
	out := rows[:0]
	for _, r := range rows {
		if r.Currency == currency {
			out = append(out, r)
		}
	}
	return out, nil
}

// Behind is one customer behind a movement.
type Behind struct {
	Customer string
	Name     string
	Amount   int64
}

// MovementKinds maps movement names to kinds.
var MovementKinds = map[string]metrics.Kind{
	"new": metrics.KindNew, "expansion": metrics.KindExpansion, "reactivation": metrics.KindReactivation,
	"contraction": metrics.KindContraction, "churn": metrics.KindChurn,
}

// CustomersBehind lists the customers whose daily changes in month (YYYY-MM)
// make up the movement (new, expansion, reactivation, contraction, churn)
// in currency, largest first, with the summed amount per customer.
func CustomersBehind(ctx context.Context, db *store.DB, movement, month, currency string) ([]Behind, error) {
	kind, ok := MovementKinds[movement]
	if !ok {
		return nil, backend.Errorf(backend.EINVALID, "movement %q: use new, expansion, reactivation, contraction or churn", movement)
	}
	m, err := metrics.ParseMonth(month)
	if err != nil {
		return nil, backend.Errorf(backend.EINVALID, "month %q: use YYYY-MM", month)
	}
	if currency == "" {
		return nil, backend.Errorf(backend.EINVALID, "a currency is required")
	}
	series, err := Series(ctx, db, currency)
	if err != nil {
		return nil, err
	}
	first, last := m.First(), m.Last()
	var out []Behind
	for i := range series {
		sr := &series[i]
		h, prev := false, int64(0)
		sum := int64(0)
		for _, p := range sr.Points {
			if p.Day > last {
				break
			}
			if p.Day >= first {
				if k, a := metrics.Classify(prev, p.MRR, h); k == kind {
					sum += a
				}
			}
			if prev > 0 {
				h = true
			}
			prev = p.MRR
			if p.MRR > 0 && p.Day < first {
				h = true
			}
		}
		if sum > 0 {
			out = append(out, Behind{Customer: sr.Customer, Amount: sum})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Amount != out[j].Amount {
			return out[i].Amount > out[j].Amount
		}
		return out[i].Customer < out[j].Customer
	})
	ids := make([]string, len(out))
	for i := range out {
		ids[i] = out[i].Customer
	}
	names, err := db.CustomerNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Name = names[out[i].Customer]
	}
	return out, nil
}
