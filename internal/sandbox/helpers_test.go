package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is an Options.Now that only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sandbox is a started Server with a client that does not follow
// redirects, so tests see what /authorize answers.
type sandbox struct {
	*Server
	t      testing.TB
	client *http.Client
	clock  *fakeClock
}

func start(t testing.TB, opts Options) *sandbox {
	t.Helper()
	clock := newFakeClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	s := New(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &sandbox{
		Server: s,
		t:      t,
		clock:  clock,
		client: &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

const testCallback = "http://127.0.0.1:47613/callback"

// testScopes are the scopes aumo asks for.
var testScopes = strings.Join(KnownScopes, " ")

// authorizeParams returns a valid authorization request as aumo sends it.
func authorizeParams() url.Values {
	return url.Values{
		"audience":      {Audience},
		"client_id":     {DefaultClientID},
		"scope":         {testScopes},
		"redirect_uri":  {testCallback},
		"state":         {"state-7f3a"},
		"response_type": {"code"},
		"prompt":        {"consent"},
	}
}

// pkce returns a verifier and its S256 challenge.
func pkce(verifier string) (string, string) {
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func (s *sandbox) do(req *http.Request) response {
	s.t.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

func (s *sandbox) authorize(q url.Values) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+"/authorize?"+q.Encode(), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do(req)
}

// code runs /authorize with q and returns the code from the redirect.
func (s *sandbox) code(q url.Values) string {
	s.t.Helper()
	r := s.authorize(q)
	if r.status != http.StatusFound {
		s.t.Fatalf("authorize: status %d, body %s", r.status, r.body)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		s.t.Fatal(err)
	}
	if got := loc.Query().Get("error"); got != "" {
		s.t.Fatalf("authorize: error %s: %s", got, loc.Query().Get("error_description"))
	}
	return loc.Query().Get("code")
}

type tokenBody map[string]string

func (s *sandbox) tokenRequest(ctx context.Context, body tokenBody, form bool) (*http.Request, error) {
	var (
		data        []byte
		contentType string
	)
	if form {
		v := url.Values{}
		for k, val := range body {
			v.Set(k, val)
		}
		data, contentType = []byte(v.Encode()), "application/x-www-form-urlencoded"
	} else {
		data, _ = json.Marshal(body)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/oauth/token", bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	return req, nil
}

func (s *sandbox) token(body tokenBody) response {
	s.t.Helper()
	req, err := s.tokenRequest(context.Background(), body, false)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do(req)
}

func exchangeBody(code string) tokenBody {
	return tokenBody{
		"grant_type": "authorization_code", "client_id": DefaultClientID, "client_secret": DefaultClientSecret,
		"code": code, "redirect_uri": testCallback,
	}
}

func refreshBody(refresh string) tokenBody {
	return tokenBody{
		"grant_type": "refresh_token", "client_id": DefaultClientID, "client_secret": DefaultClientSecret,
		"refresh_token": refresh,
	}
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
}

func (s *sandbox) mustTokens(r response) tokens {
	s.t.Helper()
	if r.status != http.StatusOK {
		s.t.Fatalf("token: status %d, body %s", r.status, r.body)
	}
	var tk tokens
	if err := json.Unmarshal(r.body, &tk); err != nil {
		s.t.Fatal(err)
	}
	return tk
}

// login runs the whole browser flow with the default request.
func (s *sandbox) login() tokens {
	s.t.Helper()
	return s.mustTokens(s.token(exchangeBody(s.code(authorizeParams()))))
}

func (s *sandbox) refresh(refresh string) tokens {
	s.t.Helper()
	return s.mustTokens(s.token(refreshBody(refresh)))
}

// get calls an API path with token as bearer; no header when token is "".
func (s *sandbox) get(path, token string) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.do(req)
}

// wantOAuthError checks an error answer of the token endpoint.
func wantOAuthError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if got := r.json(t)["error"]; got != code {
		t.Fatalf("error %v, want %s; body %s", got, code, r.body)
	}
}

// wantUnauthorized checks the gateway's 401.
func wantUnauthorized(t *testing.T, r response, message string) {
	t.Helper()
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401; body %s", r.status, r.body)
	}
	m := r.json(t)
	if m["code"] != float64(401) || m["message"] != message {
		t.Fatalf("body %s, want code 401 and message %q", r.body, message)
	}
}
