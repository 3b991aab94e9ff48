package storage

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"bytes"
	"regexp"
	"sort"
	"strings"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// linkEnds records, per link or image goldmark's link parser reads, where
// its text ends (the closing "]") and where the reader stood after it.
type linkEnds map[ast.Node][2]int

var linkEndsKey = parser.NewContextKey()

// endsLinkParser is goldmark's link parser noting, when the parse context
// asks for it, where each link it reads ends. A link node knows where it
// starts (Pos) but not where its text or its destination lies.
type endsLinkParser struct{ parser.InlineParser }

func (p endsLinkParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	_, before := block.Position()
	n := p.InlineParser.Parse(parent, block, pc)
	if ends, _ := pc.Get(linkEndsKey).(linkEnds); ends != nil {
		switch n.(type) {
		case *ast.Link, *ast.Image:
			_, after := block.Position()
			ends[n] = [2]int{before.Start, after.Start}
		}
	}
	return n
}

func (p endsLinkParser) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	if cb, ok := p.InlineParser.(parser.CloseBlocker); ok {
		cb.CloseBlock(parent, block, pc)
	}
}

// inlineParsers are goldmark's default inline parsers, the link parser
// noting where links end.
func inlineParsers() []util.PrioritizedValue {
	ps := parser.DefaultInlineParsers()
	for i, p := range ps {
		if ip, ok := p.Value.(parser.InlineParser); ok && bytes.Equal(ip.Trigger(), parser.NewLinkParser().Trigger()) {
			ps[i].Value = endsLinkParser{ip}
		}
	}
	return ps
}

// mdLinkKind tells the syntax a link of Markdown is written in.
type mdLinkKind int

const (
	inlineLink    mdLinkKind = iota // [text](dest "title")
	referenceLink                   // [text][ref], [text][], [text]
	autoLink                        // <https://…>, <someone@example.com>
	definition                      // [ref]: dest "title"
)

// mdLink is a link, image or autolink found in Markdown source. A link or
// image is src[start:textStart] (its "[" or "![") then its text up to
// close (the "]"), then src[close:end]; an inline one has its destination
// at src[destStart:destStop]. An autolink is all of src[start:end]. A
// link reference definition has its destination at src[destStart:destStop].
type mdLink struct {
	node                ast.Node
	kind                mdLinkKind
	image               bool
	start, textStart    int
	close, end          int
	destStart, destStop int
	url                 string // as a reader would follow it
	label               []byte // the text of an autolink
}

// findLinks lists the links, images, autolinks and link reference
// definitions of the Markdown src in document order, and where its text
// holds a bracket that is no link's: a reference definition elsewhere on
// the page (in another markdown macro) could turn it into one. ok=false
// when a link could not be located exactly.
func findLinks(src []byte) (links []mdLink, brackets []int, ok bool) {
	pc := parser.NewContext()
	ends := linkEnds{}
	pc.Set(linkEndsKey, ends)
	doc := fullParser.Parse(text.NewReader(src), parser.WithContext(pc))
	ok = true
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var l mdLink
		var found bool
		switch n := n.(type) {
		case *ast.Link:
			l, found = locateLink(src, n, false, n.Destination, n.Reference, ends)
		case *ast.Image:
			l, found = locateLink(src, n, true, n.Destination, n.Reference, ends)
		case *ast.AutoLink:
			l, found = locateAutoLink(src, n)
		case *ast.LinkReferenceDefinition:
			l, found = locateDefinition(src, n)
		case *ast.CodeSpan:
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			brackets = textBrackets(src, n, brackets)
			return ast.WalkContinue, nil
		default:
			return ast.WalkContinue, nil
		}
		if !found {
			ok = false
			return ast.WalkStop, nil
		}
		links = append(links, l)
		return ast.WalkContinue, nil
	})
	return links, brackets, ok
}

// taskMarker is how a GFM task list item starts.
var taskMarker = regexp.MustCompile(`^\[[ xX]\]`)

// textBrackets appends the positions of the brackets of the text n that no
// backslash escapes, but for a task list item's box.
func textBrackets(src []byte, n *ast.Text, brackets []int) []int {
	box := -1
	if p := n.Parent(); p != nil && p.Type() == ast.TypeBlock && p.Lines().Len() > 0 && p.Parent() != nil &&
		p.Parent().Kind() == ast.KindListItem && p.Parent().FirstChild() == p {
		if start := p.Lines().At(0).Start; taskMarker.Match(src[start:]) {
			box = start
		}
	}
	for i := n.Segment.Start; i < n.Segment.Stop; i++ {
		if src[i] != '[' && src[i] != ']' || i == box || i == box+2 {
			continue
		}
		k := i
		for k > 0 && src[k-1] == '\\' {
			k--
		}
		if (i-k)%2 == 0 {
			brackets = append(brackets, i)
		}
	}
	return brackets
}

// linkURL is a destination as a reader follows it: backslash escapes and
// character references resolved, as goldmark does.
func linkURL(dest []byte) string {
	return string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(dest))))
}

// locateAutoLink finds the autolink n, "<" and ">" included.
func locateAutoLink(src []byte, n *ast.AutoLink) (mdLink, bool) {
	label := n.Label(src)
	start := n.Pos()
	end := start + len(label) + 2
	if start < 0 || end > len(src) || src[start] != '<' || src[end-1] != '>' || !bytes.Equal(src[start+1:end-1], label) {
		return mdLink{}, false
	}
	url := string(n.URL(src))
	if n.AutoLinkType == ast.AutoLinkEmail {
		url = "mailto:" + url
	}
	return mdLink{node: n, kind: autoLink, start: start, end: end, url: url, label: label}, true
}

// locateDefinition finds the destination of the link reference definition
// n: after its label and ":".
func locateDefinition(src []byte, n *ast.LinkReferenceDefinition) (mdLink, bool) {
	lines := n.Lines()
	l := mdLink{node: n, kind: definition, url: linkURL(n.Destination)}
	if lines.Len() == 0 {
		return l, false
	}
	l.start = lines.At(0).Start
	stop := lines.At(lines.Len() - 1).Stop
	i := l.start
	for i < stop && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	if i >= stop || src[i] != '[' {
		return l, false
	}
	// The label holds no unescaped bracket; it may span lines, but a
	// container's prefix between them holds none either.
	for i++; i < stop && src[i] != ']'; i++ {
		if src[i] == '\\' && i+1 < stop && util.IsPunct(src[i+1]) {
			i++
		}
	}
	if i+1 >= stop || src[i+1] != ':' {
		return l, false
	}
	var raw []byte
	l.destStart, l.destStop, raw = destination(src, i+2, stop, lines)
	l.end = l.destStop
	return l, l.destStop > l.destStart && bytes.Equal(raw, n.Destination)
}

// locateLink finds the parts of the link or image n in src, checking each
// against what goldmark read.
func locateLink(src []byte, n ast.Node, image bool, dest []byte, ref *ast.ReferenceLink, ends linkEnds) (mdLink, bool) {
	e, recorded := ends[n]
	l := mdLink{node: n, image: image, start: n.Pos(), close: e[0], url: linkURL(dest)}
	l.textStart = l.start + 1
	opener := "["
	if image {
		l.textStart++
		opener = "!["
	}
	if !recorded || l.start < 0 || l.close < l.textStart || l.close >= len(src) || src[l.close] != ']' ||
		!bytes.HasPrefix(src[l.start:], []byte(opener)) {
		return l, false
	}
	// The reader may stand past a line end, or at the next line's content
	// behind a container's prefix; the link ends with its last ")" or "]".
	l.end = min(e[1], len(src))
	for l.end > l.close+1 && src[l.end-1] != ')' && src[l.end-1] != ']' {
		l.end--
	}
	if ref != nil {
		l.kind = referenceLink
		if ref.Type == ast.ReferenceLinkShortcut {
			return l, l.end == l.close+1
		}
		return l, l.end > l.close+2 && src[l.close+1] == '[' && src[l.end-1] == ']'
	}
	l.kind = inlineLink
	if l.end < l.close+3 || src[l.close+1] != '(' || src[l.end-1] != ')' {
		return l, false
	}
	lines := blockLines(n)
	if lines == nil {
		return l, false
	}
	var raw []byte
	l.destStart, l.destStop, raw = destination(src, l.close+2, l.end-1, lines)
	return l, bytes.Equal(raw, dest)
}

// blockLines returns the source lines of the block holding the inline n.
func blockLines(n ast.Node) *text.Segments {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock {
			return p.Lines()
		}
	}
	return nil
}

// destination reads the destination of an inline link from src[i:stop]
// (after its "("), as goldmark does: white space, line ends and the
// prefixes of container blocks before it are skipped. It returns its range
// and its raw text (inside "<…>" for that form).
func destination(src []byte, i, stop int, lines *text.Segments) (start, end int, raw []byte) {
	for k := 0; k < lines.Len(); k++ {
		seg := lines.At(k)
		if seg.Stop <= i {
			continue
		}
		i = max(i, seg.Start)
		for i < seg.Stop && i < stop && util.IsSpace(src[i]) {
			i++
		}
		if i >= stop {
			return stop, stop, nil
		}
		if i < seg.Stop {
			return destinationOnLine(src, i, min(seg.Stop, stop))
		}
	}
	return stop, stop, nil
}

// destinationOnLine reads a destination that starts at src[i], within
// src[:stop].
func destinationOnLine(src []byte, i, stop int) (start, end int, raw []byte) {
	escaped := func(j int) bool { return src[j] == '\\' && j+1 < stop && util.IsPunct(src[j+1]) }
	if src[i] == '<' {
		for j := i + 1; j < stop; j++ {
			switch {
			case escaped(j):
				j++
			case src[j] == '>':
				return i, j + 1, src[i+1 : j]
			}
		}
		return i, i, nil
	}
	opened := 0
	j := i
loop:
	for ; j < stop; j++ {
		switch c := src[j]; {
		case escaped(j):
			j++
		case c == '(':
			opened++
		case c == ')':
			opened--
			if opened < 0 {
				break loop
			}
		case util.IsSpace(c):
			break loop
		}
	}
	j = min(j, stop)
	return i, j, src[i:j]
}

// linkEdits rewrites, through Options.Link, each link, image, autolink and
// link reference definition of src whose URL is not in approved (URLs
// written in an earlier pass): a new URL replaces the destination, an
// empty one leaves a link's text as it was written (its URL as text when
// it has none), an autolink's URL as text, an image the marker
// "[image: alt]" and a definition no URL. The URLs it writes or keeps are
// added to written. It also escapes the brackets findLinks reports.
// ok=false when a link could not be located.
func (c *converter) linkEdits(src []byte, approved, written map[string]bool, later bool) (edits []edit, ok bool) {
	links, brackets, ok := findLinks(src)
	if !ok {
		return nil, false
	}
	for _, i := range brackets {
		edits = append(edits, edit{i, i, `\`})
	}
	var skipTo int // the end of an image replaced as a whole
	for _, l := range links {
		first := len(edits)
		if l.start < skipTo || approved[l.url] || l.kind == definition && l.url == "" {
			continue
		}
		dest := ""
		if l.url != "" {
			// A link to nowhere is no link: dropped without asking.
			dest = c.link(l.url)
		}
		if dest != "" {
			written[dest] = true
		}
		if dest == l.url && dest != "" {
			continue
		}
		edits = append(edits, rewriteLink(src, l, dest, later)...)
		if l.image && dest == "" {
			skipTo = l.end
		}
		if inTableCell(l.node) {
			for i := first; i < len(edits); i++ {
				edits[i].text = strings.ReplaceAll(edits[i].text, "|", `\|`)
			}
		}
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	// An edit inside an image replaced as a whole (a bracket of its alt
	// text escaped, say) goes with it.
	kept := edits[:0]
	stop := 0
	for _, e := range edits {
		if e.start < stop {
			continue
		}
		kept = append(kept, e)
		stop = max(stop, e.stop)
	}
	return kept, true
}

// rewriteLink is the edits that write the link l to dest, its URL as
// Options.Link rewrote it (see linkEdits).
func rewriteLink(src []byte, l mdLink, dest string, later bool) []edit {
	switch {
	case l.kind == definition && dest == "":
		// Its references are dropped; it keeps no URL, for a
		// reference elsewhere on the page either.
		return []edit{{l.destStart, l.destStop, "<>"}}
	case l.kind == definition:
		return []edit{{l.destStart, l.destStop, mdtext.LinkDest(dest)}}
	case l.kind == referenceLink && dest != "":
		return nil // its definition is rewritten
	case l.kind == autoLink && dest == "" && later:
		// It only appeared as a link dropped before it left its
		// text: its brackets were text too.
		return []edit{{l.start, l.end, `\<` + mdtext.EscapeText(string(l.label)) + ">"}}
	case l.kind == autoLink && dest == "":
		return []edit{{l.start, l.end, mdtext.EscapeText(string(l.label))}}
	case l.kind == autoLink:
		return []edit{{l.start, l.end, "[" + mdtext.EscapeText(string(l.label)) + "](" + mdtext.LinkDest(dest) + ")"}}
	case l.image && dest == "":
		alt := strings.TrimSpace(collapse(plainText(src, l.node)))
		if alt == "" {
			alt = l.url
		}
		return []edit{{l.start, l.end, `\[image: ` + mdtext.EscapeText(alt) + `\]`}}
	case dest == "" && len(bytes.TrimSpace(src[l.textStart:l.close])) == 0:
		// No text to keep: its URL as text, as for any link.
		return []edit{{l.start, l.end, string(src[l.textStart:l.close]) + mdtext.EscapeText(l.url)}}
	case dest == "":
		edits := []edit{{l.start, l.textStart, ""}}
		if bangBefore(src, l.close) && l.end < len(src) && src[l.end] == '[' {
			// "[a!](x)[b](y)" must not become the image "a![b](y)".
			edits = append(edits, edit{l.close - 1, l.close - 1, `\`})
		}
		return append(edits, edit{l.close, l.end, ""})
	}
	return []edit{{l.destStart, l.destStop, mdtext.LinkDest(dest)}}
}

// bangBefore reports whether src[i-1] is a "!" no backslash escapes.
func bangBefore(src []byte, i int) bool {
	if i < 1 || src[i-1] != '!' {
		return false
	}
	k := i - 1
	for k > 0 && src[k-1] == '\\' {
		k--
	}
	return (i-1-k)%2 == 0
}

// inTableCell reports whether n lies in a cell of a GFM table, where a
// pipe ends the cell unless escaped.
func inTableCell(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == extast.KindTableCell {
			return true
		}
	}
	return false
}

// plainText is the text below n, as an image's alt text reads.
func plainText(src []byte, n ast.Node) string {
	var b strings.Builder
	_ = ast.Walk(n, func(k ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch k := k.(type) {
		case *ast.Text:
			b.Write(util.UnescapePunctuations(k.Segment.Value(src)))
			if k.SoftLineBreak() || k.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(k.Value)
		case *ast.AutoLink:
			b.Write(k.Label(src))
		case *ast.RawHTML:
			for i := 0; i < k.Segments.Len(); i++ {
				seg := k.Segments.At(i)
				b.Write(seg.Value(src))
			}
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// maxMarkdownPasses bounds cleanMarkdown. Raw HTML escaped or a link
// dropped can let new syntax appear ("[<](x)b>" becomes "<b>"), which the
// next pass handles; real Markdown settles in one or two.
const maxMarkdownPasses = 8

// cleanMarkdown escapes the raw HTML of md (see escapeHTML) and rewrites
// its links through Options.Link (see linkEdits), until neither finds
// anything left to do. escaped reports raw HTML rewritten; ok=false means
// it did not settle, or a link could not be located.
func (c *converter) cleanMarkdown(md string) (out string, escaped, ok bool) {
	approved := map[string]bool{}
	for pass := range maxMarkdownPasses {
		safe, esc, htmlOK := escapeHTML(md)
		escaped = escaped || esc
		if !htmlOK {
			return safe, escaped, false
		}
		md = safe
		src := []byte(md)
		written := map[string]bool{}
		edits, found := c.linkEdits(src, approved, written, pass > 0)
		if !found {
			return md, escaped, false
		}
		if len(edits) == 0 {
			return md, escaped, true
		}
		md = applyEdits(src, edits)
		for u := range written {
			approved[u] = true
		}
	}
	return md, escaped, false
}

// applyEdits applies edits, sorted and not overlapping, to src.
func applyEdits(src []byte, edits []edit) string {
	var b strings.Builder
	prev := 0
	for _, e := range edits {
		b.Write(src[prev:e.start])
		b.WriteString(e.text)
		prev = e.stop
	}
	b.Write(src[prev:])
	return b.String()
}
