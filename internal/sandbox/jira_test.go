package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// jiraPath is a path of the Jira API on the first site.
func jiraPath(p string) string {
	return "/ex/jira/" + DefaultSites[0].CloudID + "/rest/api/3" + p
}

// startJira starts a sandbox with project ABC of n issues and returns an
// access token.
func startJira(t *testing.T, n int, seed int64, opts JiraOptions) (*sandbox, string) {
	t.Helper()
	s := start(t, Options{})
	s.SetJiraProject("ABC", n, seed, opts)
	return s, s.login().AccessToken
}

// post sends body as JSON; a []byte or string is sent as it is.
func (s *sandbox) post(path, token string, body any) response {
	s.t.Helper()
	var data []byte
	switch b := body.(type) {
	case []byte:
		data = b
	case string:
		data = []byte(b)
	default:
		var err error
		if data, err = json.Marshal(body); err != nil {
			s.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, s.URL()+path, bytes.NewReader(data))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.do(req)
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("status %d, body %.500s: %v", r.status, r.body, err)
	}
	return v
}

// The shapes the tests read; unknown keys are left to the schema test.
type (
	searchPage struct {
		Issues        []issueBean       `json:"issues"`
		NextPageToken *string           `json:"nextPageToken"`
		IsLast        *bool             `json:"isLast"`
		Total         *int              `json:"total"`
		Names         map[string]string `json:"names"`
	}
	issueBean struct {
		ID             string                     `json:"id"`
		Key            string                     `json:"key"`
		Self           string                     `json:"self"`
		Fields         map[string]json.RawMessage `json:"fields"`
		RenderedFields map[string]json.RawMessage `json:"renderedFields"`
		Changelog      *struct {
			Total     int           `json:"total"`
			Histories []historyJSON `json:"histories"`
		} `json:"changelog"`
	}
	bulkResults struct {
		Issues      []issueBean `json:"issues"`
		IssueErrors []struct {
			ID           string `json:"id"`
			ErrorMessage string `json:"errorMessage"`
		} `json:"issueErrors"`
	}
	historyJSON struct {
		ID      string `json:"id"`
		Created string `json:"created"`
		Items   []struct {
			FieldID string  `json:"fieldId"`
			From    *string `json:"from"`
			To      *string `json:"to"`
		} `json:"items"`
	}
	commentJSON struct {
		ID   string          `json:"id"`
		Body json.RawMessage `json:"body"`
	}
	errorCollection struct {
		ErrorMessages []string          `json:"errorMessages"`
		Errors        map[string]string `json:"errors"`
	}
)

func (s *sandbox) search(t *testing.T, token string, q url.Values) searchPage {
	t.Helper()
	r := s.get(jiraPath("/search/jql?"+q.Encode()), token)
	wantStatus(t, "search "+q.Encode(), r, http.StatusOK)
	return decode[searchPage](t, r)
}

// walk pages through a search and returns the issues in order.
func (s *sandbox) walk(t *testing.T, token string, q url.Values) (issues []issueBean, pages int) {
	t.Helper()
	for {
		p := s.search(t, token, q)
		pages++
		issues = append(issues, p.Issues...)
		if p.Total != nil {
			t.Fatal("the enhanced search has no total")
		}
		if p.IsLast == nil {
			t.Fatal("a page without isLast")
		}
		if *p.IsLast != (p.NextPageToken == nil) {
			t.Fatalf("isLast %v with nextPageToken %v", *p.IsLast, p.NextPageToken)
		}
		if *p.IsLast {
			return issues, pages
		}
		q.Set("nextPageToken", *p.NextPageToken)
	}
}

func wantJiraError(t *testing.T, what string, r response, status int, message string) {
	t.Helper()
	wantStatus(t, what, r, status)
	ec := decode[errorCollection](t, r)
	if ec.Errors == nil || len(ec.ErrorMessages) != 1 || !strings.Contains(ec.ErrorMessages[0], message) {
		t.Errorf("%s: %s, want errorMessages with %q and errors {}", what, r.body, message)
	}
}

// TestJiraSearchWalksLargeProject pages the ids of 20,000 issues in pages
// of 5000, each issue once, newest first.
func TestJiraSearchWalksLargeProject(t *testing.T) {
	s, tk := startJira(t, 20000, 1, JiraOptions{})
	issues, pages := s.walk(t, tk, url.Values{"jql": {"project = ABC"}, "maxResults": {"9000"}})
	if pages != 4 || len(issues) != 20000 {
		t.Fatalf("%d pages, %d issues; want 4 and 20000", pages, len(issues))
	}
	for k, iss := range issues {
		if want := strconv.Itoa(jiraIDBase + 19999 - k); iss.ID != want || iss.Key != "" || iss.Fields != nil {
			t.Fatalf("issue %d: %+v, want id %s alone", k, iss, want)
		}
	}
	st := s.Stats().Jira
	if st.Search != 4 || st.IssuesListed != 20000 {
		t.Errorf("stats %+v", st)
	}
}

// TestJiraSearchAllFields pages *all in pages of 100 whatever maxResults
// asks, over POST, each issue once.
func TestJiraSearchAllFields(t *testing.T) {
	s, tk := startJira(t, 250, 2, JiraOptions{})
	body := map[string]any{"jql": "project = ABC ORDER BY key ASC", "fields": []string{"*all"}, "maxResults": 1000}
	var keys []string
	pages := 0
	for {
		r := s.post(jiraPath("/search/jql"), tk, body)
		wantStatus(t, "search", r, http.StatusOK)
		p := decode[searchPage](t, r)
		pages++
		if len(p.Issues) > JiraSearchPageSize {
			t.Fatalf("page of %d issues with *all", len(p.Issues))
		}
		for _, iss := range p.Issues {
			keys = append(keys, iss.Key)
			if len(iss.Fields) < 10 || iss.Fields["comment"] == nil || iss.Fields["summary"] == nil {
				t.Fatalf("%s: fields %v", iss.Key, slices.Collect(mapKeys(iss.Fields)))
			}
		}
		if *p.IsLast {
			break
		}
		body["nextPageToken"] = *p.NextPageToken
	}
	if pages != 3 || len(keys) != 250 {
		t.Fatalf("%d pages, %d issues", pages, len(keys))
	}
	for i, k := range keys {
		if k != "ABC-"+strconv.Itoa(i+1) {
			t.Fatalf("issue %d is %s: skipped or repeated", i, k)
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestJiraSearchPageSizes(t *testing.T) {
	s, tk := startJira(t, 6000, 3, JiraOptions{})
	for _, c := range []struct {
		q    url.Values
		want int
	}{
		{url.Values{}, JiraSearchDefaultPageSize},
		{url.Values{"maxResults": {"0"}}, JiraSearchDefaultPageSize},
		{url.Values{"maxResults": {"7"}}, 7},
		{url.Values{"maxResults": {"100000"}}, JiraSearchIDsPageSize},
		{url.Values{"maxResults": {"100000"}, "fields": {"id,key"}}, JiraSearchIDsPageSize},
		{url.Values{"maxResults": {"100000"}, "fields": {"summary"}}, JiraSearchPageSize},
		{url.Values{"maxResults": {"100000"}, "expand": {"changelog"}}, JiraSearchPageSize},
	} {
		c.q.Set("jql", "project = ABC")
		if p := s.search(t, tk, c.q); len(p.Issues) != c.want {
			t.Errorf("%s: %d issues, want %d", c.q.Encode(), len(p.Issues), c.want)
		}
	}
	p := s.search(t, tk, url.Values{"jql": {"project = ABC"}, "fields": {"key"}, "maxResults": {"2"}})
	if p.Issues[0].Key != "ABC-6000" || p.Issues[0].Self != "" {
		t.Errorf("fields=key: %+v", p.Issues[0])
	}
	r := s.get(jiraPath("/search/jql?jql=project%3DABC&maxResults=ten"), tk)
	wantJiraError(t, "maxResults=ten", r, http.StatusBadRequest, "maxResults")
	r = s.get(jiraPath("/search/jql?jql=project%3DABC&nextPageToken=garbage"), tk)
	wantJiraError(t, "bad token", r, http.StatusBadRequest, "nextPageToken")
	// A token belongs to its query.
	first := s.search(t, tk, url.Values{"jql": {"project = ABC"}})
	r = s.get(jiraPath("/search/jql?"+url.Values{"jql": {"project = ABC ORDER BY key"}, "nextPageToken": {*first.NextPageToken}}.Encode()), tk)
	wantJiraError(t, "token of another query", r, http.StatusBadRequest, "nextPageToken")
}

func TestJiraJQLErrors(t *testing.T) {
	s, tk := startJira(t, 10, 1, JiraOptions{})
	for _, c := range []struct{ jql, message string }{
		{"", jqlUnbounded},
		{"   ", jqlUnbounded},
		{"order by key desc", jqlUnbounded},
		{"ORDER BY created", jqlUnbounded},
		{"project = NOPE", "The value 'NOPE' does not exist for the field 'project'."},
		{`project = "Q"`, "The value 'Q' does not exist for the field 'project'."},
		{"project =", "Error in the JQL Query: Expecting either a value, list or function before the end of the query."},
		{"project = AND", "Error in the JQL Query: Expecting either a value, list or function but got 'AND'. You must surround 'AND' in quotation marks to use it as a value. (line 1, character 11)"},
		{"project ABC", "Error in the JQL Query: Expecting operator but got 'ABC'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 9)"},
		{`project = "ABC`, "Error in the JQL Query: The quoted string 'ABC' has not been completed. (line 1, character 11)"},
		{"project = ABC updated > -1d", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'updated'. (line 1, character 15)"},
		{"project = ABC ORDER key", "Error in the JQL Query: Expecting 'by' but got 'key'."},
		{"(project = ABC", "Error in the JQL Query: Expecting ')' before the end of the query."},
		{"project = ABC AND updated >= 2026-13-45", "Date value '2026-13-45' for field 'updated' is invalid."},
		{"project = ABC AND updated ~ -1d", "The operator '~' is not supported by the 'updated' field."},
		{"project = ABC OR project = ABC", "The sandbox cannot run OR"},
		{"project = ABC AND status = Done", "The sandbox cannot search by 'status'"},
		{"project = ABC AND assignee = currentUser()", "The sandbox cannot run the function currentUser()"},
		{"updated >= -1d", "The sandbox needs a project clause"},
		{"project = ABC ORDER BY a, b, c, d, e, f, g, h", "maximum of 7 fields"},
	} {
		r := s.get(jiraPath("/search/jql?"+url.Values{"jql": {c.jql}}.Encode()), tk)
		wantJiraError(t, c.jql, r, http.StatusBadRequest, c.message)
		r = s.post(jiraPath("/search/approximate-count"), tk, map[string]string{"jql": c.jql})
		wantJiraError(t, "count "+c.jql, r, http.StatusBadRequest, c.message)
	}
	r := s.get(jiraPath("/search/jql"), tk)
	wantJiraError(t, "no jql", r, http.StatusBadRequest, jqlUnbounded)
}

func TestJiraJQLSelects(t *testing.T) {
	s, tk := startJira(t, 100, 4, JiraOptions{})
	count := func(jql string) int {
		t.Helper()
		r := s.post(jiraPath("/search/approximate-count"), tk, map[string]string{"jql": jql})
		wantStatus(t, jql, r, http.StatusOK)
		return decode[struct{ Count int }](t, r).Count
	}
	keys := func(jql string) []string {
		t.Helper()
		issues, _ := s.walk(t, tk, url.Values{"jql": {jql}, "fields": {"key"}, "maxResults": {"7"}})
		var out []string
		for _, iss := range issues {
			out = append(out, iss.Key)
		}
		if n := count(jql); n != len(out) {
			t.Errorf("%s: count %d, walked %d", jql, n, len(out))
		}
		return out
	}
	last, _ := s.JiraIssueAt(DefaultSites[0].CloudID, "ABC", 99)
	tenth, _ := s.JiraIssueAt(DefaultSites[0].CloudID, "ABC", 89)
	// The clock stands at 09:00 on the day the newest issue was updated;
	// issues are 90 minutes apart.
	for _, c := range []struct {
		jql  string
		want []string
	}{
		{"project = ABC", nil},
		{"project = abc AND updated >= -1d", nil},
		{"project = ABC AND updated >= '" + tenth.Updated.Format("2006/01/02 15:04") + "' ORDER BY key ASC", nil},
		{"project in (10000) and updated > \"" + last.Updated.Add(-time.Minute).Format("2006-01-02 15:04") + "\"", []string{"ABC-100"}},
		{"project = ABC AND created < 2000-01-01", []string{}},
		{"(project = ABC) AND created >= -4h ORDER BY created DESC, key", []string{"ABC-100", "ABC-99"}},
		{"project = ABC AND updated <= -5d", nil},
	} {
		got := keys(c.jql)
		if c.want != nil && !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.jql, got, c.want)
		}
		t.Logf("%s: %d issues", c.jql, len(got))
	}
	if all := keys("project = ABC"); len(all) != 100 || all[0] != "ABC-100" || all[99] != "ABC-1" {
		t.Errorf("default order: %v…", all[:3])
	}
	asc := keys("project = ABC ORDER BY updated")
	if len(asc) != 100 || asc[0] != "ABC-1" {
		t.Errorf("ORDER BY updated: %v…", asc[:3])
	}
	day := keys("project = ABC AND updated >= -1d")
	if len(day) < 14 || len(day) > 18 {
		t.Errorf("updated in the last day: %d issues, want about 16", len(day))
	}
	older := keys("project = ABC AND updated <= -5d")
	if len(older) == 0 || len(older)+count("project = ABC AND updated > -5d") != 100 {
		t.Error("<= and > of one time do not split the project")
	}
}

// TestJiraSearchPeriodIsFixedPerSearch: a period counts from the first
// page, so a clock that moves does not shift later pages.
func TestJiraSearchPeriodIsFixedPerSearch(t *testing.T) {
	s, tk := startJira(t, 100, 4, JiraOptions{})
	q := url.Values{"jql": {"project = ABC AND updated >= -1d ORDER BY key"}, "maxResults": {"5"}}
	first := s.search(t, tk, q)
	s.clock.Advance(12 * time.Hour)
	q.Set("nextPageToken", *first.NextPageToken)
	rest, _ := s.walk(t, s.login().AccessToken, q)
	if got := len(first.Issues) + len(rest); got < 14 {
		t.Errorf("%d issues across pages, want the ~16 of the first page's day", got)
	}
}

func TestJiraRemovedSearch(t *testing.T) {
	s, tk := startJira(t, 3, 1, JiraOptions{})
	want := `{"errorMessages":["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. ` +
		`A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"],"errors":{}}`
	for _, r := range []response{
		s.get(jiraPath("/search?jql=project%3DABC"), tk),
		s.post(jiraPath("/search"), tk, map[string]string{"jql": "project = ABC"}),
	} {
		wantStatus(t, "old search", r, http.StatusGone)
		if strings.TrimSpace(string(r.body)) != want {
			t.Errorf("body %s", r.body)
		}
	}
	if st := s.Stats().Jira; st.RemovedSearch != 2 || st.Search != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestJiraBulkFetch(t *testing.T) {
	s, tk := startJira(t, 120, 5, JiraOptions{VanishedEvery: 10, ForbiddenEvery: 15, RetriableErrorEvery: 7})
	fetch := func(body any) bulkResults {
		t.Helper()
		r := s.post(jiraPath("/issue/bulkfetch"), tk, body)
		wantStatus(t, "bulkfetch", r, http.StatusOK)
		return decode[bulkResults](t, r)
	}
	// Keys and ids mixed, shuffled, repeated, and some that do not exist.
	var asked []string
	for n := 100; n >= 1; n-- {
		if n%2 == 0 {
			asked = append(asked, "abc-"+strconv.Itoa(n))
		} else {
			asked = append(asked, strconv.Itoa(jiraIDBase+n-1))
		}
	}
	asked = append(asked[:97], "ABC-2", "XYZ-1", "ABC-9999")
	got := fetch(map[string]any{"issueIdsOrKeys": asked, "fields": []string{"summary"}})
	var keys, failed []string
	for _, iss := range got.Issues {
		keys = append(keys, iss.Key)
		if len(iss.Fields) != 1 {
			t.Errorf("%s: fields %v, want summary alone", iss.Key, slices.Collect(mapKeys(iss.Fields)))
		}
	}
	for _, e := range got.IssueErrors {
		failed = append(failed, e.ID)
	}
	var wantKeys, wantFailed []string
	for n := 1; n <= 100; n++ {
		switch {
		case n == 3 || n == 1: // left out of the 97 asked
		case n%10 == 0, n%15 == 0:
		case n%7 == 0:
			wantFailed = append(wantFailed, strconv.Itoa(jiraIDBase+n-1))
		default:
			wantKeys = append(wantKeys, "ABC-"+strconv.Itoa(n))
		}
	}
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("issues %v\nwant   %v", keys, wantKeys)
	}
	if !slices.Equal(failed, wantFailed) {
		t.Errorf("issueErrors %v, want %v", failed, wantFailed)
	}
	// Retried, the failed ones come back.
	again := fetch(map[string]any{"issueIdsOrKeys": failed})
	if len(again.Issues) != len(failed) || len(again.IssueErrors) != 0 {
		t.Errorf("retry: %d issues, %d errors", len(again.Issues), len(again.IssueErrors))
	}
	// The default is *navigable: no comment, no worklog.
	nav := fetch(map[string]any{"issueIdsOrKeys": []string{"ABC-1"}})
	if f := nav.Issues[0].Fields; f["summary"] == nil || f["attachment"] == nil || f["comment"] != nil || f["worklog"] != nil {
		t.Errorf("default fields %v", slices.Collect(mapKeys(f)))
	}

	ids := make([]string, 101)
	for i := range ids {
		ids[i] = "ABC-" + strconv.Itoa(i+1)
	}
	for _, c := range []struct {
		body any
		want string
	}{
		{map[string]any{"issueIdsOrKeys": ids}, "up to 100"},
		{map[string]any{"issueIdsOrKeys": []string{}}, "No issue"},
		{map[string]any{"fields": []string{"summary"}}, "No issue"},
		{map[string]any{"issueIdsOrKeys": []string{"ABC-1"}, "expand": "renderedFields"}, "Invalid request payload"},
		{map[string]any{"issueIdsOrKeys": []string{"ABC-1"}, "issueIds": []string{"1"}}, "Invalid request payload"},
		{`{"issueIdsOrKeys":["ABC-1"]} trailing`, "Invalid request payload"},
		{map[string]any{"issueIdsOrKeys": []string{"ABC-1"}, "properties": []string{"a", "b", "c", "d", "e", "f"}}, "5 issue property"},
	} {
		wantJiraError(t, fmt.Sprint(c.body), s.post(jiraPath("/issue/bulkfetch"), tk, c.body), http.StatusBadRequest, c.want)
	}
}

// TestJiraIssue: GET /issue/{issueIdOrKey} returns one issue, every field
// by default or those asked for, for 2 points; an issue that does not
// exist, vanished or is forbidden is 404 alike.
func TestJiraIssue(t *testing.T) {
	s, tk := startJira(t, 12, 5, JiraOptions{VanishedEvery: 10, ForbiddenEvery: 11, RetriableErrorEvery: 3})
	one := s.get(jiraPath("/issue/abc-3?fields=summary"), tk)
	wantStatus(t, "one field", one, http.StatusOK)
	got := decode[issueBean](t, one)
	if got.Key != "ABC-3" || got.ID != strconv.Itoa(jiraIDBase+2) || len(got.Fields) != 1 || got.Fields["summary"] == nil || got.RenderedFields != nil {
		t.Errorf("fields=summary: %.300s", one.body)
	}
	all := decode[issueBean](t, s.get(jiraPath("/issue/"+strconv.Itoa(jiraIDBase+3)+"?expand=renderedFields"), tk))
	if all.Key != "ABC-4" || all.Fields["comment"] == nil || all.Fields["worklog"] == nil || all.RenderedFields["summary"] == nil || all.Changelog != nil {
		t.Errorf("default fields %v, rendered %v", slices.Collect(mapKeys(all.Fields)), slices.Collect(mapKeys(all.RenderedFields)))
	}
	for _, key := range []string{"ABC-10", "ABC-11", "ABC-13", "XYZ-1", "10"} {
		wantJiraError(t, key, s.get(jiraPath("/issue/"+key), tk), http.StatusNotFound, "Issue does not exist")
	}
	if st := s.Stats().Jira; st.Issue != 7 || st.Requests() != 7 || st.IssuesFetched != 0 {
		t.Errorf("stats %+v", st)
	}
	// The cheapest check that an issue exists: Atlassian prices "GET one
	// issue" at 2 points.
	s.ResetStats()
	s.get(jiraPath("/issue/ABC-3?fields=summary"), tk)
	if st := s.Stats().Jira; st.Issue != 1 || st.Points != 2 {
		t.Errorf("one issue, one field: %+v", st)
	}
}

// TestJiraEmbeddedListsAreCut: the embedded comment, worklog and
// changelog lists stop short, with totals that say so.
func TestJiraEmbeddedListsAreCut(t *testing.T) {
	s, tk := startJira(t, 10, 6, JiraOptions{})
	r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{
		"issueIdsOrKeys": []string{"ABC-3", "ABC-4", "ABC-5"}, "fields": []string{"comment", "worklog"}, "expand": []string{"changelog"},
	})
	wantStatus(t, "bulkfetch", r, http.StatusOK)
	got := decode[bulkResults](t, r).Issues
	type page struct {
		Comments, Worklogs []json.RawMessage
		MaxResults, Total  int
	}
	comments := decode[page](t, response{body: got[0].Fields["comment"]})
	if len(comments.Comments) != JiraEmbeddedComments || comments.Total != DefaultJiraLongThreadComments {
		t.Errorf("ABC-3 comments: %d of %d", len(comments.Comments), comments.Total)
	}
	worklogs := decode[page](t, response{body: got[1].Fields["worklog"]})
	if len(worklogs.Worklogs) != JiraEmbeddedWorklogs || worklogs.Total != DefaultJiraLongWorklogs {
		t.Errorf("ABC-4 worklogs: %d of %d", len(worklogs.Worklogs), worklogs.Total)
	}
	cl := got[2].Changelog
	if cl == nil || len(cl.Histories) != JiraBulkFetchChangelogs || cl.Total != DefaultJiraLongChangelogHistories {
		t.Fatalf("ABC-5 changelog: %+v", cl)
	}
	// Newest first, so the embedded ones are the last entries.
	if cl.Histories[0].ID != strconv.Itoa(jiraIDBase+4*jiraPerIssueStride+DefaultJiraLongChangelogHistories-1) {
		t.Errorf("first embedded entry %s is not the newest", cl.Histories[0].ID)
	}
	p := s.search(t, tk, url.Values{"jql": {"project = ABC AND created < -1d"}, "expand": {"changelog"}, "fields": {"id"}})
	for _, iss := range p.Issues {
		if iss.Changelog == nil || len(iss.Changelog.Histories) > JiraSearchChangelogs {
			t.Errorf("search changelog of %s: %+v", iss.ID, iss.Changelog)
		}
	}
}

// TestJiraDedicatedEndpoints: the per-issue routes and the bulk lists
// return everything the embedded lists left out, each item once.
func TestJiraDedicatedEndpoints(t *testing.T) {
	s, tk := startJira(t, 10, 6, JiraOptions{VanishedEvery: 6})
	type commentPage struct {
		Comments                   []commentJSON
		StartAt, MaxResults, Total int
	}
	var ids []int64
	var seen []string
	for startAt := 0; ; {
		r := s.get(jiraPath("/issue/ABC-3/comment?startAt="+strconv.Itoa(startAt)), tk)
		wantStatus(t, "comments", r, http.StatusOK)
		p := decode[commentPage](t, r)
		if p.Total != DefaultJiraLongThreadComments || p.MaxResults != JiraCommentPageSize || p.StartAt != startAt {
			t.Fatalf("page %+v", p)
		}
		for _, c := range p.Comments {
			seen = append(seen, c.ID)
			id, _ := strconv.ParseInt(c.ID, 10, 64)
			ids = append(ids, id)
		}
		if startAt += len(p.Comments); startAt >= p.Total || len(p.Comments) == 0 {
			break
		}
	}
	if len(seen) != DefaultJiraLongThreadComments || len(slices.Compact(slices.Clone(seen))) != len(seen) {
		t.Fatalf("%d comments walked", len(seen))
	}
	newest := decode[commentPage](t, s.get(jiraPath("/issue/10002/comment?orderBy=-created&maxResults=1"), tk))
	if newest.Comments[0].ID != seen[len(seen)-1] {
		t.Errorf("-created starts with %s, want %s", newest.Comments[0].ID, seen[len(seen)-1])
	}

	r := s.post(jiraPath("/comment/list"), tk, map[string]any{"ids": append(ids, 1, 999999999, ids[0])})
	wantStatus(t, "comment list", r, http.StatusOK)
	list := decode[struct {
		Values []commentJSON
		Total  int
		IsLast bool
	}](t, r)
	if list.Total != len(ids) || !list.IsLast || len(list.Values) != len(ids) {
		t.Errorf("comment/list: %d values, total %d", len(list.Values), list.Total)
	}
	strIDs := make([]string, len(ids))
	for i, id := range ids {
		strIDs[i] = strconv.FormatInt(id, 10)
	}
	if r := s.post(jiraPath("/comment/list"), tk, map[string]any{"ids": strIDs[:3]}); decode[struct{ Total int }](t, r).Total != 3 {
		t.Errorf("ids as strings: %s", r.body)
	}
	wantJiraError(t, "no ids", s.post(jiraPath("/comment/list"), tk, map[string]any{"ids": []int{}}), http.StatusBadRequest, "between 1 and 1000")
	wantJiraError(t, "1001 ids", s.post(jiraPath("/comment/list"), tk, map[string]any{"ids": make([]int, 1001)}), http.StatusBadRequest, "between 1 and 1000")

	type worklogPage struct {
		Worklogs []struct{ ID string }
		Total    int
	}
	wl := decode[worklogPage](t, s.get(jiraPath("/issue/ABC-4/worklog"), tk))
	if len(wl.Worklogs) != DefaultJiraLongWorklogs || wl.Total != DefaultJiraLongWorklogs {
		t.Errorf("worklogs: %d of %d", len(wl.Worklogs), wl.Total)
	}
	wlIDs := []string{wl.Worklogs[0].ID, wl.Worklogs[29].ID}
	r = s.post(jiraPath("/worklog/list"), tk, map[string]any{"ids": wlIDs})
	if got := decode[[]struct{ ID string }](t, r); len(got) != 2 || got[1].ID != wlIDs[1] {
		t.Errorf("worklog/list: %s", r.body)
	}

	type changelogPage struct {
		Values         []historyJSON
		Total, StartAt int
		IsLast         bool
		Self, NextPage string
	}
	first := decode[changelogPage](t, s.get(jiraPath("/issue/ABC-5/changelog"), tk))
	if len(first.Values) != 100 || first.IsLast || first.Total != DefaultJiraLongChangelogHistories ||
		!strings.HasPrefix(first.NextPage, "https://acme.atlassian.net/rest/api/3/issue/ABC-5/changelog?") {
		t.Fatalf("changelog page: %d values, last %v, next %q", len(first.Values), first.IsLast, first.NextPage)
	}
	second := decode[changelogPage](t, s.get(jiraPath("/issue/ABC-5/changelog?startAt=100"), tk))
	if len(second.Values) != 20 || !second.IsLast || second.NextPage != "" {
		t.Errorf("second page: %d values, last %v", len(second.Values), second.IsLast)
	}
	if first.Values[0].Created > first.Values[99].Created || first.Values[99].Created > second.Values[0].Created {
		t.Error("the changelog is not oldest first")
	}

	// A vanished issue is 404 on every per-issue route.
	for _, p := range []string{"/issue/ABC-6/comment", "/issue/ABC-6/worklog", "/issue/ABC-6/changelog", "/issue/ABC-11/comment", "/issue/NOPE-1/comment"} {
		wantJiraError(t, p, s.get(jiraPath(p), tk), http.StatusNotFound, jiraIssueNotFound)
	}
}

func TestJiraChangelogBulkFetch(t *testing.T) {
	s, tk := startJira(t, 60, 8, JiraOptions{VanishedEvery: 9})
	var keys []string
	want := 0
	for i := range 60 {
		iss, _ := s.JiraIssueAt(DefaultSites[0].CloudID, "ABC", i)
		keys = append(keys, iss.Key)
		if !iss.Vanished && !iss.Forbidden {
			want += iss.Histories
		}
	}
	type bulk struct {
		IssueChangeLogs []struct {
			IssueID         string
			ChangeHistories []historyJSON
		}
		NextPageToken *string
	}
	walk := func(body map[string]any) (entries []historyJSON, pages int) {
		for {
			r := s.post(jiraPath("/changelog/bulkfetch"), tk, body)
			wantStatus(t, "changelog bulkfetch", r, http.StatusOK)
			p := decode[bulk](t, r)
			pages++
			prev := 0
			for _, icl := range p.IssueChangeLogs {
				id, _ := strconv.Atoi(icl.IssueID)
				if id <= prev {
					t.Fatalf("issue %d after %d", id, prev)
				}
				prev = id
				entries = append(entries, icl.ChangeHistories...)
			}
			if p.NextPageToken == nil {
				return entries, pages
			}
			body["nextPageToken"] = *p.NextPageToken
		}
	}
	entries, pages := walk(map[string]any{"issueIdsOrKeys": keys, "maxResults": 50})
	ids := map[string]bool{}
	for _, e := range entries {
		ids[e.ID] = true
	}
	if len(entries) != want || len(ids) != want || pages != (want+49)/50 {
		t.Errorf("%d entries (%d distinct) in %d pages, want %d", len(entries), len(ids), pages, want)
	}
	for k := 1; k < len(entries); k++ {
		if entries[k].Created < entries[k-1].Created {
			t.Fatalf("entry %d is older than the one before", k)
		}
	}
	filtered, _ := walk(map[string]any{"issueIdsOrKeys": keys, "fieldIds": []string{"assignee"}, "maxResults": 7})
	if len(filtered) == 0 {
		t.Fatal("no assignee changes")
	}
	accountIDs := 0
	for _, e := range filtered {
		for _, it := range e.Items {
			if it.FieldID != "assignee" {
				t.Fatalf("fieldIds assignee let %s through", it.FieldID)
			}
			if it.To != nil {
				accountIDs++
			}
		}
	}
	if accountIDs == 0 {
		t.Error("no assignee change names an account id")
	}
	for _, c := range []struct {
		body any
		want string
	}{
		{map[string]any{"issueIdsOrKeys": []string{}}, "between 1 and 1000"},
		{map[string]any{"issueIdsOrKeys": make([]string, 1001)}, "between 1 and 1000"},
		{map[string]any{"issueIdsOrKeys": keys, "maxResults": 0}, "maxResults"},
		{map[string]any{"issueIdsOrKeys": keys, "maxResults": 10001}, "maxResults"},
		{map[string]any{"issueIdsOrKeys": keys, "fieldIds": make([]string, 11)}, "10 field"},
		{map[string]any{"issueIdsOrKeys": keys[:3], "nextPageToken": "x"}, "nextPageToken"},
	} {
		wantJiraError(t, fmt.Sprint(c.body), s.post(jiraPath("/changelog/bulkfetch"), tk, c.body), http.StatusBadRequest, c.want)
	}
}

// TestJiraAttachmentContent follows the 303 to the media host, without
// credentials, and matches the bytes and the uuid of the ADF media node.
func TestJiraAttachmentContent(t *testing.T) {
	s, tk := startJira(t, 40, 9, JiraOptions{LargeAttachmentEvery: 8, LargeAttachmentSize: 3 << 20, VanishedEvery: 10, ForbiddenEvery: 11})
	cloud := DefaultSites[0].CloudID
	r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{"issueIdsOrKeys": []string{"ABC-8"}, "fields": []string{"description", "attachment"}})
	iss := decode[bulkResults](t, r).Issues[0]
	var atts []struct {
		ID, Filename, Content, MimeType string
		Size                            int64
	}
	if err := json.Unmarshal(iss.Fields["attachment"], &atts); err != nil || len(atts) == 0 {
		t.Fatalf("attachments %s", iss.Fields["attachment"])
	}
	large := atts[len(atts)-1]
	if large.Size != 3<<20 || large.MimeType != "video/mp4" {
		t.Errorf("the large attachment: %+v", large)
	}
	if !strings.HasPrefix(large.Content, "https://acme.atlassian.net/rest/api/3/attachment/content/") {
		t.Errorf("content %q is not a site URL", large.Content)
	}
	known, _ := s.JiraIssueAt(cloud, "ABC", 7)
	if desc := string(iss.Fields["description"]); !strings.Contains(desc, `"id":"`+known.Attachments[0].MediaUUID+`"`) {
		t.Errorf("description does not reference %s: %s", known.Attachments[0].MediaUUID, desc)
	}

	client := &http.Client{Timeout: 30 * time.Second} // follows redirects, carries no credentials
	for _, a := range []int{0, len(atts) - 1} {
		att := atts[a]
		res := s.get(jiraPath("/attachment/content/"+att.ID), tk)
		wantStatus(t, "content", res, http.StatusSeeOther)
		loc, err := url.Parse(res.header.Get("Location"))
		if err != nil || loc.Scheme+"://"+loc.Host != s.MediaURL() || loc.Path != "/file/"+known.Attachments[a].MediaUUID+"/binary" {
			t.Fatalf("Location %s", res.header.Get("Location"))
		}
		resp, err := client.Get(loc.String())
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("media: %d %v", resp.StatusCode, err)
		}
		want, _ := s.JiraAttachmentContent(cloud, att.ID)
		wantBytes, _ := io.ReadAll(want)
		if int64(len(got)) != att.Size || !bytes.Equal(got, wantBytes) {
			t.Errorf("%s: %d bytes, want %d", att.ID, len(got), att.Size)
		}
		direct := s.get(jiraPath("/attachment/content/"+att.ID+"?redirect=false"), tk)
		wantStatus(t, "redirect=false", direct, http.StatusOK)
		if !bytes.Equal(direct.body, wantBytes) || direct.header.Get("Content-Type") != att.MimeType {
			t.Errorf("redirect=false: %d bytes of %s", len(direct.body), direct.header.Get("Content-Type"))
		}
	}
	if st := s.Stats(); st.MediaRequestsWithCredentials != 0 || st.MediaRequests != 2 {
		t.Errorf("media stats %+v", st)
	}

	vanished, _ := s.JiraIssueAt(cloud, "ABC", 9)
	forbidden, _ := s.JiraIssueAt(cloud, "ABC", 10)
	if !vanished.Vanished || !forbidden.Forbidden || len(vanished.Attachments) == 0 || len(forbidden.Attachments) == 0 {
		t.Fatalf("ABC-10 %+v, ABC-11 %+v", vanished, forbidden)
	}
	wantJiraError(t, "vanished", s.get(jiraPath("/attachment/content/"+vanished.Attachments[0].ID), tk), http.StatusNotFound, "does not exist")
	wantJiraError(t, "forbidden", s.get(jiraPath("/attachment/content/"+forbidden.Attachments[0].ID), tk), http.StatusForbidden, "permission")
	wantJiraError(t, "no such", s.get(jiraPath("/attachment/content/12"), tk), http.StatusNotFound, "does not exist")
	wantJiraError(t, "bad redirect", s.get(jiraPath("/attachment/content/"+atts[0].ID+"?redirect=maybe"), tk), http.StatusBadRequest, "redirect")
	// A media link of an issue that vanished since is 404; the test
	// collection's links still work beside Jira's.
	uuid := vanished.Attachments[0].MediaUUID
	media := s.fetch(s.MediaURL()+"/file/"+uuid+"/binary?token="+url.QueryEscape(s.mediaToken(uuid)), "")
	wantStatus(t, "vanished media", media, http.StatusNotFound)
	s.SetTestItems(5, 1)
	it, _ := s.TestItemAt(cloud, 0)
	if len(it.Attachments) > 0 {
		loc := s.redirect(t, it.Attachments[0].ID, tk)
		wantStatus(t, "test media", s.fetch(loc.String(), ""), http.StatusOK)
	}
}

func TestJiraUsersAndPrivacyTraps(t *testing.T) {
	s, tk := startJira(t, 40, 10, JiraOptions{})
	r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{
		"issueIdsOrKeys": []string{"ABC-1", "ABC-2", "ABC-3", "ABC-4", "ABC-5", "ABC-7", "ABC-8", "ABC-9", "ABC-10", "ABC-11", "ABC-13"},
		"fields":         []string{"*all"}, "expand": []string{"renderedFields"},
	})
	wantStatus(t, "bulkfetch", r, http.StatusOK)
	body := string(r.body)
	var v any
	_ = json.Unmarshal(r.body, &v)
	users := map[string]map[string]any{}
	var collect func(any)
	collect = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if id, ok := x["accountId"].(string); ok {
				users[id] = x
			}
			for _, y := range x {
				collect(y)
			}
		case []any:
			for _, y := range x {
				collect(y)
			}
		}
	}
	collect(v)
	forms := map[string]bool{}
	nullEmail := false
	for id, u := range users {
		switch {
		case strings.HasPrefix(id, "557058:"):
			forms["557058"] = true
		case strings.HasPrefix(id, "712020:"):
			forms["712020"] = true
		case len(id) == 24:
			forms["hex"] = true
		}
		if e, ok := u["emailAddress"]; ok && e == nil {
			nullEmail = true
		}
		if !strings.Contains(fmt.Sprint(u["avatarUrls"]), id) || !strings.Contains(u["self"].(string), url.QueryEscape(id)) {
			t.Errorf("user %s: avatar and self should embed the account id", id)
		}
	}
	if len(forms) != 3 || !nullEmail {
		t.Errorf("account id forms %v, a null email %v, among %d users", forms, nullEmail, len(users))
	}
	for _, want := range []string{
		`"type":"mention"`, `"text":"@`,
		`/secure/ViewProfile.jspa?accountId=`, `data-account-id=`,
		`"self":"https://acme.atlassian.net/rest/api/3/issue/`,
		`https://acme.atlassian.net/browse/ABC-`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in the issues", want)
		}
	}
	if rendered := fmt.Sprint(v); !strings.Contains(rendered, "&lt;") || !strings.Contains(rendered, "&amp;") {
		t.Error("renderedFields escape nothing")
	}

	me := s.get(jiraPath("/myself"), tk)
	wantStatus(t, "myself", me, http.StatusOK)
	if m := me.json(t); m["accountId"] != DefaultUser.AccountID || m["emailAddress"] != DefaultUser.Email {
		t.Errorf("myself %s", me.body)
	}
	// A grant without the Jira scopes is refused as the gateway does.
	s.SetWithheldScopes("read:jira-work", "read:jira-user")
	narrow := s.login().AccessToken
	wantUnauthorized(t, s.get(jiraPath("/field"), narrow), MessageScopeMismatch)
	wantUnauthorized(t, s.get(jiraPath("/myself"), narrow), MessageScopeMismatch)
	wantUnauthorized(t, s.get(jiraPath("/field"), ""), MessageUnauthorized)
	wantStatus(t, "unknown site", s.get("/ex/jira/no-such-cloud/rest/api/3/field", tk), http.StatusNotFound)
}

func TestJiraHostileFilenames(t *testing.T) {
	s, tk := startJira(t, 8, 11, JiraOptions{})
	r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{
		"issueIdsOrKeys": []string{"ABC-2", "ABC-3", "ABC-4", "ABC-5", "ABC-6", "ABC-7"}, "fields": []string{"attachment"},
	})
	var names []string
	for _, iss := range decode[bulkResults](t, r).Issues {
		var atts []struct{ Filename string }
		_ = json.Unmarshal(iss.Fields["attachment"], &atts)
		for _, a := range atts {
			names = append(names, a.Filename)
		}
	}
	for _, want := range []string{"../../etc/passwd", "con.txt", "LPT1", "/etc/shadow", "line\nbreak.txt", ".."} {
		if !slices.Contains(names, want) {
			t.Errorf("no attachment named %q among %q", want, names)
		}
	}
	dup := 0
	for _, n := range names {
		if n == "report.pdf" {
			dup++
		}
	}
	if dup < 2 {
		t.Error("no duplicate names on one issue")
	}
}

func TestJiraFields(t *testing.T) {
	s, tk := startJira(t, 1, 1, JiraOptions{})
	r := s.get(jiraPath("/field"), tk)
	wantStatus(t, "field", r, http.StatusOK)
	fields := decode[[]struct {
		ID        string
		Custom    bool
		Navigable bool
		Schema    *struct{ Type string }
	}](t, r)
	byID := map[string]bool{}
	for _, f := range fields {
		byID[f.ID] = f.Navigable
	}
	if len(fields) != len(jiraFields) || !byID["summary"] || byID["comment"] || !byID["customfield_10016"] {
		t.Errorf("fields %+v", fields)
	}
}

// TestJiraDeterministic: the same seed gives the same bytes on another
// server; another seed or site does not.
func TestJiraDeterministic(t *testing.T) {
	body := map[string]any{
		"issueIdsOrKeys": []string{"ABC-1", "ABC-2", "ABC-3", "ABC-4", "ABC-5", "ABC-6"},
		"fields":         []string{"*all"}, "expand": []string{"renderedFields", "changelog", "names"},
	}
	read := func(seed int64, site int) string {
		s, tk := startJira(t, 30, seed, JiraOptions{})
		path := strings.Replace(jiraPath("/issue/bulkfetch"), DefaultSites[0].CloudID, DefaultSites[site].CloudID, 1)
		a := s.post(path, tk, body)
		b := s.get(strings.Replace(jiraPath("/issue/ABC-3/comment?startAt=140"), DefaultSites[0].CloudID, DefaultSites[site].CloudID, 1), tk)
		return string(a.body) + string(b.body)
	}
	one := read(42, 0)
	if one != read(42, 0) {
		t.Error("the same seed gives different answers")
	}
	if one == read(43, 0) {
		t.Error("another seed gives the same answers")
	}
	if one == read(42, 1) {
		t.Error("two sites have the same project")
	}
}

// TestJiraGolden pins the generator: the same seed must give the same
// issues in every version, or recorded expectations drift.
func TestJiraGolden(t *testing.T) {
	s, tk := startJira(t, 8, 42, JiraOptions{})
	r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{
		"issueIdsOrKeys": []string{"ABC-2"}, "fields": []string{"*all"}, "expand": []string{"renderedFields", "changelog"},
	})
	wantStatus(t, "bulkfetch", r, http.StatusOK)
	golden(t, "jira-bulkfetch.json", r.body)
}

// TestJiraIsLazy: a page at the far end of the largest project costs
// what it costs in a small one, so nothing grows with the project.
func TestJiraIsLazy(t *testing.T) {
	s, tk := startJira(t, MaxJiraIssues, 1, JiraOptions{})
	h := s.Handler()
	allocs := func(n int) float64 {
		s.SetJiraProject("ABC", n, 1, JiraOptions{})
		q := url.Values{"jql": {"project = ABC AND updated >= -3d"}, "fields": {"summary,status,reporter"}, "maxResults": {"10"}}
		q.Set("nextPageToken", searchToken(20, s.clock.Now(), q.Get("jql")))
		return testing.AllocsPerRun(5, func() {
			req := httptest.NewRequest(http.MethodGet, jiraPath("/search/jql?"+q.Encode()), nil)
			req.Header.Set("Authorization", "Bearer "+tk)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("%d: %s", rec.Code, rec.Body)
			}
		})
	}
	small, big := allocs(200), allocs(MaxJiraIssues)
	t.Logf("allocations per page: %.0f of 200 issues, %.0f of %d", small, big, MaxJiraIssues)
	if big > small*1.2+100 {
		t.Errorf("a page of a %d-issue project takes %.0f allocations, of a 200-issue one %.0f", MaxJiraIssues, big, small)
	}
}

func TestSetJiraProject(t *testing.T) {
	s, tk := startJira(t, 5, 1, JiraOptions{})
	s.SetJiraProject("XY_2", 3, 1, JiraOptions{})
	p := s.search(t, tk, url.Values{"jql": {"project = XY_2"}, "fields": {"key"}})
	if len(p.Issues) != 3 || p.Issues[0].ID != strconv.Itoa(jiraIDBase+MaxJiraIssues+2) {
		t.Errorf("second project: %+v", p.Issues)
	}
	s.SetJiraProject("ABC", 0, 1, JiraOptions{})
	r := s.get(jiraPath("/search/jql?jql=project%3DABC"), tk)
	wantJiraError(t, "removed project", r, http.StatusBadRequest, "does not exist")
	for _, key := range []string{"", "A", "abc", "1AB", "ABCDEFGHIJK", "A-B"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("key %q accepted", key)
				}
			}()
			s.SetJiraProject(key, 1, 1, JiraOptions{})
		}()
	}
	defer func() {
		if recover() == nil {
			t.Error("a 17th project accepted")
		}
	}()
	for i := range MaxJiraProjects {
		s.SetJiraProject("P"+strconv.Itoa(i), 1, 1, JiraOptions{})
	}
}

// TestJiraStatsAndFaults: the Jira routes count per family, and the
// gateway's switches reach them as every route under /ex/.
func TestJiraStatsAndFaults(t *testing.T) {
	s, tk := startJira(t, 20, 1, JiraOptions{})
	s.InjectFaults(FaultSpec{Kind: FaultRateLimit, PathPrefix: "/ex/jira/"})
	wantRateLimited(t, s.get(jiraPath("/field"), tk), "jira-burst-based", "1")
	s.get(jiraPath("/field"), tk)
	s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{"issueIdsOrKeys": []string{"ABC-1", "ABC-2"}, "fields": []string{"summary"}})
	s.get(jiraPath("/issue/ABC-3/comment"), tk)
	s.get(jiraPath("/myself"), tk)
	st := s.Stats()
	if st.FaultsInjected != 1 || st.Jira.Fields != 1 || st.Jira.BulkFetch != 1 || st.Jira.Comments != 1 || st.Jira.IssuesFetched != 2 ||
		st.Jira.Requests() != 4 {
		t.Errorf("stats %+v", st.Jira)
	}
	// 1 + 23 fields; 1 + 2 issues; 1 + the comments (their authors
	// embedded, free); 1 + the user /myself returns.
	iss, _ := s.JiraIssueAt(DefaultSites[0].CloudID, "ABC", 2)
	if iss.Comments == 0 {
		t.Fatal("ABC-3 has no comments; the test proves less")
	}
	if want := 1 + len(jiraFields) + 1 + 2 + 1 + min(iss.Comments, JiraCommentPageSize) + 1 + 2; st.Jira.Points != want {
		t.Errorf("points %d, want %d", st.Jira.Points, want)
	}
}

// TestJiraIssueAtMatchesAPI: what tests are told is what the API shows.
func TestJiraIssueAtMatchesAPI(t *testing.T) {
	s, tk := startJira(t, 12, 3, JiraOptions{VanishedEvery: -1, ForbiddenEvery: -1, RetriableErrorEvery: -1})
	var keys []string
	for i := 1; i <= 12; i++ {
		keys = append(keys, "ABC-"+strconv.Itoa(i))
	}
	r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{"issueIdsOrKeys": keys, "fields": []string{"attachment", "comment", "worklog", "updated"}})
	got := decode[bulkResults](t, r)
	if len(got.Issues) != 12 {
		t.Fatalf("%d issues with every trap off", len(got.Issues))
	}
	for i, iss := range got.Issues {
		want, _ := s.JiraIssueAt(DefaultSites[0].CloudID, "ABC", i)
		var atts []struct {
			ID, Filename, MimeType string
			Size                   int64
		}
		_ = json.Unmarshal(iss.Fields["attachment"], &atts)
		var shown []JiraAttachment
		for j, a := range atts {
			shown = append(shown, JiraAttachment{a.ID, a.Filename, a.Size, a.MimeType, want.Attachments[j].MediaUUID})
		}
		var comment struct{ Total int }
		_ = json.Unmarshal(iss.Fields["comment"], &comment)
		var updated string
		_ = json.Unmarshal(iss.Fields["updated"], &updated)
		if iss.ID != want.ID || !reflect.DeepEqual(shown, want.Attachments) || comment.Total != want.Comments || updated != jiraTime(want.Updated) {
			t.Errorf("%s: API %s, JiraIssueAt %+v", want.Key, iss.Fields["attachment"], want)
		}
	}
	if _, ok := s.JiraIssueAt(DefaultSites[0].CloudID, "ABC", 12); ok {
		t.Error("an issue past the end")
	}
	if _, ok := s.JiraIssueAt(DefaultSites[0].CloudID, "ABC", -1); ok {
		t.Error("an issue before the start")
	}
}
