package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCodeFlow(t *testing.T) {
	s := start(t, Options{})
	verifier, challenge := pkce("a-verifier-of-at-least-forty-three-characters-long")
	q := authorizeParams()
	q.Set("redirect_uri", "http://localhost:47613/callback?profile=work")
	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")

	r := s.authorize(q)
	if r.status != http.StatusFound {
		t.Fatalf("authorize: status %d, body %s", r.status, r.body)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	got := loc.Query()
	if loc.Host != "localhost:47613" || loc.Path != "/callback" || got.Get("profile") != "work" {
		t.Errorf("redirected to %s, want the callback with its own query kept", loc.Redacted())
	}
	if got.Get("state") != "state-7f3a" || got.Get("code") == "" || got.Get("error") != "" {
		t.Fatalf("callback query %v, want code and the state sent", got)
	}

	body := exchangeBody(got.Get("code"))
	body["redirect_uri"] = q.Get("redirect_uri")
	body["code_verifier"] = verifier
	tk := s.mustTokens(s.token(body))
	if tk.TokenType != "Bearer" || tk.ExpiresIn != 3600 || tk.Scope != testScopes || tk.RefreshToken == "" {
		t.Errorf("token response %+v, want Bearer, 3600 s, every scope and a refresh token", tk)
	}
	if len(tk.AccessToken) != DefaultAccessTokenSize {
		t.Errorf("access token is %d bytes, want %d", len(tk.AccessToken), DefaultAccessTokenSize)
	}
	if r := s.get("/oauth/token/accessible-resources", tk.AccessToken); r.status != http.StatusOK {
		t.Errorf("accessible-resources: status %d", r.status)
	}
	if st := s.Stats(); st.AuthorizeRequests != 1 || st.TokenRequests != 1 || st.CodeExchanges != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestAuthorizeRejects(t *testing.T) {
	_, challenge := pkce("another-verifier-of-at-least-forty-three-characters")
	tests := []struct {
		name string
		edit func(url.Values)
		// page is set when the sandbox cannot trust the callback and must
		// answer with an error page; otherwise it redirects with err.
		page bool
		err  string
	}{
		{"missing client_id", func(q url.Values) { q.Del("client_id") }, true, ""},
		{"unknown client_id", func(q url.Values) { q.Set("client_id", "someone-else") }, true, ""},
		{"repeated client_id", func(q url.Values) { q.Add("client_id", DefaultClientID) }, true, ""},
		{"missing redirect_uri", func(q url.Values) { q.Del("redirect_uri") }, true, ""},
		{"https redirect_uri", func(q url.Values) { q.Set("redirect_uri", "https://127.0.0.1:47613/callback") }, true, ""},
		{"remote redirect_uri", func(q url.Values) { q.Set("redirect_uri", "http://example.com/callback") }, true, ""},
		{"private address redirect_uri", func(q url.Values) { q.Set("redirect_uri", "http://192.168.1.2:47613/cb") }, true, ""},
		{"redirect_uri with user", func(q url.Values) { q.Set("redirect_uri", "http://u@127.0.0.1:47613/cb") }, true, ""},
		{"redirect_uri with fragment", func(q url.Values) { q.Set("redirect_uri", testCallback+"#x") }, true, ""},
		{"relative redirect_uri", func(q url.Values) { q.Set("redirect_uri", "/callback") }, true, ""},
		{"missing audience", func(q url.Values) { q.Del("audience") }, false, "invalid_request"},
		{"wrong audience", func(q url.Values) { q.Set("audience", "auth.atlassian.com") }, false, "invalid_request"},
		{"missing response_type", func(q url.Values) { q.Del("response_type") }, false, "unsupported_response_type"},
		{"implicit response_type", func(q url.Values) { q.Set("response_type", "token") }, false, "unsupported_response_type"},
		{"missing prompt", func(q url.Values) { q.Del("prompt") }, false, "invalid_request"},
		{"prompt none", func(q url.Values) { q.Set("prompt", "none") }, false, "invalid_request"},
		{"missing state", func(q url.Values) { q.Del("state") }, false, "invalid_request"},
		{"repeated state", func(q url.Values) { q.Add("state", "other") }, false, "invalid_request"},
		{"missing scope", func(q url.Values) { q.Del("scope") }, false, "invalid_scope"},
		{"blank scope", func(q url.Values) { q.Set("scope", "  ") }, false, "invalid_scope"},
		{"unknown scope", func(q url.Values) { q.Set("scope", "read:jira-work read:everything") }, false, "invalid_scope"},
		{"write scope", func(q url.Values) { q.Set("scope", "read:jira-work write:jira-work") }, false, "invalid_scope"},
		{"comma-separated scopes", func(q url.Values) { q.Set("scope", "read:jira-work,read:me") }, false, "invalid_scope"},
		{"plain PKCE", func(q url.Values) {
			q.Set("code_challenge", challenge)
			q.Set("code_challenge_method", "plain")
		}, false, "invalid_request"},
		{"PKCE without method", func(q url.Values) { q.Set("code_challenge", challenge) }, false, "invalid_request"},
		{"PKCE method without challenge", func(q url.Values) { q.Set("code_challenge_method", "S256") }, false, "invalid_request"},
		{"malformed challenge", func(q url.Values) {
			q.Set("code_challenge", "too-short")
			q.Set("code_challenge_method", "S256")
		}, false, "invalid_request"},
	}
	s := start(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := authorizeParams()
			tt.edit(q)
			r := s.authorize(q)
			if tt.page {
				if r.status != http.StatusBadRequest || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
					t.Fatalf("status %d, Content-Type %q, want a 400 HTML page", r.status, r.header.Get("Content-Type"))
				}
				return
			}
			if r.status != http.StatusFound {
				t.Fatalf("status %d, want 302; body %s", r.status, r.body)
			}
			loc, err := url.Parse(r.header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			got := loc.Query()
			if !strings.HasPrefix(loc.String(), testCallback+"?") {
				t.Errorf("redirected to %s, want the callback", loc)
			}
			if got.Get("error") != tt.err || got.Get("error_description") == "" || got.Get("code") != "" {
				t.Errorf("callback query %v, want error %s with a description and no code", got, tt.err)
			}
			if want := q.Get("state"); got.Get("state") != want {
				t.Errorf("state %q, want %q", got.Get("state"), want)
			}
		})
	}
}

func TestAuthorizeOtherLoopbackCallbacks(t *testing.T) {
	s := start(t, Options{})
	for _, cb := range []string{"http://127.0.0.1/cb", "http://[::1]:9/cb", "http://localhost:65535/"} {
		q := authorizeParams()
		q.Set("redirect_uri", cb)
		if s.code(q) == "" {
			t.Errorf("%s: no code", cb)
		}
	}
}

func TestAuthorizeOnlyGET(t *testing.T) {
	s := start(t, Options{})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/authorize?"+authorizeParams().Encode(), nil)
	if r := s.do(req); r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /authorize: status %d, want 405", r.status)
	}
}

func TestSetDeny(t *testing.T) {
	s := start(t, Options{})
	s.SetDeny(true)
	r := s.authorize(authorizeParams())
	loc, _ := url.Parse(r.header.Get("Location"))
	if got := loc.Query(); r.status != http.StatusFound || got.Get("error") != "access_denied" ||
		got.Get("error_description") == "" || got.Get("state") != "state-7f3a" || got.Get("code") != "" {
		t.Fatalf("status %d, callback query %v, want access_denied with state", r.status, got)
	}
	s.SetDeny(false)
	s.login()
}

func TestTokenBodyEncodings(t *testing.T) {
	s := start(t, Options{})
	for _, form := range []bool{false, true} {
		code := s.code(authorizeParams())
		req, err := s.tokenRequest(context.Background(), exchangeBody(code), form)
		if err != nil {
			t.Fatal(err)
		}
		tk := s.mustTokens(s.do(req))
		req, err = s.tokenRequest(context.Background(), refreshBody(tk.RefreshToken), form)
		if err != nil {
			t.Fatal(err)
		}
		s.mustTokens(s.do(req))
	}
	if st := s.Stats(); st.CodeExchanges != 2 || st.Refreshes != 2 {
		t.Errorf("stats %+v, want 2 exchanges and 2 refreshes", st)
	}
}

func TestTokenClientAuthentication(t *testing.T) {
	s := start(t, Options{ClientID: "my-app", ClientSecret: "my-secret"})
	q := authorizeParams()
	q.Set("client_id", "my-app")
	code := s.code(q)
	good := tokenBody{
		"grant_type": "authorization_code", "client_id": "my-app", "client_secret": "my-secret",
		"code": code, "redirect_uri": testCallback,
	}
	with := func(key, value string) tokenBody {
		b := tokenBody{}
		for k, v := range good {
			b[k] = v
		}
		if value == "" {
			delete(b, key)
		} else {
			b[key] = value
		}
		return b
	}
	tests := []struct {
		name  string
		body  tokenBody
		basic bool
	}{
		{"missing secret", with("client_secret", ""), false},
		{"secret only in Basic auth", with("client_secret", ""), true},
		{"wrong secret", with("client_secret", "my-secreT"), false},
		{"default secret", with("client_secret", DefaultClientSecret), false},
		{"unknown client", with("client_id", "other-app"), false},
		{"missing client", with("client_id", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := s.tokenRequest(context.Background(), tt.body, false)
			if err != nil {
				t.Fatal(err)
			}
			if tt.basic {
				req.SetBasicAuth("my-app", "my-secret")
			}
			r := s.do(req)
			wantOAuthError(t, r, http.StatusUnauthorized, "access_denied")
			if d := r.json(t)["error_description"]; d != "Unauthorized" {
				t.Errorf("error_description %v, want Unauthorized", d)
			}
		})
	}
	// A client that failed to authenticate must not have spent the code.
	s.mustTokens(s.token(good))
}

func TestTokenErrors(t *testing.T) {
	tests := []struct {
		name   string
		run    func(s *sandbox) response
		status int
		err    string
	}{
		{"unsupported grant type", func(s *sandbox) response {
			b := refreshBody("x")
			b["grant_type"] = "password"
			return s.token(b)
		}, http.StatusBadRequest, "unsupported_grant_type"},
		{"missing grant type", func(s *sandbox) response {
			b := refreshBody("x")
			delete(b, "grant_type")
			return s.token(b)
		}, http.StatusBadRequest, "unsupported_grant_type"},
		{"text body", func(s *sandbox) response {
			req, _ := http.NewRequest(http.MethodPost, s.URL()+"/oauth/token", strings.NewReader("grant_type=refresh_token"))
			req.Header.Set("Content-Type", "text/plain")
			return s.do(req)
		}, http.StatusBadRequest, "invalid_request"},
		{"malformed JSON", func(s *sandbox) response {
			req, _ := http.NewRequest(http.MethodPost, s.URL()+"/oauth/token", strings.NewReader(`{"grant_type":1}`))
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
			return s.do(req)
		}, http.StatusBadRequest, "invalid_request"},
		{"missing code", func(s *sandbox) response {
			return s.token(exchangeBody(""))
		}, http.StatusBadRequest, "invalid_request"},
		{"unknown code", func(s *sandbox) response {
			return s.token(exchangeBody("NOTACODE"))
		}, http.StatusForbidden, "invalid_grant"},
		{"code used twice", func(s *sandbox) response {
			code := s.code(authorizeParams())
			s.mustTokens(s.token(exchangeBody(code)))
			return s.token(exchangeBody(code))
		}, http.StatusForbidden, "invalid_grant"},
		{"expired code", func(s *sandbox) response {
			code := s.code(authorizeParams())
			s.clock.Advance(codeLifetime)
			return s.token(exchangeBody(code))
		}, http.StatusForbidden, "invalid_grant"},
		{"other redirect_uri", func(s *sandbox) response {
			b := exchangeBody(s.code(authorizeParams()))
			b["redirect_uri"] = "http://127.0.0.1:47614/callback"
			return s.token(b)
		}, http.StatusForbidden, "invalid_grant"},
		{"code spent by a wrong redirect_uri", func(s *sandbox) response {
			b := exchangeBody(s.code(authorizeParams()))
			b["redirect_uri"] = "http://127.0.0.1:47614/callback"
			s.token(b)
			return s.token(exchangeBody(b["code"]))
		}, http.StatusForbidden, "invalid_grant"},
		{"missing code_verifier", func(s *sandbox) response {
			_, challenge := pkce("verifier-verifier-verifier-verifier-verifier")
			q := authorizeParams()
			q.Set("code_challenge", challenge)
			q.Set("code_challenge_method", "S256")
			return s.token(exchangeBody(s.code(q)))
		}, http.StatusForbidden, "invalid_grant"},
		{"wrong code_verifier", func(s *sandbox) response {
			_, challenge := pkce("verifier-verifier-verifier-verifier-verifier")
			q := authorizeParams()
			q.Set("code_challenge", challenge)
			q.Set("code_challenge_method", "S256")
			b := exchangeBody(s.code(q))
			b["code_verifier"] = "verifier-verifier-verifier-verifier-verifieR"
			return s.token(b)
		}, http.StatusForbidden, "invalid_grant"},
		{"missing refresh token", func(s *sandbox) response {
			return s.token(refreshBody(""))
		}, http.StatusBadRequest, "invalid_request"},
		{"unknown refresh token", func(s *sandbox) response {
			return s.token(refreshBody("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"))
		}, http.StatusForbidden, "invalid_grant"},
		{"access token as refresh token", func(s *sandbox) response {
			return s.token(refreshBody(s.login().AccessToken))
		}, http.StatusForbidden, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{})
			wantOAuthError(t, tt.run(s), tt.status, tt.err)
		})
	}
}

func TestRefreshErrorBody(t *testing.T) {
	s := start(t, Options{})
	r := s.token(refreshBody("nope"))
	if got := r.json(t); r.status != http.StatusForbidden || got["error"] != "invalid_grant" ||
		got["error_description"] != "Unknown or invalid refresh token." {
		t.Errorf("status %d, body %s", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}

func TestRefreshRotates(t *testing.T) {
	s := start(t, Options{})
	first := s.login()
	s.clock.Advance(time.Minute)
	second := s.refresh(first.RefreshToken)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh returned the tokens it was given")
	}
	if second.Scope != first.Scope || second.ExpiresIn != 3600 {
		t.Errorf("refreshed token %+v, want the grant's scope and 3600 s", second)
	}
	third := s.refresh(second.RefreshToken)
	for _, tk := range []string{first.AccessToken, second.AccessToken, third.AccessToken} {
		if !s.AccessTokenValid(tk) {
			t.Error("an unexpired access token stopped working after a refresh")
		}
	}
	if st := s.Stats(); st.Refreshes != 2 || st.ReuseWithinLeeway != 0 || st.GrantsRevoked != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestReuseWithinLeeway(t *testing.T) {
	s := start(t, Options{})
	first := s.login()
	second := s.refresh(first.RefreshToken)
	s.clock.Advance(DefaultReuseLeeway - time.Second)
	again := s.refresh(first.RefreshToken)
	if again.RefreshToken == second.RefreshToken {
		t.Error("reuse within the leeway returned the same refresh token again")
	}
	// Both branches of the chain stay usable.
	s.refresh(second.RefreshToken)
	s.refresh(again.RefreshToken)
	if st := s.Stats(); st.Refreshes != 4 || st.ReuseWithinLeeway != 1 || st.GrantsRevoked != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestReuseOutsideLeewayRevokesGrant(t *testing.T) {
	tests := []struct {
		name   string
		leeway time.Duration // set at run time when not zero
		after  time.Duration
	}{
		{"default leeway", 0, DefaultReuseLeeway},
		{"short leeway", 3 * time.Second, 3 * time.Second},
		{"no leeway", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{})
			if tt.leeway != 0 {
				s.SetReuseLeeway(tt.leeway)
			}
			other := s.login() // another grant, which must survive
			first := s.login()
			second := s.refresh(first.RefreshToken)
			s.clock.Advance(tt.after)

			wantOAuthError(t, s.token(refreshBody(first.RefreshToken)), http.StatusForbidden, "invalid_grant")
			wantOAuthError(t, s.token(refreshBody(second.RefreshToken)), http.StatusForbidden, "invalid_grant")
			for _, tk := range []string{first.AccessToken, second.AccessToken} {
				wantUnauthorized(t, s.get("/oauth/token/accessible-resources", tk), MessageUnauthorized)
			}
			if r := s.get("/oauth/token/accessible-resources", other.AccessToken); r.status != http.StatusOK {
				t.Errorf("another grant's token: status %d", r.status)
			}
			s.refresh(other.RefreshToken)
			if st := s.Stats(); st.GrantsRevoked != 1 || st.ReuseWithinLeeway != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestRefreshTokenLifetimes(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		s := start(t, Options{})
		tk := s.login()
		s.clock.Advance(refreshIdleLifetime)
		wantOAuthError(t, s.token(refreshBody(tk.RefreshToken)), http.StatusForbidden, "invalid_grant")
	})
	t.Run("absolute", func(t *testing.T) {
		s := start(t, Options{})
		tk := s.login()
		var elapsed time.Duration
		for elapsed+refreshIdleLifetime/2 < grantLifetime {
			s.clock.Advance(refreshIdleLifetime / 2)
			elapsed += refreshIdleLifetime / 2
			tk = s.refresh(tk.RefreshToken)
		}
		s.clock.Advance(grantLifetime - elapsed)
		wantOAuthError(t, s.token(refreshBody(tk.RefreshToken)), http.StatusForbidden, "invalid_grant")
	})
}

func TestAccessTokenLifetime(t *testing.T) {
	s := start(t, Options{AccessTokenLifetime: 30 * time.Minute})
	tk := s.login()
	if tk.ExpiresIn != 1800 {
		t.Errorf("expires_in %d, want 1800", tk.ExpiresIn)
	}
	s.clock.Advance(30*time.Minute - time.Second)
	if !s.AccessTokenValid(tk.AccessToken) {
		t.Fatal("token expired early")
	}
	s.clock.Advance(time.Second)
	wantUnauthorized(t, s.get("/oauth/token/accessible-resources", tk.AccessToken), MessageUnauthorized)

	s.SetAccessTokenLifetime(2 * time.Minute)
	if tk = s.refresh(tk.RefreshToken); tk.ExpiresIn != 120 {
		t.Errorf("expires_in %d after SetAccessTokenLifetime, want 120", tk.ExpiresIn)
	}
	s.SetAccessTokenLifetime(0)
	if tk = s.refresh(tk.RefreshToken); tk.ExpiresIn != 0 || s.AccessTokenValid(tk.AccessToken) {
		t.Errorf("lifetime 0 gave expires_in %d and a usable token", tk.ExpiresIn)
	}
}

func TestFailTokenRequests(t *testing.T) {
	tests := []struct {
		status      int
		contentType string
		want        int
	}{
		{http.StatusServiceUnavailable, "text/html", http.StatusServiceUnavailable},
		{http.StatusBadGateway, "text/html", http.StatusBadGateway},
		{http.StatusTooManyRequests, "application/json", http.StatusTooManyRequests},
		{http.StatusOK, "text/html", http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			s := start(t, Options{})
			tk := s.login()
			s.FailTokenRequests(2, tt.status)
			for range 2 {
				r := s.token(refreshBody(tk.RefreshToken))
				if r.status != tt.want || !strings.HasPrefix(r.header.Get("Content-Type"), tt.contentType) {
					t.Fatalf("status %d, Content-Type %q, want %d and %s", r.status, r.header.Get("Content-Type"), tt.want, tt.contentType)
				}
			}
			// The failures did not spend the refresh token.
			s.refresh(tk.RefreshToken)
			if st := s.Stats(); st.InjectedFailures != 2 || st.TokenRequests != 4 || st.Refreshes != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		s := start(t, Options{})
		s.FailTokenRequests(5, http.StatusServiceUnavailable)
		s.FailTokenRequests(0, http.StatusServiceUnavailable)
		s.login()
	})
}

func TestSetTokenDelay(t *testing.T) {
	s := start(t, Options{})
	code := s.code(authorizeParams())

	s.SetTokenDelay(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := s.tokenRequest(ctx, exchangeBody(code), false)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.client.Do(req)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("a delayed token request answered %d", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the client's deadline", err)
	}

	// The abandoned request spent nothing.
	s.SetTokenDelay(time.Millisecond)
	s.mustTokens(s.token(exchangeBody(code)))
	if st := s.Stats(); st.CodeExchanges != 1 || st.TokenRequests != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestCloseEndsTokenDelay(t *testing.T) {
	s := start(t, Options{})
	s.SetTokenDelay(time.Hour)
	done := make(chan error, 1)
	go func() {
		req, _ := s.tokenRequest(context.Background(), refreshBody("x"), false)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		done <- err
	}()
	for s.Stats().TokenRequests == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("a request pending at Close got an answer")
	}
}

func TestSetWithheldScopes(t *testing.T) {
	s := start(t, Options{})
	s.SetWithheldScopes(OfflineAccess, "read:me", "read:folder:confluence")
	tk := s.login()
	if tk.RefreshToken != "" {
		t.Error("a refresh token without offline_access")
	}
	want := strings.Join(KnownScopes[:len(KnownScopes)-2], " ")
	want = strings.Replace(want, "read:me ", "", 1)
	if tk.Scope != want {
		t.Errorf("scope %q, want %q", tk.Scope, want)
	}
	wantUnauthorized(t, s.get("/me", tk.AccessToken), MessageScopeMismatch)

	s.SetWithheldScopes()
	if tk := s.login(); tk.Scope != testScopes || tk.RefreshToken == "" {
		t.Errorf("after clearing withheld scopes: %+v", tk)
	}
}

func TestRevokeGrants(t *testing.T) {
	s := start(t, Options{})
	a, b := s.login(), s.login()
	code := s.code(authorizeParams())
	s.RevokeGrants()
	for _, tk := range []tokens{a, b} {
		wantUnauthorized(t, s.get("/me", tk.AccessToken), MessageUnauthorized)
		wantOAuthError(t, s.token(refreshBody(tk.RefreshToken)), http.StatusForbidden, "invalid_grant")
	}
	wantOAuthError(t, s.token(exchangeBody(code)), http.StatusForbidden, "invalid_grant")
	s.RevokeGrants()
	if st := s.Stats(); st.GrantsRevoked != 2 {
		t.Errorf("GrantsRevoked %d, want 2", st.GrantsRevoked)
	}
	s.login()
}

// TestConcurrentRefresh is the race a client without single-flight runs:
// many goroutines refresh with the same token at once.
func TestConcurrentRefresh(t *testing.T) {
	const n = 16
	tests := []struct {
		name     string
		leeway   time.Duration
		wantOK   int
		wantLive bool
	}{
		{"within leeway", DefaultReuseLeeway, n, true},
		{"no leeway", 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{})
			s.SetReuseLeeway(tt.leeway)
			tk := s.login()
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				ok      int
				results []string
			)
			for range n {
				wg.Go(func() {
					req, err := s.tokenRequest(context.Background(), refreshBody(tk.RefreshToken), false)
					if err != nil {
						t.Error(err)
						return
					}
					resp, err := s.client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					defer func() { _ = resp.Body.Close() }()
					var got tokens
					if resp.StatusCode != http.StatusOK {
						return
					}
					if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					ok++
					results = append(results, got.RefreshToken)
				})
			}
			wg.Wait()
			if ok != tt.wantOK {
				t.Fatalf("%d refreshes succeeded, want %d", ok, tt.wantOK)
			}
			seen := map[string]bool{}
			for _, rt := range results {
				if seen[rt] {
					t.Error("two refreshes returned the same refresh token")
				}
				seen[rt] = true
			}
			r := s.token(refreshBody(results[0]))
			if live := r.status == http.StatusOK; live != tt.wantLive {
				t.Errorf("grant alive %v, want %v", live, tt.wantLive)
			}
			st := s.Stats()
			if tt.wantLive && st.ReuseWithinLeeway != n-1 {
				t.Errorf("ReuseWithinLeeway %d, want %d", st.ReuseWithinLeeway, n-1)
			}
			if !tt.wantLive && st.GrantsRevoked != 1 {
				t.Errorf("GrantsRevoked %d, want 1", st.GrantsRevoked)
			}
		})
	}
}

func TestMintTokenSize(t *testing.T) {
	mint := func(size int) string { return mintToken(size, DefaultUser.AccountID, time.Unix(1, 0), time.Unix(2, 0)) }
	smallest := len(mint(0))
	for size := range smallest {
		// Too small a size is raised to about the smallest token.
		if got := len(mint(size)); got < smallest-1 || got > smallest+1 {
			t.Fatalf("asked for %d bytes, got %d; the smallest token is %d", size, got, smallest)
		}
	}
	for size := smallest; size < smallest+40; size++ {
		checkToken(t, mint(size), size)
	}
	for _, size := range []int{DefaultAccessTokenSize, 2560, 6000, 6001, 6002, 6003} {
		checkToken(t, mintToken(size, DefaultUser.AccountID, time.Now(), time.Now().Add(time.Hour)), size)
	}
	if a, b := mintToken(1000, "x", time.Unix(1, 0), time.Time{}), mintToken(1000, "x", time.Unix(1, 0), time.Time{}); a == b {
		t.Error("two tokens are equal")
	}
}

func checkToken(t *testing.T, token string, size int) {
	t.Helper()
	if len(token) != size {
		t.Errorf("token is %d bytes, want %d", len(token), size)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			t.Fatalf("segment %d of a %d-byte token: %v", i, size, err)
		}
		var claims map[string]any
		if i < 2 && json.Unmarshal(b, &claims) != nil {
			t.Fatalf("segment %d is not a JSON object: %s", i, b)
		}
	}
}

func TestLargeAccessTokens(t *testing.T) {
	s := start(t, Options{AccessTokenSize: 6000, RefreshTokenSize: 3000})
	tk := s.login()
	if len(tk.AccessToken) != 6000 || len(tk.RefreshToken) != 3000 {
		t.Fatalf("tokens of %d and %d bytes, want 6000 and 3000", len(tk.AccessToken), len(tk.RefreshToken))
	}
	if r := s.get("/me", tk.AccessToken); r.status != http.StatusOK {
		t.Errorf("/me with a 6000-byte token: status %d", r.status)
	}
	s.refresh(tk.RefreshToken)
}

// BenchmarkRefresh measures one refresh round trip over loopback, the
// sandbox's share of any client benchmark that refreshes.
func BenchmarkRefresh(b *testing.B) {
	s := start(b, Options{})
	rt := s.login().RefreshToken
	for b.Loop() {
		rt = s.refresh(rt).RefreshToken
	}
}
