package sandbox

import (
	"net/http"
	"slices"
	"strings"
)

// Grant is what a valid access token stands for.
type Grant struct {
	// Scopes are the granted scopes, in the order they were requested.
	Scopes []string
}

// HasScopes reports whether the grant holds every one of scopes.
func (g Grant) HasScopes(scopes ...string) bool {
	for _, sc := range scopes {
		if !slices.Contains(g.Scopes, sc) {
			return false
		}
	}
	return true
}

// AccessTokenValid reports whether token is an access token the sandbox
// issued that has neither expired nor been revoked.
func (s *Server) AccessTokenValid(token string) bool {
	_, ok := s.grantOf(token)
	return ok
}

// GrantOf returns the grant behind the bearer token of r, and false when
// r has none or its token is not valid.
func (s *Server) GrantOf(r *http.Request) (Grant, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Grant{}, false
	}
	return s.grantOf(token)
}

func (s *Server) grantOf(token string) (Grant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.auth.access[keyOf(token)]
	if !ok || !t.valid(s.now()) {
		return Grant{}, false
	}
	return Grant{Scopes: slices.Clone(t.grant.scopes)}, true
}

// Gateway messages of a 401. aumo tells them apart: only the first one is
// cured by refreshing the token.
const (
	MessageUnauthorized  = "Unauthorized"
	MessageScopeMismatch = "Unauthorized; scope does not match"
)

// RequireBearer is the API gateway's check for a route handler: it returns
// the grant of r's bearer token, or answers 401 as the gateway does and
// returns false. Each of anyOf is one set of scopes the route accepts, the
// way an Atlassian operation accepts a classic scope or a set of granular
// ones; the grant must hold every scope of at least one set. With no set,
// any valid token passes.
func (s *Server) RequireBearer(w http.ResponseWriter, r *http.Request, anyOf ...[]string) (Grant, bool) {
	g, ok := s.GrantOf(r)
	if !ok {
		s.unauthorized(w, MessageUnauthorized)
		return Grant{}, false
	}
	if len(anyOf) > 0 && !slices.ContainsFunc(anyOf, func(set []string) bool { return g.HasScopes(set...) }) {
		s.unauthorized(w, MessageScopeMismatch)
		return Grant{}, false
	}
	return g, true
}

func (s *Server) unauthorized(w http.ResponseWriter, message string) {
	s.mu.Lock()
	s.stats.Unauthorized++
	s.mu.Unlock()
	writeJSON(w, http.StatusUnauthorized, struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{http.StatusUnauthorized, message})
}

// siteAvatarURL is what Atlassian shows for a site without its own avatar.
const siteAvatarURL = "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png"

// identityScopes concern the account, not a site, so accessible-resources
// does not list them under a site.
var identityScopes = []string{"read:me", OfflineAccess}

func (s *Server) handleAccessibleResources(w http.ResponseWriter, r *http.Request) {
	g, ok := s.RequireBearer(w, r)
	if !ok {
		return
	}
	siteScopes := slices.DeleteFunc(g.Scopes, func(sc string) bool { return slices.Contains(identityScopes, sc) })
	type resource struct {
		ID        string   `json:"id"`
		Name      string   `json:"name"`
		URL       string   `json:"url"`
		Scopes    []string `json:"scopes"`
		AvatarURL string   `json:"avatarUrl"`
	}
	resources := make([]resource, 0, len(s.sites))
	for _, site := range s.sites {
		resources = append(resources, resource{site.CloudID, site.Name, site.URL, siteScopes, siteAvatarURL})
	}
	writeJSON(w, http.StatusOK, resources)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.RequireBearer(w, r, []string{"read:me"}); !ok {
		return
	}
	type extendedProfile struct {
		JobTitle     string `json:"job_title"`
		Organization string `json:"organization"`
		Department   string `json:"department"`
		Location     string `json:"location"`
	}
	u := s.user
	nickname, _, _ := strings.Cut(u.Name, " ")
	writeJSON(w, http.StatusOK, struct {
		AccountType     string          `json:"account_type"`
		AccountID       string          `json:"account_id"`
		Email           string          `json:"email"`
		Name            string          `json:"name"`
		Picture         string          `json:"picture"`
		AccountStatus   string          `json:"account_status"`
		Nickname        string          `json:"nickname"`
		Zoneinfo        string          `json:"zoneinfo"`
		Locale          string          `json:"locale"`
		ExtendedProfile extendedProfile `json:"extended_profile"`
		EmailVerified   bool            `json:"email_verified"`
	}{
		AccountType:     "atlassian",
		AccountID:       u.AccountID,
		Email:           u.Email,
		Name:            u.Name,
		Picture:         "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/" + u.AccountID + "/avatar.png",
		AccountStatus:   "active",
		Nickname:        nickname,
		Zoneinfo:        "Europe/London",
		Locale:          "en-US",
		ExtendedProfile: extendedProfile{"Archivist", "Acme", "Records", "London"},
		EmailVerified:   true,
	})
}
