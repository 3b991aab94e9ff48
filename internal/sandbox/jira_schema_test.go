package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// jiraSchemas is testdata/atlassian/jira-schemas.json: the schemas of the
// Jira spec that the sandbox's answers must meet, copied from the spec
// with everything they reference (its _source says from where).
type jiraSchemas map[string]map[string]any

func loadJiraSchemas(t *testing.T) jiraSchemas {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "atlassian", "jira-schemas.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schemas jiraSchemas `json:"schemas"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Schemas
}

// nullInPractice are properties the spec types as plain strings that
// Jira sends as null: ChangeDetails shows null for a value a change did
// not have. emailAddress says so in its description, which the validator
// reads.
var nullInPractice = []string{"ChangeDetails.from", "ChangeDetails.fromString", "ChangeDetails.to", "ChangeDetails.toString"}

// fieldSchemas are the schemas of the values inside IssueBean.fields,
// which the spec leaves open.
var fieldSchemas = map[string]string{
	"status": "StatusDetails", "issuetype": "IssueTypeDetails", "priority": "Priority", "project": "ProjectDetails",
	"reporter": "UserDetails", "creator": "UserDetails", "assignee": "UserDetails", "customfield_10030": "UserDetails",
	"resolution": "Resolution", "comment": "PageOfComments", "worklog": "PageOfWorklogs",
}

// validate checks v against the schema name and returns what is wrong:
// types, required properties, properties a closed schema does not list,
// enums, and the formats date-time (as Jira writes it) and uri. It
// follows $ref and allOf.
func (js jiraSchemas) validate(name string, v any) []string {
	var errs []string
	js.check(&errs, name, name, v, map[string]any{"$ref": "#/components/schemas/" + name})
	return errs
}

func (js jiraSchemas) check(errs *[]string, path, where string, v any, schema map[string]any) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, path+": "+fmt.Sprintf(format, args...))
	}
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target, ok := js[name]
		if !ok {
			fail("schema %s is not in the excerpt", name)
			return
		}
		js.check(errs, path, name, v, target)
		return
	}
	if all, ok := schema["allOf"].([]any); ok {
		for _, sub := range all {
			js.check(errs, path, where, v, sub.(map[string]any))
		}
	}
	if v == nil {
		desc, _ := schema["description"].(string)
		if schema["nullable"] == true || strings.Contains(desc, "may be returned as null") || slices.Contains(nullInPractice, where) {
			return
		}
		if _, typed := schema["type"]; typed {
			fail("null where the spec wants %v", schema["type"])
		}
		return
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		fail("%v is not one of %v", v, enum)
	}
	switch typ, _ := schema["type"].(string); typ {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			fail("%T where the spec wants an object", v)
			return
		}
		props, _ := schema["properties"].(map[string]any)
		for _, req := range asStrings(schema["required"]) {
			if _, ok := obj[req]; !ok {
				fail("lacks required %q", req)
			}
		}
		for k, val := range obj {
			sub := path + "." + k
			if p, ok := props[k].(map[string]any); ok {
				js.check(errs, sub, where+"."+k, val, p)
				continue
			}
			switch extra := schema["additionalProperties"].(type) {
			case bool:
				if !extra {
					fail("%q is not a property of %s", k, where)
				}
			case map[string]any:
				js.check(errs, sub, where+".*", val, extra)
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			fail("%T where the spec wants an array", v)
			return
		}
		items, _ := schema["items"].(map[string]any)
		for i, item := range arr {
			js.check(errs, fmt.Sprintf("%s[%d]", path, i), where+"[]", item, items)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			fail("%T where the spec wants a string", v)
			return
		}
		switch schema["format"] {
		case "date-time":
			if _, err := time.Parse("2006-01-02T15:04:05.000-0700", s); err != nil {
				fail("%q is not a time as Jira writes it", s)
			}
		case "uri":
			if u, err := url.Parse(s); err != nil || u.Scheme == "" || u.Host == "" {
				fail("%q is not an absolute URI", s)
			}
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != math.Trunc(f) {
			fail("%v where the spec wants an integer", v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			fail("%T where the spec wants a number", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("%T where the spec wants a boolean", v)
		}
	}
	// IssueBean.fields is open in the spec; hold its known values to
	// their own schemas.
	if where == "IssueBean.fields" {
		obj, _ := v.(map[string]any)
		for id, val := range obj {
			if name, ok := fieldSchemas[id]; ok && val != nil {
				js.check(errs, path+"."+id, name, val, map[string]any{"$ref": "#/components/schemas/" + name})
			}
			if id == "attachment" {
				js.check(errs, path+".attachment", "attachment", val,
					map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Attachment"}})
			}
		}
	}
}

func asStrings(v any) []string {
	var out []string
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestJiraValidatorCatches shows the validator is not vacuous.
func TestJiraValidatorCatches(t *testing.T) {
	js := loadJiraSchemas(t)
	for name, bad := range map[string]string{
		"wrong type":    `{"issues":[{"id":10001}],"isLast":true}`,
		"unknown prop":  `{"issues":[],"isLast":true,"total":3}`,
		"bad user":      `{"issues":[{"id":"1","fields":{"reporter":{"accountId":5}}}]}`,
		"jira time":     `{"issues":[{"id":"1","changelog":{"histories":[{"created":"2026-03-01T08:00:00Z"}]}}]}`,
		"null not null": `{"issues":null}`,
	} {
		var v any
		if err := json.Unmarshal([]byte(bad), &v); err != nil {
			t.Fatal(err)
		}
		if errs := js.validate("SearchAndReconcileResults", v); len(errs) == 0 {
			t.Errorf("%s: %s passes", name, bad)
		}
	}
	if _, ok := js["ChangeDetails"]; !ok {
		t.Fatal("the excerpt lacks ChangeDetails")
	}
}

// TestJiraResponsesMatchSpec validates an answer of every Jira route
// against the spec's schema for it.
func TestJiraResponsesMatchSpec(t *testing.T) {
	js := loadJiraSchemas(t)
	s, tk := startJira(t, 60, 7, JiraOptions{RetriableErrorEvery: 9, VanishedEvery: 11, ForbiddenEvery: 13})
	all := url.Values{"jql": {"project = ABC"}, "fields": {"*all"}, "expand": {"renderedFields,names,schema,changelog"}, "maxResults": {"60"}}
	var keys []string
	for i := 1; i <= 60; i++ {
		keys = append(keys, fmt.Sprintf("ABC-%d", i))
	}
	cases := []struct {
		name, schema string
		r            response
	}{
		{"search *all", "SearchAndReconcileResults", s.get(jiraPath("/search/jql?"+all.Encode()), tk)},
		{"search ids", "SearchAndReconcileResults", s.post(jiraPath("/search/jql"), tk, map[string]any{"jql": "project = ABC", "maxResults": 5000})},
		{"search keys", "SearchAndReconcileResults", s.get(jiraPath("/search/jql?jql=project%3DABC&fields=key"), tk)},
		{"count", "JQLCountResultsBean", s.post(jiraPath("/search/approximate-count"), tk, map[string]any{"jql": "project = ABC"})},
		{"bulkfetch", "BulkIssueResults", s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{
			"issueIdsOrKeys": keys[:50], "fields": []string{"*all"}, "expand": []string{"renderedFields", "names", "schema", "changelog"},
			"properties": []string{"p"},
		})},
		{"comments", "PageOfComments", s.get(jiraPath("/issue/ABC-3/comment?expand=renderedBody"), tk)},
		{"comment list", "PageBeanComment", s.post(jiraPath("/comment/list?expand=renderedBody"), tk, map[string]any{"ids": []int64{10000 + 2*jiraPerIssueStride, 10000 + 2*jiraPerIssueStride + 1}})},
		{"worklogs", "PageOfWorklogs", s.get(jiraPath("/issue/ABC-4/worklog"), tk)},
		{"changelog", "PageBeanChangelog", s.get(jiraPath("/issue/ABC-5/changelog?maxResults=50"), tk)},
		{"changelog bulk", "BulkChangelogResponseBean", s.post(jiraPath("/changelog/bulkfetch"), tk, map[string]any{"issueIdsOrKeys": keys, "maxResults": 100})},
		{"myself", "User", s.get(jiraPath("/myself"), tk)},
		{"bad jql", "ErrorCollection", s.get(jiraPath("/search/jql?jql=order+by+key"), tk)},
		{"gone", "ErrorCollection", s.get(jiraPath("/search?jql=project%3DABC"), tk)},
		{"not found", "ErrorCollection", s.get(jiraPath("/issue/ABC-999/comment"), tk)},
	}
	arrays := []struct {
		name, schema string
		r            response
	}{
		{"fields", "FieldDetails", s.get(jiraPath("/field"), tk)},
		{"worklog list", "Worklog", s.post(jiraPath("/worklog/list"), tk, map[string]any{"ids": []int64{10000 + 3*jiraPerIssueStride, 10000 + 3*jiraPerIssueStride + 1}})},
	}
	for _, a := range arrays {
		var list []any
		if err := json.Unmarshal(a.r.body, &list); err != nil || len(list) == 0 {
			t.Fatalf("%s: %s", a.name, a.r.body)
		}
		for i, v := range list {
			for _, e := range js.validate(a.schema, v) {
				t.Errorf("%s[%d]: %s", a.name, i, e)
			}
		}
	}
	for _, c := range cases {
		var v any
		if err := json.Unmarshal(c.r.body, &v); err != nil {
			t.Fatalf("%s: %v in %s", c.name, err, c.r.body)
		}
		errs := js.validate(c.schema, v)
		for _, e := range errs[:min(len(errs), 20)] {
			t.Errorf("%s (%d): %s", c.name, c.r.status, e)
		}
	}
	// The bulkfetch above met a retriable issue, so issueErrors was
	// checked too.
	if r := cases[4].r; !strings.Contains(string(r.body), `"errorMessage"`) {
		t.Errorf("bulkfetch had no issueErrors to check: %.300s", r.body)
	}
	if cases[len(cases)-1].r.status != http.StatusNotFound {
		t.Errorf("not found: %d", cases[len(cases)-1].r.status)
	}
}
