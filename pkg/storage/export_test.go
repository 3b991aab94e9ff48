package storage

import "golang.org/x/net/html"

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
