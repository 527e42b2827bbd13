package backend

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// RawObject is one Stripe object as synced: its JSON is the truth (nested
// lists already completed), the other fields are derived from it.
type RawObject struct {
	Type    ObjectType
	ID      string
	Created int64
	// Stamp orders versions of the same object: the created time of the event
	// that carried it, or the time it was fetched from a list or retrieve.
	// The store upserts only when the incoming Stamp is >= the stored one.
	Stamp   int64
	Deleted bool
	Raw     json.RawMessage
	// Hash is ContentHash(Raw) when the producer already computed it (the
	// syncer's parallel workers do, off the single writer); "" means the
	// store computes it.
	Hash string
}

// SyncRange is one half-open created range [Gte, Lt) of one object type,
// owned by exactly one backfill worker. Cursor is the id to pass as
// starting_after for the next page ("" before the first page).
type SyncRange struct {
	Type   ObjectType
	Gte    int64
	Lt     int64
	Cursor string
	Done   bool
	Count  int64 // objects stored from this range so far
}

// ContentHash is the hash verify compares: SHA-256 of the object's JSON in
// canonical form (keys sorted, numbers kept exactly, insignificant space gone),
// so the same object hashes the same whoever serialised it.
func ContentHash(raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("content hash: %w", err)
	}
	canon, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("content hash: %w", err)
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:]), nil
}
