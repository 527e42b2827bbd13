package stripeapi

import (
	"context"
	"sync"
	"time"
)

// bucket is a token bucket that can be slowed down and paused when Stripe
// answers 429, and that recovers to its base rate after a quiet spell.
// A base rate <= 0 means unlimited.
type bucket struct {
	mu          sync.Mutex
	base        float64 // tokens per second it is configured for
	rate        float64 // current rate (<= base after a 429)
	burst       float64
	tokens      float64
	last        time.Time
	pausedUntil time.Time
	last429     time.Time
}

func newBucket(rate float64) *bucket {
	burst := 1.0
	if rate >= 10 {
		// a small burst keeps requests flowing without exceeding the
		// configured share of Stripe's limit within any one second
		burst = rate / 10
	}
	return &bucket{base: rate, rate: rate, burst: burst, tokens: burst}
}

// reserve takes a token and returns how long to wait before using it.
func (b *bucket) reserve(now time.Time) time.Duration {
	if b == nil || b.base <= 0 {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last.IsZero() {
		b.last = now
	}
	// recover 10% of the base rate per quiet second after a 429
	if b.rate < b.base && now.Sub(b.last429) > time.Second {
		b.rate += b.base * 0.1 * now.Sub(b.last).Seconds()
		if b.rate > b.base {
			b.rate = b.base
		}
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens += el * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
		b.last = now
	}
	b.tokens--
	var wait time.Duration
	if b.tokens < 0 {
		wait = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	if p := b.pausedUntil.Sub(now); p > wait {
		wait = p
	}
	return wait
}

// slow reacts to a 429 on this bucket: cut the rate and pause it.
func (b *bucket) slow(now time.Time, pause time.Duration) {
	if b == nil || b.base <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last429 = now
	b.rate *= 0.7
	if min := b.base * 0.2; b.rate < min {
		b.rate = min
	}
	if until := now.Add(pause); until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
	if b.tokens > 0 {
		b.tokens = 0
	}
}

// limiter holds the global bucket and one bucket per endpoint.
type limiter struct {
	global   *bucket
	endpoint float64
	mu       sync.Mutex
	byEP     map[string]*bucket
}

func newLimiter(global, endpoint float64) *limiter {
	return &limiter{global: newBucket(global), endpoint: endpoint, byEP: map[string]*bucket{}}
}

func (l *limiter) ep(name string) *bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.byEP[name]
	if b == nil {
		b = newBucket(l.endpoint)
		l.byEP[name] = b
	}
	return b
}

// wait blocks until a request to endpoint may go: first the endpoint's own
// bucket, then the global one, so a busy endpoint does not hold global
// tokens it cannot use yet.
func (l *limiter) wait(ctx context.Context, endpoint string) error {
	if err := sleep(ctx, l.ep(endpoint).reserve(time.Now())); err != nil {
		return err
	}
	return sleep(ctx, l.global.reserve(time.Now()))
}

// slow applies a 429 to the bucket Stripe named in Stripe-Rate-Limited-Reason
// (global-*, endpoint-*, resource-specific), or to both when it named none.
func (l *limiter) slow(endpoint, reason string, pause time.Duration) {
	now := time.Now()
	switch {
	case len(reason) >= 6 && reason[:6] == "global":
		l.global.slow(now, pause)
	case reason != "":
		l.ep(endpoint).slow(now, pause)
	default:
		l.global.slow(now, pause)
		l.ep(endpoint).slow(now, pause)
	}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
