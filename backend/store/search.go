package store

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"unicode"

	"billfold/backend"
)

// SearchHit is one customer found by SearchCustomers. Rank orders hits:
// lower is better.
type SearchHit struct {
	ID    string
	Rank  float64
	Exact bool // the query was the customer's id or email
}

// searchCandidates caps how many full-text matches (newest first) one stage
// reads, so a broad word typed while searching stays fast.
const searchCandidates = 200

// SearchCustomers finds customers (not deleted) whose id, email, name,
// phone, description or metadata values contain every word of query, each
// word matched as a whole token or as a prefix ("jane.d" finds
// jane.doe@example.com; accents are ignored). It returns at most limit
// hits, best first: the exact id or email, then customers matching every
// word as a whole word, then with the last word as a prefix (the word being
// typed), then every word as a prefix; within a stage, a name or email
// starting with the query first, then the newest. Stripe's search syntax is
// not parsed here; this is the building block.
//
// Stages run in that order and stop once limit hits are found: FTS5 walks
// whole words lazily (fast at any size), while a prefix with no prefix
// index (longer than 3 characters) reads every matching entry.
func (db *DB) SearchCustomers(ctx context.Context, query string, limit int) ([]SearchHit, error) {
	if limit <= 0 {
		limit = 20
	}
	if limit > searchCandidates {
		limit = searchCandidates
	}
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, nil
	}
	if len(query) > 1000 {
		return nil, backend.Errorf(backend.EINVALID, "search text is too long (%d bytes, at most 1000)", len(query))
	}
	words := searchWords(query)
	stages := []string{ftsQuery(words, 0), ftsQuery(words, 1), ftsQuery(words, len(words))}
	var hits []SearchHit
	seen := map[string]bool{}
	err := db.read(ctx, "search customers", func(tx *sql.Tx) error {
		// Exact id or email first (INDEXED BY: without statistics the
		// planner may prefer walking the created index over a million rows).
		for _, q := range []string{
			"SELECT id FROM customers INDEXED BY sqlite_autoindex_customers_1 WHERE id = ? AND deleted = 0",
			"SELECT id FROM customers INDEXED BY customers_email WHERE email = ? COLLATE NOCASE AND deleted = 0 LIMIT 200",
		} {
			rows, err := tx.QueryContext(ctx, q, query)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				if !seen[id] {
					seen[id] = true
					hits = append(hits, SearchHit{ID: id, Rank: 0, Exact: true})
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		lower := strings.ToLower(query)
		for n, match := range stages {
			if match == "" || len(hits) >= limit || n > 0 && match == stages[n-1] {
				continue
			}
			rows, err := tx.QueryContext(ctx, `SELECT c.id, c.name, c.email FROM (
					SELECT rowid FROM customers_fts WHERE customers_fts MATCH ? ORDER BY rowid DESC LIMIT ?
				) AS f JOIN customers AS c ON c.pk = f.rowid WHERE c.deleted = 0 ORDER BY f.rowid DESC`, match, searchCandidates)
			if err != nil {
				return err
			}
			var found []SearchHit
			for rows.Next() {
				var id, name, email string
				if err := rows.Scan(&id, &name, &email); err != nil {
					rows.Close()
					return err
				}
				if seen[id] {
					continue
				}
				seen[id] = true
				rank := float64(n+1)*10 + 3
				switch {
				case strings.EqualFold(name, query):
					rank -= 3
				case strings.HasPrefix(strings.ToLower(email), lower):
					rank -= 2
				case strings.HasPrefix(strings.ToLower(name), lower):
					rank -= 1
				}
				found = append(found, SearchHit{ID: id, Rank: rank})
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			sort.SliceStable(found, func(i, j int) bool { return found[i].Rank < found[j].Rank })
			hits = append(hits, found...)
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

// searchWords splits the query on white space and keeps the words with
// something the tokenizer indexes (letters, digits, private-use and symbol
// characters such as emoji).
func searchWords(q string) []string {
	var out []string
	for _, w := range strings.Fields(q) {
		if searchable(w) {
			out = append(out, w)
		}
	}
	return out
}

// ftsQuery builds an FTS5 query: each word is a quoted phrase (FTS5's
// tokenizer splits it on punctuation, so "jane.doe@exa" is the phrase
// jane doe exa); the last `prefixes` words match their last token as a
// prefix. Words are ANDed.
func ftsQuery(words []string, prefixes int) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		if i >= len(words)-prefixes {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " ")
}

func searchable(w string) bool {
	for _, r := range w {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.So, r) {
			return true
		}
	}
	return false
}
