package atlassian

import (
	"net/http"
	"testing"
)

func TestEndpointNamesThePathWithoutIDs(t *testing.T) {
	for path, want := range map[string]string{
		"/rest/api/3/search/jql":                                          "/rest/api/3/search/jql",
		"/rest/api/3/issue/10001/comment":                                 "/rest/api/3/issue/{id}/comment",
		"/rest/api/3/issue/ABC-12/worklog?startAt=20":                     "/rest/api/3/issue/{id}/worklog",
		"/rest/api/3/attachment/content/10400":                            "/rest/api/3/attachment/content/{id}",
		"/wiki/api/v2/pages/98311/labels":                                 "/wiki/api/v2/pages/{id}/labels",
		"/wiki/rest/api/content/98311/child/attachment/att98400/download": "/wiki/rest/api/content/{id}/child/attachment/{id}/download",
		"/wiki/api/v2/users-bulk":                                         "/wiki/api/v2/users-bulk",
	} {
		if got := Endpoint(path); got != want {
			t.Errorf("Endpoint(%q) = %q, want %q", path, got, want)
		}
	}
}

// The points by endpoint add up to the totals, retries included, and a
// download counts its attachment where it was asked for.
func TestStatsCountEachEndpoint(t *testing.T) {
	failed := false
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == jiraBase+"/rest/api/3/issue/2/comment" && !failed {
			failed = true
			reply(w, http.StatusServiceUnavailable, `{}`)
			return
		}
		reply(w, http.StatusOK, `{}`)
	}, nil)
	for _, p := range []string{"/rest/api/3/issue/1/comment", "/rest/api/3/issue/2/comment", "/rest/api/3/field"} {
		if err := h.c.GetJSON(t.Context(), p, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.c.Charge("/rest/api/3/issue/1/comment", 20)
	h.c.Charge("/rest/api/3/field", 50)
	s := h.c.Stats()
	want := map[string]Cost{
		"/rest/api/3/issue/{id}/comment": {Requests: 3, Points: 23},
		"/rest/api/3/field":              {Requests: 1, Points: 51},
	}
	if len(s.Endpoints) != len(want) {
		t.Fatalf("endpoints %v, want %v", s.Endpoints, want)
	}
	var requests, points int64
	for e, c := range s.Endpoints {
		if want[e] != c {
			t.Errorf("%s: %+v, want %+v", e, c, want[e])
		}
		requests, points = requests+c.Requests, points+c.Points
	}
	if requests != s.Requests || points != s.Points {
		t.Errorf("the endpoints add up to %d requests and %d points, the totals are %d and %d", requests, points, s.Requests, s.Points)
	}
}
