package backend

import (
	"fmt"
	"regexp"
	"strings"
)

// APIKey is a Stripe secret or restricted key. Its String, GoString, Format
// and MarshalJSON never reveal it; only Reveal does, for the Authorization header.
type APIKey struct{ secret string }

var keyFormat = regexp.MustCompile(`^(sk|rk)_(test|live)_[A-Za-z0-9]+$`)

// ParseAPIKey checks the key's format locally. Surrounding whitespace is an
// error, not trimmed, so what is stored is exactly what was checked.
func ParseAPIKey(s string) (APIKey, error) {
	switch {
	case s == "":
		return APIKey{}, Errorf(EINVALID, "the API key is empty: paste a secret (sk_) or restricted (rk_) key from the Stripe Dashboard")
	case strings.TrimSpace(s) != s:
		return APIKey{}, Errorf(EINVALID, "the API key has spaces or line breaks around it: paste it again without them")
	case strings.HasPrefix(s, "pk_"):
		return APIKey{}, Errorf(EINVALID, "that is a publishable key (pk_), which cannot read billing data: use a secret (sk_) or restricted (rk_) key")
	case !keyFormat.MatchString(s):
		return APIKey{}, Errorf(EINVALID, "that does not look like a Stripe API key: expected sk_test_, sk_live_, rk_test_ or rk_live_ followed by letters and digits")
	case len(s) < 20:
		return APIKey{}, Errorf(EINVALID, "the API key looks truncated: copy the whole key from the Stripe Dashboard")
	}
	return APIKey{secret: s}, nil
}

// Reveal returns the key itself. Call it only to build a request header or
// to hand it to the keyring.
func (k APIKey) Reveal() string { return k.secret }

// IsZero reports whether no key is set.
func (k APIKey) IsZero() bool { return k.secret == "" }

// Mode is the key's mode from its prefix.
func (k APIKey) Mode() Mode {
	if strings.Contains(k.secret, "_live_") {
		return ModeLive
	}
	return ModeTest
}

// Restricted reports whether this is a restricted (rk_) key.
func (k APIKey) Restricted() bool { return strings.HasPrefix(k.secret, "rk_") }

// Masked is the only form that may be shown or stored: sk_test_…abcd.
func (k APIKey) Masked() string {
	if k.secret == "" {
		return ""
	}
	i := strings.Index(k.secret[3:], "_")
	prefix := k.secret[:3]
	if i >= 0 {
		prefix = k.secret[:3+i+1]
	}
	tail := ""
	if len(k.secret) >= len(prefix)+8 {
		tail = k.secret[len(k.secret)-4:]
	}
	return prefix + "…" + tail
}

func (k APIKey) String() string               { return k.Masked() }
func (k APIKey) GoString() string             { return "backend.APIKey(" + k.Masked() + ")" }
func (k APIKey) MarshalJSON() ([]byte, error) { return []byte(`"` + k.Masked() + `"`), nil }
func (k APIKey) MarshalText() ([]byte, error) { return []byte(k.Masked()), nil }

// Format makes every fmt verb print the masked form.
func (k APIKey) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(k.Masked())) }
