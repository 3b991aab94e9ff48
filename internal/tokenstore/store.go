// Package tokenstore keeps a profile's OAuth grant: the tokens in the OS
// keychain (or an age-encrypted file) and nothing in plain text anywhere.
//
// What is kept is exactly what aumo's privacy policy allows: the access and
// refresh tokens, the token type, the granted scopes, the expiry and the
// sites the grant reaches (cloudId, URL, name).
package tokenstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/secret"
)

// ErrNotFound means the profile has no stored grant: the user is not logged in.
var ErrNotFound = errors.New("no stored grant")

// Site is an Atlassian Cloud site the grant reaches.
type Site struct {
	CloudID string `json:"cloudId"`
	URL     string `json:"url"`
	Name    string `json:"name"`
}

// Grant is everything aumo keeps for a profile.
type Grant struct {
	AccessToken  secret.String
	RefreshToken secret.String
	TokenType    string
	Scope        string // granted scopes, space separated
	Expiry       time.Time
	// Lifetime is how long the access token was given to live when it
	// was issued (the token response's expires_in); 0 when unknown.
	Lifetime time.Duration
	Sites    []Site
	// Site is the cloudId of the site chosen at login; empty when the grant
	// reaches several sites and none was chosen.
	Site string
}

// DefaultSite returns the chosen site, if any.
func (g *Grant) DefaultSite() (Site, bool) {
	for _, s := range g.Sites {
		if s.CloudID == g.Site {
			return s, true
		}
	}
	return Site{}, false
}

// Store keeps grants by profile. Implementations are safe for concurrent
// use within a process; callers serialise across processes with Lock.
type Store interface {
	// Load returns the profile's grant, or ErrNotFound.
	Load(ctx context.Context, profile string) (*Grant, error)
	// Save replaces the profile's grant. The refresh token is written first,
	// so that a crash part-way leaves the newest refresh token stored.
	Save(ctx context.Context, profile string, g *Grant) error
	// Delete removes everything the store keeps for the profile and
	// describes each thing it removed; deleting nothing is not an error.
	Delete(ctx context.Context, profile string) ([]string, error)
	// Location says where the profile's grant lives, for `aumo status`.
	Location(profile string) string
}

// metadata is the non-secret part of a grant as it is serialised.
type metadata struct {
	TokenType string    `json:"tokenType,omitempty"`
	Scope     string    `json:"scope"`
	Expiry    time.Time `json:"expiry"`
	Lifetime  int64     `json:"lifetimeSeconds,omitempty"`
	Sites     []Site    `json:"sites"`
	Site      string    `json:"site,omitempty"`
}

func metadataOf(g *Grant) metadata {
	return metadata{TokenType: g.TokenType, Scope: g.Scope, Expiry: g.Expiry.UTC(), Lifetime: int64(g.Lifetime / time.Second), Sites: g.Sites, Site: g.Site}
}

func (m metadata) apply(g *Grant) {
	g.TokenType, g.Scope, g.Expiry, g.Sites, g.Site = m.TokenType, m.Scope, m.Expiry, m.Sites, m.Site
	g.Lifetime = time.Duration(m.Lifetime) * time.Second
}

// sealed is the whole grant as one document, for stores that encrypt it as a
// unit (the file store). Secrets are revealed here and only here.
type sealed struct {
	metadata
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
}

func seal(g *Grant) ([]byte, error) {
	return json.Marshal(sealed{metadata: metadataOf(g), AccessToken: g.AccessToken.Reveal(), RefreshToken: g.RefreshToken.Reveal()})
}

func unseal(b []byte) (*Grant, error) {
	var s sealed
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("stored grant is corrupt: %w", err)
	}
	g := &Grant{AccessToken: secret.New(s.AccessToken), RefreshToken: secret.New(s.RefreshToken)}
	s.apply(g)
	return g, nil
}

// FindSite finds a site by cloudId, URL (with or without scheme, path or
// trailing slash) or name (case-insensitive).
func FindSite(sites []Site, q string) (Site, bool) {
	q = strings.TrimSpace(q)
	host := func(u string) string {
		u = strings.ToLower(u)
		u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
		h, _, _ := strings.Cut(u, "/")
		return h
	}
	for _, s := range sites {
		if s.CloudID == q || strings.EqualFold(s.Name, q) || (host(q) != "" && host(s.URL) == host(q)) {
			return s, true
		}
	}
	return Site{}, false
}
