package syncer_test

// Integration tests: the real engine (stripeapi over HTTP) against the
// sandbox, into a real SQLite file (backend/store).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"billfold/backend"
	"billfold/backend/sandbox"
	"billfold/backend/store"
	"billfold/backend/stripeapi"
	"billfold/backend/syncer"
)

const sandboxKey = "sk_test_billfoldintegration0001"

type testClock struct{ t atomic.Int64 } // unix nanoseconds

func (c *testClock) Now() time.Time       { return time.Unix(0, c.t.Load()) }
func (c *testClock) Set(t time.Time)      { c.t.Store(t.UnixNano()) }
func (c *testClock) Add(d time.Duration)  { c.t.Add(int64(d)) }
func newTestClock(t time.Time) *testClock { c := &testClock{}; c.Set(t); return c }

type env struct {
	t      testing.TB
	data   *sandbox.Data
	srv    *sandbox.Server
	http   *httptest.Server
	client *stripeapi.Client
	db     *store.DB
	clock  *testClock
	start  int64
}

type envOpts struct {
	customers int
	seed      uint64
	sandbox   sandbox.Options
	client    stripeapi.Options
	dbPath    string
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	t.Setenv("BILLFOLD_HOME", t.TempDir())
	data, err := sandbox.Generate(sandbox.GenOptions{Seed: o.seed, Customers: o.customers})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, data: data, clock: newTestClock(data.Now.Add(time.Hour))}
	so := o.sandbox
	if so.Now == nil && so.RPS == 0 {
		so.Now = e.clock.Now
	}
	if so.Seed == 0 {
		so.Seed = o.seed + 1
	}
	e.srv, err = sandbox.NewServer(data, so)
	if err != nil {
		t.Fatal(err)
	}
	e.http = httptest.NewServer(e.srv)
	t.Cleanup(e.http.Close)
	co := o.client
	if co.Key.IsZero() {
		co.Key, _ = backend.ParseAPIKey(sandboxKey)
	}
	co.BaseURL = e.http.URL
	if co.Limits == (stripeapi.Limits{}) {
		co.Limits = stripeapi.Limits{Unlimited: true}
	}
	if co.Now == nil {
		co.Now = e.clock.Now
	}
	if co.BackoffBase == 0 {
		co.BackoffBase = 5 * time.Millisecond
		co.BackoffCap = 50 * time.Millisecond
		co.RetryAfterCap = 50 * time.Millisecond
	}
	e.client, err = stripeapi.New(co)
	if err != nil {
		t.Fatal(err)
	}
	path := o.dbPath
	if path == "" {
		path = filepath.Join(t.TempDir(), "cache.db")
	}
	e.db, err = store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	e.start = data.Account.Created
	return e
}

func (e *env) syncer(mod func(*syncer.Options)) *syncer.Syncer {
	o := syncer.Options{Source: e.client, Store: e.db, Start: e.start, Now: e.clock.Now, Workers: 8}
	if mod != nil {
		mod(&o)
	}
	s, err := syncer.New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// expected returns the sandbox's current objects per type (deleted ones
// left out) as id -> content hash, from its fixture dump (API shape, nested
// lists complete).
func (e *env) expected() map[backend.ObjectType]map[string]string {
	e.t.Helper()
	var buf bytes.Buffer
	if err := e.srv.Data().WriteFixture(&buf); err != nil {
		e.t.Fatal(err)
	}
	var fx map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &fx); err != nil {
		e.t.Fatal(err)
	}
	out := map[backend.ObjectType]map[string]string{}
	for _, typ := range backend.SyncedTypes {
		var items []json.RawMessage
		if err := json.Unmarshal(fx[string(typ)], &items); err != nil {
			e.t.Fatalf("fixture %s: %v", typ, err)
		}
		m := map[string]string{}
		for _, it := range items {
			var h struct {
				ID      string `json:"id"`
				Deleted bool   `json:"deleted"`
			}
			if err := json.Unmarshal(it, &h); err != nil {
				e.t.Fatal(err)
			}
			if h.Deleted {
				continue
			}
			hash, err := backend.ContentHash(it)
			if err != nil {
				e.t.Fatal(err)
			}
			m[h.ID] = hash
		}
		out[typ] = m
	}
	return out
}

// assertExact compares the store with the sandbox, object by object.
func (e *env) assertExact() int {
	e.t.Helper()
	want := e.expected()
	total := 0
	for _, typ := range backend.SyncedTypes {
		got, err := e.db.Hashes(context.Background(), typ, 0, 1<<62)
		if err != nil {
			e.t.Fatal(err)
		}
		var missing, extra, diff []string
		for id, h := range want[typ] {
			switch gh, ok := got[id]; {
			case !ok:
				missing = append(missing, id)
			case gh != h:
				diff = append(diff, id)
			}
		}
		for id := range got {
			if _, ok := want[typ][id]; !ok {
				extra = append(extra, id)
			}
		}
		if len(missing)+len(extra)+len(diff) > 0 {
			e.t.Fatalf("%s: %d in sandbox, %d stored; missing %d %v, extra %d %v, different %d %v", typ, len(want[typ]), len(got),
				len(missing), head(missing), len(extra), head(extra), len(diff), head(diff))
		}
		total += len(got)
	}
	return total
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

func TestSandboxFullSyncExact(t *testing.T) {
	e := newEnv(t, envOpts{customers: 300, seed: 11})
	res, err := e.syncer(nil).Sync(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	n := e.assertExact()
	var fetched int64
	for _, c := range res.Objects {
		fetched += c
	}
	if res.Mode != syncer.ModeFull || fetched != int64(n) {
		t.Fatalf("mode %s, %d objects fetched, %d stored", res.Mode, fetched, n)
	}
	for _, typ := range backend.SyncedTypes {
		rs, err := e.db.Ranges(context.Background(), typ)
		if err != nil {
			t.Fatal(err)
		}
		if err := syncer.CheckCoverage(typ, rs, e.start, e.clock.Now().Unix()); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := e.syncer(nil).Verify(context.Background(), false)
	if err != nil || !rep.OK() {
		t.Fatalf("verify after a full sync: %v %+v", err, rep.Drift)
	}
	t.Logf("%d objects, %d requests", n, res.Requests)
}

// post sends a write to the sandbox like the billing actions would.
func (e *env) post(method, path string, form url.Values) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Authorization", "Bearer "+sandboxKey)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 404 {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		e.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b.String())
	}
	return resp.StatusCode
}

func (e *env) mustPost(method, path string, form url.Values) {
	e.t.Helper()
	if st := e.post(method, path, form); st != 200 {
		e.t.Fatalf("%s %s: %d", method, path, st)
	}
}

// changes makes n changes through the sandbox's write endpoints: customer
// updates (some in the same second), cancellations, deletions, refunds.
func (e *env) changes(n int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	d := e.srv.Data()
	var custs, subs, charges []string
	for _, c := range d.Customers {
		if !c.Deleted {
			custs = append(custs, c.ID)
		}
	}
	for _, s := range d.Subscriptions {
		if s.Status == "active" || s.Status == "trialing" || s.Status == "past_due" {
			subs = append(subs, s.ID)
		}
	}
	for _, ch := range d.Charges {
		if ch.Status == "succeeded" && !ch.Refunded && ch.AmountRefunded == 0 {
			charges = append(charges, ch.ID)
		}
	}
	deleted := map[string]bool{}
	for i := 0; i < n; i++ {
		if rng.IntN(3) == 0 {
			e.clock.Add(time.Second) // otherwise several changes share a second
		}
		switch k := rng.IntN(10); {
		case k < 6 || len(subs) == 0:
			id := custs[rng.IntN(len(custs))]
			if deleted[id] {
				continue
			}
			e.mustPost("POST", "/v1/customers/"+id, url.Values{"name": {fmt.Sprintf("Renamed %d", i)}, "metadata[change]": {fmt.Sprint(i)}})
		case k < 8:
			j := rng.IntN(len(subs))
			// 404: already cancelled with its deleted customer
			e.post("DELETE", "/v1/subscriptions/"+subs[j], nil)
			subs = append(subs[:j], subs[j+1:]...)
		case k < 9 && len(charges) > 0:
			j := rng.IntN(len(charges))
			e.mustPost("POST", "/v1/refunds", url.Values{"charge": {charges[j]}, "amount": {"100"}})
			charges = append(charges[:j], charges[j+1:]...)
		default:
			id := custs[rng.IntN(len(custs))]
			if deleted[id] {
				continue
			}
			deleted[id] = true
			e.mustPost("DELETE", "/v1/customers/"+id, nil)
		}
	}
}

func TestSandboxIncrementalAfterWrites(t *testing.T) {
	e := newEnv(t, envOpts{customers: 200, seed: 12})
	s := e.syncer(nil)
	if _, err := s.Sync(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(10 * time.Minute)
	e.changes(150, 1)
	e.clock.Add(2 * time.Minute) // past the 60 s lag
	before := e.client.Stats().Requests
	res, err := s.Sync(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != syncer.ModeIncremental || res.Events == 0 {
		t.Fatalf("%+v", res)
	}
	e.assertExact()
	t.Logf("incremental: %d events, %d requests", res.Events, e.client.Stats().Requests-before)
	// deleted customers are marked deleted, not dropped
	rep, err := s.Verify(context.Background(), false)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep.Drift)
	}
}

func TestSandboxFaults(t *testing.T) {
	e := newEnv(t, envOpts{customers: 400, seed: 13,
		sandbox: sandbox.Options{FaultRate: 0.3, TimeoutDelay: 2 * time.Second},
		client:  stripeapi.Options{Timeout: 300 * time.Millisecond, MaxRetries: 15}})
	// small pages: many requests, so hundreds of faults
	res, err := e.syncer(func(o *syncer.Options) { o.PageLimit = 10 }).Sync(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	st := e.srv.Stats()
	if st.Faults < 100 {
		t.Fatalf("only %d faults injected", st.Faults)
	}
	e.assertExact()
	t.Logf("%d faults injected over %d requests; client retried %d", st.Faults, st.Requests, res.Retries)
}

// rangeGuard wraps the source and counts list calls into ranges the store
// has already finished.
type rangeGuard struct {
	syncer.Source
	db      *store.DB
	refetch atomic.Int64
	calls   atomic.Int64
	hook    func(n int64) error
}

func (g *rangeGuard) ListPage(ctx context.Context, typ backend.ObjectType, gte, lt int64, after string, limit int) (syncer.Page, error) {
	n := g.calls.Add(1)
	if g.hook != nil {
		if err := g.hook(n); err != nil {
			return syncer.Page{}, err
		}
	}
	rs, err := g.db.Ranges(ctx, typ)
	if err == nil {
		for _, r := range rs {
			if r.Done && gte >= r.Gte && lt <= r.Lt {
				g.refetch.Add(1)
			}
		}
	}
	return g.Source.ListPage(ctx, typ, gte, lt, after, limit)
}

func TestSandboxResumeAfterCancel(t *testing.T) {
	e := newEnv(t, envOpts{customers: 400, seed: 14})
	g := &rangeGuard{Source: e.client, db: e.db}
	s := e.syncer(func(o *syncer.Options) { o.Source = g })
	rng := rand.New(rand.NewPCG(5, 6))
	runs := 0
	for {
		runs++
		if runs > 100 {
			t.Fatal("never finished")
		}
		ctx, cancel := context.WithCancel(context.Background())
		stop := g.calls.Load() + 1 + int64(rng.IntN(30))
		g.hook = func(n int64) error {
			if n == stop {
				// cancel mid-flight: other workers are inside requests or commits
				time.AfterFunc(time.Duration(rng.IntN(3))*time.Millisecond, cancel)
			}
			return nil
		}
		_, err := s.Sync(ctx, false)
		cancel()
		if err == nil {
			break
		}
		if !errors.Is(err, context.Canceled) && backend.ErrorCode(err) != backend.ECANCELED {
			t.Fatalf("run %d: %v", runs, err)
		}
	}
	if runs < 4 {
		t.Fatalf("only %d runs", runs)
	}
	e.assertExact()
	if n := g.refetch.Load(); n != 0 {
		t.Fatalf("%d list calls into finished ranges", n)
	}
	t.Logf("finished after %d runs, %d list calls", runs, g.calls.Load())
}

func TestSandboxReadsDuringSyncNeverLocked(t *testing.T) {
	e := newEnv(t, envOpts{customers: 200, seed: 15})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var reads atomic.Int64
	errs := make(chan error, 4)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := e.db.Counts(ctx); err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
				if _, err := e.db.Hashes(ctx, backend.TypeInvoices, 0, 1<<62); err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
				reads.Add(1)
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	_, err := e.syncer(nil).Sync(context.Background(), false)
	cancel()
	wg.Wait()
	close(errs)
	if err != nil {
		t.Fatal(err)
	}
	for err := range errs {
		t.Fatalf("read during sync: %v", err)
	}
	if reads.Load() == 0 {
		t.Fatal("no read ran")
	}
	e.assertExact()
}

func TestSandboxBadKeys(t *testing.T) {
	data, err := sandbox.Generate(sandbox.GenOptions{Seed: 1, Customers: 20})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sandbox.NewServer(data, sandbox.Options{RestrictedKeys: map[string][]string{
		"rk_test_nocharges0000000001": {"customers:read", "products:read", "prices:read", "coupons:read", "subscriptions:read", "invoices:read", "refunds:read", "events:read"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	run := func(key string) error {
		k, err := backend.ParseAPIKey(key)
		if err != nil {
			t.Fatal(err)
		}
		c, err := stripeapi.New(stripeapi.Options{Key: k, BaseURL: hs.URL, Limits: stripeapi.Limits{Unlimited: true}})
		if err != nil {
			return err
		}
		db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		s, _ := syncer.New(syncer.Options{Source: c, Store: db, Start: data.Account.Created, Now: func() time.Time { return data.Now.Add(time.Hour) }})
		_, err = s.Sync(context.Background(), false)
		return err
	}
	err = run("sk_test_revoked0000000000001")
	if backend.ErrorCode(err) != backend.EUNAUTHORIZED || !strings.Contains(backend.ErrorMessage(err), "revoked") {
		t.Fatalf("revoked key: %v", err)
	}
	err = run("rk_test_nocharges0000000001")
	if backend.ErrorCode(err) != backend.EFORBIDDEN || !strings.Contains(backend.ErrorMessage(err), "charges") {
		t.Fatalf("restricted key: %v", err)
	}
	t.Logf("revoked: %s", backend.ErrorMessage(run("sk_test_revoked0000000000001")))
	t.Logf("restricted: %s", backend.ErrorMessage(err))
}
