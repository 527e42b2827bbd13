package sandbox

import (
	"encoding/json"
	"math/big"
	"strconv"
	"time"
)

// currencies the generated business sells in; jpy is zero-decimal.
var genCurrencies = []string{"eur", "gbp", "jpy", "usd"}

// localAmount converts a USD-cent list price to the currency's minor unit.
func localAmount(usdCents int64, cur string) int64 {
	switch cur {
	case "gbp":
		return usdCents * 8 / 10
	case "jpy":
		return (usdCents * 150 / 100 / 10) * 10 // ¥, rounded down to 10
	}
	return usdCents
}

type planSpec struct {
	key       string // lookup key stem
	product   string // product key
	interval  string
	count     int64
	usd       int64 // unit amount in usd cents (per_unit)
	decimal   string
	curs      []string
	scheme    string // per_unit, tiered
	tiersMode string
	tiers     []Tier
	transform *TransformQuantity
	metered   bool
	oneTime   bool
	inactive  bool
}

type productSpec struct{ key, name, desc string }

var genProducts = []productSpec{
	{"starter", "Starter", "For individuals getting started"},
	{"pro", "Pro", "For growing teams"},
	{"business", "Business", "For established companies"},
	{"seats", "Team seats", "Per-seat pricing, graduated"},
	{"seats_volume", "Volume seats", "Per-seat pricing, volume tiers"},
	{"storage", "Storage", "Billed per 10 GB"},
	{"api", "API calls", "Metered usage"},
	{"support", "Priority support", "Add-on"},
	{"digest", "Weekly digest", "Weekly newsletter product"},
	{"daily", "Daily report", "Daily billing"},
	{"legacy", "Legacy plan", "Retired plan"},
	{"setup", "Setup fee", "One-time onboarding"},
	{"extra_user", "Extra user", "Fractional-cent price"},
}

// module add-ons let enterprise subscriptions carry more than 10 items.
const moduleCount = 10

func i64(v int64) *int64 { return &v }

func genPlans() []planSpec {
	all := genCurrencies
	up := func(v int64) *int64 { return &v }
	plans := []planSpec{
		{key: "starter_monthly", product: "starter", interval: "month", count: 1, usd: 2900, curs: all},
		{key: "starter_yearly", product: "starter", interval: "year", count: 1, usd: 29000, curs: all},
		{key: "pro_monthly", product: "pro", interval: "month", count: 1, usd: 9900, curs: all},
		{key: "pro_quarterly", product: "pro", interval: "month", count: 3, usd: 27900, curs: []string{"usd", "eur"}},
		{key: "pro_yearly", product: "pro", interval: "year", count: 1, usd: 99000, curs: all},
		{key: "business_monthly", product: "business", interval: "month", count: 1, usd: 29900, curs: all},
		{key: "business_yearly", product: "business", interval: "year", count: 1, usd: 299000, curs: all},
		{key: "business_biennial", product: "business", interval: "year", count: 2, usd: 540000, curs: []string{"usd"}},
		{key: "seats_graduated", product: "seats", interval: "month", count: 1, scheme: "tiered", tiersMode: "graduated",
			tiers: []Tier{{UpTo: up(5), UnitAmount: up(1000)}, {UpTo: up(20), UnitAmount: up(800), FlatAmount: up(2000)}, {UnitAmount: up(500)}},
			curs:  []string{"usd", "eur"}},
		{key: "seats_volume", product: "seats_volume", interval: "month", count: 1, scheme: "tiered", tiersMode: "volume",
			tiers: []Tier{{UpTo: up(10), UnitAmount: up(1200)}, {UpTo: up(50), UnitAmount: up(1000), FlatAmount: up(1500)}, {UnitAmount: up(800)}},
			curs:  []string{"usd"}},
		{key: "storage_10gb", product: "storage", interval: "month", count: 1, usd: 500, transform: &TransformQuantity{DivideBy: 10, Round: "up"}, curs: []string{"usd", "eur"}},
		{key: "api_metered", product: "api", interval: "month", count: 1, decimal: "0.5", metered: true, curs: []string{"usd", "eur"}},
		{key: "support_monthly", product: "support", interval: "month", count: 1, usd: 4900, curs: all},
		{key: "digest_weekly", product: "digest", interval: "week", count: 1, usd: 1000, curs: []string{"usd"}},
		{key: "daily_report", product: "daily", interval: "day", count: 1, usd: 100, curs: []string{"usd"}},
		{key: "legacy_monthly", product: "legacy", interval: "month", count: 1, usd: 1900, curs: []string{"usd"}, inactive: true},
		{key: "setup_fee", product: "setup", usd: 10000, curs: []string{"usd"}, oneTime: true},
		{key: "extra_user", product: "extra_user", interval: "month", count: 1, decimal: "1250.5", curs: []string{"usd"}},
	}
	for m := 0; m < moduleCount; m++ {
		plans = append(plans, planSpec{key: "module_" + strconv.Itoa(m), product: "module_" + strconv.Itoa(m),
			interval: "month", count: 1, usd: int64(1000 + 500*m), curs: []string{"usd", "eur"}})
	}
	return plans
}

// couponSpec describes the generated coupons.
type couponSpec struct {
	id       string
	name     string
	duration string
	months   int64
	percent  string
	amount   int64
	currency string
}

var genCoupons = []couponSpec{
	{id: "LOYAL20", name: "Loyalty 20% forever", duration: "forever", percent: "20"},
	{id: "PARTNER12_5", name: "Partner 12.5% forever", duration: "forever", percent: "12.5"},
	{id: "USD10OFF", name: "$10 off forever", duration: "forever", amount: 1000, currency: "usd"},
	{id: "JPY500OFF", name: "¥500 off forever", duration: "forever", amount: 500, currency: "jpy"},
	{id: "FRIENDS100", name: "Friends and family", duration: "forever", percent: "100"},
	{id: "WELCOME50", name: "Welcome 50% first invoice", duration: "once", percent: "50"},
	{id: "QUARTER25", name: "25% for 3 months", duration: "repeating", months: 3, percent: "25"},
}

// ---- exact money ----

func ratFromDecimal(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return new(big.Rat)
	}
	return r
}

// unitDecimal is a price's exact unit amount.
func unitDecimal(p *Price) *big.Rat {
	if p.UnitAmountDecimal != nil {
		return ratFromDecimal(*p.UnitAmountDecimal)
	}
	if p.UnitAmount != nil {
		return new(big.Rat).SetInt64(*p.UnitAmount)
	}
	return new(big.Rat)
}

func tierUnit(t Tier) *big.Rat {
	if t.UnitAmountDecimal != nil {
		return ratFromDecimal(*t.UnitAmountDecimal)
	}
	if t.UnitAmount != nil {
		return new(big.Rat).SetInt64(*t.UnitAmount)
	}
	return new(big.Rat)
}

func tierFlat(t Tier) *big.Rat {
	if t.FlatAmountDecimal != nil {
		return ratFromDecimal(*t.FlatAmountDecimal)
	}
	if t.FlatAmount != nil {
		return new(big.Rat).SetInt64(*t.FlatAmount)
	}
	return new(big.Rat)
}

// itemAmount is the exact per-period amount of q units of p (metrics.md
// step 2: transform_quantity, per-unit, volume and graduated tiers).
func itemAmount(p *Price, q int64) *big.Rat {
	if p.TransformQuantity != nil && p.TransformQuantity.DivideBy > 0 {
		d := p.TransformQuantity.DivideBy
		if p.TransformQuantity.Round == "up" {
			q = (q + d - 1) / d
		} else {
			q = q / d
		}
	}
	if p.BillingScheme != "tiered" {
		return new(big.Rat).Mul(unitDecimal(p), new(big.Rat).SetInt64(q))
	}
	total := new(big.Rat)
	if strv(p.TiersMode) == "volume" {
		for _, t := range p.Tiers {
			if t.UpTo == nil || q <= *t.UpTo {
				total.Mul(tierUnit(t), new(big.Rat).SetInt64(q))
				return total.Add(total, tierFlat(t))
			}
		}
		return total
	}
	var lower int64 // units already placed
	for _, t := range p.Tiers {
		if q <= lower {
			break
		}
		n := q - lower
		if t.UpTo != nil && *t.UpTo-lower < n {
			n = *t.UpTo - lower
		}
		if n <= 0 {
			continue
		}
		total.Add(total, new(big.Rat).Mul(tierUnit(t), new(big.Rat).SetInt64(n)))
		total.Add(total, tierFlat(t))
		if t.UpTo != nil {
			lower = *t.UpTo
		} else {
			lower = q
		}
	}
	return total
}

// monthly normalizes a per-period amount to a month (metrics.md step 3).
func monthly(amount *big.Rat, interval string, n int64) *big.Rat {
	if n <= 0 {
		n = 1
	}
	r := new(big.Rat).Set(amount)
	switch interval {
	case "month":
		r.Quo(r, big.NewRat(n, 1))
	case "year":
		r.Quo(r, big.NewRat(12*n, 1))
	case "week":
		r.Mul(r, big.NewRat(52, 12*n))
	case "day":
		r.Mul(r, big.NewRat(365, 12*n))
	}
	return r
}

// roundHalfAway rounds to the nearest integer, halves away from zero.
func roundHalfAway(r *big.Rat) int64 {
	num := new(big.Int).Set(r.Num())
	den := r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	num.Mul(num, big.NewInt(2))
	num.Add(num, den)
	den2 := new(big.Int).Mul(den, big.NewInt(2))
	q := new(big.Int).Quo(num, den2)
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

// subMRR is a subscription's MRR under the default settings, given its
// items and its forever coupon (nil if none).
func subMRR(items []*SubscriptionItem, forever *Coupon, currency string) int64 {
	total := new(big.Rat)
	var iv string
	var n int64
	for _, it := range items {
		p := it.Price
		if p == nil || p.Recurring == nil || p.Recurring.UsageType == "metered" {
			continue
		}
		q := int64(1)
		if it.Quantity != nil {
			q = *it.Quantity
		}
		amt := itemAmount(p, q)
		if amt.Sign() == 0 {
			continue
		}
		if iv == "" {
			iv, n = p.Recurring.Interval, p.Recurring.IntervalCount
		}
		total.Add(total, monthly(amt, p.Recurring.Interval, p.Recurring.IntervalCount))
	}
	if forever != nil && forever.Duration == "forever" {
		if forever.PercentOff != nil {
			pct := ratFromDecimal(string(*forever.PercentOff))
			keep := new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Quo(pct, big.NewRat(100, 1)))
			total.Mul(total, keep)
		}
		if forever.AmountOff != nil && strv(forever.Currency) == currency && iv != "" {
			total.Sub(total, monthly(new(big.Rat).SetInt64(*forever.AmountOff), iv, n))
		}
	}
	if total.Sign() < 0 {
		return 0
	}
	return roundHalfAway(total)
}

// ---- periods ----

// periodBoundary is the k-th period boundary after anchor, like Stripe:
// months keep the anchor's day, clamped to the month's last day.
func periodBoundary(anchor time.Time, interval string, n, k int64) time.Time {
	switch interval {
	case "day":
		return anchor.AddDate(0, 0, int(n*k))
	case "week":
		return anchor.AddDate(0, 0, int(7*n*k))
	}
	months := n * k
	if interval == "year" {
		months = 12 * n * k
	}
	y, m, d := anchor.Date()
	total := int(m) - 1 + int(months)
	ny, nm := y+total/12, time.Month(total%12+1)
	last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d > last {
		d = last
	}
	h, mi, s := anchor.Clock()
	return time.Date(ny, nm, d, h, mi, s, 0, time.UTC)
}

func addInterval(t time.Time, interval string, n int64) time.Time {
	return periodBoundary(t, interval, n, 1)
}

var _ = json.Number("")
