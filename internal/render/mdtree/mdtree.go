package mdtree

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/aumo-cli/aumo/internal/mdtext"
	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Options are the markdown view's.
type Options struct {
	// Style is StyleObsidian (the default, for "") or StyleIndex.
	Style string
	// Wikilinks writes the links between items as Obsidian's
	// [[path|text]].
	Wikilinks bool
}

// New makes the markdown view, writing into out.
func New(out *render.Dir, opts Options) (render.View, error) {
	switch opts.Style {
	case "":
		opts.Style = StyleObsidian
	case StyleObsidian, StyleIndex:
	default:
		return nil, render.Usagef("unknown --style %q: use %s or %s", opts.Style, StyleObsidian, StyleIndex)
	}
	return &view{out: out, opts: opts}, nil
}

type view struct {
	out  *render.Dir
	opts Options
	c    *render.Catalog
	// places are where each item goes, by id; byNum by its place in
	// the catalog's reading order.
	places map[string]*place
	byNum  []*place
	// mark starts the stand-in destinations of links to items that
	// wikilinks replace.
	mark string
}

// place is where an item's files go.
type place struct {
	note  string
	dir   string
	files map[string]string
	num   int
}

// target is the file a link to the item leads to.
func (p *place) target() string {
	if p.note != "" {
		return p.note
	}
	return p.dir
}

// Begin names every file of the rendition from the catalog.
func (v *view) Begin(c *render.Catalog) error {
	v.c = c
	roots, nodes := tree(c)
	placed := Plan(v.opts.Style, roots)
	v.places = make(map[string]*place, len(c.Items))
	v.byNum = make([]*place, 0, len(c.Items))
	for i, it := range c.Items {
		pl := placed[nodes[i]]
		p := &place{note: pl.Note, dir: pl.Dir, files: pl.Files, num: i}
		v.places[it.ID] = p
		v.byNum = append(v.byNum, p)
	}
	return nil
}

// tree is the catalog's items as nodes: under the folder of their space
// (along the page tree; blog posts in Blog/) or of their project. nodes
// are the items' nodes, in the catalog's order.
func tree(c *render.Catalog) (roots, nodes []*Node) {
	groups := map[string]*Node{}
	blogs := map[string]*Node{}
	byID := map[string]*Node{}
	group := func(id, title string) *Node {
		g := groups[id]
		if g == nil {
			g = &Node{ID: id, Title: title, Kind: Group}
			groups[id] = g
			roots = append(roots, g)
		}
		return g
	}
	for _, sp := range c.Spaces {
		group("space:"+sp.ID, spaceName(sp))
	}
	for _, it := range c.Items {
		n := &Node{ID: it.ID, Title: it.Title, Kind: Note}
		for _, a := range it.Files {
			n.Files = append(n.Files, File{ID: a.ID, Name: a.Name})
		}
		byID[it.ID] = n
		nodes = append(nodes, n)
		var parent *Node
		switch it.Kind {
		case exportformat.KindIssue:
			n.Title = strings.TrimSpace(it.Key + " " + it.Title)
			parent = group("project:"+it.Project, it.Project)
		case exportformat.KindBlogpost:
			n.Title = blogTitle(it)
			space := group("space:"+it.Space, it.Space)
			if parent = blogs[it.Space]; parent == nil {
				parent = &Node{ID: "blog", Title: "Blog", Kind: Group}
				blogs[it.Space] = parent
				space.Children = append(space.Children, parent)
			}
		default:
			if it.Kind == exportformat.KindFolder {
				n.Kind = Folder
			}
			if parent = byID[it.Parent]; parent == nil || it.Parent == "" {
				parent = group("space:"+it.Space, it.Space)
			}
		}
		parent.Children = append(parent.Children, n)
	}
	return roots, nodes
}

func spaceName(sp *render.Space) string {
	if sp.Key != "" {
		return sp.Key
	}
	return sp.ID
}

// blogTitle is a blog post's name: its date, then its title.
func blogTitle(it *render.Item) string {
	if d := it.Created; len(d) >= len("2006-01-02") && isDate(d[:10]) {
		return strings.TrimSpace(d[:10] + " " + it.Title)
	}
	return it.Title
}

func isDate(s string) bool {
	for i := range len(s) {
		if i == 4 || i == 7 {
			if s[i] != '-' {
				return false
			}
		} else if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Attachment copies an attachment beside its item.
func (v *view) Attachment(it *render.Item, a *render.Attachment, r io.Reader) error {
	p := v.places[it.ID]
	if p == nil || p.files[a.ID] == "" {
		return nil
	}
	return v.out.CopyFile(p.files[a.ID], r, a.SHA256, a.Size)
}

// Item writes an item's Markdown.
func (v *view) Item(it *render.Item, doc []byte) error {
	p := v.places[it.ID]
	if p == nil || p.note == "" {
		return nil
	}
	links := render.Links{Item: v.itemLink, File: v.fileLink}
	if !v.opts.Wikilinks {
		return v.out.WriteFile(p.note, v.c.Markdown(it, doc, links))
	}
	v.mark = newMark(doc)
	md := v.c.Markdown(it, doc, links)
	return v.out.WriteFile(p.note, v.wikilinks(p, md))
}

// newMark is a prefix for stand-in destinations that doc does not hold.
func newMark(doc []byte) string {
	for {
		m := "aumo-" + strings.ToLower(rand.Text()) + "-"
		if !bytes.Contains(doc, []byte(m)) {
			return m
		}
	}
}

// itemLink is the link from one item's Markdown to another's.
func (v *view) itemLink(from, to *render.Item) string {
	f, t := v.places[from.ID], v.places[to.ID]
	switch {
	case f == nil || t == nil:
		return to.URL
	case v.opts.Wikilinks && t.note != "":
		return v.stand(t.num)
	}
	return relLink(f.note, t.target())
}

// fileLink is the path, not escaped, from an item's Markdown to its
// attachment.
func (v *view) fileLink(from *render.Item, a *render.Attachment) string {
	f := v.places[from.ID]
	if f == nil || f.files[a.ID] == "" {
		return a.Name
	}
	return relPath(f.note, f.files[a.ID])
}

// End writes the index.md of each folder, in the index style.
func (v *view) End() error {
	if v.opts.Style != StyleIndex {
		return nil
	}
	for _, it := range v.c.Items {
		if p := v.places[it.ID]; it.Kind == exportformat.KindFolder && p != nil && p.note != "" {
			if err := v.out.WriteFile(p.note, v.folderIndex(it, p)); err != nil {
				return err
			}
		}
	}
	return nil
}

// folderIndex is the index.md of a folder: its front matter, its title
// and a list of what it holds.
func (v *view) folderIndex(it *render.Item, p *place) []byte {
	space := it.Space
	if sp, ok := v.c.Space(it.Space); ok {
		space = sp.Key
	}
	var b strings.Builder
	b.WriteString(mdtext.FrontMatter([]mdtext.Field{
		{Key: "id", Value: it.ID}, {Key: "title", Value: it.Title}, {Key: "type", Value: it.Kind},
		{Key: "space", Value: space}, {Key: "created", Value: it.Created}, {Key: "author", Value: it.Author},
		{Key: "url", Value: it.URL}, {Key: "parent", Value: it.Parent},
	}))
	b.WriteString("\n" + mdtext.Heading(1, mdtext.Plain(it.Title)) + "\n")
	if len(it.Children) > 0 {
		b.WriteString("\n")
	}
	for _, child := range it.Children {
		c := v.places[child.ID]
		if c == nil {
			continue
		}
		if v.opts.Wikilinks && c.note != "" {
			b.WriteString("- " + wikilink(c.note, "", alias(child.Title), false) + "\n")
			continue
		}
		b.WriteString("- [" + mdtext.Plain(child.Title) + "](" + mdtext.LinkDest(relLink(p.note, c.target())) + ")\n")
	}
	return []byte(b.String())
}

// relPath is the path from the file at from to the file at to, both
// relative to DEST: "./" or "../" first, so that no reader takes it from
// the top of a vault.
func relPath(from, to string) string {
	dir := strings.Split(path.Dir(from), "/")
	if path.Dir(from) == "." {
		dir = nil
	}
	target := strings.Split(to, "/")
	i := 0
	for i < len(dir) && i < len(target)-1 && dir[i] == target[i] {
		i++
	}
	up := len(dir) - i
	if up == 0 {
		return "./" + strings.Join(target[i:], "/")
	}
	return strings.Repeat("../", up) + strings.Join(target[i:], "/")
}

// relLink is relPath as a link's destination: each segment escaped as a
// URL path's, "&" too (a Markdown destination reads character
// references).
func relLink(from, to string) string {
	segs := strings.Split(relPath(from, to), "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), "&", "%26")
	}
	return strings.Join(segs, "/")
}
