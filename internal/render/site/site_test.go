package site

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/rendertest"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// TestConfluenceSite renders a Confluence export and finds what a reader
// looks for: the space, its page tree (folders as entries without a
// link) and its blog posts newest first on the index; a page per page
// and blog post with its title, its breadcrumbs, its comments as threads
// and its attachments copied beside it; and every link of every page
// leading to a file of the site.
func TestConfluenceSite(t *testing.T) {
	t.Parallel()
	src := sandboxExport(t, "confluence")
	dest := filepath.Join(t.TempDir(), "site")
	renderInto(t, src, dest)
	_, c := rendertest.Open(t, src)
	pages := readSite(t, dest)
	checkSite(t, dest, pages)
	index := pages[indexName]
	if n := len(find(index.doc, tag("div", "notice"))); n != 0 {
		t.Errorf("a finished, complete export shows %d notices", n)
	}
	for _, sp := range c.Spaces {
		sec := find(index.doc, byID(spaceAnchor(sp)))
		if len(sec) != 1 || !strings.Contains(textOf(sec[0]), sp.Name) {
			t.Errorf("index: no section for space %s %q", sp.Key, sp.Name)
		}
		checkBlog(t, index.doc, sp)
	}
	var folders, replies, images, figures int
	for _, it := range c.Items {
		checkTreeEntry(t, index.doc, it)
		if it.Kind == exportformat.KindFolder {
			folders++
			continue
		}
		p := pages[pagePath(it)]
		if p == nil {
			t.Errorf("%s %s: no page %s", it.Kind, it.ID, pagePath(it))
			continue
		}
		checkHeading(t, p, it.Title)
		checkCrumbs(t, p, confluenceCrumbs(c, it))
		figures += checkFiles(t, src, dest, p, it)
		replies += len(find(p.doc, func(n *html.Node) bool {
			return tag("article", "reply")(n) && tag("article", "comment")(n.Parent)
		}))
		images += len(find(p.doc, func(n *html.Node) bool { return n.Data == "img" && strings.HasPrefix(attr(n, "src"), "../files/") }))
	}
	if folders == 0 || replies == 0 || images <= figures || figures == 0 {
		t.Errorf("%d folders, %d replies nested in comments, %d images shown, %d of them among the attachments: want some of each", folders, replies, images, figures)
	}
}

// checkTreeEntry finds an item of a space in the index: a link to its
// page (a folder: its name, no link), under the entry of its parent.
func checkTreeEntry(t *testing.T, doc *html.Node, it *render.Item) {
	t.Helper()
	li := find(doc, byID(itemAnchor(it)))
	if len(li) != 1 {
		t.Errorf("index: %d entries for %s %q", len(li), it.Kind, it.Title)
		return
	}
	links := find(li[0], tag("a"))
	title := strings.Join(strings.Fields(it.Title), " ") // as a browser shows it
	switch {
	case it.Kind == exportformat.KindFolder:
		if f := find(li[0], tag("span", "folder")); len(f) == 0 || textOf(f[0]) != title || len(links) > 0 && links[0].Parent == li[0] {
			t.Errorf("index: folder %q is not an entry without a link", it.Title)
		}
	case len(links) == 0 || attr(links[0], "href") != pagePath(it) || textOf(links[0]) != title:
		t.Errorf("index: %s %q is not a link to %s", it.Kind, it.Title, pagePath(it))
	}
	if it.Parent == "" || it.Kind == exportformat.KindBlogpost {
		return
	}
	for up := li[0].Parent; up != nil; up = up.Parent {
		if up.Data == "li" {
			if attr(up, "id") != "item-"+safeName(it.Parent) {
				t.Errorf("index: %q is not under its parent %s", it.Title, it.Parent)
			}
			return
		}
	}
	t.Errorf("index: %q is at the top, not under its parent %s", it.Title, it.Parent)
}

// checkBlog finds a space's blog posts in the index, newest first.
func checkBlog(t *testing.T, doc *html.Node, sp *render.Space) {
	t.Helper()
	if len(sp.Blogposts) == 0 {
		t.Fatalf("space %s has no blog posts", sp.Key)
	}
	var got, want []string
	last := "9999"
	for _, li := range find(doc, func(n *html.Node) bool { return n.Data == "li" && tag("ul", "blog")(n.Parent) }) {
		got = append(got, attr(li, "id"))
		date := attr(find(li, tag("time"))[0], "datetime")
		if date > last {
			t.Errorf("index: blog post %s (%s) after a older one", attr(li, "id"), date)
		}
		last = date
	}
	for _, b := range sp.Blogposts {
		want = append(want, itemAnchor(b))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("index: blog posts %v, want %v", got, want)
	}
}

// confluenceCrumbs are the breadcrumbs of a page or blog post: its space,
// its blog, the titles above it, its own.
func confluenceCrumbs(c *render.Catalog, it *render.Item) []string {
	sp, _ := c.Space(it.Space)
	crumbs := []string{sp.Name}
	if it.Kind == exportformat.KindBlogpost {
		crumbs = append(crumbs, "Blog posts")
	}
	for _, up := range c.Ancestors(it) {
		crumbs = append(crumbs, up.Title)
	}
	crumbs = append(crumbs, it.Title)
	for i, s := range crumbs {
		crumbs[i] = strings.Join(strings.Fields(s), " ") // as a browser shows it
	}
	return crumbs
}

func checkHeading(t *testing.T, p *page, title string) {
	t.Helper()
	h1 := find(p.doc, tag("h1"))
	if len(h1) == 0 || textOf(h1[0]) != strings.Join(strings.Fields(title), " ") {
		t.Errorf("%s: no heading %q", p.name, title)
	}
	if titles := find(p.doc, tag("title")); len(titles) != 1 || !strings.Contains(textOf(titles[0]), strings.Join(strings.Fields(title), " ")) {
		t.Errorf("%s: the title does not name %q", p.name, title)
	}
}

// checkCrumbs finds the page's breadcrumbs: links but the last, which is
// the page itself.
func checkCrumbs(t *testing.T, p *page, want []string) {
	t.Helper()
	nav := find(p.doc, tag("nav", "crumbs"))
	if len(nav) != 1 {
		t.Errorf("%s: %d breadcrumbs", p.name, len(nav))
		return
	}
	var got []string
	items := find(nav[0], tag("li"))
	for i, li := range items {
		got = append(got, textOf(li))
		links := find(li, tag("a"))
		if last := i == len(items)-1; last == (len(links) > 0) {
			t.Errorf("%s: breadcrumb %q: link %v, want one on all but the last", p.name, textOf(li), len(links) > 0)
		}
	}
	if strings.Join(got, " › ") != strings.Join(want, " › ") {
		t.Errorf("%s: breadcrumbs %q, want %q", p.name, got, want)
	}
}

// checkFiles finds each attachment of it copied beside the site, as the
// export has it, and on its page: a picture shown, from its copy (by the
// body or among the attachments, then linked to the copy); another file
// linked to. It returns how many pictures the list of attachments shows.
func checkFiles(t *testing.T, src, dest string, p *page, it *render.Item) int {
	t.Helper()
	hrefs, srcs := map[string]bool{}, map[string]bool{}
	for _, n := range find(p.doc, tag("a")) {
		if u, err := url.PathUnescape(attr(n, "href")); err == nil {
			hrefs[u] = true
		}
	}
	for _, n := range find(p.doc, tag("img")) {
		if u, err := url.PathUnescape(attr(n, "src")); err == nil {
			srcs[u] = true
		}
	}
	for _, a := range it.Files {
		want, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(a.Path)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(filePath(it, a))))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: attachment %s not copied to %s: %v", p.name, a.Path, filePath(it, a), err)
		}
		copied := "../" + filePath(it, a)
		switch {
		case isImage(trimName(a.Name)) != isImage(copied):
			t.Errorf("%s: picture %s copied to %s, which is none, or the reverse", p.name, a.Name, copied)
		case isImage(copied) && !srcs[copied]:
			t.Errorf("%s: picture %s (%s) not shown", p.name, a.Name, copied)
		case isImage(copied) && !hrefs[copied]:
			t.Errorf("%s: no link to picture %s (%s)", p.name, a.Name, copied)
		case !isImage(copied) && srcs[copied]:
			t.Errorf("%s: %s (%s) shown as a picture", p.name, a.Name, copied)
		case !isImage(copied) && !hrefs[copied]:
			t.Errorf("%s: no link to attachment %s (%s)", p.name, a.Name, copied)
		}
	}
	shown := 0
	for _, fig := range find(p.doc, tag("figure", "attachment")) {
		img := find(fig, tag("img"))
		if len(img) != 1 || attr(img[0], "loading") != "lazy" || attr(img[0], "alt") == "" || attr(img[0].Parent, "href") != attr(img[0], "src") {
			t.Errorf("%s: a figure of an attachment is not its picture, named and linked to its file", p.name)
		}
		shown++
	}
	return shown
}

// TestJiraSite renders a Jira export and finds every issue in the
// index's table, with its columns, and a page per issue with its summary,
// its breadcrumbs (project › key), its comments, its attachments and its
// links to other issues.
func TestJiraSite(t *testing.T) {
	t.Parallel()
	src := sandboxExport(t, "jira")
	dest := filepath.Join(t.TempDir(), "site")
	renderInto(t, src, dest)
	_, c := rendertest.Open(t, src)
	pages := readSite(t, dest)
	checkSite(t, dest, pages)
	index := pages[indexName]
	toIssue := regexp.MustCompile(`^DEMO-\d+\.html$`)
	var links, comments, figures int
	for _, it := range c.Items {
		row := find(index.doc, byID(itemAnchor(it)))
		if len(row) != 1 {
			t.Errorf("index: %d rows for %s", len(row), it.Key)
			continue
		}
		var cells []string
		for _, td := range find(row[0], tag("td")) {
			cells = append(cells, textOf(td))
		}
		want := []string{it.Key, strings.Join(strings.Fields(it.Title), " "), it.Type, it.Status, it.Priority, it.Assignee, displayTime(it.Updated)}
		if strings.Join(cells, "|") != strings.Join(want, "|") {
			t.Errorf("index: row of %s is %q, want %q", it.Key, cells, want)
		}
		if a := find(row[0], tag("a")); len(a) == 0 || attr(a[0], "href") != "issues/"+it.Key+".html" {
			t.Errorf("index: %s links nowhere or elsewhere", it.Key)
		}
		p := pages["issues/"+it.Key+".html"]
		if p == nil {
			t.Errorf("no page for %s", it.Key)
			continue
		}
		checkHeading(t, p, it.Title)
		checkCrumbs(t, p, []string{it.Project, it.Key})
		figures += checkFiles(t, src, dest, p, it)
		comments += len(find(p.doc, tag("article", "comment")))
		links += len(find(p.doc, func(n *html.Node) bool { return n.Data == "a" && toIssue.MatchString(attr(n, "href")) }))
	}
	if links == 0 || comments == 0 || figures == 0 {
		t.Errorf("%d links between issues, %d comments, %d pictures among the attachments: want some of each", links, comments, figures)
	}
	for _, id := range []string{"filter", "f-status", "f-type", "table-controls"} {
		if len(find(index.doc, byID(id))) != 1 {
			t.Errorf("index: no #%s", id)
		}
	}
}

// TestSearchIndex finds a record per item in the search index, each
// leading to the item's page, with the start of its text as a reader
// sees it.
func TestSearchIndex(t *testing.T) {
	t.Parallel()
	src := sandboxExport(t, "confluence")
	dest := filepath.Join(t.TempDir(), "site")
	renderInto(t, src, dest)
	_, c := rendertest.Open(t, src)
	recs := searchRecords(t, dest)
	byURL := map[string]searchRecord{}
	for _, r := range recs {
		byURL[r.URL] = r
	}
	for i, it := range c.Items {
		if it.Kind == exportformat.KindFolder {
			continue
		}
		r, ok := byURL[pagePath(it)]
		switch {
		case !ok:
			t.Errorf("no search record for %s", pagePath(it))
		case r.Title != it.Title || r.Order != i || r.Where != "Falcon Wiki (DEMO)":
			t.Errorf("%s: record %+v", it.ID, r)
		case !strings.HasPrefix(r.Text, "Overview ") || !strings.Contains(r.Text, " Details "):
			t.Errorf("%s: the record's text lacks the body: %.200q", it.ID, r.Text)
		case strings.Contains(r.Text, `\<`) || strings.Contains(r.Text, "](") || utf8.RuneCountInString(r.Text) > maxText:
			t.Errorf("%s: the record's text is not as a reader sees it: %.300q", it.ID, r.Text)
		}
		if _, err := os.Stat(filepath.Join(dest, r.URL)); err != nil {
			t.Error(err)
		}
	}
}

// TestRerender renders an export twice into one folder: the second
// render writes nothing; into another folder, it writes the same bytes.
func TestRerender(t *testing.T) {
	t.Parallel()
	src := sandboxExport(t, "jira")
	dest := filepath.Join(t.TempDir(), "site")
	first := renderInto(t, src, dest)
	again := renderInto(t, src, dest)
	if first.Written == 0 || again.Written != 0 || again.Removed != 0 || again.Unchanged != first.Written {
		t.Errorf("first render wrote %d; the second wrote %d, removed %d, left %d unchanged", first.Written, again.Written, again.Removed, again.Unchanged)
	}
	other := filepath.Join(t.TempDir(), "other")
	renderInto(t, src, other)
	a, b := siteFiles(t, dest), siteFiles(t, other)
	if len(a) != len(b) || len(a) < 40 {
		t.Errorf("%d files, then %d", len(a), len(b))
	}
	for name, data := range a {
		if b[name] != data {
			t.Errorf("%s differs between two renders of one export", name)
		}
	}
}

// TestUnfinishedNotice shows an export that did not finish as such on
// the index.
func TestUnfinishedNotice(t *testing.T) {
	t.Parallel()
	src := sandboxExport(t, "jira")
	e, c := rendertest.Open(t, src)
	c.Manifest.FinishedAt = time.Time{}
	dest := filepath.Join(t.TempDir(), "site")
	d, err := render.OpenDir(dest, "html")
	if err != nil {
		t.Fatal(err)
	}
	if err := render.Render(context.Background(), e, c, New(d)); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	notice := find(readSite(t, dest)[indexName].doc, tag("div", "notice"))
	if len(notice) != 1 || attr(notice[0], "role") != "alert" || !strings.Contains(textOf(notice[0]), strings.TrimSuffix(c.Unfinished(), ".")) {
		t.Errorf("index: no notice that says %q", c.Unfinished())
	}
}

// TestDamagedFileNotice leaves out an item whose attachment does not
// match the export's index, and says so on the index.
func TestDamagedFileNotice(t *testing.T) {
	t.Parallel()
	src := sandboxExport(t, "jira")
	_, c := rendertest.Open(t, src)
	var damaged *render.Item
	for _, it := range c.Items {
		if len(it.Files) > 0 {
			damaged = it
			break
		}
	}
	if err := os.WriteFile(filepath.Join(src, filepath.FromSlash(damaged.Files[0].Path)), []byte("not what the index says"), 0o600); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "site")
	renderInto(t, src, dest)
	pages := readSite(t, dest)
	checkSite(t, dest, pages)
	if _, ok := pages[pagePath(damaged)]; ok {
		t.Errorf("%s has a page", damaged.Key)
	}
	index := pages[indexName]
	if len(find(index.doc, byID(itemAnchor(damaged)))) != 0 {
		t.Errorf("index: %s is listed", damaged.Key)
	}
	notice := find(index.doc, tag("div", "notice"))
	if len(notice) != 1 || !strings.Contains(textOf(notice[0]), "A file of the export does not match its index: the item it belongs to is left out.") {
		t.Error("index: no notice of the damaged file")
	}
}

// TestHostileContentInert renders items whose titles, bodies, comments
// and attachments try to run script: they show as text, their links lead
// nowhere, and no page holds a script or event handler of theirs.
func TestHostileContentInert(t *testing.T) {
	t.Parallel()
	t.Run("confluence", func(t *testing.T) {
		t.Parallel()
		src := sandboxExport(t, "confluence")
		id := makeHostileConfluence(t, src)
		dest := filepath.Join(t.TempDir(), "site")
		renderInto(t, src, dest)
		pages := readSite(t, dest)
		checkSite(t, dest, pages)
		p := pages["pages/"+id+".html"]
		checkHostilePage(t, p)
		if n := len(find(p.doc, tag("article", "comment"))); n == 0 || !strings.Contains(textOf(find(p.doc, tag("section", "comments"))[0]), "Hostile body ends.") {
			t.Errorf("the hostile comment is not shown (%d comments)", n)
		}
		for _, h := range hostileAttachments {
			checkHostileCopy(t, src, dest, p, id, h)
		}
		if !strings.Contains(textOf(pages[indexName].doc), hostileTitle) {
			t.Error("index: the hostile title is not shown as text")
		}
	})
	t.Run("jira", func(t *testing.T) {
		t.Parallel()
		src := sandboxExport(t, "jira")
		key := makeHostileJira(t, src)
		dest := filepath.Join(t.TempDir(), "site")
		renderInto(t, src, dest)
		pages := readSite(t, dest)
		checkSite(t, dest, pages)
		checkHostilePage(t, pages["issues/"+key+".html"])
	})
}

// checkHostileCopy finds a hostile attachment of the page with id copied
// with ".txt" added, never under a name a browser runs script in, and
// linked to from the page.
func checkHostileCopy(t *testing.T, src, dest string, p *page, id string, h hostileAttachment) {
	t.Helper()
	for _, name := range []string{h.name, trimName(h.name)} {
		if _, err := os.Stat(filepath.Join(dest, "files", id, h.id()+"-"+name)); err == nil {
			t.Errorf("%s copied under its own name, %s", h.name, name)
		}
	}
	want, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(h.path(id))))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(h.copyPath(id)))); err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s: not copied to %s: %v", h.name, h.copyPath(id), err)
	}
	if len(find(p.doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "../"+h.copyPath(id) })) == 0 {
		t.Errorf("no link to %s", h.copyPath(id))
	}
}

// checkHostilePage finds the hostile item shown, its title and markup as
// text, its links to script dropped, and no script.
func checkHostilePage(t *testing.T, p *page) {
	t.Helper()
	if p == nil {
		t.Fatal("no page for the hostile item")
	}
	checkHeading(t, p, hostileTitle)
	body := textOf(find(p.doc, tag("div", "body"))[0])
	for _, want := range []string{"Hostile body starts.", "<script>" + pwn, "Hostile body ends."} {
		if !strings.Contains(body, want) {
			t.Errorf("%s: the body does not show %q:\n%s", p.name, want, body)
		}
	}
	if n := len(find(p.doc, tag("script"))); n != 0 {
		t.Errorf("%s: %d scripts on an item's page", p.name, n)
	}
	if !strings.Contains(body, "js link") || !strings.Contains(body, "data link") {
		t.Errorf("%s: the hostile links' text is not shown", p.name)
	}
	for _, a := range find(p.doc, tag("a")) {
		if href := attr(a, "href"); !goodDestination([]byte(href), nil) || strings.Contains(strings.ToLower(href), "script") {
			t.Errorf("%s: %q links to %q", p.name, textOf(a), href)
		}
	}
	for _, img := range find(p.doc, tag("img")) {
		if src := attr(img, "src"); !strings.HasPrefix(src, "../files/") {
			t.Errorf("%s: an image from %q", p.name, src)
		}
	}
}

// TestThreads makes each comment a box with the replies to it inside,
// for Confluence's headings and Jira's, and leaves a heading of a
// comment's body in the comment.
func TestThreads(t *testing.T) {
	md := "---\ntitle: T\n---\n\n# T\n\nBody.\n\n## Comments\n\n" +
		"### Comment by Ada, 2026-02-26T11:28:26.949Z\n\nfirst\n\n" +
		"#### Reply by Bob, 2026-02-26T12:00:00.000Z\n\nreply\n\n" +
		"##### Reply by Cy, 2026-02-26T12:10:00.000Z\n\ndeeper\n\n" +
		"#### Reply by Di, 2026-02-26T12:20:00.000Z\n\nsecond reply\n\n" +
		"### Inline comment by Ed, 2026-02-26T13:00:00.000Z\n\n> On: “x”\n\n*(open)*\n\n### A heading of its body\n\nstill Ed's\n\n" +
		"## Attachments\n\n- [a.txt](../files/1/a.txt)\n"
	doc := convertDoc(t, md)
	if h := find(doc, tag("h1")); len(h) != 0 {
		t.Errorf("the title's heading is still in the body: %s", textOf(h[0]))
	}
	sec := find(doc, tag("section", "comments"))
	if len(sec) != 1 {
		t.Fatalf("%d comment sections", len(sec))
	}
	var tops []string
	for c := sec[0].FirstChild; c != nil; c = c.NextSibling {
		if tag("article", "comment")(c) {
			tops = append(tops, textOf(c))
		}
	}
	if len(tops) != 2 || !strings.Contains(tops[1], "still Ed's") {
		t.Errorf("top comments: %q", tops)
	}
	deeper := find(doc, func(n *html.Node) bool {
		return strings.Contains(textOf(n), "deeper") && tag("article", "reply")(n) && tag("article", "reply")(n.Parent) && tag("article", "comment")(n.Parent.Parent)
	})
	if len(deeper) != 1 {
		t.Error("a reply to a reply is not inside it")
	}
	if strings.Contains(textOf(sec[0]), "a.txt") {
		t.Error("the attachments are inside the comments")
	}

	jira := "# K-1: x\n\n## Comments (2)\n\n### Ada, 2026-02-26 20:19 UTC\n\nhi\n\n### Bob, 2026-02-26 20:31 UTC (edited 2026-02-26 21:00 UTC)\n\n" +
		"#### Body heading\n\nbye\n\n## History (1)\n\n| a | b |\n| - | - |\n| 1 | 2 |\n"
	doc = convertDoc(t, jira)
	arts := find(doc, tag("article", "comment"))
	if len(arts) != 2 || !strings.Contains(textOf(arts[1]), "bye") || len(find(doc, tag("article", "reply"))) != 0 {
		t.Errorf("Jira's comments: %d boxes", len(arts))
	}
	if len(find(doc, tag("table"))) != 1 || strings.Contains(textOf(find(doc, tag("section", "comments"))[0]), "History") {
		t.Error("the history is inside the comments")
	}
}

// TestConvertHostileMarkdown converts Markdown that holds raw HTML and
// links that run script: none of it survives as markup.
func TestConvertHostileMarkdown(t *testing.T) {
	md := "# T\n\n<script>" + pwn + "</script>\n\n<img src=x onerror=\"" + pwn + "\">\n\n" +
		"<div onclick=\"x()\">raw block</div>\n\n" +
		"Inline <b onmouseover=\"x()\">bold</b> and <a href=\"javascript:x()\">raw link</a>.\n\n" +
		"[one](javascript:x()) [two](JAVASCRIPT:x()) [three](<java\tscript:x()>) [four](&#106;avascript:x()) " +
		"[five](vbscript:x) [six](data:text/html,x) [seven](file:///etc/passwd) [eight](blob:x) " +
		"![nine](javascript:x()) <javascript:x()> [ok](https://example.com/a?b=1) [rel](../pages/2.html#c)\n\n" +
		"![pic](../files/1/a.png) ![doc](../files/1/a.pdf) ![remote](https://example.com/a.png) ![svg](../files/1/a.svg.txt)\n"
	b, err := convert([]byte(md), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.ToLower(string(b.HTML))
	for _, bad := range []string{"<script", "<b ", "<div", "<a href=\"javascript"} {
		if strings.Contains(out, bad) {
			t.Errorf("%q in the HTML:\n%s", bad, b.HTML)
		}
	}
	doc, err := html.Parse(bytes.NewReader(b.HTML))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range find(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			}
		}
	}
	var imgs, hrefs, texts []string
	for _, n := range find(doc, tag("img")) {
		imgs = append(imgs, attr(n, "src"))
	}
	for _, n := range find(doc, tag("a")) {
		hrefs = append(hrefs, attr(n, "href"))
		texts = append(texts, textOf(n))
	}
	if strings.Join(texts, " ") != "ok rel doc remote svg" {
		t.Errorf("links %q (%q): want only those to the web or the site", texts, hrefs)
	}
	if body := textOf(doc); !strings.Contains(body, "one two three four five six seven eight nine javascript:x() ok rel") {
		t.Errorf("the dropped links' text is not shown: %s", body)
	}
	if strings.Join(imgs, " ") != "../files/1/a.png" {
		t.Errorf("images %q, want the site's picture alone", imgs)
	}
	for _, want := range []string{"https://example.com/a?b=1", "../pages/2.html#c", "../files/1/a.pdf", "https://example.com/a.png", "../files/1/a.svg.txt"} {
		if !strings.Contains(" "+strings.Join(hrefs, " ")+" ", " "+want+" ") {
			t.Errorf("no link to %s in %q", want, hrefs)
		}
	}
}

// TestSearchTextCapped keeps the first maxText characters of a long
// body's text for the search, as a reader sees it.
func TestSearchTextCapped(t *testing.T) {
	long := strings.Repeat("Überprüfung \\<done> & *more* `code` ", 2000)
	b, err := convert([]byte("---\ntitle: x\n---\n\n# Title\n\n"+long+"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(b.Text); n != maxText {
		t.Errorf("%d characters of text, want %d", n, maxText)
	}
	if !strings.HasPrefix(b.Text, "Überprüfung <done> & more code Überprüfung") || strings.Contains(b.Text, "title:") {
		t.Errorf("text %.100q", b.Text)
	}
}

// TestNames keeps item pages and attachments under safe, stable names.
func TestNames(t *testing.T) {
	issue := &render.Item{Kind: exportformat.KindIssue, ID: "10001", Key: "DEMO-7"}
	odd := &render.Item{Kind: exportformat.KindIssue, ID: "10002", Key: "../x-1"}
	pg := &render.Item{Kind: exportformat.KindPage, ID: "../../etc"}
	for _, c := range []struct{ got, want string }{
		{pagePath(issue), "issues/DEMO-7.html"},
		{pagePath(odd), "issues/10002.html"},
		{pagePath(&render.Item{Kind: exportformat.KindBlogpost, ID: "55"}), "blogposts/55.html"},
		{path.Dir(pagePath(pg)), "pages"},
		{filePath(issue, &render.Attachment{ID: "1", Name: "a.png", Path: "issues/10001/attachments/1-a.png"}), "files/10001/1-a.png"},
		{filePath(issue, &render.Attachment{ID: "2", Name: "x.HTML", Path: "issues/10001/attachments/2-x.HTML"}), "files/10001/2-x.HTML.txt"},
		{filePath(issue, &render.Attachment{ID: "3", Name: "..", Path: "issues/10001/attachments/.."}), "files/10001/attachment-3.txt"},
		{filePath(issue, &render.Attachment{ID: "4", Name: "a.pdf", Path: "issues/10001/attachments/4-a:b?.pdf"}), "files/10001/attachment-4.pdf"},
	} {
		if c.got != c.want || !filepath.IsLocal(c.got) {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
	if strings.Contains(pagePath(pg), "..") {
		t.Errorf("%q", pagePath(pg))
	}
}

// TestAttachmentNames copies an attachment under its own name only when
// its type is one a browser opens without running anything of it, else
// with ".txt" added: hostile names among them, which a browser would
// open as HTML, XML or SVG from disk, or whose end Windows would drop.
func TestAttachmentNames(t *testing.T) {
	issue := &render.Item{Kind: exportformat.KindIssue, ID: "10001", Key: "DEMO-7"}
	for _, c := range []struct{ name, want string }{
		{".shtm", "9-.shtm.txt"},
		{"a.shtm", "9-a.shtm.txt"},
		{"a.XHTM", "9-a.XHTM.txt"},
		{"feed.rss", "9-feed.rss.txt"},
		{"feed.atom", "9-feed.atom.txt"},
		{"schema.xsd", "9-schema.xsd.txt"},
		{"binding.xbl", "9-binding.xbl.txt"},
		{"page.ehtml", "9-page.ehtml.txt"},
		{"logo.svg", "9-logo.svg.txt"},
		{"logo.SVGZ", "9-logo.SVGZ.txt"},
		{"index.html", "9-index.html.txt"},
		{"index.htm", "9-index.htm.txt"},
		{"index.xhtml", "9-index.xhtml.txt"},
		{"data.xml", "9-data.xml.txt"},
		{"style.xsl", "9-style.xsl.txt"},
		{"saved.mht", "9-saved.mht.txt"},
		{"script.js", "9-script.js.txt"},
		{"x.html.", "9-x.html.txt"},
		{"x.html ", "9-x.html.txt"},
		{"x.html. . .", "9-x.html.txt"},
		{"x.png.", "9-x.png"},
		{"evil.PnG.html", "9-evil.PnG.html.txt"},
		{"evil.html.PnG", "9-evil.html.PnG"},
		{"x.m\u212Av", "9-x.m\u212Av.txt"}, // a Kelvin sign, which Unicode lowers to k
		{"report.pdf", "9-report.pdf"},
		{"photo.JPG", "9-photo.JPG"},
		{"scan.tiff", "9-scan.tiff"},
		{"notes.txt", "9-notes.txt"},
		{"data.json", "9-data.json"},
		{"sheet.xlsx", "9-sheet.xlsx"},
		{"backup.tar.gz", "9-backup.tar.gz"},
		{"talk.webm", "9-talk.webm"},
		{"notes", "9-notes.txt"},
		{"Makefile.", "9-Makefile.txt"},
	} {
		a := &render.Attachment{ID: "9", Name: c.name, Path: "issues/10001/attachments/9-" + c.name}
		if got := filePath(issue, a); got != "files/10001/"+c.want {
			t.Errorf("%q copied to %q, want files/10001/%s", c.name, got, c.want)
		}
	}
	// A name that is no safe file name: the attachment's id, and the
	// type of its name.
	for _, c := range []struct{ path, name, want string }{
		{"CON", "CON", "attachment-9.txt"},
		{"nul.png", "nul.png", "attachment-9.png"},
		{"a:b.html", "a.html", "attachment-9.html.txt"},
		{"a:b.html.", "a.html.", "attachment-9.html.txt"},
		{"a:b.jpeg", "a.jpeg", "attachment-9.jpeg"},
		{". .", "", "attachment-9.txt"},
		{".htaccess", ".htaccess", "attachment-9.htaccess.txt"},
	} {
		a := &render.Attachment{ID: "9", Name: c.name, Path: "issues/10001/attachments/" + c.path}
		if got := filePath(issue, a); got != "files/10001/"+c.want {
			t.Errorf("%q copied to %q, want files/10001/%s", c.path, got, c.want)
		}
	}
	for _, name := range []string{"a.png", "a.JPEG", "a.gif", "a.webp", "a.avif", "a.Tif"} {
		if !isImage(name) {
			t.Errorf("%s is no picture", name)
		}
	}
	for _, name := range []string{"a.svg", "a.svg.txt", "a.png.txt", "a.pdf", "png", "a.p\u0130ng"} {
		if isImage(name) {
			t.Errorf("%s is a picture", name)
		}
	}
}

// TestAttachedImages shows each picture among the attachments that the
// body does not show already, as a figure linked to its file; other
// attachments stay links, and their names stay in the search's text.
func TestAttachedImages(t *testing.T) {
	md := "# T\n\nBody ![chart](../files/1/1-chart.png) and [a link](../files/1/4-d.pdf).\n\n" +
		"## Attachments\n\n" +
		"- [1-chart.png](../files/1/1-chart.png)\n" +
		"- [photo \\<1\\>.JPG](../files/1/2-photo%20%3C1%3E.JPG)\n" +
		"- [d.pdf](../files/1/4-d.pdf)\n" +
		"- [logo.svg](../files/1/5-logo.svg.txt)\n" +
		"- [web.png](https://example.com/web.png)\n" +
		"- [scan.gif](../files/1/6-scan.gif)\n"
	b, err := convert([]byte(md), nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.HTML))
	if err != nil {
		t.Fatal(err)
	}
	var imgs []string
	for _, img := range find(doc, tag("img")) {
		imgs = append(imgs, attr(img, "src"))
	}
	if want := "../files/1/1-chart.png ../files/1/2-photo%20%3C1%3E.JPG ../files/1/6-scan.gif"; strings.Join(imgs, " ") != want {
		t.Errorf("images %q, want %q", imgs, want)
	}
	lists := find(doc, tag("ul", "attachments"))
	if len(lists) != 1 {
		t.Fatalf("%d lists of attachments", len(lists))
	}
	var entries []string
	for li := lists[0].FirstChild; li != nil; li = li.NextSibling {
		if li.Type != html.ElementNode {
			continue
		}
		fig := find(li, tag("figure", "attachment"))
		links := find(li, tag("a"))
		switch {
		case len(fig) == 1 && tag("li", "image")(li):
			img := find(fig[0], tag("img"))
			caption := find(fig[0], tag("figcaption"))
			if len(img) != 1 || len(links) != 1 || img[0].Parent != links[0] || attr(links[0], "href") != attr(img[0], "src") ||
				attr(img[0], "loading") != "lazy" || len(caption) != 1 || attr(img[0], "alt") != textOf(caption[0]) {
				t.Errorf("the figure of %s is not a picture linked to its file, named", textOf(li))
			}
			entries = append(entries, "figure "+attr(img[0], "alt"))
		case len(fig) == 0 && len(links) == 1:
			entries = append(entries, "link "+textOf(links[0]))
		default:
			t.Errorf("attachment entry %q is neither a figure nor a link", textOf(li))
		}
	}
	want := "link 1-chart.png|figure photo <1>.JPG|link d.pdf|link logo.svg|link web.png|figure scan.gif"
	if strings.Join(entries, "|") != want {
		t.Errorf("attachments %q, want %q", entries, want)
	}
	if !strings.HasSuffix(b.Text, "Attachments 1-chart.png photo <1>.JPG d.pdf logo.svg web.png scan.gif") {
		t.Errorf("the search's text lacks the attachments' names: %q", b.Text)
	}

	// A body's own heading "Attachments" that is not the last section,
	// and a list that is not under it, show nothing more.
	for _, md := range []string{
		"# T\n\n## Attachments\n\n- [a.png](../files/1/a.png)\n\n## Comments\n\nnone\n",
		"# T\n\n## Files\n\n- [a.png](../files/1/a.png)\n",
		"# T\n\n## Attachments\n\n1. [a.png](../files/1/a.png) and more\n",
	} {
		doc := convertDoc(t, md)
		if n := len(find(doc, tag("img"))); n != 0 {
			t.Errorf("%d images in %q", n, md)
		}
	}
}

func convertDoc(t *testing.T, md string) *html.Node {
	t.Helper()
	b, err := convert([]byte(md), nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.HTML))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
