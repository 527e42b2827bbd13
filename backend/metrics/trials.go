package metrics

import (
	"sort"
	"time"

	"billfold/backend"
)

// TrialInput is one subscription for trial metrics: its latest known object
// and its invoices.
type TrialInput struct {
	Sub      backend.Subscription
	Invoices []backend.Invoice
}

// TrialStats counts trials in a window.
type TrialStats struct {
	From       int64 `json:"from"`
	To         int64 `json:"to"`
	NewTrials  int   `json:"new_trials"`
	EndedTrial int   `json:"ended_trials"`
	Converted  int   `json:"converted"`
	Conversion Ratio `json:"conversion"` // converted / ended
}

// trialFacts returns when a subscription's trial started, ended (trial end
// or an earlier cancellation) and the first paid post-trial invoice was paid.
func trialFacts(in *TrialInput) (start, end, converted int64, ok bool) {
	s := &in.Sub
	if s.TrialStart == nil || s.TrialEnd == nil || *s.TrialEnd <= *s.TrialStart {
		return 0, 0, 0, false
	}
	start, end, converted = *s.TrialStart, *s.TrialEnd, forever
	canceledEarly := false
	for _, p := range []*int64{s.CanceledAt, s.EndedAt} {
		if p != nil && *p < end && *p >= start {
			end, canceledEarly = *p, true
		}
	}
	if canceledEarly {
		return start, end, forever, true
	}
	for i := range in.Invoices {
		inv := &in.Invoices[i]
		if inv.Status != "paid" && !inv.Paid {
			continue
		}
		if inv.AmountPaid <= 0 || inv.Created < *s.TrialEnd {
			continue
		}
		at := inv.Created
		if inv.StatusTransitions.PaidAt != nil {
			at = *inv.StatusTransitions.PaidAt
		}
		if at < converted {
			converted = at
		}
	}
	return start, end, converted, true
}

// Trials counts new, ended and converted trials in [from, to) (unix seconds).
func Trials(in []TrialInput, from, to int64) TrialStats {
	st := TrialStats{From: from, To: to}
	for i := range in {
		s, e, c, ok := trialFacts(&in[i])
		if !ok {
			continue
		}
		if from <= s && s < to {
			st.NewTrials++
		}
		if from <= e && e < to {
			st.EndedTrial++
		}
		if from <= c && c < to {
			st.Converted++
		}
	}
	st.Conversion = NewRatio(int64(st.Converted), int64(st.EndedTrial))
	return st
}

// MonthTrials is Trials for one calendar month in the reporting zone.
type MonthTrials struct {
	Month Month `json:"month"`
	TrialStats
}

// TrialsByMonth returns trial stats for each month from..to in loc.
func TrialsByMonth(in []TrialInput, from, to Month, loc *time.Location) []MonthTrials {
	var out []MonthTrials
	for m := from; m <= to; m++ {
		out = append(out, MonthTrials{Month: m, TrialStats: Trials(in, m.First().Start(loc), (m + 1).First().Start(loc))})
	}
	return out
}

// CashRow is collected revenue, refunds and net volume for a day or month
// in one currency. Refunds and credits never change MRR; they show here.
type CashRow struct {
	Day       Day    `json:"day"` // the first day of the month for monthly rows
	Currency  string `json:"currency"`
	Collected int64  `json:"collected"`
	Refunded  int64  `json:"refunded"`
	Net       int64  `json:"net_volume"`
	Charges   int    `json:"charges"`
	Refunds   int    `json:"refunds"`
}

// Cash returns daily cash rows per currency from succeeded charges and
// succeeded or pending refunds (refunds nested in charges count once).
// monthly folds days into their months.
func Cash(charges []backend.Charge, refunds []backend.Refund, loc *time.Location, monthly bool) []CashRow {
	type key struct {
		d   Day
		cur string
	}
	by := map[key]*CashRow{}
	row := func(t int64, cur string) *CashRow {
		d := DayOf(t, loc)
		if monthly {
			d = d.Month().First()
		}
		k := key{d, lower(cur)}
		r := by[k]
		if r == nil {
			r = &CashRow{Day: d, Currency: k.cur}
			by[k] = r
		}
		return r
	}
	seen := map[string]bool{}
	addRefund := func(rf *backend.Refund, cur string) {
		if rf.ID != "" && seen[rf.ID] {
			return
		}
		seen[rf.ID] = true
		if rf.Status == "failed" || rf.Status == "canceled" {
			return
		}
		if rf.Currency != "" {
			cur = rf.Currency
		}
		r := row(rf.Created, cur)
		r.Refunded += rf.Amount
		r.Refunds++
	}
	for i := range refunds {
		addRefund(&refunds[i], "")
	}
	for i := range charges {
		c := &charges[i]
		if c.Status == "succeeded" || (c.Status == "" && c.Paid) {
			amt := c.AmountCaptured
			if amt == 0 && c.Captured {
				amt = c.Amount
			}
			if amt > 0 {
				r := row(c.Created, c.Currency)
				r.Collected += amt
				r.Charges++
			}
		}
		if c.Refunds != nil {
			for j := range c.Refunds.Data {
				addRefund(&c.Refunds.Data[j], c.Currency)
			}
		}
	}
	out := make([]CashRow, 0, len(by))
	for _, r := range by {
		r.Net = r.Collected - r.Refunded
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Currency != out[j].Currency {
			return out[i].Currency < out[j].Currency
		}
		return out[i].Day < out[j].Day
	})
	return out
}
