package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"billfold/backend"
	"billfold/backend/analytics"
	"billfold/backend/metrics"
	"billfold/backend/store"
)

const metricsUsage = "billfold metrics [--at DATE | --from DATE --to DATE] [--currency C] [--json] [--db FILE] [--account ID] [--discount-mode M] [--churn-recognition R] [--past-due-autochurn-days N|off] [--pause-collection-counts BOOL] [--week-factor F] [--day-factor F] [--churn-rate-formula F] [--ltv-mode M] [--timezone TZ]"

// metricsFlag collects one setting flag's value for Settings.ParseFlag.
type metricsFlag struct {
	name string
	set  map[string]string
}

func (f metricsFlag) String() string { return "" }
func (f metricsFlag) Set(v string) error {
	var s metrics.Settings
	if err := s.ParseFlag(f.name, v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "--"+f.name+" "))
	}
	f.set[f.name] = v
	return nil
}

// openCache opens the cache a read-only command works on: --db, else
// BILLFOLD_DB, else the chosen (or only) account's own file. It never
// creates a cache.
func openCache(ctx context.Context, env *Env, dbFlag, accountFlag string) (*store.DB, error) {
	path := dbFlag
	if path == "" {
		path = env.Getenv("BILLFOLD_DB")
	}
	if path == "" {
		v, err := openVault(env)
		if err != nil {
			return nil, err
		}
		ref := accountFlag
		if ref == "" {
			list, err := v.List(ctx)
			if err != nil {
				return nil, err
			}
			switch len(list) {
			case 0:
				return nil, Usage("no account and no cache: use --db FILE (or BILLFOLD_DB), or add an account and run `billfold sync`")
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
		if path, err = store.Path(v.Home(), a.AccountID, a.Mode); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(path); err != nil {
		return nil, Usage("no local cache at %s: run `billfold sync` first", path)
	}
	return store.Open(ctx, path, store.Options{})
}

func runMetrics(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "metrics")
	at := fs.String("at", "", "the state at the end of this day (YYYY-MM-DD; default: today)")
	from := fs.String("from", "", "first day of a range of months (YYYY-MM-DD)")
	to := fs.String("to", "", "last day of a range of months (YYYY-MM-DD)")
	currency := fs.String("currency", "", "only this currency (usd, eur, ...)")
	asJSON := fs.Bool("json", false, "print one JSON document")
	dbFlag := fs.String("db", "", "SQLite file to use instead of the account's own (or BILLFOLD_DB)")
	account := fs.String("account", "", "account whose cache to use (default: the only one)")
	set := map[string]string{}
	for _, n := range metrics.FlagNames {
		fs.Var(metricsFlag{name: n, set: set}, n, "metric setting (design/metrics.md)")
		if u := strings.ReplaceAll(n, "-", "_"); u != n {
			fs.Var(metricsFlag{name: n, set: set}, u, "same as --"+n)
		}
	}
	pos, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return Usage("unexpected argument %q: usage: %s", pos[0], metricsUsage)
	}
	q := metrics.Query{At: *at, From: *from, To: *to, Currency: *currency}
	// check the dates before touching any file
	for _, d := range []struct{ name, v string }{{"--at", q.At}, {"--from", q.From}, {"--to", q.To}} {
		if d.v != "" {
			if _, err := metrics.ParseDay(d.v); err != nil {
				return Usage("%s %q: use a date as YYYY-MM-DD", d.name, d.v)
			}
		}
	}
	if q.At != "" && (q.From != "" || q.To != "") {
		return Usage("use either --at or --from/--to, not both")
	}
	if (q.From == "") != (q.To == "") {
		return Usage("--from and --to go together: give both dates (YYYY-MM-DD)")
	}
	if q.From != "" && q.To < q.From {
		return Usage("--to %s is before --from %s", q.To, q.From)
	}
	if c := q.Currency; c != "" && (len(c) != 3 || strings.Trim(strings.ToLower(c), "abcdefghijklmnopqrstuvwxyz") != "") {
		return Usage("--currency %q: use a three-letter ISO code such as usd", c)
	}
	db, err := openCache(ctx, env, *dbFlag, *account)
	if err != nil {
		return err
	}
	defer db.Close()
	saved, err := analytics.LoadConfig(ctx, db)
	if err != nil {
		return err
	}
	savedSettings, err := saved.Settings()
	if err != nil {
		return err
	}
	merged := analytics.Config{}
	for k, v := range saved {
		merged[k] = v
	}
	for k, v := range set {
		merged[strings.ReplaceAll(k, "_", "-")] = v
	}
	s, err := merged.Settings()
	if err != nil {
		return Usage("%s", backend.ErrorMessage(err))
	}
	if q.At == "" && q.From == "" {
		q.At = metrics.DayOf(time.Now().Unix(), s.Location).String()
	}
	// bring the stored points up to date under the saved settings; other
	// settings given as flags are computed in memory, never saved
	if _, err := analytics.Ensure(ctx, db, savedSettings, analytics.Options{}); err != nil {
		return err
	}
	var series []metrics.Series
	if analytics.Fingerprint(s) == analytics.Fingerprint(savedSettings) {
		series, err = analytics.Series(ctx, db, "")
	} else {
		series, err = analytics.Compute(ctx, db, s, analytics.Options{})
	}
	if err != nil {
		return err
	}
	rep, err := metrics.Report(series, q, s)
	if err != nil {
		return Usage("%s", err.Error())
	}
	if *asJSON {
		return writeJSON(env.Stdout, rep)
	}
	return printMetrics(env.Stdout, rep)
}

// money formats minor units in the currency's major unit with its code.
func money(amount int64, currency string) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	var s string
	if backend.IsZeroDecimal(currency) {
		s = groupThousands(fmt.Sprint(amount))
	} else {
		s = groupThousands(fmt.Sprint(amount/100)) + fmt.Sprintf(".%02d", amount%100)
	}
	if neg {
		s = "-" + s
	}
	return s + " " + strings.ToUpper(currency)
}

func groupThousands(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func optMoney(p *int64, currency string) string {
	if p == nil {
		return "n/a"
	}
	return money(*p, currency)
}

func pct(r metrics.Ratio) string {
	if !r.Defined() {
		return "n/a"
	}
	return r.String() + "%"
}

func printMetrics(w io.Writer, rep any) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	switch rows := rep.(type) {
	case []metrics.AtRow:
		if len(rows) == 0 {
			fmt.Fprintln(w, "no subscription revenue in this cache")
			return nil
		}
		fmt.Fprintln(tw, "date\tcurrency\tMRR\tARR\tsubscribers\tARPU\t")
		for _, r := range rows {
			test := ""
			if r.Test {
				test = " (test)"
			}
			fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%d\t%s\t\n", r.At, r.Currency, test, money(r.MRR, r.Currency), money(r.ARR, r.Currency),
				r.ActiveSubscribers, optMoney(r.ARPU, r.Currency))
		}
	case []metrics.MonthReport:
		if len(rows) == 0 {
			fmt.Fprintln(w, "no subscription revenue in this cache")
			return nil
		}
		fmt.Fprintln(tw, "month\tcurrency\tstart MRR\tnew\texpansion\treactivation\tcontraction\tchurn\tend MRR\tsubscribers\tcustomer churn\tgross MRR churn\tnet MRR churn\tNRR\tGRR\tLTV\t")
		for _, r := range rows {
			c := r.Currency
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Month, c, money(r.StartMRR, c),
				money(r.New, c), money(r.Expansion, c), money(r.Reactivation, c), money(r.Contraction, c), money(r.Churn, c),
				money(r.EndMRR, c), r.EndSubscribers, pct(r.CustomerChurnRate), pct(r.GrossMRRChurnRate), pct(r.NetMRRChurnRate),
				pct(r.NRR), pct(r.GRR), optMoney(r.LTV, c))
		}
	default:
		return fmt.Errorf("metrics: unexpected report %T", rep)
	}
	return tw.Flush()
}

var _ flag.Value = metricsFlag{}
