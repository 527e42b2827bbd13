package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"unicode/utf8"

	"billfold/backend"
)

// contentHash equals backend.ContentHash(raw) (SHA-256 of the JSON as
// encoding/json re-marshals it after decoding with UseNumber: keys sorted,
// the last of duplicate keys kept, numbers as written, strings escaped the
// way encoding/json escapes them, no insignificant space) without building
// a map per object: the store hashes every object it saves. Anything
// unusual falls back to backend.ContentHash itself.
func contentHash(raw []byte) (string, error) {
	c := canon{in: raw}
	c.space()
	out, ok := c.value(make([]byte, 0, len(raw)))
	if !ok {
		return backend.ContentHash(raw)
	}
	sum := sha256.Sum256(out)
	return hex.EncodeToString(sum[:]), nil
}

type canon struct {
	in  []byte
	pos int
}

func (c *canon) space() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *canon) value(out []byte) ([]byte, bool) {
	if c.pos >= len(c.in) {
		return nil, false
	}
	switch ch := c.in[c.pos]; {
	case ch == '{':
		return c.object(out)
	case ch == '[':
		return c.array(out)
	case ch == '"':
		s, ok := c.str()
		if !ok {
			return nil, false
		}
		return appendString(out, s)
	case ch == 't':
		return c.lit(out, "true")
	case ch == 'f':
		return c.lit(out, "false")
	case ch == 'n':
		return c.lit(out, "null")
	case ch == '-' || ch >= '0' && ch <= '9':
		return c.number(out)
	}
	return nil, false
}

func (c *canon) lit(out []byte, word string) ([]byte, bool) {
	if len(c.in)-c.pos < len(word) || string(c.in[c.pos:c.pos+len(word)]) != word {
		return nil, false
	}
	c.pos += len(word)
	return append(out, word...), true
}

// number copies a JSON number literal (validated by the JSON grammar).
func (c *canon) number(out []byte) ([]byte, bool) {
	start := c.pos
	i := c.pos
	if i < len(c.in) && c.in[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(c.in) && c.in[i] >= '0' && c.in[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(c.in) && c.in[i] == '0' {
		i++
	} else if digits() == 0 {
		return nil, false
	}
	if i < len(c.in) && c.in[i] == '.' {
		i++
		if digits() == 0 {
			return nil, false
		}
	}
	if i < len(c.in) && (c.in[i] == 'e' || c.in[i] == 'E') {
		i++
		if i < len(c.in) && (c.in[i] == '+' || c.in[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	c.pos = i
	return append(out, c.in[start:i]...), true
}

// str returns the raw literal of a string, quotes included.
func (c *canon) str() ([]byte, bool) {
	start := c.pos
	i := c.pos + 1
	for i < len(c.in) {
		switch c.in[i] {
		case '"':
			c.pos = i + 1
			return c.in[start:c.pos], true
		case '\\':
			i += 2
		default:
			i++
		}
	}
	return nil, false
}

// appendString writes a string literal as encoding/json would re-encode it.
// Plain literals (no escapes, only characters encoding/json leaves alone)
// are copied; others are decoded and re-marshalled.
func appendString(out, lit []byte) ([]byte, bool) {
	body := lit[1 : len(lit)-1]
	plain := true
	for i := 0; i < len(body); {
		b := body[i]
		if b < utf8.RuneSelf {
			if b < 0x20 || b == '\\' || b == '"' || b == '<' || b == '>' || b == '&' {
				plain = false
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			plain = false
			break
		}
		i += size
	}
	if plain {
		return append(out, lit...), true
	}
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return nil, false
	}
	enc, err := json.Marshal(s)
	if err != nil {
		return nil, false
	}
	return append(out, enc...), true
}

func (c *canon) array(out []byte) ([]byte, bool) {
	c.pos++ // [
	out = append(out, '[')
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == ']' {
		c.pos++
		return append(out, ']'), true
	}
	for n := 0; ; n++ {
		if n > 0 {
			out = append(out, ',')
		}
		c.space()
		var ok bool
		if out, ok = c.value(out); !ok {
			return nil, false
		}
		c.space()
		if c.pos >= len(c.in) {
			return nil, false
		}
		switch c.in[c.pos] {
		case ',':
			c.pos++
		case ']':
			c.pos++
			return append(out, ']'), true
		default:
			return nil, false
		}
	}
}

type member struct {
	key  string // decoded key, the sort order of encoding/json
	kenc []byte
	val  []byte
}

func (c *canon) object(out []byte) ([]byte, bool) {
	c.pos++ // {
	c.space()
	var ms []member
	if c.pos < len(c.in) && c.in[c.pos] == '}' {
		c.pos++
		return append(out, '{', '}'), true
	}
	for {
		c.space()
		if c.pos >= len(c.in) || c.in[c.pos] != '"' {
			return nil, false
		}
		lit, ok := c.str()
		if !ok {
			return nil, false
		}
		kenc, ok := appendString(nil, lit)
		if !ok {
			return nil, false
		}
		key := string(kenc[1 : len(kenc)-1])
		if len(kenc) != len(lit) || string(kenc) != string(lit) {
			// Escaped key: sort by its decoded value.
			var s string
			if json.Unmarshal(lit, &s) != nil {
				return nil, false
			}
			key = s
		}
		c.space()
		if c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return nil, false
		}
		c.pos++
		c.space()
		val, ok := c.value(nil)
		if !ok {
			return nil, false
		}
		ms = append(ms, member{key: key, kenc: kenc, val: val})
		c.space()
		if c.pos >= len(c.in) {
			return nil, false
		}
		if c.in[c.pos] == ',' {
			c.pos++
			continue
		}
		if c.in[c.pos] == '}' {
			c.pos++
			break
		}
		return nil, false
	}
	// Stable sort keeps duplicates in input order; the last one wins.
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].key < ms[j].key })
	out = append(out, '{')
	first := true
	for i, m := range ms {
		if i+1 < len(ms) && ms[i+1].key == m.key {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, m.kenc...)
		out = append(out, ':')
		out = append(out, m.val...)
	}
	return append(out, '}'), true
}
