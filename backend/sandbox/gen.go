package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// GenOptions configure Generate.
type GenOptions struct {
	Seed      uint64
	Customers int       // default 200
	Now       time.Time // zero: DefaultNow
	Years     int       // history before Now, default 3
}

// DefaultNow is the generated business's "now" when none is given, so the
// same seed gives the same bytes on any day.
var DefaultNow = time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC)

const day = int64(24 * 3600)

type gen struct {
	seed        uint64
	now         int64
	start       int64
	window      int64 // events exist from here (now - 30 days)
	products    map[string]*Product
	prices      map[string]map[string]*Price // plan key -> currency -> price
	coupons     map[string]*Coupon
	productList []*Product
	priceList   []*Price
	couponList  []*Coupon
}

// Generate builds a business with years of consistent history: the same
// options give the same data, byte for byte.
func Generate(opt GenOptions) (*Data, error) {
	if opt.Customers < 0 {
		return nil, fmt.Errorf("generate: customers %d: must not be negative", opt.Customers)
	}
	if opt.Customers == 0 {
		opt.Customers = 200
	}
	if opt.Years <= 0 {
		opt.Years = 3
	}
	now := opt.Now
	if now.IsZero() {
		now = DefaultNow
	}
	now = now.UTC().Truncate(time.Second)
	g := &gen{seed: opt.Seed, now: now.Unix(), start: now.AddDate(-opt.Years, 0, 0).Unix(), window: now.Unix() - 30*day,
		products: map[string]*Product{}, prices: map[string]map[string]*Price{}, coupons: map[string]*Coupon{}}
	g.catalog()
	d := &Data{Now: now, Account: defaultAccount(g.start - 60*day), Products: g.productList, Prices: g.priceList, Coupons: g.couponList}

	// Customers' sign-up times come from one stream (growth: density rises
	// over time; some sign up in the same second as the previous one).
	master := rand.New(rand.NewPCG(opt.Seed, 0xc0ffee))
	created := make([]int64, opt.Customers)
	span := float64(g.now - 2*3600 - g.start)
	for i := range created {
		if i > 0 && master.IntN(25) == 0 {
			created[i] = created[i-1] // same-second cluster (bulk import)
			continue
		}
		created[i] = g.start + int64(span*math.Sqrt(master.Float64()))
	}
	// Each customer's history is simulated, then its invoices, charges,
	// refunds and events are packed at once (pack.go) and their Go objects
	// dropped: 100,000 customers fit in memory this way.
	outs := make([]*custOut, opt.Customers)
	pk := &packedData{dict: newDict(), avail: map[string]int64{}}
	errs := make([]error, opt.Customers)
	parallel(opt.Customers, func(i int) {
		o := g.customer(i, created[i])
		errs[i] = o.pack(pk.dict)
		outs[i] = o
	})
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
	}
	tl := newTruthLog(g.start, g.now)
	redeemed := map[string]int64{}
	for _, o := range outs {
		d.Customers = append(d.Customers, o.cust)
		d.Subscriptions = append(d.Subscriptions, o.subs...)
		pk.invoices = append(pk.invoices, o.pinvoices...)
		pk.charges = append(pk.charges, o.pcharges...)
		pk.refunds = append(pk.refunds, o.prefunds...)
		pk.events = append(pk.events, o.pevents...)
		for _, s := range o.segs {
			tl.add(s)
		}
		for k, v := range o.redeemed {
			redeemed[k] += v
		}
		for k, v := range o.avail {
			pk.avail[k] += v
		}
	}
	for _, c := range d.Coupons {
		c.TimesRedeemed = redeemed[c.ID]
	}
	d.truth = tl
	d.pk = pk
	sortByCreated(d)
	return d, nil
}

// pack packs the customer's invoices, charges, refunds and events and
// drops their Go objects.
func (o *custOut) pack(dc *dict) error {
	o.avail = chargeAvail(o.charges)
	var err error
	each := func(n int, mk func(i int) (packed, error)) []packed {
		out := make([]packed, 0, n)
		for i := 0; i < n && err == nil; i++ {
			var p packed
			if p, err = mk(i); err == nil {
				out = append(out, p)
			}
		}
		return out
	}
	o.pinvoices = each(len(o.invoices), func(i int) (packed, error) { return dc.invoicePacked(o.invoices[i]) })
	o.pcharges = each(len(o.charges), func(i int) (packed, error) { return dc.chargePacked(o.charges[i]) })
	o.prefunds = each(len(o.refunds), func(i int) (packed, error) { return dc.refundPacked(o.refunds[i]) })
	o.pevents = each(len(o.events), func(i int) (packed, error) { return dc.eventPacked(o.events[i]) })
	o.invoices, o.charges, o.refunds, o.events = nil, nil, nil, nil
	return err
}

func sortPacked(ps []packed) {
	sort.Slice(ps, func(i, j int) bool {
		a, b := ps[i].e, ps[j].e
		return a.created < b.created || (a.created == b.created && a.id < b.id)
	})
}

func sortByCreated(d *Data) {
	sort.SliceStable(d.Customers, func(i, j int) bool {
		a, b := d.Customers[i], d.Customers[j]
		return a.Created < b.Created || (a.Created == b.Created && a.ID < b.ID)
	})
	sort.SliceStable(d.Subscriptions, func(i, j int) bool {
		a, b := d.Subscriptions[i], d.Subscriptions[j]
		return a.Created < b.Created || (a.Created == b.Created && a.ID < b.ID)
	})
	if d.pk != nil {
		sortPacked(d.pk.invoices)
		sortPacked(d.pk.charges)
		sortPacked(d.pk.refunds)
		sortPacked(d.pk.events)
	}
	sort.SliceStable(d.Invoices, func(i, j int) bool {
		a, b := d.Invoices[i], d.Invoices[j]
		return a.Created < b.Created || (a.Created == b.Created && a.ID < b.ID)
	})
	sort.SliceStable(d.Charges, func(i, j int) bool {
		a, b := d.Charges[i], d.Charges[j]
		return a.Created < b.Created || (a.Created == b.Created && a.ID < b.ID)
	})
	sort.SliceStable(d.Refunds, func(i, j int) bool {
		a, b := d.Refunds[i], d.Refunds[j]
		return a.Created < b.Created || (a.Created == b.Created && a.ID < b.ID)
	})
	sort.SliceStable(d.Events, func(i, j int) bool {
		a, b := d.Events[i], d.Events[j]
		return a.Created < b.Created || (a.Created == b.Created && a.ID < b.ID)
	})
}

const idChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func rid(r *rand.Rand, prefix string, n int) string {
	b := make([]byte, len(prefix)+n)
	copy(b, prefix)
	for i := len(prefix); i < len(b); i++ {
		b[i] = idChars[r.IntN(62)]
	}
	return string(b)
}

func (g *gen) catalog() {
	r := rand.New(rand.NewPCG(g.seed, 0xca7a106))
	t := g.start - 45*day
	for i, ps := range genProducts {
		p := &Product{ID: rid(r, "prod_", 14), Object: "product", Active: ps.key != "legacy", Created: t + int64(i)*60,
			Description: ptr(ps.desc), Features: []json.RawMessage{}, Images: []string{}, Metadata: map[string]string{"key": ps.key},
			Name: ps.name, Updated: t + int64(i)*60}
		g.products[ps.key] = p
		g.productList = append(g.productList, p)
	}
	for m := 0; m < moduleCount; m++ {
		key := "module_" + strconv.Itoa(m)
		p := &Product{ID: rid(r, "prod_", 14), Object: "product", Active: true, Created: t + 3600,
			Description: ptr("Add-on module"), Features: []json.RawMessage{}, Images: []string{}, Metadata: map[string]string{"key": key},
			Name: "Module " + string(rune('A'+m)), Updated: t + 3600}
		g.products[key] = p
		g.productList = append(g.productList, p)
	}
	pt := t + 2*3600
	for _, pl := range genPlans() {
		g.prices[pl.key] = map[string]*Price{}
		for _, cur := range pl.curs {
			p := &Price{ID: rid(r, "price_", 24), Object: "price", Active: !pl.inactive, BillingScheme: "per_unit",
				Created: pt, Currency: cur, LookupKey: ptr(pl.key + "_" + cur), Metadata: map[string]string{},
				Nickname: ptr(pl.key), Product: g.products[pl.product].ID, TaxBehavior: ptr("unspecified"), Type: "recurring"}
			if pl.oneTime {
				p.Type = "one_time"
			} else {
				p.Recurring = &Recurring{Interval: pl.interval, IntervalCount: pl.count, UsageType: "licensed"}
				if pl.metered {
					p.Recurring.UsageType = "metered"
					p.Recurring.AggregateUsage = ptr("sum")
				}
			}
			switch {
			case pl.scheme == "tiered":
				p.BillingScheme = "tiered"
				p.TiersMode = ptr(pl.tiersMode)
				for _, tr := range pl.tiers {
					nt := Tier{UpTo: tr.UpTo}
					if tr.UnitAmount != nil {
						nt.UnitAmount = i64(localAmount(*tr.UnitAmount, cur))
						nt.UnitAmountDecimal = ptr(strconv.FormatInt(*nt.UnitAmount, 10))
					}
					if tr.FlatAmount != nil {
						nt.FlatAmount = i64(localAmount(*tr.FlatAmount, cur))
						nt.FlatAmountDecimal = ptr(strconv.FormatInt(*nt.FlatAmount, 10))
					} else {
						nt.FlatAmount = nil
					}
					p.Tiers = append(p.Tiers, nt)
				}
			case pl.decimal != "":
				p.UnitAmountDecimal = ptr(pl.decimal)
			default:
				p.UnitAmount = i64(localAmount(pl.usd, cur))
				p.UnitAmountDecimal = ptr(strconv.FormatInt(*p.UnitAmount, 10))
			}
			if pl.transform != nil {
				tq := *pl.transform
				p.TransformQuantity = &tq
			}
			pt++
			g.prices[pl.key][cur] = p
			g.priceList = append(g.priceList, p)
		}
	}
	for i, cs := range genCoupons {
		c := &Coupon{ID: cs.id, Object: "coupon", Created: t + int64(i), Duration: cs.duration, Metadata: map[string]string{},
			Name: ptr(cs.name), Valid: true}
		if cs.months > 0 {
			c.DurationInMonths = i64(cs.months)
		}
		if cs.percent != "" {
			n := json.Number(cs.percent)
			c.PercentOff = &n
		} else {
			c.AmountOff = i64(cs.amount)
			c.Currency = ptr(cs.currency)
		}
		g.coupons[cs.id] = c
		g.couponList = append(g.couponList, c)
	}
	for _, p := range g.productList {
		if ps, ok := g.prices[p.Metadata["key"]+"_monthly"]; ok {
			if u := ps["usd"]; u != nil {
				p.DefaultPrice = ptr(u.ID)
			}
		}
	}
}

// ---- one customer ----

type mrrSeg struct {
	currency string
	from, to int64 // [from, to); to = MaxInt64 while open at now
	mrr      int64
}

type custOut struct {
	cust     *Customer
	subs     []*Subscription
	invoices []*Invoice
	charges  []*Charge
	refunds  []*Refund
	events   []*Event
	segs     []mrrSeg
	redeemed map[string]int64
	// packed forms (pack), the Go objects above are then dropped
	pinvoices, pcharges, prefunds, pevents []packed
	avail                                  map[string]int64
}

type csim struct {
	g   *gen
	r   *rand.Rand
	out *custOut
	c   *Customer
	cur string
	seq int64
	pm  string
}

var firstNames = []string{"Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Hedy", "John", "Katherine", "Tim", "Radia", "Yukihiro", "Sophie", "Hiro", "Chloé", "Jürgen"}
var lastNames = []string{"Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra", "Lamarr", "McCarthy", "Johnson", "Berners-Lee", "Perlman", "Matsumoto", "Wilson", "Tanaka", "Dubois", "Schmidt"}
var companies = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Wonka"}

func (g *gen) customer(i int, created int64) *custOut {
	r := rand.New(rand.NewPCG(g.seed, uint64(i)*0x9e3779b9+1))
	out := &custOut{redeemed: map[string]int64{}}
	fn, ln := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	co := companies[r.IntN(len(companies))]
	name := fn + " " + ln
	email := strings.ToLower(strings.ReplaceAll(fn+"."+ln, " ", "")) + "+" + strconv.Itoa(i) + "@" + strings.ToLower(co) + ".example"
	cur := "usd"
	switch x := r.IntN(100); {
	case x < 20:
		cur = "eur"
	case x < 30:
		cur = "gbp"
	case x < 40:
		cur = "jpy"
	}
	country := map[string]string{"usd": "US", "eur": "DE", "gbp": "GB", "jpy": "JP"}[cur]
	c := &Customer{ID: rid(r, "cus_", 14), Object: "customer", Address: &Address{City: ptr("Springfield"), Country: ptr(country),
		Line1: ptr(strconv.Itoa(1+r.IntN(999)) + " Main St"), PostalCode: ptr(strconv.Itoa(10000 + r.IntN(89999)))},
		Created: created, Description: ptr(co + " account"), Email: ptr(email), InvoicePrefix: strings.ToUpper(rid(r, "", 8)),
		Metadata: map[string]string{"company": co}, Name: ptr(name), NextInvoiceSequence: 1, PreferredLocales: []string{},
		TaxExempt: "none"}
	out.cust = c
	cs := &csim{g: g, r: r, out: out, c: c, cur: cur, pm: rid(r, "pm_", 24)}
	c.InvoiceSettings.DefaultPaymentMethod = ptr(cs.pm)
	cs.event(created, "customer.created", c, nil)
	if r.IntN(100) < 8 { // a lead that never subscribed; some get deleted
		if r.IntN(4) == 0 {
			del := created + int64(r.IntN(int(max64(g.now-created, 2))))
			if del < g.now {
				cs.event(del, "customer.deleted", c, nil)
				c.Deleted = true
			}
		}
		return out
	}
	c.Currency = ptr(cur)
	start := created
	if r.IntN(2) == 0 {
		start += int64(r.IntN(3 * int(day)))
	}
	for n := 0; start < g.now-3600 && n < 4; n++ {
		ended := cs.subscription(start, n)
		if ended == 0 || r.IntN(100) >= 20 {
			// still running, or gone for good; sometimes a second one in parallel
			if ended == 0 && n == 0 && r.IntN(100) < 5 {
				s2 := start + int64(r.IntN(int(max64(g.now-start, 2))))
				if s2 < g.now-3600 {
					cs.subscription(s2, 9)
				}
			}
			break
		}
		start = ended + 30*day + int64(r.IntN(int(300*day))) // reactivation
	}
	c.NextInvoiceSequence = cs.seq + 1
	return out
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// event records an event if t falls in the last 30 days, rendering obj as
// it is at that moment.
func (cs *csim) event(t int64, typ string, obj any, prev map[string]any) {
	if t < cs.g.window || t > cs.g.now {
		return
	}
	var raw []byte
	switch o := obj.(type) {
	case *Subscription:
		raw = mustJSON(apiSub(o))
	case *Invoice:
		raw = mustJSON(apiInvoice(o))
	case *Charge:
		raw = mustJSON(apiCharge(o))
	case *Customer:
		raw = mustJSON(o)
	default:
		raw = mustJSON(o)
	}
	ev := &Event{ID: rid(cs.r, "evt_", 24), Object: "event", APIVersion: ptr(apiVersion), Created: t,
		Data: EventData{Object: raw}, Type: typ}
	if len(prev) > 0 {
		ev.Data.PreviousAttributes = mustJSON(prev)
	}
	if strings.HasPrefix(typ, "customer.") && !strings.HasPrefix(typ, "customer.subscription") || typ == "charge.refunded" {
		ev.Request.ID = ptr(rid(cs.r, "req_", 14))
	}
	cs.out.events = append(cs.out.events, ev)
}

type planPick struct {
	items []itemSpec
	trial bool
}

type itemSpec struct {
	key string
	qty int64
}

func (cs *csim) pickPlan(start int64, n int) planPick {
	r := cs.r
	has := func(key string) bool { return cs.g.prices[key][cs.cur] != nil }
	one := func(key string, q int64) planPick {
		if !has(key) {
			key = "starter_monthly"
		}
		return planPick{items: []itemSpec{{key, q}}}
	}
	var p planPick
	switch x := r.IntN(100); {
	case n == 9:
		p = one("support_monthly", 1)
	case x < 40:
		if r.IntN(4) == 0 {
			p = one("starter_yearly", 1)
		} else {
			p = one("starter_monthly", 1)
		}
	case x < 66:
		switch y := r.IntN(10); {
		case y < 6:
			p = one("pro_monthly", 1+int64(r.IntN(3)))
		case y < 7:
			p = one("pro_quarterly", 1)
		default:
			p = one("pro_yearly", 1)
		}
	case x < 78:
		switch y := r.IntN(10); {
		case y < 5:
			p = one("business_monthly", 1)
		case y < 9:
			p = one("business_yearly", 1)
		default:
			p = one("business_biennial", 1)
		}
	case x < 84:
		if r.IntN(2) == 0 {
			p = one("seats_graduated", 1+int64(r.IntN(40)))
		} else {
			p = one("seats_volume", 1+int64(r.IntN(80)))
		}
	case x < 87 && has("module_0"):
		items := []itemSpec{{"business_monthly", 1}, {"seats_graduated", 5 + int64(r.IntN(30))}, {"storage_10gb", 10 + int64(r.IntN(300))},
			{"api_metered", 0}, {"support_monthly", 1}}
		if !has("seats_graduated") {
			items[1] = itemSpec{"pro_monthly", 1}
		}
		for m := 0; m < moduleCount; m++ {
			if m < 6 || r.IntN(2) == 0 {
				items = append(items, itemSpec{"module_" + strconv.Itoa(m), 1})
			}
		}
		p = planPick{items: items}
	case x < 90:
		p = one("storage_10gb", 5+int64(r.IntN(200)))
	case x < 92:
		p = one("extra_user", 1+int64(r.IntN(5)))
	case x < 95 && start < cs.g.start+200*day:
		p = one("legacy_monthly", 1)
	case x < 97 && start > cs.g.now-90*day:
		p = one("digest_weekly", 1)
	case x < 99 && start > cs.g.now-40*day:
		p = one("daily_report", 1)
	default:
		p = one("pro_monthly", 1)
	}
	if len(p.items) == 1 && n != 9 && r.IntN(100) < 30 {
		if iv := cs.g.prices[p.items[0].key][cs.cur].Recurring.Interval; iv == "month" || iv == "year" {
			p.trial = true
		}
	}
	return p
}

// MemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) a
// process serving a generated business of this many customers can set so
// its peak stays near the live heap (about 16 KiB a customer) instead of
// twice it: 19 KiB a customer, at least 256 MiB.
func MemoryLimit(customers int) int64 {
	return max(int64(customers)*19<<10, 256<<20)
}
