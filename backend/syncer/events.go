package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"billfold/backend"
)

// objectTypes maps a Stripe object name to the synced type.
var objectTypes = map[string]backend.ObjectType{
	"customer":     backend.TypeCustomers,
	"product":      backend.TypeProducts,
	"price":        backend.TypePrices,
	"coupon":       backend.TypeCoupons,
	"subscription": backend.TypeSubscriptions,
	"invoice":      backend.TypeInvoices,
	"charge":       backend.TypeCharges,
	"refund":       backend.TypeRefunds,
}

// objectName is the inverse of objectTypes.
func objectName(t backend.ObjectType) string {
	for k, v := range objectTypes {
		if v == t {
			return k
		}
	}
	return strings.TrimSuffix(string(t), "s")
}

// eventObject is what the syncer reads of an event's data.object.
type eventObject struct {
	ID           string       `json:"id"`
	Object       string       `json:"object"`
	Created      int64        `json:"created"`
	Customer     backend.Ref  `json:"customer"`
	Subscription backend.Ref  `json:"subscription"`
	Invoice      backend.Ref  `json:"invoice"`
	Lines        *nestedState `json:"lines"`
	Items        *nestedState `json:"items"`
	Refunds      *nestedState `json:"refunds"`
}

type nestedState struct {
	HasMore bool `json:"has_more"`
}

func (o eventObject) truncated() bool {
	for _, n := range []*nestedState{o.Lines, o.Items, o.Refunds} {
		if n != nil && n.HasMore {
			return true
		}
	}
	return false
}

type objKey struct {
	t  backend.ObjectType
	id string
}

// change is the collapsed view of one object's events in a window.
type change struct {
	key       objKey
	latest    backend.Event
	obj       eventObject
	sameSec   int  // events sharing the latest event's second
	refetch   bool // retrieve instead of trusting the payload
	fromEvent bool // the object itself is in the payload (not a related one)
}

// incremental applies the events from cursor-overlap to now-lag, oldest
// first, one chunk (at most EventsChunk) per transaction.
func (s *Syncer) incremental(ctx context.Context, run *run, cursor int64) (int64, error) {
	run.setPhase("events")
	run.setSched(nil)
	lt := s.o.Now().Add(-s.o.EventsLag).Unix()
	gte := cursor - int64(s.o.EventsOverlap/time.Second)
	var total int64
	chunk := int64(s.o.EventsChunk / time.Second)
	for a := gte; a < lt; {
		b := min(a+chunk, lt)
		// the cursor never moves back (a backfill may have set it past now-lag)
		n, err := s.applyWindow(ctx, run, a, b, max(b, cursor))
		total += n
		if err != nil {
			return total, err
		}
		a = b
	}
	return total, nil
}

// applyWindow reads all events created in [gte, lt), collapses them to the
// latest per object and stores events, objects and newCursor at once.
func (s *Syncer) applyWindow(ctx context.Context, run *run, gte, lt, newCursor int64) (int64, error) {
	var events []backend.Event
	seen := map[string]bool{}
	after := ""
	for {
		p, err := s.o.Source.Events(ctx, gte, lt, after, 100)
		if err != nil {
			return 0, fmt.Errorf("read events: %w", err)
		}
		for _, e := range p.Events {
			if !seen[e.ID] {
				seen[e.ID] = true
				events = append(events, e)
			}
		}
		if !p.HasMore || len(p.Events) == 0 {
			break
		}
		after = p.Events[len(p.Events)-1].ID
	}
	// oldest first; ids break ties only to make the order stable
	sort.SliceStable(events, func(i, j int) bool {
		if events[i].Created != events[j].Created {
			return events[i].Created < events[j].Created
		}
		return events[i].ID < events[j].ID
	})
	changes, order, err := s.collapse(events)
	if err != nil {
		return 0, err
	}
	objs, err := s.materialise(ctx, changes, order)
	if err != nil {
		return 0, err
	}
	if err := s.o.Store.ApplyEvents(ctx, events, objs, newCursor); err != nil {
		return 0, fmt.Errorf("apply events: %w", err)
	}
	for _, o := range objs {
		run.add(o.Type, 1)
	}
	return int64(len(events)), nil
}

func isDeletion(e backend.Event, t backend.ObjectType) bool {
	if !strings.HasSuffix(e.Type, ".deleted") {
		return false
	}
	switch t {
	case backend.TypeCustomers, backend.TypeProducts, backend.TypePrices, backend.TypeCoupons, backend.TypeInvoices:
		// customer.subscription.deleted is a cancellation, not a deletion;
		// customer.discount.deleted concerns a discount
		return strings.Count(e.Type, ".") == 1
	}
	return false
}

// collapse keeps, per object, the latest event and whether it must be
// re-fetched. Events about related objects (discounts, invoice items)
// re-fetch the objects they change.
func (s *Syncer) collapse(events []backend.Event) (map[objKey]*change, []objKey, error) {
	changes := map[objKey]*change{}
	wanted := map[backend.ObjectType]bool{}
	for _, t := range s.o.Types {
		wanted[t] = true
	}
	touch := func(k objKey, e backend.Event, o eventObject, fromEvent bool) {
		c := changes[k]
		if c == nil {
			c = &change{key: k}
			changes[k] = c
		}
		switch {
		case c.latest.ID == "" || e.Created > c.latest.Created:
			c.sameSec = 1
		case e.Created == c.latest.Created:
			c.sameSec++
		}
		c.latest, c.obj, c.fromEvent = e, o, fromEvent
	}
	for _, e := range events {
		var o eventObject
		if len(e.Data.Object) == 0 {
			continue
		}
		if err := json.Unmarshal(e.Data.Object, &o); err != nil {
			return nil, nil, backend.Errorf(backend.EUNAVAILABLE, "event %s has an unreadable object: %v", e.ID, err)
		}
		if t, ok := objectTypes[o.Object]; ok {
			if wanted[t] && o.ID != "" {
				touch(objKey{t, o.ID}, e, o, true)
			}
			continue
		}
		// related objects: re-fetch what they change
		switch o.Object {
		case "discount":
			if wanted[backend.TypeCustomers] && o.Customer.ID != "" {
				touch(objKey{backend.TypeCustomers, o.Customer.ID}, e, eventObject{}, false)
			}
			if wanted[backend.TypeSubscriptions] && o.Subscription.ID != "" {
				touch(objKey{backend.TypeSubscriptions, o.Subscription.ID}, e, eventObject{}, false)
			}
		case "invoiceitem", "line_item":
			if wanted[backend.TypeInvoices] && o.Invoice.ID != "" {
				touch(objKey{backend.TypeInvoices, o.Invoice.ID}, e, eventObject{}, false)
			}
		}
	}
	// oldest first by each object's latest event
	order := make([]objKey, 0, len(changes))
	for k := range changes {
		order = append(order, k)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := changes[order[i]].latest, changes[order[j]].latest
		if a.Created != b.Created {
			return a.Created < b.Created
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return order[i].id < order[j].id
	})
	for _, c := range changes {
		del := c.fromEvent && isDeletion(c.latest, c.key.t)
		// event payloads of prices lack their tiers (shown only when expanded)
		c.refetch = !del && (!c.fromEvent || c.sameSec > 1 || c.latest.APIVersion != backend.StripeAPIVersion ||
			c.obj.truncated() || c.key.t == backend.TypePrices)
	}
	return changes, order, nil
}

// materialise turns changes into objects to upsert, oldest first, fetching
// those whose payload cannot be trusted.
func (s *Syncer) materialise(ctx context.Context, changes map[objKey]*change, order []objKey) ([]backend.RawObject, error) {
	objs := make([]backend.RawObject, len(order))
	keep := make([]bool, len(order))
	var fetch []int
	for i, k := range order {
		c := changes[k]
		if c.refetch {
			fetch = append(fetch, i)
			continue
		}
		objs[i] = backend.RawObject{Type: k.t, ID: k.id, Created: c.obj.Created, Stamp: c.latest.Created,
			Deleted: isDeletion(c.latest, k.t), Raw: c.latest.Data.Object}
		keep[i] = true
	}
	if len(fetch) > 0 {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var mu sync.Mutex
		var firstErr error
		next := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < min(s.o.Workers, len(fetch)); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					k := order[i]
					c := changes[k]
					o, err := s.o.Source.Retrieve(ctx, k.t, k.id)
					mu.Lock()
					switch {
					case err == nil:
						if o.Stamp < c.latest.Created {
							o.Stamp = c.latest.Created
						}
						objs[i], keep[i] = o, true
					case backend.ErrorCode(err) == backend.ENOTFOUND:
						// gone since: its deletion event comes later; keep
						// the payload when it speaks our API version
						if c.fromEvent && c.latest.APIVersion == backend.StripeAPIVersion && !c.obj.truncated() {
							objs[i] = backend.RawObject{Type: k.t, ID: k.id, Created: c.obj.Created, Stamp: c.latest.Created, Raw: c.latest.Data.Object}
							keep[i] = true
						}
					default:
						if firstErr == nil {
							firstErr = err
							cancel()
						}
					}
					mu.Unlock()
				}
			}()
		}
		for _, i := range fetch {
			if ctx.Err() != nil {
				break
			}
			next <- i
		}
		close(next)
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	out := objs[:0]
	for i, o := range objs {
		if keep[i] {
			out = append(out, o)
		}
	}
	return out, nil
}

// timelineEnd is the earliest end of the saved timelines of all types.
func (s *Syncer) timelineEnd(ctx context.Context) (int64, error) {
	end := int64(-1)
	for _, t := range s.o.Types {
		rs, err := s.o.Store.Ranges(ctx, t)
		if err != nil {
			return 0, fmt.Errorf("read %s ranges: %w", t, err)
		}
		if len(rs) == 0 {
			continue
		}
		_, e := timeline(rs)
		if end < 0 || e < end {
			end = e
		}
	}
	if end < 0 {
		end = s.o.Now().Unix()
	}
	return end, nil
}
