package metrics

import (
	"sort"
	"sync"
	"time"
)

// Point is one change point of a daily MRR series: from the end of Day on,
// the value is MRR (until the next point). Before the first point it is 0.
type Point struct {
	Day Day   `json:"day"`
	MRR int64 `json:"mrr"`
}

// Series is one customer's daily end-of-day MRR in one currency, stored as
// change points only. It is the unit the store materialises (one row per
// customer, currency, day) and the unit of incremental work: when anything
// of a customer changes, recompute that customer's series.
type Series struct {
	Customer string  `json:"customer"`
	Currency string  `json:"currency"`
	Points   []Point `json:"points"`
	// Test marks test-mode data: shown, but labelled test.
	Test bool `json:"test,omitempty"`
}

// At returns the end-of-day MRR at day d.
func (s *Series) At(d Day) int64 {
	i := sort.Search(len(s.Points), func(i int) bool { return s.Points[i].Day > d })
	if i == 0 {
		return 0
	}
	return s.Points[i-1].MRR
}

// DailyPoints turns a step function into end-of-day change points in loc:
// the value of a day is the value after the last step dated that day.
func DailyPoints(steps []Step, loc *time.Location) []Point {
	var out []Point
	cur := int64(0)
	for i, st := range steps {
		d := DayOf(st.At, loc)
		if i+1 < len(steps) && DayOf(steps[i+1].At, loc) == d {
			continue // a later step the same day wins
		}
		if st.MRR == cur {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Day == d {
			out[n-1].MRR = st.MRR
		} else {
			out = append(out, Point{Day: d, MRR: st.MRR})
		}
		cur = st.MRR
	}
	return out
}

// CustomerSeries computes a customer's daily MRR change points, one Series
// per currency, from the timelines of the customer's subscriptions (deleted
// customers and canceled subscriptions included: history counts).
func CustomerSeries(customer string, tls []Timeline, s Settings) []Series {
	s = s.norm()
	type ev struct {
		day Day
		sub int
		v   int64
	}
	byCur := map[string][]ev{}
	test := map[string]bool{}
	var curs []string
	for i := range tls {
		info := tls[i].Info()
		test[info.Currency] = test[info.Currency] || info.Test
		pts := DailyPoints(tls[i].Steps(s), s.Location)
		if len(pts) == 0 {
			continue
		}
		if _, ok := byCur[info.Currency]; !ok {
			curs = append(curs, info.Currency)
		}
		for _, p := range pts {
			byCur[info.Currency] = append(byCur[info.Currency], ev{p.Day, i, p.MRR})
		}
	}
	sort.Strings(curs)
	out := make([]Series, 0, len(curs))
	for _, cur := range curs {
		evs := byCur[cur]
		sort.SliceStable(evs, func(a, b int) bool { return evs[a].day < evs[b].day })
		vals := map[int]int64{}
		sum := int64(0)
		var pts []Point
		for i, e := range evs {
			sum += e.v - vals[e.sub]
			vals[e.sub] = e.v
			if i+1 < len(evs) && evs[i+1].day == e.day {
				continue
			}
			last := int64(0)
			if n := len(pts); n > 0 {
				last = pts[n-1].MRR
			}
			if sum != last {
				pts = append(pts, Point{Day: e.day, MRR: sum})
			}
		}
		if len(pts) > 0 {
			out = append(out, Series{Customer: customer, Currency: cur, Points: pts, Test: test[cur]})
		}
	}
	return out
}

// BuildSeries computes every customer's series from all subscription
// timelines (the full rebuild), ordered by currency then customer.
func BuildSeries(tls []Timeline, s Settings) []Series { return Rebuild(tls, s, 1) }

// Rebuild is BuildSeries on several goroutines (workers <= 1: one). Each
// customer is computed independently, so the result does not depend on
// workers.
func Rebuild(tls []Timeline, s Settings, workers int) []Series {
	by := map[string][]Timeline{}
	var custs []string
	for _, tl := range tls {
		c := tl.Info().Customer
		if _, ok := by[c]; !ok {
			custs = append(custs, c)
		}
		by[c] = append(by[c], tl)
	}
	parts := make([][]Series, len(custs))
	if workers <= 1 {
		for i, c := range custs {
			parts[i] = CustomerSeries(c, by[c], s)
		}
	} else {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < len(custs); i += workers {
					parts[i] = CustomerSeries(custs[i], by[custs[i]], s)
				}
			}(w)
		}
		wg.Wait()
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]Series, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	SortSeries(out)
	return out
}

// ReplaceCustomer returns series with the customer's old series replaced by
// fresh (the incremental refresh of an in-memory copy), kept in order.
func ReplaceCustomer(series []Series, customer string, fresh []Series) []Series {
	out := make([]Series, 0, len(series)+len(fresh))
	for _, s := range series {
		if s.Customer != customer {
			out = append(out, s)
		}
	}
	out = append(out, fresh...)
	SortSeries(out)
	return out
}

// SortSeries orders series by currency, then customer.
func SortSeries(ss []Series) {
	sort.Slice(ss, func(i, j int) bool {
		if ss[i].Currency != ss[j].Currency {
			return ss[i].Currency < ss[j].Currency
		}
		return ss[i].Customer < ss[j].Customer
	})
}

// CustomerCurrencies maps each customer to its currency, derived from its
// subscriptions (the latest subscription's currency wins). Deleted
// customers are included: they count historically.
func CustomerCurrencies(tls []Timeline) map[string]string {
	out := map[string]string{}
	latest := map[string]int64{}
	for i := range tls {
		in := tls[i].Info()
		if in.Customer == "" || in.Currency == "" {
			continue
		}
		at := tls[i].Versions[len(tls[i].Versions)-1].Sub.StartDate
		if prev, ok := latest[in.Customer]; !ok || at >= prev {
			out[in.Customer], latest[in.Customer] = in.Currency, at
		}
	}
	return out
}
