package mdtext

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"go.yaml.in/yaml/v3"
)

var tags = regexp.MustCompile(`<[^>]*>`)

// render turns Markdown into the text a reader sees.
func render(t *testing.T, md string) (htmlOut, text string) {
	t.Helper()
	var buf bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String(), strings.TrimSpace(html.UnescapeString(tags.ReplaceAllString(buf.String(), "")))
}

// TestPlainReadsAsItself puts titles full of Markdown and HTML syntax in a
// heading, a table cell and a link's text and checks that the rendered
// page shows exactly the title, and nothing but text.
func TestPlainReadsAsItself(t *testing.T) {
	for _, title := range []string{
		"Juniper: Quarterly roadmap <b>not</b> rendered & escaped",
		"Runbook: Tundra report & <Revised> checks",
		"see![User manual](https://example.com/x.pdf) *now* _then_ `code`",
		"# not a heading ##",
		"1. not a list | a | pipe",
		"- dash",
		"&amp; stays &amp; &#123;",
		`back\slash \* star`,
		"C# and F#",
		"=====",
		"> quoted",
		"~~strike~~ [link][ref] <https://example.com>",
	} {
		p := Plain(title)
		for _, md := range []string{
			Heading(1, p),
			"| Field | Value |\n| --- | --- |\n| x | " + p + " |",
			"[" + p + "](https://example.com)",
		} {
			out, text := render(t, md)
			if !strings.HasSuffix(text, title) {
				t.Errorf("%q renders as %q:\n%s", title, text, out)
			}
			for _, tag := range []string{"<img", "<b>", "<em>", "<strong>", "<code>", "<del>", "<ol", "<ul", "<blockquote"} {
				if strings.Contains(out, tag) {
					t.Errorf("%q gains %s:\n%s", title, tag, out)
				}
			}
		}
	}
}

// TestFrontMatterReadsBack parses front matter back with a YAML library:
// every value comes back as the very string given, and what a person
// reads has no JSON escapes.
func TestFrontMatterReadsBack(t *testing.T) {
	fields := []Field{
		{Key: "title", Value: "Runbook: Tundra report & <Revised>"},
		{Key: "number", Value: "123"},
		{Key: "bool", Value: "yes"},
		{Key: "nullword", Value: "null"},
		{Key: "date", Value: "2024-05-01"},
		{Key: "time", Value: "2024-05-01T10:00:00.000+0000"},
		{Key: "space", Value: "~redacted"},
		{Key: "dash", Value: "- x"},
		{Key: "quotes", Value: `Siobhán "q" 'x' #1`},
		{Key: "lines", Value: "a\nb"},
		{Key: "empty", Value: ""},
		{Key: "labels", Values: []string{"a b", "1", "x,y", "[z]"}},
	}
	fm := FrontMatter(fields)
	if !strings.HasPrefix(fm, "---\n") || !strings.HasSuffix(fm, "\n---\n") {
		t.Fatalf("not a front matter block:\n%s", fm)
	}
	if strings.Contains(fm, `\u`) || !strings.Contains(fm, "& <Revised>") || !strings.Contains(fm, "Siobhán") {
		t.Errorf("front matter a person cannot read:\n%s", fm)
	}
	var back map[string]any
	if err := yaml.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(fm, "---\n"), "---\n")), &back); err != nil {
		t.Fatalf("%v:\n%s", err, fm)
	}
	for _, f := range fields {
		got, ok := back[f.Key]
		switch {
		case f.Value == "" && f.Values == nil:
			if ok {
				t.Errorf("%s: an empty value is written: %v", f.Key, got)
			}
		case f.Values != nil:
			list, _ := got.([]any)
			if len(list) != len(f.Values) {
				t.Fatalf("%s: %v, want %q", f.Key, got, f.Values)
			}
			for i, v := range list {
				if v != f.Values[i] {
					t.Errorf("%s[%d]: %#v, want %q", f.Key, i, v, f.Values[i])
				}
			}
		case got != f.Value:
			t.Errorf("%s: %#v, want %q\n%s", f.Key, got, f.Value, fm)
		}
	}
}

// TestNoteStaysAComment: whatever a problem says, its note is one HTML
// comment that ends where it should, and shows nothing.
func TestNoteStaysAComment(t *testing.T) {
	for _, problem := range []string{"plain", "a --> b", "x---y", "----", "odd-\n->node --->", "<!-- nested -->"} {
		n := Note(problem)
		if strings.Count(n, "--") != 2 || !strings.HasPrefix(n, "<!-- aumo: ") || !strings.HasSuffix(n, " -->") || strings.Contains(n, "\n") {
			t.Errorf("Note(%q) = %q", problem, n)
		}
		if out, text := render(t, n+"\n\nafter"); text != "after" {
			t.Errorf("Note(%q) shows %q:\n%s", problem, text, out)
		}
	}
}
