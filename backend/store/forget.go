package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"billfold/backend"
)

// ForgetResult counts what ForgetCustomer removed.
type ForgetResult struct {
	Customer      string
	Subscriptions int64
	Invoices      int64
	Charges       int64
	Refunds       int64
	Events        int64
	Versions      int64
	// CheckpointBusy is true when a reader kept the WAL from being fully
	// truncated; the removed data is zeroed in the database either way and
	// the WAL is truncated at the next checkpoint.
	CheckpointBusy bool
}

// ForgetCustomer removes a customer and everything of it (subscriptions and
// their versions and items, invoices and lines, charges, refunds, discounts,
// events, the search index row) with secure_delete on, so the bytes are
// zeroed; then truncates the WAL. A tombstone of each removed id keeps a
// later sync from bringing them back. ENOTFOUND if nothing is known of id.
func (db *DB) ForgetCustomer(ctx context.Context, id string) (ForgetResult, error) {
	res := ForgetResult{Customer: id}
	if id == "" {
		return res, backend.Errorf(backend.EINVALID, "no customer id given")
	}
	err := db.writeTx(ctx, "forget customer", func(t *wtx) error {
		var pk int64
		err := t.queryRow("SELECT pk FROM customers WHERE id = ?", id).Scan(&pk)
		found := err == nil
		if err != nil && !isNoRows(err) {
			return err
		}
		if found {
			if err := t.unindexCustomer(id); err != nil {
				return err
			}
		}
		tomb := func(typ backend.ObjectType, q string, args ...any) error {
			_, err := t.exec("INSERT OR IGNORE INTO forgotten (id, type, at) SELECT id, ?, ? FROM ("+q+")",
				append([]any{string(typ), t.now}, args...)...)
			return err
		}
		if err := tomb(backend.TypeCustomers, "SELECT ? AS id", id); err != nil {
			return err
		}
		steps := []struct {
			typ   backend.ObjectType
			sel   string
			count *int64
		}{
			{backend.TypeSubscriptions, "SELECT id FROM subscriptions WHERE customer = ?", &res.Subscriptions},
			{backend.TypeInvoices, "SELECT id FROM invoices WHERE customer = ?", &res.Invoices},
			{backend.TypeCharges, "SELECT id FROM charges WHERE customer = ?", &res.Charges},
			{backend.TypeRefunds, "SELECT id FROM refunds WHERE customer = ? OR charge IN (SELECT id FROM charges WHERE customer = ?)", &res.Refunds},
		}
		for _, s := range steps {
			args := []any{id}
			if s.typ == backend.TypeRefunds {
				args = append(args, id)
			}
			if err := tomb(s.typ, s.sel, args...); err != nil {
				return err
			}
		}
		// Delete children before parents (cascades cover items and lines).
		dels := []struct {
			q     string
			n     int
			count *int64
		}{
			{"DELETE FROM refunds WHERE customer = ? OR charge IN (SELECT id FROM charges WHERE customer = ?)", 2, &res.Refunds},
			{"DELETE FROM discounts WHERE customer = ? OR parent_id IN (SELECT id FROM subscriptions WHERE customer = ? UNION ALL SELECT id FROM invoices WHERE customer = ?) OR (parent_type = 'customer' AND parent_id = ?)", 4, nil},
			{"DELETE FROM subscription_versions WHERE customer = ? OR subscription IN (SELECT id FROM subscriptions WHERE customer = ?)", 2, &res.Versions},
			{"DELETE FROM events WHERE customer = ? OR object_id IN (SELECT id FROM forgotten)", 1, &res.Events},
			{"DELETE FROM subscriptions WHERE customer = ?", 1, &res.Subscriptions},
			{"DELETE FROM invoices WHERE customer = ?", 1, &res.Invoices},
			{"DELETE FROM charges WHERE customer = ?", 1, &res.Charges},
			{"DELETE FROM customers WHERE id = ?", 1, nil},
		}
		var total int64
		for _, d := range dels {
			args := make([]any, d.n)
			for i := range args {
				args[i] = id
			}
			r, err := t.exec(d.q, args...)
			if err != nil {
				return err
			}
			n, _ := r.RowsAffected()
			total += n
			if d.count != nil {
				*d.count = n
			}
		}
		if !found && total == 0 {
			return backend.Errorf(backend.ENOTFOUND, "customer %s is not in the local cache: nothing to forget", id)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	busy, err := db.checkpointTruncate(ctx)
	res.CheckpointBusy = busy
	return res, err
}

// checkpointTruncate copies the WAL into the database and truncates it.
func (db *DB) checkpointTruncate(ctx context.Context) (busy bool, err error) {
	var b, logN, done int
	if err := db.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&b, &logN, &done); err != nil {
		return false, db.wrap(err, "checkpoint")
	}
	return b != 0, nil
}

// Checkpoint truncates the WAL (for a clean shutdown or before copying).
func (db *DB) Checkpoint(ctx context.Context) error {
	busy, err := db.checkpointTruncate(ctx)
	if err == nil && busy {
		return backend.Errorf(backend.ECONFLICT, "the local cache is busy (a read is in progress): try again")
	}
	return err
}

// Backup writes a consistent copy of the cache to dest with VACUUM INTO
// (file mode 0600). dest must not exist.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if dest == "" {
		return backend.Errorf(backend.EINVALID, "no backup file given")
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return backend.Errorf(backend.EINVALID, "invalid backup file %q: %v", dest, err)
	}
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return backend.Errorf(backend.EINVALID, "backup file %s already exists: choose a new name", abs)
	}
	if err != nil {
		return diskError(err, abs, "write the backup")
	}
	f.Close()
	if err := os.Chmod(abs, 0o600); err != nil {
		os.Remove(abs)
		return diskError(err, abs, "write the backup")
	}
	// VACUUM INTO runs outside a transaction, on its own connection, so
	// neither the writer nor the read pool is held.
	conn, err := sql.Open("sqlite", db.path+"?"+fmt.Sprintf("_pragma=busy_timeout(%d)", db.opts.BusyTimeout.Milliseconds()))
	if err == nil {
		_, err = conn.ExecContext(ctx, "VACUUM INTO ?", abs)
		conn.Close()
	}
	if err != nil {
		os.Remove(abs)
		if e := diskError(err, abs, "write the backup"); e != err {
			return e
		}
		return fmt.Errorf("backup: %w", err)
	}
	return os.Chmod(abs, 0o600)
}
