package auth

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/internal/secret"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

func init() { SetRetryBaseForTesting(time.Millisecond) }

func startSandbox(t *testing.T, opts sandbox.Options) (*sandbox.Server, *Client) {
	t.Helper()
	srv := sandbox.New(opts)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, &Client{
		ClientID: sandbox.DefaultClientID, ClientSecret: secret.New(sandbox.DefaultClientSecret),
		AuthURL: srv.URL(), APIURL: srv.URL(), Scopes: []string{"read:jira-work", "read:me", "offline_access"},
	}
}

func TestLoginThroughTheCallback(t *testing.T) {
	_, c := startSandbox(t, sandbox.Options{})
	var msgs bytes.Buffer
	g, err := c.Login(context.Background(), LoginOptions{
		RedirectURL: "http://127.0.0.1:0/callback",
		OpenBrowser: sandbox.Approve,
		Messages:    &msgs,
	})
	if err != nil {
		t.Fatal(err)
	}
	if g.AccessToken.IsZero() || g.RefreshToken.IsZero() || !strings.Contains(g.Scope, "read:jira-work") || g.Expiry.Before(time.Now()) {
		t.Errorf("grant incomplete: scope %q expiry %v", g.Scope, g.Expiry)
	}
	if !strings.Contains(msgs.String(), "/authorize?") {
		t.Errorf("the URL was not printed: %s", msgs.String())
	}
	for _, secretValue := range []string{g.AccessToken.Reveal(), g.RefreshToken.Reveal()} {
		if strings.Contains(msgs.String(), secretValue) {
			t.Error("a token reached the messages")
		}
	}
}

func TestLoginAuthorizeURL(t *testing.T) {
	_, c := startSandbox(t, sandbox.Options{})
	var seen string
	_, err := c.Login(context.Background(), LoginOptions{
		RedirectURL: "http://127.0.0.1:0/callback",
		OpenBrowser: func(u string) error { seen = u; return sandbox.Approve(u) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"audience=api.atlassian.com", "prompt=consent", "response_type=code",
		"code_challenge_method=S256", "client_id=aumo-sandbox", "offline_access"} {
		if !strings.Contains(seen, want) {
			t.Errorf("authorize URL lacks %s: %s", want, seen)
		}
	}
	state := regexp.MustCompile(`state=([^&]+)`).FindStringSubmatch(seen)
	if state == nil || len(state[1]) < 43 { // 32 random bytes, base64url
		t.Errorf("state too short: %v", state)
	}
}

func TestLoginNoBrowserReadsThePastedAddress(t *testing.T) {
	_, c := startSandbox(t, sandbox.Options{})
	var msgs bytes.Buffer
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	g, err := c.Login(context.Background(), LoginOptions{
		RedirectURL: "http://127.0.0.1:47613/callback",
		NoBrowser:   true,
		Messages:    &msgs,
		ReadLine: func() (string, error) {
			// The person opens the printed URL elsewhere and copies the
			// address the browser lands on.
			u := regexp.MustCompile(`http://\S+/authorize\?\S+`).FindString(msgs.String())
			resp, err := noFollow.Get(u)
			if err != nil {
				return "", err
			}
			_ = resp.Body.Close()
			return "  " + resp.Header.Get("Location") + "\r\n", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if g.RefreshToken.IsZero() {
		t.Error("no refresh token")
	}
}

func TestLoginNoBrowserRejectsGarbage(t *testing.T) {
	_, c := startSandbox(t, sandbox.Options{})
	_, err := c.Login(context.Background(), LoginOptions{
		RedirectURL: "http://127.0.0.1:47613/callback",
		NoBrowser:   true,
		ReadLine:    func() (string, error) { return "http://127.0.0.1:47613/callback?code=x&state=forged", nil },
	})
	if !errors.Is(err, ErrStateMismatch) {
		t.Fatalf("got %v, want ErrStateMismatch", err)
	}
}

func TestMissingScopes(t *testing.T) {
	got := MissingScopes("read:jira-work offline_access", []string{"read:jira-work", "search:confluence", "offline_access", "read:me"})
	if len(got) != 2 || got[0].Scope != "search:confluence" || got[1].Scope != "read:me" || got[0].Purpose == "" {
		t.Errorf("got %+v", got)
	}
}

// countingStore counts saves and can fail them.
type countingStore struct {
	tokenstore.Memory
	mu    sync.Mutex
	saves int
	fail  error
}

func (s *countingStore) Save(ctx context.Context, p string, g *tokenstore.Grant) error {
	s.mu.Lock()
	s.saves++
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	return s.Memory.Save(ctx, p, g)
}

func loggedIn(t *testing.T, c *Client, store tokenstore.Store) {
	t.Helper()
	g, err := c.Login(context.Background(), LoginOptions{
		RedirectURL: "http://127.0.0.1:0/callback",
		OpenBrowser: sandbox.Approve,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Save(context.Background(), "p", g); err != nil {
		t.Fatal(err)
	}
}

func TestTokenSourceRefreshesOnceForManyGoroutinesAndProcesses(t *testing.T) {
	srv, c := startSandbox(t, sandbox.Options{AccessTokenLifetime: time.Second, ReuseLeeway: -1})
	store := &countingStore{}
	loggedIn(t, c, store)
	dir := t.TempDir()
	// Two sources on one store and lock directory stand for two processes.
	sources := []*TokenSource{
		{Client: c, Store: store, StateDir: dir, Profile: "p", Now: anHourOn},
		{Client: c, Store: store, StateDir: dir, Profile: "p", Now: anHourOn},
	}
	before := store.saves
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			_, err := sources[i%2].AccessToken(context.Background())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := srv.Stats()
	if st.GrantsRevoked != 0 || st.ReuseWithinLeeway != 0 {
		t.Fatalf("a refresh token was used twice: %+v", st)
	}
	// The sources' clock is an hour on, so every token has expired and
	// each source refreshes each time it asks under the lock; what
	// matters is that every refresh was stored.
	if store.saves-before != st.Refreshes {
		t.Errorf("%d refreshes but %d saves", st.Refreshes, store.saves-before)
	}
}

func TestTokenSourceUsesAFreshStoredToken(t *testing.T) {
	srv, c := startSandbox(t, sandbox.Options{})
	store := &countingStore{}
	loggedIn(t, c, store)
	ts := &TokenSource{Client: c, Store: store, StateDir: t.TempDir(), Profile: "p"}
	for range 5 {
		if _, err := ts.AccessToken(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Stats().Refreshes; n != 0 {
		t.Errorf("%d refreshes of a valid token", n)
	}
}

func TestTokenSourcePersistsBeforeUse(t *testing.T) {
	_, c := startSandbox(t, sandbox.Options{AccessTokenLifetime: time.Second})
	store := &countingStore{}
	loggedIn(t, c, store)
	store.fail = errors.New("disk full")
	ts := &TokenSource{Client: c, Store: store, StateDir: t.TempDir(), Profile: "p", Now: anHourOn}
	tok, err := ts.AccessToken(context.Background())
	if err == nil || !tok.IsZero() {
		t.Fatalf("a token that was not stored was handed out (err %v)", err)
	}
}

func TestTokenSourceAfterRevokeAndInvalidGrant(t *testing.T) {
	srv, c := startSandbox(t, sandbox.Options{AccessTokenLifetime: time.Second})
	store := &countingStore{}
	loggedIn(t, c, store)
	ts := &TokenSource{Client: c, Store: store, StateDir: t.TempDir(), Profile: "p", Now: anHourOn}

	srv.RevokeGrants()
	_, err := ts.AccessToken(context.Background())
	var ge *GrantError
	if !errors.As(err, &ge) {
		t.Fatalf("got %v, want GrantError", err)
	}

	if _, err := store.Delete(context.Background(), "p"); err != nil {
		t.Fatal(err)
	}
	saves := store.saves
	if _, err := ts.AccessToken(context.Background()); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("got %v, want ErrNotLoggedIn", err)
	}
	if store.saves != saves {
		t.Error("a revoked profile was written again")
	}
}

func TestTokenEndpointRetriesThenGivesUp(t *testing.T) {
	srv, c := startSandbox(t, sandbox.Options{AccessTokenLifetime: time.Second})
	store := &countingStore{}
	loggedIn(t, c, store)
	ts := &TokenSource{Client: c, Store: store, StateDir: t.TempDir(), Profile: "p", Now: anHourOn}

	srv.FailTokenRequests(tokenRetries, http.StatusServiceUnavailable)
	if _, err := ts.AccessToken(context.Background()); err != nil {
		t.Fatalf("%d failures are retried: %v", tokenRetries, err)
	}
	srv.FailTokenRequests(tokenRetries+1, http.StatusBadGateway)
	_, err := ts.AccessToken(context.Background())
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "HTTP 502") {
		t.Fatalf("got %v, want UnreachableError naming HTTP 502", err)
	}
}

// anHourOn is a clock an hour ahead: every token the sandbox issued in
// the test has expired, and each call renews it.
func anHourOn() time.Time { return time.Now().Add(time.Hour) }

// TestRenewalMarginScalesWithTheLifetime renews a token of 60 seconds
// after about half its life, not before every request, and an hour's a
// minute before it ends; a grant stored without its lifetime, a minute
// before.
func TestRenewalMarginScalesWithTheLifetime(t *testing.T) {
	issued := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		lifetime, stillValid, renewed time.Duration
	}{
		{time.Minute, 29 * time.Second, 31 * time.Second},
		{time.Hour, 58 * time.Minute, 59*time.Minute + 30*time.Second},
		{0, 58 * time.Minute, 59*time.Minute + 30*time.Second}, // an hour's token, lifetime unknown
	} {
		life := cmp.Or(tc.lifetime, time.Hour)
		g := &tokenstore.Grant{AccessToken: secret.New("tok"), Expiry: issued.Add(life), Lifetime: tc.lifetime}
		at := func(d time.Duration) bool {
			ts := &TokenSource{Now: func() time.Time { return issued.Add(d) }}
			return ts.fresh(g)
		}
		if !at(tc.stillValid) || at(tc.renewed) {
			t.Errorf("lifetime %v: valid at %v: %v (want true), at %v: %v (want false)", tc.lifetime, tc.stillValid, at(tc.stillValid), tc.renewed, at(tc.renewed))
		}
	}
}
