package table

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/pkg/adf"
)

// sep joins the values of a multi-valued field.
const sep = "; "

// jiraFixed are the columns every Jira file starts with, and the fields
// they hold.
var jiraFixed = []struct {
	name, field, typ, items, desc string
}{
	{"key", "issuekey", "", "", "the issue's key (DEMO-12)"},
	{"summary", "summary", "string", "", "the issue's summary"},
	{"type", "issuetype", "issuetype", "", "the issue type's name"},
	{"status", "status", "status", "", "the status's name"},
	{"priority", "priority", "priority", "", "the priority's name"},
	{"resolution", "resolution", "resolution", "", "the resolution's name; empty while unresolved"},
	{"assignee", "assignee", "user", "", "the assignee's name"},
	{"reporter", "reporter", "user", "", "the reporter's name"},
	{"created", "created", "datetime", "", "when the issue was created (RFC 3339)"},
	{"updated", "updated", "datetime", "", "when the issue was last updated (RFC 3339)"},
	{"resolved", "resolutiondate", "datetime", "", "when the issue was resolved (RFC 3339)"},
	{"due", "duedate", "date", "", "the due date (YYYY-MM-DD)"},
	{"labels", "labels", "array", "string", `the labels, joined by "; "`},
	{"components", "components", "array", "component", `the components' names, joined by "; "`},
	{"fix versions", "fixVersions", "array", "version", `the fix versions' names, joined by "; "`},
	{"parent", "parent", "issuelink", "", "the parent issue's key"},
}

// notValues are system fields that hold no value of the issue.
var notValues = map[string]bool{"thumbnail": true, "issuerestriction": true, "lastViewed": true}

// jiraColumns are the fixed columns, then a column for every other field
// of fields.json.
func jiraColumns(fields []jira.Field) []column {
	cols := make([]column, 0, len(jiraFixed)+len(fields))
	taken := map[string]bool{}
	for _, f := range jiraFixed {
		schema := jira.FieldSchema{Type: f.typ, Items: f.items}
		id := f.field
		cell := func(r *row) string { return value(schema, r.doc[id]) }
		if id == "issuekey" {
			cell = func(r *row) string { return r.it.Key }
		}
		cols = append(cols, column{Column: Column{Name: f.name, Field: f.field, Description: f.desc}, cell: cell})
		taken[f.field] = true
	}
	var system, custom []jira.Field
	for _, f := range fields {
		switch {
		case f.ID == "" || taken[f.ID] || notValues[f.ID]:
			continue
		case f.Custom || strings.HasPrefix(f.ID, "customfield_"):
			custom = append(custom, f)
		default:
			system = append(system, f)
		}
		taken[f.ID] = true
	}
	slices.SortStableFunc(custom, func(a, b jira.Field) int {
		if c := strings.Compare(strings.ToLower(displayName(a)), strings.ToLower(displayName(b))); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	rest := append(system, custom...)
	names := nameFields(cols, rest)
	for i, f := range rest {
		cols = append(cols, fieldColumn(f, names[i]))
	}
	return cols
}

func displayName(f jira.Field) string {
	if n := strings.TrimSpace(f.Name); n != "" {
		return n
	}
	return f.ID
}

// nameFields names the columns of fields: by display name, followed by
// the field's id when another field or a fixed column has the name too.
func nameFields(fixed []column, fields []jira.Field) []string {
	count := map[string]int{}
	for _, c := range fixed {
		count[strings.ToLower(c.Name)]++
	}
	for _, f := range fields {
		count[strings.ToLower(displayName(f))]++
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = displayName(f)
		if count[strings.ToLower(names[i])] > 1 && names[i] != f.ID {
			names[i] += " (" + f.ID + ")"
		}
	}
	return names
}

// fieldColumn is the column of a field of fields.json.
func fieldColumn(f jira.Field, name string) column {
	id, schema := f.ID, f.Schema
	cell := func(r *row) string { return value(schema, r.doc[id]) }
	switch {
	case schema.System == "comment" || schema.Type == "comments-page":
		cell = func(r *row) string { return count(r.doc[id], "comments") }
	case schema.System == "worklog" || schema.Items == "worklog":
		cell = func(r *row) string { return count(r.doc[id], "worklogs") }
	case schema.System == "attachment" || schema.Items == "attachment":
		cell = func(r *row) string { return count(r.doc[id], "") }
	case schema.Type == "timetracking":
		cell = func(r *row) string { return timeTracking(r.doc[id]) }
	}
	kind := "system"
	if f.Custom || strings.HasPrefix(id, "customfield_") {
		kind = "custom"
	}
	return column{Column: Column{Name: name, Field: id, Description: fmt.Sprintf("%s field %s: %s", kind, id, describe(schema))}, cell: cell}
}

// describe says what a field's cells hold.
func describe(s jira.FieldSchema) string {
	switch {
	case s.System == "comment" || s.Type == "comments-page":
		return "the number of comments"
	case s.System == "worklog" || s.Items == "worklog":
		return "the number of worklogs"
	case s.System == "attachment" || s.Items == "attachment":
		return "the number of attachments"
	case s.Type == "timetracking":
		return "the time estimated, logged and remaining"
	case s.System == "issuelinks":
		return `the issue's links in their type's words ("blocks DEMO-2"), joined by "; "`
	case s.System == "subtasks":
		return `the sub-tasks' keys, joined by "; "`
	case s.Type == "array":
		return describeMany(s.Items) + `, joined by "; "`
	}
	return describeOne(s.Type)
}

func describeOne(typ string) string {
	switch typ {
	case "user":
		return "a person's name"
	case "option", "option-with-child":
		return "an option's value"
	case "datetime":
		return "a date and time (RFC 3339)"
	case "date":
		return "a date (YYYY-MM-DD)"
	case "number":
		return "a number"
	case "string":
		return "text"
	case "issuelink":
		return "an issue's key"
	case "":
		return "a value"
	}
	return "a " + typ + "'s name"
}

func describeMany(typ string) string {
	switch typ {
	case "user":
		return "people's names"
	case "option":
		return "options' values"
	case "string", "":
		return "values"
	case "issuelinks":
		return "issues' keys"
	}
	return typ + "s' names"
}

// count is how many entries a list holds: the field's value itself, or
// its member name (a comment or worklog container); "" without a value.
func count(v any, name string) string {
	if m, ok := v.(map[string]any); ok && name != "" {
		v = m[name]
	}
	list, ok := v.([]any)
	if !ok {
		return ""
	}
	return strconv.Itoa(len(list))
}

// timeTracking sums up the estimates and the time logged, in Jira's
// words: "16h estimated, 2h logged, 14h remaining".
func timeTracking(v any) string {
	m, _ := v.(map[string]any)
	var parts []string
	for _, p := range [][2]string{{"originalEstimate", "estimated"}, {"timeSpent", "logged"}, {"remainingEstimate", "remaining"}} {
		if s, _ := m[p[0]].(string); s != "" {
			parts = append(parts, s+" "+p[1])
		}
	}
	return strings.Join(parts, ", ")
}

// value is a field's value as one cell: what a reader of Jira sees.
func value(schema jira.FieldSchema, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if schema.Type == "datetime" {
			return isoTime(x)
		}
		return strings.ReplaceAll(x, "\r\n", "\n")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		item := jira.FieldSchema{Type: schema.Items}
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := value(item, e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, sep)
	case map[string]any:
		return object(schema, x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// object names an object by what people read of it.
func object(schema jira.FieldSchema, m map[string]any) string {
	if m["type"] == "doc" {
		return plainText(m)
	}
	if isPerson(schema, m) {
		s, _ := m["displayName"].(string)
		return s
	}
	if s := link(m); s != "" {
		return s
	}
	if s, _ := m["value"].(string); s != "" {
		// An option; a cascading select's child follows its parent.
		if child, ok := m["child"].(map[string]any); ok {
			if c, _ := child["value"].(string); c != "" {
				return s + " / " + c
			}
		}
		return s
	}
	for _, k := range []string{"name", "title", "key"} {
		if s, _ := m[k].(string); s != "" {
			return s
		}
	}
	keys := make([]string, 0, len(m))
	for k, x := range m {
		if x != nil && !slices.Contains([]string{"self", "id", "avatarUrls", "iconUrl"}, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if s := value(jira.FieldSchema{}, m[k]); s != "" {
			parts = append(parts, k+": "+s)
		}
	}
	return strings.Join(parts, ", ")
}

// plainText is the text a reader sees of an ADF document, on one line:
// line breaks and runs of spaces inside its text are written as one
// space.
func plainText(doc any) string {
	return strings.Join(strings.Fields(adf.PlainText(doc)), " ")
}

// isPerson tells a user: by the field's type, or by what only users
// have. A person is named, never shown by account id or email.
func isPerson(schema jira.FieldSchema, m map[string]any) bool {
	if schema.Type == "user" {
		return true
	}
	for _, k := range []string{"displayName", "accountId", "accountType", "emailAddress"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// link is an issue link in its type's words, "blocks DEMO-12"; "" for
// anything else.
func link(m map[string]any) string {
	typ, _ := m["type"].(map[string]any)
	if typ == nil {
		return ""
	}
	verb, other := "outward", m["outwardIssue"]
	if in, ok := m["inwardIssue"].(map[string]any); ok {
		verb, other = "inward", in
	}
	is, _ := other.(map[string]any)
	key, _ := is["key"].(string)
	if key == "" {
		return ""
	}
	w, _ := typ[verb].(string)
	if w == "" {
		w, _ = typ["name"].(string)
	}
	return strings.TrimSpace(w + " " + key)
}

// jiraTime is how Jira writes a time.
const jiraTime = "2006-01-02T15:04:05.000-0700"

// isoTime writes a time of Jira's in RFC 3339, with its offset and
// milliseconds; anything else as it is.
func isoTime(s string) string {
	t, err := time.Parse(jiraTime, s)
	if err != nil {
		return s
	}
	return t.Format("2006-01-02T15:04:05.000Z07:00")
}
