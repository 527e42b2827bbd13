package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"billfold/backend"
	"billfold/backend/settings"
	"billfold/backend/syncer"
	"billfold/backend/vault"
	"billfold/backend/workspace"
)

// Sync states. The status line's SyncStatus uses idle, running and failed;
// the Sync screen's SyncDetailDTO uses them all.
const (
	SyncIdle       = "idle"       // nothing running
	SyncRunning    = "running"    // a backfill or incremental sync is in progress
	SyncCancelling = "cancelling" // Cancel was asked; the sync stops within a second
	SyncDone       = "done"       // the last sync finished
	SyncFailed     = "failed"     // the last sync failed; LastError says why
	SyncCancelled  = "cancelled"  // the last sync was cancelled; the next one resumes it
)

// SyncStatus is the state of the sync engine as the status line needs it.
type SyncStatus struct {
	State      string
	AccountID  string
	LastSyncAt time.Time // end of the last successful sync; zero: never
	LastError  error     // set when State is SyncFailed
}

// SyncStatusDTO is SyncStatus for the webview, and the payload of
// EventSyncStatus.
type SyncStatusDTO struct {
	State      string    `json:"state"`
	AccountID  string    `json:"accountId"`
	LastSyncAt string    `json:"lastSyncAt"` // RFC 3339, "" when never synced
	LastError  *ErrorDTO `json:"lastError"`
}

// ToSyncStatusDTO converts a status for the webview.
func ToSyncStatusDTO(s SyncStatus) SyncStatusDTO {
	d := SyncStatusDTO{
		State:      s.State,
		AccountID:  s.AccountID,
		LastSyncAt: FormatTime(s.LastSyncAt),
	}
	if d.State == "" {
		d.State = SyncIdle
	}
	if s.LastError != nil {
		e := ToErrorDTO(s.LastError)
		d.LastError = &e
	}
	return d
}

// SyncTracker holds the status line's sync status. Every change is emitted
// to the webview as EventSyncStatus. It is safe for concurrent use.
type SyncTracker struct {
	mu     sync.Mutex
	status SyncStatus
	emit   Emitter
}

// NewSyncTracker returns a tracker in the idle, never-synced state.
func NewSyncTracker(emit Emitter) *SyncTracker {
	if emit == nil {
		emit = discardEmitter{}
	}
	return &SyncTracker{status: SyncStatus{State: SyncIdle}, emit: emit}
}

// Set records a new status and emits it when it differs from the last one.
func (t *SyncTracker) Set(s SyncStatus) {
	if s.State == "" {
		s.State = SyncIdle
	}
	t.mu.Lock()
	changed := !sameStatus(t.status, s)
	t.status = s
	t.mu.Unlock()
	if changed {
		t.emit.Emit(EventSyncStatus, ToSyncStatusDTO(s))
	}
}

// Status returns the current status.
func (t *SyncTracker) Status() SyncStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status
}

func sameStatus(a, b SyncStatus) bool {
	return a.State == b.State && a.AccountID == b.AccountID && a.LastSyncAt.Equal(b.LastSyncAt) &&
		ToErrorDTO(a.LastError) == ToErrorDTO(b.LastError)
}

// SyncTypeDTO is one object type's progress.
type SyncTypeDTO struct {
	Type       string  `json:"type"`
	Done       int64   `json:"done"`
	Total      int64   `json:"total"`   // estimate; -1 unknown
	Percent    float64 `json:"percent"` // 0..100; -1 unknown
	PerSec     float64 `json:"perSec"`  // objects/s in this run
	EtaSeconds int64   `json:"etaSeconds"`
	Finished   bool    `json:"finished"`
}

// SyncProgressDTO is a running (or the last) sync's progress.
type SyncProgressDTO struct {
	Mode       string        `json:"mode"`    // full | incremental (what was asked)
	Trigger    string        `json:"trigger"` // manual | scheduled
	Phase      string        `json:"phase"`   // backfill | events
	Types      []SyncTypeDTO `json:"types"`
	Objects    int64         `json:"objects"`
	PerSec     float64       `json:"perSec"`
	Requests   int64         `json:"requests"`
	Retries    int64         `json:"retries"`
	ElapsedMS  int64         `json:"elapsedMs"`
	EtaSeconds int64         `json:"etaSeconds"` // -1 unknown
	Percent    float64       `json:"percent"`    // -1 unknown
	StartedAt  string        `json:"startedAt"`
}

// SyncSummaryDTO is a finished sync as the cache recorded it (RecordSync).
type SyncSummaryDTO struct {
	Mode       string           `json:"mode"` // full | incremental
	Objects    map[string]int64 `json:"objects"`
	Total      int64            `json:"total"`
	Events     int64            `json:"events"`
	Requests   int64            `json:"requests"`
	Retries    int64            `json:"retries"`
	DurationMS int64            `json:"durationMs"`
	At         string           `json:"at"`
	Demo       bool             `json:"demo"`
}

// SyncDetailDTO is the Sync screen's data, and the payload of
// EventSyncProgress.
type SyncDetailDTO struct {
	State     string           `json:"state"` // idle | running | cancelling | done | failed | cancelled
	AccountID string           `json:"accountId"`
	Demo      bool             `json:"demo"`     // the demo workspace: a snapshot, not synced
	Progress  *SyncProgressDTO `json:"progress"` // the running or last run of this session
	Last      *SyncSummaryDTO  `json:"last"`     // the last finished sync (from the cache)
	LastError *ErrorDTO        `json:"lastError"`
	NeedsKey  bool             `json:"needsKey"` // Stripe rejected the key: background syncs stopped
	Online    bool             `json:"online"`
	// DataAsOf is when the local data was last brought up to date ("" never).
	DataAsOf        string `json:"dataAsOf"`
	IntervalMinutes int    `json:"intervalMinutes"` // 0: only when asked
	NextRunAt       string `json:"nextRunAt"`       // "" none planned
	Gentle          bool   `json:"gentle"`
}

// SyncAccounts is what SyncService needs of the registry: backend/vault's
// *Vault implements it.
type SyncAccounts interface {
	List(ctx context.Context) ([]vault.Account, error)
	Key(ctx context.Context, id string) (backend.APIKey, error)
	Home() string
}

// SyncOptions configure a SyncService. Zero values take the defaults.
type SyncOptions struct {
	Accounts SyncAccounts                                                                       // required for syncs
	Current  func() (string, error)                                                             // the account the app shows (AccountsService.Current)
	APIBase  string                                                                             // BILLFOLD_API_BASE: overrides every account's base
	Open     func(ctx context.Context, a vault.Account, gentle bool) (*workspace.Target, error) // default workspace.Open
	Tracker  *SyncTracker                                                                       // the status line; nil: a new one
	Emitter  Emitter
	Logger   *slog.Logger
	Now      func() time.Time
	// After is the scheduler's timer (default time.After); tests drive it.
	After func(d time.Duration) <-chan time.Time
	// ProgressEvery is the shortest gap between two progress events (default 100 ms).
	ProgressEvery time.Duration
	// OfflineBackoff is the first wait after a network failure, doubled
	// up to the interval (default 30 s).
	OfflineBackoff time.Duration
}

// SyncService runs syncs of the current account in the background: Start,
// Cancel, Detail, and a scheduler of incremental syncs every N minutes
// (settings) while online. Never two syncs at once.
type SyncService struct {
	o       SyncOptions
	tracker *SyncTracker
	emit    Emitter
	log     *slog.Logger

	mu        sync.Mutex
	job       *syncJob
	account   string // the account the state below belongs to
	state     string
	progress  *SyncProgressDTO
	lastErr   *ErrorDTO
	needsKey  bool
	online    bool
	backoff   time.Duration
	nextRun   time.Time
	last      *SyncSummaryDTO
	lastAt    time.Time
	lastKnown bool // last/lastAt were read for account
	demo      bool // account is the demo workspace
	lastEmit  time.Time
	wake      chan struct{}
	schedStop context.CancelFunc
	schedDone chan struct{}
}

type syncJob struct {
	account string
	cancel  context.CancelFunc
	done    chan struct{}
	base    map[string]int64 // Done per type when first seen (per-type rates)
	started time.Time
}

// NewSyncService returns the service; the scheduler starts with startScheduler.
func NewSyncService(o SyncOptions) *SyncService {
	if o.Emitter == nil {
		o.Emitter = discardEmitter{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 100 * time.Millisecond
	}
	if o.OfflineBackoff <= 0 {
		o.OfflineBackoff = 30 * time.Second
	}
	if o.Open == nil {
		acc, base, log := o.Accounts, o.APIBase, o.Logger
		o.Open = func(ctx context.Context, a vault.Account, gentle bool) (*workspace.Target, error) {
			return workspace.Open(ctx, acc, a, workspace.Options{APIBase: base, Gentle: gentle, Logger: log})
		}
	}
	t := o.Tracker
	if t == nil {
		t = NewSyncTracker(o.Emitter)
	}
	return &SyncService{o: o, tracker: t, emit: o.Emitter, log: o.Logger, state: SyncIdle, online: true, wake: make(chan struct{}, 1)}
}

// Status returns the status line's state.
func (s *SyncService) Status() SyncStatusDTO {
	return ToSyncStatusDTO(s.tracker.Status())
}

var errNoSync = backend.Errorf(backend.EUNAVAILABLE, "syncing is not available in this build: use `billfold sync` on the command line")

func (s *SyncService) settings() settings.Settings {
	if s.o.Accounts == nil {
		return settings.Default()
	}
	st, _ := settings.Load(s.o.Accounts.Home())
	return st
}

// current returns the account the app shows; ok false when there is none.
func (s *SyncService) current(ctx context.Context) (vault.Account, bool, error) {
	if s.o.Accounts == nil {
		return vault.Account{}, false, errNoSync
	}
	id := ""
	if s.o.Current != nil {
		var err error
		if id, err = s.o.Current(); err != nil {
			return vault.Account{}, false, err
		}
	}
	list, err := s.o.Accounts.List(ctx)
	if err != nil {
		return vault.Account{}, false, err
	}
	for _, a := range list {
		if a.ID == id || (id == "" && s.o.Current == nil) {
			return a, true, nil
		}
	}
	return vault.Account{}, false, nil
}

// Detail returns the Sync screen's data for the current account.
func (s *SyncService) Detail() (SyncDetailDTO, error) {
	ctx := context.Background()
	a, ok, err := s.current(ctx)
	if err != nil {
		return SyncDetailDTO{}, err
	}
	if ok {
		s.useAccount(ctx, a)
	}
	return s.detail(a.Demo), nil
}

// useAccount makes a the account the state describes, reading its last
// sync from its cache when it changed.
func (s *SyncService) useAccount(ctx context.Context, a vault.Account) {
	s.mu.Lock()
	known := s.account == a.ID && s.lastKnown
	s.mu.Unlock()
	if known {
		return
	}
	last, at := s.readLast(ctx, a)
	s.mu.Lock()
	if s.account != a.ID {
		if s.job == nil || s.job.account != a.ID {
			s.state, s.progress = SyncIdle, nil
		}
		s.lastErr, s.needsKey = nil, false
		s.account = a.ID
	}
	s.last, s.lastAt, s.lastKnown, s.demo = last, at, true, a.Demo
	s.mu.Unlock()
	s.setTracker()
}

func (s *SyncService) readLast(ctx context.Context, a vault.Account) (*SyncSummaryDTO, time.Time) {
	ls, err := workspace.ReadLastSync(ctx, s.o.Accounts.Home(), a)
	if err != nil {
		s.log.Warn("read last sync", "account", a.ID, "err", err)
		return nil, time.Time{}
	}
	st := ls.State
	full, incr := st.LastFullSync, st.LastIncrementalSync
	switch {
	case full == 0 && incr == 0:
		return nil, time.Time{}
	case full >= incr:
		return summaryDTO(st.LastFullSummary, full, "full"), time.Unix(full, 0)
	default:
		return summaryDTO(st.LastIncrementalSummary, incr, "incremental"), time.Unix(incr, 0)
	}
}

// recordedSummary is the JSON RecordSync keeps (the CLI's and the demo's
// shape, and this service's).
type recordedSummary struct {
	Mode       string           `json:"mode"`
	Objects    map[string]int64 `json:"objects"`
	Events     int64            `json:"events"`
	Requests   int64            `json:"requests"`
	Retries    int64            `json:"retries"`
	DurationMS int64            `json:"duration_ms"`
	Demo       bool             `json:"demo"`
	Trigger    string           `json:"trigger,omitempty"`
}

func summaryDTO(raw json.RawMessage, at int64, mode string) *SyncSummaryDTO {
	var r recordedSummary
	_ = json.Unmarshal(raw, &r)
	d := &SyncSummaryDTO{Mode: r.Mode, Objects: map[string]int64{}, Events: r.Events, Requests: r.Requests,
		Retries: r.Retries, DurationMS: r.DurationMS, At: FormatTime(time.Unix(at, 0)), Demo: r.Demo}
	if d.Mode == "" {
		d.Mode = mode
	}
	for k, n := range r.Objects {
		d.Objects[k] = n
		d.Total += n
	}
	return d
}

func (s *SyncService) detail(demo bool) SyncDetailDTO {
	st := s.settings()
	s.mu.Lock()
	defer s.mu.Unlock()
	d := SyncDetailDTO{State: s.state, AccountID: s.account, Demo: s.demo || demo, LastError: s.lastErr, NeedsKey: s.needsKey,
		Online: s.online, DataAsOf: FormatTime(s.lastAt), IntervalMinutes: st.SyncIntervalMinutes, Gentle: st.Gentle}
	if s.progress != nil {
		p := *s.progress
		p.Types = append([]SyncTypeDTO{}, p.Types...) // never null in JSON
		d.Progress = &p
	}
	if s.last != nil {
		l := *s.last
		d.Last = &l
	}
	if !s.nextRun.IsZero() && !demo && !s.needsKey {
		d.NextRunAt = FormatTime(s.nextRun)
	}
	return d
}

func (s *SyncService) setTracker() {
	s.mu.Lock()
	st := SyncStatus{AccountID: s.account, LastSyncAt: s.lastAt, State: SyncIdle}
	switch s.state {
	case SyncRunning, SyncCancelling:
		st.State = SyncRunning
	case SyncFailed:
		st.State = SyncFailed
		if s.lastErr != nil {
			st.LastError = &backend.Error{Code: s.lastErr.Code, Message: s.lastErr.Message, RequestID: s.lastErr.RequestID}
		}
	}
	s.mu.Unlock()
	s.tracker.Set(st)
}

// Start begins a sync of the current account in the background and returns
// at once; EventSyncProgress reports it (at most every 100 ms) and its end.
// full re-lists everything; otherwise a first or interrupted backfill
// resumes, then events bring the cache up to date. A second Start while a
// sync runs is ECONFLICT.
func (s *SyncService) Start(full bool) (SyncDetailDTO, error) {
	return s.start(full, "manual")
}

var errBusy = backend.Errorf(backend.ECONFLICT, "a sync is already running: wait for it to finish, or cancel it first")

func (s *SyncService) start(full bool, trigger string) (SyncDetailDTO, error) {
	ctx := context.Background()
	a, ok, err := s.current(ctx)
	if err != nil {
		return SyncDetailDTO{}, err
	}
	if !ok {
		return SyncDetailDTO{}, backend.Errorf(backend.ENOTFOUND, "no account to sync: add a Stripe account in Accounts")
	}
	if a.Demo {
		return SyncDetailDTO{}, workspace.ErrDemo
	}
	s.useAccount(ctx, a)
	gentle := s.settings().Gentle
	jctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	if s.job != nil {
		s.mu.Unlock()
		cancel()
		return SyncDetailDTO{}, errBusy
	}
	now := s.o.Now()
	job := &syncJob{account: a.ID, cancel: cancel, done: make(chan struct{}), base: map[string]int64{}, started: now}
	s.job = job
	s.state, s.lastErr = SyncRunning, nil
	mode := string(syncer.ModeIncremental)
	if full {
		mode = string(syncer.ModeFull)
	}
	s.progress = &SyncProgressDTO{Mode: mode, Trigger: trigger, Phase: "connect", Types: []SyncTypeDTO{}, EtaSeconds: -1, Percent: -1, StartedAt: FormatTime(now)}
	s.mu.Unlock()
	s.setTracker()
	s.publish(true)
	go s.run(jctx, job, a, full, gentle, trigger)
	return s.detail(false), nil
}

// Cancel stops the running sync within a second. What it saved stays: the
// next sync resumes where it stopped. Without a running sync it does nothing.
func (s *SyncService) Cancel() SyncDetailDTO {
	s.mu.Lock()
	j := s.job
	if j != nil && s.state == SyncRunning {
		s.state = SyncCancelling
	}
	s.mu.Unlock()
	if j != nil {
		j.cancel()
		s.publish(true)
	}
	return s.detail(false)
}

// wait blocks until no sync runs (tests, shutdown).
func (s *SyncService) wait() {
	s.mu.Lock()
	j := s.job
	s.mu.Unlock()
	if j != nil {
		<-j.done
	}
}

func (s *SyncService) run(ctx context.Context, job *syncJob, a vault.Account, full, gentle bool, trigger string) {
	defer close(job.done)
	res, err := s.runSync(ctx, job, a, full, gentle, trigger)
	s.mu.Lock()
	s.job = nil
	mine := s.account == a.ID
	if mine {
		switch {
		case err == nil:
			s.state, s.online, s.backoff = SyncDone, true, 0
			if res != nil {
				s.last, s.lastAt = res, s.o.Now()
			}
		case isCancel(err):
			s.state = SyncCancelled
		default:
			s.state = SyncFailed
			e := ToErrorDTO(err)
			if e.Code == backend.EINTERNAL {
				s.log.Error("sync failed", "account", a.ID, "err", err)
			}
			s.lastErr = &e
			switch e.Code {
			case backend.EUNAVAILABLE:
				s.online = false
			case backend.EUNAUTHORIZED:
				s.needsKey = true
			}
		}
		if s.progress != nil && s.state == SyncDone {
			s.progress.EtaSeconds, s.progress.Percent = 0, 100
		}
	}
	s.mu.Unlock()
	s.setTracker()
	s.publish(true) // the final event, always
	s.poke()
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || backend.ErrorCode(err) == backend.ECANCELED
}

func (s *SyncService) runSync(ctx context.Context, job *syncJob, a vault.Account, full, gentle bool, trigger string) (*SyncSummaryDTO, error) {
	t, err := s.o.Open(ctx, a, gentle)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	defer t.Close()
	if t.Recovered != "" {
		s.log.Warn("cache rebuilt", "account", a.ID, "msg", t.Recovered)
	}
	sy, err := syncer.New(syncer.Options{Source: t.Client, Store: t.DB, Start: t.Created, Logger: s.log,
		ProgressEvery: s.o.ProgressEvery, Progress: func(p syncer.Progress) { s.onProgress(job, p) }})
	if err != nil {
		return nil, err
	}
	res, err := sy.Sync(ctx, full)
	if err != nil {
		return nil, err
	}
	rec := recordedSummary{Mode: string(res.Mode), Objects: map[string]int64{}, Events: res.Events, Requests: res.Requests,
		Retries: res.Retries, DurationMS: res.Duration.Milliseconds(), Trigger: trigger}
	for k, n := range res.Objects {
		rec.Objects[string(k)] = n
	}
	raw, _ := json.Marshal(rec)
	at := s.o.Now().Unix()
	if err := t.DB.RecordSync(context.Background(), res.Mode == syncer.ModeFull, at, raw); err != nil {
		return nil, err
	}
	return summaryDTO(raw, at, string(res.Mode)), nil
}

// onProgress shapes the syncer's report (per-type rates and ETAs) and
// publishes it, throttled.
func (s *SyncService) onProgress(job *syncJob, p syncer.Progress) {
	if p.State != "running" {
		// the final report: keep its numbers; run() publishes the end
		s.mu.Lock()
		if s.progress != nil && s.job == job {
			s.progress.Requests, s.progress.Retries = p.Requests, p.Retries
		}
		s.mu.Unlock()
		return
	}
	secs := p.Elapsed.Seconds()
	s.mu.Lock()
	if s.job != job || s.progress == nil {
		s.mu.Unlock()
		return
	}
	pr := s.progress
	pr.Phase, pr.Objects, pr.PerSec, pr.Requests, pr.Retries = p.Phase, p.Objects, p.ObjectsPerSec, p.Requests, p.Retries
	pr.ElapsedMS = p.Elapsed.Milliseconds()
	pr.EtaSeconds = -1
	if p.ETA >= 0 {
		pr.EtaSeconds = int64(p.ETA.Round(time.Second) / time.Second)
	}
	types := make([]SyncTypeDTO, 0, len(p.Types))
	var done, total int64
	known := len(p.Types) > 0
	for _, tp := range p.Types {
		name := string(tp.Type)
		base, seen := job.base[name+"/"+p.Phase]
		if !seen {
			base = tp.Done
			job.base[name+"/"+p.Phase] = base
		}
		d := SyncTypeDTO{Type: name, Done: tp.Done, Total: tp.Total, Percent: -1, EtaSeconds: -1, Finished: tp.Finished}
		if secs > 0 {
			d.PerSec = float64(tp.Done-base) / secs
		}
		switch {
		case tp.Finished:
			d.Percent, d.EtaSeconds = 100, 0
			if d.Total < d.Done {
				d.Total = d.Done
			}
		case tp.Total > 0:
			d.Percent = min(99.9, 100*float64(tp.Done)/float64(tp.Total))
			if d.PerSec > 0 {
				d.EtaSeconds = int64(float64(max(tp.Total-tp.Done, 0)) / d.PerSec)
			}
		case tp.Total == 0:
			d.Percent = 0
		}
		if d.Total < 0 {
			known = false
		} else {
			done += min(d.Done, d.Total)
			total += d.Total
		}
		types = append(types, d)
	}
	pr.Types = types
	pr.Percent = -1
	if known && total > 0 && p.Phase == "backfill" {
		pr.Percent = min(99.9, 100*float64(done)/float64(total))
	}
	s.mu.Unlock()
	s.publish(false)
}

// publish emits EventSyncProgress; unless force, at most every ProgressEvery.
func (s *SyncService) publish(force bool) {
	s.mu.Lock()
	now := time.Now()
	if !force && now.Sub(s.lastEmit) < s.o.ProgressEvery {
		s.mu.Unlock()
		return
	}
	s.lastEmit = now
	s.mu.Unlock()
	if s.emit == nil {
		return // the read-only service of New
	}
	s.emit.Emit(EventSyncProgress, s.detail(false))
}

// poke wakes the scheduler to plan its next run.
func (s *SyncService) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// accountChanged is called when the app shows another account: a sync of
// the previous one is cancelled (it resumes later), the state is re-read,
// and the scheduler plans again.
func (s *SyncService) accountChanged() {
	ctx := context.Background()
	a, ok, err := s.current(ctx)
	s.mu.Lock()
	if j := s.job; j != nil && (!ok || j.account != a.ID) {
		j.cancel()
	}
	s.lastKnown = false
	s.mu.Unlock()
	if err == nil && ok {
		s.useAccount(ctx, a)
	}
	s.publish(true)
	s.poke()
}

// keyReplaced clears a 401: background syncs start again.
func (s *SyncService) keyReplaced() {
	s.mu.Lock()
	s.needsKey = false
	s.mu.Unlock()
	s.poke()
}

// startScheduler runs incremental syncs of the current account every
// SyncIntervalMinutes (settings) until ctx ends or stopScheduler: the first
// soon after start, never while a sync runs, not for the demo, not after
// Stripe rejected the key, and while offline with a doubling back-off.
func (s *SyncService) startScheduler(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.mu.Lock()
	if s.schedStop != nil {
		s.mu.Unlock()
		cancel()
		return
	}
	s.schedStop, s.schedDone = cancel, done
	s.mu.Unlock()
	go func() {
		defer close(done)
		first := true
		for {
			select { // a wake-up from before this plan is answered by it
			case <-s.wake:
			default:
			}
			wait, ok := s.plan(first)
			first = false
			var fire <-chan time.Time
			if ok {
				fire = s.o.After(wait)
			}
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
				continue // a sync ended or the account, key or settings changed: plan again
			case <-fire:
				if _, err := s.start(false, "scheduled"); err != nil && backend.ErrorCode(err) != backend.ECONFLICT {
					s.log.Info("scheduled sync not started", "err", backend.ErrorMessage(err))
				}
				// a sync that could not start (busy) waits a whole interval
				s.mu.Lock()
				if s.job == nil {
					s.nextRun = time.Time{}
				}
				s.mu.Unlock()
				<-s.afterRun(ctx)
			}
		}
	}()
}

// afterRun returns a channel closed when the current job (if any) ended.
func (s *SyncService) afterRun(ctx context.Context) <-chan struct{} {
	s.mu.Lock()
	j := s.job
	s.mu.Unlock()
	out := make(chan struct{})
	go func() {
		defer close(out)
		if j == nil {
			return
		}
		select {
		case <-j.done:
		case <-ctx.Done():
		}
	}()
	return out
}

// plan decides when the next scheduled sync runs.
func (s *SyncService) plan(first bool) (time.Duration, bool) {
	st := s.settings()
	ctx := context.Background()
	a, ok, err := s.current(ctx)
	if err == nil && ok {
		s.useAccount(ctx, a)
	}
	s.mu.Lock()
	defer func() { s.mu.Unlock(); s.publish(true) }()
	s.nextRun = time.Time{}
	if err != nil || !ok || a.Demo || s.needsKey || st.SyncIntervalMinutes <= 0 || s.job != nil {
		return 0, false
	}
	interval := time.Duration(st.SyncIntervalMinutes) * time.Minute
	wait := interval
	switch {
	case !s.online:
		if s.backoff == 0 {
			s.backoff = s.o.OfflineBackoff
		} else {
			s.backoff = min(2*s.backoff, interval)
		}
		wait = s.backoff
	case first || s.lastAt.IsZero():
		wait = 5 * time.Second // catch up soon after the app opens, or a new account's first sync
	case !s.lastAt.IsZero() && s.account == a.ID:
		if due := s.lastAt.Add(interval).Sub(s.o.Now()); due < wait {
			wait = max(due, 5*time.Second)
		}
	}
	s.nextRun = s.o.Now().Add(wait)
	return wait, true
}

// stopScheduler stops the scheduler and cancels a running sync, and waits
// for both.
func (s *SyncService) stopScheduler() {
	s.mu.Lock()
	stop, done, j := s.schedStop, s.schedDone, s.job
	s.schedStop = nil
	s.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if j != nil {
		j.cancel()
		<-j.done
	}
}

// StartSyncScheduler starts s's scheduler of incremental syncs (desktop.go
// calls it from OnStartup). It is a function, not a method, so the webview
// cannot call it.
func StartSyncScheduler(ctx context.Context, s *SyncService) { s.startScheduler(ctx) }

// StopSyncScheduler stops the scheduler and any running sync, and waits for
// them (OnShutdown). What a cancelled sync saved stays; the next one resumes.
func StopSyncScheduler(s *SyncService) { s.stopScheduler() }

// EnableSync replaces the read-only SyncService of New with one that runs
// syncs (desktop.go wires it before Bind). The status line's tracker and the
// current account come from s.
func (s *Services) EnableSync(o SyncOptions) *SyncService {
	o.Tracker = s.Tracker
	if o.Current == nil {
		o.Current = s.Accounts.Current
	}
	s.Sync = NewSyncService(o)
	return s.Sync
}

// AccountWatcher forwards events to inner and tells the SyncService when
// the app switches account (EventAccountCurrent) or the accounts changed (a
// key replaced), so a sync of the previous account stops and the
// scheduler plans again.
type AccountWatcher struct {
	Inner Emitter
	mu    sync.Mutex
	sync  *SyncService
}

// Watch sets the service to notify.
func (w *AccountWatcher) Watch(s *SyncService) {
	w.mu.Lock()
	w.sync = s
	w.mu.Unlock()
}

// Emit forwards the event, then notifies the SyncService.
func (w *AccountWatcher) Emit(name string, payload any) {
	if w.Inner != nil {
		w.Inner.Emit(name, payload)
	}
	w.mu.Lock()
	s := w.sync
	w.mu.Unlock()
	if s == nil {
		return
	}
	switch name {
	case EventAccountCurrent:
		go s.accountChanged()
	case EventAccountsChanged:
		go s.keyReplaced()
	}
}
