package site

import (
	"bytes"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// maxText caps the plain text of an item that the search index holds:
// the first 20,000 characters find an item by what it is about, and keep
// the index a size a browser loads in a moment however long the bodies.
const maxText = 20000

// converter turns an item's Markdown into HTML. It is goldmark with
// GitHub's tables, strikethrough, task lists and autolinks, without
// html.WithUnsafe: raw HTML in the Markdown is left out, and so are
// javascript:, vbscript:, file: and data: links (but images' data).
// Comments are written as threads, the pictures among the attachments as
// figures.
var converter = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(threadRenderer{}, 100), util.Prioritized(figureRenderer{}, 100))),
)

// body is an item's Markdown made HTML, and its text for the search.
type body struct {
	HTML []byte
	Text string
}

// convert renders md, the item's Markdown, for its page: without its
// front matter (the page shows the metadata itself) and its first
// heading (the page's title), with its comments as threads, embeds of
// files that are no images as links, links that could run script or
// lead to no file of the site made text, and the pictures among its
// attachments shown. known says whether a relative link's path
// (unescaped) leads to a file of the site; nil takes any.
func convert(md []byte, known func(string) bool) (body, error) {
	src := stripFrontMatter(md)
	doc := converter.Parser().Parse(text.NewReader(src))
	if h, ok := doc.FirstChild().(*ast.Heading); ok && h.Level == 1 {
		doc.RemoveChild(doc, h)
	}
	threadComments(doc, src)
	fixLinks(doc, src, known)
	showAttachedImages(doc, src)
	var b bytes.Buffer
	if err := converter.Renderer().Render(&b, src, doc); err != nil {
		return body{}, err
	}
	return body{HTML: b.Bytes(), Text: plainText(doc, src, maxText)}, nil
}

// stripFrontMatter drops the YAML front matter at the top of md.
func stripFrontMatter(md []byte) []byte {
	rest, ok := bytes.CutPrefix(md, []byte("---\n"))
	if !ok {
		return md
	}
	if bytes.HasPrefix(rest, []byte("---\n")) {
		return rest[4:]
	}
	if _, after, ok := bytes.Cut(rest, []byte("\n---\n")); ok {
		return after
	}
	return md
}

// fixLinks makes an embed of anything but a picture the site holds (or
// image data) a link to it, and a link whose destination is neither a
// file of the site (known says which; nil takes any) nor of a scheme
// that opens no script (http, https, mailto) its mere text.
func fixLinks(doc ast.Node, src []byte, known func(string) bool) {
	var unwrap, toLink []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if !goodDestination(n.Destination, known) {
				unwrap = append(unwrap, n)
			}
		case *ast.Image:
			switch {
			case !goodDestination(n.Destination, known):
				unwrap = append(unwrap, n)
			case !inlineImage(n.Destination):
				toLink = append(toLink, n)
			}
		case *ast.AutoLink:
			if !goodDestination(n.URL(src), known) {
				n.Parent().ReplaceChild(n.Parent(), n, rawText(n.Label(src)))
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range unwrap {
		parent := n.Parent()
		for c := n.FirstChild(); c != nil; c = n.FirstChild() {
			parent.InsertBefore(parent, n, c)
		}
		parent.RemoveChild(parent, n)
	}
	for _, n := range toLink {
		img := n.(*ast.Image)
		link := ast.NewLink()
		link.Destination, link.Title = img.Destination, img.Title
		for c := img.FirstChild(); c != nil; c = img.FirstChild() {
			link.AppendChild(link, c)
		}
		if !link.HasChildren() {
			// An embed without words reads as its file's name.
			name, err := url.PathUnescape(path.Base(string(img.Destination)))
			if err != nil {
				name = path.Base(string(img.Destination))
			}
			link.AppendChild(link, rawText([]byte(name)))
		}
		img.Parent().ReplaceChild(img.Parent(), img, link)
	}
}

// rawText is text shown as it is: HTML-escaped, nothing else read in it.
func rawText(s []byte) *ast.String {
	n := ast.NewString(s)
	n.SetRaw(true)
	return n
}

// goodDestination reports whether a link may lead to dest: a scheme that
// runs nothing, a fragment of the page, or a file of the site.
func goodDestination(dest []byte, known func(string) bool) bool {
	dest = unescape(dest) // as goldmark writes it
	if !safeDestination(dest) {
		return false
	}
	u, err := url.Parse(string(dest))
	switch {
	case err != nil:
		return false
	case u.Scheme != "" || u.Opaque != "":
		return true
	case u.Host != "" || strings.HasPrefix(u.Path, "/") || len(dest) == 0:
		return false
	case u.Path == "" || known == nil:
		return true
	}
	return known(u.Path)
}

// safeDestination reports whether a link's destination is relative or
// of a scheme that runs nothing. A browser drops spaces and control
// characters from a URL before it reads its scheme: so does this.
func safeDestination(dest []byte) bool {
	d := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, string(dest))
	i := strings.IndexAny(d, ":/?#")
	if i < 0 || d[i] != ':' {
		return true
	}
	switch strings.ToLower(d[:i]) {
	case "http", "https", "mailto":
		return true
	case "data":
		return strings.HasPrefix(strings.ToLower(d), "data:image/")
	}
	return false
}

var dataImage = regexp.MustCompile(`(?i)^data:image/(png|gif|jpeg|webp)[;,]`)

// inlineImage reports whether dest is a picture the site holds, or image
// data: what the pages' policy lets a browser show.
func inlineImage(dest []byte) bool {
	d := string(dest)
	if dataImage.MatchString(d) {
		return true
	}
	u, err := url.Parse(d)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/") || u.Path == "" {
		return false
	}
	return isImage(u.Path)
}

// unescape is Markdown text as a reader sees it: backslash escapes and
// character references resolved.
func unescape(s []byte) []byte {
	return util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(s)))
}

// plainText is the text of doc a reader sees, spaces for breaks, up to
// limit characters.
func plainText(doc ast.Node, src []byte, limit int) string {
	var b strings.Builder
	n := 0
	add := func(s []byte) {
		for len(s) > 0 && n < limit {
			r, size := utf8.DecodeRune(s)
			b.WriteRune(r)
			s = s[size:]
			n++
		}
	}
	space := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
			add([]byte(" "))
		}
	}
	_ = ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if n >= limit {
			return ast.WalkStop, nil
		}
		if node.Type() == ast.TypeBlock {
			space()
		}
		if !entering {
			return ast.WalkContinue, nil
		}
		switch node := node.(type) {
		case *ast.Text:
			add(unescape(node.Segment.Value(src)))
			if node.SoftLineBreak() || node.HardLineBreak() {
				space()
			}
		case *ast.String:
			add(node.Value)
		case *figureNode:
			add([]byte(node.name))
		case *ast.AutoLink:
			add(node.Label(src))
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			lines := node.Lines()
			for i := range lines.Len() {
				seg := lines.At(i)
				add(bytes.TrimRight(seg.Value(src), "\n"))
				space()
			}
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}
