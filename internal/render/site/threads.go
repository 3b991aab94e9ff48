package site

import (
	"bytes"
	"regexp"
	"strconv"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// The Markdown writes an item's comments under a heading "Comments" (Jira:
// "Comments (N)"), each under a heading of who wrote it when: Confluence's
// "Comment by …", "Inline comment by …" at level 3 and the replies to one
// "Reply by …" a level deeper each (down to 6); Jira's "Name, date" at
// level 3. The page shows each comment as a box, replies nested inside
// the comment they answer.

var (
	commentsHeading = regexp.MustCompile(`^Comments( \(\d+\))?$`)
	// Confluence's comment headings, then Jira's ("Ada, 2026-02-26 20:19 UTC").
	commentHeading     = regexp.MustCompile(`^(Comment|Inline comment|Reply) by .+, \S+$`)
	jiraCommentHeading = regexp.MustCompile(`, \d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}`)
)

// kindComments is the section of an item's comments; kindComment one
// comment with the replies to it.
var (
	kindComments = ast.NewNodeKind("Comments")
	kindComment  = ast.NewNodeKind("Comment")
)

type commentsNode struct{ ast.BaseBlock }

// Kind implements ast.Node.
func (n *commentsNode) Kind() ast.NodeKind { return kindComments }

// Dump implements ast.Node.
func (n *commentsNode) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }

type commentNode struct {
	ast.BaseBlock
	depth int
}

// Kind implements ast.Node.
func (n *commentNode) Kind() ast.NodeKind { return kindComment }

// Dump implements ast.Node.
func (n *commentNode) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }

// threadRenderer writes the comment section and its comments.
type threadRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (threadRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindComments, renderComments)
	reg.Register(kindComment, renderComment)
}

func renderComments(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString(`<section class="comments" id="comments">` + "\n")
	} else {
		_, _ = w.WriteString("</section>\n")
	}
	return ast.WalkContinue, nil
}

func renderComment(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</article>\n")
		return ast.WalkContinue, nil
	}
	class := "comment"
	if n.(*commentNode).depth > 0 {
		class += " reply"
	}
	_, _ = w.WriteString(`<article class="` + class + `" data-depth="` + strconv.Itoa(n.(*commentNode).depth) + `">` + "\n")
	return ast.WalkContinue, nil
}

// headingText is a heading's text as written.
func headingText(h *ast.Heading, src []byte) string {
	var b bytes.Buffer
	lines := h.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		b.Write(seg.Value(src))
	}
	return string(bytes.TrimSpace(b.Bytes()))
}

// commentDepth says whether h heads a comment, and how deep a reply it
// is.
func commentDepth(h *ast.Heading, src []byte) (int, bool) {
	t := headingText(h, src)
	switch {
	case h.Level >= 3 && commentHeading.MatchString(t):
		return h.Level - 3, true
	case h.Level == 3 && jiraCommentHeading.MatchString(t):
		return 0, true
	}
	return 0, false
}

// threadComments gathers the comment section of doc, and each comment
// with the replies under it, into boxes.
func threadComments(doc ast.Node, src []byte) {
	var head *ast.Heading
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok && h.Level == 2 && commentsHeading.MatchString(headingText(h, src)) {
			head = h
			break
		}
	}
	if head == nil {
		return
	}
	section := &commentsNode{}
	doc.InsertBefore(doc, head, section)
	section.AppendChild(section, head)
	var open []*commentNode // the comment being read, and those it replies to
	for n := section.NextSibling(); n != nil; {
		next := n.NextSibling()
		h, isHeading := n.(*ast.Heading)
		if isHeading && h.Level <= 2 {
			break
		}
		if depth, ok := commentDepthOf(h, isHeading, src); ok {
			for len(open) > depth {
				open = open[:len(open)-1]
			}
			c := &commentNode{depth: len(open)}
			if len(open) == 0 {
				section.AppendChild(section, c)
			} else {
				open[len(open)-1].AppendChild(open[len(open)-1], c)
			}
			open = append(open, c)
		}
		if len(open) > 0 {
			open[len(open)-1].AppendChild(open[len(open)-1], n)
		} else {
			section.AppendChild(section, n)
		}
		n = next
	}
}

func commentDepthOf(h *ast.Heading, isHeading bool, src []byte) (int, bool) {
	if !isHeading {
		return 0, false
	}
	return commentDepth(h, src)
}
