package store

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"billfold/backend"
	"billfold/backend/syncer"
)

var _ syncer.Store = (*DB)(nil)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func openTest(t testing.TB, path string) *DB {
	t.Helper()
	if path == "" {
		home := t.TempDir()
		t.Setenv("BILLFOLD_HOME", home)
		p, err := Path(home, "acct_TEST1", backend.ModeTest)
		if err != nil {
			t.Fatal(err)
		}
		path = p
	}
	db, err := Open(context.Background(), path, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type obj = map[string]any

func customerJSON(id, name, email string, created int64, extra obj) obj {
	c := obj{"id": id, "object": "customer", "created": created, "email": email, "name": name,
		"phone": nil, "description": nil, "currency": "usd", "balance": 0, "delinquent": false,
		"metadata": obj{}, "livemode": false}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func raw(t testing.TB, typ backend.ObjectType, stamp int64, v obj) backend.RawObject {
	t.Helper()
	created, _ := v["created"].(int64)
	return backend.RawObject{Type: typ, ID: v["id"].(string), Created: created, Stamp: stamp, Raw: mustJSON(t, v)}
}

func priceJSON(id string, amount int64) obj {
	return obj{"id": id, "object": "price", "created": int64(1700000000), "active": true, "product": "prod_1",
		"currency": "usd", "type": "recurring", "unit_amount": amount, "unit_amount_decimal": fmt.Sprint(amount),
		"recurring": obj{"interval": "month", "interval_count": 1, "usage_type": "licensed"}}
}

func subscriptionJSON(id, customer, status string, created int64, qty int64) obj {
	return obj{"id": id, "object": "subscription", "created": created, "customer": customer, "status": status,
		"currency": "usd", "collection_method": "charge_automatically", "start_date": created,
		"current_period_start": created, "current_period_end": created + 30*86400, "cancel_at_period_end": false,
		"trial_start": nil, "trial_end": nil,
		"items": obj{"object": "list", "has_more": false, "data": []any{
			obj{"id": "si_" + id, "object": "subscription_item", "created": created, "subscription": id,
				"price": priceJSON("price_1", 2900), "quantity": qty},
		}},
		"discount": obj{"id": "di_" + id, "object": "discount", "coupon": obj{"id": "co_1", "object": "coupon",
			"duration": "forever", "percent_off": 12.5, "valid": true}, "customer": customer, "subscription": id, "start": created},
		"metadata": obj{}}
}

func invoiceJSON(id, customer, sub string, created int64, lines int) obj {
	var data []any
	for i := 0; i < lines; i++ {
		data = append(data, obj{"id": fmt.Sprintf("il_%s_%d", id, i), "object": "line_item", "type": "subscription",
			"amount": 2900, "currency": "usd", "description": "Pro plan", "period": obj{"start": created, "end": created + 30*86400},
			"price": priceJSON("price_1", 2900), "proration": false, "quantity": 1, "subscription": sub})
	}
	return obj{"id": id, "object": "invoice", "created": created, "number": "INV-" + id, "customer": customer,
		"customer_email": "secret-" + customer + "@example.com", "subscription": sub, "status": "paid",
		"billing_reason": "subscription_cycle", "currency": "usd", "amount_due": 2900 * lines, "amount_paid": 2900 * lines,
		"amount_remaining": 0, "subtotal": 2900 * lines, "tax": nil, "total": 2900 * lines, "paid": true,
		"period_start": created, "period_end": created + 30*86400, "charge": "ch_" + id,
		"status_transitions": obj{"paid_at": created + 60},
		"lines":              obj{"object": "list", "has_more": false, "data": data}, "metadata": obj{}}
}

func chargeJSON(id, customer, invoice string, created int64, refunds int) obj {
	var data []any
	for i := 0; i < refunds; i++ {
		data = append(data, obj{"id": fmt.Sprintf("re_%s_%d", id, i), "object": "refund", "created": created + 100,
			"charge": id, "amount": 100, "currency": "usd", "reason": "requested_by_customer", "status": "succeeded"})
	}
	return obj{"id": id, "object": "charge", "created": created, "customer": customer, "invoice": invoice,
		"amount": 2900, "amount_captured": 2900, "amount_refunded": 100 * refunds, "currency": "usd",
		"status": "succeeded", "paid": true, "captured": true, "refunded": false,
		"billing_details":        obj{"email": "billing-" + customer + "@example.com"},
		"payment_method_details": obj{"type": "card", "card": obj{"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030}},
		"refunds":                obj{"object": "list", "has_more": false, "data": data}}
}

func rng(typ backend.ObjectType) backend.SyncRange {
	return backend.SyncRange{Type: typ, Gte: 0, Lt: 2000000000}
}

func savePage(t testing.TB, db *DB, objs ...backend.RawObject) {
	t.Helper()
	typ := backend.TypeCustomers
	if len(objs) > 0 {
		typ = objs[0].Type
	}
	if err := db.SavePage(context.Background(), rng(typ), objs); err != nil {
		t.Fatalf("save page: %v", err)
	}
}

func count(t testing.TB, db *DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.r.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func dbPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "accounts", "acct_TEST1", "test.db")
}
