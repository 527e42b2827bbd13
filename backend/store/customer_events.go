package store

import (
	"context"
	"database/sql"
)

// EventRow is a stored event of a customer, for a timeline.
type EventRow struct {
	ID       string
	Type     string
	Created  int64
	ObjectID string
}

// CustomerEvents returns the customer's stored events, newest first, at
// most limit (default 100).
func (db *DB) CustomerEvents(ctx context.Context, customer string, limit int) ([]EventRow, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []EventRow
	err := db.read(ctx, "customer events", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, type, created, object_id FROM events INDEXED BY events_customer
			WHERE customer = ? ORDER BY created DESC, id DESC LIMIT ?`, customer, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e EventRow
			if err := rows.Scan(&e.ID, &e.Type, &e.Created, &e.ObjectID); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}
