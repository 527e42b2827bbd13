// Package export writes the local cache as CSV for spreadsheets: RFC 4180
// (CRLF, quoted when needed), a header row, money in minor units with a
// currency column and a formatted decimal column, dates in UTC RFC 3339,
// and text cells that a spreadsheet would run as a formula (starting with
// = + - @, a tab or a carriage return) prefixed with a single quote. Rows
// are streamed from the store: memory stays flat over millions of rows.
//
// Tables lists what can be exported; adding an export (metrics, ...) is
// adding a Table to that list.
package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"billfold/backend"
	"billfold/backend/store"
)

// Table is one exportable object type.
type Table struct {
	Name    string
	Summary string
	Header  []string
	// Rows streams the rows, each as many cells as Header.
	Rows func(ctx context.Context, db *store.DB, emit func([]string) error) error
}

// Tables are the exports, in the order help lists them.
func Tables() []Table {
	return []Table{
		{Name: "customers", Summary: "one row a customer", Header: customerHeader, Rows: customerRows},
		{Name: "subscriptions", Summary: "one row a subscription (all statuses)", Header: subscriptionHeader, Rows: subscriptionRows},
		{Name: "invoices", Summary: "one row an invoice", Header: invoiceHeader, Rows: invoiceRows},
		{Name: "charges", Summary: "one row a charge (payments, failed ones too)", Header: chargeHeader, Rows: chargeRows},
	}
}

// Find returns the table named name, or an EINVALID error listing the names.
func Find(name string) (Table, error) {
	var names []string
	for _, t := range Tables() {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return Table{}, backend.Errorf(backend.EINVALID, "cannot export %q: use one of %s", name, strings.Join(names, ", "))
}

// CSV writes table t as CSV to w and returns the number of data rows.
func CSV(ctx context.Context, db *store.DB, t Table, w io.Writer) (int64, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(t.Header); err != nil {
		return 0, fmt.Errorf("export %s: %w", t.Name, err)
	}
	var n int64
	err := t.Rows(ctx, db, func(row []string) error {
		if len(row) != len(t.Header) {
			return fmt.Errorf("row of %d cells for %d columns", len(row), len(t.Header))
		}
		n++
		if err := cw.Write(row); err != nil {
			return err
		}
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return n, fmt.Errorf("export %s: %w", t.Name, err)
	}
	return n, nil
}

// Text makes a Stripe-sourced string safe as a spreadsheet cell: a value a
// spreadsheet would evaluate as a formula gets a leading single quote.
func Text(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Decimal formats minor units in the currency's major unit, without
// grouping: 12345 usd is 123.45, 12345 jpy is 12345, -5 eur is -0.05.
func Decimal(amount int64, currency string) string {
	if backend.IsZeroDecimal(currency) {
		return strconv.FormatInt(amount, 10)
	}
	sign := ""
	u := uint64(amount)
	if amount < 0 {
		sign, u = "-", uint64(-amount)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// Time formats a Unix time as UTC RFC 3339; 0 is empty.
func Time(t int64) string {
	if t == 0 {
		return ""
	}
	return time.Unix(t, 0).UTC().Format(time.RFC3339)
}

func optTime(t *int64) string {
	if t == nil {
		return ""
	}
	return Time(*t)
}

func optInt(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

func boolean(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// metadata is the metadata as JSON with sorted keys ("" when empty).
func metadata(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(m[k])
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	b.WriteByte('}')
	return b.String()
}

var customerHeader = []string{"id", "name", "email", "phone", "description", "currency", "balance", "balance_decimal",
	"delinquent", "created", "address_line1", "address_line2", "address_city", "address_state", "address_postal_code",
	"address_country", "metadata"}

func customerRows(ctx context.Context, db *store.DB, emit func([]string) error) error {
	return db.EachCustomer(ctx, store.EachOptions{}, func(c *backend.Customer) error {
		var a backend.Address
		if c.Address != nil {
			a = *c.Address
		}
		return emit([]string{Text(c.ID), Text(c.Name), Text(c.Email), Text(c.Phone), Text(c.Description), Text(c.Currency),
			strconv.FormatInt(c.Balance, 10), Decimal(c.Balance, c.Currency), boolean(c.Delinquent), Time(c.Created),
			Text(a.Line1), Text(a.Line2), Text(a.City), Text(a.State), Text(a.PostalCode), Text(a.Country), Text(metadata(c.Metadata))})
	})
}

var subscriptionHeader = []string{"id", "customer", "status", "currency", "items", "quantity", "amount", "amount_decimal",
	"interval", "created", "start_date", "current_period_start", "current_period_end", "trial_start", "trial_end",
	"cancel_at_period_end", "cancel_at", "canceled_at", "ended_at", "discount_coupon", "collection_method", "metadata"}

func subscriptionRows(ctx context.Context, db *store.DB, emit func([]string) error) error {
	return db.EachSubscription(ctx, store.EachOptions{}, func(s *backend.Subscription) error {
		var prices []string
		var qty, amount int64
		intervals := map[string]bool{}
		var ivs []string
		for _, it := range s.Items.Data {
			prices = append(prices, it.Price.ID)
			qty += it.Quantity
			if it.Price.UnitAmount != nil {
				amount += *it.Price.UnitAmount * it.Quantity
			}
			if r := it.Price.Recurring; r != nil {
				iv := r.Interval
				if r.IntervalCount > 1 {
					iv = fmt.Sprintf("%d %s", r.IntervalCount, r.Interval)
				}
				if !intervals[iv] {
					intervals[iv] = true
					ivs = append(ivs, iv)
				}
			}
		}
		coupon := ""
		if s.Discount != nil {
			coupon = s.Discount.Coupon.ID
		}
		return emit([]string{Text(s.ID), Text(s.Customer.ID), Text(s.Status), Text(s.Currency), Text(strings.Join(prices, " ")),
			strconv.FormatInt(qty, 10), strconv.FormatInt(amount, 10), Decimal(amount, s.Currency), Text(strings.Join(ivs, " ")),
			Time(s.Created), Time(s.StartDate), Time(s.CurrentPeriodStart), Time(s.CurrentPeriodEnd), optTime(s.TrialStart),
			optTime(s.TrialEnd), boolean(s.CancelAtPeriodEnd), optTime(s.CancelAt), optTime(s.CanceledAt), optTime(s.EndedAt),
			Text(coupon), Text(s.CollectionMethod), Text(metadata(s.Metadata))})
	})
}

var invoiceHeader = []string{"id", "number", "customer", "subscription", "status", "billing_reason", "currency",
	"total", "total_decimal", "subtotal", "tax", "amount_due", "amount_paid", "amount_paid_decimal", "amount_remaining",
	"amount_remaining_decimal", "attempt_count", "created", "period_start", "period_end", "due_date", "paid_at", "charge", "metadata"}

func invoiceRows(ctx context.Context, db *store.DB, emit func([]string) error) error {
	return db.EachInvoice(ctx, store.EachOptions{}, func(i *backend.Invoice) error {
		return emit([]string{Text(i.ID), Text(i.Number), Text(i.Customer.ID), Text(i.Subscription.ID), Text(i.Status),
			Text(i.BillingReason), Text(i.Currency), strconv.FormatInt(i.Total, 10), Decimal(i.Total, i.Currency),
			strconv.FormatInt(i.Subtotal, 10), optInt(i.Tax), strconv.FormatInt(i.AmountDue, 10),
			strconv.FormatInt(i.AmountPaid, 10), Decimal(i.AmountPaid, i.Currency), strconv.FormatInt(i.AmountRemaining, 10),
			Decimal(i.AmountRemaining, i.Currency), strconv.FormatInt(i.AttemptCount, 10), Time(i.Created), Time(i.PeriodStart),
			Time(i.PeriodEnd), optTime(i.DueDate), optTime(i.StatusTransitions.PaidAt), Text(i.Charge.ID), Text(metadata(i.Metadata))})
	})
}

var chargeHeader = []string{"id", "customer", "invoice", "status", "currency", "amount", "amount_decimal",
	"amount_refunded", "amount_refunded_decimal", "paid", "captured", "refunded", "failure_code", "failure_message",
	"card_brand", "card_last4", "description", "created", "metadata"}

func chargeRows(ctx context.Context, db *store.DB, emit func([]string) error) error {
	return db.EachCharge(ctx, store.EachOptions{}, func(c *backend.Charge) error {
		var brand, last4 string
		if p := c.PaymentMethodDetails; p != nil && p.Card != nil {
			brand, last4 = p.Card.Brand, p.Card.Last4
		}
		return emit([]string{Text(c.ID), Text(c.Customer.ID), Text(c.Invoice.ID), Text(c.Status), Text(c.Currency),
			strconv.FormatInt(c.Amount, 10), Decimal(c.Amount, c.Currency), strconv.FormatInt(c.AmountRefunded, 10),
			Decimal(c.AmountRefunded, c.Currency), boolean(c.Paid), boolean(c.Captured), boolean(c.Refunded),
			Text(c.FailureCode), Text(c.FailureMessage), Text(brand), Text(last4), Text(c.Description), Time(c.Created),
			Text(metadata(c.Metadata))})
	})
}
