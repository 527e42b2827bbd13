package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"billfold/backend"
)

// Migrations are numbered files NNNN_name.sql, applied in order, each in its
// own transaction, recorded in schema_migrations. Never edit a landed one:
// add the next number.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d (no gaps, no repeats)", m.name, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the newest migration this build knows.
func SchemaVersion() int {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		return 0
	}
	return len(ms)
}

func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return db.wrap(err, "migrate")
	}
	var current int
	if err := db.w.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return db.wrap(err, "migrate")
	}
	if current > len(ms) {
		return backend.Errorf(backend.EINVALID,
			"the local cache %s was written by a newer Billfold (schema %d, this build knows %d): update Billfold", db.path, current, len(ms))
	}
	for _, m := range ms[current:] {
		err := db.write(ctx, "migrate "+m.name, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, db.opts.Now().Unix()); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", strconv.Itoa(m.version))
			return err
		})
		if err != nil {
			return err
		}
		db.log.Info("store: migrated", "version", m.version, "name", m.name)
	}
	_, err = db.w.ExecContext(ctx, "INSERT OR IGNORE INTO meta (key, value) VALUES ('stripe_api_version', ?)", backend.StripeAPIVersion)
	return db.wrap(err, "migrate")
}
