package sandbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// itemsPath is the test collection of the first default site.
var itemsPath = "/ex/test/" + DefaultSites[0].CloudID + "/items"

// startAPI starts a sandbox with a small test collection and logs in.
func startAPI(t *testing.T) (*sandbox, tokens) {
	t.Helper()
	s := start(t, Options{})
	s.SetTestItems(30, 1)
	return s, s.login()
}

// oneShotClient opens a connection per request, so that a connection the
// sandbox kills is never one Go's Transport would quietly retry on.
func oneShotClient() *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func wantStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, status, r.body)
	}
}

// wantRateLimited checks a 429 and its RateLimit-Reason and Retry-After.
func wantRateLimited(t *testing.T, r response, reason, retryAfter string) {
	t.Helper()
	wantStatus(t, "rate limited", r, http.StatusTooManyRequests)
	if got := r.header.Get("RateLimit-Reason"); got != reason {
		t.Errorf("RateLimit-Reason %q, want %q", got, reason)
	}
	if got := r.header.Get("Retry-After"); got != retryAfter {
		t.Errorf("Retry-After %q, want %q", got, retryAfter)
	}
	if m := r.json(t); m["code"] != float64(429) || m["message"] != "Rate limit exceeded" {
		t.Errorf("body %s", r.body)
	}
}

func TestFaultRateLimit(t *testing.T) {
	s, tk := startAPI(t)
	start := time.Now().UTC().Truncate(time.Second)
	s.InjectFaults(FaultSpec{Kind: FaultRateLimit, Count: 2, RetryAfter: 1500 * time.Millisecond, PathPrefix: "/ex/test/"})
	for range 2 {
		r := s.get(itemsPath, tk.AccessToken)
		wantRateLimited(t, r, "jira-burst-based", "2")
		reset, err := time.Parse(resetLayout, r.header.Get("X-RateLimit-Reset"))
		if err != nil || reset.Before(start) {
			t.Errorf("X-RateLimit-Reset %q: %v", r.header.Get("X-RateLimit-Reset"), err)
		}
		if r.header.Get("X-RateLimit-Remaining") != "0" {
			t.Errorf("X-RateLimit-Remaining %q", r.header.Get("X-RateLimit-Remaining"))
		}
	}
	wantStatus(t, "after the faults", s.get(itemsPath, tk.AccessToken), http.StatusOK)
	if st := s.Stats(); st.FaultsInjected != 2 || st.APIRequests != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultsFollowPathPrefixAndProduct(t *testing.T) {
	s, tk := startAPI(t)
	s.InjectFaults(FaultSpec{Kind: FaultRateLimit, PathPrefix: "/ex/confluence/"})
	// Another product's request passes; the fault waits for its own.
	wantStatus(t, "jira-side request", s.get(itemsPath, tk.AccessToken), http.StatusOK)
	// The fault applies before routing, so it covers routes that do not
	// exist yet.
	r := s.get("/ex/confluence/"+DefaultSites[0].CloudID+"/wiki/api/v2/pages", tk.AccessToken)
	wantRateLimited(t, r, "confluence-burst-based", "1")
	wantStatus(t, "after the fault", s.get("/ex/confluence/x/wiki/api/v2/pages", tk.AccessToken), http.StatusNotFound)
}

func TestFaultsSpareLoginRoutes(t *testing.T) {
	s, tk := startAPI(t)
	s.InjectFaults(FaultSpec{Kind: FaultServerError})
	wantStatus(t, "accessible-resources", s.get("/oauth/token/accessible-resources", tk.AccessToken), http.StatusOK)
	wantStatus(t, "/me", s.get("/me", tk.AccessToken), http.StatusOK)
	s.refresh(tk.RefreshToken)
	wantStatus(t, "API", s.get(itemsPath, tk.AccessToken), http.StatusServiceUnavailable)
}

func TestFaultRateLimitNoRetryAfter(t *testing.T) {
	s, tk := startAPI(t)
	s.InjectFaults(FaultSpec{Kind: FaultRateLimitNoRetryAfter})
	r := s.get(itemsPath, tk.AccessToken)
	wantStatus(t, "rate limited", r, http.StatusTooManyRequests)
	for name := range r.header {
		if lower := strings.ToLower(name); lower == "retry-after" || strings.Contains(lower, "ratelimit") {
			t.Errorf("header %s: %q", name, r.header.Get(name))
		}
	}
	if r.json(t)["code"] != float64(429) {
		t.Errorf("body %s", r.body)
	}
}

func TestFaultQuota(t *testing.T) {
	s, tk := startAPI(t)
	before := time.Now()
	s.InjectFaults(
		FaultSpec{Kind: FaultQuota, PathPrefix: "/ex/test/"},
		FaultSpec{Kind: FaultQuota, Reset: 90 * time.Second, PathPrefix: "/ex/confluence/"},
	)
	r := s.get(itemsPath, tk.AccessToken)
	wantRateLimited(t, r, "jira-quota-global-based", "2")
	reset, err := time.Parse(resetLayout, r.header.Get("X-RateLimit-Reset"))
	if err != nil {
		t.Fatalf("X-RateLimit-Reset %q is not ISO 8601: %v", r.header.Get("X-RateLimit-Reset"), err)
	}
	if reset.Before(before.Add(DefaultFaultReset)) {
		t.Errorf("X-RateLimit-Reset %s is earlier than %s ahead of the request", reset, DefaultFaultReset)
	}
	if !strings.Contains(r.header.Get("Beta-RateLimit-Policy"), "global-app-quota") {
		t.Errorf("Beta-RateLimit-Policy %q", r.header.Get("Beta-RateLimit-Policy"))
	}

	r = s.get("/ex/confluence/x/wiki/rest/api/search", tk.AccessToken)
	wantRateLimited(t, r, "confluence-quota-global-based", "90")
	if reset, err := time.Parse(resetLayout, r.header.Get("X-RateLimit-Reset")); err != nil || reset.Before(before.Add(90*time.Second)) {
		t.Errorf("X-RateLimit-Reset %q", r.header.Get("X-RateLimit-Reset"))
	}
}

func TestFaultServerError(t *testing.T) {
	s, tk := startAPI(t)
	tests := []struct {
		spec        FaultSpec
		status      int
		contentType string
		retryAfter  string
	}{
		{FaultSpec{Kind: FaultServerError, Status: 500}, 500, "application/json", ""},
		{FaultSpec{Kind: FaultServerError, Status: 502}, 502, "text/html; charset=utf-8", ""},
		{FaultSpec{Kind: FaultServerError, Status: 503, RetryAfter: 3 * time.Second}, 503, "application/json", "3"},
		{FaultSpec{Kind: FaultServerError}, DefaultFaultStatus, "application/json", ""},
		{FaultSpec{Kind: FaultServerError, Status: 404}, DefaultFaultStatus, "application/json", ""},
	}
	for _, tt := range tests {
		s.InjectFaults(tt.spec)
		r := s.get(itemsPath, tk.AccessToken)
		wantStatus(t, tt.spec.Kind.String(), r, tt.status)
		if got := r.header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("%d: Content-Type %q, want %q", tt.status, got, tt.contentType)
		}
		if got := r.header.Get("Retry-After"); got != tt.retryAfter {
			t.Errorf("%d: Retry-After %q, want %q", tt.status, got, tt.retryAfter)
		}
		if tt.contentType == "application/json" && r.json(t)["code"] != float64(tt.status) {
			t.Errorf("%d: body %s", tt.status, r.body)
		}
	}
	if st := s.Stats(); st.FaultsInjected != len(tests) {
		t.Errorf("FaultsInjected %d, want %d", st.FaultsInjected, len(tests))
	}
}

func TestFaultReset(t *testing.T) {
	s, tk := startAPI(t)
	s.client = oneShotClient()
	s.InjectFaults(FaultSpec{Kind: FaultReset})
	req, _ := http.NewRequest(http.MethodGet, s.URL()+itemsPath, nil)
	req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
	resp, err := s.client.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("a reset connection answered %d", resp.StatusCode)
	}
	wantStatus(t, "after the reset", s.get(itemsPath, tk.AccessToken), http.StatusOK)
	if st := s.Stats(); st.FaultsInjected != 1 {
		t.Errorf("FaultsInjected %d", st.FaultsInjected)
	}
}

// fetched is what a client got: a body read to its end or to an error.
type fetched struct {
	status        int
	contentLength int64
	url           *url.URL // of the last request, after redirects
	body          []byte
	err           error // from reading the body
}

// getCut fetches rawURL with client, with token as bearer unless "", and
// keeps what arrived of the body when it is cut short.
func getCut(t *testing.T, client *http.Client, rawURL, token string) fetched {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return fetched{resp.StatusCode, resp.ContentLength, resp.Request.URL, body, err}
}

func TestFaultShortBodyJSON(t *testing.T) {
	s, tk := startAPI(t)
	full := s.get(itemsPath, tk.AccessToken)
	wantStatus(t, "whole", full, http.StatusOK)

	s.InjectFaults(FaultSpec{Kind: FaultShortBody})
	f := getCut(t, oneShotClient(), s.URL()+itemsPath, tk.AccessToken)
	if !errors.Is(f.err, io.ErrUnexpectedEOF) {
		t.Fatalf("reading a cut body: %v, want an unexpected EOF", f.err)
	}
	if f.status != http.StatusOK || f.contentLength != int64(len(full.body)) {
		t.Errorf("status %d, Content-Length %d; want 200 and %d", f.status, f.contentLength, len(full.body))
	}
	if len(f.body) != len(full.body)/2 || !bytes.HasPrefix(full.body, f.body) {
		t.Errorf("got %d bytes, want the first %d of the whole body", len(f.body), len(full.body)/2)
	}
	wantStatus(t, "after the fault", s.get(itemsPath, tk.AccessToken), http.StatusOK)
}

func TestFaultsAreSpentOncePerRequest(t *testing.T) {
	s, tk := startAPI(t)
	const faults, requests = 40, 100
	s.InjectFaults(FaultSpec{Kind: FaultRateLimit, Count: faults})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		limited int
	)
	for range requests {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, s.URL()+itemsPath+"?limit=1", nil)
			req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests {
				mu.Lock()
				limited++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if st := s.Stats(); limited != faults || st.FaultsInjected != faults || st.APIRequests != requests {
		t.Errorf("%d requests limited, stats %+v; want %d of %d", limited, st, faults, requests)
	}
}

func TestClearFaults(t *testing.T) {
	s, tk := startAPI(t)
	s.InjectFaults(FaultSpec{Kind: FaultServerError, Count: 5})
	s.ClearFaults()
	wantStatus(t, "after ClearFaults", s.get(itemsPath, tk.AccessToken), http.StatusOK)
}

func TestInjectFaultsRefusesUnknownKind(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("InjectFaults accepted kind 0")
		}
	}()
	New(Options{}).InjectFaults(FaultSpec{})
}

func TestSetLatencyHonoursContext(t *testing.T) {
	s, tk := startAPI(t)
	s.InjectFaults(FaultSpec{Kind: FaultServerError})
	s.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+itemsPath, nil)
	req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
	resp, err := s.client.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("a delayed request answered %d", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the client's deadline", err)
	}

	// The abandoned request took no fault: the next one does.
	s.SetLatency(0)
	wantStatus(t, "after latency", s.get(itemsPath, tk.AccessToken), http.StatusServiceUnavailable)
	if st := s.Stats(); st.FaultsInjected != 1 || st.APIRequests != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestCloseEndsLatency(t *testing.T) {
	s, tk := startAPI(t)
	s.SetLatency(time.Hour)
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+itemsPath, nil)
		req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		done <- err
	}()
	for s.Stats().APIRequests == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("a request pending at Close got an answer")
	}
}

func TestExpireAccessTokens(t *testing.T) {
	s, tk := startAPI(t)
	other := s.login()
	wantStatus(t, "before", s.get(itemsPath, tk.AccessToken), http.StatusOK)

	s.ExpireAccessTokens()
	for _, access := range []string{tk.AccessToken, other.AccessToken} {
		wantUnauthorized(t, s.get(itemsPath, access), MessageUnauthorized)
		wantUnauthorized(t, s.get("/me", access), MessageUnauthorized)
	}
	fresh := s.refresh(tk.RefreshToken)
	wantStatus(t, "refreshed", s.get(itemsPath, fresh.AccessToken), http.StatusOK)
	wantStatus(t, "new login", s.get(itemsPath, s.login().AccessToken), http.StatusOK)
	wantUnauthorized(t, s.get(itemsPath, tk.AccessToken), MessageUnauthorized)
}

// fakeBurstClock makes the burst bucket refill only when the test says.
func (s *sandbox) fakeBurstClock() *fakeClock {
	clock := newFakeClock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.burstClock = clock.Now
	return clock
}

func TestBurstLimit(t *testing.T) {
	s, tk := startAPI(t)
	clock := s.fakeBurstClock()
	s.SetBurstLimit(2, 3)
	for i, remaining := range []string{"2", "1", "0"} {
		r := s.get(itemsPath, tk.AccessToken)
		wantStatus(t, "within the burst", r, http.StatusOK)
		if r.header.Get("X-RateLimit-Limit") != "2" || r.header.Get("X-RateLimit-Remaining") != remaining {
			t.Errorf("request %d: X-RateLimit-Limit %q, X-RateLimit-Remaining %q", i, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"))
		}
	}
	r := s.get(itemsPath, tk.AccessToken)
	wantRateLimited(t, r, "jira-burst-based", "1")
	if _, err := time.Parse(resetLayout, r.header.Get("X-RateLimit-Reset")); err != nil {
		t.Errorf("X-RateLimit-Reset: %v", err)
	}
	wantRateLimited(t, s.get("/ex/confluence/x/wiki/api/v2/pages", tk.AccessToken), "confluence-burst-based", "1")

	// Login routes are not the gateway's API and pass.
	wantStatus(t, "/me", s.get("/me", tk.AccessToken), http.StatusOK)

	clock.Advance(500 * time.Millisecond) // one token at 2 per second
	wantStatus(t, "after a refill", s.get(itemsPath, tk.AccessToken), http.StatusOK)
	wantStatus(t, "empty again", s.get(itemsPath, tk.AccessToken), http.StatusTooManyRequests)

	clock.Advance(time.Hour) // refills to the burst, no further
	for range 3 {
		wantStatus(t, "refilled", s.get(itemsPath, tk.AccessToken), http.StatusOK)
	}
	wantStatus(t, "burst spent", s.get(itemsPath, tk.AccessToken), http.StatusTooManyRequests)

	s.SetBurstLimit(0, 0)
	r = s.get(itemsPath, tk.AccessToken)
	wantStatus(t, "limit off", r, http.StatusOK)
	if r.header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("X-RateLimit-Limit %q with the limit off", r.header.Get("X-RateLimit-Limit"))
	}
	if st := s.Stats(); st.BurstLimited != 4 || st.FaultsInjected != 0 {
		t.Errorf("stats %+v", st)
	}
}

// Attachment content has its own bucket, three times as wide: a client
// that spent the API's burst still downloads, and the other way round.
func TestBurstLimitOfAttachmentContent(t *testing.T) {
	s, tk := startAPI(t)
	s.fakeBurstClock()
	s.SetBurstLimit(1, 1)
	wantStatus(t, "the API's one request", s.get(itemsPath, tk.AccessToken), http.StatusOK)
	wantRateLimited(t, s.get(itemsPath, tk.AccessToken), "jira-burst-based", "1")
	const content = "/ex/jira/x/rest/api/3/attachment/content/10000"
	for i := range 3 {
		if r := s.get(content, tk.AccessToken); r.status == http.StatusTooManyRequests || r.header.Get("X-RateLimit-Limit") != "3" {
			t.Errorf("download %d: %d, X-RateLimit-Limit %q; want its own bucket of 3", i, r.status, r.header.Get("X-RateLimit-Limit"))
		}
	}
	wantRateLimited(t, s.get(content, tk.AccessToken), "jira-burst-based", "1")
}

func TestBurstLimitSparesFaults(t *testing.T) {
	s, tk := startAPI(t)
	s.fakeBurstClock()
	s.SetBurstLimit(0.001, 1)
	s.InjectFaults(FaultSpec{Kind: FaultServerError})
	wantStatus(t, "first", s.get(itemsPath, tk.AccessToken), http.StatusServiceUnavailable)
	r := s.get(itemsPath, tk.AccessToken)
	wantRateLimited(t, r, "jira-burst-based", "1000")
	if st := s.Stats(); st.FaultsInjected != 1 || st.BurstLimited != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestTokenBucketWaits(t *testing.T) {
	now := time.Unix(0, 0)
	b := &tokenBucket{rate: 4, burst: 1, tokens: 1, last: now}
	if _, ok := b.take(now); !ok {
		t.Fatal("a full bucket refused")
	}
	if wait, ok := b.take(now); ok || wait != 250*time.Millisecond {
		t.Errorf("empty bucket: wait %s, %v; want 250ms", wait, ok)
	}
	tiny := &tokenBucket{rate: 1e-12, burst: 1, last: now}
	if wait, ok := tiny.take(now); ok || wait != maxBurstWait {
		t.Errorf("tiny rate: wait %s, %v; want %s", wait, ok, maxBurstWait)
	}
}

func TestFaultStall(t *testing.T) {
	s, tk := startAPI(t)
	full := s.get(itemsPath, tk.AccessToken)
	wantStatus(t, "whole", full, http.StatusOK)

	// No answer: the client's own deadline is all that ends the wait.
	s.InjectFaults(FaultSpec{Kind: FaultStall})
	client := oneShotClient()
	client.Timeout = 300 * time.Millisecond
	req, _ := http.NewRequest(http.MethodGet, s.URL()+itemsPath, nil)
	req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
	resp, err := client.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("a stalled request answered %d", resp.StatusCode)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a stalled request: %v, want the client's timeout", err)
	}

	// Half a body, then nothing: the headers and the first half arrive.
	s.InjectFaults(FaultSpec{Kind: FaultStallBody})
	f := getCut(t, client, s.URL()+itemsPath, tk.AccessToken)
	if !errors.As(f.err, &ne) || !ne.Timeout() {
		t.Fatalf("reading a stalled body: %v, want the client's timeout", f.err)
	}
	if f.status != http.StatusOK || f.contentLength != int64(len(full.body)) || len(f.body) != len(full.body)/2 {
		t.Errorf("status %d, Content-Length %d, %d bytes; want 200, %d and %d", f.status, f.contentLength, len(f.body), len(full.body), len(full.body)/2)
	}
	wantStatus(t, "after the faults", s.get(itemsPath, tk.AccessToken), http.StatusOK)
}
