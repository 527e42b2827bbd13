package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"billfold/backend"
)

const (
	tStart int64 = 1420070400 // 2015-01-01
	tNow   int64 = 1764000000 // 2025-11-24
)

type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time { return time.Unix(c.t.Load(), 0) }

func newEnv(t *testing.T, n int, types []backend.ObjectType) (*fakeSource, *fakeStore, *clock) {
	t.Helper()
	src := newFakeSource(tNow)
	st := newFakeStore()
	src.store = st
	business(src, types, n, tStart, tNow, 7)
	c := &clock{}
	c.t.Store(tNow)
	return src, st, c
}

func newSyncer(t *testing.T, src Source, st Store, c *clock, types []backend.ObjectType, mod func(*Options)) *Syncer {
	t.Helper()
	o := Options{Source: src, Store: st, Types: types, Start: tStart, Workers: 8, Now: c.now}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// assertExact checks the store holds exactly the source's objects, byte for
// byte, and that deleted customers are marked deleted.
func assertExact(t *testing.T, src *fakeSource, st *fakeStore, types []backend.ObjectType) {
	t.Helper()
	src.mu.Lock()
	defer src.mu.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, ty := range types {
		live := 0
		for _, o := range src.data[ty] {
			got, ok := st.objs[objKey{ty, o.ID}]
			if !ok {
				t.Fatalf("%s %s missing from the store", ty, o.ID)
			}
			if got.Deleted || string(got.Raw) != string(o.Raw) {
				t.Fatalf("%s %s differs: got %s deleted=%v want %s", ty, o.ID, got.Raw, got.Deleted, o.Raw)
			}
		}
		for k, o := range st.objs {
			if k.t == ty && !o.Deleted {
				live++
			}
		}
		if live != len(src.data[ty]) {
			t.Fatalf("%s: store holds %d live objects, source %d", ty, live, len(src.data[ty]))
		}
	}
	for id := range src.deleted {
		if o, ok := st.objs[objKey{backend.TypeCustomers, id}]; ok && !o.Deleted {
			t.Fatalf("deleted customer %s not marked deleted", id)
		}
	}
}

func TestBackfillExact(t *testing.T) {
	types := backend.SyncedTypes
	src, st, c := newEnv(t, 1500, types)
	var reports []Progress
	var mu sync.Mutex
	s := newSyncer(t, src, st, c, types, func(o *Options) {
		o.Progress = func(p Progress) { mu.Lock(); reports = append(reports, p); mu.Unlock() }
	})
	res, err := s.Sync(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != ModeFull {
		t.Fatalf("mode %s, want full", res.Mode)
	}
	assertExact(t, src, st, types)
	nranges := 0
	for _, ty := range types {
		if got := res.Objects[ty]; got != 1750 {
			t.Errorf("%s: result counts %d objects, want 1750", ty, got)
		}
		rs, _ := st.Ranges(context.Background(), ty)
		if err := CheckCoverage(ty, rs, tStart, tNow); err != nil {
			t.Fatal(err)
		}
		nranges += len(rs)
	}
	if nranges <= len(types) {
		t.Errorf("%d ranges for %d types: dense ranges were never split", nranges, len(types))
	}
	if src.refetch != 0 {
		t.Fatalf("%d list calls went into finished ranges", src.refetch)
	}
	if st.cursor != tNow {
		t.Fatalf("events cursor %d, want the backfill's end %d", st.cursor, tNow)
	}
	mu.Lock()
	last := reports[len(reports)-1]
	mu.Unlock()
	if last.State != "done" || last.Objects != int64(1750*len(types)) {
		t.Fatalf("final report %+v", last)
	}
	// a second sync is incremental and lists nothing
	calls := src.calls
	res, err = s.Sync(context.Background(), false)
	if err != nil || res.Mode != ModeIncremental || src.calls != calls {
		t.Fatalf("second sync: mode %s err %v, %d new list calls", res.Mode, err, src.calls-calls)
	}
}

// A single dense second is paginated with the cursor, never split.
func TestBackfillOneDenseSecond(t *testing.T) {
	types := []backend.ObjectType{backend.TypeInvoices}
	src := newFakeSource(tNow)
	st := newFakeStore()
	for i := 0; i < 1234; i++ {
		id := fmt.Sprintf("in_%05d", i)
		src.put(backend.RawObject{Type: backend.TypeInvoices, ID: id, Created: tNow - 5, Raw: rawJSON(backend.TypeInvoices, id, tNow-5, "x")})
	}
	c := &clock{}
	c.t.Store(tNow)
	s := newSyncer(t, src, st, c, types, nil)
	if _, err := s.Sync(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	assertExact(t, src, st, types)
	rs, _ := st.Ranges(context.Background(), backend.TypeInvoices)
	for _, r := range rs {
		if r.Gte <= tNow-5 && tNow-5 < r.Lt && r.Count != 1234 {
			t.Fatalf("the dense second's range holds %d objects", r.Count)
		}
	}
}

func TestResumeAfterCancelAtRandomPoints(t *testing.T) {
	types := backend.SyncedTypes
	src, st, c := newEnv(t, 800, types)
	rng := rand.New(rand.NewPCG(3, 4))
	s := newSyncer(t, src, st, c, types, nil)
	runs := 0
	for {
		runs++
		if runs > 200 {
			t.Fatal("sync never finished")
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopAt := src.calls + 1 + rng.IntN(25)
		src.mu.Lock()
		src.onList = func(n int) error {
			if n >= stopAt {
				cancel()
				return ctx.Err()
			}
			return nil
		}
		src.mu.Unlock()
		_, err := s.Sync(ctx, false)
		cancel()
		if err == nil {
			break
		}
		if !errors.Is(err, context.Canceled) && backend.ErrorCode(err) != backend.ECANCELED {
			t.Fatalf("run %d: %v", runs, err)
		}
	}
	if runs < 5 {
		t.Fatalf("only %d runs: the test did not interrupt enough", runs)
	}
	assertExact(t, src, st, types)
	if src.refetch != 0 {
		t.Fatalf("%d list calls went into finished ranges after resumes", src.refetch)
	}
	for _, ty := range types {
		rs, _ := st.Ranges(context.Background(), ty)
		var n int64
		for _, r := range rs {
			n += r.Count
		}
		if n != 1050 {
			t.Errorf("%s: ranges count %d objects, want 1050 (each fetched once)", ty, n)
		}
	}
}

func TestResumeAfterStoreFailures(t *testing.T) {
	types := []backend.ObjectType{backend.TypeCustomers, backend.TypeInvoices}
	src, st, c := newEnv(t, 3000, types)
	s := newSyncer(t, src, st, c, types, nil)
	rng := rand.New(rand.NewPCG(9, 9))
	fails := 0
	st.failSave = func(n int) error {
		if rng.IntN(15) == 0 {
			fails++
			return backend.Errorf(backend.EDISK, "disk full")
		}
		return nil
	}
	for i := 0; ; i++ {
		if i > 300 {
			t.Fatal("never finished")
		}
		_, err := s.Sync(context.Background(), false)
		if err == nil {
			break
		}
		if backend.ErrorCode(err) != backend.EDISK {
			t.Fatal(err)
		}
	}
	if fails == 0 {
		t.Fatal("no failure injected")
	}
	assertExact(t, src, st, types)
	if src.refetch != 0 {
		t.Fatalf("%d refetches of finished ranges", src.refetch)
	}
}

func ev(id, typ string, created int64, obj json.RawMessage, apiVersion string) backend.Event {
	return backend.Event{ID: id, Object: "event", Type: typ, Created: created, APIVersion: apiVersion, Data: backend.EventData{Object: obj}}
}

func TestIncremental(t *testing.T) {
	types := []backend.ObjectType{backend.TypeCustomers, backend.TypeProducts, backend.TypeSubscriptions}
	src, st, c := newEnv(t, 300, types)
	s := newSyncer(t, src, st, c, types, nil)
	if _, err := s.Sync(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	v := backend.StripeAPIVersion
	at := tNow + 100
	var events []backend.Event
	get := func(ty backend.ObjectType, i int) backend.RawObject { return src.data[ty][i] }
	// 1. plain updates: the payload is trusted
	for i := 0; i < 20; i++ {
		o := get(backend.TypeCustomers, i)
		o.Raw = rawJSON(o.Type, o.ID, o.Created, "v2")
		src.put(o)
		events = append(events, ev(fmt.Sprintf("evt_u%02d", i), "customer.updated", at+int64(i), o.Raw, v))
	}
	// 2. two events in one second: the payloads may be in either order, re-fetch
	o := get(backend.TypeCustomers, 50)
	stale := rawJSON(o.Type, o.ID, o.Created, "stale")
	o.Raw = rawJSON(o.Type, o.ID, o.Created, "v3")
	src.put(o)
	events = append(events, ev("evt_s2", "customer.updated", at+30, stale, v), ev("evt_s1", "customer.updated", at+30, o.Raw, v))
	// 3. an event rendered in another API version: re-fetch
	o = get(backend.TypeCustomers, 60)
	o.Raw = rawJSON(o.Type, o.ID, o.Created, "v4")
	src.put(o)
	events = append(events, ev("evt_old", "customer.updated", at+31, rawJSON(o.Type, o.ID, o.Created, "old-shape"), "2020-08-27"))
	// 4. a customer deleted
	o = get(backend.TypeCustomers, 70)
	src.remove(backend.TypeCustomers, o.ID)
	events = append(events, ev("evt_del", "customer.deleted", at+32, o.Raw, v))
	// 5. a product deleted: tombstone
	p := get(backend.TypeProducts, 3)
	src.remove(backend.TypeProducts, p.ID)
	events = append(events, ev("evt_pdel", "product.deleted", at+33, p.Raw, v))
	// 6. subscription cancelled (customer.subscription.deleted): status canceled
	sub := get(backend.TypeSubscriptions, 5)
	sub.Raw = rawJSON(sub.Type, sub.ID, sub.Created, "canceled")
	src.put(sub)
	events = append(events, ev("evt_sdel", "customer.subscription.deleted", at+34, sub.Raw, v))
	// 7. a new customer, created and then updated
	nc := backend.RawObject{Type: backend.TypeCustomers, ID: "cus_new", Created: at + 40, Raw: rawJSON(backend.TypeCustomers, "cus_new", at+40, "v1")}
	events = append(events, ev("evt_c1", "customer.created", at+40, nc.Raw, v))
	nc.Raw = rawJSON(backend.TypeCustomers, "cus_new", at+40, "v2")
	src.put(nc)
	events = append(events, ev("evt_c2", "customer.updated", at+41, nc.Raw, v))
	// 8. an old event already applied by the backfill (before the cursor overlap): ignored by the guard
	oldc := get(backend.TypeCustomers, 80)
	events = append(events, ev("evt_prev", "customer.updated", tNow-10, rawJSON(oldc.Type, oldc.ID, oldc.Created, "older"), v))
	// 9. an event too recent (inside the 60 s lag) waits for the next sync
	lateC := get(backend.TypeCustomers, 90)
	lateRaw := rawJSON(lateC.Type, lateC.ID, lateC.Created, "late")
	events = append(events, ev("evt_late", "customer.updated", at+1000-30, lateRaw, v))

	src.mu.Lock()
	src.events = events
	src.stamp = at + 1000
	src.mu.Unlock()
	c.t.Store(at + 1000)
	retrieves := src.retrieve
	res, err := s.Sync(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != ModeIncremental {
		t.Fatalf("mode %s", res.Mode)
	}
	if got := src.retrieve - retrieves; got != 2 {
		t.Errorf("%d retrieves, want 2 (same-second and old API version)", got)
	}
	assertExact(t, src, st, types)
	st.mu.Lock()
	if pd := st.objs[objKey{backend.TypeProducts, p.ID}]; !pd.Deleted {
		t.Errorf("deleted product not a tombstone")
	}
	if st.cursor != at+1000-60 {
		t.Errorf("cursor %d, want now-60", st.cursor)
	}
	if len(st.events) != len(events)-1 {
		t.Errorf("%d events stored, want %d", len(st.events), len(events)-1)
	}
	st.mu.Unlock()
	// the late event arrives with the next sync
	lateC.Raw = lateRaw
	src.put(lateC)
	c.t.Store(at + 2000)
	if _, err := s.Sync(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	assertExact(t, src, st, types)
}

func TestReconcileWhenCursorTooOld(t *testing.T) {
	types := []backend.ObjectType{backend.TypeCustomers}
	src, st, c := newEnv(t, 200, types)
	s := newSyncer(t, src, st, c, types, nil)
	if _, err := s.Sync(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	// 40 days pass; the events of that time are gone, the data changed
	later := tNow + 40*86400
	o := src.data[backend.TypeCustomers][0]
	o.Raw = rawJSON(o.Type, o.ID, o.Created, "changed")
	src.put(o)
	nc := backend.RawObject{Type: backend.TypeCustomers, ID: "cus_late", Created: later - 86400, Raw: rawJSON(backend.TypeCustomers, "cus_late", later-86400, "v1")}
	src.put(nc)
	// deleted while no events were kept: only a complete re-list can tell
	gone := src.data[backend.TypeCustomers][7].ID
	src.remove(backend.TypeCustomers, gone)
	src.mu.Lock()
	src.stamp = later
	src.mu.Unlock()
	c.t.Store(later)
	res, err := s.Sync(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Reconciled || res.Mode != ModeFull {
		t.Fatalf("want a reconcile, got %+v", res)
	}
	assertExact(t, src, st, types)
	if o := st.objs[objKey{backend.TypeCustomers, gone}]; !o.Deleted {
		t.Fatalf("customer deleted during the gap still live: %+v", o)
	}
	if st.cursor != later {
		t.Fatalf("cursor %d", st.cursor)
	}
}

func TestVerifyFindsAndRepairsDrift(t *testing.T) {
	types := []backend.ObjectType{backend.TypeCustomers, backend.TypeInvoices}
	src, st, c := newEnv(t, 500, types)
	s := newSyncer(t, src, st, c, types, nil)
	if _, err := s.Sync(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify(context.Background(), false)
	if err != nil || !rep.OK() {
		t.Fatalf("fresh cache drifts: %v %+v", err, rep.Drift)
	}
	if rep.Types[backend.TypeCustomers].Remote != 750 || rep.Types[backend.TypeCustomers].Local != 750 {
		t.Fatalf("counts %+v", rep.Types)
	}
	// tamper: one missing, one different, one extra
	inv := src.data[backend.TypeInvoices]
	st.mu.Lock()
	delete(st.objs, objKey{backend.TypeInvoices, inv[10].ID})
	d := st.objs[objKey{backend.TypeInvoices, inv[20].ID}]
	d.Raw = rawJSON(d.Type, d.ID, d.Created, "tampered")
	st.objs[objKey{backend.TypeInvoices, inv[20].ID}] = d
	st.objs[objKey{backend.TypeInvoices, "in_ghost"}] = backend.RawObject{Type: backend.TypeInvoices, ID: "in_ghost", Created: inv[30].Created, Raw: rawJSON(backend.TypeInvoices, "in_ghost", inv[30].Created, "x")}
	st.mu.Unlock()
	rep, err = s.Verify(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	var missing, diff, extra []string
	for _, d := range rep.Drift {
		if d.Type != backend.TypeInvoices {
			t.Fatalf("drift in %s", d.Type)
		}
		missing = append(missing, d.Missing...)
		diff = append(diff, d.Different...)
		extra = append(extra, d.Extra...)
	}
	if fmt.Sprint(missing) != fmt.Sprint([]string{inv[10].ID}) || fmt.Sprint(diff) != fmt.Sprint([]string{inv[20].ID}) || fmt.Sprint(extra) != "[in_ghost]" {
		t.Fatalf("drift named wrong: missing %v different %v extra %v", missing, diff, extra)
	}
	rep, err = s.Verify(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Repaired != 3 {
		t.Fatalf("after repair: %+v repaired %d", rep.Drift, rep.Repaired)
	}
	assertExact(t, src, st, types)
}

func TestCheckCoverage(t *testing.T) {
	r := func(gte, lt int64, done bool) backend.SyncRange {
		return backend.SyncRange{Gte: gte, Lt: lt, Done: done}
	}
	tests := []struct {
		name   string
		ranges []backend.SyncRange
		ok     bool
	}{
		{"exact", []backend.SyncRange{r(0, 5, true), r(5, 10, true)}, true},
		{"unsorted", []backend.SyncRange{r(5, 10, true), r(0, 5, true)}, true},
		{"gap", []backend.SyncRange{r(0, 4, true), r(5, 10, true)}, false},
		{"overlap", []backend.SyncRange{r(0, 6, true), r(5, 10, true)}, false},
		{"short", []backend.SyncRange{r(0, 5, true), r(5, 9, true)}, false},
		{"late start", []backend.SyncRange{r(1, 10, true)}, false},
		{"unfinished", []backend.SyncRange{r(0, 5, true), r(5, 10, false)}, false},
		{"empty range", []backend.SyncRange{r(0, 5, true), r(5, 5, true), r(5, 10, true)}, false},
		{"none", nil, false},
	}
	for _, tc := range tests {
		err := CheckCoverage(backend.TypeCustomers, tc.ranges, 0, 10)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
		}
		if err != nil && backend.ErrorCode(err) != backend.ECORRUPT {
			t.Errorf("%s: code %s", tc.name, backend.ErrorCode(err))
		}
	}
}

// A failing source fails the sync with its error and a final "failed" report.
func TestFailureReported(t *testing.T) {
	types := []backend.ObjectType{backend.TypeCustomers}
	src, st, c := newEnv(t, 300, types)
	src.onList = func(n int) error {
		if n == 3 {
			return backend.Errorf(backend.EUNAUTHORIZED, "key revoked")
		}
		return nil
	}
	var last Progress
	s := newSyncer(t, src, st, c, types, func(o *Options) { o.Progress = func(p Progress) { last = p } })
	_, err := s.Sync(context.Background(), false)
	if backend.ErrorCode(err) != backend.EUNAUTHORIZED {
		t.Fatalf("err %v", err)
	}
	if last.State != "failed" || last.ErrorCode != backend.EUNAUTHORIZED {
		t.Fatalf("final report %+v", last)
	}
}
