package analytics_test

import (
	"context"
	"testing"
	"time"

	"billfold/backend"
	"billfold/backend/analytics"
	"billfold/backend/analytics/sandboxdb"
	"billfold/backend/metrics"
)

func TestDashboardAgreesWithSeries(t *testing.T) {
	ctx := context.Background()
	e := sandboxdb.New(t, 7, 120, nil)
	s := metrics.Defaults()
	if _, err := analytics.Ensure(ctx, e.DB, s, analytics.Options{}); err != nil {
		t.Fatal(err)
	}
	to := metrics.DayOf(e.Data.Now.Unix(), time.UTC) - 1
	from := (to.Month() - 11).First()
	d, err := analytics.BuildDashboard(ctx, e.DB, analytics.Query{From: from.String(), To: to.String()}, s, e.Now())
	if err != nil {
		t.Fatal(err)
	}
	series, _ := analytics.Series(ctx, e.DB, d.Currency)
	sn := metrics.SnapshotAt(series, to)
	if len(sn) != 1 || *d.MRR.Value != sn[0].MRR || *d.Subscribers.Value != int64(sn[0].ActiveSubscribers) || sn[0].MRR == 0 {
		t.Fatalf("KPIs %d/%d, snapshot %+v", *d.MRR.Value, *d.Subscribers.Value, sn)
	}
	if len(d.Daily) != int(to-from)+1 || len(d.Months) != 12 || len(d.Cohorts) == 0 || len(d.ByPlan) == 0 || len(d.Trials) != 12 || len(d.Cash) == 0 {
		t.Fatalf("daily %d months %d cohorts %d plans %d trials %d cash %d", len(d.Daily), len(d.Months), len(d.Cohorts), len(d.ByPlan), len(d.Trials), len(d.Cash))
	}
	plan := int64(0)
	for _, p := range d.ByPlan {
		plan += p.MRR
	}
	if plan <= 0 {
		t.Fatal("no MRR by plan")
	}
	if d.Freshness.LastSync == 0 || d.Freshness.Points == 0 {
		t.Fatalf("freshness %+v", d.Freshness)
	}
	// every month's movements are the sums over the customers behind them
	for _, m := range d.Months {
		if !m.Balanced() {
			t.Fatalf("%s does not balance", m.Month)
		}
		for name, want := range map[string]int64{"new": m.New, "expansion": m.Expansion, "reactivation": m.Reactivation, "contraction": m.Contraction, "churn": m.Churn} {
			rows, err := analytics.CustomersBehind(ctx, e.DB, name, m.Month.String(), d.Currency)
			if err != nil {
				t.Fatal(err)
			}
			sum := int64(0)
			for _, r := range rows {
				sum += r.Amount
			}
			if sum != want {
				t.Fatalf("%s %s: customers behind sum to %d, month says %d", m.Month, name, sum, want)
			}
		}
	}
	for _, q := range []analytics.Query{{From: "2024-13-01", To: "2024-12-01"}, {From: "2024-02-01", To: "2024-01-01"}} {
		if _, err := analytics.BuildDashboard(ctx, e.DB, q, s, e.Now()); backend.ErrorCode(err) != backend.EINVALID {
			t.Fatalf("%+v: %v", q, err)
		}
	}
	if _, err := analytics.CustomersBehind(ctx, e.DB, "growth", "2024-01", "usd"); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatal(err)
	}
}
