package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// Atlassian's limits on rotating refresh tokens: a refresh token unused for
// 90 days dies, and a grant dies a year after consent whatever happens.
const (
	refreshIdleLifetime = 90 * 24 * time.Hour
	grantLifetime       = 365 * 24 * time.Hour
)

// authState is every grant, code and token, guarded by Server.mu.
type authState struct {
	codes map[string]*authCode
	// Tokens are keyed by digest so that thousands of 6 kB test tokens
	// cost 32 bytes each.
	access  map[tokenKey]*accessToken
	refresh map[tokenKey]*refreshToken
	// live holds the grants not yet revoked, for RevokeGrants.
	live []*grant
}

type tokenKey [sha256.Size]byte

func keyOf(token string) tokenKey { return sha256.Sum256([]byte(token)) }

// grant is one consent: the token family that a code exchange starts and
// that late reuse of a refresh token kills as a whole.
type grant struct {
	scopes  []string
	created time.Time
	revoked bool
}

type authCode struct {
	redirectURI string
	scopes      []string
	challenge   string
	expires     time.Time
}

type accessToken struct {
	grant   *grant
	expires time.Time
}

type refreshToken struct {
	grant   *grant
	issued  time.Time
	rotated time.Time // zero while this is the newest token of its chain
}

func (a *authState) init() {
	a.codes = make(map[string]*authCode)
	a.access = make(map[tokenKey]*accessToken)
	a.refresh = make(map[tokenKey]*refreshToken)
}

// newCode stores c under a fresh code and drops expired codes, which a
// browser flow that was never finished leaves behind.
func (a *authState) newCode(c authCode, now time.Time) string {
	for code, old := range a.codes {
		if !now.Before(old.expires) {
			delete(a.codes, code)
		}
	}
	code := rand.Text()
	a.codes[code] = &c
	return code
}

// takeCode removes and returns a code: codes are single-use.
func (a *authState) takeCode(code string) (*authCode, bool) {
	c, ok := a.codes[code]
	delete(a.codes, code)
	return c, ok
}

func (a *authState) newGrant(scopes []string, now time.Time) *grant {
	g := &grant{scopes: scopes, created: now}
	a.live = append(a.live, g)
	return g
}

// revokeAll revokes every grant and code and returns how many grants were
// still alive.
func (a *authState) revokeAll() int {
	n := 0
	for _, g := range a.live {
		if !g.revoked {
			g.revoked = true
			n++
		}
	}
	a.live = nil
	clear(a.codes)
	return n
}

func (g *grant) alive(now time.Time) bool {
	return !g.revoked && now.Before(g.created.Add(grantLifetime))
}

func (t *accessToken) valid(now time.Time) bool {
	return t.grant.alive(now) && now.Before(t.expires)
}

// usable reports whether the token may be presented at all; whether it
// was rotated is the caller's question.
func (t *refreshToken) usable(now time.Time) bool {
	return t.grant.alive(now) && now.Before(t.issued.Add(refreshIdleLifetime))
}

// mintToken returns a random token of exactly size bytes (or the smallest
// size it can build) shaped like a JWT, because clients that inspect or
// store Atlassian tokens meet JWTs. Nothing here is signed: the sandbox
// knows its tokens by their digest, not by their content.
func mintToken(size int, subject string, issued, expires time.Time) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT","kid":"aumo-sandbox"}`))
	sigBytes := 32
	// Room left for the claims once the header, two dots and a 43-byte
	// signature are placed. No base64 text is 1 byte longer than a
	// multiple of 4, so then the signature takes one byte more.
	room := size - len(header) - 2 - base64.RawURLEncoding.EncodedLen(sigBytes)
	if room%4 == 1 {
		sigBytes++
		room--
	}
	claims := struct {
		Issuer   string `json:"iss"`
		Subject  string `json:"sub"`
		Audience string `json:"aud"`
		IssuedAt int64  `json:"iat"`
		Expires  int64  `json:"exp,omitempty"`
		ID       string `json:"jti"`
		Padding  string `json:"pad"`
	}{"aumo-sandbox", subject, Audience, issued.Unix(), 0, rand.Text(), ""}
	if !expires.IsZero() {
		claims.Expires = expires.Unix()
	}
	bare, _ := json.Marshal(claims)
	// A base64 text of room bytes (room%4 != 1) encodes exactly room*3/4
	// bytes, so the padding makes the claims that long.
	if pad := room*3/4 - len(bare); pad > 0 {
		claims.Padding = strings.Repeat("x", pad)
	}
	payload, _ := json.Marshal(claims)
	sig := make([]byte, sigBytes)
	_, _ = rand.Read(sig)
	return header + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(sig)
}
