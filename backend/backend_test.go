package backend

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestParseAPIKey(t *testing.T) {
	tests := []struct {
		in, wantErr string
	}{
		{"", "empty"},
		{" sk_test_abcdefghijklmnop1234", "spaces"},
		{"sk_test_abcdefghijklmnop1234\n", "spaces"},
		{"pk_test_abcdefghijklmnop1234", "publishable"},
		{"ak_test_abcdefghijklmnop1234", "does not look like"},
		{"sk_prod_abcdefghijklmnop1234", "does not look like"},
		{"sk_test_abc-def", "does not look like"},
		{"sk_test_abc", "truncated"},
		{"sk_test_abcdefghijklmnop1234", ""},
		{"rk_live_abcdefghijklmnop1234", ""},
	}
	for _, tt := range tests {
		k, err := ParseAPIKey(tt.in)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || ErrorCode(err) != EINVALID {
			t.Errorf("%q: err %v, want %q", tt.in, err, tt.wantErr)
		}
		if !k.IsZero() {
			t.Errorf("%q: a key came back with the error", tt.in)
		}
	}
}

func TestAPIKeyNeverPrints(t *testing.T) {
	secret := "sk_test_CANARY0123456789abcdefWXYZ"
	k, err := ParseAPIKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	if k.Mode() != ModeTest || k.Restricted() {
		t.Errorf("mode %s restricted %v", k.Mode(), k.Restricted())
	}
	if k.Masked() != "sk_test_…WXYZ" {
		t.Errorf("masked %q", k.Masked())
	}
	var b strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T %v"} {
		fmt.Fprintf(&b, verb+"\n", k)
	}
	fmt.Fprintln(&b, k, []APIKey{k}, map[string]APIKey{"k": k}, struct{ K APIKey }{k}, &k)
	js, _ := json.Marshal(struct{ K APIKey }{k})
	b.Write(js)
	slog.New(slog.NewJSONHandler(&b, nil)).Info("key", "k", k)
	slog.New(slog.NewTextHandler(&b, nil)).Info("key", "k", k)
	if strings.Contains(b.String(), "CANARY") {
		t.Fatalf("the key leaked:\n%s", b.String())
	}
	if k.Reveal() != secret {
		t.Error("Reveal lost the key")
	}
}

func TestRef(t *testing.T) {
	var v struct{ A, B, C Ref }
	if err := json.Unmarshal([]byte(`{"A":"cus_1","B":{"id":"cus_2","object":"customer"},"C":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.ID != "cus_1" || v.B.ID != "cus_2" || v.B.Object == nil || v.C.ID != "" {
		t.Errorf("got %+v", v)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"A":"cus_1","B":{"id":"cus_2","object":"customer"},"C":null}` {
		t.Errorf("round trip %s", out)
	}
}

func TestContentHash(t *testing.T) {
	a, err := ContentHash(json.RawMessage(`{"b": 1.10, "a": {"y": [1,2], "x": null}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ContentHash(json.RawMessage(`{"a":{"x":null,"y":[1,2]},"b":1.10}`))
	c, _ := ContentHash(json.RawMessage(`{"a":{"x":null,"y":[1,2]},"b":1.1}`))
	d, _ := ContentHash(json.RawMessage(`{"a":{"x":null,"y":[2,1]},"b":1.10}`))
	if a != b {
		t.Error("key order or spacing changed the hash")
	}
	if a == c || a == d {
		t.Error("different content, same hash")
	}
	if _, err := ContentHash(json.RawMessage(`{"a":`)); err == nil {
		t.Error("truncated JSON hashed")
	}
}

func TestErrorCodes(t *testing.T) {
	err := fmt.Errorf("list invoices: %w", &Error{Code: EFORBIDDEN, Message: "the key cannot read invoices", RequestID: "req_1"})
	if ErrorCode(err) != EFORBIDDEN || ErrorMessage(err) != "the key cannot read invoices (request req_1)" {
		t.Errorf("code %q message %q", ErrorCode(err), ErrorMessage(err))
	}
	if ErrorCode(fmt.Errorf("boom")) != EINTERNAL || ErrorCode(nil) != "" {
		t.Error("fallback codes")
	}
	if !IsZeroDecimal("JPY") || IsZeroDecimal("usd") {
		t.Error("zero-decimal")
	}
}
