// Package search is Billfold's customer lookup: a practical subset of
// Stripe's search query language parsed into store lookup terms, run over
// the local cache (offline, results while typing).
//
// Syntax (terms are ANDed, separated by spaces):
//
//	jane                         a word: name, email, id, phone, description,
//	                             metadata values (the last word as a prefix);
//	                             alone it also finds a subscription, invoice or
//	                             charge id, an invoice number, a card's last 4
//	"jane doe"                   a quoted phrase, matched as written
//	email:jane@example.com       in the email only (name: likewise)
//	status:past_due              has a subscription with this status
//	currency:eur                 the customer's or a subscription's currency
//	metadata['crm_id']:'HS-1'    a metadata value, exactly
//	-word, -status:canceled      excludes
//	AND                          accepted and ignored (terms are ANDed)
package search

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"billfold/backend"
	"billfold/backend/store"
)

// MaxQuery is the longest query accepted, in bytes.
const MaxQuery = 1000

// Statuses are Stripe's subscription statuses accepted by status:.
var statuses = []string{"active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "trialing", "paused"}

// Parse turns a query into lookup terms. A bad query is an EINVALID
// backend.Error with a one-line message naming the problem and its place.
func Parse(q string) ([]store.LookupTerm, error) {
	if len(q) > MaxQuery {
		return nil, backend.Errorf(backend.EINVALID, "search text is too long (%d bytes, at most %d)", len(q), MaxQuery)
	}
	if !utf8.ValidString(q) {
		return nil, backend.Errorf(backend.EINVALID, "search text is not valid UTF-8")
	}
	p := &parser{s: q}
	var terms []store.LookupTerm
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			break
		}
		t, skip, err := p.term()
		if err != nil {
			return nil, backend.Errorf(backend.EINVALID, "bad search: %s", err)
		}
		if !skip {
			terms = append(terms, t)
		}
	}
	return terms, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if !unicode.IsSpace(r) {
			return
		}
		p.i += n
	}
}

// term reads one term; skip is true for the AND keyword.
func (p *parser) term() (t store.LookupTerm, skip bool, err error) {
	start := p.i
	if p.s[p.i] == '-' && p.i+1 < len(p.s) && !isSpaceByte(p.s[p.i+1]) {
		t.Negate = true
		p.i++
	}
	if c := p.s[p.i]; c == '"' || c == '\'' {
		v, err := p.quoted()
		if err != nil {
			return t, false, err
		}
		t.Value, t.Phrase = v, true
		return t, false, p.end()
	}
	// A bare word up to a space or a colon outside brackets and quotes.
	w := p.word()
	if p.i < len(p.s) && p.s[p.i] == ':' {
		p.i++
		field, key, err := fieldOf(w, start)
		if err != nil {
			return t, false, err
		}
		t.Field, t.Key = field, key
		if p.i >= len(p.s) || isSpaceByte(p.s[p.i]) {
			return t, false, fmt.Errorf("%s: needs a value (at %d)", w, p.i)
		}
		if c := p.s[p.i]; c == '"' || c == '\'' {
			if t.Value, err = p.quoted(); err != nil {
				return t, false, err
			}
			t.Phrase = true
			if err := p.end(); err != nil {
				return t, false, err
			}
		} else {
			t.Value = p.rest()
		}
		return t, false, checkField(&t)
	}
	switch {
	case strings.HasPrefix(w, "metadata["):
		if !strings.Contains(w, "]") {
			return t, false, fmt.Errorf("metadata key needs a closing ] (at %d)", start)
		}
		return t, false, fmt.Errorf("metadata['key'] needs a value, as in metadata['plan']:'pro' (at %d)", start)
	case w == "AND" && !t.Negate:
		return t, true, nil
	case w == "OR" && !t.Negate:
		return t, false, fmt.Errorf("OR is not supported (at %d): terms are always ANDed", start)
	}
	t.Value = w
	return t, false, nil
}

// word reads up to a space, or up to a colon that follows a field name.
func (p *parser) word() string {
	start := p.i
	depth := 0
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case isSpaceByte(c):
			return p.s[start:p.i]
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '\'' && depth > 0:
			// a quoted metadata key: skip to its closing quote
			if j := strings.IndexByte(p.s[p.i+1:], '\''); j >= 0 {
				p.i += j + 1
			}
		case c == ':' && depth <= 0 && isFieldName(p.s[start:p.i]):
			return p.s[start:p.i]
		}
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if unicode.IsSpace(r) {
			return p.s[start:p.i]
		}
		p.i += n
	}
	return p.s[start:p.i]
}

// rest reads a bare value up to the next space.
func (p *parser) rest() string {
	start := p.i
	for p.i < len(p.s) {
		r, n := utf8.DecodeRuneInString(p.s[p.i:])
		if unicode.IsSpace(r) {
			break
		}
		p.i += n
	}
	return p.s[start:p.i]
}

// quoted reads 'x' or "x"; a backslash escapes the quote or a backslash.
func (p *parser) quoted() (string, error) {
	q := p.s[p.i]
	start := p.i
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.s) && (p.s[p.i+1] == q || p.s[p.i+1] == '\\'):
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case c == q:
			p.i++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", fmt.Errorf("unclosed %c quote (opened at %d)", q, start)
}

// end checks that a quoted value is followed by a space or the end.
func (p *parser) end() error {
	if p.i < len(p.s) && !isSpaceByte(p.s[p.i]) {
		return fmt.Errorf("a space is needed after the closing quote (at %d)", p.i)
	}
	return nil
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isFieldName reports whether w (before a colon) names a field, known or
// not: letters and underscores, or metadata[...].
func isFieldName(w string) bool {
	if strings.HasPrefix(w, "metadata[") {
		return true
	}
	if w == "" {
		return false
	}
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return false
		}
	}
	return true
}

func fieldOf(w string, at int) (field, key string, err error) {
	switch strings.ToLower(w) {
	case "email":
		return store.FieldEmail, "", nil
	case "name":
		return store.FieldName, "", nil
	case "status":
		return store.FieldStatus, "", nil
	case "currency":
		return store.FieldCurrency, "", nil
	}
	if strings.HasPrefix(w, "metadata[") {
		in := strings.TrimPrefix(w, "metadata[")
		if !strings.HasSuffix(in, "]") {
			return "", "", fmt.Errorf("metadata key needs a closing ] (at %d)", at)
		}
		in = strings.TrimSuffix(in, "]")
		if len(in) < 2 || (in[0] != '\'' && in[0] != '"') || in[len(in)-1] != in[0] {
			return "", "", fmt.Errorf("metadata key must be quoted, as in metadata['plan']:'pro' (at %d)", at)
		}
		key = in[1 : len(in)-1]
		if key == "" {
			return "", "", fmt.Errorf("metadata key is empty (at %d)", at)
		}
		return store.FieldMetadata, key, nil
	}
	return "", "", fmt.Errorf("unknown field %q (at %d): use email, name, status, currency or metadata['key']", w, at)
}

func checkField(t *store.LookupTerm) error {
	switch t.Field {
	case store.FieldStatus:
		v := strings.ToLower(t.Value)
		for _, s := range statuses {
			if v == s {
				t.Value = v
				return nil
			}
		}
		return fmt.Errorf("unknown subscription status %q: use %s", t.Value, strings.Join(statuses, ", "))
	case store.FieldCurrency:
		v := strings.ToLower(t.Value)
		if len(v) != 3 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz") != "" {
			return fmt.Errorf("currency %q is not a 3-letter ISO code", t.Value)
		}
		t.Value = v
	case store.FieldEmail, store.FieldName, store.FieldMetadata:
		if t.Value == "" {
			return fmt.Errorf("%s: needs a value", t.Field)
		}
	}
	return nil
}

// Result is one customer found.
type Result struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	Description string `json:"description"`
	Currency    string `json:"currency"`
	Balance     int64  `json:"balance"`
	Delinquent  bool   `json:"delinquent"`
	Created     int64  `json:"created"`
	Exact       bool   `json:"exact"`
	Via         string `json:"via,omitempty"`
}

// Customers parses query and returns at most limit customers (default 20,
// at most 200), best first. An empty query finds nothing.
func Customers(ctx context.Context, db *store.DB, query string, limit int) ([]Result, error) {
	terms, err := Parse(query)
	if err != nil {
		return nil, err
	}
	if len(terms) == 0 {
		return []Result{}, nil
	}
	hits, err := db.LookupCustomers(ctx, terms, limit)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := make([]Result, len(hits))
	for i, h := range hits {
		out[i] = Result{ID: h.ID, Name: h.Name, Email: h.Email, Phone: h.Phone, Description: h.Description,
			Currency: h.Currency, Balance: h.Balance, Delinquent: h.Delinquent, Created: h.Created, Exact: h.Exact, Via: h.Via}
	}
	return out, nil
}
