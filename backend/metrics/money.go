package metrics

import (
	"billfold/backend"
	"fmt"
	"math/big"
	"strings"
)

// roundHalfAway rounds r to the nearest integer, halves away from zero.
func roundHalfAway(r *big.Rat) int64 {
	num := new(big.Int).Abs(r.Num())
	den := r.Denom()
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	rem.Lsh(rem, 1)
	if rem.Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q.Int64()
}

// divRound returns a/b rounded half away from zero; b must not be 0.
func divRound(a, b int64) int64 {
	if b < 0 {
		a, b = -a, -b
	}
	neg := a < 0
	if neg {
		a = -a
	}
	q, r := a/b, a%b
	if 2*r >= b {
		q++
	}
	if neg {
		return -q
	}
	return q
}

// parseDecimal parses an exact decimal string ("33.3333333333") into a Rat.
func parseDecimal(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// Ratio is an exact ratio; nil means undefined (denominator 0). JSON and
// String show it as a percentage with 2 decimals ("28.57"), null when nil.
type Ratio struct{ R *big.Rat }

// NewRatio returns num/den, or an undefined Ratio when den is 0.
func NewRatio(num, den int64) Ratio {
	if den == 0 {
		return Ratio{}
	}
	return Ratio{R: big.NewRat(num, den)}
}

// Defined reports whether the ratio has a value.
func (p Ratio) Defined() bool { return p.R != nil }

// BasisPoints returns the ratio in hundredths of a percent, rounded half
// away from zero (28.57% -> 2857), and false when undefined.
func (p Ratio) BasisPoints() (int64, bool) {
	if p.R == nil {
		return 0, false
	}
	return roundHalfAway(new(big.Rat).Mul(p.R, big.NewRat(10000, 1))), true
}

// FormatPercent shows r as a percentage with 2 decimals, halves away from
// zero: 2/7 -> "28.57", -1/16 -> "-6.25". Undefined gives "n/a".
func FormatPercent(p Ratio) string {
	bp, ok := p.BasisPoints()
	if !ok {
		return "n/a"
	}
	sign := ""
	if bp < 0 {
		sign, bp = "-", -bp
	}
	frac := bp % 100
	s := sign + itoa(bp/100) + "."
	if frac < 10 {
		s += "0"
	}
	return s + itoa(frac)
}

func (p Ratio) String() string { return FormatPercent(p) }

// MarshalJSON writes the percentage as a JSON number with 2 decimals, or null.
func (p Ratio) MarshalJSON() ([]byte, error) {
	if p.R == nil {
		return []byte("null"), nil
	}
	return []byte(FormatPercent(p)), nil
}

func itoa(n int64) string {
	return new(big.Int).SetInt64(n).String()
}

func isZeroDecimal(c string) bool { return backend.IsZeroDecimal(c) }

func lower(s string) string { return strings.ToLower(s) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
