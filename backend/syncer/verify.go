package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"billfold/backend"
)

// Drift is one created range of one type where the cache differs from Stripe.
type Drift struct {
	Type      backend.ObjectType `json:"type"`
	Gte       int64              `json:"gte"`
	Lt        int64              `json:"lt"`
	Remote    int                `json:"remote"`              // objects Stripe lists
	Local     int                `json:"local"`               // objects the cache holds
	Missing   []string           `json:"missing,omitempty"`   // in Stripe, not in the cache
	Extra     []string           `json:"extra,omitempty"`     // in the cache, not in Stripe
	Different []string           `json:"different,omitempty"` // content hashes differ
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Types    map[backend.ObjectType]TypeCheck `json:"types"`
	Drift    []Drift                          `json:"drift"`
	Repaired int                              `json:"repaired"`
	Requests int64                            `json:"requests"`
	Retries  int64                            `json:"retries"`
}

// TypeCheck is one type's totals.
type TypeCheck struct {
	Remote int `json:"remote"`
	Local  int `json:"local"`
	Ranges int `json:"ranges"`
}

// OK reports whether no drift was found (or all of it was repaired).
func (r VerifyReport) OK() bool { return len(r.Drift) == 0 }

type segment struct {
	t       backend.ObjectType
	gte, lt int64
}

// Verify re-lists every type by created range (the saved backfill ranges,
// plus the time since they end) and compares counts and content hashes with
// the store. With repair, drifted objects are re-fetched and stored (gone
// ones become tombstones) and the ranges are checked again; the report then
// lists only the drift that remains.
func (s *Syncer) Verify(ctx context.Context, repair bool) (VerifyReport, error) {
	run := s.newRun()
	run.setPhase("verify")
	rep, err := s.verify(ctx, run, repair)
	run.finish(err)
	rep.Requests, rep.Retries = run.stats()
	return rep, err
}

func (s *Syncer) verify(ctx context.Context, run *run, repair bool) (VerifyReport, error) {
	rep := VerifyReport{Types: map[backend.ObjectType]TypeCheck{}}
	end := s.o.Now().Add(-s.o.EventsLag).Unix()
	var segs []segment
	for _, t := range s.o.Types {
		rs, err := s.o.Store.Ranges(ctx, t)
		if err != nil {
			return rep, fmt.Errorf("read %s ranges: %w", t, err)
		}
		if len(rs) == 0 {
			return rep, backend.Errorf(backend.EINVALID, "nothing to verify: %s was never synced; run `billfold sync` first", t)
		}
		start, last := timeline(rs)
		if err := checkPlan(t, rs, start, last); err != nil {
			return rep, err
		}
		for _, r := range rs {
			if !r.Done {
				return rep, backend.Errorf(backend.EINVALID, "the last sync of %s did not finish: run `billfold sync` to complete it, then verify", t)
			}
		}
		for _, r := range rs {
			segs = append(segs, segment{t, r.Gte, r.Lt})
		}
		if end > last {
			segs = append(segs, segment{t, last, end})
		}
		rep.Types[t] = TypeCheck{Ranges: len(rs)}
	}
	drift, checks, err := s.compare(ctx, segs)
	if err != nil {
		return rep, err
	}
	for t, c := range checks {
		tc := rep.Types[t]
		tc.Remote, tc.Local = c.Remote, c.Local
		rep.Types[t] = tc
	}
	if repair && len(drift) > 0 {
		n, err := s.repair(ctx, run, drift)
		rep.Repaired = n
		if err != nil {
			return rep, err
		}
		var again []segment
		for _, d := range drift {
			again = append(again, segment{d.Type, d.Gte, d.Lt})
		}
		drift, _, err = s.compare(ctx, again)
		if err != nil {
			return rep, err
		}
	}
	sort.Slice(drift, func(i, j int) bool {
		if drift[i].Type != drift[j].Type {
			return drift[i].Type < drift[j].Type
		}
		return drift[i].Gte < drift[j].Gte
	})
	rep.Drift = drift
	if rep.Drift == nil {
		rep.Drift = []Drift{}
	}
	return rep, nil
}

// compare lists each segment and diffs it with the store's hashes.
func (s *Syncer) compare(ctx context.Context, segs []segment) ([]Drift, map[backend.ObjectType]TypeCheck, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var drift []Drift
	checks := map[backend.ObjectType]TypeCheck{}
	var firstErr error
	next := make(chan segment)
	var wg sync.WaitGroup
	for w := 0; w < min(s.o.Workers, max(1, len(segs))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sg := range next {
				d, err := s.compareOne(ctx, sg)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
						cancel()
					}
				} else {
					c := checks[sg.t]
					c.Remote += d.Remote
					c.Local += d.Local
					checks[sg.t] = c
					if len(d.Missing)+len(d.Extra)+len(d.Different) > 0 {
						drift = append(drift, d)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, sg := range segs {
		if ctx.Err() != nil {
			break
		}
		next <- sg
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return drift, checks, nil
}

func (s *Syncer) compareOne(ctx context.Context, sg segment) (Drift, error) {
	d := Drift{Type: sg.t, Gte: sg.gte, Lt: sg.lt}
	remote := map[string]string{}
	after := ""
	for {
		p, err := s.o.Source.ListPage(ctx, sg.t, sg.gte, sg.lt, after, s.o.PageLimit)
		if err != nil {
			return d, err
		}
		for _, o := range p.Objects {
			h, err := backend.ContentHash(o.Raw)
			if err != nil {
				return d, fmt.Errorf("verify %s %s: %w", sg.t, o.ID, err)
			}
			remote[o.ID] = h
		}
		if !p.HasMore || len(p.Objects) == 0 {
			break
		}
		after = p.Objects[len(p.Objects)-1].ID
	}
	local, err := s.o.Store.Hashes(ctx, sg.t, sg.gte, sg.lt)
	if err != nil {
		return d, fmt.Errorf("read %s hashes: %w", sg.t, err)
	}
	d.Remote, d.Local = len(remote), len(local)
	for id, h := range remote {
		lh, ok := local[id]
		switch {
		case !ok:
			d.Missing = append(d.Missing, id)
		case lh != h:
			d.Different = append(d.Different, id)
		}
	}
	for id := range local {
		if _, ok := remote[id]; !ok {
			d.Extra = append(d.Extra, id)
		}
	}
	sort.Strings(d.Missing)
	sort.Strings(d.Extra)
	sort.Strings(d.Different)
	return d, nil
}

// repair re-fetches every drifted object and stores it; objects Stripe no
// longer has become tombstones. The events cursor is left as it was.
func (s *Syncer) repair(ctx context.Context, run *run, drift []Drift) (int, error) {
	cursor, err := s.o.Store.EventsCursor(ctx)
	if err != nil {
		return 0, fmt.Errorf("read events cursor: %w", err)
	}
	var objs []backend.RawObject
	for _, d := range drift {
		ids := append(append(append([]string(nil), d.Missing...), d.Different...), d.Extra...)
		for _, id := range ids {
			o, err := s.o.Source.Retrieve(ctx, d.Type, id)
			switch {
			case err == nil:
			case backend.ErrorCode(err) == backend.ENOTFOUND:
				o = tombstone(d.Type, id, s.o.Now().Unix())
			default:
				return 0, fmt.Errorf("repair %s %s: %w", d.Type, id, err)
			}
			objs = append(objs, o)
		}
	}
	if err := s.o.Store.ApplyEvents(ctx, nil, objs, cursor); err != nil {
		return 0, fmt.Errorf("repair: %w", err)
	}
	for _, o := range objs {
		run.add(o.Type, 1)
	}
	return len(objs), nil
}

// tombstone is what the store keeps of an object Stripe no longer has.
func tombstone(t backend.ObjectType, id string, stamp int64) backend.RawObject {
	raw, _ := json.Marshal(map[string]any{"id": id, "object": objectName(t), "deleted": true})
	return backend.RawObject{Type: t, ID: id, Stamp: stamp, Deleted: true, Raw: raw}
}
