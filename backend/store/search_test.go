package store

import (
	"context"
	"testing"

	"billfold/backend"
)

func TestSearchCustomers(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	savePage(t, db,
		raw(t, backend.TypeCustomers, 10, customerJSON("cus_Jose1", "José Müller", "jose.muller@example.com", 1, nil)),
		raw(t, backend.TypeCustomers, 10, customerJSON("cus_Jane2", "Jane Doe", "jane.doe@example.com", 2, obj{"phone": "+1 (555) 123-4567"})),
		raw(t, backend.TypeCustomers, 10, customerJSON("cus_Party3", "Café 🎉 Club", "party@club.fr", 3, obj{"description": "Gold reseller"})),
		raw(t, backend.TypeCustomers, 10, customerJSON("cus_Obrien4", "Seán O'Brien", "sean@obrien.ie", 4, obj{"metadata": obj{"crm_id": "HS-99812"}})),
		raw(t, backend.TypeCustomers, 10, customerJSON("cus_Quote5", `Ann "The Boss" Lee`, "ann@lee.dev", 5, nil)),
		raw(t, backend.TypeCustomers, 10, customerJSON("cus_Doe6", "John Doe", "john@doe.org", 6, nil)),
	)
	cases := []struct {
		q    string
		want []string // ids in order; nil: no hits
	}{
		{"jose", []string{"cus_Jose1"}},
		{"José", []string{"cus_Jose1"}},
		{"MULLER", []string{"cus_Jose1"}},
		{"Müll", []string{"cus_Jose1"}},
		{"jane.do", []string{"cus_Jane2"}},
		{"jane.doe@exa", []string{"cus_Jane2"}},
		{"doe@example", []string{"cus_Jane2"}},
		{"jane.doe@example.com", []string{"cus_Jane2"}}, // exact email
		{"cus_Party3", []string{"cus_Party3"}},          // exact id
		{"cus_par", []string{"cus_Party3"}},
		{"🎉", []string{"cus_Party3"}},
		{"cafe club", []string{"cus_Party3"}},
		{"reseller", []string{"cus_Party3"}},
		{"o'brien", []string{"cus_Obrien4"}},
		{"sean", []string{"cus_Obrien4"}},
		{"HS-99812", []string{"cus_Obrien4"}},
		{`"the boss"`, []string{"cus_Quote5"}},
		{`"`, nil},
		{`boss" OR 1=1 --`, nil},
		{"5551234567", []string{"cus_Jane2"}},
		{"555", []string{"cus_Jane2"}},
		{"nobody", nil},
		{"   ", nil},
		{"@", nil},
		{"NEAR(", nil},
		{"*", nil},
	}
	for _, c := range cases {
		hits, err := db.SearchCustomers(ctx, c.q, 10)
		if err != nil {
			t.Errorf("search %q: %v", c.q, err)
			continue
		}
		var got []string
		for _, h := range hits {
			got = append(got, h.ID)
		}
		if len(got) != len(c.want) {
			t.Errorf("search %q = %v, want %v", c.q, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("search %q = %v, want %v", c.q, got, c.want)
			}
		}
	}
	// "doe" matches both Does; the exact email match comes first, and an
	// email/name match ranks above nothing.
	hits, _ := db.SearchCustomers(ctx, "doe", 10)
	if len(hits) != 2 {
		t.Fatalf("doe: %v", hits)
	}
	hits, _ = db.SearchCustomers(ctx, "john@doe.org", 10)
	if len(hits) != 1 || !hits[0].Exact {
		t.Fatalf("exact email: %+v", hits)
	}
	if _, err := db.SearchCustomers(ctx, string(make([]byte, 2000)), 10); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("long query: %v", err)
	}
	hits, _ = db.SearchCustomers(ctx, "e", 2)
	if len(hits) != 2 {
		t.Fatalf("limit: %v", hits)
	}
}
