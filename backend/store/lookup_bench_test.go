package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// BenchmarkLookup1M measures LookupCustomers (the parsed search of
// backend/search) over 1,000,000 customers: words as typed, exact ids and
// emails, fields, filters and exclusions.
func BenchmarkLookup1M(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	w := func(s string) []LookupTerm {
		var out []LookupTerm
		for _, f := range strings.Fields(s) {
			out = append(out, LookupTerm{Value: f})
		}
		return out
	}
	queries := [][]LookupTerm{
		w("j"), w("ja"), w("jam"), w("james"), w("james smi"), w("zoë mül"), w("o'brien"), w("mary.kowalski12"),
		w("cus_00000000123"), w("cus_00000000999999"), w("emma.martin999@gmail.com"), w("hs-77"), w("xyzzy"),
		w("sub_cus_00000000001234"), w("in_cus_00000000001234_3"), w("4242"), w("ABCD1234-0007"),
		{{Field: FieldEmail, Value: "olivia"}},
		{{Field: FieldName, Value: "søren"}, {Value: "hansen"}},
		{{Field: FieldStatus, Value: "active"}},
		{{Field: FieldStatus, Value: "active"}, {Value: "james"}},
		{{Field: FieldCurrency, Value: "usd"}, {Value: "garcia"}},
		{{Field: FieldMetadata, Key: "crm_id", Value: "HS-4242"}, {Value: "HS-4242", Phrase: true}},
		{{Value: "james"}, {Value: "gmail", Negate: true}},
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := queries[i%len(queries)]
		t0 := time.Now()
		if _, err := db.LookupCustomers(ctx, q, 20); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	percentiles(b, lat)
}
