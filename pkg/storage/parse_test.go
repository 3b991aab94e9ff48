package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestParseKeepsText checks the tree builder against the tokenizer: every
// text token (and CDATA section) ends up in the tree, in order, whatever
// the nesting mistakes.
func TestParseKeepsText(t *testing.T) {
	inputs := []string{
		`<p>a<b>b</p>c</b>d`,
		`<ul><li>one<li>two</ul>three`,
		`<ac:structured-macro ac:name="x"><ac:parameter ac:name="p">v<ac:rich-text-body>body`,
		`<p><![CDATA[a &amp; <b>]]>tail<![CDATA[unterminated`,
		`<title>t</title><style>s{}</style><script>if (a<b) {}</script><textarea>x</textarea>`,
		strings.Repeat("<div>", 3000) + "deep" + strings.Repeat("</div>", 10) + "up",
		`<p>x</p></p></br><p>y`,
	}
	files, _ := filepath.Glob("../../testdata/storage/*.xhtml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(data))
	}
	for _, src := range inputs {
		var want strings.Builder
		z := html.NewTokenizer(strings.NewReader(src))
		z.AllowCDATA(true)
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			if tt == html.TextToken {
				want.WriteString(tokenText(z))
			}
		}
		c := &converter{seen: map[string]bool{}, blockMemo: map[*html.Node]bool{}}
		var got strings.Builder
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.TextNode {
				got.WriteString(n.Data)
			}
			for k := n.FirstChild; k != nil; k = k.NextSibling {
				walk(k)
			}
		}
		walk(c.parse(src))
		if got.String() != want.String() {
			t.Errorf("parse lost text of %.60q:\ngot  %q\nwant %q", src, got.String(), want.String())
		}
	}
}

// TestParseStructure checks the XML-like tree shape where HTML5 parsing
// would differ.
func TestParseStructure(t *testing.T) {
	c := &converter{seen: map[string]bool{}, blockMemo: map[*html.Node]bool{}}
	root := c.parse(`<p><ac:emoticon ac:name="smile"/> after</p><ac:link><ri:page ri:content-title="T"/><ac:plain-text-link-body>x</ac:plain-text-link-body></ac:link>`)
	p := root.FirstChild
	if p.Data != "p" || p.FirstChild.Data != "ac:emoticon" || p.FirstChild.FirstChild != nil || p.LastChild.Data != " after" {
		t.Errorf("self-closing emoticon swallowed its sibling")
	}
	link := p.NextSibling
	if link.Data != "ac:link" || link.FirstChild.FirstChild != nil || link.LastChild.Data != "ac:plain-text-link-body" {
		t.Errorf("self-closing ri:page swallowed the link body")
	}
	if len(c.problems) != 0 {
		t.Errorf("problems for well-formed input: %q", c.problems)
	}
}
