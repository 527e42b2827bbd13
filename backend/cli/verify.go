package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"billfold/backend/syncer"
)

const verifyUsage = "billfold verify [--account ID] [--repair] [--json] [--db FILE] [--api-base URL]"

type verifyJSON struct {
	Account  string                      `json:"account"`
	OK       bool                        `json:"ok"`
	Types    map[string]syncer.TypeCheck `json:"types"`
	Drift    []syncer.Drift              `json:"drift"`
	Repaired int                         `json:"repaired"`
	Requests int64                       `json:"requests"`
	Retries  int64                       `json:"retries"`
}

func runVerify(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "verify")
	tf := addTargetFlags(fs)
	repair := fs.Bool("repair", false, "re-fetch what differs and store it")
	asJSON := fs.Bool("json", false, "print the outcome as one JSON document")
	pos, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return Usage("unexpected argument %q: usage: %s", pos[0], verifyUsage)
	}
	t, err := openTarget(ctx, env, tf)
	if err != nil {
		return err
	}
	defer t.close()
	s, err := syncer.New(syncer.Options{Source: t.client, Store: t.db, Start: t.created})
	if err != nil {
		return err
	}
	rep, err := s.Verify(ctx, *repair)
	if err != nil {
		return fmt.Errorf("verify %s: %w", t.account, err)
	}
	out := verifyJSON{Account: t.account, OK: rep.OK(), Types: map[string]syncer.TypeCheck{}, Drift: rep.Drift,
		Repaired: rep.Repaired, Requests: rep.Requests, Retries: rep.Retries}
	for k, v := range rep.Types {
		out.Types[string(k)] = v
	}
	if *asJSON {
		if err := writeJSON(env.Stdout, out); err != nil {
			return err
		}
	} else {
		keys := make([]string, 0, len(out.Types))
		for k := range out.Types {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c := out.Types[k]
			fmt.Fprintf(env.Stdout, "%-14s Stripe %d, cache %d\n", k, c.Remote, c.Local)
		}
		for _, d := range rep.Drift {
			fmt.Fprintf(env.Stdout, "drift: %s created %s..%s: Stripe %d, cache %d%s%s%s\n", d.Type,
				time.Unix(d.Gte, 0).UTC().Format(time.RFC3339), time.Unix(d.Lt, 0).UTC().Format(time.RFC3339), d.Remote, d.Local,
				idList("missing", d.Missing), idList("extra", d.Extra), idList("different", d.Different))
		}
		if *repair {
			fmt.Fprintf(env.Stdout, "%d objects repaired\n", rep.Repaired)
		}
	}
	if !rep.OK() {
		if *asJSON {
			return errSilent
		}
		return Problem("the cache differs from Stripe in %d ranges: run `billfold verify --repair` (or `billfold sync --repair`)", len(rep.Drift))
	}
	if !*asJSON {
		fmt.Fprintln(env.Stdout, "the cache matches Stripe")
	}
	return nil
}

func idList(what string, ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	shown := ids
	more := ""
	if len(shown) > 10 {
		shown, more = shown[:10], fmt.Sprintf(" and %d more", len(ids)-10)
	}
	return fmt.Sprintf("; %s: %s%s", what, strings.Join(shown, " "), more)
}
