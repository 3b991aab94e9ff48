package atlassian

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestNewRejectsBadOptions(t *testing.T) {
	good := Options{Product: Jira, CloudID: cloudID, Tokens: &fakeTokens{}}
	for name, edit := range map[string]func(*Options){
		"unknown product":    func(o *Options) { o.Product = "bitbucket" },
		"no cloud id":        func(o *Options) { o.CloudID = "" },
		"cloud id with path": func(o *Options) { o.CloudID = "a/../b" },
		"no tokens":          func(o *Options) { o.Tokens = nil },
		"API URL not http":   func(o *Options) { o.APIURL = "ftp://api.example" },
		"API URL with path":  func(o *Options) { o.APIURL = "https://api.example/prefix" },
		"site URL no scheme": func(o *Options) { o.SiteURL = "acme.atlassian.net" },
	} {
		t.Run(name, func(t *testing.T) {
			opts := good
			edit(&opts)
			if _, err := New(opts); err == nil {
				t.Fatal("New accepted the options")
			}
		})
	}
	if _, err := New(good); err != nil {
		t.Fatalf("New refused good options: %v", err)
	}
}

func TestCallsGoThroughTheGateway(t *testing.T) {
	for _, tc := range []struct {
		product  Product
		path     string
		q        url.Values
		wantPath string
		wantQ    string
	}{
		{Jira, "/rest/api/3/search/jql", url.Values{"jql": {"project = ABC"}, "fields": {"summary"}},
			"/ex/jira/cloud-1/rest/api/3/search/jql", "fields=summary&jql=project+%3D+ABC"},
		{Confluence, "/wiki/api/v2/pages?limit=250", url.Values{"cursor": {"abc"}},
			"/ex/confluence/cloud-1/wiki/api/v2/pages", "cursor=abc&limit=250"},
		{Confluence, "/wiki/rest/api/search", nil, "/ex/confluence/cloud-1/wiki/rest/api/search", ""},
	} {
		t.Run(string(tc.product)+tc.path, func(t *testing.T) {
			h := setup(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != tc.wantPath || r.URL.RawQuery != tc.wantQ {
					t.Errorf("request for %s?%s, want %s?%s", r.URL.Path, r.URL.RawQuery, tc.wantPath, tc.wantQ)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer tok-1" {
					t.Errorf("Authorization %q", got)
				}
				if got := r.Header.Get("Accept"); got != "application/json" {
					t.Errorf("Accept %q", got)
				}
				reply(w, http.StatusOK, `{"results":[{"id":"7"}]}`)
			}, func(o *Options) { o.Product = tc.product })
			var out struct{ Results []struct{ ID string } }
			if err := h.c.GetJSON(t.Context(), tc.path, tc.q, &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Results) != 1 || out.Results[0].ID != "7" {
				t.Fatalf("decoded %+v", out)
			}
		})
	}
}

func TestPostJSONSendsTheBody(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		var in struct{ IssueIDsOrKeys []string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.IssueIDsOrKeys) != 2 {
			t.Errorf("body %+v, %v", in, err)
		}
		reply(w, http.StatusOK, `{"issues":[{"key":"ABC-1"},{"key":"ABC-2"}]}`)
	}, nil)
	var out struct{ Issues []struct{ Key string } }
	err := h.c.PostJSON(t.Context(), "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": []string{"ABC-1", "ABC-2"}}, &out, Idempotent)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Issues) != 2 {
		t.Fatalf("decoded %+v", out)
	}
}

func TestCallsRefuseTargetsOffTheGateway(t *testing.T) {
	var hits atomic.Int32
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		reply(w, http.StatusOK, `{}`)
	}, nil)
	for _, path := range []string{
		"https://evil.example/rest/api/3/myself",
		"//evil.example/rest/api/3/myself",
		siteURL + "/rest/api/3/myself", // a site URL must be rewritten first
		"rest/api/3/myself",
		"/rest/../../confluence/cloud-1/wiki/api/v2/pages",
		h.srv.URL + "/ex/jira/other-cloud/rest/api/3/myself",
	} {
		if err := h.c.GetJSON(t.Context(), path, nil, nil); err == nil {
			t.Errorf("GetJSON(%q) succeeded", path)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the server saw %d requests", n)
	}
	// A URL on the gateway, as RewriteLink returns, is fine.
	if err := h.c.GetJSON(t.Context(), h.srv.URL+jiraBase+"/rest/api/3/myself?x=1", nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsCarryTheMessage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string
		check  func(error) bool
	}{
		{"jira", 404, `{"errorMessages":["Issue does not exist or you do not have permission to see it."],"errors":{}}`,
			"Issue does not exist or you do not have permission to see it.", IsNotFound},
		{"jira field errors", 400, `{"errorMessages":[],"errors":{"jql":"bad","fields":"worse"}}`,
			"fields: worse; jql: bad", nil},
		{"confluence v1", 403, `{"statusCode":403,"message":"Not permitted to use confluence"}`,
			"Not permitted to use confluence", IsForbidden},
		{"confluence v2", 404, `{"errors":[{"status":404,"code":"NOT_FOUND","title":"Not Found","detail":null}]}`,
			"Not Found", IsNotFound},
		{"proxy page", 400, `<html><body>Bad Request</body></html>`, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := setup(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, tc.status, tc.body) }, nil)
			err := h.c.GetJSON(t.Context(), "/rest/api/3/issue/ABC-1", url.Values{"fields": {"summary"}}, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is no *Error", err)
			}
			if e.Status != tc.status || e.Method != "GET" || e.Path != "/rest/api/3/issue/ABC-1" || e.Message != tc.want {
				t.Fatalf("error %+v", e)
			}
			if tc.check != nil && !tc.check(err) {
				t.Fatalf("the helper does not recognise %v", err)
			}
			if IsNotFound(err) != (tc.status == 404) || IsForbidden(err) != (tc.status == 403) {
				t.Fatalf("helpers disagree on %v", err)
			}
			if strings.Contains(err.Error(), "summary") || strings.Contains(err.Error(), "<html>") {
				t.Fatalf("error text %q has the query or markup", err)
			}
			if h.c.Stats().Requests != 1 {
				t.Fatalf("a %d was retried", tc.status)
			}
		})
	}
}

func TestStatsCountRequestsAndPoints(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, http.StatusOK, `{}`) }, nil)
	for range 3 {
		if err := h.c.GetJSON(t.Context(), "/rest/api/3/field", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.c.Charge("/rest/api/3/field", 10)
	s := h.c.Stats()
	if s.Requests != 3 || s.Points != 13 || s.Retries != 0 || s.Concurrency != 4 || !s.PausedUntil.IsZero() {
		t.Fatalf("stats %+v", s)
	}
}

func TestNilOutDiscardsTheAnswer(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}, nil)
	var out map[string]any
	if err := h.c.PostJSON(t.Context(), "/rest/api/3/search/approximate-count", map[string]string{"jql": "project = ABC"}, &out); err != nil {
		t.Fatal(err)
	}
	if out != nil {
		t.Fatalf("out = %v", out)
	}
}

func TestUndecodableAnswerIsAnError(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, http.StatusOK, `[1,2`) }, func(o *Options) {
		o.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: -1,
				Body: io.NopCloser(strings.NewReader(`{"a":`)), Request: r}, nil
		})}
	})
	var out map[string]any
	err := h.c.GetJSON(t.Context(), "/rest/api/3/field", nil, &out)
	if err == nil || !strings.Contains(err.Error(), "decode the answer to GET /rest/api/3/field") {
		t.Fatalf("error %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
