package store

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"billfold/backend"
)

// table describes one object table: its derived columns, in order.
type table struct {
	name string
	cols []string
	// derive decodes raw and returns the derived column values (in cols
	// order), the customer it belongs to ("" if none) and the decoded
	// document for children.
	derive    func(raw json.RawMessage) (vals []any, customer string, doc any, err error)
	upsertSQL string
}

var tables = map[backend.ObjectType]*table{
	backend.TypeCustomers: {name: "customers",
		cols: []string{"email", "name", "phone", "description", "currency", "balance", "delinquent", "livemode", "extra"}, derive: deriveCustomer},
	backend.TypeProducts: {name: "products", cols: []string{"active", "name"}, derive: deriveProduct},
	backend.TypePrices: {name: "prices",
		cols: []string{"product", "active", "currency", "type", "unit_amount", "interval", "interval_count"}, derive: derivePrice},
	backend.TypeCoupons: {name: "coupons",
		cols: []string{"name", "duration", "duration_in_months", "percent_off", "amount_off", "currency", "valid"}, derive: deriveCoupon},
	backend.TypeSubscriptions: {name: "subscriptions",
		cols: []string{"customer", "status", "currency", "collection_method", "start_date", "current_period_start",
			"current_period_end", "cancel_at_period_end", "cancel_at", "canceled_at", "ended_at", "trial_start", "trial_end"},
		derive: deriveSubscription},
	backend.TypeInvoices: {name: "invoices",
		cols: []string{"customer", "subscription", "number", "status", "billing_reason", "currency", "amount_due",
			"amount_paid", "amount_remaining", "subtotal", "tax", "total", "paid", "period_start", "period_end",
			"due_date", "paid_at", "charge"},
		derive: deriveInvoice},
	backend.TypeCharges: {name: "charges",
		cols: []string{"customer", "invoice", "amount", "amount_captured", "amount_refunded", "currency", "status",
			"paid", "captured", "refunded", "failure_code", "card_brand", "card_last4"},
		derive: deriveCharge},
	backend.TypeRefunds: {name: "refunds",
		cols: []string{"charge", "amount", "currency", "reason", "status"}, derive: deriveRefund},
}

func init() {
	for _, t := range tables {
		all := append([]string{"id", "created", "stamp", "hash", "deleted", "raw"}, t.cols...)
		var sets []string
		for _, c := range all[1:] {
			sets = append(sets, c+" = excluded."+c)
		}
		ret := ""
		if t.name == "customers" {
			ret = " RETURNING pk"
		}
		t.upsertSQL = "INSERT INTO " + t.name + " (" + strings.Join(all, ", ") + ") VALUES (?" +
			strings.Repeat(", ?", len(all)-1) + ") ON CONFLICT (id) DO UPDATE SET " + strings.Join(sets, ", ") + ret
	}
}

func tableOf(typ backend.ObjectType) (*table, error) {
	t, ok := tables[typ]
	if !ok {
		return nil, backend.Errorf(backend.EINVALID, "unknown object type %q", typ)
	}
	return t, nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// nullable turns a *int64 into a column value (NULL for nil).
func nullable(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

type customerDoc struct {
	backend.Customer
	Discount json.RawMessage `json:"discount"`
}

func deriveCustomer(raw json.RawMessage) ([]any, string, any, error) {
	var c customerDoc
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, "", nil, err
	}
	return []any{c.Email, c.Name, c.Phone, c.Description, c.Currency, c.Balance, b2i(c.Delinquent), b2i(c.Livemode),
		searchExtra(&c.Customer)}, c.ID, &c, nil
}

func deriveProduct(raw json.RawMessage) ([]any, string, any, error) {
	var p backend.Product
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, "", nil, err
	}
	return []any{b2i(p.Active), p.Name}, "", &p, nil
}

func derivePrice(raw json.RawMessage) ([]any, string, any, error) {
	var p backend.Price
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, "", nil, err
	}
	interval, count := "", int64(0)
	if p.Recurring != nil {
		interval, count = p.Recurring.Interval, p.Recurring.IntervalCount
	}
	return []any{p.Product.ID, b2i(p.Active), p.Currency, p.Type, nullable(p.UnitAmount), interval, count}, "", &p, nil
}

func deriveCoupon(raw json.RawMessage) ([]any, string, any, error) {
	var c backend.Coupon
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, "", nil, err
	}
	var pct any
	if c.PercentOff != nil {
		pct = c.PercentOff.String()
	}
	return []any{c.Name, c.Duration, nullable(c.DurationInMonths), pct, nullable(c.AmountOff), c.Currency, b2i(c.Valid)},
		"", &c, nil
}

type subscriptionDoc struct {
	backend.Subscription
	Discount json.RawMessage `json:"discount"`
	Items    struct {
		Data []json.RawMessage `json:"data"`
	} `json:"items"`
}

func deriveSubscription(raw json.RawMessage) ([]any, string, any, error) {
	var s subscriptionDoc
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, "", nil, err
	}
	return []any{s.Customer.ID, s.Status, s.Currency, s.CollectionMethod, s.StartDate, s.CurrentPeriodStart,
		s.CurrentPeriodEnd, b2i(s.CancelAtPeriodEnd), nullable(s.CancelAt), nullable(s.CanceledAt),
		nullable(s.EndedAt), nullable(s.TrialStart), nullable(s.TrialEnd)}, s.Customer.ID, &s, nil
}

type invoiceDoc struct {
	backend.Invoice
	Discount json.RawMessage `json:"discount"`
	Lines    struct {
		Data []json.RawMessage `json:"data"`
	} `json:"lines"`
}

func deriveInvoice(raw json.RawMessage) ([]any, string, any, error) {
	var v invoiceDoc
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, "", nil, err
	}
	return []any{v.Customer.ID, v.Subscription.ID, v.Number, v.Status, v.BillingReason, v.Currency, v.AmountDue,
		v.AmountPaid, v.AmountRemaining, v.Subtotal, nullable(v.Tax), v.Total, b2i(v.Paid), v.PeriodStart,
		v.PeriodEnd, nullable(v.DueDate), nullable(v.StatusTransitions.PaidAt), v.Charge.ID}, v.Customer.ID, &v, nil
}

type chargeDoc struct {
	backend.Charge
	Refunds *struct {
		Data []json.RawMessage `json:"data"`
	} `json:"refunds"`
}

func deriveCharge(raw json.RawMessage) ([]any, string, any, error) {
	var c chargeDoc
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, "", nil, err
	}
	brand, last4 := "", ""
	if pm := c.PaymentMethodDetails; pm != nil && pm.Card != nil {
		brand, last4 = pm.Card.Brand, pm.Card.Last4
	}
	return []any{c.Customer.ID, c.Invoice.ID, c.Amount, c.AmountCaptured, c.AmountRefunded, c.Currency, c.Status,
		b2i(c.Paid), b2i(c.Captured), b2i(c.Refunded), c.FailureCode, brand, last4}, c.Customer.ID, &c, nil
}

func deriveRefund(raw json.RawMessage) ([]any, string, any, error) {
	var r backend.Refund
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, "", nil, err
	}
	return []any{r.Charge.ID, r.Amount, r.Currency, r.Reason, r.Status}, "", &r, nil
}

var singular = map[backend.ObjectType]string{
	backend.TypeCustomers: "customer", backend.TypeProducts: "product", backend.TypePrices: "price",
	backend.TypeCoupons: "coupon", backend.TypeSubscriptions: "subscription", backend.TypeInvoices: "invoice",
	backend.TypeCharges: "charge", backend.TypeRefunds: "refund",
}

// createdOf reads the created time from a decoded object.
func createdOf(doc any) int64 {
	switch d := doc.(type) {
	case *customerDoc:
		return d.Created
	case *backend.Product:
		return d.Created
	case *backend.Price:
		return d.Created
	case *backend.Coupon:
		return d.Created
	case *subscriptionDoc:
		return d.Created
	case *invoiceDoc:
		return d.Created
	case *chargeDoc:
		return d.Created
	case *backend.Refund:
		return d.Created
	}
	return 0
}

// isForgotten reports whether id (an object or a customer) was forgotten.
func (t *wtx) isForgotten(ids ...string) (bool, error) {
	if t.noForgotten == 0 {
		var any int
		if err := t.queryRow("SELECT EXISTS (SELECT 1 FROM forgotten)").Scan(&any); err != nil {
			return false, err
		}
		if any == 1 {
			t.noForgotten = 2
		} else {
			t.noForgotten = 1
		}
	}
	if t.noForgotten == 1 {
		return false, nil
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		var one int
		err := t.queryRow("SELECT 1 FROM forgotten WHERE id = ?", id).Scan(&one)
		if err == nil {
			return true, nil
		}
		if !isNoRows(err) {
			return false, err
		}
	}
	return false, nil
}

// upsert stores one object under the stamp guard. customerHint is the
// customer a nested object (a refund inside a charge) belongs to.
func (t *wtx) upsert(o backend.RawObject, customerHint string) error {
	tb, err := tableOf(o.Type)
	if err != nil {
		return err
	}
	if o.ID == "" {
		return backend.Errorf(backend.EINVALID, "a %s object has no id", o.Type)
	}
	if forgotten, err := t.isForgotten(o.ID); err != nil || forgotten {
		return err
	}
	raw := bytes.TrimSpace(o.Raw)
	if len(raw) == 0 && o.Deleted {
		raw, _ = json.Marshal(map[string]any{"id": o.ID, "object": singular[o.Type], "deleted": true})
	}
	if len(raw) == 0 || raw[0] != '{' {
		return backend.Errorf(backend.EINVALID, "%s %s: raw JSON is not an object", o.Type, o.ID)
	}
	hash, err := contentHash(raw)
	if err != nil {
		return backend.Errorf(backend.EINVALID, "%s %s: %v", o.Type, o.ID, err)
	}
	vals, customer, doc, err := tb.derive(raw)
	if err != nil {
		return backend.Errorf(backend.EINVALID, "%s %s: cannot read its JSON: %v", o.Type, o.ID, err)
	}
	if o.Type == backend.TypeCustomers {
		customer = o.ID
	}
	if customer == "" {
		customer = customerHint
	}
	if o.Type == backend.TypeRefunds && customer == "" {
		r := doc.(*backend.Refund)
		if r.Charge.ID != "" {
			if forgotten, err := t.isForgotten(r.Charge.ID); err != nil || forgotten {
				return err
			}
			if err := t.queryRow("SELECT customer FROM charges WHERE id = ?", r.Charge.ID).Scan(&customer); err != nil && !isNoRows(err) {
				return err
			}
		}
	}
	if o.Type != backend.TypeCustomers {
		if forgotten, err := t.isForgotten(customer); err != nil || forgotten {
			return err
		}
	}

	var (
		exists               bool
		oldStamp, oldCreated int64
		oldHash              string
		oldDeleted           int64
	)
	err = t.queryRow("SELECT stamp, hash, deleted, created FROM "+tb.name+" WHERE id = ?", o.ID).
		Scan(&oldStamp, &oldHash, &oldDeleted, &oldCreated)
	switch {
	case err == nil:
		exists = true
	case isNoRows(err):
	default:
		return err
	}
	if exists {
		if o.Stamp < oldStamp {
			return nil // an older state: the stored one wins
		}
		if oldDeleted == 1 && !o.Deleted {
			// Deletes are final unless a new object reuses the id (coupons).
			reused := o.Created > oldCreated && oldCreated > 0 || oldCreated == 0 && o.Stamp > oldStamp
			if !reused {
				return nil
			}
		}
		if o.Deleted && oldDeleted == 1 {
			_, err := t.exec("UPDATE "+tb.name+" SET stamp = ? WHERE id = ?", o.Stamp, o.ID)
			return err
		}
		if !o.Deleted && oldDeleted == 0 && oldHash == hash {
			if o.Stamp > oldStamp {
				_, err := t.exec("UPDATE "+tb.name+" SET stamp = ? WHERE id = ?", o.Stamp, o.ID)
				return err
			}
			return nil
		}
	}

	if o.Deleted {
		return t.markDeleted(tb, o, exists, raw, hash, vals, doc)
	}

	created := o.Created
	if created == 0 {
		created = createdOf(doc)
	}
	args := append([]any{o.ID, created, o.Stamp, hash, 0, string(raw)}, vals...)
	if o.Type == backend.TypeCustomers {
		if exists && oldDeleted == 0 {
			if err := t.unindexCustomer(o.ID); err != nil {
				return err
			}
		}
		var pk int64
		if err := t.queryRow(tb.upsertSQL, args...).Scan(&pk); err != nil {
			return err
		}
		return t.indexCustomer(pk, doc.(*customerDoc), exists)
	}
	if _, err := t.exec(tb.upsertSQL, args...); err != nil {
		return err
	}
	switch d := doc.(type) {
	case *subscriptionDoc:
		if err := t.writeSubscriptionChildren(d, exists); err != nil {
			return err
		}
		if !exists || oldHash != hash || oldDeleted == 1 {
			if _, err := t.exec("INSERT INTO subscription_versions (subscription, customer, at, hash, raw) VALUES (?, ?, ?, ?, ?)",
				o.ID, customer, o.Stamp, hash, string(raw)); err != nil {
				return err
			}
		}
	case *invoiceDoc:
		return t.writeInvoiceChildren(d, exists)
	case *chargeDoc:
		if d.Refunds != nil {
			for _, rr := range d.Refunds.Data {
				var head struct {
					ID      string `json:"id"`
					Created int64  `json:"created"`
				}
				if err := json.Unmarshal(rr, &head); err != nil {
					return backend.Errorf(backend.EINVALID, "charge %s: a refund cannot be read: %v", o.ID, err)
				}
				ro := backend.RawObject{Type: backend.TypeRefunds, ID: head.ID, Created: head.Created, Stamp: o.Stamp, Raw: rr}
				if err := t.upsert(ro, customer); err != nil {
					return err
				}
			}
		}
	case *backend.Refund:
		if customer != "" {
			_, err := t.exec("UPDATE refunds SET customer = ? WHERE id = ?", customer, o.ID)
			return err
		}
	}
	return nil
}

// markDeleted records a deletion: customers are kept and marked deleted
// (and leave the search index); products, prices, coupons and draft
// invoices become tombstones (their last known JSON kept, deleted = 1).
func (t *wtx) markDeleted(tb *table, o backend.RawObject, exists bool, raw json.RawMessage, hash string, vals []any, doc any) error {
	if exists {
		if o.Type == backend.TypeCustomers {
			if err := t.unindexCustomer(o.ID); err != nil {
				return err
			}
		}
		if _, err := t.exec("UPDATE "+tb.name+" SET deleted = 1, stamp = ? WHERE id = ?", o.Stamp, o.ID); err != nil {
			return err
		}
	} else {
		args := append([]any{o.ID, o.Created, o.Stamp, hash, 1, string(raw)}, vals...)
		if o.Created == 0 {
			args[1] = createdOf(doc)
		}
		if o.Type == backend.TypeCustomers {
			var pk int64
			return t.queryRow(tb.upsertSQL, args...).Scan(&pk)
		}
		if _, err := t.exec(tb.upsertSQL, args...); err != nil {
			return err
		}
	}
	switch o.Type {
	case backend.TypeInvoices:
		if _, err := t.exec("DELETE FROM invoice_lines WHERE invoice = ?", o.ID); err != nil {
			return err
		}
		_, err := t.exec("DELETE FROM discounts WHERE parent_type = 'invoice' AND parent_id = ?", o.ID)
		return err
	case backend.TypeSubscriptions:
		_, err := t.exec("DELETE FROM subscription_items WHERE subscription = ?", o.ID)
		return err
	}
	return nil
}

// unindexCustomer removes a customer's row from the search index, if it is
// there (deleted = 0), using the row's own values as FTS5 requires.
func (t *wtx) unindexCustomer(id string) error {
	var (
		pk                                          int64
		deleted                                     bool
		cid, email, name, phone, description, extra string
	)
	err := t.queryRow("SELECT pk, deleted, id, email, name, phone, description, extra FROM customers WHERE id = ?", id).
		Scan(&pk, &deleted, &cid, &email, &name, &phone, &description, &extra)
	if isNoRows(err) || err == nil && deleted {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO customers_fts (customers_fts, rowid, id, email, name, phone, description, extra)
		VALUES ('delete', ?, ?, ?, ?, ?, ?, ?)`, pk, cid, email, name, phone, description, extra)
	return err
}

// indexCustomer adds the customer's row to the search index (after
// unindexCustomer removed the old one) and rewrites its discount.
func (t *wtx) indexCustomer(pk int64, c *customerDoc, existed bool) error {
	if err := t.writeDiscount("customer", c.ID, c.Discount, existed); err != nil {
		return err
	}
	_, err := t.exec("INSERT INTO customers_fts (rowid, id, email, name, phone, description, extra) VALUES (?, ?, ?, ?, ?, ?, ?)",
		pk, c.ID, c.Email, c.Name, c.Phone, c.Description, searchExtra(&c.Customer))
	return err
}

// searchExtra is the searched text beyond the named fields: metadata
// values (sorted by key) and the phone's digits as one token, also without
// a country code of 1 to 3 digits, so "5551234567" finds "+1 (555) 123-4567".
func searchExtra(c *backend.Customer) string {
	keys := make([]string, 0, len(c.Metadata))
	for k := range c.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var extra []string
	for _, k := range keys {
		extra = append(extra, c.Metadata[k])
	}
	if d := digits(c.Phone); d != "" {
		extra = append(extra, d)
		for i := 1; i <= 3 && len(d)-i >= 7; i++ {
			extra = append(extra, d[i:])
		}
	}
	return strings.Join(extra, " ")
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	if b.Len() < 4 {
		return ""
	}
	return b.String()
}

// writeDiscount rewrites the discount of a parent; existed says whether
// the parent was stored before (a new parent has no old rows to delete).
func (t *wtx) writeDiscount(parentType, parentID string, raw json.RawMessage, existed bool) error {
	if existed {
		if _, err := t.exec("DELETE FROM discounts WHERE parent_type = ? AND parent_id = ?", parentType, parentID); err != nil {
			return err
		}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var d backend.Discount
	if err := json.Unmarshal(raw, &d); err != nil {
		return backend.Errorf(backend.EINVALID, "%s %s: its discount cannot be read: %v", parentType, parentID, err)
	}
	id := d.ID
	if id == "" {
		id = d.Coupon.ID
	}
	_, err := t.exec(`INSERT OR REPLACE INTO discounts (parent_type, parent_id, id, coupon, customer, subscription, invoice, start, end, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		parentType, parentID, id, d.Coupon.ID, d.Customer.ID, d.Subscription, d.Invoice, d.Start, nullable(d.End), string(raw))
	return err
}

func (t *wtx) writeSubscriptionChildren(s *subscriptionDoc, existed bool) error {
	if existed {
		if _, err := t.exec("DELETE FROM subscription_items WHERE subscription = ?", s.ID); err != nil {
			return err
		}
	}
	for _, raw := range s.Items.Data {
		// Only the columns' fields: decoding whole prices per item is slow.
		var it struct {
			ID      string `json:"id"`
			Created int64  `json:"created"`
			Price   struct {
				ID      string      `json:"id"`
				Product backend.Ref `json:"product"`
			} `json:"price"`
			Quantity int64 `json:"quantity"`
		}
		if err := json.Unmarshal(raw, &it); err != nil {
			return backend.Errorf(backend.EINVALID, "subscription %s: an item cannot be read: %v", s.ID, err)
		}
		if it.ID == "" {
			return backend.Errorf(backend.EINVALID, "subscription %s: an item has no id", s.ID)
		}
		if _, err := t.exec(`INSERT OR REPLACE INTO subscription_items (id, subscription, created, price, product, quantity, raw)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, it.ID, s.ID, it.Created, it.Price.ID, it.Price.Product.ID, it.Quantity, string(raw)); err != nil {
			return err
		}
	}
	return t.writeDiscount("subscription", s.ID, s.Discount, existed)
}

func (t *wtx) writeInvoiceChildren(v *invoiceDoc, existed bool) error {
	if existed {
		if _, err := t.exec("DELETE FROM invoice_lines WHERE invoice = ?", v.ID); err != nil {
			return err
		}
	}
	for i, raw := range v.Lines.Data {
		var l struct {
			ID          string         `json:"id"`
			Type        string         `json:"type"`
			Amount      int64          `json:"amount"`
			Currency    string         `json:"currency"`
			Description string         `json:"description"`
			Period      backend.Period `json:"period"`
			Price       *struct {
				ID string `json:"id"`
			} `json:"price"`
			Proration        bool        `json:"proration"`
			Quantity         *int64      `json:"quantity"`
			Subscription     backend.Ref `json:"subscription"`
			SubscriptionItem string      `json:"subscription_item"`
		}
		if err := json.Unmarshal(raw, &l); err != nil {
			return backend.Errorf(backend.EINVALID, "invoice %s: a line cannot be read: %v", v.ID, err)
		}
		if l.ID == "" {
			return backend.Errorf(backend.EINVALID, "invoice %s: a line has no id", v.ID)
		}
		price := ""
		if l.Price != nil {
			price = l.Price.ID
		}
		if _, err := t.exec(`INSERT OR REPLACE INTO invoice_lines (invoice, id, pos, type, amount, currency, description,
			period_start, period_end, price, proration, quantity, subscription, subscription_item, raw)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, l.ID, i, l.Type, l.Amount, l.Currency, l.Description, l.Period.Start, l.Period.End, price,
			b2i(l.Proration), nullable(l.Quantity), l.Subscription.ID, l.SubscriptionItem, string(raw)); err != nil {
			return err
		}
	}
	return t.writeDiscount("invoice", v.ID, v.Discount, existed)
}

// eventRefs reads what an event is about from its data.object.
func eventRefs(e backend.Event) (objType, objID, customer, charge string) {
	var head struct {
		ID       string      `json:"id"`
		Object   string      `json:"object"`
		Customer backend.Ref `json:"customer"`
		Charge   backend.Ref `json:"charge"`
	}
	if err := json.Unmarshal(e.Data.Object, &head); err != nil {
		return "", "", "", ""
	}
	customer = head.Customer.ID
	if head.Object == "customer" {
		customer = head.ID
	}
	return head.Object, head.ID, customer, head.Charge.ID
}

func (t *wtx) storeEvent(e backend.Event) error {
	if e.ID == "" {
		return backend.Errorf(backend.EINVALID, "an event has no id")
	}
	objType, objID, customer, charge := eventRefs(e)
	if customer == "" && charge != "" {
		if err := t.queryRow("SELECT customer FROM charges WHERE id = ?", charge).Scan(&customer); err != nil && !isNoRows(err) {
			return err
		}
	}
	if forgotten, err := t.isForgotten(objID, customer, charge); err != nil || forgotten {
		return err
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return backend.Errorf(backend.EINVALID, "event %s cannot be encoded: %v", e.ID, err)
	}
	_, err = t.exec(`INSERT OR IGNORE INTO events (id, type, created, api_version, object_type, object_id, customer, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.Type, e.Created, e.APIVersion, objType, objID, customer, string(raw))
	return err
}
