package atlassian

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	backoffBase = 2 * time.Second
	backoffCap  = 30 * time.Second
	// maxWait bounds a wait a server announces: the points quota resets
	// every hour, so a longer wait is a broken header, not a plan.
	maxWait = time.Hour
	// growAfter is how many successes in a row earn back one slot of
	// concurrency after a 429 took some away.
	growAfter = 20
)

// backoff is the wait before retry n (0-based) when the server named
// none: 2 s × 2^n with jitter, capped.
func (c *Client) backoff(n int) time.Duration {
	d := backoffCap
	if n < 5 {
		d = min(backoffBase<<n, backoffCap)
	}
	return min(time.Duration(float64(d)*c.jitter()), backoffCap)
}

// retryAfter reads Retry-After, in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		return min(time.Duration(max(s, 0))*time.Second, maxWait), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), maxWait), true
	}
	return 0, false
}

// quotaReason reports whether a 429 is the hourly points quota rather
// than the per-second burst limit. "cost" covers jira-cost-based, a
// points limit seen in the field under that name.
func quotaReason(reason string) bool {
	r := strings.ToLower(reason)
	return strings.Contains(r, "quota") || strings.Contains(r, "cost")
}

// quotaReset is when a quota 429 says the quota comes back: the ISO 8601
// X-RateLimit-Reset, else Retry-After, else the next top of the UTC hour,
// when the quota resets by definition.
func quotaReset(h http.Header, now time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(h.Get("X-RateLimit-Reset"))); err == nil {
		if limit := now.Add(maxWait); t.After(limit) {
			return limit
		}
		return t
	}
	if d, ok := retryAfter(h, now); ok {
		return now.Add(d)
	}
	return now.UTC().Truncate(time.Hour).Add(time.Hour)
}

// pause holds every request of the client until until; only a pause that
// reaches further than the current one is announced.
func (c *Client) pause(until time.Time, reason string) {
	c.mu.Lock()
	extends := until.After(c.pausedUntil)
	if extends {
		c.pausedUntil = until
	}
	c.mu.Unlock()
	if !extends {
		return
	}
	c.log.Warn("atlassian rate-limit quota spent; pausing all requests", "until", until, "reason", reason)
	if c.onPause != nil {
		c.onPause(until, reason)
	}
}

func (c *Client) paused() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pausedUntil.Sub(c.now())
}

// acquire waits out a quota pause, then for a slot of the concurrency
// limit l. It returns the limiter's generation for the slot.
func (c *Client) acquire(ctx context.Context, l *limiter) (int, error) {
	for {
		// Loop: another goroutine may extend the pause while this one
		// sleeps.
		for d := c.paused(); d > 0; d = c.paused() {
			if err := c.sleep(ctx, d); err != nil {
				return 0, err
			}
		}
		gen, err := l.acquire(ctx)
		if err != nil {
			return 0, err
		}
		// A pause may have begun while this goroutine waited for the slot.
		if c.paused() <= 0 {
			return gen, nil
		}
		l.release()
	}
}

// limiter bounds the requests in flight. The bound halves on a 429 and
// grows back by one after growAfter successes in a row, so a burst limit
// slows every goroutine down, not only the one that met it.
type limiter struct {
	mu     sync.Mutex
	limit  int
	max    int
	inUse  int
	streak int
	// gen counts halvings. Requests that were already in flight when the
	// limit was halved carry an older generation, and their 429s do not
	// halve it again: they answer for the old limit, not the new one.
	gen  int
	wake chan struct{} // closed and replaced whenever a slot may be free
}

func newLimiter(limit, maxLimit int) *limiter {
	return &limiter{limit: max(limit, 1), max: max(maxLimit, 1), wake: make(chan struct{})}
}

func (l *limiter) acquire(ctx context.Context) (int, error) {
	for {
		l.mu.Lock()
		if l.inUse < l.limit {
			l.inUse++
			gen := l.gen
			l.mu.Unlock()
			return gen, nil
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-wake:
		}
	}
}

func (l *limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inUse--
	l.broadcast()
}

func (l *limiter) succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limit >= l.max {
		return
	}
	l.streak++
	if l.streak >= growAfter {
		l.limit++
		l.streak = 0
		l.broadcast()
	}
}

func (l *limiter) throttled(gen int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.streak = 0
	if gen == l.gen {
		l.limit = max(1, l.limit/2)
		l.gen++
	}
}

func (l *limiter) current() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

func (l *limiter) broadcast() {
	close(l.wake)
	l.wake = make(chan struct{})
}
