// Package demo builds the demo workspace: a generated sandbox business
// (backend/sandbox) served in-process on loopback and synced through the
// real engine (stripeapi -> syncer -> store) into its own cache under the
// data folder, then registered in the account registry as the DEMO account.
//
// The demo's key is a fixed sandbox test key. It is not a secret (it opens
// only the in-process emulator, which lives for the build) and it is never
// stored: the demo account has no keyring entry.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"billfold/backend"
	"billfold/backend/sandbox"
	"billfold/backend/store"
	"billfold/backend/stripeapi"
	"billfold/backend/syncer"
	"billfold/backend/vault"
)

// Defaults of the demo business.
const (
	DefaultSeed      = 20240101
	DefaultCustomers = 3000
	DefaultYears     = 3
	// Key is the demo's fixed sandbox key (not a secret, never stored).
	Key  = "sk_test_BillfoldDemoWorkspace"
	Name = "Billfold Demo Co."
)

// Options configure Build. Zero values take the defaults.
type Options struct {
	Seed      uint64 // default DefaultSeed
	Customers int    // default DefaultCustomers
	Years     int    // default DefaultYears
	// Now is the clock; the business's "now" is the start of today (UTC),
	// so builds on one day are identical.
	Now func() time.Time
	// Progress receives the syncer's reports (at most every 100 ms, and a
	// final one).
	Progress func(syncer.Progress)
	Logger   *slog.Logger
}

// Result describes a finished build.
type Result struct {
	Account  vault.Account
	DBPath   string
	Objects  map[backend.ObjectType]int64 // rows in the cache per type
	Requests int64
	Generate time.Duration // generating the business
	Sync     time.Duration // syncing it through the engine
	Duration time.Duration // the whole build
}

// Build generates the demo business, syncs it into a fresh cache next to
// the demo's own (then renamed over it, so a failed build leaves the last
// good demo) and registers the demo account in v. Running it again rebuilds
// and refreshes the demo; the account keeps its label.
func Build(ctx context.Context, v *vault.Vault, o Options) (Result, error) {
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Customers <= 0 {
		o.Customers = DefaultCustomers
	}
	if o.Years <= 0 {
		o.Years = DefaultYears
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	started := time.Now()
	res := Result{}
	now := o.Now().UTC().Truncate(24 * time.Hour)
	d, err := sandbox.Generate(sandbox.GenOptions{Seed: o.Seed, Customers: o.Customers, Years: o.Years, Now: now})
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	d.Account.ID = vault.DemoAccountID
	name := Name
	if d.Account.BusinessProfile != nil {
		d.Account.BusinessProfile.Name = &name
	}
	if d.Account.Settings != nil {
		d.Account.Settings.Dashboard.DisplayName = &name
	}
	res.Generate = time.Since(started)
	if err := ctx.Err(); err != nil {
		return res, backend.Errorf(backend.ECANCELED, "demo build cancelled: the previous demo, if any, is unchanged")
	}
	sb, err := sandbox.NewServer(d, sandbox.Options{Seed: o.Seed, Logger: o.Logger})
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, backend.Errorf(backend.EUNAVAILABLE, "could not open a loopback port for the demo's sandbox (%v): check that 127.0.0.1 is usable", err)
	}
	hs := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()

	key, err := backend.ParseAPIKey(Key)
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	client, err := stripeapi.New(stripeapi.Options{Key: key, BaseURL: base, Limits: stripeapi.Limits{Unlimited: true}, Logger: o.Logger})
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	final, err := store.Path(v.Home(), vault.DemoAccountID, backend.ModeTest)
	if err != nil {
		return res, err
	}
	building := final + ".building"
	if err := removeDB(building); err != nil {
		return res, err
	}
	syncStart := time.Now()
	sr, counts, err := syncInto(ctx, building, client, d.Account.Created, o)
	if err != nil {
		_ = removeDB(building)
		if backend.ErrorCode(err) == backend.ECANCELED {
			return res, backend.Errorf(backend.ECANCELED, "demo build cancelled: the previous demo, if any, is unchanged")
		}
		return res, fmt.Errorf("build the demo: %w", err)
	}
	res.Sync = time.Since(syncStart)
	res.Requests = sr.Requests
	res.Objects = counts
	if err := removeDB(final); err != nil {
		return res, err
	}
	if err := os.Rename(building, final); err != nil {
		return res, &backend.Error{Code: backend.EDISK, Err: err, Message: fmt.Sprintf("could not move the demo cache into place (%v): check that the data folder is writable", err)}
	}
	res.DBPath = final
	res.Account, err = v.PutDemo(ctx, vault.Account{Name: name, DefaultCurrency: d.Account.DefaultCurrency, KeyMasked: key.Masked(), APIBase: ""})
	if err != nil {
		return res, err
	}
	res.Duration = time.Since(started)
	o.Logger.Info("demo built", "customers", counts[backend.TypeCustomers], "duration", res.Duration)
	return res, nil
}

// syncInto runs a full sync of client into a new cache at path.
func syncInto(ctx context.Context, path string, client *stripeapi.Client, created int64, o Options) (syncer.Result, map[backend.ObjectType]int64, error) {
	db, err := store.Open(ctx, path, store.Options{Logger: o.Logger})
	if err != nil {
		return syncer.Result{}, nil, err
	}
	closed := false
	defer func() {
		if !closed {
			db.Close()
		}
	}()
	if err := db.SetAccount(ctx, vault.DemoAccountID, backend.ModeTest); err != nil {
		return syncer.Result{}, nil, err
	}
	s, err := syncer.New(syncer.Options{Source: client, Store: db, Start: created, Progress: o.Progress, Logger: o.Logger})
	if err != nil {
		return syncer.Result{}, nil, err
	}
	res, err := s.Sync(ctx, true)
	if err != nil {
		return res, nil, err
	}
	summary, _ := json.Marshal(map[string]any{"account": vault.DemoAccountID, "mode": string(res.Mode), "objects": res.Objects,
		"requests": res.Requests, "retries": res.Retries, "duration_ms": res.Duration.Milliseconds(), "demo": true})
	if err := db.RecordSync(ctx, true, time.Now().Unix(), summary); err != nil {
		return res, nil, err
	}
	counts, err := db.Counts(ctx)
	if err != nil {
		return res, nil, err
	}
	closed = true
	if err := db.Close(); err != nil {
		return res, nil, fmt.Errorf("close the demo cache: %w", err)
	}
	return res, counts, nil
}

// removeDB deletes a SQLite file and its journal files; missing is fine.
func removeDB(path string) error {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return &backend.Error{Code: backend.EDISK, Err: err, Message: fmt.Sprintf("could not remove %s (%v): check that the data folder is writable", p, err)}
		}
	}
	return nil
}
