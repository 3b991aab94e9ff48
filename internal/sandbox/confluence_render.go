package sandbox

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// cfTime is Confluence's form of a time: UTC with milliseconds, as
// "YYYY-MM-DDTHH:mm:ss.sssZ".
func cfTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// cfFriendlyTime is v1's friendlyLastModified.
func cfFriendlyTime(t time.Time) string { return t.UTC().Format("Jan 02, 2006") }

// cfVersion is v2's Version.
type cfVersion struct {
	Number    int    `json:"number"`
	Message   string `json:"message"`
	MinorEdit bool   `json:"minorEdit"`
	AuthorID  string `json:"authorId"`
	CreatedAt string `json:"createdAt"`
}

// cfBodyType is v2's BodyType: the value is always a string, ADF too.
type cfBodyType struct {
	Representation string `json:"representation"`
	Value          string `json:"value"`
}

type cfBody struct {
	Storage *cfBodyType `json:"storage,omitempty"`
	ADF     *cfBodyType `json:"atlas_doc_format,omitempty"`
}

// cfContentLinks are a page's or blog post's _links, relative to the
// wiki base; base itself only on single objects.
type cfContentLinks struct {
	WebUI  string `json:"webui"`
	EditUI string `json:"editui,omitempty"`
	TinyUI string `json:"tinyui,omitempty"`
	Base   string `json:"base,omitempty"`
}

// cfPageJSON is v2's PageBulk (PageSingle with _links.base).
type cfPageJSON struct {
	ID          string         `json:"id"`
	Status      string         `json:"status"`
	Title       string         `json:"title"`
	SpaceID     string         `json:"spaceId"`
	ParentID    string         `json:"parentId,omitempty"`
	ParentType  string         `json:"parentType,omitempty"`
	Position    int            `json:"position"`
	AuthorID    string         `json:"authorId"`
	OwnerID     string         `json:"ownerId"`
	LastOwnerID *string        `json:"lastOwnerId"`
	CreatedAt   string         `json:"createdAt"`
	Version     cfVersion      `json:"version"`
	Body        *cfBody        `json:"body,omitempty"`
	Labels      *cfIncluded    `json:"labels,omitempty"`
	Links       cfContentLinks `json:"_links"`
}

// cfBlogPostJSON is v2's BlogPostBulk: no parent, no owner.
type cfBlogPostJSON struct {
	ID        string         `json:"id"`
	Status    string         `json:"status"`
	Title     string         `json:"title"`
	SpaceID   string         `json:"spaceId"`
	AuthorID  string         `json:"authorId"`
	CreatedAt string         `json:"createdAt"`
	Version   cfVersion      `json:"version"`
	Body      *cfBody        `json:"body,omitempty"`
	Labels    *cfIncluded    `json:"labels,omitempty"`
	Links     cfContentLinks `json:"_links"`
}

// cfIncluded is what an include-… parameter adds to a single page or
// blog post: the first ConfluenceIncludedMax results, and when there are
// more, the cursor of the list route (_links.self) that continues after
// them.
type cfIncluded struct {
	Results []cfLabelJSON `json:"results"`
	Meta    struct {
		HasMore bool   `json:"hasMore"`
		Cursor  string `json:"cursor,omitempty"`
	} `json:"meta"`
	Links struct {
		Self string `json:"self"`
	} `json:"_links"`
}

// cfFolderJSON is v2's FolderSingle.
type cfFolderJSON struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Status     string         `json:"status"`
	Title      string         `json:"title"`
	ParentID   string         `json:"parentId"`
	ParentType string         `json:"parentType"`
	Position   int            `json:"position"`
	AuthorID   string         `json:"authorId"`
	OwnerID    string         `json:"ownerId"`
	CreatedAt  string         `json:"createdAt"`
	Version    cfVersion      `json:"version"`
	Links      cfContentLinks `json:"_links"`
}

// cfSpaceJSON is v2's SpaceBulk.
type cfSpaceJSON struct {
	ID          string                `json:"id"`
	Key         string                `json:"key"`
	Name        string                `json:"name"`
	Type        string                `json:"type"`
	Status      string                `json:"status"`
	AuthorID    string                `json:"authorId"`
	CreatedAt   string                `json:"createdAt"`
	HomepageID  string                `json:"homepageId"`
	Description map[string]cfBodyType `json:"description,omitempty"`
	Links       struct {
		WebUI string `json:"webui"`
	} `json:"_links"`
}

type cfLabelJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Prefix string `json:"prefix"`
}

// cfCommentJSON is v2's comment models: a root of a page (pageId) or
// blog post (blogPostId), or a reply (parentCommentId too); inline ones
// add resolutionStatus and properties.
type cfCommentJSON struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	Title            string         `json:"title"`
	PageID           string         `json:"pageId,omitempty"`
	BlogPostID       string         `json:"blogPostId,omitempty"`
	ParentCommentID  string         `json:"parentCommentId,omitempty"`
	Version          cfVersion      `json:"version"`
	Body             *cfBody        `json:"body,omitempty"`
	ResolutionStatus string         `json:"resolutionStatus,omitempty"`
	Properties       *cfInlineProps `json:"properties,omitempty"`
	Links            struct {
		WebUI string `json:"webui"`
	} `json:"_links"`
}

type cfInlineProps struct {
	InlineMarkerRef         string `json:"inlineMarkerRef"`
	InlineOriginalSelection string `json:"inlineOriginalSelection"`
}

// cfAttachmentJSON is v2's AttachmentBulk.
type cfAttachmentJSON struct {
	ID                   string    `json:"id"`
	Status               string    `json:"status"`
	Title                string    `json:"title"`
	CreatedAt            string    `json:"createdAt"`
	PageID               string    `json:"pageId,omitempty"`
	BlogPostID           string    `json:"blogPostId,omitempty"`
	MediaType            string    `json:"mediaType"`
	MediaTypeDescription string    `json:"mediaTypeDescription"`
	Comment              string    `json:"comment"`
	FileID               string    `json:"fileId"`
	FileSize             int64     `json:"fileSize"`
	WebuiLink            string    `json:"webuiLink"`
	DownloadLink         string    `json:"downloadLink"`
	Version              cfVersion `json:"version"`
	Links                struct {
		WebUI    string `json:"webui"`
		Download string `json:"download"`
	} `json:"_links"`
}

// cfIcon is a profile picture; its path embeds the account id.
type cfIcon struct {
	Path      string `json:"path"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	IsDefault bool   `json:"isDefault"`
}

// cfUserJSON is v2's User, as /users-bulk returns it.
type cfUserJSON struct {
	AccountID              string `json:"accountId"`
	AccountType            string `json:"accountType"`
	AccountStatus          string `json:"accountStatus"`
	DisplayName            string `json:"displayName"`
	PublicName             string `json:"publicName"`
	Email                  string `json:"email"`
	TimeZone               string `json:"timeZone,omitempty"`
	IsExternalCollaborator bool   `json:"isExternalCollaborator"`
	ProfilePicture         cfIcon `json:"profilePicture"`
}

func cfProfilePicture(u jiraUser) cfIcon {
	return cfIcon{Path: "/wiki/aa-avatar/" + u.accountID, Width: 48, Height: 48}
}

func (c *cfCall) accountID(k int) string { return jiraUserAt(c.me, k).accountID }

// userJSON renders user k of the pool for /users-bulk.
func (c *cfCall) userJSON(k int) cfUserJSON {
	c.users++
	u := jiraUserAt(c.me, k)
	status := "active"
	if !u.active {
		status = "inactive"
	}
	return cfUserJSON{
		AccountID: u.accountID, AccountType: u.accountType, AccountStatus: status,
		DisplayName: u.name, PublicName: u.name, Email: u.email, TimeZone: u.timeZone,
		ProfilePicture: cfProfilePicture(u),
	}
}

// cfTitlePath is a title as it appears in a web UI path.
func cfTitlePath(title string) string { return url.QueryEscape(title) }

// tinyUI is the short link of a piece of content.
func tinyUI(id int64) string {
	b := binary.LittleEndian.AppendUint64(nil, uint64(id)) //nolint:gosec // ids are positive
	for len(b) > 1 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return "/x/" + base64.RawURLEncoding.EncodeToString(b)
}

// webUI is the web link of content, relative to the wiki base.
func (ct *cfContent) webUI() string {
	key, id := ct.d.sp.key, ct.idString()
	switch ct.kind {
	case kindBlogPost:
		return "/spaces/" + key + "/blog/" + ct.created.UTC().Format("2006/01/02") + "/" + id + "/" + cfTitlePath(ct.title)
	case kindFolder:
		return "/spaces/" + key + "/folder/" + id
	}
	return "/spaces/" + key + "/pages/" + id + "/" + cfTitlePath(ct.title)
}

func (ct *cfContent) links(base string) cfContentLinks {
	return cfContentLinks{
		WebUI:  ct.webUI(),
		EditUI: "/pages/resumedraft.action?draftId=" + ct.idString(),
		TinyUI: tinyUI(ct.id),
		Base:   base,
	}
}

func (c *cfCall) contentVersion(ct *cfContent) cfVersion {
	return cfVersion{Number: ct.version, AuthorID: c.accountID(ct.editor), CreatedAt: cfTime(ct.updated)}
}

// status is what v2 shows of content: a trashed page is "trashed".
func (ct *cfContent) status() string {
	if ct.trashed {
		return "trashed"
	}
	return "current"
}

// page renders a page; base is set on single objects.
func (c *cfCall) page(ct *cfContent, format, base string) cfPageJSON {
	c.objects++
	c.fetched++
	out := cfPageJSON{
		ID: ct.idString(), Status: ct.status(), Title: ct.title, SpaceID: strconv.FormatInt(ct.d.sp.id(), 10),
		Position: ct.position, AuthorID: c.accountID(ct.author), OwnerID: c.accountID(ct.owner),
		CreatedAt: cfTime(ct.created), Version: c.contentVersion(ct), Body: c.body(ct, format),
		Links: ct.links(base),
	}
	if ct.parent != nil {
		out.ParentID, out.ParentType = ct.parent.idString(), ct.parent.kind.String()
	}
	if ct.lastOwner >= 0 {
		id := c.accountID(ct.lastOwner)
		out.LastOwnerID = &id
	}
	return out
}

func (c *cfCall) blogPost(ct *cfContent, format, base string) cfBlogPostJSON {
	c.objects++
	c.fetched++
	return cfBlogPostJSON{
		ID: ct.idString(), Status: ct.status(), Title: ct.title, SpaceID: strconv.FormatInt(ct.d.sp.id(), 10),
		AuthorID: c.accountID(ct.author), CreatedAt: cfTime(ct.created), Version: c.contentVersion(ct),
		Body: c.body(ct, format), Links: ct.links(base),
	}
}

func (c *cfCall) folder(ct *cfContent) cfFolderJSON {
	c.objects++
	return cfFolderJSON{
		ID: ct.idString(), Type: "folder", Status: "current", Title: ct.title,
		ParentID: ct.parent.idString(), ParentType: ct.parent.kind.String(), Position: ct.position,
		AuthorID: c.accountID(ct.author), OwnerID: c.accountID(ct.owner), CreatedAt: cfTime(ct.created),
		Version: c.contentVersion(ct), Links: cfContentLinks{WebUI: ct.webUI(), Base: c.wikiBase()},
	}
}

func (c *cfCall) space(sp *confluenceSpace, descriptionFormat string) cfSpaceJSON {
	c.objects++
	d := sp.data(c.site)
	out := cfSpaceJSON{
		ID: strconv.FormatInt(sp.id(), 10), Key: sp.key, Name: sp.name, Type: "global", Status: "current",
		AuthorID: c.accountID(d.author), CreatedAt: cfTime(d.created), HomepageID: d.pages[0].idString(),
	}
	if sp.opts.Archived {
		out.Status = "archived"
	}
	text := "Everything about " + sp.name + "."
	switch descriptionFormat {
	case "plain":
		out.Description = map[string]cfBodyType{"plain": {Representation: "plain", Value: text}}
	case "view":
		out.Description = map[string]cfBodyType{"view": {Representation: "view", Value: "<p>" + html.EscapeString(text) + "</p>"}}
	}
	out.Links.WebUI = "/spaces/" + sp.key
	return out
}

func (c *cfCall) label(l cfLabel) cfLabelJSON {
	c.objects++
	return labelJSON(l)
}

// labelJSON renders a label; one embedded in its page costs nothing of
// its own.
func labelJSON(l cfLabel) cfLabelJSON {
	return cfLabelJSON{ID: l.id(), Name: confluenceLabelNames[l.name], Prefix: l.prefix}
}

func (c *cfCall) comment(cm *cfComment, format string) cfCommentJSON {
	c.objects++
	ct := cm.container
	out := cfCommentJSON{
		ID: cm.idString(), Status: "current", Title: "Re: " + ct.title,
		Version: cfVersion{Number: cm.version, AuthorID: c.accountID(cm.author), CreatedAt: cfTime(cm.updated)},
	}
	if ct.kind == kindBlogPost {
		out.BlogPostID = ct.idString()
	} else {
		out.PageID = ct.idString()
	}
	if cm.parent != nil {
		out.ParentCommentID = cm.parent.idString()
	}
	if cm.inline {
		out.ResolutionStatus = cm.resolution
		out.Properties = &cfInlineProps{InlineMarkerRef: cm.markerRef, InlineOriginalSelection: cm.selection}
	}
	if format != "" {
		storage, adf := c.commentBody(cm)
		out.Body = bodyIn(format, storage, adf)
	}
	out.Links.WebUI = ct.webUI() + "?focusedCommentId=" + cm.idString()
	return out
}

// downloadLink is the web servlet's path of an attachment, relative to
// the wiki base; it answers 401 to API tokens.
func (a *cfAttachment) downloadLink() string {
	return "/download/attachments/" + a.container.idString() + "/" + url.PathEscape(a.filename) +
		"?version=1&modificationDate=" + strconv.FormatInt(a.created.UnixMilli(), 10) + "&api=v2"
}

func (a *cfAttachment) webUI() string {
	pid := a.container.idString()
	return "/pages/viewpageattachments.action?pageId=" + pid + "&preview=" +
		url.QueryEscape("/"+pid+"/"+strconv.FormatInt(a.id, 10)+"/"+a.filename)
}

func (a *cfAttachment) mediaTypeDescription() string {
	if d, ok := confluenceMediaDescriptions[a.mediaType]; ok {
		return d
	}
	return "File"
}

func (c *cfCall) attachment(a *cfAttachment) cfAttachmentJSON {
	c.objects++
	out := cfAttachmentJSON{
		ID: a.idString(), Status: "current", Title: a.filename, CreatedAt: cfTime(a.created),
		MediaType: a.mediaType, MediaTypeDescription: a.mediaTypeDescription(), Comment: a.comment,
		FileID: a.fileID, FileSize: a.size, WebuiLink: a.webUI(), DownloadLink: a.downloadLink(),
		Version: cfVersion{Number: 1, AuthorID: c.accountID(a.author), CreatedAt: cfTime(a.created)},
	}
	if a.container.kind == kindBlogPost {
		out.BlogPostID = a.container.idString()
	} else {
		out.PageID = a.container.idString()
	}
	out.Links.WebUI, out.Links.Download = out.WebuiLink, out.DownloadLink
	return out
}

// bodyIn wraps one representation of a body for a response.
func bodyIn(format, storage, adf string) *cfBody {
	switch format {
	case "storage":
		return &cfBody{Storage: &cfBodyType{Representation: "storage", Value: storage}}
	case "atlas_doc_format":
		return &cfBody{ADF: &cfBodyType{Representation: "atlas_doc_format", Value: adf}}
	}
	return nil
}

// body renders a page's or blog post's body in format, nil for none.
func (c *cfCall) body(ct *cfContent, format string) *cfBody {
	if format == "" {
		return nil
	}
	storage, adf := c.contentBody(ct)
	return bodyIn(format, storage, adf)
}

// cfDoc builds a body in storage XHTML and ADF at once, so that both
// hold the same text.
type cfDoc struct {
	storage strings.Builder
	adf     []any
}

// cfInline is a piece of a paragraph: text, a mention, a link to a URL,
// or a link to a page.
type cfInline struct {
	text    string
	mention *jiraUser
	href    string
	page    *cfContent
}

func (doc *cfDoc) inline(in []cfInline, siteURL string) (string, []any) {
	var b strings.Builder
	var nodes []any
	for _, p := range in {
		switch {
		case p.mention != nil:
			b.WriteString(`<ac:link><ri:user ri:account-id="` + html.EscapeString(p.mention.accountID) + `"/></ac:link>`)
			nodes = append(nodes, adfMention(*p.mention))
		case p.page != nil:
			b.WriteString(`<ac:link><ri:page ri:content-title="` + html.EscapeString(p.page.title) + `" ri:space-key="` +
				p.page.d.sp.key + `"/><ac:plain-text-link-body>` + cdata(p.page.title) + `</ac:plain-text-link-body></ac:link>`)
			href := siteURL + "/wiki/spaces/" + p.page.d.sp.key + "/pages/" + p.page.idString()
			nodes = append(nodes, adfLink(p.page.title, href))
		case p.href != "":
			b.WriteString(`<a href="` + html.EscapeString(p.href) + `">` + html.EscapeString(p.text) + `</a>`)
			nodes = append(nodes, adfLink(p.text, p.href))
		default:
			b.WriteString(html.EscapeString(p.text))
			nodes = append(nodes, adfText(p.text))
		}
	}
	return b.String(), nodes
}

func adfLink(text, href string) map[string]any {
	return map[string]any{"type": "text", "text": text, "marks": []any{map[string]any{"type": "link", "attrs": map[string]any{"href": href}}}}
}

// cdata wraps s in CDATA sections, split where s holds "]]>" as
// Confluence splits them.
func cdata(s string) string {
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

func (doc *cfDoc) heading(level int, text string) {
	n := strconv.Itoa(level)
	doc.storage.WriteString("<h" + n + ">" + html.EscapeString(text) + "</h" + n + ">")
	doc.adf = append(doc.adf, map[string]any{"type": "heading", "attrs": map[string]any{"level": level}, "content": []any{adfText(text)}})
}

func (doc *cfDoc) paragraph(siteURL string, in ...cfInline) {
	s, nodes := doc.inline(in, siteURL)
	doc.storage.WriteString("<p>" + s + "</p>")
	doc.adf = append(doc.adf, adfParagraph(nodes...))
}

func (doc *cfDoc) list(ordered bool, items []string) {
	tag, typ := "ul", "bulletList"
	if ordered {
		tag, typ = "ol", "orderedList"
	}
	doc.storage.WriteString("<" + tag + ">")
	var nodes []any
	for _, it := range items {
		doc.storage.WriteString("<li><p>" + html.EscapeString(it) + "</p></li>")
		nodes = append(nodes, map[string]any{"type": "listItem", "content": []any{adfParagraph(adfText(it))}})
	}
	doc.storage.WriteString("</" + tag + ">")
	node := map[string]any{"type": typ, "content": nodes}
	if ordered {
		node["attrs"] = map[string]any{"order": 1}
	}
	doc.adf = append(doc.adf, node)
}

// table writes rows, the first one as headers.
func (doc *cfDoc) table(rows [][]string) {
	doc.storage.WriteString(`<table data-layout="default"><tbody>`)
	var adfRows []any
	for i, row := range rows {
		tag, typ := "td", "tableCell"
		if i == 0 {
			tag, typ = "th", "tableHeader"
		}
		doc.storage.WriteString("<tr>")
		var cells []any
		for _, cell := range row {
			doc.storage.WriteString("<" + tag + "><p>" + html.EscapeString(cell) + "</p></" + tag + ">")
			cells = append(cells, map[string]any{"type": typ, "attrs": map[string]any{}, "content": []any{adfParagraph(adfText(cell))}})
		}
		doc.storage.WriteString("</tr>")
		adfRows = append(adfRows, map[string]any{"type": "tableRow", "content": cells})
	}
	doc.storage.WriteString("</tbody></table>")
	doc.adf = append(doc.adf, map[string]any{"type": "table", "attrs": map[string]any{"isNumberColumnEnabled": false, "layout": "default"}, "content": adfRows})
}

func (doc *cfDoc) code(macroID, language, code string) {
	doc.storage.WriteString(`<ac:structured-macro ac:name="code" ac:schema-version="1" ac:macro-id="` + macroID +
		`"><ac:parameter ac:name="language">` + language + `</ac:parameter><ac:plain-text-body>` + cdata(code) +
		`</ac:plain-text-body></ac:structured-macro>`)
	doc.adf = append(doc.adf, map[string]any{"type": "codeBlock", "attrs": map[string]any{"language": language}, "content": []any{adfText(code)}})
}

func (doc *cfDoc) panel(macroID, kind, text string) {
	doc.storage.WriteString(`<ac:structured-macro ac:name="` + kind + `" ac:schema-version="1" ac:macro-id="` + macroID +
		`"><ac:rich-text-body><p>` + html.EscapeString(text) + `</p></ac:rich-text-body></ac:structured-macro>`)
	doc.adf = append(doc.adf, map[string]any{"type": "panel", "attrs": map[string]any{"panelType": kind}, "content": []any{adfParagraph(adfText(text))}})
}

// image shows an attachment: by file name in storage, by file id in ADF.
func (doc *cfDoc) image(a *cfAttachment) {
	attrs := map[string]any{"id": a.fileID, "type": "file", "collection": "contentId-" + a.container.idString()}
	doc.storage.WriteString(`<ac:image ac:alt="` + html.EscapeString(a.filename) + `"`)
	if a.width > 0 {
		doc.storage.WriteString(` ac:height="` + strconv.Itoa(a.height) + `" ac:width="` + strconv.Itoa(a.width) + `"`)
		attrs["width"], attrs["height"] = a.width, a.height
	}
	doc.storage.WriteString(`><ri:attachment ri:filename="` + html.EscapeString(a.filename) + `"/></ac:image>`)
	doc.adf = append(doc.adf, map[string]any{"type": "mediaSingle", "attrs": map[string]any{"layout": "center"},
		"content": []any{map[string]any{"type": "media", "attrs": attrs}}})
}

func (doc *cfDoc) result() (string, string) {
	b, _ := json.Marshal(adfDoc(doc.adf...))
	return doc.storage.String(), string(b)
}

// confluenceCode are the code macros' bodies: markup characters, and one
// "]]>" that a CDATA section cannot hold.
var confluenceCode = []struct{ language, code string }{
	{"go", "func export(pages []Page) error {\n\tif n := len(pages); n > 0 && n < 1<<10 {\n\t\treturn fmt.Errorf(\"%d pages <left> & %q\", n, \"done\")\n\t}\n\treturn nil\n}"},
	{"python", "def first(rows):\n    return rows[0] if rows and rows[0] > \"\" else None  # a < b & c"},
	{"java", "if (grid[row[0]]>limit && ok) {\n    System.out.println(\"<done>\");\n}"},
}

// contentBody draws the body of a page or blog post: headings,
// paragraphs, lists, a table, a code and an info macro, a mention, a
// link to another page, an image of an attachment and, on some, a link
// to someone's profile on the site; on the page confluenceHostileBody,
// the hostile script (see hostileBody); then a paragraph for each edit.
func (c *cfCall) contentBody(ct *cfContent) (storage, adf string) {
	d, o := ct.d, ct.d.sp.opts
	r := cfRand(d.sp, d.site, drawCfBody, ct.mediaIndex)
	owner := jiraUserAt(c.me, r.IntN(o.Users))
	var doc cfDoc
	doc.heading(1, "Overview")
	doc.paragraph(c.siteURL, cfInline{text: jiraSentences[r.IntN(len(jiraSentences))] + " "}, cfInline{mention: &owner},
		cfInline{text: " owns this " + ct.kind.String() + "."})
	doc.heading(2, "Details")
	var items []string
	for range 3 {
		items = append(items, testAdjectives[r.IntN(len(testAdjectives))]+" "+testNouns[r.IntN(len(testNouns))]+" for "+testTopics[r.IntN(len(testTopics))])
	}
	doc.list(false, items)
	doc.list(true, []string{jiraSentences[r.IntN(len(jiraSentences))], "Review & sign off <today>"})
	doc.table([][]string{
		{"Owner", "Status", "Notes"},
		{owner.name, "Done", jiraSentences[r.IntN(len(jiraSentences))]},
		{jiraUserAt(c.me, r.IntN(o.Users)).name, "In progress", "Ünïcödé ✓ & <markup>"},
	})
	sample := confluenceCode[r.IntN(len(confluenceCode))]
	doc.code(randomUUID(r), sample.language, sample.code)
	doc.panel(randomUUID(r), "info", "Note: "+jiraSentences[r.IntN(len(jiraSentences))])
	if target := ct.linkTarget(); target != nil {
		doc.paragraph(c.siteURL, cfInline{text: "See also "}, cfInline{page: target}, cfInline{text: "."})
		// Every fifth item (from the third) links to it by URL too, as
		// pasted links do.
		if ct.mediaIndex%5 == 2 {
			href := c.siteURL + "/wiki/spaces/" + target.d.sp.key + "/pages/" + target.idString() + "/" + url.QueryEscape(target.title)
			doc.paragraph(c.siteURL, cfInline{text: "Earlier notes: "}, cfInline{text: target.title, href: href}, cfInline{text: "."})
		}
	}
	for _, a := range ct.attachments {
		if !strings.ContainsFunc(a.filename, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			doc.image(a)
			break
		}
	}
	if r.IntN(3) == 0 {
		u := jiraUserAt(c.me, r.IntN(o.Users))
		doc.paragraph(c.siteURL, cfInline{text: "Questions? Ask "}, cfInline{text: u.name, href: c.siteURL + "/wiki/people/" + u.accountID},
			cfInline{text: "."})
	}
	if ct.kind == kindPage && ct.ord == confluenceHostileBody {
		doc.hostileBody(c.siteURL)
	}
	c.userKeyParagraph(&doc, ct)
	for range ct.edits {
		doc.paragraph(c.siteURL, cfInline{text: confluenceEditedParagraph})
	}
	return doc.result()
}

// linkTarget is the page a body links to: a page's parent page, else
// the home page; the home page links to the second page. A page whose
// parent was deleted still links to it.
func (ct *cfContent) linkTarget() *cfContent {
	pages := ct.d.pages
	switch {
	case ct.linkTo != nil:
		return ct.linkTo
	case ct.parent != nil && ct.parent.kind == kindPage:
		return ct.parent
	case ct.kind == kindPage && ct.ord == 0:
		if len(pages) > 1 {
			return pages[1]
		}
		return nil
	}
	return pages[0]
}

// commentBody renders a comment: its sentence and, on some, a mention.
func (c *cfCall) commentBody(cm *cfComment) (storage, adf string) {
	in := []cfInline{{text: cm.bodyText()}}
	if cm.mention >= 0 {
		u := jiraUserAt(c.me, cm.mention)
		in = append(in, cfInline{text: " cc "}, cfInline{mention: &u})
	}
	var doc cfDoc
	doc.paragraph(c.siteURL, in...)
	return doc.result()
}
