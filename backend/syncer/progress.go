package syncer

import (
	"context"
	"errors"
	"sync"
	"time"

	"billfold/backend"
)

// Progress is one report of a running or finished job.
type Progress struct {
	Phase string `json:"phase"` // "backfill", "events", "verify"
	// State is "running", then one final "done", "failed" or "cancelled".
	State         string         `json:"state"`
	Types         []TypeProgress `json:"types"`
	Objects       int64          `json:"objects"` // written during this run
	ObjectsPerSec float64        `json:"objects_per_sec"`
	Requests      int64          `json:"requests"`
	Retries       int64          `json:"retries"`
	Elapsed       time.Duration  `json:"elapsed"`
	ETA           time.Duration  `json:"eta"` // -1 when unknown
	ErrorCode     string         `json:"error_code,omitempty"`
	Error         string         `json:"error,omitempty"`
}

// TypeProgress is one object type's share of a report.
type TypeProgress struct {
	Type backend.ObjectType `json:"type"`
	// Done counts objects stored from this type's ranges (all runs) in a
	// backfill, or objects written in this run otherwise.
	Done int64 `json:"done"`
	// Total is the estimated total from the created density seen so far;
	// -1 when unknown.
	Total    int64 `json:"total"`
	Finished bool  `json:"finished"`
}

// run tracks one job for progress reports and the result.
type run struct {
	s       *Syncer
	started time.Time
	req0    int64
	retry0  int64

	mu      sync.Mutex
	phase   string
	written map[backend.ObjectType]int64
	sched   *sched // set during a backfill, for estimates

	stopTick chan struct{}
	tickDone chan struct{}
}

func (s *Syncer) newRun() *run {
	r := &run{s: s, started: time.Now(), written: map[backend.ObjectType]int64{}, phase: "backfill",
		stopTick: make(chan struct{}), tickDone: make(chan struct{})}
	r.req0, r.retry0 = r.rawStats()
	if s.o.Progress == nil {
		close(r.tickDone)
		return r
	}
	go func() {
		defer close(r.tickDone)
		t := time.NewTicker(s.o.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-r.stopTick:
				return
			case <-t.C:
				s.o.Progress(r.snapshot("running", nil))
			}
		}
	}()
	return r
}

func (r *run) rawStats() (int64, int64) {
	if ss, ok := r.s.o.Source.(StatsSource); ok {
		return ss.RequestStats()
	}
	return 0, 0
}

func (r *run) stats() (requests, retries int64) {
	a, b := r.rawStats()
	return a - r.req0, b - r.retry0
}

func (r *run) setPhase(p string) {
	r.mu.Lock()
	r.phase = p
	r.mu.Unlock()
}

func (r *run) setSched(sc *sched) {
	r.mu.Lock()
	r.sched = sc
	r.mu.Unlock()
}

func (r *run) add(t backend.ObjectType, n int64) {
	r.mu.Lock()
	r.written[t] += n
	r.mu.Unlock()
}

func (r *run) objects() map[backend.ObjectType]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[backend.ObjectType]int64, len(r.s.o.Types))
	for _, t := range r.s.o.Types {
		out[t] = r.written[t]
	}
	return out
}

// finish stops the ticker and sends the final report.
func (r *run) finish(err error) {
	close(r.stopTick)
	<-r.tickDone
	if r.s.o.Progress == nil {
		return
	}
	state := "done"
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || backend.ErrorCode(err) == backend.ECANCELED:
		state = "cancelled"
	default:
		state = "failed"
	}
	r.s.o.Progress(r.snapshot(state, err))
}

func (r *run) snapshot(state string, err error) Progress {
	r.mu.Lock()
	phase, sc := r.phase, r.sched
	written := make(map[backend.ObjectType]int64, len(r.written))
	var total int64
	for t, n := range r.written {
		written[t] = n
		total += n
	}
	r.mu.Unlock()
	p := Progress{Phase: phase, State: state, Objects: total, Elapsed: time.Since(r.started), ETA: -1}
	p.Requests, p.Retries = r.stats()
	if secs := p.Elapsed.Seconds(); secs > 0 {
		p.ObjectsPerSec = float64(total) / secs
	}
	if err != nil {
		p.ErrorCode = backend.ErrorCode(err)
		p.Error = backend.ErrorMessage(err)
	}
	if sc != nil && phase == "backfill" {
		p.Types = sc.estimate()
		var remaining int64
		known := true
		for _, tp := range p.Types {
			if tp.Total < 0 {
				known = false
			} else if tp.Total > tp.Done {
				remaining += tp.Total - tp.Done
			}
		}
		if known && p.ObjectsPerSec > 0 {
			p.ETA = time.Duration(float64(remaining) / p.ObjectsPerSec * float64(time.Second))
		}
	} else {
		for _, t := range r.s.o.Types {
			p.Types = append(p.Types, TypeProgress{Type: t, Done: written[t], Total: -1, Finished: state == "done"})
		}
	}
	if state == "done" {
		p.ETA = 0
	}
	return p
}
