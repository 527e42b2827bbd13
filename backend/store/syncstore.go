package store

import (
	"context"
	"database/sql"
	"errors"
	"sort"

	"billfold/backend"
)

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Ranges returns the saved backfill ranges of typ, ordered by gte.
func (db *DB) Ranges(ctx context.Context, typ backend.ObjectType) ([]backend.SyncRange, error) {
	var out []backend.SyncRange
	err := db.read(ctx, "ranges", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT gte, lt, cursor, done, count FROM sync_ranges WHERE type = ? ORDER BY gte", string(typ))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r := backend.SyncRange{Type: typ}
			if err := rows.Scan(&r.Gte, &r.Lt, &r.Cursor, &r.Done, &r.Count); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// checkRanges refuses empty, inverted or overlapping ranges.
func checkRanges(typ backend.ObjectType, ranges []backend.SyncRange) error {
	rs := append([]backend.SyncRange(nil), ranges...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Gte < rs[j].Gte })
	for i, r := range rs {
		if r.Type != "" && r.Type != typ {
			return backend.Errorf(backend.EINVALID, "range [%d, %d) is of type %s, not %s", r.Gte, r.Lt, r.Type, typ)
		}
		if r.Gte >= r.Lt {
			return backend.Errorf(backend.EINVALID, "range [%d, %d) of %s is empty or inverted", r.Gte, r.Lt, typ)
		}
		if i > 0 && r.Gte < rs[i-1].Lt {
			return backend.Errorf(backend.EINVALID, "ranges [%d, %d) and [%d, %d) of %s overlap", rs[i-1].Gte, rs[i-1].Lt, r.Gte, r.Lt, typ)
		}
	}
	return nil
}

// ReplaceRanges atomically replaces the ranges of typ.
func (db *DB) ReplaceRanges(ctx context.Context, typ backend.ObjectType, ranges []backend.SyncRange) error {
	if _, err := tableOf(typ); err != nil {
		return err
	}
	if err := checkRanges(typ, ranges); err != nil {
		return err
	}
	return db.writeTx(ctx, "replace ranges", func(t *wtx) error {
		if _, err := t.exec("DELETE FROM sync_ranges WHERE type = ?", string(typ)); err != nil {
			return err
		}
		for _, r := range ranges {
			if _, err := t.exec("INSERT INTO sync_ranges (type, gte, lt, cursor, done, count) VALUES (?, ?, ?, ?, ?, ?)",
				string(typ), r.Gte, r.Lt, r.Cursor, r.Done, r.Count); err != nil {
				return err
			}
		}
		return nil
	})
}

// saveRange updates the range with the same bounds; a range not planned yet
// is added only if it overlaps no saved range of its type.
func (t *wtx) saveRange(r backend.SyncRange) error {
	res, err := t.exec("UPDATE sync_ranges SET cursor = ?, done = ?, count = ? WHERE type = ? AND gte = ? AND lt = ?",
		r.Cursor, r.Done, r.Count, string(r.Type), r.Gte, r.Lt)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var overlaps int
	if err := t.queryRow("SELECT count(*) FROM sync_ranges WHERE type = ? AND gte < ? AND lt > ?",
		string(r.Type), r.Lt, r.Gte).Scan(&overlaps); err != nil {
		return err
	}
	if overlaps > 0 {
		return backend.Errorf(backend.ECONFLICT, "range [%d, %d) of %s is not planned and overlaps a saved range: the page was not saved", r.Gte, r.Lt, r.Type)
	}
	_, err = t.exec("INSERT INTO sync_ranges (type, gte, lt, cursor, done, count) VALUES (?, ?, ?, ?, ?, ?)",
		string(r.Type), r.Gte, r.Lt, r.Cursor, r.Done, r.Count)
	return err
}

// SavePage upserts objs under the stamp guard (incoming Stamp >= stored),
// appends subscription versions on content changes and saves r, all in one
// transaction.
func (db *DB) SavePage(ctx context.Context, r backend.SyncRange, objs []backend.RawObject) error {
	if _, err := tableOf(r.Type); err != nil {
		return err
	}
	if r.Gte >= r.Lt {
		return backend.Errorf(backend.EINVALID, "range [%d, %d) of %s is empty or inverted", r.Gte, r.Lt, r.Type)
	}
	return db.writeTx(ctx, "save page", func(t *wtx) error {
		for _, o := range objs {
			if err := t.upsert(o, ""); err != nil {
				return err
			}
		}
		return t.saveRange(r)
	})
}

// ApplyEvents stores new events (deduped by id), upserts objs under the same
// guard and saves the events cursor, in one transaction.
func (db *DB) ApplyEvents(ctx context.Context, events []backend.Event, objs []backend.RawObject, cursor int64) error {
	return db.writeTx(ctx, "apply events", func(t *wtx) error {
		for _, e := range events {
			if err := t.storeEvent(e); err != nil {
				return err
			}
		}
		for _, o := range objs {
			if err := t.upsert(o, ""); err != nil {
				return err
			}
		}
		_, err := t.exec("UPDATE sync_state SET events_cursor = ? WHERE id = 1", cursor)
		return err
	})
}

// EventsCursor returns the saved events cursor (0 before the first sync).
func (db *DB) EventsCursor(ctx context.Context) (int64, error) {
	var c int64
	err := db.read(ctx, "events cursor", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, "SELECT events_cursor FROM sync_state WHERE id = 1").Scan(&c)
	})
	return c, err
}

// Hashes returns id -> content hash of the stored, not deleted objects of
// typ created in [gte, lt).
func (db *DB) Hashes(ctx context.Context, typ backend.ObjectType, gte, lt int64) (map[string]string, error) {
	tb, err := tableOf(typ)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	err = db.read(ctx, "hashes", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id, hash FROM "+tb.name+" WHERE created >= ? AND created < ? AND deleted = 0", gte, lt)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, h string
			if err := rows.Scan(&id, &h); err != nil {
				return err
			}
			out[id] = h
		}
		return rows.Err()
	})
	return out, err
}
