package jira

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aumo-cli/aumo/internal/mdtext"
	"github.com/aumo-cli/aumo/pkg/adf"
)

// Field is one field of fields.json: its id, display name and type.
type Field struct {
	ID     string      `json:"id"`
	Name   string      `json:"name"`
	Custom bool        `json:"custom"`
	Schema FieldSchema `json:"schema"`
}

// FieldSchema is a field's type: "option", "array" of "user", …; Custom
// names the plugin of a custom field's type.
type FieldSchema struct {
	Type   string `json:"type"`
	Items  string `json:"items"`
	System string `json:"system"`
	Custom string `json:"custom"`
}

// ParseFields reads fields.json as Jira's /field returns it.
func ParseFields(b []byte) ([]Field, error) {
	var fields []Field
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("read the field list: %w", err)
	}
	return fields, nil
}

// customValue is one custom field of the issue, as rendered.
type customValue struct {
	name, id string
	md       string
	rich     bool // a document of its own, not a table cell
}

// customFields are the custom fields that hold a value, by display name:
// short ones in a table, rich text each under its own heading.
func (v *view) customFields() string {
	byID := map[string]Field{}
	for _, f := range v.r.Fields {
		byID[f.ID] = f
	}
	var values []customValue
	for id, val := range v.fields {
		if !strings.HasPrefix(id, "customfield_") {
			continue
		}
		f, ok := byID[id]
		if !ok {
			f = Field{ID: id, Name: id}
		}
		if cv := v.customValue(f, val); cv.md != "" {
			values = append(values, cv)
		}
	}
	if len(values) == 0 {
		return ""
	}
	sort.Slice(values, func(i, j int) bool {
		if values[i].name != values[j].name {
			return values[i].name < values[j].name
		}
		return values[i].id < values[j].id
	})
	var rows [][]string
	var docs []string
	for _, cv := range values {
		if cv.rich {
			docs = append(docs, mdtext.Heading(3, mdtext.Plain(cv.name))+"\n\n"+cv.md+"\n")
			continue
		}
		rows = append(rows, []string{mdtext.Plain(cv.name), cv.md})
	}
	out := mdtext.Heading(2, "Custom fields") + "\n"
	if len(rows) > 0 {
		out += "\n" + table([]string{"Field", "Value"}, rows)
	}
	for _, d := range docs {
		out += "\n" + d
	}
	return out
}

// customValue renders val as the field's type says.
func (v *view) customValue(f Field, val any) customValue {
	name := f.Name
	if name == "" {
		name = f.ID
	}
	cv := customValue{name: name, id: f.ID}
	if isDoc(val) {
		cv.md, cv.rich = v.adf(val), true
		return cv
	}
	if s, ok := val.(string); ok && strings.Contains(strings.TrimSpace(s), "\n") {
		cv.md, cv.rich = v.adf(s), true
		return cv
	}
	cv.md = mdtext.Plain(v.readable(f.Schema, val))
	return cv
}

// isDoc tells an ADF document: a rich-text (textarea) custom field.
func isDoc(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m["type"] == "doc"
}

// readable is a value as one line of text: an option's value (and its
// child's), a person's name, a number, a date, a list of them; anything
// else as its fields.
func (v *view) readable(schema FieldSchema, val any) string {
	switch x := val.(type) {
	case nil:
		return ""
	case string:
		if schema.Type == "datetime" {
			return shortTime(x)
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case []any:
		parts := make([]string, 0, len(x))
		item := FieldSchema{Type: schema.Items}
		for _, e := range x {
			if s := v.readable(item, e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		return v.readableObject(x)
	}
	b, _ := json.Marshal(val)
	return string(b)
}

// readableObject names an object by what people read of it.
func (v *view) readableObject(m map[string]any) string {
	if isDoc(m) {
		// Read as text: the caller escapes it (Markdown would be escaped
		// twice).
		return adf.PlainText(m)
	}
	if s := str(m["value"]); s != "" {
		// An option; a cascading select's child follows its parent.
		if child, ok := m["child"].(map[string]any); ok && str(child["value"]) != "" {
			return s + " / " + str(child["value"])
		}
		return s
	}
	for _, k := range []string{"displayName", "name", "title", "key"} {
		if s := str(m[k]); s != "" {
			return s
		}
	}
	keys := make([]string, 0, len(m))
	for k, x := range m {
		if k == "self" || k == "id" || k == "avatarUrls" || k == "iconUrl" || x == nil {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if s := v.readable(FieldSchema{}, m[k]); s != "" {
			parts = append(parts, k+": "+s)
		}
	}
	return strings.Join(parts, "; ")
}
