package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"billfold/backend/analytics/sandboxdb"
	"billfold/backend/sandbox"
)

// golden1 is design/metrics.md's golden example 1 (normalization) as a
// sandbox fixture: six customers, one subscription each, all active on
// 2024-01-31.
func golden1(t *testing.T) *sandbox.Data {
	now := time.Date(2024, 1, 31, 12, 0, 0, 0, time.UTC).Unix()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	type plan struct {
		id       string
		amount   int64
		interval string
		count    int64
		qty      int64
	}
	plans := []plan{{"A", 2900, "month", 1, 1}, {"B", 120000, "year", 1, 1}, {"C", 29900, "month", 3, 1},
		{"D", 1000, "week", 1, 2}, {"E", 100, "day", 1, 1}, {"F", 240000, "year", 2, 1}}
	fx := map[string]any{"now": time.Unix(now, 0).UTC().Format(time.RFC3339),
		"products": []any{map[string]any{"id": "prod_g1", "object": "product", "created": start - 86400, "name": "Plan", "active": true}}}
	var customers, prices, subs []any
	for i, p := range plans {
		price := map[string]any{"id": "price_" + p.id, "object": "price", "created": start - 86400, "active": true, "currency": "usd",
			"product": "prod_g1", "type": "recurring", "billing_scheme": "per_unit", "unit_amount": p.amount,
			"unit_amount_decimal": fmt.Sprint(p.amount), "livemode": false,
			"recurring": map[string]any{"interval": p.interval, "interval_count": p.count, "usage_type": "licensed"}}
		prices = append(prices, price)
		cus := "cus_" + p.id
		customers = append(customers, map[string]any{"id": cus, "object": "customer", "created": start - 3600 + int64(i), "email": strings.ToLower(p.id) + "@example.com", "name": "Customer " + p.id})
		subs = append(subs, map[string]any{"id": "sub_" + p.id, "object": "subscription", "created": start + int64(i), "customer": cus,
			"status": "active", "currency": "usd", "start_date": start, "livemode": false, "collection_method": "charge_automatically",
			"current_period_start": start, "current_period_end": now + 86400,
			"items": map[string]any{"object": "list", "has_more": false, "url": "/v1/subscription_items?subscription=sub_" + p.id,
				"data": []any{map[string]any{"id": "si_" + p.id, "object": "subscription_item", "created": start, "subscription": "sub_" + p.id,
					"price": price, "quantity": p.qty}}}})
	}
	fx["customers"], fx["prices"], fx["subscriptions"] = customers, prices, subs
	b, _ := json.Marshal(fx)
	d, err := sandbox.LoadFixture(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	d.Account.Created = start - 30*86400 // the sync starts at the account's creation
	return d
}

func TestMetricsGoldenExample1ThroughSync(t *testing.T) {
	home := t.TempDir()
	t.Setenv("BILLFOLD_HOME", home)
	e := sandboxdb.New(t, 1, 0, golden1(t))
	e.DB.Close()
	code, out, errs := runMetricsCLI(t, map[string]string{"BILLFOLD_HOME": home, "BILLFOLD_DB": e.Path}, "--at", "2024-01-31", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := `[{"at":"2024-01-31","currency":"usd","mrr":44576,"arr":534912,"active_subscribers":6,"arpu":7429,"test":true}]`
	if got := compact(out); got != want {
		t.Fatalf("golden example 1:\n got %s\nwant %s", got, want)
	}
}
