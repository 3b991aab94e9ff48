package storage

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"strings"
	"unicode"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// blockParser reads only the block structure of Markdown, which is all
// selfContained needs to know.
var blockParser = parser.NewParser(parser.WithBlockParsers(parser.DefaultBlockParsers()...))

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
	return seg.Start == len(src)-len(sentinel)-1 && strings.TrimSpace(string(seg.Value(src))) == sentinel
}

// markdownMacro renders the markdown macro, whose plain text body is
// Markdown already, as that Markdown: a block of its own. In a table cell,
// or where only a line of text fits, its lines are flattened by the cell
// rules like any other block's.
// Markdown that would swallow the rest of the page (a fence never closed)
// is kept as a code block instead.
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
	switch {
	case md == "":
	case x.cell:
		// The cell (or the line) it lands in flattens it.
		c.problem("markdown macro in a table cell flattened")
	case x.table:
		c.problem("markdown macro in inline content flattened")
	case !selfContained(md):
		c.problem("markdown macro with a block left open kept as code")
		md = mdtext.CodeBlock(md, "markdown", false)
	}
	if rest := c.blocks(c.body(m), x); rest != "" {
		if md != "" {
			md += "\n\n"
		}
		md += rest
	}
	return md
}
