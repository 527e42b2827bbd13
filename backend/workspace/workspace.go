// Package workspace opens what a sync of one registered account works on:
// the key (from the keyring, or BILLFOLD_API_KEY), the Stripe client, the
// Stripe account's id and creation time, and the account's own cache file.
// The desktop app's SyncService uses it; the CLI's sync may switch to it.
package workspace

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"

	"billfold/backend"
	"billfold/backend/store"
	"billfold/backend/stripeapi"
	"billfold/backend/vault"
)

// Keys is where keys come from: backend/vault's *Vault implements it.
type Keys interface {
	Key(ctx context.Context, id string) (backend.APIKey, error)
	Home() string
}

// Options configure Open. Zero values take the defaults.
type Options struct {
	APIBase    string // overrides the account's API base (BILLFOLD_API_BASE); "": the account's, else Stripe's
	Gentle     bool   // about 40% of Stripe's rate limits instead of 80%
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Target is one account's client and cache, ready to sync.
type Target struct {
	Account   vault.Account
	Client    *stripeapi.Client
	DB        *store.DB
	StripeID  string // Stripe's acct_... (derived from the key when Fallback)
	Mode      backend.Mode
	Created   int64 // the Stripe account's creation time (0: unknown)
	Fallback  bool  // a restricted key that cannot read /v1/account
	DBPath    string
	Recovered string // set when a damaged cache was moved aside and rebuilt
}

// Close closes the cache.
func (t *Target) Close() error {
	if t == nil || t.DB == nil {
		return nil
	}
	return t.DB.Close()
}

// ErrDemo is returned for the demo workspace: it is a snapshot built on
// this computer, with no Stripe account behind it.
var ErrDemo = backend.Errorf(backend.EINVALID, "the demo workspace is a snapshot built on this computer: there is no Stripe account to sync; rebuild it from Accounts, or add your own account")

// Open resolves the key, the API base, the Stripe account and the cache
// file, in that order, checks that the key may read everything a sync
// needs, and opens the cache. Nothing is written before every check passed.
func Open(ctx context.Context, keys Keys, a vault.Account, o Options) (*Target, error) {
	if a.Demo {
		return nil, ErrDemo
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	key, err := keys.Key(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	base := o.APIBase
	if base == "" {
		base = a.APIBase
	}
	client, err := stripeapi.New(stripeapi.Options{Key: key, BaseURL: base, Gentle: o.Gentle, HTTPClient: o.HTTPClient, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	t := &Target{Account: a, Client: client, Mode: key.Mode()}
	t.StripeID, t.Created, t.Fallback, err = client.AccountID(ctx)
	if err != nil {
		return nil, err
	}
	if a.AccountID != "" && a.AccountID != t.StripeID && !t.Fallback {
		return nil, backend.Errorf(backend.EINVALID, "the key of %s now belongs to %s: replace the key in Accounts (Rotate)", a.ID, t.StripeID)
	}
	if err := client.CheckAccess(ctx, backend.SyncedTypes); err != nil {
		return nil, err
	}
	stripeID := t.StripeID
	if a.AccountID != "" {
		stripeID = a.AccountID // the registry's file, also for a restricted key's fallback id
	}
	if t.DBPath, err = store.Path(keys.Home(), stripeID, t.Mode); err != nil {
		return nil, err
	}
	t.DB, err = store.Open(ctx, t.DBPath, store.Options{Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	if r := t.DB.Recovery(); r != nil {
		t.Recovered = r.Message()
	}
	if err := t.DB.SetAccount(ctx, stripeID, t.Mode); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// LastSync is what the cache of an account says about its syncs, read
// without the key.
type LastSync struct {
	Exists bool // the cache file exists
	State  store.SyncState
}

// ReadLastSync reads the sync state of account a's cache under home; a
// missing cache is not an error (Exists false).
func ReadLastSync(ctx context.Context, home string, a vault.Account) (LastSync, error) {
	p, err := store.Path(home, a.AccountID, a.Mode)
	if err != nil {
		return LastSync{}, err
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return LastSync{}, nil
	}
	db, err := store.Open(ctx, p, store.Options{})
	if err != nil {
		return LastSync{}, err
	}
	defer db.Close()
	st, err := db.SyncState(ctx)
	if err != nil {
		return LastSync{}, err
	}
	return LastSync{Exists: true, State: st}, nil
}
