package analytics_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"billfold/backend/analytics"
	"billfold/backend/analytics/sandboxdb"
	"billfold/backend/metrics"
)

// BenchmarkRebuildAndDashboard syncs a generated business
// (BILLFOLD_BENCH_CUSTOMERS, default 2000) once, then measures a full
// rebuild, a refresh with nothing changed, and a 12-month dashboard query.
func BenchmarkRebuildAndDashboard(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("BILLFOLD_BENCH_CUSTOMERS")); err == nil && v > 0 {
		n = v
	}
	began := time.Now()
	e := sandboxdb.New(b, 3, n, nil)
	b.Logf("%d customers generated and synced in %s", n, time.Since(began).Round(time.Millisecond))
	ctx := context.Background()
	s := metrics.Defaults()
	to := metrics.DayOf(e.Data.Now.Unix(), time.UTC) - 1
	q := analytics.Query{From: (to.Month() - 11).First().String(), To: to.String()}
	b.Run("rebuild", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			st, err := analytics.RebuildAll(ctx, e.DB, s, analytics.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Points), "points")
		}
	})
	b.Run("ensure-unchanged", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := analytics.Ensure(ctx, e.DB, s, analytics.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("dashboard-12-months", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := analytics.BuildDashboard(ctx, e.DB, q, s, e.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
