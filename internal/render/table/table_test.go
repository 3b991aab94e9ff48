package table_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/rendertest"
	"github.com/aumo-cli/aumo/internal/render/table"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// read renders the export at dir to CSV and reads it back.
func read(t *testing.T, dir string, opts table.Options) (*render.Catalog, []string, []map[string]string) {
	t.Helper()
	var b bytes.Buffer
	c := rendertest.Render(t, dir, table.New(&b, opts))
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		t.Error("lines are not ended by CRLF")
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the file is no CSV: %v", err)
	}
	if len(rows) == 0 {
		t.Fatal("no header")
	}
	header := rows[0]
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, name := range header {
			m[name] = r[i]
		}
		out = append(out, m)
	}
	return c, header, out
}

func names(cols []table.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

var jiraFixed = []string{"key", "summary", "type", "status", "priority", "resolution", "assignee", "reporter",
	"created", "updated", "resolved", "due", "labels", "components", "fix versions", "parent"}

// TestJira renders a Jira export with every column, and with some.
func TestJira(t *testing.T) {
	dir := rendertest.Jira(t, 40)
	t.Run("all", func(t *testing.T) { testJiraColumns(t, dir) })
	t.Run("picked", func(t *testing.T) { testPickColumns(t, dir) })
}

// TestConfluence renders a Confluence export, with and without a byte
// order mark.
func TestConfluence(t *testing.T) {
	dir := rendertest.Confluence(t, 40)
	t.Run("rows", func(t *testing.T) { testConfluenceRows(t, dir) })
	t.Run("bom", func(t *testing.T) { testBOM(t, dir) })
}

// testJiraColumns writes a row per issue in the catalog's order, the
// documented columns first, then a column for every field of
// fields.json, each cell what a reader sees: names, not ids, plain text,
// not ADF.
func testJiraColumns(t *testing.T, dir string) {
	c, header, rows := read(t, dir, table.Options{})
	if !slices.Equal(header[:len(jiraFixed)], jiraFixed) {
		t.Errorf("the header starts %q, want %q", header[:len(jiraFixed)], jiraFixed)
	}
	if cols := names(table.Columns(c)); !slices.Equal(cols, header) {
		t.Errorf("Columns lists %q, the header is %q", cols, header)
	}
	for _, f := range c.Fields {
		if !f.Custom {
			continue
		}
		if !slices.Contains(header, f.Name) && !slices.Contains(header, f.Name+" ("+f.ID+")") {
			t.Errorf("no column for the custom field %s %q", f.ID, f.Name)
		}
	}
	for _, name := range []string{"Description", "Environment", "Project", "Creator", "Affects versions", "Comment", "Log Work", "Attachment", "Linked Issues", "Sub-tasks", "Time tracking"} {
		if !slices.Contains(header, name) {
			t.Errorf("no column %q", name)
		}
	}
	if len(rows) != len(c.Items) || len(rows) != 40 {
		t.Fatalf("%d rows, %d issues", len(rows), len(c.Items))
	}
	seen := map[string]bool{}
	for i, it := range c.Items {
		row := rows[i]
		if row["key"] != it.Key || row["summary"] != it.Title || row["type"] != it.Type || row["status"] != it.Status ||
			row["priority"] != it.Priority || row["assignee"] != it.Assignee || row["reporter"] != it.Author ||
			row["labels"] != strings.Join(it.Labels, "; ") || row["Attachment"] != itoa(len(it.Files)) {
			t.Errorf("row %d:\n%v\nissue %+v", i, row, it)
		}
		if _, err := time.Parse(time.RFC3339, row["created"]); err != nil {
			t.Errorf("%s: created %q is not RFC 3339", it.Key, row["created"])
		}
		for name, cell := range row {
			if strings.Contains(cell, `"type"`) || strings.Contains(cell, `{"`) || strings.Contains(cell, "accountId") {
				t.Errorf("%s %s: %q", it.Key, name, cell)
			}
			if cell != "" {
				seen[name] = true
			}
			if strings.Contains(cell, "; ") {
				seen[name+";"] = true
			}
		}
		for _, user := range []string{"assignee", "reporter", "Creator", "Reviewer", "On call"} {
			if strings.Contains(row[user], "@") {
				t.Errorf("%s %s: %q is no name", it.Key, user, row[user])
			}
		}
	}
	// Every kind of value is met somewhere.
	for _, name := range []string{"resolution", "resolved", "due", "components;", "fix versions", "parent", "Description",
		"Environment", "Affected platforms;", "Region", "Reviewer", "On call", "Story point estimate", "Go-live date",
		"Last incident", "Release notes", "Severity", "Linked Issues", "Sub-tasks;", "Comment", "Time tracking", "labels;"} {
		if !seen[name] {
			t.Errorf("no row holds %q", name)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// testConfluenceRows writes a row per page and blog post, in the
// catalog's order, folders left out.
func testConfluenceRows(t *testing.T, dir string) {
	c, header, rows := read(t, dir, table.Options{})
	want := []string{"id", "title", "type", "space", "path", "author", "created", "updated", "version", "labels", "url", "attachments"}
	if !slices.Equal(header, want) || !slices.Equal(names(table.Columns(c)), want) {
		t.Errorf("header %q, columns %q; want %q", header, names(table.Columns(c)), want)
	}
	var items []*render.Item
	for _, it := range c.Items {
		if it.Kind != exportformat.KindFolder {
			items = append(items, it)
		}
	}
	if len(rows) != len(items) || len(rows) < 30 {
		t.Fatalf("%d rows, %d pages and blog posts", len(rows), len(items))
	}
	deep, blog, files := false, false, false
	for i, it := range items {
		row := rows[i]
		var up []string
		for _, a := range c.Ancestors(it) {
			up = append(up, a.Title)
		}
		if row["id"] != it.ID || row["title"] != it.Title || row["type"] != it.Kind || row["space"] != "DEMO" ||
			row["path"] != strings.Join(up, " / ") || row["author"] != it.Author || row["url"] != it.URL ||
			row["labels"] != strings.Join(it.Labels, "; ") || row["attachments"] != itoa(len(it.Files)) {
			t.Errorf("row %d:\n%v\nitem %+v", i, row, it)
		}
		deep = deep || len(up) > 1
		blog = blog || it.Kind == exportformat.KindBlogpost
		files = files || len(it.Files) > 0
	}
	if !deep || !blog || !files {
		t.Errorf("no page two levels down (%v), no blog post (%v) or no attachment (%v)", deep, blog, files)
	}
}

// testPickColumns writes the columns asked for, in their order, named
// without regard to case or by field id, and refuses unknown ones.
func testPickColumns(t *testing.T, dir string) {
	_, header, rows := read(t, dir, table.Options{Columns: []string{"Summary", " KEY", "customfield_10016", "fixversions", "on CALL"}})
	if want := []string{"summary", "key", "Story point estimate", "fix versions", "On call"}; !slices.Equal(header, want) {
		t.Errorf("header %q, want %q", header, want)
	}
	if len(rows) != 40 || !strings.HasPrefix(rows[0]["key"], "DEMO-") {
		t.Errorf("%d rows: %v", len(rows), rows[0])
	}

	e, c := rendertest.Open(t, dir)
	var b bytes.Buffer
	err := render.Render(context.Background(), e, c, table.New(&b, table.Options{Columns: []string{"key", "Nope", "neither"}}))
	var usage *render.UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), `"Nope"`) || !strings.Contains(err.Error(), `"neither"`) ||
		!strings.Contains(err.Error(), "--list-columns") {
		t.Errorf("unknown columns: %v, want a usage error naming them and --list-columns", err)
	}
	if b.Len() != 0 {
		t.Errorf("written before the error: %q", b.String())
	}
}

// testBOM starts the file with a byte order mark when asked, and only
// then.
func testBOM(t *testing.T, dir string) {
	for _, bom := range []bool{false, true} {
		var b bytes.Buffer
		rendertest.Render(t, dir, table.New(&b, table.Options{BOM: bom, Columns: []string{"id"}}))
		if got := bytes.HasPrefix(b.Bytes(), []byte("\xEF\xBB\xBFid\r\n")); got != bom {
			t.Errorf("BOM %v: the file starts %q", bom, b.Bytes()[:8])
		}
		if !bom && !bytes.HasPrefix(b.Bytes(), []byte("id\r\n")) {
			t.Errorf("the file starts %q", b.Bytes()[:8])
		}
	}
}
