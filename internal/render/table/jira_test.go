package table

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// field is a field of fields.json: a system field's schema names the
// field, a custom field's does not.
func field(id, name, typ, items string) jira.Field {
	f := jira.Field{ID: id, Name: name, Schema: jira.FieldSchema{Type: typ, Items: items, System: id}}
	if strings.HasPrefix(id, "customfield_") {
		f.Custom, f.Schema.System = true, ""
	}
	return f
}

var craftedFields = []jira.Field{
	field("summary", "Summary", "string", ""),
	field("status", "Status", "status", ""),
	field("thumbnail", "Images", "", ""),
	field("project", "Project", "project", ""),
	field("comment", "Comment", "comments-page", ""),
	field("worklog", "Log Work", "array", "worklog"),
	field("timetracking", "Time tracking", "timetracking", ""),
	field("issuelinks", "Linked Issues", "array", "issuelinks"),
	field("customfield_2", "Sprint", "array", "json"),
	field("customfield_1", "sprint", "array", "json"),
	field("customfield_3", "Status", "option", ""),
	field("customfield_4", "Project", "string", ""),
	field("customfield_5", "", "number", ""),
	field("customfield_6", "Region", "option-with-child", ""),
	field("customfield_7", "On call", "array", "user"),
	field("customfield_8", "Notes", "string", ""),
	field("customfield_9", "Last incident", "datetime", ""),
	field("customfield_10", "Flag", "array", "option"),
	field("customfield_11", "Approved", "any", ""),
}

// TestJiraColumnNames names a field by its display name, followed by its
// id when another column has the name, and leaves out what is no value.
func TestJiraColumnNames(t *testing.T) {
	got := names(jiraColumns(craftedFields))
	want := append(slices.Clone(got[:len(jiraFixed)]),
		"Project (project)", "Comment", "Log Work", "Time tracking", "Linked Issues",
		"Approved", "customfield_5", "Flag", "Last incident", "Notes", "On call",
		"Project (customfield_4)", "Region", "sprint (customfield_1)", "Sprint (customfield_2)", "Status (customfield_3)")
	if !slices.Equal(got, want) {
		t.Errorf("columns\n%q\nwant\n%q", got, want)
	}
	seen := map[string]bool{}
	for _, n := range got {
		if seen[strings.ToLower(n)] {
			t.Errorf("%q twice", n)
		}
		seen[strings.ToLower(n)] = true
	}
}

func names(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

const person = `{"displayName": "Ada Example", "emailAddress": "ada@example.com", "accountType": "atlassian"}`

// TestJiraValues writes each kind of value as a reader sees it.
func TestJiraValues(t *testing.T) {
	issue := `{"key": "DEMO-1", "fields": {
		"summary": "=HYPERLINK(\"https://evil.example\", \"click\")",
		"status": {"name": "In Progress", "id": "3"},
		"project": {"key": "DEMO", "name": "Demo project", "avatarUrls": {}},
		"comment": {"comments": [{}, {}, {}], "total": 3},
		"worklog": {"worklogs": [], "total": 0},
		"timetracking": {"originalEstimate": "1d", "timeSpent": "2h", "originalEstimateSeconds": 28800},
		"issuelinks": [{"type": {"name": "Blocks", "inward": "is blocked by", "outward": "blocks"}, "outwardIssue": {"key": "DEMO-2"}},
			{"type": {"name": "Relates"}, "inwardIssue": {"key": "DEMO-3"}}],
		"customfield_1": [{"name": "Sprint 1", "id": 1}, {"name": "Sprint 2", "id": 2}],
		"customfield_3": {"value": "-3"},
		"customfield_5": -3,
		"customfield_6": {"value": "Europe", "child": {"value": "Nordics"}},
		"customfield_7": [` + person + `, {"accountId": "557058:abc", "active": true}, {"displayName": "Grace"}],
		"customfield_8": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
			{"type": "text", "text": "Run "}, {"type": "text", "text": "make", "marks": [{"type": "code"}]}, {"type": "text", "text": " first."}]},
			{"type": "bulletList", "content": [{"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "@here"}]}]}]}]},
		"customfield_9": "2026-02-28T06:46:04.408+0530",
		"customfield_10": [{"value": "@everyone"}, {"value": "+1"}],
		"customfield_11": {"votes": 2, "hasVoted": false, "self": "https://x"}
	}}`
	c := &render.Catalog{Manifest: exportformat.Summary{Manifest: exportformat.Manifest{Product: "jira"}}, Fields: craftedFields}
	it := &render.Item{Kind: exportformat.KindIssue, ID: "1", Key: "DEMO-1", Path: "issues/1/issue.json"}
	c.Items = []*render.Item{it}
	want := map[string]string{
		"key": "DEMO-1", "summary": `'=HYPERLINK("https://evil.example", "click")`, "status": "In Progress",
		"Project (project)": "Demo project", "Comment": "3", "Log Work": "0",
		"Time tracking": "1d estimated, 2h logged", "Linked Issues": "blocks DEMO-2; Relates DEMO-3",
		"sprint (customfield_1)": "Sprint 1; Sprint 2", "Sprint (customfield_2)": "",
		"Status (customfield_3)": "-3", "customfield_5": "-3", "Region": "Europe / Nordics",
		"On call": "Ada Example; Grace", "Notes": "Run make first. @here", "Last incident": "2026-02-28T06:46:04.408+05:30",
		"Flag": "'@everyone; +1", "Approved": "hasVoted: false, votes: 2", "assignee": "", "parent": "",
	}
	for _, raw := range []bool{false, true} {
		got := render1(t, c, Options{Raw: raw}, it, issue)
		for name, w := range want {
			if raw && strings.HasPrefix(w, "'") {
				w = w[1:]
			}
			if got[name] != w {
				t.Errorf("raw %v: %s = %q, want %q", raw, name, got[name], w)
			}
		}
	}
}

// render1 renders one issue and reads its row back.
func render1(t *testing.T, c *render.Catalog, opts Options, it *render.Item, doc string) map[string]string {
	t.Helper()
	var b bytes.Buffer
	v := New(&b, opts)
	if err := v.Begin(c); err != nil {
		t.Fatal(err)
	}
	if err := v.Item(it, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	if err := v.End(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("%v: %q", err, rows)
	}
	m := map[string]string{}
	for i, name := range rows[0] {
		m[name] = rows[1][i]
	}
	return m
}

// TestCatalogOrder writes the rows in the catalog's order, whatever the
// order the items come in, and one the catalog does not know last; the
// rows that wait do so in memory, or in a temporary file deleted at the
// end.
func TestCatalogOrder(t *testing.T) {
	c := &render.Catalog{Manifest: exportformat.Summary{Manifest: exportformat.Manifest{Product: "jira"}}}
	var items []*render.Item
	for _, key := range []string{"DEMO-1", "DEMO-2", "DEMO-10", "OPS-1", "OPS-3"} {
		items = append(items, &render.Item{Kind: exportformat.KindIssue, ID: key, Key: key})
	}
	c.Items = items
	stray := &render.Item{Kind: exportformat.KindIssue, ID: "X", Key: "ZZZ-9"}
	for _, inMemory := range []int{maxWaiting, 0} {
		var b bytes.Buffer
		v := New(&b, Options{Columns: []string{"key"}}).(*view)
		v.maxWaiting = inMemory
		if err := v.Begin(c); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{3, 1, 0, 4} { // DEMO-10 never comes
			if err := v.Item(items[i], []byte(`{"fields": {}}`)); err != nil {
				t.Fatal(err)
			}
			if i == 0 && !strings.HasSuffix(b.String(), "DEMO-1\r\nDEMO-2\r\n") {
				t.Errorf("DEMO-1 and DEMO-2 wait: %q", b.String())
			}
		}
		if err := v.Item(stray, []byte(`{"fields": {}}`)); err != nil {
			t.Fatal(err)
		}
		if inMemory == 0 && (v.held.file == nil || len(v.held.mem) > 0) {
			t.Error("the rows that wait are not in a file")
		}
		var spill string
		if v.held.file != nil {
			spill = v.held.file.Name()
		}
		if err := v.End(); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != "key\r\nDEMO-1\r\nDEMO-2\r\nOPS-1\r\nOPS-3\r\nZZZ-9\r\n" {
			t.Errorf("in memory up to %d bytes: file %q", inMemory, got)
		}
		if _, err := os.Stat(spill); spill != "" && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is left: %v", spill, err)
		}
	}
}

// TestDefuse puts an apostrophe before what a spreadsheet would run, and
// only there.
func TestDefuse(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+SUM(A1)": "'+SUM(A1)", "-2+3": "'-2+3", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\r=x": "'\r=x",
		"- draft": "'- draft", "-": "'-", "+": "'+", "-e5": "'-e5", "-1e": "'-1e",
		"-3": "-3", "+1.5": "+1.5", "-.5": "-.5", "-1.5E-3": "-1.5E-3", "=": "'=",
		"": "", "a=b": "a=b", " =x": " =x", "DEMO-1": "DEMO-1", "2026-02-28": "2026-02-28",
	} {
		if got := defuse(in); got != want {
			t.Errorf("defuse(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCellsReadBack writes cells with commas, quotes, line breaks and
// runes of every width that a CSV reader reads back as they were.
func TestCellsReadBack(t *testing.T) {
	c := &render.Catalog{Manifest: exportformat.Summary{Manifest: exportformat.Manifest{Product: "jira"}}}
	it := &render.Item{Kind: exportformat.KindIssue, ID: "1", Key: "DEMO-1"}
	c.Items = []*render.Item{it}
	summary := "Ünïcödé, \"quoted\"\nsecond line 日本語 📎"
	doc, _ := json.Marshal(map[string]any{"fields": map[string]any{"summary": summary}})
	if got := render1(t, c, Options{}, it, string(doc)); got["summary"] != summary {
		t.Errorf("summary %q, want %q", got["summary"], summary)
	}
}
