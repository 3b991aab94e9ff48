package storage_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/aumo-cli/aumo/pkg/storage"
)

var lineBreaks = regexp.MustCompile(`(?i)<br\s*/?>`)

// FuzzMarkdownMacro puts any Markdown in a markdown macro followed by a
// paragraph: the Markdown's text must be kept, none of its HTML but line
// breaks may reach a reader, and the paragraph after it must stay a
// paragraph of its own. With an Options.Link that drops every URL, no link
// and no image may reach a reader (one who leaves bare URLs alone).
func FuzzMarkdownMacro(f *testing.F) {
	for _, s := range []string{
		"# Title\n\n- a\n- b\n\n```go\nx := 1\n```",
		"```\nnever closed",
		"<!-- never closed",
		"<script>alert(1)</script>\n\n<div>\n*x*\n</div>",
		"a <span>b</span> c<br>d <!-- e --> <https://example.com>",
		"| a | b |\n| --- | --- |\n| <b>x</b> | y<br/>z |",
		"> quote\n>\n> <pre>\n\n1. item\n\n       code",
		"[a](https://x/a \"t\") ![b](<c d>) <https://x/e> [f][g] [h]\n\n[g]: https://x/g\n[h]: <https://x/h> 'i'",
		"> [a\n> b](\n> https://x/a) [<](x)https://x/y> [![c](d)](e)\n\n| [a](x) | `b | [c](y)` |\n| - | - |",
		"![a [b] ![c [d]](e)](f) [g!](h)[i](j)",
	} {
		f.Add(s)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	noLinkify := goldmark.New(goldmark.WithExtensions(extension.Table, extension.TaskList, extension.Strikethrough))
	dropAll := storage.Options{Link: func(string) string { return "" }}
	f.Fuzz(func(t *testing.T, body string) {
		if strings.Contains(body, "]]>") {
			return // a CDATA section cannot hold it
		}
		src := `<ac:structured-macro ac:name="markdown"><ac:plain-text-body><![CDATA[` + body +
			`]]></ac:plain-text-body></ac:structured-macro><p>aumo after the macro</p>`
		out, problems := storage.Convert(src, storage.Options{})
		for _, p := range problems {
			if strings.HasPrefix(p, "conversion aborted") {
				t.Fatalf("%s\n--- markdown ---\n%s", p, out)
			}
		}
		checkText(t, src, out)
		var buf bytes.Buffer
		if err := md.Convert([]byte(out), &buf); err != nil {
			t.Fatal(err)
		}
		html := buf.String()
		if !strings.Contains(html, "<p>aumo after the macro</p>") {
			t.Fatalf("the paragraph after the macro is gone\n--- markdown ---\n%s\n--- html ---\n%s", out, html)
		}
		if n, limit := strings.Count(html, "<!-- raw HTML omitted -->"), len(lineBreaks.FindAllString(out, -1)); n > limit {
			t.Fatalf("%d pieces of raw HTML, at most %d line breaks\n--- markdown ---\n%s\n--- html ---\n%s", n, limit, out, html)
		}
		out, problems = storage.Convert(src, dropAll)
		for _, p := range problems {
			if strings.HasPrefix(p, "conversion aborted") {
				t.Fatalf("%s\n--- markdown ---\n%s", p, out)
			}
		}
		checkText(t, src, out)
		buf.Reset()
		if err := noLinkify.Convert([]byte(out), &buf); err != nil {
			t.Fatal(err)
		}
		if html := buf.String(); strings.Contains(html, "<a ") || strings.Contains(html, "<img ") {
			t.Fatalf("a link or an image though Link drops them all\n--- markdown ---\n%s\n--- html ---\n%s", out, html)
		}
	})
}

// TestMarkdownMacroConcurrent converts pages with markdown macros from
// several goroutines at once, as an export does; run with -race.
func TestMarkdownMacroConcurrent(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "markdown-macro.xhtml"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := storage.Convert(string(data), testOptions())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if got, _ := storage.Convert(string(data), testOptions()); got != want {
					t.Error("concurrent conversions differ")
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestMarkdownMacroLinks renders the golden page of links in markdown
// macros as a CommonMark reader with GFM tables and task lists sees it
// (bare URLs left alone): Options.Link applies to every link, image and
// autolink of the Markdown, and none of the URLs it drops is followed.
func TestMarkdownMacroLinks(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(goldenDir, "markdown-macro-links.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.Table, extension.TaskList))
	var buf bytes.Buffer
	if err := md.Convert(src, &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"<p>Ask Bob about it, then Bob <em>again</em> after lunch.</p>",
		`See <a href="../architecture/page.md">the design</a> first, or <a href="../architecture/page.md" title="Design page">the design, titled</a> second.`,
		`<a href="../architecture/page.md">the spec</a> stays readable.`,
		`<a href="../architecture/page.md">version 2</a> and escapes escaped end here.`,
		`Autolinks: <a href="../architecture/page.md">https://example.atlassian.net/wiki/spaces/ENG/pages/200</a> then https://example.atlassian.net/wiki/people/redacted then <a href="../../jira/ENG-7/issue.md">https://example.atlassian.net/browse/ENG-7</a> and <a href="mailto:ops@example.com">ops@example.com</a> done.`,
		`Images: <img src="attachments/diagram.png" alt="Architecture diagram"> and [image: Bob's avatar] and [image: https://example.atlassian.net/wiki/people/redacted/blank.png] done.`,
		`A linked image: <a href="../architecture/page.md"><img src="attachments/diagram.png" alt="Diagram"></a> done.`,
		`Kept as written: <a href="https://example.com/">public</a> and <a href="https://example.com/status">https://example.com/status</a>.`,
		"<code>[Bob](https://example.atlassian.net/wiki/people/redacted)</code> stays",
		"<pre><code>[Bob](https://example.atlassian.net/wiki/people/redacted)\n&lt;https://example.atlassian.net/wiki/people/redacted&gt;\n</code></pre>",
		"A quote links <a href=\"../architecture/page.md\">across\nlines</a> and Bob too.",
		`References: <a href="../architecture/page.md" title="The &quot;design&quot;">the design</a>, Bob, <a href="../architecture/page.md" title="The &quot;design&quot;">design</a> and <img src="attachments/logo.png" alt="logo"> done.`,
		"<p>Not references here: [design], [bob], [the design][design] and items[0] stay text.</p>",
		`<li><input disabled="" type="checkbox"> an open task</li>`,
		`<li><input checked="" disabled="" type="checkbox"> a done task with Bob</li>`,
		"<td>Bob</td>\n<td><a href=\"../architecture/page.md\">the design</a></td>",
		"<td>`a</td>\n<td>b` c</td>",
		"<p>The end.</p>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the HTML lacks %s\n--- html ---\n%s", want, out)
		}
	}
	for _, absent := range []string{`="https://example.atlassian.net/wiki/people`, `="https://example.atlassian.net/wiki/spaces`, `="https://example.atlassian.net/wiki/download`, `href=""`, `src=""`} {
		if strings.Contains(out, absent) {
			t.Errorf("the HTML has %s\n--- html ---\n%s", absent, out)
		}
	}
}

// rewriteLinks drops URLs holding "drop" and sends those holding "page" to
// a relative path with a space in it, those holding "pipe" to one with a
// pipe.
var rewriteLinks = storage.Options{Link: func(url string) string {
	switch {
	case strings.Contains(url, "drop"):
		return ""
	case strings.Contains(url, "page"):
		return "../a page/page.md"
	case strings.Contains(url, "pipe"):
		return "../a|b.md"
	}
	return url
}}

// TestMarkdownMacroLinkSyntax checks Options.Link on the corners of link
// syntax in a markdown macro.
func TestMarkdownMacroLinkSyntax(t *testing.T) {
	cases := []struct{ name, md, want string }{
		{"empty destination", "a [b]() c", "a b c"},
		{"no text", "a [](https://x/drop*) c [ ](https://x/drop) d", `a https://x/drop\* c  https://x/drop d`},
		{"empty angle destination", "a [b](<>) c", "a b c"},
		{"title in parentheses", `a [b](https://x/page (the "title")) c`, `a [b](<../a page/page.md> (the "title")) c`},
		{"title after a line break", "a [b](https://x/page\n'title') c", "a [b](<../a page/page.md>\n'title') c"},
		{"destination on the next line", "a [b](\nhttps://x/drop) c", "a b c"},
		{"escapes in the destination", `a [b](https://x/page\)x\\) c [d](https://x/keep\(\)) e`, `a [b](<../a page/page.md>) c [d](https://x/keep\(\)) e`},
		{"nested parentheses", "a [b](https://x/page(1)(2)) c", "a [b](<../a page/page.md>) c"},
		{"brackets in the text", "a [b [c] d](https://x/drop) e", `a b \[c\] d e`},
		{"image in a dropped link", "a [![b](https://x/page.png)](https://x/drop) c", "a ![b](<../a page/page.md>) c"},
		{"link in a dropped image", "a ![b [c](https://x/page) d](https://x/drop.png) e", `a \[image: b c d\] e`},
		{"brackets in a dropped image", "a ![b [c] d](https://x/drop.png) e", `a \[image: b \[c\] d\] e`},
		{"dropped link making HTML", "a [<](https://x/drop)b> c", `a \<b> c`},
		{"dropped link making an autolink", "a [<](https://x/drop)https://x/drop2> c", `a \<https://x/drop2> c`},
		{"dropped link making an image", "a [b!](https://x/drop)[c](https://x/keep) d", `a b\![c](https://x/keep) d`},
		{"autolink rewritten", "a <https://x/page> c", "a [https://x/page](<../a page/page.md>) c"},
		{"reference with a dropped definition", "a [b][r] c\n\n[r]: https://x/drop", "a b c\n\n[r]: <>"},
		{"link in a heading", "# a [b](https://x/page) c", "# a [b](<../a page/page.md>) c"},
		{"link in a table cell", "| a |\n| - |\n| [b](https://x/pipe) |", "| a |\n| - |\n| [b](../a\\|b.md) |"},
		{"pipe splitting a link in a table cell", "| a | b |\n| - | - |\n| [c](https://x/page?a|b) |", "| a | b |\n| - | - |\n| \\[c\\](https://x/page?a|b) |"},
		{"link in code", "a `[b](https://x/drop)` c", "a `[b](https://x/drop)` c"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := `<ac:structured-macro ac:name="markdown"><ac:plain-text-body><![CDATA[` + tc.md + `]]></ac:plain-text-body></ac:structured-macro>`
			got, problems := storage.Convert(src, rewriteLinks)
			if got != tc.want+"\n" {
				t.Errorf("got %q, want %q (problems: %q)", got, tc.want+"\n", problems)
			}
		})
	}
}
