// Package sandboxdb builds a local cache synced from a generated sandbox
// business through the real engine (stripeapi over HTTP, the syncer, the
// store), for tests of what reads the cache (analytics, the CLI, the app).
package sandboxdb

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"billfold/backend"
	"billfold/backend/sandbox"
	"billfold/backend/store"
	"billfold/backend/stripeapi"
	"billfold/backend/syncer"
)

// Key is the sandbox key the client uses.
const Key = "sk_test_billfoldanalytics0001"

// Env is a sandbox server and a cache synced from it.
type Env struct {
	t      testing.TB
	Data   *sandbox.Data
	Server *sandbox.Server
	HTTP   *httptest.Server
	Client *stripeapi.Client
	DB     *store.DB
	Path   string
	now    atomic.Int64
}

// Now is the environment's clock (the sandbox's now plus Advance).
func (e *Env) Now() time.Time { return time.Unix(0, e.now.Load()) }

// Advance moves the clock.
func (e *Env) Advance(d time.Duration) { e.now.Add(int64(d)) }

// New generates a business (seed, customers), serves it and syncs it fully
// into a SQLite file in a temporary folder. data, when not nil, is served
// instead of a generated business.
func New(t testing.TB, seed uint64, customers int, data *sandbox.Data) *Env {
	t.Helper()
	var err error
	if data == nil {
		data, err = sandbox.Generate(sandbox.GenOptions{Seed: seed, Customers: customers})
		if err != nil {
			t.Fatal(err)
		}
	}
	e := &Env{t: t, Data: data}
	e.now.Store(data.Now.Add(time.Hour).UnixNano())
	e.Server, err = sandbox.NewServer(data, sandbox.Options{Now: e.Now, Seed: seed + 1})
	if err != nil {
		t.Fatal(err)
	}
	e.HTTP = httptest.NewServer(e.Server)
	t.Cleanup(e.HTTP.Close)
	key, _ := backend.ParseAPIKey(Key)
	e.Client, err = stripeapi.New(stripeapi.Options{Key: key, BaseURL: e.HTTP.URL, Limits: stripeapi.Limits{Unlimited: true},
		Now: e.Now, BackoffBase: 5 * time.Millisecond, BackoffCap: 50 * time.Millisecond, RetryAfterCap: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.Path = filepath.Join(t.TempDir(), "cache.db")
	e.DB, err = store.Open(context.Background(), e.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.DB.Close() })
	if err := e.DB.SetAccount(context.Background(), data.Account.ID, backend.ModeTest); err != nil {
		t.Fatal(err)
	}
	e.Sync()
	return e
}

// Sync runs a sync (full the first time, incremental afterwards).
func (e *Env) Sync() syncer.Result {
	e.t.Helper()
	s, err := syncer.New(syncer.Options{Source: e.Client, Store: e.DB, Start: e.Data.Account.Created, Now: e.Now, Workers: 4})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := s.Sync(context.Background(), false)
	if err != nil {
		e.t.Fatal(err)
	}
	// as the CLI and the app do after a sync
	if err := e.DB.RecordSync(context.Background(), res.Mode == syncer.ModeFull, e.Now().Unix(), []byte(`{}`)); err != nil {
		e.t.Fatal(err)
	}
	return res
}

// Post sends a write to the sandbox (as a billing action would) and
// returns the status code.
func (e *Env) Post(method, path string, form url.Values) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.HTTP.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Authorization", "Bearer "+Key)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
