package storage_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// TestGoldmark renders golden Markdown with a CommonMark + GFM renderer and
// checks that the structures the converter meant to produce are the ones a
// reader gets: tables, fenced code with its language, images, task boxes,
// and no accidental block syntax from escaped text.
func TestGoldmark(t *testing.T) {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithRendererOptions(html.WithUnsafe()),
	)
	cases := []struct {
		golden string
		want   []string
		absent []string
	}{
		{"table", []string{"<table>", "<th>Name</th>", "<td>pipe | inside</td>", "<td>line one<br>line two</td>", "<code>y := x | 2</code>"}, nil},
		{"table-spans", []string{"<table>", "<th>Region</th>", "<td>North</td>", "<em>Quarterly figures</em>"}, nil},
		{"macro-code", []string{`<pre><code class="language-go">`, `<pre><code class="language-bash">make test`, "```fenced```", "<strong>main.go</strong>"}, nil},
		{"macro-info", []string{"<blockquote>", "<strong>Info:</strong> Before you start", "<li>Create it in your profile</li>"}, nil},
		{"images", []string{`<img src="attachments/diagram.png" alt="Architecture diagram">`, `<img src="attachments/screen%20shot.jpg" alt="Screenshot">`, `<img src="https://example.com/logo.svg" alt="">`}, nil},
		{"tasklist", []string{`<input checked="" disabled="" type="checkbox"> Write the exporter`, `<input disabled="" type="checkbox"> Review it`}, nil},
		{"inline-marks", []string{"<del>struck</del>", "<strong>Bold with <em>italic</em> inside</strong>", "<em>italic with <strong>bold</strong></em>", "<code>a `tick` inside</code>"}, nil},
		{"escaping", []string{"<p>Literal *stars*, _underscores_, snake_case_name, `ticks`, [brackets](x), &lt;tag&gt;, ~tilde~, back\\slash, &amp;amp; R&amp;D, a|b</p>", "<p># not a heading</p>"},
			[]string{"<h1>", "<h2>", "<ul>", "<ol>", "<blockquote>", "<hr>", "<table>", "<em>", "<del>", "<code>"}},
		{"markdown-macro", []string{"<h2>Release checklist</h2>", "<strong>full</strong>", "<li>on <em>Linux</em></li>", "<th>Step</th>", `<pre><code class="language-bash">make release | tee release.log`,
			`<a href="https://example.com/runbook">the runbook</a>`, "<p>After the unclosed fence: still a paragraph.</p>", "<p>After the open comment: still a paragraph.</p>",
			"<td><strong>Owner:</strong> Ops<br>- build | package<br>- publish</td>", "<p>The end.</p>",
			"&lt;span style=&quot;color:red&quot;&gt;red&lt;/span&gt;", "a line<br>break", "&lt;script&gt;alert(&quot;no&quot;)&lt;/script&gt;",
			"<td>one<br/>two</td>", "<td>&lt;b&gt;bold?&lt;/b&gt;</td>", "<p>After the HTML: still a paragraph.</p>",
			"<pre><code>indented code, not part of the list above\n</code></pre>", "<ul>\n<li>a list of its own</li>\n</ul>", "<ul>\n<li>A list right after Markdown</li>\n</ul>",
			"&lt;table&gt;\n&lt;tr&gt;\n&lt;td&gt;cell *one* &amp;amp; 2_x_&lt;/td&gt;\n&lt;/tr&gt;\n&lt;/table&gt;"},
			[]string{"```bash", "Step | Owner", "<script", "<span", "<details", "<summary", "<b>", "<!-- a note", "<!-- would", "<img", "<td>cell", "<p>indented code"}},
		{"empty-row", []string{"<th>Name</th>", "<td>Ada</td>", "<td>first</td>", "<th>Region</th>", "<td>North</td>", "<td>South</td>", "<p>The end.</p>"}, []string{"---"}},
		{"lists", []string{`<ol start="4">`, "<li>Deepest</li>"}, nil},
		{"document-project-page", []string{"<table>", `<pre><code class="language-bash">aumo export`, `<img src="attachments/diagram.png"`, `<a href="../../jira/ENG-101/issue.md">ENG-101</a>`, `<h2><a id="milestones"></a>Milestones</h2>`}, nil},
		{"document-format-reference", []string{"<table>", `<pre><code class="language-xml">`, `<img src="https://example.com/photo.jpg"`, "<td><code>fixed | width</code></td>", "<del>withdrawn</del>"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(goldenDir, tc.golden+".md"))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := md.Convert(src, &buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("HTML lacks %q\n--- html ---\n%s", w, out)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out, a) {
					t.Errorf("HTML has %q\n--- html ---\n%s", a, out)
				}
			}
		})
	}
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

// TestGoldmarkCodeInCell checks that a code macro and a <pre> in a table
// cell keep every character: spaces at both ends of a line, empty lines,
// backticks, pipes, backslashes and HTML.
func TestGoldmarkCodeInCell(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "code-in-cell.xhtml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<!\[CDATA\[(.*?)\]\]>`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no CDATA in code-in-cell.xhtml")
	}
	src, err := os.ReadFile(filepath.Join(goldenDir, "code-in-cell.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := renderHTML(t, src)
	want := "<td>" + cellCodeHTML(string(m[1])) + "</td>"
	if n := strings.Count(out, want); n != 2 {
		t.Errorf("the HTML has %d cells (not 2: code macro and <pre>)\n%s\n--- html ---\n%s", n, want, out)
	}
}

// renderHTML renders Markdown as a GFM reader sees it, raw HTML included.
func renderHTML(t *testing.T, src []byte) string {
	t.Helper()
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	var buf bytes.Buffer
	if err := md.Convert(src, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
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
		"<h2>Real bold: <strong>bold</strong> and a literal &lt;b&gt;tag&lt;/b&gt;</h2>",
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

// sourceImages counts, generously, the images a page holds: every
// <ac:image> and <img>, and every "![" that Markdown might read as one
// (the body of a markdown macro).
func sourceImages(src string) int {
	s := strings.ToLower(src)
	return strings.Count(s, "<ac:image") + strings.Count(s, "<img") + strings.Count(s, "![")
}

// TestGoldmarkNoImagesFromNowhere renders every golden page and checks that
// the HTML holds no more images than the source: text such as "!" right
// before a link must not turn the link into an image.
func TestGoldmarkNoImagesFromNowhere(t *testing.T) {
	for _, in := range goldenInputs(t) {
		name := strings.TrimSuffix(filepath.Base(in), ".xhtml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile(strings.TrimSuffix(in, ".xhtml") + ".md")
			if err != nil {
				t.Fatal(err)
			}
			out := renderHTML(t, src)
			if got, limit := strings.Count(out, "<img"), sourceImages(string(data)); got > limit {
				t.Errorf("%d images in the HTML, the source holds at most %d\n--- html ---\n%s", got, limit, out)
			}
		})
	}
}
