package sandbox

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTruthMatchesFinalState checks the truth file's last day against the
// MRR recomputed independently from the final subscription objects.
func TestTruthMatchesFinalState(t *testing.T) {
	d := genData(t, 400)
	now := d.Now.Unix()
	want := map[string]int64{}
	for _, s := range d.Subscriptions {
		if s.Status != "active" && s.Status != "past_due" {
			continue
		}
		if s.TrialEnd != nil && *s.TrialEnd > now {
			continue
		}
		if s.CancelAtPeriodEnd || s.CanceledAt != nil || s.PauseCollection != nil {
			continue
		}
		var forever *Coupon
		if s.Discount != nil && s.Discount.Coupon.Duration == "forever" {
			forever = s.Discount.Coupon
		}
		want[s.Currency] += subMRR(s.Items.Data, forever, s.Currency)
	}
	got, ok := d.TruthAt(d.Now)
	if !ok {
		t.Fatal("no truth at now")
	}
	for _, c := range genCurrencies {
		if got[c] != want[c] {
			t.Errorf("%s: truth %d, final state %d", c, got[c], want[c])
		}
	}
	if want["jpy"] == 0 || want["usd"] == 0 {
		t.Errorf("degenerate business: %v", want)
	}
	var b bytes.Buffer
	if err := d.WriteTruth(&b); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	sc.Scan()
	if sc.Text() != "date,currency,mrr" {
		t.Fatalf("header %q", sc.Text())
	}
	rows := 0
	last := ""
	for sc.Scan() {
		rows++
		last = sc.Text()
	}
	days := int(d.Now.Sub(d.Now.AddDate(-3, 0, 0).Truncate(24*time.Hour)).Hours()/24) + 1
	if rows != days*len(genCurrencies) {
		t.Errorf("%d rows, want %d days x %d currencies", rows, days, len(genCurrencies))
	}
	if !strings.HasPrefix(last, d.Now.Format("2006-01-02")+",usd,") {
		t.Errorf("last row %q", last)
	}
	fx, _ := LoadFixture(strings.NewReader(`{"now":"2025-01-01T00:00:00Z"}`))
	if err := fx.WriteTruth(&b); err == nil {
		t.Error("fixture data wrote a truth")
	}
}

// TestBusinessShape checks the generator produces every difficulty sync.md
// and the contract list.
func TestBusinessShape(t *testing.T) {
	d := genData(t, 600)
	ud := unpacked(t, d)
	status := map[string]int{}
	for _, s := range d.Subscriptions {
		status[s.Status]++
		if s.CancelAtPeriodEnd {
			status["cancel_at_period_end"]++
		}
		if s.PauseCollection != nil {
			status["pause_collection"]++
		}
		if s.TrialStart != nil {
			status["trial"]++
		}
		if s.Discount != nil {
			status["discount:"+s.Discount.Coupon.Duration]++
		}
	}
	for _, k := range []string{"active", "canceled", "past_due", "unpaid", "paused", "trialing", "cancel_at_period_end", "trial", "discount:forever", "discount:repeating"} {
		if status[k] == 0 {
			t.Errorf("no subscription with %s (%v)", k, status)
		}
	}
	cur := map[string]bool{}
	prorations, intervals := 0, map[string]bool{}
	for _, in := range ud.Invoices {
		cur[in.Currency] = true
		for _, l := range in.Lines.Data {
			if l.Proration {
				prorations++
			}
			if l.Price != nil && l.Price.Recurring != nil {
				intervals[l.Price.Recurring.Interval] = true
			}
		}
	}
	if len(cur) < 4 || prorations == 0 || len(intervals) < 3 {
		t.Errorf("currencies %v, proration lines %d, intervals %v", cur, prorations, intervals)
	}
	types := map[string]bool{}
	for _, e := range ud.Events {
		types[e.Type] = true
		if e.Created < d.Now.Unix()-30*day {
			t.Fatalf("event older than 30 days: %s", e.ID)
		}
	}
	for _, ty := range []string{"customer.created", "customer.subscription.updated", "customer.subscription.deleted", "invoice.paid", "invoice.payment_failed", "charge.succeeded"} {
		if !types[ty] {
			t.Errorf("no %s event", ty)
		}
	}
}

// ---- benchmarks ----

// BenchmarkListPage100 serves full pages of 100 invoices (the heaviest
// objects) walking the whole list; report pages/s with -benchtime.
func BenchmarkListPage100(b *testing.B) {
	d, err := Generate(GenOptions{Seed: 1, Customers: 3000})
	if err != nil {
		b.Fatal(err)
	}
	s, _ := NewServer(d, Options{Now: func() time.Time { return fixedNow }})
	for _, col := range []string{"customers", "subscriptions", "invoices", "charges"} {
		b.Run(col, func(b *testing.B) {
			ids := s.st.cols[col].sorted
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cursor := ids[(i*100)%(len(ids)-200)].id
				req := httptest.NewRequest("GET", "/v1/"+col+"?limit=100&starting_after="+cursor, nil)
				req.Header.Set("Authorization", "Bearer "+testKey)
				w.code = 0
				s.ServeHTTP(w, req)
				if w.code != 200 {
					b.Fatal(w.code)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(c int)           { w.code = c }

func BenchmarkGenerate(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Generate(GenOptions{Seed: 1, Customers: 10000}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerateAndLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		d, err := Generate(GenOptions{Seed: 1, Customers: 10000})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewServer(d, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBigBusiness generates and loads 100,000 customers and reports
// the heap in use (set BILLFOLD_SANDBOX_BIG=1; it takes a while).
func BenchmarkBigBusiness(b *testing.B) {
	big := os.Getenv("BILLFOLD_SANDBOX_BIG")
	if big == "" {
		b.Skip("set BILLFOLD_SANDBOX_BIG=1 (100,000 customers) or =N customers")
	}
	customers := 100000
	if n, err := strconv.Atoi(big); err == nil && n > 1 {
		customers = n
	}
	// as `billfold sandbox` does (see MemoryLimit)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(MemoryLimit(customers)))
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		d, err := Generate(GenOptions{Seed: 1, Customers: customers})
		if err != nil {
			b.Fatal(err)
		}
		gen := time.Since(t0)
		s, err := NewServer(d, Options{})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		n := len(d.Customers) + len(d.Subscriptions) + len(d.pk.invoices) + len(d.pk.charges) + len(d.pk.refunds) + len(d.pk.events)
		b.ReportMetric(gen.Seconds(), "gen-s")
		b.ReportMetric(time.Since(t0).Seconds(), "gen+load-s")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(n), "objects")
		runtime.KeepAlive(s)
	}
}
