package records_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/records"
	"github.com/aumo-cli/aumo/internal/render/rendertest"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

var exports = map[string]func(*testing.T, int) string{
	"jira":       func(t *testing.T, n int) string { return rendertest.Jira(t, n) },
	"confluence": func(t *testing.T, n int) string { return rendertest.Confluence(t, n) },
}

// lines renders the export at dir to JSON Lines and reads each line as
// an object, and as a Record.
func lines(t *testing.T, dir string, opts records.Options) (*render.Catalog, []map[string]any, []records.Record) {
	t.Helper()
	var b bytes.Buffer
	c := rendertest.Render(t, dir, records.New(&b, opts))
	var objs []map[string]any
	var recs []records.Record
	sc := bufio.NewScanner(&b)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("a line is no JSON object: %v\n%s", err, sc.Bytes())
		}
		var r records.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sc.Bytes(), []byte(`\u003c`)) || bytes.Contains(sc.Bytes(), []byte(`\u0026`)) {
			t.Errorf("HTML escaped: %s", sc.Bytes())
		}
		objs, recs = append(objs, m), append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return c, objs, recs
}

// TestRecords renders a Jira and a Confluence export, whole and in
// chunks.
func TestRecords(t *testing.T) {
	for product, export := range exports {
		t.Run(product, func(t *testing.T) {
			dir := export(t, 40)
			t.Run("whole", func(t *testing.T) { testWhole(t, product, dir) })
			t.Run("chunks", func(t *testing.T) { testChunks(t, dir) })
		})
	}
}

// testWhole writes one record per issue, page and blog post, with every
// field of the contract, its text the export's own Markdown less the
// front matter.
func testWhole(t *testing.T, product, dir string) {
	c, objs, recs := lines(t, dir, records.Options{})
	var want []string
	for _, it := range c.Items {
		if it.Kind != exportformat.KindFolder {
			want = append(want, it.ID)
		}
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.ID)
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(got) < 30 || !slices.Equal(got, want) {
		t.Fatalf("records of %v, want one for each of %v", got, want)
	}
	keys := []string{"id", "kind", "title", "url", "ancestors", "labels", "author", "created", "updated", "attachments", "text"}
	only, none := []string{"space"}, []string{"type", "key", "project"}
	if product == "jira" {
		only, none = none, only
	}
	sawLt, sawAttachment, sawDeep := false, false, false
	for i, m := range objs {
		r := recs[i]
		for _, k := range append(keys, only...) {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: no %q in %v", r.ID, k, m)
			}
		}
		for _, k := range append(none, "chunk", "chunks", "headings") {
			if _, ok := m[k]; ok {
				t.Errorf("%s: %q in a %s record", r.ID, k, r.Kind)
			}
		}
		it, _ := c.Item(r.ID)
		checkFields(t, c, it, r)
		md, err := os.ReadFile(filepath.Join(dir, exportformat.MarkdownPath(it.Kind, it.ID)))
		if err != nil {
			t.Fatal(err)
		}
		front, ok := strings.CutSuffix(string(md), r.Text)
		if !ok || !strings.HasPrefix(front, "---\n") || !strings.HasSuffix(front, "---\n\n") || strings.Count(front, "\n---\n") != 1 {
			t.Errorf("%s: the text is not the Markdown less its front matter:\n%q", r.ID, r.Text)
		}
		if !strings.HasPrefix(r.Text, "# ") {
			t.Errorf("%s: the text starts %q", r.ID, r.Text[:min(20, len(r.Text))])
		}
		for _, a := range r.Attachments {
			if _, err := os.Stat(filepath.Join(dir, a.Path)); err != nil || a.Name == "" {
				t.Errorf("%s: attachment %+v: %v", r.ID, a, err)
			}
			sawAttachment = true
		}
		sawLt = sawLt || strings.Contains(r.Text, "<")
		sawDeep = sawDeep || len(r.Ancestors) > 1
	}
	if !sawLt || !sawAttachment || product == "confluence" && !sawDeep {
		t.Errorf("the export had no text with <, no attachment or no page two levels down: %v %v %v", sawLt, sawAttachment, sawDeep)
	}
}

// checkFields compares a record's fields with the catalog's item.
func checkFields(t *testing.T, c *render.Catalog, it *render.Item, r records.Record) {
	t.Helper()
	if it == nil {
		t.Fatalf("%s: no such item", r.ID)
	}
	if r.Kind != it.Kind || r.Title != it.Title || r.URL != it.URL || !strings.HasPrefix(r.URL, "https://") ||
		r.Author != it.Author || !slices.Equal(r.Labels, it.Labels) && len(it.Labels) > 0 || len(r.Attachments) != len(it.Files) {
		t.Errorf("%s: record %+v\nitem %+v", r.ID, r, it)
	}
	for _, ts := range []string{r.Created, r.Updated} {
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Errorf("%s: time %q is not RFC 3339", r.ID, ts)
		}
	}
	if it.Kind == exportformat.KindIssue {
		if r.Key == nil || *r.Key != it.Key || *r.Type != it.Type || *r.Type == "" || *r.Project != "DEMO" || len(r.Ancestors) != 0 {
			t.Errorf("%s: key %v, type %v, project %v, ancestors %v", r.ID, r.Key, r.Type, r.Project, r.Ancestors)
		}
		return
	}
	var up []string
	for _, a := range c.Ancestors(it) {
		up = append(up, a.Title)
	}
	if r.Space == nil || *r.Space != "DEMO" || !slices.Equal(r.Ancestors, up) && len(up) > 0 {
		t.Errorf("%s: space %v, ancestors %q, want %q", r.ID, r.Space, r.Ancestors, up)
	}
}

// testChunks cuts every item's text into chunks of at most 500
// characters that give back the text, with the item's fields, their
// places and their headings.
func testChunks(t *testing.T, dir string) {
	_, _, whole := lines(t, dir, records.Options{})
	c, objs, recs := lines(t, dir, records.Options{Chunk: 500})
	texts := map[string]string{}
	for _, r := range whole {
		texts[r.ID] = r.Text
	}
	byItem := map[string][]records.Record{}
	var order []string
	for i, r := range recs {
		for _, k := range []string{"chunk", "chunks", "headings", "text", "id", "attachments"} {
			if _, ok := objs[i][k]; !ok {
				t.Errorf("%s: no %q", r.ID, k)
			}
		}
		if n := utf8.RuneCountInString(r.Text); n > 500 || n == 0 {
			t.Errorf("%s chunk %d: %d characters", r.ID, r.Chunk, n)
		}
		if len(byItem[r.ID]) == 0 {
			order = append(order, r.ID)
		}
		byItem[r.ID] = append(byItem[r.ID], r)
	}
	if len(byItem) != len(whole) || len(recs) <= 2*len(whole) {
		t.Fatalf("%d records of %d items, %d items in all", len(recs), len(byItem), len(whole))
	}
	nested := false
	for _, id := range order {
		rs := byItem[id]
		it, _ := c.Item(id)
		pos, text := 0, texts[id]
		for i, r := range rs {
			if r.Part == nil || r.Chunk != i || r.Chunks != len(rs) || r.Headings == nil {
				t.Fatalf("%s: chunk %d of %d is %+v", id, i, len(rs), r.Part)
			}
			checkFields(t, c, it, r)
			for pos < len(text) && unicode.IsSpace(rune(text[pos])) {
				pos++
			}
			if !strings.HasPrefix(text[pos:], r.Text) {
				t.Fatalf("%s: chunk %d is not the text that follows chunk %d:\n%q\nwant the start of\n%q", id, i, i-1, r.Text, text[pos:])
			}
			pos += len(r.Text)
			checkHeadings(t, r)
			nested = nested || len(r.Headings) > 1 && strings.HasPrefix(r.Headings[len(r.Headings)-2], "Comments")
		}
		if strings.TrimSpace(text[pos:]) != "" {
			t.Errorf("%s: the chunks leave out %q", id, text[pos:])
		}
	}
	if !nested {
		t.Error("no chunk of a comment under its Comments heading")
	}
}

// checkHeadings finds a chunk that starts with a heading under that
// heading.
func checkHeadings(t *testing.T, r records.Record) {
	t.Helper()
	first, _, _ := strings.Cut(r.Text, "\n")
	level := len(first) - len(strings.TrimLeft(first, "#"))
	if r.Chunk == 0 || level == 0 || !strings.HasPrefix(first[level:], " ") {
		return
	}
	if len(r.Headings) == 0 {
		t.Errorf("%s chunk %d starts with %q and has no headings", r.ID, r.Chunk, first)
		return
	}
	// The heading is the last of them, or one above it that joined it.
	title := strings.ReplaceAll(strings.TrimSpace(first[level:]), `\`, "")
	for _, h := range r.Headings {
		if strings.ReplaceAll(h, `\`, "") == title {
			return
		}
	}
	t.Errorf("%s chunk %d starts with %q, its headings are %q", r.ID, r.Chunk, first, r.Headings)
}

// TestChunkNegative refuses a negative chunk size as bad input.
func TestChunkNegative(t *testing.T) {
	var usage *render.UsageError
	err := records.New(&bytes.Buffer{}, records.Options{Chunk: -1}).Begin(&render.Catalog{})
	if !errors.As(err, &usage) {
		t.Errorf("chunk -1: %v, want a usage error", err)
	}
}
