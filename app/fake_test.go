package app

import (
	"context"
	"errors"
	"sync"
)

// fakeEmitter records emitted events.
type fakeEmitter struct {
	mu     sync.Mutex
	events []emitted
}

type emitted struct {
	name    string
	payload any
}

func (f *fakeEmitter) Emit(name string, payload any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, emitted{name, payload})
}

func (f *fakeEmitter) all() []emitted {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]emitted(nil), f.events...)
}

// fakeOpener records opened addresses, or fails with err.
type fakeOpener struct {
	opened []string
	err    error
}

func (f *fakeOpener) OpenURL(u string) error {
	if f.err != nil {
		return f.err
	}
	f.opened = append(f.opened, u)
	return nil
}

// fakeLister returns accts or err, and records the context it got.
type fakeLister struct {
	accts []AccountInfo
	err   error
	ctx   context.Context
}

func (f *fakeLister) ListAccounts(ctx context.Context) ([]AccountInfo, error) {
	f.ctx = ctx
	return f.accts, f.err
}

var errBoom = errors.New("boom")
