// Package store is Billfold's local cache: one SQLite file (modernc, pure Go)
// per Stripe account and mode. Raw Stripe JSON is kept as the truth; the
// columns the UI and metrics read are derived from it on upsert. It
// implements syncer.Store and the read API of the UI, metrics and CLI.
//
// Connections: one writer connection (BEGIN IMMEDIATE, busy_timeout first in
// the DSN) and a separate pool of read-only connections, so reads during a
// sync never see "database is locked".
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"billfold/backend"

	_ "modernc.org/sqlite" // driver "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Options configure Open. The zero value is usable.
type Options struct {
	// Now is the clock (default time.Now), used for tombstones and the names
	// of files moved aside.
	Now func() time.Time
	// Logger receives internal diagnostics (nil: discard).
	Logger *slog.Logger
	// ReadConns is the size of the read pool (default 4).
	ReadConns int
	// BusyTimeout is how long a connection waits for a lock (default 10 s).
	BusyTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 10 * time.Second
	}
	return o
}

// DB is one open cache file.
type DB struct {
	path     string
	opts     Options
	log      *slog.Logger
	w        *sql.DB // exactly one connection: all writes
	r        *sql.DB // read-only connections
	recovery *Recovery
	cache    stmtCache
}

// Recovery says that the file found at open was damaged (or not a database)
// and was moved aside; the cache is empty and a full sync will refill it.
type Recovery struct {
	Reason  string   // what the check found, e.g. "file is not a database"
	MovedTo []string // where the damaged file (and its -wal, -shm) went
}

// Message is the sentence to show the user.
func (r *Recovery) Message() string {
	return "The local cache was damaged and has been rebuilt; a full sync will run. " +
		"The damaged file was kept as " + filepath.Base(r.MovedTo[0]) + "."
}

var accountRe = regexp.MustCompile(`^acct_[A-Za-z0-9]+$`)

// Path returns the cache file of an account and mode under the data folder
// home: home/accounts/<acct>/<mode>.db.
func Path(home, accountID string, mode backend.Mode) (string, error) {
	if home == "" {
		return "", backend.Errorf(backend.EINVALID, "no data folder given")
	}
	if !accountRe.MatchString(accountID) {
		return "", backend.Errorf(backend.EINVALID, "invalid Stripe account id %q: expected acct_ followed by letters and digits", accountID)
	}
	if mode != backend.ModeTest && mode != backend.ModeLive {
		return "", backend.Errorf(backend.EINVALID, "invalid mode %q: expected test or live", mode)
	}
	return filepath.Join(home, "accounts", accountID, string(mode)+".db"), nil
}

// Open opens (creating if needed) the cache file at path, checks it with
// PRAGMA quick_check and migrates it. A damaged or non-database file is
// moved aside and a fresh cache created: see DB.Recovery.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, backend.Errorf(backend.EINVALID, "invalid database path %q: it must be non-empty and contain no ? or #", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, backend.Errorf(backend.EINVALID, "invalid database path %q: %v", path, err)
	}
	path = abs
	if err := prepareFiles(path); err != nil {
		return nil, err
	}
	db := &DB{path: path, opts: opts, log: opts.Logger}
	reason, err := db.openAndCheck(ctx)
	if err != nil {
		return nil, err
	}
	if reason != "" {
		moved, err := moveAside(path, opts.Now())
		if err != nil {
			return nil, err
		}
		db.log.Warn("store: damaged cache moved aside", "reason", reason, "moved_to", moved[0])
		db.recovery = &Recovery{Reason: reason, MovedTo: moved}
		if err := prepareFiles(path); err != nil {
			return nil, err
		}
		reason, err = db.openAndCheck(ctx)
		if err != nil {
			return nil, err
		}
		if reason != "" {
			return nil, backend.Errorf(backend.ECORRUPT, "the new local cache at %s failed its check too (%s): check the disk", path, reason)
		}
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// WAL and SHM files exist now; make sure of their modes.
	if err := fixModes(path); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Recovery is non-nil when Open found a damaged file and rebuilt the cache.
func (db *DB) Recovery() *Recovery { return db.recovery }

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes both pools.
func (db *DB) Close() error {
	var errs []error
	db.cache.mu.Lock()
	for _, s := range db.cache.m {
		s.Close()
	}
	db.cache.m = nil
	db.cache.mu.Unlock()
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

func (db *DB) dsn(write bool) string {
	ms := db.opts.BusyTimeout.Milliseconds()
	q := fmt.Sprintf("_pragma=busy_timeout(%d)", ms)
	if write {
		q += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)" +
			"&_pragma=secure_delete(1)&_pragma=cache_size(-65536)&_txlock=immediate"
	} else {
		q += "&_pragma=query_only(1)&_pragma=foreign_keys(1)&_pragma=cache_size(-32768)"
	}
	return db.path + "?" + q
}

// openAndCheck opens both pools and runs quick_check. A non-empty reason
// means the file is damaged (the pools are closed again then).
func (db *DB) openAndCheck(ctx context.Context) (reason string, err error) {
	w, err := sql.Open("sqlite", db.dsn(true))
	if err != nil {
		return "", fmt.Errorf("open store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	reason, err = quickCheck(ctx, w)
	if err != nil || reason != "" {
		w.Close()
		if err != nil {
			return "", diskError(err, db.path, "open the local cache")
		}
		return reason, nil
	}
	r, err := sql.Open("sqlite", db.dsn(false))
	if err != nil {
		w.Close()
		return "", fmt.Errorf("open store: %w", err)
	}
	r.SetMaxOpenConns(db.opts.ReadConns)
	r.SetMaxIdleConns(db.opts.ReadConns)
	r.SetConnMaxLifetime(0)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return "", diskError(err, db.path, "open the local cache")
	}
	db.w, db.r = w, r
	return "", nil
}

// quickCheck returns the damage found ("" when none). Errors that mean
// damage (not a database, corrupt) become a reason; others are returned.
func quickCheck(ctx context.Context, w *sql.DB) (string, error) {
	rows, err := w.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		if isDamage(err) {
			return err.Error(), nil
		}
		return "", err
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		if s != "ok" {
			found = append(found, s)
		}
	}
	if err := rows.Err(); err != nil {
		if isDamage(err) {
			return err.Error(), nil
		}
		return "", err
	}
	if len(found) > 0 {
		if len(found) > 3 {
			found = append(found[:3], fmt.Sprintf("and %d more problems", len(found)-3))
		}
		return "quick_check: " + strings.Join(found, "; "), nil
	}
	return "", nil
}

// prepareFiles creates the folder (0700) and the database file (0600) so
// SQLite's -wal and -shm files, which copy the database file's mode, are
// 0600 too, whatever the umask. Folders that already exist are left as
// they are, except an account folder of the Path layout, which loses any
// group and other bits: a --db file may live in a folder the user shares.
func prepareFiles(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return diskError(err, path, "create the data folder")
	}
	if filepath.Base(filepath.Dir(dir)) == "accounts" && accountRe.MatchString(filepath.Base(dir)) {
		if err := restrict(dir, 0o700); err != nil {
			return diskError(err, path, "protect the data folder")
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return diskError(err, path, "open the local cache")
	}
	f.Close()
	return fixModes(path)
}

func fixModes(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := restrict(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return diskError(err, path, "protect the local cache")
		}
	}
	return nil
}

// restrict removes the permission bits outside mask (group and others),
// and never adds any: a folder the user made read-only stays read-only.
func restrict(p string, mask os.FileMode) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if perm := st.Mode().Perm(); perm&^mask != 0 {
		return os.Chmod(p, st.Mode()&(mask|os.ModeSetuid|os.ModeSetgid|os.ModeSticky))
	}
	return nil
}

// moveAside renames the database file and its -wal and -shm to
// <name>.corrupt-<timestamp>[-wal|-shm]; it returns the new names.
func moveAside(path string, now time.Time) ([]string, error) {
	base := path + ".corrupt-" + now.UTC().Format("20060102T150405Z")
	dest := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(dest); errors.Is(err, os.ErrNotExist) {
			break
		}
		dest = fmt.Sprintf("%s-%d", base, i)
	}
	var moved []string
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Rename(path+suffix, dest+suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return moved, diskError(err, path, "move the damaged local cache aside")
		}
		moved = append(moved, dest+suffix)
	}
	return moved, nil
}

// write runs fn in one IMMEDIATE transaction on the writer connection; any
// error rolls back, so the last good data stays.
func (db *DB) write(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap(err, what)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return db.wrap(err, what)
	}
	if err := tx.Commit(); err != nil {
		tx.Rollback()
		return db.wrap(err, what)
	}
	return nil
}

// read runs fn in one read transaction (a consistent snapshot).
func (db *DB) read(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return db.wrap(err, what)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return db.wrap(err, what)
	}
	return nil
}

// wrap adds a prefix and turns disk and corruption errors into backend
// errors with a message for the user.
func (db *DB) wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var be *backend.Error
	if errors.As(err, &be) {
		if be.Code == backend.EINTERNAL || be.Code == "" {
			return fmt.Errorf("%s: %w", what, err)
		}
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &backend.Error{Code: backend.ECANCELED, Message: what + ": cancelled", Err: err}
	}
	if e := diskError(err, db.path, what); e != err {
		return e
	}
	if c := sqliteCode(err); c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED {
		return &backend.Error{Code: backend.ECONFLICT, Err: err,
			Message: what + ": the local cache stayed busy (another Billfold process is writing it): try again when it finishes"}
	}
	if isDamage(err) {
		return &backend.Error{Code: backend.ECORRUPT, Err: err,
			Message: "the local cache is damaged (" + err.Error() + "): restart Billfold to rebuild it with a full sync"}
	}
	return fmt.Errorf("%s: %w", what, err)
}
