package storage_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/storage"
)

// malformedCases are broken or hostile inputs: each must convert without a
// panic, keep its text, contain the wanted Markdown and report the problem.
var malformedCases = []struct {
	name, src string
	want      []string // substrings of the Markdown
	problem   string   // substring of some problem
}{
	{"empty", ``, nil, ""},
	{"whitespace only", " \n\t ", nil, ""},
	{"text only", `just text, no markup`, []string{"just text, no markup"}, ""},
	{"unclosed paragraph", `<p>open paragraph<p>next`, []string{"open paragraph", "next"}, ""},
	{"unclosed strong", `<p><strong>bold to the end</p><p>after</p>`, []string{"**bold to the end**", "after"}, "<strong> not closed"},
	{"mismatched nesting", `<p><b>one <i>two</b> three</i></p>`, []string{"one", "two", "three"}, "</i>"},
	{"stray end tag", `<p>a</div>b</p>`, []string{"ab"}, "</div> without a start tag"},
	{"unclosed macro", `<ac:structured-macro ac:name="info"><ac:rich-text-body><p>never closed`,
		[]string{"> **Info:** never closed"}, "macro info not closed"},
	{"unclosed parameter", `<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">go<ac:plain-text-body><![CDATA[x := 1]]></ac:plain-text-body></ac:structured-macro>`,
		[]string{"```go\nx := 1\n```"}, "not closed"},
	{"unclosed CDATA", `<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[if a > b {`, []string{"if a > b {"}, "not closed"},
	{"CDATA outside a macro", `<p><![CDATA[<b>literal</b> &amp;]]></p>`, []string{`\<b>literal\</b> \&amp;`}, ""},
	{"unknown namespace", `<p>before <xyz:widget xyz:mode="a">inside</xyz:widget> after</p>`,
		[]string{"before inside after"}, "unsupported element <xyz:widget>"},
	{"unknown ac element", `<ac:future-thing><p>kept</p></ac:future-thing>`, []string{"kept"}, "unsupported element <ac:future-thing>"},
	{"unnamed macro", `<ac:structured-macro><ac:rich-text-body><p>body</p></ac:rich-text-body></ac:structured-macro>`,
		[]string{"**Macro `unnamed`**", "body"}, "macro unnamed"},
	{"text directly in macro", `<ac:structured-macro ac:name="info">loose text</ac:structured-macro>`,
		[]string{"loose text"}, "unexpected content in macro info"},
	{"unclosed emoticon", `<p><ac:emoticon ac:name="smile">and text after</p>`, []string{"🙂", "and text after"}, "unexpected content"},
	{"text in resource", `<ac:link><ri:page ri:content-title="T">swallowed</ri:page></ac:link>`, []string{"swallowed"}, "unexpected content"},
	{"link without target", `<p><ac:link><ac:plain-text-link-body><![CDATA[orphan]]></ac:plain-text-link-body></ac:link></p>`, []string{"orphan"}, ""},
	{"empty link", `<p>x<ac:link/>y</p>`, []string{"xy"}, "link without a target"},
	{"image without source", `<p><ac:image ac:alt="lonely"/></p>`, []string{`\[image: lonely\]`}, "image without a source"},
	{"li outside list", `<li>stray item</li>`, []string{"- stray item"}, "<li> outside a list"},
	{"task outside list", `<ac:task><ac:task-status>complete</ac:task-status><ac:task-body>alone</ac:task-body></ac:task>`, []string{"- [x] alone"}, "outside a list"},
	{"text directly in list", `<ul><li>one</li>loose<li>two</li></ul>`, []string{"- one", "loose", "- two"}, "directly inside a list"},
	{"row outside table", `<tr><td>cell</td></tr>`, []string{"| cell |"}, "<tr> outside a table"},
	{"text directly in table", `<table><tr><td>a</td></tr>stray</table>`, []string{"| a |", "stray"}, "outside table cells"},
	{"text directly in row", `<table><tr>loose<td>a</td></tr></table>`, []string{"| loose | a |"}, "directly inside a table row"},
	{"nested table", `<table><tr><td><table><tr><td>inner</td></tr></table></td></tr></table>`, []string{"inner"}, "nested"},
	{"huge spans", `<table><tr><td colspan="999999999" rowspan="-4">big</td></tr><tr><td>x</td></tr></table>`,
		[]string{"| big |"}, "merged"},
	{"block in inline", `<p><strong>bold <div>block</div> more</strong></p>`, []string{"block", "more"}, "inside inline content"},
	{"bad utf8", "<p>caf\xe9</p>", []string{"caf\uFFFD"}, "not valid UTF-8"},
	{"script", `<script>alert("x")</script>`, []string{`alert("x")`}, "<script>"},
	{"comment and doctype", `<!DOCTYPE html><!-- hidden --><p>shown</p>`, []string{"shown"}, ""},
	{"plaintext", `<plaintext><p>raw</p>`, []string{"raw"}, ""},
	{"stray parameter", `<p><ac:parameter ac:name="x">param text</ac:parameter></p>`, []string{"param text"}, "outside a macro"},
	{"status without title", `<p><ac:structured-macro ac:name="status"></ac:structured-macro>x</p>`, []string{"x"}, ""},
	{"time without datetime", `<p><time/></p>`, nil, "date without a datetime"},
	{"attribute soup", `<p <a href="x">b</a></p>`, []string{"b"}, ""},
	{"lt in text", `<p>a < b and c <= d</p>`, []string{`a \< b and c \<= d`}, ""},
	{"adf extension", `<ac:adf-extension><ac:adf-node type="decision-list"><ac:adf-node type="decision-item"><ac:adf-content>Ship it</ac:adf-content></ac:adf-node></ac:adf-node><ac:adf-fallback><ul><li>Ship it</li></ul></ac:adf-fallback></ac:adf-extension>`,
		[]string{"- Ship it"}, "fallback"},
}

func TestMalformed(t *testing.T) {
	for _, tc := range malformedCases {
		t.Run(tc.name, func(t *testing.T) {
			md, problems := storage.Convert(tc.src, storage.Options{})
			checkText(t, tc.src, md)
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("output lacks %q:\n%s", w, md)
				}
			}
			if tc.problem != "" && !strings.Contains(strings.Join(problems, "\n"), tc.problem) {
				t.Errorf("problems %q lack %q", problems, tc.problem)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	if md, problems := storage.Convert("", storage.Options{}); md != "" || len(problems) != 0 {
		t.Fatalf("Convert(\"\") = %q, %q", md, problems)
	}
}

func TestCallbackPanic(t *testing.T) {
	opts := storage.Options{Link: func(string) string { panic("boom") }}
	md, problems := storage.Convert(`<p><a href="x">still here</a></p>`, opts)
	if !strings.Contains(md, "still here") || len(problems) == 0 {
		t.Fatalf("got %q %q", md, problems)
	}
}

func TestDeepNesting(t *testing.T) {
	// Lists up to the cap render as real nested lists.
	const depth = 100
	var b strings.Builder
	for i := 1; i <= depth; i++ {
		fmt.Fprintf(&b, "<ul><li>level%d", i)
	}
	for range depth {
		b.WriteString("</li></ul>")
	}
	md, problems := storage.Convert(b.String(), storage.Options{})
	if len(problems) != 0 {
		t.Errorf("problems: %q", problems)
	}
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != depth {
		t.Fatalf("got %d lines, want %d", len(lines), depth)
	}
	for i, l := range lines {
		want := strings.Repeat("  ", i) + fmt.Sprintf("- level%d", i+1)
		if l != want {
			t.Fatalf("line %d = %q, want %q", i, l, want)
		}
	}

	// Deeper lists are flattened, with a problem, keeping the text.
	b.Reset()
	for i := 1; i <= 150; i++ {
		fmt.Fprintf(&b, "<ol><li>item%d", i)
	}
	src := b.String()
	md, problems = storage.Convert(src, storage.Options{})
	checkText(t, src, md)
	if !strings.Contains(strings.Join(problems, "\n"), "lists nested deeper than 100") {
		t.Errorf("problems %q lack the list cap", problems)
	}

	// Far beyond any real document: flattened, but the text survives
	// and the output stays small.
	for _, tag := range []string{"blockquote", "span", "div", "ac:structured-macro", "strong"} {
		src := strings.Repeat("<"+tag+">", 5000) + "bottom" + strings.Repeat("</"+tag+">", 5000) + "after"
		md, problems := storage.Convert(src, storage.Options{})
		if !strings.Contains(md, "bottom") || !strings.Contains(md, "after") {
			t.Fatalf("%s: text lost: %q", tag, md)
		}
		if len(md) > 1<<20 {
			t.Fatalf("%s: deep nesting produced %d bytes", tag, len(md))
		}
		if tag != "span" && tag != "div" && len(problems) == 0 {
			t.Errorf("%s: no problem reported", tag)
		}
	}
}

func TestLargeTable(t *testing.T) {
	const rows, cols = 200, 50
	var b strings.Builder
	b.WriteString("<table><tbody>")
	for r := range rows {
		b.WriteString("<tr>")
		for c := range cols {
			cell := "td"
			if r == 0 {
				cell = "th"
			}
			fmt.Fprintf(&b, "<%s><p>r%dc%d|</p></%s>", cell, r, c, cell)
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	md, problems := storage.Convert(b.String(), storage.Options{})
	if len(problems) != 0 {
		t.Fatalf("problems %q", problems)
	}
	checkText(t, b.String(), md)
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != rows+1 {
		t.Fatalf("got %d lines, want %d", len(lines), rows+1)
	}
	for i, l := range lines {
		if n := strings.Count(l, " |"); n != cols {
			t.Fatalf("line %d has %d cells: %q", i, n, l)
		}
	}
	if !strings.Contains(md, `| r199c49\| |`) {
		t.Errorf("last cell missing or unescaped")
	}
}

func TestHugeRaggedTable(t *testing.T) {
	// One very wide row and very many narrow ones must not be squared
	// up into width × rows cells.
	var b strings.Builder
	b.WriteString("<table><tr>")
	for range 5000 {
		b.WriteString("<td>w</td>")
	}
	b.WriteString("</tr>")
	for range 5000 {
		b.WriteString("<tr><td>n</td></tr>")
	}
	b.WriteString("</table>")
	md, _ := storage.Convert(b.String(), storage.Options{})
	if len(md) > 1<<20 {
		t.Fatalf("ragged table produced %d bytes", len(md))
	}
}

func TestMentionNeverShowsID(t *testing.T) {
	src := `<p><ac:link><ri:user ri:account-id="557058:secret-id" /></ac:link></p>`
	for _, opts := range []storage.Options{{}, {User: func(string) (string, bool) { return "", false }}} {
		md, problems := storage.Convert(src, opts)
		if strings.Contains(md, "secret") || strings.Contains(strings.Join(problems, " "), "secret") {
			t.Fatalf("account id leaked: %q %q", md, problems)
		}
		if !strings.Contains(md, "@unknown user") {
			t.Fatalf("no placeholder: %q", md)
		}
	}
}

func TestPageLinkFallbacks(t *testing.T) {
	src := `<p><ac:link><ri:page ri:content-title="Some page" /></ac:link></p>`
	// No Page callback and no SiteURL: the title as text, with a problem.
	md, problems := storage.Convert(src, storage.Options{})
	if md != "Some page\n" || len(problems) == 0 {
		t.Errorf("no fallback: %q %q", md, problems)
	}
	// A SiteURL but no space key: still text.
	md, _ = storage.Convert(src, storage.Options{SiteURL: "https://x.atlassian.net/wiki"})
	if md != "Some page\n" {
		t.Errorf("no space key: %q", md)
	}
	md, _ = storage.Convert(src, storage.Options{SiteURL: "https://x.atlassian.net/wiki/", SpaceKey: "K"})
	if want := "[Some page](https://x.atlassian.net/wiki/display/K/Some+page)\n"; md != want {
		t.Errorf("site fallback: %q, want %q", md, want)
	}
}

// TestPageLinkExactTitle: a link finds the page by its title as written,
// a trailing space and all, and by the title trimmed when that is the
// one Page knows.
func TestPageLinkExactTitle(t *testing.T) {
	pages := map[string]string{"Release notes v2. ": "a.md", "Runbook": "b.md"}
	var asked []string
	opts := storage.Options{Page: func(_, title string) (string, bool) {
		asked = append(asked, title)
		l, ok := pages[title]
		return l, ok
	}}
	for src, want := range map[string]string{
		`<p><ac:link><ri:page ri:content-title="Release notes v2. " /></ac:link></p>`: "[Release notes v2.](a.md)\n",
		`<p><ac:link><ri:page ri:content-title=" Runbook " /></ac:link></p>`:          "[Runbook](b.md)\n",
		`<p><ac:link><ri:page ri:content-title="Runbook" /></ac:link></p>`:            "[Runbook](b.md)\n",
	} {
		asked = nil
		if md, problems := storage.Convert(src, opts); md != want || len(problems) > 0 {
			t.Errorf("%s: %q %q, want %q", src, md, problems, want)
		}
		if len(asked) > 2 || len(asked) == 2 && asked[0] == asked[1] {
			t.Errorf("%s: Page asked for %q", src, asked)
		}
	}
}

// TestPathological feeds shapes that stress each recursive or quadratic
// spot: everything must come back with its text and a bounded output.
func TestPathological(t *testing.T) {
	const n = 3000
	cases := map[string]string{
		"beyond tree depth":  strings.Repeat("<div>", 1100) + strings.Repeat("<b>x</i>", n),
		"unclosed items":     "<ul>" + strings.Repeat("<li><b>item", n),
		"inline around p":    strings.Repeat("<b><p>x", 2000),
		"list in quote":      strings.Repeat("<ul><li>x<blockquote>", 500),
		"unknown macros":     strings.Repeat(`<ac:structured-macro ac:name="foo"><ac:rich-text-body><p>x`, 1000),
		"macro in bold":      strings.Repeat(`<b><ac:structured-macro ac:name="info"><ac:rich-text-body><p>x`, 1000),
		"tables in cells":    strings.Repeat(`<table><tr><td>x`, 1000),
		"breaks":             "<p>" + strings.Repeat(" <br/> y", n) + "</p>",
		"CDATA runs":         strings.Repeat("<![CDATA[x]]>", 20000),
		"spans":              "<table>" + strings.Repeat("<td colspan=64 rowspan=64>c", 2000),
		"code in deep list":  strings.Repeat("<ul><li>", 300) + `<ac:structured-macro ac:name="code"><ac:plain-text-body>` + strings.Repeat("line\n", 1000),
		"link bodies":        strings.Repeat(`<ac:link><ac:link-body>x`, 2000),
		"captions":           strings.Repeat(`<ac:image><ac:caption><p>x`, 1000),
		"parameters":         strings.Repeat(`<ac:structured-macro ac:name="x"><ac:parameter ac:name="a">`, 1000) + "v",
		"tasks":              strings.Repeat(`<ac:task-list><ac:task><ac:task-body>x`, 1000),
		"pre":                strings.Repeat(`<pre><b>x`, 3000),
		"resources":          strings.Repeat(`<ac:link><ri:attachment>x`, 1500),
		"emoticons and time": strings.Repeat(`<ac:emoticon>x<time>y`, 2000),
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			md, _ := storage.Convert(src, storage.Options{})
			checkText(t, src, md)
			if len(md) > 8<<20 {
				t.Fatalf("%d bytes of output for %d bytes of input", len(md), len(src))
			}
		})
	}
}
