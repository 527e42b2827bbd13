package sandbox

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The spec test validates every endpoint's answers against Stripe's own
// OpenAPI spec for 2023-10-16 (stripe-mock v0.183.0's embedded spec3.json).

const stripeMockModule = "github.com/stripe/stripe-mock@v0.183.0"

var (
	specOnce sync.Once
	specDoc  map[string]any
	specErr  error
)

func findSpec() (string, error) {
	if p := os.Getenv("BILLFOLD_STRIPE_SPEC"); p != "" {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			for _, c := range []string{filepath.Join(p, "embedded", "openapi", "spec3.json"), filepath.Join(p, "spec3.json")} {
				if _, err := os.Stat(c); err == nil {
					return c, nil
				}
			}
			return "", fmt.Errorf("BILLFOLD_STRIPE_SPEC=%s holds no spec3.json", p)
		}
		return p, nil
	}
	out, err := exec.Command("go", "mod", "download", "-json", stripeMockModule).Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %v", stripeMockModule, err)
	}
	var info struct{ Dir string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no Dir in %s", stripeMockModule, out)
	}
	return filepath.Join(info.Dir, "embedded", "openapi", "spec3.json"), nil
}

func loadSpec(t testing.TB) map[string]any {
	t.Helper()
	specOnce.Do(func() {
		p, err := findSpec()
		if err != nil {
			specErr = err
			return
		}
		b, err := os.ReadFile(p)
		if err != nil {
			specErr = err
			return
		}
		specErr = json.Unmarshal(b, &specDoc)
	})
	if specErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Stripe OpenAPI spec unavailable (set BILLFOLD_STRIPE_SPEC): %v", specErr)
		}
		t.Skipf("Stripe OpenAPI spec unavailable (set BILLFOLD_STRIPE_SPEC): %v", specErr)
	}
	return specDoc
}

// validator checks JSON values against the OpenAPI subset Stripe uses.
type validator struct {
	spec map[string]any
	errs []string
}

func (v *validator) resolve(s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		var cur any = v.spec
		for _, p := range parts {
			cur = cur.(map[string]any)[p]
		}
		s = cur.(map[string]any)
	}
}

func (v *validator) check(s map[string]any, val any, path string) bool {
	return v.validate(s, val, path, true)
}

// validate reports problems at path; with record false it only answers.
func (v *validator) validate(s map[string]any, val any, path string, record bool) bool {
	s = v.resolve(s)
	fail := func(format string, args ...any) bool {
		if record {
			v.errs = append(v.errs, path+": "+fmt.Sprintf(format, args...))
		}
		return false
	}
	if val == nil {
		if n, _ := s["nullable"].(bool); n {
			return true
		}
		if alts, ok := s["anyOf"].([]any); ok {
			for _, a := range alts {
				if n, _ := v.resolve(a.(map[string]any))["nullable"].(bool); n {
					return true
				}
			}
		}
		return fail("null where the spec does not allow it")
	}
	if alts, ok := s["anyOf"].([]any); ok {
		for _, a := range alts {
			if v.validate(a.(map[string]any), val, path, false) {
				return true
			}
		}
		if record { // report against the closest branch: the first with a matching type
			for _, a := range alts {
				as := v.resolve(a.(map[string]any))
				if typeMatches(as["type"], val) {
					return v.validate(as, val, path, true)
				}
			}
		}
		return fail("matches no anyOf branch: %s", short(val))
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if e == val {
				found = true
			}
		}
		if !found {
			return fail("value %v not in enum %v", val, enum)
		}
	}
	if t, ok := s["type"].(string); ok && !typeMatches(t, val) {
		return fail("want %s, got %s", t, short(val))
	}
	switch x := val.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := x[r]; !ok {
				ok2 := fail("missing required field %q", r)
				_ = ok2
				if !record {
					return false
				}
			}
		}
		ok := true
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, has := props[k]; has {
				if !v.validate(ps.(map[string]any), x[k], path+"."+k, record) {
					ok = false
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					ok = fail("unknown field %q", k) && ok
				}
			case map[string]any:
				if !v.validate(ap, x[k], path+"."+k, record) {
					ok = false
				}
			default:
				if props != nil {
					ok = fail("field %q is not in the spec", k) && ok
				}
			}
		}
		return ok && (record || len(missingRequired(s, x)) == 0)
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			all := true
			for i, el := range x {
				if !v.validate(items, el, fmt.Sprintf("%s[%d]", path, i), record) {
					all = false
				}
			}
			return all
		}
	}
	return true
}

func missingRequired(s map[string]any, x map[string]any) []string {
	var m []string
	for _, r := range asStrings(s["required"]) {
		if _, ok := x[r]; !ok {
			m = append(m, r)
		}
	}
	return m
}

func asStrings(v any) []string {
	var out []string
	if a, ok := v.([]any); ok {
		for _, x := range a {
			out = append(out, x.(string))
		}
	}
	return out
}

func typeMatches(t any, val any) bool {
	ts, _ := t.(string)
	switch ts {
	case "":
		return true
	case "string":
		_, ok := val.(string)
		return ok
	case "integer":
		f, ok := val.(float64)
		return ok && f == float64(int64(f))
	case "number":
		_, ok := val.(float64)
		return ok
	case "boolean":
		_, ok := val.(bool)
		return ok
	case "object":
		_, ok := val.(map[string]any)
		return ok
	case "array":
		_, ok := val.([]any)
		return ok
	}
	return false
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		b = append(b[:80], "..."...)
	}
	return string(b)
}

// opSchema finds the spec's response schema for a request.
func opSchema(spec map[string]any, method, path string, status int) (map[string]any, string) {
	paths := spec["paths"].(map[string]any)
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best string
	for tmpl := range paths {
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		ok := true
		exact := 0
		for i := range ts {
			if strings.HasPrefix(ts[i], "{") {
				continue
			}
			if ts[i] != segs[i] {
				ok = false
				break
			}
			exact++
		}
		if ok && (best == "" || exact > strings.Count(best, "/")-strings.Count(best, "{")) {
			best = tmpl
		}
	}
	if best == "" {
		return nil, ""
	}
	op, _ := paths[best].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return nil, best
	}
	code := "200"
	if status != 200 {
		code = "default"
	}
	resp := op["responses"].(map[string]any)[code].(map[string]any)
	return resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any), best
}

func TestSpecConformance(t *testing.T) {
	spec := loadSpec(t)
	d := genData(t, 150)
	ud := unpacked(t, d)
	s := newTestServer(t, d, Options{})
	v := &validator{spec: spec}
	checked := map[string]int{}
	validate := func(method, path string, r result) {
		t.Helper()
		u, _ := url.Parse(path)
		schema, tmpl := opSchema(spec, method, u.Path, r.status)
		if schema == nil {
			t.Fatalf("%s %s: no operation in the spec", method, u.Path)
		}
		var val any
		if err := json.Unmarshal(r.body, &val); err != nil {
			t.Fatalf("%s %s: bad JSON: %v", method, path, err)
		}
		before := len(v.errs)
		v.check(schema, val, method+" "+path)
		if len(v.errs) > before {
			t.Errorf("%s %s (%d) does not match the spec:\n  %s", method, path, r.status, strings.Join(v.errs[before:min(len(v.errs), before+8)], "\n  "))
		}
		checked[method+" "+tmpl+" "+fmt.Sprint(r.status)]++
	}
	get := func(path string) result {
		r := do(t, s, "GET", path, nil, nil)
		validate("GET", path, r)
		return r
	}
	// every list, all pages
	for _, res := range []string{"customers", "products", "prices", "coupons", "subscriptions?status=all", "invoices", "charges", "refunds", "events"} {
		path := "/v1/" + res
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		cursor := ""
		for {
			p := path + sep + "limit=100"
			if cursor != "" {
				p += "&starting_after=" + cursor
			}
			r := get(p)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", p, r.status, r.body)
			}
			m := r.json(t)
			got := ids(t, m)
			if len(got) == 0 || !m["has_more"].(bool) {
				break
			}
			cursor = got[len(got)-1]
		}
	}
	// retrieves of every kind, expansions, nested lists
	for _, c := range d.Customers[:5] {
		get("/v1/customers/" + c.ID)
	}
	for _, p := range d.Prices {
		get("/v1/prices/" + p.ID + "?expand[]=tiers&expand[]=product")
	}
	for _, p := range d.Products[:3] {
		get("/v1/products/" + p.ID)
	}
	get("/v1/coupons/" + d.Coupons[0].ID)
	for _, sub := range d.Subscriptions {
		if len(sub.Items.Data) > 10 {
			get("/v1/subscriptions/" + sub.ID + "?expand[]=latest_invoice&expand[]=customer")
			get("/v1/subscription_items?subscription=" + sub.ID + "&limit=3")
			get("/v1/subscription_items/" + sub.Items.Data[0].ID)
			break
		}
	}
	for _, in := range ud.Invoices {
		if len(in.Lines.Data) > 10 {
			get("/v1/invoices/" + in.ID + "?expand[]=charge&expand[]=subscription")
			get("/v1/invoices/" + in.ID + "/lines?limit=5")
			break
		}
	}
	get("/v1/invoices?limit=5&expand[]=data.customer&expand[]=data.subscription")
	get("/v1/subscriptions?limit=5&expand[]=data.customer&expand[]=data.latest_invoice")
	var refunded *Charge
	for _, ch := range ud.Charges {
		if ch.AmountRefunded > 0 {
			refunded = ch
		}
	}
	if refunded == nil {
		t.Fatal("no refunded charge generated")
	}
	get("/v1/charges/" + refunded.ID + "?expand[]=invoice")
	get("/v1/charges/" + refunded.ID + "/refunds")
	get("/v1/refunds?charge=" + refunded.ID)
	get("/v1/refunds/" + refunded.Refunds.Data[0].ID)
	get("/v1/events/" + ud.Events[len(ud.Events)-1].ID)
	get("/v1/events?types[]=invoice.paid&types[]=customer.subscription.updated")
	get("/v1/account")
	get("/v1/balance")
	// errors
	get("/v1/customers/cus_nope")
	get("/v1/customers?limit=0")
	get("/v1/customers?limit=101")
	get("/v1/customers?bogus=1")
	get("/v1/events?expand[]=data.customer")
	// A revoked key: the contract (and Stripe) answer type
	// authentication_error, which the 2023-10-16 spec's error.type enum does
	// not list. Exactly that one finding is allowed; anything else fails.
	{
		path := "/v1/customers"
		r := do(t, s, "GET", path, nil, map[string]string{"Authorization": "Bearer sk_test_revoked_123456"})
		if r.status != 401 {
			t.Fatalf("revoked key: %d %s", r.status, r.body)
		}
		e := r.json(t)["error"].(map[string]any)
		if e["type"] != "authentication_error" || e["code"] != "api_key_expired" || !strings.HasPrefix(e["message"].(string), "Expired API Key provided: sk_test_") {
			t.Errorf("revoked key error: %v", e)
		}
		schema, _ := opSchema(spec, "GET", path, r.status)
		var val any
		json.Unmarshal(r.body, &val)
		before := len(v.errs)
		v.check(schema, val, "GET "+path)
		var rest []string
		for _, msg := range v.errs[before:] {
			if !(strings.HasSuffix(msg, "value authentication_error not in enum [api_error card_error idempotency_error invalid_request_error]") && strings.Contains(msg, "error.type")) {
				rest = append(rest, msg)
			}
		}
		if len(v.errs)-before != 1 || len(rest) > 0 {
			t.Errorf("revoked key error: want exactly the documented enum deviation, got %q", v.errs[before:])
		}
		v.errs = v.errs[:before]
	}
	// writes
	var live *Subscription
	for _, sub := range d.Subscriptions {
		if sub.Status == "active" && !sub.CancelAtPeriodEnd && len(sub.Items.Data) == 1 {
			live = sub
		}
	}
	post := func(method, path string, form url.Values) result {
		r := do(t, s, method, path, form, nil)
		validate(method, path, r)
		return r
	}
	post("POST", "/v1/subscriptions/"+live.ID, url.Values{"cancel_at_period_end": {"true"}})
	post("POST", "/v1/subscriptions/"+live.ID, url.Values{"pause_collection[behavior]": {"void"}})
	post("POST", "/v1/subscriptions/"+live.ID, url.Values{"cancel_at_period_end": {"false"}, "pause_collection": {""}})
	post("POST", "/v1/subscriptions/"+live.ID, url.Values{"items[0][id]": {live.Items.Data[0].ID}, "items[0][quantity]": {"3"}})
	items := get("/v1/invoiceitems?customer=" + live.Customer + "&pending=true")
	if got := ids(t, items.json(t)); len(got) == 0 {
		t.Error("a quantity change made no pending proration items")
	} else {
		get("/v1/invoiceitems/" + got[0])
	}
	get("/v1/invoices/upcoming?subscription=" + live.ID)
	get("/v1/invoices/upcoming?customer=" + live.Customer + "&subscription=" + live.ID + "&subscription_items[0][id]=" + live.Items.Data[0].ID +
		"&subscription_items[0][quantity]=5&subscription_proration_date=" + fmt.Sprint(fixedNow.Unix()))
	get("/v1/invoices/upcoming?subscription=sub_nope")
	post("POST", "/v1/subscriptions/"+live.ID, url.Values{"items[0][id]": {live.Items.Data[0].ID}, "items[0][quantity]": {"4"}, "proration_behavior": {"always_invoice"}})
	post("DELETE", "/v1/subscriptions/"+live.ID, url.Values{})
	for _, sub := range d.Subscriptions {
		if sub.Status == "paused" {
			post("POST", "/v1/subscriptions/"+sub.ID+"/resume", url.Values{})
			break
		}
	}
	var paid *Charge
	for _, ch := range ud.Charges {
		if ch.Status == "succeeded" && ch.AmountRefunded == 0 && ch.Amount > 10 {
			paid = ch
		}
	}
	post("POST", "/v1/refunds", url.Values{"charge": {paid.ID}, "amount": {"5"}})
	post("POST", "/v1/refunds", url.Values{"charge": {paid.ID}, "amount": {"999999999"}})
	post("POST", "/v1/customers/"+d.Customers[3].ID, url.Values{"email": {"new@example.com"}, "metadata[tier]": {"gold"}})
	post("DELETE", "/v1/customers/"+d.Customers[4].ID, nil)
	get("/v1/customers/" + d.Customers[4].ID)
	get("/v1/events?limit=20")
	if len(checked) < 30 {
		t.Errorf("only %d operation/status pairs checked", len(checked))
	}
	t.Logf("checked %d operation/status pairs", len(checked))
}
