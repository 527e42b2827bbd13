package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"billfold/backend/search"
)

const customersUsage = "billfold customers search QUERY [--json] [--limit N] [--db FILE] [--account ACCOUNT]\n\n" +
	"  QUERY: words (name, email, id, phone, description, metadata values; a subscription, invoice or\n" +
	"  charge id, an invoice number, a card's last 4), \"quoted phrases\", email:, name:, status:,\n" +
	"  currency:, metadata['key']:'value', and -term to exclude. Put -- before a query starting with -."

func runCustomers(ctx context.Context, env *Env) error {
	if len(env.Args) == 0 || env.Args[0] != "search" {
		if len(env.Args) > 0 && (env.Args[0] == "-h" || env.Args[0] == "--help") {
			fmt.Fprintln(env.Stdout, customersUsage)
			return nil
		}
		return Usage("usage: billfold customers search QUERY [--json] [--limit N] [--db FILE]")
	}
	sub := *env
	sub.Args = env.Args[1:]
	fs := NewFlagSet(&sub, "customers search")
	asJSON := fs.Bool("json", false, "print one JSON document")
	limit := fs.Int("limit", 20, "at most this many customers (1..200)")
	dbFlag := fs.String("db", "", "SQLite file to use instead of the account's own (or BILLFOLD_DB)")
	account := fs.String("account", "", "account whose cache to use (default: the only one)")
	pos, err := ParseFlags(fs, &sub)
	if err != nil {
		return err
	}
	query := strings.TrimSpace(strings.Join(pos, " "))
	if query == "" {
		return Usage("customers search needs a QUERY, as in: billfold customers search jane@example.com")
	}
	if *limit < 1 || *limit > 200 {
		return Usage("--limit %d: use 1 to 200", *limit)
	}
	// Check the syntax before touching any file.
	if _, err := search.Parse(query); err != nil {
		return err
	}
	db, err := openCache(ctx, env, *dbFlag, *account)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := search.Customers(ctx, db, query, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, map[string]any{"query": query, "customers": res})
	}
	if len(res) == 0 {
		fmt.Fprintln(env.Stdout, "no customer found")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tCREATED\tMATCH")
	for _, r := range res {
		match := ""
		if r.Exact {
			match = "exact " + r.Via
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", terminalSafe(r.ID), terminalSafe(r.Name), terminalSafe(r.Email),
			time.Unix(r.Created, 0).UTC().Format("2006-01-02"), match)
	}
	return tw.Flush()
}

// terminalSafe shows control characters of Stripe-sourced text (escape
// sequences, tabs, new lines) as Go escapes, so a customer's name cannot
// drive the terminal or break the table.
func terminalSafe(s string) string {
	ok := true
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}
