package sandbox

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Audience is the only audience /authorize accepts: the API gateway.
const Audience = "api.atlassian.com"

// OfflineAccess is the scope that makes the token endpoint hand out a
// refresh token.
const OfflineAccess = "offline_access"

// KnownScopes are the scopes the sandbox app may request, as if they were
// the ones added to it in the developer console. Write scopes are absent on
// purpose: aumo only reads, and asking for more is a bug the sandbox should
// reveal.
var KnownScopes = []string{
	"read:jira-work", "read:jira-user", "read:me",
	"search:confluence", "read:confluence-content.all", "read:confluence-content.summary",
	"read:confluence-space.summary", "readonly:content.attachment:confluence",
	"read:page:confluence", "read:attachment:confluence", "read:comment:confluence",
	"read:space:confluence", "read:content.metadata:confluence", "read:user:confluence",
	"read:confluence-user", "read:folder:confluence",
	OfflineAccess,
}

// codeLifetime is how long an authorization code can be exchanged.
const codeLifetime = 10 * time.Minute

// maxTokenBody bounds a token request; real ones are a few hundred bytes
// plus a refresh token.
const maxTokenBody = 64 << 10

func (s *Server) registerAuthRoutes() {
	s.mux.HandleFunc("GET /authorize", s.handleAuthorize)
	s.mux.HandleFunc("POST /oauth/token", s.handleToken)
	s.mux.HandleFunc("GET /oauth/token/accessible-resources", s.handleAccessibleResources)
	s.mux.HandleFunc("GET /me", s.handleMe)
}

// handleAuthorize consents at once. Like Atlassian it can only show an
// error page while it does not trust the client and callback; after that,
// every error goes back to the callback where the client can report it.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.AuthorizeRequests++
	s.mu.Unlock()

	q := r.URL.Query()
	callback, err := s.trustedCallback(q)
	if err != nil {
		writeErrorPage(w, err.Error())
		return
	}

	state := q.Get("state")
	fail := func(code, description string) {
		redirect(w, r, callback, "error", code, "error_description", description, "state", state)
	}
	for name := range q {
		if len(q[name]) > 1 {
			fail("invalid_request", "parameter "+name+" is repeated")
			return
		}
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
		return
	case q.Get("audience") != Audience:
		fail("invalid_request", "audience must be "+Audience)
		return
	case q.Get("prompt") != "consent":
		fail("invalid_request", "prompt must be consent")
		return
	case state == "":
		fail("invalid_request", "state is required")
		return
	}
	requested, err := parseScopes(q.Get("scope"))
	if err != nil {
		fail("invalid_scope", err.Error())
		return
	}
	challenge, err := parseChallenge(q.Get("code_challenge"), q.Get("code_challenge_method"))
	if err != nil {
		fail("invalid_request", err.Error())
		return
	}

	s.mu.Lock()
	if s.settings.deny {
		s.mu.Unlock()
		fail("access_denied", "User did not authorize the request")
		return
	}
	granted := slices.DeleteFunc(requested, func(sc string) bool { return s.settings.withheld[sc] })
	now := s.now()
	code := s.auth.newCode(authCode{
		redirectURI: q.Get("redirect_uri"),
		scopes:      granted,
		challenge:   challenge,
		expires:     now.Add(codeLifetime),
	}, now)
	s.mu.Unlock()
	redirect(w, r, callback, "code", code, "state", state)
}

// trustedCallback returns the callback of a request from the known client.
func (s *Server) trustedCallback(q url.Values) (*url.URL, error) {
	clientID, err := single(q, "client_id")
	if err != nil {
		return nil, err
	}
	if clientID != s.clientID {
		return nil, errors.New("unknown client_id")
	}
	raw, err := single(q, "redirect_uri")
	if err != nil {
		return nil, err
	}
	return parseLoopbackCallback(raw)
}

// single returns the one value of a parameter: OAuth forbids repeating
// one, and a server that picked either copy could be tricked.
func single(q url.Values, name string) (string, error) {
	switch len(q[name]) {
	case 0:
		return "", fmt.Errorf("%s is missing", name)
	case 1:
		return q[name][0], nil
	default:
		return "", fmt.Errorf("%s is repeated", name)
	}
}

// parseLoopbackCallback accepts any http callback on this machine, on any
// port: a real app must register its exact callback, but tests bind free
// ports.
func parseLoopbackCallback(raw string) (*url.URL, error) {
	const want = "redirect_uri must be an http URL on 127.0.0.1, localhost or [::1]"
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" {
		return nil, errors.New(want)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, errors.New(want)
	}
	return u, nil
}

// parseScopes splits a scope parameter and checks every scope against
// KnownScopes, keeping the caller's order and dropping repeats.
func parseScopes(param string) ([]string, error) {
	var scopes []string
	for _, sc := range strings.Fields(param) {
		if !slices.Contains(KnownScopes, sc) {
			return nil, fmt.Errorf("scope %s is not available to this app", sc)
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if len(scopes) == 0 {
		return nil, errors.New("scope is required")
	}
	return scopes, nil
}

// parseChallenge accepts no PKCE at all, or S256 with a well-formed
// challenge; "plain" would let a stolen code be exchanged.
func parseChallenge(challenge, method string) (string, error) {
	switch {
	case challenge == "" && method == "":
		return "", nil
	case challenge == "":
		return "", errors.New("code_challenge is missing")
	case method != "S256":
		return "", errors.New("code_challenge_method must be S256")
	}
	if b, err := base64.RawURLEncoding.DecodeString(challenge); err != nil || len(b) != sha256.Size {
		return "", errors.New("code_challenge must be a base64url SHA-256 digest")
	}
	return challenge, nil
}

// redirect sends the browser back to callback with params added to the
// query the callback already has.
func redirect(w http.ResponseWriter, r *http.Request, callback *url.URL, params ...string) {
	u := *callback
	q := u.Query()
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] != "" {
			q.Set(params[i], params[i+1])
		}
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound) //nolint:gosec // the callback was checked to be loopback, as an OAuth server redirects
}

func writeErrorPage(w http.ResponseWriter, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>Something went wrong</title></head>"+
		"<body><h1>Something went wrong</h1><p>%s</p></body></html>\n", html.EscapeString(message))
}

// tokenRequest is the body of POST /oauth/token, JSON or form-encoded.
type tokenRequest struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Code         string `json:"code"`
	RedirectURI  string `json:"redirect_uri"`
	CodeVerifier string `json:"code_verifier"`
	RefreshToken string `json:"refresh_token"`
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
}

// oauthError is an error answer of the token endpoint.
type oauthError struct {
	status      int
	code        string
	description string
}

func (e *oauthError) write(w http.ResponseWriter) {
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

var (
	errUnauthorizedClient = &oauthError{http.StatusUnauthorized, "access_denied", "Unauthorized"}
	errInvalidCode        = &oauthError{http.StatusForbidden, "invalid_grant", "Invalid authorization code"}
	errInvalidRefresh     = &oauthError{http.StatusForbidden, "invalid_grant", "Unknown or invalid refresh token."}
)

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")

	s.mu.Lock()
	s.stats.TokenRequests++
	delay := s.settings.tokenDelay
	s.mu.Unlock()
	if !s.wait(r.Context(), delay) {
		// Only a client of Handler on someone else's listener can still
		// read this; the sandbox's own connections are closed by now.
		writeFailure(w, http.StatusServiceUnavailable)
		return
	}

	s.mu.Lock()
	failStatus := 0
	if s.settings.failN > 0 {
		s.settings.failN--
		s.stats.InjectedFailures++
		failStatus = s.settings.failStatus
	}
	s.mu.Unlock()
	if failStatus != 0 {
		writeFailure(w, failStatus)
		return
	}

	req, oerr := readTokenRequest(w, r)
	if oerr == nil {
		oerr = s.checkClient(req)
	}
	if oerr != nil {
		oerr.write(w)
		return
	}

	s.mu.Lock()
	resp, oerr, note := s.grantLocked(req, s.now())
	if oerr != nil && oerr.code == "invalid_grant" {
		s.stats.InvalidGrants++
	}
	s.mu.Unlock()
	if note != "" {
		s.logf("sandbox: %s", note)
	}
	if oerr != nil {
		oerr.write(w)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// wait sleeps d and reports whether the request should still be answered.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closed:
	}
	return false
}

// writeFailure answers as the infrastructure in front of an OAuth server
// would, not as the server itself.
func writeFailure(w http.ResponseWriter, status int) {
	text := http.StatusText(status)
	if status >= 500 {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><h1>%d %s</h1></body></html>\n",
			status, text, status, text)
		return
	}
	code := strings.ReplaceAll(strings.ToLower(text), " ", "_")
	writeJSON(w, status, map[string]string{"error": code, "error_description": text})
}

// readTokenRequest accepts both encodings: Atlassian documents JSON, and
// OAuth libraries send forms.
func readTokenRequest(w http.ResponseWriter, r *http.Request) (tokenRequest, *oauthError) {
	var req tokenRequest
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenBody)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return req, &oauthError{http.StatusBadRequest, "invalid_request", "The request body is not a JSON object of strings"}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return req, &oauthError{http.StatusBadRequest, "invalid_request", "The request body is not a valid form"}
		}
		f := r.PostForm
		req = tokenRequest{
			GrantType:    f.Get("grant_type"),
			ClientID:     f.Get("client_id"),
			ClientSecret: f.Get("client_secret"),
			Code:         f.Get("code"),
			RedirectURI:  f.Get("redirect_uri"),
			CodeVerifier: f.Get("code_verifier"),
			RefreshToken: f.Get("refresh_token"),
		}
	default:
		return req, &oauthError{http.StatusBadRequest, "invalid_request", "Content-Type must be application/json or application/x-www-form-urlencoded"}
	}
	return req, nil
}

// checkClient wants the secret in the body, as Atlassian does: HTTP Basic
// credentials and PKCE without a secret both get 401.
func (s *Server) checkClient(req tokenRequest) *oauthError {
	idOK := subtle.ConstantTimeCompare([]byte(req.ClientID), []byte(s.clientID))
	secretOK := subtle.ConstantTimeCompare([]byte(req.ClientSecret), []byte(s.clientSecret))
	if idOK&secretOK != 1 {
		return errUnauthorizedClient
	}
	return nil
}

// grantLocked answers an authenticated token request. note, if not empty,
// is worth a log line; it is returned so that Logf runs without the lock.
func (s *Server) grantLocked(req tokenRequest, now time.Time) (resp tokenResponse, oerr *oauthError, note string) {
	switch req.GrantType {
	case "authorization_code":
		return s.exchangeCodeLocked(req, now)
	case "refresh_token":
		return s.refreshLocked(req, now)
	default:
		return resp, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: " + req.GrantType}, ""
	}
}

func (s *Server) exchangeCodeLocked(req tokenRequest, now time.Time) (tokenResponse, *oauthError, string) {
	if req.Code == "" {
		return tokenResponse{}, &oauthError{http.StatusBadRequest, "invalid_request", "Missing required parameter: code"}, ""
	}
	// A code is spent by its first presentation, right or wrong, so a
	// leaked code cannot be tried twice.
	c, ok := s.auth.takeCode(req.Code)
	switch {
	case !ok || !now.Before(c.expires):
		return tokenResponse{}, errInvalidCode, ""
	case req.RedirectURI != c.redirectURI:
		return tokenResponse{}, &oauthError{http.StatusForbidden, "invalid_grant", "Invalid redirect_uri"}, ""
	case c.challenge != "" && !verifierMatches(req.CodeVerifier, c.challenge):
		return tokenResponse{}, &oauthError{http.StatusForbidden, "invalid_grant", "Failed to verify code verifier"}, ""
	}
	g := s.auth.newGrant(c.scopes, now)
	s.stats.CodeExchanges++
	return s.issueLocked(g, now), nil, ""
}

func verifierMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

func (s *Server) refreshLocked(req tokenRequest, now time.Time) (tokenResponse, *oauthError, string) {
	if req.RefreshToken == "" {
		return tokenResponse{}, &oauthError{http.StatusBadRequest, "invalid_request", "Missing required parameter: refresh_token"}, ""
	}
	rt, ok := s.auth.refresh[keyOf(req.RefreshToken)]
	if !ok || !rt.usable(now) {
		return tokenResponse{}, errInvalidRefresh, ""
	}
	if rt.rotated.IsZero() {
		rt.rotated = now
	} else {
		// Atlassian forgives a client that lost the response to a refresh
		// and retries; a token replayed later is treated as stolen.
		elapsed, leeway := now.Sub(rt.rotated), s.settings.reuseLeeway
		if elapsed >= leeway {
			rt.grant.revoked = true
			s.stats.GrantsRevoked++
			return tokenResponse{}, errInvalidRefresh,
				fmt.Sprintf("refresh token reused %s after rotation, leeway %s: grant revoked", elapsed, leeway)
		}
		s.stats.ReuseWithinLeeway++
	}
	s.stats.Refreshes++
	return s.issueLocked(rt.grant, now), nil, ""
}

// issueLocked mints an access token, and a refresh token if the grant has
// offline_access.
func (s *Server) issueLocked(g *grant, now time.Time) tokenResponse {
	lifetime := s.settings.accessTokenLifetime
	access := mintToken(s.accessTokenSize, s.user.AccountID, now, now.Add(lifetime))
	s.auth.access[keyOf(access)] = &accessToken{grant: g, expires: now.Add(lifetime)}
	resp := tokenResponse{
		AccessToken: access,
		ExpiresIn:   int64(max(lifetime, 0) / time.Second),
		Scope:       strings.Join(g.scopes, " "),
		TokenType:   "Bearer",
	}
	if slices.Contains(g.scopes, OfflineAccess) {
		resp.RefreshToken = mintToken(s.refreshTokenSize, s.user.AccountID, now, time.Time{})
		s.auth.refresh[keyOf(resp.RefreshToken)] = &refreshToken{grant: g, issued: now}
	}
	return resp
}

// RevokeGrants revokes every grant and unspent authorization code, as a
// user removing the app from their account does: every token issued so
// far stops working at once.
func (s *Server) RevokeGrants() {
	s.mu.Lock()
	n := s.auth.revokeAll()
	s.stats.GrantsRevoked += n
	s.mu.Unlock()
	s.logf("sandbox: %d grants revoked", n)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
