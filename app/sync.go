package app

import (
	"sync"
	"time"
)

// Sync states.
const (
	SyncIdle    = "idle"    // nothing running
	SyncRunning = "running" // a backfill or incremental sync is in progress
	SyncFailed  = "failed"  // the last sync failed; LastError says why
)

// SyncStatus is the state of the sync engine as the engine reports it.
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

// SyncTracker holds the current sync status. The sync engine sets it; every
// change is emitted to the webview as EventSyncStatus. It is safe for
// concurrent use.
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

// SyncService exposes the sync state to the webview.
type SyncService struct {
	tracker *SyncTracker
}

// Status returns the current sync state: idle and never synced until the
// sync engine reports otherwise.
func (s *SyncService) Status() SyncStatusDTO {
	return ToSyncStatusDTO(s.tracker.Status())
}
