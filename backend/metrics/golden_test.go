package metrics

import (
	"testing"

	"billfold/backend"
)

// The golden examples of design/metrics.md, reproduced exactly.

func TestExample1Normalization(t *testing.T) {
	start := ts(t, "2024-01-01")
	at := ts(t, "2024-01-31T23:59")
	cases := []struct {
		name     string
		interval string
		count    int64
		amount   int64
		qty      int64
		want     int64
	}{
		{"A month", "month", 1, 2900, 1, 2900},
		{"B year", "year", 1, 120000, 1, 10000},
		{"C month n=3", "month", 3, 29900, 1, 9967},
		{"D week qty 2", "week", 1, 1000, 2, 8667},
		{"E day", "day", 1, 100, 1, 3042},
		{"F year n=2", "year", 2, 240000, 1, 10000},
	}
	var tls []Timeline
	for _, c := range cases {
		s := newSub("sub_"+c.name[:1], "cus_"+c.name[:1], start, item(recurring(c.interval, c.count, c.amount), c.qty))
		if got := SubscriptionMRR(&s, at, Defaults()); got != c.want {
			t.Errorf("%s: MRR %d, want %d", c.name, got, c.want)
		}
		tls = append(tls, one(s))
	}
	series := BuildSeries(tls, Defaults())
	sn := totalAt(t, series, day(t, "2024-01-31"))
	if sn.MRR != 44576 || sn.ARR != 534912 || sn.ActiveSubscribers != 6 || sn.ARPU == nil || *sn.ARPU != 7429 {
		t.Errorf("totals %+v arpu %v, want 44576 / 534912 / 6 / 7429", sn, *sn.ARPU)
	}
	tl := one(newSub("sub_test", "cus_test", start, item(recurring("month", 1, 100), 1)))
	tl.Versions[0].Sub.Livemode = false
	if ts := BuildSeries([]Timeline{tl}, Defaults()); !ts[0].Test || !SnapshotAt(ts, day(t, "2024-01-31"))[0].Test {
		t.Error("test-mode data not labelled")
	}
	rep := AtReport(series, day(t, "2024-01-31"))
	if len(rep) != 1 || rep[0].At != "2024-01-31" || rep[0].MRR != 44576 || rep[0].ARR != 534912 ||
		rep[0].ActiveSubscribers != 6 || *rep[0].ARPU != 7429 || rep[0].Currency != "usd" {
		t.Errorf("report %+v", rep)
	}
}

func example2Sub(mode string) backend.Subscription {
	seats := backend.Price{
		ID: "price_seats", Currency: "usd", Type: "recurring", BillingScheme: "tiered", TiersMode: mode,
		Recurring: &backend.Recurring{Interval: "month", IntervalCount: 1, UsageType: "licensed"},
		Tiers: []backend.Tier{
			{UpTo: p64(5), UnitAmount: p64(1000)},
			{UpTo: p64(20), UnitAmount: p64(800), FlatAmount: p64(2000)},
			{UnitAmount: p64(500)},
		},
	}
	metered := recurring("month", 1, 25)
	metered.ID = "price_metered"
	metered.Recurring.UsageType = "metered"
	addon := recurring("year", 1, 12000)
	base := recurring("month", 1, 5000)
	return newSub("sub_2", "cus_2", 0, item(base, 1), item(seats, 12), item(addon, 1), item(metered, 0))
}

func TestExample2Tiers(t *testing.T) {
	for _, c := range []struct {
		mode  string
		seats int64
		want  int64
	}{{"graduated", 12600, 18600}, {"volume", 11600, 17600}} {
		s := example2Sub(c.mode)
		if m, ok := ItemMonthly(&s.Items.Data[1], Defaults()); !ok || roundHalfAway(m) != c.seats {
			t.Errorf("%s seats %v, want %d", c.mode, m, c.seats)
		}
		if got := SubscriptionMRR(&s, 1, Defaults()); got != c.want {
			t.Errorf("%s: subscription %d, want %d", c.mode, got, c.want)
		}
	}
}

func example3(t *testing.T) []Timeline {
	start := ts(t, "2024-01-01")
	P := newSub("sub_P", "cus_P", start, item(recurring("month", 1, 10000), 1))
	P.Discount = &backend.Discount{Coupon: percentCoupon("forever", "25"), Start: start}
	Q := newSub("sub_Q", "cus_Q", start, item(recurring("year", 1, 120000), 1))
	Q.Discount = &backend.Discount{Coupon: amountCoupon("forever", 12000, "usd"), Start: start}
	R := newSub("sub_R", "cus_R", start, item(recurring("month", 1, 5000), 1))
	R.Discount = &backend.Discount{Coupon: percentCoupon("repeating", "50"), Start: ts(t, "2024-01-10"), End: p64(ts(t, "2024-04-10"))}
	S := newSub("sub_S", "cus_S", start, item(recurring("month", 1, 3000), 1))
	S2 := S
	S2.Discount = &backend.Discount{Coupon: percentCoupon("forever", "100"), Start: ts(t, "2024-03-01")}
	return []Timeline{one(P), one(Q), one(R), {Versions: []SubVersion{
		v(start, S), v(ts(t, "2024-03-01"), S2), v(ts(t, "2024-05-01"), S),
	}}}
}

func TestExample3Discounts(t *testing.T) {
	type monthWant struct {
		month                     string
		end, subs                 int64
		churn, expansion, reactiv int64
	}
	for _, c := range []struct {
		mode  string
		wants []monthWant
	}{
		{"forever_only", []monthWant{
			{"2024-02", 24500, 4, 0, 0, 0},
			{"2024-03", 21500, 3, 3000, 0, 0},
			{"2024-04", 21500, 3, 0, 0, 0},
			{"2024-05", 24500, 4, 0, 0, 3000},
		}},
		// all_active adds once coupons only; example 3 has none.
		{"all_active", []monthWant{
			{"2024-02", 22000, 4, 0, 0, 0},
			{"2024-03", 19000, 3, 3000, 0, 0},
			{"2024-04", 21500, 3, 0, 2500, 0},
			{"2024-05", 24500, 4, 0, 0, 3000},
		}},
		{"forever_and_repeating", []monthWant{
			{"2024-02", 22000, 4, 0, 0, 0},
			{"2024-03", 19000, 3, 3000, 0, 0},
			{"2024-04", 21500, 3, 0, 2500, 0},
			{"2024-05", 24500, 4, 0, 0, 3000},
		}},
	} {
		s := Defaults()
		mustParse(t, &s, "--discount-mode", c.mode)
		series := BuildSeries(example3(t), s)
		rows := Months(series, month(t, "2024-02"), month(t, "2024-05"), s)
		for _, w := range c.wants {
			r := monthRow(t, rows, "usd", month(t, w.month))
			if r.EndMRR != w.end || int64(r.EndSubscribers) != w.subs || r.Churn != w.churn ||
				r.Expansion != w.expansion || r.Reactivation != w.reactiv || !r.Balanced() {
				t.Errorf("%s %s: %+v, want %+v", c.mode, w.month, r, w)
			}
		}
		if c.mode != "forever_only" {
			d := Daily(series, day(t, "2024-04-10"), day(t, "2024-04-10"))
			if len(d) != 1 || d[0].Expansion != 2500 || d[0].ExpansionCount != 1 {
				t.Errorf("R expands on 04-10: %+v", d)
			}
		}
	}
}

func example4(t *testing.T) []TrialInput {
	ts0 := ts(t, "2024-03-01")
	mk := func(id string, trialEnd string) backend.Subscription {
		s := newSub(id, "cus_"+id, ts0, item(recurring("month", 1, 2000), 1))
		s.Status = "trialing"
		s.TrialStart, s.TrialEnd = p64(ts0), p64(ts(t, trialEnd))
		return s
	}
	// T1: trial to 03-15, then paid.
	t1 := mk("T1", "2024-03-15")
	t1b := t1
	t1b.Status = "active"
	// T2: trial to 03-19, payment fails (past_due), unpaid on 04-02.
	t2 := mk("T2", "2024-03-19")
	t2b, t2c := t2, t2
	t2b.Status, t2c.Status = "past_due", "unpaid"
	// T3: trial ends 03-24 without a payment method: paused.
	t3 := mk("T3", "2024-03-24")
	t3b := t3
	t3b.Status = "paused"
	// T4: canceled during the trial on 03-25.
	t4 := mk("T4", "2024-03-29")
	t4b := t4
	t4b.Status, t4b.CanceledAt, t4b.EndedAt = "canceled", p64(ts(t, "2024-03-25")), p64(ts(t, "2024-03-25"))
	return []TrialInput{
		{Sub: t1b, Invoices: []backend.Invoice{
			{ID: "in_T1_0", Created: ts0, Status: "paid", Paid: true, AmountPaid: 0},
			{ID: "in_T1_1", Created: ts(t, "2024-03-15"), Status: "paid", Paid: true, AmountPaid: 2000,
				StatusTransitions: backend.StatusTransitions{PaidAt: p64(ts(t, "2024-03-15"))}},
		}},
		{Sub: t2c, Invoices: []backend.Invoice{
			{ID: "in_T2_1", Created: ts(t, "2024-03-19"), Status: "uncollectible", AmountDue: 2000},
		}},
		{Sub: t3b},
		{Sub: t4b},
		// versions for MRR:
	}
}

func example4Timelines(t *testing.T) []Timeline {
	in := example4(t)
	ver := func(i int, at string, status string) SubVersion {
		s := in[i].Sub
		s.Status = status
		if status != "canceled" {
			s.CanceledAt, s.EndedAt = nil, nil
		}
		return v(ts(t, at), s)
	}
	return []Timeline{
		{Versions: []SubVersion{ver(0, "2024-03-01", "trialing"), ver(0, "2024-03-15", "active")}},
		{Versions: []SubVersion{ver(1, "2024-03-01", "trialing"), ver(1, "2024-03-19", "past_due"), ver(1, "2024-04-02", "unpaid")}},
		{Versions: []SubVersion{ver(2, "2024-03-01", "trialing"), ver(2, "2024-03-24", "paused")}},
		{Versions: []SubVersion{ver(3, "2024-03-01", "trialing"), ver(3, "2024-03-25", "canceled")}},
	}
}

func TestExample4Trials(t *testing.T) {
	s := Defaults()
	series := BuildSeries(example4Timelines(t), s)
	rows := Months(series, month(t, "2024-03"), month(t, "2024-04"), s)
	mar, apr := monthRow(t, rows, "usd", month(t, "2024-03")), monthRow(t, rows, "usd", month(t, "2024-04"))
	if mar.New != 4000 || mar.NewCount != 2 || mar.EndMRR != 4000 || mar.EndSubscribers != 2 || mar.Churn != 0 {
		t.Errorf("March %+v", mar)
	}
	if apr.Churn != 2000 || apr.EndMRR != 2000 || FormatPercent(apr.CustomerChurnRate) != "50.00" {
		t.Errorf("April %+v rate %s", apr, apr.CustomerChurnRate)
	}
	d := Daily(series, day(t, "2024-03-15"), day(t, "2024-03-19"))
	if d[0].New != 2000 || d[4].New != 2000 || d[1].New+d[2].New+d[3].New != 0 {
		t.Errorf("New on 03-15 and 03-19: %+v", d)
	}
	tr := TrialsByMonth(example4(t), month(t, "2024-03"), month(t, "2024-03"), nil)
	if got := tr[0]; got.NewTrials != 4 || got.EndedTrial != 4 || got.Converted != 1 || FormatPercent(got.Conversion) != "25.00" {
		t.Errorf("trials %+v conversion %s", got, got.Conversion)
	}
	// A trial whose end was only observed at a later sync: MRR still starts
	// at trial_end, not at the sync.
	late := example4Timelines(t)[0]
	late.Versions[1].At = ts(t, "2024-03-17")
	if got := DailyPoints(late.Steps(s), nil); len(got) != 1 || got[0].Day != day(t, "2024-03-15") || got[0].MRR != 2000 {
		t.Errorf("late-observed conversion %+v", got)
	}
	// A trial with no later version stays 0 (not known to be paid).
	if got := late.Versions[:1]; len((&Timeline{Versions: got}).Steps(s)) != 0 {
		t.Errorf("unobserved trial end counted")
	}
}

func example5(t *testing.T) []Timeline {
	c := newSub("sub_C", "cus_C", ts(t, "2024-01-10"), item(recurring("month", 1, 5000), 1))
	c.CurrentPeriodStart, c.CurrentPeriodEnd = ts(t, "2024-03-10"), ts(t, "2024-04-10")
	c2 := c
	c2.CancelAtPeriodEnd, c2.CanceledAt = true, p64(ts(t, "2024-03-20"))
	c3 := c2
	c3.Status, c3.EndedAt, c3.CancelAtPeriodEnd = "canceled", p64(ts(t, "2024-04-10")), false
	e := newSub("sub_E", "cus_E", ts(t, "2024-01-01"), item(recurring("month", 1, 3000), 1))
	e2 := e
	e2.CancelAtPeriodEnd, e2.CanceledAt = true, p64(ts(t, "2024-03-12"))
	return []Timeline{
		{Versions: []SubVersion{v(c.StartDate, c), v(ts(t, "2024-03-20"), c2), v(ts(t, "2024-04-10"), c3)}},
		{Versions: []SubVersion{v(e.StartDate, e), v(ts(t, "2024-03-12"), e2), v(ts(t, "2024-03-18"), e)}},
	}
}

func TestExample5CancellationTiming(t *testing.T) {
	mar, apr := month(t, "2024-03"), month(t, "2024-04")
	for _, c := range []struct {
		recognition, formula string
		march, april         MonthRow
		rate                 string
	}{
		{"at_request", "stripe", MonthRow{StartMRR: 8000, Movements: Movements{Churn: 8000, Reactivation: 3000}, EndMRR: 3000}, MonthRow{StartMRR: 3000, EndMRR: 3000}, "100.00"},
		{"at_request", "logo_snapshot", MonthRow{StartMRR: 8000, Movements: Movements{Churn: 8000, Reactivation: 3000}, EndMRR: 3000}, MonthRow{StartMRR: 3000, EndMRR: 3000}, "50.00"},
		{"at_period_end", "stripe", MonthRow{StartMRR: 8000, EndMRR: 8000}, MonthRow{StartMRR: 8000, Movements: Movements{Churn: 5000}, EndMRR: 3000}, "0.00"},
	} {
		s := Defaults()
		mustParse(t, &s, "churn-recognition", c.recognition)
		mustParse(t, &s, "churn-rate-formula", c.formula)
		series := BuildSeries(example5(t), s)
		rows := Months(series, mar, apr, s)
		m, a := monthRow(t, rows, "usd", mar), monthRow(t, rows, "usd", apr)
		same := func(got, want MonthRow) bool {
			return got.StartMRR == want.StartMRR && got.EndMRR == want.EndMRR && got.Churn == want.Churn &&
				got.Reactivation == want.Reactivation && got.New == want.New && got.Expansion == want.Expansion &&
				got.Contraction == want.Contraction && got.Balanced()
		}
		if !same(m, c.march) || !same(a, c.april) {
			t.Errorf("%s: March %+v April %+v", c.recognition, m, a)
		}
		if FormatPercent(m.CustomerChurnRate) != c.rate {
			t.Errorf("%s %s: churn rate %s, want %s", c.recognition, c.formula, m.CustomerChurnRate, c.rate)
		}
		if c.recognition == "at_period_end" {
			d := Daily(series, day(t, "2024-04-10"), day(t, "2024-04-10"))
			if d[0].Churn != 5000 {
				t.Errorf("C churns on 04-10: %+v", d)
			}
		}
	}
}

func TestExample6OneCustomerOverTime(t *testing.T) {
	s1 := newSub("sub1", "cus_6", ts(t, "2024-01-05"), item(recurring("month", 1, 3000), 1))
	s1e := s1
	s1e.Status, s1e.CanceledAt, s1e.EndedAt = "canceled", p64(ts(t, "2024-03-03")), p64(ts(t, "2024-03-03"))
	s2 := newSub("sub2", "cus_6", ts(t, "2024-02-10"), item(recurring("month", 1, 2000), 1))
	s2e := s2
	s2e.Status, s2e.CanceledAt, s2e.EndedAt = "canceled", p64(ts(t, "2024-04-07")), p64(ts(t, "2024-04-07"))
	s3 := newSub("sub3", "cus_6", ts(t, "2024-06-15"), item(recurring("year", 1, 36000), 1))
	tls := []Timeline{
		{Versions: []SubVersion{v(s1.StartDate, s1), v(ts(t, "2024-03-03"), s1e)}},
		{Versions: []SubVersion{v(s2.StartDate, s2), v(ts(t, "2024-04-07"), s2e)}},
		one(s3),
	}
	series := BuildSeries(tls, Defaults())
	rows := Months(series, month(t, "2024-01"), month(t, "2024-06"), Defaults())
	wantEnd := []int64{3000, 5000, 2000, 0, 0, 3000}
	wantMv := []Movements{
		{New: 3000, NewCount: 1}, {Expansion: 2000, ExpansionCount: 1}, {Contraction: 3000, ContractionCount: 1},
		{Churn: 2000, ChurnCount: 1}, {}, {Reactivation: 3000, ReactivationCount: 1},
	}
	for i, r := range rows {
		if r.EndMRR != wantEnd[i] || r.Movements != wantMv[i] || !r.Balanced() {
			t.Errorf("%s: end %d %+v, want %d %+v", r.Month, r.EndMRR, r.Movements, wantEnd[i], wantMv[i])
		}
	}
}

func TestExample7Seats(t *testing.T) {
	s := newSub("sub_7", "cus_7", ts(t, "2024-01-01"), item(recurring("month", 1, 4900), 1))
	s2 := newSub("sub_7", "cus_7", ts(t, "2024-01-01"), item(recurring("month", 1, 4900), 3))
	s3 := newSub("sub_7", "cus_7", ts(t, "2024-01-01"), item(recurring("year", 1, 49000), 3))
	s4 := newSub("sub_7", "cus_7", ts(t, "2024-01-01"), item(recurring("year", 1, 49000), 2))
	tl := Timeline{Versions: []SubVersion{v(s.StartDate, s), v(ts(t, "2024-02-15"), s2), v(ts(t, "2024-03-20"), s3), v(ts(t, "2024-04-10"), s4)}}
	series := BuildSeries([]Timeline{tl}, Defaults())
	want := []Point{{day(t, "2024-01-01"), 4900}, {day(t, "2024-02-15"), 14700}, {day(t, "2024-03-20"), 12250}, {day(t, "2024-04-10"), 8167}}
	if len(series) != 1 || len(series[0].Points) != len(want) {
		t.Fatalf("series %+v", series)
	}
	for i := range want {
		if series[0].Points[i] != want[i] {
			t.Errorf("point %d: %+v, want %+v", i, series[0].Points[i], want[i])
		}
	}
	rows := Months(series, month(t, "2024-02"), month(t, "2024-04"), Defaults())
	if rows[0].Expansion != 9800 || rows[1].Contraction != 2450 || rows[2].Contraction != 4083 {
		t.Errorf("movements %+v", rows)
	}
}

func example8(t *testing.T) []Timeline {
	apr := ts(t, "2024-04-01")
	mk := func(id string, start int64, amount int64) backend.Subscription {
		return newSub("sub_"+id, "cus_"+id, start, item(recurring("month", 1, amount), 1))
	}
	ended := func(s backend.Subscription, at string) backend.Subscription {
		s.Status, s.CanceledAt, s.EndedAt = "canceled", p64(ts(t, at)), p64(ts(t, at))
		return s
	}
	A, A2 := mk("A", apr, 10000), mk("A", apr, 15000)
	B, B2 := mk("B", apr, 5000), mk("B", apr, 4000)
	C := mk("C", apr, 3000)
	D, E := mk("D", apr, 2000), mk("E", apr, 20000)
	F := mk("F", ts(t, "2024-05-06"), 6000)
	G := mk("G", ts(t, "2024-05-10"), 1000)
	H1 := mk("H", ts(t, "2024-01-01"), 2500)
	H2 := mk("H2", ts(t, "2024-05-20"), 2500)
	H2.Customer.ID = "cus_H"
	return []Timeline{
		{Versions: []SubVersion{v(apr, A), v(ts(t, "2024-05-12"), A2)}},
		{Versions: []SubVersion{v(apr, B), v(ts(t, "2024-05-14"), B2)}},
		{Versions: []SubVersion{v(apr, C), v(ts(t, "2024-05-15"), ended(C, "2024-05-15"))}},
		one(D), one(E), one(F),
		{Versions: []SubVersion{v(G.StartDate, G), v(ts(t, "2024-05-25"), ended(G, "2024-05-25"))}},
		{Versions: []SubVersion{v(H1.StartDate, H1), v(ts(t, "2024-02-01"), ended(H1, "2024-02-01"))}},
		one(H2),
	}
}

func TestExample8Month(t *testing.T) {
	may := month(t, "2024-05")
	for _, c := range []struct{ formula, rate string }{{"stripe", "28.57"}, {"logo_snapshot", "20.00"}} {
		s := Defaults()
		mustParse(t, &s, "churn-rate-formula", c.formula)
		series := BuildSeries(example8(t), s)
		r := monthRow(t, Months(series, may, may, s), "usd", may)
		want := Movements{New: 7000, Expansion: 5000, Reactivation: 2500, Contraction: 1000, Churn: 4000,
			NewCount: 2, ExpansionCount: 1, ReactivationCount: 1, ContractionCount: 1, ChurnCount: 2}
		if r.StartMRR != 40000 || r.StartSubscribers != 5 || r.Movements != want || r.EndMRR != 49500 ||
			r.EndSubscribers != 6 || *r.ARPU != 8250 || !r.Balanced() {
			t.Errorf("%+v", r)
		}
		got := []string{r.CustomerChurnRate.String(), r.GrossMRRChurnRate.String(), r.NetMRRChurnRate.String(), r.NRR.String(), r.GRR.String()}
		wantR := []string{c.rate, "12.50", "-6.25", "102.50", "90.00"}
		for i := range got {
			if got[i] != wantR[i] {
				t.Errorf("%s rate %d: %s, want %s", c.formula, i, got[i], wantR[i])
			}
		}
	}
}

func TestChurnRateCountsCustomersOnce(t *testing.T) {
	// E (example 5) cancels, comes back and cancels again in March:
	// two Churn movements, one churned subscriber.
	tls := example5(t)
	e := tls[1].Versions
	again := e[1]
	again.At = ts(t, "2024-03-25")
	again.Sub.CanceledAt = p64(again.At)
	tls[1].Versions = append(e, again)
	series := BuildSeries(tls, Defaults())
	r := Months(series, month(t, "2024-03"), month(t, "2024-03"), Defaults())[0]
	if r.ChurnCount != 3 || r.ChurnedCustomers != 2 || r.CustomerChurnRate.String() != "100.00" || !r.Balanced() {
		t.Fatalf("%+v", r)
	}
}
