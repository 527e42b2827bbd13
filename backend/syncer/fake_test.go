package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"

	"billfold/backend"
)

// fakeSource is Stripe in memory: lists by created range newest first with
// starting_after, retrieve, events. It records every list call and checks
// that none asks for a range the store has already finished.
type fakeSource struct {
	mu       sync.Mutex
	data     map[backend.ObjectType][]backend.RawObject // newest first
	deleted  map[string]bool                            // deleted customers
	events   []backend.Event
	stamp    int64
	store    *fakeStore
	calls    int
	refetch  int // list calls into a finished range
	onList   func(n int) error
	retrieve int
}

func newFakeSource(stamp int64) *fakeSource {
	return &fakeSource{data: map[backend.ObjectType][]backend.RawObject{}, deleted: map[string]bool{}, stamp: stamp}
}

func rawJSON(t backend.ObjectType, id string, created int64, extra string) json.RawMessage {
	s := fmt.Sprintf(`{"id":%q,"object":%q,"created":%d,"v":%q}`, id, objectName(t), created, extra)
	return json.RawMessage(s)
}

func (f *fakeSource) put(o backend.RawObject) {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.data[o.Type]
	for i := range list {
		if list[i].ID == o.ID {
			list[i] = o
			return
		}
	}
	list = append(list, o)
	sort.Slice(list, func(i, j int) bool {
		if list[i].Created != list[j].Created {
			return list[i].Created > list[j].Created
		}
		return list[i].ID > list[j].ID
	})
	f.data[o.Type] = list
}

func (f *fakeSource) remove(t backend.ObjectType, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := f.data[t]
	for i := range list {
		if list[i].ID == id {
			f.data[t] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if t == backend.TypeCustomers {
		f.deleted[id] = true
	}
}

func (f *fakeSource) ListPage(ctx context.Context, typ backend.ObjectType, gte, lt int64, after string, limit int) (Page, error) {
	if err := ctx.Err(); err != nil {
		return Page{}, err
	}
	f.mu.Lock()
	f.calls++
	n := f.calls
	hook := f.onList
	if f.store != nil && f.store.finished(typ, gte, lt) {
		f.refetch++
	}
	f.mu.Unlock()
	if hook != nil {
		if err := hook(n); err != nil {
			return Page{}, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var in []backend.RawObject
	for _, o := range f.data[typ] {
		if o.Created >= gte && o.Created < lt {
			in = append(in, o)
		}
	}
	start := 0
	if after != "" {
		start = -1
		for i, o := range in {
			if o.ID == after {
				start = i + 1
			}
		}
		if start < 0 {
			return Page{}, backend.Errorf(backend.ENOTFOUND, "no such object %s", after)
		}
	}
	end := min(start+limit, len(in))
	p := Page{HasMore: end < len(in)}
	for _, o := range in[start:end] {
		o.Stamp = f.stamp
		p.Objects = append(p.Objects, o)
	}
	return p, nil
}

func (f *fakeSource) Retrieve(ctx context.Context, typ backend.ObjectType, id string) (backend.RawObject, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retrieve++
	for _, o := range f.data[typ] {
		if o.ID == id {
			o.Stamp = f.stamp
			return o, nil
		}
	}
	if typ == backend.TypeCustomers && f.deleted[id] {
		return backend.RawObject{Type: typ, ID: id, Stamp: f.stamp, Deleted: true,
			Raw: json.RawMessage(fmt.Sprintf(`{"id":%q,"object":"customer","deleted":true}`, id))}, nil
	}
	return backend.RawObject{}, backend.Errorf(backend.ENOTFOUND, "no such %s %s", typ, id)
}

func (f *fakeSource) Events(ctx context.Context, gte, lt int64, after string, limit int) (EventPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var in []backend.Event
	for _, e := range f.events {
		if e.Created >= gte && e.Created < lt {
			in = append(in, e)
		}
	}
	sort.Slice(in, func(i, j int) bool {
		if in[i].Created != in[j].Created {
			return in[i].Created > in[j].Created
		}
		return in[i].ID > in[j].ID
	})
	start := 0
	if after != "" {
		for i, e := range in {
			if e.ID == after {
				start = i + 1
			}
		}
	}
	end := min(start+limit, len(in))
	return EventPage{Events: in[start:end], HasMore: end < len(in)}, nil
}

// fakeStore is the cache in memory with the Store contract's rules: the
// stamp guard, ranges saved with their page, events deduped by id.
type fakeStore struct {
	mu       sync.Mutex
	objs     map[objKey]backend.RawObject
	ranges   map[backend.ObjectType][]backend.SyncRange
	events   map[string]bool
	cursor   int64
	saves    int
	failSave func(n int) error
}

func newFakeStore() *fakeStore {
	return &fakeStore{objs: map[objKey]backend.RawObject{}, ranges: map[backend.ObjectType][]backend.SyncRange{}, events: map[string]bool{}}
}

func (s *fakeStore) finished(t backend.ObjectType, gte, lt int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.ranges[t] {
		if r.Done && gte >= r.Gte && lt <= r.Lt {
			return true
		}
	}
	return false
}

func (s *fakeStore) Ranges(ctx context.Context, t backend.ObjectType) ([]backend.SyncRange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]backend.SyncRange(nil), s.ranges[t]...), nil
}

func (s *fakeStore) ReplaceRanges(ctx context.Context, t backend.ObjectType, rs []backend.SyncRange) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ranges[t] = append([]backend.SyncRange(nil), rs...)
	return nil
}

func (s *fakeStore) upsert(o backend.RawObject) {
	k := objKey{o.Type, o.ID}
	if old, ok := s.objs[k]; ok && o.Stamp < old.Stamp {
		return
	}
	if o.Deleted && o.Created == 0 {
		if old, ok := s.objs[k]; ok {
			o.Created = old.Created
		}
	}
	s.objs[k] = o
}

func (s *fakeStore) SavePage(ctx context.Context, r backend.SyncRange, objs []backend.RawObject) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves++
	if s.failSave != nil {
		if err := s.failSave(s.saves); err != nil {
			return err
		}
	}
	rs := s.ranges[r.Type]
	idx := -1
	for i := range rs {
		if rs[i].Gte == r.Gte && rs[i].Lt == r.Lt {
			idx = i
		}
	}
	if idx < 0 {
		return fmt.Errorf("fake store: save of unknown range %s [%d,%d)", r.Type, r.Gte, r.Lt)
	}
	if rs[idx].Done {
		return fmt.Errorf("fake store: save into finished range %s [%d,%d)", r.Type, r.Gte, r.Lt)
	}
	for _, o := range objs {
		if o.Created < r.Gte || o.Created >= r.Lt {
			return fmt.Errorf("fake store: object %s created %d outside its range [%d,%d)", o.ID, o.Created, r.Gte, r.Lt)
		}
		s.upsert(o)
	}
	rs[idx] = r
	return nil
}

func (s *fakeStore) ApplyEvents(ctx context.Context, events []backend.Event, objs []backend.RawObject, cursor int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		s.events[e.ID] = true
	}
	for _, o := range objs {
		s.upsert(o)
	}
	s.cursor = cursor
	return nil
}

func (s *fakeStore) EventsCursor(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursor, nil
}

func (s *fakeStore) Hashes(ctx context.Context, t backend.ObjectType, gte, lt int64) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for k, o := range s.objs {
		if k.t == t && !o.Deleted && o.Created >= gte && o.Created < lt {
			h, err := backend.ContentHash(o.Raw)
			if err != nil {
				return nil, err
			}
			out[k.id] = h
		}
	}
	return out, nil
}

// business fills src with n objects per type, created with growth over
// [start, now), plus a burst of 250 objects in one second per type.
func business(src *fakeSource, types []backend.ObjectType, n int, start, now int64, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 1))
	for _, t := range types {
		for i := 0; i < n; i++ {
			// quadratic growth: more objects recently
			u := r.Float64()
			created := start + int64(float64(now-start-1)*(1-u*u))
			id := fmt.Sprintf("%s_%06d", objectName(t)[:3], i)
			src.put(backend.RawObject{Type: t, ID: id, Created: created, Raw: rawJSON(t, id, created, "v1")})
		}
		burst := now - 86400
		for i := 0; i < 250; i++ {
			id := fmt.Sprintf("%s_b%04d", objectName(t)[:3], i)
			src.put(backend.RawObject{Type: t, ID: id, Created: burst, Raw: rawJSON(t, id, burst, "v1")})
		}
	}
}
