package sandbox

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/sandbox")

// golden compares a JSON body with testdata/sandbox/name, ignoring layout.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	var got bytes.Buffer
	if err := json.Indent(&got, body, "", "  "); err != nil {
		t.Fatalf("%s: %v in %s", name, err, body)
	}
	got.WriteByte('\n')
	path := filepath.Join("..", "..", "testdata", "sandbox", name)
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got.Bytes())
	}
}

func TestIdentityEndpoints(t *testing.T) {
	s := start(t, Options{})
	tk := s.login()

	r := s.get("/oauth/token/accessible-resources", tk.AccessToken)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("accessible-resources: status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	golden(t, "accessible-resources.json", r.body)

	r = s.get("/me", tk.AccessToken)
	if r.status != http.StatusOK {
		t.Fatalf("/me: status %d", r.status)
	}
	golden(t, "me.json", r.body)
}

func TestIdentityEndpointsCustomised(t *testing.T) {
	site := Site{CloudID: "00000000-0000-4000-8000-000000000001", Name: "solo", URL: "https://solo.atlassian.net"}
	user := User{AccountID: "712020:abc", Name: "Grace Hopper", Email: "grace@example.com"}
	s := start(t, Options{Sites: []Site{site}, User: user})
	s.SetWithheldScopes("search:confluence")
	q := authorizeParams()
	q.Set("scope", "read:me read:jira-work search:confluence offline_access")
	tk := s.mustTokens(s.token(exchangeBody(s.code(q))))

	var sites []map[string]any
	if err := json.Unmarshal(s.get("/oauth/token/accessible-resources", tk.AccessToken).body, &sites); err != nil {
		t.Fatal(err)
	}
	if len(sites) != 1 || sites[0]["id"] != site.CloudID || sites[0]["name"] != "solo" || sites[0]["url"] != site.URL {
		t.Fatalf("sites %v, want only %+v", sites, site)
	}
	if scopes, _ := json.Marshal(sites[0]["scopes"]); string(scopes) != `["read:jira-work"]` {
		t.Errorf("site scopes %s, want the granted site scopes only", scopes)
	}

	me := s.get("/me", tk.AccessToken).json(t)
	if me["account_id"] != user.AccountID || me["name"] != user.Name || me["email"] != user.Email || me["nickname"] != "Grace" {
		t.Errorf("/me %v, want %+v", me, user)
	}
}

func TestIdentityEndpointsRefuseBadTokens(t *testing.T) {
	s := start(t, Options{})
	tk := s.login()
	expired := s.login()
	s.clock.Advance(DefaultAccessTokenLifetime)
	fresh := s.refresh(tk.RefreshToken)

	tests := []struct {
		name   string
		header string
	}{
		{"missing", ""},
		{"expired", "Bearer " + expired.AccessToken},
		{"refresh token", "Bearer " + fresh.RefreshToken},
		{"unknown", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"},
		{"basic scheme", "Basic " + fresh.AccessToken},
		{"no token", "Bearer "},
		{"token with a suffix", "Bearer " + fresh.AccessToken + "x"},
	}
	for _, path := range []string{"/oauth/token/accessible-resources", "/me"} {
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
				if tt.header != "" {
					req.Header.Set("Authorization", tt.header)
				}
				wantUnauthorized(t, s.do(req), MessageUnauthorized)
			})
		}
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/me", nil)
	req.Header.Set("Authorization", "bearer "+fresh.AccessToken)
	if r := s.do(req); r.status != http.StatusOK {
		t.Errorf("lower-case scheme: status %d", r.status)
	}
	if st := s.Stats(); st.Unauthorized != 2*len(tests) {
		t.Errorf("Unauthorized %d, want %d", st.Unauthorized, 2*len(tests))
	}
}

func TestRequireBearerScopeSets(t *testing.T) {
	s := start(t, Options{})
	// A route in the style of a Confluence operation: the classic scope,
	// or every scope of a granular set.
	s.mux.HandleFunc("GET /ex/test", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.RequireBearer(w, r, []string{"search:confluence"}, []string{"read:page:confluence", "read:space:confluence"}); ok {
			w.WriteHeader(http.StatusNoContent)
		}
	})
	tests := []struct {
		withheld []string
		want     int
	}{
		{nil, http.StatusNoContent},
		{[]string{"search:confluence"}, http.StatusNoContent},
		{[]string{"read:page:confluence", "read:space:confluence"}, http.StatusNoContent},
		{[]string{"search:confluence", "read:space:confluence"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		s.SetWithheldScopes(tt.withheld...)
		r := s.get("/ex/test", s.login().AccessToken)
		if r.status != tt.want {
			t.Errorf("withheld %v: status %d, want %d", tt.withheld, r.status, tt.want)
		}
		if tt.want == http.StatusUnauthorized {
			wantUnauthorized(t, r, MessageScopeMismatch)
		}
	}
}

func TestGrantOf(t *testing.T) {
	s := start(t, Options{})
	s.SetWithheldScopes(KnownScopes[1:]...)
	tk := s.login()
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	if _, ok := s.GrantOf(req); ok {
		t.Error("a grant for a request without a token")
	}
	req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
	g, ok := s.GrantOf(req)
	if !ok || len(g.Scopes) != 1 || !g.HasScopes(KnownScopes[0]) || g.HasScopes(KnownScopes[0], "read:me") {
		t.Errorf("grant %+v, %v; want only %s", g, ok, KnownScopes[0])
	}
	g.Scopes[0] = "changed"
	if g, _ := s.GrantOf(req); g.Scopes[0] != KnownScopes[0] {
		t.Error("changing a returned grant changed the server's")
	}
}
