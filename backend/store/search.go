package store

import (
	"context"
	"database/sql"
	"strings"
	"unicode"

	"billfold/backend"
)

// SearchHit is one customer found by SearchCustomers. Rank orders hits:
// lower is better (exact id or email matches first, then full-text rank).
type SearchHit struct {
	ID    string
	Rank  float64
	Exact bool // the query was the customer's id or email
}

// searchCandidates caps how many full-text matches (newest first) are
// ranked, so a broad prefix typed while searching stays fast.
const searchCandidates = 500

// SearchCustomers finds customers (not deleted) whose id, email, name,
// phone, description or metadata values contain every word of query, each
// word matched as a prefix ("jane.d" finds jane.doe@example.com; accents
// are ignored). It returns at most limit hits, best first. Stripe's search
// syntax is not parsed here; this is the building block.
func (db *DB) SearchCustomers(ctx context.Context, query string, limit int) ([]SearchHit, error) {
	if limit <= 0 {
		limit = 20
	}
	if limit > 1000 {
		limit = 1000
	}
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, nil
	}
	if len(query) > 1000 {
		return nil, backend.Errorf(backend.EINVALID, "search text is too long (%d bytes, at most 1000)", len(query))
	}
	match := ftsQuery(query)
	var hits []SearchHit
	seen := map[string]bool{}
	err := db.read(ctx, "search customers", func(tx *sql.Tx) error {
		// Exact id or email first.
		rows, err := tx.QueryContext(ctx, `SELECT id FROM customers WHERE deleted = 0 AND (id = ? OR email = ? COLLATE NOCASE)
			ORDER BY created DESC LIMIT ?`, query, query, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			seen[id] = true
			hits = append(hits, SearchHit{ID: id, Rank: -1e9, Exact: true})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if match == "" || len(hits) >= limit {
			return nil
		}
		// Column weights: id, email, name, phone, description, extra.
		rows, err = tx.QueryContext(ctx, `SELECT c.id, f.score FROM (
				SELECT rowid, bm25(customers_fts, 4.0, 4.0, 6.0, 2.0, 1.0, 1.0) AS score
				FROM customers_fts WHERE customers_fts MATCH ? ORDER BY rowid DESC LIMIT ?
			) AS f JOIN customers AS c ON c.pk = f.rowid
			WHERE c.deleted = 0 ORDER BY f.score, f.rowid DESC LIMIT ?`, match, searchCandidates, limit+len(hits))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h SearchHit
			if err := rows.Scan(&h.ID, &h.Rank); err != nil {
				return err
			}
			if seen[h.ID] {
				continue
			}
			hits = append(hits, h)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}

// ftsQuery turns plain words into an FTS5 query: each whitespace-separated
// word becomes a quoted phrase (FTS5's tokenizer splits it on punctuation,
// so "jane.doe@exa" is the phrase jane doe exa) with a prefix match on its
// last token; words are ANDed. Words with nothing searchable are dropped.
func ftsQuery(q string) string {
	var parts []string
	for _, w := range strings.Fields(q) {
		if !searchable(w) {
			continue
		}
		parts = append(parts, `"`+strings.ReplaceAll(w, `"`, `""`)+`"*`)
	}
	return strings.Join(parts, " ")
}

// searchable reports whether w has a character the tokenizer indexes
// (letters, digits, private-use and symbol characters such as emoji).
func searchable(w string) bool {
	for _, r := range w {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.So, r) {
			return true
		}
	}
	return false
}
