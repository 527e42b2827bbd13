package metrics

import (
	"math"
	"math/big"
	"math/bits"
	"sort"
	"strings"

	"billfold/backend"
)

// SubVersion is one observed state of a subscription: Sub is what the
// subscription looked like from At (unix seconds) until the next version.
type SubVersion struct {
	At  int64                `json:"at"`
	Sub backend.Subscription `json:"sub"`
}

// Timeline is a subscription's history: versions ordered by At. The last
// version is the latest known object; its ended_at, canceled_at and pending
// cancellation are facts that hold for the whole history.
type Timeline struct {
	Versions []SubVersion
	// TaxRatio is (line amount - tax) / line amount from the latest invoice,
	// applied to prices with tax_behavior=inclusive; nil means 1.
	TaxRatio *big.Rat
}

// Step says: from At on, the subscription's MRR is MRR (until the next step).
type Step struct {
	At  int64
	MRR int64
}

// SubInfo describes a subscription for reporting: its customer, currency,
// and flags.
type SubInfo struct {
	ID           string
	Customer     string
	Currency     string
	TaxInclusive bool // some price is tax-inclusive: MRR was scaled by the tax ratio
	Test         bool // test-mode data
}

const forever = math.MaxInt64

// Info returns the subscription's identity and flags from its versions.
func (tl *Timeline) Info() SubInfo {
	if len(tl.Versions) == 0 {
		return SubInfo{}
	}
	last := &tl.Versions[len(tl.Versions)-1].Sub
	in := SubInfo{ID: last.ID, Customer: last.Customer.ID, Currency: subCurrency(last), Test: !last.Livemode}
	for i := range tl.Versions {
		for _, it := range tl.Versions[i].Sub.Items.Data {
			if it.Price.TaxBehavior == "inclusive" {
				in.TaxInclusive = true
			}
		}
	}
	return in
}

func subCurrency(s *backend.Subscription) string {
	if s.Currency != "" {
		return strings.ToLower(s.Currency)
	}
	for _, it := range s.Items.Data {
		if it.Price.Currency != "" {
			return strings.ToLower(it.Price.Currency)
		}
	}
	return ""
}

// evalCtx holds what the evaluation of one version needs beyond the object.
type evalCtx struct {
	s            *Settings
	lo, hi       int64  // the version's validity [lo, hi)
	pastDueSince int64  // start of the current past_due run
	nextStatus   string // status of the next non-trialing version ("" if none)
	endedAt      int64  // from the latest version; forever when not ended
	globalReq    int64  // pending-cancellation request from the latest version; forever if none
	taxRatio     *big.Rat
}

// versionAmounts caches the time-independent parts of a version.
type versionAmounts struct {
	base      *big.Rat // sum of normalized items, tax-scaled (nil on the fast path without discounts)
	rounded   int64    // base rounded once
	fast      bool
	billing   *big.Rat // month factor of the subscription's billing interval (nil: unknown)
	currency  string
	discounts []backend.Discount
}

func amountsOf(sub *backend.Subscription, c *evalCtx) versionAmounts {
	va := versionAmounts{currency: subCurrency(sub)}
	if n, d, ok := fastBase(sub, c); ok {
		// exact int64 fraction: no big.Rat unless a discount needs one
		va.rounded, va.fast = divRound(n, d), true
		if sub.Discount != nil {
			va.base = big.NewRat(n, d)
		}
	} else {
		va.base = slowBase(sub, c)
		va.rounded = roundHalfAway(va.base)
	}
	if sub.Discount == nil {
		return va
	}
	return withDiscount(va, sub, c)
}

// fastBase sums the items as one int64 fraction when every item takes the
// fast path and nothing overflows.
func fastBase(sub *backend.Subscription, c *evalCtx) (num, den int64, ok bool) {
	num, den = 0, 1
	for i := range sub.Items.Data {
		it := &sub.Items.Data[i]
		if it.Price.TaxBehavior == "inclusive" && c.taxRatio != nil {
			return 0, 0, false
		}
		n, d, has, fast := itemMonthlyFrac(&it.Price, it.Quantity, c.s)
		if !fast {
			return 0, 0, false
		}
		if !has {
			continue
		}
		// num/den + n/d, reduced; bail out on overflow
		hi1, lo1 := bits.Mul64(uint64(num), uint64(d))
		hi2, lo2 := bits.Mul64(uint64(n), uint64(den))
		hi3, lo3 := bits.Mul64(uint64(den), uint64(d))
		if hi1 != 0 || hi2 != 0 || hi3 != 0 || lo1 > 1<<61 || lo2 > 1<<61 || lo3 > 1<<61 {
			return 0, 0, false
		}
		num, den = int64(lo1+lo2), int64(lo3)
		g := gcd(num, den)
		num, den = num/g, den/g
	}
	return num, den, true
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return 1
	}
	return a
}

func slowBase(sub *backend.Subscription, c *evalCtx) *big.Rat {
	base := new(big.Rat)
	for i := range sub.Items.Data {
		it := &sub.Items.Data[i]
		m, ok := itemMonthly(&it.Price, it.Quantity, c.s)
		if !ok {
			continue
		}
		if it.Price.TaxBehavior == "inclusive" && c.taxRatio != nil {
			m.Mul(m, c.taxRatio)
		}
		base.Add(base, m)
	}
	return base
}

func withDiscount(va versionAmounts, sub *backend.Subscription, c *evalCtx) versionAmounts {
	for i := range sub.Items.Data {
		r := sub.Items.Data[i].Price.Recurring
		if r != nil && r.UsageType != "metered" {
			va.billing, _ = monthFactor(r.Interval, r.IntervalCount, c.s)
			break
		}
	}
	if va.billing == nil {
		for i := range sub.Items.Data {
			if r := sub.Items.Data[i].Price.Recurring; r != nil {
				va.billing, _ = monthFactor(r.Interval, r.IntervalCount, c.s)
				break
			}
		}
	}
	if sub.Discount != nil {
		va.discounts = append(va.discounts, *sub.Discount)
	}
	return va
}

// requestTime is when this version's pending cancellation was requested,
// or forever when none is pending.
func requestTime(sub *backend.Subscription, at int64) int64 {
	if !sub.CancelAtPeriodEnd && sub.CancelAt == nil {
		return forever
	}
	if sub.CanceledAt != nil {
		return *sub.CanceledAt
	}
	return at
}

// discountWindow returns when a discount takes effect under the mode, and
// whether it applies at all. A once coupon without an end lasts one billing
// interval (an approximation; invoice-derived history bounds it exactly).
func discountWindow(d *backend.Discount, mode DiscountMode, billing *big.Rat) (start, end int64, ok bool) {
	start, end = d.Start, forever
	if d.End != nil {
		end = *d.End
	}
	switch d.Coupon.Duration {
	case "forever", "":
		return start, end, true
	case "repeating":
		if mode == ForeverOnly {
			return 0, 0, false
		}
		if d.End == nil && d.Coupon.DurationInMonths != nil && d.Start > 0 {
			end = addMonthsUnix(d.Start, int(*d.Coupon.DurationInMonths))
		}
		return start, end, true
	case "once":
		if mode != AllActive {
			return 0, 0, false
		}
		if d.End == nil && d.Start > 0 {
			// the period of the invoice it discounted: one billing interval.
			end = d.Start + billingSeconds(billing)
		}
		return start, end, true
	}
	return 0, 0, false
}

// billingSeconds approximates one billing interval from its month factor
// (a month is 365.25/12 days).
func billingSeconds(f *big.Rat) int64 {
	if f == nil || f.Sign() == 0 {
		return 0
	}
	months := new(big.Rat).Inv(f)
	sec := months.Mul(months, big.NewRat(36525*864, 12))
	return roundHalfAway(sec)
}

// effectiveStatus returns the status at t.
func effectiveStatus(sub *backend.Subscription, t int64, c *evalCtx) string {
	st := sub.Status
	if st == "trialing" && sub.TrialEnd != nil && t >= *sub.TrialEnd {
		// The trial ended inside this version; the next observed status says
		// how (active, past_due, paused, canceled...). Unknown stays trialing.
		if c.nextStatus != "" {
			st = c.nextStatus
		}
	}
	return st
}

// evalAt is the MRR of the version at t (lo <= t < hi), rounded.
func evalAt(sub *backend.Subscription, va *versionAmounts, t int64, c *evalCtx) int64 {
	s := c.s
	if t < sub.StartDate || t >= c.endedAt {
		return 0
	}
	if sub.EndedAt != nil && t >= *sub.EndedAt {
		return 0
	}
	switch effectiveStatus(sub, t, c) {
	case "active":
	case "past_due":
		if s.PastDueAutochurnDays > 0 && t >= c.pastDueSince+int64(s.PastDueAutochurnDays)*86400 {
			return 0
		}
	default:
		return 0
	}
	if sub.TrialStart != nil && sub.TrialEnd != nil && *sub.TrialStart <= t && t < *sub.TrialEnd {
		return 0
	}
	if s.ChurnRecognition == AtRequest {
		if t >= requestTime(sub, c.lo) || t >= c.globalReq {
			return 0
		}
	}
	if !s.PauseCollectionCounts && sub.PauseCollection != nil {
		if sub.PauseCollection.ResumesAt == nil || t < *sub.PauseCollection.ResumesAt {
			return 0
		}
	}
	if va.rounded == 0 && (va.base == nil || va.base.Sign() == 0) {
		return 0
	}
	return applyDiscounts(va, t, s)
}

func applyDiscounts(va *versionAmounts, t int64, s *Settings) int64 {
	if len(va.discounts) == 0 || va.base == nil {
		return va.rounded
	}
	total := new(big.Rat).Set(va.base)
	var amounts []*big.Rat
	for i := range va.discounts {
		d := &va.discounts[i]
		start, end, ok := discountWindow(d, s.DiscountMode, va.billing)
		if !ok || t < start || t >= end {
			continue
		}
		cp := &d.Coupon
		if cp.PercentOff != nil {
			p, ok := parseDecimal(string(*cp.PercentOff))
			if !ok {
				continue
			}
			keep := new(big.Rat).Sub(big.NewRat(1, 1), p.Quo(p, big.NewRat(100, 1)))
			if keep.Sign() < 0 {
				keep.SetInt64(0)
			}
			total.Mul(total, keep)
		} else if cp.AmountOff != nil && va.billing != nil && strings.EqualFold(cp.Currency, va.currency) {
			a := new(big.Rat).SetInt64(*cp.AmountOff)
			amounts = append(amounts, a.Mul(a, va.billing))
		}
	}
	for _, a := range amounts {
		total.Sub(total, a)
	}
	if total.Sign() < 0 {
		return 0
	}
	return roundHalfAway(total)
}

// SubscriptionMRR returns the MRR of a single subscription object at t,
// treating the object as true at every moment (no history). Use
// Timeline.Steps for subscriptions with versions.
func SubscriptionMRR(sub *backend.Subscription, t int64, s Settings) int64 {
	tl := Timeline{Versions: []SubVersion{{At: math.MinInt64 / 2, Sub: *sub}}}
	steps := tl.Steps(s)
	v := int64(0)
	for _, st := range steps {
		if st.At <= t {
			v = st.MRR
		}
	}
	return v
}

// Steps computes the subscription's MRR as a step function: each Step gives
// the MRR from its At until the next Step; before the first Step it is 0.
// Consecutive steps always differ.
func (tl *Timeline) Steps(s Settings) []Step {
	s = s.norm()
	vs := tl.Versions
	if len(vs) == 0 {
		return nil
	}
	last := &vs[len(vs)-1].Sub
	base := evalCtx{s: &s, endedAt: forever, globalReq: forever, taxRatio: tl.TaxRatio}
	if last.EndedAt != nil {
		base.endedAt = *last.EndedAt
	}
	if last.CanceledAt != nil {
		pending := last.CancelAtPeriodEnd || last.CancelAt != nil
		early := last.EndedAt != nil && *last.CanceledAt < *last.EndedAt
		if pending || (last.Status == "canceled" && early) {
			base.globalReq = *last.CanceledAt
		}
	}
	var out []Step
	cur := int64(0)
	// Candidate times are strictly increasing across versions, so a step
	// is appended only when the value changes.
	push := func(at, v int64) {
		if v == cur {
			return
		}
		out = append(out, Step{At: at, MRR: v})
		cur = v
	}
	pastDueSince := int64(0)
	cands := make([]int64, 0, 16)
	for i := range vs {
		v := &vs[i]
		c := base
		c.lo = v.At
		c.hi = forever
		if i+1 < len(vs) {
			c.hi = vs[i+1].At
		}
		if c.hi <= c.lo {
			continue
		}
		for j := i + 1; j < len(vs); j++ {
			if vs[j].Sub.Status != "trialing" {
				c.nextStatus = vs[j].Sub.Status
				break
			}
		}
		sub := &v.Sub
		if sub.Status == "past_due" {
			if i == 0 || vs[i-1].Sub.Status != "past_due" {
				pastDueSince = v.At
				if i == 0 && sub.CurrentPeriodStart > 0 {
					// first known state: past_due since the failing
					// invoice of the current period
					pastDueSince = sub.CurrentPeriodStart
				}
				if i > 0 {
					p := &vs[i-1].Sub
					if p.Status == "trialing" && p.TrialEnd != nil && *p.TrialEnd > vs[i-1].At && *p.TrialEnd <= v.At {
						pastDueSince = *p.TrialEnd
					}
				}
			}
		}
		c.pastDueSince = pastDueSince
		// If this version is trialing and becomes past_due at trial end.
		if sub.Status == "trialing" && c.nextStatus == "past_due" && sub.TrialEnd != nil {
			c.pastDueSince = *sub.TrialEnd
		}
		va := amountsOf(sub, &c)
		cands = cands[:0]
		cands = append(cands, c.lo)
		add := func(x int64) {
			if x > c.lo && x < c.hi {
				cands = append(cands, x)
			}
		}
		add(sub.StartDate)
		add(c.endedAt)
		add(c.globalReq)
		if sub.EndedAt != nil {
			add(*sub.EndedAt)
		}
		if sub.TrialStart != nil {
			add(*sub.TrialStart)
		}
		if sub.TrialEnd != nil {
			add(*sub.TrialEnd)
		}
		add(requestTime(sub, c.lo))
		if s.PastDueAutochurnDays > 0 {
			add(c.pastDueSince + int64(s.PastDueAutochurnDays)*86400)
		}
		if sub.PauseCollection != nil && sub.PauseCollection.ResumesAt != nil {
			add(*sub.PauseCollection.ResumesAt)
		}
		for k := range va.discounts {
			if st, en, ok := discountWindow(&va.discounts[k], s.DiscountMode, va.billing); ok {
				add(st)
				add(en)
			}
		}
		sort.Slice(cands, func(a, b int) bool { return cands[a] < cands[b] })
		for k, t := range cands {
			if k > 0 && t == cands[k-1] {
				continue
			}
			push(t, evalAt(sub, &va, t, &c))
		}
	}
	return out
}
