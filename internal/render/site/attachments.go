package site

import (
	"net/url"
	"path"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// The Markdown ends with an item's attachments: a heading "Attachments"
// and a list of links to their files. The page shows each picture among
// them that the body does not show already: a figure of the picture,
// linked to its file, and its name; the others stay links.

// kindFigure is a picture among the attachments.
var kindFigure = ast.NewNodeKind("AttachmentFigure")

type figureNode struct {
	ast.BaseBlock
	dest []byte // the link's destination, as the Markdown has it
	name string
}

// Kind implements ast.Node.
func (n *figureNode) Kind() ast.NodeKind { return kindFigure }

// Dump implements ast.Node.
func (n *figureNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Destination": string(n.dest), "Name": n.name}, nil)
}

// figureRenderer writes a picture among the attachments.
type figureRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (figureRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindFigure, renderFigure)
}

func renderFigure(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	f := n.(*figureNode)
	dest := util.EscapeHTML(util.URLEscape(f.dest, true)) // as goldmark writes a link's
	name := util.EscapeHTML([]byte(f.name))
	_, _ = w.WriteString(`<figure class="attachment"><a href="`)
	_, _ = w.Write(dest)
	_, _ = w.WriteString(`"><img src="`)
	_, _ = w.Write(dest)
	_, _ = w.WriteString(`" alt="`)
	_, _ = w.Write(name)
	_, _ = w.WriteString(`" loading="lazy"></a><figcaption>`)
	_, _ = w.Write(name)
	_, _ = w.WriteString("</figcaption></figure>\n")
	return ast.WalkSkipChildren, nil
}

// attachmentList is the list of the item's attachments that ends doc,
// or nil.
func attachmentList(doc ast.Node, src []byte) *ast.List {
	list, ok := doc.LastChild().(*ast.List)
	if !ok {
		return nil
	}
	h, ok := list.PreviousSibling().(*ast.Heading)
	if !ok || h.Level != 2 || headingText(h, src) != "Attachments" {
		return nil
	}
	return list
}

// showAttachedImages makes each entry of the attachment list that links
// to a picture of the site the body does not embed a figure of it.
// fixLinks has run: the links left lead to files of the site or to the
// web.
func showAttachedImages(doc ast.Node, src []byte) {
	list := attachmentList(doc, src)
	if list == nil {
		return
	}
	list.SetAttributeString("class", []byte("attachments"))
	shown := map[string]bool{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering {
			if p, ok := sitePath(img.Destination); ok {
				shown[p] = true
			}
		}
		return ast.WalkContinue, nil
	})
	for li := list.FirstChild(); li != nil; li = li.NextSibling() {
		block := li.FirstChild()
		if block == nil || block != li.LastChild() || block.FirstChild() == nil || block.FirstChild() != block.LastChild() {
			continue
		}
		link, ok := block.FirstChild().(*ast.Link)
		if !ok {
			continue
		}
		p, ok := sitePath(link.Destination)
		if !ok || !isImage(p) || shown[p] {
			continue
		}
		shown[p] = true
		name := plainText(link, src, maxText)
		if name == "" {
			name = path.Base(p)
		}
		li.ReplaceChild(li, block, &figureNode{dest: link.Destination, name: name})
		li.SetAttributeString("class", []byte("image"))
	}
}

// sitePath is the path, cleaned and unescaped, of a link's destination
// (as the Markdown has it) to a file of the site: false for one to the
// web, to a fragment of the page alone, or to image data.
func sitePath(dest []byte) (string, bool) {
	u, err := url.Parse(string(unescape(dest)))
	if err != nil || u.Scheme != "" || u.Opaque != "" || u.Host != "" || u.Path == "" || strings.HasPrefix(u.Path, "/") {
		return "", false
	}
	return path.Clean(u.Path), true
}
