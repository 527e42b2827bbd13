package stripeapi

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// A small scanner over JSON that stripe-go's decoder has already validated.
// It finds top-level fields and their byte spans without building values, so
// a page's objects are kept exactly as Stripe sent them (no field is lost
// through a Go struct) and the hot path stays cheap.

var errBadJSON = errors.New("malformed JSON")

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, errBadJSON
		}
		i += j
		// escaped when preceded by an odd number of backslashes
		k := i - 1
		for k >= 0 && b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			return i + 1, nil
		}
		i++
	}
}

// wholeValue checks that b holds exactly one complete JSON object or array
// (balanced brackets, closed strings): what a cut-off body never is.
func wholeValue(b []byte) error {
	i := skipWS(b, 0)
	if i >= len(b) || (b[i] != '{' && b[i] != '[') {
		return fmt.Errorf("not a JSON document: %w", errBadJSON)
	}
	e, err := skipValue(b, i)
	if err != nil {
		return fmt.Errorf("the body was cut short: %w", err)
	}
	if skipWS(b, e) != len(b) {
		return fmt.Errorf("trailing data after the JSON document: %w", errBadJSON)
	}
	return nil
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errBadJSON
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				j, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = j
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errBadJSON
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i, nil
			}
			i++
		}
		return i, nil
	}
}

// eachField calls fn with every top-level key of the object in b and the
// span [vs, ve) of its value. fn returns false to stop.
func eachField(b []byte, fn func(key []byte, vs, ve int) bool) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errBadJSON
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return errBadJSON
		}
		ke, err := skipString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : ke-1]
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return errBadJSON
		}
		vs := skipWS(b, i+1)
		ve, err := skipValue(b, vs)
		if err != nil {
			return err
		}
		if !fn(key, vs, ve) {
			return nil
		}
		i = skipWS(b, ve)
		if i >= len(b) {
			return errBadJSON
		}
		if b[i] == '}' {
			return nil
		}
		if b[i] != ',' {
			return errBadJSON
		}
		i = skipWS(b, i+1)
	}
	return errBadJSON
}

// eachElem calls fn with the span of every element of the array in b.
func eachElem(b []byte, fn func(vs, ve int)) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return errBadJSON
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return nil
	}
	for i < len(b) {
		ve, err := skipValue(b, i)
		if err != nil {
			return err
		}
		fn(i, ve)
		i = skipWS(b, ve)
		if i >= len(b) {
			return errBadJSON
		}
		if b[i] == ']' {
			return nil
		}
		if b[i] != ',' {
			return errBadJSON
		}
		i = skipWS(b, i+1)
	}
	return errBadJSON
}

// rawList is a Stripe list envelope with its elements kept as raw JSON.
type rawList struct {
	Data    [][]byte
	HasMore bool
	// spans of "data" and "has_more" in the envelope, for rewriting
	dataSpan, moreSpan [2]int
}

func parseList(b []byte) (rawList, error) {
	var l rawList
	l.dataSpan = [2]int{-1, -1}
	l.moreSpan = [2]int{-1, -1}
	var ierr error
	err := eachField(b, func(key []byte, vs, ve int) bool {
		switch string(key) {
		case "data":
			l.dataSpan = [2]int{vs, ve}
			l.Data = make([][]byte, 0, 100)
			ierr = eachElem(b[vs:ve], func(s, e int) { l.Data = append(l.Data, b[vs+s:vs+e]) })
		case "has_more":
			l.moreSpan = [2]int{vs, ve}
			l.HasMore = string(b[vs:ve]) == "true"
		}
		return ierr == nil
	})
	if err == nil {
		err = ierr
	}
	if err == nil && l.dataSpan[0] < 0 {
		err = fmt.Errorf("list without data: %w", errBadJSON)
	}
	return l, err
}

// header is what Billfold reads of every object before storing its raw JSON.
type header struct {
	ID      string
	Object  string
	Created int64
	Deleted bool
	// nested list field ("lines", "items", "refunds") span, if present
	nested [2]int
}

func jsonString(b []byte) (string, error) {
	if len(b) < 2 || b[0] != '"' {
		return "", errBadJSON
	}
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	return strconv.Unquote(string(b))
}

func parseHeader(b []byte, nestedKey string) (header, error) {
	h := header{nested: [2]int{-1, -1}}
	var ferr error
	err := eachField(b, func(key []byte, vs, ve int) bool {
		v := b[vs:ve]
		switch string(key) {
		case "id":
			h.ID, ferr = jsonString(v)
		case "object":
			h.Object, ferr = jsonString(v)
		case "created":
			if string(v) != "null" {
				h.Created, ferr = strconv.ParseInt(string(v), 10, 64)
			}
		case "deleted":
			h.Deleted = string(v) == "true"
		default:
			if nestedKey != "" && string(key) == nestedKey && v[0] == '{' {
				h.nested = [2]int{vs, ve}
			}
		}
		return ferr == nil
	})
	if err == nil {
		err = ferr
	}
	if err == nil && h.ID == "" {
		err = fmt.Errorf("object without id: %w", errBadJSON)
	}
	return h, err
}

// splice returns b with [s, e) replaced by repl, in a new slice.
func splice(b []byte, s, e int, repl []byte) []byte {
	out := make([]byte, 0, len(b)-(e-s)+len(repl))
	out = append(out, b[:s]...)
	out = append(out, repl...)
	return append(out, b[e:]...)
}
