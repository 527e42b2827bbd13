package metrics

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"billfold/backend"
)

// Before the first stored version, a subscription's history comes from its
// invoices (design/metrics.md "History"): non-proration subscription lines
// define segments [period.start, period.end) at price x quantity, and a
// proration line with a positive amount marks a mid-cycle change at its
// period.start (its price x quantity, not its amount). A negative proration
// line ("unused time") removes that price from its period.start unless a
// positive line replaces it. Cancellation and trial times come from the
// subscription object.

// lineOp paints one item key over [from, to).
type lineOp struct {
	key      string
	from, to int64
	price    *backend.Price
	qty      int64
	kind     int // 0 base segment, 1 proration removal, 2 proration set
	void     bool
	disc     *backend.Discount // the invoice's discount (base segments)
}

func lineKey(l *backend.InvoiceLine) string {
	if l.SubscriptionItem != "" {
		return l.SubscriptionItem
	}
	if l.Price != nil {
		return "price:" + l.Price.ID
	}
	return ""
}

// invoiceOps extracts the painting operations of a subscription's lines.
func invoiceOps(subID string, invoices []backend.Invoice) []lineOp {
	var ops []lineOp
	for i := range invoices {
		inv := &invoices[i]
		// A voided invoice still shows the subscription was alive (Stripe
		// voids the open invoice when it cancels for non-payment), but any
		// other invoice overrides it.
		void := inv.Status == "void"
		for j := range inv.Lines.Data {
			l := &inv.Lines.Data[j]
			if l.Price == nil || l.Price.Recurring == nil {
				continue
			}
			owner := l.Subscription.ID
			if owner == "" {
				owner = inv.Subscription.ID
			}
			if owner != subID || (l.Type != "" && l.Type != "subscription" && !l.Proration) {
				continue
			}
			key := lineKey(l)
			if key == "" || l.Period.End <= l.Period.Start {
				continue
			}
			q := int64(1)
			if l.Quantity != nil {
				q = *l.Quantity
			}
			op := lineOp{key: key, from: l.Period.Start, to: l.Period.End, price: l.Price, qty: q, void: void}
			if !void && !l.Proration {
				op.disc = inv.Discount
			}
			switch {
			case void && l.Proration:
				continue
			case !l.Proration:
				op.kind = 0
			case l.Amount > 0:
				op.kind = 2
			case l.Amount < 0:
				op.kind = 1
			default:
				continue
			}
			ops = append(ops, op)
		}
	}
	// Base segments by start (a later segment overrides an earlier overlap),
	// then prorations by time, removals before sets at the same moment.
	rank := func(o *lineOp) int {
		switch {
		case o.void:
			return 0
		case o.kind == 0:
			return 1
		}
		return 2
	}
	sort.SliceStable(ops, func(a, b int) bool {
		if ra, rb := rank(&ops[a]), rank(&ops[b]); ra != rb {
			return ra < rb
		}
		if ops[a].from != ops[b].from {
			return ops[a].from < ops[b].from
		}
		return ops[a].kind < ops[b].kind
	})
	return ops
}

type itemState struct {
	price *backend.Price
	qty   int64
}

// FromInvoices reconstructs a subscription's versions from its invoices.
// sub is the subscription's current (or first known) object: its identity,
// start, trial, cancellation and discount are kept; its items are replaced by
// the ones the invoices show, and its status is active while the invoices
// cover time; after the last invoice the last item set carries on (the
// subscription's ended_at or later versions say when it stopped).
func FromInvoices(sub backend.Subscription, invoices []backend.Invoice) []SubVersion {
	ops := invoiceOps(sub.ID, invoices)
	if len(ops) == 0 {
		return nil
	}
	var bounds []int64
	for _, op := range ops {
		bounds = append(bounds, op.from, op.to)
	}
	sort.Slice(bounds, func(a, b int) bool { return bounds[a] < bounds[b] })
	tmpl := sub
	tmpl.Status = "active"
	tmpl.CancelAtPeriodEnd, tmpl.CancelAt, tmpl.PauseCollection = false, nil, nil
	// When the invoices carry discounts, each period's discount is the one
	// its invoice applied (a once coupon: exactly that invoice's period);
	// otherwise the subscription's own discount holds.
	invoiceDiscounts := false
	for _, op := range ops {
		invoiceDiscounts = invoiceDiscounts || op.disc != nil
	}
	var out []SubVersion
	prevSig := "\x00"
	var disc *backend.Discount
	for bi, t := range bounds {
		if bi > 0 && t == bounds[bi-1] {
			continue
		}
		state := map[string]itemState{}
		var discOp *lineOp
		for k := range ops {
			op := &ops[k]
			if t < op.from || t >= op.to {
				continue
			}
			if op.kind == 0 && !op.void && (discOp == nil || op.from >= discOp.from) {
				discOp = op
			}
			switch op.kind {
			case 0, 2:
				state[op.key] = itemState{op.price, op.qty}
			case 1:
				if cur, ok := state[op.key]; ok && cur.price.ID == op.price.ID && cur.qty == op.qty {
					delete(state, op.key)
				}
			}
		}
		keys := make([]string, 0, len(state))
		for k := range state {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if discOp != nil {
			disc = periodDiscount(discOp)
		}
		sig := ""
		if invoiceDiscounts && disc != nil {
			sig = disc.ID + "\x01" + disc.Coupon.ID + "\x01" + itoa(disc.Start) + "\x03"
		}
		items := make([]backend.SubscriptionItem, 0, len(keys))
		for _, k := range keys {
			st := state[k]
			sig += k + "\x01" + st.price.ID + "\x01" + itoa(st.qty) + "\x02"
			items = append(items, backend.SubscriptionItem{ID: k, Subscription: sub.ID, Price: *st.price, Quantity: st.qty})
		}
		if sig == prevSig || (len(items) == 0 && len(out) > 0) {
			// No invoice covers this time: the subscription did not
			// stop (its ended_at says when it did; invoices pause during
			// dunning), so the last item set carries on.
			continue
		}
		prevSig = sig
		v := tmpl
		v.Items = backend.List[backend.SubscriptionItem]{Object: "list", Data: items}
		if invoiceDiscounts {
			v.Discount = disc
		}
		out = append(out, SubVersion{At: t, Sub: v})
	}
	return out
}

// periodDiscount is the discount an invoice applied to a base segment; a
// once coupon is bounded to that segment's period.
func periodDiscount(op *lineOp) *backend.Discount {
	if op.disc == nil {
		return nil
	}
	if op.disc.Coupon.Duration != "once" {
		return op.disc
	}
	d := *op.disc
	d.Start, d.End = op.from, &op.to
	return &d
}

// BuildTimeline joins the history reconstructed from invoices (before the
// first stored version) with the stored versions. latest is the current
// subscription object, used as the one stored version when there are none.
//
// The first stored state may have begun before it was stored: an unpaid,
// paused, past_due or trialing status, or a pending cancellation. Its start
// is inferred (the invoice marked uncollectible, the trial end, the failed
// invoice, the cancellation request) and the state is dated from there.
func BuildTimeline(latest backend.Subscription, invoices []backend.Invoice, versions []SubVersion) Timeline {
	vs := append([]SubVersion(nil), versions...)
	sort.SliceStable(vs, func(a, b int) bool { return vs[a].At < vs[b].At })
	if len(vs) == 0 {
		vs = []SubVersion{{At: forever, Sub: latest}}
	}
	completeItems(vs, latest)
	first := vs[0]
	template := first.Sub
	last := vs[len(vs)-1].Sub
	template.EndedAt, template.CanceledAt = last.EndedAt, last.CanceledAt
	if template.Status == "canceled" && len(vs) == 1 {
		template.CancelAtPeriodEnd, template.CancelAt = false, nil
	}
	rec := FromInvoices(template, invoices)
	since := first.At
	if s, ok := inferSince(&first.Sub, invoices); ok && s < since {
		since = s
	}
	var out []SubVersion
	for _, r := range rec {
		if r.At < since {
			out = append(out, r)
		}
	}
	if since < first.At {
		out = append(out, SubVersion{At: since, Sub: first.Sub})
	}
	if first.At == forever {
		if len(out) == 0 {
			out = []SubVersion{{At: latest.StartDate, Sub: latest}}
		} else if since == forever && latest.Status != "canceled" && latest.Status != "incomplete_expired" {
			// Nothing says when the current state began: it holds from
			// the end of the invoice history's last change.
			out = append(out, SubVersion{At: max(latest.CurrentPeriodStart, out[len(out)-1].At+1), Sub: latest})
		}
	} else {
		out = append(out, vs...)
	}
	return Timeline{Versions: out, TaxRatio: TaxRatio(invoices)}
}

// inferSince estimates when a subscription's present state began, for
// states that do not count as MRR or that matter to a setting.
func inferSince(s *backend.Subscription, invoices []backend.Invoice) (int64, bool) {
	latestInv := func(pick func(inv *backend.Invoice) (int64, bool)) (int64, bool) {
		best, ok := int64(0), false
		for i := range invoices {
			if owner := invoices[i].Subscription.ID; owner != "" && owner != s.ID {
				continue
			}
			if t, yes := pick(&invoices[i]); yes && (!ok || t > best) {
				best, ok = t, true
			}
		}
		return best, ok
	}
	switch s.Status {
	case "unpaid":
		if t, ok := latestInv(func(inv *backend.Invoice) (int64, bool) {
			if p := inv.StatusTransitions.MarkedUncollectibleAt; p != nil {
				return *p, true
			}
			return 0, false
		}); ok {
			return t, true
		}
		return s.CurrentPeriodStart, s.CurrentPeriodStart > 0
	case "past_due":
		if t, ok := latestInv(func(inv *backend.Invoice) (int64, bool) {
			if inv.Status == "open" || inv.Status == "uncollectible" {
				if p := inv.StatusTransitions.FinalizedAt; p != nil {
					return *p, true
				}
				return inv.Created, true
			}
			return 0, false
		}); ok {
			return t, true
		}
		return s.CurrentPeriodStart, s.CurrentPeriodStart > 0
	case "paused":
		if s.TrialEnd != nil {
			return *s.TrialEnd, true
		}
		return s.CurrentPeriodStart, s.CurrentPeriodStart > 0
	case "trialing":
		if s.TrialStart != nil {
			return *s.TrialStart, true
		}
	case "active":
		if (s.CancelAtPeriodEnd || s.CancelAt != nil) && s.CanceledAt != nil {
			return *s.CanceledAt, true
		}
	}
	return 0, false
}

// VersionsFromEvents turns customer.subscription.* events into subscription
// versions (the event's object, from the event's time), per subscription id,
// ordered by time. The store writes these to its versions table; this helper
// lets tests and rebuilds do the same.
func VersionsFromEvents(events []backend.Event) (map[string][]SubVersion, error) {
	out := map[string][]SubVersion{}
	for i := range events {
		e := &events[i]
		if !strings.HasPrefix(e.Type, "customer.subscription.") || len(e.Data.Object) == 0 {
			continue
		}
		var s backend.Subscription
		if err := json.Unmarshal(e.Data.Object, &s); err != nil {
			return nil, fmt.Errorf("event %s: decode subscription: %w", e.ID, err)
		}
		if s.ID == "" {
			continue
		}
		out[s.ID] = append(out[s.ID], SubVersion{At: e.Created, Sub: s})
	}
	for id := range out {
		vs := out[id]
		sort.SliceStable(vs, func(a, b int) bool { return vs[a].At < vs[b].At })
	}
	return out, nil
}

// TaxRatio returns (amount - tax) / amount of the latest invoice with tax,
// for scaling tax-inclusive prices; nil when no invoice has tax.
func TaxRatio(invoices []backend.Invoice) *big.Rat {
	var best *backend.Invoice
	for i := range invoices {
		inv := &invoices[i]
		if inv.Status == "void" || inv.Tax == nil || inv.Total <= 0 {
			continue
		}
		if best == nil || inv.Created > best.Created {
			best = inv
		}
	}
	if best == nil || *best.Tax <= 0 || *best.Tax >= best.Total {
		return nil
	}
	return big.NewRat(best.Total-*best.Tax, best.Total)
}

// UsePrices completes the prices of the timeline's items from a price
// catalog (id -> price, as synced with expand[]=tiers): Stripe omits a
// tiered price's tiers from nested objects, and MRR needs them.
func (tl *Timeline) UsePrices(catalog map[string]backend.Price) {
	if len(catalog) == 0 {
		return
	}
	for i := range tl.Versions {
		items := tl.Versions[i].Sub.Items.Data
		copied := false
		for j := range items {
			p := &items[j].Price
			if p.BillingScheme != "tiered" || len(p.Tiers) > 0 {
				continue
			}
			full, ok := catalog[p.ID]
			if !ok || len(full.Tiers) == 0 {
				continue
			}
			if !copied { // versions may share item slices
				items = append([]backend.SubscriptionItem(nil), items...)
				tl.Versions[i].Sub.Items.Data = items
				copied = true
				p = &items[j].Price
			}
			p.Tiers, p.TiersMode = full.Tiers, full.TiersMode
		}
	}
}

// completeItems fills truncated item lists (Stripe nests at most 10 items
// in an event's subscription, with has_more) from the nearest version with
// a complete list, later first, then latest: items missing by id are taken
// from there, assumed unchanged.
func completeItems(vs []SubVersion, latest backend.Subscription) {
	for i := range vs {
		if !vs[i].Sub.Items.HasMore {
			continue
		}
		var src *backend.Subscription
		for j := i + 1; j < len(vs) && src == nil; j++ {
			if !vs[j].Sub.Items.HasMore && vs[j].Sub.ID == vs[i].Sub.ID {
				src = &vs[j].Sub
			}
		}
		for j := i - 1; j >= 0 && src == nil; j-- {
			if !vs[j].Sub.Items.HasMore && vs[j].Sub.ID == vs[i].Sub.ID {
				src = &vs[j].Sub
			}
		}
		if src == nil && !latest.Items.HasMore && latest.ID == vs[i].Sub.ID {
			src = &latest
		}
		if src == nil {
			continue
		}
		have := map[string]bool{}
		items := append([]backend.SubscriptionItem(nil), vs[i].Sub.Items.Data...)
		for _, it := range items {
			have[it.ID] = true
		}
		for _, it := range src.Items.Data {
			if !have[it.ID] {
				items = append(items, it)
			}
		}
		vs[i].Sub.Items.Data = items
		vs[i].Sub.Items.HasMore = false
	}
}
