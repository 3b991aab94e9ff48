package mdtree

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/rendertest"
	"github.com/aumo-cli/aumo/pkg/exportformat"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

var variants = []Options{
	{Style: StyleObsidian},
	{Style: StyleObsidian, Wikilinks: true},
	{Style: StyleIndex},
	{Style: StyleIndex, Wikilinks: true},
}

// TestRender renders a Confluence and a Jira export in each style, with
// and without wikilinks, and checks what a user of the folder would:
// every item once under its title, safe paths, links and embeds that
// resolve, attachments copied whole, front matter kept; then renders again
// into the same folder (nothing written) and into another (the same
// files).
func TestRender(t *testing.T) {
	exports := map[string]string{
		"confluence": rendertest.Confluence(t, 50),
		"jira":       rendertest.Jira(t, 50),
	}
	for product, export := range exports {
		for _, opts := range variants {
			name := product + "/" + opts.Style
			if opts.Wikilinks {
				name += "+wikilinks"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dest := filepath.Join(t.TempDir(), "out")
				v, c, d := renderInto(t, export, dest, opts)
				if d.Written == 0 {
					t.Fatal("nothing written")
				}
				files := written(t, dest)
				checkPaths(t, files)
				checkItems(t, c, v, dest, files, opts)
				if opts.Style == StyleObsidian {
					checkFolderNotes(t, c, v)
				}
				checkLinks(t, dest, files, opts.Wikilinks)
				checkAttachments(t, c, v, export, dest)
				checkAgain(t, export, dest, opts, files)
			})
		}
	}
}

// renderInto renders the export into dest.
func renderInto(t *testing.T, export, dest string, opts Options) (*view, *render.Catalog, *render.Dir) {
	t.Helper()
	d, err := render.OpenDir(dest, "markdown")
	if err != nil {
		t.Fatal(err)
	}
	rv, err := New(d, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := rendertest.Render(t, export, rv)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return rv.(*view), c, d
}

// written lists the files under dest, but render's record.
func written(t *testing.T, dest string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dest, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		if rel != render.RecordName {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

var (
	frontID  = regexp.MustCompile(`(?m)^id: "?([^"\n]+)"?$`)
	frontURL = regexp.MustCompile(`(?m)^url: (.+)$`)
)

// checkItems finds every item of the catalog in exactly one Markdown
// file, named after its title, with its id and URL in the front matter; a
// folder as a folder (and its index.md in the index style).
func checkItems(t *testing.T, c *render.Catalog, v *view, dest string, files []string, opts Options) {
	t.Helper()
	byID := map[string][]string{}
	for _, f := range files {
		if !strings.HasSuffix(f, ".md") {
			continue
		}
		md, err := os.ReadFile(filepath.Join(dest, f))
		if err != nil {
			t.Fatal(err)
		}
		front := md[:bodyStart(md)]
		m := frontID.FindSubmatch(front)
		if m == nil {
			t.Errorf("%s: no id in its front matter", f)
			continue
		}
		id := string(m[1])
		byID[id] = append(byID[id], f)
		it, ok := c.Item(id)
		if !ok {
			t.Errorf("%s: id %s is no item of the export", f, id)
			continue
		}
		if u := frontURL.FindSubmatch(front); it.URL != "" && (u == nil || !strings.Contains(string(u[1]), it.URL)) {
			t.Errorf("%s: url %q, want %s", f, u, it.URL)
		}
	}
	notes, folders := 0, 0
	for _, it := range c.Items {
		got := byID[it.ID]
		if it.Kind == exportformat.KindFolder {
			folders++
			checkFolder(t, it, v, dest, got, opts)
			continue
		}
		notes++
		if len(got) != 1 {
			t.Errorf("%s %s %q: in %d files %q", it.Kind, it.ID, it.Title, len(got), got)
			continue
		}
		checkName(t, c, it, got[0], opts)
	}
	if notes < 40 || len(byID) < notes {
		t.Errorf("%d items, %d files with an id", notes, len(byID))
	}
	if c.Manifest.Product == "confluence" && folders == 0 {
		t.Error("no folder in the export")
	}
}

// checkFolder finds a folder item as a folder of the rendition; in the
// index style with its index.md, which lists what it holds.
func checkFolder(t *testing.T, it *render.Item, v *view, dest string, got []string, opts Options) {
	t.Helper()
	dir := v.places[it.ID].dir
	if info, err := os.Stat(filepath.Join(dest, dir)); len(it.Children) > 0 && (err != nil || !info.IsDir()) {
		t.Errorf("folder %s %q: %s is no folder", it.ID, it.Title, dir)
	}
	if opts.Style == StyleObsidian {
		if len(got) != 0 {
			t.Errorf("folder %s: Markdown %q", it.ID, got)
		}
		return
	}
	if len(got) != 1 || got[0] != dir+"/index.md" {
		t.Errorf("folder %s %q: %q, want %s/index.md", it.ID, it.Title, got, dir)
		return
	}
	md, _ := os.ReadFile(filepath.Join(dest, got[0]))
	if n := bytes.Count(md, []byte("\n- [")); n != len(it.Children) {
		t.Errorf("%s lists %d of %d children:\n%s", got[0], n, len(it.Children), md)
	}
}

// checkName finds the item's file named after its title (cut, with the
// id appended, when need be), under its space's or project's folder.
func checkName(t *testing.T, c *render.Catalog, it *render.Item, file string, opts Options) {
	t.Helper()
	stem := strings.TrimSuffix(path.Base(file), ".md")
	indexed := opts.Style == StyleIndex && (len(it.Children) > 0 || len(it.Files) > 0)
	if indexed {
		if path.Base(file) != "index.md" {
			t.Errorf("%s %q (%d children, %d files): %s, want an index.md", it.Kind, it.Title, len(it.Children), len(it.Files), file)
		}
		stem = path.Base(path.Dir(file))
	}
	title, top := it.Title, it.Project
	switch it.Kind {
	case exportformat.KindIssue:
		title = it.Key + " " + it.Title
	case exportformat.KindBlogpost:
		title = blogTitle(it)
		if path.Base(path.Dir(file)) != "Blog" {
			t.Errorf("blog post %s: %s is not in Blog/", it.ID, file)
		}
	}
	if sp, ok := c.Space(it.Space); ok && it.Kind != exportformat.KindIssue {
		top = sp.Key
	}
	if !strings.HasPrefix(file, Name(top)+"/") {
		t.Errorf("%s %s: %s is not under %s/", it.Kind, it.ID, file, Name(top))
	}
	want := Name(title)
	short := strings.TrimSuffix(stem, " ("+Name(it.ID)+")")
	if stem != want && (short == stem || !strings.HasPrefix(want, short) || Units(short) < min(Units(want), minStem)) {
		t.Errorf("%s %q: named %q, want %q", it.Kind, it.Title, stem, want)
	}
}

var wikilinkRe = regexp.MustCompile(`\[\[([^\]|#\\]+)(#[^\]|\\]*)?(\\?\|[^\]]*)?\]\]`)

// checkLinks follows every relative link and image of every Markdown
// file, and every wikilink, to a file of the rendition.
func checkLinks(t *testing.T, dest string, files []string, wikilinks bool) {
	t.Helper()
	have := map[string]bool{}
	for _, f := range files {
		have[f] = true
	}
	links, images, wikis := 0, 0, 0
	for _, f := range files {
		if !strings.HasSuffix(f, ".md") {
			continue
		}
		md, _ := os.ReadFile(filepath.Join(dest, f))
		if regexp.MustCompile(`aumo-[a-z0-9]{26}-`).Match(md) {
			t.Errorf("%s: a stand-in is left", f)
		}
		body := md[bodyStart(md):]
		_ = ast.Walk(gfm.Parse(text.NewReader(body)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			var d []byte
			switch n := n.(type) {
			case *ast.Link:
				d = n.Destination
			case *ast.Image:
				d = n.Destination
				images++
			default:
				return ast.WalkContinue, nil
			}
			if u, err := url.Parse(string(d)); err == nil && (u.Scheme != "" || strings.HasPrefix(string(d), "#")) {
				return ast.WalkContinue, nil
			}
			links++
			checkLink(t, f, string(d), have)
			return ast.WalkContinue, nil
		})
		for _, m := range wikilinkRe.FindAllSubmatch(body, -1) {
			wikis++
			target := string(m[1])
			if !strings.HasSuffix(target, ".md") {
				target += ".md"
			}
			if !have[target] {
				t.Errorf("%s: wikilink %s leads nowhere", f, m[0])
			}
		}
	}
	if links == 0 || images == 0 {
		t.Errorf("%d relative links, %d images", links, images)
	}
	if wikilinks != (wikis > 0) {
		t.Errorf("wikilinks %v: %d written", wikilinks, wikis)
	}
}

// checkLink follows the relative link d of the file f.
func checkLink(t *testing.T, f, d string, have map[string]bool) {
	t.Helper()
	p, _, _ := strings.Cut(d, "#")
	if !strings.HasPrefix(p, "./") && !strings.HasPrefix(p, "../") {
		t.Errorf("%s: link %q does not start with ./ or ../", f, d)
	}
	p, err := url.PathUnescape(p)
	if err != nil {
		t.Errorf("%s: link %q: %v", f, d, err)
		return
	}
	target := path.Join(path.Dir(f), p)
	if strings.HasPrefix(target, "../") || !have[target] {
		t.Errorf("%s: link %q leads to %s, no file of the rendition", f, d, target)
	}
}

// checkAttachments finds every attachment copied whole beside its item.
func checkAttachments(t *testing.T, c *render.Catalog, v *view, export, dest string) {
	t.Helper()
	n := 0
	for _, it := range c.Items {
		p := v.places[it.ID]
		for _, a := range it.Files {
			copied := p.files[a.ID]
			if path.Dir(copied) != p.dir+".attachments" && path.Dir(copied) != p.dir+"/attachments" {
				t.Errorf("%s: attachment %s at %s, not beside %s", it.ID, a.Name, copied, p.note)
			}
			got, err := os.ReadFile(filepath.Join(dest, copied))
			want, _ := os.ReadFile(filepath.Join(export, a.Path))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: %s is not %s (%v)", it.ID, copied, a.Path, err)
			}
			n++
		}
	}
	if n == 0 {
		t.Error("no attachment in the export")
	}
}

// checkAgain renders again into dest, with a user's own files added:
// nothing is written, nothing removed, the user's files stay; and into a
// new folder: the same files, byte for byte.
func checkAgain(t *testing.T, export, dest string, opts Options, files []string) {
	t.Helper()
	sums := func(dir string, files []string) map[string][32]byte {
		m := map[string][32]byte{}
		for _, f := range files {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			m[f] = sha256.Sum256(b)
		}
		return m
	}
	before := sums(dest, files)
	mine := filepath.Join(dest, ".obsidian", "app.json")
	if err := os.MkdirAll(filepath.Dir(mine), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mine, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, d := renderInto(t, export, dest, opts)
	if d.Written != 0 || d.Removed != 0 || d.Unchanged != len(files) {
		t.Errorf("again: written %d, removed %d, unchanged %d of %d", d.Written, d.Removed, d.Unchanged, len(files))
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("the user's file: %v", err)
	}
	other := filepath.Join(t.TempDir(), "other")
	renderInto(t, export, other, opts)
	again := written(t, other)
	if !slices.Equal(again, files) {
		t.Errorf("another render names other files:\n%q\n%q", again, files)
	} else if !mapsEqual(sums(other, again), before) {
		t.Error("another render writes other content")
	}
}

func mapsEqual(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestNewStyle refuses an unknown style as bad usage.
func TestNewStyle(t *testing.T) {
	var usage *render.UsageError
	if _, err := New(nil, Options{Style: "flat"}); !errors.As(err, &usage) {
		t.Errorf("style flat: %v, want a usage error", err)
	}
	v, err := New(nil, Options{})
	if err != nil || v.(*view).opts.Style != StyleObsidian {
		t.Errorf("no style: %v, %+v", err, v)
	}
}

// TestWikilinks rewrites the links to stand-ins of a Markdown text:
// wikilinks for plain text, relative links for the rest.
func TestWikilinks(t *testing.T) {
	v := &view{mark: "aumo-test-", opts: Options{Wikilinks: true}, byNum: []*place{
		{note: "DEMO/A.md"}, {note: "DEMO/B/index.md"}, {dir: "DEMO/F"}, {note: "DEMO/v1.2/notes.pdf.md"},
	}}
	in := "---\nid: \"1\"\n---\n\n" +
		"See [A \\*star\\* \\[x\\] a|b &amp; c](aumo-test-0.md), [**bold**](aumo-test-1.md), " +
		"[frag](aumo-test-0.md#Sec-1), [bad](<aumo-test-0.md#a|b c>), ![img](aumo-test-0.md), " +
		"[t](aumo-test-1.md \"title\"), [dir](aumo-test-2.md), [](aumo-test-1.md), [pdf](aumo-test-3.md).\n\n" +
		"| a | b |\n| --- | --- |\n| [cell \\| text](aumo-test-1.md) | x |\n"
	want := "---\nid: \"1\"\n---\n\n" +
		"See [[DEMO/A|A *star* (x) a/b & c]], [**bold**](../B/index.md), " +
		"[[DEMO/A#Sec-1|frag]], [[DEMO/A|bad]], ![img](../A.md), " +
		"[t](../B/index.md \"title\"), [dir](../F), [[DEMO/B/index]], [[DEMO/v1.2/notes.pdf.md|pdf]].\n\n" +
		"| a | b |\n| --- | --- |\n| [[DEMO/B/index\\|cell / text]] | x |\n"
	if got := string(v.wikilinks(&place{note: "DEMO/X/Y.md"}, []byte(in))); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestRelPath starts every relative path with ./ or ../ and escapes a
// link's segments.
func TestRelPath(t *testing.T) {
	for _, tc := range []struct{ from, to, path, link string }{
		{"S/A.md", "S/B.md", "./B.md", "./B.md"},
		{"S/A.md", "S/A.attachments/x y.png", "./A.attachments/x y.png", "./A.attachments/x%20y.png"},
		{"S/A/B/C.md", "S/D (1).md", "../../D (1).md", "../../D%20%281%29.md"},
		{"S/A/index.md", "S/A/attachments/R&D.pdf", "./attachments/R&D.pdf", "./attachments/R%26D.pdf"},
		{"A.md", "S/B.md", "./S/B.md", "./S/B.md"},
		{"S/T/A.md", "U/B.md", "../../U/B.md", "../../U/B.md"},
	} {
		if got := relPath(tc.from, tc.to); got != tc.path {
			t.Errorf("relPath(%s, %s) = %s, want %s", tc.from, tc.to, got, tc.path)
		}
		if got := relLink(tc.from, tc.to); got != tc.link {
			t.Errorf("relLink(%s, %s) = %s, want %s", tc.from, tc.to, got, tc.link)
		}
	}
}

// TestBeginHostileTitles names the items of a catalog of hostile titles:
// every item placed once, every path safe.
func TestBeginHostileTitles(t *testing.T) {
	titles := []string{
		"CON", "aux.txt", `a/b\c:d*e?f"g<h>i|j`, "trailing dot.", "trailing space ", "..", ".hidden", "",
		strings.Repeat("日本語📎ü", 20), "Notes", "notes", "Same", "Same", "Blog", "index", "attachments",
		"x.attachments", "x", "[[wiki]] | #tag ^block %20", "\x00\x1b\t\u202e",
	}
	sp := &render.Space{ID: "1", Key: "DEMO"}
	c := &render.Catalog{Spaces: []*render.Space{sp}}
	add := func(it *render.Item, parent *render.Item) {
		c.Items = append(c.Items, it)
		if parent != nil {
			it.Parent = parent.ID
			parent.Children = append(parent.Children, it)
		} else {
			sp.Top = append(sp.Top, it)
		}
	}
	id := 100
	next := func() string { id++; return fmt.Sprint(id) }
	var parent *render.Item
	for depth := range 30 {
		var first *render.Item
		for i, title := range titles {
			if depth > 0 && i%4 != 0 {
				continue
			}
			it := &render.Item{Kind: exportformat.KindPage, ID: next(), Title: title, Space: "1",
				Files: []*render.Attachment{{ID: "att" + fmt.Sprint(id), Name: title}, {ID: "att2-" + fmt.Sprint(id), Name: "CON"}}}
			add(it, parent)
			if first == nil {
				first = it
			}
		}
		parent = first
	}
	for _, title := range titles {
		it := &render.Item{Kind: exportformat.KindBlogpost, ID: next(), Title: title, Space: "1", Created: "2024-05-06T07:08:09Z"}
		c.Items = append(c.Items, it)
		sp.Blogposts = append(sp.Blogposts, it)
	}
	c.Items = append(c.Items, &render.Item{Kind: exportformat.KindFolder, ID: next(), Title: "Blog", Space: "1"})
	for _, title := range titles {
		c.Items = append(c.Items, &render.Item{Kind: exportformat.KindIssue, ID: next(), Key: "PROJ-" + fmt.Sprint(id), Project: "PROJ", Title: title})
	}
	for _, style := range []string{StyleObsidian, StyleIndex} {
		rv, _ := New(nil, Options{Style: style})
		v := rv.(*view)
		if err := v.Begin(c); err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, it := range c.Items {
			p := v.places[it.ID]
			switch {
			case p == nil:
				t.Fatalf("%s: %s %q not placed", style, it.ID, it.Title)
			case p.note != "":
				paths = append(paths, p.note)
			case it.Kind != exportformat.KindFolder || style == StyleIndex:
				t.Errorf("%s: %s %q has no file", style, it.ID, it.Title)
			}
			for _, a := range it.Files {
				paths = append(paths, p.files[a.ID])
			}
		}
		checkPaths(t, paths)
		if style == StyleObsidian {
			checkFolderNotes(t, c, v)
		}
		rv2, _ := New(nil, Options{Style: style})
		_ = rv2.Begin(c)
		for _, it := range c.Items {
			if a, b := v.places[it.ID], rv2.(*view).places[it.ID]; a.note != b.note || a.dir != b.dir {
				t.Errorf("%s: %s placed at %s, then %s", style, it.ID, a.target(), b.target())
			}
		}
	}
}

// checkFolderNotes finds no N.md beside a folder N/ that holds anything
// but what is below N's item: Obsidian reads N.md as the note of N/.
func checkFolderNotes(t *testing.T, c *render.Catalog, v *view) {
	t.Helper()
	byID := map[string]*render.Item{}
	owner := map[string]*render.Item{}
	for _, it := range c.Items {
		byID[it.ID] = it
		p := v.places[it.ID]
		owner[p.note] = it
		for _, f := range p.files {
			owner[f] = it
		}
	}
	below := func(o, it *render.Item) bool {
		for seen := 0; o != nil && seen < len(c.Items); seen++ {
			if o = byID[o.Parent]; o == it {
				return true
			}
		}
		return false
	}
	for _, it := range c.Items {
		d := strings.TrimSuffix(v.places[it.ID].note, ".md")
		for p, o := range owner {
			if d != "" && strings.HasPrefix(p, d+"/") && !below(o, it) {
				t.Errorf("%s.md is beside the folder of %s", d, p)
			}
		}
	}
}
