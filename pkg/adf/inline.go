package adf

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// ctx carries what the surrounding block demands of nested output.
type ctx struct {
	depth   int
	table   bool // inside a GFM table cell: one line, <br> for breaks
	oneLine bool // inside a heading: breaks become spaces
	inLink  bool // links cannot nest, so cards render as text
}

func (x ctx) deeper() ctx { x.depth++; return x }

// item is one inline node after rendering, still carrying its marks so that
// runs of nodes sharing a mark can be wrapped together: "**a** **b**" would
// otherwise appear where ADF has one bold span split by an inner mark.
type item struct {
	md    string // rendered Markdown
	raw   string // plain text, used when the item ends up in a code span
	marks []mark
}

type mark struct {
	typ   string
	key   string // type and attrs; equal keys can share one wrapper
	attrs map[string]any
}

// markRank orders marks that span the same nodes: links outermost so their
// text can carry emphasis, code innermost because code spans cannot contain
// other Markdown.
var markRank = map[string]int{
	"link": 0, "strong": 1, "em": 2, "strike": 3, "underline": 4,
	"subsup": 5, "textColor": 6, "backgroundColor": 7, "code": 9,
}

var inlineTypes = map[string]bool{
	"text": true, "hardBreak": true, "mention": true, "emoji": true,
	"date": true, "status": true, "inlineCard": true, "placeholder": true,
	"mediaInline": true, "inlineExtension": true,
}

// inline renders inline content. The result may contain mdtext.HardBreak
// placeholders; finishInline turns them into the context's break.
func (c *converter) inline(nodes []any, x ctx) string {
	items := c.items(nodes, x, nil)
	orderMarks(items)
	return c.group(items, 0, x)
}

// finishInline strips breaks at the edges, where Markdown cannot express
// them, and substitutes the remaining ones.
func finishInline(s string, x ctx) string {
	s = strings.Trim(s, mdtext.HardBreak+" \t\n")
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
	s = strings.ReplaceAll(s, mdtext.HardBreak+"\n", mdtext.HardBreak)
	return strings.ReplaceAll(s, mdtext.HardBreak, "\\\n")
}

func (c *converter) items(nodes []any, x ctx, out []item) []item {
	for _, raw := range nodes {
		n, ok := raw.(map[string]any)
		if !ok {
			c.problem("content entry is not an object (%s)", jsonKind(raw))
			continue
		}
		out = c.inlineNode(n, x, out)
	}
	return out
}

func (c *converter) inlineNode(n map[string]any, x ctx, out []item) []item {
	t := nodeType(n)
	if x.depth > maxDepth {
		c.problem("nesting deeper than %d levels flattened to plain text", maxDepth)
		s := strings.Join(collectText(n, nil), " ")
		return append(out, item{md: mdtext.EscapeText(s), raw: s})
	}
	a := c.attrs(n)
	marks := c.marks(n)
	switch {
	case t == "hardBreak":
		out = append(out, item{md: mdtext.HardBreak, raw: " "})
	case inlineTypes[t] || t == "media":
		if md, raw := c.leafInline(t, n, a, x); md != "" {
			out = append(out, item{md: md, raw: raw, marks: marks})
		}
	default:
		return c.foreignInline(n, marks, x, out)
	}
	// Leaf nodes should not have children; if they do, their text still
	// has to come out.
	if kids := c.content(n); len(kids) > 0 && t != "" {
		c.problem("%s node with unexpected content", t)
		out = append(out, c.items(kids, x.deeper(), nil)...)
	}
	return out
}

// leafInline renders an inline node of type t, one without content of its
// own; raw is its plain text.
func (c *converter) leafInline(t string, n, a map[string]any, x ctx) (md, raw string) {
	switch t {
	case "text":
		return c.text(n, x)
	case "mention":
		// Only the visible name: account ids are personal data and
		// meaningless outside the site.
		name := str(a, "text")
		if name == "" {
			name = "@unknown user"
			c.problem("mention without a display name")
		}
		return mdtext.EscapeText(name), name
	case "emoji":
		s := str(a, "text")
		if s == "" {
			s = str(a, "shortName")
		}
		return mdtext.EscapeText(s), s
	case "date":
		s := c.date(a)
		return mdtext.EscapeText(s), s
	case "status":
		if s := strings.ToUpper(str(a, "text")); s != "" {
			return `\[` + mdtext.EscapeText(s) + `\]`, "[" + s + "]"
		}
	case "inlineCard":
		return c.card(a, x)
	case "placeholder":
		if s := str(a, "text"); s != "" {
			return mdtext.Emphasize("*", "<em>", "</em>", mdtext.EscapeText(s), ' ', ' '), s
		}
	case "mediaInline", "media":
		md := c.media(n, a, false)
		return md, md
	case "inlineExtension":
		md := c.extensionMarker(a)
		return md, md
	}
	return "", ""
}

// text renders a text node; in a heading or a table cell its line breaks
// become spaces.
func (c *converter) text(n map[string]any, x ctx) (md, raw string) {
	s, ok := n["text"].(string)
	if !ok && n["text"] != nil {
		c.problem("text node with non-string text")
	}
	if x.oneLine || x.table {
		s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	}
	return mdtext.EscapeText(s), s
}

// foreignInline renders a block node, or one of no known type, found in
// inline content: its children take its place, carrying its marks, and an
// unknown node also leaves a visible marker and its text.
func (c *converter) foreignInline(n map[string]any, marks []mark, x ctx, out []item) []item {
	if t := nodeType(n); blockTypes[t] {
		c.problem("block node %s inside inline content rendered inline", t)
	} else {
		label := describe(n)
		c.problem("unsupported ADF node: %s", label)
		m := `\[unsupported ADF node: ` + mdtext.EscapeText(label) + `\]`
		out = append(out, item{md: m, raw: "[unsupported ADF node: " + label + "]", marks: marks})
		if s, ok := n["text"].(string); ok {
			out = append(out, item{md: " " + mdtext.EscapeText(s), raw: " " + s, marks: marks})
		}
	}
	children := c.items(c.content(n), x.deeper(), nil)
	for i := range children {
		children[i].marks = append(append([]mark(nil), marks...), children[i].marks...)
	}
	if len(out) > 0 && len(children) > 0 {
		out = append(out, item{md: " ", raw: " "})
	}
	return append(out, children...)
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case []any:
		return "array"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	}
	return "number"
}

// marks reads a node's marks; code swallows everything ranked after it.
func (c *converter) marks(n map[string]any) []mark {
	raw, ok := n["marks"]
	if !ok || raw == nil {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		c.problem("%s: marks is not an array", describe(n))
		return nil
	}
	var out []mark
	for _, r := range list {
		m, ok := r.(map[string]any)
		if !ok {
			c.problem("mark is not an object")
			continue
		}
		t := nodeType(m)
		if _, known := markRank[t]; !known {
			c.problem("unsupported ADF mark: %s", t)
			continue
		}
		a, _ := m["attrs"].(map[string]any)
		key, _ := json.Marshal(a)
		out = append(out, mark{typ: t, key: t + string(key), attrs: a})
	}
	return out
}

// orderMarks sorts each item's marks so that a mark shared by a longer run of
// neighbours is applied further out; that keeps a bold sentence with one
// italic word as a single bold span. Code always stays innermost.
func orderMarks(items []item) {
	runLen := func(i int, key string) int {
		has := func(j int) bool {
			for _, m := range items[j].marks {
				if m.key == key {
					return true
				}
			}
			return false
		}
		lo, hi := i, i
		for lo > 0 && has(lo-1) {
			lo--
		}
		for hi+1 < len(items) && has(hi+1) {
			hi++
		}
		return hi - lo
	}
	for i := range items {
		ms := items[i].marks
		if len(ms) < 2 {
			continue
		}
		runs := make(map[string]int, len(ms))
		for _, m := range ms {
			runs[m.key] = runLen(i, m.key)
		}
		sort.SliceStable(ms, func(a, b int) bool {
			ca, cb := ms[a].typ == "code", ms[b].typ == "code"
			if ca != cb {
				return cb
			}
			if runs[ms[a].key] != runs[ms[b].key] {
				return runs[ms[a].key] > runs[ms[b].key]
			}
			return markRank[ms[a].typ] < markRank[ms[b].typ]
		})
	}
}

// group renders items whose marks below level have already been applied.
func (c *converter) group(items []item, level int, x ctx) string {
	type seg struct {
		md     string
		m      *mark
		inner  string
		markup bool
	}
	var segs []seg
	for i := 0; i < len(items); {
		if level >= len(items[i].marks) {
			segs = append(segs, seg{md: items[i].md})
			i++
			continue
		}
		m := items[i].marks[level]
		j := i + 1
		for j < len(items) && level < len(items[j].marks) && items[j].marks[level].key == m.key {
			j++
		}
		s := seg{m: &m}
		if m.typ == "code" {
			var raw strings.Builder
			for _, it := range items[i:j] {
				raw.WriteString(it.raw)
			}
			s.md = mdtext.CodeSpan(raw.String())
		} else {
			inner := x
			if m.typ == "link" {
				inner.inLink = true
			}
			s.inner = c.group(items[i:j], level+1, inner)
			s.markup = true
		}
		segs = append(segs, s)
		i = j
	}
	// Emphasis validity depends on the characters around the delimiters,
	// so wrapping waits until the neighbours are known.
	var b mdtext.Line
	for k, s := range segs {
		if !s.markup {
			b.Append(s.md)
			continue
		}
		next := ' '
		if k+1 < len(segs) {
			if n := segs[k+1]; n.markup {
				next = openingRune(*n.m, n.inner)
			} else {
				next = mdtext.FirstRune(segs[k+1].md)
			}
		}
		b.Append(c.wrap(*s.m, s.inner, b.Last(), next))
	}
	return b.String()
}

// openingRune predicts the first character wrap will emit, which is all the
// preceding segment's flanking check needs to know.
func openingRune(m mark, inner string) rune {
	if r := mdtext.FirstRune(inner); mdtext.IsSpace(r) {
		return ' '
	}
	switch m.typ {
	case "strong", "em":
		return '*'
	case "strike":
		return '~'
	case "link":
		return '['
	case "underline", "subsup":
		return '<'
	}
	return mdtext.FirstRune(inner)
}

// wrap applies one mark to already rendered inner Markdown.
func (c *converter) wrap(m mark, inner string, prev, next rune) string {
	switch m.typ {
	case "strong":
		return mdtext.Emphasize("**", "<strong>", "</strong>", inner, prev, next)
	case "em":
		return mdtext.Emphasize("*", "<em>", "</em>", inner, prev, next)
	case "strike":
		return mdtext.Emphasize("~~", "<del>", "</del>", inner, prev, next)
	case "underline":
		return mdtext.Tag("<u>", "</u>", inner)
	case "subsup":
		if str(m.attrs, "type") == "sub" {
			return mdtext.Tag("<sub>", "</sub>", inner)
		}
		return mdtext.Tag("<sup>", "</sup>", inner)
	case "link":
		href := str(m.attrs, "href")
		if href == "" {
			c.problem("link without href")
			return inner
		}
		lead, body, trail := mdtext.SplitSpace(inner)
		if body == "" {
			body = mdtext.EscapeText(href)
		}
		dest := c.link(href)
		if dest == "" {
			return lead + body + trail
		}
		return lead + "[" + body + "](" + mdtext.LinkDest(dest) + ")" + trail
	}
	// textColor and backgroundColor: colour has no Markdown form and is
	// decoration only, so the text is kept without comment.
	return inner
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

// date formats an ADF date (milliseconds since the epoch) as an ISO day in
// UTC, the zone Jira and Confluence store it in.
func (c *converter) date(a map[string]any) string {
	ms, ok := num(a, "timestamp")
	if !ok || ms < -1e16 || ms > 1e16 {
		raw := str(a, "timestamp")
		c.problem("date with invalid timestamp %q", raw)
		return raw
	}
	return time.UnixMilli(int64(ms)).UTC().Format("2006-01-02")
}

// card renders an inlineCard/blockCard/embedCard as a link. Smart links carry
// either a url or JSON-LD data with a url and name.
func (c *converter) card(a map[string]any, x ctx) (md, raw string) {
	url := str(a, "url")
	name := ""
	if data, ok := a["data"].(map[string]any); ok {
		if url == "" {
			url = str(data, "url")
		}
		name = str(data, "name")
	}
	if url == "" {
		if name != "" {
			return mdtext.EscapeText(name), name
		}
		c.problem("card without url")
		return "", ""
	}
	if name == "" && c.opts.CardTitle != nil {
		name = strings.TrimSpace(c.opts.CardTitle(url))
	}
	text := name
	if text == "" {
		text = url
	}
	if x.inLink {
		return mdtext.EscapeText(text), text
	}
	dest := c.link(url)
	if dest == "" {
		return mdtext.EscapeText(text), text
	}
	if name == "" && dest == url && mdtext.Autolinkable(url) {
		return "<" + url + ">", url
	}
	return "[" + mdtext.EscapeText(text) + "](" + mdtext.LinkDest(dest) + ")", text
}

var imageExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true,
	".svg": true, ".bmp": true, ".tif": true, ".tiff": true, ".avif": true,
	".heic": true, ".ico": true,
}

func isImage(name string) bool {
	return imageExt[strings.ToLower(path.Ext(name))]
}

// media renders a media, mediaInline or external image reference.
func (c *converter) media(_, a map[string]any, single bool) string {
	typ := str(a, "type")
	id := str(a, "id")
	alt := str(a, "alt")
	name := alt
	for _, k := range []string{"name", "fileName", "__fileName"} {
		if name == "" {
			name = str(a, k)
		}
	}
	var dest, dropped string
	switch typ {
	case "external", "link":
		url := str(a, "url")
		if url != "" {
			if dest = c.link(url); dest == "" {
				dropped = url
			}
		}
	default:
		if id != "" && c.opts.Media != nil {
			if p, ok := c.opts.Media(id); ok && p != "" {
				dest = p
			}
		}
	}
	if dest == "" && dropped == "" {
		label := name
		if label == "" {
			label = id
		}
		if label == "" {
			label = "unnamed"
		}
		c.problem("media %s not exported", label)
		return `\[attachment: ` + mdtext.EscapeText(label) + `\]`
	}
	// Alt text is often a caption rather than a file name; only trust it
	// to decide when it carries an extension.
	image := isImage(name) || (path.Ext(name) == "" && (isImage(dest+dropped) || (typ == "external" && single)))
	if dropped != "" {
		return droppedMedia(image, alt, name, dropped)
	}
	if image {
		return "![" + mdtext.EscapeText(alt) + "](" + mdtext.LinkDest(dest) + ")"
	}
	if name == "" {
		name = path.Base(dest)
	}
	return "[" + mdtext.EscapeText(name) + "](" + mdtext.LinkDest(dest) + ")"
}

// droppedMedia stands in for external media whose URL Options.Link
// dropped. An image becomes the marker "[image: alt]"; any other file its
// name, as a link's text would. The URL itself is the text of last resort.
func droppedMedia(image bool, alt, name, url string) string {
	label := name
	if image && alt != "" {
		label = alt
	}
	if label == "" {
		label = url
	}
	if !image {
		return mdtext.EscapeText(label)
	}
	return `\[image: ` + mdtext.EscapeText(label) + `\]`
}

// extensionMarker stands in for a Confluence macro or app extension whose
// output is produced at view time and cannot be reproduced offline.
func (c *converter) extensionMarker(a map[string]any) string {
	key := str(a, "extensionKey")
	if key == "" {
		key = "unknown"
	}
	c.problem("extension %s not rendered", key)
	s := fmt.Sprintf(`\[extension: %s\]`, mdtext.EscapeText(key))
	if t := str(a, "text"); t != "" {
		s += " " + mdtext.EscapeText(t)
	}
	return s
}
