// Package stripeapi is Billfold's adapter to Stripe's API, and the only
// package that imports stripe-go (v76, API version 2023-10-16). It implements
// syncer.Source: lists by created range with nested lists completed, retrieve,
// events and the account, keeping every object's raw JSON exactly as Stripe
// sent it. It rate limits itself with a global and a per-endpoint token bucket
// sized from the key's mode, handles 429 itself (stripe-go does not retry a
// plain 429 nor read Retry-After), retries 5xx, network errors and truncated
// bodies with jittered exponential backoff, and maps failures to backend.Error
// codes carrying Stripe's request id.
package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/form"

	"billfold/backend"
)

// StripeBaseURL is Stripe's own API base, the only one a live key is sent to.
const StripeBaseURL = "https://api.stripe.com"

// Limits are requests per second. Zero fields take the defaults of the key's
// mode; Unlimited turns the limiter off (local sandbox, benchmarks).
type Limits struct {
	Global    float64
	Endpoint  float64
	Unlimited bool
}

// Stripe's documented limits (docs.stripe.com/rate-limits).
const (
	stripeLiveGlobal = 100
	stripeTestGlobal = 25
	stripeEndpoint   = 25
)

// DefaultLimits is 80% of Stripe's limits for the mode, or 40% when gentle:
// Billfold shares the account's limits with the merchant's own traffic.
func DefaultLimits(mode backend.Mode, gentle bool) Limits {
	share := 0.8
	if gentle {
		share = 0.4
	}
	global := float64(stripeTestGlobal)
	if mode == backend.ModeLive {
		global = stripeLiveGlobal
	}
	return Limits{Global: global * share, Endpoint: stripeEndpoint * share}
}

// Options configure a Client. Zero values take the defaults.
type Options struct {
	Key     backend.APIKey
	BaseURL string // default https://api.stripe.com
	// HTTPClient replaces the default client (Timeout per request, pooled
	// connections). Its Transport is wrapped to read status and headers.
	HTTPClient *http.Client
	Timeout    time.Duration // per request, default 30 s
	Limits     Limits
	Gentle     bool
	// MaxRetries bounds retries of one request (429, 409, 5xx, network,
	// truncated body); default 8, negative means none.
	MaxRetries  int
	BackoffBase time.Duration // default 250 ms
	BackoffCap  time.Duration // default 10 s
	// RetryAfterCap bounds how long a Retry-After header may pause (default 60 s).
	RetryAfterCap time.Duration
	Now           func() time.Time
	Logger        *slog.Logger
}

// Stats counts requests for progress reports.
type Stats struct {
	Requests    int64 // HTTP requests sent, retries included
	Retries     int64
	RateLimited int64 // 429 answers
}

// Client talks to Stripe (or the sandbox). Safe for concurrent use.
type Client struct {
	key     backend.APIKey
	base    string
	backend stripe.Backend
	lim     *limiter
	limits  Limits
	opts    Options
	now     func() time.Time
	log     *slog.Logger

	requests, retries, limited atomic.Int64
	latencyEWMA                atomic.Int64 // nanoseconds
	dead                       atomic.Pointer[backend.Error]
}

// New checks the options (a live key only to Stripe's own base URL) and
// builds a client. It sends no request.
func New(o Options) (*Client, error) {
	if o.Key.IsZero() {
		return nil, backend.Errorf(backend.EINVALID, "no API key: set BILLFOLD_API_KEY or add the account's key")
	}
	if o.BaseURL == "" {
		o.BaseURL = StripeBaseURL
	}
	base := strings.TrimRight(o.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, backend.Errorf(backend.EINVALID, "the API base URL %q is not a URL like https://api.stripe.com", o.BaseURL)
	}
	if o.Key.Mode() == backend.ModeLive && base != StripeBaseURL {
		return nil, backend.Errorf(backend.EINVALID, "refusing to send a live key (%s) to %s: live keys only go to %s; unset --api-base/BILLFOLD_API_BASE or use a test key", o.Key.Masked(), base, StripeBaseURL)
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 8
	} else if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 250 * time.Millisecond
	}
	if o.BackoffCap <= 0 {
		o.BackoffCap = 10 * time.Second
	}
	if o.RetryAfterCap <= 0 {
		o.RetryAfterCap = 60 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	lim := o.Limits
	if !lim.Unlimited {
		def := DefaultLimits(o.Key.Mode(), o.Gentle)
		if lim.Global <= 0 {
			lim.Global = def.Global
		}
		if lim.Endpoint <= 0 {
			lim.Endpoint = def.Endpoint
		}
	}
	hc := o.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = 128
		// Stripe answers a list when it is ready; a server silent for 15 s is
		// hung, and a GET is safe to send again
		tr.ResponseHeaderTimeout = min(o.Timeout, 15*time.Second)
		hc = &http.Client{Timeout: o.Timeout, Transport: tr}
	} else {
		cp := *hc
		hc = &cp
	}
	inner := hc.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	c := &Client{key: o.Key, base: base, limits: lim, opts: o, now: o.Now, log: o.Logger}
	hc.Transport = &captureTransport{inner: inner, c: c}
	if lim.Unlimited {
		c.lim = newLimiter(0, 0)
	} else {
		c.lim = newLimiter(lim.Global, lim.Endpoint)
	}
	// stripe-go's own retries are off (MaxNetworkRetries 0): its sleeps
	// ignore ctx and bypass the rate limiter, and it does not retry a plain
	// 429. All retries happen in Client.get, once, counted and bucketed.
	c.backend = stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
		URL:               stripe.String(base),
		HTTPClient:        hc,
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull}, // bodies may hold customer data
		EnableTelemetry:   stripe.Bool(false),
	})
	return c, nil
}

// Mode is the key's mode.
func (c *Client) Mode() backend.Mode { return c.key.Mode() }

// Limits returns the limits in force.
func (c *Client) Limits() Limits { return c.limits }

// Stats returns the request counters.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), Retries: c.retries.Load(), RateLimited: c.limited.Load()}
}

// RequestStats is Stats in the form the syncer reads (syncer.StatsSource).
func (c *Client) RequestStats() (requests, retries int64) {
	return c.requests.Load(), c.retries.Load()
}

// Concurrency is how many requests should be in flight to use the limits:
// rate x latency (observed, or 0.5 s before the first answer), at least 2.
func (c *Client) Concurrency() int {
	if c.limits.Unlimited {
		return 4*runtime.GOMAXPROCS(0) + 4
	}
	lat := time.Duration(c.latencyEWMA.Load())
	if lat <= 0 {
		lat = 500 * time.Millisecond
	}
	n := int(math.Ceil(c.limits.Global * lat.Seconds() * 1.2))
	return max(2, min(n, 96))
}

// reqInfo receives the status and headers of the last attempt from the
// transport, whatever stripe-go makes of the body.
type reqInfo struct {
	status int
	header http.Header
	netErr error // the transport's error, when there was no answer
}

type infoKey struct{}

type captureTransport struct {
	inner http.RoundTripper
	c     *Client
}

func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.c.requests.Add(1)
	start := time.Now()
	resp, err := t.inner.RoundTrip(req)
	info, ok := req.Context().Value(infoKey{}).(*reqInfo)
	if ok && resp != nil {
		info.status = resp.StatusCode
		info.header = resp.Header
	}
	if ok && err != nil {
		// stripe-go's streaming path dereferences the nil response of a
		// failed round trip; hand it an empty placeholder instead and keep
		// the real error for classify
		info.netErr = err
		return &http.Response{StatusCode: 599, Status: "599 no answer", Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	}
	if err == nil {
		d := int64(time.Since(start))
		old := t.c.latencyEWMA.Load()
		if old == 0 {
			t.c.latencyEWMA.Store(d)
		} else {
			t.c.latencyEWMA.Store(old + (d-old)/8)
		}
	}
	return resp, err
}

// rawResp keeps a buffered body as bytes (stripe-go validates it as JSON);
// used by the permission probes in verify.go.
type rawResp struct {
	body  []byte
	reqID string
}

func (r *rawResp) SetLastResponse(a *stripe.APIResponse) { r.body, r.reqID = a.RawJSON, a.RequestID }
func (r *rawResp) UnmarshalJSON([]byte) error            { return nil }

// streamResp receives the body unread: stripe-go's buffered path would run
// encoding/json over every page twice only to check it (a third of the
// engine's CPU); Client.get reads and checks it once with jsonscan.
type streamResp struct {
	body  io.ReadCloser
	reqID string
	size  int64
}

func (r *streamResp) SetLastResponse(a *stripe.StreamingAPIResponse) {
	r.body, r.reqID = a.Body, a.RequestID
	r.size = -1
	if cl := a.Header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil {
			r.size = n
		}
	}
}

// readBody reads the whole body (sized by Content-Length when known) and
// checks that it is one complete JSON value: a cut body is an error.
func readBody(r *streamResp) ([]byte, error) {
	defer r.body.Close()
	var b []byte
	var err error
	if r.size >= 0 && r.size < 1<<30 {
		b = make([]byte, r.size)
		_, err = io.ReadFull(r.body, b)
	} else {
		b, err = io.ReadAll(r.body)
	}
	if err != nil {
		return nil, err
	}
	if err := wholeValue(b); err != nil {
		return nil, err
	}
	return b, nil
}

// get performs GET path?q under endpoint's bucket, with retries. It returns
// the validated JSON body.
func (c *Client) get(ctx context.Context, endpoint, path string, q *form.Values) ([]byte, error) {
	if e := c.dead.Load(); e != nil {
		return nil, e
	}
	for attempt := 0; ; attempt++ {
		if err := c.lim.wait(ctx, endpoint); err != nil {
			return nil, canceled(err)
		}
		if e := c.dead.Load(); e != nil {
			return nil, e
		}
		info := &reqInfo{}
		var resp streamResp
		full := path
		if q != nil && !q.Empty() {
			full += "?" + q.Encode()
		}
		err := c.backend.CallStreaming(http.MethodGet, full, c.key.Reveal(),
			&stripe.Params{Context: context.WithValue(ctx, infoKey{}, info)}, &resp)
		if err == nil {
			body, rerr := readBody(&resp)
			if rerr == nil {
				return body, nil
			}
			err = rerr
		}
		if ctx.Err() != nil {
			return nil, canceled(ctx.Err())
		}
		f := c.classify(err, info, endpoint)
		if !f.retry || attempt >= c.opts.MaxRetries {
			if f.err.Code == backend.EUNAUTHORIZED {
				c.dead.CompareAndSwap(nil, f.err)
			}
			if f.retry {
				f.err.Message += fmt.Sprintf(" (after %d retries)", attempt)
			}
			return nil, f.err
		}
		wait := c.backoff(attempt)
		if f.retryAfter > 0 {
			wait = max(f.retryAfter, wait/4)
		}
		if f.status == http.StatusTooManyRequests {
			c.limited.Add(1)
			c.lim.slow(endpoint, f.reason, wait)
		}
		c.retries.Add(1)
		c.log.Debug("stripe request retry", "endpoint", endpoint, "status", f.status, "attempt", attempt+1, "wait", wait, "request_id", f.err.RequestID, "err", f.err.Message)
		if err := sleep(ctx, wait); err != nil {
			return nil, canceled(err)
		}
	}
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.BackoffBase << min(attempt, 20)
	if d > c.opts.BackoffCap || d <= 0 {
		d = c.opts.BackoffCap
	}
	// equal jitter: [d/2, d)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func canceled(err error) error {
	return &backend.Error{Code: backend.ECANCELED, Message: "cancelled", Err: err}
}

type failure struct {
	err        *backend.Error
	retry      bool
	status     int
	reason     string
	retryAfter time.Duration
}

// classify maps a failed attempt to a backend.Error and a retry decision.
func (c *Client) classify(err error, info *reqInfo, endpoint string) failure {
	if info.netErr != nil {
		err = info.netErr
		info.status, info.header = 0, nil
	}
	f := failure{status: info.status}
	hdr := info.header
	var se *stripe.Error
	msg, scode, param := "", "", ""
	if errors.As(err, &se) {
		f.status = se.HTTPStatusCode
		msg, scode, param = se.Msg, string(se.Code), se.Param
		f.err = &backend.Error{RequestID: se.RequestID}
		if se.LastResponse != nil && se.LastResponse.Header != nil {
			hdr = se.LastResponse.Header
		}
	} else {
		f.err = &backend.Error{}
	}
	if f.err.RequestID == "" && hdr != nil {
		f.err.RequestID = hdr.Get("Request-Id")
	}
	msg = c.scrub(msg)
	what := endpointName(endpoint)
	if hdr != nil {
		f.reason = hdr.Get("Stripe-Rate-Limited-Reason")
		if ra := hdr.Get("Retry-After"); ra != "" {
			if s, perr := strconv.ParseFloat(ra, 64); perr == nil && s >= 0 {
				f.retryAfter = min(time.Duration(s*float64(time.Second)), c.opts.RetryAfterCap)
			} else if t, perr := http.ParseTime(ra); perr == nil {
				f.retryAfter = min(max(time.Until(t), 0), c.opts.RetryAfterCap)
			}
		}
	}
	st := f.status
	switch {
	case se == nil && st == 0:
		// no answer: connection refused or reset, timeout
		f.retry = !isPermanentNetErr(err)
		f.err.Code = backend.EUNAVAILABLE
		f.err.Message = fmt.Sprintf("could not reach Stripe at %s while reading %s: %s; check the network and try again", c.base, what, netReason(err))
		f.err.Err = err
	case st == http.StatusUnauthorized:
		f.err.Code = backend.EUNAUTHORIZED
		f.err.Message = fmt.Sprintf("Stripe rejected the API key %s: it is wrong, expired or revoked; create a new key in the Stripe Dashboard and add it again", c.key.Masked())
		if msg != "" {
			f.err.Message += " (Stripe said: " + msg + ")"
		}
	case st == http.StatusForbidden:
		f.err.Code = backend.EFORBIDDEN
		f.err.Message = fmt.Sprintf("the key %s may not read %s: give it read access to %s in the Stripe Dashboard (Developers > API keys)", c.key.Masked(), what, what)
		if msg != "" {
			f.err.Message += " (Stripe said: " + msg + ")"
		}
	case st == http.StatusNotFound:
		f.err.Code = backend.ENOTFOUND
		f.err.Message = fmt.Sprintf("%s: not found", what)
		if msg != "" {
			f.err.Message = msg
		}
	case st == http.StatusTooManyRequests:
		f.retry = true
		f.err.Code = backend.ERATELIMIT
		f.err.Message = fmt.Sprintf("Stripe's rate limit stopped reading %s; try again in a minute or choose the gentle sync speed", what)
	case st == http.StatusConflict:
		f.retry = true
		f.err.Code = backend.ECONFLICT
		f.err.Message = fmt.Sprintf("Stripe reported a conflict reading %s: %s", what, msg)
	case st >= 500:
		f.retry = true
		f.err.Code = backend.EUNAVAILABLE
		f.err.Message = fmt.Sprintf("Stripe is unavailable (HTTP %d) reading %s; try again later", st, what)
		f.err.Err = err
	case st >= 200 && st < 300:
		// the body was cut or not JSON
		f.retry = true
		f.err.Code = backend.EUNAVAILABLE
		f.err.Message = fmt.Sprintf("Stripe's answer for %s was cut short or malformed; try again", what)
		f.err.Err = err
	case st == http.StatusBadRequest || st == http.StatusPaymentRequired:
		f.err.Code = backend.EINVALID
		f.err.Message = fmt.Sprintf("Stripe refused the request for %s: %s", what, msg)
		if param != "" {
			f.err.Message += " (parameter " + param + ")"
		}
		if scode == "resource_missing" {
			f.err.Code = backend.ENOTFOUND
		}
	default:
		f.err.Code = backend.EUNAVAILABLE
		f.err.Message = fmt.Sprintf("unexpected answer from Stripe (HTTP %d) reading %s: %s", st, what, msg)
		f.err.Err = err
	}
	return f
}

// scrub removes the full key from a message Stripe (or anything else) echoed.
func (c *Client) scrub(s string) string {
	if k := c.key.Reveal(); k != "" && strings.Contains(s, k) {
		s = strings.ReplaceAll(s, k, c.key.Masked())
	}
	return s
}

func isPermanentNetErr(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		m := ue.Error()
		if strings.Contains(m, "unsupported protocol scheme") || strings.Contains(m, "stopped after") || strings.Contains(m, "certificate") {
			return true
		}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return true
	}
	return false
}

func netReason(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "the request timed out"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "reset"), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the connection was reset"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "the host name did not resolve"
	}
	return "network error"
}

// endpointName is the user-facing name of an endpoint ("GET /v1/customers" -> "customers").
func endpointName(ep string) string {
	p := strings.TrimPrefix(ep, "GET /v1/")
	p = strings.ReplaceAll(p, "/{id}", "")
	p = strings.ReplaceAll(p, "_", " ")
	return p
}
