package atlassian

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// failFirst answers the first n requests with fail and the rest with 200 {}.
func failFirst(n int32, fail func(http.ResponseWriter)) (http.HandlerFunc, *atomic.Int32) {
	var hits atomic.Int32
	return func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) <= n {
			fail(w)
			return
		}
		reply(w, http.StatusOK, `{"ok":true}`)
	}, &hits
}

func TestClassify(t *testing.T) {
	const scope = `{"code":401,"message":"Unauthorized; scope does not match"}`
	for _, tc := range []struct {
		status            int
		body              string
		stream, refreshed bool
		want              verdict
	}{
		{200, `{}`, false, false, verdictDone},
		{204, ``, false, false, verdictDone},
		{200, ``, true, false, verdictDone},
		{302, ``, true, false, verdictDone},
		{303, ``, true, false, verdictDone},
		{307, ``, true, false, verdictDone},
		{302, ``, false, false, verdictFail},
		{304, ``, true, false, verdictFail},
		{401, `{"code":401,"message":"Unauthorized"}`, false, false, verdictRefresh},
		{401, `{"code":401,"message":"Unauthorized"}`, false, true, verdictFail},
		{401, scope, false, false, verdictFail},
		{401, scope, true, true, verdictFail},
		{429, ``, false, false, verdictRetry},
		{429, ``, false, true, verdictRetry},
		{500, ``, false, false, verdictRetry},
		{502, `<html>Bad gateway</html>`, false, false, verdictRetry},
		{503, ``, true, false, verdictRetry},
		{501, ``, false, false, verdictFail},
		{400, `{"errorMessages":["bad JQL"]}`, false, false, verdictFail},
		{403, ``, false, false, verdictFail},
		{404, ``, true, false, verdictFail},
		{409, ``, false, false, verdictFail},
	} {
		if got := classify(tc.status, []byte(tc.body), tc.stream, tc.refreshed); got != tc.want {
			t.Errorf("classify(%d, %q, stream %v, refreshed %v) = %v, want %v", tc.status, tc.body, tc.stream, tc.refreshed, got, tc.want)
		}
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	handler, hits := failFirst(1, func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "7")
		w.Header().Set("RateLimit-Reason", "jira-burst-based")
		reply(w, http.StatusTooManyRequests, `{"message":"slow down"}`)
	})
	h := setup(t, handler, nil)
	if err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := h.clock.Waits(); !slices.Equal(got, []time.Duration{7 * time.Second}) {
		t.Fatalf("waits %v", got)
	}
	if s := h.c.Stats(); hits.Load() != 2 || s.Requests != 2 || s.Retries != 1 || s.Throttled != 1 || s.Points != 2 {
		t.Fatalf("%d hits, stats %+v", hits.Load(), s)
	}
}

func TestRateLimitWithoutRetryAfterBacksOff(t *testing.T) {
	// The gateway has been seen to answer 429 with no header at all.
	handler, _ := failFirst(3, func(w http.ResponseWriter) {
		reply(w, http.StatusTooManyRequests, ``)
	})
	h := setup(t, handler, nil)
	if err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}
	if got := h.clock.Waits(); !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
}

func TestBackoffJitterAndCap(t *testing.T) {
	for _, tc := range []struct {
		jitter float64
		want   []time.Duration
	}{
		{1, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}},
		{0.7, []time.Duration{1400 * time.Millisecond, 2800 * time.Millisecond, 5600 * time.Millisecond, 11200 * time.Millisecond, 21 * time.Second, 21 * time.Second}},
		{1.3, []time.Duration{2600 * time.Millisecond, 5200 * time.Millisecond, 10400 * time.Millisecond, 20800 * time.Millisecond, 30 * time.Second, 30 * time.Second}},
	} {
		c := &Client{jitter: func() float64 { return tc.jitter }}
		for n, want := range tc.want {
			if got := c.backoff(n); got != want {
				t.Errorf("jitter %v: backoff(%d) = %v, want %v", tc.jitter, n, got, want)
			}
		}
	}
	c, err := New(Options{Product: Jira, CloudID: cloudID, Tokens: &fakeTokens{}})
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if j := c.jitter(); j < 0.7 || j > 1.3 {
			t.Fatalf("default jitter %v", j)
		}
	}
}

func TestRetriesRunOut(t *testing.T) {
	var hits atomic.Int32
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		reply(w, http.StatusBadGateway, `<html>Bad gateway</html>`)
	}, nil)
	err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil)
	var re *RetryExhaustedError
	var e *Error
	if !errors.As(err, &re) || re.Attempts != 6 || !errors.As(err, &e) || e.Status != http.StatusBadGateway {
		t.Fatalf("error %#v", err)
	}
	if err.Error() != "GET /rest/api/3/myself: gave up after 6 attempts: HTTP 502 Bad Gateway" {
		t.Fatalf("error text %q", err)
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second}
	if got := h.clock.Waits(); !slices.Equal(got, want) || hits.Load() != 6 {
		t.Fatalf("%d hits, waits %v", hits.Load(), got)
	}
}

func TestServerErrorsRetryOnlyIdempotentCalls(t *testing.T) {
	for _, tc := range []struct {
		name     string
		call     func(*Client) error
		wantHits int32
	}{
		{"GET", func(c *Client) error {
			return c.GetJSON(context.Background(), "/rest/api/3/myself", nil, nil)
		}, 2},
		{"idempotent POST", func(c *Client) error {
			return c.PostJSON(context.Background(), "/rest/api/3/search/jql", map[string]any{"jql": "project = ABC"}, nil, Idempotent)
		}, 2},
		{"plain POST", func(c *Client) error {
			return c.PostJSON(context.Background(), "/rest/api/3/issue", map[string]any{"fields": map[string]string{}}, nil)
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bodies []string
			var mu sync.Mutex
			handler, hits := failFirst(1, func(w http.ResponseWriter) {
				reply(w, http.StatusInternalServerError, `{"message":"boom"}`)
			})
			h := setup(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				mu.Unlock()
				handler(w, r)
			}, nil)
			err := tc.call(h.c)
			if hits.Load() != tc.wantHits {
				t.Fatalf("%d hits, want %d", hits.Load(), tc.wantHits)
			}
			if tc.wantHits == 1 {
				var e *Error
				if !errors.As(err, &e) || e.Status != 500 || e.Message != "boom" {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if bodies[0] != bodies[1] {
				t.Fatalf("the retry sent %q after %q", bodies[1], bodies[0])
			}
		})
	}
}

func TestServiceUnavailableHonoursRetryAfter(t *testing.T) {
	handler, _ := failFirst(2, func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", "3")
		reply(w, http.StatusServiceUnavailable, `{}`)
	})
	h := setup(t, handler, nil)
	if err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := h.clock.Waits(); !slices.Equal(got, []time.Duration{3 * time.Second, 3 * time.Second}) {
		t.Fatalf("waits %v", got)
	}
}

func TestBrokenConnectionsAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(*testing.T, http.ResponseWriter)
	}{
		{"reset", resetConn},
		{"short JSON body", func(t *testing.T, w http.ResponseWriter) { shortAnswer(t, w, 100, `{"issues":[`) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			handler, hits := failFirst(1, func(w http.ResponseWriter) { tc.fail(t, w) })
			h := setup(t, handler, func(o *Options) { o.HTTPClient = noKeepAlives() })
			var out struct{ OK bool }
			if err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, &out); err != nil {
				t.Fatal(err)
			}
			if !out.OK || hits.Load() != 2 || h.c.Stats().Retries != 1 {
				t.Fatalf("out %+v, %d hits, stats %+v", out, hits.Load(), h.c.Stats())
			}
		})
	}
}

func TestShortBodyWithoutTransportCheckIsRetried(t *testing.T) {
	// A Transport that does not police Content-Length itself: the check
	// must happen here.
	var n atomic.Int32
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		body := `{"ok":true}`
		if n.Add(1) == 1 {
			body = `{"ok":`
		}
		return &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: int64(len(`{"ok":true}`)),
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})
	h := setup(t, nil, func(o *Options) { o.HTTPClient = &http.Client{Transport: rt} })
	var out struct{ OK bool }
	if err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, &out); err != nil {
		t.Fatal(err)
	}
	if !out.OK || n.Load() != 2 {
		t.Fatalf("out %+v after %d requests", out, n.Load())
	}
}

func TestPlainPostIsNotRetriedAfterAReset(t *testing.T) {
	handler, hits := failFirst(1, func(w http.ResponseWriter) { resetConn(t, w) })
	h := setup(t, handler, func(o *Options) { o.HTTPClient = noKeepAlives() })
	if err := h.c.PostJSON(t.Context(), "/rest/api/3/issue", map[string]string{}, nil); err == nil {
		t.Fatal("no error")
	}
	if hits.Load() != 1 {
		t.Fatalf("%d hits", hits.Load())
	}
}

func TestExpiredTokenIsRefreshedOnce(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			reply(w, http.StatusUnauthorized, `{"code":401,"message":"Unauthorized"}`)
			return
		}
		reply(w, http.StatusOK, `{}`)
	}, nil)
	// A plain POST too: a 401 means the server did nothing.
	if err := h.c.PostJSON(t.Context(), "/rest/api/3/search/approximate-count", map[string]string{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := h.tokens.Rejected(); !slices.Equal(got, []string{"tok-1"}) {
		t.Fatalf("rejected %v", got)
	}
	if len(h.clock.Waits()) != 0 {
		t.Fatalf("waited %v before using the new token", h.clock.Waits())
	}
}

func TestSecond401IsAnError(t *testing.T) {
	var hits atomic.Int32
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		reply(w, http.StatusUnauthorized, `{"code":401,"message":"Unauthorized"}`)
	}, nil)
	err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil)
	if !IsUnauthorized(err) || hits.Load() != 2 {
		t.Fatalf("error %v after %d hits", err, hits.Load())
	}
	if got := h.tokens.Rejected(); !slices.Equal(got, []string{"tok-1"}) {
		t.Fatalf("rejected %v", got)
	}
}

func TestScopeMismatchIsNotRefreshed(t *testing.T) {
	var hits atomic.Int32
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		reply(w, http.StatusUnauthorized, `{"code":401,"message":"Unauthorized; scope does not match"}`)
	}, func(o *Options) { o.Product = Confluence })
	err := h.c.GetJSON(t.Context(), "/wiki/api/v2/pages", nil, nil, Scope("read:page:confluence"))
	var se *ScopeError
	if !errors.As(err, &se) || se.Scope != "read:page:confluence" || se.Method != "GET" || se.Path != "/wiki/api/v2/pages" {
		t.Fatalf("error %#v", err)
	}
	if hits.Load() != 1 || len(h.tokens.Rejected()) != 0 {
		t.Fatalf("%d hits, rejected %v", hits.Load(), h.tokens.Rejected())
	}
	if !strings.Contains(err.Error(), "read:page:confluence") {
		t.Fatalf("error text %q", err)
	}
}

func TestTokenSourceErrorsPassThrough(t *testing.T) {
	errGrant := errors.New("the authorization server refused the grant")
	var hits atomic.Int32
	h := setup(t, func(http.ResponseWriter, *http.Request) { hits.Add(1) }, nil)
	h.tokens.err = errGrant
	err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil)
	if !errors.Is(err, errGrant) || hits.Load() != 0 {
		t.Fatalf("error %v after %d hits", err, hits.Load())
	}
}

func TestQuotaPausesEveryRequest(t *testing.T) {
	clock := newFakeClock()
	reset := clock.Now().Add(10 * time.Minute) // 15:00:00Z, the top of the hour
	var released atomic.Bool
	handler, hits := failFirst(1, func(w http.ResponseWriter) {
		w.Header().Set("RateLimit-Reason", "jira-quota-global-based")
		w.Header().Set("X-RateLimit-Reset", reset.Format(time.RFC3339))
		reply(w, http.StatusTooManyRequests, `{"message":"quota"}`)
	})
	sleeping := make(chan time.Duration)
	release := make(chan struct{})
	type pause struct {
		until  time.Time
		reason string
	}
	var mu sync.Mutex
	var pauses []pause
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Load() >= 1 && !released.Load() {
			t.Errorf("a request reached the server during the pause")
		}
		handler(w, r)
	}, func(o *Options) {
		o.Now = clock.Now
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			end := clock.Now().Add(d)
			select {
			case sleeping <- d:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			clock.advanceTo(end)
			return nil
		}
		o.OnPause = func(until time.Time, reason string) {
			mu.Lock()
			defer mu.Unlock()
			pauses = append(pauses, pause{until, reason})
		}
	})
	ctx := t.Context()
	const workers = 5
	errs := make(chan error, workers)
	get := func() { errs <- h.c.GetJSON(ctx, "/rest/api/3/myself", nil, nil) }

	go get()
	if d := <-sleeping; d != 10*time.Minute {
		t.Fatalf("the first request waits %v", d)
	}
	for range workers - 1 {
		go get()
	}
	for range workers - 1 {
		select {
		case d := <-sleeping:
			if d != 10*time.Minute {
				t.Fatalf("a request waits %v", d)
			}
		case err := <-errs:
			t.Fatalf("a request ended during the pause: %v", err)
		}
	}
	if s := h.c.Stats(); hits.Load() != 1 || !s.PausedUntil.Equal(reset) {
		t.Fatalf("%d hits during the pause, stats %+v", hits.Load(), s)
	}
	released.Store(true)
	close(release)
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if hits.Load() != workers+1 {
		t.Fatalf("%d hits", hits.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pauses) != 1 || !pauses[0].until.Equal(reset) || pauses[0].reason != "jira-quota-global-based" {
		t.Fatalf("OnPause calls %v", pauses)
	}
	if !h.c.Stats().PausedUntil.IsZero() {
		t.Fatal("still paused after the reset")
	}
}

func TestQuotaReset(t *testing.T) {
	now := time.Date(2026, 3, 2, 14, 50, 12, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header http.Header
		want   time.Time
	}{
		{"X-RateLimit-Reset", http.Header{"X-Ratelimit-Reset": {"2026-03-02T15:00:00Z"}, "Retry-After": {"5"}},
			time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)},
		{"with offset", http.Header{"X-Ratelimit-Reset": {"2026-03-02T16:00:00+01:00"}},
			time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)},
		{"Retry-After", http.Header{"Retry-After": {"60"}}, now.Add(time.Minute)},
		{"nothing", http.Header{}, time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)},
		{"absurd", http.Header{"X-Ratelimit-Reset": {"2027-01-01T00:00:00Z"}}, now.Add(time.Hour)},
	} {
		if got := quotaReset(tc.header, now); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	for reason, quota := range map[string]bool{
		"jira-quota-global-based": true, "jira-quota-tenant-based": true, "confluence-quota-global-based": true,
		"jira-cost-based": true, "jira-burst-based": false, "confluence-burst-based": false, "jira-per-issue-on-write": false, "": false,
	} {
		if quotaReason(reason) != quota {
			t.Errorf("quotaReason(%q) = %v", reason, !quota)
		}
	}
}

func TestPlainPostMeetingTheQuotaStillPausesTheClient(t *testing.T) {
	handler, hits := failFirst(1, func(w http.ResponseWriter) {
		w.Header().Set("RateLimit-Reason", "jira-quota-tenant-based")
		w.Header().Set("Retry-After", "120")
		reply(w, http.StatusTooManyRequests, `{}`)
	})
	h := setup(t, handler, nil)
	err := h.c.PostJSON(t.Context(), "/rest/api/3/issue", map[string]string{}, nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusTooManyRequests || hits.Load() != 1 {
		t.Fatalf("error %v after %d hits", err, hits.Load())
	}
	if err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := h.clock.Waits(); !slices.Equal(got, []time.Duration{2 * time.Minute}) {
		t.Fatalf("waits %v", got)
	}
}

func TestConcurrencyHalvesAndGrowsBack(t *testing.T) {
	handler, _ := failFirst(1, func(w http.ResponseWriter) {
		reply(w, http.StatusTooManyRequests, `{}`)
	})
	h := setup(t, handler, nil)
	get := func() {
		t.Helper()
		if err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	get() // a 429, then its successful retry
	if got := h.c.Stats().Concurrency; got != 2 {
		t.Fatalf("concurrency %d after a 429", got)
	}
	for range growAfter - 2 {
		get()
	}
	if got := h.c.Stats().Concurrency; got != 2 {
		t.Fatalf("concurrency %d after %d successes", got, growAfter-1)
	}
	get()
	if got := h.c.Stats().Concurrency; got != 3 {
		t.Fatalf("concurrency %d after %d successes", got, growAfter)
	}
	for range 3 * growAfter {
		get()
	}
	if got := h.c.Stats().Concurrency; got != 4 {
		t.Fatalf("concurrency %d, want it back at the start of 4 and no higher", got)
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(4, 8)
	gens := make([]int, 4)
	for i := range gens {
		g, err := l.acquire(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		gens[i] = g
	}
	done, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.acquire(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire beyond the limit: %v", err)
	}
	// Four requests in flight meet 429 together: one halving, not four.
	for _, g := range gens {
		l.throttled(g)
	}
	if l.current() != 2 {
		t.Fatalf("limit %d", l.current())
	}
	for range gens {
		l.release()
	}
	g, _ := l.acquire(t.Context())
	l.throttled(g)
	if l.current() != 1 {
		t.Fatalf("limit %d", l.current())
	}
	l.throttled(g + 1)
	if l.current() != 1 {
		t.Fatalf("limit %d below one", l.current())
	}
	l.release()

	// A waiting acquire goes on once a slot is released.
	if _, err := l.acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := make(chan error)
	go func() {
		_, err := l.acquire(t.Context())
		got <- err
	}()
	l.release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

func TestCancelStopsAWait(t *testing.T) {
	arrived := make(chan struct{}, 1)
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "3600")
		reply(w, http.StatusTooManyRequests, `{}`)
		arrived <- struct{}{}
	}, func(o *Options) { o.Sleep = nil }) // the real wait
	ctx, cancel := context.WithCancel(t.Context())
	errs := make(chan error)
	go func() { errs <- h.c.GetJSON(ctx, "/rest/api/3/myself", nil, nil) }()
	<-arrived
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
}

func TestLogsShowNoQueryAndNoToken(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	handler, _ := failFirst(1, func(w http.ResponseWriter) {
		reply(w, http.StatusServiceUnavailable, `{}`)
	})
	h := setup(t, handler, func(o *Options) { o.Logger = logger })
	q := url.Values{"jql": {"project = SECRETPROJ"}}
	if err := h.c.GetJSON(t.Context(), "/rest/api/3/search/jql", q, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	for _, leak := range []string{"SECRETPROJ", "jql=", "tok-1", "Bearer"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log shows %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{"path=/ex/jira/cloud-1/rest/api/3/search/jql", "status=503", "attempt=2", "wait=2s"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}

func TestTransportErrorsShowNoQuery(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) { resetConn(t, w) }, func(o *Options) {
		o.HTTPClient = noKeepAlives()
		o.MaxAttempts = 2
	})
	err := h.c.GetJSON(t.Context(), "/rest/api/3/search/jql", url.Values{"jql": {"project = SECRETPROJ"}}, nil)
	var re *RetryExhaustedError
	if !errors.As(err, &re) || re.Attempts != 2 {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), "SECRETPROJ") {
		t.Fatalf("error text %q shows the query", err)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
