package vault

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"billfold/backend"
)

// memProvider is an in-memory keyring with per-operation errors.
type memProvider struct {
	mu      sync.Mutex
	m       map[string]string
	setErr  error
	getErr  error
	delErr  error
	setHook func(user, secret string) // runs on Set before storing
	calls   int
}

func newMem() *memProvider { return &memProvider{m: map[string]string{}} }

func (p *memProvider) Set(service, user, secret string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.setErr != nil {
		return p.setErr
	}
	if p.setHook != nil {
		p.setHook(user, secret)
	}
	p.m[service+"/"+user] = secret
	return nil
}

func (p *memProvider) Get(service, user string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.getErr != nil {
		return "", p.getErr
	}
	s, ok := p.m[service+"/"+user]
	if !ok {
		return "", errKeyringNotFound
	}
	return s, nil
}

func (p *memProvider) Delete(service, user string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.delErr != nil {
		return p.delErr
	}
	if _, ok := p.m[service+"/"+user]; !ok {
		return errKeyringNotFound
	}
	delete(p.m, service+"/"+user)
	return nil
}

func (p *memProvider) entries() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]string{}
	for k, v := range p.m {
		out[k] = v
	}
	return out
}

// blockingProvider blocks every call until release is closed.
type blockingProvider struct{ release chan struct{} }

func (b blockingProvider) Set(string, string, string) error   { <-b.release; return nil }
func (b blockingProvider) Get(string, string) (string, error) { <-b.release; return "", nil }
func (b blockingProvider) Delete(string, string) error        { <-b.release; return nil }

// fakeVerifier answers from a table keyed by the full key.
type fakeVerifier struct {
	mu      sync.Mutex
	answers map[string]Verified
	errs    map[string]error
	bases   []string
	calls   int
}

func (f *fakeVerifier) Verify(ctx context.Context, key backend.APIKey, apiBase string) (Verified, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.bases = append(f.bases, apiBase)
	if err, ok := f.errs[key.Reveal()]; ok {
		return Verified{}, err
	}
	if strings.Contains(key.Reveal(), "revoked") {
		return Verified{}, &backend.Error{Code: backend.EUNAUTHORIZED, Message: "Invalid API Key provided: " + key.Masked(), RequestID: "req_401"}
	}
	if v, ok := f.answers[key.Reveal()]; ok {
		return v, nil
	}
	return Verified{AccountID: "acct_1Default", Name: "Default Co", DefaultCurrency: "USD"}, nil
}

func (f *fakeVerifier) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

type env struct {
	v     *Vault
	mem   *memProvider
	ver   *fakeVerifier
	clock *fixedClock
	home  string
	vars  map[string]string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{
		mem:   newMem(),
		ver:   &fakeVerifier{answers: map[string]Verified{}, errs: map[string]error{}},
		clock: &fixedClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)},
		home:  t.TempDir() + "/home",
		vars:  map[string]string{},
	}
	v, err := New(Options{Home: e.home, Provider: e.mem, Verifier: e.ver, Now: e.clock.Now,
		Getenv: func(k string) string { return e.vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	e.v = v
	return e
}
