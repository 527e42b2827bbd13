package app

import (
	"context"

	"billfold/backend"
	"billfold/backend/store"
)

// CustomerFilterDTO filters the Customers table.
type CustomerFilterDTO struct {
	Status     string `json:"status"`
	Currency   string `json:"currency"`
	Delinquent bool   `json:"delinquent"`
	InTrial    bool   `json:"inTrial"`
	Canceled   bool   `json:"canceled"`
}

// CustomerRowDTO is one row of the Customers table.
type CustomerRowDTO struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Currency   string `json:"currency"`
	Balance    int64  `json:"balance"`
	Delinquent bool   `json:"delinquent"`
	Created    int64  `json:"created"`
}

// WindowDTO is the rows of a table window and how many rows match.
type WindowDTO[T any] struct {
	Rows  []T   `json:"rows"`
	Total int64 `json:"total"`
}

// List returns limit rows from offset of the customer table, sorted by
// "created", "-created", "name", "-name", "email" or "-email".
func (c *CustomersService) List(filter CustomerFilterDTO, sort string, offset, limit int) (*WindowDTO[CustomerRowDTO], error) {
	ctx := context.Background()
	f := store.CustomerFilter{Status: filter.Status, Currency: filter.Currency, Delinquent: filter.Delinquent,
		InTrial: filter.InTrial, Canceled: filter.Canceled, Offset: offset, Limit: limit}
	if len(sort) > 0 && sort[0] == '-' {
		f.Desc, sort = true, sort[1:]
	}
	f.Sort = sort
	db, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	w, err := db.CustomerWindow(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &WindowDTO[CustomerRowDTO]{Rows: make([]CustomerRowDTO, len(w.Rows)), Total: w.Total}
	for i, r := range w.Rows {
		out.Rows[i] = CustomerRowDTO{ID: r.ID, Name: r.Name, Email: r.Email, Currency: r.Currency, Balance: r.Balance,
			Delinquent: r.Delinquent, Created: r.Created}
	}
	return out, nil
}

// SubscriptionRowDTO is one row of the Subscriptions table.
type SubscriptionRowDTO struct {
	ID                string `json:"id"`
	Customer          string `json:"customer"`
	CustomerName      string `json:"customerName"`
	CustomerEmail     string `json:"customerEmail"`
	Status            string `json:"status"`
	Currency          string `json:"currency"`
	Created           int64  `json:"created"`
	CurrentPeriodEnd  int64  `json:"currentPeriodEnd"`
	CancelAtPeriodEnd bool   `json:"cancelAtPeriodEnd"`
	TrialEnd          *int64 `json:"trialEnd"`
}

// Subscriptions returns a window of subscriptions, newest first; status
// past_due gives the past-due list.
func (c *CustomersService) Subscriptions(status, currency string, offset, limit int) (*WindowDTO[SubscriptionRowDTO], error) {
	ctx := context.Background()
	db, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, total, err := db.SubscriptionWindow(ctx, store.SubscriptionListFilter{Status: status, Currency: currency, Offset: offset, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := &WindowDTO[SubscriptionRowDTO]{Rows: make([]SubscriptionRowDTO, len(rows)), Total: total}
	for i, r := range rows {
		out.Rows[i] = SubscriptionRowDTO(r)
	}
	return out, nil
}

// InvoiceRowDTO is one row of the Invoices table.
type InvoiceRowDTO struct {
	ID              string `json:"id"`
	Number          string `json:"number"`
	Customer        string `json:"customer"`
	CustomerName    string `json:"customerName"`
	CustomerEmail   string `json:"customerEmail"`
	Status          string `json:"status"`
	Currency        string `json:"currency"`
	Total           int64  `json:"total"`
	AmountRemaining int64  `json:"amountRemaining"`
	Created         int64  `json:"created"`
	DueDate         *int64 `json:"dueDate"`
}

// Invoices returns a window of invoices, newest first: by status (open),
// or with failed true the dunning list (open invoices with a failed charge).
func (c *CustomersService) Invoices(status string, failed bool, offset, limit int) (*WindowDTO[InvoiceRowDTO], error) {
	ctx := context.Background()
	switch status {
	case "", "draft", "open", "paid", "uncollectible", "void":
	default:
		return nil, backend.Errorf(backend.EINVALID, "unknown invoice status %q: use draft, open, paid, uncollectible or void", status)
	}
	db, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, total, err := db.InvoiceWindow(ctx, store.InvoiceListFilter{Status: status, Failed: failed, Offset: offset, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := &WindowDTO[InvoiceRowDTO]{Rows: make([]InvoiceRowDTO, len(rows)), Total: total}
	for i, r := range rows {
		out.Rows[i] = InvoiceRowDTO(r)
	}
	return out, nil
}
