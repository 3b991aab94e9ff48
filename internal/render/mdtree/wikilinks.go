package mdtree

import (
	"bytes"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aumo-cli/aumo/internal/mdtext"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// stand is the stand-in destination of a link to the item at num of the
// catalog's order: the converters write it as it is, and wikilinks finds
// it again.
func (v *view) stand(num int) string { return v.mark + strconv.Itoa(num) + ".md" }

var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()

// edit replaces md[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// wikilinks rewrites the links of md, the Markdown of the item at p, that
// lead to stand-ins: [text](stand-in) becomes [[path|text]], the path
// from DEST's top without ".md"; a link whose text is more than plain
// text (code, emphasis, an image), or that the converter wrote in
// another form, becomes a relative link as without wikilinks.
func (v *view) wikilinks(p *place, md []byte) []byte {
	if !bytes.Contains(md, []byte(v.mark)) {
		return md
	}
	start := bodyStart(md)
	body := md[start:]
	doc := gfm.Parse(text.NewReader(body))
	var edits []edit
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if l, ok := n.(*ast.Link); ok && entering {
			if e, ok := v.wikilink(body, l); ok {
				edits = append(edits, edit{start + e.start, start + e.end, e.text})
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })
	var b bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.start < last {
			continue
		}
		b.Write(md[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(md[last:])
	// What is left: links kept as Markdown, and stand-ins anywhere else.
	re := regexp.MustCompile(regexp.QuoteMeta(v.mark) + `([0-9]+)\.md`)
	return re.ReplaceAllFunc(b.Bytes(), func(m []byte) []byte {
		num, _ := strconv.Atoi(string(re.FindSubmatch(m)[1]))
		if num < 0 || num >= len(v.byNum) {
			return nil
		}
		return []byte(relLink(p.note, v.byNum[num].target()))
	})
}

// bodyStart is where md's body starts, after its front matter.
func bodyStart(md []byte) int {
	if !bytes.HasPrefix(md, []byte("---\n")) {
		return 0
	}
	if i := bytes.Index(md[4:], []byte("\n---\n")); i >= 0 {
		return 4 + i + len("\n---\n")
	}
	return 0
}

// wikilink is the edit that makes the link l of body a wikilink, when l
// leads to a stand-in and reads as plain text.
func (v *view) wikilink(body []byte, l *ast.Link) (edit, bool) {
	dest := string(l.Destination)
	rest, ok := strings.CutPrefix(dest, v.mark)
	if !ok || len(l.Title) > 0 {
		return edit{}, false
	}
	numText, frag, _ := strings.Cut(rest, "#")
	num, err := strconv.Atoi(strings.TrimSuffix(numText, ".md"))
	if err != nil || !strings.HasSuffix(numText, ".md") || num < 0 || num >= len(v.byNum) || v.byNum[num].note == "" {
		return edit{}, false
	}
	start := l.Pos()
	raw := []byte("](" + mdtext.LinkDest(dest) + ")")
	if start < 0 || start >= len(body) || body[start] != '[' {
		return edit{}, false
	}
	end := bytes.Index(body[start:], raw)
	if end < 0 {
		return edit{}, false
	}
	label := body[start+1 : start+end]
	if !plainText(l) || bytes.ContainsAny(label, "\n\r") {
		return edit{}, false
	}
	s := wikilink(v.byNum[num].note, frag, alias(string(unescape(label))), inTable(l))
	return edit{start, start + end + len(raw), s}, true
}

// wikilink is [[note without .md#frag|alias]]; in a table cell, the
// alias's "|" is escaped as Obsidian reads it there. A fragment that a
// wikilink cannot hold is left out. A note whose name has a dot keeps
// its ".md": [[notes.pdf]] would be the file notes.pdf.
func wikilink(note, frag, alias string, table bool) string {
	target := strings.TrimSuffix(note, ".md")
	if strings.Contains(path.Base(target), ".") {
		target = note
	}
	if frag != "" && !strings.ContainsAny(frag, "|[]#^\\\n\r") {
		target += "#" + frag
	}
	if alias == "" {
		return "[[" + target + "]]"
	}
	sep := "|"
	if table {
		sep = `\|`
	}
	return "[[" + target + sep + alias + "]]"
}

// alias is a link's text as a wikilink's alias: white space collapsed,
// the brackets and bars that would end it replaced.
func alias(s string) string {
	s = strings.NewReplacer("[", "(", "]", ")", "|", "/").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// unescape is Markdown text as it reads: backslash escapes and character
// references resolved.
func unescape(md []byte) []byte {
	return util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(md)))
}

// plainText says the link's text is text alone: no code, emphasis, image
// or markup.
func plainText(l *ast.Link) bool {
	for c := l.FirstChild(); c != nil; c = c.NextSibling() {
		if _, ok := c.(*ast.Text); !ok {
			return false
		}
	}
	return true
}

func inTable(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == extast.KindTableCell {
			return true
		}
	}
	return false
}
