package metrics

import (
	"reflect"
	"sort"
	"testing"
)

func stepValue(steps []Step, t int64) int64 {
	v := int64(0)
	for _, s := range steps {
		if s.At > t {
			break
		}
		v = s.MRR
	}
	return v
}

func TestPropertiesRandomBusinesses(t *testing.T) {
	settings := []Settings{Defaults()}
	for _, f := range [][2]string{
		{"discount-mode", "forever_and_repeating"}, {"discount-mode", "all_active"},
		{"churn-recognition", "at_period_end"}, {"past-due-autochurn-days", "15"},
		{"pause-collection-counts", "true"}, {"churn-rate-formula", "logo_snapshot"}, {"ltv-mode", "stripe"},
	} {
		s := Defaults()
		mustParse(t, &s, f[0], f[1])
		settings = append(settings, s)
	}
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	from, to := MonthOf(2023, 1), MonthOf(2026, 6)
	for seed := int64(1); seed <= int64(seeds); seed++ {
		s := settings[int(seed)%len(settings)]
		tls := genBusiness(seed, 60)
		series := BuildSeries(tls, s)
		if par := Rebuild(tls, s, 3); !reflect.DeepEqual(par, series) {
			t.Fatalf("seed %d: parallel rebuild differs", seed)
		}
		// Incremental: after a change to one customer's subscription,
		// recomputing only that customer gives the full rebuild's result.
		{
			changed := append([]Timeline(nil), tls...)
			c := changed[0].Info().Customer
			extra := changed[0].Versions[0]
			extra.At = MonthOf(2024, 2).First().Start(nil) + 3600
			extra.Sub = cloneSub(extra.Sub)
			extra.Sub.Items.Data[0].Quantity += 7
			extra.Sub.Status, extra.Sub.EndedAt = "active", nil
			vs := append([]SubVersion(nil), changed[0].Versions...)
			changed[0] = Timeline{Versions: append(vs, extra)}
			sort.SliceStable(changed[0].Versions, func(a, b int) bool { return changed[0].Versions[a].At < changed[0].Versions[b].At })
			var mine []Timeline
			for _, tl := range changed {
				if tl.Info().Customer == c {
					mine = append(mine, tl)
				}
			}
			full := BuildSeries(changed, s)
			if inc := ReplaceCustomer(series, c, CustomerSeries(c, mine, s)); !reflect.DeepEqual(inc, full) {
				t.Fatalf("seed %d: incremental refresh differs from a full rebuild", seed)
			}
		}
		// MRR never negative, and each customer's daily value is the sum of
		// its subscriptions' values at the end of the day.
		byCust := map[string][]Timeline{}
		for _, tl := range tls {
			byCust[tl.Info().Customer] = append(byCust[tl.Info().Customer], tl)
		}
		for _, tl := range tls {
			for _, st := range tl.Steps(s) {
				if st.MRR < 0 {
					t.Fatalf("seed %d: negative step %+v", seed, st)
				}
			}
		}
		for i := range series {
			sr := &series[i]
			for _, p := range sr.Points {
				if p.MRR < 0 {
					t.Fatalf("seed %d: negative point %+v", seed, p)
				}
			}
			for d := from.First(); d <= to.Last(); d += 17 {
				want := int64(0)
				for _, tl := range byCust[sr.Customer] {
					if tl.Info().Currency == sr.Currency {
						want += stepValue(tl.Steps(s), (d+1).Start(nil)-1)
					}
				}
				if got := sr.At(d); got != want {
					t.Fatalf("seed %d: %s at %s: %d, want %d", seed, sr.Customer, d, got, want)
				}
			}
		}
		// Brute force: classify every customer-day transition.
		type agg struct {
			mv     Movements
			mrr    int64
			active int
		}
		days := map[string][]agg{}
		n := int(to.Last()-from.First()) + 1
		for i := range series {
			sr := &series[i]
			if days[sr.Currency] == nil {
				days[sr.Currency] = make([]agg, n)
			}
			h := false
			for d := sr.Points[0].Day - 1; d < from.First(); d++ {
				h = h || sr.At(d) > 0
			}
			for k := 0; k < n; k++ {
				d := from.First() + Day(k)
				m0, m1 := sr.At(d-1), sr.At(d)
				kind, a := Classify(m0, m1, h)
				days[sr.Currency][k].mv.add(kind, a)
				days[sr.Currency][k].mrr += m1
				if m1 > 0 {
					days[sr.Currency][k].active++
				}
				h = h || m0 > 0
			}
		}
		daily := Daily(series, from.First(), to.Last())
		for _, r := range daily {
			b := days[r.Currency][int(r.Day-from.First())]
			if r.Movements != b.mv || r.MRR != b.mrr || r.Subscribers != b.active {
				t.Fatalf("seed %d %s %s: daily %+v, brute %+v", seed, r.Currency, r.Day, r, b)
			}
		}
		for _, sn := range SnapshotAt(series, to.Last()) {
			if b := days[sn.Currency][n-1]; sn.MRR != b.mrr || sn.ActiveSubscribers != b.active {
				t.Fatalf("seed %d: snapshot %+v brute %+v", seed, sn, b)
			}
		}
		rows := Months(series, from, to, s)
		prevEnd := map[string]int64{}
		for i, r := range rows {
			if !r.Balanced() {
				t.Fatalf("seed %d: %s %s does not balance: %+v", seed, r.Currency, r.Month, r)
			}
			if i > 0 && rows[i-1].Currency == r.Currency && prevEnd[r.Currency] != r.StartMRR {
				t.Fatalf("seed %d: %s start %d != previous end %d", seed, r.Month, r.StartMRR, prevEnd[r.Currency])
			}
			prevEnd[r.Currency] = r.EndMRR
			if r.EndSubscribers != r.StartSubscribers+r.NewCount+r.ReactivationCount-r.ChurnCount {
				t.Fatalf("seed %d: %s subscriber counts do not roll forward: %+v", seed, r.Month, r)
			}
			var sum Movements
			for d := r.Month.First(); d <= r.Month.Last(); d++ {
				b := days[r.Currency][int(d-from.First())].mv
				sum.New += b.New
				sum.Expansion += b.Expansion
				sum.Reactivation += b.Reactivation
				sum.Contraction += b.Contraction
				sum.Churn += b.Churn
				sum.NewCount += b.NewCount
				sum.ExpansionCount += b.ExpansionCount
				sum.ReactivationCount += b.ReactivationCount
				sum.ContractionCount += b.ContractionCount
				sum.ChurnCount += b.ChurnCount
			}
			if sum != r.Movements {
				t.Fatalf("seed %d %s %s: months %+v brute %+v", seed, r.Currency, r.Month, r.Movements, sum)
			}
			if r.EndMRR != days[r.Currency][int(r.Month.Last()-from.First())].mrr {
				t.Fatalf("seed %d: end mrr mismatch", seed)
			}
		}
		// Converted into a reporting currency with moving rates: balances.
		rates := NewRates("usd")
		for k := 0; k < 6; k++ {
			d := MonthOf(2023, 1+6*4).First() - Day(180*k)
			_ = rates.Set("eur", d, []string{"1.0834", "1.1", "1.05", "0.98", "1.2", "1.07"}[k])
			_ = rates.Set("jpy", d, []string{"0.0067", "0.0071", "0.0064", "0.0069", "0.0062", "0.007"}[k])
		}
		conv, err := MonthsIn(series, from, to, rates, s)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range conv {
			if !r.Balanced() || (i > 0 && conv[i-1].EndMRR != r.StartMRR) {
				t.Fatalf("seed %d: converted %s does not roll forward: %+v", seed, r.Month, r)
			}
		}
	}
}
