package mdtree

import (
	"path"
	"slices"
)

// Styles of the layout.
const (
	// StyleObsidian writes a page with children as Page.md beside the
	// folder Page/.
	StyleObsidian = "obsidian"
	// StyleIndex writes a page with children, or with attachments, as
	// Page/index.md.
	StyleIndex = "index"
)

// Kind tells what a Node stands for.
type Kind int

const (
	// Note is an item with a body: a page, a blog post, an issue.
	Note Kind = iota
	// Folder is an item without one: a Confluence folder.
	Folder
	// Group is a folder the layout makes: a space's, a project's, the
	// blog's. Its name is kept as it is unless another group's clashes.
	Group
)

// Node is an item, or a folder, to lay out.
type Node struct {
	// ID tells the node apart: it is appended to a name that has to
	// be told apart from another, or that was cut. Unique in a layout.
	ID       string
	Title    string // what the name is made of
	Kind     Kind
	Files    []File
	Children []*Node
}

// File is an attachment of a node.
type File struct{ ID, Name string }

// Place is where a node's files go, each a /-separated path relative to
// DEST.
type Place struct {
	// Note is the node's Markdown: "" for a group, and for a folder in
	// the obsidian style.
	Note string
	// Dir is the folder named after the node, which holds its children
	// (and, in the index style, its index.md and attachments/). It is
	// only written when something goes in it.
	Dir string
	// Files are the paths of its attachments, by id.
	Files map[string]string
}

// Plan lays out the nodes under roots, in the given style: it names
// every node and file, deterministically, from the tree alone.
func Plan(style string, roots []*Node) map[*Node]*Place {
	p := &planner{index: style == StyleIndex, places: map[*Node]*Place{}, taken: map[string]map[string]bool{}}
	p.folder("", "", roots, nil)
	return p.places
}

type planner struct {
	index  bool
	places map[*Node]*Place
	// taken are the names in each folder, folded.
	taken map[string]map[string]bool
}

// folder names the nodes in dir and lays out what is below them. top is
// the folder of the space or project the nodes are in ("" for the
// roots): a node that has no room left in dir moves up to it.
func (p *planner) folder(dir, top string, nodes []*Node, reserved []string) {
	avail := MaxPath
	if dir != "" {
		avail -= Units(dir) + 1
	}
	var here, moved []*Node
	var reqs []nameReq
	for _, n := range nodes {
		r := p.nodeReq(n, avail)
		if top != "" && dir != top && !r.fits() {
			moved = append(moved, n)
			continue
		}
		here = append(here, n)
		reqs = append(reqs, r)
	}
	stems := p.names(dir, reqs, reserved)
	for i, n := range here {
		p.place(dir, top, n, stems[i])
	}
	// Too deep: the node and all below it go to the top of the space,
	// the id appended to the name.
	topAvail := MaxPath - Units(top) - 1
	for _, n := range moved {
		r := p.nodeReq(n, topAvail)
		r.level = 1
		p.place(top, top, n, p.names(top, []nameReq{r}, nil)[0])
	}
}

// reserve is the room a node needs after its name.
func (p *planner) reserve(n *Node) int {
	r := len(".md")
	if p.index && p.ownsDir(n) {
		r = len("/index.md")
	}
	if len(n.Files) > 0 {
		r = max(r, len(".attachments/")+attMin)
	}
	if len(n.Children) > 0 || n.Kind != Note {
		r = max(r, len("/")+minStem+len(".md"))
	}
	return r
}

// ownsDir says the node's Markdown is index.md in its own folder.
func (p *planner) ownsDir(n *Node) bool {
	return p.index && n.Kind != Group && (n.Kind == Folder || len(n.Children) > 0 || len(n.Files) > 0)
}

func (p *planner) nodeReq(n *Node, avail int) nameReq {
	units := min(MaxTitle, avail-p.reserve(n))
	if n.Kind == Group {
		units = min(maxGroup, units)
	}
	return nameReq{
		base: Name(n.Title), id: Name(n.ID), fixed: n.Kind == Group,
		units: units, bytes: maxStemBytes, entries: p.entries(n),
	}
}

// entries are what a node named stem puts in its parent's folder.
func (p *planner) entries(n *Node) func(stem string) []string {
	switch {
	case n.Kind == Group || p.ownsDir(n):
		return func(stem string) []string { return []string{stem} }
	case p.index:
		return func(stem string) []string { return []string{stem + ".md"} }
	}
	// In the obsidian style N.md is the note of the folder N/ beside it:
	// a note claims the folder's name even when it has no children.
	files := len(n.Files) > 0
	note := n.Kind == Note
	return func(stem string) []string {
		e := []string{stem}
		if note {
			e = append(e, stem+".md")
		}
		if files {
			e = append(e, stem+".attachments")
		}
		return e
	}
}

// place records where the node named stem in dir goes, and lays out its
// attachments and children.
func (p *planner) place(dir, top string, n *Node, stem string) {
	d := path.Join(dir, stem)
	pl := &Place{Dir: d}
	p.places[n] = pl
	files := d + ".attachments"
	var inside []string
	switch {
	case p.ownsDir(n):
		pl.Note = d + "/index.md"
		files = d + "/attachments"
		inside = []string{"index.md", "attachments"}
	case n.Kind == Note:
		pl.Note = path.Join(dir, stem+".md")
	}
	if len(n.Files) > 0 {
		pl.Files = p.files(files, n.Files)
	}
	if top == "" {
		top = d
	}
	p.folder(d, top, n.Children, inside)
}

// files names the attachments in the folder dir.
func (p *planner) files(dir string, files []File) map[string]string {
	avail := MaxPath - Units(dir) - 1
	reqs := make([]nameReq, len(files))
	for i, f := range files {
		base, ext := splitExt(FileName(f.Name))
		reqs[i] = nameReq{base: base, ext: ext, id: Name(f.ID), units: avail, bytes: MaxComponent}
	}
	names := p.names(dir, reqs, nil)
	out := make(map[string]string, len(files))
	for i, f := range files {
		out[f.ID] = dir + "/" + names[i]
	}
	return out
}

// nameReq is a name to be given in a folder.
type nameReq struct {
	base, ext, id string
	units, bytes  int
	// fixed keeps the name as it is when no other fixed one clashes.
	fixed bool
	// entries are the names in the folder that the name stands for; nil
	// for the name itself.
	entries func(string) []string
	// level is 0 for the name alone, 1 with the id appended, n > 1
	// with "-n" after the id.
	level int
}

// fits says the name keeps at least minStem of the title (all of a
// shorter one), even with the id appended.
func (r *nameReq) fits() bool {
	return r.units >= min(Units(r.base), minStem)+Units(" ("+r.id+")")
}

func (r *nameReq) name() string {
	s, added := suffixed(r.base, r.id, r.ext, r.level, r.units, r.bytes)
	if added && r.level == 0 {
		r.level = 1
	}
	return s
}

func (r *nameReq) claims(name string) []string {
	if r.entries == nil {
		return []string{name}
	}
	return r.entries(name)
}

// names gives each request its name in dir: a name that clashes with
// another (or with one taken before, or reserved), compared as
// case-insensitive file systems do, gets the id appended; every name of a
// clash does, so that none depends on the order of the requests. It
// records the names as taken in dir.
func (p *planner) names(dir string, reqs []nameReq, reserved []string) []string {
	taken := p.taken[dir]
	if taken == nil {
		taken = map[string]bool{}
		p.taken[dir] = taken
	}
	for _, r := range reserved {
		taken[fold(r)] = true
	}
	names := make([]string, len(reqs))
	for range 64 {
		owners := map[string][]int{}
		for i := range reqs {
			names[i] = reqs[i].name()
			for _, e := range reqs[i].claims(names[i]) {
				k := fold(e)
				if o := owners[k]; len(o) == 0 || o[len(o)-1] != i {
					owners[k] = append(o, i)
				}
			}
		}
		if !settle(reqs, owners, taken) {
			break
		}
	}
	for i := range reqs {
		for _, e := range reqs[i].claims(names[i]) {
			taken[fold(e)] = true
		}
	}
	return names
}

// settle raises the level of the requests whose names clash, from the
// levels they had before, and reports whether any changed.
func settle(reqs []nameReq, owners map[string][]int, taken map[string]bool) bool {
	next := make([]int, len(reqs))
	for i := range reqs {
		next[i] = reqs[i].level
	}
	for k, own := range owners {
		if len(own) < 2 && !taken[k] {
			continue
		}
		raise(reqs, own, taken[k], next)
	}
	changed := false
	for i := range reqs {
		if next[i] != reqs[i].level {
			reqs[i].level = next[i]
			changed = true
		}
	}
	return changed
}

// raise proposes the next levels of the owners of one clashing name.
func raise(reqs []nameReq, own []int, taken bool, next []int) {
	fixed := 0
	for _, i := range own {
		if reqs[i].fixed {
			fixed++
		}
	}
	plain := false
	for _, i := range own {
		lone := reqs[i].fixed && fixed == 1 && !taken
		if reqs[i].level == 0 && !lone {
			next[i] = max(next[i], 1)
			plain = true
		}
	}
	if plain {
		return
	}
	// Names that still clash with their ids (a title that reads like
	// another's name and id): all but the first get a number.
	own = slices.Clone(own)
	slices.Sort(own)
	if !taken {
		own = own[1:]
	}
	for _, i := range own {
		next[i] = max(next[i], reqs[i].level+1)
	}
}
