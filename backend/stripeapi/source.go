package stripeapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/stripe/stripe-go/v76/form"

	"billfold/backend"
	"billfold/backend/syncer"
)

var _ syncer.Source = (*Client)(nil)

// resource describes how one object type is listed and how its nested list
// is completed.
type resource struct {
	path   string // "/v1/customers"
	nested string // field holding a nested list of 10 ("lines"), or ""
	// nestedList returns the endpoint, path and filter for the rest of the
	// nested list of the object id.
	nestedList func(id string) (ep, path string, q *form.Values)
	statusAll  bool
	// expand names a field Stripe leaves out unless expanded (price tiers)
	expand string
}

var resources = map[backend.ObjectType]resource{
	backend.TypeCustomers: {path: "/v1/customers"},
	backend.TypeProducts:  {path: "/v1/products"},
	backend.TypePrices:    {path: "/v1/prices", expand: "tiers"}, // tiered prices are useless without them
	backend.TypeCoupons:   {path: "/v1/coupons"},
	backend.TypeSubscriptions: {path: "/v1/subscriptions", statusAll: true, nested: "items",
		nestedList: func(id string) (string, string, *form.Values) {
			q := &form.Values{}
			q.Add("subscription", id)
			return "GET /v1/subscription_items", "/v1/subscription_items", q
		}},
	backend.TypeInvoices: {path: "/v1/invoices", nested: "lines",
		nestedList: func(id string) (string, string, *form.Values) {
			return "GET /v1/invoices/{id}/lines", "/v1/invoices/" + url.PathEscape(id) + "/lines", &form.Values{}
		}},
	backend.TypeCharges: {path: "/v1/charges", nested: "refunds",
		nestedList: func(id string) (string, string, *form.Values) {
			q := &form.Values{}
			q.Add("charge", id)
			return "GET /v1/refunds", "/v1/refunds", q
		}},
	backend.TypeRefunds: {path: "/v1/refunds"},
}

func lookup(typ backend.ObjectType) (resource, error) {
	r, ok := resources[typ]
	if !ok {
		return r, backend.Errorf(backend.EINVALID, "billfold does not sync %q", typ)
	}
	return r, nil
}

// ListPage lists up to limit objects of typ created in [gte, lt), newest
// first, after startingAfter, with every nested list complete.
func (c *Client) ListPage(ctx context.Context, typ backend.ObjectType, gte, lt int64, startingAfter string, limit int) (syncer.Page, error) {
	r, err := lookup(typ)
	if err != nil {
		return syncer.Page{}, err
	}
	q := &form.Values{}
	q.Add("limit", strconv.Itoa(clampLimit(limit)))
	q.Add("created[gte]", strconv.FormatInt(gte, 10))
	q.Add("created[lt]", strconv.FormatInt(lt, 10))
	if startingAfter != "" {
		q.Add("starting_after", startingAfter)
	}
	if r.statusAll {
		q.Add("status", "all")
	}
	if r.expand != "" {
		q.Add("expand[]", "data."+r.expand)
	}
	body, err := c.get(ctx, "GET "+r.path, r.path, q)
	if err != nil {
		return syncer.Page{}, fmt.Errorf("list %s: %w", typ, err)
	}
	l, err := parseList(body)
	if err != nil {
		return syncer.Page{}, fmt.Errorf("list %s: %w", typ, c.badBody(err))
	}
	stamp := c.now().Unix()
	page := syncer.Page{HasMore: l.HasMore, Objects: make([]backend.RawObject, 0, len(l.Data))}
	for _, item := range l.Data {
		o, err := c.object(ctx, typ, r, item, stamp)
		if err != nil {
			return syncer.Page{}, fmt.Errorf("list %s: %w", typ, err)
		}
		page.Objects = append(page.Objects, o)
	}
	return page, nil
}

func clampLimit(n int) int {
	if n <= 0 || n > 100 {
		return 100
	}
	return n
}

func (c *Client) badBody(err error) error {
	return &backend.Error{Code: backend.EUNAVAILABLE, Message: "Stripe's answer could not be read: " + err.Error(), Err: err}
}

// object turns one raw element into a RawObject, completing its nested list.
func (c *Client) object(ctx context.Context, typ backend.ObjectType, r resource, raw []byte, stamp int64) (backend.RawObject, error) {
	h, err := parseHeader(raw, r.nested)
	if err != nil {
		return backend.RawObject{}, c.badBody(err)
	}
	if h.nested[0] >= 0 && !h.Deleted {
		raw, err = c.complete(ctx, r, h, raw)
		if err != nil {
			return backend.RawObject{}, err
		}
	}
	return backend.RawObject{Type: typ, ID: h.ID, Created: h.Created, Stamp: stamp, Deleted: h.Deleted, Raw: json.RawMessage(raw)}, nil
}

// complete fetches the rest of a nested list that has has_more and returns
// the object with the whole list in place and has_more false.
func (c *Client) complete(ctx context.Context, r resource, h header, raw []byte) ([]byte, error) {
	nb := raw[h.nested[0]:h.nested[1]]
	nl, err := parseList(nb)
	if err != nil {
		return nil, c.badBody(fmt.Errorf("%s of %s: %w", r.nested, h.ID, err))
	}
	if !nl.HasMore {
		return raw, nil
	}
	items := append([][]byte(nil), nl.Data...)
	ep, path, base := r.nestedList(h.ID)
	for more := true; more; {
		q := &form.Values{}
		for k, vs := range base.ToValues() {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		q.Add("limit", "100")
		if len(items) > 0 {
			last, err := parseHeader(items[len(items)-1], "")
			if err != nil {
				return nil, c.badBody(err)
			}
			q.Add("starting_after", last.ID)
		}
		body, err := c.get(ctx, ep, path, q)
		if err != nil {
			return nil, fmt.Errorf("%s of %s: %w", r.nested, h.ID, err)
		}
		l, err := parseList(body)
		if err != nil {
			return nil, c.badBody(err)
		}
		items = append(items, l.Data...)
		more = l.HasMore && len(l.Data) > 0
	}
	var data bytes.Buffer
	data.Grow(len(nb) * 2)
	data.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			data.WriteByte(',')
		}
		data.Write(it)
	}
	data.WriteByte(']')
	// rewrite the nested list: data first or has_more first, whichever comes later is spliced first
	list := nb
	ds, ms := nl.dataSpan, nl.moreSpan
	if ms[0] > ds[0] {
		list = splice(list, ms[0], ms[1], []byte("false"))
		list = splice(list, ds[0], ds[1], data.Bytes())
	} else {
		list = splice(list, ds[0], ds[1], data.Bytes())
		list = splice(list, ms[0], ms[1], []byte("false"))
	}
	return splice(raw, h.nested[0], h.nested[1], list), nil
}

// Retrieve fetches one object; a deleted customer comes back with Deleted set.
func (c *Client) Retrieve(ctx context.Context, typ backend.ObjectType, id string) (backend.RawObject, error) {
	r, err := lookup(typ)
	if err != nil {
		return backend.RawObject{}, err
	}
	if id == "" {
		return backend.RawObject{}, backend.Errorf(backend.EINVALID, "retrieve %s: empty id", typ)
	}
	var q *form.Values
	if r.expand != "" {
		q = &form.Values{}
		q.Add("expand[]", r.expand)
	}
	body, err := c.get(ctx, "GET "+r.path+"/{id}", r.path+"/"+url.PathEscape(id), q)
	if err != nil {
		return backend.RawObject{}, fmt.Errorf("retrieve %s %s: %w", typ, id, err)
	}
	o, err := c.object(ctx, typ, r, body, c.now().Unix())
	if err != nil {
		return backend.RawObject{}, fmt.Errorf("retrieve %s %s: %w", typ, id, err)
	}
	return o, nil
}

// Events returns a page of /v1/events created in [gte, lt), newest first.
func (c *Client) Events(ctx context.Context, gte, lt int64, startingAfter string, limit int) (syncer.EventPage, error) {
	q := &form.Values{}
	q.Add("limit", strconv.Itoa(clampLimit(limit)))
	q.Add("created[gte]", strconv.FormatInt(gte, 10))
	q.Add("created[lt]", strconv.FormatInt(lt, 10))
	if startingAfter != "" {
		q.Add("starting_after", startingAfter)
	}
	body, err := c.get(ctx, "GET /v1/events", "/v1/events", q)
	if err != nil {
		return syncer.EventPage{}, fmt.Errorf("list events: %w", err)
	}
	l, err := parseList(body)
	if err != nil {
		return syncer.EventPage{}, fmt.Errorf("list events: %w", c.badBody(err))
	}
	p := syncer.EventPage{HasMore: l.HasMore, Events: make([]backend.Event, len(l.Data))}
	for i, item := range l.Data {
		if err := json.Unmarshal(item, &p.Events[i]); err != nil {
			return syncer.EventPage{}, fmt.Errorf("list events: %w", c.badBody(err))
		}
	}
	return p, nil
}

// Account is /v1/account as Billfold reads it.
type Account struct {
	backend.StripeAccount
	Created int64           `json:"created"`
	Raw     json.RawMessage `json:"-"`
}

// Account reads /v1/account.
func (c *Client) Account(ctx context.Context) (Account, error) {
	body, err := c.get(ctx, "GET /v1/account", "/v1/account", nil)
	if err != nil {
		return Account{}, fmt.Errorf("read account: %w", err)
	}
	var a Account
	if err := json.Unmarshal(body, &a); err != nil {
		return Account{}, fmt.Errorf("read account: %w", c.badBody(err))
	}
	if a.ID == "" {
		return Account{}, fmt.Errorf("read account: %w", c.badBody(fmt.Errorf("no account id")))
	}
	a.Raw = body
	return a, nil
}

// AccountID returns the account's id from /v1/account. A restricted key
// without access to it (403) gets a stable local id instead: "acct_key"
// and 16 hex digits of a SHA-256 over a fixed prefix and the key, so the
// same key always maps to the same local database; the key itself cannot be
// recovered from it. fallback reports which one was used.
func (c *Client) AccountID(ctx context.Context) (id string, created int64, fallback bool, err error) {
	a, err := c.Account(ctx)
	if err == nil {
		return a.ID, a.Created, false, nil
	}
	if backend.ErrorCode(err) == backend.EFORBIDDEN && c.key.Restricted() {
		sum := sha256.Sum256([]byte("billfold-account-id:" + c.key.Reveal()))
		return "acct_key" + hex.EncodeToString(sum[:8]), 0, true, nil
	}
	return "", 0, false, err
}

// CheckAccess asks for one object of each type and one event, in parallel,
// so a restricted key missing a permission is refused before anything is
// written. The error names every resource the key may not read.
func (c *Client) CheckAccess(ctx context.Context, types []backend.ObjectType) error {
	type result struct {
		name string
		err  error
	}
	ch := make(chan result, len(types)+1)
	for _, t := range types {
		go func() {
			_, err := c.ListPage(ctx, t, 0, c.now().Unix()+1, "", 1)
			ch <- result{string(t), err}
		}()
	}
	go func() {
		_, err := c.Events(ctx, 0, c.now().Unix()+1, "", 1)
		ch <- result{"events", err}
	}()
	var missing []string
	var firstForbidden, other error
	for range len(types) + 1 {
		r := <-ch
		switch {
		case r.err == nil:
		case backend.ErrorCode(r.err) == backend.EFORBIDDEN:
			missing = append(missing, r.name)
			if firstForbidden == nil {
				firstForbidden = r.err
			}
		case other == nil:
			other = r.err
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		list := strings.Join(missing, ", ")
		return &backend.Error{Code: backend.EFORBIDDEN, Err: firstForbidden,
			Message: fmt.Sprintf("the key %s may not read %s: give it read access to %s in the Stripe Dashboard (Developers > API keys); a read-only restricted key with those permissions is enough", c.key.Masked(), list, list)}
	}
	return other
}
