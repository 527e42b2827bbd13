package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache holds statements prepared once on the writer connection.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// wtx is one write transaction with per-transaction statement handles.
type wtx struct {
	ctx   context.Context
	db    *DB
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	now   int64
	// noForgotten caches whether the forgotten table is empty: 0 unknown,
	// 1 empty, 2 has rows. ForgetCustomer runs in its own transaction.
	noForgotten int
	// missing lists queries prepared for this transaction only; they are
	// prepared on the writer after it, when its connection is free again.
	missing []string
}

func (db *DB) cached(q string) *sql.Stmt {
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	return db.cache.m[q]
}

// prepared prepares q on the writer pool. Never call it inside a write
// transaction: the pool's one connection is busy then. The cache lock is
// not held while preparing (a transaction in progress needs it).
func (db *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if s := db.cached(q); s != nil {
		return s, nil
	}
	s, err := db.w.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	db.cache.mu.Lock()
	defer db.cache.mu.Unlock()
	if old, ok := db.cache.m[q]; ok {
		s.Close()
		return old, nil
	}
	if db.cache.m == nil {
		db.cache.m = map[string]*sql.Stmt{}
	}
	db.cache.m[q] = s
	return s, nil
}

func (t *wtx) stmt(q string) (*sql.Stmt, error) {
	if s, ok := t.stmts[q]; ok {
		return s, nil
	}
	var s *sql.Stmt
	if ps := t.db.cached(q); ps != nil {
		s = t.tx.StmtContext(t.ctx, ps)
	} else {
		var err error
		if s, err = t.tx.PrepareContext(t.ctx, q); err != nil {
			return nil, err
		}
		t.missing = append(t.missing, q)
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = s
	return s, nil
}

func (t *wtx) exec(q string, args ...any) (sql.Result, error) {
	s, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(t.ctx, args...)
}

func (t *wtx) queryRow(q string, args ...any) *sql.Row {
	s, err := t.stmt(q)
	if err != nil {
		// Surface the prepare error through a query that fails the same way.
		return t.tx.QueryRowContext(t.ctx, q, args...)
	}
	return s.QueryRowContext(t.ctx, args...)
}

// writeTx runs fn in one write transaction (see DB.write).
func (db *DB) writeTx(ctx context.Context, what string, fn func(t *wtx) error) error {
	var missing []string
	err := db.write(ctx, what, func(tx *sql.Tx) error {
		t := &wtx{ctx: ctx, db: db, tx: tx, now: db.opts.Now().Unix()}
		err := fn(t)
		missing = t.missing
		return err
	})
	for _, q := range missing {
		if _, err := db.prepared(ctx, q); err != nil {
			break // not needed for correctness: the next transaction prepares it again
		}
	}
	return err
}
