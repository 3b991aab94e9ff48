package storage

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// maxTreeDepth caps the element nesting the parser builds. Elements opened
// below it are not created; their text joins the deepest element, where the
// renderer's own depth limit flattens it to plain text.
const maxTreeDepth = 1000

// voidElements never have content, whether or not they are written
// self-closing.
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true,
	"hr": true, "img": true, "input": true, "link": true, "meta": true,
	"param": true, "source": true, "track": true, "wbr": true,
}

// impliedBy lists, for start tags that HTML lets authors leave unclosed, the
// open elements a new one closes. It only applies across inline markup, so
// a list item never closes an item of an outer list and nothing ever closes
// an ac: element.
var impliedBy = map[string][]string{
	"li": {"li"},
	"td": {"td", "th"}, "th": {"td", "th"},
	"tr": {"tr", "td", "th"},
	"dt": {"dt", "dd"}, "dd": {"dt", "dd"},
	// A parameter or body starting inside a parameter means the parameter
	// was never closed; the new part belongs to the macro.
	"ac:parameter":       {"ac:parameter"},
	"ac:rich-text-body":  {"ac:parameter"},
	"ac:plain-text-body": {"ac:parameter"},
}

// autoClosed elements may legitimately end without an end tag in HTML; the
// parser closes them silently.
var autoClosed = map[string]bool{
	"p": true, "li": true, "td": true, "th": true, "tr": true, "dt": true,
	"dd": true, "thead": true, "tbody": true, "tfoot": true, "colgroup": true,
	"option": true, "html": true, "body": true, "head": true,
}

// parse builds a node tree the way an XML parser would, because storage
// format is XML in spirit: self-closing syntax is meaningful on every
// element and unknown namespaced elements nest like any other. The HTML5
// tree construction algorithm would instead ignore "/>" on <ri:page/> and
// <ac:emoticon/> (swallowing the text after them), close a <p> when a macro
// body inside it opens another paragraph, and move content out of tables.
// Only tokenization is borrowed from golang.org/x/net/html.
func (c *converter) parse(src string) *html.Node {
	root := &html.Node{Type: html.DocumentNode}
	stack := []*html.Node{root}
	var phantom []string // elements opened below maxTreeDepth
	z := html.NewTokenizer(strings.NewReader(src))
	z.AllowCDATA(true)
	top := func() *html.Node { return stack[len(stack)-1] }
	// Adjacent text tokens (text, CDATA, text) become one text node.
	var text strings.Builder
	for {
		tt := z.Next()
		switch tt {
		case html.TextToken:
			text.WriteString(tokenText(z))
			continue
		case html.CommentToken, html.DoctypeToken:
			// Comments and doctypes carry no content.
			continue
		}
		appendText(top(), text.String())
		text.Reset()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				c.problem("reading markup: %v", err)
			}
			for i := len(stack) - 1; i > 0; i-- {
				c.unclosed(stack[i])
			}
			return root
		case html.StartTagToken, html.SelfClosingTagToken:
			n := &html.Node{Type: html.ElementNode}
			name, more := z.TagName()
			n.Data = string(name)
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				n.Attr = append(n.Attr, html.Attribute{Key: string(k), Val: string(v)})
			}
			leaf := tt == html.SelfClosingTagToken || voidElements[n.Data]
			if len(phantom) > 0 || len(stack) > maxTreeDepth {
				c.problem("nesting deeper than %d levels flattened to plain text", maxDepth)
				top().AppendChild(n)
				if !leaf {
					phantom = append(phantom, n.Data)
				}
				continue
			}
			if closes := impliedBy[n.Data]; closes != nil {
				stack = c.closeImplied(stack, closes)
			}
			top().AppendChild(n)
			if !leaf {
				stack = append(stack, n)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if i := lastIndex(phantom, string(name)); i >= 0 {
				phantom = phantom[:i]
				continue
			}
			phantom = nil
			stack = c.closeElement(stack, string(name))
		}
	}
}

// tokenText returns a text token's text. CDATA sections are taken from the
// raw input: the tokenizer would decode entities inside them, but CDATA
// content is literal ("&amp;" in a code macro means exactly that). NUL
// becomes U+FFFD, as CommonMark would make it; the renderer uses NUL
// internally.
func tokenText(z *html.Tokenizer) string {
	raw := z.Raw()
	if rest, ok := bytes.CutPrefix(raw, []byte("<![CDATA[")); ok {
		rest = bytes.TrimSuffix(rest, []byte("]]>"))
		return strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "\uFFFD").Replace(string(rest))
	}
	return strings.ReplaceAll(string(z.Text()), "\x00", "\uFFFD")
}

// appendText adds text to n, merging it with a preceding text node.
func appendText(n *html.Node, s string) {
	if s == "" {
		return
	}
	if last := n.LastChild; last != nil && last.Type == html.TextNode {
		last.Data += s
		return
	}
	n.AppendChild(&html.Node{Type: html.TextNode, Data: s})
}

// closeImplied pops open elements that the start of a new element ends,
// looking only through inline markup for them.
func (c *converter) closeImplied(stack []*html.Node, closes []string) []*html.Node {
	for i := len(stack) - 1; i > 0; i-- {
		n := stack[i]
		for _, name := range closes {
			if n.Data == name {
				for j := len(stack) - 1; j > i; j-- {
					c.unclosed(stack[j])
				}
				if !autoClosed[n.Data] {
					c.unclosed(n)
				}
				return stack[:i]
			}
		}
		if !inlineNames[n.Data] && n.Data != "p" {
			break
		}
	}
	return stack
}

// closeElement handles an end tag: it closes the innermost open element of
// that name and everything opened inside it, or is ignored if none is open.
func (c *converter) closeElement(stack []*html.Node, name string) []*html.Node {
	for i := len(stack) - 1; i > 0; i-- {
		if stack[i].Data == name {
			for j := len(stack) - 1; j > i; j-- {
				c.unclosed(stack[j])
			}
			return stack[:i]
		}
	}
	if name == "br" {
		// Browsers treat a stray </br> as <br>; so do we.
		stack[len(stack)-1].AppendChild(&html.Node{Type: html.ElementNode, Data: "br"})
		return stack
	}
	if !voidElements[name] {
		c.problem("end tag </%s> without a start tag ignored", name)
	}
	return stack
}

// unclosed reports an element that ended without its end tag.
func (c *converter) unclosed(n *html.Node) {
	if autoClosed[n.Data] {
		return
	}
	if isMacro(n) {
		c.problem("macro %s not closed", macroName(n))
		return
	}
	c.problem("element <%s> not closed", n.Data)
}

func lastIndex(list []string, s string) int {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == s {
			return i
		}
	}
	return -1
}
