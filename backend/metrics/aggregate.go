package metrics

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
)

// Snapshot is the state of one currency at the end of a day.
type Snapshot struct {
	Day               Day
	Currency          string
	MRR               int64
	ARR               int64
	ActiveSubscribers int
	ARPU              *int64 // nil with no subscribers
	Test              bool   // some of the data is test-mode
}

func arpu(mrr int64, subs int) *int64 {
	if subs == 0 {
		return nil
	}
	v := divRound(mrr, int64(subs))
	return &v
}

// SnapshotAt returns per-currency totals at the end of day d.
func SnapshotAt(series []Series, d Day) []Snapshot {
	by := map[string]*Snapshot{}
	for i := range series {
		s := &series[i]
		sn := by[s.Currency]
		if sn == nil {
			sn = &Snapshot{Day: d, Currency: s.Currency}
			by[s.Currency] = sn
		}
		v := s.At(d)
		sn.Test = sn.Test || s.Test
		sn.MRR += v
		if v > 0 {
			sn.ActiveSubscribers++
		}
	}
	out := make([]Snapshot, 0, len(by))
	for _, sn := range by {
		sn.ARR = 12 * sn.MRR
		sn.ARPU = arpu(sn.MRR, sn.ActiveSubscribers)
		out = append(out, *sn)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// Movements are summed daily MRR movements and their counts (customer-days).
type Movements struct {
	New               int64 `json:"new"`
	Expansion         int64 `json:"expansion"`
	Reactivation      int64 `json:"reactivation"`
	Contraction       int64 `json:"contraction"`
	Churn             int64 `json:"churn"`
	NewCount          int   `json:"new_count"`
	ExpansionCount    int   `json:"expansion_count"`
	ReactivationCount int   `json:"reactivation_count"`
	ContractionCount  int   `json:"contraction_count"`
	ChurnCount        int   `json:"churn_count"`
}

// Net is New + Expansion + Reactivation - Contraction - Churn.
func (m *Movements) Net() int64 {
	return m.New + m.Expansion + m.Reactivation - m.Contraction - m.Churn
}

// Kind names a movement.
type Kind int

const (
	KindNone Kind = iota
	KindNew
	KindExpansion
	KindReactivation
	KindContraction
	KindChurn
)

// Classify returns the movement between end-of-day values m0 and m1 and its
// amount; h says the customer had MRR > 0 at or before m0's moment.
func Classify(m0, m1 int64, h bool) (Kind, int64) {
	switch {
	case m0 == 0 && m1 > 0 && !h:
		return KindNew, m1
	case m0 == 0 && m1 > 0:
		return KindReactivation, m1
	case m0 > 0 && m1 == 0:
		return KindChurn, m0
	case m0 > 0 && m1 > m0:
		return KindExpansion, m1 - m0
	case m1 > 0 && m1 < m0:
		return KindContraction, m0 - m1
	}
	return KindNone, 0
}

func (m *Movements) add(k Kind, a int64) {
	switch k {
	case KindNew:
		m.New += a
		m.NewCount++
	case KindExpansion:
		m.Expansion += a
		m.ExpansionCount++
	case KindReactivation:
		m.Reactivation += a
		m.ReactivationCount++
	case KindContraction:
		m.Contraction += a
		m.ContractionCount++
	case KindChurn:
		m.Churn += a
		m.ChurnCount++
	}
}

// DayRow is one currency's end-of-day total and that day's movements.
type DayRow struct {
	Day         Day    `json:"day"`
	Currency    string `json:"currency"`
	MRR         int64  `json:"mrr"`
	Subscribers int    `json:"active_subscribers"`
	Movements
}

// groupByCurrency returns the currencies in order and the series of each.
func groupByCurrency(series []Series) ([]string, map[string][]*Series) {
	by := map[string][]*Series{}
	var curs []string
	for i := range series {
		c := series[i].Currency
		if _, ok := by[c]; !ok {
			curs = append(curs, c)
		}
		by[c] = append(by[c], &series[i])
	}
	sort.Strings(curs)
	return curs, by
}

// Daily returns each currency's end-of-day totals and movements for every
// day from..to (inclusive), ordered by currency then day.
func Daily(series []Series, from, to Day) []DayRow {
	if to < from {
		return nil
	}
	n := int(to-from) + 1
	curs, by := groupByCurrency(series)
	var out []DayRow
	for _, cur := range curs {
		rows := make([]DayRow, n)
		dm := make([]int64, n+1)
		ds := make([]int, n+1)
		var startMRR int64
		var startSubs int
		for _, s := range by[cur] {
			prev, h := int64(0), false
			for _, p := range s.Points {
				if p.Day > to {
					break
				}
				if p.Day < from {
					prev, h = p.MRR, h || p.MRR > 0
					continue
				}
				break
			}
			startMRR += prev
			if prev > 0 {
				startSubs++
			}
			for _, p := range s.Points {
				if p.Day < from {
					continue
				}
				if p.Day > to {
					break
				}
				i := int(p.Day - from)
				k, a := Classify(prev, p.MRR, h)
				rows[i].add(k, a)
				dm[i] += p.MRR - prev
				if (p.MRR > 0) != (prev > 0) {
					if p.MRR > 0 {
						ds[i]++
					} else {
						ds[i]--
					}
				}
				h = h || prev > 0 || p.MRR > 0
				prev = p.MRR
			}
		}
		m, sc := startMRR, startSubs
		for i := 0; i < n; i++ {
			m += dm[i]
			sc += ds[i]
			rows[i].Day = from + Day(i)
			rows[i].Currency = cur
			rows[i].MRR = m
			rows[i].Subscribers = sc
		}
		out = append(out, rows...)
	}
	return out
}

// MonthRow is one month's roll-forward and rates in one currency (or in the
// reporting currency, with FXAdjustment).
type MonthRow struct {
	Month    Month  `json:"month"`
	Currency string `json:"currency"`
	StartMRR int64  `json:"start_mrr"`
	Movements
	FXAdjustment     int64 `json:"fx_adjustment"`
	EndMRR           int64 `json:"end_mrr"`
	StartSubscribers int   `json:"start_subscribers"`
	EndSubscribers   int   `json:"end_subscribers"`
	// ChurnedCustomers counts distinct customers with a Churn movement in
	// the month (a customer who churns, comes back and churns again counts once).
	ChurnedCustomers int `json:"churned_customers"`
	// LostLogos counts customers with MRR > 0 at the start and 0 at the end.
	LostLogos int `json:"lost_logos"`
	// Retention sums over S = customers with MRR > 0 at the start.
	RetainedStart int64  `json:"retained_start_mrr"`
	RetainedEnd   int64  `json:"retained_end_mrr"`
	RetainedMin   int64  `json:"retained_min_mrr"`
	ARPU          *int64 `json:"arpu"`

	CustomerChurnRate Ratio  `json:"customer_churn_rate"`
	GrossMRRChurnRate Ratio  `json:"gross_mrr_churn_rate"`
	NetMRRChurnRate   Ratio  `json:"net_mrr_churn_rate"`
	NRR               Ratio  `json:"nrr"`
	GRR               Ratio  `json:"grr"`
	LTV               *int64 `json:"ltv"`
}

// Balanced reports whether End = Start + movements + FX exactly.
func (r *MonthRow) Balanced() bool {
	return r.EndMRR == r.StartMRR+r.Net()+r.FXAdjustment
}

// converter converts an amount of a currency at a day into the reporting
// currency; nil means no conversion.
type converter func(cur string, amount int64, d Day) int64

// monthsCore walks the series of one group over months m0..m0+n-1.
func monthsCore(group []*Series, m0 Month, n int, conv converter) []MonthRow {
	rows := make([]MonthRow, n)
	lasts := make([]Day, n)
	for k := 0; k < n; k++ {
		lasts[k] = (m0 + Month(k)).Last()
	}
	startDay := m0.First() - 1
	cv := func(cur string, a int64, d Day) int64 {
		if conv == nil || a == 0 {
			return a
		}
		return conv(cur, a, d)
	}
	for _, s := range group {
		pts := s.Points
		j := 0
		prev, h := int64(0), false
		for j < len(pts) && pts[j].Day <= startDay {
			prev, h = pts[j].MRR, h || pts[j].MRR > 0
			j++
		}
		for k := 0; k < n; k++ {
			r := &rows[k]
			start := prev
			churned := false
			for j < len(pts) && pts[j].Day <= lasts[k] {
				p := pts[j]
				kind, a := Classify(prev, p.MRR, h)
				churned = churned || kind == KindChurn
				r.add(kind, cv(s.Currency, a, lasts[k]))
				h = h || prev > 0 || p.MRR > 0
				prev = p.MRR
				j++
			}
			end := prev
			if churned {
				r.ChurnedCustomers++
			}
			startDayK := startDay
			if k > 0 {
				startDayK = lasts[k-1]
			}
			cs, ce := cv(s.Currency, start, startDayK), cv(s.Currency, end, lasts[k])
			r.StartMRR += cs
			r.EndMRR += ce
			if start > 0 {
				r.StartSubscribers++
				r.RetainedStart += cs
				ceS := cv(s.Currency, end, startDayK) // constant currency for retention
				r.RetainedEnd += ceS
				r.RetainedMin += min(ceS, cs)
				if end == 0 {
					r.LostLogos++
				}
			}
			if end > 0 {
				r.EndSubscribers++
			}
		}
	}
	for k := range rows {
		r := &rows[k]
		r.Month = m0 + Month(k)
		if conv != nil {
			r.FXAdjustment = r.EndMRR - r.StartMRR - r.Net()
		}
	}
	return rows
}

// finishRates fills rates and LTV; rows must start 6 months before the first
// month the caller returns (skip), so trailing LTV sees its history.
func finishRates(rows []MonthRow, s *Settings) {
	for k := range rows {
		r := &rows[k]
		r.ARPU = arpu(r.EndMRR, r.EndSubscribers)
		if s.ChurnRateFormula == ChurnLogoSnapshot {
			r.CustomerChurnRate = NewRatio(int64(r.LostLogos), int64(r.StartSubscribers))
		} else {
			r.CustomerChurnRate = NewRatio(int64(r.ChurnedCustomers), int64(r.StartSubscribers+r.NewCount))
		}
		r.GrossMRRChurnRate = NewRatio(r.Churn+r.Contraction, r.StartMRR)
		r.NetMRRChurnRate = NewRatio(r.Churn+r.Contraction-r.Expansion-r.Reactivation, r.StartMRR)
		r.NRR = NewRatio(r.RetainedEnd, r.RetainedStart)
		r.GRR = NewRatio(r.RetainedMin, r.RetainedStart)
	}
	for k := range rows {
		r := &rows[k]
		if r.ARPU == nil {
			continue
		}
		var rate *big.Rat
		if s.LTVMode == LTVStripe {
			rate = r.CustomerChurnRate.R
		} else {
			sum, cnt := new(big.Rat), 0
			for j := k - 6; j < k; j++ {
				if j >= 0 && rows[j].CustomerChurnRate.R != nil {
					sum.Add(sum, rows[j].CustomerChurnRate.R)
					cnt++
				}
			}
			if cnt > 0 {
				rate = sum.Quo(sum, big.NewRat(int64(cnt), 1))
			}
		}
		if rate == nil || rate.Sign() == 0 {
			continue
		}
		v := new(big.Rat).SetInt64(*r.ARPU)
		ltv := roundHalfAway(v.Quo(v, rate))
		r.LTV = &ltv
	}
}

// Months returns, per currency, the roll-forward and rates of each month
// from..to (inclusive), ordered by currency then month.
func Months(series []Series, from, to Month, s Settings) []MonthRow {
	s = s.norm()
	if to < from {
		return nil
	}
	const lead = 6
	curs, by := groupByCurrency(series)
	var out []MonthRow
	for _, cur := range curs {
		rows := monthsCore(by[cur], from-lead, int(to-from)+1+lead, nil)
		for k := range rows {
			rows[k].Currency = cur
		}
		finishRates(rows, &s)
		out = append(out, rows[lead:]...)
	}
	return out
}

// Rates are user-set exchange rates into one reporting currency: a rate is
// how many units of the reporting currency one unit of a currency buys, from
// a day on (until the next rate of that currency).
type Rates struct {
	Reporting string
	by        map[string][]rateEntry
}

type rateEntry struct {
	from Day
	rate *big.Rat
}

// NewRates returns an empty rate table for the reporting currency.
func NewRates(reporting string) *Rates {
	return &Rates{Reporting: strings.ToLower(reporting), by: map[string][]rateEntry{}}
}

// Set sets currency's rate from day on. rate is an exact decimal or fraction
// ("1.0834", "108/100").
func (r *Rates) Set(currency string, from Day, rate string) error {
	v, ok := new(big.Rat).SetString(strings.TrimSpace(rate))
	if !ok || v.Sign() <= 0 {
		return fmt.Errorf("rate %q for %s: use a positive number", rate, currency)
	}
	c := strings.ToLower(currency)
	es := append(r.by[c], rateEntry{from, v})
	sort.SliceStable(es, func(i, j int) bool { return es[i].from < es[j].from })
	r.by[c] = es
	return nil
}

// At returns currency's rate at day d.
func (r *Rates) At(currency string, d Day) (*big.Rat, bool) {
	c := strings.ToLower(currency)
	if c == r.Reporting {
		return big.NewRat(1, 1), true
	}
	es := r.by[c]
	i := sort.Search(len(es), func(i int) bool { return es[i].from > d })
	if i == 0 {
		if len(es) > 0 {
			return es[0].rate, true // before the first rate: the earliest known
		}
		return nil, false
	}
	return es[i-1].rate, true
}

// minorExponent is the number of decimals of a currency's minor unit.
func minorExponent(c string) int {
	switch strings.ToLower(c) {
	case "bhd", "jod", "kwd", "omr", "tnd":
		return 3
	}
	if isZeroDecimal(c) {
		return 0
	}
	return 2
}

// Convert converts a minor-unit amount of currency at day d into the
// reporting currency's minor unit, rounded half away from zero.
func (r *Rates) Convert(currency string, amount int64, d Day) (int64, error) {
	rate, ok := r.At(currency, d)
	if !ok {
		return 0, fmt.Errorf("no exchange rate from %s to %s: set one, or read the per-currency totals", currency, r.Reporting)
	}
	v := new(big.Rat).SetInt64(amount)
	v.Mul(v, rate)
	e := minorExponent(r.Reporting) - minorExponent(currency)
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil))
	if e >= 0 {
		v.Mul(v, p)
	} else {
		v.Quo(v, p)
	}
	return roundHalfAway(v), nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// MonthsIn returns the roll-forward of all currencies converted into the
// reporting currency: each customer's start at the start rate, movements and
// end at the end rate, FXAdjustment the remainder, so every month balances.
// It fails when a currency has no rate (show per-currency Months instead).
func MonthsIn(series []Series, from, to Month, rates *Rates, s Settings) ([]MonthRow, error) {
	s = s.norm()
	if to < from {
		return nil, nil
	}
	for i := range series {
		if _, ok := rates.At(series[i].Currency, from.First()); !ok {
			_, err := rates.Convert(series[i].Currency, 1, from.First())
			return nil, err
		}
	}
	group := make([]*Series, len(series))
	for i := range series {
		group[i] = &series[i]
	}
	conv := func(cur string, a int64, d Day) int64 {
		v, _ := rates.Convert(cur, a, d)
		return v
	}
	const lead = 6
	rows := monthsCore(group, from-lead, int(to-from)+1+lead, conv)
	for k := range rows {
		rows[k].Currency = rates.Reporting
	}
	finishRates(rows, &s)
	return rows[lead:], nil
}

// SnapshotIn is the total at day d in the reporting currency, converting
// each customer at that day's rate.
func SnapshotIn(series []Series, d Day, rates *Rates) (Snapshot, error) {
	sn := Snapshot{Day: d, Currency: rates.Reporting}
	active := map[string]bool{} // a customer with two currencies counts once
	for i := range series {
		v := series[i].At(d)
		if v == 0 {
			continue
		}
		c, err := rates.Convert(series[i].Currency, v, d)
		if err != nil {
			return Snapshot{}, err
		}
		sn.MRR += c
		sn.Test = sn.Test || series[i].Test
		active[series[i].Customer] = true
	}
	sn.ActiveSubscribers = len(active)
	sn.ARR = 12 * sn.MRR
	sn.ARPU = arpu(sn.MRR, sn.ActiveSubscribers)
	return sn, nil
}
