package metrics

import (
	"math/big"
	"strconv"
	"strings"

	"billfold/backend"
)

// unitAmount returns a price's or tier's unit amount exactly, preferring the
// decimal string.
func unitAmount(dec string, amt *int64) *big.Rat {
	if r, ok := parseDecimal(dec); ok {
		return r
	}
	if amt != nil {
		return new(big.Rat).SetInt64(*amt)
	}
	return new(big.Rat)
}

// transformQuantity applies transform_quantity (divide_by, round up/down).
func transformQuantity(p *backend.Price, q int64) int64 {
	t := p.TransformQuantity
	if t == nil || t.DivideBy <= 1 {
		return q
	}
	d := q / t.DivideBy
	if q%t.DivideBy != 0 && strings.EqualFold(t.Round, "up") {
		d++
	}
	return d
}

// itemAmount is the amount one billing interval of the price costs at
// quantity q (before normalization), exactly. ok is false for prices that
// carry no MRR: one-time, metered or non-recurring.
func itemAmount(p *backend.Price, q int64) (*big.Rat, bool) {
	if p == nil || p.Recurring == nil || p.Type == "one_time" {
		return nil, false
	}
	if p.Recurring.UsageType == "metered" {
		return nil, false
	}
	if q < 0 {
		q = 0
	}
	if p.BillingScheme == "tiered" {
		return tieredAmount(p, q), true
	}
	q = transformQuantity(p, q)
	a := unitAmount(p.UnitAmountDecimal, p.UnitAmount)
	return a.Mul(a, new(big.Rat).SetInt64(q)), true
}

func tierFlat(t backend.Tier) *big.Rat { return unitAmount(t.FlatAmountDecimal, t.FlatAmount) }

func tieredAmount(p *backend.Price, q int64) *big.Rat {
	total := new(big.Rat)
	if q == 0 && p.TiersMode != "volume" {
		return total
	}
	if p.TiersMode == "volume" {
		for _, t := range p.Tiers {
			if t.UpTo == nil || q <= *t.UpTo {
				u := unitAmount(t.UnitAmountDecimal, t.UnitAmount)
				total.Mul(u, new(big.Rat).SetInt64(q))
				if q > 0 {
					total.Add(total, tierFlat(t))
				}
				return total
			}
		}
		return total
	}
	// graduated: a tier's lower bound is the previous up_to + 1.
	var lower int64 = 1
	for _, t := range p.Tiers {
		if q < lower {
			break
		}
		upper := q
		if t.UpTo != nil && *t.UpTo < q {
			upper = *t.UpTo
		}
		units := upper - lower + 1
		if units > 0 {
			u := unitAmount(t.UnitAmountDecimal, t.UnitAmount)
			total.Add(total, u.Mul(u, new(big.Rat).SetInt64(units)))
			total.Add(total, tierFlat(t))
		}
		if t.UpTo == nil {
			break
		}
		lower = *t.UpTo + 1
	}
	return total
}

// monthFactor is the multiplier that turns one interval's amount into a
// month's: month 1/n, year 1/(12n), week wf/n, day df/n (wf=52/12, df=365/12).
// ok is false for an unknown interval.
func monthFactor(interval string, count int64, s *Settings) (*big.Rat, bool) {
	if count <= 0 {
		count = 1
	}
	switch interval {
	case "month":
		return big.NewRat(1, count), true
	case "year":
		return big.NewRat(1, 12*count), true
	case "week":
		r := new(big.Rat).Set(s.WeekFactor)
		return r.Quo(r, new(big.Rat).SetInt64(count)), true
	case "day":
		r := new(big.Rat).Set(s.DayFactor)
		return r.Quo(r, new(big.Rat).SetInt64(count)), true
	}
	return nil, false
}

// ItemMonthly returns one subscription item's monthly amount, exactly, with
// ok false when the item carries no MRR (one-time, metered, free, unknown
// interval).
func ItemMonthly(item *backend.SubscriptionItem, s Settings) (*big.Rat, bool) {
	s = s.norm()
	return itemMonthly(&item.Price, item.Quantity, &s)
}

func itemMonthly(p *backend.Price, q int64, s *Settings) (*big.Rat, bool) {
	if n, d, has, fast := itemMonthlyFrac(p, q, s); fast {
		if !has {
			return nil, false
		}
		return big.NewRat(n, d), true
	}
	a, ok := itemAmount(p, q)
	if !ok || a.Sign() == 0 {
		return nil, false
	}
	f, ok := monthFactor(p.Recurring.Interval, p.Recurring.IntervalCount, s)
	if !ok {
		return nil, false
	}
	return a.Mul(a, f), true
}

// itemMonthlyFrac handles the common case (per-unit integer amount,
// default factors) as an exact fraction of int64s. fast is false when the
// general path must run; has is false when the item carries no MRR.
func itemMonthlyFrac(p *backend.Price, q int64, s *Settings) (num, den int64, has, fast bool) {
	if p == nil || p.Recurring == nil || p.Type == "one_time" || p.Recurring.UsageType == "metered" {
		return 0, 0, false, true
	}
	if p.BillingScheme == "tiered" || !s.defaultFactors {
		return 0, 0, false, false
	}
	var a int64
	switch {
	case p.UnitAmountDecimal != "":
		v, err := strconv.ParseInt(p.UnitAmountDecimal, 10, 64)
		if err != nil {
			return 0, 0, false, false
		}
		a = v
	case p.UnitAmount != nil:
		a = *p.UnitAmount
	default:
		return 0, 0, false, true
	}
	if q < 0 {
		q = 0
	}
	q = transformQuantity(p, q)
	n := p.Recurring.IntervalCount
	if n <= 0 {
		n = 1
	}
	const limit = 1 << 50
	if a < 0 || a > limit/(q+1) || n > 1<<20 {
		return 0, 0, false, false
	}
	num, den = a*q, n
	switch p.Recurring.Interval {
	case "month":
	case "year":
		den *= 12
	case "week":
		num, den = num*52, den*12
	case "day":
		num, den = num*365, den*12
	default:
		return 0, 0, false, true
	}
	if num == 0 {
		return 0, 0, false, true
	}
	return num, den, true, true
}
