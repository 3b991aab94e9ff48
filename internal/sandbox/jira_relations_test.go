package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
)

// TestJiraRelationsAgree fetches a project whole and checks that both
// ends of every relation say the same: a parent lists its children as
// subtasks, an outward link is the other issue's inward one, and that
// every kind of field has a value somewhere.
func TestJiraRelationsAgree(t *testing.T) {
	const n = 40
	s, tk := startJira(t, n, 7, JiraOptions{VanishedEvery: -1, ForbiddenEvery: -1, RetriableErrorEvery: -1})
	var keys []string
	for i := 1; i <= n; i++ {
		keys = append(keys, "ABC-"+strconv.Itoa(i))
	}
	r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{"issueIdsOrKeys": keys, "fields": []string{"*all"}})
	wantStatus(t, "bulkfetch", r, http.StatusOK)
	var res struct {
		Issues []struct {
			Key    string         `json:"key"`
			Fields map[string]any `json:"fields"`
		} `json:"issues"`
	}
	if err := json.Unmarshal(r.body, &res); err != nil || len(res.Issues) != n {
		t.Fatalf("%d issues, %v", len(res.Issues), err)
	}
	type end struct{ from, verb, to string }
	var ends []end
	parents, subtasks := map[string]string{}, map[string][]string{}
	filled := map[string]int{}
	for _, is := range res.Issues {
		f := is.Fields
		for id, v := range f {
			if v != nil && !isEmptyList(v) {
				filled[id]++
			}
		}
		if p, ok := f["parent"].(map[string]any); ok {
			parents[is.Key] = p["key"].(string)
		}
		for _, st := range f["subtasks"].([]any) {
			subtasks[is.Key] = append(subtasks[is.Key], st.(map[string]any)["key"].(string))
		}
		for _, l := range f["issuelinks"].([]any) {
			m := l.(map[string]any)
			typ := m["type"].(map[string]any)
			if o, ok := m["outwardIssue"].(map[string]any); ok {
				ends = append(ends, end{is.Key, typ["outward"].(string), o["key"].(string)})
			}
			if in, ok := m["inwardIssue"].(map[string]any); ok {
				ends = append(ends, end{in["key"].(string), typ["outward"].(string), is.Key})
			}
		}
	}
	for child, parent := range parents {
		if !slices.Contains(subtasks[parent], child) {
			t.Errorf("%s has parent %s, whose subtasks %v lack it", child, parent, subtasks[parent])
		}
	}
	for parent, children := range subtasks {
		for _, c := range children {
			if parents[c] != parent {
				t.Errorf("%s lists subtask %s, whose parent is %q", parent, c, parents[c])
			}
		}
	}
	count := map[end]int{}
	for _, e := range ends {
		count[e]++
	}
	for e, k := range count {
		if k != 2 {
			t.Errorf("the link %s %s %s is shown at %d of its 2 ends", e.from, e.verb, e.to, k)
		}
	}
	if len(parents) == 0 || len(ends) == 0 {
		t.Errorf("%d parents, %d link ends: nothing to check", len(parents), len(ends))
	}
	for _, id := range []string{"components", "fixVersions", "versions", "environment", "timetracking", "customfield_10016", "customfield_10021", "customfield_10030",
		"customfield_10031", "customfield_10032", "customfield_10033", "customfield_10034", "customfield_10035", "customfield_10036", "customfield_10037", "customfield_10038"} {
		if filled[id] == 0 {
			t.Errorf("no issue of %d has a value in %s", n, id)
		}
	}
}

func isEmptyList(v any) bool {
	l, ok := v.([]any)
	return ok && len(l) == 0
}
