package sandbox

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// subSim is the state of one subscription while its history is simulated.
type subSim struct {
	cs       *csim
	sub      *Subscription
	forever  *Coupon // a forever coupon (counts in MRR)
	coupon   *Coupon // any coupon applied
	usedOnce bool
	// MRR bookkeeping (default metrics settings)
	mrr       int64
	since     int64
	trialing  bool
	cancelReq bool
	paused    bool
}

func (ss *subSim) effective() int64 {
	s := ss.sub
	if s.Status != "active" && s.Status != "past_due" {
		return 0
	}
	if ss.trialing || ss.cancelReq || ss.paused {
		return 0
	}
	return subMRR(s.Items.Data, ss.forever, s.Currency)
}

// mark records the MRR after a state change at t.
func (ss *subSim) mark(t int64) {
	v := ss.effective()
	if v == ss.mrr {
		return
	}
	if ss.mrr != 0 && t > ss.since {
		ss.cs.out.segs = append(ss.cs.out.segs, mrrSeg{currency: ss.sub.Currency, from: ss.since, to: t, mrr: ss.mrr})
	}
	ss.mrr, ss.since = v, t
}

func (ss *subSim) close() {
	if ss.mrr != 0 {
		ss.cs.out.segs = append(ss.cs.out.segs, mrrSeg{currency: ss.sub.Currency, from: ss.since, to: math.MaxInt64, mrr: ss.mrr})
	}
}

func (cs *csim) price(key string) *Price { return cs.g.prices[key][cs.cur] }

// subscription simulates one subscription from start; it returns when it
// ended (0 if it is still alive at now).
func (cs *csim) subscription(start int64, n int) int64 {
	g, r := cs.g, cs.r
	pick := cs.pickPlan(start, n)
	sub := &Subscription{ID: rid(r, "sub_", 24), Object: "subscription", CollectionMethod: "charge_automatically",
		Created: start, Currency: cs.cur, Customer: cs.c.ID, Metadata: map[string]string{}, StartDate: start,
		Status: "active", BillingCycleAnchor: start, DefaultPaymentMethod: ptr(cs.pm),
		CancellationDetails: &CancellationDetails{}}
	for _, it := range pick.items {
		sub.Items.Data = append(sub.Items.Data, cs.newItem(sub, it.key, it.qty, start))
	}
	ss := &subSim{cs: cs, sub: sub, since: start}
	cs.out.subs = append(cs.out.subs, sub)
	// coupons
	switch x := r.IntN(100); {
	case x < 7:
		ss.coupon = cs.g.coupons["LOYAL20"]
	case x < 9:
		ss.coupon = cs.g.coupons["PARTNER12_5"]
	case x < 11 && cs.cur == "usd":
		ss.coupon = cs.g.coupons["USD10OFF"]
	case x < 11 && cs.cur == "jpy":
		ss.coupon = cs.g.coupons["JPY500OFF"]
	case x < 12:
		ss.coupon = cs.g.coupons["FRIENDS100"]
	case x < 17:
		ss.coupon = cs.g.coupons["WELCOME50"]
	case x < 22:
		ss.coupon = cs.g.coupons["QUARTER25"]
	}
	if ss.coupon != nil {
		cs.out.redeemed[ss.coupon.ID]++
		d := &Discount{ID: rid(r, "di_", 24), Object: "discount", Coupon: ss.coupon, Customer: ptr(cs.c.ID),
			Start: start, Subscription: ptr(sub.ID)}
		if ss.coupon.Duration == "repeating" {
			d.End = ptr(time.Unix(start, 0).UTC().AddDate(0, int(*ss.coupon.DurationInMonths), 0).Unix())
		}
		sub.Discount = d
		if ss.coupon.Duration == "forever" {
			ss.forever = ss.coupon
		}
	}
	iv, ivn := subInterval(sub)
	anchor := start
	if pick.trial {
		te := start + 14*day
		sub.TrialStart, sub.TrialEnd = ptr(start), ptr(te)
		sub.Status = "trialing"
		ss.trialing = true
		sub.CurrentPeriodStart, sub.CurrentPeriodEnd = start, te
		sub.BillingCycleAnchor = te
		cs.invoice(ss, start, "subscription_create", start, te, true, nil, 0)
		cs.event(start, "customer.subscription.created", sub, nil)
		cs.event(te-3*day, "customer.subscription.trial_will_end", sub, nil)
		outcome := r.IntN(100)
		switch {
		case outcome < 10: // canceled during the trial
			tc := start + int64(r.IntN(int(14*day)))
			if tc >= g.now {
				ss.close()
				return 0
			}
			cs.endSub(ss, tc, tc, "cancellation_requested")
			return tc
		case outcome < 20: // no payment method: paused at trial end
			if te >= g.now {
				ss.close()
				return 0
			}
			sub.Status = "paused"
			ss.trialing = false
			sub.CurrentPeriodStart, sub.CurrentPeriodEnd = te, addInterval(time.Unix(te, 0).UTC(), iv, ivn).Unix()
			ss.mark(te)
			cs.event(te, "customer.subscription.paused", sub, map[string]any{"status": "trialing"})
			ss.close()
			return 0
		}
		if te >= g.now {
			ss.close()
			return 0
		}
		ss.trialing = false
		sub.Status = "active"
		anchor = te
	}
	failFirst := pick.trial && r.IntN(100) < 12
	for k := int64(0); ; k++ {
		ps := periodBoundary(time.Unix(anchor, 0).UTC(), iv, ivn, k).Unix()
		pe := periodBoundary(time.Unix(anchor, 0).UTC(), iv, ivn, k+1).Unix()
		if ps > g.now {
			break
		}
		sub.CurrentPeriodStart, sub.CurrentPeriodEnd = ps, pe
		reason := "subscription_cycle"
		if k == 0 && !pick.trial {
			reason = "subscription_create"
		}
		var metered int64
		if k > 0 {
			metered = ps - periodBoundary(time.Unix(anchor, 0).UTC(), iv, ivn, k-1).Unix()
		}
		prevStatus := sub.Status
		ss.mark(ps)
		fail := failFirst || r.IntN(100) < 4
		failFirst = false
		outcome := cs.invoice(ss, ps, reason, ps, pe, false, &fail, metered)
		if k == 0 && !pick.trial {
			cs.event(start, "customer.subscription.created", sub, nil)
		} else if sub.Status != prevStatus {
			cs.event(ps, "customer.subscription.updated", sub, map[string]any{"status": prevStatus})
		}
		switch outcome.kind {
		case "canceled":
			cs.endSub(ss, outcome.at, outcome.at, "payment_failed")
			return outcome.at
		case "unpaid":
			ss.close()
			return 0
		}
		// churn: hazard per period, larger for longer periods
		months := float64(ivn)
		switch iv {
		case "year":
			months = 12 * float64(ivn)
		case "week":
			months = 0.25
		case "day":
			months = 1.0 / 30
		}
		hazard := 1 - math.Pow(0.97, months)
		if tc := ps + 1 + int64(r.Float64()*float64(pe-ps-2)); r.Float64() < hazard && tc < g.now {
			if r.IntN(100) < 40 {
				cs.endSub(ss, tc, tc, "cancellation_requested")
				return tc
			}
			sub.CancelAtPeriodEnd = true
			sub.CanceledAt = ptr(tc)
			sub.CancelAt = ptr(pe)
			sub.CancellationDetails = &CancellationDetails{Reason: ptr("cancellation_requested")}
			ss.cancelReq = true
			ss.mark(tc)
			cs.event(tc, "customer.subscription.updated", sub, map[string]any{"cancel_at_period_end": false, "canceled_at": nil, "cancel_at": nil})
			// undo within the events window: the customer changes their mind
			if tc >= g.window && r.IntN(100) < 30 {
				tu := tc + 1 + int64(r.Float64()*float64(min64(pe, g.now)-tc-1))
				if tu < pe && tu < g.now {
					sub.CancelAtPeriodEnd = false
					sub.CanceledAt, sub.CancelAt = nil, nil
					sub.CancellationDetails = &CancellationDetails{}
					ss.cancelReq = false
					ss.mark(tu)
					cs.event(tu, "customer.subscription.updated", sub, map[string]any{"cancel_at_period_end": true, "canceled_at": tc, "cancel_at": pe})
					continue
				}
			}
			if pe <= g.now {
				cs.endSub(ss, pe, tc, "cancellation_requested")
				return pe
			}
			ss.close()
			return 0
		}
		// a mid-period change
		if r.IntN(100) < 6 {
			tc := ps + 1 + int64(r.Float64()*float64(pe-ps-2))
			if tc < g.now {
				if newAnchor, ok := cs.change(ss, tc, ps, pe); ok {
					if newAnchor != 0 {
						anchor = newAnchor
						iv, ivn = subInterval(sub)
						k = 0
						// the change invoice billed [tc, next boundary); continue from there
						ps = newAnchor
						pe = periodBoundary(time.Unix(anchor, 0).UTC(), iv, ivn, 1).Unix()
						sub.CurrentPeriodStart, sub.CurrentPeriodEnd = ps, pe
						if pe > g.now {
							break
						}
						// emulate the loop from k=1
						k = 0
						continue
					}
				}
			}
		}
		// pause collection lately (only inside the events window)
		if pe > g.now && sub.Status == "active" && !ss.cancelReq && r.IntN(100) < 3 {
			tp := max64(ps, g.window) + int64(r.Float64()*float64(g.now-max64(ps, g.window)))
			if tp < g.now {
				sub.PauseCollection = &PauseCollection{Behavior: "void"}
				ss.paused = true
				ss.mark(tp)
				cs.event(tp, "customer.subscription.updated", sub, map[string]any{"pause_collection": nil})
			}
		}
		if pe > g.now {
			break
		}
	}
	if ss.coupon != nil && sub.Discount != nil {
		if ss.coupon.Duration == "once" && ss.usedOnce {
			sub.Discount = nil
		} else if sub.Discount.End != nil && *sub.Discount.End <= g.now {
			sub.Discount = nil
		}
	}
	ss.close()
	return 0
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func (cs *csim) newItem(sub *Subscription, key string, qty int64, t int64) *SubscriptionItem {
	it := &SubscriptionItem{ID: rid(cs.r, "si_", 14), Object: "subscription_item", Created: t, Metadata: map[string]string{},
		Price: cs.price(key), Subscription: sub.ID, TaxRates: []json.RawMessage{}}
	if it.Price.Recurring.UsageType != "metered" {
		it.Quantity = ptr(qty)
	}
	return it
}

func (cs *csim) endSub(ss *subSim, ended, canceledAt int64, reason string) {
	sub := ss.sub
	prev := sub.Status
	sub.Status = "canceled"
	sub.EndedAt = ptr(ended)
	sub.CanceledAt = ptr(canceledAt)
	if sub.CancellationDetails == nil || sub.CancellationDetails.Reason == nil {
		sub.CancellationDetails = &CancellationDetails{Reason: ptr(reason)}
	}
	ss.trialing = false
	ss.mark(min64(canceledAt, ended))
	ss.mark(ended)
	cs.event(ended, "customer.subscription.deleted", sub, map[string]any{"status": prev})
	ss.close()
}

type payOutcome struct {
	kind string // paid, canceled, unpaid, open
	at   int64
}

// invoice bills [ps, pe) for the subscription's items (and metered usage
// of the previous period), pays it or fails, and returns what happened.
func (cs *csim) invoice(ss *subSim, t int64, reason string, ps, pe int64, trial bool, fail *bool, meteredSecs int64) payOutcome {
	sub := ss.sub
	in := cs.newInvoice(sub, t, reason, ps, pe)
	for _, it := range sub.Items.Data {
		p := it.Price
		if p.Recurring.UsageType == "metered" {
			if meteredSecs <= 0 {
				continue
			}
			usage := int64(cs.r.IntN(50000))
			amt := roundHalfAway(itemAmount(p, usage))
			in.Lines.Data = append(in.Lines.Data, cs.line(in, sub, it, p, usage, amt, ps-meteredSecs, ps, false,
				"Usage of "+cs.g.productName(p)))
			continue
		}
		q := *it.Quantity
		amt := roundHalfAway(itemAmount(p, q))
		desc := ""
		if trial {
			amt = 0
			desc = "Trial period for " + cs.g.productName(p)
		}
		in.Lines.Data = append(in.Lines.Data, cs.line(in, sub, it, p, q, amt, ps, pe, false, desc))
	}
	return cs.finish(ss, in, t, fail)
}

func (g *gen) productName(p *Price) string {
	for _, pr := range g.productList {
		if pr.ID == p.Product {
			return pr.Name
		}
	}
	return "product"
}

func (cs *csim) newInvoice(sub *Subscription, t int64, reason string, ps, pe int64) *Invoice {
	cs.seq++
	num := cs.c.InvoicePrefix + "-" + leftPad(cs.seq)
	in := &Invoice{ID: rid(cs.r, "in_", 24), Object: "invoice", AutoAdvance: false, AutomaticTax: AutomaticTax{Enabled: false},
		BillingReason: ptr(reason), CollectionMethod: "charge_automatically", Created: t, Currency: sub.Currency,
		Customer: ptr(cs.c.ID), CustomerEmail: cs.c.Email, CustomerName: cs.c.Name, DefaultTaxRates: []json.RawMessage{},
		Discounts: []string{}, Issuer: Issuer{Type: "self"}, Metadata: map[string]string{}, Number: ptr(num),
		PeriodEnd: t, PeriodStart: t, Subscription: ptr(sub.ID), TotalDiscountAmounts: []DiscountAmount{},
		TotalTaxAmounts: []json.RawMessage{}, PaymentSettings: PaymentSettings{}}
	_ = ps
	_ = pe
	sub.LatestInvoice = ptr(in.ID)
	cs.out.invoices = append(cs.out.invoices, in)
	return in
}

func leftPad(n int64) string {
	s := []byte("0000")
	str := itoa(n)
	if len(str) >= 4 {
		return str
	}
	copy(s[4-len(str):], str)
	return string(s)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (cs *csim) line(in *Invoice, sub *Subscription, it *SubscriptionItem, p *Price, q, amt, ps, pe int64, proration bool, desc string) *InvoiceLine {
	if desc == "" {
		desc = itoa(q) + " × " + cs.g.productName(p)
	}
	l := &InvoiceLine{ID: rid(cs.r, "il_", 24), Object: "line_item", Amount: amt, Currency: sub.Currency, Description: ptr(desc),
		DiscountAmounts: []json.RawMessage{}, Discountable: true, Discounts: []string{}, Invoice: ptr(in.ID), Metadata: map[string]string{},
		Period: Period{Start: ps, End: pe}, Price: p, Proration: proration, Quantity: ptr(q), Subscription: ptr(sub.ID),
		SubscriptionItem: ptr(it.ID), TaxAmounts: []json.RawMessage{}, TaxRates: []json.RawMessage{}, Type: "subscription"}
	return l
}

// finish totals an invoice, applies the discount and collects payment.
func (cs *csim) finish(ss *subSim, in *Invoice, t int64, fail *bool) payOutcome {
	g, r := cs.g, cs.r
	sub := ss.sub
	var subtotal int64
	for _, l := range in.Lines.Data {
		subtotal += l.Amount
	}
	in.Subtotal = subtotal
	in.SubtotalExcludingTax = ptr(subtotal)
	discount := int64(0)
	if d := sub.Discount; d != nil && subtotal > 0 {
		c := d.Coupon
		apply := c.Duration == "forever" || (c.Duration == "once" && !ss.usedOnce) ||
			(c.Duration == "repeating" && d.End != nil && t < *d.End)
		if apply {
			if c.PercentOff != nil {
				pct := ratFromDecimal(string(*c.PercentOff))
				discount = roundHalfAway(new(big.Rat).Quo(new(big.Rat).Mul(pct, big.NewRat(subtotal, 1)), big.NewRat(100, 1)))
			} else if c.AmountOff != nil && strv(c.Currency) == in.Currency {
				discount = min64(*c.AmountOff, subtotal)
			}
			if c.Duration == "once" {
				ss.usedOnce = true
			}
			dd := *d
			in.Discount = &dd
			in.Discounts = []string{d.ID}
			in.TotalDiscountAmounts = []DiscountAmount{{Amount: discount, Discount: d.ID}}
		}
	}
	total := subtotal - discount
	in.Total = total
	in.TotalExcludingTax = ptr(total)
	due := max64(total, 0)
	in.AmountDue = due
	in.AmountRemaining = due
	in.StartingBalance = 0
	in.EndingBalance = ptr(int64(0))
	in.Status = ptr("draft")
	cs.event(t, "invoice.created", in, nil)
	fin := t
	in.Status = ptr("open")
	in.StatusTransitions.FinalizedAt = ptr(fin)
	in.EffectiveAt = ptr(fin)
	in.HostedInvoiceURL = ptr("https://invoice.stripe.com/i/acct_1SandboxBillfold/test_" + in.ID)
	in.InvoicePDF = ptr("https://pay.stripe.com/invoice/acct_1SandboxBillfold/test_" + in.ID + "/pdf")
	cs.event(fin, "invoice.finalized", in, nil)
	if due == 0 {
		in.Status = ptr("paid")
		in.Paid = true
		in.StatusTransitions.PaidAt = ptr(fin)
		cs.event(fin, "invoice.paid", in, map[string]any{"status": "open", "paid": false})
		return payOutcome{kind: "paid", at: fin}
	}
	in.PaymentIntent = ptr(rid(r, "pi_", 24))
	if fail == nil || !*fail {
		cs.pay(in, fin, true)
		return payOutcome{kind: "paid", at: fin}
	}
	// dunning: first attempt fails, retries 3, 5 and 7 days later, then
	// unpaid or canceled 14 days after the first attempt.
	cs.pay(in, fin, false)
	prev := sub.Status
	sub.Status = "past_due"
	ss.mark(fin)
	cs.event(fin, "customer.subscription.updated", sub, map[string]any{"status": prev})
	recoverAt := int64(-1)
	if r.IntN(100) < 60 {
		recoverAt = int64(1 + r.IntN(3))
	}
	offsets := []int64{3 * day, 8 * day, 15 * day}
	for i, off := range offsets {
		at := fin + off
		if at > g.now {
			in.NextPaymentAttempt = ptr(at)
			return payOutcome{kind: "open", at: at}
		}
		if int64(i+1) == recoverAt {
			cs.pay(in, at, true)
			sub.Status = "active"
			ss.mark(at)
			cs.event(at, "customer.subscription.updated", sub, map[string]any{"status": "past_due"})
			return payOutcome{kind: "paid", at: at}
		}
		if i < len(offsets)-1 {
			cs.pay(in, at, false)
		}
	}
	end := fin + 15*day
	if r.IntN(100) < 60 {
		in.Status = ptr("void")
		in.StatusTransitions.VoidedAt = ptr(end)
		in.AmountRemaining = 0
		cs.event(end, "invoice.voided", in, nil)
		return payOutcome{kind: "canceled", at: end}
	}
	in.Status = ptr("uncollectible")
	in.StatusTransitions.MarkedUncollectibleAt = ptr(end)
	cs.event(end, "invoice.marked_uncollectible", in, nil)
	sub.Status = "unpaid"
	ss.mark(end)
	cs.event(end, "customer.subscription.updated", sub, map[string]any{"status": "past_due"})
	return payOutcome{kind: "unpaid", at: end}
}

// pay records one charge attempt on the invoice.
func (cs *csim) pay(in *Invoice, at int64, ok bool) {
	r := cs.r
	brand, last4 := "visa", "4242"
	if !ok {
		last4 = "0341"
	}
	ch := &Charge{ID: rid(r, "ch_", 24), Object: "charge", Amount: in.AmountDue, BillingDetails: BillingDetails{
		Address: cs.c.Address, Email: cs.c.Email, Name: cs.c.Name}, Created: at, Currency: in.Currency,
		Customer: ptr(cs.c.ID), Description: ptr("Subscription update"), Invoice: ptr(in.ID), Metadata: map[string]string{},
		PaymentIntent: in.PaymentIntent, PaymentMethod: ptr(cs.pm),
		PaymentMethodDetails: &PaymentMethodDetails{Type: "card", Card: &CardDetails{Brand: ptr(brand), Country: ptr("US"),
			ExpMonth: 12, ExpYear: 2030, Funding: ptr("credit"), Last4: ptr(last4)}},
		Refunds: &RefundList{Object: "list", Data: []*Refund{}}}
	in.AttemptCount++
	in.Attempted = true
	if ok {
		ch.Status, ch.Paid, ch.Captured, ch.AmountCaptured = "succeeded", true, true, in.AmountDue
		ch.BalanceTransaction = ptr(rid(r, "txn_", 24))
		ch.Outcome = &Outcome{NetworkStatus: ptr("approved_by_network"), RiskLevel: "normal", SellerMessage: ptr("Payment complete."), Type: "authorized"}
		ch.ReceiptURL = ptr("https://pay.stripe.com/receipts/" + ch.ID)
		in.Charge = ptr(ch.ID)
		in.Paid = true
		in.AmountPaid = in.AmountDue
		in.AmountRemaining = 0
		in.Status = ptr("paid")
		in.StatusTransitions.PaidAt = ptr(at)
		in.NextPaymentAttempt = nil
	} else {
		ch.Status = "failed"
		ch.FailureCode = ptr("card_declined")
		ch.FailureMessage = ptr("Your card was declined.")
		ch.Outcome = &Outcome{NetworkStatus: ptr("declined_by_network"), Reason: ptr("generic_decline"), RiskLevel: "normal",
			SellerMessage: ptr("The bank did not return any further details with this decline."), Type: "issuer_declined"}
		in.Charge = ptr(ch.ID)
	}
	cs.out.charges = append(cs.out.charges, ch)
	if ok {
		cs.event(at, "charge.succeeded", ch, nil)
		cs.event(at, "invoice.paid", in, map[string]any{"status": "open", "paid": false})
		cs.event(at, "invoice.payment_succeeded", in, nil)
		// some payments are refunded later
		if r.IntN(100) < 3 {
			rt := at + day + int64(r.IntN(int(20*day)))
			if rt < cs.g.now {
				amt := ch.Amount
				if r.IntN(2) == 0 {
					amt = ch.Amount / 2
				}
				if amt > 0 {
					reason := []string{"requested_by_customer", "duplicate", "fraudulent"}[r.IntN(3)]
					rf := &Refund{ID: rid(r, "re_", 24), Object: "refund", Amount: amt, BalanceTransaction: ptr(rid(r, "txn_", 24)),
						Charge: ptr(ch.ID), Created: rt, Currency: ch.Currency, Metadata: map[string]string{},
						PaymentIntent: ch.PaymentIntent, Reason: ptr(reason), Status: ptr("succeeded")}
					prev := map[string]any{"amount_refunded": ch.AmountRefunded, "refunded": ch.Refunded}
					ch.AmountRefunded += amt
					ch.Refunded = ch.AmountRefunded == ch.Amount
					ch.Refunds.Data = append([]*Refund{rf}, ch.Refunds.Data...)
					cs.out.refunds = append(cs.out.refunds, rf)
					cs.event(rt, "charge.refunded", ch, prev)
				}
			}
		}
	} else {
		cs.event(at, "charge.failed", ch, nil)
		cs.event(at, "invoice.payment_failed", in, nil)
	}
}

// change makes a mid-period change at tc: upgrade, downgrade, quantity, an
// added item (prorated, invoiced at once) or a switch of interval (new
// billing anchor). It returns the new anchor for an interval switch.
func (cs *csim) change(ss *subSim, tc, ps, pe int64) (int64, bool) {
	r := cs.r
	sub := ss.sub
	if len(sub.Items.Data) != 1 || ss.trialing || sub.Status != "active" {
		return 0, false
	}
	it := sub.Items.Data[0]
	key := it.Price.Nickname
	if key == nil {
		return 0, false
	}
	ladder := map[string][2]string{
		"starter_monthly": {"", "pro_monthly"}, "pro_monthly": {"starter_monthly", "business_monthly"},
		"business_monthly": {"pro_monthly", ""}, "starter_yearly": {"", "pro_yearly"}, "pro_yearly": {"starter_yearly", "business_yearly"},
		"business_yearly": {"pro_yearly", ""},
	}
	switchTo := map[string]string{"starter_monthly": "starter_yearly", "pro_monthly": "pro_yearly", "business_monthly": "business_yearly"}
	q := int64(1)
	if it.Quantity != nil {
		q = *it.Quantity
	}
	newKey, newQty := *key, q
	switch x := r.IntN(100); {
	case x < 30 && ladder[*key][1] != "":
		newKey = ladder[*key][1]
	case x < 45 && ladder[*key][0] != "":
		newKey = ladder[*key][0]
	case x < 65 && switchTo[*key] != "":
		newKey = switchTo[*key]
	default:
		if *key == "pro_monthly" || strings.HasPrefix(*key, "seats") || *key == "storage_10gb" || *key == "extra_user" {
			newQty = q + int64(r.IntN(9)) - 4
			if newQty < 1 {
				newQty = q + 2
			}
		} else if *key == "starter_monthly" || *key == "pro_monthly" || *key == "business_monthly" {
			// add priority support as a second item
			np := cs.price("support_monthly")
			if np == nil {
				return 0, false
			}
			ni := cs.newItem(sub, "support_monthly", 1, tc)
			prevItems := apiSub(sub).Items
			in := cs.newInvoice(sub, tc, "subscription_update", tc, pe)
			amt := roundHalfAway(new(big.Rat).Mul(itemAmount(np, 1), big.NewRat(pe-tc, pe-ps)))
			in.Lines.Data = append(in.Lines.Data, cs.line(in, sub, ni, np, 1, amt, tc, pe, true, "Remaining time on Priority support"))
			sub.Items.Data = append([]*SubscriptionItem{}, sub.Items.Data...)
			sub.Items.Data = append(sub.Items.Data, ni)
			ss.mark(tc)
			cs.event(tc, "customer.subscription.updated", sub, map[string]any{"items": prevItems})
			no := false
			cs.finish(ss, in, tc, &no)
			return 0, true
		}
	}
	np := cs.price(newKey)
	if np == nil || (newKey == *key && newQty == q) {
		return 0, false
	}
	prevItems := apiSub(sub).Items
	ni := *it
	ni.Price = np
	ni.Quantity = ptr(newQty)
	old := it.Price
	in := cs.newInvoice(sub, tc, "subscription_update", tc, pe)
	credit := -roundHalfAway(new(big.Rat).Mul(itemAmount(old, q), big.NewRat(pe-tc, pe-ps)))
	in.Lines.Data = append(in.Lines.Data, cs.line(in, sub, it, old, q, credit, tc, pe, true, "Unused time on "+cs.g.productName(old)))
	sub.Items.Data = []*SubscriptionItem{&ni}
	newAnchor := int64(0)
	if np.Recurring.Interval != old.Recurring.Interval || np.Recurring.IntervalCount != old.Recurring.IntervalCount {
		// interval switch: bill the new interval from now, reset the anchor
		newAnchor = tc
		ne := addInterval(time.Unix(tc, 0).UTC(), np.Recurring.Interval, np.Recurring.IntervalCount).Unix()
		in.Lines.Data = append(in.Lines.Data, cs.line(in, sub, &ni, np, newQty, roundHalfAway(itemAmount(np, newQty)), tc, ne, false, ""))
		sub.BillingCycleAnchor = tc
		sub.CurrentPeriodStart, sub.CurrentPeriodEnd = tc, ne
	} else {
		amt := roundHalfAway(new(big.Rat).Mul(itemAmount(np, newQty), big.NewRat(pe-tc, pe-ps)))
		in.Lines.Data = append(in.Lines.Data, cs.line(in, sub, &ni, np, newQty, amt, tc, pe, true, "Remaining time on "+cs.g.productName(np)))
	}
	ss.mark(tc)
	cs.event(tc, "customer.subscription.updated", sub, map[string]any{"items": prevItems})
	no := false
	cs.finish(ss, in, tc, &no)
	return newAnchor, true
}
