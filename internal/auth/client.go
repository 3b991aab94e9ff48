// Package auth signs a person in to Atlassian Cloud with OAuth 2.0 (3LO)
// and keeps the grant fresh: the browser flow with a loopback callback, the
// token endpoint, and a token source built for rotating refresh tokens.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/aumo-cli/aumo/internal/secret"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// Audience is the API audience every Atlassian 3LO authorization names.
const Audience = "api.atlassian.com"

// Client is aumo's OAuth client of one authorization server and API gateway.
type Client struct {
	ClientID     string
	ClientSecret secret.String
	AuthURL      string // e.g. https://auth.atlassian.com
	APIURL       string // e.g. https://api.atlassian.com
	Scopes       []string
	// HTTP is the client for the token endpoint and the identity calls;
	// nil means http.DefaultClient.
	HTTP *http.Client
}

func (c *Client) oauthConfig(redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret.Reveal(),
		Endpoint: oauth2.Endpoint{
			AuthURL:  c.AuthURL + "/authorize",
			TokenURL: c.AuthURL + "/oauth/token",
			// Atlassian wants the client credentials in the request body.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURL,
		Scopes:      c.Scopes,
	}
}

// tokenContext gives x/oauth2 an HTTP client that retries a failing token
// endpoint; replaySafe says whether the request may be sent twice.
func (c *Client) tokenContext(ctx context.Context, replaySafe bool) context.Context {
	base := c.HTTP
	if base == nil {
		base = http.DefaultClient
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc := *base
	hc.Transport = retryTransport{base: rt, replaySafe: replaySafe}
	return context.WithValue(ctx, oauth2.HTTPClient, &hc)
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// exchange trades an authorization code for tokens.
func (c *Client) exchange(ctx context.Context, redirectURL, code, verifier string) (*oauth2.Token, error) {
	tok, err := c.oauthConfig(redirectURL).Exchange(c.tokenContext(ctx, false), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, c.tokenError("exchange the authorization code", err)
	}
	return tok, nil
}

// refresh trades a refresh token for a new token pair.
func (c *Client) refresh(ctx context.Context, refreshToken secret.String) (*oauth2.Token, error) {
	src := c.oauthConfig("").TokenSource(c.tokenContext(ctx, true), &oauth2.Token{
		RefreshToken: refreshToken.Reveal(),
		Expiry:       time.Unix(1, 0), // force the refresh
	})
	tok, err := src.Token()
	if err != nil {
		return nil, c.tokenError("refresh the access token", err)
	}
	return tok, nil
}

func (c *Client) tokenError(what string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch {
		case re.ErrorCode == "invalid_grant":
			return &GrantError{Description: re.ErrorDescription}
		case re.ErrorCode == "access_denied" || re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" ||
			(re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized):
			desc := re.ErrorDescription
			if desc == "" {
				desc = re.ErrorCode
			}
			return &ClientError{Description: desc}
		case re.Response != nil && (re.Response.StatusCode >= 500 || re.Response.StatusCode == http.StatusTooManyRequests):
			return &UnreachableError{What: fmt.Sprintf("%s: the authorization server at %s keeps failing", what, c.AuthURL),
				Err: fmt.Errorf("HTTP %d after %d tries", re.Response.StatusCode, tokenRetries+1)}
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return fmt.Errorf("%s: the authorization server answered HTTP %d %s", what, status, re.ErrorCode)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &UnreachableError{What: fmt.Sprintf("%s: cannot reach the authorization server at %s", what, c.AuthURL), Err: err}
}

// grantFromToken converts a token response into what aumo stores. prev
// supplies what the response may leave out (a refresh token, the scope).
func grantFromToken(tok *oauth2.Token, prev *tokenstore.Grant) *tokenstore.Grant {
	g := &tokenstore.Grant{
		AccessToken:  secret.New(tok.AccessToken),
		RefreshToken: secret.New(tok.RefreshToken),
		TokenType:    tok.TokenType,
		Expiry:       tok.Expiry.UTC(),
	}
	if left := time.Until(tok.Expiry); !tok.Expiry.IsZero() && left > 0 {
		g.Lifetime = left.Round(time.Second)
	}
	if s, ok := tok.Extra("scope").(string); ok {
		g.Scope = s
	}
	if prev != nil {
		if g.RefreshToken.IsZero() {
			g.RefreshToken = prev.RefreshToken
		}
		if g.Scope == "" {
			g.Scope = prev.Scope
		}
		g.Sites, g.Site = prev.Sites, prev.Site
	}
	return g
}

// Resource is one site the grant reaches (an "accessible resource").
type Resource struct {
	ID     string   `json:"id"` // the cloudId
	Name   string   `json:"name"`
	URL    string   `json:"url"`
	Scopes []string `json:"scopes"`
}

// AccessibleResources lists the sites the access token reaches.
func (c *Client) AccessibleResources(ctx context.Context, accessToken secret.String) ([]Resource, error) {
	var rs []Resource
	if err := c.getJSON(ctx, "/oauth/token/accessible-resources", accessToken, &rs); err != nil {
		return nil, fmt.Errorf("list the sites of the grant: %w", err)
	}
	return rs, nil
}

// Me is the signed-in person as the identity API describes them. aumo
// shows it once after login and never stores it.
type Me struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Me fetches the signed-in person (scope read:me).
func (c *Client) Me(ctx context.Context, accessToken secret.String) (*Me, error) {
	var me Me
	if err := c.getJSON(ctx, "/me", accessToken, &me); err != nil {
		return nil, fmt.Errorf("fetch the signed-in user: %w", err)
	}
	return &me, nil
}

func (c *Client) getJSON(ctx context.Context, path string, accessToken secret.String, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.APIURL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken.Reveal())
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return &UnreachableError{What: "cannot reach the API at " + c.APIURL, Err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &APIError{Status: resp.StatusCode, Path: path, Message: apiMessage(body)}
	}
	return json.Unmarshal(body, v)
}

// APIError is an API answer other than success.
type APIError struct {
	Status  int
	Path    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d from %s: %s", e.Status, e.Path, e.Message)
}

// TokenRejected reports whether the API refused the access token itself
// (expired or revoked), which a refresh may cure; a scope mismatch is not.
func (e *APIError) TokenRejected() bool {
	return e.Status == http.StatusUnauthorized && !strings.Contains(strings.ToLower(e.Message), "scope does not match")
}

// apiMessage takes the message of an Atlassian error body, or the start of
// the body when it has none.
func apiMessage(body []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		return m.Message
	}
	return strings.TrimSpace(string(body[:min(len(body), 300)]))
}
