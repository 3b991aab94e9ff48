package sandbox

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestStartRefusesReachableAddresses(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:0", "localhost:0", "example.com:80", "127.0.0.1"} {
		s := New(Options{})
		if err := s.Start(addr); err == nil {
			_ = s.Close()
			t.Errorf("Start(%q) succeeded", addr)
		}
	}
}

func TestStartAndClose(t *testing.T) {
	s := New(Options{})
	if s.URL() != "" {
		t.Errorf("URL before Start is %q", s.URL())
	}
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s.URL())
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "0" {
		t.Fatalf("URL %q, want http on 127.0.0.1 with a port", s.URL())
	}
	if err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("a second Start succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if resp, err := http.Get(s.URL() + "/me"); err == nil {
		_ = resp.Body.Close()
		t.Error("the server still answers after Close")
	}
	if err := New(Options{}).Close(); err != nil {
		t.Errorf("Close before Start: %v", err)
	}
	if err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("Start after Close succeeded")
	}
}

// TestHandler serves the sandbox from someone else's listener.
func TestHandler(t *testing.T) {
	s := New(Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/me without a token: status %d", resp.StatusCode)
	}
}

// TestLogfKeepsSecrets runs every kind of request and looks for a secret
// in the log.
func TestLogfKeepsSecrets(t *testing.T) {
	var (
		mu    sync.Mutex
		lines []string
	)
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(format, args...))
	}
	s := start(t, Options{Logf: logf})
	verifier, challenge := pkce("log-verifier-log-verifier-log-verifier-log-verifier")
	q := authorizeParams()
	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	code := s.code(q)
	b := exchangeBody(code)
	b["code_verifier"] = verifier
	first := s.mustTokens(s.token(b))
	second := s.refresh(first.RefreshToken)
	s.get("/me", second.AccessToken)
	s.clock.Advance(DefaultReuseLeeway)
	s.token(refreshBody(first.RefreshToken)) // revokes the grant
	s.RevokeGrants()
	s.authorize(url.Values{"client_id": {"nobody"}})

	mu.Lock()
	defer mu.Unlock()
	log := strings.Join(lines, "\n")
	if !strings.Contains(log, "POST /oauth/token 200") || !strings.Contains(log, "grant revoked") {
		t.Errorf("log lacks requests or events:\n%s", log)
	}
	secrets := map[string]string{
		"code": code, "state": q.Get("state"), "verifier": verifier, "challenge": challenge,
		"client secret": DefaultClientSecret, "access token": second.AccessToken[len(second.AccessToken)-40:],
		"refresh token": first.RefreshToken[len(first.RefreshToken)-40:],
	}
	for name, v := range secrets {
		if strings.Contains(log, v) {
			t.Errorf("the log shows the %s:\n%s", name, log)
		}
	}
}
