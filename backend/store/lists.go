package store

import (
	"context"
	"database/sql"
	"strings"

	"billfold/backend"
)

// CustomerFilter selects a window of the customer table (offset paging
// for a virtualized table: the screen asks for the rows it shows).
type CustomerFilter struct {
	Status     string // has a subscription with this status ("" any)
	Currency   string
	Delinquent bool
	InTrial    bool   // has a trialing subscription
	Canceled   bool   // has a canceled subscription and no live one
	Sort       string // created (default), name, email
	Desc       bool
	Offset     int
	Limit      int // default 100, at most 1000
}

// CustomerWindow is the rows asked for and the total matching.
type CustomerWindow struct {
	Rows  []CustomerRow
	Total int64
}

// CustomerWindow returns Limit customers from Offset, and how many match.
func (db *DB) CustomerWindow(ctx context.Context, f CustomerFilter) (*CustomerWindow, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 || f.Offset < 0 {
		return nil, backend.Errorf(backend.EINVALID, "ask for at most 1000 rows from an offset of 0 or more")
	}
	where := []string{"c.deleted = 0"}
	var args []any
	if f.Status != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM subscriptions s INDEXED BY subscriptions_customer WHERE s.customer = c.id AND s.status = ? AND s.deleted = 0)"), append(args, f.Status)
	}
	if f.Currency != "" {
		where, args = append(where, "c.currency = ? COLLATE NOCASE"), append(args, f.Currency)
	}
	if f.Delinquent {
		where = append(where, "c.delinquent = 1")
	}
	if f.InTrial {
		where = append(where, "EXISTS (SELECT 1 FROM subscriptions s INDEXED BY subscriptions_customer WHERE s.customer = c.id AND s.status = 'trialing' AND s.deleted = 0)")
	}
	if f.Canceled {
		where = append(where, "EXISTS (SELECT 1 FROM subscriptions s INDEXED BY subscriptions_customer WHERE s.customer = c.id AND s.status = 'canceled' AND s.deleted = 0)",
			"NOT EXISTS (SELECT 1 FROM subscriptions s INDEXED BY subscriptions_customer WHERE s.customer = c.id AND s.status IN ('active','trialing','past_due','unpaid','paused') AND s.deleted = 0)")
	}
	var order string
	switch f.Sort {
	case "", SortCreated:
		order = "c.created"
	case SortName:
		order = "c.name COLLATE NOCASE"
	case SortEmail:
		order = "c.email COLLATE NOCASE"
	default:
		return nil, backend.Errorf(backend.EINVALID, "cannot sort customers by %q: use created, name or email", f.Sort)
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	w := " WHERE " + strings.Join(where, " AND ")
	var out CustomerWindow
	out.Rows = []CustomerRow{}
	err := db.read(ctx, "customer list", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM customers c"+w, args...).Scan(&out.Total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT c.id, c.email, c.name, c.phone, c.description, c.currency, c.balance, c.delinquent, c.created
			FROM customers c`+w+` ORDER BY `+order+dir+`, c.pk`+dir+` LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r CustomerRow
			if err := rows.Scan(&r.ID, &r.Email, &r.Name, &r.Phone, &r.Description, &r.Currency, &r.Balance, &r.Delinquent, &r.Created); err != nil {
				return err
			}
			out.Rows = append(out.Rows, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// InvoiceListFilter selects invoices: by status, or the dunning list (open
// invoices with a failed payment attempt).
type InvoiceListFilter struct {
	Status   string // draft, open, paid, uncollectible, void ("" any)
	Failed   bool   // open with at least one failed charge
	Customer string
	Offset   int
	Limit    int
}

// InvoiceRow is one line of the invoice list.
type InvoiceRow struct {
	ID              string
	Number          string
	Customer        string
	CustomerName    string
	CustomerEmail   string
	Status          string
	Currency        string
	Total           int64
	AmountRemaining int64
	Created         int64
	DueDate         *int64
}

// InvoiceWindow returns Limit invoices (newest first) from Offset and the total.
func (db *DB) InvoiceWindow(ctx context.Context, f InvoiceListFilter) ([]InvoiceRow, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 || f.Offset < 0 {
		return nil, 0, backend.Errorf(backend.EINVALID, "ask for at most 1000 rows from an offset of 0 or more")
	}
	where := []string{"i.deleted = 0"}
	var args []any
	if f.Status != "" {
		where, args = append(where, "i.status = ?"), append(args, f.Status)
	}
	if f.Failed {
		where = append(where, "i.status = 'open'", "EXISTS (SELECT 1 FROM charges h WHERE h.invoice = i.id AND h.status = 'failed')")
	}
	if f.Customer != "" {
		where, args = append(where, "i.customer = ?"), append(args, f.Customer)
	}
	w := " WHERE " + strings.Join(where, " AND ")
	out := []InvoiceRow{}
	var total int64
	err := db.read(ctx, "invoice list", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM invoices i"+w, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT i.id, i.number, i.customer, coalesce(c.name, ''), coalesce(c.email, ''), i.status, i.currency,
			i.total, i.amount_remaining, i.created, i.due_date FROM invoices i LEFT JOIN customers c ON c.id = i.customer`+w+`
			ORDER BY i.created DESC, i.id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r InvoiceRow
			if err := rows.Scan(&r.ID, &r.Number, &r.Customer, &r.CustomerName, &r.CustomerEmail, &r.Status, &r.Currency,
				&r.Total, &r.AmountRemaining, &r.Created, &r.DueDate); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, total, err
}

// SubscriptionListFilter selects subscriptions.
type SubscriptionListFilter struct {
	Status   string // "" any
	Currency string
	Offset   int
	Limit    int
}

// SubscriptionRow is one line of the subscription list.
type SubscriptionRow struct {
	ID                string
	Customer          string
	CustomerName      string
	CustomerEmail     string
	Status            string
	Currency          string
	Created           int64
	CurrentPeriodEnd  int64
	CancelAtPeriodEnd bool
	TrialEnd          *int64
}

// SubscriptionWindow returns Limit subscriptions (newest first) from Offset and the total.
func (db *DB) SubscriptionWindow(ctx context.Context, f SubscriptionListFilter) ([]SubscriptionRow, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 || f.Offset < 0 {
		return nil, 0, backend.Errorf(backend.EINVALID, "ask for at most 1000 rows from an offset of 0 or more")
	}
	where := []string{"s.deleted = 0"}
	var args []any
	if f.Status != "" {
		where, args = append(where, "s.status = ?"), append(args, f.Status)
	}
	if f.Currency != "" {
		where, args = append(where, "s.currency = ? COLLATE NOCASE"), append(args, f.Currency)
	}
	w := " WHERE " + strings.Join(where, " AND ")
	out := []SubscriptionRow{}
	var total int64
	err := db.read(ctx, "subscription list", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM subscriptions s"+w, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT s.id, s.customer, coalesce(c.name, ''), coalesce(c.email, ''), s.status, s.currency,
			s.created, s.current_period_end, s.cancel_at_period_end, s.trial_end FROM subscriptions s LEFT JOIN customers c ON c.id = s.customer`+w+`
			ORDER BY s.created DESC, s.id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r SubscriptionRow
			if err := rows.Scan(&r.ID, &r.Customer, &r.CustomerName, &r.CustomerEmail, &r.Status, &r.Currency, &r.Created,
				&r.CurrentPeriodEnd, &r.CancelAtPeriodEnd, &r.TrialEnd); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, total, err
}
