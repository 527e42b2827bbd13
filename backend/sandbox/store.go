package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// entry is one served object: its API JSON, packed (pack.go), plus the
// fields lists filter on. raw is replaced (never modified in place) on
// writes, so readers holding an old slice stay consistent. Entries are
// kept small: a business of 100,000 customers has 1.8 million of them.
type entry struct {
	id       string // shares raw's bytes (raw starts with {"id":"ID")
	created  int64
	raw      []byte // packed API JSON
	obj      any    // Go object for customers, subscriptions, products, prices, coupons (nil for the rest)
	customer string
	sub      string // invoices: subscription; refunds: charge
	status   string // status; prices: "true"/"false" (active); events: type
	visible  int64  // events: hidden from /v1/events before this unix time (lag)
	deleted  bool
	flags    uint8
	size     uint32 // length of the API JSON when packed (a hint for buffers)
}

const flagSendInvoice = 1 // invoices: collection_method send_invoice

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
	dict    *dict
	cols    map[string]*collection // by resource name
	byPref  map[string]*collection // by id prefix
	items   map[string]*nested     // subscription id -> items
	itemSub map[string]string      // item id -> subscription id
	// full holds the packed fixture form of objects whose nested list the
	// API cuts at 10 (invoices of more than 10 lines, charges of more than
	// 10 refunds, subscriptions of more than 10 items).
	full    map[string][]byte
	avail   map[string]int64 // balance available per currency
	orig    Data             // the served Data's Go-object collections, in their order
	balance []byte
}

var resourcePrefixes = map[string][]string{
	"customers": {"cus_"}, "products": {"prod_"}, "prices": {"price_", "plan_"}, "coupons": {},
	"subscriptions": {"sub_"}, "invoices": {"in_"}, "charges": {"ch_", "py_"}, "refunds": {"re_", "pyr_"},
	"events": {"evt_"}, "invoiceitems": {"ii_"},
}

func strv(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// json returns e's API JSON.
func (st *store) json(e *entry) []byte { return st.dict.unpack(e.raw) }

// fullJSON returns e's fixture JSON (nested lists complete).
func (st *store) fullJSON(e *entry) []byte {
	if f, ok := st.full[e.id]; ok {
		return st.dict.unpack(f)
	}
	return st.dict.unpack(e.raw)
}

// packed is a packed object on its way into a store: entry plus, when the
// fixture form differs from the API form, the packed fixture form.
type packed struct {
	e    *entry
	full []byte
}

// packEntry packs api (and full when it differs) into e.
func (dc *dict) packEntry(e *entry, api, full []byte) packed {
	e.raw = dc.pack(api)
	e.size = uint32(len(api))
	e.id = idOf(e.raw, e.id)
	p := packed{e: e}
	if full != nil && !bytes.Equal(full, api) {
		p.full = dc.pack(full)
	}
	return p
}

// idOf returns id as a string sharing the packed blob's bytes (the blob
// starts with {"id":"ID" and is never modified), saving an allocation per
// object.
func idOf(raw []byte, id string) string {
	const pre = `{"id":"`
	if len(raw) >= len(pre)+len(id) && string(raw[len(pre):len(pre)+len(id)]) == id {
		return unsafe.String(&raw[len(pre)], len(id))
	}
	return id
}

// packedData is a generated business's heavy collections, packed as they
// were generated (created ascending), sharing one dictionary.
type packedData struct {
	dict     *dict
	invoices []packed
	charges  []packed
	refunds  []packed
	events   []packed
	avail    map[string]int64
	adopted  bool // a server owns the entries; others copy them
}

// newStore renders and packs every object (in parallel) and indexes it.
func newStore(d *Data) (*store, error) {
	dc := newDict()
	if d.pk != nil {
		dc = d.pk.dict
	}
	s := &store{now: d.Now, cols: map[string]*collection{}, byPref: map[string]*collection{}, dict: dc,
		items: map[string]*nested{}, itemSub: map[string]string{}, full: map[string][]byte{}, acct: d.Account}
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
	index := func(name string, ps []packed, copyEntries bool) {
		c := s.cols[name]
		c.byID = make(map[string]*entry, len(ps))
		c.sorted = make([]*entry, 0, len(ps))
		for _, p := range ps {
			e := p.e
			if copyEntries {
				ne := *e
				e = &ne
			}
			c.byID[e.id] = e
			if p.full != nil {
				s.full[e.id] = p.full
			}
			if !e.deleted {
				c.sorted = append(c.sorted, e)
			}
		}
		c.sortAll()
	}
	add := func(name string, n int, mk func(i int) (packed, error)) error {
		ps := make([]packed, n)
		errs := make([]error, n)
		parallel(n, func(i int) { ps[i], errs[i] = mk(i) })
		for _, err := range errs {
			if err != nil {
				return fmt.Errorf("render %s: %w", name, err)
			}
		}
		index(name, ps, false)
		return nil
	}
	steps := []struct {
		name string
		n    int
		mk   func(i int) (packed, error)
	}{
		{"customers", len(d.Customers), func(i int) (packed, error) { return dc.customerPacked(d.Customers[i]) }},
		{"products", len(d.Products), func(i int) (packed, error) {
			return dc.objPacked(d.Products[i], d.Products[i].ID, d.Products[i].Created)
		}},
		{"prices", len(d.Prices), func(i int) (packed, error) { return dc.pricePacked(d.Prices[i]) }},
		{"coupons", len(d.Coupons), func(i int) (packed, error) { return dc.objPacked(d.Coupons[i], d.Coupons[i].ID, d.Coupons[i].Created) }},
		{"subscriptions", len(d.Subscriptions), func(i int) (packed, error) { return dc.subPacked(d.Subscriptions[i]) }},
		{"invoiceitems", len(d.InvoiceItems), func(i int) (packed, error) { return dc.invoiceItemPacked(d.InvoiceItems[i]) }},
	}
	if d.pk == nil {
		steps = append(steps, []struct {
			name string
			n    int
			mk   func(i int) (packed, error)
		}{
			{"invoices", len(d.Invoices), func(i int) (packed, error) { return dc.invoicePacked(d.Invoices[i]) }},
			{"charges", len(d.Charges), func(i int) (packed, error) { return dc.chargePacked(d.Charges[i]) }},
			{"refunds", len(d.Refunds), func(i int) (packed, error) { return dc.refundPacked(d.Refunds[i]) }},
			{"events", len(d.Events), func(i int) (packed, error) { return dc.eventPacked(d.Events[i]) }},
		}...)
	}
	for _, st := range steps {
		if err := add(st.name, st.n, st.mk); err != nil {
			return nil, err
		}
	}
	if d.pk != nil {
		cp := d.pk.adopted
		d.pk.adopted = true
		index("invoices", d.pk.invoices, cp)
		index("charges", d.pk.charges, cp)
		index("refunds", d.pk.refunds, cp)
		index("events", d.pk.events, cp)
		s.avail = map[string]int64{}
		for k, v := range d.pk.avail {
			s.avail[k] = v
		}
	} else {
		s.avail = chargeAvail(d.Charges)
	}
	for _, sub := range d.Subscriptions {
		s.setItems(sub)
	}
	s.balance = renderBalance(s.avail, d.Account.DefaultCurrency)
	s.orig = Data{Customers: d.Customers, Products: d.Products, Prices: d.Prices, Coupons: d.Coupons, Subscriptions: d.Subscriptions}
	dc.freeze()
	return s, nil
}

// parallel runs f(0..n-1) on GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}(w)
	}
	wg.Wait()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

func (dc *dict) objPacked(v any, id string, created int64) (packed, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return packed{}, err
	}
	return dc.packEntry(&entry{id: id, created: created, obj: v}, b, nil), nil
}

func (dc *dict) customerPacked(c *Customer) (packed, error) {
	e := &entry{id: c.ID, created: c.Created, obj: c, deleted: c.Deleted}
	var b []byte
	var err error
	if c.Deleted {
		b, err = json.Marshal(map[string]any{"id": c.ID, "object": "customer", "deleted": true})
	} else {
		b, err = json.Marshal(c)
	}
	if err != nil {
		return packed{}, err
	}
	return dc.packEntry(e, b, nil), nil
}

func (dc *dict) pricePacked(p *Price) (packed, error) {
	pk, err := dc.objPacked(p, p.ID, p.Created)
	pk.e.status = boolStatus(p.Active)
	return pk, err
}

func boolStatus(b bool) string {
	if b {
		return "true"
	}
	return "false"
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

func (dc *dict) subPacked(s *Subscription) (packed, error) {
	api, err := json.Marshal(apiSub(s))
	if err != nil {
		return packed{}, err
	}
	var full []byte
	if len(s.Items.Data) > 10 {
		full = mustJSON(fullSub(s))
	}
	return dc.packEntry(&entry{id: s.ID, created: s.Created, obj: s, customer: s.Customer, status: s.Status}, api, full), nil
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

func (dc *dict) invoicePacked(in *Invoice) (packed, error) {
	api, err := json.Marshal(apiInvoice(in))
	if err != nil {
		return packed{}, err
	}
	var full []byte
	if len(in.Lines.Data) > 10 {
		full = mustJSON(fullInvoice(in))
	}
	e := &entry{id: in.ID, created: in.Created, customer: strv(in.Customer), sub: strv(in.Subscription), status: strv(in.Status)}
	if in.CollectionMethod == "send_invoice" {
		e.flags |= flagSendInvoice
	}
	return dc.packEntry(e, api, full), nil
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

func (dc *dict) chargePacked(ch *Charge) (packed, error) {
	api, err := json.Marshal(apiCharge(ch))
	if err != nil {
		return packed{}, err
	}
	var full []byte
	if ch.Refunds != nil && len(ch.Refunds.Data) > 10 {
		full = mustJSON(fullCharge(ch))
	}
	return dc.packEntry(&entry{id: ch.ID, created: ch.Created, customer: strv(ch.Customer), status: ch.Status}, api, full), nil
}

func (dc *dict) refundPacked(r *Refund) (packed, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return packed{}, err
	}
	return dc.packEntry(&entry{id: r.ID, created: r.Created, sub: strv(r.Charge)}, b, nil), nil
}

func (dc *dict) eventPacked(ev *Event) (packed, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return packed{}, err
	}
	return dc.packEntry(&entry{id: ev.ID, created: ev.Created, status: ev.Type}, b, nil), nil
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

// lines returns an invoice's lines (parsed from its fixture form).
func (s *store) lines(id string) *nested {
	e := s.cols["invoices"].byID[id]
	if e == nil {
		return nil
	}
	var in Invoice
	if err := json.Unmarshal(s.fullJSON(e), &in); err != nil {
		return nil
	}
	n := &nested{}
	for _, l := range in.Lines.Data {
		n.ids = append(n.ids, l.ID)
		n.objs = append(n.objs, l)
	}
	return n
}

// lookup finds any object by id (for expansion) and its resource.
func (s *store) lookup(id string) (*entry, string) {
	if i := strings.IndexByte(id, '_'); i > 0 {
		if c := s.byPref[id[:i+1]]; c != nil {
			if e := c.byID[id]; e != nil {
				return e, c.name
			}
		}
	}
	// coupons have free-form ids; prices may be plan_ or custom too.
	for _, name := range []string{"coupons", "prices", "products"} {
		if e := s.cols[name].byID[id]; e != nil {
			return e, name
		}
	}
	return nil, ""
}

// chargeAvail sums what succeeded charges leave after refunds, per currency.
func chargeAvail(charges []*Charge) map[string]int64 {
	avail := map[string]int64{}
	for _, ch := range charges {
		if ch.Status == "succeeded" {
			avail[ch.Currency] += ch.Amount - ch.AmountRefunded
		}
	}
	return avail
}

func renderBalance(avail map[string]int64, defCur string) []byte {
	type amt struct {
		Amount      int64            `json:"amount"`
		Currency    string           `json:"currency"`
		SourceTypes map[string]int64 `json:"source_types"`
	}
	if len(avail) == 0 {
		avail = map[string]int64{defCur: 0}
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

// asc returns a collection's entries, deleted ones included, oldest first
// (the fixture order).
func (c *collection) asc() []*entry {
	out := make([]*entry, 0, len(c.byID))
	for _, e := range c.byID {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return before(out[j], out[i]) })
	return out
}

// snapshot returns the store's current state as Data (parsed).
func (st *store) snapshot() (*Data, error) {
	d := &Data{Now: st.now, Account: st.acct}
	// Writes change these objects in place and create none: their
	// original order stands.
	d.Customers = append([]*Customer(nil), st.orig.Customers...)
	d.Products = append([]*Product(nil), st.orig.Products...)
	d.Prices = append([]*Price(nil), st.orig.Prices...)
	d.Coupons = append([]*Coupon(nil), st.orig.Coupons...)
	d.Subscriptions = append([]*Subscription(nil), st.orig.Subscriptions...)
	for _, e := range st.cols["invoiceitems"].asc() {
		d.InvoiceItems = append(d.InvoiceItems, e.obj.(*InvoiceItem))
	}
	pk := &packedData{dict: st.dict}
	for _, c := range []struct {
		name string
		dst  *[]packed
	}{{"invoices", &pk.invoices}, {"charges", &pk.charges}, {"refunds", &pk.refunds}, {"events", &pk.events}} {
		for _, e := range st.cols[c.name].asc() {
			*c.dst = append(*c.dst, packed{e: e, full: st.full[e.id]})
		}
	}
	d.pk = pk
	return d.Unpacked()
}

// setFull records (or clears) an object's fixture form.
func (st *store) setFull(id string, full []byte) {
	if full == nil {
		delete(st.full, id)
	} else {
		st.full[id] = full
	}
}

func (dc *dict) invoiceItemPacked(ii *InvoiceItem) (packed, error) {
	pk, err := dc.objPacked(ii, ii.ID, ii.Date)
	if err == nil {
		pk.e.customer, pk.e.sub, pk.e.status = ii.Customer, strv(ii.Subscription), "pending"
		if ii.Invoice != nil {
			pk.e.status = "invoiced"
		}
	}
	return pk, err
}
