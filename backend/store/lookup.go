package store

import (
	"context"
	"database/sql"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Lookup term fields. FieldText is a plain word or quoted phrase searched in
// every text column (and in ids of subscriptions, invoices and charges,
// invoice numbers and a card's last 4 digits).
const (
	FieldText     = ""
	FieldEmail    = "email"
	FieldName     = "name"
	FieldStatus   = "status"   // a subscription status of the customer
	FieldCurrency = "currency" // the customer's currency or a subscription's
	FieldMetadata = "metadata" // metadata[Key] equals Value
)

// LookupTerm is one condition of a customer lookup (backend/search parses
// Stripe's search syntax into these).
type LookupTerm struct {
	Field  string
	Key    string // metadata key
	Value  string
	Phrase bool // quoted: match the words as written, no prefix
	Negate bool
}

// LookupHit is one customer found by LookupCustomers.
type LookupHit struct {
	CustomerRow
	Exact bool   // an id, email, invoice number or card digits matched exactly
	Via   string // what matched exactly: "id", "email", "subscription", "invoice", "charge", "invoice number", "card"
}

// lookupCandidates caps the full-text matches read per stage when filters
// (status, currency, metadata, exclusions) may drop many of them.
const lookupCandidates = 2000

var (
	invoiceNumberRe = regexp.MustCompile(`^[A-Za-z0-9]{3,12}-[0-9]{3,}$`)
	last4Re         = regexp.MustCompile(`^[0-9]{4}$`)
)

// LookupCustomers finds customers (not deleted) matching every term, at
// most limit, best first: exact matches (customer id or email, a
// subscription, invoice or charge id, an invoice number, a card's last 4
// digits), then the staged full-text matches of SearchCustomers (whole
// words, the last word as a prefix, every word as a prefix), newest first
// within a stage. Terms without text (status:, currency:, metadata only)
// list the newest matching customers.
func (db *DB) LookupCustomers(ctx context.Context, terms []LookupTerm, limit int) ([]LookupHit, error) {
	if limit <= 0 {
		limit = 20
	}
	if limit > searchCandidates {
		limit = searchCandidates
	}
	var pos, neg []LookupTerm
	var filters []LookupTerm
	for _, t := range terms {
		switch {
		case t.Negate:
			neg = append(neg, t)
		case t.Field == FieldText || t.Field == FieldEmail || t.Field == FieldName:
			if ftsWords(t.Value) == "" {
				continue // nothing the index knows (punctuation only)
			}
			pos = append(pos, t)
		default:
			filters = append(filters, t)
		}
	}
	where, args := lookupFilter(filters, neg)
	var hits []LookupHit
	seen := map[string]bool{}
	err := db.read(ctx, "search customers", func(tx *sql.Tx) error {
		add := func(exact bool, via string, q string, qargs ...any) error {
			from, order, _ := strings.Cut(q, orderMarker)
			rows, err := tx.QueryContext(ctx, `SELECT c.pk, c.id, c.email, c.name, c.phone, c.description, c.currency, c.balance, c.delinquent, c.created
				FROM `+from+` AND c.deleted = 0`+where+order+` LIMIT ?`, append(append(qargs, args...), limit-len(hits))...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var h LookupHit
				var pk int64
				if err := rows.Scan(&pk, &h.ID, &h.Email, &h.Name, &h.Phone, &h.Description, &h.Currency, &h.Balance, &h.Delinquent, &h.Created); err != nil {
					return err
				}
				if seen[h.ID] {
					continue
				}
				seen[h.ID] = true
				h.Exact, h.Via = exact, via
				hits = append(hits, h)
			}
			return rows.Err()
		}
		// Exact matches of a single positive word.
		if len(pos) == 1 && !strings.ContainsAny(pos[0].Value, " \t") {
			v := pos[0].Value
			type exactQ struct{ via, q string }
			var qs []exactQ
			switch pos[0].Field {
			case FieldText:
				qs = []exactQ{
					{"id", `customers AS c WHERE c.id = ?`},
					{"email", `customers AS c WHERE c.email = ? COLLATE NOCASE`},
				}
				switch {
				case strings.HasPrefix(v, "sub_"):
					qs = append(qs, exactQ{"subscription", `subscriptions AS s JOIN customers AS c ON c.id = s.customer WHERE s.id = ?`})
				case strings.HasPrefix(v, "in_"):
					qs = append(qs, exactQ{"invoice", `invoices AS i JOIN customers AS c ON c.id = i.customer WHERE i.id = ?`})
				case strings.HasPrefix(v, "ch_") || strings.HasPrefix(v, "py_"):
					qs = append(qs, exactQ{"charge", `charges AS h JOIN customers AS c ON c.id = h.customer WHERE h.id = ?`})
				case invoiceNumberRe.MatchString(v):
					qs = append(qs, exactQ{"invoice number", `(SELECT DISTINCT customer FROM invoices INDEXED BY invoices_number WHERE number = ? COLLATE NOCASE AND deleted = 0) AS i JOIN customers AS c ON c.id = i.customer WHERE 1`})
				case last4Re.MatchString(v):
					qs = append(qs, exactQ{"card", `(SELECT customer, created AS at FROM charges INDEXED BY charges_card_last4
						WHERE card_last4 = ? AND deleted = 0 AND customer != '' ORDER BY created DESC LIMIT 500) AS h
						JOIN customers AS c ON c.id = h.customer WHERE 1 ORDER BY h.at DESC`})
				}
			case FieldEmail:
				qs = []exactQ{{"email", `customers AS c WHERE c.email = ? COLLATE NOCASE`}}
			}
			for _, e := range qs {
				if len(hits) >= limit {
					break
				}
				q, order := e.q, ""
				if i := strings.LastIndex(q, " ORDER BY "); i >= 0 {
					q, order = q[:i], q[i:]
				}
				if err := addOrdered(add, true, e.via, q, order, v); err != nil {
					return err
				}
			}
		}
		if len(pos) == 0 {
			if len(filters) == 0 {
				return nil // only exclusions: nothing to list
			}
			// Filters only: the newest matching customers.
			from := `customers AS c WHERE 1`
			for _, f := range filters {
				if f.Field == FieldStatus {
					// Walk the status index instead of every customer.
					// Drive from the status index (the newest subscriptions
					// first), not from every customer.
					from = `subscriptions AS s INDEXED BY subscriptions_status CROSS JOIN customers AS c ON c.id = s.customer
						WHERE s.status = ? AND s.deleted = 0`
					return addOrdered(add, false, "", from, " ORDER BY s.created DESC", f.Value)
				}
			}
			return addOrdered(add, false, "", from, " ORDER BY c.created DESC, c.pk DESC")
		}
		stages := []string{lookupFTS(pos, 0), lookupFTS(pos, 1), lookupFTS(pos, len(pos))}
		lower := strings.ToLower(strings.Join(func() []string {
			var s []string
			for _, t := range pos {
				s = append(s, t.Value)
			}
			return s
		}(), " "))
		for n, match := range stages {
			if len(hits) >= limit || n > 0 && match == stages[n-1] {
				continue
			}
			before := len(hits)
			q := `(SELECT rowid FROM customers_fts WHERE customers_fts MATCH ? ORDER BY rowid DESC LIMIT ` + strconv.Itoa(lookupCandidates) + `) AS f
				JOIN customers AS c ON c.pk = f.rowid WHERE 1`
			if err := addOrdered(add, false, "", q, " ORDER BY f.rowid DESC", match); err != nil {
				return err
			}
			// Within a stage: a name equal to the text, then an email or name
			// starting with it, then the newest.
			stage := hits[before:]
			sort.SliceStable(stage, func(i, j int) bool { return stageRank(stage[i], lower) < stageRank(stage[j], lower) })
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}

func addOrdered(add func(bool, string, string, ...any) error, exact bool, via, from, order string, args ...any) error {
	// add puts the filters between from and order.
	return add(exact, via, from+orderMarker+order, args...)
}

// orderMarker separates the FROM/WHERE text from its ORDER BY so the
// filters can be inserted before the ORDER BY.
const orderMarker = "\x00ORDER\x00"

func stageRank(h LookupHit, lower string) int {
	switch {
	case strings.EqualFold(h.Name, lower):
		return 0
	case strings.HasPrefix(strings.ToLower(h.Email), lower):
		return 1
	case strings.HasPrefix(strings.ToLower(h.Name), lower):
		return 2
	}
	return 3
}

// lookupFilter returns the SQL conditions (starting with " AND") of the
// status, currency and metadata filters and of the exclusions, on the
// customer row c.
func lookupFilter(filters, neg []LookupTerm) (string, []any) {
	var b strings.Builder
	var args []any
	cond := func(t LookupTerm, not bool) {
		var c string
		var a []any
		switch t.Field {
		case FieldStatus:
			c, a = `EXISTS (SELECT 1 FROM subscriptions INDEXED BY subscriptions_customer WHERE customer = c.id AND status = ? AND deleted = 0)`, []any{t.Value}
		case FieldCurrency:
			c, a = `(c.currency = ? COLLATE NOCASE OR EXISTS (SELECT 1 FROM subscriptions INDEXED BY subscriptions_customer WHERE customer = c.id AND currency = ? COLLATE NOCASE AND deleted = 0))`, []any{t.Value, t.Value}
		case FieldMetadata:
			c, a = `json_extract(c.raw, ?) = ?`, []any{`$.metadata."` + strings.ReplaceAll(t.Key, `"`, `""`) + `"`, t.Value}
		default:
			m := ftsTerm(LookupTerm{Field: t.Field, Value: t.Value, Phrase: true})
			if m == "" {
				return
			}
			c, a = `EXISTS (SELECT 1 FROM customers_fts WHERE customers_fts MATCH ? AND rowid = c.pk)`, []any{m}
		}
		b.WriteString(" AND ")
		if not {
			b.WriteString("NOT ")
		}
		b.WriteString(c)
		args = append(args, a...)
	}
	for _, t := range filters {
		cond(t, false)
	}
	for _, t := range neg {
		cond(t, true)
	}
	return b.String(), args
}

// lookupFTS builds the FTS5 query of the positive text terms; the last
// `prefixes` unquoted terms match their last token as a prefix.
func lookupFTS(pos []LookupTerm, prefixes int) string {
	parts := make([]string, 0, len(pos))
	for i, t := range pos {
		p := ftsTerm(t)
		if !t.Phrase && i >= len(pos)-prefixes {
			p += "*"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// ftsTerm is one term as an FTS5 phrase, limited to its column.
func ftsTerm(t LookupTerm) string {
	w := ftsWords(t.Value)
	if w == "" {
		return ""
	}
	p := `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	switch t.Field {
	case FieldEmail:
		return "email : " + p
	case FieldName:
		return "name : " + p
	}
	return p
}

// ftsWords keeps the value if the tokenizer indexes something of it.
func ftsWords(v string) string {
	if !searchable(v) {
		return ""
	}
	return v
}
