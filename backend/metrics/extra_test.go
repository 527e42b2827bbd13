package metrics

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"billfold/backend"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestLTV(t *testing.T) {
	may := month(t, "2024-05")
	for _, c := range []struct {
		mode string
		want int64
	}{{"stripe", 28875}, {"trailing6", 24750}} {
		s := Defaults()
		mustParse(t, &s, "ltv-mode", c.mode)
		r := Months(BuildSeries(example8(t), s), may, may, s)[0]
		if r.LTV == nil || *r.LTV != c.want {
			t.Errorf("%s: LTV %v, want %d", c.mode, r.LTV, c.want)
		}
	}
	// Null when the churn denominator is 0.
	r := Months(BuildSeries(example8(t), Defaults()), month(t, "2024-04"), month(t, "2024-04"), withSettings(func(s *Settings) { s.LTVMode = LTVStripe }))[0]
	if r.LTV != nil {
		t.Errorf("April stripe LTV with churn 0: %v", *r.LTV)
	}
}

func TestReportGolden(t *testing.T) {
	var tls []Timeline
	for i, amt := range []int64{2900, 120000} {
		iv := []string{"month", "year"}[i]
		s := newSub("sub_"+iv, "cus_"+iv, ts(t, "2024-01-01"), item(recurring(iv, 1, amt), 1))
		tls = append(tls, one(s))
	}
	eur := newSub("sub_eur", "cus_eur", ts(t, "2024-01-01"), item(recurring("month", 1, 5000), 1))
	eur.Currency = "eur"
	tls = append(tls, one(eur))
	series := BuildSeries(tls, Defaults())
	at, err := Report(series, Query{At: "2024-01-31"}, Defaults())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report_at.json", at)
	rng, err := Report(BuildSeries(example8(t), Defaults()), Query{From: "2024-04-01", To: "2024-05-31", Currency: "USD"}, Defaults())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report_range.json", rng)
	for _, q := range []Query{{At: "2024-13-01"}, {At: "2024-01-01", From: "2024-01-01", To: "2024-02-01"}, {From: "2024-01-01"}, {From: "2024-03-01", To: "2024-01-01"}} {
		if _, err := Report(series, q, Defaults()); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
}

func TestReportingCurrency(t *testing.T) {
	u := newSub("sub_u", "cus_u", ts(t, "2024-01-01"), item(recurring("month", 1, 10000), 1))
	e := newSub("sub_e", "cus_e", ts(t, "2024-01-01"), item(recurring("month", 1, 10000), 1))
	e.Currency = "eur"
	e.Items.Data[0].Price.Currency = "eur"
	e2 := cloneSub(e)
	e2.Items.Data[0].Quantity = 2
	j := newSub("sub_j", "cus_j", ts(t, "2024-03-01"), item(recurring("month", 1, 1000000), 1))
	j.Currency = "jpy"
	series := BuildSeries([]Timeline{one(u), {Versions: []SubVersion{v(e.StartDate, e), v(ts(t, "2024-02-10"), e2)}}, one(j)}, Defaults())
	rates := NewRates("USD")
	if err := rates.Set("eur", day(t, "2024-01-01"), "1.10"); err != nil {
		t.Fatal(err)
	}
	_ = rates.Set("eur", day(t, "2024-02-01"), "1.20")
	if _, err := MonthsIn(series, month(t, "2024-02"), month(t, "2024-03"), rates, Defaults()); err == nil {
		t.Fatal("missing jpy rate: no error")
	}
	_ = rates.Set("jpy", day(t, "2024-01-01"), "0.0067")
	if err := rates.Set("gbp", 0, "-1"); err == nil {
		t.Fatal("negative rate accepted")
	}
	rows, err := MonthsIn(series, month(t, "2024-02"), month(t, "2024-03"), rates, Defaults())
	if err != nil {
		t.Fatal(err)
	}
	feb, mar := rows[0], rows[1]
	// Feb: start 10,000 + 10,000 x 1.10 = 21,000; expansion 10,000 EUR at 1.20 = 12,000;
	// end 10,000 + 20,000 x 1.20 = 34,000; FX = 34,000 - 21,000 - 12,000 = 1,000.
	if feb.StartMRR != 21000 || feb.Expansion != 12000 || feb.EndMRR != 34000 || feb.FXAdjustment != 1000 || !feb.Balanced() {
		t.Errorf("Feb %+v", feb)
	}
	// Mar: JPY 1,000,000 at 0.0067 = 6,700.00 USD = 670,000 cents, New.
	if mar.New != 670000 || mar.EndMRR != 704000 || mar.FXAdjustment != 0 || !mar.Balanced() || feb.Currency != "usd" {
		t.Errorf("Mar %+v", mar)
	}
	sn, err := SnapshotIn(series, day(t, "2024-03-31"), rates)
	if err != nil || sn.MRR != 704000 || sn.ActiveSubscribers != 3 {
		t.Errorf("snapshot %+v %v", sn, err)
	}
	if v, _ := rates.Convert("usd", 12345, 0); v != 12345 {
		t.Errorf("identity %d", v)
	}
	if v, _ := NewRates("jpy").Convert("jpy", 5, 0); v != 5 {
		t.Errorf("jpy identity %d", v)
	}
	r2 := NewRates("jpy")
	_ = r2.Set("usd", 0, "150")
	if v, _ := r2.Convert("usd", 1001, 0); v != 1502 { // 10.01 USD x 150 = 1501.5 -> 1502 JPY
		t.Errorf("usd->jpy %d", v)
	}
}

func TestCash(t *testing.T) {
	d1, d2 := ts(t, "2024-03-01T10:00"), ts(t, "2024-03-02T10:00")
	rf := backend.Refund{ID: "re_1", Created: d2, Amount: 500, Currency: "usd", Status: "succeeded"}
	charges := []backend.Charge{
		{ID: "ch_1", Created: d1, Amount: 2000, AmountCaptured: 2000, Currency: "usd", Status: "succeeded", Paid: true, Captured: true,
			Refunds: &backend.List[backend.Refund]{Data: []backend.Refund{rf}}},
		{ID: "ch_2", Created: d1, Amount: 3000, Currency: "usd", Status: "failed"},
		{ID: "ch_3", Created: d2, Amount: 1000, AmountCaptured: 1000, Currency: "EUR", Status: "succeeded", Paid: true, Captured: true},
	}
	refunds := []backend.Refund{rf, {ID: "re_2", Created: d2, Amount: 100, Currency: "usd", Status: "failed"}}
	got := Cash(charges, refunds, nil, false)
	want := []CashRow{
		{Day: day(t, "2024-03-02"), Currency: "eur", Collected: 1000, Net: 1000, Charges: 1},
		{Day: day(t, "2024-03-01"), Currency: "usd", Collected: 2000, Net: 2000, Charges: 1},
		{Day: day(t, "2024-03-02"), Currency: "usd", Refunded: 500, Net: -500, Refunds: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	m := Cash(charges, refunds, nil, true)
	if len(m) != 2 || m[1].Collected != 2000 || m[1].Refunded != 500 || m[1].Net != 1500 || m[1].Day != day(t, "2024-03-01") {
		t.Errorf("monthly %+v", m)
	}
}

func TestCohorts(t *testing.T) {
	x := newSub("sub_x", "cus_x", ts(t, "2024-01-05"), item(recurring("month", 1, 1000), 1))
	y := newSub("sub_y", "cus_y", ts(t, "2024-01-20"), item(recurring("month", 1, 2000), 1))
	ye := y
	ye.Status, ye.EndedAt, ye.CanceledAt = "canceled", p64(ts(t, "2024-02-10")), p64(ts(t, "2024-02-10"))
	z := newSub("sub_z", "cus_z", ts(t, "2024-02-03"), item(recurring("month", 1, 500), 1))
	x2 := cloneSub(x)
	x2.Items.Data[0].Quantity = 3
	series := BuildSeries([]Timeline{
		{Versions: []SubVersion{v(x.StartDate, x), v(ts(t, "2024-03-01"), x2)}},
		{Versions: []SubVersion{v(y.StartDate, y), v(ts(t, "2024-02-10"), ye)}},
		one(z),
	}, Defaults())
	cs := Cohorts(series, month(t, "2024-01"), month(t, "2024-02"), month(t, "2024-03"))
	if len(cs) != 2 {
		t.Fatalf("%+v", cs)
	}
	jan := cs[0]
	if jan.Customers != 2 || jan.NewMRR != 3000 || len(jan.Periods) != 3 {
		t.Fatalf("%+v", jan)
	}
	want := []struct {
		n        int
		mrr      int64
		cnt, rev string
	}{{2, 3000, "100.00", "100.00"}, {1, 1000, "50.00", "33.33"}, {1, 3000, "50.00", "100.00"}}
	for i, w := range want {
		p := jan.Periods[i]
		if p.Customers != w.n || p.MRR != w.mrr || p.CustomerRetention.String() != w.cnt || p.MRRRetention.String() != w.rev {
			t.Errorf("offset %d: %+v", i, p)
		}
	}
	if feb := cs[1]; feb.Customers != 1 || feb.NewMRR != 500 || len(feb.Periods) != 2 {
		t.Errorf("%+v", feb)
	}
}

func TestCustomerCurrencies(t *testing.T) {
	a := newSub("sub_a", "cus_a", 10, item(recurring("month", 1, 100), 1))
	b := newSub("sub_b", "cus_b", 10, item(recurring("month", 1, 100), 1))
	b.Currency = "EUR"
	got := CustomerCurrencies([]Timeline{one(a), one(b)})
	if len(got) != 2 || got["cus_a"] != "usd" || got["cus_b"] != "eur" {
		t.Fatalf("%v", got)
	}
}

func TestDayMonthJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		D Day
		M Month
		P Point
	}{day(t, "2024-02-29"), month(t, "2024-02"), Point{day(t, "2024-03-01"), 5}})
	if err != nil || string(b) != `{"D":"2024-02-29","M":"2024-02","P":{"day":"2024-03-01","mrr":5}}` {
		t.Fatalf("%s %v", b, err)
	}
	var back struct {
		D Day
		M Month
	}
	if err := json.Unmarshal(b, &back); err != nil || back.D != day(t, "2024-02-29") || back.M != month(t, "2024-02") {
		t.Fatalf("%+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"D":"2024-02-30"}`), &back); err == nil {
		t.Fatal("bad day accepted")
	}
}
