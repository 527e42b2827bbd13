package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"billfold/backend/analytics"
	"billfold/backend/analytics/sandboxdb"
	"billfold/backend/cli"
	"billfold/backend/metrics"
)

func runMetricsCLI(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return vars[k] }}
	code := cli.Run(context.Background(), append([]string{"metrics"}, args...), env)
	return code, out.String(), errb.String()
}

func TestMetricsCommandMatchesEngine(t *testing.T) {
	home := t.TempDir()
	t.Setenv("BILLFOLD_HOME", home)
	e := sandboxdb.New(t, 4, 120, nil)
	// the series computed directly from the cache, independently of the command
	direct, err := analytics.Compute(context.Background(), e.DB, metrics.Defaults(), analytics.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	alt := metrics.Defaults()
	alt.DiscountMode = metrics.AllActive
	altSeries, err := analytics.Compute(context.Background(), e.DB, alt, analytics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Close(); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"BILLFOLD_HOME": home, "BILLFOLD_DB": e.Path}
	at := metrics.DayOf(e.Data.Now.Unix(), time.UTC) - 1

	code, out, errs := runMetricsCLI(t, vars, "--at", at.String(), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want, _ := json.Marshal(metrics.AtReport(direct, at))
	var got []metrics.AtRow
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) == 0 {
		t.Fatalf("%v: %s", err, out)
	}
	gotJSON, _ := json.Marshal(got)
	if string(gotJSON) != string(want) {
		t.Fatalf("--at:\n got %s\nwant %s", gotJSON, want)
	}
	var raw []map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"at", "currency", "mrr", "arr", "active_subscribers", "arpu"} {
		if _, ok := raw[0][k]; !ok {
			t.Fatalf("--at JSON lacks %q: %s", k, out)
		}
	}

	from := (at.Month() - 5).First()
	cur := got[0].Currency
	code, out, errs = runMetricsCLI(t, vars, "--from", from.String(), "--to", at.String(), "--currency", strings.ToUpper(cur), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	wantRange, _ := json.MarshalIndent(metrics.RangeReport(metrics.Months(metrics.FilterCurrency(direct, cur), from.Month(), at.Month(), metrics.Defaults())), "", "  ")
	if strings.TrimSpace(out) != string(wantRange) {
		t.Fatalf("--from/--to:\n got %s\nwant %s", out, wantRange)
	}
	var months []map[string]any
	json.Unmarshal([]byte(out), &months)
	if len(months) != 6 {
		t.Fatalf("%d months", len(months))
	}
	for _, k := range []string{"start_mrr", "new", "expansion", "reactivation", "contraction", "churn", "end_mrr",
		"customer_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate", "nrr", "grr"} {
		if _, ok := months[0][k]; !ok {
			t.Fatalf("range JSON lacks %q", k)
		}
	}

	// a setting flag computes under that setting (and leaves the saved ones)
	code, out, errs = runMetricsCLI(t, vars, "--at", at.String(), "--json", "--discount_mode", "all_active", "--churn-rate-formula", "logo_snapshot")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	wantAlt, _ := json.MarshalIndent(metrics.AtReport(altSeries, at), "", "  ")
	if strings.TrimSpace(out) != string(wantAlt) {
		t.Fatalf("--discount_mode all_active:\n got %s\nwant %s", out, wantAlt)
	}
	// the saved points stay under the saved settings
	code, out, _ = runMetricsCLI(t, vars, "--at", at.String(), "--json")
	if again, _ := json.Marshal(metrics.AtReport(direct, at)); code != 0 || compact(out) != string(again) {
		t.Fatalf("after a one-off setting: %s", out)
	}

	// human-readable table
	code, out, _ = runMetricsCLI(t, vars, "--at", at.String())
	if code != 0 || !strings.Contains(out, "MRR") || !strings.Contains(out, strings.ToUpper(cur)) {
		t.Fatalf("table: %d %s", code, out)
	}
	code, out, _ = runMetricsCLI(t, vars, "--from", from.String(), "--to", at.String())
	if code != 0 || !strings.Contains(out, "net MRR churn") {
		t.Fatalf("range table: %d %s", code, out)
	}

	for _, bad := range [][]string{
		{"--at", "2024-02-30"}, {"--at", "yesterday"}, {"--from", "2024-01-01"}, {"--from", "2024-03-01", "--to", "2024-01-01"},
		{"--at", "2024-01-01", "--from", "2024-01-01", "--to", "2024-02-01"}, {"--discount-mode", "sometimes"},
		{"--past-due-autochurn-days", "-3"}, {"--timezone", "Mars/Base"}, {"--currency", "dollars"}, {"extra"},
	} {
		code, out, errs := runMetricsCLI(t, vars, bad...)
		if code != 2 || out != "" || strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", bad, code, out, errs)
		}
	}
	// no cache: exit 2, nothing created
	code, _, errs = runMetricsCLI(t, map[string]string{"BILLFOLD_HOME": home, "BILLFOLD_DB": home + "/none.db"}, "--json")
	if code != 2 || !strings.Contains(errs, "billfold sync") {
		t.Fatalf("missing cache: %d %s", code, errs)
	}
}

func compact(s string) string {
	var b bytes.Buffer
	json.Compact(&b, []byte(s))
	return b.String()
}
