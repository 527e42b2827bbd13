package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Data is a whole Stripe business: what the server serves, what a fixture
// holds. Nested lists (subscription items, invoice lines, charge refunds)
// hold every entry here; the API renders the first 10 with has_more.
type Data struct {
	Now           time.Time
	Account       *Account
	Customers     []*Customer
	Products      []*Product
	Prices        []*Price
	Coupons       []*Coupon
	Subscriptions []*Subscription
	Invoices      []*Invoice
	Charges       []*Charge
	Refunds       []*Refund
	Events        []*Event
	// InvoiceItems are pending (or invoiced) invoice items: the proration
	// items subscription changes make. The fixture has the section only
	// when there are some.
	InvoiceItems []*InvoiceItem

	// truth is the generator's own MRR timeline (nil for fixtures).
	truth *truthLog
	// pk holds Generate's invoices, charges, refunds and events packed
	// (their exported slices are then nil; Unpacked parses them).
	pk *packedData
}

// Unpacked returns d with every collection as Go objects: d itself when
// nothing is packed, else a parsed copy (Generate packs invoices, charges,
// refunds and events so that 100,000 customers fit in memory).
func (d *Data) Unpacked() (*Data, error) {
	if d.pk == nil {
		return d, nil
	}
	var buf bytes.Buffer
	if err := d.WriteFixture(&buf); err != nil {
		return nil, err
	}
	u, err := LoadFixture(&buf)
	if err != nil {
		return nil, err
	}
	u.truth = d.truth
	return u, nil
}

// priceFull marshals a price with its tiers (fixtures); *Price's own
// MarshalJSON leaves tiers out, as Stripe does unless expand[]=tiers.
type priceFull Price

// MarshalJSON renders the price without tiers (Stripe includes them only
// when expanded). The fixture writer renders top-level prices in full.
func (p *Price) MarshalJSON() ([]byte, error) {
	q := *p
	q.Tiers = nil
	return json.Marshal((*priceFull)(&q))
}

// UnmarshalJSON reads a price, tiers included.
func (p *Price) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, (*priceFull)(p))
}

// WriteFixture writes the data in the fixture format of the contract: one
// JSON object, each element in Stripe's API shape, nested lists complete.
// The output is a pure function of the data (same seed, same bytes).
func (d *Data) WriteFixture(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var werr error
	put := func(s string) {
		if werr == nil {
			_, werr = bw.WriteString(s)
		}
	}
	putJSON := func(v any) {
		if werr != nil {
			return
		}
		b, err := json.Marshal(v)
		if err != nil {
			werr = err
			return
		}
		_, werr = bw.Write(b)
	}
	put("{\n\"now\": ")
	putJSON(d.Now.UTC().Format(time.RFC3339))
	put(",\n\"account\": ")
	putJSON(d.Account)
	section := func(name string, n int, el func(i int) any) {
		put(",\n\"" + name + "\": [")
		for i := 0; i < n; i++ {
			if i > 0 {
				put(",")
			}
			put("\n")
			putJSON(el(i))
		}
		put("\n]")
	}
	section("customers", len(d.Customers), func(i int) any { return d.Customers[i] })
	section("products", len(d.Products), func(i int) any { return d.Products[i] })
	section("prices", len(d.Prices), func(i int) any { return (*priceFull)(d.Prices[i]) })
	section("coupons", len(d.Coupons), func(i int) any { return d.Coupons[i] })
	section("subscriptions", len(d.Subscriptions), func(i int) any { return fullSub(d.Subscriptions[i]) })
	if pk := d.pk; pk != nil {
		rawSection := func(name string, ps []packed) {
			put(",\n\"" + name + "\": [")
			var b []byte
			for i, p := range ps {
				if i > 0 {
					put(",")
				}
				put("\n")
				src := p.full
				if src == nil {
					src = p.e.raw
				}
				b = pk.dict.appendUnpacked(b[:0], src)
				if werr == nil {
					_, werr = bw.Write(b)
				}
			}
			put("\n]")
		}
		rawSection("invoices", pk.invoices)
		rawSection("charges", pk.charges)
		rawSection("refunds", pk.refunds)
		rawSection("events", pk.events)
	} else {
		section("invoices", len(d.Invoices), func(i int) any { return fullInvoice(d.Invoices[i]) })
		section("charges", len(d.Charges), func(i int) any { return fullCharge(d.Charges[i]) })
		section("refunds", len(d.Refunds), func(i int) any { return d.Refunds[i] })
		section("events", len(d.Events), func(i int) any { return d.Events[i] })
	}
	if len(d.InvoiceItems) > 0 {
		section("invoiceitems", len(d.InvoiceItems), func(i int) any { return d.InvoiceItems[i] })
	}
	put("\n}\n")
	if werr != nil {
		return fmt.Errorf("write fixture: %w", werr)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write fixture: %w", err)
	}
	return nil
}

func fullSub(s *Subscription) *Subscription {
	c := *s
	c.Items = ItemList{Object: "list", Data: s.Items.Data, URL: itemsURL(s.ID)}
	if c.Items.Data == nil {
		c.Items.Data = []*SubscriptionItem{}
	}
	return &c
}

func fullInvoice(in *Invoice) *Invoice {
	c := *in
	c.Lines = LineList{Object: "list", Data: in.Lines.Data, URL: linesURL(in.ID)}
	if c.Lines.Data == nil {
		c.Lines.Data = []*InvoiceLine{}
	}
	return &c
}

func fullCharge(ch *Charge) *Charge {
	c := *ch
	c.Refunds = &RefundList{Object: "list", Data: []*Refund{}, URL: refundsURL(ch.ID)}
	if ch.Refunds != nil && ch.Refunds.Data != nil {
		c.Refunds.Data = ch.Refunds.Data
	}
	return &c
}

func itemsURL(sub string) string      { return "/v1/subscription_items?subscription=" + sub }
func linesURL(inv string) string      { return "/v1/invoices/" + inv + "/lines" }
func refundsURL(charge string) string { return "/v1/charges/" + charge + "/refunds" }

type fixtureFile struct {
	Now           string          `json:"now"`
	Account       *Account        `json:"account"`
	Customers     []*Customer     `json:"customers"`
	Products      []*Product      `json:"products"`
	Prices        []*Price        `json:"prices"`
	Coupons       []*Coupon       `json:"coupons"`
	Subscriptions []*Subscription `json:"subscriptions"`
	Invoices      []*Invoice      `json:"invoices"`
	Charges       []*Charge       `json:"charges"`
	Refunds       []*Refund       `json:"refunds"`
	Events        []*Event        `json:"events"`
	InvoiceItems  []*InvoiceItem  `json:"invoiceitems"`
}

// LoadFixture reads a fixture (the format WriteFixture writes). Prices
// nested in items and lines are linked to the top-level price of the same
// id; refunds nested in charges to the top-level refunds.
func LoadFixture(r io.Reader) (*Data, error) {
	var f fixtureFile
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("load fixture: %w", err)
	}
	if f.Now == "" {
		return nil, fmt.Errorf("load fixture: missing \"now\"")
	}
	now, err := time.Parse(time.RFC3339, f.Now)
	if err != nil {
		return nil, fmt.Errorf("load fixture: bad \"now\": %w", err)
	}
	d := &Data{Now: now.UTC(), Account: f.Account, Customers: f.Customers, Products: f.Products,
		Prices: f.Prices, Coupons: f.Coupons, Subscriptions: f.Subscriptions, Invoices: f.Invoices,
		Charges: f.Charges, Refunds: f.Refunds, Events: f.Events, InvoiceItems: f.InvoiceItems}
	if d.Account == nil {
		d.Account = defaultAccount(now.Unix())
	}
	if err := d.link(); err != nil {
		return nil, fmt.Errorf("load fixture: %w", err)
	}
	return d, nil
}

// link checks ids and shares nested prices and refunds with their
// top-level objects.
func (d *Data) link() error {
	seen := map[string]bool{}
	check := func(kind, id string) error {
		if id == "" {
			return fmt.Errorf("a %s has no id", kind)
		}
		if seen[id] {
			return fmt.Errorf("duplicate id %s", id)
		}
		seen[id] = true
		return nil
	}
	prices := map[string]*Price{}
	for _, p := range d.Prices {
		if err := check("price", p.ID); err != nil {
			return err
		}
		prices[p.ID] = p
	}
	canon := func(p *Price) *Price {
		if p == nil {
			return nil
		}
		if c, ok := prices[p.ID]; ok {
			return c
		}
		prices[p.ID] = p
		return p
	}
	for _, c := range d.Customers {
		if err := check("customer", c.ID); err != nil {
			return err
		}
	}
	for _, p := range d.Products {
		if err := check("product", p.ID); err != nil {
			return err
		}
	}
	for _, c := range d.Coupons {
		if err := check("coupon", c.ID); err != nil {
			return err
		}
	}
	for _, s := range d.Subscriptions {
		if err := check("subscription", s.ID); err != nil {
			return err
		}
		for _, it := range s.Items.Data {
			it.Price = canon(it.Price)
		}
	}
	for _, in := range d.Invoices {
		if err := check("invoice", in.ID); err != nil {
			return err
		}
		for _, l := range in.Lines.Data {
			l.Price = canon(l.Price)
		}
	}
	refunds := map[string]*Refund{}
	for _, r := range d.Refunds {
		if err := check("refund", r.ID); err != nil {
			return err
		}
		refunds[r.ID] = r
	}
	for _, ch := range d.Charges {
		if err := check("charge", ch.ID); err != nil {
			return err
		}
		if ch.Refunds != nil {
			for i, r := range ch.Refunds.Data {
				if c, ok := refunds[r.ID]; ok {
					ch.Refunds.Data[i] = c
				} else {
					refunds[r.ID] = r
					d.Refunds = append(d.Refunds, r)
				}
			}
		}
	}
	for _, e := range d.Events {
		if err := check("event", e.ID); err != nil {
			return err
		}
	}
	for _, ii := range d.InvoiceItems {
		if err := check("invoice item", ii.ID); err != nil {
			return err
		}
		ii.Price = canon(ii.Price)
	}
	return nil
}

func defaultAccount(created int64) *Account {
	name := "Billfold Sandbox Co."
	email := "owner@sandbox.example"
	tz := "Etc/UTC"
	return &Account{
		ID: "acct_1SandboxBillfold", Object: "account",
		BusinessProfile: &BusinessProfile{Name: &name, SupportEmail: &email},
		ChargesEnabled:  true, Country: "US", Created: created, DefaultCurrency: "usd",
		DetailsSubmitted: true, Email: &email, Metadata: map[string]string{}, PayoutsEnabled: true,
		Settings: &AccountSettings{
			Branding:     json.RawMessage(`{"icon":null,"logo":null,"primary_color":null,"secondary_color":null}`),
			CardPayments: json.RawMessage(`{"decline_on":{"avs_failure":false,"cvc_failure":false},"statement_descriptor_prefix":null,"statement_descriptor_prefix_kana":null,"statement_descriptor_prefix_kanji":null}`),
			Dashboard:    DashboardSettings{DisplayName: &name, Timezone: &tz},
			Payments:     json.RawMessage(`{"statement_descriptor":"BILLFOLD SANDBOX","statement_descriptor_kana":null,"statement_descriptor_kanji":null}`),
		},
		Type: "standard",
	}
}
