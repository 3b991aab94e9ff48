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

// specSchemas are schemas of an OpenAPI document that the sandbox's
// answers must meet, copied from the spec with everything they
// reference into testdata/atlassian (each file's _source says from
// where), with what the product does that its spec does not say.
type specSchemas struct {
	schemas map[string]map[string]any
	// timeLayout is how the product writes a date-time.
	timeLayout string
	// nullInPractice are properties (Schema.property) the spec types as
	// plain strings that the product sends as null.
	nullInPractice []string
	// open checks the values a schema leaves open, such as Jira's
	// IssueBean.fields; nil for none.
	open func(js specSchemas, errs *[]string, path, where string, v any)
}

// loadSchemas reads components.schemas from section of a file of
// testdata/atlassian ("" for its top level).
func loadSchemas(t *testing.T, file, section string) map[string]map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "atlassian", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	raw := b
	if section != "" {
		raw = doc[section]
	}
	var part struct {
		Schemas map[string]map[string]any `json:"schemas"`
	}
	if err := json.Unmarshal(raw, &part); err != nil || len(part.Schemas) == 0 {
		t.Fatalf("%s %s: no schemas (%v)", file, section, err)
	}
	return part.Schemas
}

// loadJiraSchemas is testdata/atlassian/jira-schemas.json.
func loadJiraSchemas(t *testing.T) specSchemas {
	t.Helper()
	return specSchemas{
		schemas:    loadSchemas(t, "jira-schemas.json", ""),
		timeLayout: "2006-01-02T15:04:05.000-0700",
		// ChangeDetails shows null for a value a change did not have;
		// emailAddress says so in its description, which the validator
		// reads.
		nullInPractice: []string{"ChangeDetails.from", "ChangeDetails.fromString", "ChangeDetails.to", "ChangeDetails.toString"},
		open:           checkJiraFields,
	}
}

// fieldSchemas are the schemas of the values inside IssueBean.fields,
// which the spec leaves open.
var fieldSchemas = map[string]string{
	"status": "StatusDetails", "issuetype": "IssueTypeDetails", "priority": "Priority", "project": "ProjectDetails",
	"reporter": "UserDetails", "creator": "UserDetails", "assignee": "UserDetails", "customfield_10030": "UserDetails",
	"resolution": "Resolution", "comment": "PageOfComments", "worklog": "PageOfWorklogs",
}

// checkJiraFields holds IssueBean.fields, open in the spec, to the
// schemas of its known values.
func checkJiraFields(js specSchemas, errs *[]string, path, where string, v any) {
	if where != "IssueBean.fields" {
		return
	}
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

// validate checks v against the schema name and returns what is wrong:
// types, required properties, properties a closed schema does not list,
// enums, oneOf, and the formats date-time (as the product writes it)
// and uri. It follows $ref and allOf.
func (js specSchemas) validate(name string, v any) []string {
	return js.validateSchema(name, map[string]any{"$ref": "#/components/schemas/" + name}, v)
}

// validateSchema checks v against a schema of the document, such as an
// operation's response, named name in what it returns.
func (js specSchemas) validateSchema(name string, schema map[string]any, v any) []string {
	var errs []string
	js.check(&errs, name, name, v, schema)
	return errs
}

func (js specSchemas) check(errs *[]string, path, where string, v any, schema map[string]any) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, path+": "+fmt.Sprintf(format, args...))
	}
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		target, ok := js.schemas[name]
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
		if schema["nullable"] == true || strings.Contains(desc, "may be returned as null") || slices.Contains(js.nullInPractice, where) {
			return
		}
		if _, typed := schema["type"]; typed {
			fail("null where the spec wants %v", schema["type"])
		}
		return
	}
	if one, ok := schema["oneOf"].([]any); ok {
		matched := 0
		for _, alt := range one {
			var sub []string
			js.check(&sub, path, where, v, alt.(map[string]any))
			if len(sub) == 0 {
				matched++
			}
		}
		if matched == 0 {
			fail("%v matches none of oneOf", v)
		}
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
			if _, err := time.Parse(js.timeLayout, s); err != nil {
				fail("%q is not a time as the product writes it", s)
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
	if js.open != nil {
		js.open(js, errs, path, where, v)
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
	if _, ok := js.schemas["ChangeDetails"]; !ok {
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
		{"issue", "IssueBean", s.get(jiraPath("/issue/ABC-3?expand=renderedFields,names,schema"), tk)},
		{"issue summary", "IssueBean", s.get(jiraPath("/issue/ABC-3?fields=summary"), tk)},
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
