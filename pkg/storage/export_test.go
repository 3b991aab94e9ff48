package storage

import (
	"strings"

	"golang.org/x/net/html"
)

// hiddenText are elements whose text is machine-readable metadata rather
// than content: macro settings and task bookkeeping. The no-text-lost check
// skips them; everything else must reach the output.
var hiddenText = map[string]bool{
	"ac:parameter": true, "ac:task-id": true, "ac:task-uuid": true, "ac:task-status": true,
}

// InputTexts returns every text run of src (text nodes and CDATA contents,
// as the converter's parser reads them) that the output must contain.
func InputTexts(src string) []string {
	c := &converter{seen: map[string]bool{}, blockMemo: map[*html.Node]bool{}}
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case markdownBody(n):
			out = append(out, markdownTexts(rawText(n)))
			return
		case n.Type == html.TextNode:
			out = append(out, n.Data)
			return
		case n.Type == html.ElementNode && hiddenText[n.Data]:
			return
		case isElement(n, "ac:adf-node") && n.Parent != nil && child(n.Parent, "ac:adf-fallback") != nil:
			// An ADF extension is rendered from its fallback, which holds
			// the same content.
			return
		}
		for k := n.FirstChild; k != nil; k = k.NextSibling {
			walk(k)
		}
	}
	walk(c.parse(c.sanitize(src)))
	return out
}

// markdownBody reports whether n is the body a markdown macro renders.
func markdownBody(n *html.Node) bool {
	if !isElement(n, "ac:plain-text-body") || !isMacro(n.Parent) || macroName(n.Parent) != "markdown" {
		return false
	}
	return child(n.Parent, "ac:plain-text-body") == n
}

// markdownTexts is the Markdown md with the syntax of its links, images
// and autolinks and the destinations of its link reference definitions cut
// out, each cut a line break: Options.Link may rewrite or drop a URL, and a
// dropped link leaves only its text.
func markdownTexts(md string) string {
	md = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(md)
	// Links are found after raw HTML is escaped, as the converter does;
	// escaping adds only backslashes, which the comparison ignores.
	md, _, _ = escapeHTML(md)
	links, _, ok := findLinks([]byte(md))
	if !ok {
		return md
	}
	cut := make([]bool, len(md))
	mark := func(start, stop int) {
		for i := start; i < stop; i++ {
			cut[i] = true
		}
	}
	for _, l := range links {
		switch {
		case l.kind == definition:
			mark(l.destStart, l.destStop)
		case l.kind == autoLink || l.image:
			mark(l.start, l.end)
		default:
			mark(l.start, l.textStart)
			mark(l.close, l.end)
		}
	}
	var b strings.Builder
	for i := range len(md) {
		switch {
		case !cut[i]:
			b.WriteByte(md[i])
		case i == 0 || !cut[i-1]:
			b.WriteByte('\n')
		}
	}
	return b.String()
}
