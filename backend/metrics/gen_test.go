package metrics

import (
	"encoding/json"
	"fmt"
	"math/rand"

	"billfold/backend"
)

// genBusiness generates a random business: customers with 1-3
// subscriptions each, over three years from 2023-01-01, with price changes,
// quantity changes, discounts, trials, past_due runs, pauses, pending
// cancellations (set and unset) and cancellations, in usd, eur and jpy.
func genBusiness(seed int64, customers int) []Timeline {
	rng := rand.New(rand.NewSource(seed))
	const t0 = 1672531200 // 2023-01-01
	const span = 3 * 365 * 86400
	curs := []string{"usd", "usd", "usd", "eur", "jpy"}
	intervals := []string{"month", "month", "month", "year", "year", "week", "day"}
	var tls []Timeline
	for c := 0; c < customers; c++ {
		cust := fmt.Sprintf("cus_%06d", c)
		cur := curs[rng.Intn(len(curs))]
		nsub := 1 + rng.Intn(3)
		if rng.Intn(3) > 0 {
			nsub = 1
		}
		for k := 0; k < nsub; k++ {
			start := int64(t0 + rng.Intn(span))
			mkPrice := func() backend.Price {
				iv := intervals[rng.Intn(len(intervals))]
				p := backend.Price{ID: fmt.Sprintf("price_%d", rng.Intn(1000)), Currency: cur, Type: "recurring",
					BillingScheme: "per_unit", Recurring: &backend.Recurring{Interval: iv, IntervalCount: 1 + int64(rng.Intn(3)), UsageType: "licensed"}}
				switch rng.Intn(12) {
				case 0:
					p.UnitAmountDecimal = "33.3333333333"
				case 1:
					p.BillingScheme, p.TiersMode = "tiered", []string{"graduated", "volume"}[rng.Intn(2)]
					p.Tiers = []backend.Tier{{UpTo: p64(5), UnitAmount: p64(1000)}, {UpTo: p64(20), UnitAmount: p64(800), FlatAmount: p64(2000)}, {UnitAmount: p64(500)}}
				case 2:
					p.Recurring.UsageType = "metered"
					p.UnitAmount = p64(7)
				case 3:
					p.TransformQuantity = &backend.TransformQuantity{DivideBy: 1 + int64(rng.Intn(10)), Round: []string{"up", "down"}[rng.Intn(2)]}
					p.UnitAmount = p64(int64(100 + rng.Intn(5000)))
				case 4:
					p.UnitAmount = p64(0)
				default:
					p.UnitAmount = p64(int64(100 + rng.Intn(50000)))
				}
				return p
			}
			s := backend.Subscription{ID: fmt.Sprintf("sub_%06d_%d", c, k), Customer: backend.Ref{ID: cust}, Status: "active",
				Currency: cur, StartDate: start, Created: start, Livemode: true, CurrentPeriodStart: start}
			s.Items.Data = []backend.SubscriptionItem{{ID: "si_a", Price: mkPrice(), Quantity: 1 + int64(rng.Intn(5))}}
			if rng.Intn(5) == 0 {
				s.Items.Data = append(s.Items.Data, backend.SubscriptionItem{ID: "si_b", Price: mkPrice(), Quantity: 1 + int64(rng.Intn(30))})
			}
			versions := []SubVersion{}
			at := start
			if rng.Intn(5) == 0 {
				te := start + int64(7+rng.Intn(20))*86400
				s.Status, s.TrialStart, s.TrialEnd = "trialing", p64(start), p64(te)
				versions = append(versions, SubVersion{At: at, Sub: s})
				s.Status = []string{"active", "active", "past_due", "paused", "canceled"}[rng.Intn(5)]
				at = te + int64(rng.Intn(3))*86400
			}
			for ch := rng.Intn(6); ch >= 0 && s.Status != "canceled"; ch-- {
				versions = append(versions, SubVersion{At: at, Sub: s})
				at += int64(1+rng.Intn(200)) * 86400
				if at > t0+span+200*86400 {
					break
				}
				s = cloneSub(s)
				switch rng.Intn(10) {
				case 0:
					s.Items.Data[0].Quantity = 1 + int64(rng.Intn(25))
				case 1:
					s.Items.Data[0].Price = mkPrice()
				case 2:
					s.Status = []string{"past_due", "active", "unpaid", "incomplete"}[rng.Intn(4)]
				case 3:
					if s.PauseCollection == nil {
						s.PauseCollection = &backend.PauseCollection{Behavior: "void"}
						if rng.Intn(2) == 0 {
							s.PauseCollection.ResumesAt = p64(at + int64(rng.Intn(60))*86400)
						}
					} else {
						s.PauseCollection = nil
					}
				case 4:
					s.CancelAtPeriodEnd = !s.CancelAtPeriodEnd
					s.CanceledAt = nil
					if s.CancelAtPeriodEnd {
						s.CanceledAt = p64(at)
					}
				case 5:
					if s.Discount != nil {
						s.Discount = nil
						break
					}
					d := &backend.Discount{Start: at}
					switch rng.Intn(4) {
					case 0:
						n := json.Number([]string{"25", "12.5", "100", "33.33"}[rng.Intn(4)])
						d.Coupon = backend.Coupon{Duration: "forever", PercentOff: &n}
					case 1:
						n := json.Number("50")
						d.Coupon = backend.Coupon{Duration: "repeating", PercentOff: &n, DurationInMonths: p64(3)}
						d.End = p64(addMonthsUnix(at, 3))
					case 2:
						d.Coupon = backend.Coupon{Duration: "forever", AmountOff: p64(int64(rng.Intn(5000))), Currency: []string{cur, "usd"}[rng.Intn(2)]}
					default:
						n := json.Number("10")
						d.Coupon = backend.Coupon{Duration: "once", PercentOff: &n}
					}
					s.Discount = d
				case 6, 7:
					s.Status, s.EndedAt = "canceled", p64(at)
					if s.CanceledAt == nil || !s.CancelAtPeriodEnd {
						s.CanceledAt = p64(at)
					}
					s.CancelAtPeriodEnd = false
				default:
					if len(s.Items.Data) < 3 {
						s.Items.Data = append(s.Items.Data, backend.SubscriptionItem{ID: fmt.Sprintf("si_%d", ch), Price: mkPrice(), Quantity: 1})
					}
				}
			}
			if s.Status == "canceled" {
				versions = append(versions, SubVersion{At: at, Sub: s})
			}
			tls = append(tls, Timeline{Versions: versions})
		}
	}
	return tls
}

func cloneSub(s backend.Subscription) backend.Subscription {
	s.Items.Data = append([]backend.SubscriptionItem(nil), s.Items.Data...)
	return s
}
