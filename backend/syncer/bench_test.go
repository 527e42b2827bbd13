package syncer_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"billfold/backend"
	"billfold/backend/sandbox"
	"billfold/backend/store"
	"billfold/backend/stripeapi"
	"billfold/backend/syncer"
)

// peakRSS is the process's peak resident set (VmHWM) in MiB, 0 if unknown.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// heapPeak samples HeapInuse until stop is closed.
func heapPeak(stop <-chan struct{}) func() float64 {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				mu.Lock()
				peak = max(peak, ms.HeapInuse)
				mu.Unlock()
			}
		}
	}()
	return func() float64 { <-done; mu.Lock(); defer mu.Unlock(); return float64(peak) / (1 << 20) }
}

func benchCustomers(def int) int {
	if v, err := strconv.Atoi(os.Getenv("BILLFOLD_BENCH_CUSTOMERS")); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkFullSyncUnthrottled: HTTP JSON from the sandbox to committed
// SQLite rows, no rate limits, no latency.
func BenchmarkFullSyncUnthrottled(b *testing.B) {
	e := newEnv(b, envOpts{customers: benchCustomers(3000), seed: 21})
	var objects int64
	var elapsed time.Duration
	stop := make(chan struct{})
	peak := heapPeak(stop)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s := e.syncer(func(o *syncer.Options) { o.Store = db; o.Workers = 0 })
		b.StartTimer()
		t0 := time.Now()
		res, err := s.Sync(context.Background(), false)
		elapsed += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range res.Objects {
			objects += n
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(objects)/elapsed.Seconds(), "objects/s")
	b.ReportMetric(float64(objects)/float64(b.N), "objects/op")
	b.ReportMetric(peak(), "peak-heap-MiB")
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
}

// BenchmarkFullSyncStripeLimits: the sandbox limits like live Stripe (100/s
// global, 25/s per endpoint) with 250 ms latency; the client uses the same
// limits. Reports objects/s and the time against the floor
// T >= max(max_e P_e/r_endpoint, sum_e P_e/r_global) over the requests each
// endpoint needs.
func BenchmarkFullSyncStripeLimits(b *testing.B) { benchStripeLimits(b, false) }

// BenchmarkFullSyncStripeLimitsEngineOnly is the same with objects
// discarded instead of written to SQLite: the engine against the floor.
func BenchmarkFullSyncStripeLimitsEngineOnly(b *testing.B) { benchStripeLimits(b, true) }

func benchStripeLimits(b *testing.B, engineOnly bool) {
	const global, endpoint = 100.0, 25.0
	e := newEnv(b, envOpts{customers: benchCustomers(1000), seed: 22,
		sandbox: sandbox.Options{RPS: global, EndpointRPS: endpoint, Latency: 250 * time.Millisecond, Mode: "live", AllowLive: true},
		client: stripeapi.Options{Key: mustKey(b, "sk_test_billfoldbench0000000001"),
			Limits: stripeapi.Limits{Global: global, Endpoint: endpoint}}})
	// pages per endpoint for the floor: what an ideal client must request
	want := e.expected()
	pages := map[string]float64{}
	d := e.srv.Data()
	for _, t := range backend.SyncedTypes {
		pages[string(t)] = math.Max(1, math.Ceil(float64(len(want[t]))/100))
	}
	for _, in := range d.Invoices {
		if n := len(in.Lines.Data); n > 10 {
			pages["invoice lines"] += math.Ceil(float64(n-10) / 100)
		}
	}
	for _, s := range d.Subscriptions {
		if n := len(s.Items.Data); n > 10 {
			pages["subscription items"] += math.Ceil(float64(n-10) / 100)
		}
	}
	var sum, maxE float64
	for _, p := range pages {
		sum += p
		maxE = math.Max(maxE, p)
	}
	floor := math.Max(maxE/endpoint, sum/global)
	var objects, requests, retries int64
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var st syncer.Store
		var closer func() error
		if engineOnly {
			st = &rangesOnly{ranges: map[backend.ObjectType][]backend.SyncRange{}}
			closer = func() error { return nil }
		} else {
			db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			st, closer = db, db.Close
		}
		s := e.syncer(func(o *syncer.Options) {
			o.Store = st
			o.Workers = 0 // from the client: rate x latency
			o.Now = time.Now
		})
		b.StartTimer()
		t0 := time.Now()
		res, err := s.Sync(context.Background(), false)
		elapsed += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range res.Objects {
			objects += n
		}
		requests += res.Requests
		retries += res.Retries
		b.StopTimer()
		closer()
		b.StartTimer()
	}
	b.StopTimer()
	secs := elapsed.Seconds() / float64(b.N)
	b.ReportMetric(float64(objects)/elapsed.Seconds(), "objects/s")
	b.ReportMetric(secs, "s/sync")
	b.ReportMetric(floor, "floor-s")
	b.ReportMetric(floor/secs, "of-floor-speed")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(retries)/float64(b.N), "retries/op")
	b.ReportMetric(float64(e.srv.Stats().RateLimited)/float64(b.N), "429s/op")
}

// BenchmarkIncremental1000: 1,000 changes through the sandbox's write
// endpoints, then one incremental sync.
func BenchmarkIncremental1000(b *testing.B) {
	var requests int64
	var elapsed time.Duration
	var events int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, envOpts{customers: 1500, seed: 23 + uint64(i)})
		s := e.syncer(nil)
		if _, err := s.Sync(context.Background(), false); err != nil {
			b.Fatal(err)
		}
		e.clock.Add(10 * time.Minute)
		e.changes(1000, uint64(i))
		e.clock.Add(2 * time.Minute)
		b.StartTimer()
		t0 := time.Now()
		res, err := s.Sync(context.Background(), false)
		elapsed += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		requests += res.Requests
		events += res.Events
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
	b.ReportMetric(elapsed.Seconds()/float64(b.N)*1000, "ms/sync")
}

func mustKey(t testing.TB, s string) backend.APIKey {
	k, err := backend.ParseAPIKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rangesOnly is a Store that keeps ranges and cursors but discards objects:
// it isolates the engine (HTTP, JSON, nested lists, scheduling) from SQLite
// in BenchmarkFullSyncEngineOnly. Not a test double for correctness tests.
type rangesOnly struct {
	mu     sync.Mutex
	ranges map[backend.ObjectType][]backend.SyncRange
	cursor int64
	n      int64
}

func (s *rangesOnly) Ranges(ctx context.Context, t backend.ObjectType) ([]backend.SyncRange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]backend.SyncRange(nil), s.ranges[t]...), nil
}
func (s *rangesOnly) ReplaceRanges(ctx context.Context, t backend.ObjectType, rs []backend.SyncRange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ranges[t] = append([]backend.SyncRange(nil), rs...)
	return nil
}
func (s *rangesOnly) SavePage(ctx context.Context, r backend.SyncRange, objs []backend.RawObject) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.ranges[r.Type] {
		if x.Gte == r.Gte && x.Lt == r.Lt {
			s.ranges[r.Type][i] = r
		}
	}
	s.n += int64(len(objs))
	return nil
}
func (s *rangesOnly) ApplyEvents(ctx context.Context, ev []backend.Event, objs []backend.RawObject, c int64) error {
	s.mu.Lock()
	s.cursor = c
	s.mu.Unlock()
	return nil
}
func (s *rangesOnly) EventsCursor(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor, nil
}
func (s *rangesOnly) Hashes(ctx context.Context, t backend.ObjectType, gte, lt int64) (map[string]string, error) {
	return nil, nil
}

// BenchmarkFullSyncEngineOnly: the same full sync as
// BenchmarkFullSyncUnthrottled with objects discarded instead of written to
// SQLite: the engine's own ceiling on this machine (sandbox included).
func BenchmarkFullSyncEngineOnly(b *testing.B) {
	e := newEnv(b, envOpts{customers: benchCustomers(3000), seed: 21})
	var objects int64
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := &rangesOnly{ranges: map[backend.ObjectType][]backend.SyncRange{}}
		s := e.syncer(func(o *syncer.Options) { o.Store = st; o.Workers = 0 })
		t0 := time.Now()
		if _, err := s.Sync(context.Background(), false); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(t0)
		objects += st.n
	}
	b.ReportMetric(float64(objects)/elapsed.Seconds(), "objects/s")
	b.ReportMetric(peakRSS(), "peak-RSS-MiB")
}
