package confluence

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/mdtext"
	"github.com/aumo-cli/aumo/internal/redact"
	"github.com/aumo-cli/aumo/pkg/storage"
)

// Render is what the Markdown of a page or blog post is made of besides
// its JSON. All of it is in an export on disk (the manifest's site,
// spaces/, the index's paths), so the Markdown can be made again offline.
type Render struct {
	// Kind is "page" or "blogpost".
	Kind string
	// Site is the site's URL, https://example.atlassian.net: links the
	// export does not hold point there.
	Site string
	// SpaceKey is the key of the item's space.
	SpaceKey string
	// Redacted says account ids are removed from the export: a link to a
	// person is their name alone, a personal space's key "~redacted".
	Redacted bool
	// Files are the item's attachment files as written.
	Files []export.AttachmentFile
	// PagePath is the export path (pages/<id>/page.json) of the page
	// titled title in space, when the export holds it.
	PagePath func(space, title string) (string, bool)
	// ItemPath is the export path of the page or blog post with that id,
	// when the export holds it.
	ItemPath func(id string) (string, bool)
	// User names the person of a storage user reference, by account id
	// or by user key; false: "@unknown user".
	User func(id, key string) (string, bool)
	// Link, when set, is the link destination (escaped as a URL path)
	// from the item's rendition to the rendition of the item exported at
	// path (pages/<id>/page.json); nil: to its Markdown in the export.
	Link func(path string) string
	// Scrub, when set, is applied to the finished Markdown: the ids an
	// export found in the item, which links the converter builds (to
	// personal spaces) may hold.
	Scrub func(string) string
}

// Markdown renders a page or blog post for reading: YAML front matter,
// the body, every comment in thread order (inline ones with the text
// they refer to) and the attachments as relative links. It uses the item
// as exported (redacted unless --keep-account-ids), with links to other
// pages of the export made relative.
func (it *content) Markdown(files []export.AttachmentFile) []byte {
	return Markdown(it.doc, it.render(files))
}

// render is what the live export knows of the item's surroundings.
func (it *content) render(files []export.AttachmentFile) Render {
	s := it.src
	r := Render{
		Kind: it.Kind, Site: s.opts.SiteURL, SpaceKey: s.spaceKey(it.ID), Redacted: it.redactor != nil, Files: files,
		PagePath: s.pagePath,
		ItemPath: s.itemPath,
		User:     s.name,
	}
	if it.redactor != nil {
		r.Scrub = it.redactor.String
	}
	return r
}

// Markdown renders doc, a page or blog post as exported, with what r
// gives.
func Markdown(doc map[string]any, r Render) []byte {
	v := &view{doc: doc, r: r}
	var b strings.Builder
	b.WriteString(v.frontMatter() + "\n")
	b.WriteString(mdtext.Heading(1, mdtext.Plain(str(doc["title"]))) + "\n\n")
	opts := v.storageOptions()
	writeStorage(&b, obj(doc["body"]), opts)
	writeComments(&b, list(doc["comments"]), opts)
	if len(r.Files) > 0 {
		b.WriteString("## Attachments\n\n")
		for _, f := range r.Files {
			fmt.Fprintf(&b, "- [%s](%s)\n", mdtext.Plain(f.Name), escapePath(f.Path))
		}
		b.WriteString("\n")
	}
	md := strings.TrimRight(b.String(), "\n") + "\n"
	if r.Scrub != nil {
		md = r.Scrub(md)
	}
	return []byte(md)
}

// view is an item being rendered.
type view struct {
	doc map[string]any
	r   Render
}

// storageOptions are the converter's options for the item: links to its
// attachments' files and to the pages and blog posts of the export are
// relative, other links go to the site. Unless account ids are kept, a
// link to a person is their name alone: the link would only lead to a
// redacted profile.
func (v *view) storageOptions() storage.Options {
	byName := map[string]string{}
	for _, f := range v.r.Files {
		if _, dup := byName[f.Name]; !dup {
			byName[f.Name] = f.Path
		}
	}
	site := ""
	if v.r.Site != "" {
		site = strings.TrimSuffix(v.r.Site, "/") + "/wiki"
	}
	return storage.Options{
		SiteURL:    site,
		Attachment: func(name string) (string, bool) { p, ok := byName[name]; return escapePath(p), ok },
		Page: func(space, title string) (string, bool) {
			if space == "" {
				space = v.r.SpaceKey
			}
			if v.r.PagePath == nil {
				return "", false
			}
			target, ok := v.r.PagePath(space, title)
			if !ok {
				return "", false // the converter links to the site
			}
			return v.markdownLink(target), true
		},
		SpaceKey: v.r.SpaceKey,
		Link:     v.link,
		// The converter asks by account id, else by user key.
		User: func(id string) (string, bool) {
			if v.r.User == nil {
				return "", false
			}
			if n, ok := v.r.User(id, ""); ok {
				return n, true
			}
			return v.r.User("", id)
		},
	}
}

// markdownLink is the link from an item's Markdown to the Markdown of
// the item exported at path (pages/<id>/page.json), or where Render.Link
// says.
func (v *view) markdownLink(path string) string {
	if v.r.Link != nil {
		return v.r.Link(path)
	}
	return "../../" + strings.TrimSuffix(path, ".json") + ".md"
}

// link rewrites a link of the item's body: to a page or blog post of the
// export, the relative path of its Markdown (with the link's fragment);
// unless account ids are kept, to a person, nothing (the converter keeps
// the text), and to a page in a personal space, the page by its id alone.
func (v *view) link(u string) string {
	if id := siteItemID(u, v.r.Site); id != "" && v.r.ItemPath != nil {
		if target, ok := v.r.ItemPath(id); ok {
			md := v.markdownLink(target)
			if _, frag, ok := strings.Cut(u, "#"); ok && frag != "" {
				md += "#" + frag
			}
			return md
		}
	}
	if !v.r.Redacted || !redact.ProfileLink(u) {
		return u
	}
	if id := personalItemID(u, v.r.Site); id != "" {
		return strings.TrimSuffix(v.r.Site, "/") + "/wiki/pages/viewpage.action?pageId=" + id
	}
	return ""
}

// frontMatter is the item's YAML front matter.
func (v *view) frontMatter() string {
	doc := v.doc
	version := obj(doc["version"])
	return mdtext.FrontMatter([]mdtext.Field{
		{Key: "id", Value: str(doc["id"])}, {Key: "title", Value: str(doc["title"])}, {Key: "type", Value: v.r.Kind},
		{Key: "space", Value: v.displaySpaceKey()},
		{Key: "status", Value: str(doc["status"])},
		{Key: "created", Value: str(doc["createdAt"])}, {Key: "updated", Value: str(version["createdAt"])},
		{Key: "version", Value: number(version["number"])},
		{Key: "author", Value: str(obj(doc["author"])["displayName"])}, {Key: "owner", Value: str(obj(doc["owner"])["displayName"])},
		{Key: "url", Value: webURL(v.r.Site, str(obj(doc["_links"])["webui"]))},
		{Key: "parent", Value: str(doc["parentId"])}, {Key: "parentType", Value: str(doc["parentType"])},
		{Key: "labels", Values: fieldOf(doc["labels"], "name")},
		{Key: "ancestors", Values: fieldOf(doc["ancestors"], "id")},
	})
}

// fieldOf is one field of each object of v, those that have it.
func fieldOf(v any, field string) []string {
	var values []string
	for _, o := range list(v) {
		if s := str(obj(o)[field]); s != "" {
			values = append(values, s)
		}
	}
	return values
}

// writeStorage writes a storage body as Markdown, and what the converter
// could not render as comments.
func writeStorage(b *strings.Builder, body map[string]any, opts storage.Options) {
	md, problems := storage.Convert(str(obj(body["storage"])["value"]), opts)
	if s := strings.TrimSpace(md); s != "" {
		b.WriteString(s + "\n\n")
	}
	for _, pr := range problems {
		b.WriteString(mdtext.Note(pr) + "\n\n")
	}
}

// writeComments writes the comments in thread order: each root, then its
// replies, a heading level deeper.
func writeComments(b *strings.Builder, comments []any, opts storage.Options) {
	if len(comments) == 0 {
		return
	}
	b.WriteString("## Comments\n\n")
	roots, replies := threads(comments)
	var write func(c map[string]any, depth int)
	write = func(c map[string]any, depth int) {
		writeComment(b, c, depth, opts)
		for _, r := range replies[str(c["id"])] {
			write(r, depth+1)
		}
	}
	for _, r := range roots {
		write(r, 0)
	}
}

// threads sorts comments into roots and the replies to each (by the id of
// the comment replied to); a reply to a comment not there is a root.
func threads(comments []any) (roots []map[string]any, replies map[string][]map[string]any) {
	ids := map[string]bool{}
	for _, c := range comments {
		ids[str(obj(c)["id"])] = true
	}
	replies = map[string][]map[string]any{}
	for _, c := range comments {
		m := obj(c)
		if parent := str(m["parentCommentId"]); parent != "" && ids[parent] {
			replies[parent] = append(replies[parent], m)
		} else {
			roots = append(roots, m)
		}
	}
	return roots, replies
}

// writeComment writes one comment: who wrote it when, what an inline one
// refers to and whether it is resolved, and its body.
func writeComment(b *strings.Builder, c map[string]any, depth int, opts storage.Options) {
	v := obj(c["version"])
	head := commentKind(c, depth) + " by " + mdtext.Plain(commentAuthor(c)) + ", " + mdtext.Plain(str(v["createdAt"]))
	b.WriteString(mdtext.Heading(min(3+depth, 6), head) + "\n\n")
	if sel := str(obj(c["properties"])["inlineOriginalSelection"]); sel != "" {
		fmt.Fprintf(b, "> On: “%s”\n\n", mdtext.Plain(sel))
	}
	if rs := str(c["resolutionStatus"]); rs != "" && c["location"] == "inline" {
		fmt.Fprintf(b, "*(%s)*\n\n", mdtext.Plain(rs))
	}
	writeStorage(b, obj(c["body"]), opts)
}

func commentKind(c map[string]any, depth int) string {
	switch {
	case depth > 0:
		return "Reply"
	case c["location"] == "inline":
		return "Inline comment"
	}
	return "Comment"
}

// commentAuthor is who wrote a comment: its version's author, else its
// own.
func commentAuthor(c map[string]any) string {
	if who := str(obj(obj(c["version"])["author"])["displayName"]); who != "" {
		return who
	}
	if who := str(obj(c["author"])["displayName"]); who != "" {
		return who
	}
	return "Unknown user"
}

// displaySpaceKey is the space key as the Markdown shows it: a personal
// space's key ("~" and an account id) redacted unless ids are kept.
func (v *view) displaySpaceKey() string {
	if key := v.r.SpaceKey; !v.r.Redacted || !strings.HasPrefix(key, "~") {
		return key
	}
	return "~" + redact.Redacted
}

// itemURL finds the id in a link to a page or blog post on the site:
// /wiki/spaces/KEY/pages/ID[/Title], /wiki/spaces/KEY/blog/YYYY/MM/DD/ID
// [/Title] (the date optional), and the webui forms without /wiki.
var itemURL = regexp.MustCompile(`^(?:/wiki)?/spaces/[^/]+/(?:pages|blog(?:/\d{4}/\d{1,2}/\d{1,2})?)/(\d+)(?:/|$)`)

// siteItemID is the id of the page or blog post a link points to on the
// site (a link of the site's own or a site-relative one): by URL as
// itemURL reads them, or by /wiki/pages/viewpage.action?pageId=ID; ""
// for any other link.
func siteItemID(link, site string) string {
	u, ok := onSite(link, site)
	if !ok {
		return ""
	}
	id := ""
	if m := itemURL.FindStringSubmatch(u.Path); m != nil {
		id = m[1]
	} else if u.Path == "/wiki/pages/viewpage.action" || u.Path == "/pages/viewpage.action" {
		id = u.Query().Get("pageId")
	}
	if !isID(id) {
		return ""
	}
	return id
}

// personalItemID is the id of the page or blog post a link of the site
// points to in a personal space ("" for any other link).
func personalItemID(link, site string) string {
	u, ok := onSite(link, site)
	if !ok || site == "" || !strings.Contains(u.Path, "/spaces/~") {
		return ""
	}
	if m := itemURL.FindStringSubmatch(u.Path); m != nil && isID(m[1]) {
		return m[1]
	}
	return ""
}

// onSite parses a link that is site-relative or on the site.
func onSite(link, site string) (*url.URL, bool) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, false
	}
	if u.Scheme != "" || u.Host != "" {
		s, err := url.Parse(site)
		if site == "" || err != nil || !strings.EqualFold(u.Host, s.Host) {
			return nil, false
		}
	}
	return u, true
}

// itemPath is the export path of the listed page or blog post with that
// id.
func (s *Source) itemPath(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, ok := s.titles[itemKey(id)]
	return path, ok
}

// pagePath is the export path of the listed page with that title in
// that space.
func (s *Source) pagePath(space, title string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path, ok := s.titles[titleKey(space, title)]
	return path, ok
}

// spaceKey is the space key the search gave for an item.
func (s *Source) spaceKey(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spaceKeys[id]
}

// webURL makes a v2 webui link (site-relative, under /wiki) absolute.
func webURL(site, webui string) string {
	if webui == "" || site == "" {
		return webui
	}
	return strings.TrimSuffix(site, "/") + "/wiki" + webui
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func number(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}

// escapePath makes a relative file path a Markdown link target: each
// segment percent-encoded, so spaces and brackets survive.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
