package storage

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// ctx carries what the surrounding block demands of nested output.
type ctx struct {
	depth     int
	listDepth int
	table     bool // one line, <br> for breaks: in a GFM table cell, or block content flattened into a line
	cell      bool // inside a GFM table cell
	oneLine   bool // inside a heading: breaks become spaces
	inLink    bool // links cannot nest
	// Emphasis already applied around this content; nesting the same
	// delimiter again would change its meaning ("*" inside "*" is "**").
	strong, em, strike bool
}

func (x ctx) deeper() ctx { x.depth++; return x }

// piece is one rendered inline element. Emphasis is applied only once the
// neighbours are known, because whether "**" opens or closes depends on the
// characters around it.
type piece struct {
	md    string
	emph  bool
	delim string // "**", "*" or "~~"
	open  string // HTML fallback tags
	end   string
}

// opening predicts the first character a piece will emit, which is all the
// preceding piece's flanking check needs to know.
func (p piece) opening() rune {
	if !p.emph {
		return mdtext.FirstRune(p.md)
	}
	if r := mdtext.FirstRune(p.md); mdtext.IsSpace(r) {
		return ' '
	}
	r, _ := utf8.DecodeRuneInString(p.delim)
	return r
}

// inlines renders inline content. The result may contain mdtext.HardBreak
// placeholders; finishInline turns them into the context's break.
func (c *converter) inlines(nodes []*html.Node, x ctx) string {
	var ps []piece
	for _, n := range nodes {
		ps = c.inline(ps, n, x)
	}
	return joinPieces(ps)
}

// joinPieces wraps emphasis with knowledge of its neighbours and collapses
// the double spaces that whitespace on both sides of a tag would leave.
func joinPieces(ps []piece) string {
	var b mdtext.Line
	for k, p := range ps {
		md := p.md
		if p.emph {
			next := ' '
			if k+1 < len(ps) {
				next = ps[k+1].opening()
			}
			md = mdtext.Emphasize(p.delim, p.open, p.end, p.md, b.Last(), next)
		}
		// An empty line's last rune is a space too.
		if b.Last() == ' ' && strings.HasPrefix(md, " ") {
			md = strings.TrimLeft(md, " ")
		}
		b.Append(md)
	}
	return b.String()
}

// finishInline strips breaks and spaces at the edges, where Markdown cannot
// express them, and substitutes the remaining breaks.
func finishInline(s string, x ctx) string {
	s = strings.TrimFunc(s, mdtext.IsSpace)
	for _, pad := range []string{" " + mdtext.HardBreak, mdtext.HardBreak + " "} {
		for strings.Contains(s, pad) {
			s = strings.ReplaceAll(s, pad, mdtext.HardBreak)
		}
	}
	switch {
	case x.table:
		return strings.ReplaceAll(s, mdtext.HardBreak, "<br>")
	case x.oneLine:
		return strings.ReplaceAll(s, mdtext.HardBreak, " ")
	}
	// A run of breaks collapses into one; an empty line would end the paragraph.
	for strings.Contains(s, mdtext.HardBreak+mdtext.HardBreak) {
		s = strings.ReplaceAll(s, mdtext.HardBreak+mdtext.HardBreak, mdtext.HardBreak)
	}
	return strings.ReplaceAll(s, mdtext.HardBreak, "\\\n")
}

// codeSpan renders inline code, its surrounding white space kept outside
// the span.
func codeSpan(n *html.Node) string {
	lead, body, trail := mdtext.SplitSpace(collapse(rawText(n)))
	if body == "" {
		return lead
	}
	return lead + mdtext.CodeSpan(body) + trail
}

// anchor renders a link to href. An empty link, or a smart link (whose
// text is its URL), reads best as an autolink.
func (c *converter) anchor(n *html.Node, href string, x ctx) string {
	x.inLink = true
	text := c.inlines(children(n), x)
	dest := c.link(href)
	if t := strings.TrimFunc(text, mdtext.IsSpace); (t == "" || t == mdtext.EscapeText(href)) && dest == href && mdtext.Autolinkable(href) {
		lead, _, trail := mdtext.SplitSpace(text)
		return lead + "<" + href + ">" + trail
	}
	if dest == "" {
		// Options.Link dropped the link: its text alone, or its URL.
		if lead, body, trail := mdtext.SplitSpace(text); body == "" {
			return lead + mdtext.EscapeText(href) + trail
		}
		return text
	}
	return c.linkTo(text, mdtext.EscapeText(href), dest)
}

// inline renders one node and appends its pieces.
func (c *converter) inline(ps []piece, n *html.Node, x ctx) []piece {
	switch n.Type {
	case html.TextNode:
		if s := collapse(n.Data); s != "" {
			ps = append(ps, piece{md: mdtext.EscapeText(s)})
		}
		return ps
	case html.ElementNode:
	default:
		return ps
	}
	if x.depth > maxDepth {
		c.problem("nesting deeper than %d levels flattened to plain text", maxDepth)
		return append(ps, piece{md: mdtext.EscapeText(collapse(collectText(n)))})
	}
	x = x.deeper()
	add := func(md string) []piece {
		if md == "" {
			return ps
		}
		return append(ps, piece{md: md})
	}
	emph := func(flag *bool, delim, open, end string) []piece {
		if *flag {
			return c.passThrough(ps, n, x)
		}
		*flag = true
		inner := c.inlines(children(n), x)
		if strings.TrimFunc(inner, mdtext.IsSpace) == "" {
			return add(inner)
		}
		return append(ps, piece{md: inner, emph: true, delim: delim, open: open, end: end})
	}
	if isMacro(n) {
		return c.macroInline(ps, n, x)
	}
	if strings.HasPrefix(n.Data, "ri:") {
		return add(c.resourceLink(n, "", x))
	}
	switch n.Data {
	case "strong", "b":
		return emph(&x.strong, "**", "<strong>", "</strong>")
	case "em", "i", "cite", "var", "dfn":
		return emph(&x.em, "*", "<em>", "</em>")
	case "s", "del", "strike":
		return emph(&x.strike, "~~", "<del>", "</del>")
	case "u", "ins":
		return add(mdtext.Tag("<u>", "</u>", c.inlines(children(n), x)))
	case "sub", "sup":
		return add(mdtext.Tag("<"+n.Data+">", "</"+n.Data+">", c.inlines(children(n), x)))
	case "code", "tt", "kbd", "samp":
		return add(codeSpan(n))
	case "span":
		style := strings.ToLower(attr(n, "style"))
		switch {
		case strings.Contains(style, "line-through"):
			return emph(&x.strike, "~~", "<del>", "</del>")
		case strings.Contains(style, "underline"):
			return add(mdtext.Tag("<u>", "</u>", c.inlines(children(n), x)))
		}
		return c.passThrough(ps, n, x)
	case "a":
		if href := strings.TrimSpace(attr(n, "href")); href != "" && !x.inLink {
			return add(c.anchor(n, href, x))
		}
		return c.passThrough(ps, n, x)
	case "br":
		return append(ps, piece{md: mdtext.HardBreak})
	case "img":
		return add(c.img(n))
	case "time":
		return add(c.time(n, x))
	case "ac:link":
		return add(c.acLink(n, x))
	case "ac:image":
		return add(c.acImage(n, x))
	case "ac:emoticon":
		ps = add(emoticon(n))
		return c.leftovers(ps, n, x)
	case "ac:placeholder":
		return emph(&x.em, "*", "<em>", "</em>")
	case "wbr", "col", "ac:task-id", "ac:task-uuid", "ac:task-status":
		// Nothing visible. A task's metadata outside a task is
		// malformed, but rendering it would only add noise.
		if strings.TrimSpace(collectText(n)) != "" {
			c.problem("<%s> outside a task kept as text", n.Data)
			return c.passThrough(ps, n, x)
		}
		return ps
	case "ac:parameter":
		c.problem("macro parameter outside a macro kept as text")
		return c.passThrough(ps, n, x)
	}
	if c.isBlock(n) {
		c.problem("block element <%s> inside inline content flattened", n.Data)
		return append(ps, piece{md: mdtext.HardBreak + c.flat([]*html.Node{n}, x) + mdtext.HardBreak})
	}
	if !inlineNames[n.Data] {
		c.problem("unsupported element <%s> rendered as its content", n.Data)
	}
	return c.passThrough(ps, n, x)
}

// passThrough renders n's children in n's place, keeping them neighbours of
// the surrounding pieces.
func (c *converter) passThrough(ps []piece, n *html.Node, x ctx) []piece {
	for k := n.FirstChild; k != nil; k = k.NextSibling {
		ps = c.inline(ps, k, x)
	}
	return ps
}

// linkTo renders a link with rendered text md; fallback is the text to show
// when md is empty. Whitespace at the edges of md stays outside the link.
func (c *converter) linkTo(md, fallback, dest string) string {
	lead, body, trail := mdtext.SplitSpace(md)
	if body == "" {
		body = fallback
	}
	if body == "" {
		return md
	}
	return lead + "[" + body + "](" + mdtext.LinkDest(dest) + ")" + trail
}

// link is where a link to url goes: nowhere (its text stays) for a
// script, else where Options.Link says.
func (c *converter) link(url string) string {
	if mdtext.ScriptURL(url) {
		c.problem("link to a script kept as text")
		return ""
	}
	if c.opts.Link == nil {
		return url
	}
	return c.opts.Link(url)
}

// img renders a plain HTML image.
func (c *converter) img(n *html.Node) string {
	src := strings.TrimSpace(attr(n, "src"))
	alt := collapse(attr(n, "alt"))
	if src == "" {
		c.problem("image without a source")
		if alt != "" {
			return `\[image: ` + mdtext.EscapeText(alt) + `\]`
		}
		return ""
	}
	return c.image(alt, src)
}

// image renders an image at url, rewritten by Options.Link; when Link
// drops it, the marker "[image: alt]" (the URL without alt text) stays.
func (c *converter) image(alt, url string) string {
	dest := c.link(url)
	if dest == "" {
		if alt == "" {
			alt = url
		}
		return `\[image: ` + mdtext.EscapeText(alt) + `\]`
	}
	return "![" + mdtext.EscapeText(alt) + "](" + mdtext.LinkDest(dest) + ")"
}

// time renders a date; Confluence stores it as <time datetime="2024-05-01"/>.
func (c *converter) time(n *html.Node, x ctx) string {
	date := mdtext.EscapeText(strings.TrimSpace(attr(n, "datetime")))
	text := c.inlines(children(n), x)
	switch t := strings.TrimSpace(text); {
	case t == "" || t == date:
		if date == "" {
			c.problem("date without a datetime")
		}
		return date
	case date == "":
		return text
	}
	return date + " (" + strings.TrimSpace(text) + ")"
}

// emoticons maps Confluence's named emoticons to the emoji the editor shows.
var emoticons = map[string]string{
	"smile": "🙂", "sad": "🙁", "cheeky": "😛", "laugh": "😀", "wink": "😉",
	"thumbs-up": "👍", "thumbs-down": "👎", "information": "ℹ️", "tick": "✅",
	"cross": "❌", "warning": "⚠️", "plus": "➕", "minus": "➖", "question": "❓",
	"light-on": "💡", "light-off": "💡", "yellow-star": "⭐", "red-star": "⭐",
	"green-star": "⭐", "blue-star": "⭐", "heart": "❤️", "broken-heart": "💔",
}

func emoticon(n *html.Node) string {
	if s := strings.TrimSpace(attr(n, "ac:emoji-fallback")); s != "" {
		return mdtext.EscapeText(s)
	}
	name := strings.TrimSpace(attr(n, "ac:name"))
	if e, ok := emoticons[name]; ok {
		return e
	}
	if s := strings.TrimSpace(attr(n, "ac:emoji-shortname")); s != "" {
		return mdtext.EscapeText(s)
	}
	if name == "" {
		return ""
	}
	return ":" + mdtext.EscapeText(name) + ":"
}
