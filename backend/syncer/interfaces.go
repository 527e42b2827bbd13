package syncer

import (
	"context"

	"billfold/backend"
)

// Source is Stripe as the syncer needs it. backend/stripeapi implements it;
// tests use the sandbox through stripeapi, or an in-memory fake.
type Source interface {
	// ListPage returns up to limit objects of typ created in [gte, lt),
	// newest first, after the object startingAfter ("" for the first page),
	// with every nested list complete.
	ListPage(ctx context.Context, typ backend.ObjectType, gte, lt int64, startingAfter string, limit int) (Page, error)
	// Retrieve fetches one object by id; a deleted customer comes back with Deleted set.
	Retrieve(ctx context.Context, typ backend.ObjectType, id string) (backend.RawObject, error)
	// Events returns a page of /v1/events created in [gte, lt), newest first.
	Events(ctx context.Context, gte, lt int64, startingAfter string, limit int) (EventPage, error)
}

type Page struct {
	Objects []backend.RawObject
	HasMore bool
}

type EventPage struct {
	Events  []backend.Event
	HasMore bool
}

// Store is the local cache as the syncer needs it. backend/store implements it.
type Store interface {
	// Ranges returns the saved backfill ranges of typ (empty before the first run).
	Ranges(ctx context.Context, typ backend.ObjectType) ([]backend.SyncRange, error)
	// ReplaceRanges atomically replaces the ranges of typ (planning and splitting).
	ReplaceRanges(ctx context.Context, typ backend.ObjectType, ranges []backend.SyncRange) error
	// SavePage upserts objs (only where Stamp >= the stored Stamp), appends a
	// subscription version for every subscription whose content changed, and
	// saves r (its Cursor, Done and Count), all in one transaction.
	SavePage(ctx context.Context, r backend.SyncRange, objs []backend.RawObject) error
	// ApplyEvents stores events not seen before (deduped by id), upserts objs
	// under the same Stamp guard and version rule, and saves the events
	// cursor, all in one transaction.
	ApplyEvents(ctx context.Context, events []backend.Event, objs []backend.RawObject, cursor int64) error
	// EventsCursor returns the saved events cursor (0 before the first sync).
	EventsCursor(ctx context.Context) (int64, error)
	// Hashes returns id -> content hash of the stored objects of typ created in [gte, lt).
	Hashes(ctx context.Context, typ backend.ObjectType, gte, lt int64) (map[string]string, error)
}
