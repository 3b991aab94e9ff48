package render

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Item is what a view needs to know of an issue, a page, a blog post or a
// folder before it renders any: names, place in the tree, dates, people.
// The catalog holds one per item, never its body.
type Item struct {
	Kind  string // exportformat.KindIssue, KindPage, KindBlogpost or KindFolder
	ID    string
	Key   string // an issue's key
	Title string // a page's title; an issue's summary
	// Space is a page's, blog post's or folder's space id; Project an
	// issue's project key.
	Space   string
	Project string
	// Parent is the id of the page or folder above, when the export holds
	// it (else the item sits at the top of its space).
	Parent   string
	Position int64
	Created  string
	Updated  string
	Author   string // a page's author; an issue's reporter
	Version  int64
	Labels   []string
	URL      string
	Status   string
	// Jira's columns of the issue table.
	Type, Priority, Assignee string
	// Path is the export path of the item's own JSON.
	Path     string
	Files    []*Attachment
	Children []*Item // pages and folders below, in Confluence's order
	// Damaged says a file of the item does not match the index: the item
	// is left out of every view.
	Damaged bool
	// names are the attachments' names by id, as the item's JSON has
	// them, until the index is read.
	names map[string]string
	sha   string // of the item's JSON, as the index has it
}

// Attachment is an attachment file of an item, as the index lists it.
type Attachment struct {
	ID      string
	Name    string // the file's name less the attachment id
	Path    string // in the export: pages/<id>/attachments/<id>-<name>
	MediaID string
	Size    int64
	SHA256  string // lower-case hex, as the index has it
	item    *Item
}

// Space is a Confluence space of the export.
type Space struct {
	ID, Key, Name string
	URL           string
	Homepage      string
	Top           []*Item // pages, folders at the top of the tree
	Blogposts     []*Item // newest first
}

// Problem is a file that does not match the index.
type Problem struct {
	Path   string
	Item   string // the id of the item left out
	Reason string
}

// Catalog is an export's items, spaces and fields, read in a first pass
// over the export, with every file hashed against the index.
type Catalog struct {
	// Manifest is the export's manifest, its lists cut short: Lengths
	// counts them.
	Manifest exportformat.Summary
	// Fields is a Jira export's fields.json, parsed.
	Fields []jira.Field
	// Items are every intact item, in reading order: Jira's by project
	// and key number, Confluence's by space, then depth first along the
	// page tree, then blog posts newest first.
	Items  []*Item
	Spaces []*Space
	// Problems are the files that do not match the index.
	Problems []Problem
	// Files counts the index's files.
	Files int

	byID  map[string]*Item
	files map[string]*Attachment
	// want is, for a path a tarball holds more than once, which of its
	// entries (0 for the first) is the export's.
	want    map[string]int
	byKey   map[string]*Item
	byPath  map[string]*Item
	byTitle map[string]*Item // space key \x00 title → page
	spaces  map[string]*Space
}

// ErrNoJSON reports an export written with --format md alone: it has no
// JSON to render from.
var ErrNoJSON = errors.New("the export holds no JSON (it was written with --format md): render needs the JSON; export again with --format json,md")

// FormatError reports an export of a format this aumo cannot read.
type FormatError struct{ Format string }

func (e *FormatError) Error() string {
	return fmt.Sprintf("the export's format is %q; this aumo reads %q: use a newer aumo", e.Format, exportformat.Format)
}

// Item returns the item with id, if the export holds it intact.
func (c *Catalog) Item(id string) (*Item, bool) {
	it, ok := c.byID[id]
	return it, ok && !it.Damaged
}

// Issue returns the issue with key, if the export holds it intact.
func (c *Catalog) Issue(key string) (*Item, bool) {
	it, ok := c.byKey[key]
	return it, ok && !it.Damaged
}

// Space returns the space with id.
func (c *Catalog) Space(id string) (*Space, bool) {
	sp, ok := c.spaces[id]
	return sp, ok
}

// Unfinished says why the export is not a finished, complete one: ""
// when it is.
func (c *Catalog) Unfinished() string {
	m := c.Manifest
	switch {
	case m.Incremental != nil && m.Incremental.Running:
		return "an incremental run over this export did not finish: items it was updating may be missing or old"
	case m.FinishedAt.IsZero():
		return "this export did not finish: it holds only the items written before it stopped"
	case !m.Complete:
		return fmt.Sprintf("%d items failed in this export and are missing (the manifest lists them)", m.Lengths.Failed)
	}
	return ""
}

// entry is what pass one saw of a file of the export: its size and hash,
// and what it holds when it is an item's, a space's or the fields' JSON.
// A tarball may hold a path more than once: the index says which entry
// is the export's.
type entry struct {
	size    int64
	sum     [sha256.Size]byte
	item    *Item
	space   *Space
	fields  []byte
	notJSON string
}

// Load reads the export once: it hashes every file, keeps the metadata of
// every item, space and folder, and checks all of it against the index.
// Only what the index lists, as it lists it, is in the catalog.
func Load(ctx context.Context, e *exportformat.Export) (*Catalog, error) {
	c := &Catalog{
		byID: map[string]*Item{}, byKey: map[string]*Item{}, byPath: map[string]*Item{},
		byTitle: map[string]*Item{}, spaces: map[string]*Space{}, files: map[string]*Attachment{},
		want: map[string]int{},
	}
	if e.Archive() == "" {
		// A directory's manifest costs nothing to read first.
		if err := c.readManifest(e); err != nil {
			return nil, err
		}
	}
	entries := map[string][]*entry{}
	err := e.Walk(ctx, func(f *exportformat.File) error {
		if !f.Mode.IsRegular() || len(f.Path) > exportformat.MaxPath {
			return nil // no file of an export: the index cannot name it
		}
		h := sha256.New()
		r := &countingReader{r: io.TeeReader(f, h)}
		en, err := readEntry(f.Path, r)
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			return fmt.Errorf("read %s: %w", f.Path, err)
		}
		en.size, en.sum = r.n, sum(h)
		entries[f.Path] = append(entries[f.Path], en)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := c.readManifest(e); err != nil {
		return nil, err
	}
	index, _, err := e.Index()
	if err != nil {
		return nil, err
	}
	if err := c.check(index, entries); err != nil {
		return nil, err
	}
	c.arrange()
	return c, nil
}

// readManifest reads the manifest, and refuses a format this aumo does
// not know.
func (c *Catalog) readManifest(e *exportformat.Export) error {
	m, err := e.Summary()
	if err != nil {
		return err
	}
	if m.Format != exportformat.Format {
		return &FormatError{Format: m.Format}
	}
	c.Manifest = *m
	return nil
}

func sum(h hash.Hash) (s [sha256.Size]byte) {
	h.Sum(s[:0])
	return s
}

// Render holds an item's JSON whole (its views need it) and a Jira
// export's fields.json; a larger one is damage, left out of every view.
// Both are many times what an export holds: an issue's JSON is 268 KiB
// at most in the sandbox's demo export (aumo demo), a few MiB for an
// issue of thousands of comments and changes; its fields.json is 9 KiB,
// a few MiB for a site of thousands of custom fields.
const (
	maxItemJSON   = 64 << 20
	maxFieldsJSON = 16 << 20
)

// readEntry reads what the catalog keeps of a file: an item's, a
// space's or a folder's metadata, or the fields.
func readEntry(p string, r *countingReader) (*entry, error) {
	en := &entry{}
	if p == exportformat.FieldsName {
		b, err := io.ReadAll(io.LimitReader(r, maxFieldsJSON+1))
		if len(b) > maxFieldsJSON {
			en.notJSON = tooLarge(maxFieldsJSON)
			return en, err
		}
		en.fields = b
		return en, err
	}
	kind, id := itemOfPath(p)
	if kind == "" {
		return en, nil
	}
	var doc rawItem
	if err := json.NewDecoder(io.LimitReader(r, maxItemJSON+1)).Decode(&doc); err != nil {
		en.notJSON = "not JSON: " + err.Error()
		if r.n > maxItemJSON {
			en.notJSON = tooLarge(maxItemJSON)
		}
		return en, nil
	}
	if kind == exportformat.KindSpace {
		en.space = &Space{ID: id, Key: doc.Key, Name: doc.Name, URL: doc.Links.WebUI, Homepage: str(doc.HomepageID)}
		return en, nil
	}
	en.item = doc.item(kind, id)
	en.item.Path = p
	return en, nil
}

// tooLarge is why a file larger than render reads is left out.
func tooLarge(limit int64) string {
	return fmt.Sprintf("larger than %d MiB, more than render reads", limit>>20)
}

// itemOfPath tells an item's own JSON, a space's or a folder's from the
// export's other files.
func itemOfPath(p string) (kind, id string) {
	parts := strings.Split(p, "/")
	switch {
	case len(parts) == 3 && exportformat.HasMarkdown(strings.TrimSuffix(parts[0], "s")):
		kind = strings.TrimSuffix(parts[0], "s")
		if parts[2] != kind+".json" {
			return "", ""
		}
		return kind, parts[1]
	case len(parts) == 2 && (parts[0] == "spaces" || parts[0] == "folders") && strings.HasSuffix(parts[1], ".json"):
		return strings.TrimSuffix(parts[0], "s"), strings.TrimSuffix(parts[1], ".json")
	}
	return "", ""
}

// check compares what was read with the index: the entry of each path
// that matches its line is the export's; a file missing or unlike its
// line, or an item's file the index does not list, leaves its item out.
// Attachments join their items.
func (c *Catalog) check(index []exportformat.IndexLine, entries map[string][]*entry) error {
	jsonLines, mdLines := 0, 0
	chosen := make(map[string]*entry, len(index))
	listed := make(map[string]bool, len(index))
	for _, l := range index {
		c.Files++
		listed[l.Path] = true
		switch l.Kind {
		case exportformat.KindMarkdown:
			mdLines++
		case exportformat.KindIssue, exportformat.KindPage, exportformat.KindBlogpost:
			jsonLines++
		}
		en, reason := c.choose(l, entries[l.Path])
		if reason != "" {
			c.Problems = append(c.Problems, Problem{Path: l.Path, Item: cmp.Or(l.Item, l.ID), Reason: reason})
			continue
		}
		chosen[l.Path] = en
		c.take(l, en)
	}
	c.unlisted(entries, listed)
	for _, l := range index {
		if en := chosen[l.Path]; en != nil && l.Kind == exportformat.KindAttachment {
			c.attach(l)
		}
	}
	for _, it := range c.byID {
		it.names = nil
	}
	for _, p := range c.Problems {
		if it := c.byID[p.Item]; it != nil {
			it.Damaged = true
		}
	}
	if jsonLines == 0 && mdLines > 0 {
		return ErrNoJSON
	}
	return nil
}

// choose finds the entry of a path that matches its index line; when
// none does, it says why.
func (c *Catalog) choose(l exportformat.IndexLine, seen []*entry) (*entry, string) {
	for i, en := range seen {
		if mismatch(l, en) == "" {
			if len(seen) > 1 {
				c.want[l.Path] = i
			}
			if en.notJSON != "" {
				return nil, en.notJSON
			}
			return en, ""
		}
	}
	if len(seen) == 0 {
		return nil, "missing"
	}
	return nil, mismatch(l, seen[0])
}

// take keeps what the chosen entry of an index line holds.
func (c *Catalog) take(l exportformat.IndexLine, en *entry) {
	switch {
	case en.item != nil:
		en.item.sha = l.SHA256
		c.byID[en.item.ID] = en.item
		c.byPath[l.Path] = en.item
	case en.space != nil:
		c.spaces[en.space.ID] = en.space
	case en.fields != nil && l.Kind == exportformat.KindFields:
		fields, err := jira.ParseFields(en.fields)
		if err != nil {
			c.Problems = append(c.Problems, Problem{Path: l.Path, Reason: err.Error()})
		}
		c.Fields = fields
	}
}

// unlisted names the items' files the index does not list: no part of
// the export, they are left out.
func (c *Catalog) unlisted(entries map[string][]*entry, listed map[string]bool) {
	var paths []string
	for p, seen := range entries {
		if !listed[p] && seen[0].item != nil {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		c.Problems = append(c.Problems, Problem{Path: p, Reason: "not in the index: no part of the export"})
	}
}

// attach adds an attachment line's file to its item.
func (c *Catalog) attach(l exportformat.IndexLine) {
	it := c.byID[cmp.Or(l.Item, l.ID)]
	if it == nil {
		return
	}
	name, ok := it.names[l.ID]
	if !ok {
		name = strings.TrimPrefix(path.Base(l.Path), l.ID+"-")
	}
	a := &Attachment{ID: l.ID, Name: name, Path: l.Path, MediaID: l.MediaID, Size: l.Size, SHA256: l.SHA256, item: it}
	it.Files = append(it.Files, a)
	c.files[l.Path] = a
}

// mismatch says how a file differs from its index line, or "".
func mismatch(l exportformat.IndexLine, en *entry) string {
	switch {
	case en.size != l.Size:
		return fmt.Sprintf("%d bytes, the index says %d", en.size, l.Size)
	case hex.EncodeToString(en.sum[:]) != l.SHA256:
		return "its sha256 differs from the index's"
	}
	return ""
}

// arrange orders the items for reading and builds the page tree.
func (c *Catalog) arrange() {
	var items []*Item
	for _, it := range c.byID {
		if it.Damaged {
			continue
		}
		items = append(items, it)
		if it.Key != "" {
			c.byKey[it.Key] = it
		}
	}
	site := strings.TrimSuffix(c.Manifest.Site.URL, "/")
	for _, it := range items {
		it.URL = itemURL(site, it)
	}
	for _, sp := range c.spaces {
		if sp.URL != "" && site != "" {
			sp.URL = site + "/wiki" + sp.URL
		}
	}
	if c.Manifest.Product == "jira" {
		slices.SortFunc(items, byKey)
		c.Items = items
		return
	}
	for _, sp := range c.spaces {
		c.Spaces = append(c.Spaces, sp)
	}
	slices.SortFunc(c.Spaces, func(a, b *Space) int { return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.ID, b.ID)) })
	slices.SortFunc(items, func(a, b *Item) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.Title, b.Title), cmp.Compare(len(a.ID), len(b.ID)), cmp.Compare(a.ID, b.ID))
	})
	for _, it := range items {
		c.breakCycle(it)
	}
	for _, it := range items {
		c.inheritSpace(it)
	}
	for _, it := range items {
		c.place(it)
	}
	for _, sp := range c.Spaces {
		slices.SortStableFunc(sp.Blogposts, func(a, b *Item) int { return cmp.Compare(b.Created, a.Created) })
		c.Items = appendTree(c.Items, sp.Top)
		c.Items = append(c.Items, sp.Blogposts...)
	}
}

// itemURL is where the item lives on the site.
func itemURL(site string, it *Item) string {
	switch {
	case site == "":
		return ""
	case it.Key != "":
		return site + "/browse/" + it.Key
	case it.URL != "":
		return site + "/wiki" + it.URL
	}
	return ""
}

// breakCycle puts an item whose parents lead back to it at the top of
// its space, so that no item is left out of the tree.
func (c *Catalog) breakCycle(it *Item) {
	seen := map[string]bool{it.ID: true}
	for p, ok := c.Item(it.Parent); ok; p, ok = c.Item(p.Parent) {
		if p.ID == it.ID {
			it.Parent = ""
			return
		}
		if seen[p.ID] {
			return // a cycle above it, broken when its own item comes
		}
		seen[p.ID] = true
	}
}

// inheritSpace gives a folder, which Confluence gives no space id, the
// space of the first item above it that has one.
func (c *Catalog) inheritSpace(it *Item) {
	seen := map[string]bool{}
	for p := it; it.Space == "" && p != nil && !seen[p.ID]; p = c.byID[p.Parent] {
		seen[p.ID] = true
		it.Space = p.Space
	}
}

// place hangs an item under its parent, or at the top of its space.
func (c *Catalog) place(it *Item) {
	sp := c.spaces[it.Space]
	if sp == nil {
		sp = &Space{ID: it.Space, Key: it.Space, Name: "Space " + it.Space}
		c.spaces[it.Space] = sp
		c.Spaces = append(c.Spaces, sp)
	}
	if it.Kind == exportformat.KindPage {
		c.byTitle[sp.Key+"\x00"+it.Title] = it
	}
	switch parent, ok := c.Item(it.Parent); {
	case it.Kind == exportformat.KindBlogpost:
		sp.Blogposts = append(sp.Blogposts, it)
	case ok && parent != it && (parent.Kind == exportformat.KindPage || parent.Kind == exportformat.KindFolder):
		parent.Children = append(parent.Children, it)
	default:
		it.Parent = ""
		sp.Top = append(sp.Top, it)
	}
}

func appendTree(dst, items []*Item) []*Item {
	for _, it := range items {
		dst = append(dst, it)
		dst = appendTree(dst, it.Children)
	}
	return dst
}

// byKey orders issues by project, then key number.
func byKey(a, b *Item) int {
	pa, na := splitKey(a.Key)
	pb, nb := splitKey(b.Key)
	return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(na, nb), cmp.Compare(a.ID, b.ID))
}

func splitKey(key string) (string, int) {
	i := strings.LastIndexByte(key, '-')
	if i < 0 {
		return key, 0
	}
	n, _ := strconv.Atoi(key[i+1:])
	return key[:i], n
}

// Ancestors are the titles above an item in its space's tree, top first.
func (c *Catalog) Ancestors(it *Item) []*Item {
	var up []*Item
	seen := map[string]bool{it.ID: true}
	for p, ok := c.Item(it.Parent); ok && !seen[p.ID]; p, ok = c.Item(p.Parent) {
		seen[p.ID] = true
		up = append(up, p)
	}
	slices.Reverse(up)
	return up
}

type countingReader struct {
	r io.Reader
	n int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	return n, err
}
