package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"billfold/backend"
)

// CustomerDetail is one customer with everything the detail view shows.
// Lists are newest first.
type CustomerDetail struct {
	Customer      backend.Customer
	Deleted       bool
	Raw           json.RawMessage
	Subscriptions []backend.Subscription
	Invoices      []backend.Invoice
	Charges       []backend.Charge
	Refunds       []backend.Refund
}

// Customer returns a customer and its subscriptions, invoices, charges and
// refunds from one consistent snapshot. ENOTFOUND if the id is unknown.
func (db *DB) Customer(ctx context.Context, id string) (*CustomerDetail, error) {
	var d CustomerDetail
	err := db.read(ctx, "customer", func(tx *sql.Tx) error {
		var raw string
		var deleted bool
		err := tx.QueryRowContext(ctx, "SELECT raw, deleted FROM customers WHERE id = ?", id).Scan(&raw, &deleted)
		if isNoRows(err) {
			return backend.Errorf(backend.ENOTFOUND, "customer %s is not in the local cache: sync, or check the id", id)
		}
		if err != nil {
			return err
		}
		d.Raw, d.Deleted = json.RawMessage(raw), deleted
		if err := json.Unmarshal(d.Raw, &d.Customer); err != nil {
			return fmt.Errorf("decode customer %s: %w", id, err)
		}
		if err := collect(ctx, tx, &d.Subscriptions, "SELECT raw FROM subscriptions INDEXED BY subscriptions_customer WHERE customer = ? AND deleted = 0 ORDER BY created DESC, id", id); err != nil {
			return err
		}
		if err := collect(ctx, tx, &d.Invoices, "SELECT raw FROM invoices INDEXED BY invoices_customer WHERE customer = ? AND deleted = 0 ORDER BY created DESC, id", id); err != nil {
			return err
		}
		if err := collect(ctx, tx, &d.Charges, "SELECT raw FROM charges INDEXED BY charges_customer WHERE customer = ? AND deleted = 0 ORDER BY created DESC, id", id); err != nil {
			return err
		}
		return collect(ctx, tx, &d.Refunds, "SELECT raw FROM refunds INDEXED BY refunds_customer WHERE customer = ? AND deleted = 0 ORDER BY created DESC, id", id)
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func collect[T any](ctx context.Context, tx *sql.Tx, out *[]T, q string, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		*out = append(*out, v)
	}
	return rows.Err()
}

// CustomerRow is one line of the customer list.
type CustomerRow struct {
	ID          string
	Email       string
	Name        string
	Phone       string
	Description string
	Currency    string
	Balance     int64
	Delinquent  bool
	Deleted     bool
	Created     int64
}

// Customer list sort keys.
const (
	SortCreated = "created"
	SortName    = "name"
	SortEmail   = "email"
)

// CustomerListOptions select a page of the customer list.
type CustomerListOptions struct {
	Sort           string // created (default), name or email
	Order          string // asc or desc; default desc for created, asc for name and email
	Limit          int    // default 50, at most 1000
	After          string // the Next of the previous page ("" for the first)
	IncludeDeleted bool
}

// CustomerPage is one page; Next is "" on the last page.
type CustomerPage struct {
	Customers []CustomerRow
	Next      string
}

// ListCustomers returns a page of customers with keyset pagination (fast
// at any depth).
func (db *DB) ListCustomers(ctx context.Context, o CustomerListOptions) (*CustomerPage, error) {
	if o.Limit <= 0 {
		o.Limit = 50
	}
	if o.Limit > 1000 {
		o.Limit = 1000
	}
	var col string
	switch o.Sort {
	case "", SortCreated:
		col = "created"
	case SortName:
		col = "name COLLATE NOCASE"
	case SortEmail:
		col = "email COLLATE NOCASE"
	default:
		return nil, backend.Errorf(backend.EINVALID, "cannot sort customers by %q: use created, name or email", o.Sort)
	}
	var desc bool
	switch o.Order {
	case "":
		desc = col == "created"
	case "asc":
	case "desc":
		desc = true
	default:
		return nil, backend.Errorf(backend.EINVALID, "invalid sort order %q: use asc or desc", o.Order)
	}
	cmp, dir := ">", "ASC"
	if desc {
		cmp, dir = "<", "DESC"
	}
	where := []string{}
	args := []any{}
	if !o.IncludeDeleted {
		where = append(where, "deleted = 0")
	}
	if o.After != "" {
		key, pk, err := decodeCursor(o.After)
		if err != nil {
			return nil, err
		}
		var kv any = key
		if col == "created" {
			n, err := strconv.ParseInt(key, 10, 64)
			if err != nil {
				return nil, backend.Errorf(backend.EINVALID, "invalid page cursor")
			}
			kv = n
		}
		where = append(where, fmt.Sprintf("(%s, pk) %s (?, ?)", col, cmp))
		args = append(args, kv, pk)
	}
	q := "SELECT pk, id, email, name, phone, description, currency, balance, delinquent, deleted, created FROM customers"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY %s %s, pk %s LIMIT ?", col, dir, dir)
	args = append(args, o.Limit+1)
	page := &CustomerPage{}
	var lastPK, prevPK int64
	err := db.read(ctx, "list customers", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r CustomerRow
			if err := rows.Scan(&lastPK, &r.ID, &r.Email, &r.Name, &r.Phone, &r.Description, &r.Currency, &r.Balance,
				&r.Delinquent, &r.Deleted, &r.Created); err != nil {
				return err
			}
			if len(page.Customers) == o.Limit {
				last := page.Customers[len(page.Customers)-1]
				key := strconv.FormatInt(last.Created, 10)
				switch o.Sort {
				case SortName:
					key = last.Name
				case SortEmail:
					key = last.Email
				}
				page.Next = encodeCursor(key, prevPK)
				break
			}
			page.Customers = append(page.Customers, r)
			prevPK = lastPK
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

func encodeCursor(key string, pk int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(pk, 10) + ":" + key))
}

func decodeCursor(s string) (string, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		pkStr, key, ok := strings.Cut(string(b), ":")
		if pk, err := strconv.ParseInt(pkStr, 10, 64); ok && err == nil {
			return key, pk, nil
		}
	}
	return "", 0, backend.Errorf(backend.EINVALID, "invalid page cursor")
}

// SubscriptionVersion is one stored state of a subscription, effective at At.
type SubscriptionVersion struct {
	Subscription string
	At           int64
	Hash         string
	Raw          json.RawMessage
}

// SubscriptionVersions returns the versions of one subscription, oldest first.
func (db *DB) SubscriptionVersions(ctx context.Context, id string) ([]SubscriptionVersion, error) {
	var out []SubscriptionVersion
	err := db.read(ctx, "subscription versions", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT at, hash, raw FROM subscription_versions WHERE subscription = ? ORDER BY at, seq", id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v := SubscriptionVersion{Subscription: id}
			var raw []byte
			if err := rows.Scan(&v.At, &v.Hash, &raw); err != nil {
				return err
			}
			v.Raw = raw
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, err
}

// EachSubscriptionVersion calls fn for every stored version of every
// subscription, ordered by subscription, then time. fn must not keep v.Raw.
func (db *DB) EachSubscriptionVersion(ctx context.Context, fn func(v SubscriptionVersion) error) error {
	return db.read(ctx, "subscription versions", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT subscription, at, hash, raw FROM subscription_versions ORDER BY subscription, at, seq")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v SubscriptionVersion
			var raw sql.RawBytes
			if err := rows.Scan(&v.Subscription, &v.At, &v.Hash, &raw); err != nil {
				return err
			}
			v.Raw = json.RawMessage(raw)
			if err := fn(v); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// EachOptions filter Each.
type EachOptions struct {
	IncludeDeleted bool
	CreatedGte     int64 // 0: no lower bound
	CreatedLt      int64 // 0: no upper bound
	Customer       string
}

// Each streams the stored objects of typ, oldest first, one callback per row
// (memory stays flat over millions of rows). The RawObject's Raw is only
// valid during the call. Returning an error from fn stops and returns it.
func (db *DB) Each(ctx context.Context, typ backend.ObjectType, o EachOptions, fn func(backend.RawObject) error) error {
	tb, err := tableOf(typ)
	if err != nil {
		return err
	}
	where := []string{"1"}
	var args []any
	if !o.IncludeDeleted {
		where = append(where, "deleted = 0")
	}
	if o.CreatedGte != 0 {
		where, args = append(where, "created >= ?"), append(args, o.CreatedGte)
	}
	if o.CreatedLt != 0 {
		where, args = append(where, "created < ?"), append(args, o.CreatedLt)
	}
	if o.Customer != "" {
		if typ == backend.TypeCustomers {
			where = append(where, "id = ?")
		} else if typ == backend.TypeProducts || typ == backend.TypePrices || typ == backend.TypeCoupons {
			return backend.Errorf(backend.EINVALID, "%s do not belong to a customer", typ)
		} else {
			where = append(where, "customer = ?")
		}
		args = append(args, o.Customer)
	}
	q := "SELECT id, created, stamp, deleted, raw FROM " + tb.name + " WHERE " + strings.Join(where, " AND ") + " ORDER BY created, id"
	return db.read(ctx, "read "+string(typ), func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			ro := backend.RawObject{Type: typ}
			var raw sql.RawBytes
			if err := rows.Scan(&ro.ID, &ro.Created, &ro.Stamp, &ro.Deleted, &raw); err != nil {
				return err
			}
			ro.Raw = json.RawMessage(raw)
			if err := fn(ro); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

func eachTyped[T any](ctx context.Context, db *DB, typ backend.ObjectType, o EachOptions, fn func(*T) error) error {
	return db.Each(ctx, typ, o, func(ro backend.RawObject) error {
		var v T
		if err := json.Unmarshal(ro.Raw, &v); err != nil {
			return fmt.Errorf("decode %s %s: %w", typ, ro.ID, err)
		}
		return fn(&v)
	})
}

// EachSubscription streams subscriptions (all statuses), oldest first.
func (db *DB) EachSubscription(ctx context.Context, o EachOptions, fn func(*backend.Subscription) error) error {
	return eachTyped(ctx, db, backend.TypeSubscriptions, o, fn)
}

// EachInvoice streams invoices, oldest first.
func (db *DB) EachInvoice(ctx context.Context, o EachOptions, fn func(*backend.Invoice) error) error {
	return eachTyped(ctx, db, backend.TypeInvoices, o, fn)
}

// EachCharge streams charges, oldest first.
func (db *DB) EachCharge(ctx context.Context, o EachOptions, fn func(*backend.Charge) error) error {
	return eachTyped(ctx, db, backend.TypeCharges, o, fn)
}

// EachRefund streams refunds, oldest first.
func (db *DB) EachRefund(ctx context.Context, o EachOptions, fn func(*backend.Refund) error) error {
	return eachTyped(ctx, db, backend.TypeRefunds, o, fn)
}

// EachCustomer streams customers, oldest first.
func (db *DB) EachCustomer(ctx context.Context, o EachOptions, fn func(*backend.Customer) error) error {
	return eachTyped(ctx, db, backend.TypeCustomers, o, fn)
}

// Counts returns the number of stored, not deleted objects per type, and
// the number of stored events.
func (db *DB) Counts(ctx context.Context) (map[backend.ObjectType]int64, error) {
	out := map[backend.ObjectType]int64{}
	err := db.read(ctx, "counts", func(tx *sql.Tx) error {
		for typ, tb := range tables {
			var n int64
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+tb.name+" WHERE deleted = 0").Scan(&n); err != nil {
				return err
			}
			out[typ] = n
		}
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&n); err != nil {
			return err
		}
		out[backend.TypeEvents] = n
		return nil
	})
	return out, err
}

// Info is what the cache knows about itself.
type Info struct {
	SchemaVersion    int
	StripeAPIVersion string
	AccountID        string
	Mode             backend.Mode
}

// Info reads the meta table.
func (db *DB) Info(ctx context.Context) (Info, error) {
	var in Info
	err := db.read(ctx, "info", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT key, value FROM meta")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				return err
			}
			switch k {
			case "schema_version":
				in.SchemaVersion, _ = strconv.Atoi(v)
			case "stripe_api_version":
				in.StripeAPIVersion = v
			case "account_id":
				in.AccountID = v
			case "mode":
				in.Mode = backend.Mode(v)
			}
		}
		return rows.Err()
	})
	return in, err
}

// SetAccount records which Stripe account and mode this cache holds. A
// cache already bound to another account or mode is refused (ECONFLICT).
func (db *DB) SetAccount(ctx context.Context, accountID string, mode backend.Mode) error {
	if !accountRe.MatchString(accountID) {
		return backend.Errorf(backend.EINVALID, "invalid Stripe account id %q", accountID)
	}
	if mode != backend.ModeTest && mode != backend.ModeLive {
		return backend.Errorf(backend.EINVALID, "invalid mode %q: expected test or live", mode)
	}
	return db.writeTx(ctx, "set account", func(t *wtx) error {
		for k, v := range map[string]string{"account_id": accountID, "mode": string(mode)} {
			var old string
			err := t.queryRow("SELECT value FROM meta WHERE key = ?", k).Scan(&old)
			if err != nil && !isNoRows(err) {
				return err
			}
			if err == nil && old != v {
				return backend.Errorf(backend.ECONFLICT, "this cache holds %s %s, not %s: use that account's own file", k, old, v)
			}
			if _, err := t.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// SyncState is what the last syncs left.
type SyncState struct {
	EventsCursor           int64
	LastFullSync           int64 // unix seconds, 0: never
	LastIncrementalSync    int64
	LastFullSummary        json.RawMessage // as given to RecordSync
	LastIncrementalSummary json.RawMessage
}

// SyncState reads the sync state.
func (db *DB) SyncState(ctx context.Context) (SyncState, error) {
	var s SyncState
	err := db.read(ctx, "sync state", func(tx *sql.Tx) error {
		var full, incr string
		err := tx.QueryRowContext(ctx, `SELECT events_cursor, last_full_sync, last_incremental, last_full_summary, last_incr_summary
			FROM sync_state WHERE id = 1`).Scan(&s.EventsCursor, &s.LastFullSync, &s.LastIncrementalSync, &full, &incr)
		if full != "" {
			s.LastFullSummary = json.RawMessage(full)
		}
		if incr != "" {
			s.LastIncrementalSummary = json.RawMessage(incr)
		}
		return err
	})
	return s, err
}

// RecordSync saves the end of a successful sync: full (true) or
// incremental, when it ended, and its summary (a JSON document).
func (db *DB) RecordSync(ctx context.Context, full bool, at int64, summary json.RawMessage) error {
	if len(summary) == 0 {
		summary = json.RawMessage("{}")
	}
	if !json.Valid(summary) {
		return backend.Errorf(backend.EINVALID, "sync summary is not valid JSON")
	}
	q := "UPDATE sync_state SET last_incremental = ?, last_incr_summary = ? WHERE id = 1"
	if full {
		q = "UPDATE sync_state SET last_full_sync = ?, last_full_summary = ? WHERE id = 1"
	}
	return db.writeTx(ctx, "record sync", func(t *wtx) error {
		_, err := t.exec(q, at, string(summary))
		return err
	})
}
