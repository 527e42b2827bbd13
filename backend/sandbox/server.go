package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server. The zero value serves with no limits, no
// latency and no faults, with the wall clock.
type Options struct {
	// RPS enables Stripe's rate limits. 0: off. >0: the global limit in
	// requests per second. <0: Stripe's own global limit for Mode (25/s
	// test, 100/s live). Either way each endpoint (method + route template)
	// is also limited to EndpointRPS.
	RPS float64
	// EndpointRPS is the per-endpoint limit when limits are on (default 25).
	EndpointRPS float64
	// Mode "test" (default) or "live" picks the global limit when RPS < 0.
	Mode string
	// Latency delays every response.
	Latency time.Duration
	// FaultRate is the probability (0..1) that a request meets a fault.
	FaultRate float64
	// Faults lists the faults to draw from: 429, 500, reset, timeout,
	// truncate (default all).
	Faults []string
	// TimeoutDelay bounds a "timeout" fault: the server hangs until the
	// client gives up or this long (default 30s).
	TimeoutDelay time.Duration
	// Seed seeds fault injection and generated ids.
	Seed uint64
	// EventLag hides events made by write requests from /v1/events for
	// this long after they happen (eventual consistency).
	EventLag time.Duration
	// AllowLive accepts sk_live_/rk_live_ keys (refused by default: the
	// sandbox is test mode only).
	AllowLive bool
	// RestrictedKeys registers restricted keys and their grants, e.g.
	// {"rk_test_sync": {"customers:read", "invoices:read"}}. Grants are
	// RESOURCE:read or RESOURCE:write ("*" for every resource).
	RestrictedKeys map[string][]string
	// Now is the clock (default time.Now): event times and rate buckets.
	Now func() time.Time
	// Logger logs each request at debug level (nil: discard).
	Logger *slog.Logger
}

// Stats counts what a server did.
type Stats struct {
	Requests    int64 // requests received
	Faults      int64 // faults injected
	RateLimited int64 // 429s from the rate limiter
	Replayed    int64 // idempotent replays
}

// Server is the Stripe API emulator. It implements http.Handler and is
// safe for concurrent use.
type Server struct {
	opt   Options
	st    *store
	log   *slog.Logger
	stats struct{ requests, faults, limited, replayed atomic.Int64 }

	rngMu sync.Mutex
	rng   *rand.Rand
	reqN  atomic.Uint64

	limMu     sync.Mutex
	global    *bucket
	endpoints map[string]*bucket

	idemMu sync.Mutex
	idem   map[string]*idemRecord
}

// NewServer serves d. The server takes ownership of d: write requests
// change it, so WriteFixture after writes dumps the new state.
func NewServer(d *Data, opt Options) (*Server, error) {
	if d == nil {
		return nil, fmt.Errorf("sandbox: no data")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.EndpointRPS <= 0 {
		opt.EndpointRPS = 25
	}
	if opt.TimeoutDelay <= 0 {
		opt.TimeoutDelay = 30 * time.Second
	}
	if opt.Mode == "" {
		opt.Mode = "test"
	}
	if opt.Mode != "test" && opt.Mode != "live" {
		return nil, fmt.Errorf("sandbox: mode %q: want test or live", opt.Mode)
	}
	if opt.FaultRate < 0 || opt.FaultRate > 1 {
		return nil, fmt.Errorf("sandbox: fault rate %v: want 0..1", opt.FaultRate)
	}
	if len(opt.Faults) == 0 {
		opt.Faults = AllFaults
	}
	for _, f := range opt.Faults {
		if !validFault(f) {
			return nil, fmt.Errorf("sandbox: unknown fault %q (want %s)", f, strings.Join(AllFaults, ","))
		}
	}
	st, err := newStore(d)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Server{opt: opt, st: st, log: opt.Logger, rng: rand.New(rand.NewPCG(opt.Seed, 0xfa0175)),
		endpoints: map[string]*bucket{}, idem: map[string]*idemRecord{}}
	if opt.RPS != 0 {
		g := opt.RPS
		if g < 0 {
			g = 25
			if opt.Mode == "live" {
				g = 100
			}
		}
		s.global = &bucket{rate: g, tokens: g}
	}
	return s, nil
}

// AllFaults are the fault kinds of --faults.
var AllFaults = []string{"429", "500", "reset", "timeout", "truncate"}

func validFault(f string) bool {
	for _, a := range AllFaults {
		if a == f {
			return true
		}
	}
	return false
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.stats.requests.Load(), Faults: s.stats.faults.Load(),
		RateLimited: s.stats.limited.Load(), Replayed: s.stats.replayed.Load()}
}

// Data returns a copy of the served data, writes included, with every
// collection parsed into Go objects (for tests and dumps after serving; it
// parses every object, so it is slow for big businesses). On error (which
// would be a sandbox bug) it returns nil.
func (s *Server) Data() *Data {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	d, err := s.st.snapshot()
	if err != nil {
		s.log.Error("sandbox: snapshot", "err", err)
		return nil
	}
	return d
}

// apiError is Stripe's error body.
type apiError struct {
	status  int
	Type    string `json:"type"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
	DocURL  string `json:"doc_url,omitempty"`
	header  map[string]string
}

func (e *apiError) Error() string { return e.Message }

func invalid(param, format string, args ...any) *apiError {
	return &apiError{status: 400, Type: "invalid_request_error", Param: param, Message: fmt.Sprintf(format, args...)}
}

func missing(kind, id, param string) *apiError {
	return &apiError{status: 404, Type: "invalid_request_error", Code: "resource_missing", Param: param,
		Message: fmt.Sprintf("No such %s: '%s'", kind, id), DocURL: "https://stripe.com/docs/error-codes/resource-missing"}
}

func (e *apiError) body() []byte {
	b, _ := json.Marshal(map[string]*apiError{"error": e})
	return append(b, '\n')
}

// response is a computed answer before latency and faults.
type response struct {
	status int
	body   []byte
	header map[string]string
	fault  string // a fault that loses this response after processing
}

func (s *Server) newRequestID() string {
	n := s.reqN.Add(1)
	return "req_" + randID(s.opt.Seed^0x5e9e57, n, 14)
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.stats.requests.Add(1)
	reqID := s.newRequestID()
	h := w.Header()
	h.Set("Request-Id", reqID)
	h.Set("Stripe-Version", "2023-10-16")
	h.Set("Content-Type", "application/json")
	resp := s.handle(r, reqID)
	for k, v := range resp.header {
		h.Set(k, v)
	}
	s.log.Debug("sandbox request", "method", r.Method, "path", r.URL.Path, "status", resp.status, "request_id", reqID)
	if s.opt.Latency > 0 {
		t := time.NewTimer(s.opt.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if resp.fault != "" {
		s.lateFault(w, r, resp)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	w.Write(resp.body)
}

func (s *Server) handle(r *http.Request, reqID string) *response {
	key, aerr := s.authenticate(r)
	if aerr != nil {
		return errResp(aerr)
	}
	route, params, aerr := s.route(r)
	if aerr != nil {
		return errResp(aerr)
	}
	if aerr := s.permit(key, route); aerr != nil {
		return errResp(aerr)
	}
	if aerr := s.limit(route.endpoint); aerr != nil {
		return errResp(aerr)
	}
	fault := s.drawFault()
	switch fault {
	case "429":
		s.stats.faults.Add(1)
		e := rateLimitErr("global-concurrency")
		return errResp(e)
	case "500":
		s.stats.faults.Add(1)
		return errResp(&apiError{status: 500, Type: "api_error", Message: "An unknown error occurred while processing your request. (sandbox fault)"})
	}
	var resp *response
	if route.write {
		resp = s.idempotent(r, route, params, key, reqID)
	} else {
		resp = s.read(route, params, s.readable(key))
	}
	if fault != "" {
		s.stats.faults.Add(1)
		resp.fault = fault
	}
	return resp
}

func errResp(e *apiError) *response {
	return &response{status: e.status, body: e.body(), header: e.header}
}

func rateLimitErr(reason string) *apiError {
	return &apiError{status: 429, Type: "invalid_request_error", Code: "rate_limit",
		Message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
		DocURL:  "https://stripe.com/docs/error-codes/rate-limit",
		header:  map[string]string{"Stripe-Rate-Limited-Reason": reason, "Retry-After": "1"}}
}

// ---- auth ----

type apiKey struct {
	key        string
	restricted bool
	grants     map[string]string // resource -> "read"|"write"; nil = everything
}

func (s *Server) authenticate(r *http.Request) (*apiKey, *apiError) {
	authz := r.Header.Get("Authorization")
	var key string
	switch {
	case strings.HasPrefix(authz, "Bearer "):
		key = strings.TrimSpace(authz[len("Bearer "):])
	case strings.HasPrefix(authz, "Basic "):
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(authz[len("Basic "):]))
		if err == nil {
			key, _, _ = strings.Cut(string(b), ":")
		}
	}
	unauth := func(code, msg string) *apiError {
		return &apiError{status: 401, Type: "invalid_request_error", Code: code, Message: msg,
			header: map[string]string{"WWW-Authenticate": `Basic realm="Stripe"`}}
	}
	// A revoked key is an authentication_error (design/contract.md), as
	// Stripe answers; the 2023-10-16 OpenAPI enum for error.type lacks the
	// value, and the spec conformance test allows exactly this deviation.
	authErr := func(code, msg string) *apiError {
		e := unauth(code, msg)
		e.Type = "authentication_error"
		return e
	}
	if key == "" {
		return nil, unauth("", "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
	}
	masked := maskKey(key)
	var mode string
	restricted := false
	switch {
	case strings.HasPrefix(key, "sk_test_"):
		mode = "test"
	case strings.HasPrefix(key, "rk_test_"):
		mode, restricted = "test", true
	case strings.HasPrefix(key, "sk_live_"):
		mode = "live"
	case strings.HasPrefix(key, "rk_live_"):
		mode, restricted = "live", true
	default:
		return nil, unauth("", "Invalid API Key provided: "+masked)
	}
	if len(key) < 12 {
		return nil, unauth("", "Invalid API Key provided: "+masked)
	}
	if strings.Contains(key, "revoked") {
		return nil, authErr("api_key_expired", "Expired API Key provided: "+masked+".")
	}
	if mode == "live" && !s.opt.AllowLive {
		return nil, unauth("", "This sandbox serves test mode only; live keys are refused: "+masked)
	}
	k := &apiKey{key: key, restricted: restricted}
	if restricted {
		k.grants = s.grantsFor(key)
	}
	return k, nil
}

func maskKey(k string) string {
	if len(k) <= 12 {
		return strings.Repeat("*", len(k))
	}
	return k[:8] + strings.Repeat("*", 8) + k[len(k)-4:]
}

// grantsFor reads a restricted key's grants: registered in
// Options.RestrictedKeys, or encoded in the key as trailing
// "_RESOURCE-read" / "_RESOURCE-write" tokens. nil means unrestricted.
func (s *Server) grantsFor(key string) map[string]string {
	if list, ok := s.opt.RestrictedKeys[key]; ok {
		g := map[string]string{}
		for _, gr := range list {
			res, lvl, _ := strings.Cut(gr, ":")
			setGrant(g, res, lvl)
		}
		return g
	}
	var g map[string]string
	for _, tok := range strings.Split(key, "_")[2:] {
		res, lvl, ok := strings.Cut(tok, "-")
		if !ok || (lvl != "read" && lvl != "write") {
			continue
		}
		if g == nil {
			g = map[string]string{}
		}
		setGrant(g, res, lvl)
	}
	return g
}

func setGrant(g map[string]string, res, lvl string) {
	if g[res] == "write" {
		return
	}
	g[res] = lvl
}

// allowFunc says whether the request's key may read a resource (nil:
// everything).
type allowFunc func(resource string) *apiError

// readable is the read check applied to expanded objects.
func (s *Server) readable(k *apiKey) allowFunc {
	if !k.restricted || k.grants == nil {
		return nil
	}
	return func(res string) *apiError { return s.permitResource(k, res, false) }
}

func (s *Server) permit(k *apiKey, rt *route) *apiError {
	return s.permitResource(k, rt.resource, rt.write)
}

func (s *Server) permitResource(k *apiKey, resource string, write bool) *apiError {
	if !k.restricted || k.grants == nil {
		return nil
	}
	need := "read"
	if write {
		need = "write"
	}
	for _, res := range []string{resource, "*", "all"} {
		lvl, ok := k.grants[res]
		if ok && (lvl == "write" || need == "read") {
			return nil
		}
	}
	return &apiError{status: 403, Type: "invalid_request_error",
		Message: fmt.Sprintf("The provided key '%s' does not have the required permissions for this endpoint on account '%s'. Having the '%s_%s' permission would allow this request to continue.",
			maskKey(k.key), s.st.acct.ID, resource, need)}
}

// ---- rate limits ----

type bucket struct {
	rate   float64
	tokens float64
	last   time.Time
}

func (b *bucket) take(now time.Time) bool {
	if !b.last.IsZero() {
		b.tokens += now.Sub(b.last).Seconds() * b.rate
		if b.tokens > b.rate {
			b.tokens = b.rate
		}
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

func (s *Server) limit(endpoint string) *apiError {
	if s.global == nil {
		return nil
	}
	s.limMu.Lock()
	defer s.limMu.Unlock()
	now := s.opt.Now()
	eb := s.endpoints[endpoint]
	if eb == nil {
		eb = &bucket{rate: s.opt.EndpointRPS, tokens: s.opt.EndpointRPS}
		s.endpoints[endpoint] = eb
	}
	// Refill both before deciding, and spend only when both allow.
	gOK := s.global.take(now)
	eOK := eb.take(now)
	switch {
	case gOK && eOK:
		return nil
	case !gOK && eOK:
		eb.tokens++
		s.stats.limited.Add(1)
		return rateLimitErr("global-rate")
	case gOK && !eOK:
		s.global.tokens++
		s.stats.limited.Add(1)
		return rateLimitErr("endpoint-rate")
	default:
		s.stats.limited.Add(1)
		return rateLimitErr("global-rate")
	}
}

// ---- faults ----

func (s *Server) drawFault() string {
	if s.opt.FaultRate <= 0 {
		return ""
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	if s.rng.Float64() >= s.opt.FaultRate {
		return ""
	}
	return s.opt.Faults[s.rng.IntN(len(s.opt.Faults))]
}

// lateFault loses a computed response: the request was processed (a
// write happened) but the client does not get the answer.
func (s *Server) lateFault(w http.ResponseWriter, r *http.Request, resp *response) {
	switch resp.fault {
	case "timeout":
		t := time.NewTimer(s.opt.TimeoutDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		panic(http.ErrAbortHandler)
	case "truncate":
		w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
		w.WriteHeader(resp.status)
		w.Write(resp.body[:len(resp.body)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	default: // reset
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
}

// ---- routing ----

type route struct {
	endpoint string // method + template, the rate-limit key
	resource string // permission resource
	kind     string // handler name
	id       string
	write    bool
	items    bool // /v1/subscription_items
	method   string
	path     string
}

var listResources = map[string]bool{"customers": true, "products": true, "prices": true, "coupons": true,
	"subscriptions": true, "invoices": true, "charges": true, "refunds": true, "events": true, "invoiceitems": true}

func (s *Server) route(r *http.Request) (*route, url.Values, *apiError) {
	p := r.URL.Path
	seg := strings.Split(strings.Trim(p, "/"), "/")
	rt := &route{method: r.Method, path: p}
	unknown := &apiError{status: 404, Type: "invalid_request_error",
		Message: fmt.Sprintf("Unrecognized request URL (%s: %s). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", r.Method, p)}
	if len(seg) < 2 || seg[0] != "v1" {
		return nil, nil, unknown
	}
	res := seg[1]
	rt.resource = res
	if res == "subscription_items" {
		rt.resource, rt.items = "subscriptions", true
	}
	switch r.Method {
	case http.MethodGet:
		switch {
		case len(seg) == 2 && (res == "account" || res == "balance"):
			rt.kind, rt.endpoint = res, "GET /v1/"+res
		case len(seg) == 2 && (listResources[res] || res == "subscription_items"):
			rt.kind, rt.endpoint = "list", "GET /v1/"+res
		case len(seg) == 3 && res == "invoices" && seg[2] == "upcoming":
			rt.kind, rt.endpoint = "upcoming", "GET /v1/invoices/upcoming"
		case len(seg) == 3 && (listResources[res] || res == "subscription_items"):
			rt.kind, rt.id, rt.endpoint = "retrieve", seg[2], "GET /v1/"+res+"/{id}"
		case len(seg) == 4 && res == "invoices" && seg[3] == "lines":
			rt.kind, rt.id, rt.endpoint = "lines", seg[2], "GET /v1/invoices/{invoice}/lines"
		case len(seg) == 4 && res == "charges" && seg[3] == "refunds":
			rt.kind, rt.id, rt.endpoint = "charge_refunds", seg[2], "GET /v1/charges/{charge}/refunds"
		default:
			return nil, nil, unknown
		}
	case http.MethodPost, http.MethodDelete:
		rt.write = true
		post := r.Method == http.MethodPost
		switch {
		case post && len(seg) == 3 && res == "subscriptions":
			rt.kind, rt.id = "update_subscription", seg[2]
		case !post && len(seg) == 3 && res == "subscriptions":
			rt.kind, rt.id = "cancel_subscription", seg[2]
		case post && len(seg) == 4 && res == "subscriptions" && seg[3] == "resume":
			rt.kind, rt.id = "resume_subscription", seg[2]
		case post && len(seg) == 2 && res == "refunds":
			rt.kind = "create_refund"
		case post && len(seg) == 3 && res == "customers":
			rt.kind, rt.id = "update_customer", seg[2]
		case !post && len(seg) == 3 && res == "customers":
			rt.kind, rt.id = "delete_customer", seg[2]
		default:
			return nil, nil, unknown
		}
		tmpl := "/v1/" + res
		if len(seg) >= 3 {
			tmpl += "/{id}"
		}
		if len(seg) == 4 {
			tmpl += "/" + seg[3]
		}
		rt.endpoint = r.Method + " " + tmpl
	default:
		return nil, nil, unknown
	}
	params, err := readParams(r)
	if err != nil {
		return nil, nil, invalid("", "Invalid request: %v", err)
	}
	return rt, params, nil
}

func readParams(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	if r.Method != http.MethodGet && r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(b)) > 0 {
			ct := r.Header.Get("Content-Type")
			if ct != "" && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
				return nil, fmt.Errorf("the body must be form-encoded (application/x-www-form-urlencoded), not %s", ct)
			}
			body, err := url.ParseQuery(string(b))
			if err != nil {
				return nil, err
			}
			for k, v := range body {
				q[k] = append(q[k], v...)
			}
		}
	}
	return q, nil
}

// base is a parameter's name without brackets: created[gte] -> created.
func base(k string) string {
	if i := strings.IndexByte(k, '['); i > 0 {
		return k[:i]
	}
	return k
}

// arrayParam collects name[]=a, name[0]=b and name=a.
func arrayParam(q url.Values, name string) []string {
	var out []string
	keys := make([]string, 0)
	for k := range q {
		if base(k) == name {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, q[k]...)
	}
	return out
}

func checkParams(q url.Values, allowed ...string) *apiError {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b := base(k)
		ok := false
		for _, a := range allowed {
			if a == b {
				ok = true
				break
			}
		}
		if !ok {
			return invalid(k, "Received unknown parameter: %s", k)
		}
	}
	return nil
}

// ---- reads ----

type listQuery struct {
	limit         int
	startingAfter string
	endingBefore  string
	gt, lt        int64 // exclusive created bounds (gt: created > gt; lt: created < lt)
	hasGT, hasLT  bool
	expand        []string
}

func parseList(q url.Values) (*listQuery, *apiError) {
	lq := &listQuery{limit: 10}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, invalid("limit", "Invalid integer: %s", v)
		}
		if n < 1 || n > 100 {
			return nil, invalid("limit", "Invalid limit %d: must be between 1 and 100.", n)
		}
		lq.limit = n
	}
	lq.startingAfter = q.Get("starting_after")
	lq.endingBefore = q.Get("ending_before")
	if lq.startingAfter != "" && lq.endingBefore != "" {
		return nil, invalid("ending_before", "You may only specify one of these parameters: ending_before, starting_after.")
	}
	for k, vs := range q {
		if base(k) != "created" {
			continue
		}
		op := strings.TrimSuffix(strings.TrimPrefix(k, "created["), "]")
		if k == "created" {
			op = "eq"
		}
		n, err := strconv.ParseInt(vs[0], 10, 64)
		if err != nil {
			return nil, invalid(k, "Invalid integer: %s", vs[0])
		}
		gt := func(v int64) {
			if !lq.hasGT || v > lq.gt {
				lq.gt, lq.hasGT = v, true
			}
		}
		lt := func(v int64) {
			if !lq.hasLT || v < lq.lt {
				lq.lt, lq.hasLT = v, true
			}
		}
		switch op {
		case "gt":
			gt(n)
		case "gte":
			gt(n - 1)
		case "lt":
			lt(n)
		case "lte":
			lt(n + 1)
		case "eq":
			gt(n - 1)
			lt(n + 1)
		default:
			return nil, invalid(k, "Received unknown parameter: %s", k)
		}
	}
	lq.expand = arrayParam(q, "expand")
	return lq, nil
}

func (lq *listQuery) inRange(e *entry) bool {
	return (!lq.hasGT || e.created > lq.gt) && (!lq.hasLT || e.created < lq.lt)
}

// page walks a sorted collection like Stripe: newest first, cursors by id.
func (c *collection) page(lq *listQuery, match func(*entry) bool, kind string) ([]*entry, bool, *apiError) {
	all := c.sorted
	ok := func(e *entry) bool { return lq.inRange(e) && (match == nil || match(e)) }
	// lower index bound from created < lt
	lo := 0
	if lq.hasLT {
		lo = sort.Search(len(all), func(i int) bool { return all[i].created < lq.lt })
	}
	hi := len(all) // exclusive upper index bound from created > gt
	if lq.hasGT {
		hi = sort.Search(len(all), func(i int) bool { return all[i].created <= lq.gt })
	}
	var out []*entry
	if lq.endingBefore != "" {
		cur := c.byID[lq.endingBefore]
		if cur == nil || cur.deleted {
			return nil, false, missingCursor(kind, lq.endingBefore, "ending_before")
		}
		end := c.pos(cur)
		if end > hi {
			end = hi
		}
		i := end - 1
		for ; i >= lo && len(out) < lq.limit; i-- {
			if ok(all[i]) {
				out = append(out, all[i])
			}
		}
		more := false
		for ; i >= lo; i-- {
			if ok(all[i]) {
				more = true
				break
			}
		}
		for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
		return out, more, nil
	}
	start := lo
	if lq.startingAfter != "" {
		cur := c.byID[lq.startingAfter]
		if cur == nil || cur.deleted {
			return nil, false, missingCursor(kind, lq.startingAfter, "starting_after")
		}
		if p := c.pos(cur) + 1; p > start {
			start = p
		}
	}
	i := start
	for ; i < hi && len(out) < lq.limit; i++ {
		if ok(all[i]) {
			out = append(out, all[i])
		}
	}
	more := false
	for ; i < hi; i++ {
		if ok(all[i]) {
			more = true
			break
		}
	}
	return out, more, nil
}

func missingCursor(kind, id, param string) *apiError {
	e := missing(kind, id, param)
	e.status = 400
	return e
}

var singular = map[string]string{"customers": "customer", "products": "product", "prices": "price",
	"coupons": "coupon", "subscriptions": "subscription", "invoices": "invoice", "charges": "charge",
	"refunds": "refund", "events": "event", "subscription_items": "subscription_item", "invoiceitems": "invoiceitem"}

var listParams = map[string][]string{
	"customers":     {"email", "test_clock"},
	"products":      {"active", "ids", "shippable", "url"},
	"prices":        {"active", "currency", "product", "type", "lookup_keys", "recurring"},
	"coupons":       {},
	"subscriptions": {"customer", "price", "status", "collection_method", "current_period_end", "current_period_start", "test_clock", "automatic_tax"},
	"invoices":      {"customer", "subscription", "status", "collection_method", "due_date"},
	"charges":       {"customer", "payment_intent", "transfer_group"},
	"refunds":       {"charge", "payment_intent"},
	"events":        {"type", "types", "delivery_success"},
	"invoiceitems":  {"customer", "invoice", "pending"},
}

var subStatuses = map[string]bool{"active": true, "all": true, "canceled": true, "ended": true, "incomplete": true,
	"incomplete_expired": true, "past_due": true, "paused": true, "trialing": true, "unpaid": true}

func (s *Server) read(rt *route, q url.Values, allow allowFunc) *response {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	var (
		body []byte
		err  *apiError
	)
	switch rt.kind {
	case "account":
		if err = checkParams(q, "expand"); err == nil {
			body = s.st.account
		}
	case "balance":
		if err = checkParams(q, "expand"); err == nil {
			body = s.st.balance
		}
	case "list":
		if rt.items {
			body, err = s.listItems(q, allow)
		} else {
			body, err = s.list(rt.resource, rt.path, q, allow)
		}
	case "retrieve":
		body, err = s.retrieve(rt, q, allow)
	case "upcoming":
		body, err = s.upcoming(q)
		if err == nil && len(arrayParam(q, "expand")) > 0 {
			body, err = s.st.expand(body, arrayParam(q, "expand"), allow)
		}
	case "lines":
		body, err = s.nestedList(q, "invoices", rt.id, "invoice", s.st.lines(rt.id), linesURL(rt.id), allow)
	case "charge_refunds":
		body, err = s.chargeRefunds(rt.id, q)
	}
	if err != nil {
		return errResp(err)
	}
	return &response{status: 200, body: body}
}

func (s *Server) list(res, path string, q url.Values, allow allowFunc) ([]byte, *apiError) {
	allowed := append([]string{"limit", "starting_after", "ending_before", "created", "expand"}, listParams[res]...)
	if err := checkParams(q, allowed...); err != nil {
		return nil, err
	}
	lq, err := parseList(q)
	if err != nil {
		return nil, err
	}
	if res == "events" && len(lq.expand) > 0 {
		return nil, invalid("expand", "You cannot expand the events list: this endpoint does not support expansion.")
	}
	for _, p := range lq.expand {
		if !strings.HasPrefix(p, "data.") {
			return nil, invalid("expand", "This property cannot be expanded (%s). You may want to try expanding 'data.%s' instead.", p, p)
		}
	}
	match, err := s.filter(res, q)
	if err != nil {
		return nil, err
	}
	c := s.st.cols[res]
	es, more, err := c.page(lq, match, singular[res])
	if err != nil {
		return nil, err
	}
	raws := make([][]byte, len(es))
	size := 0
	for i, e := range es {
		raws[i] = e.raw
		size += int(e.size) + 1
	}
	if len(lq.expand) > 0 {
		paths := make([]string, len(lq.expand))
		for j, p := range lq.expand {
			paths[j] = strings.TrimPrefix(p, "data.")
		}
		for i, e := range es {
			var perr *apiError
			if raws[i], perr = s.st.expand(s.st.json(e), paths, allow); perr != nil {
				return nil, perr
			}
		}
		return listBody(raws, more, path), nil
	}
	return s.st.listBody(raws, more, path, size), nil
}

// listBody renders a list of packed objects; size is the expected length
// of their JSON (0: estimate).
func (st *store) listBody(packed [][]byte, more bool, url string, size int) []byte {
	n := 64 + len(url) + size
	if size == 0 {
		for _, r := range packed {
			n += 6 * len(r)
		}
	}
	b := make([]byte, 0, n)
	b = append(b, `{"object":"list","data":[`...)
	for i, r := range packed {
		if i > 0 {
			b = append(b, ',')
		}
		b = st.dict.appendUnpacked(b, r)
	}
	b = append(b, `],"has_more":`...)
	b = strconv.AppendBool(b, more)
	b = append(b, `,"url":`...)
	b = strconv.AppendQuote(b, url)
	b = append(b, "}\n"...)
	return b
}

func listBody(raws [][]byte, more bool, url string) []byte {
	n := 64 + len(url)
	for _, r := range raws {
		n += len(r) + 2
	}
	b := make([]byte, 0, n)
	b = append(b, `{"object":"list","data":[`...)
	for i, r := range raws {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	b = append(b, `],"has_more":`...)
	b = strconv.AppendBool(b, more)
	b = append(b, `,"url":`...)
	b = strconv.AppendQuote(b, url)
	b = append(b, "}\n"...)
	return b
}

func (s *Server) filter(res string, q url.Values) (func(*entry) bool, *apiError) {
	var fs []func(*entry) bool
	now := s.opt.Now()
	switch res {
	case "customers":
		if v := q.Get("email"); v != "" {
			fs = append(fs, func(e *entry) bool { return strv(e.obj.(*Customer).Email) == v })
		}
	case "products":
		if v := q.Get("active"); v != "" {
			fs = append(fs, func(e *entry) bool { return boolStatus(e.obj.(*Product).Active) == v })
		}
		if ids := arrayParam(q, "ids"); len(ids) > 0 {
			set := map[string]bool{}
			for _, id := range ids {
				set[id] = true
			}
			fs = append(fs, func(e *entry) bool { return set[e.id] })
		}
	case "prices":
		if v := q.Get("active"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.status == v })
		}
		if v := q.Get("currency"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.obj.(*Price).Currency == v })
		}
		if v := q.Get("product"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.obj.(*Price).Product == v })
		}
		if v := q.Get("type"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.obj.(*Price).Type == v })
		}
		if v := q.Get("recurring[interval]"); v != "" {
			fs = append(fs, func(e *entry) bool {
				r := e.obj.(*Price).Recurring
				return r != nil && r.Interval == v
			})
		}
	case "subscriptions":
		st := q.Get("status")
		if st != "" && !subStatuses[st] {
			return nil, invalid("status", "Invalid status: must be one of active, all, canceled, ended, incomplete, incomplete_expired, past_due, paused, trialing, or unpaid")
		}
		switch st {
		case "":
			fs = append(fs, func(e *entry) bool { return e.status != "canceled" && e.status != "incomplete_expired" })
		case "all":
		case "ended":
			fs = append(fs, func(e *entry) bool { return e.status == "canceled" || e.status == "incomplete_expired" })
		default:
			fs = append(fs, func(e *entry) bool { return e.status == st })
		}
		if v := q.Get("customer"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.customer == v })
		}
		if v := q.Get("price"); v != "" {
			fs = append(fs, func(e *entry) bool {
				for _, it := range e.obj.(*Subscription).Items.Data {
					if it.Price != nil && it.Price.ID == v {
						return true
					}
				}
				return false
			})
		}
		if v := q.Get("collection_method"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.obj.(*Subscription).CollectionMethod == v })
		}
	case "invoices":
		if v := q.Get("customer"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.customer == v })
		}
		if v := q.Get("subscription"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.sub == v })
		}
		if v := q.Get("status"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.status == v })
		}
		if v := q.Get("collection_method"); v != "" {
			fs = append(fs, func(e *entry) bool { return (e.flags&flagSendInvoice != 0) == (v == "send_invoice") })
		}
	case "charges":
		if v := q.Get("customer"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.customer == v })
		}
	case "invoiceitems":
		if v := q.Get("customer"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.customer == v })
		}
		if v := q.Get("pending"); v != "" {
			fs = append(fs, func(e *entry) bool { return (e.status == "pending") == (v == "true") })
		}
		if v := q.Get("invoice"); v != "" {
			fs = append(fs, func(e *entry) bool { return strv(e.obj.(*InvoiceItem).Invoice) == v })
		}
	case "refunds":
		if v := q.Get("charge"); v != "" {
			fs = append(fs, func(e *entry) bool { return e.sub == v })
		}
	case "events":
		types := arrayParam(q, "types")
		if len(types) > 20 {
			return nil, invalid("types", "You may pass at most 20 types.")
		}
		if v := q.Get("type"); v != "" {
			if len(types) > 0 {
				return nil, invalid("type", "You may only specify one of these parameters: type, types.")
			}
			types = []string{v}
		}
		if len(types) > 0 {
			var exact = map[string]bool{}
			var prefixes []string
			for _, t := range types {
				if strings.HasSuffix(t, ".*") {
					prefixes = append(prefixes, strings.TrimSuffix(t, "*"))
				} else {
					exact[t] = true
				}
			}
			fs = append(fs, func(e *entry) bool {
				if exact[e.status] {
					return true
				}
				for _, p := range prefixes {
					if strings.HasPrefix(e.status, p) {
						return true
					}
				}
				return false
			})
		}
		fs = append(fs, func(e *entry) bool { return e.visible == 0 || now.UnixNano() >= e.visible })
	}
	if len(fs) == 0 {
		return nil, nil
	}
	return func(e *entry) bool {
		for _, f := range fs {
			if !f(e) {
				return false
			}
		}
		return true
	}, nil
}

func (s *Server) retrieve(rt *route, q url.Values, allow allowFunc) ([]byte, *apiError) {
	if err := checkParams(q, "expand"); err != nil {
		return nil, err
	}
	kind := singular[rt.resource]
	if rt.items {
		return s.retrieveItem(rt.id, q, allow)
	}
	e := s.st.cols[rt.resource].byID[rt.id]
	if e == nil || (rt.resource == "events" && e.visible != 0 && s.opt.Now().UnixNano() < e.visible) {
		return nil, missing(kind, rt.id, "id")
	}
	exp := arrayParam(q, "expand")
	if len(exp) == 0 || e.deleted {
		return s.st.json(e), nil
	}
	return s.st.expand(s.st.json(e), exp, allow)
}

func (s *Server) retrieveItem(id string, q url.Values, allow allowFunc) ([]byte, *apiError) {
	sub := s.st.itemSub[id]
	n := s.st.items[sub]
	if n != nil {
		for i, iid := range n.ids {
			if iid == id {
				exp := arrayParam(q, "expand")
				if len(exp) == 0 {
					return n.raw(i), nil
				}
				return s.st.expand(n.raw(i), exp, allow)
			}
		}
	}
	return nil, missing("subscription_item", id, "id")
}

func (s *Server) listItems(q url.Values, allow allowFunc) ([]byte, *apiError) {
	if err := checkParams(q, "limit", "starting_after", "ending_before", "expand", "subscription"); err != nil {
		return nil, err
	}
	sub := q.Get("subscription")
	if sub == "" {
		return nil, invalid("subscription", "Missing required param: subscription.")
	}
	return s.nestedList(q, "subscriptions", sub, "subscription", s.st.items[sub], itemsURL(sub), allow)
}

// nestedList pages a nested list (items, lines) in its stored order.
func (s *Server) nestedList(q url.Values, res, parent, kind string, n *nested, url string, allow allowFunc) ([]byte, *apiError) {
	if err := checkParams(q, "limit", "starting_after", "ending_before", "expand", "subscription"); err != nil {
		return nil, err
	}
	if s.st.cols[res].byID[parent] == nil {
		return nil, missing(kind, parent, kind)
	}
	lq, err := parseList(q)
	if err != nil {
		return nil, err
	}
	for k := range q {
		if base(k) == "created" {
			return nil, invalid(k, "Received unknown parameter: %s", k)
		}
	}
	if n == nil {
		n = &nested{}
	}
	lo, hi := 0, len(n.ids)
	idx := func(id, param string) (int, *apiError) {
		for i, x := range n.ids {
			if x == id {
				return i, nil
			}
		}
		what := "line item"
		if res == "subscriptions" {
			what = "subscription item"
		}
		return 0, missingCursor(what, id, param)
	}
	var from, to int
	var more bool
	switch {
	case lq.endingBefore != "":
		i, err := idx(lq.endingBefore, "ending_before")
		if err != nil {
			return nil, err
		}
		to = i
		from = to - lq.limit
		if from < lo {
			from = lo
		}
		more = from > lo
	default:
		from = lo
		if lq.startingAfter != "" {
			i, err := idx(lq.startingAfter, "starting_after")
			if err != nil {
				return nil, err
			}
			from = i + 1
		}
		to = from + lq.limit
		if to > hi {
			to = hi
		}
		more = to < hi
	}
	raws := make([][]byte, 0, to-from)
	for i := from; i < to; i++ {
		raws = append(raws, n.raw(i))
	}
	if len(lq.expand) > 0 {
		out := make([][]byte, len(raws))
		paths := make([]string, len(lq.expand))
		for j, p := range lq.expand {
			if !strings.HasPrefix(p, "data.") {
				return nil, invalid("expand", "This property cannot be expanded (%s).", p)
			}
			paths[j] = strings.TrimPrefix(p, "data.")
		}
		for i, r := range raws {
			var perr *apiError
			if out[i], perr = s.st.expand(r, paths, allow); perr != nil {
				return nil, perr
			}
		}
		raws = out
	}
	return listBody(raws, more, url), nil
}

func (s *Server) chargeRefunds(charge string, q url.Values) ([]byte, *apiError) {
	if s.st.cols["charges"].byID[charge] == nil {
		return nil, missing("charge", charge, "charge")
	}
	if err := checkParams(q, "limit", "starting_after", "ending_before", "expand"); err != nil {
		return nil, err
	}
	lq, err := parseList(q)
	if err != nil {
		return nil, err
	}
	es, more, err := s.st.cols["refunds"].page(lq, func(e *entry) bool { return e.sub == charge }, "refund")
	if err != nil {
		return nil, err
	}
	raws := make([][]byte, len(es))
	for i, e := range es {
		raws[i] = e.raw
	}
	return s.st.listBody(raws, more, refundsURL(charge), 0), nil
}

// ---- expansion ----

// expand replaces ids by objects along dotted paths, like Stripe's
// expand[]: "customer", "latest_invoice.charge", "items.data.price.product",
// "tiers" on prices. At most 4 levels.
func (st *store) expand(raw []byte, paths []string, allow allowFunc) ([]byte, *apiError) {
	split := make([][]string, 0, len(paths))
	for _, p := range paths {
		parts := strings.Split(p, ".")
		if len(parts) > 4 {
			return nil, invalid("expand", "You cannot expand more than 4 levels of a property. Property: %s", p)
		}
		split = append(split, parts)
	}
	return st.expandParts(raw, split, 0, allow)
}

func (st *store) expandParts(raw []byte, paths [][]string, depth int, allow allowFunc) ([]byte, *apiError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return raw, nil // not an object (null): nothing to expand
	}
	groups := map[string][][]string{}
	var order []string
	for _, p := range paths {
		if _, ok := groups[p[0]]; !ok {
			order = append(order, p[0])
		}
		if len(p) > 1 {
			groups[p[0]] = append(groups[p[0]], p[1:])
		} else if groups[p[0]] == nil {
			groups[p[0]] = [][]string{}
		}
	}
	for _, f := range order {
		rest := groups[f]
		v, ok := m[f]
		if !ok {
			if f == "tiers" && string(m["object"]) == `"price"` {
				var id string
				json.Unmarshal(m["id"], &id)
				if e := st.cols["prices"].byID[id]; e != nil {
					tiers := e.obj.(*Price).Tiers
					if tiers != nil { // per-unit prices have no tiers field
						m[f] = mustJSON(tiers)
					}
					continue
				}
			}
			return nil, invalid("expand", "This property cannot be expanded (%s).", f)
		}
		if len(v) == 0 || string(v) == "null" {
			continue
		}
		switch v[0] {
		case '"':
			var id string
			json.Unmarshal(v, &id)
			e, res := st.lookup(id)
			if e != nil && allow != nil {
				// A restricted key must be allowed to read what it expands.
				if err := allow(res); err != nil {
					return nil, err
				}
			}
			if e == nil {
				if f == "object" || f == "id" || f == "status" || f == "currency" || f == "type" {
					return nil, invalid("expand", "This property cannot be expanded (%s).", f)
				}
				continue
			}
			sub := st.json(e)
			if len(rest) > 0 {
				var err *apiError
				if sub, err = st.expandParts(sub, rest, depth+1, allow); err != nil {
					return nil, err
				}
			}
			m[f] = sub
		case '{':
			if len(rest) == 0 {
				continue // already an object
			}
			sub, err := st.expandParts(v, rest, depth+1, allow)
			if err != nil {
				return nil, err
			}
			m[f] = sub
		case '[':
			var arr []json.RawMessage
			json.Unmarshal(v, &arr)
			for i, el := range arr {
				if len(rest) == 0 {
					break
				}
				sub, err := st.expandParts(el, rest, depth+1, allow)
				if err != nil {
					return nil, err
				}
				arr[i] = sub
			}
			m[f] = mustJSON(arr)
		default:
			return nil, invalid("expand", "This property cannot be expanded (%s).", f)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, &apiError{status: 500, Type: "api_error", Message: "expansion failed"}
	}
	return b, nil
}

// randID is a deterministic Stripe-like id body: n chars of base62 from
// (seed, counter).
func randID(seed uint64, counter uint64, n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	x := seed ^ (counter * 0x9e3779b97f4a7c15)
	b := make([]byte, n)
	for i := range b {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		b[i] = alphabet[z%62]
	}
	return string(b)
}
