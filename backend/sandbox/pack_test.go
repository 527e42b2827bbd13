package sandbox

import (
	"bytes"
	"testing"
)

func TestPackRoundTrip(t *testing.T) {
	dc := newDict()
	cases := []string{
		`{"id":"in_abc123","object":"invoice","a":true,"b":null,"c":12,"d":1761918785,"url":"https://x.example/test_in_abc123","lines":{"object":"list","data":[{"id":"il_1","invoice":"in_abc123","price":{"id":"price_1","created":1663423203}},{"id":"il_2","invoice":"in_abc123"}],"has_more":false}}`,
		`{"id":"cus_1","name":"a \"quoted\" \\ name, with {braces} and [brackets]","metadata":{},"list":[],"nums":[1,2,3],"nested":[[1],[2,{"x":"in_zz"}]]}`,
		`{"deleted":true,"id":"cus_9","object":"customer"}`,
		`{"id":"evt_1","data":{"object":{"id":"ch_1","receipt_url":"https://pay.stripe.com/receipts/ch_1"}},"e":"\u0000\u0001"}`,
		`{}`,
	}
	for _, c := range cases {
		p := dc.pack([]byte(c))
		if got := dc.unpack(p); !bytes.Equal(got, []byte(c)) {
			t.Errorf("round trip:\n got %s\nwant %s", got, c)
		}
		// sharing: packing the same object twice gives the same blob
		if q := dc.pack([]byte(c)); !bytes.Equal(p, q) {
			t.Errorf("packing is not stable for %s", c)
		}
	}
	// shared members really go to the dictionary
	a := dc.pack([]byte(`{"id":"in_a","currency":"usd","amount_shipping":0,"paid":true}`))
	if len(a) > len(`{"id":"in_a",}`)+6 {
		t.Errorf("shared members inline: %q", a)
	}
	dc.freeze()
	if got := dc.unpack(dc.pack([]byte(`{"id":"x_1234","k":"new after freeze"}`))); string(got) != `{"id":"x_1234","k":"new after freeze"}` {
		t.Errorf("after freeze: %s", got)
	}
}
