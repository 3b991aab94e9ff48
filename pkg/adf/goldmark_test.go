package adf_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// TestGoldmarkRendersTheGoldens renders a few golden files with a
// CommonMark + GFM renderer and checks that readers get the structures
// the converter meant: tables, fenced code with its language, images,
// task boxes.
func TestGoldmarkRendersTheGoldens(t *testing.T) {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	for golden, want := range map[string][]string{
		"table":       {"<table>", "<th>Name</th>", "<td>pipe | inside</td>", "<td><code>code</code></td>"},
		"codeBlock":   {`<pre><code class="language-go">func main() {`, "fmt.Println(&quot;```&quot;)", "<pre><code>no language *here*"},
		"mediaSingle": {`<img src="attachments/10001-diagram.png" alt="diagram.png">`, `<img src="https://example.com/logo.svg" alt="Logo">`},
		"taskList":    {`<input checked="" disabled="" type="checkbox"> write the exporter`, `<input disabled="" type="checkbox"> nested task`},
	} {
		src, err := os.ReadFile(filepath.Join(goldenDir, golden+".md"))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := md.Convert(src, &buf); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s: the HTML lacks %q:\n%s", golden, w, buf.String())
			}
		}
	}
}

// renderHTML renders Markdown as a GFM reader sees it, raw HTML (the <br>
// of table cells) included.
func renderHTML(t *testing.T, src []byte) string {
	t.Helper()
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	var buf bytes.Buffer
	if err := md.Convert(src, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// cellCodeHTML is how a code block flattened into a table cell must render:
// each line a code span holding exactly that line, an empty line an empty
// stretch between two breaks.
func cellCodeHTML(code string) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "<code>" + esc.Replace(l) + "</code>"
		}
	}
	return strings.Join(lines, "<br>")
}

// TestGoldmarkCodeInCell checks that a code block in a table cell keeps
// every character: spaces at both ends of a line, empty lines, backticks,
// pipes, backslashes and HTML.
func TestGoldmarkCodeInCell(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "code-in-cell.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Content []struct {
			Content []struct {
				Content []struct {
					Content []struct {
						Type    string
						Content []struct{ Text string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	code := doc.Content[0].Content[1].Content[1].Content[0]
	if code.Type != "codeBlock" {
		t.Fatalf("the second row's second cell holds a %s, not a codeBlock", code.Type)
	}
	src, err := os.ReadFile(filepath.Join(goldenDir, "code-in-cell.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := renderHTML(t, src)
	if want := "<td>" + cellCodeHTML(code.Content[0].Text) + "</td>"; !strings.Contains(out, want) {
		t.Errorf("the HTML lacks the cell\n%s\n--- html ---\n%s", want, out)
	}
}

// escapeHTML escapes text the way goldmark writes it.
var escapeHTML = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace

// TestGoldmarkHeadingsLiteral checks that heading text full of HTML and
// Markdown syntax renders as that very text, in a heading and in a table
// cell, and that no tag of it reaches the HTML.
func TestGoldmarkHeadingsLiteral(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(goldenDir, "heading-html.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := renderHTML(t, src)
	for _, want := range []string{
		"<h3>&lt;b&gt;x&lt;/b&gt;</h3>",
		"<h1>" + escapeHTML("Quarterly roadmap <b>not</b> rendered & escaped") + "</h1>",
		"<h2>" + escapeHTML("Runbook: Tundra report & <Revised> checks") + "</h2>",
		"<h4>" + escapeHTML("<!-- not a comment --> &amp; &#35; <https://example.com/x> *not em* `not code` ~~not struck~~ [not](link) C#") + "</h4>",
		"<h5>Ends with hashes ##</h5>",
		"<h6>" + escapeHTML(`Pipe | in a heading \ with a backslash`) + "</h6>",
		"<th><strong>" + escapeHTML("Quarterly roadmap <b>not</b> rendered & escaped") + "</strong></th>",
		"<td><strong>&lt;b&gt;x&lt;/b&gt;</strong></td>",
		"<td><strong>" + escapeHTML(`Pipe | in a heading \ with a backslash`) + "</strong></td>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the HTML lacks %s\n--- html ---\n%s", want, out)
		}
	}
	for _, tag := range []string{"<b>", "<Revised>", "<!--", "<em>", "<code>", "<del>"} {
		if strings.Contains(out, tag) {
			t.Errorf("the HTML has %s\n--- html ---\n%s", tag, out)
		}
	}
}

// sourceImages counts, generously, the images an ADF document holds: every
// media node (whatever its file) and any node whose type names an image.
func sourceImages(v any) int {
	n := 0
	switch v := v.(type) {
	case []any:
		for _, k := range v {
			n += sourceImages(k)
		}
	case map[string]any:
		typ, _ := v["type"].(string)
		if typ == "media" || typ == "mediaInline" || strings.Contains(strings.ToLower(typ), "image") {
			n++
		}
		for _, k := range v {
			n += sourceImages(k)
		}
	}
	return n
}

// TestGoldmarkNoImagesFromNowhere renders every golden document and checks
// that the HTML holds no more images than the source: text such as "!"
// right before a link must not turn the link into an image.
func TestGoldmarkNoImagesFromNowhere(t *testing.T) {
	for _, in := range goldenInputs(t) {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile(strings.TrimSuffix(in, ".json") + ".md")
			if err != nil {
				t.Fatal(err)
			}
			out := renderHTML(t, src)
			if got, limit := strings.Count(out, "<img"), sourceImages(doc); got > limit {
				t.Errorf("%d images in the HTML, the source holds at most %d\n--- html ---\n%s", got, limit, out)
			}
		})
	}
}

// TestGoldmarkEmptyRows checks that an empty table row stays an empty row:
// no delimiter row repeated as text, and the header where it was.
func TestGoldmarkEmptyRows(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(goldenDir, "empty-row.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := renderHTML(t, src)
	for _, want := range []string{"<th>Name</th>", "<td>Ada</td>", "<td>first</td>", "<th>Region</th>", "<td>North</td>", "<td>South</td>", "<p>The end.</p>"} {
		if !strings.Contains(out, want) {
			t.Errorf("the HTML lacks %s\n--- html ---\n%s", want, out)
		}
	}
	if strings.Contains(out, "---") {
		t.Errorf("a delimiter row became table content\n--- html ---\n%s", out)
	}
	if n := strings.Count(out, "<table>"); n != 3 {
		t.Errorf("%d tables, want 3\n--- html ---\n%s", n, out)
	}
}
