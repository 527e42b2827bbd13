package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"billfold/backend/demo"
)

const demoUsage = "billfold demo [--customers N] [--seed N] [--json]"

type demoJSON struct {
	Account    string           `json:"account"`
	Label      string           `json:"label"`
	Mode       string           `json:"mode"`
	DB         string           `json:"db"`
	Objects    map[string]int64 `json:"objects"`
	Requests   int64            `json:"requests"`
	DurationMS int64            `json:"duration_ms"`
}

// runDemo builds (or rebuilds) the demo workspace: a sandbox business synced
// through the real engine into its own cache, registered as the DEMO account.
func runDemo(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "demo")
	customers := fs.Int("customers", demo.DefaultCustomers, "customers in the demo business")
	seed := fs.Uint64("seed", demo.DefaultSeed, "seed of the generated business")
	asJSON := fs.Bool("json", false, "print the outcome as one JSON document")
	pos, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return Usage("unexpected argument %q: usage: %s", pos[0], demoUsage)
	}
	if *customers < 1 || *customers > 200000 {
		return Usage("--customers must be between 1 and 200000, not %d", *customers)
	}
	if *seed == 0 {
		return Usage("--seed must not be 0")
	}
	v, err := openVault(env)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "building the demo workspace: %d customers, %d years of history, synced through the sync engine…\n", *customers, demo.DefaultYears)
	pp := &progressPrinter{w: env.Stderr}
	res, err := demo.Build(ctx, v, demo.Options{Seed: *seed, Customers: *customers, Progress: pp.report})
	if err != nil {
		return err
	}
	out := demoJSON{Account: res.Account.ID, Label: res.Account.Label, Mode: "demo", DB: res.DBPath, Objects: map[string]int64{},
		Requests: res.Requests, DurationMS: res.Duration.Milliseconds()}
	for k, n := range res.Objects {
		out.Objects[string(k)] = n
	}
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	keys := make([]string, 0, len(out.Objects))
	for k := range out.Objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", out.Objects[k], k))
	}
	fmt.Fprintf(env.Stdout, "demo workspace %q (%s, DEMO) built in %s: %s; %d requests\n", res.Account.Label, res.Account.ID,
		res.Duration.Round(100*time.Millisecond), strings.Join(parts, ", "), res.Requests)
	fmt.Fprintf(env.Stdout, "cache: %s\nopen it in the app (run `billfold`), or use --account %s with the other commands\n", res.DBPath, res.Account.ID)
	return nil
}
