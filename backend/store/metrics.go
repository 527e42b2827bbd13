package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"billfold/backend"
)

// MRRPoint is one materialised end-of-day MRR change point of a customer in
// one currency (metrics.Point plus its series' identity). Day is metrics.Day.
type MRRPoint struct {
	Customer string
	Currency string
	Day      int32
	MRR      int64
	Test     bool
}

// MetricsState says what the materialised points were computed with.
type MetricsState struct {
	Settings  string // settings fingerprint; "" before the first build
	BuiltAt   int64
	Customers int64
	Points    int64
	// Config is the saved metric settings as flag name -> value (JSON).
	Config string
}

// DirtyMark is a customer whose MRR inputs changed since the points were
// computed; Gen identifies the mark so a refresh clears only what it saw.
type DirtyMark struct {
	Customer string
	Gen      int64
}

// MetricsState returns the state of the materialised points.
func (db *DB) MetricsState(ctx context.Context) (MetricsState, error) {
	var st MetricsState
	err := db.read(ctx, "metrics state", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT key, value FROM metrics_state")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "settings":
				st.Settings = v
			case "built_at":
				st.BuiltAt = n
			case "customers":
				st.Customers = n
			case "points":
				st.Points = n
			case "config":
				st.Config = v
			}
		}
		return rows.Err()
	})
	return st, err
}

// DirtyCustomers returns the customers marked changed since the last
// ReplaceMRRPoints that cleared them.
func (db *DB) DirtyCustomers(ctx context.Context) ([]DirtyMark, error) {
	var out []DirtyMark
	err := db.read(ctx, "dirty customers", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT customer, gen FROM metrics_dirty ORDER BY customer")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m DirtyMark
			if err := rows.Scan(&m.Customer, &m.Gen); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}

// ReplacePoints says what ReplaceMRRPoints replaces.
type ReplacePoints struct {
	// All replaces every stored point (a full rebuild) and clears every dirty
	// mark seen up to Marks (all marks when Marks is nil).
	All bool
	// Customers whose points are replaced (when not All).
	Customers []string
	// Marks are cleared when their gen is unchanged (a change during the
	// rebuild keeps its mark for the next refresh).
	Marks []DirtyMark
	// Settings is the fingerprint the points were computed with.
	Settings string
	BuiltAt  int64
}

// ReplaceMRRPoints replaces the materialised points of r.Customers (or all)
// with points, in one transaction: readers see the old or the new set.
// points is called with an insert function; it streams the rows.
func (db *DB) ReplaceMRRPoints(ctx context.Context, r ReplacePoints, points func(add func(MRRPoint) error) error) error {
	return db.write(ctx, "save metrics", func(tx *sql.Tx) error {
		if r.All {
			if _, err := tx.ExecContext(ctx, "DELETE FROM mrr_points"); err != nil {
				return err
			}
		} else {
			del, err := tx.PrepareContext(ctx, "DELETE FROM mrr_points WHERE customer = ?")
			if err != nil {
				return err
			}
			defer del.Close()
			for _, c := range r.Customers {
				if _, err := del.ExecContext(ctx, c); err != nil {
					return err
				}
			}
		}
		ins, err := tx.PrepareContext(ctx, "INSERT OR REPLACE INTO mrr_points (customer, currency, day, mrr, test) VALUES (?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		defer ins.Close()
		if err := points(func(p MRRPoint) error {
			_, err := ins.ExecContext(ctx, p.Customer, p.Currency, p.Day, p.MRR, b2i(p.Test))
			return err
		}); err != nil {
			return err
		}
		if r.All && r.Marks == nil {
			if _, err := tx.ExecContext(ctx, "DELETE FROM metrics_dirty"); err != nil {
				return err
			}
		} else {
			clr, err := tx.PrepareContext(ctx, "DELETE FROM metrics_dirty WHERE customer = ? AND gen = ?")
			if err != nil {
				return err
			}
			defer clr.Close()
			for _, m := range r.Marks {
				if _, err := clr.ExecContext(ctx, m.Customer, m.Gen); err != nil {
					return err
				}
			}
		}
		var customers, n int64
		if err := tx.QueryRowContext(ctx, "SELECT count(DISTINCT customer), count(*) FROM mrr_points").Scan(&customers, &n); err != nil {
			return err
		}
		for k, v := range map[string]string{"settings": r.Settings, "built_at": strconv.FormatInt(r.BuiltAt, 10),
			"customers": strconv.FormatInt(customers, 10), "points": strconv.FormatInt(n, 10)} {
			if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO metrics_state (key, value) VALUES (?, ?)", k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// EachMRRPoint streams the materialised points ordered by currency,
// customer, day (one series after another). currency "" means all.
func (db *DB) EachMRRPoint(ctx context.Context, currency string, fn func(MRRPoint) error) error {
	q := "SELECT customer, currency, day, mrr, test FROM mrr_points"
	var args []any
	if currency != "" {
		q += " WHERE currency = ?"
		args = append(args, strings.ToLower(currency))
	}
	q += " ORDER BY currency, customer, day"
	return db.read(ctx, "read metrics", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var p MRRPoint
		var test int64
		for rows.Next() {
			if err := rows.Scan(&p.Customer, &p.Currency, &p.Day, &p.MRR, &test); err != nil {
				return err
			}
			p.Test = test != 0
			if err := fn(p); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// MetricsInput is everything of one customer that its MRR depends on: its
// subscriptions (latest objects, deleted ones included), their stored
// versions (oldest first) and the customer's invoices with complete lines.
type MetricsInput struct {
	Customer      string
	Subscriptions []backend.Subscription
	Versions      map[string][]SubscriptionVersion // by subscription id
	Invoices      []backend.Invoice
}

// MetricsInputs returns the inputs of the given customers (one read
// snapshot). Customers without subscriptions come back with none.
func (db *DB) MetricsInputs(ctx context.Context, customers []string) ([]MetricsInput, error) {
	out := make([]MetricsInput, 0, len(customers))
	err := db.read(ctx, "metrics inputs", func(tx *sql.Tx) error {
		for _, c := range customers {
			in := MetricsInput{Customer: c, Versions: map[string][]SubscriptionVersion{}}
			if err := scanJSON(ctx, tx, "SELECT raw FROM subscriptions WHERE customer = ? AND raw <> '' ORDER BY created, id", c, func(b []byte) error {
				var s backend.Subscription
				if err := json.Unmarshal(b, &s); err != nil {
					return fmt.Errorf("decode subscription: %w", err)
				}
				in.Subscriptions = append(in.Subscriptions, s)
				return nil
			}); err != nil {
				return err
			}
			rows, err := tx.QueryContext(ctx, "SELECT subscription, at, hash, raw FROM subscription_versions WHERE customer = ? ORDER BY subscription, at, seq", c)
			if err != nil {
				return err
			}
			for rows.Next() {
				var v SubscriptionVersion
				var raw []byte
				if err := rows.Scan(&v.Subscription, &v.At, &v.Hash, &raw); err != nil {
					rows.Close()
					return err
				}
				v.Raw = raw
				in.Versions[v.Subscription] = append(in.Versions[v.Subscription], v)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if err := scanJSON(ctx, tx, "SELECT raw FROM invoices WHERE customer = ? AND subscription <> '' AND raw <> '' ORDER BY created, id", c, func(b []byte) error {
				var v backend.Invoice
				if err := json.Unmarshal(b, &v); err != nil {
					return fmt.Errorf("decode invoice: %w", err)
				}
				in.Invoices = append(in.Invoices, v)
				return nil
			}); err != nil {
				return err
			}
			out = append(out, in)
		}
		return nil
	})
	return out, err
}

func scanJSON(ctx context.Context, tx *sql.Tx, q string, arg any, fn func([]byte) error) error {
	rows, err := tx.QueryContext(ctx, q, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var raw sql.RawBytes
		if err := rows.Scan(&raw); err != nil {
			return err
		}
		if err := fn(raw); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EachPrice streams the price catalog (deleted prices included: history
// refers to them).
func (db *DB) EachPrice(ctx context.Context, fn func(*backend.Price) error) error {
	return eachTyped(ctx, db, backend.TypePrices, EachOptions{IncludeDeleted: true}, fn)
}

// MetricsCustomers returns every customer id that has a subscription, or
// stored points (so a customer whose subscriptions vanished is cleared).
func (db *DB) MetricsCustomers(ctx context.Context) ([]string, error) {
	var out []string
	err := db.read(ctx, "metrics customers", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT customer FROM subscriptions WHERE customer <> ''
			UNION SELECT customer FROM mrr_points ORDER BY 1`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// SetMetricsConfig saves the metric settings (flag name -> value, as JSON)
// of this cache. The caller rebuilds the points when they change.
func (db *DB) SetMetricsConfig(ctx context.Context, config string) error {
	return db.write(ctx, "save metric settings", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO metrics_state (key, value) VALUES ('config', ?)", config)
		return err
	})
}

// EachInvoiceOfSubscriptions streams the invoices (complete lines) of the
// given subscriptions.
func (db *DB) EachInvoiceOfSubscriptions(ctx context.Context, ids []string, fn func(*backend.Invoice) error) error {
	return db.read(ctx, "read invoices", func(tx *sql.Tx) error {
		for _, id := range ids {
			if err := scanJSON(ctx, tx, "SELECT raw FROM invoices WHERE subscription = ? AND raw <> '' ORDER BY created, id", id, func(b []byte) error {
				var v backend.Invoice
				if err := json.Unmarshal(b, &v); err != nil {
					return fmt.Errorf("decode invoice: %w", err)
				}
				return fn(&v)
			}); err != nil {
				return err
			}
		}
		return nil
	})
}

// CustomerNames returns id -> name (or email when unnamed) of the given customers.
func (db *DB) CustomerNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := db.read(ctx, "customer names", func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, "SELECT name, email FROM customers WHERE id = ?")
		if err != nil {
			return err
		}
		defer st.Close()
		for _, id := range ids {
			var name, email string
			err := st.QueryRowContext(ctx, id).Scan(&name, &email)
			if isNoRows(err) {
				continue
			}
			if err != nil {
				return err
			}
			if name == "" {
				name = email
			}
			out[id] = name
		}
		return nil
	})
	return out, err
}

// ProductNames returns product id -> name.
func (db *DB) ProductNames(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := db.read(ctx, "product names", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id, name FROM products")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			out[id] = name
		}
		return rows.Err()
	})
	return out, err
}

// SubscriptionFilter narrows EachSubscriptionWhere in SQL (before any JSON
// is decoded).
type SubscriptionFilter struct {
	Currency  string // "" any
	WithTrial bool   // only subscriptions with a trial_start
	// LiveAt (unix seconds, 0: no filter) keeps subscriptions started by
	// then and not ended before then.
	LiveAt int64
}

// EachSubscriptionWhere streams the subscriptions (deleted included) that
// match f, oldest first.
func (db *DB) EachSubscriptionWhere(ctx context.Context, f SubscriptionFilter, fn func(*backend.Subscription) error) error {
	where := []string{"raw <> ''"}
	var args []any
	if f.Currency != "" {
		where, args = append(where, "currency = ?"), append(args, strings.ToLower(f.Currency))
	}
	if f.WithTrial {
		where = append(where, "trial_start IS NOT NULL")
	}
	if f.LiveAt != 0 {
		where, args = append(where, "start_date <= ? AND (ended_at IS NULL OR ended_at > ?)"), append(args, f.LiveAt, f.LiveAt)
	}
	return db.eachJSON(ctx, "read subscriptions", "SELECT raw FROM subscriptions WHERE "+strings.Join(where, " AND ")+" ORDER BY created, id", args,
		func(b []byte) error {
			var s backend.Subscription
			if err := json.Unmarshal(b, &s); err != nil {
				return fmt.Errorf("decode subscription: %w", err)
			}
			return fn(&s)
		})
}

// EachChargeIn streams the charges of one currency created in [gte, lt).
func (db *DB) EachChargeIn(ctx context.Context, currency string, gte, lt int64, fn func(*backend.Charge) error) error {
	return db.eachJSON(ctx, "read charges", "SELECT raw FROM charges WHERE currency = ? AND created >= ? AND created < ? AND raw <> '' ORDER BY created, id",
		[]any{strings.ToLower(currency), gte, lt}, func(b []byte) error {
			var c backend.Charge
			if err := json.Unmarshal(b, &c); err != nil {
				return fmt.Errorf("decode charge: %w", err)
			}
			return fn(&c)
		})
}

// EachRefundIn streams the refunds of one currency created in [gte, lt).
func (db *DB) EachRefundIn(ctx context.Context, currency string, gte, lt int64, fn func(*backend.Refund) error) error {
	return db.eachJSON(ctx, "read refunds", "SELECT raw FROM refunds WHERE currency = ? AND created >= ? AND created < ? AND raw <> '' ORDER BY created, id",
		[]any{strings.ToLower(currency), gte, lt}, func(b []byte) error {
			var r backend.Refund
			if err := json.Unmarshal(b, &r); err != nil {
				return fmt.Errorf("decode refund: %w", err)
			}
			return fn(&r)
		})
}

func (db *DB) eachJSON(ctx context.Context, what, q string, args []any, fn func([]byte) error) error {
	return db.read(ctx, what, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var raw sql.RawBytes
			if err := rows.Scan(&raw); err != nil {
				return err
			}
			if err := fn(raw); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
