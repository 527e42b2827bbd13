package metrics

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"billfold/backend"
)

func TestSubscriptionRules(t *testing.T) {
	start := ts(t, "2024-01-01")
	at := ts(t, "2024-06-15")
	base := func() backend.Subscription {
		return newSub("sub_r", "cus_r", start, item(recurring("month", 1, 10000), 1))
	}
	dec := recurring("month", 1, 0)
	dec.UnitAmount, dec.UnitAmountDecimal = nil, "33.3333333333"
	oneTime := recurring("month", 1, 5000)
	oneTime.Type, oneTime.Recurring = "one_time", nil
	free := recurring("month", 1, 0)
	metered := recurring("month", 1, 100)
	metered.Recurring.UsageType = "metered"
	div := func(round string) backend.Price {
		p := recurring("month", 1, 1000)
		p.TransformQuantity = &backend.TransformQuantity{DivideBy: 10, Round: round}
		return p
	}
	inclusive := recurring("month", 1, 12000)
	inclusive.TaxBehavior = "inclusive"
	pct := func(p string) *json.Number { n := json.Number(p); return &n }
	cases := []struct {
		name     string
		mut      func(*backend.Subscription)
		settings func(*Settings)
		want     int64
	}{
		{"plain", nil, nil, 10000},
		{"decimal unit x3 is exact", func(s *backend.Subscription) { s.Items.Data = []backend.SubscriptionItem{item(dec, 3)} }, nil, 100},
		{"decimal unit x1 rounds", func(s *backend.Subscription) { s.Items.Data = []backend.SubscriptionItem{item(dec, 1)} }, nil, 33},
		{"one-time, metered and free skipped", func(s *backend.Subscription) {
			s.Items.Data = append(s.Items.Data, item(oneTime, 1), item(metered, 40), item(free, 3))
		}, nil, 10000},
		{"transform up 11/10 -> 2", func(s *backend.Subscription) { s.Items.Data = []backend.SubscriptionItem{item(div("up"), 11)} }, nil, 2000},
		{"transform down 19/10 -> 1", func(s *backend.Subscription) { s.Items.Data = []backend.SubscriptionItem{item(div("down"), 19)} }, nil, 1000},
		{"not started", func(s *backend.Subscription) { s.StartDate = at + 1 }, nil, 0},
		{"ended", func(s *backend.Subscription) { s.EndedAt = p64(at) }, nil, 0},
		{"past_due counts", func(s *backend.Subscription) { s.Status = "past_due"; s.CurrentPeriodStart = at - 10*86400 }, nil, 10000},
		{"past_due autochurn 15 days: still in", func(s *backend.Subscription) { s.Status = "past_due"; s.CurrentPeriodStart = at - 10*86400 },
			func(s *Settings) { s.PastDueAutochurnDays = 15 }, 10000},
		{"past_due autochurn 7 days: out", func(s *backend.Subscription) { s.Status = "past_due"; s.CurrentPeriodStart = at - 10*86400 },
			func(s *Settings) { s.PastDueAutochurnDays = 7 }, 0},
		{"unpaid", func(s *backend.Subscription) { s.Status = "unpaid" }, nil, 0},
		{"incomplete", func(s *backend.Subscription) { s.Status = "incomplete" }, nil, 0},
		{"paused status", func(s *backend.Subscription) { s.Status = "paused" }, nil, 0},
		{"in trial", func(s *backend.Subscription) { s.TrialStart, s.TrialEnd = p64(at-86400), p64(at+86400) }, nil, 0},
		{"pause_collection", func(s *backend.Subscription) { s.PauseCollection = &backend.PauseCollection{Behavior: "void"} }, nil, 0},
		{"pause_collection counts", func(s *backend.Subscription) { s.PauseCollection = &backend.PauseCollection{Behavior: "void"} },
			func(s *Settings) { s.PauseCollectionCounts = true }, 10000},
		{"pause resumed", func(s *backend.Subscription) {
			s.PauseCollection = &backend.PauseCollection{Behavior: "void", ResumesAt: p64(at - 1)}
		}, nil, 10000},
		{"cancel_at_period_end at_request", func(s *backend.Subscription) { s.CancelAtPeriodEnd, s.CanceledAt = true, p64(at-86400) }, nil, 0},
		{"cancel_at_period_end at_period_end", func(s *backend.Subscription) { s.CancelAtPeriodEnd, s.CanceledAt = true, p64(at-86400) },
			func(s *Settings) { s.ChurnRecognition = AtPeriodEnd }, 10000},
		{"cancel_at at_request", func(s *backend.Subscription) { s.CancelAt, s.CanceledAt = p64(at+30*86400), p64(at-86400) }, nil, 0},
		{"percent 12.5", func(s *backend.Subscription) {
			s.Discount = &backend.Discount{Coupon: backend.Coupon{Duration: "forever", PercentOff: pct("12.5")}, Start: start}
		}, nil, 8750},
		{"percent 33.33 exact", func(s *backend.Subscription) {
			s.Discount = &backend.Discount{Coupon: backend.Coupon{Duration: "forever", PercentOff: pct("33.33")}, Start: start}
		}, nil, 6667},
		{"discount not yet started", func(s *backend.Subscription) {
			s.Discount = &backend.Discount{Coupon: backend.Coupon{Duration: "forever", PercentOff: pct("50")}, Start: at + 1}
		}, nil, 10000},
		{"amount_off other currency ignored", func(s *backend.Subscription) {
			s.Discount = &backend.Discount{Coupon: amountCoupon("forever", 1000, "eur"), Start: start}
		}, nil, 10000},
		{"amount_off floors at 0", func(s *backend.Subscription) {
			s.Discount = &backend.Discount{Coupon: amountCoupon("forever", 50000, "usd"), Start: start}
		}, nil, 0},
		{"amount_off by quarterly billing", func(s *backend.Subscription) {
			s.Items.Data = []backend.SubscriptionItem{item(recurring("month", 3, 30000), 1)}
			s.Discount = &backend.Discount{Coupon: amountCoupon("forever", 3000, "USD"), Start: start}
		}, nil, 9000},
		{"repeating ignored by forever_only", func(s *backend.Subscription) {
			s.Discount = &backend.Discount{Coupon: percentCoupon("repeating", "50"), Start: start, End: p64(at + 1)}
		}, nil, 10000},
		{"repeating from duration_in_months", func(s *backend.Subscription) {
			c := percentCoupon("repeating", "50")
			c.DurationInMonths = p64(6)
			s.Discount = &backend.Discount{Coupon: c, Start: ts(t, "2024-01-10")}
		}, func(s *Settings) { s.DiscountMode = ForeverAndRepeating }, 5000},
		{"repeating ended", func(s *backend.Subscription) {
			s.Discount = &backend.Discount{Coupon: percentCoupon("repeating", "50"), Start: start, End: p64(at)}
		}, func(s *Settings) { s.DiscountMode = ForeverAndRepeating }, 10000},
		{"once ignored by forever_and_repeating", func(s *backend.Subscription) {
			s.Discount = &backend.Discount{Coupon: percentCoupon("once", "50"), Start: at - 86400}
		}, func(s *Settings) { s.DiscountMode = ForeverAndRepeating }, 10000},
		{"once within its invoice period (all_active)", func(s *backend.Subscription) {
			s.Discount = &backend.Discount{Coupon: percentCoupon("once", "50"), Start: at - 86400}
		}, func(s *Settings) { s.DiscountMode = AllActive }, 5000},
		{"once after its invoice period (all_active)", func(s *backend.Subscription) {
			s.Discount = &backend.Discount{Coupon: percentCoupon("once", "50"), Start: at - 40*86400}
		}, func(s *Settings) { s.DiscountMode = AllActive }, 10000},
		{"tax inclusive scaled", func(s *backend.Subscription) { s.Items.Data = []backend.SubscriptionItem{item(inclusive, 1)} }, nil, 10000},
		{"week factor setting", func(s *backend.Subscription) {
			s.Items.Data = []backend.SubscriptionItem{item(recurring("week", 1, 1000), 1)}
		},
			func(s *Settings) { s.WeekFactor = big.NewRat(4, 1) }, 4000},
	}
	for _, c := range cases {
		sub := base()
		if c.mut != nil {
			c.mut(&sub)
		}
		s := withSettings(c.settings)
		tl := Timeline{Versions: []SubVersion{{At: start, Sub: sub}}, TaxRatio: big.NewRat(10000, 12000)}
		if got := stepValue(tl.Steps(s), at); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestSeveralDiscountsPercentsFirst(t *testing.T) {
	// 10,000 - 50% = 5,000, then - 1,000 amount = 4,000 (not (10,000-1,000)/2).
	va := versionAmounts{base: big.NewRat(10000, 1), billing: big.NewRat(1, 1), currency: "usd",
		discounts: []backend.Discount{{Coupon: amountCoupon("forever", 1000, "usd")}, {Coupon: percentCoupon("forever", "50")}}}
	s := Defaults().norm()
	if got := applyDiscounts(&va, 10, &s); got != 4000 {
		t.Fatalf("got %d, want 4000", got)
	}
}

func TestTaxInclusiveFlagAndRatio(t *testing.T) {
	p := recurring("month", 1, 12000)
	p.TaxBehavior = "inclusive"
	sub := newSub("sub_t", "cus_t", 100, item(p, 1))
	inv := []backend.Invoice{{ID: "in_1", Created: 200, Status: "paid", Total: 12000, Tax: p64(2000)}, {ID: "in_0", Created: 150, Total: 100, Tax: p64(50)}}
	tl := BuildTimeline(sub, inv, []SubVersion{{At: 100, Sub: sub}})
	if !tl.Info().TaxInclusive || tl.TaxRatio.Cmp(big.NewRat(10, 12)) != 0 {
		t.Fatalf("flag %v ratio %v", tl.Info().TaxInclusive, tl.TaxRatio)
	}
	if got := stepValue(tl.Steps(Defaults()), 300); got != 10000 {
		t.Fatalf("got %d", got)
	}
}

func TestRoundingHalfAwayFromZero(t *testing.T) {
	for _, c := range []struct {
		n, d, want int64
	}{{5, 2, 3}, {-5, 2, -3}, {7, 3, 2}, {-7, 3, -2}, {1, 2, 1}, {1, 3, 0}, {29900, 3, 9967}} {
		if got := roundHalfAway(big.NewRat(c.n, c.d)); got != c.want {
			t.Errorf("%d/%d: %d", c.n, c.d, got)
		}
		if got := divRound(c.n, c.d); got != c.want {
			t.Errorf("divRound %d/%d: %d", c.n, c.d, got)
		}
	}
	for _, c := range []struct {
		r    Ratio
		want string
	}{{NewRatio(2, 7), "28.57"}, {NewRatio(-1, 16), "-6.25"}, {NewRatio(41, 40), "102.50"}, {NewRatio(1, 0), "n/a"}, {NewRatio(1, 20000), "0.01"}, {NewRatio(-1, 30000), "-0.00"}} {
		if got := FormatPercent(c.r); got != c.want && !(c.want == "-0.00" && got == "0.00") {
			t.Errorf("%v: %s, want %s", c.r.R, got, c.want)
		}
	}
	b, _ := json.Marshal(struct{ A, B Ratio }{NewRatio(1, 8), Ratio{}})
	if string(b) != `{"A":12.50,"B":null}` {
		t.Errorf("json %s", b)
	}
}

func TestParseFlag(t *testing.T) {
	s := Defaults()
	for _, f := range [][2]string{
		{"--discount-mode", "all_active"}, {"churn_recognition", "at_period_end"}, {"--past-due-autochurn-days", "30"},
		{"--pause-collection-counts", "true"}, {"--week-factor", "4"}, {"--day-factor", "30.4"},
		{"--churn-rate-formula", "logo_snapshot"}, {"--ltv-mode", "stripe"}, {"--timezone", "UTC"},
	} {
		mustParse(t, &s, f[0], f[1])
	}
	if s.DiscountMode != AllActive || s.ChurnRecognition != AtPeriodEnd || s.PastDueAutochurnDays != 30 || !s.PauseCollectionCounts ||
		s.WeekFactor.Cmp(big.NewRat(4, 1)) != 0 || s.DayFactor.Cmp(big.NewRat(152, 5)) != 0 || s.ChurnRateFormula != ChurnLogoSnapshot ||
		s.LTVMode != LTVStripe || s.Location != time.UTC {
		t.Fatalf("%+v", s)
	}
	mustParse(t, &s, "past-due-autochurn-days", "off")
	if s.PastDueAutochurnDays != 0 {
		t.Fatal("off")
	}
	before := s
	for _, f := range [][2]string{
		{"--discount-mode", "sometimes"}, {"--churn-recognition", ""}, {"--past-due-autochurn-days", "-1"},
		{"--pause-collection-counts", "maybe"}, {"--week-factor", "0"}, {"--churn-rate-formula", "x"},
		{"--ltv-mode", "forever"}, {"--timezone", "Mars/Olympus"}, {"--colour", "red"},
	} {
		err := s.ParseFlag(f[0], f[1])
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v", f, err)
		}
	}
	if s.DiscountMode != before.DiscountMode || s.LTVMode != before.LTVMode || s.Location != before.Location {
		t.Fatal("bad input changed settings")
	}
}

func TestTimeZoneDays(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	// Started 2024-01-31 23:30 UTC = 2024-02-01 00:30 in UTC+1.
	s := newSub("sub_z", "cus_z", ts(t, "2024-01-31T23:30"), item(recurring("month", 1, 1000), 1))
	for _, c := range []struct {
		loc  *time.Location
		want string
	}{{nil, "2024-01-31"}, {paris, "2024-02-01"}} {
		st := Defaults()
		st.Location = c.loc
		series := BuildSeries([]Timeline{one(s)}, st)
		if got := series[0].Points[0].Day.String(); got != c.want {
			t.Errorf("%v: first day %s, want %s", c.loc, got, c.want)
		}
	}
	if DayOf(-1, nil) != -1 || DayOf(0, nil) != 0 || DateDay(2024, 3, 1)-DateDay(2024, 2, 28) != 2 {
		t.Fatal("day arithmetic")
	}
	for _, d := range []Day{-800, -1, 0, 19000, 20000} {
		if got, _ := ParseDay(d.String()); got != d {
			t.Fatalf("round trip %d", d)
		}
	}
}

func TestSameDayChangesKeepEndOfDay(t *testing.T) {
	// Upgrade at 10:00 and downgrade at 18:00 the same day: only the end of
	// day value counts, so no movement that day.
	a := newSub("sub_d", "cus_d", ts(t, "2024-01-01"), item(recurring("month", 1, 1000), 1))
	b := newSub("sub_d", "cus_d", ts(t, "2024-01-01"), item(recurring("month", 1, 1000), 5))
	tl := Timeline{Versions: []SubVersion{v(a.StartDate, a), v(ts(t, "2024-02-10T10:00"), b), v(ts(t, "2024-02-10T18:00"), a)}}
	series := BuildSeries([]Timeline{tl}, Defaults())
	if len(series[0].Points) != 1 {
		t.Fatalf("points %+v", series[0].Points)
	}
	// A customer who starts and churns in one month shows New and Churn.
	c := newSub("sub_e", "cus_e", ts(t, "2024-03-03"), item(recurring("month", 1, 1000), 1))
	ce := c
	ce.Status, ce.EndedAt, ce.CanceledAt = "canceled", p64(ts(t, "2024-03-20")), p64(ts(t, "2024-03-20"))
	series = BuildSeries([]Timeline{{Versions: []SubVersion{v(c.StartDate, c), v(ts(t, "2024-03-20"), ce)}}}, Defaults())
	r := Months(series, MonthOf(2024, 3), MonthOf(2024, 3), Defaults())[0]
	if r.New != 1000 || r.Churn != 1000 || r.EndMRR != 0 || FormatPercent(r.CustomerChurnRate) != "100.00" {
		t.Fatalf("%+v", r)
	}
}
