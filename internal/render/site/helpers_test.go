package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/rendertest"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// renderInto renders the export at src into dest and returns the folder,
// closed.
func renderInto(t testing.TB, src, dest string) *render.Dir {
	t.Helper()
	d, err := render.OpenDir(dest, "html")
	if err != nil {
		t.Fatal(err)
	}
	rendertest.Render(t, src, New(d))
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return d
}

// The hostile content's marks: were any of its scripts to run, it would
// set the page's title to pwned and add an element with id pwned.
const (
	pwn          = `document.title='pwned';document.body.appendChild(document.createElement('p')).id='pwned'`
	hostileTitle = `<script>` + pwn + `</script><img src=x onerror="` + pwn + `"> Hostile`
)

// hostileStorage is a Confluence body that tries every way to run script.
const hostileStorage = `<p>Hostile body starts.</p>
<script>` + pwn + `</script>
<p><img src="x" onerror="` + pwn + `"/></p>
<p><a href="javascript:` + pwn + `">js link</a> <a href="JaVaScRiPt:` + pwn + `">js link 2</a> <a href=" java&#x09;script:` + pwn + `">js link 3</a></p>
<p><a href="data:text/html,&lt;script&gt;` + pwn + `&lt;/script&gt;">data link</a> <a href="vbscript:msgbox(1)">vb link</a></p>
<p>&lt;script&gt;` + pwn + `&lt;/script&gt; and &lt;img src=x onerror="` + pwn + `"&gt;</p>
<p>[md link](javascript:` + pwn + `) and ![md image](javascript:` + pwn + `) and &lt;javascript:` + pwn + `&gt;</p>
<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<script>` + pwn + `</script>]]></ac:plain-text-body></ac:structured-macro>
<p><ac:image><ri:attachment ri:filename="evil.svg"/></ac:image></p>
<p>Hostile body ends.</p>`

// activeFile is an SVG attachment a browser would run script in.
const activeFile = `<svg xmlns="http://www.w3.org/2000/svg"><script>` + pwn + `</script></svg>`

// activeMarkup is an attachment whose script runs in a document of every
// type a browser reads as HTML or XML: it adds an element with id pwned
// (and sets the title, where the document has one).
const activeMarkup = `<?xml version="1.0"?><doc><script xmlns="http://www.w3.org/1999/xhtml">` +
	`document.documentElement.appendChild(document.createElementNS('http://www.w3.org/1999/xhtml','p')).id='pwned';document.title='pwned'` +
	`</script></doc>`

// hostileAttachment is an attachment that a browser would run script in,
// opened from disk, were it copied under its own name.
type hostileAttachment struct {
	name string // as attached
	copy string // the name of its copy, less the attachment id and dash
	// runs says that Chromium runs the script of a file of this name
	// opened from disk, by its own table of types; system that it does
	// on a system whose table of types makes it XML.
	runs, system bool
}

// hostileAttachments are attached to the hostile Confluence page, the
// SVG first (the page's body embeds it).
var hostileAttachments = []hostileAttachment{
	{name: "evil.svg", copy: "evil.svg.txt", runs: true},
	{name: "evil.shtm", copy: "evil.shtm.txt", runs: true},
	{name: "evil.XHTM", copy: "evil.XHTM.txt", runs: true},
	{name: "evil.ehtml", copy: "evil.ehtml.txt", runs: true},
	{name: "evil.xml", copy: "evil.xml.txt", runs: true},
	{name: "evil.PnG.html", copy: "evil.PnG.html.txt", runs: true},
	{name: "evil.rss", copy: "evil.rss.txt", system: true},
	{name: "evil.atom", copy: "evil.atom.txt", system: true},
	{name: "evil.xsd", copy: "evil.xsd.txt", system: true},
	{name: "evil.xbl", copy: "evil.xbl.txt", system: true},
	{name: "evil.html.", copy: "evil.html.txt"}, // Windows would save it as evil.html
	{name: "evil", copy: "evil.txt"},
}

// id is the attachment's id.
func (h hostileAttachment) id() string {
	return fmt.Sprintf("att19999999%02d", slices.Index(hostileAttachments, h))
}

// path is the attachment's path in the export of the page with id.
func (h hostileAttachment) path(id string) string {
	return exportformat.ItemDir(exportformat.KindPage, id) + "/attachments/" + h.id() + "-" + h.name
}

// copyPath is where the site copies the attachment of the page with id.
func (h hostileAttachment) copyPath(id string) string {
	return "files/" + id + "/" + h.id() + "-" + h.copy
}

// content is what the attachment holds.
func (h hostileAttachment) content() string {
	if strings.HasSuffix(h.name, ".svg") {
		return activeFile
	}
	return activeMarkup
}

// exportFile writes a file of the export at dir and adds its line to the
// index (the last line for a path wins), so that the catalog takes it.
func exportFile(t testing.TB, dir string, line exportformat.IndexLine, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(line.Path))
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	line.Size, line.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
	b, err := json.Marshal(line)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, exportformat.IndexName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
}

// editJSON rewrites the JSON of the item at p (a path of the export).
func editJSON(t testing.TB, dir, p, kind, id string, edit func(doc map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	exportFile(t, dir, exportformat.IndexLine{Path: p, Kind: kind, ID: id, Item: id}, out)
}

// makeHostileConfluence turns a page of a Confluence export, and a
// comment on it, into hostile content with the hostile attachments; it
// returns the page's id.
func makeHostileConfluence(t testing.TB, dir string) string {
	t.Helper()
	_, c := rendertest.Open(t, dir)
	var page *render.Item
	for _, it := range c.Items {
		if it.Kind == exportformat.KindPage && it.Parent != "" {
			page = it
			break
		}
	}
	if page == nil {
		t.Fatal("no page below another in the export")
	}
	editJSON(t, dir, page.Path, exportformat.KindPage, page.ID, func(doc map[string]any) {
		doc["title"] = hostileTitle
		doc["body"] = map[string]any{"storage": map[string]any{"representation": "storage", "value": hostileStorage}}
		doc["comments"] = append(doc["comments"].([]any), map[string]any{
			"id": "1999999999", "location": "footer", "status": "current",
			"body":    map[string]any{"storage": map[string]any{"representation": "storage", "value": hostileStorage}},
			"version": map[string]any{"author": map[string]any{"displayName": hostileTitle}, "createdAt": "2026-02-27T10:00:00.000Z"},
		})
	})
	for _, h := range hostileAttachments {
		exportFile(t, dir, exportformat.IndexLine{Path: h.path(page.ID), Kind: exportformat.KindAttachment, ID: h.id(), Item: page.ID}, []byte(h.content()))
	}
	return page.ID
}

// makeHostileJira turns an issue of a Jira export into hostile content;
// it returns the issue's key.
func makeHostileJira(t testing.TB, dir string) string {
	t.Helper()
	_, c := rendertest.Open(t, dir)
	it := c.Items[len(c.Items)/2]
	text := func(s string, marks ...any) map[string]any {
		n := map[string]any{"type": "text", "text": s}
		if len(marks) > 0 {
			n["marks"] = marks
		}
		return n
	}
	link := func(href string) any { return map[string]any{"type": "link", "attrs": map[string]any{"href": href}} }
	editJSON(t, dir, it.Path, exportformat.KindIssue, it.ID, func(doc map[string]any) {
		fields := doc["fields"].(map[string]any)
		fields["summary"] = hostileTitle
		fields["description"] = map[string]any{"type": "doc", "version": 1, "content": []any{
			map[string]any{"type": "paragraph", "content": []any{
				text("Hostile body starts. <script>" + pwn + "</script> <img src=x onerror=\"" + pwn + "\"> "),
				text("js link", link("javascript:"+pwn)),
				text(" "),
				text("data link", link("data:text/html,<script>"+pwn+"</script>")),
				text(" [md link](javascript:" + pwn + ") Hostile body ends."),
			}},
		}}
	})
	return it.Key
}

// page is an HTML file of the site, parsed.
type page struct {
	name string // relative to the site's top, /-separated
	doc  *html.Node
	raw  []byte
}

// readSite parses every HTML file of the site at dest.
func readSite(t testing.TB, dest string) map[string]*page {
	t.Helper()
	pages := map[string]*page{}
	err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		doc, err := html.Parse(bytes.NewReader(raw))
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dest, p)
		pages[filepath.ToSlash(rel)] = &page{name: filepath.ToSlash(rel), doc: doc, raw: raw}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// find returns the elements under n that match.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var found []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			found = append(found, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return found
}

// tag matches elements by name, and class when given.
func tag(name string, class ...string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		if n.Data != name {
			return false
		}
		for _, c := range class {
			if !slices.Contains(strings.Fields(attr(n, "class")), c) {
				return false
			}
		}
		return true
	}
}

func byID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return attr(n, "id") == id }
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

// textOf is the text under n, spaces collapsed.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// checkSite checks what every page of a site must be: a policy that
// refuses inline script, no inline script or event handler, no link that
// runs script, and every relative link and source a file of the site
// (and every fragment an element of it).
func checkSite(t *testing.T, dest string, pages map[string]*page) {
	t.Helper()
	for name, p := range pages {
		checkPolicy(t, name, p.doc)
		for _, n := range find(p.doc, func(*html.Node) bool { return true }) {
			for _, a := range n.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					t.Errorf("%s: <%s %s=%q>: an event handler", name, n.Data, a.Key, a.Val)
				}
			}
			if n.Data == "script" && (attr(n, "src") == "" || n.FirstChild != nil) {
				t.Errorf("%s: an inline script: %s", name, textOf(n))
			}
			for _, a := range []string{"href", "src", "action"} {
				if hasAttr(n, a) {
					checkLink(t, dest, pages, name, attr(n, a))
				}
			}
		}
	}
}

// checkPolicy finds the page's Content-Security-Policy, first in its head.
func checkPolicy(t *testing.T, name string, doc *html.Node) {
	t.Helper()
	metas := find(doc, func(n *html.Node) bool {
		return n.Data == "meta" && strings.EqualFold(attr(n, "http-equiv"), "Content-Security-Policy")
	})
	if len(metas) != 1 || metas[0].Parent.Data != "head" {
		t.Errorf("%s: %d Content-Security-Policy metas in the head, want 1", name, len(metas))
		return
	}
	csp := attr(metas[0], "content")
	for _, want := range []string{"default-src 'none'", "style-src 'self'", "img-src 'self' data:", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: policy %q lacks %q", name, csp, want)
		}
	}
	if !strings.Contains(csp, "script-src 'self'") && !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("%s: policy %q: script-src is not 'self' or 'none'", name, csp)
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("%s: policy %q allows unsafe script", name, csp)
	}
	if len(find(doc, func(n *html.Node) bool { return n.Data == "meta" && strings.EqualFold(attr(n, "charset"), "utf-8") })) != 1 {
		t.Errorf("%s: no charset meta", name)
	}
	if len(find(doc, func(n *html.Node) bool { return n.Data == "meta" && attr(n, "name") == "viewport" })) != 1 {
		t.Errorf("%s: no viewport meta", name)
	}
}

// checkLink checks a link of the page name: to the web or mail, or to a
// file of the site (and an element of it, for a fragment).
func checkLink(t *testing.T, dest string, pages map[string]*page, name, link string) {
	t.Helper()
	if link == "" {
		return // a link whose destination the Markdown's converter dropped
	}
	u, err := url.Parse(link)
	switch {
	case err != nil:
		t.Errorf("%s: link %q: %v", name, link, err)
		return
	case u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "mailto":
		return
	case u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/"):
		t.Errorf("%s: link %q is neither to the web nor relative", name, link)
		return
	}
	target := name
	if u.Path != "" {
		target = path.Join(path.Dir(name), u.Path)
	}
	if !filepath.IsLocal(target) {
		t.Errorf("%s: link %q leads out of the site", name, link)
		return
	}
	if _, err := os.Stat(filepath.Join(dest, filepath.FromSlash(target))); err != nil {
		t.Errorf("%s: link %q: %v", name, link, err)
		return
	}
	if u.Fragment != "" && !strings.Contains(u.Fragment, "=") && strings.HasSuffix(target, ".html") {
		if p := pages[target]; p == nil || len(find(p.doc, byID(u.Fragment))) == 0 {
			t.Errorf("%s: link %q: no element %q in %s", name, link, u.Fragment, target)
		}
	}
}

// searchRecords reads the site's search index.
func searchRecords(t testing.TB, dest string) []searchRecord {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dest, searchIndexName))
	if err != nil {
		t.Fatal(err)
	}
	_, js, ok := bytes.Cut(data, []byte("window.AUMO_SEARCH = "))
	if !ok {
		t.Fatalf("the search index sets no window.AUMO_SEARCH:\n%.300s", data)
	}
	var recs []searchRecord
	if err := json.Unmarshal(bytes.TrimSuffix(bytes.TrimSpace(js), []byte(";")), &recs); err != nil {
		t.Fatalf("the search index is not a JSON array: %v", err)
	}
	return recs
}

// siteFiles are the site's files and their content, less render's record.
func siteFiles(t testing.TB, dest string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == render.RecordName {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dest, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
