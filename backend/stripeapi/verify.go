package stripeapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/form"

	"billfold/backend"
)

// KeyInfo is what Stripe says about a key: whose it is and what it may do.
type KeyInfo struct {
	AccountID       string       // acct_...; for a restricted key that cannot read /v1/account, AccountID's fallback
	Fallback        bool         // AccountID was derived from the key (see Client.AccountID)
	Name            string       // business display name; "" when unknown
	Mode            backend.Mode // the key's mode
	DefaultCurrency string       // lower-case ISO code; "" when unknown
	// Permissions maps each resource of ProbedResources to "none", "read"
	// or "write". nil for a secret (sk_) key: full access.
	Permissions map[string]string
}

// ProbedResources are the resources Inspect probes for a restricted key:
// the ones a sync reads (Stripe's permission names).
var ProbedResources = []string{"customers", "products", "prices", "coupons", "subscriptions", "invoices", "charges", "refunds", "events"}

// writeProbes are the write endpoints of Billfold's billing actions, each
// called so that it cannot succeed: an object id that does not exist, or no
// required parameter. Stripe checks a restricted key's permission before
// the request itself, so 403 means no write access and 400/404 means the
// key may write. Nothing changes either way.
var writeProbes = map[string]string{
	"customers":     "/v1/customers/cus_billfoldWriteProbe0",
	"subscriptions": "/v1/subscriptions/sub_billfoldWriteProbe0",
	"refunds":       "/v1/refunds",
}

// Inspect verifies the client's key with Stripe: /v1/account for the
// account id, name and default currency (a restricted key without access
// to it gets the same fallback id as Client.AccountID, which the sync
// uses), then, for a restricted key, one limit=1 list per resource (403:
// none) and a write probe without side effects for the resources Billfold
// writes. Errors are backend errors with Stripe's request id: EUNAUTHORIZED
// (401), EFORBIDDEN, EUNAVAILABLE.
func (c *Client) Inspect(ctx context.Context) (KeyInfo, error) {
	info := KeyInfo{Mode: c.key.Mode()}
	a, err := c.Account(ctx)
	switch {
	case err == nil:
		info.AccountID = a.ID
		info.DefaultCurrency = strings.ToLower(a.DefaultCurrency)
		info.Name = accountName(a.StripeAccount)
	case backend.ErrorCode(err) == backend.EFORBIDDEN && c.key.Restricted():
		id, _, fb, err := c.AccountID(ctx)
		if err != nil {
			return KeyInfo{}, fmt.Errorf("verify key: %w", err)
		}
		info.AccountID, info.Fallback = id, fb
	default:
		return KeyInfo{}, fmt.Errorf("verify key: %w", err)
	}
	if !c.key.Restricted() {
		return info, nil
	}
	perms, err := c.probe(ctx)
	if err != nil {
		return KeyInfo{}, fmt.Errorf("verify key: %w", err)
	}
	info.Permissions = perms
	return info, nil
}

func accountName(a backend.StripeAccount) string {
	if a.Settings != nil && a.Settings.Dashboard != nil && a.Settings.Dashboard.DisplayName != "" {
		return a.Settings.Dashboard.DisplayName
	}
	if a.BusinessProfile != nil && a.BusinessProfile.Name != "" {
		return a.BusinessProfile.Name
	}
	return ""
}

// probeResult is one probe's outcome.
type probeResult struct {
	res   string
	write bool
	ok    bool
	err   error
}

// judge sets r.ok from a probe's error: 403 is "not allowed", success (or,
// for a write probe, 400 and 404) is "allowed"; anything else is an error.
func (r probeResult) judge(err error) probeResult {
	switch code := backend.ErrorCode(err); {
	case err == nil:
		r.ok = true
	case code == backend.EFORBIDDEN:
	case r.write && (code == backend.EINVALID || code == backend.ENOTFOUND):
		r.ok = true
	default:
		r.err = err
	}
	return r
}

// probe finds what a restricted key may read and write, in parallel.
func (c *Client) probe(ctx context.Context) (map[string]string, error) {
	n := len(ProbedResources) + len(writeProbes)
	ch := make(chan probeResult, n)
	end := c.now().Unix() + 1
	for _, r := range ProbedResources {
		go func() {
			var err error
			if r == "events" {
				_, err = c.Events(ctx, 0, end, "", 1)
			} else {
				_, err = c.ListPage(ctx, backend.ObjectType(r), 0, end, "", 1)
			}
			ch <- probeResult{res: r}.judge(err)
		}()
	}
	for r, path := range writeProbes {
		go func() {
			ch <- probeResult{res: r, write: true}.judge(c.postProbe(ctx, "POST "+templ(path), path))
		}()
	}
	perms := map[string]string{}
	writes := map[string]bool{}
	var firstErr error
	for range n {
		r := <-ch
		switch {
		case r.err != nil:
			if firstErr == nil {
				firstErr = r.err
			}
		case r.write:
			writes[r.res] = r.ok
		case r.ok:
			perms[r.res] = "read"
		default:
			perms[r.res] = "none"
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	for r, ok := range writes {
		if ok {
			perms[r] = "write"
		}
	}
	return perms, nil
}

// templ is the rate-limit endpoint name of a probe path.
func templ(path string) string {
	seg := strings.Split(path, "/")
	if len(seg) == 4 {
		seg[3] = "{id}"
	}
	return strings.Join(seg, "/")
}

// postProbe sends one POST that cannot succeed (see writeProbes), under the
// limiter, with the retries of get for 429, 5xx and network failures. It
// returns the classified error (nil only if Stripe accepted it).
func (c *Client) postProbe(ctx context.Context, endpoint, path string) error {
	if e := c.dead.Load(); e != nil {
		return e
	}
	q := &form.Values{}
	q.Add("billfold_permission_probe", "1") // an unknown parameter: Stripe answers 400 after the permission check
	for attempt := 0; ; attempt++ {
		if err := c.lim.wait(ctx, endpoint); err != nil {
			return canceled(err)
		}
		info := &reqInfo{}
		var resp probeResp
		err := c.backend.CallRaw(http.MethodPost, path, c.key.Reveal(), q,
			&stripe.Params{Context: context.WithValue(ctx, infoKey{}, info)}, &resp)
		if err == nil {
			c.log.Warn("stripe accepted a write permission probe", "endpoint", endpoint, "request_id", resp.reqID)
			return nil
		}
		if ctx.Err() != nil {
			return canceled(ctx.Err())
		}
		f := c.classify(err, info, endpoint)
		if f.err.Code == backend.EFORBIDDEN {
			f.err.Message = fmt.Sprintf("the key %s may not write %s", c.key.Masked(), endpointName(endpoint))
		}
		if !f.retry || attempt >= c.opts.MaxRetries {
			if f.err.Code == backend.EUNAUTHORIZED {
				c.dead.CompareAndSwap(nil, f.err)
			}
			return f.err
		}
		c.retries.Add(1)
		if err := sleep(ctx, max(f.retryAfter, c.backoff(attempt))); err != nil {
			return canceled(err)
		}
	}
}

// probeResp receives a probe's answer (only its request id matters).
type probeResp struct{ reqID string }

func (r *probeResp) SetLastResponse(a *stripe.APIResponse) { r.reqID = a.RequestID }
func (r *probeResp) UnmarshalJSON([]byte) error            { return nil }

// MissingRead lists the resources perms does not allow reading (sorted).
func MissingRead(perms map[string]string) []string {
	var out []string
	for _, r := range ProbedResources {
		if p := perms[r]; perms != nil && p != "read" && p != "write" {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}
