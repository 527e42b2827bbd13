package sandbox

import (
	"encoding/json"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// entry is one served object: its pre-rendered API JSON plus the fields
// lists filter on. raw is replaced (never modified in place) on writes, so
// readers holding an old slice stay consistent.
type entry struct {
	id       string
	created  int64
	raw      []byte
	obj      any
	customer string
	sub      string
	charge   string
	status   string
	typ      string // event type
	deleted  bool
	visible  time.Time // events: hidden from /v1/events before this (lag)
}

// collection is one resource: all entries by id, and the listed ones
// sorted newest first (created desc, then id desc).
type collection struct {
	name   string
	prefix string
	byID   map[string]*entry
	sorted []*entry
}

func newCollection(name string, n int) *collection {
	return &collection{name: name, byID: make(map[string]*entry, n), sorted: make([]*entry, 0, n)}
}

func before(a, b *entry) bool { // a lists before b
	if a.created != b.created {
		return a.created > b.created
	}
	return a.id > b.id
}

func (c *collection) sortAll() {
	sort.Slice(c.sorted, func(i, j int) bool { return before(c.sorted[i], c.sorted[j]) })
}

// pos is the index of e in sorted (or where it would go).
func (c *collection) pos(e *entry) int {
	return sort.Search(len(c.sorted), func(i int) bool { return !before(c.sorted[i], e) })
}

func (c *collection) insert(e *entry) {
	c.byID[e.id] = e
	if e.deleted {
		return
	}
	i := c.pos(e)
	c.sorted = append(c.sorted, nil)
	copy(c.sorted[i+1:], c.sorted[i:])
	c.sorted[i] = e
}

func (c *collection) remove(e *entry) {
	i := c.pos(e)
	if i < len(c.sorted) && c.sorted[i] == e {
		c.sorted = append(c.sorted[:i], c.sorted[i+1:]...)
	}
}

// nested is a nested list (items of a subscription, lines of an invoice),
// in its own order.
// Entries are rendered on request (not kept twice in memory).
type nested struct {
	ids  []string
	objs []any
}

func (n *nested) raw(i int) []byte { return mustJSON(n.objs[i]) }

// store is the server's state. mu guards everything in it.
type store struct {
	mu      sync.RWMutex
	now     time.Time
	account []byte
	acct    *Account
	cols    map[string]*collection // by resource name
	byPref  map[string]*collection // by id prefix
	items   map[string]*nested     // subscription id -> items
	itemSub map[string]string      // item id -> subscription id
	lines   map[string]*nested     // invoice id -> lines
	data    *Data
	balance []byte
}

var resourcePrefixes = map[string][]string{
	"customers": {"cus_"}, "products": {"prod_"}, "prices": {"price_", "plan_"}, "coupons": {},
	"subscriptions": {"sub_"}, "invoices": {"in_"}, "charges": {"ch_", "py_"}, "refunds": {"re_", "pyr_"},
	"events": {"evt_"},
}

func strv(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// newStore renders every object once (in parallel) and indexes it.
func newStore(d *Data) (*store, error) {
	s := &store{now: d.Now, cols: map[string]*collection{}, byPref: map[string]*collection{},
		items: map[string]*nested{}, itemSub: map[string]string{}, lines: map[string]*nested{}, data: d, acct: d.Account}
	var err error
	if s.account, err = json.Marshal(d.Account); err != nil {
		return nil, err
	}
	for name, prefs := range resourcePrefixes {
		c := newCollection(name, 0)
		s.cols[name] = c
		for _, p := range prefs {
			s.byPref[p] = c
		}
	}
	add := func(name string, n int, mk func(i int) *entry) error {
		es := make([]*entry, n)
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		var firstErr error
		var emu sync.Mutex
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < n; i += workers {
					e := mk(i)
					if e.raw == nil {
						emu.Lock()
						if firstErr == nil {
							firstErr = errRender(name, e.id)
						}
						emu.Unlock()
					}
					es[i] = e
				}
			}(w)
		}
		wg.Wait()
		if firstErr != nil {
			return firstErr
		}
		c := s.cols[name]
		c.byID = make(map[string]*entry, n)
		c.sorted = make([]*entry, 0, n)
		for _, e := range es {
			c.byID[e.id] = e
			if !e.deleted {
				c.sorted = append(c.sorted, e)
			}
		}
		c.sortAll()
		return nil
	}
	if err := add("customers", len(d.Customers), func(i int) *entry { return customerEntry(d.Customers[i]) }); err != nil {
		return nil, err
	}
	if err := add("products", len(d.Products), func(i int) *entry { return productEntry(d.Products[i]) }); err != nil {
		return nil, err
	}
	if err := add("prices", len(d.Prices), func(i int) *entry { return priceEntry(d.Prices[i]) }); err != nil {
		return nil, err
	}
	if err := add("coupons", len(d.Coupons), func(i int) *entry { return couponEntry(d.Coupons[i]) }); err != nil {
		return nil, err
	}
	if err := add("subscriptions", len(d.Subscriptions), func(i int) *entry { return subEntry(d.Subscriptions[i]) }); err != nil {
		return nil, err
	}
	if err := add("invoices", len(d.Invoices), func(i int) *entry { return invoiceEntry(d.Invoices[i]) }); err != nil {
		return nil, err
	}
	if err := add("charges", len(d.Charges), func(i int) *entry { return chargeEntry(d.Charges[i]) }); err != nil {
		return nil, err
	}
	if err := add("refunds", len(d.Refunds), func(i int) *entry { return refundEntry(d.Refunds[i]) }); err != nil {
		return nil, err
	}
	if err := add("events", len(d.Events), func(i int) *entry { return eventEntry(d.Events[i]) }); err != nil {
		return nil, err
	}
	for _, sub := range d.Subscriptions {
		s.setItems(sub)
	}
	for _, in := range d.Invoices {
		s.setLines(in)
	}
	s.balance = renderBalance(d)
	return s, nil
}

type renderError struct{ name, id string }

func (e *renderError) Error() string  { return "render " + e.name + " " + e.id + ": cannot marshal" }
func errRender(name, id string) error { return &renderError{name, id} }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

func customerEntry(c *Customer) *entry {
	e := &entry{id: c.ID, created: c.Created, obj: c, deleted: c.Deleted}
	if c.Deleted {
		e.raw = mustJSON(map[string]any{"id": c.ID, "object": "customer", "deleted": true})
	} else {
		e.raw = mustJSON(c)
	}
	return e
}

func productEntry(p *Product) *entry {
	return &entry{id: p.ID, created: p.Created, obj: p, raw: mustJSON(p)}
}

func priceEntry(p *Price) *entry {
	return &entry{id: p.ID, created: p.Created, obj: p, raw: mustJSON(p), status: boolStatus(p.Active)}
}

func boolStatus(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func couponEntry(c *Coupon) *entry {
	return &entry{id: c.ID, created: c.Created, obj: c, raw: mustJSON(c)}
}

// apiSub is the API rendering of a subscription: first 10 items.
func apiSub(s *Subscription) *Subscription {
	c := *s
	data := s.Items.Data
	more := false
	if len(data) > 10 {
		data, more = data[:10], true
	}
	if data == nil {
		data = []*SubscriptionItem{}
	}
	c.Items = ItemList{Object: "list", Data: data, HasMore: more, URL: itemsURL(s.ID)}
	return &c
}

func subEntry(s *Subscription) *entry {
	return &entry{id: s.ID, created: s.Created, obj: s, raw: mustJSON(apiSub(s)), customer: s.Customer, status: s.Status}
}

func apiInvoice(in *Invoice) *Invoice {
	c := *in
	data := in.Lines.Data
	more := false
	if len(data) > 10 {
		data, more = data[:10], true
	}
	if data == nil {
		data = []*InvoiceLine{}
	}
	c.Lines = LineList{Object: "list", Data: data, HasMore: more, URL: linesURL(in.ID)}
	return &c
}

func invoiceEntry(in *Invoice) *entry {
	return &entry{id: in.ID, created: in.Created, obj: in, raw: mustJSON(apiInvoice(in)),
		customer: strv(in.Customer), sub: strv(in.Subscription), status: strv(in.Status)}
}

func apiCharge(ch *Charge) *Charge {
	c := *ch
	var data []*Refund
	if ch.Refunds != nil {
		data = ch.Refunds.Data
	}
	more := false
	if len(data) > 10 {
		data, more = data[:10], true
	}
	if data == nil {
		data = []*Refund{}
	}
	c.Refunds = &RefundList{Object: "list", Data: data, HasMore: more, URL: refundsURL(ch.ID)}
	return &c
}

func chargeEntry(ch *Charge) *entry {
	return &entry{id: ch.ID, created: ch.Created, obj: ch, raw: mustJSON(apiCharge(ch)), customer: strv(ch.Customer), status: ch.Status}
}

func refundEntry(r *Refund) *entry {
	return &entry{id: r.ID, created: r.Created, obj: r, raw: mustJSON(r), charge: strv(r.Charge)}
}

func eventEntry(ev *Event) *entry {
	return &entry{id: ev.ID, created: ev.Created, obj: ev, raw: mustJSON(ev), typ: ev.Type}
}

func (s *store) setItems(sub *Subscription) {
	if old := s.items[sub.ID]; old != nil {
		for _, id := range old.ids {
			delete(s.itemSub, id)
		}
	}
	n := &nested{}
	for _, it := range sub.Items.Data {
		n.ids = append(n.ids, it.ID)
		n.objs = append(n.objs, it)
		s.itemSub[it.ID] = sub.ID
	}
	s.items[sub.ID] = n
}

func (s *store) setLines(in *Invoice) {
	n := &nested{}
	for _, l := range in.Lines.Data {
		n.ids = append(n.ids, l.ID)
		n.objs = append(n.objs, l)
	}
	s.lines[in.ID] = n
}

// lookup finds any object by id (for expansion).
func (s *store) lookup(id string) *entry {
	if i := strings.IndexByte(id, '_'); i > 0 {
		if c := s.byPref[id[:i+1]]; c != nil {
			if e := c.byID[id]; e != nil {
				return e
			}
		}
	}
	// coupons have free-form ids; prices may be plan_ or custom too.
	for _, name := range []string{"coupons", "prices", "products"} {
		if e := s.cols[name].byID[id]; e != nil {
			return e
		}
	}
	return nil
}

func renderBalance(d *Data) []byte {
	type amt struct {
		Amount      int64            `json:"amount"`
		Currency    string           `json:"currency"`
		SourceTypes map[string]int64 `json:"source_types"`
	}
	avail := map[string]int64{}
	for _, ch := range d.Charges {
		if ch.Status == "succeeded" {
			avail[ch.Currency] += ch.Amount - ch.AmountRefunded
		}
	}
	if len(avail) == 0 {
		avail[d.Account.DefaultCurrency] = 0
	}
	cur := make([]string, 0, len(avail))
	for c := range avail {
		cur = append(cur, c)
	}
	sort.Strings(cur)
	var a, p []amt
	for _, c := range cur {
		a = append(a, amt{Amount: avail[c], Currency: c, SourceTypes: map[string]int64{"card": avail[c]}})
		p = append(p, amt{Amount: 0, Currency: c, SourceTypes: map[string]int64{"card": 0}})
	}
	return mustJSON(map[string]any{"object": "balance", "available": a, "pending": p, "livemode": false})
}
