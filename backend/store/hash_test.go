package store

import (
	"testing"

	"billfold/backend"
)

var hashCases = []string{
	`{}`, `[]`, `{"a":1}`, ` { "b" : [1, 2.50, -0, 1e10, 1E-7, 0.0], "a": null, "c": true, "d": false } `,
	`{"z":{"y":{"x":[{"b":1,"a":2}]}},"a":""}`,
	`{"html":"<a href=\"x\">&amp;</a>","ctl":"line\nbreak\ttab\u0001\b\f\r","uni":"Zoë 🎉 \u00e9 \ud83c\udf89"}`,
	`{"sep":"a\u2028b\u2029c","raw":"a` + "\u2028" + `b"}`,
	`{"bad":"\ud800 lone","slash":"a\/b","back":"c\\d"}`,
	`{"dup":1,"dup":2,"a":0,"dup":3}`,
	`{"k\u0065y":1,"key2":2,"kex":3}`,
	`{"é":1,"e":2,"E":3,"_":4,"1":5}`,
	"{\"invalid\":\"\xff\xfe\"}",
	`{"n":123456789012345678901234567890,"f":3.14159265358979323846}`,
	`{"a":1} trailing`,
	`{"unterminated":`, `{"a" 1}`, `[1,]`, `{"a":01}`, `{"a":-}`, `nul`, `"str"`, `12`,
}

func TestContentHashEqualsBackend(t *testing.T) {
	for _, c := range hashCases {
		want, werr := backend.ContentHash([]byte(c))
		got, gerr := contentHash([]byte(c))
		if (werr == nil) != (gerr == nil) || got != want {
			t.Errorf("%q: got %s, %v; want %s, %v", c, got, gerr, want, werr)
		}
	}
	// Fixtures as the store sees them.
	for _, v := range []obj{customerJSON("cus_1", "Ann <&> Lee", "a@x.io", 1, obj{"metadata": obj{"z": "1", "a": "\u2028"}}),
		subscriptionJSON("sub_1", "cus_1", "active", 5, 3), invoiceJSON("in_1", "cus_1", "sub_1", 5, 4), chargeJSON("ch_1", "cus_1", "in_1", 5, 2)} {
		raw := mustJSON(t, v)
		want, _ := backend.ContentHash(raw)
		if got, _ := contentHash(raw); got != want {
			t.Errorf("fixture %s: hash differs", v["id"])
		}
	}
}

func FuzzContentHash(f *testing.F) {
	for _, c := range hashCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := backend.ContentHash(b)
		got, gerr := contentHash(b)
		if werr == nil && (gerr != nil || got != want) {
			t.Fatalf("%q: got %s, %v; want %s", b, got, gerr, want)
		}
	})
}
