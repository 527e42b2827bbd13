package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"billfold/backend"
	"billfold/backend/store"
	"billfold/backend/stripeapi"
	"billfold/backend/syncer"
	"billfold/backend/vault"
)

const syncUsage = "billfold sync [--account ID] [--full] [--repair] [--gentle] [--json] [--db FILE] [--api-base URL]"

// syncTarget is everything a sync or verify works on.
type syncTarget struct {
	client    *stripeapi.Client
	db        *store.DB
	account   string
	mode      backend.Mode
	created   int64
	fallback  bool // account id derived from the key (restricted key without account access)
	dbPath    string
	recovered string
}

func (t *syncTarget) close() {
	if t.db != nil {
		_ = t.db.Close()
	}
}

type targetFlags struct {
	account, db, apiBase *string
	gentle               *bool
}

func addTargetFlags(fs interface {
	String(name, value, usage string) *string
	Bool(name string, value bool, usage string) *bool
}) targetFlags {
	return targetFlags{
		account: fs.String("account", "", "account to use (acct_...:test, acct_..., or its label); default: the only one, or the one of BILLFOLD_API_KEY"),
		db:      fs.String("db", "", "SQLite file to use instead of the account's own (or BILLFOLD_DB)"),
		apiBase: fs.String("api-base", "", "Stripe API base URL (or BILLFOLD_API_BASE; default https://api.stripe.com)"),
		gentle:  fs.Bool("gentle", false, "use about 40% of Stripe's rate limits instead of 80%"),
	}
}

// openTarget resolves the key (BILLFOLD_API_KEY, else the keyring), the API
// base, the Stripe account and the cache file, in that order, before any
// write.
func openTarget(ctx context.Context, env *Env, f targetFlags) (*syncTarget, error) {
	v, err := openVault(env)
	if err != nil {
		return nil, err
	}
	ref := *f.account
	var acct *vault.Account
	if env.Getenv("BILLFOLD_API_KEY") == "" {
		if ref == "" {
			list, err := v.List(ctx)
			if err != nil {
				return nil, err
			}
			switch len(list) {
			case 0:
				return nil, Usage("no Stripe key: set BILLFOLD_API_KEY for headless use, or add an account with `billfold accounts add < key`")
			case 1:
				ref = list[0].ID
			default:
				return nil, Usage("several accounts are registered: choose one with --account (see `billfold accounts list`)")
			}
		}
		a, err := v.Get(ctx, ref)
		if err != nil {
			return nil, err
		}
		if a.Demo {
			return nil, Usage("%s is the demo workspace, a snapshot built on this computer with no Stripe account behind it: rebuild it with `billfold demo`, or add a real account with `billfold accounts add`", a.ID)
		}
		acct = &a
	}
	key, err := v.Key(ctx, ref)
	if err != nil {
		return nil, err
	}
	base := *f.apiBase
	if base == "" {
		base = env.Getenv("BILLFOLD_API_BASE")
	}
	if base == "" && acct != nil {
		base = acct.APIBase
	}
	client, err := stripeapi.New(stripeapi.Options{Key: key, BaseURL: base, Gentle: *f.gentle})
	if err != nil {
		return nil, err
	}
	t := &syncTarget{client: client, mode: key.Mode()}
	t.account, t.created, t.fallback, err = client.AccountID(ctx)
	if err != nil {
		return nil, err
	}
	if acct != nil && acct.AccountID != "" && acct.AccountID != t.account && !t.fallback {
		return nil, backend.Errorf(backend.EINVALID, "the key of %s now belongs to %s: rotate it with `billfold accounts rotate`", acct.ID, t.account)
	}
	// a restricted key missing a permission is refused before any write
	if err := client.CheckAccess(ctx, backend.SyncedTypes); err != nil {
		return nil, err
	}
	path := *f.db
	if path == "" {
		path = env.Getenv("BILLFOLD_DB")
	}
	if path == "" {
		if path, err = store.Path(v.Home(), t.account, t.mode); err != nil {
			return nil, err
		}
	}
	t.dbPath = path
	t.db, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		return nil, err
	}
	if r := t.db.Recovery(); r != nil {
		t.recovered = r.Message()
	}
	if err := t.db.SetAccount(ctx, t.account, t.mode); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// progressPrinter writes a progress line to w at most once a second.
type progressPrinter struct {
	w        io.Writer
	mu       sync.Mutex
	last     time.Time
	lastLine string
}

func (p *progressPrinter) report(pr syncer.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr.State == "running" && time.Since(p.last) < time.Second {
		return
	}
	p.last = time.Now()
	if pr.State != "running" {
		return // the command prints the outcome
	}
	var parts []string
	for _, t := range pr.Types {
		switch {
		case t.Finished:
			parts = append(parts, fmt.Sprintf("%s %d", t.Type, t.Done))
		case t.Total >= 0:
			parts = append(parts, fmt.Sprintf("%s %d/~%d", t.Type, t.Done, t.Total))
		default:
			parts = append(parts, fmt.Sprintf("%s %d", t.Type, t.Done))
		}
	}
	eta := ""
	if pr.ETA > 0 {
		eta = ", ETA " + pr.ETA.Round(time.Second).String()
	}
	line := fmt.Sprintf("%s: %s (%d requests, %d retries)", pr.Phase, strings.Join(parts, ", "), pr.Requests, pr.Retries)
	if line == p.lastLine {
		return // nothing moved: say nothing
	}
	p.lastLine = line
	fmt.Fprintf(p.w, "%s, %.0f objects/s%s\n", line, pr.ObjectsPerSec, eta)
}

type syncJSON struct {
	Account    string           `json:"account"`
	Mode       string           `json:"mode"`
	KeyMode    string           `json:"key_mode"`
	Objects    map[string]int64 `json:"objects"`
	Events     int64            `json:"events"`
	Requests   int64            `json:"requests"`
	Retries    int64            `json:"retries"`
	DurationMS int64            `json:"duration_ms"`
	Reconciled bool             `json:"reconciled,omitempty"`
	Repaired   *int             `json:"repaired,omitempty"`
	DB         string           `json:"db"`
}

func runSync(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "sync")
	tf := addTargetFlags(fs)
	full := fs.Bool("full", false, "re-list everything, even after a finished backfill")
	repair := fs.Bool("repair", false, "after syncing, verify against Stripe and repair any drift")
	asJSON := fs.Bool("json", false, "print the outcome as one JSON document")
	pos, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return Usage("unexpected argument %q: usage: %s", pos[0], syncUsage)
	}
	t, err := openTarget(ctx, env, tf)
	if err != nil {
		return err
	}
	defer t.close()
	if t.recovered != "" {
		fmt.Fprintln(env.Stderr, t.recovered)
	}
	if t.fallback {
		fmt.Fprintf(env.Stderr, "the key cannot read /v1/account: this cache is filed under %s, derived from the key\n", t.account)
	}
	pp := &progressPrinter{w: env.Stderr}
	s, err := syncer.New(syncer.Options{Source: t.client, Store: t.db, Start: t.created, Progress: pp.report})
	if err != nil {
		return err
	}
	started := time.Now()
	res, err := s.Sync(ctx, *full)
	if err != nil {
		return fmt.Errorf("sync %s: %w", t.account, err)
	}
	out := syncJSON{Account: t.account, Mode: string(res.Mode), KeyMode: string(t.mode), Objects: map[string]int64{},
		Events: res.Events, Requests: res.Requests, Retries: res.Retries, Reconciled: res.Reconciled, DB: t.dbPath}
	for k, n := range res.Objects {
		out.Objects[string(k)] = n
	}
	var drift []syncer.Drift
	if *repair {
		rep, err := s.Verify(ctx, true)
		if err != nil {
			return fmt.Errorf("verify %s: %w", t.account, err)
		}
		out.Repaired = &rep.Repaired
		out.Requests += rep.Requests
		out.Retries += rep.Retries
		drift = rep.Drift
	}
	out.DurationMS = time.Since(started).Milliseconds()
	summary, _ := json.Marshal(out)
	if err := t.db.RecordSync(ctx, res.Mode == syncer.ModeFull, time.Now().Unix(), summary); err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(env.Stdout, out); err != nil {
			return err
		}
	} else {
		var parts []string
		keys := make([]string, 0, len(out.Objects))
		for k := range out.Objects {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%d %s", out.Objects[k], k))
		}
		fmt.Fprintf(env.Stdout, "synced %s (%s, %s mode) in %s: %s; %d requests, %d retries\n", t.account, out.Mode, t.mode,
			time.Duration(out.DurationMS)*time.Millisecond, strings.Join(parts, ", "), out.Requests, out.Retries)
		if out.Repaired != nil {
			fmt.Fprintf(env.Stdout, "verified against Stripe: %d objects repaired\n", *out.Repaired)
		}
	}
	if len(drift) > 0 {
		return Problem("%d ranges still differ from Stripe after repair: run `billfold verify` for the list", len(drift))
	}
	return nil
}
