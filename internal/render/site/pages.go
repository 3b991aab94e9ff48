package site

import (
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

//go:embed templates/*.html
var templateFiles embed.FS

var templates = template.Must(template.New("site").ParseFS(templateFiles, "templates/*.html"))

// The pages' Content-Security-Policy. In Chromium, 'self' on a page
// opened from disk matches every file: URL (no policy can name the
// site's own folder, which may be moved), and a hash with integrity=
// fails there; the policy still refuses inline script, event handler
// attributes and javascript: URLs, and anything from the network. Item
// pages run no script at all.
const (
	indexCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'"
	itemCSP  = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'"
)

// layout is what every page's head and foot need.
type layout struct {
	Title   string
	Root    string // the way up to the site's top: "" or "../"
	CSP     string
	Site    string
	Footer  string
	Scripts []string
}

type crumb struct{ Name, Href string }

type meta struct{ Name, Value string }

// entry is an item in a list or tree of the index or of an item page.
type entry struct {
	Title, Href, Anchor string
	Date, DateSort      string
	Folder              bool
	Children            []entry
}

// itemPage is an item's page.
type itemPage struct {
	layout
	Crumbs   []crumb
	KindName string
	Key      string
	Heading  string
	Meta     []meta
	Labels   []string
	URL      string
	Product  string
	Body     template.HTML
	Children []entry
}

// indexPage is index.html.
type indexPage struct {
	layout
	Heading    string
	Summary    string
	Unfinished string
	Problems   string
	Jira       bool
	Spaces     []spaceSection
	Issues     []issueRow
	Projects   []string
	Types      []string
	Statuses   []string
}

type spaceSection struct {
	Name, Key, Anchor, BlogAnchor, URL, Count string
	Tree, Blog                                []entry
}

type issueRow struct {
	Key, Href, Anchor, Summary, Project string
	Type, Status, Priority, Assignee    string
	KeySort, PriorityRank               string
	Updated, UpdatedSort                string
}

// siteName is how the pages name the site the export came from.
func siteName(c *render.Catalog) string {
	s := c.Manifest.Site
	if host := strings.TrimPrefix(strings.TrimPrefix(s.URL, "https://"), "http://"); host != "" {
		return strings.TrimSuffix(host, "/")
	}
	return cmp.Or(s.Name, "Atlassian export")
}

// productName is "Jira" or "Confluence".
func productName(c *render.Catalog) string {
	if c.Manifest.Product == "jira" {
		return "Jira"
	}
	return "Confluence"
}

// footer says where the site comes from: the export, not the render (a
// page renders the same whenever it is rendered again).
func footer(c *render.Catalog) string {
	m := c.Manifest
	s := fmt.Sprintf("Rendered by aumo from a %s export of %s", productName(c), siteName(c))
	if m.Query != "" {
		s += " (" + m.Query + ")"
	}
	if !m.FinishedAt.IsZero() {
		s += ", finished " + m.FinishedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	return s + "."
}

func (v *view) layout(title, root, csp string) layout {
	return layout{Title: title, Root: root, CSP: csp, Site: siteName(v.c), Footer: footer(v.c)}
}

// itemPage makes the page of it around its body's HTML.
func (v *view) itemPage(it *render.Item, html []byte) itemPage {
	from := pagePath(it)
	p := itemPage{
		layout:  v.layout(it.Title+" · "+siteName(v.c), "../", itemCSP),
		Heading: cmp.Or(it.Title, it.Key, it.ID), Labels: it.Labels, Product: productName(v.c),
		Body: template.HTML(html), //nolint:gosec // goldmark without WithUnsafe: raw HTML escaped, unsafe links dropped
	}
	if isHTTP(it.URL) {
		p.URL = it.URL
	}
	if it.Kind == exportformat.KindIssue {
		p.Title = it.Key + ": " + p.Title
		p.KindName, p.Key = cmp.Or(it.Type, "Issue"), it.Key
		p.Crumbs = []crumb{{Name: it.Project, Href: render.Relative(from, indexName) + "#project=" + it.Project}, {Name: it.Key}}
		p.Meta = nonEmpty(
			meta{"Status", it.Status}, meta{"Priority", it.Priority},
			meta{"Reporter", it.Author}, meta{"Assignee", cmp.Or(it.Assignee, "Unassigned")},
			meta{"Created", displayTime(it.Created)}, meta{"Updated", displayTime(it.Updated)})
		return p
	}
	p.KindName = "Page"
	p.Crumbs = v.crumbs(it, from)
	if it.Kind == exportformat.KindBlogpost {
		p.KindName = "Blog post"
	}
	status := it.Status
	if status == "current" {
		status = ""
	}
	version := ""
	if it.Version > 0 {
		version = fmt.Sprint(it.Version)
	}
	p.Meta = nonEmpty(meta{"Author", it.Author}, meta{"Created", displayTime(it.Created)},
		meta{"Updated", displayTime(it.Updated)}, meta{"Version", version}, meta{"Status", status})
	p.Children = v.tree(it.Children, from, false)
	return p
}

// crumbs are the way to a page or blog post: its space, the pages and
// folders above it, itself.
func (v *view) crumbs(it *render.Item, from string) []crumb {
	index := render.Relative(from, indexName)
	var cs []crumb
	if sp, ok := v.c.Space(it.Space); ok {
		cs = append(cs, crumb{Name: cmp.Or(sp.Name, sp.Key), Href: index + "#" + spaceAnchor(sp)})
		if it.Kind == exportformat.KindBlogpost {
			cs = append(cs, crumb{Name: "Blog posts", Href: index + "#" + blogAnchor(sp)})
		}
	}
	for _, up := range v.c.Ancestors(it) {
		cs = append(cs, crumb{Name: cmp.Or(up.Title, up.ID), Href: itemHref(from, up)})
	}
	return append(cs, crumb{Name: cmp.Or(it.Title, it.ID)})
}

// tree is the entries of items and the pages below them, linked from the
// page at from; anchors gives each its id in the index.
func (v *view) tree(items []*render.Item, from string, anchors bool) []entry {
	var es []entry
	for _, it := range items {
		e := entry{Title: cmp.Or(it.Title, it.ID), Folder: it.Kind == exportformat.KindFolder, Children: v.tree(it.Children, from, anchors)}
		if !e.Folder {
			e.Href = itemHref(from, it)
		}
		if anchors {
			e.Anchor = itemAnchor(it)
		}
		es = append(es, e)
	}
	return es
}

// indexPage makes index.html.
func (v *view) indexPage() indexPage {
	c := v.c
	p := indexPage{
		layout:     v.layout(productName(c)+" export of "+siteName(c), "", indexCSP),
		Heading:    productName(c) + " export of " + siteName(c),
		Unfinished: strings.TrimSuffix(c.Unfinished(), "."),
		Problems:   problems(c),
		Jira:       c.Manifest.Product == "jira",
	}
	p.Scripts = []string{searchIndexName, jsName}
	if p.Jira {
		v.issueTable(&p)
		return p
	}
	pages, posts := 0, 0
	for _, sp := range c.Spaces {
		sec := spaceSection{
			Name: cmp.Or(sp.Name, sp.Key), Key: sp.Key, Anchor: spaceAnchor(sp), BlogAnchor: blogAnchor(sp),
			Tree: v.tree(sp.Top, indexName, true),
		}
		if isHTTP(sp.URL) {
			sec.URL = sp.URL
		}
		for _, b := range sp.Blogposts {
			sec.Blog = append(sec.Blog, entry{
				Title: cmp.Or(b.Title, b.ID), Href: itemHref(indexName, b), Anchor: itemAnchor(b),
				Date: displayDate(b.Created), DateSort: sortTime(b.Created),
			})
		}
		n := countPages(sp.Top)
		sec.Count = fmt.Sprintf("%s, %s", plural(n, "page"), plural(len(sp.Blogposts), "blog post"))
		pages += n
		posts += len(sp.Blogposts)
		p.Spaces = append(p.Spaces, sec)
	}
	p.Summary = fmt.Sprintf("%s and %s in %s.", plural(pages, "page"), plural(posts, "blog post"), plural(len(c.Spaces), "space"))
	return p
}

// issueTable fills the index's table of issues and its filters' choices.
func (v *view) issueTable(p *indexPage) {
	projects, types, statuses := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, it := range v.c.Items {
		if it.Kind != exportformat.KindIssue {
			continue
		}
		project, n := splitKey(it.Key)
		p.Issues = append(p.Issues, issueRow{
			Key: it.Key, Href: itemHref(indexName, it), Anchor: itemAnchor(it), Summary: it.Title,
			Project: it.Project, Type: it.Type, Status: it.Status, Priority: it.Priority,
			Assignee: it.Assignee, KeySort: fmt.Sprintf("%s-%012d", project, n),
			PriorityRank: priorityRank(it.Priority), Updated: displayTime(it.Updated), UpdatedSort: sortTime(it.Updated),
		})
		projects[it.Project], types[it.Type], statuses[it.Status] = true, true, true
	}
	p.Projects, p.Types, p.Statuses = sortedKeys(projects), sortedKeys(types), sortedKeys(statuses)
	query := ""
	if q := v.c.Manifest.Query; q != "" {
		query = " selected by " + q
	}
	p.Summary = plural(len(p.Issues), "issue") + query + "."
}

// problems says what the catalog left out, if anything.
func problems(c *render.Catalog) string {
	items := map[string]bool{}
	for _, p := range c.Problems {
		items[p.Item] = true
	}
	switch len(c.Problems) {
	case 0:
		return ""
	case 1:
		return "A file of the export does not match its index: the item it belongs to is left out."
	}
	return fmt.Sprintf("%d files of the export do not match its index: the %s they belong to are left out.", len(c.Problems), plural(len(items), "item"))
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		if k != "" {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// splitKey splits an issue key into its project and number.
func splitKey(key string) (string, int) {
	i := strings.LastIndexByte(key, '-')
	n := 0
	if i < 0 {
		return key, 0
	}
	if _, err := fmt.Sscan(key[i+1:], &n); err != nil {
		return key, 0
	}
	return key[:i], n
}

// priorityRank sorts Jira's standard priorities from the highest; others
// after them, by name.
func priorityRank(p string) string {
	ranks := map[string]int{"blocker": 1, "highest": 2, "critical": 3, "high": 4, "major": 5, "medium": 6, "minor": 7, "low": 8, "trivial": 9, "lowest": 10}
	if r, ok := ranks[strings.ToLower(p)]; ok {
		return fmt.Sprintf("%02d", r)
	}
	return "99 " + p
}

func countPages(items []*render.Item) int {
	n := 0
	for _, it := range items {
		if it.Kind != exportformat.KindFolder {
			n++
		}
		n += countPages(it.Children)
	}
	return n
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func nonEmpty(ms ...meta) []meta {
	return slices.DeleteFunc(ms, func(m meta) bool { return m.Value == "" })
}

func isHTTP(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// timeLayouts are the times of Jira's and Confluence's JSON.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700"}

func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// displayTime is a time as the pages show it, in UTC to the minute; a
// time it cannot read as it is.
func displayTime(s string) string {
	if t, ok := parseTime(s); ok {
		return t.Format("2006-01-02 15:04 UTC")
	}
	return s
}

// displayDate is the day of a time.
func displayDate(s string) string {
	if t, ok := parseTime(s); ok {
		return t.Format("2006-01-02")
	}
	return s
}

// sortTime is a time as text that sorts in time order.
func sortTime(s string) string {
	if t, ok := parseTime(s); ok {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	return s
}
