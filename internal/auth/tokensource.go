package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aumo-cli/aumo/internal/secret"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// expiryMargin renews an access token this long before it expires, so that
// a request does not set off with a token that dies on the way: a minute,
// or half the token's lifetime when it lives less than two (a token of 60
// seconds is renewed every 30, not before every request).
const expiryMargin = time.Minute

// renewalMargin is the margin for a token that lives lifetime (0: not
// known).
func renewalMargin(lifetime time.Duration) time.Duration {
	if lifetime > 0 && lifetime/2 < expiryMargin {
		return lifetime / 2
	}
	return expiryMargin
}

// TokenSource hands out a valid access token for a profile and refreshes it
// the only safe way with rotating refresh tokens: under the profile's lock
// (an OS file lock, so across processes, plus a mutex within the process),
// it re-reads the store, refreshes only if the stored token is still the
// one that expired, persists the new pair before anyone uses it, and
// releases the lock. A profile revoked meanwhile is never written again.
//
// x/oauth2's ReuseTokenSource is not used: it never hands a rotated refresh
// token back to storage.
type TokenSource struct {
	Client   *Client
	Store    tokenstore.Store
	StateDir string // where the profile locks live
	Profile  string
	Logger   *slog.Logger     // nil: no logging
	Now      func() time.Time // nil: time.Now
	// Waiting is called when the profile's lock is held elsewhere for a
	// while (another aumo process refreshing); nil: wait silently.
	Waiting func()

	mu       sync.Mutex
	grant    *tokenstore.Grant
	rejected secret.String // an access token the API refused
}

// Grant returns the profile's grant as last read or refreshed.
func (ts *TokenSource) Grant(ctx context.Context) (*tokenstore.Grant, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.grant == nil {
		g, err := ts.load(ctx)
		if err != nil {
			return nil, err
		}
		ts.grant = g
	}
	c := *ts.grant
	return &c, nil
}

// AccessToken returns an access token valid for at least a minute more.
func (ts *TokenSource) AccessToken(ctx context.Context) (secret.String, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.grant != nil && ts.fresh(ts.grant) {
		return ts.grant.AccessToken, nil
	}
	unlock, err := tokenstore.Lock(ctx, ts.StateDir, ts.Profile, ts.Waiting)
	if err != nil {
		return secret.String{}, err
	}
	defer unlock()

	stored, err := ts.load(ctx)
	if err != nil {
		return secret.String{}, err
	}
	if ts.fresh(stored) {
		// Another process (or an earlier call) already refreshed.
		ts.grant = stored
		return stored.AccessToken, nil
	}
	ts.log("refreshing the access token", "profile", ts.Profile)
	tok, err := ts.Client.refresh(ctx, stored.RefreshToken)
	if err != nil {
		return secret.String{}, err
	}
	next := grantFromToken(tok, stored)
	// Persist before use: the old refresh token is dead now, and the new
	// one exists only in this process until it is saved. Ctrl-C must not
	// cut the save short.
	if err := ts.Store.Save(context.WithoutCancel(ctx), ts.Profile, next); err != nil {
		return secret.String{}, fmt.Errorf("store the refreshed tokens: %w", err)
	}
	ts.grant = next
	return next.AccessToken, nil
}

// Reject tells the source that the API refused token (401 for an expired
// or revoked token, not a scope mismatch): the next AccessToken refreshes
// instead of handing it out again.
func (ts *TokenSource) Reject(token secret.String) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.rejected = token
}

func (ts *TokenSource) load(ctx context.Context) (*tokenstore.Grant, error) {
	g, err := ts.Store.Load(ctx, ts.Profile)
	if errors.Is(err, tokenstore.ErrNotFound) {
		return nil, ErrNotLoggedIn
	}
	return g, err
}

func (ts *TokenSource) fresh(g *tokenstore.Grant) bool {
	now := time.Now
	if ts.Now != nil {
		now = ts.Now
	}
	return !g.AccessToken.IsZero() && !g.AccessToken.Equal(ts.rejected) && now().Add(renewalMargin(g.Lifetime)).Before(g.Expiry)
}

func (ts *TokenSource) log(msg string, args ...any) {
	if ts.Logger != nil {
		ts.Logger.Debug(msg, args...)
	}
}
