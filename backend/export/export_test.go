package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"testing"

	"billfold/backend"
	"billfold/backend/store"
)

func TestCells(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+33 1 23": "'+33 1 23", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"plain": "plain", "": "", "a=b": "a=b", "José 🎉": "José 🎉",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		amount   int64
		currency string
		want     string
	}{{12345, "usd", "123.45"}, {5, "eur", "0.05"}, {-5, "eur", "-0.05"}, {-12345, "usd", "-123.45"},
		{12345, "jpy", "12345"}, {-500, "JPY", "-500"}, {0, "usd", "0.00"}} {
		if got := Decimal(c.amount, c.currency); got != c.want {
			t.Errorf("Decimal(%d %s) = %q, want %q", c.amount, c.currency, got, c.want)
		}
	}
	if _, err := Find("metrics-nope"); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("Find: %v", err)
	}
}

func TestCustomersCSV(t *testing.T) {
	t.Setenv("BILLFOLD_HOME", t.TempDir())
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var page []backend.RawObject
	for i, c := range []map[string]any{
		{"id": "cus_A", "object": "customer", "created": int64(1700000000), "name": "=HYPERLINK(\"http://evil\")", "email": "a@x.io",
			"currency": "jpy", "balance": -500, "description": "line1\nline2, \"quoted\"", "metadata": map[string]string{"b": "2", "a": "1"}},
		{"id": "cus_B", "object": "customer", "created": int64(1700000001), "name": "Zoë <script>", "email": "b@x.io",
			"currency": "usd", "balance": 1234, "phone": "+1 555", "metadata": map[string]string{}},
	} {
		raw, _ := json.Marshal(c)
		page = append(page, backend.RawObject{Type: backend.TypeCustomers, ID: c["id"].(string), Created: int64(1700000000 + i), Stamp: 1, Raw: raw})
	}
	if err := db.SavePage(ctx, backend.SyncRange{Type: backend.TypeCustomers, Lt: 2000000000}, page); err != nil {
		t.Fatal(err)
	}
	tb, _ := Find("customers")
	var buf bytes.Buffer
	n, err := CSV(ctx, db, tb, &buf)
	if err != nil || n != 2 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if !bytes.Contains(buf.Bytes(), []byte("\r\n")) {
		t.Fatal("rows must end in CRLF")
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	a, b := recs[1], recs[2]
	checks := []struct{ got, want string }{
		{a[col["name"]], "'=HYPERLINK(\"http://evil\")"},
		{a[col["balance"]], "-500"}, {a[col["balance_decimal"]], "-500"}, {a[col["currency"]], "jpy"},
		{a[col["description"]], "line1\nline2, \"quoted\""},
		{a[col["metadata"]], `{"a":"1","b":"2"}`},
		{a[col["created"]], "2023-11-14T22:13:20Z"},
		{b[col["name"]], "Zoë <script>"}, {b[col["phone"]], "'+1 555"},
		{b[col["balance"]], "1234"}, {b[col["balance_decimal"]], "12.34"}, {b[col["metadata"]], ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
