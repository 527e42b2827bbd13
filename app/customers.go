package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"billfold/backend"
	"billfold/backend/export"
	"billfold/backend/search"
	"billfold/backend/store"
)

// CustomersOptions configure a CustomersService.
type CustomersOptions struct {
	CachePath CachePathFunc // required
	Saver     FileSaver     // nil: ExportCSV fails with EUNAVAILABLE
	Logger    *slog.Logger
}

// CustomersService serves customer lookup: search while typing, the
// customer's whole picture, and CSV export.
type CustomersService struct{ o CustomersOptions }

// NewCustomersService returns the service.
func NewCustomersService(o CustomersOptions) *CustomersService {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &CustomersService{o: o}
}

func (c *CustomersService) open(ctx context.Context) (*store.DB, error) {
	if c.o.CachePath == nil {
		return nil, backend.Errorf(backend.EUNAVAILABLE, "customers are not available in this build")
	}
	p, err := c.o.CachePath(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(p); err != nil {
		return nil, backend.Errorf(backend.ENOTFOUND, "nothing synced yet: run a sync first")
	}
	return store.Open(ctx, p, store.Options{Logger: c.o.Logger})
}

// SearchHitDTO is one customer found while typing.
type SearchHitDTO struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Currency   string `json:"currency"`
	Delinquent bool   `json:"delinquent"`
	Created    int64  `json:"created"`
	Exact      bool   `json:"exact"`
	Via        string `json:"via"`
}

// Search runs a query in Stripe's search syntax (backend/search); a bad
// query is an EINVALID error with a one-line message.
func (c *CustomersService) Search(query string) ([]SearchHitDTO, error) {
	ctx := context.Background()
	if _, err := search.Parse(query); err != nil {
		return nil, err
	}
	db, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	res, err := search.Customers(ctx, db, query, 20)
	if err != nil {
		return nil, err
	}
	out := make([]SearchHitDTO, len(res))
	for i, r := range res {
		out[i] = SearchHitDTO{ID: r.ID, Name: r.Name, Email: r.Email, Currency: r.Currency, Delinquent: r.Delinquent,
			Created: r.Created, Exact: r.Exact, Via: r.Via}
	}
	return out, nil
}

// MoneyDTO is an amount in minor units.
type MoneyDTO struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// SubscriptionItemDTO is one item of a subscription.
type SubscriptionItemDTO struct {
	ID        string `json:"id"`
	Price     string `json:"price"`
	Product   string `json:"product"`
	Nickname  string `json:"nickname"`
	Quantity  int64  `json:"quantity"`
	Amount    *int64 `json:"amount"` // unit amount, null for tiered prices
	Interval  string `json:"interval"`
	IntervalN int64  `json:"intervalCount"`
}

// SubscriptionDTO is a subscription in the customer detail.
type SubscriptionDTO struct {
	ID                 string                `json:"id"`
	Status             string                `json:"status"`
	Currency           string                `json:"currency"`
	Created            int64                 `json:"created"`
	CurrentPeriodStart int64                 `json:"currentPeriodStart"`
	CurrentPeriodEnd   int64                 `json:"currentPeriodEnd"`
	TrialEnd           *int64                `json:"trialEnd"`
	CancelAtPeriodEnd  bool                  `json:"cancelAtPeriodEnd"`
	CancelAt           *int64                `json:"cancelAt"`
	CanceledAt         *int64                `json:"canceledAt"`
	Discount           string                `json:"discount"` // coupon id and terms, "" without
	MRR                int64                 `json:"mrr"`      // list price per month, before discounts, minor units
	Items              []SubscriptionItemDTO `json:"items"`
}

// InvoiceLineDTO is one line of an invoice.
type InvoiceLineDTO struct {
	Description string `json:"description"`
	Amount      int64  `json:"amount"`
	Proration   bool   `json:"proration"`
	PeriodStart int64  `json:"periodStart"`
	PeriodEnd   int64  `json:"periodEnd"`
}

// InvoiceDTO is an invoice in the customer detail.
type InvoiceDTO struct {
	ID              string           `json:"id"`
	Number          string           `json:"number"`
	Status          string           `json:"status"`
	Currency        string           `json:"currency"`
	Total           int64            `json:"total"`
	AmountPaid      int64            `json:"amountPaid"`
	AmountRemaining int64            `json:"amountRemaining"`
	Created         int64            `json:"created"`
	Lines           []InvoiceLineDTO `json:"lines"`
}

// PaymentDTO is a charge or a refund.
type PaymentDTO struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"` // charge, refund
	Status   string `json:"status"`
	Amount   int64  `json:"amount"`
	Refunded int64  `json:"refunded"`
	Currency string `json:"currency"`
	Card     string `json:"card"` // "visa 4242"
	Failure  string `json:"failure"`
	Created  int64  `json:"created"`
}

// TimelineDTO is one moment of the customer's history.
type TimelineDTO struct {
	At   int64  `json:"at"`
	Text string `json:"text"`
	Ref  string `json:"ref"` // the object id
}

// CustomerDetailDTO is the customer's whole picture.
type CustomerDetailDTO struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Email         string            `json:"email"`
	Phone         string            `json:"phone"`
	Description   string            `json:"description"`
	Address       []string          `json:"address"`
	Metadata      map[string]string `json:"metadata"`
	Balance       int64             `json:"balance"`
	Currency      string            `json:"currency"`
	Delinquent    bool              `json:"delinquent"`
	Deleted       bool              `json:"deleted"`
	Created       int64             `json:"created"`
	Livemode      bool              `json:"livemode"`
	Subscriptions []SubscriptionDTO `json:"subscriptions"`
	Invoices      []InvoiceDTO      `json:"invoices"`
	Payments      []PaymentDTO      `json:"payments"`
	Timeline      []TimelineDTO     `json:"timeline"`
	LifetimePaid  []MoneyDTO        `json:"lifetimePaid"` // succeeded charges less refunds, per currency
	MRR           []MoneyDTO        `json:"mrr"`          // active, trialing and past_due subscriptions, per currency
	LastSynced    int64             `json:"lastSynced"`
}

// Detail returns the customer's whole picture from one cache snapshot.
func (c *CustomersService) Detail(id string) (*CustomerDetailDTO, error) {
	ctx := context.Background()
	if id == "" || len(id) > 255 {
		return nil, backend.Errorf(backend.EINVALID, "no customer id given")
	}
	db, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	d, err := db.Customer(ctx, id)
	if err != nil {
		return nil, err
	}
	cu := d.Customer
	out := &CustomerDetailDTO{ID: cu.ID, Name: cu.Name, Email: cu.Email, Phone: cu.Phone, Description: cu.Description,
		Metadata: cu.Metadata, Balance: cu.Balance, Currency: cu.Currency, Delinquent: cu.Delinquent, Deleted: d.Deleted,
		Created: cu.Created, Livemode: cu.Livemode, Subscriptions: []SubscriptionDTO{}, Invoices: []InvoiceDTO{},
		Payments: []PaymentDTO{}, Timeline: []TimelineDTO{}, LifetimePaid: []MoneyDTO{}, MRR: []MoneyDTO{}}
	if a := cu.Address; a != nil {
		for _, l := range []string{a.Line1, a.Line2, strings.TrimSpace(a.PostalCode + " " + a.City), a.State, a.Country} {
			if l != "" {
				out.Address = append(out.Address, l)
			}
		}
	}
	mrr := map[string]int64{}
	for _, s := range d.Subscriptions {
		sd := subscriptionDTO(&s)
		out.Subscriptions = append(out.Subscriptions, sd)
		if s.Status == "active" || s.Status == "past_due" || s.Status == "trialing" {
			mrr[s.Currency] += sd.MRR
		}
		vs, err := db.SubscriptionVersions(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		out.Timeline = append(out.Timeline, versionTimeline(s.ID, vs)...)
	}
	for _, i := range d.Invoices {
		in := InvoiceDTO{ID: i.ID, Number: i.Number, Status: i.Status, Currency: i.Currency, Total: i.Total,
			AmountPaid: i.AmountPaid, AmountRemaining: i.AmountRemaining, Created: i.Created, Lines: []InvoiceLineDTO{}}
		for _, l := range i.Lines.Data {
			in.Lines = append(in.Lines, InvoiceLineDTO{Description: l.Description, Amount: l.Amount, Proration: l.Proration,
				PeriodStart: l.Period.Start, PeriodEnd: l.Period.End})
		}
		out.Invoices = append(out.Invoices, in)
	}
	paid := map[string]int64{}
	for _, ch := range d.Charges {
		p := PaymentDTO{ID: ch.ID, Kind: "charge", Status: ch.Status, Amount: ch.Amount, Refunded: ch.AmountRefunded,
			Currency: ch.Currency, Failure: ch.FailureCode, Created: ch.Created}
		if m := ch.PaymentMethodDetails; m != nil && m.Card != nil {
			p.Card = strings.TrimSpace(m.Card.Brand + " " + m.Card.Last4)
		}
		if ch.Status == "succeeded" {
			paid[ch.Currency] += ch.AmountCaptured - ch.AmountRefunded
		}
		out.Payments = append(out.Payments, p)
	}
	for _, r := range d.Refunds {
		out.Payments = append(out.Payments, PaymentDTO{ID: r.ID, Kind: "refund", Status: r.Status, Amount: r.Amount,
			Currency: r.Currency, Created: r.Created})
	}
	sort.SliceStable(out.Payments, func(i, j int) bool { return out.Payments[i].Created > out.Payments[j].Created })
	out.LifetimePaid, out.MRR = moneyList(paid), moneyList(mrr)
	evs, err := db.CustomerEvents(ctx, id, 200)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		out.Timeline = append(out.Timeline, TimelineDTO{At: e.Created, Text: e.Type, Ref: e.ObjectID})
	}
	sort.SliceStable(out.Timeline, func(i, j int) bool { return out.Timeline[i].At > out.Timeline[j].At })
	st, err := db.SyncState(ctx)
	if err != nil {
		return nil, err
	}
	out.LastSynced = max(st.LastFullSync, st.LastIncrementalSync)
	return out, nil
}

func moneyList(m map[string]int64) []MoneyDTO {
	out := []MoneyDTO{}
	for cur, a := range m {
		out = append(out, MoneyDTO{Amount: a, Currency: cur})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// monthly normalises an amount per interval to a month, rounding half
// away from zero (integers only).
func monthly(amount int64, interval string, count int64) int64 {
	if count <= 0 {
		count = 1
	}
	// amount * num / den
	var num, den int64
	switch interval {
	case "day":
		num, den = 365, 12*count
	case "week":
		num, den = 52, 12*count
	case "month":
		num, den = 1, count
	case "year":
		num, den = 1, 12*count
	default:
		return 0
	}
	v := amount * num
	if v >= 0 {
		return (v + den/2) / den
	}
	return (v - den/2) / den
}

func subscriptionDTO(s *backend.Subscription) SubscriptionDTO {
	sd := SubscriptionDTO{ID: s.ID, Status: s.Status, Currency: s.Currency, Created: s.Created,
		CurrentPeriodStart: s.CurrentPeriodStart, CurrentPeriodEnd: s.CurrentPeriodEnd, TrialEnd: s.TrialEnd,
		CancelAtPeriodEnd: s.CancelAtPeriodEnd, CancelAt: s.CancelAt, CanceledAt: s.CanceledAt, Items: []SubscriptionItemDTO{}}
	if d := s.Discount; d != nil {
		sd.Discount = d.Coupon.ID
		if d.Coupon.Duration != "" {
			sd.Discount += " (" + d.Coupon.Duration + ")"
		}
	}
	for _, it := range s.Items.Data {
		i := SubscriptionItemDTO{ID: it.ID, Price: it.Price.ID, Product: it.Price.Product.ID, Nickname: it.Price.Nickname,
			Quantity: it.Quantity, Amount: it.Price.UnitAmount}
		if r := it.Price.Recurring; r != nil {
			i.Interval, i.IntervalN = r.Interval, r.IntervalCount
			if it.Price.UnitAmount != nil && r.UsageType != "metered" {
				sd.MRR += monthly(*it.Price.UnitAmount*it.Quantity, r.Interval, r.IntervalCount)
			}
		}
		sd.Items = append(sd.Items, i)
	}
	return sd
}

// planOf names a subscription's plan: its prices' nicknames (or ids) with
// quantities above one.
func planOf(s *backend.Subscription) string {
	var parts []string
	for _, it := range s.Items.Data {
		n := it.Price.Nickname
		if n == "" {
			n = it.Price.ID
		}
		if it.Quantity > 1 {
			n = fmt.Sprintf("%s x%d", n, it.Quantity)
		}
		parts = append(parts, n)
	}
	return strings.Join(parts, " + ")
}

// versionTimeline turns the stored versions of a subscription into
// moments: started, plan changed ("upgraded Pro -> Business"), status
// changed, cancellation scheduled.
func versionTimeline(id string, vs []store.SubscriptionVersion) []TimelineDTO {
	var out []TimelineDTO
	var prev *backend.Subscription
	var prevMRR int64
	for _, v := range vs {
		var s backend.Subscription
		if json.Unmarshal(v.Raw, &s) != nil {
			continue
		}
		sd := subscriptionDTO(&s)
		day := time.Unix(v.At, 0).UTC().Format("2 Jan 2006")
		switch {
		case prev == nil:
			out = append(out, TimelineDTO{At: s.Created, Text: fmt.Sprintf("subscribed to %s (%s)", planOf(&s), s.Status), Ref: id})
		default:
			if a, b := planOf(prev), planOf(&s); a != b {
				verb := "changed"
				if sd.MRR > prevMRR {
					verb = "upgraded"
				} else if sd.MRR < prevMRR {
					verb = "downgraded"
				}
				out = append(out, TimelineDTO{At: v.At, Text: fmt.Sprintf("%s %s -> %s, %s", verb, a, b, day), Ref: id})
			}
			if prev.Status != s.Status {
				out = append(out, TimelineDTO{At: v.At, Text: fmt.Sprintf("subscription %s -> %s, %s", prev.Status, s.Status, day), Ref: id})
			}
			if !prev.CancelAtPeriodEnd && s.CancelAtPeriodEnd {
				out = append(out, TimelineDTO{At: v.At, Text: "cancellation scheduled at period end, " + day, Ref: id})
			}
		}
		p := s
		prev, prevMRR = &p, sd.MRR
	}
	return out
}

// ExportCSV asks where to save, then writes the table ("customers",
// "subscriptions", "invoices" or "charges") there. It returns the path, or
// "" when the user cancelled.
func (c *CustomersService) ExportCSV(table string) (string, error) {
	ctx := context.Background()
	t, err := export.Find(table)
	if err != nil {
		return "", err
	}
	if c.o.Saver == nil {
		return "", backend.Errorf(backend.EUNAVAILABLE, "cannot show a save dialog here: use `billfold export %s --format csv --out FILE`", table)
	}
	db, err := c.open(ctx)
	if err != nil {
		return "", err
	}
	defer db.Close()
	path, err := c.o.Saver.SaveFileDialog(table+".csv", "Export "+table)
	if err != nil || path == "" {
		return "", err
	}
	f, err := os.CreateTemp(dirOf(path), ".export-*.tmp")
	if err != nil {
		return "", backend.Errorf(backend.EDISK, "cannot write %s: %v", path, err)
	}
	tmp := f.Name()
	_, err = export.CSV(ctx, db, t, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("export %s: %w", table, err)
	}
	return path, nil
}

func dirOf(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[:i+1]
	}
	return "."
}
