package storage

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"bytes"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// blockParser reads only the block structure of Markdown, which is all
// selfContained needs to know.
var blockParser = parser.NewParser(parser.WithBlockParsers(parser.DefaultBlockParsers()...))

// fullParser reads Markdown with its inline content, where raw HTML and
// links are found, and GFM tables, whose cells a reader parses each on its
// own (a pipe inside a code span ends a cell).
var fullParser = parser.NewParser(
	parser.WithBlockParsers(parser.DefaultBlockParsers()...),
	parser.WithInlineParsers(inlineParsers()...),
	parser.WithParagraphTransformers(append(parser.DefaultParagraphTransformers(),
		util.Prioritized(extension.NewTableParagraphTransformer(), 200))...),
	parser.WithASTTransformers(util.Prioritized(extension.NewTableASTTransformer(), 0)),
)

// lineBreakTag is the one HTML tag Markdown from a markdown macro keeps: a
// line break, which tables written in Markdown need and which cannot
// leak into what follows.
var lineBreakTag = regexp.MustCompile(`^(?i)<br\s*/?>$`)

// maxHTMLPasses bounds escapeHTML. One pass turns all raw HTML into text;
// a second one only confirms it.
const maxHTMLPasses = 4

// escapeHTML rewrites each piece of raw HTML in md (inline tags, comments,
// HTML blocks) as escaped text that reads as exactly what was written, as
// everywhere else in the output: user content never becomes HTML. Line
// breaks stay. It reports whether it rewrote anything, and ok=false when
// HTML is still left after maxHTMLPasses.
func escapeHTML(md string) (out string, escaped, ok bool) {
	for range maxHTMLPasses {
		src := []byte(md)
		edits := htmlEdits(src)
		if len(edits) == 0 {
			return md, escaped, true
		}
		escaped = true
		md = applyEdits(src, edits)
	}
	return md, escaped, false
}

// edit replaces src[start:stop] with text.
type edit struct {
	start, stop int
	text        string
}

// htmlEdits finds the raw HTML in src, other than line breaks, and the
// escaped text to replace each line of it with, in order.
func htmlEdits(src []byte) []edit {
	var edits []edit
	literal := func(seg text.Segment, lineStart bool) {
		v := src[seg.Start:seg.Stop]
		body := bytes.TrimRight(v, "\r\n")
		s := mdtext.EscapeText(string(body))
		if lineStart {
			// What was a line of an HTML block must not start a
			// block of another kind.
			s = mdtext.EscapeLineStart(strings.TrimLeft(s, " \t"))
		}
		edits = append(edits, edit{seg.Start, seg.Stop, s + string(v[len(body):])})
	}
	kept := func(s []byte) bool { return lineBreakTag.Match(bytes.TrimSpace(s)) }
	_ = ast.Walk(fullParser.Parse(text.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.RawHTML:
			var raw []byte
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				raw = append(raw, src[seg.Start:seg.Stop]...)
			}
			if !kept(raw) {
				for i := 0; i < n.Segments.Len(); i++ {
					literal(n.Segments.At(i), false)
				}
			}
		case *ast.HTMLBlock:
			lines := n.Lines()
			if lines.Len() == 1 && !n.HasClosure() {
				if first := lines.At(0); kept(src[first.Start:first.Stop]) {
					return ast.WalkSkipChildren, nil
				}
			}
			for i := 0; i < lines.Len(); i++ {
				literal(lines.At(i), true)
			}
			if n.HasClosure() {
				literal(n.ClosureLine, true)
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	return edits
}

// sentinel is the paragraph selfContained puts after Markdown under test.
const sentinel = "aumo-markdown-macro-ends-here"

// selfContained reports whether md, followed by a blank line, leaves no
// block open (a fence or an HTML block never closed) that would swallow
// what comes after it: a paragraph placed after it must stay a paragraph
// of its own, at the top level.
func selfContained(md string) bool {
	src := []byte(md + "\n\n" + sentinel + "\n")
	last := blockParser.Parse(text.NewReader(src)).LastChild()
	if last == nil || last.Kind() != ast.KindParagraph || last.Lines().Len() != 1 {
		return false
	}
	seg := last.Lines().At(0)
	return seg.Start == len(src)-len(sentinel)-1 && strings.TrimSpace(string(src[seg.Start:seg.Stop])) == sentinel
}

// markdownMacro renders the markdown macro, whose plain text body is
// Markdown already, as that Markdown: a block of its own. In a table cell,
// or where only a line of text fits, its lines are flattened by the cell
// rules like any other block's.
// Raw HTML in it is escaped to read as text (see escapeHTML), and its links
// go through Options.Link like any other (see linkEdits). Markdown
// that would swallow the rest of the page (a fence never closed) is kept as
// a code block instead.
func (c *converter) markdownMacro(m macro, x ctx) string {
	md := ""
	if m.plain != nil {
		md = rawText(m.plain)
	}
	md = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "\uFFFD").Replace(md)
	// Blank lines around the text go; the first line's indentation
	// stays, it may mean code.
	lines := strings.Split(strings.TrimRightFunc(md, unicode.IsSpace), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	md = strings.Join(lines, "\n")
	safe, escaped, ok := c.cleanMarkdown(md)
	if escaped && ok {
		c.problem("raw HTML in a markdown macro kept as text")
	}
	switch {
	case md == "":
	case !ok:
		c.problem("markdown macro with HTML or links it could not rewrite kept as code")
		md = mdtext.CodeBlock(md, "markdown", x.table)
	case x.cell:
		// The cell (or the line) it lands in flattens it.
		md = safe
		c.problem("markdown macro in a table cell flattened")
	case x.table:
		c.problem("markdown macro in inline content flattened")
		md = safe
	case !selfContained(safe):
		c.problem("markdown macro with a block left open kept as code")
		md = mdtext.CodeBlock(md, "markdown", false)
	default:
		md = safe
	}
	if rest := c.blocks(c.body(m), x); rest != "" {
		if md != "" {
			md += "\n\n"
		}
		md += rest
	}
	return md
}
