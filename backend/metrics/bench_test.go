package metrics

import (
	"runtime"
	"sync"
	"testing"
)

// A synthetic business of 100,000 customers over three years (about 130,000
// subscriptions with their versions), generated once per test binary.
var (
	benchOnce   sync.Once
	benchTLs    []Timeline
	benchSeries []Series
)

func benchBusiness(b *testing.B) ([]Timeline, []Series) {
	b.Helper()
	benchOnce.Do(func() {
		benchTLs = genBusiness(42, 100000)
		benchSeries = BuildSeries(benchTLs, Defaults())
	})
	return benchTLs, benchSeries
}

// BenchmarkFullRebuild: every customer's daily change points from all
// subscription timelines (target: < 10 s).
func BenchmarkFullRebuild(b *testing.B) {
	tls, _ := benchBusiness(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := BuildSeries(tls, Defaults())
		if len(s) == 0 {
			b.Fatal("no series")
		}
	}
	b.ReportMetric(float64(len(tls)), "subscriptions")
}

// BenchmarkFullRebuildParallel: the same on GOMAXPROCS workers.
func BenchmarkFullRebuildParallel(b *testing.B) {
	tls, _ := benchBusiness(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s := Rebuild(tls, Defaults(), runtime.GOMAXPROCS(0)); len(s) == 0 {
			b.Fatal("no series")
		}
	}
}

// BenchmarkMonthsRange: the dashboard's 36-month roll-forward with rates,
// LTV and retention, from materialised change points (target: < 300 ms).
func BenchmarkMonthsRange(b *testing.B) {
	_, series := benchBusiness(b)
	pts := 0
	for i := range series {
		pts += len(series[i].Points)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rows := Months(series, MonthOf(2023, 1), MonthOf(2025, 12), Defaults())
		if len(rows) == 0 {
			b.Fatal("no rows")
		}
	}
	b.ReportMetric(float64(pts), "points")
}

// BenchmarkDailyRange: daily totals and movements for one year.
func BenchmarkDailyRange(b *testing.B) {
	_, series := benchBusiness(b)
	from := MonthOf(2025, 1).First()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rows := Daily(series, from, from+364); len(rows) == 0 {
			b.Fatal("no rows")
		}
	}
}

// BenchmarkSnapshotAt: MRR, ARR, subscribers and ARPU at one date.
func BenchmarkSnapshotAt(b *testing.B) {
	_, series := benchBusiness(b)
	d := MonthOf(2025, 6).First()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if sn := SnapshotAt(series, d); len(sn) == 0 {
			b.Fatal("empty")
		}
	}
}

// BenchmarkCustomerRecompute: the unit of incremental work, one customer.
func BenchmarkCustomerRecompute(b *testing.B) {
	tls := genBusiness(7, 1000)
	by := map[string][]Timeline{}
	var custs []string
	for _, tl := range tls {
		c := tl.Info().Customer
		if by[c] == nil {
			custs = append(custs, c)
		}
		by[c] = append(by[c], tl)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := custs[i%len(custs)]
		CustomerSeries(c, by[c], Defaults())
	}
}
