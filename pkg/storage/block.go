package storage

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// blockNames are elements that always start a block of their own.
var blockNames = map[string]bool{
	"p": true, "div": true, "h1": true, "h2": true, "h3": true, "h4": true,
	"h5": true, "h6": true, "ul": true, "ol": true, "li": true, "table": true,
	"thead": true, "tbody": true, "tfoot": true, "tr": true, "td": true,
	"th": true, "caption": true, "colgroup": true, "blockquote": true,
	"pre": true, "hr": true, "dl": true, "dt": true, "dd": true,
	"section": true, "article": true, "header": true, "footer": true,
	"main": true, "nav": true, "aside": true, "center": true, "figure": true,
	"figcaption": true, "details": true, "summary": true, "address": true,
	"html": true, "body": true, "head": true, "form": true, "fieldset": true,
	"script": true, "style": true,
	"ac:layout": true, "ac:layout-section": true, "ac:layout-cell": true,
	"ac:task-list": true, "ac:task": true, "ac:rich-text-body": true,
	"ac:plain-text-body": true, "ac:adf-extension": true,
}

// containerNames are block elements that only group their content; their
// children are rendered in their place.
var containerNames = map[string]bool{
	"p": true, "div": true, "dl": true, "dt": true, "dd": true,
	"section": true, "article": true, "header": true, "footer": true,
	"main": true, "nav": true, "aside": true, "center": true, "figure": true,
	"figcaption": true, "details": true, "summary": true, "address": true,
	"html": true, "body": true, "head": true, "form": true, "fieldset": true,
	"colgroup":  true,
	"ac:layout": true, "ac:layout-section": true, "ac:layout-cell": true,
	"ac:rich-text-body": true, "ac:plain-text-body": true,
}

// inlineNames are the inline elements the converter knows.
var inlineNames = map[string]bool{
	"a": true, "span": true, "strong": true, "b": true, "em": true, "i": true,
	"u": true, "ins": true, "s": true, "del": true, "strike": true,
	"code": true, "tt": true, "kbd": true, "samp": true, "var": true,
	"cite": true, "dfn": true, "sub": true, "sup": true, "br": true,
	"img": true, "time": true, "small": true, "big": true, "font": true,
	"abbr": true, "acronym": true, "q": true, "mark": true, "label": true,
	"bdi": true, "bdo": true, "wbr": true, "col": true,
	"ac:link": true, "ac:image": true, "ac:emoticon": true,
	"ac:placeholder": true, "ac:inline-comment-marker": true,
	"ac:link-body": true, "ac:plain-text-link-body": true,
	"ac:parameter": true, "ac:task-id": true, "ac:task-uuid": true,
	"ac:task-status": true, "ac:task-body": true, "ac:caption": true,
	"ac:adf-fallback": true,
}

// transparentNames are inline elements that may wrap blocks (Confluence
// wraps whole paragraphs in inline comment markers and spans); they count as
// blocks when they contain one.
var transparentNames = map[string]bool{
	"span": true, "font": true, "small": true, "big": true,
	"ac:inline-comment-marker": true, "ac:task-body": true, "ac:adf-fallback": true,
}

// isBlock decides whether n is rendered as a block of its own.
func (c *converter) isBlock(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if v, ok := c.blockMemo[n]; ok {
		return v
	}
	var v bool
	switch {
	case isMacro(n):
		v = c.macroIsBlock(n)
	case blockNames[n.Data]:
		v = true
	case strings.HasPrefix(n.Data, "ri:"):
	case transparentNames[n.Data] || !inlineNames[n.Data]:
		for k := n.FirstChild; k != nil; k = k.NextSibling {
			if c.isBlock(k) {
				v = true
				break
			}
		}
	}
	c.blockMemo[n] = v
	return v
}

var listTypes = map[string]bool{"list": true}

// block is one rendered block; kind decides how it is joined to its
// neighbours.
type block struct {
	kind string
	md   string
}

// blocks renders block content separated by blank lines.
func (c *converter) blocks(nodes []*html.Node, x ctx) string {
	return joinBlocks(c.blockList(nodes, x), false)
}

// blockList renders each child. Inline content found between blocks (text
// directly in a layout cell, a macro next to a paragraph) is gathered into
// implicit paragraphs.
func (c *converter) blockList(nodes []*html.Node, x ctx) []block {
	var out []block
	var pending []*html.Node
	flush := func() {
		if len(pending) > 0 {
			out = c.paragraphBlocks(out, pending, x)
			pending = nil
		}
	}
	for _, n := range nodes {
		if !c.isBlock(n) {
			pending = append(pending, n)
			continue
		}
		flush()
		out = c.appendBlock(out, n, x)
	}
	flush()
	return out
}

// paragraphBlocks renders a run of inline nodes as one paragraph. A macro
// standing alone gets the block form of its marker.
func (c *converter) paragraphBlocks(out []block, nodes []*html.Node, x ctx) []block {
	var solid []*html.Node
	for _, n := range nodes {
		if !isBlank(n) {
			solid = append(solid, n)
		}
	}
	if len(solid) == 1 && isMacro(solid[0]) && !inlineMacros[macroName(solid[0])] {
		return c.appendBlock(out, solid[0], x)
	}
	if md := c.paragraph(nodes, x); md != "" {
		out = append(out, block{"paragraph", md})
	}
	return out
}

// joinBlocks joins rendered blocks (see mdtext.JoinBlocks).
//
// Markdown from a markdown macro next to a list could join it: an indented
// first line would continue the list's last item, a list of the same kind
// would merge with it. An empty HTML comment keeps them apart.
func joinBlocks(bs []block, tight bool) string {
	out := make([]mdtext.Block, 0, len(bs))
	for i, b := range bs {
		if i > 0 && (b.kind == "markdown" && bs[i-1].kind == "list" || b.kind == "list" && bs[i-1].kind == "markdown") {
			out = append(out, mdtext.Block{MD: "<!-- -->"})
		}
		out = append(out, mdtext.Block{MD: b.md, Paragraph: b.kind == "paragraph", List: listTypes[b.kind]})
	}
	return mdtext.JoinBlocks(out, tight)
}

func (c *converter) paragraph(nodes []*html.Node, x ctx) string {
	s := finishInline(c.inlines(nodes, x), x)
	if x.table || x.oneLine {
		return strings.TrimSpace(s)
	}
	return mdtext.EscapeLineStarts(s)
}

// flat renders nodes in the one-line form table cells use and joins the
// lines with hard breaks, for block content found where only inline content
// fits.
func (c *converter) flat(nodes []*html.Node, x ctx) string {
	fx := x
	fx.table = true
	md := c.blocks(nodes, fx)
	var parts []string
	for _, l := range strings.Split(md, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, mdtext.HardBreak)
}

// plainBlock is the last resort for content nested too deeply to render.
func (c *converter) plainBlock(n *html.Node, x ctx) block {
	c.problem("nesting deeper than %d levels flattened to plain text", maxDepth)
	s := strings.TrimSpace(mdtext.EscapeText(collapse(collectText(n))))
	if !x.table && !x.oneLine {
		s = mdtext.EscapeLineStart(s)
	}
	return block{"paragraph", s}
}

// appendBlock renders one block element and appends the result.
func (c *converter) appendBlock(out []block, n *html.Node, x ctx) []block {
	if x.depth > maxDepth {
		return append(out, c.plainBlock(n, x))
	}
	x = x.deeper()
	add := func(kind, md string) []block {
		if md == "" {
			return out
		}
		return append(out, block{kind, md})
	}
	name := n.Data
	switch {
	case isMacro(n):
		return c.macroBlocks(out, n, x)
	case containerNames[name]:
		return append(out, c.blockList(children(n), x)...)
	}
	switch name {
	case "h1", "h2", "h3", "h4", "h5", "h6":
		return add("heading", c.heading(n, x))
	case "ul", "ol", "ac:task-list":
		return add("list", c.list(n, x))
	case "li", "ac:task":
		c.problem("<%s> outside a list", name)
		wrap := &html.Node{Type: html.ElementNode, Data: "ul"}
		if name == "ac:task" {
			wrap.Data = "ac:task-list"
		}
		return add("list", c.listItems(wrap, []*html.Node{n}, x))
	case "table":
		return c.table(out, children(n), x)
	case "thead", "tbody", "tfoot", "tr":
		c.problem("<%s> outside a table", name)
		return c.table(out, []*html.Node{n}, x)
	case "td", "th", "caption":
		c.problem("<%s> outside a table", name)
		return append(out, c.blockList(children(n), x)...)
	case "blockquote":
		return add("quote", c.quote(c.blocks(children(n), x), x))
	case "pre":
		return add("code", c.pre(n, x))
	case "hr":
		return add("rule", "---")
	case "script", "style":
		c.problem("<%s> content kept as code", name)
		return add("code", c.codeBlock(rawText(n), "", x))
	case "ac:adf-extension":
		if fb := child(n, "ac:adf-fallback"); fb != nil {
			// The ADF node holds the same content in a form only the new
			// editor renders; the fallback is its HTML rendering.
			c.problem("ADF extension rendered from its fallback")
			nodes := children(fb)
			for _, k := range children(n) {
				if k != fb && !isElement(k, "ac:adf-node") && !isBlank(k) {
					nodes = append(nodes, k)
				}
			}
			return append(out, c.blockList(nodes, x)...)
		}
		c.problem("ADF extension without fallback rendered as its content")
		return append(out, c.blockList(children(n), x)...)
	}
	// Unknown elements, and inline elements wrapping blocks, stand for
	// their content.
	if !inlineNames[name] {
		c.problem("unsupported element <%s> rendered as its content", name)
	}
	return append(out, c.blockList(children(n), x)...)
}

func (c *converter) heading(n *html.Node, x ctx) string {
	lx := x
	lx.oneLine = true
	text := strings.TrimSpace(finishInline(c.inlines(children(n), lx), lx))
	if text == "" {
		return ""
	}
	if x.table {
		return mdtext.Emphasize("**", "<strong>", "</strong>", text, ' ', ' ')
	}
	return mdtext.Heading(int(n.Data[1]-'0'), text)
}

// list renders ul, ol and ac:task-list.
func (c *converter) list(n *html.Node, x ctx) string {
	if x.listDepth >= maxListDepth {
		c.problem("lists nested deeper than %d levels flattened", maxListDepth)
		s := strings.TrimSpace(mdtext.EscapeText(collapse(collectText(n))))
		if x.table {
			return s
		}
		return mdtext.EscapeLineStart(s)
	}
	if x.table {
		c.problem("list inside a table cell flattened")
	}
	return c.listItems(n, children(n), x)
}

func (c *converter) listItems(n *html.Node, kids []*html.Node, x ctx) string {
	num := 1
	if n.Data == "ol" {
		if s, err := strconv.Atoi(strings.TrimSpace(attr(n, "start"))); err == nil {
			num = min(max(s, 0), 999999999)
		}
	}
	x.listDepth++
	var items []string
	marker := func() string {
		if n.Data == "ol" {
			return strconv.Itoa(num) + ". "
		}
		return "- "
	}
	var stray []*html.Node
	flushStray := func() {
		if len(stray) == 0 {
			return
		}
		md := c.blocks(stray, x)
		stray = nil
		if md == "" {
			return
		}
		c.problem("content directly inside a list kept with the previous item")
		if len(items) == 0 {
			items = append(items, mdtext.Prefix(marker(), md))
			num++
			return
		}
		items[len(items)-1] = mdtext.AddToItem(items[len(items)-1], md, false)
	}
	for _, k := range kids {
		switch {
		case isBlank(k):
			continue
		case isElement(k, "li", "ac:task"):
			flushStray()
			body := c.item(k, x)
			items = append(items, mdtext.Prefix(marker(), body))
			num++
		case isElement(k, "ul", "ol", "ac:task-list") && len(items) > 0:
			// A list directly inside a list (a common shape in older
			// pages) belongs to the previous item.
			flushStray()
			md := c.list(k, x.deeper())
			if md == "" {
				continue
			}
			items[len(items)-1] = mdtext.AddToItem(items[len(items)-1], md, true)
		default:
			stray = append(stray, k)
		}
	}
	flushStray()
	return strings.Join(items, "\n")
}

// item renders the content of an li or ac:task.
func (c *converter) item(k *html.Node, x ctx) string {
	x = x.deeper()
	if k.Data == "li" {
		return joinBlocks(c.blockList(children(k), x), true)
	}
	var body []*html.Node
	done := false
	for _, part := range children(k) {
		switch {
		case isElement(part, "ac:task-status"):
			done = strings.EqualFold(strings.TrimSpace(collectText(part)), "complete")
		case isElement(part, "ac:task-id", "ac:task-uuid"):
		case isElement(part, "ac:task-body"):
			body = append(body, children(part)...)
		default:
			body = append(body, part)
		}
	}
	box := "[ ] "
	if done {
		box = "[x] "
	}
	return box + joinBlocks(c.blockList(body, x), true)
}

func (c *converter) quote(body string, x ctx) string {
	if x.table {
		return body
	}
	return mdtext.Quote(body)
}

// pre renders preformatted text as a fenced code block; a <code> inside it
// may name the language the HTML way (class="language-go").
func (c *converter) pre(n *html.Node, x ctx) string {
	code := strings.TrimPrefix(rawText(n), "\n")
	lang := ""
	if k := child(n, "code"); k != nil {
		for _, cl := range strings.Fields(attr(k, "class")) {
			if l, ok := strings.CutPrefix(cl, "language-"); ok {
				lang = l
			}
		}
	}
	return c.codeBlock(code, lang, x)
}

// codeBlock renders code as a fenced code block (see mdtext.CodeBlock).
func (c *converter) codeBlock(code, lang string, x ctx) string {
	code = strings.TrimLeft(strings.TrimRight(code, "\n"), "\n")
	switch {
	case x.cell:
		c.problem("code block in a table cell flattened to inline code")
	case x.table:
		c.problem("code block in inline content flattened to inline code")
	case strings.TrimSpace(code) == "":
		// Only blanks: an empty block, not a block of blank lines.
		code = ""
	}
	return mdtext.CodeBlock(code, lang, x.table)
}
