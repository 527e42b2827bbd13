package metrics

import (
	"math/big"
	"sort"

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
		if inv.Status == "void" {
			continue
		}
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
			op := lineOp{key: key, from: l.Period.Start, to: l.Period.End, price: l.Price, qty: q}
			switch {
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
	sort.SliceStable(ops, func(a, b int) bool {
		pa, pb := ops[a].kind > 0, ops[b].kind > 0
		if pa != pb {
			return !pa
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
// cover time (MRR is 0 where no invoice covers it).
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
	var out []SubVersion
	prevSig := "\x00"
	for bi, t := range bounds {
		if bi > 0 && t == bounds[bi-1] {
			continue
		}
		state := map[string]itemState{}
		for _, op := range ops {
			if t < op.from || t >= op.to {
				continue
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
		sig := ""
		items := make([]backend.SubscriptionItem, 0, len(keys))
		for _, k := range keys {
			st := state[k]
			sig += k + "\x01" + st.price.ID + "\x01" + itoa(st.qty) + "\x02"
			items = append(items, backend.SubscriptionItem{ID: k, Subscription: sub.ID, Price: *st.price, Quantity: st.qty})
		}
		if sig == prevSig {
			continue
		}
		prevSig = sig
		v := tmpl
		v.Items = backend.List[backend.SubscriptionItem]{Object: "list", Data: items}
		if len(items) == 0 {
			v.Status = "canceled"
			v.Items.Data = nil
		}
		out = append(out, SubVersion{At: t, Sub: v})
	}
	return out
}

// BuildTimeline joins the history reconstructed from invoices (before the
// first stored version) with the stored versions. latest is the current
// subscription object, used when there are no versions (it then becomes the
// one version, from the end of the invoice history or its start).
func BuildTimeline(latest backend.Subscription, invoices []backend.Invoice, versions []SubVersion) Timeline {
	vs := append([]SubVersion(nil), versions...)
	sort.SliceStable(vs, func(a, b int) bool { return vs[a].At < vs[b].At })
	template := latest
	if len(vs) > 0 {
		template = vs[0].Sub
		template.EndedAt, template.CanceledAt = vs[len(vs)-1].Sub.EndedAt, vs[len(vs)-1].Sub.CanceledAt
	}
	rec := FromInvoices(template, invoices)
	var out []SubVersion
	if len(vs) > 0 {
		for _, r := range rec {
			if r.At < vs[0].At {
				out = append(out, r)
			}
		}
		out = append(out, vs...)
	} else {
		out = rec
		if len(out) == 0 {
			out = []SubVersion{{At: latest.StartDate, Sub: latest}}
		} else if latest.Status != "canceled" && latest.Status != "incomplete_expired" {
			// The current object is true now; since when is unknown, so it
			// holds from its current period's start (or just after the
			// invoice history). A canceled subscription needs no extra
			// version: its ended_at and canceled_at already end the history.
			at := latest.CurrentPeriodStart
			if last := out[len(out)-1].At; at <= last {
				at = last + 1
			}
			out = append(out, SubVersion{At: at, Sub: latest})
		}
	}
	tl := Timeline{Versions: out, TaxRatio: TaxRatio(invoices)}
	return tl
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
