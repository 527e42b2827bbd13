package analytics_test

import (
	"context"
	"testing"

	"billfold/backend/analytics"
	"billfold/backend/analytics/sandboxdb"
	"billfold/backend/metrics"
)

// Forgetting a customer (GDPR erase) removes its subscriptions; the next
// refresh removes its points too.
func TestForgottenCustomerLeavesTheMetrics(t *testing.T) {
	ctx := context.Background()
	e := sandboxdb.New(t, 2, 60, nil)
	s := metrics.Defaults()
	if _, err := analytics.Ensure(ctx, e.DB, s, analytics.Options{}); err != nil {
		t.Fatal(err)
	}
	series, _ := analytics.Series(ctx, e.DB, "")
	if len(series) == 0 {
		t.Fatal("no series")
	}
	victim := series[0].Customer
	if _, err := e.DB.ForgetCustomer(ctx, victim); err != nil {
		t.Fatal(err)
	}
	st, err := analytics.Ensure(ctx, e.DB, s, analytics.Options{})
	if err != nil || st.Full || st.Customers != 1 {
		t.Fatalf("refresh after forget: %+v %v", st, err)
	}
	after, _ := analytics.Series(ctx, e.DB, "")
	for _, sr := range after {
		if sr.Customer == victim {
			t.Fatalf("forgotten customer %s still has points", victim)
		}
	}
	if len(after) >= len(series) {
		t.Fatalf("%d series before, %d after", len(series), len(after))
	}
}
