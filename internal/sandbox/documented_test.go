package sandbox

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"
)

// documented is testdata/atlassian/oauth-documented.json: what Atlassian
// documents of its OAuth responses.
type documented struct {
	Status   int            `json:"status"`
	Fields   []string       `json:"fields"`
	Optional []string       `json:"optional"`
	Body     map[string]any `json:"body"`
}

func loadDocumented(t *testing.T) map[string]documented {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "atlassian", "oauth-documented.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]documented{}
	for k, v := range raw {
		if k == "_source" {
			continue
		}
		var d documented
		if err := json.Unmarshal(v, &d); err != nil {
			t.Fatal(err)
		}
		out[k] = d
	}
	return out
}

// checkShape compares an answer with what Atlassian documents for it.
func checkShape(t *testing.T, name string, doc documented, r response) {
	t.Helper()
	if r.status != doc.Status {
		t.Errorf("%s: status %d, documented %d (%s)", name, r.status, doc.Status, r.body)
		return
	}
	if doc.Body != nil {
		var got map[string]any
		if err := json.Unmarshal(r.body, &got); err != nil || !reflect.DeepEqual(got, doc.Body) {
			t.Errorf("%s: body %s, documented %v", name, r.body, doc.Body)
		}
		return
	}
	var objects []map[string]any
	if err := json.Unmarshal(r.body, &objects); err != nil {
		var one map[string]any
		if err := json.Unmarshal(r.body, &one); err != nil {
			t.Fatalf("%s: %s: %v", name, r.body, err)
		}
		objects = []map[string]any{one}
	}
	if len(objects) == 0 {
		t.Fatalf("%s: no objects", name)
	}
	for _, o := range objects {
		var keys []string
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, f := range doc.Fields {
			if _, ok := o[f]; !ok {
				t.Errorf("%s: lacks documented field %q (has %v)", name, f, keys)
			}
		}
		for _, k := range keys {
			if !slices.Contains(doc.Fields, k) && !slices.Contains(doc.Optional, k) {
				t.Errorf("%s: field %q is not documented", name, k)
			}
		}
	}
}

func TestResponsesMatchAtlassiansDocumentation(t *testing.T) {
	docs := loadDocumented(t)
	s := start(t, Options{})

	tok := s.token(exchangeBody(s.code(authorizeParams())))
	checkShape(t, "token", docs["token"], tok)
	var pair tokens
	if err := json.Unmarshal(tok.body, &pair); err != nil {
		t.Fatal(err)
	}

	refreshed := s.token(refreshBody(pair.RefreshToken))
	checkShape(t, "token (refresh)", docs["token"], refreshed)
	checkShape(t, "refresh_invalid_grant", docs["refresh_invalid_grant"], s.token(refreshBody("no-such-token")))

	noSecret := exchangeBody(s.code(authorizeParams()))
	delete(noSecret, "client_secret")
	checkShape(t, "token_without_client_secret", docs["token_without_client_secret"], s.token(noSecret))

	var fresh tokens
	if err := json.Unmarshal(refreshed.body, &fresh); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"accessible_resources": "/oauth/token/accessible-resources", "me": "/me"} {
		req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+fresh.AccessToken)
		checkShape(t, name, docs[name], s.do(req))
	}
}
