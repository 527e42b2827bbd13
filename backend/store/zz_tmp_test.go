package store

import (
	"context"
	"testing"
	"time"
)

func BenchmarkZZTmp(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for _, q := range [][]LookupTerm{
		{{Value: "j"}}, {{Value: "james"}}, {{Value: "james"}, {Value: "smi"}}, {{Value: "4242"}}, {{Value: "ABCD1234-0007"}},
		{{Value: "cus_00000000123"}}, {{Value: "emma.martin999@gmail.com"}}, {{Value: "sub_cus_00000000001234"}},
		{{Field: FieldEmail, Value: "olivia"}}, {{Field: FieldStatus, Value: "active"}}, {{Field: FieldStatus, Value: "active"}, {Value: "james"}},
		{{Field: FieldCurrency, Value: "usd"}, {Value: "garcia"}}, {{Field: FieldMetadata, Key: "crm_id", Value: "HS-4242"}, {Value: "HS-4242", Phrase: true}},
		{{Value: "james"}, {Value: "gmail", Negate: true}}, {{Value: "xyzzy"}},
	} {
		t0 := time.Now()
		_, err := db.LookupCustomers(ctx, q, 20)
		b.Logf("%v: %v %v", q, time.Since(t0), err)
	}
}
