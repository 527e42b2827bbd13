package sandbox

import (
	"fmt"
	"math/big"
	"net/url"
	"testing"
)

// pickSub finds an active, uncanceled subscription of one licensed monthly
// item in the middle of its period, and another monthly price of the same
// currency.
func pickSub(t *testing.T, d *Data) (*Subscription, *Price) {
	t.Helper()
	now := fixedNow.Unix()
	for _, sub := range d.Subscriptions {
		if sub.Status != "active" || sub.CancelAtPeriodEnd || sub.PauseCollection != nil || len(sub.Items.Data) != 1 || sub.Discount != nil {
			continue
		}
		it := sub.Items.Data[0]
		if it.Price.Recurring.Interval != "month" || it.Price.Recurring.UsageType != "licensed" || it.Price.BillingScheme != "per_unit" ||
			now-sub.CurrentPeriodStart < 86400 || sub.CurrentPeriodEnd-now < 86400 {
			continue
		}
		for _, p := range d.Prices {
			if p.ID != it.Price.ID && p.Currency == sub.Currency && p.Active && p.Recurring != nil && p.Recurring.Interval == "month" &&
				p.Recurring.IntervalCount == 1 && p.Recurring.UsageType == "licensed" && p.BillingScheme == "per_unit" && p.UnitAmount != nil && *p.UnitAmount > *it.Price.UnitAmount {
				return sub, p
			}
		}
	}
	t.Fatal("no suitable subscription")
	return nil, nil
}

// eventIDs is the set of event ids so far.
func eventIDs(s *Server) map[string]bool {
	m := map[string]bool{}
	for _, e := range s.Data().Events {
		m[e.ID] = true
	}
	return m
}

// eventsSince are the events not in seen (writes share a second, so new
// events do not sort last).
func eventsSince(t *testing.T, s *Server, seen map[string]bool) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range s.Data().Events {
		if !seen[e.ID] {
			out = append(out, map[string]any{"type": e.Type, "prev": string(e.Data.PreviousAttributes), "object": string(e.Data.Object)})
		}
	}
	return out
}

func types(evs []map[string]any) map[string]int {
	m := map[string]int{}
	for _, e := range evs {
		m[e["type"].(string)]++
	}
	return m
}

func prorate(amount, ps, pe, at int64) int64 {
	return roundHalfAway(new(big.Rat).Mul(big.NewRat(amount, 1), big.NewRat(pe-at, pe-ps)))
}

func TestSubscriptionChangeProrations(t *testing.T) {
	for _, behavior := range []string{"", "create_prorations", "always_invoice", "none"} {
		t.Run("behavior="+behavior, func(t *testing.T) {
			d := genData(t, 150)
			s := newTestServer(t, d, Options{})
			sub, np := pickSub(t, d)
			old := sub.Items.Data[0]
			oldQty := *old.Quantity
			ps, pe, now := sub.CurrentPeriodStart, sub.CurrentPeriodEnd, fixedNow.Unix()
			nInv := len(s.Data().Invoices)
			nEv := eventIDs(s)

			// the preview first: it must equal what the change then does, and change nothing
			pq := url.Values{"subscription": {sub.ID}, "subscription_items[0][id]": {old.ID}, "subscription_items[0][price]": {np.ID},
				"subscription_items[0][quantity]": {"2"}, "subscription_proration_date": {fmt.Sprint(now)}}
			if behavior != "" {
				pq.Set("subscription_proration_behavior", behavior)
			}
			pr := do(t, s, "GET", "/v1/invoices/upcoming?"+pq.Encode(), nil, nil)
			if pr.status != 200 {
				t.Fatalf("upcoming: %d %s", pr.status, pr.body)
			}
			if len(s.Data().Events) != len(nEv) {
				t.Fatal("the preview made events")
			}
			credit := -prorate(*old.Price.UnitAmount*oldQty, ps, pe, now)
			charge := prorate(*np.UnitAmount*2, ps, pe, now)
			next := *np.UnitAmount * 2
			preview := pr.json(t)
			wantTotal := credit + charge + next
			if behavior == "none" {
				wantTotal = next
			}
			if _, hasID := preview["id"]; hasID {
				t.Error("upcoming invoice has an id")
			}
			if got := int64(preview["total"].(float64)); got != wantTotal {
				t.Errorf("preview total %d, want %d (credit %d charge %d next %d): %s", got, wantTotal, credit, charge, next, pr.body)
			}

			form := url.Values{"items[0][id]": {old.ID}, "items[0][price]": {np.ID}, "items[0][quantity]": {"2"}}
			if behavior != "" {
				form.Set("proration_behavior", behavior)
			}
			r := do(t, s, "POST", "/v1/subscriptions/"+sub.ID, form, nil)
			if r.status != 200 {
				t.Fatalf("update: %d %s", r.status, r.body)
			}
			items := r.json(t)["items"].(map[string]any)["data"].([]any)
			it0 := items[0].(map[string]any)
			if it0["id"] != old.ID || it0["price"].(map[string]any)["id"] != np.ID || it0["quantity"].(float64) != 2 {
				t.Errorf("items not updated: %v", it0)
			}
			evs := eventsSince(t, s, nEv)
			ty := types(evs)
			if ty["customer.subscription.updated"] != 1 {
				t.Errorf("events %v: want one customer.subscription.updated", ty)
			}
			for _, e := range evs {
				if e["type"] == "customer.subscription.updated" && !containsAll(e["prev"].(string), `"items"`, old.Price.ID) {
					t.Errorf("previous_attributes lack the old items: %s", e["prev"])
				}
			}
			ii := do(t, s, "GET", "/v1/invoiceitems?customer="+sub.Customer, nil, nil).json(t)["data"].([]any)
			var amounts []int64
			pending := 0
			for _, x := range ii {
				m := x.(map[string]any)
				amounts = append(amounts, int64(m["amount"].(float64)))
				if m["invoice"] == nil {
					pending++
				}
				if m["proration"] != true {
					t.Errorf("invoice item not a proration: %v", m)
				}
			}
			after := s.Data()
			switch behavior {
			case "", "create_prorations":
				if len(ii) != 2 || pending != 2 || !sameSet(amounts, credit, charge) {
					t.Errorf("pending items %v, want credit %d and charge %d", amounts, credit, charge)
				}
				if ty["invoiceitem.created"] != 2 || ty["invoice.created"] != 0 || len(after.Invoices) != nInv {
					t.Errorf("events %v, invoices %d -> %d", ty, nInv, len(after.Invoices))
				}
				// they land on the next invoice: the upcoming one lists them
				up := do(t, s, "GET", "/v1/invoices/upcoming?subscription="+sub.ID, nil, nil)
				if up.status != 200 || int64(up.json(t)["total"].(float64)) != credit+charge+next {
					t.Errorf("upcoming after the change: %d %s", up.status, up.body)
				}
			case "always_invoice":
				if len(ii) != 2 || pending != 0 {
					t.Errorf("items %v pending %d: want 2 invoiced", amounts, pending)
				}
				if len(after.Invoices) != nInv+1 {
					t.Fatalf("invoices %d -> %d, want one more", nInv, len(after.Invoices))
				}
				in := after.Invoices[len(after.Invoices)-1]
				for _, in2 := range after.Invoices {
					if in2.Created == now && strv(in2.Subscription) == sub.ID {
						in = in2
					}
				}
				if strv(in.Status) != "paid" || in.Total != credit+charge || len(in.Lines.Data) != 2 || strv(in.BillingReason) != "subscription_update" {
					t.Errorf("invoice %s: status %s total %d lines %d reason %s, want paid %d", in.ID, strv(in.Status), in.Total, len(in.Lines.Data), strv(in.BillingReason), credit+charge)
				}
				for _, l := range in.Lines.Data {
					if !l.Proration || l.Type != "invoiceitem" || l.InvoiceItem == nil {
						t.Errorf("line %+v: want a proration invoiceitem line", l)
					}
				}
				for _, want := range []string{"invoiceitem.created", "invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded"} {
					if ty[want] == 0 {
						t.Errorf("no %s event: %v", want, ty)
					}
				}
				if in.Total > 0 && ty["charge.succeeded"] != 1 {
					t.Errorf("no charge.succeeded for a positive proration invoice: %v", ty)
				}
				if got := r.json(t)["latest_invoice"]; got != in.ID {
					t.Errorf("latest_invoice %v, want %s", got, in.ID)
				}
			case "none":
				if len(ii) != 0 || len(after.Invoices) != nInv || ty["invoiceitem.created"] != 0 {
					t.Errorf("proration_behavior=none made items %v / invoices / events %v", amounts, ty)
				}
			}
			// the fixture keeps the invoice items
			if behavior != "none" && len(after.InvoiceItems) != 2 {
				t.Errorf("snapshot has %d invoice items", len(after.InvoiceItems))
			}
		})
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !contains(s, x) {
			return false
		}
	}
	return true
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)))
}

func sameSet(got []int64, want ...int64) bool {
	if len(got) != len(want) {
		return false
	}
	m := map[int64]int{}
	for _, g := range got {
		m[g]++
	}
	for _, w := range want {
		if m[w] == 0 {
			return false
		}
		m[w]--
	}
	return true
}

// TestBillingActionEvents: each billing action the app offers makes the
// events a real account makes.
func TestBillingActionEvents(t *testing.T) {
	d := genData(t, 150)
	s := newTestServer(t, d, Options{})
	u := unpacked(t, d)
	var subs []*Subscription
	for _, sub := range d.Subscriptions {
		if sub.Status == "active" && !sub.CancelAtPeriodEnd && sub.PauseCollection == nil && len(sub.Items.Data) == 1 &&
			sub.Items.Data[0].Price.Recurring.UsageType == "licensed" && sub.CurrentPeriodEnd-fixedNow.Unix() > 86400 {
			subs = append(subs, sub)
		}
	}
	var charges []*Charge
	for _, ch := range u.Charges {
		if ch.Status == "succeeded" && ch.AmountRefunded == 0 && ch.Amount > 100 {
			charges = append(charges, ch)
		}
	}
	if len(subs) < 6 || len(charges) < 2 {
		t.Fatal("not enough subscriptions or charges")
	}
	cus := d.Customers[10]
	for cus.Deleted {
		cus = d.Customers[11]
	}
	cases := []struct {
		name, method, path string
		form               url.Values
		want               map[string]int
		prev               string // a field previous_attributes must name
	}{
		{"cancel at period end", "POST", "/v1/subscriptions/" + subs[0].ID, url.Values{"cancel_at_period_end": {"true"}}, map[string]int{"customer.subscription.updated": 1}, "cancel_at_period_end"},
		{"undo cancellation", "POST", "/v1/subscriptions/" + subs[0].ID, url.Values{"cancel_at_period_end": {"false"}}, map[string]int{"customer.subscription.updated": 1}, "cancel_at_period_end"},
		{"pause collection", "POST", "/v1/subscriptions/" + subs[1].ID, url.Values{"pause_collection[behavior]": {"void"}}, map[string]int{"customer.subscription.updated": 1}, "pause_collection"},
		{"resume collection", "POST", "/v1/subscriptions/" + subs[1].ID, url.Values{"pause_collection": {""}}, map[string]int{"customer.subscription.updated": 1}, "pause_collection"},
		{"change quantity", "POST", "/v1/subscriptions/" + subs[2].ID, url.Values{"items[0][id]": {subs[2].Items.Data[0].ID}, "items[0][quantity]": {"7"}}, map[string]int{"customer.subscription.updated": 1}, "items"},
		{"cancel now", "DELETE", "/v1/subscriptions/" + subs[3].ID, url.Values{}, map[string]int{"customer.subscription.deleted": 1, "invoiceitem.created": 0}, ""},
		{"cancel now prorated", "DELETE", "/v1/subscriptions/" + subs[4].ID, url.Values{"prorate": {"true"}}, map[string]int{"customer.subscription.deleted": 1, "invoiceitem.created": 1, "invoice.created": 0}, ""},
		{"cancel now prorated, invoiced", "DELETE", "/v1/subscriptions/" + subs[5].ID, url.Values{"prorate": {"true"}, "invoice_now": {"true"}},
			map[string]int{"customer.subscription.deleted": 1, "invoiceitem.created": 1, "invoice.created": 1, "invoice.finalized": 1, "invoice.paid": 1, "customer.updated": 1, "charge.succeeded": 0}, ""},
		{"refund partial", "POST", "/v1/refunds", url.Values{"charge": {charges[0].ID}, "amount": {"50"}, "reason": {"requested_by_customer"}}, map[string]int{"charge.refunded": 1}, "amount_refunded"},
		{"refund full", "POST", "/v1/refunds", url.Values{"charge": {charges[1].ID}, "reason": {"duplicate"}}, map[string]int{"charge.refunded": 1}, "refunded"},
		{"customer email", "POST", "/v1/customers/" + cus.ID, url.Values{"email": {"new@example.com"}}, map[string]int{"customer.updated": 1}, "email"},
		{"customer name", "POST", "/v1/customers/" + cus.ID, url.Values{"name": {"New Name"}}, map[string]int{"customer.updated": 1}, "name"},
		{"customer metadata", "POST", "/v1/customers/" + cus.ID, url.Values{"metadata[plan]": {"gold"}}, map[string]int{"customer.updated": 1}, "metadata"},
	}
	for _, c := range cases {
		n := eventIDs(s)
		r := do(t, s, c.method, c.path, c.form, nil)
		if r.status != 200 {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
			continue
		}
		evs := eventsSince(t, s, n)
		ty := types(evs)
		for k, v := range c.want {
			if ty[k] != v {
				t.Errorf("%s: events %v, want %d %s", c.name, ty, v, k)
			}
		}
		if c.prev != "" {
			found := false
			for _, e := range evs {
				if contains(e["prev"].(string), `"`+c.prev+`"`) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no previous_attributes naming %s", c.name, c.prev)
			}
		}
		if c.name == "refund partial" || c.name == "refund full" {
			if r.json(t)["reason"] != c.form.Get("reason") {
				t.Errorf("%s: refund reason %v", c.name, r.json(t)["reason"])
			}
		}
	}
}
