package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"billfold/backend"
	"billfold/backend/analytics/sandboxdb"
	"billfold/backend/metrics"
)

type dirSaver struct{ dir, asked string }

func (d *dirSaver) SaveFileDialog(name, title string) (string, error) {
	d.asked = name
	return filepath.Join(d.dir, name), nil
}

func TestMetricsServiceOverASyncedCache(t *testing.T) {
	e := sandboxdb.New(t, 8, 100, nil)
	saver := &dirSaver{dir: t.TempDir()}
	svc := NewMetricsService(MetricsOptions{CachePath: func(context.Context) (string, error) { return e.Path, nil }, Saver: saver, Now: e.Now})
	to := metrics.DayOf(e.Data.Now.Unix(), time.UTC) - 1
	from := (to.Month() - 11).First()
	d, err := svc.Dashboard(DashboardQueryDTO{From: from.String(), To: to.String()})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.KPIs) != 8 || d.KPIs[0].Key != "mrr" || d.KPIs[0].Value == nil || *d.KPIs[0].Value <= 0 || d.Currency == "" {
		t.Fatalf("kpis %+v currency %q", d.KPIs, d.Currency)
	}
	if len(d.Daily) != int(to-from)+1 || len(d.Months) != 12 || len(d.Cohorts) == 0 || len(d.ByPlan) == 0 || len(d.ByCurrency) == 0 || len(d.Trials) != 12 {
		t.Fatalf("shape: %d %d %d %d %d %d", len(d.Daily), len(d.Months), len(d.Cohorts), len(d.ByPlan), len(d.ByCurrency), len(d.Trials))
	}
	if d.Freshness.LastSyncAt == "" || d.Freshness.BuiltAt == "" {
		t.Fatalf("freshness %+v", d.Freshness)
	}
	if last := d.Months[len(d.Months)-1]; last.EndMRR != *d.KPIs[0].Value {
		t.Fatalf("month end %d, MRR tile %d", last.EndMRR, *d.KPIs[0].Value)
	}
	// undefined ratios are null in JSON, money is integer minor units
	b, _ := json.Marshal(d)
	var raw map[string]any
	json.Unmarshal(b, &raw)
	if _, ok := raw["kpis"].([]any)[0].(map[string]any)["value"].(float64); !ok {
		t.Fatalf("mrr value: %s", b[:200])
	}

	// click-through: the customers behind the largest movement of a month
	var month MonthDTO
	for _, m := range d.Months {
		if m.New > 0 {
			month = m
		}
	}
	rows, err := svc.CustomersBehind("new", month.Month, d.Currency)
	if err != nil || len(rows) == 0 {
		t.Fatalf("behind: %v %d", err, len(rows))
	}
	sum := int64(0)
	for _, r := range rows {
		sum += r.Amount
	}
	if sum != month.New || len(rows) != month.NewSubscribers {
		t.Fatalf("behind new %s: %d customers sum %d, month %d (%d)", month.Month, len(rows), sum, month.New, month.NewSubscribers)
	}
	if _, err := svc.CustomersBehind("bigger", month.Month, d.Currency); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatal(err)
	}

	// settings: defaults, a bad value changes nothing, a good one rebuilds
	st, err := svc.MetricSettings()
	if err != nil || len(st) != len(metrics.FlagNames) || st[0].Value != "forever_only" {
		t.Fatalf("%+v %v", st, err)
	}
	if _, err := svc.SetMetricSettings(map[string]string{"discount_mode": "never"}); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatal(err)
	}
	if _, err := svc.SetMetricSettings(map[string]string{"colour": "red"}); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatal(err)
	}
	st, err = svc.SetMetricSettings(map[string]string{"churn-recognition": "at_period_end"})
	if err != nil || st[1].Value != "at_period_end" || st[0].Value != "forever_only" {
		t.Fatalf("%+v %v", st, err)
	}
	d2, err := svc.Dashboard(DashboardQueryDTO{From: from.String(), To: to.String(), Currency: d.Currency})
	if err != nil {
		t.Fatal(err)
	}
	if d2.Freshness.Points == 0 {
		t.Fatal("no points after the rebuild")
	}

	p, err := svc.SaveCSV("mrr", "day,mrr\n2024-01-01,100\n")
	if err != nil || saver.asked != "mrr.csv" {
		t.Fatalf("%q %v %q", p, err, saver.asked)
	}
	if b, _ := os.ReadFile(p); string(b) != "day,mrr\n2024-01-01,100\n" {
		t.Fatalf("%q", b)
	}
	// bad ranges are EINVALID
	if _, err := svc.Dashboard(DashboardQueryDTO{From: "2024-02-31", To: "2024-03-01"}); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatal(err)
	}
	// no cache yet
	none := NewMetricsService(MetricsOptions{CachePath: func(context.Context) (string, error) { return filepath.Join(t.TempDir(), "x.db"), nil }})
	if _, err := none.Dashboard(DashboardQueryDTO{From: "2024-01-01", To: "2024-01-31"}); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatal(err)
	}
}
