package syncer

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"billfold/backend"
)

// rstate is one range as the scheduler tracks it.
type rstate struct {
	r      backend.SyncRange
	active bool
	// oldest is the created time of the oldest object fetched from this
	// range in this run (0 when unknown); the range's objects still to
	// fetch all have created in [r.Gte, oldest].
	oldest int64
	reset  bool // cursor already restarted once
}

// typeState holds one type's ranges. writeMu serialises store writes
// (SavePage, ReplaceRanges) so a replace never carries a stale cursor;
// stateMu guards the in-memory fields for readers (estimates).
type typeState struct {
	typ     backend.ObjectType
	writeMu *sync.Mutex // shared by all types: one writer, as SQLite has
	stateMu sync.Mutex
	ranges  []*rstate
	active  int // workers on this type (sched.mu)
	start   int64
	end     int64
}

// sched hands ranges to workers: the type with the fewest workers first,
// so the per-endpoint limits of all types are used at once.
type sched struct {
	// seen collects the ids listed per type when a re-list must also find
	// what Stripe no longer has (nil otherwise)
	seenMu sync.Mutex
	seen   map[backend.ObjectType]map[string]bool

	mu      sync.Mutex
	cond    *sync.Cond
	types   []*typeState
	active  int
	idle    int
	err     error
	workers int
}

// backfill lists every type over its saved ranges (planning them when there
// are none, or when replan) and returns the earliest end of the timelines.
func (s *Syncer) backfill(ctx context.Context, run *run, replan bool) (int64, error) {
	run.setPhase("backfill")
	now := s.o.Now().Unix()
	sc := &sched{workers: s.o.Workers}
	if replan {
		sc.seen = map[backend.ObjectType]map[string]bool{}
		for _, t := range s.o.Types {
			sc.seen[t] = map[string]bool{}
		}
	}
	sc.cond = sync.NewCond(&sc.mu)
	end := int64(-1)
	writeMu := &sync.Mutex{}
	for _, t := range s.o.Types {
		rs, err := s.o.Store.Ranges(ctx, t)
		if err != nil {
			return 0, fmt.Errorf("read %s ranges: %w", t, err)
		}
		if len(rs) == 0 || replan {
			rs = s.plan(t, now)
			if err := s.o.Store.ReplaceRanges(ctx, t, rs); err != nil {
				return 0, fmt.Errorf("plan %s ranges: %w", t, err)
			}
		}
		ts := &typeState{typ: t, writeMu: writeMu}
		ts.start, ts.end = timeline(rs)
		// a plan must be whole before anything is fetched
		if err := checkPlan(t, rs, ts.start, ts.end); err != nil {
			return 0, err
		}
		sort.Slice(rs, func(i, j int) bool { return rs[i].Gte > rs[j].Gte })
		for _, r := range rs {
			r.Type = t
			ts.ranges = append(ts.ranges, &rstate{r: r})
		}
		sc.types = append(sc.types, ts)
		if end < 0 || ts.end < end {
			end = ts.end
		}
	}
	run.setSched(sc)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < s.o.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ts, rs := sc.pick(ctx)
				if ts == nil {
					return
				}
				err := s.fetchRange(ctx, run, sc, ts, rs)
				sc.release(ts, rs, err)
				if err != nil {
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	sc.mu.Lock()
	err := sc.err
	sc.mu.Unlock()
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return 0, err
	}
	// prove that the saved ranges cover each timeline exactly
	for _, ts := range sc.types {
		rs, err := s.o.Store.Ranges(ctx, ts.typ)
		if err != nil {
			return 0, fmt.Errorf("read %s ranges: %w", ts.typ, err)
		}
		if err := CheckCoverage(ts.typ, rs, ts.start, ts.end); err != nil {
			s.o.Logger.Error("sync coverage check failed", "type", ts.typ, "err", err)
			return 0, err
		}
	}
	if sc.seen != nil {
		if err := s.prune(ctx, run, sc); err != nil {
			return 0, err
		}
	}
	return end, nil
}

// plan splits [Start, now) into a few equal whole-second ranges; dense
// ranges are split further while fetching.
func (s *Syncer) plan(t backend.ObjectType, now int64) []backend.SyncRange {
	start := s.o.Start
	if now <= start {
		now = start + 1
	}
	// at least 4 ranges a type: a slow or hung request then holds back a
	// quarter of a type, not all of it, while the first pages show density
	parts := int64(s.o.Workers / len(s.o.Types))
	parts = max(4, min(parts, 16))
	span := now - start
	if parts > span {
		parts = span
	}
	rs := make([]backend.SyncRange, 0, parts)
	for i := int64(0); i < parts; i++ {
		gte := start + span*i/parts
		lt := start + span*(i+1)/parts
		rs = append(rs, backend.SyncRange{Type: t, Gte: gte, Lt: lt})
	}
	return rs
}

// checkPlan is CheckCoverage without the "all done" rule.
func checkPlan(t backend.ObjectType, rs []backend.SyncRange, start, end int64) error {
	cp := make([]backend.SyncRange, len(rs))
	for i, r := range rs {
		r.Done = true
		cp[i] = r
	}
	return CheckCoverage(t, cp, start, end)
}

func (sc *sched) pick(ctx context.Context) (*typeState, *rstate) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for {
		if sc.err != nil || ctx.Err() != nil {
			return nil, nil
		}
		var bt *typeState
		var br *rstate
		for _, ts := range sc.types {
			if bt != nil && ts.active >= bt.active {
				continue
			}
			ts.stateMu.Lock()
			for _, rs := range ts.ranges {
				if !rs.active && !rs.r.Done {
					bt, br = ts, rs
					break
				}
			}
			ts.stateMu.Unlock()
		}
		if br != nil {
			ts := bt
			ts.stateMu.Lock()
			br.active = true
			ts.stateMu.Unlock()
			ts.active++
			sc.active++
			return ts, br
		}
		if sc.active == 0 {
			return nil, nil
		}
		sc.idle++
		// wake on release, split, or cancel (release broadcasts on error)
		stop := context.AfterFunc(ctx, func() {
			sc.mu.Lock()
			sc.cond.Broadcast()
			sc.mu.Unlock()
		})
		sc.cond.Wait()
		stop()
		sc.idle--
	}
}

func (sc *sched) release(ts *typeState, rs *rstate, err error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	ts.stateMu.Lock()
	rs.active = false
	ts.stateMu.Unlock()
	ts.active--
	sc.active--
	if err != nil && sc.err == nil {
		sc.err = err
	}
	sc.cond.Broadcast()
}

func (sc *sched) wantsWork() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.idle > 0
}

func (sc *sched) wake() {
	sc.mu.Lock()
	sc.cond.Broadcast()
	sc.mu.Unlock()
}

// fetchRange pages through one range until it is done, committing each
// page with the range's cursor, and splits off the older half of what
// remains when the range proves dense and workers are idle.
func (s *Syncer) fetchRange(ctx context.Context, run *run, sc *sched, ts *typeState, rs *rstate) error {
	for {
		ts.stateMu.Lock()
		r := rs.r
		prevOldest := rs.oldest
		ts.stateMu.Unlock()
		if r.Done {
			return nil
		}
		page, err := s.o.Source.ListPage(ctx, r.Type, r.Gte, r.Lt, r.Cursor, s.o.PageLimit)
		if err != nil {
			code := backend.ErrorCode(err)
			if r.Cursor != "" && !rs.reset && (code == backend.ENOTFOUND || code == backend.EINVALID) && ctx.Err() == nil {
				// the cursor object vanished (e.g. a deleted customer):
				// restart the range; upserts are idempotent
				s.o.Logger.Warn("sync cursor rejected, restarting range", "type", r.Type, "gte", r.Gte, "lt", r.Lt, "err", err)
				ts.writeMu.Lock()
				r.Cursor, r.Count = "", 0
				err = s.o.Store.SavePage(ctx, r, nil)
				if err == nil {
					ts.stateMu.Lock()
					rs.r, rs.reset, rs.oldest = r, true, 0
					ts.stateMu.Unlock()
				}
				ts.writeMu.Unlock()
				if err != nil {
					return fmt.Errorf("save %s range: %w", r.Type, err)
				}
				continue
			}
			return err
		}
		objs := page.Objects
		nr := r
		nr.Count += int64(len(objs))
		if len(objs) > 0 {
			nr.Cursor = objs[len(objs)-1].ID
		}
		nr.Done = !page.HasMore || len(objs) == 0
		for i := range objs {
			if objs[i].Type == "" {
				objs[i].Type = r.Type
			}
		}
		ts.writeMu.Lock()
		err = s.o.Store.SavePage(ctx, nr, objs)
		if err == nil {
			ts.stateMu.Lock()
			rs.r = nr
			if len(objs) > 0 {
				rs.oldest = objs[len(objs)-1].Created
			}
			ts.stateMu.Unlock()
		}
		ts.writeMu.Unlock()
		if err != nil {
			return fmt.Errorf("save %s page: %w", r.Type, err)
		}
		run.add(r.Type, int64(len(objs)))
		if sc.seen != nil {
			sc.seenMu.Lock()
			for _, o := range objs {
				sc.seen[r.Type][o.ID] = true
			}
			sc.seenMu.Unlock()
		}
		if nr.Done || len(objs) == 0 || !sc.wantsWork() {
			continue
		}
		// density: this page covered [oldest, top) in created time
		oldest := objs[len(objs)-1].Created
		top := r.Lt
		if prevOldest > 0 {
			top = prevOldest
		}
		pageSpan := max(1, top-oldest)
		remaining := oldest - r.Gte
		if remaining < 2 || remaining/pageSpan < 2 {
			// never split a single second: paginate it with the cursor
			continue
		}
		if err := s.split(ctx, ts, rs, r.Gte+remaining/2); err != nil {
			return err
		}
		sc.wake()
	}
}

// split moves [Gte, mid) of rs's range into a new pending range. Every
// fetched object has created >= mid, so nothing is lost or fetched twice.
func (s *Syncer) split(ctx context.Context, ts *typeState, rs *rstate, mid int64) error {
	ts.writeMu.Lock()
	defer ts.writeMu.Unlock()
	ts.stateMu.Lock()
	old := rs.r
	if mid <= old.Gte || mid >= old.Lt || (rs.oldest > 0 && mid > rs.oldest) {
		ts.stateMu.Unlock()
		return nil
	}
	nr := &rstate{r: backend.SyncRange{Type: old.Type, Gte: old.Gte, Lt: mid}}
	rs.r.Gte = mid
	ts.ranges = append(ts.ranges, nr)
	all := make([]backend.SyncRange, len(ts.ranges))
	for i, x := range ts.ranges {
		all[i] = x.r
	}
	ts.stateMu.Unlock()
	if err := s.o.Store.ReplaceRanges(ctx, ts.typ, all); err != nil {
		return fmt.Errorf("split %s range: %w", ts.typ, err)
	}
	return nil
}

// estimate returns per-type progress from the ranges' created density.
func (sc *sched) estimate() []TypeProgress {
	out := make([]TypeProgress, 0, len(sc.types))
	for _, ts := range sc.types {
		ts.stateMu.Lock()
		var done, covObjs, covSecs, remSecs int64
		finished := true
		for _, rs := range ts.ranges {
			done += rs.r.Count
			switch {
			case rs.r.Done:
				covObjs += rs.r.Count
				covSecs += rs.r.Lt - rs.r.Gte
			case rs.oldest > 0:
				finished = false
				covObjs += rs.r.Count
				covSecs += rs.r.Lt - rs.oldest
				remSecs += rs.oldest - rs.r.Gte
			default:
				finished = false
				remSecs += rs.r.Lt - rs.r.Gte
			}
		}
		ts.stateMu.Unlock()
		tp := TypeProgress{Type: ts.typ, Done: done, Total: -1, Finished: finished}
		switch {
		case finished:
			tp.Total = done
		case covSecs > 0:
			tp.Total = done + int64(float64(covObjs)/float64(covSecs)*float64(remSecs))
		}
		out = append(out, tp)
	}
	return out
}

// prune finds stored objects a complete re-list did not return (deleted in
// Stripe while no events were kept) and stores what Stripe says of them now:
// a deleted customer, or a tombstone when it is gone.
func (s *Syncer) prune(ctx context.Context, run *run, sc *sched) error {
	var objs []backend.RawObject
	for _, ts := range sc.types {
		local, err := s.o.Store.Hashes(ctx, ts.typ, ts.start, ts.end)
		if err != nil {
			return fmt.Errorf("read %s hashes: %w", ts.typ, err)
		}
		for id := range local {
			if sc.seen[ts.typ][id] {
				continue
			}
			o, err := s.o.Source.Retrieve(ctx, ts.typ, id)
			switch {
			case err == nil:
				if !o.Deleted && o.Created >= ts.start && o.Created < ts.end {
					// listed by Stripe now but not then: keep what it says
					s.o.Logger.Warn("object missing from a complete re-list", "type", ts.typ, "id", id)
				}
			case backend.ErrorCode(err) == backend.ENOTFOUND:
				o = tombstone(ts.typ, id, s.o.Now().Unix())
			default:
				return fmt.Errorf("check %s %s: %w", ts.typ, id, err)
			}
			objs = append(objs, o)
		}
	}
	if len(objs) == 0 {
		return nil
	}
	cursor, err := s.o.Store.EventsCursor(ctx)
	if err != nil {
		return fmt.Errorf("read events cursor: %w", err)
	}
	if err := s.o.Store.ApplyEvents(ctx, nil, objs, cursor); err != nil {
		return fmt.Errorf("store deletions: %w", err)
	}
	for _, o := range objs {
		run.add(o.Type, 1)
	}
	return nil
}
