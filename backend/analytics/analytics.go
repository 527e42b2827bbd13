// Package analytics materialises the revenue metrics of design/metrics.md in
// the local cache and answers the dashboard's and the CLI's questions. It is
// the orchestration between backend/store (I/O, no metrics) and
// backend/metrics (pure, no I/O):
//
//   - RebuildAll recomputes every customer's daily MRR change points (after a
//     full sync, or when a setting that changes MRR changed), streaming
//     customers in chunks and computing each chunk on several goroutines.
//   - Refresh recomputes only the customers the store marked changed (the
//     store's triggers mark a customer on every content change of its
//     subscriptions, their versions, its invoices or a price it uses).
//   - Ensure does whichever is needed.
//   - Series loads the materialised points; Dashboard and Report aggregate them.
package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"billfold/backend"
	"billfold/backend/metrics"
	"billfold/backend/store"
)

// chunk is how many customers are read and computed at a time.
const chunk = 512

// Fingerprint identifies the settings that change the materialised points
// (the churn rate and LTV formulas only change aggregation).
func Fingerprint(s metrics.Settings) string {
	d := metrics.Defaults()
	if s.DiscountMode == "" {
		s.DiscountMode = d.DiscountMode
	}
	if s.ChurnRecognition == "" {
		s.ChurnRecognition = d.ChurnRecognition
	}
	if s.WeekFactor == nil {
		s.WeekFactor = d.WeekFactor
	}
	if s.DayFactor == nil {
		s.DayFactor = d.DayFactor
	}
	loc := "UTC"
	if s.Location != nil {
		loc = s.Location.String()
	}
	return fmt.Sprintf("v1|%s|%s|%d|%t|%s|%s|%s", s.DiscountMode, s.ChurnRecognition, s.PastDueAutochurnDays,
		s.PauseCollectionCounts, s.WeekFactor.RatString(), s.DayFactor.RatString(), loc)
}

// Config is the saved metric settings: flag name (metrics.FlagNames) -> value.
type Config map[string]string

// Settings parses c over the defaults. A bad value is an EINVALID error.
func (c Config) Settings() (metrics.Settings, error) {
	s := metrics.Defaults()
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := s.ParseFlag(k, c[k]); err != nil {
			return s, backend.Errorf(backend.EINVALID, "%s", err.Error())
		}
	}
	return s, nil
}

// LoadConfig returns the metric settings saved in db (empty: defaults).
func LoadConfig(ctx context.Context, db *store.DB) (Config, error) {
	st, err := db.MetricsState(ctx)
	if err != nil {
		return nil, err
	}
	c := Config{}
	if st.Config != "" {
		if err := json.Unmarshal([]byte(st.Config), &c); err != nil {
			return nil, fmt.Errorf("metric settings: %w", err)
		}
	}
	return c, nil
}

// SaveConfig validates c and saves it; the caller runs Ensure afterwards
// (a changed setting rebuilds the points).
func SaveConfig(ctx context.Context, db *store.DB, c Config) error {
	norm := Config{}
	for k, v := range c {
		key := strings.ReplaceAll(strings.TrimLeft(k, "-"), "_", "-")
		norm[key] = strings.TrimSpace(v)
	}
	if _, err := norm.Settings(); err != nil {
		return err
	}
	b, err := json.Marshal(norm)
	if err != nil {
		return err
	}
	return db.SetMetricsConfig(ctx, string(b))
}

// Options tune a rebuild.
type Options struct {
	Workers int              // goroutines computing customers; 0: GOMAXPROCS
	Now     func() time.Time // nil: time.Now
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Stats describes a rebuild or refresh.
type Stats struct {
	Full      bool          `json:"full"`
	Customers int           `json:"customers"`
	Points    int           `json:"points"`
	Duration  time.Duration `json:"duration"`
}

// catalog loads the price catalog (tiers are missing from nested prices).
func catalog(ctx context.Context, db *store.DB) (map[string]backend.Price, error) {
	out := map[string]backend.Price{}
	err := db.EachPrice(ctx, func(p *backend.Price) error {
		out[p.ID] = *p
		return nil
	})
	return out, err
}

// customerSeries computes one customer's series from its stored inputs.
func customerSeries(in *store.MetricsInput, cat map[string]backend.Price, s metrics.Settings) ([]metrics.Series, error) {
	invs := map[string][]backend.Invoice{}
	for _, v := range in.Invoices {
		invs[v.Subscription.ID] = append(invs[v.Subscription.ID], v)
	}
	tls := make([]metrics.Timeline, 0, len(in.Subscriptions))
	for i := range in.Subscriptions {
		sub := in.Subscriptions[i]
		var vs []metrics.SubVersion
		for _, v := range in.Versions[sub.ID] {
			var vsub backend.Subscription
			if err := json.Unmarshal(v.Raw, &vsub); err != nil {
				return nil, fmt.Errorf("decode version of %s: %w", sub.ID, err)
			}
			vs = append(vs, metrics.SubVersion{At: v.At, Sub: vsub})
		}
		tl := metrics.BuildTimeline(sub, invs[sub.ID], vs)
		tl.UsePrices(cat)
		tls = append(tls, tl)
	}
	return metrics.CustomerSeries(in.Customer, tls, s), nil
}

// compute runs customerSeries over customers in chunks on o.Workers
// goroutines, calling emit (from one goroutine) with each customer's series.
func compute(ctx context.Context, db *store.DB, customers []string, s metrics.Settings, o Options, emit func([]metrics.Series) error) error {
	cat, err := catalog(ctx, db)
	if err != nil {
		return err
	}
	for start := 0; start < len(customers); start += chunk {
		if err := ctx.Err(); err != nil {
			return backend.Errorf(backend.ECANCELED, "metrics rebuild canceled")
		}
		part := customers[start:min(start+chunk, len(customers))]
		ins, err := db.MetricsInputs(ctx, part)
		if err != nil {
			return err
		}
		out := make([][]metrics.Series, len(ins))
		errs := make([]error, len(ins))
		var wg sync.WaitGroup
		for w := 0; w < o.Workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < len(ins); i += o.Workers {
					out[i], errs[i] = customerSeries(&ins[i], cat, s)
				}
			}(w)
		}
		wg.Wait()
		for i := range out {
			if errs[i] != nil {
				return fmt.Errorf("metrics: customer %s: %w", ins[i].Customer, errs[i])
			}
			if err := emit(out[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func addSeries(add func(store.MRRPoint) error, ss []metrics.Series, n *int) error {
	for _, sr := range ss {
		for _, p := range sr.Points {
			if err := add(store.MRRPoint{Customer: sr.Customer, Currency: sr.Currency, Day: int32(p.Day), MRR: p.MRR, Test: sr.Test}); err != nil {
				return err
			}
			*n++
		}
	}
	return nil
}

// RebuildAll recomputes every customer's points under s and replaces the
// stored ones in one transaction (readers see the old set until it commits).
func RebuildAll(ctx context.Context, db *store.DB, s metrics.Settings, o Options) (Stats, error) {
	o = o.withDefaults()
	began := time.Now()
	marks, err := db.DirtyCustomers(ctx)
	if err != nil {
		return Stats{}, err
	}
	if marks == nil {
		marks = []store.DirtyMark{}
	}
	customers, err := db.MetricsCustomers(ctx)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Full: true, Customers: len(customers)}
	err = db.ReplaceMRRPoints(ctx, store.ReplacePoints{All: true, Marks: marks, Settings: Fingerprint(s), BuiltAt: o.Now().Unix()},
		func(add func(store.MRRPoint) error) error {
			return compute(ctx, db, customers, s, o, func(ss []metrics.Series) error { return addSeries(add, ss, &st.Points) })
		})
	st.Duration = time.Since(began)
	if err != nil {
		return st, fmt.Errorf("rebuild metrics: %w", err)
	}
	return st, nil
}

// Refresh recomputes only the given customers (after an incremental sync)
// and replaces their points. With customers nil, it takes the customers the
// store marked changed and clears those marks.
func Refresh(ctx context.Context, db *store.DB, s metrics.Settings, customers []string, o Options) (Stats, error) {
	o = o.withDefaults()
	began := time.Now()
	var marks []store.DirtyMark
	if customers == nil {
		var err error
		if marks, err = db.DirtyCustomers(ctx); err != nil {
			return Stats{}, err
		}
		for _, m := range marks {
			customers = append(customers, m.Customer)
		}
	}
	st := Stats{Customers: len(customers)}
	if len(customers) == 0 {
		return st, nil
	}
	state, err := db.MetricsState(ctx)
	if err != nil {
		return st, err
	}
	err = db.ReplaceMRRPoints(ctx, store.ReplacePoints{Customers: customers, Marks: marks, Settings: state.Settings, BuiltAt: o.Now().Unix()},
		func(add func(store.MRRPoint) error) error {
			return compute(ctx, db, customers, s, o, func(ss []metrics.Series) error { return addSeries(add, ss, &st.Points) })
		})
	st.Duration = time.Since(began)
	if err != nil {
		return st, fmt.Errorf("refresh metrics: %w", err)
	}
	return st, nil
}

// Ensure brings the points up to date: a full rebuild when they were never
// built or were built under other settings, else a refresh of the changed
// customers (nothing when none changed).
func Ensure(ctx context.Context, db *store.DB, s metrics.Settings, o Options) (Stats, error) {
	state, err := db.MetricsState(ctx)
	if err != nil {
		return Stats{}, err
	}
	if state.Settings != Fingerprint(s) {
		return RebuildAll(ctx, db, s, o)
	}
	return Refresh(ctx, db, s, nil, o)
}

// Series loads the materialised points as per-customer series, ordered by
// currency then customer (currency "" means all).
func Series(ctx context.Context, db *store.DB, currency string) ([]metrics.Series, error) {
	var out []metrics.Series
	err := db.EachMRRPoint(ctx, currency, func(p store.MRRPoint) error {
		n := len(out)
		if n == 0 || out[n-1].Customer != p.Customer || out[n-1].Currency != p.Currency {
			out = append(out, metrics.Series{Customer: p.Customer, Currency: p.Currency, Test: p.Test})
			n++
		}
		out[n-1].Points = append(out[n-1].Points, metrics.Point{Day: metrics.Day(p.Day), MRR: p.MRR})
		return nil
	})
	return out, err
}

// Compute returns every customer's series under s without storing them
// (for a one-off report under settings other than the saved ones).
func Compute(ctx context.Context, db *store.DB, s metrics.Settings, o Options) ([]metrics.Series, error) {
	o = o.withDefaults()
	customers, err := db.MetricsCustomers(ctx)
	if err != nil {
		return nil, err
	}
	var out []metrics.Series
	err = compute(ctx, db, customers, s, o, func(ss []metrics.Series) error {
		out = append(out, ss...)
		return nil
	})
	metrics.SortSeries(out)
	return out, err
}
