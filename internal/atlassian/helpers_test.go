package atlassian

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/secret"
)

const (
	cloudID  = "cloud-1"
	jiraBase = "/ex/jira/" + cloudID
	siteURL  = "https://acme.atlassian.net"
)

// fakeTokens hands out tok-1, then tok-2 after tok-1 is rejected, and so on.
type fakeTokens struct {
	mu       sync.Mutex
	n        int
	rejected []string
	err      error
}

func (f *fakeTokens) AccessToken(context.Context) (secret.String, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return secret.String{}, f.err
	}
	return secret.New(fmt.Sprintf("tok-%d", f.n+1)), nil
}

func (f *fakeTokens) Reject(t secret.String) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejected = append(f.rejected, t.Reveal())
	if t.Reveal() == fmt.Sprintf("tok-%d", f.n+1) {
		f.n++
	}
}

func (f *fakeTokens) Rejected() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.rejected...)
}

// fakeClock is a clock that only moves when the client sleeps, and
// records every wait.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 14, 50, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return nil
}

// advanceTo moves the clock to t unless it is already past it.
func (c *fakeClock) advanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

type harness struct {
	c      *Client
	srv    *httptest.Server
	tokens *fakeTokens
	clock  *fakeClock
}

// setup starts handler as the gateway and returns a Jira client of it with
// a fake clock and no jitter; edit adjusts the options first.
func setup(t *testing.T, handler http.HandlerFunc, edit func(*Options)) *harness {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	h := &harness{srv: srv, tokens: &fakeTokens{}, clock: newFakeClock()}
	opts := Options{
		APIURL:     srv.URL,
		Product:    Jira,
		CloudID:    cloudID,
		SiteURL:    siteURL,
		Tokens:     h.tokens,
		HTTPClient: srv.Client(),
		Now:        h.clock.Now,
		Sleep:      h.clock.Sleep,
		Jitter:     func() float64 { return 1 },
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	return h
}

func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// hijack takes over the connection of a request so a test can break it.
func hijack(t *testing.T, w http.ResponseWriter) net.Conn {
	t.Helper()
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Fatalf("hijack: %v", err)
	}
	return conn
}

// resetConn resets the connection without an answer.
func resetConn(t *testing.T, w http.ResponseWriter) {
	conn := hijack(t, w)
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// shortAnswer sends headers promising contentLength bytes, then only
// partial, then closes the connection.
func shortAnswer(t *testing.T, w http.ResponseWriter, contentLength int, partial string) {
	conn := hijack(t, w)
	defer func() { _ = conn.Close() }()
	_, _ = fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", contentLength, partial)
}

// noKeepAlives is a client whose every request opens a new connection, so
// that Go's Transport does not quietly retry a request on a reused one.
func noKeepAlives() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}
