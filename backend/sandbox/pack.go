package sandbox

import (
	"bytes"
	"encoding/binary"
	"strings"
	"sync"
	"unsafe"
)

// Packed JSON: how a business of 100,000 customers (1.8 million objects)
// fits in memory and still serves at memcpy speed.
//
// Most of an object's JSON is shared with other objects: the price
// objects embedded in every invoice line and subscription item, booleans,
// small amounts, currencies, a customer's id, email and address repeated
// on each of its invoices and charges, empty lists. The packer walks the
// compact JSON that encoding/json wrote and replaces each such member
// ("key":value plus its comma) by a reference into a dictionary shared by
// the whole store; what is unique (object ids, timestamps, URLs) stays
// inline. A reference is a 0x00 byte (never present in encoding/json
// output, which escapes control characters) followed by the chunk index as
// a uvarint. Unpacking copies literal runs and chunks: no parsing.
//
// Packing is a pure function of the JSON up to chunk numbering, so the
// unpacked bytes are the same whatever order objects were packed in (same
// seed, same bytes).

// dict holds the shared chunks. intern is safe for concurrent use; chunks
// only grow, and a chunk never changes once added.
type dict struct {
	mu     sync.Mutex
	idx    map[string]uint32 // nil after freeze; rebuilt on the next intern
	chunks []string
	marked []bool // chunk holds a selfMark or createdMark
	size   int64  // bytes in chunks
	// slabs: chunks and packed blobs are carved from 1 MiB blocks (no
	// size-class rounding, a few pointers for the GC instead of millions).
	slab   []byte
	blobMu sync.Mutex
	blobs  []byte
}

const slabSize = 1 << 20

// carve copies b into slab memory (refilling *slab when full).
func carve(slab *[]byte, b []byte) []byte {
	if len(b) > slabSize/8 {
		return append([]byte(nil), b...)
	}
	if cap(*slab)-len(*slab) < len(b) {
		*slab = make([]byte, 0, slabSize)
	}
	start := len(*slab)
	*slab = append(*slab, b...)
	return (*slab)[start:len(*slab):len(*slab)]
}

func newDict() *dict { return &dict{idx: make(map[string]uint32, 1<<16)} }

func (d *dict) intern(b []byte) uint32 {
	d.mu.Lock()
	if d.idx == nil {
		d.idx = make(map[string]uint32, len(d.chunks))
		for i, c := range d.chunks {
			d.idx[c] = uint32(i)
		}
	}
	i, ok := d.idx[string(b)]
	if !ok {
		c := carve(&d.slab, b)
		s := unsafe.String(unsafe.SliceData(c), len(c))
		i = uint32(len(d.chunks))
		d.chunks = append(d.chunks, s)
		d.marked = append(d.marked, strings.IndexByte(s, selfMark) >= 0 || strings.IndexByte(s, createdMark) >= 0)
		d.idx[s] = i
		d.size += int64(len(s))
	}
	d.mu.Unlock()
	return i
}

// freeze drops the lookup map (a third of the dictionary's memory) once
// bulk packing is done; a later intern (a write request) rebuilds it.
func (d *dict) freeze() {
	d.mu.Lock()
	d.idx = nil
	d.chunks = d.chunks[:len(d.chunks):len(d.chunks)]
	d.marked = d.marked[:len(d.marked):len(d.marked)]
	d.mu.Unlock()
}

// selfMark stands for the packed object's own id (its first member).
const selfMark = 0x01

// createdMark stands for the packed object's own created time (the first
// "created": member, kept literal): invoices repeat it in effective_at,
// period_start, status_transitions and line periods, events in their
// object.
const createdMark = 0x02

// pack returns the packed form of the compact JSON object js. It checks
// its work: should a self reference not round-trip (an object of an
// unusual shape), it packs without them.
func (d *dict) pack(js []byte) []byte {
	src := js
	if id := selfID(js); id != nil {
		head := 7 + len(id) // {"id":"ID
		rest := bytes.ReplaceAll(js[head:], id, []byte{selfMark})
		body := make([]byte, 0, len(js))
		body = append(append(body, js[:head]...), rest...)
		js = substCreated(body)
	}
	p := packer{d: d, out: make([]byte, 0, len(js)/2+32)}
	p.value(nil, js)
	if len(js) != len(src) || bytes.IndexByte(p.out, selfMark) >= 0 || p.hasMarks {
		if back := d.appendUnpacked(nil, p.out); !bytes.Equal(back, src) {
			p = packer{d: d, out: make([]byte, 0, len(src)/2+32), plain: true}
			p.value(nil, src)
		}
	}
	d.blobMu.Lock()
	out := carve(&d.blobs, p.out) // these live long
	d.blobMu.Unlock()
	return out
}

// createdOf finds the first "created":DIGITS in b: its digits.
func createdOf(b []byte) []byte {
	const key = `"created":`
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return nil
	}
	j := i + len(key)
	k := j
	for k < len(b) && b[k] >= '0' && b[k] <= '9' {
		k++
	}
	if k-j < 9 || k >= len(b) || (b[k] != ',' && b[k] != '}') {
		return nil
	}
	return b[j:k]
}

// substCreated replaces the created time where it is a whole number
// value after the first "created": member by createdMark.
func substCreated(b []byte) []byte {
	c := createdOf(b)
	if c == nil {
		return b
	}
	first := bytes.Index(b, []byte(`"created":`)) + len(`"created":`) + len(c)
	out := make([]byte, 0, len(b))
	out = append(out, b[:first]...)
	rest := b[first:]
	for {
		i := bytes.Index(rest, c)
		if i < 0 {
			return append(out, rest...)
		}
		end := i + len(c)
		whole := i > 0 && (rest[i-1] == ':' || rest[i-1] == '[' || rest[i-1] == ',') &&
			end < len(rest) && (rest[end] == ',' || rest[end] == '}' || rest[end] == ']')
		if whole {
			out = append(append(out, rest[:i]...), createdMark)
		} else {
			out = append(out, rest[:end]...)
		}
		rest = rest[end:]
	}
}

// selfID is the id of an object whose JSON starts with {"id":"...".
func selfID(js []byte) []byte {
	const pre = `{"id":"`
	if len(js) < len(pre)+4 || string(js[:len(pre)]) != pre {
		return nil
	}
	end := bytes.IndexByte(js[len(pre):], '"')
	if end < 4 {
		return nil
	}
	return js[len(pre) : len(pre)+end]
}

// appendUnpacked appends the JSON of packed p to dst: one pass over p,
// chunks copied whole unless they hold a mark (known at intern time).
func (d *dict) appendUnpacked(dst, p []byte) []byte {
	d.mu.Lock()
	chunks, marked := d.chunks, d.marked
	d.mu.Unlock()
	var id, created []byte
	if bytes.IndexByte(p, selfMark) >= 0 || bytes.IndexByte(p, createdMark) >= 0 || anyMarked(p, marked) {
		id, created = selfID(p), createdOf(p)
	}
	lit := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c > createdMark {
			continue
		}
		dst = append(dst, p[lit:i]...)
		switch c {
		case 0:
			n, w := binary.Uvarint(p[i+1:])
			ch := chunks[n]
			if marked[n] {
				dst = appendMarked(dst, ch, id, created)
			} else {
				dst = append(dst, ch...)
			}
			i += w
		case selfMark:
			dst = append(dst, id...)
		case createdMark:
			dst = append(dst, created...)
		}
		lit = i + 1
	}
	return append(dst, p[lit:]...)
}

// anyMarked reports whether p references a chunk holding a mark.
func anyMarked(p []byte, marked []bool) bool {
	for {
		i := bytes.IndexByte(p, 0)
		if i < 0 {
			return false
		}
		n, w := binary.Uvarint(p[i+1:])
		if marked[n] {
			return true
		}
		p = p[i+1+w:]
	}
}

func appendMarked(dst []byte, c string, id, created []byte) []byte {
	lit := 0
	for i := 0; i < len(c); i++ {
		switch c[i] {
		case selfMark:
			dst = append(append(dst, c[lit:i]...), id...)
			lit = i + 1
		case createdMark:
			dst = append(append(dst, c[lit:i]...), created...)
			lit = i + 1
		}
	}
	return append(dst, c[lit:]...)
}

// unpack returns the JSON of packed p.
func (d *dict) unpack(p []byte) []byte {
	if bytes.IndexByte(p, 0) < 0 && bytes.IndexByte(p, selfMark) < 0 && bytes.IndexByte(p, createdMark) < 0 {
		return p
	}
	return d.appendUnpacked(make([]byte, 0, len(p)*4), p)
}

type packer struct {
	d        *dict
	out      []byte
	plain    bool // share nothing (fallback)
	hasMarks bool
}

func (p *packer) ref(chunk []byte) {
	i := p.d.intern(chunk)
	p.out = append(p.out, 0)
	p.out = binary.AppendUvarint(p.out, uint64(i))
}

// value packs one JSON value (key is the member name it belongs to, for
// the sharing rule).
func (p *packer) value(key, v []byte) {
	if len(v) == 0 {
		return
	}
	switch v[0] {
	case '{':
		p.object(v)
	case '[':
		p.array(key, v)
	default:
		p.out = append(p.out, v...)
	}
}

func (p *packer) object(v []byte) {
	p.out = append(p.out, '{')
	i := 1
	for i < len(v) && v[i] != '}' {
		ks := i
		ke := skipString(v, i)
		vs := ke + 1 // after ':'
		ve := skipValue(v, vs)
		end := ve
		if end < len(v) && v[end] == ',' {
			end++
		}
		key := v[ks+1 : ke-1]
		val := v[vs:ve]
		if !p.plain && shareable(key, val) {
			p.ref(v[ks:end])
		} else {
			p.out = append(p.out, v[ks:vs]...)
			p.value(key, val)
			p.out = append(p.out, v[ve:end]...)
		}
		i = end
	}
	p.out = append(p.out, '}')
}

func (p *packer) array(key, v []byte) {
	p.out = append(p.out, '[')
	i := 1
	for i < len(v) && v[i] != ']' {
		e := skipValue(v, i)
		p.value(key, v[i:e])
		if e < len(v) && v[e] == ',' {
			p.out = append(p.out, ',')
			e++
		}
		i = e
	}
	p.out = append(p.out, ']')
}

// uniquePrefixes start ids that name one object only: never shared.
var uniquePrefixes = [][]byte{[]byte(`"in_`), []byte(`"il_`), []byte(`"ch_`), []byte(`"pi_`), []byte(`"txn_`),
	[]byte(`"re_`), []byte(`"evt_`), []byte(`"req_`), []byte(`"py_`), []byte(`"pyr_`), []byte(`"ii_`)}

func hasUnique(v []byte) bool {
	for _, u := range uniquePrefixes {
		if bytes.Contains(v, u) {
			return true
		}
	}
	return false
}

// longNumber reports a run of 9 or more digits (a timestamp).
func longNumber(v []byte) bool {
	run := 0
	for _, c := range v {
		if c >= '0' && c <= '9' {
			run++
			if run >= 9 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// shareable decides whether member key:val goes to the dictionary.
func shareable(key, val []byte) bool {
	switch val[0] {
	case 't', 'f', 'n':
		return true
	case '"':
		if len(val) > 128 || string(key) == "number" || string(key) == "id" {
			return false
		}
		if (bytes.HasPrefix(val, []byte(`"http`)) || bytes.HasPrefix(val, []byte(`"/v1/`))) && bytes.IndexByte(val, selfMark) < 0 {
			return false // a URL naming another object
		}
		return !hasUnique(val)
	case '{', '[':
		if len(val) <= 2 {
			return true
		}
		if len(val) > 8192 || hasUnique(val) {
			return false
		}
		switch string(key) {
		case "price", "plan", "coupon", "discount", "product":
			return true
		}
		return !longNumber(val)
	case createdMark:
		return true
	default: // numbers: small amounts repeat, timestamps do not
		return len(val) <= 8
	}
}

// skipString returns the index after the string starting at v[i] ('"').
func skipString(v []byte, i int) int {
	i++
	for i < len(v) {
		switch v[i] {
		case '\\':
			i += 2
			continue
		case '"':
			return i + 1
		}
		i++
	}
	return i
}

// skipValue returns the index after the value starting at v[i].
func skipValue(v []byte, i int) int {
	if i >= len(v) {
		return i
	}
	switch v[i] {
	case '"':
		return skipString(v, i)
	case '{', '[':
		depth := 0
		for i < len(v) {
			switch v[i] {
			case '"':
				i = skipString(v, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default:
		for i < len(v) && v[i] != ',' && v[i] != '}' && v[i] != ']' {
			i++
		}
		return i
	}
}
