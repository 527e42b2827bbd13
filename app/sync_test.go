package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"billfold/backend"
	"billfold/backend/sandbox"
	"billfold/backend/store"
	"billfold/backend/stripeapi"
	"billfold/backend/syncer"
	"billfold/backend/vault"
	"billfold/backend/workspace"
)

const syncTestKey = "sk_test_billfoldsyncservice0001"

// syncAccounts is a registry of one account whose key is given (the
// keyring is vault's business; here the key is the sandbox's).
type syncAccounts struct {
	home  string
	accts []vault.Account
}

func (f *syncAccounts) List(context.Context) ([]vault.Account, error) { return f.accts, nil }
func (f *syncAccounts) Home() string                                  { return f.home }
func (f *syncAccounts) Key(context.Context, string) (backend.APIKey, error) {
	return backend.ParseAPIKey(syncTestKey)
}

// timedEmitter records events with the time they were sent.
type timedEmitter struct {
	mu     sync.Mutex
	events []timedEvent
	notify chan SyncDetailDTO
}

type timedEvent struct {
	at     time.Time
	name   string
	detail SyncDetailDTO
}

func (e *timedEmitter) Emit(name string, payload any) {
	if name != EventSyncProgress {
		return
	}
	d := payload.(SyncDetailDTO)
	e.mu.Lock()
	e.events = append(e.events, timedEvent{time.Now(), name, d})
	e.mu.Unlock()
	select {
	case e.notify <- d:
	default:
	}
}

func (e *timedEmitter) all() []timedEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]timedEvent(nil), e.events...)
}

type syncEnv struct {
	svc      *SyncService
	em       *timedEmitter
	data     *sandbox.Data
	acc      *syncAccounts
	reject   atomic.Bool // the server answers 401 to everything
	requests atomic.Int64
}

func newSyncEnv(t *testing.T, customers int, latency time.Duration, mod func(*SyncOptions)) *syncEnv {
	t.Helper()
	home := t.TempDir()
	t.Setenv("BILLFOLD_HOME", home)
	data, err := sandbox.Generate(sandbox.GenOptions{Seed: 7, Customers: customers})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.NewServer(data, sandbox.Options{Seed: 8, Latency: latency})
	if err != nil {
		t.Fatal(err)
	}
	e := &syncEnv{data: data, em: &timedEmitter{notify: make(chan SyncDetailDTO, 1)}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		if e.reject.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Request-Id", "req_test401")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"type":"authentication_error","code":"api_key_expired","message":"Expired API Key provided"}}`))
			return
		}
		sb.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	e.acc = &syncAccounts{home: home, accts: []vault.Account{{ID: data.Account.ID + ":test", AccountID: data.Account.ID,
		Mode: backend.ModeTest, APIBase: hs.URL, Label: "Sandbox"}}}
	o := SyncOptions{Accounts: e.acc, Current: func() (string, error) {
		if len(e.acc.accts) == 0 {
			return "", nil
		}
		return e.acc.accts[0].ID, nil
	}, Emitter: e.em}
	if mod != nil {
		mod(&o)
	}
	e.svc = NewSyncService(o)
	t.Cleanup(e.svc.stopScheduler)
	return e
}

// final waits for the run to end and returns the last event.
func (e *syncEnv) final(t *testing.T) SyncDetailDTO {
	t.Helper()
	e.svc.wait()
	ev := e.em.all()
	if len(ev) == 0 {
		t.Fatal("no events")
	}
	return ev[len(ev)-1].detail
}

// verifyExact re-lists the sandbox and compares with the cache: no drift.
func (e *syncEnv) verifyExact(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	tg, err := workspace.Open(ctx, e.acc, e.acc.accts[0], workspace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	sy, err := syncer.New(syncer.Options{Source: tg.Client, Store: tg.DB, Start: tg.Created})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := sy.Verify(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Drift) != 0 {
		t.Fatalf("the cache differs from the sandbox: %+v", rep.Drift)
	}
	counts, err := tg.DB.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[backend.TypeCustomers] == 0 {
		t.Fatal("no customers in the cache")
	}
}

func TestSyncServiceRunsThrottledToDone(t *testing.T) {
	e := newSyncEnv(t, 80, 15*time.Millisecond, nil)
	d, err := e.svc.Start(false)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != SyncRunning || d.Progress == nil || d.Progress.Trigger != "manual" {
		t.Fatalf("Start = %+v", d)
	}
	if _, err := e.svc.Start(false); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("second Start: %v, want ECONFLICT", err)
	}
	last := e.final(t)
	if last.State != SyncDone || last.Last == nil || last.Last.Total == 0 || last.Last.Mode != "full" || last.DataAsOf == "" {
		t.Fatalf("final event = %+v", last)
	}
	if last.Progress.Percent != 100 || last.Progress.Requests == 0 {
		t.Fatalf("final progress = %+v", last.Progress)
	}
	// throttled: besides the forced ones (start, final), no two events
	// closer than ProgressEvery; and their number is bounded by the run's length
	ev := e.em.all()
	var running []timedEvent
	for _, x := range ev {
		if x.detail.State == SyncRunning && x.detail.Progress != nil && x.detail.Progress.Phase != "connect" {
			running = append(running, x)
		}
	}
	if len(running) == 0 {
		t.Fatal("no progress event during the run")
	}
	for i := 1; i < len(running); i++ {
		if gap := running[i].at.Sub(running[i-1].at); gap < 90*time.Millisecond { // the throttle measures before Emit, this after
			t.Fatalf("progress events %d and %d are %v apart", i-1, i, gap)
		}
	}
	span := ev[len(ev)-1].at.Sub(ev[0].at)
	if max := int(span/(100*time.Millisecond)) + 3; len(ev) > max {
		t.Fatalf("%d events over %v: more than %d", len(ev), span, max)
	}
	t.Logf("%d events over %v (%d progress), %d requests", len(ev), span, len(running), last.Progress.Requests)
	var sawTypes bool
	for _, x := range running {
		for _, ty := range x.detail.Progress.Types {
			if ty.Type == string(backend.TypeCustomers) && ty.Done > 0 {
				sawTypes = true
			}
		}
	}
	if !sawTypes {
		t.Fatal("no per-type progress for customers")
	}
	e.verifyExact(t)

	// a second Start is incremental and records its summary
	if _, err := e.svc.Start(false); err != nil {
		t.Fatal(err)
	}
	if last = e.final(t); last.State != SyncDone || last.Last.Mode != "incremental" {
		t.Fatalf("incremental = %+v / %+v", last, last.Last)
	}
	if st := e.svc.Status(); st.State != SyncIdle || st.LastSyncAt == "" {
		t.Fatalf("status line = %+v", st)
	}
}

func TestSyncServiceUnauthorizedStopsScheduler(t *testing.T) {
	afters := make(chan chan time.Time, 16)
	e := newSyncEnv(t, 20, 0, func(o *SyncOptions) {
		o.After = func(time.Duration) <-chan time.Time { c := make(chan time.Time, 1); afters <- c; return c }
	})
	e.reject.Store(true)
	if _, err := e.svc.Start(false); err != nil {
		t.Fatal(err)
	}
	last := e.final(t)
	if last.State != SyncFailed || last.LastError == nil || last.LastError.Code != backend.EUNAUTHORIZED || !last.NeedsKey ||
		last.LastError.RequestID != "req_test401" {
		t.Fatalf("final = %+v err %+v", last, last.LastError)
	}
	if st := e.svc.Status(); st.State != SyncFailed || st.LastError == nil {
		t.Fatalf("status line = %+v", st)
	}
	// the scheduler plans nothing while the key is rejected
	e.svc.startScheduler(context.Background())
	select {
	case <-afters:
		t.Fatal("the scheduler planned a sync with a rejected key")
	case <-time.After(300 * time.Millisecond):
	}
	if d, _ := e.svc.Detail(); d.NextRunAt != "" {
		t.Fatalf("next run %q with a rejected key", d.NextRunAt)
	}
	// a replaced key plans again
	e.reject.Store(false)
	e.svc.keyReplaced()
	select {
	case c := <-afters:
		c <- time.Now()
	case <-time.After(10 * time.Second):
		t.Fatal("no sync planned after the key was replaced")
	}
	waitState(t, e, SyncDone)
}

func waitState(t *testing.T, e *syncEnv, want string) SyncDetailDTO {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		e.svc.wait()
		d, err := e.svc.Detail()
		if err != nil {
			t.Fatal(err)
		}
		if d.State == want {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	d, _ := e.svc.Detail()
	t.Fatalf("state %q, want %q (%+v)", d.State, want, d.LastError)
	return d
}

func TestSyncServiceCancelResumes(t *testing.T) {
	e := newSyncEnv(t, 120, 20*time.Millisecond, nil)
	if _, err := e.svc.Start(true); err != nil {
		t.Fatal(err)
	}
	// wait until objects were stored, then cancel
	for d := range e.em.notify {
		if d.Progress != nil && d.Progress.Objects > 0 {
			break
		}
	}
	t0 := time.Now()
	if d := e.svc.Cancel(); d.State != SyncCancelling {
		t.Fatalf("Cancel = %s", d.State)
	}
	last := e.final(t)
	lat := time.Since(t0)
	if last.State != SyncCancelled || last.LastError != nil {
		t.Fatalf("final = %+v", last)
	}
	t.Logf("cancel latency %v", lat)
	// what was saved stays: the ranges are partly done
	db, err := store.Open(context.Background(), mustPath(t, e), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := db.Ranges(context.Background(), backend.TypeCustomers)
	db.Close()
	if len(rs) == 0 {
		t.Fatal("no ranges saved before the cancel")
	}
	before := e.requests.Load()
	if _, err := e.svc.Start(false); err != nil {
		t.Fatal(err)
	}
	if last = e.final(t); last.State != SyncDone || last.Last.Mode != "full" {
		t.Fatalf("resumed = %+v", last)
	}
	t.Logf("resume: %d requests", e.requests.Load()-before)
	e.verifyExact(t)
}

func mustPath(t *testing.T, e *syncEnv) string {
	p, err := store.Path(e.acc.home, e.acc.accts[0].AccountID, backend.ModeTest)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSyncSchedulerNeverOverlaps(t *testing.T) {
	afters := make(chan chan time.Time, 16)
	gate := make(chan struct{})
	var opened, active, maxActive atomic.Int64
	var e *syncEnv
	e = newSyncEnv(t, 20, 0, func(o *SyncOptions) {
		o.After = func(time.Duration) <-chan time.Time { c := make(chan time.Time, 1); afters <- c; return c }
		o.Open = func(ctx context.Context, a vault.Account, gentle bool) (*workspace.Target, error) {
			n := active.Add(1)
			defer active.Add(-1)
			for m := maxActive.Load(); n > m && !maxActive.CompareAndSwap(m, n); m = maxActive.Load() {
			}
			opened.Add(1)
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return workspace.Open(ctx, e.acc, a, workspace.Options{})
		}
	})
	next := func() chan time.Time {
		var c chan time.Time
		select {
		case c = <-afters:
		case <-time.After(10 * time.Second):
			t.Fatal("the scheduler planned no sync")
		}
		for { // the latest plan is the one the scheduler waits on
			select {
			case c = <-afters:
				continue
			case <-time.After(200 * time.Millisecond):
			}
			return c
		}
	}
	e.svc.startScheduler(context.Background())
	first := next()
	// a manual sync holds the slot; the old timer fires meanwhile
	if _, err := e.svc.Start(false); err != nil {
		t.Fatal(err)
	}
	first <- time.Now()
	if _, err := e.svc.Start(true); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Fatalf("Start during a sync: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // let a wrongly started scheduled sync show itself
	if n := opened.Load(); n != 1 {
		t.Fatalf("%d syncs opened while one ran", n)
	}
	close(gate)
	waitState(t, e, SyncDone)
	// the next planned sync is a scheduled incremental one
	next() <- time.Now()
	for opened.Load() < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	d := waitState(t, e, SyncDone)
	if d.Progress == nil || d.Progress.Trigger != "scheduled" || d.Last == nil || d.Last.Mode != "incremental" {
		t.Fatalf("scheduled run = %+v / %+v", d.Progress, d.Last)
	}
	if m := maxActive.Load(); m != 1 {
		t.Fatalf("%d syncs at once", m)
	}
	if d.NextRunAt == "" || d.IntervalMinutes != 15 {
		t.Fatalf("next run %q interval %d", d.NextRunAt, d.IntervalMinutes)
	}
}

func TestSyncServiceDemoAndNoAccount(t *testing.T) {
	e := newSyncEnv(t, 5, 0, nil)
	e.acc.accts[0].Demo = true
	if _, err := e.svc.Start(false); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("demo Start: %v", err)
	}
	if d, _ := e.svc.Detail(); !d.Demo || d.NextRunAt != "" {
		t.Fatalf("demo detail = %+v", d)
	}
	e.acc.accts = nil
	if _, err := e.svc.Start(false); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("no account Start: %v", err)
	}
	// the read-only service of New
	s := New(Options{})
	if _, err := s.Sync.Start(false); backend.ErrorCode(err) != backend.EUNAVAILABLE {
		t.Fatalf("read-only Start: %v", err)
	}
	_ = stripeapi.StripeBaseURL
}
