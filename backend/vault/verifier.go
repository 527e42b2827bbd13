package vault

import (
	"context"
	"net"
	"net/url"
	"regexp"
	"strings"

	"billfold/backend"
)

// Verifier asks Stripe who a key belongs to and what it may do. The stripeapi
// package implements it over stripe-go; vault never talks HTTP itself.
//
// Errors: a *backend.Error with EUNAUTHORIZED for a 401 (wrong or revoked
// key), EFORBIDDEN for a 403, EUNAVAILABLE when Stripe cannot be reached.
type Verifier interface {
	Verify(ctx context.Context, key backend.APIKey, apiBase string) (Verified, error)
}

// Verified is what Stripe said about a key.
type Verified struct {
	AccountID       string       // acct_...
	Name            string       // business display name; may be empty
	Mode            backend.Mode // test or live; empty: take the key's
	DefaultCurrency string       // lower-case ISO code
	// Permissions maps a resource (see Resources) to what the key may do.
	// For a secret (sk_) key nil means full access.
	Permissions map[string]Access
}

// Access is what a key may do with one resource.
type Access string

const (
	AccessNone  Access = "none"
	AccessRead  Access = "read"
	AccessWrite Access = "write"
)

// CanRead reports whether a allows reading.
func (a Access) CanRead() bool { return a == AccessRead || a == AccessWrite }

// Resources are the Stripe resources Billfold reads when it syncs, with
// Stripe's names for the permissions of restricted keys.
var resources = []string{"customers", "products", "prices", "coupons", "subscriptions", "invoices", "charges", "refunds", "events"}

// Resources returns the resources a sync reads (a copy).
func Resources() []string { return append([]string(nil), resources...) }

// StripeAPIBase is Stripe's own API base URL, the default.
const StripeAPIBase = "https://api.stripe.com"

var accountIDFormat = regexp.MustCompile(`^acct_[A-Za-z0-9]+$`)

// CheckAPIBase validates base for a key of mode and returns it normalized
// (no trailing slash; "" means Stripe's). A live key is refused for any base
// other than Stripe's; plain http is allowed only on loopback (the sandbox).
func CheckAPIBase(mode backend.Mode, base string) (string, error) {
	if base == "" {
		return StripeAPIBase, nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", backend.Errorf(backend.EINVALID, "the API base %q is not a valid URL: use https://api.stripe.com, or http://127.0.0.1:PORT for the sandbox", base)
	}
	norm := u.Scheme + "://" + u.Host + strings.TrimRight(u.Path, "/")
	isStripe := u.Scheme == "https" && (u.Host == "api.stripe.com" || u.Host == "api.stripe.com:443") && strings.Trim(u.Path, "/") == ""
	if isStripe {
		return StripeAPIBase, nil
	}
	if mode == backend.ModeLive {
		return "", backend.Errorf(backend.EINVALID, "a live key is only ever sent to Stripe (https://api.stripe.com), not to %s: use a test key with other API bases", norm)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", backend.Errorf(backend.EINVALID, "the API base %s uses plain http to a remote host, which would expose the key: use https, or http only on 127.0.0.1", norm)
	}
	return norm, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
