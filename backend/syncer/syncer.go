// Package syncer copies a Stripe account into the local store: a parallel,
// resumable backfill by created ranges, an incremental sync from /v1/events,
// and verify/repair. It knows neither stripe-go nor SQL: Stripe is a Source,
// the cache is a Store (interfaces.go).
package syncer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"billfold/backend"
)

// DefaultStart is the start of the timeline when the account's creation
// time is unknown: Stripe objects do not predate 2011.
const DefaultStart int64 = 1293840000 // 2011-01-01T00:00:00Z

// StatsSource is implemented by sources that count their requests.
type StatsSource interface {
	RequestStats() (requests, retries int64)
}

// ConcurrencySource is implemented by sources that know how many requests
// should be in flight to use their rate limits (rate x latency).
type ConcurrencySource interface {
	Concurrency() int
}

// Options configure a Syncer. Zero values take the defaults.
type Options struct {
	Source Source
	Store  Store
	// Types to sync, default backend.SyncedTypes.
	Types []backend.ObjectType
	// Start of the timeline (the account's creation), default DefaultStart.
	Start int64
	// Workers is the number of ranges fetched at once; default the Source's
	// Concurrency() or 8.
	Workers   int
	PageLimit int // default 100
	Now       func() time.Time
	Logger    *slog.Logger
	// Progress receives reports at most every ProgressEvery (default 100 ms)
	// and one final report (done, failed or cancelled). Called from one
	// goroutine at a time.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// ReconcileAfter: an events cursor older than this re-lists everything
	// instead (events are kept 30 days). Default 25 days.
	ReconcileAfter time.Duration
	// EventsOverlap re-reads this much before the cursor (the events list is
	// eventually consistent). Default 5 min.
	EventsOverlap time.Duration
	// EventsLag stops the window this long before now. Default 60 s.
	EventsLag time.Duration
	// EventsChunk is the longest window applied in one transaction. Default 1 day.
	EventsChunk time.Duration
}

// Syncer runs syncs of one account.
type Syncer struct {
	o Options
}

// New checks the options and returns a Syncer.
func New(o Options) (*Syncer, error) {
	if o.Source == nil || o.Store == nil {
		return nil, errors.New("syncer: source and store are required")
	}
	if len(o.Types) == 0 {
		o.Types = backend.SyncedTypes
	}
	if o.Start <= 0 {
		o.Start = DefaultStart
	}
	if o.Workers <= 0 {
		o.Workers = 8
		if cs, ok := o.Source.(ConcurrencySource); ok {
			o.Workers = cs.Concurrency()
		}
	}
	if o.PageLimit <= 0 || o.PageLimit > 100 {
		o.PageLimit = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 100 * time.Millisecond
	}
	if o.ReconcileAfter <= 0 {
		o.ReconcileAfter = 25 * 24 * time.Hour
	}
	if o.EventsOverlap <= 0 {
		o.EventsOverlap = 5 * time.Minute
	}
	if o.EventsLag <= 0 {
		o.EventsLag = 60 * time.Second
	}
	if o.EventsChunk <= 0 {
		o.EventsChunk = 24 * time.Hour
	}
	return &Syncer{o: o}, nil
}

// Mode is what a sync did.
type Mode string

const (
	ModeFull        Mode = "full"
	ModeIncremental Mode = "incremental"
)

// Result sums up a finished sync.
type Result struct {
	Mode Mode
	// Objects written (fetched or changed) per type during this run.
	Objects  map[backend.ObjectType]int64
	Events   int64 // events read
	Requests int64
	Retries  int64
	Duration time.Duration
	// Reconciled is set when the events cursor was too old and everything
	// was re-listed instead.
	Reconciled bool
}

// Sync brings the store up to date. With no finished backfill (first run or
// a run that was stopped) it backfills, resuming saved ranges; with full it
// re-lists everything even after a finished backfill. Then it applies the
// events since the backfill began (or since the last sync).
func (s *Syncer) Sync(ctx context.Context, full bool) (Result, error) {
	run := s.newRun()
	res, err := s.sync(ctx, run, full)
	run.finish(err)
	res.Requests, res.Retries = run.stats()
	res.Duration = time.Since(run.started)
	res.Objects = run.objects()
	return res, err
}

func (s *Syncer) sync(ctx context.Context, run *run, full bool) (Result, error) {
	res := Result{Mode: ModeIncremental}
	cursor, err := s.o.Store.EventsCursor(ctx)
	if err != nil {
		return res, fmt.Errorf("read events cursor: %w", err)
	}
	complete, err := s.backfillComplete(ctx)
	if err != nil {
		return res, err
	}
	now := s.o.Now().Unix()
	stale := cursor > 0 && time.Duration(now-cursor)*time.Second > s.o.ReconcileAfter
	if !complete || full || stale {
		res.Mode = ModeFull
		res.Reconciled = stale && complete && !full
		end, err := s.backfill(ctx, run, complete && (full || stale))
		if err != nil {
			return res, err
		}
		// Changes after the backfill's timeline ends come from events. An
		// older, still valid cursor is kept: replaying events is harmless
		// under the stamp guard, and deletes are only seen there.
		if cursor == 0 || stale {
			cursor = end
			if err := s.o.Store.ApplyEvents(ctx, nil, nil, cursor); err != nil {
				return res, fmt.Errorf("save events cursor: %w", err)
			}
		}
	} else if cursor == 0 {
		// a finished backfill whose cursor was never saved
		end, err := s.timelineEnd(ctx)
		if err != nil {
			return res, err
		}
		cursor = end
		if err := s.o.Store.ApplyEvents(ctx, nil, nil, cursor); err != nil {
			return res, fmt.Errorf("save events cursor: %w", err)
		}
	}
	n, err := s.incremental(ctx, run, cursor)
	res.Events = n
	return res, err
}

// backfillComplete reports whether every type has a finished backfill.
func (s *Syncer) backfillComplete(ctx context.Context) (bool, error) {
	for _, t := range s.o.Types {
		rs, err := s.o.Store.Ranges(ctx, t)
		if err != nil {
			return false, fmt.Errorf("read %s ranges: %w", t, err)
		}
		if len(rs) == 0 {
			return false, nil
		}
		for _, r := range rs {
			if !r.Done {
				return false, nil
			}
		}
	}
	return true, nil
}

// CheckCoverage proves that ranges cover [start, end) exactly: sorted, the
// first starts at start, each starts where the previous ended, the last ends
// at end, every one done. It names the first gap or overlap.
func CheckCoverage(typ backend.ObjectType, ranges []backend.SyncRange, start, end int64) error {
	if len(ranges) == 0 {
		return backend.Errorf(backend.ECORRUPT, "sync of %s: no ranges saved", typ)
	}
	rs := append([]backend.SyncRange(nil), ranges...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Gte < rs[j].Gte })
	at := start
	for _, r := range rs {
		switch {
		case r.Lt <= r.Gte:
			return backend.Errorf(backend.ECORRUPT, "sync of %s: empty or inverted range [%d, %d)", typ, r.Gte, r.Lt)
		case r.Gte > at:
			return backend.Errorf(backend.ECORRUPT, "sync of %s: gap in the ranges: [%d, %d) was never fetched", typ, at, r.Gte)
		case r.Gte < at:
			return backend.Errorf(backend.ECORRUPT, "sync of %s: overlapping ranges at [%d, %d)", typ, r.Gte, at)
		case !r.Done:
			return backend.Errorf(backend.ECORRUPT, "sync of %s: range [%d, %d) is not finished", typ, r.Gte, r.Lt)
		}
		at = r.Lt
	}
	if at != end {
		return backend.Errorf(backend.ECORRUPT, "sync of %s: the ranges end at %d, not at %d", typ, at, end)
	}
	return nil
}

// timeline returns the start and end of the saved ranges of typ.
func timeline(rs []backend.SyncRange) (start, end int64) {
	start, end = rs[0].Gte, rs[0].Lt
	for _, r := range rs {
		start = min(start, r.Gte)
		end = max(end, r.Lt)
	}
	return start, end
}
