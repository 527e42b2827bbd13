package metrics

import "sort"

// Cohort is the customers whose first day with MRR > 0 fell in Month, in
// one currency, and how many of them (and how much of their MRR) remain at
// the end of each later month.
type Cohort struct {
	Month     Month          `json:"month"`
	Currency  string         `json:"currency"`
	Customers int            `json:"customers"`
	NewMRR    int64          `json:"new_mrr"`
	Periods   []CohortPeriod `json:"periods"`
}

// CohortPeriod is month cohort+Offset.
type CohortPeriod struct {
	Offset            int   `json:"offset"`
	Customers         int   `json:"customers"` // with MRR > 0 at the end of the month
	MRR               int64 `json:"mrr"`
	CustomerRetention Ratio `json:"customer_retention"` // Customers / cohort Customers
	MRRRetention      Ratio `json:"mrr_retention"`      // MRR / cohort NewMRR
}

// Cohorts returns the monthly cohorts starting from..to, each followed up to
// month last (inclusive), per currency.
func Cohorts(series []Series, from, to, last Month) []Cohort {
	type key struct {
		cur string
		m   Month
	}
	by := map[key]*Cohort{}
	for i := range series {
		s := &series[i]
		first := -1
		for j, p := range s.Points {
			if p.MRR > 0 {
				first = j
				break
			}
		}
		if first < 0 {
			continue
		}
		cm := s.Points[first].Day.Month()
		if cm < from || cm > to {
			continue
		}
		k := key{s.Currency, cm}
		c := by[k]
		if c == nil {
			c = &Cohort{Month: cm, Currency: s.Currency}
			for off := 0; cm+Month(off) <= last; off++ {
				c.Periods = append(c.Periods, CohortPeriod{Offset: off})
			}
			by[k] = c
		}
		c.Customers++
		c.NewMRR += s.Points[first].MRR
		j := first
		for off := range c.Periods {
			end := (cm + Month(off)).Last()
			for j+1 < len(s.Points) && s.Points[j+1].Day <= end {
				j++
			}
			if v := s.Points[j].MRR; v > 0 {
				c.Periods[off].Customers++
				c.Periods[off].MRR += v
			}
		}
	}
	out := make([]Cohort, 0, len(by))
	for _, c := range by {
		for i := range c.Periods {
			p := &c.Periods[i]
			p.CustomerRetention = NewRatio(int64(p.Customers), int64(c.Customers))
			p.MRRRetention = NewRatio(p.MRR, c.NewMRR)
		}
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Currency != out[j].Currency {
			return out[i].Currency < out[j].Currency
		}
		return out[i].Month < out[j].Month
	})
	return out
}
