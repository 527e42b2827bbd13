package sandbox

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// InvoiceItem is a Stripe invoice item: here the proration items a
// subscription change makes (proration_behavior=create_prorations); they
// wait, pending (invoice null), for the subscription's next invoice.
type InvoiceItem struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Amount            int64             `json:"amount"`
	Currency          string            `json:"currency"`
	Customer          string            `json:"customer"`
	Date              int64             `json:"date"`
	Description       *string           `json:"description"`
	Discountable      bool              `json:"discountable"`
	Discounts         []string          `json:"discounts"`
	Invoice           *string           `json:"invoice"`
	Livemode          bool              `json:"livemode"`
	Metadata          map[string]string `json:"metadata"`
	Period            Period            `json:"period"`
	Price             *Price            `json:"price"`
	Proration         bool              `json:"proration"`
	Quantity          int64             `json:"quantity"`
	Subscription      *string           `json:"subscription"`
	SubscriptionItem  *string           `json:"subscription_item,omitempty"`
	TaxRates          []json.RawMessage `json:"tax_rates"`
	TestClock         *string           `json:"test_clock"`
	UnitAmount        *int64            `json:"unit_amount"`
	UnitAmountDecimal *string           `json:"unit_amount_decimal"`
}

// prorations returns the proration items Stripe makes when a
// subscription's items change at `at` inside the current period: for each
// changed or removed licensed item a credit for the unused time of the old
// price and quantity, for each changed or added one a charge for the
// remaining time of the new. Metered items are not prorated. Items carry
// no id yet.
func (st *store) prorations(sub *Subscription, old, cur []*SubscriptionItem, at int64) []*InvoiceItem {
	ps, pe := sub.CurrentPeriodStart, sub.CurrentPeriodEnd
	if at < ps {
		at = ps
	}
	if pe <= ps || at >= pe {
		return nil
	}
	same := func(a, b *SubscriptionItem) bool {
		return a.Price.ID == b.Price.ID && qtyOf(a) == qtyOf(b)
	}
	find := func(list []*SubscriptionItem, id string) *SubscriptionItem {
		for _, it := range list {
			if it.ID == id {
				return it
			}
		}
		return nil
	}
	frac := big.NewRat(pe-at, pe-ps)
	when := time.Unix(at, 0).UTC().Format("2 Jan 2006")
	var out []*InvoiceItem
	mk := func(it *SubscriptionItem, sign int64, what string) {
		p := it.Price
		if p == nil || p.Recurring == nil || p.Recurring.UsageType == "metered" {
			return
		}
		q := qtyOf(it)
		amt := sign * roundHalfAway(new(big.Rat).Mul(itemAmount(p, q), frac))
		desc := what + " time on " + st.productName(p) + " after " + when
		if q != 1 {
			desc = what + " time on " + strconv.FormatInt(q, 10) + " × " + st.productName(p) + " after " + when
		}
		ii := &InvoiceItem{Object: "invoiceitem", Amount: amt, Currency: sub.Currency, Customer: sub.Customer, Date: at,
			Description: ptr(desc), Discountable: false, Discounts: []string{}, Metadata: map[string]string{},
			Period: Period{Start: at, End: pe}, Price: p, Proration: true, Quantity: q, Subscription: ptr(sub.ID),
			SubscriptionItem: ptr(it.ID), TaxRates: []json.RawMessage{}}
		if q != 0 {
			if amt%q == 0 {
				ii.UnitAmount = ptr(amt / q)
				ii.UnitAmountDecimal = ptr(strconv.FormatInt(amt/q, 10))
			} else {
				ii.UnitAmountDecimal = ptr(new(big.Rat).SetFrac64(amt, q).FloatString(12))
			}
		}
		out = append(out, ii)
	}
	for _, o := range old {
		if n := find(cur, o.ID); n == nil || !same(o, n) {
			mk(o, -1, "Unused")
		}
	}
	for _, n := range cur {
		if o := find(old, n.ID); o == nil || !same(o, n) {
			mk(n, 1, "Remaining")
		}
	}
	return out
}

func qtyOf(it *SubscriptionItem) int64 {
	if it.Quantity == nil {
		return 0
	}
	return *it.Quantity
}

func (st *store) productName(p *Price) string {
	if e := st.cols["products"].byID[p.Product]; e != nil {
		return e.obj.(*Product).Name
	}
	return "product"
}

// addInvoiceItem stores a new pending invoice item (ids are deterministic).
func (wc *writeCtx) addInvoiceItem(ii *InvoiceItem) {
	st := wc.s.st
	c := st.cols["invoiceitems"]
	ii.ID = "ii_" + randID(wc.s.opt.Seed^0x11, uint64(wc.now)<<20+uint64(len(c.byID)), 24)
	wc.storeInvoiceItem(ii, true)
}

func (wc *writeCtx) storeInvoiceItem(ii *InvoiceItem, created bool) {
	st := wc.s.st
	c := st.cols["invoiceitems"]
	pk, err := st.dict.invoiceItemPacked(ii)
	if err != nil {
		return
	}
	if old := c.byID[ii.ID]; old != nil {
		old.raw, old.status = pk.e.raw, pk.e.status
	} else {
		c.insert(pk.e)
	}
	if created {
		wc.emit("invoiceitem.created", st.json(c.byID[ii.ID]), nil)
	}
}

// pendingItems are the customer's invoice items not yet on an invoice
// (of one subscription when sub is not empty), oldest first.
func (st *store) pendingItems(customer, sub string) []*InvoiceItem {
	var out []*InvoiceItem
	c := st.cols["invoiceitems"]
	for i := len(c.sorted) - 1; i >= 0; i-- {
		e := c.sorted[i]
		if e.status != "pending" || e.customer != customer || (sub != "" && e.sub != sub) {
			continue
		}
		out = append(out, e.obj.(*InvoiceItem))
	}
	return out
}

// applyProrations acts on a subscription change by proration_behavior:
// create_prorations (default) leaves pending invoice items for the next
// invoice, always_invoice invoices them (with pending ones) at once and
// collects payment, none does nothing.
func (wc *writeCtx) applyProrations(sub *Subscription, old []*SubscriptionItem, behavior string, at int64) *apiError {
	if behavior == "none" || sub.Status == "trialing" {
		return nil
	}
	items := wc.s.st.prorations(sub, old, sub.Items.Data, at)
	for _, ii := range items {
		wc.addInvoiceItem(ii)
	}
	if behavior != "always_invoice" {
		return nil
	}
	pending := wc.s.st.pendingItems(sub.Customer, sub.ID)
	if len(pending) == 0 {
		return nil
	}
	return wc.invoiceNow(sub, pending)
}

// invoiceNow makes, finalizes and pays an invoice of the given pending
// items for the subscription (billing_reason subscription_update).
func (wc *writeCtx) invoiceNow(sub *Subscription, pending []*InvoiceItem) *apiError {
	st := wc.s.st
	ce := st.cols["customers"].byID[sub.Customer]
	if ce == nil {
		return &apiError{status: 500, Type: "api_error", Message: "sandbox: subscription without customer"}
	}
	cust := ce.obj.(*Customer)
	n := uint64(len(st.cols["invoices"].byID))
	in := wc.s.st.draftInvoice(sub, cust, pending, wc.now, "subscription_update")
	in.ID = "in_" + randID(wc.s.opt.Seed^0x1a, uint64(wc.now)<<20+n, 24)
	for i, l := range in.Lines.Data {
		l.ID = "il_" + randID(wc.s.opt.Seed^0x1b, uint64(wc.now)<<20+n<<5+uint64(i), 24)
		l.Invoice = ptr(in.ID)
	}
	seq := cust.NextInvoiceSequence
	if seq < 1 {
		seq = 1
	}
	cust.NextInvoiceSequence = seq + 1
	in.Number = ptr(cust.InvoicePrefix + "-" + leftPad(seq))
	in.Status = ptr("draft")
	wc.putInvoice(in, true)
	wc.emit("invoice.created", wc.invoiceJSON(in), nil)
	for _, ii := range pending {
		ii.Invoice = ptr(in.ID)
		wc.storeInvoiceItem(ii, false)
		wc.emit("invoiceitem.updated", st.json(st.cols["invoiceitems"].byID[ii.ID]), map[string]any{"invoice": nil})
	}
	in.Status = ptr("open")
	in.StatusTransitions.FinalizedAt = ptr(wc.now)
	in.EffectiveAt = ptr(wc.now)
	in.HostedInvoiceURL = ptr("https://invoice.stripe.com/i/" + st.acct.ID + "/test_" + in.ID)
	in.InvoicePDF = ptr("https://pay.stripe.com/invoice/" + st.acct.ID + "/test_" + in.ID + "/pdf")
	wc.putInvoice(in, false)
	wc.emit("invoice.finalized", wc.invoiceJSON(in), nil)
	if in.AmountDue > 0 {
		in.PaymentIntent = ptr("pi_" + randID(wc.s.opt.Seed^0x1c, uint64(wc.now)<<20+n, 24))
		nc := uint64(len(st.cols["charges"].byID))
		ch := &Charge{ID: "ch_" + randID(wc.s.opt.Seed^0x1d, uint64(wc.now)<<20+nc, 24), Object: "charge", Amount: in.AmountDue,
			AmountCaptured: in.AmountDue, BalanceTransaction: ptr("txn_" + randID(wc.s.opt.Seed^0x1e, uint64(wc.now)<<20+nc, 24)),
			BillingDetails: BillingDetails{Address: cust.Address, Email: cust.Email, Name: cust.Name}, Captured: true, Created: wc.now,
			Currency: in.Currency, Customer: ptr(cust.ID), Description: ptr("Subscription update"), Invoice: ptr(in.ID),
			Metadata: map[string]string{}, Outcome: &Outcome{NetworkStatus: ptr("approved_by_network"), RiskLevel: "normal",
				SellerMessage: ptr("Payment complete."), Type: "authorized"}, Paid: true, PaymentIntent: in.PaymentIntent,
			PaymentMethod: sub.DefaultPaymentMethod, PaymentMethodDetails: &PaymentMethodDetails{Type: "card", Card: &CardDetails{
				Brand: ptr("visa"), Country: ptr("US"), ExpMonth: 12, ExpYear: 2030, Funding: ptr("credit"), Last4: ptr("4242")}},
			Refunds: &RefundList{Object: "list", Data: []*Refund{}}, Status: "succeeded"}
		ch.ReceiptURL = ptr("https://pay.stripe.com/receipts/" + ch.ID)
		cp, err := st.dict.chargePacked(ch)
		if err != nil {
			return &apiError{status: 500, Type: "api_error", Message: "sandbox: charge unrenderable"}
		}
		st.cols["charges"].insert(cp.e)
		st.avail[ch.Currency] += ch.Amount
		st.balance = renderBalance(st.avail, st.acct.DefaultCurrency)
		in.Charge = ptr(ch.ID)
		in.AttemptCount, in.Attempted = 1, true
		in.AmountPaid = in.AmountDue
		wc.emit("charge.succeeded", st.json(cp.e), nil)
	}
	if eb := strv64(in.EndingBalance); eb != cust.Balance {
		prev := cust.Balance
		cust.Balance = eb
		if pk, err := st.dict.customerPacked(cust); err == nil {
			ce.raw = pk.e.raw
		}
		wc.emit("customer.updated", st.json(ce), map[string]any{"balance": prev})
	}
	in.AmountRemaining = 0
	in.Paid = true
	in.Status = ptr("paid")
	in.StatusTransitions.PaidAt = ptr(wc.now)
	wc.putInvoice(in, false)
	wc.emit("invoice.paid", wc.invoiceJSON(in), map[string]any{"status": "open", "paid": false})
	wc.emit("invoice.payment_succeeded", wc.invoiceJSON(in), nil)
	sub.LatestInvoice = ptr(in.ID)
	return nil
}

func (wc *writeCtx) invoiceJSON(in *Invoice) []byte { return mustJSON(apiInvoice(in)) }

func (wc *writeCtx) putInvoice(in *Invoice, isNew bool) {
	st := wc.s.st
	pk, err := st.dict.invoicePacked(in)
	if err != nil {
		return
	}
	c := st.cols["invoices"]
	if e := c.byID[in.ID]; e != nil && !isNew {
		e.raw, e.status = pk.e.raw, pk.e.status
		st.setFull(e.id, pk.full)
		return
	}
	c.insert(pk.e)
	st.setFull(pk.e.id, pk.full)
}

// draftInvoice builds an invoice (no ids) of lines from pending invoice
// items plus extra lines, with the subscription's discount and totals.
func (st *store) draftInvoice(sub *Subscription, cust *Customer, pending []*InvoiceItem, at int64, reason string, extra ...*InvoiceLine) *Invoice {
	in := &Invoice{Object: "invoice", AutomaticTax: AutomaticTax{Enabled: false}, BillingReason: ptr(reason),
		CollectionMethod: sub.CollectionMethod, Created: at, Currency: sub.Currency, Customer: ptr(sub.Customer),
		CustomerEmail: cust.Email, CustomerName: cust.Name, DefaultTaxRates: []json.RawMessage{}, Discounts: []string{},
		Issuer: Issuer{Type: "self"}, Metadata: map[string]string{}, PeriodEnd: at, PeriodStart: at, Subscription: ptr(sub.ID),
		TotalDiscountAmounts: []DiscountAmount{}, TotalTaxAmounts: []json.RawMessage{}}
	for _, ii := range pending {
		q := ii.Quantity
		in.Lines.Data = append(in.Lines.Data, &InvoiceLine{Object: "line_item", Amount: ii.Amount, Currency: ii.Currency,
			Description: ii.Description, DiscountAmounts: []json.RawMessage{}, Discountable: ii.Discountable, Discounts: []string{},
			InvoiceItem: ptr(ii.ID), Metadata: map[string]string{}, Period: ii.Period, Price: ii.Price, Proration: ii.Proration,
			Quantity: &q, Subscription: ii.Subscription, SubscriptionItem: ii.SubscriptionItem, TaxAmounts: []json.RawMessage{},
			TaxRates: []json.RawMessage{}, Type: "invoiceitem"})
	}
	in.Lines.Data = append(in.Lines.Data, extra...)
	var subtotal, discountable int64
	for _, l := range in.Lines.Data {
		subtotal += l.Amount
		if l.Discountable {
			discountable += l.Amount
		}
	}
	in.Subtotal = subtotal
	in.SubtotalExcludingTax = ptr(subtotal)
	discount := int64(0)
	if d := sub.Discount; d != nil && d.Coupon != nil && discountable > 0 && (d.End == nil || at < *d.End) {
		c := d.Coupon
		if c.PercentOff != nil {
			discount = roundHalfAway(new(big.Rat).Quo(new(big.Rat).Mul(ratFromDecimal(string(*c.PercentOff)), big.NewRat(discountable, 1)), big.NewRat(100, 1)))
		} else if c.AmountOff != nil && strv(c.Currency) == in.Currency {
			discount = min64(*c.AmountOff, discountable)
		}
		dd := *d
		in.Discount = &dd
		in.Discounts = []string{d.ID}
		in.TotalDiscountAmounts = []DiscountAmount{{Amount: discount, Discount: d.ID}}
	}
	total := subtotal - discount
	in.Total = total
	in.TotalExcludingTax = ptr(total)
	// A credit (negative total) goes to the customer's balance.
	in.StartingBalance = cust.Balance
	due := total + cust.Balance
	if due < 0 {
		in.EndingBalance = ptr(due)
		due = 0
	} else {
		in.EndingBalance = ptr(int64(0))
	}
	in.AmountDue = due
	in.AmountRemaining = due
	return in
}

// upcoming answers GET /v1/invoices/upcoming: the subscription's next
// invoice (pending invoice items plus the next period at its items), or,
// with subscription_items, the preview of that change: its prorations at
// subscription_proration_date (default now) and the next period at the
// new items. It changes nothing.
func (s *Server) upcoming(q url.Values) ([]byte, *apiError) {
	if err := checkParams(q, "customer", "subscription", "subscription_items", "subscription_proration_date",
		"subscription_proration_behavior", "expand"); err != nil {
		return nil, err
	}
	st := s.st
	subID, custID := q.Get("subscription"), q.Get("customer")
	var sub *Subscription
	if subID != "" {
		e := st.cols["subscriptions"].byID[subID]
		if e == nil {
			return nil, missing("subscription", subID, "subscription")
		}
		sub = e.obj.(*Subscription)
		if custID != "" && custID != sub.Customer {
			return nil, invalid("customer", "The subscription %s does not belong to customer %s.", subID, custID)
		}
	} else {
		if custID == "" {
			return nil, invalid("customer", "Missing required param: customer.")
		}
		for _, e := range st.cols["subscriptions"].sorted {
			if e.customer == custID && e.status != "canceled" && e.status != "incomplete_expired" {
				sub = e.obj.(*Subscription)
				break
			}
		}
	}
	if sub == nil || sub.Status == "canceled" || sub.Status == "incomplete_expired" || (sub.CancelAtPeriodEnd && len(arrayKeys(q, "subscription_items")) == 0) {
		e := invalid("", "No upcoming invoices for customer: %s", firstNonEmpty(custID, strv(nilIfEmpty(sub))))
		e.status, e.Code = 404, "invoice_upcoming_none"
		return nil, e
	}
	ce := st.cols["customers"].byID[sub.Customer]
	if ce == nil {
		return nil, missing("customer", sub.Customer, "customer")
	}
	cust := ce.obj.(*Customer)
	now := s.opt.Now().Unix()
	at := now
	if v := q.Get("subscription_proration_date"); v != "" {
		t, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, invalid("subscription_proration_date", "Invalid timestamp: %s", v)
		}
		if t < sub.CurrentPeriodStart || t > sub.CurrentPeriodEnd {
			return nil, invalid("subscription_proration_date", "subscription_proration_date must be within the current period (%d to %d).", sub.CurrentPeriodStart, sub.CurrentPeriodEnd)
		}
		at = t
	}
	behavior := q.Get("subscription_proration_behavior")
	switch behavior {
	case "", "create_prorations", "always_invoice", "none":
	default:
		return nil, invalid("subscription_proration_behavior", "Invalid subscription_proration_behavior: must be one of always_invoice, create_prorations, or none")
	}
	// the proposed items, on a copy
	preview := *sub
	preview.Items.Data = append([]*SubscriptionItem(nil), sub.Items.Data...)
	wc := &writeCtx{s: s, now: now}
	if keys := arrayKeys(q, "subscription_items"); len(keys) > 0 {
		iq := url.Values{}
		for _, k := range keys {
			iq["items"+strings.TrimPrefix(k, "subscription_items")] = q[k]
		}
		if _, err := wc.updateItems(&preview, iq); err != nil {
			err.Param = strings.Replace(err.Param, "items", "subscription_items", 1)
			return nil, err
		}
	}
	pending := st.pendingItems(sub.Customer, sub.ID)
	if behavior != "none" && sub.Status != "trialing" {
		for i, ii := range st.prorations(&preview, sub.Items.Data, preview.Items.Data, at) {
			ii.ID = fmt.Sprintf("ii_preview_%d", i)
			pending = append(pending, ii)
		}
	}
	// next period at the (new) items, billed at the period end
	pe := sub.CurrentPeriodEnd
	iv, n := subInterval(&preview)
	next := addInterval(time.Unix(pe, 0).UTC(), iv, n).Unix()
	var extra []*InvoiceLine
	for _, it := range preview.Items.Data {
		p := it.Price
		if p == nil || p.Recurring == nil || p.Recurring.UsageType == "metered" {
			continue
		}
		qn := qtyOf(it)
		extra = append(extra, &InvoiceLine{Object: "line_item", Amount: roundHalfAway(itemAmount(p, qn)), Currency: sub.Currency,
			Description: ptr(strconv.FormatInt(qn, 10) + " × " + st.productName(p)), DiscountAmounts: []json.RawMessage{},
			Discountable: true, Discounts: []string{}, Metadata: map[string]string{}, Period: Period{Start: pe, End: next},
			Price: p, Quantity: ptr(qn), Subscription: ptr(sub.ID), SubscriptionItem: ptr(it.ID), TaxAmounts: []json.RawMessage{},
			TaxRates: []json.RawMessage{}, Type: "subscription"})
	}
	in := st.draftInvoice(&preview, cust, pending, pe, "upcoming", extra...)
	in.BillingReason = ptr("subscription_cycle")
	in.Status = ptr("draft")
	in.PeriodStart, in.PeriodEnd = sub.CurrentPeriodStart, pe
	in.NextPaymentAttempt = ptr(pe)
	in.AutoAdvance = true
	for i, l := range in.Lines.Data {
		l.ID = fmt.Sprintf("il_tmp_%s%d", strings.TrimPrefix(sub.ID, "sub_"), i)
		if l.Type == "invoiceitem" && l.InvoiceItem != nil && strings.HasPrefix(*l.InvoiceItem, "ii_preview_") {
			l.InvoiceItem = ptr("ii_tmp_" + strings.TrimPrefix(sub.ID, "sub_") + strconv.Itoa(i))
		}
	}
	c := apiInvoice(in)
	c.Lines.URL = "/v1/invoices/upcoming/lines?subscription=" + sub.ID
	b, err := json.Marshal(c)
	if err != nil {
		return nil, &apiError{status: 500, Type: "api_error", Message: "sandbox: upcoming invoice unrenderable"}
	}
	// Stripe's upcoming invoice has no id.
	b = append([]byte("{"), b[len(`{"id":"",`):]...)
	return b, nil
}

func nilIfEmpty(s *Subscription) *string {
	if s == nil {
		return nil
	}
	return &s.ID
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// arrayKeys lists the keys of name[...] parameters, sorted.
func arrayKeys(q url.Values, name string) []string {
	var keys []string
	for k := range q {
		if base(k) == name && k != name {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func strv64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
