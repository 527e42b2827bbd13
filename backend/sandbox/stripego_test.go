package sandbox

import (
	"encoding/json"
	"fmt"
	"testing"

	stripe "github.com/stripe/stripe-go/v76"
)

// TestStripeGoRoundTrip decodes every served object into stripe-go v76's
// types (what the app's client uses), re-encodes it and checks that no
// field was lost and scalar values survive.
func TestStripeGoRoundTrip(t *testing.T) {
	d := genData(t, 120)
	s := newTestServer(t, d, Options{})
	kinds := []struct {
		col string
		mk  func() any
	}{
		{"customers", func() any { return &stripe.Customer{} }},
		{"products", func() any { return &stripe.Product{} }},
		{"prices", func() any { return &stripe.Price{} }},
		{"coupons", func() any { return &stripe.Coupon{} }},
		{"subscriptions", func() any { return &stripe.Subscription{} }},
		{"invoices", func() any { return &stripe.Invoice{} }},
		{"charges", func() any { return &stripe.Charge{} }},
		{"refunds", func() any { return &stripe.Refund{} }},
		{"events", func() any { return &stripe.Event{} }},
	}
	for _, k := range kinds {
		n := 0
		for _, e := range s.st.cols[k.col].byID {
			raw := s.st.json(e)
			if k.col == "prices" {
				var err *apiError
				if raw, err = s.st.expand(raw, []string{"tiers"}, nil); err != nil {
					t.Fatal(err)
				}
			}
			obj := k.mk()
			if err := json.Unmarshal(raw, obj); err != nil {
				t.Fatalf("%s %s: stripe-go cannot decode: %v", k.col, e.id, err)
			}
			back, err := json.Marshal(obj)
			if err != nil {
				t.Fatalf("%s %s: re-encode: %v", k.col, e.id, err)
			}
			var a, b map[string]any
			json.Unmarshal(raw, &a)
			json.Unmarshal(back, &b)
			for _, p := range compareJSON(a, b, k.col, 0) {
				t.Errorf("%s %s: %s", k.col, e.id, p)
			}
			if n++; n >= 150 || t.Failed() {
				break
			}
		}
	}
}

// compareJSON reports fields of a that b lost or changed. An id string in
// a may come back as an object with that id (stripe-go's expandables).
func compareJSON(a, b map[string]any, path string, depth int) []string {
	var out []string
	for k, av := range a {
		bv, ok := b[k]
		p := path + "." + k
		if !ok {
			// stripe-go's ListMeta has no "object": nested lists lose "list"
			if av != nil && !(k == "object" && av == "list") {
				out = append(out, "lost field "+p)
			}
			continue
		}
		switch x := av.(type) {
		case nil:
		case string:
			if bs, ok := bv.(string); ok {
				if bs != x {
					out = append(out, fmt.Sprintf("%s: %q became %q", p, x, bs))
				}
			} else if bm, ok := bv.(map[string]any); ok {
				if bm["id"] != x {
					out = append(out, fmt.Sprintf("%s: id %q became %v", p, x, bm["id"]))
				}
			} else {
				out = append(out, fmt.Sprintf("%s: %q became %v", p, x, bv))
			}
		case float64, bool:
			if bv != av {
				out = append(out, fmt.Sprintf("%s: %v became %v", p, av, bv))
			}
		case map[string]any:
			if bm, ok := bv.(map[string]any); ok && depth < 4 {
				if k == "object" && path == "events.data" {
					continue
				}
				out = append(out, compareJSON(x, bm, p, depth+1)...)
			} else if !ok && k != "previous_attributes" {
				out = append(out, fmt.Sprintf("%s: object became %T", p, bv))
			}
		case []any:
			bl, ok := bv.([]any)
			if !ok || len(bl) != len(x) {
				out = append(out, fmt.Sprintf("%s: list of %d became %v", p, len(x), short(bv)))
				continue
			}
			for i := range x {
				am, ok1 := x[i].(map[string]any)
				bm, ok2 := bl[i].(map[string]any)
				if ok1 && ok2 && depth < 4 {
					out = append(out, compareJSON(am, bm, fmt.Sprintf("%s[%d]", p, i), depth+1)...)
				}
			}
		}
	}
	return out
}
