package storage

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"html"
	"strings"

	xhtml "golang.org/x/net/html"
)

// blockMacros are macros rendered as blocks of their own.
var blockMacros = map[string]bool{
	"code": true, "noformat": true, "info": true, "note": true,
	"warning": true, "tip": true, "panel": true, "expand": true, "toc": true,
	"toc-zone": true, "excerpt-include": true, "include": true,
	"section": true, "column": true, "details": true, "markdown": true,
}

// plainMacros read their plain text body themselves: as code, or as the
// Markdown it is.
var plainMacros = map[string]bool{"code": true, "noformat": true, "markdown": true}

// inlineMacros are macros that sit inside a line of text.
var inlineMacros = map[string]bool{"status": true, "jira": true, "anchor": true}

// admonitions are the coloured-box macros and the label that replaces
// their colour.
var admonitions = map[string]string{
	"info": "Info", "note": "Note", "warning": "Warning", "tip": "Tip",
}

func isMacro(n *xhtml.Node) bool { return isElement(n, "ac:structured-macro", "ac:macro") }

func macroName(n *xhtml.Node) string {
	name := strings.ToLower(strings.TrimSpace(attr(n, "ac:name")))
	if name == "" {
		return "unnamed"
	}
	return name
}

// macroIsBlock decides whether a macro is laid out as a block. Unknown
// macros with a body are blocks; without one they stay in the line they
// were written in (a lone one still gets the block form, see
// paragraphBlocks).
func (c *converter) macroIsBlock(n *xhtml.Node) bool {
	name := macroName(n)
	switch {
	case blockMacros[name]:
		return true
	case inlineMacros[name]:
		return false
	}
	m := readMacro(n)
	if name == "excerpt" {
		if m.rich == nil {
			return false
		}
		for k := m.rich.FirstChild; k != nil; k = k.NextSibling {
			if c.isBlock(k) {
				return true
			}
		}
		return false
	}
	return m.rich != nil || m.plain != nil
}

type param struct {
	name string
	node *xhtml.Node
}

// macro is the parsed shape of an ac:structured-macro.
type macro struct {
	name   string
	params []param
	rich   *xhtml.Node // ac:rich-text-body
	plain  *xhtml.Node // ac:plain-text-body
	extra  []*xhtml.Node
}

func readMacro(n *xhtml.Node) macro {
	m := macro{name: macroName(n)}
	for _, k := range children(n) {
		switch {
		case isElement(k, "ac:parameter", "ac:default-parameter"):
			m.params = append(m.params, param{strings.TrimSpace(attr(k, "ac:name")), k})
		case m.rich == nil && isElement(k, "ac:rich-text-body"):
			m.rich = k
		case m.plain == nil && isElement(k, "ac:plain-text-body"):
			m.plain = k
		case isBlank(k):
		default:
			m.extra = append(m.extra, k)
		}
	}
	return m
}

// param returns a parameter's text, whitespace collapsed.
func (m macro) param(name string) string {
	for _, p := range m.params {
		if strings.EqualFold(p.name, name) {
			return strings.TrimSpace(collapse(collectText(p.node)))
		}
	}
	return ""
}

// body returns the body's nodes, plus anything else found inside the macro
// (malformed input), so no text is lost. Only code-like macros read a plain
// text body themselves; for any other it is kept as text.
func (c *converter) body(m macro) []*xhtml.Node {
	var out []*xhtml.Node
	if m.rich != nil {
		out = append(out, children(m.rich)...)
	}
	if m.plain != nil && !plainMacros[m.name] && (blockMacros[m.name] || inlineMacros[m.name] || m.name == "excerpt") {
		c.problem("plain text body of macro %s kept as text", m.name)
		out = append(out, children(m.plain)...)
	}
	if len(m.extra) > 0 {
		c.problem("unexpected content in macro %s kept", m.name)
		out = append(out, m.extra...)
	}
	return out
}

// macroBlocks renders a macro standing as a block.
func (c *converter) macroBlocks(out []block, n *xhtml.Node, x ctx) []block {
	m := readMacro(n)
	add := func(kind, md string) []block {
		if md == "" {
			return out
		}
		return append(out, block{kind, md})
	}
	switch m.name {
	case "code", "noformat":
		return add("code", c.codeMacro(m, x))
	case "markdown":
		return add("markdown", c.markdownMacro(m, x))
	case "info", "note", "warning", "tip":
		return add("quote", c.admonition(admonitions[m.name], m, x))
	case "panel":
		return add("quote", c.admonition("", m, x))
	case "expand":
		bs := c.blockList(c.body(m), x)
		if title := m.param("title"); title != "" {
			head := mdtext.Emphasize("**", "<strong>", "</strong>", mdtext.EscapeText(title), ' ', ' ')
			if !x.table {
				head = mdtext.EscapeLineStart(head)
			}
			bs = append([]block{{"paragraph", head}}, bs...)
		}
		return append(out, bs...)
	case "toc", "toc-zone":
		out = add("paragraph", `\[Table of contents\]`)
		return append(out, c.blockList(c.body(m), x)...)
	case "excerpt", "section", "column", "details":
		// Containers: their content is the page's content.
		return append(out, c.blockList(c.body(m), x)...)
	case "excerpt-include", "include":
		return add("quote", c.included(m, x))
	case "status", "jira", "anchor":
		md := strings.TrimSpace(finishInline(joinPieces(c.macroInline(nil, n, x)), x))
		if !x.table && !x.oneLine {
			md = mdtext.EscapeLineStarts(md)
		}
		return add("paragraph", md)
	}
	return add("quote", c.unknownMacro(m, x, true))
}

// macroInline renders a macro inside a line of text.
func (c *converter) macroInline(ps []piece, n *xhtml.Node, x ctx) []piece {
	m := readMacro(n)
	switch m.name {
	case "status":
		return c.bodyInline(statusLozenge(ps, m, x), m, x)
	case "jira":
		if key := m.param("key"); key != "" {
			return c.bodyInline(addPiece(ps, c.jiraIssue(m, key, x)), m, x)
		}
	case "anchor":
		return c.bodyInline(addPiece(ps, anchorTag(m)), m, x)
	case "excerpt":
		return c.bodyInline(ps, m, x)
	case "code", "noformat":
		return c.codeInline(ps, m, x)
	}
	if blockMacros[m.name] {
		return addPiece(ps, c.flat([]*xhtml.Node{n}, x))
	}
	return addPiece(ps, c.unknownMacro(m, x, false))
}

// addPiece appends md as a piece of its own, unless it is empty.
func addPiece(ps []piece, md string) []piece {
	if md == "" {
		return ps
	}
	return append(ps, piece{md: md})
}

// bodyInline renders a macro's body, and anything else found inside it,
// in the line after the macro.
func (c *converter) bodyInline(ps []piece, m macro, x ctx) []piece {
	for _, k := range c.body(m) {
		ps = c.inline(ps, k, x)
	}
	return ps
}

// statusLozenge renders a status macro as its title in bold capitals, the
// colour standing in for a missing title.
func statusLozenge(ps []piece, m macro, x ctx) []piece {
	title := m.param("title")
	if title == "" {
		title = m.param("colour")
	}
	if title == "" {
		return ps
	}
	md := `\[` + mdtext.EscapeText(strings.ToUpper(title)) + `\]`
	if x.strong {
		return append(ps, piece{md: md})
	}
	return append(ps, piece{md: md, emph: true, delim: "**", open: "<strong>", end: "</strong>"})
}

// jiraIssue renders the issue key of a jira macro, linked to the issue
// when the macro names its Jira site.
func (c *converter) jiraIssue(m macro, key string, x ctx) string {
	if base := c.jiraURL(m); base != "" && !x.inLink {
		if dest := c.link(base + "/browse/" + key); dest != "" {
			return "[" + mdtext.EscapeText(key) + "](" + mdtext.LinkDest(dest) + ")"
		}
	}
	return mdtext.EscapeText(key)
}

// anchorTag renders an anchor macro as the empty HTML anchor that links
// to "#name" on the page point at.
func anchorTag(m macro) string {
	name := m.param("")
	if name == "" && len(m.params) > 0 {
		name = m.param(m.params[0].name)
	}
	if name == "" {
		return ""
	}
	return `<a id="` + html.EscapeString(name) + `"></a>`
}

// codeInline renders a code or noformat macro inside a line of text, where
// no fence fits: each line of the code becomes a code span.
func (c *converter) codeInline(ps []piece, m macro, x ctx) []piece {
	m = bothBodies(m)
	code := strings.Trim(rawText(codeSource(m)), "\n")
	if spans := mdtext.CodeSpans(code, mdtext.HardBreak); spans != "" {
		if x.cell {
			c.problem("code block in a table cell flattened to inline code")
		} else {
			c.problem("code block in inline content flattened to inline code")
		}
		ps = append(ps, piece{md: spans})
	}
	if len(m.extra) > 0 {
		c.problem("unexpected content in macro %s kept", m.name)
		for _, k := range m.extra {
			ps = c.inline(ps, k, x)
		}
	}
	return ps
}

// bothBodies handles a code macro with a plain and a rich text body: the
// plain one is the code, the rich one is kept as unexpected content.
func bothBodies(m macro) macro {
	if m.plain != nil && m.rich != nil {
		m.extra = append(children(m.rich), m.extra...)
		m.rich = nil
	}
	return m
}

// codeSource is the node holding a code macro's text.
func codeSource(m macro) *xhtml.Node {
	if m.plain != nil {
		return m.plain
	}
	if m.rich != nil {
		return m.rich
	}
	return &xhtml.Node{Type: xhtml.ElementNode}
}

// codeMacro renders the code and noformat macros as fenced code blocks.
func (c *converter) codeMacro(m macro, x ctx) string {
	m = bothBodies(m)
	lang := ""
	if m.name == "code" {
		lang = m.param("language")
	}
	md := c.codeBlock(rawText(codeSource(m)), lang, x)
	if title := m.param("title"); title != "" {
		head := mdtext.Emphasize("**", "<strong>", "</strong>", mdtext.EscapeText(title), ' ', ' ')
		if x.table {
			md = head + "<br>" + md
		} else {
			md = mdtext.EscapeLineStart(head) + "\n\n" + md
		}
	}
	if len(m.extra) > 0 {
		c.problem("unexpected content in macro %s kept", m.name)
		if rest := c.blocks(m.extra, x); rest != "" {
			md += "\n\n" + rest
		}
	}
	return md
}

// admonition renders info, note, warning, tip and panel macros as a
// blockquote whose bold label carries the meaning the colour had.
func (c *converter) admonition(label string, m macro, x ctx) string {
	title := m.param("title")
	bs := c.blockList(c.body(m), x)
	var head string
	switch {
	case label != "" && title != "":
		head = "**" + label + ":** " + mdtext.EscapeText(title)
	case label != "":
		head = "**" + label + ":**"
		if len(bs) > 0 && bs[0].kind == "paragraph" {
			bs[0].md = head + " " + bs[0].md
			head = ""
		}
	case title != "":
		head = mdtext.Emphasize("**", "<strong>", "</strong>", mdtext.EscapeText(title), ' ', ' ')
	}
	if head != "" {
		bs = append([]block{{"paragraph", head}}, bs...)
	}
	return c.quote(joinBlocks(bs, false), x)
}

// included renders excerpt-include and include, whose content lives on
// another page, as a labelled link to that page.
func (c *converter) included(m macro, x ctx) string {
	label := "Included page:"
	if m.name == "excerpt-include" {
		label = "Excerpt from:"
	}
	var target string
	for _, p := range m.params {
		if p.name == "" || strings.EqualFold(p.name, "page") || strings.EqualFold(p.name, "default-parameter") {
			lx := x
			lx.oneLine = true
			target = strings.TrimSpace(finishInline(c.inlines(children(p.node), lx), lx))
			break
		}
	}
	if target == "" {
		target = "(no page given)"
	}
	c.problem("macro %s: content of another page not copied", m.name)
	md := "**" + label + "** " + target
	if body := c.blocks(c.body(m), x); body != "" {
		md += "\n\n" + body
	}
	return c.quote(md, x)
}

// jiraURL finds the Jira base URL of a jira macro: a parameter holding a
// URL, or the site itself for the built-in "System Jira" of Atlassian Cloud.
func (c *converter) jiraURL(m macro) string {
	for _, name := range []string{"serverUrl", "url", "baseUrl", "displayUrl", "server"} {
		v := m.param(name)
		if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
			return strings.TrimRight(v, "/")
		}
	}
	if strings.EqualFold(m.param("server"), "System Jira") && c.opts.SiteURL != "" {
		return strings.TrimSuffix(strings.TrimRight(c.opts.SiteURL, "/"), "/wiki")
	}
	return ""
}

// unknownMacro keeps a macro the converter cannot render visibly: its name,
// its parameters and its converted body.
func (c *converter) unknownMacro(m macro, x ctx, asBlock bool) string {
	if m.name == "jira" {
		c.problem("jira macro without an issue key (an issue query) not rendered; its parameters are kept")
	} else {
		c.problem("macro %s not supported; its name, parameters and body are kept", m.name)
	}
	head := "**Macro " + mdtext.CodeSpan(m.name) + "**"
	lx := x
	lx.oneLine = true
	var params []string
	for _, p := range m.params {
		if strings.EqualFold(p.name, "atlassian-macro-output-type") {
			continue
		}
		v := strings.TrimSpace(finishInline(c.inlines(children(p.node), lx), lx))
		if p.name == "" {
			params = append(params, v)
		} else {
			params = append(params, mdtext.EscapeText(p.name)+"="+v)
		}
	}
	if len(params) > 0 {
		head += " (" + strings.Join(params, ", ") + ")"
	}
	nodes := c.body(m)
	if !asBlock {
		md := head
		if m.plain != nil {
			code := strings.Trim(rawText(m.plain), "\n")
			if s := mdtext.CodeSpans(code, mdtext.HardBreak); s != "" {
				md += mdtext.HardBreak + s
			}
		}
		if s := c.flat(nodes, x); s != "" {
			md += mdtext.HardBreak + s
		}
		return md
	}
	var body string
	if m.plain != nil {
		body = c.codeBlock(rawText(m.plain), "", x)
	}
	if rest := c.blocks(nodes, x); rest != "" {
		if body != "" {
			body += "\n\n"
		}
		body += rest
	}
	if body == "" {
		return c.quote(head, x)
	}
	return c.quote(head+"\n\n"+body, x)
}
