package sandbox

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The expansions of a content object the sandbox honours, as
// /rest/api/content/search names them; /rest/api/search names them
// with "content." before. Others are ignored, as Confluence ignores
// what it does not know.
const (
	expandAttachments = "childTypes.attachment"
	expandComments    = "childTypes.comment"
	expandChildTypes  = "childTypes.all"
	expandLabels      = "metadata.labels"
	expandSpace       = "space"
	expandVersion     = "version"
	expandExtensions  = "extensions"
	expandContainer   = "container"
	expandAncestors   = "ancestors"
	expandStorage     = "body.storage"
	expandADF         = "body.atlas_doc_format"
)

// cfExpand is the set of expansions a request asks for, without the
// "content." of /rest/api/search.
type cfExpand map[string]bool

func readExpand(r *http.Request, prefix string) cfExpand {
	out := cfExpand{}
	for _, e := range splitJiraList(r.URL.Query()["expand"]) {
		if e, ok := strings.CutPrefix(e, prefix); ok {
			out[e] = true
			// extensions.inlineProperties and the like ask for the
			// extensions, which carry them all.
			if strings.HasPrefix(e, expandExtensions+".") {
				out[expandExtensions] = true
			}
		}
	}
	return out
}

func (x cfExpand) body() bool { return x[expandStorage] || x[expandADF] }

// cfSearchPage is v1's SearchPageResponseSearchResult.
type cfSearchPage struct {
	Results             []cfSearchResult  `json:"results"`
	Start               int               `json:"start"`
	Limit               int               `json:"limit"`
	Size                int               `json:"size"`
	TotalSize           int               `json:"totalSize"`
	CQLQuery            string            `json:"cqlQuery"`
	SearchDuration      int               `json:"searchDuration"`
	ArchivedResultCount *int              `json:"archivedResultCount,omitempty"`
	Links               map[string]string `json:"_links"`
}

// cfSearchResult is v1's SearchResult of a piece of content.
type cfSearchResult struct {
	Content               cfContentV1         `json:"content"`
	Title                 string              `json:"title"`
	Excerpt               string              `json:"excerpt"`
	URL                   string              `json:"url"`
	ResultParentContainer *cfContainerSummary `json:"resultParentContainer,omitempty"`
	ResultGlobalContainer cfContainerSummary  `json:"resultGlobalContainer"`
	Breadcrumbs           []any               `json:"breadcrumbs"`
	EntityType            string              `json:"entityType"`
	IconCSSClass          string              `json:"iconCssClass"`
	LastModified          string              `json:"lastModified"`
	FriendlyLastModified  string              `json:"friendlyLastModified"`
	Score                 float64             `json:"score"`
}

type cfContainerSummary struct {
	Title      string `json:"title"`
	DisplayURL string `json:"displayUrl"`
}

// cfContentV1 is v1's Content as a search hit carries it.
type cfContentV1 struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	Status     string            `json:"status"`
	Title      string            `json:"title"`
	Space      *cfSpaceV1        `json:"space,omitempty"`
	Version    *cfVersionV1      `json:"version,omitempty"`
	ChildTypes *cfChildTypes     `json:"childTypes,omitempty"`
	Container  any               `json:"container,omitempty"`
	Metadata   *cfMetadataV1     `json:"metadata,omitempty"`
	Extensions map[string]any    `json:"extensions,omitempty"`
	Ancestors  []cfContainerV1   `json:"ancestors,omitempty"`
	Body       map[string]any    `json:"body,omitempty"`
	Expandable map[string]string `json:"_expandable"`
	Links      map[string]string `json:"_links"`
}

// cfContentArray is v1's ContentArray, the answer of
// /rest/api/content/search: no totalSize.
type cfContentArray struct {
	Results []cfContentV1     `json:"results"`
	Start   int               `json:"start"`
	Limit   int               `json:"limit"`
	Size    int               `json:"size"`
	Links   map[string]string `json:"_links"`
}

type cfChildTypes struct {
	Attachment *cfChildType `json:"attachment,omitempty"`
	Comment    *cfChildType `json:"comment,omitempty"`
	Page       *cfChildType `json:"page,omitempty"`
}

type cfChildType struct {
	Value bool              `json:"value"`
	Links map[string]string `json:"_links"`
}

type cfMetadataV1 struct {
	Labels     *cfLabelArrayV1   `json:"labels,omitempty"`
	Expandable map[string]string `json:"_expandable"`
}

// cfLabelArrayV1 is v1's LabelArray, cut at ConfluenceSearchLabels.
type cfLabelArrayV1 struct {
	Results []cfLabelV1       `json:"results"`
	Start   int               `json:"start"`
	Limit   int               `json:"limit"`
	Size    int               `json:"size"`
	Links   map[string]string `json:"_links"`
}

type cfLabelV1 struct {
	Prefix string `json:"prefix"`
	Name   string `json:"name"`
	ID     string `json:"id"`
	Label  string `json:"label"`
}

// cfSpaceV1 is v1's Space, whose id is a number.
type cfSpaceV1 struct {
	ID         int64             `json:"id"`
	Key        string            `json:"key"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Status     string            `json:"status"`
	Expandable map[string]string `json:"_expandable"`
	Links      map[string]string `json:"_links"`
}

// cfVersionV1 is v1's Version.
type cfVersionV1 struct {
	By                  *cfUserV1         `json:"by,omitempty"`
	When                string            `json:"when"`
	FriendlyWhen        string            `json:"friendlyWhen"`
	Message             string            `json:"message"`
	Number              int               `json:"number"`
	MinorEdit           bool              `json:"minorEdit"`
	ContentTypeModified bool              `json:"contentTypeModified"`
	Expandable          map[string]string `json:"_expandable"`
	Links               map[string]string `json:"_links"`
}

// cfUserV1 is v1's User.
type cfUserV1 struct {
	Type                   string            `json:"type"`
	AccountID              string            `json:"accountId"`
	AccountType            string            `json:"accountType"`
	Email                  string            `json:"email"`
	PublicName             string            `json:"publicName"`
	ProfilePicture         cfIcon            `json:"profilePicture"`
	DisplayName            string            `json:"displayName"`
	IsExternalCollaborator bool              `json:"isExternalCollaborator"`
	Expandable             map[string]string `json:"_expandable"`
	Links                  map[string]string `json:"_links"`
}

// cfContainerV1 is the page or blog post a comment or attachment hit
// belongs to.
type cfContainerV1 struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	Status     string            `json:"status"`
	Title      string            `json:"title"`
	Expandable map[string]string `json:"_expandable"`
	Links      map[string]string `json:"_links"`
}

// searchExpansions are those /rest/api/search honours.
var searchExpansions = []string{expandAttachments, expandComments, expandChildTypes, expandLabels, expandSpace, expandVersion,
	expandExtensions, expandContainer, expandAncestors}

// handleSearch is /rest/api/search: search results, each with its
// content, and totalSize.
func (c *cfCall) handleSearch(w http.ResponseWriter, r *http.Request) {
	expand := readExpand(r, "content.")
	maps.DeleteFunc(expand, func(e string, _ bool) bool { return !slices.Contains(searchExpansions, e) })
	p, ok := c.readCQLPage(w, r, ConfluenceSearchMaxLimit)
	if !ok {
		return
	}
	page := cfSearchPage{
		Results: make([]cfSearchResult, 0, p.end-p.start), Start: p.start, Limit: p.limit, TotalSize: len(p.hits.items),
		CQLQuery: p.cql, SearchDuration: 7 + (p.end - p.start), Links: p.links(r, c),
	}
	for _, it := range p.hits.items[p.start:p.end] {
		page.Results = append(page.Results, c.searchResult(it, expand))
	}
	page.Size = len(page.Results)
	c.listed += page.Size
	if !p.archived && p.hits.archived > 0 {
		page.ArchivedResultCount = &p.hits.archived
	}
	writeJSON(w, http.StatusOK, page)
}

// handleContentSearch is /rest/api/content/search: the content objects
// themselves, without totalSize. It honours the expansions of
// searchExpansions (without "content.") and ancestors, body.storage and
// body.atlas_doc_format; with a body, pages hold at most
// ConfluenceContentSearchBodyLimit, as Confluence caps them.
func (c *cfCall) handleContentSearch(w http.ResponseWriter, r *http.Request) {
	expand := readExpand(r, "")
	limit := ConfluenceSearchMaxLimit
	if expand.body() {
		limit = ConfluenceContentSearchBodyLimit
	}
	p, ok := c.readCQLPage(w, r, limit)
	if !ok {
		return
	}
	page := cfContentArray{Results: make([]cfContentV1, 0, p.end-p.start), Start: p.start, Limit: p.limit, Links: p.links(r, c)}
	for _, it := range p.hits.items[p.start:p.end] {
		c.objects++
		page.Results = append(page.Results, c.contentV1(it, expand))
	}
	page.Size = len(page.Results)
	c.listed += page.Size
	writeJSON(w, http.StatusOK, page)
}

// cqlPage is one page of a query's hits, as both searches read it.
type cqlPage struct {
	cql        string
	limit      int
	start, end int
	archived   bool // includeArchivedSpaces
	ref        time.Time
	digest     uint64
	hits       cqlHits
}

// readCQLPage reads cql, limit (default 25, capped at maxLimit), cursor
// and includeArchivedSpaces and runs the query; on a bad request it
// answers 400 and returns false.
func (c *cfCall) readCQLPage(w http.ResponseWriter, r *http.Request, maxLimit int) (cqlPage, bool) {
	q := r.URL.Query()
	p := cqlPage{cql: q.Get("cql"), limit: min(ConfluenceSearchDefaultLimit, maxLimit), ref: c.now}
	if strings.TrimSpace(p.cql) == "" {
		writeV1Error(w, http.StatusBadRequest, v1BadRequest+"cql is a required parameter")
		return p, false
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeV1Error(w, http.StatusBadRequest, v1BadRequest+fmt.Sprintf("The value '%s' is not valid for the parameter 'limit'.", v))
			return p, false
		}
		if n > 0 {
			p.limit = min(n, maxLimit)
		}
	}
	if v := q.Get("includeArchivedSpaces"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeV1Error(w, http.StatusBadRequest, v1BadRequest+fmt.Sprintf("The value '%s' is not valid for the parameter 'includeArchivedSpaces'.", v))
			return p, false
		}
		p.archived = b
	}
	p.digest = jqlDigest(r.URL.Path + "\x00" + p.cql + "\x00" + strconv.FormatBool(p.archived))
	offset := 0
	if cur := q.Get("cursor"); cur != "" {
		var ok bool
		if offset, p.ref, ok = parseCQLCursor(cur, p.digest); !ok {
			writeV1Error(w, http.StatusBadRequest, v1BadRequest+"The cursor is invalid or does not belong to this query.")
			return p, false
		}
	}
	var err error
	p.hits, err = c.runCQL(p.cql, p.ref, p.archived)
	var unsupported cqlUnsupported
	switch {
	case errors.As(err, &unsupported):
		writeV1Error(w, http.StatusBadRequest, v1BadRequest+unsupported.Error())
		return p, false
	case err != nil:
		writeV1Error(w, http.StatusBadRequest, v1BadRequest+"Could not parse cql : "+p.cql)
		return p, false
	}
	p.start = min(offset, len(p.hits.items))
	p.end = min(p.start+p.limit, len(p.hits.items))
	return p, true
}

// links are a search page's _links: next repeats the request with the
// new cursor, relative to the site and without /wiki (base + next is
// the URL, which a client must then move onto the gateway); it is
// absent on the last page.
func (p cqlPage) links(r *http.Request, c *cfCall) map[string]string {
	route, _ := strings.CutPrefix(r.URL.Path, "/ex/confluence/"+r.PathValue("cloudId")+"/wiki")
	links := map[string]string{"base": c.wikiBase(), "context": "/wiki", "self": c.wikiBase() + route + "?" + url.Values{"cql": {p.cql}}.Encode()}
	if p.end < len(p.hits.items) {
		next := r.URL.Query()
		next.Set("cursor", cqlCursor(p.end, p.ref, p.digest))
		next.Set("limit", strconv.Itoa(p.limit))
		next.Set("next", "true")
		links["next"] = route + "?" + next.Encode()
	}
	return links
}

// cqlCursor is the opaque cursor of a search: the offset, the time the
// search began (for now()), and a digest of the query.
func cqlCursor(offset int, ref time.Time, digest uint64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "cql:%d:%d:%x", offset, ref.UnixMilli(), digest))
}

func parseCQLCursor(cursor string, digest uint64) (int, time.Time, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, time.Time{}, false
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 4 || parts[0] != "cql" || parts[3] != strconv.FormatUint(digest, 16) {
		return 0, time.Time{}, false
	}
	offset, ok1 := parseCanonical(parts[1])
	ms, ok2 := parseCanonical(parts[2])
	if !ok1 || !ok2 || offset < 0 || offset > 1<<30 {
		return 0, time.Time{}, false
	}
	return int(offset), time.UnixMilli(ms).UTC(), true
}

// contentExpandable is every expansion a content hit names in
// _expandable before any is taken.
func (c *cfCall) contentExpandable(id, key string) map[string]string {
	self := "/rest/api/content/" + id
	return map[string]string{
		"childTypes": "", "container": "/rest/api/space/" + key, "metadata": "", "operations": "",
		"children": self + "/child", "restrictions": self + "/restriction/byOperation", "history": self + "/history",
		"ancestors": "", "body": "", "version": "", "descendants": self + "/descendant", "space": "/rest/api/space/" + key,
		"extensions": "", "schedulePublishDate": "", "macroRenderedOutput": "",
	}
}

// searchResult renders one hit of /rest/api/search.
func (c *cfCall) searchResult(it cfItem, expand cfExpand) cfSearchResult {
	c.objects++
	ct, sp := it.c, it.c.d.sp
	kind := it.kind()
	res := cfSearchResult{
		Content: c.contentV1(it, expand), Title: it.title(), EntityType: "content", Breadcrumbs: []any{},
		IconCSSClass: "aui-icon content-type-" + kind.String(),
		LastModified: cfTime(it.updated()), FriendlyLastModified: cfFriendlyTime(it.updated()),
		ResultGlobalContainer: cfContainerSummary{Title: sp.name, DisplayURL: "/spaces/" + sp.key},
	}
	res.URL = res.Content.Links["webui"]
	switch kind {
	case kindComment:
		res.Excerpt = html.EscapeString(it.cm.bodyText())
	case kindAttachment:
	default:
		res.Excerpt = html.EscapeString(ct.leadSentence())
	}
	if kind == kindComment || kind == kindAttachment {
		res.ResultParentContainer = &cfContainerSummary{Title: ct.title, DisplayURL: ct.webUI()}
	}
	return res
}

// contentV1 renders v1's Content of an item with the expansions asked
// for. Comments and attachments carry their extensions whatever is
// asked, attachments their version and download link too.
func (c *cfCall) contentV1(it cfItem, expand cfExpand) cfContentV1 {
	ct, sp := it.c, it.c.d.sp
	kind := it.kind()
	id := it.idString()
	content := cfContentV1{
		ID: id, Type: kind.String(), Status: "current", Title: it.title(),
		Expandable: c.contentExpandable(id, sp.key),
		Links:      map[string]string{"self": c.wikiBase() + "/rest/api/content/" + id},
	}
	switch kind {
	case kindComment:
		content.Links["webui"] = ct.webUI() + "?focusedCommentId=" + id
		content.Extensions = map[string]any{"location": it.cm.location()}
		if it.cm.inline {
			content.Extensions["inlineProperties"] = map[string]any{"markerRef": it.cm.markerRef, "originalSelection": it.cm.selection}
			content.Extensions["resolution"] = map[string]any{"status": it.cm.resolution}
		}
	case kindAttachment:
		a := it.a
		content.Extensions = map[string]any{
			"mediaType": a.mediaType, "fileSize": a.size, "comment": a.comment,
			"fileId": a.fileID, "collectionName": "contentId-" + ct.idString(),
		}
		content.Links["download"] = a.downloadLink()
		content.Links["webui"] = a.webUI()
		content.Version = &cfVersionV1{When: cfTime(a.created), FriendlyWhen: cfFriendlyTime(a.created), Number: 1,
			Expandable: map[string]string{"collaborators": "", "content": "/rest/api/content/" + id},
			Links:      map[string]string{"self": c.wikiBase() + "/rest/api/content/" + id + "/version/1"}}
		delete(content.Expandable, "version")
	default:
		content.Links["webui"] = ct.webUI()
		content.Links["tinyui"] = tinyUI(ct.id)
		if expand[expandExtensions] {
			content.Extensions = map[string]any{}
			if kind == kindPage {
				content.Extensions["position"] = ct.position
			}
		}
	}
	if content.Extensions != nil {
		delete(content.Expandable, "extensions")
	}
	if expand[expandChildTypes] || expand[expandAttachments] || expand[expandComments] {
		content.ChildTypes = c.childTypes(it, expand)
		delete(content.Expandable, "childTypes")
	}
	if expand[expandLabels] {
		content.Metadata = &cfMetadataV1{Labels: c.labelArray(it), Expandable: map[string]string{
			"currentuser": "", "comments": "", "simple": "", "properties": "", "frontend": "", "likes": "",
		}}
		delete(content.Expandable, "metadata")
	}
	if expand[expandSpace] {
		content.Space = c.spaceV1(sp)
		delete(content.Expandable, "space")
	}
	if expand[expandVersion] {
		content.Version = c.versionV1(it)
		delete(content.Expandable, "version")
	}
	if expand[expandContainer] {
		if kind == kindComment || kind == kindAttachment {
			content.Container = c.containerV1(ct)
		} else {
			content.Container = c.spaceV1(sp)
		}
		delete(content.Expandable, "container")
	}
	if expand[expandAncestors] {
		content.Ancestors = c.ancestorsV1(it)
		delete(content.Expandable, "ancestors")
	}
	if expand.body() {
		content.Body = c.bodyV1(it, expand)
		delete(content.Expandable, "body")
	}
	return content
}

func (c *cfCall) childTypes(it cfItem, expand cfExpand) *cfChildTypes {
	all := expand[expandChildTypes]
	self := c.wikiBase() + "/rest/api/content/" + it.idString() + "/child/"
	ct := it.c
	out := &cfChildTypes{}
	if all || expand[expandAttachments] {
		out.Attachment = &cfChildType{Value: it.cm == nil && it.a == nil && len(ct.attachments) > 0,
			Links: map[string]string{"self": self + "attachment"}}
	}
	if all || expand[expandComments] {
		value := len(ct.allComments) > 0
		switch {
		case it.cm != nil:
			value = len(it.cm.replies) > 0
		case it.a != nil:
			value = false
		}
		out.Comment = &cfChildType{Value: value, Links: map[string]string{"self": self + "comment"}}
	}
	if all {
		out.Page = &cfChildType{Value: it.kind() == kindPage && slices.ContainsFunc(ct.children, func(ch *cfContent) bool {
			return ch.kind == kindPage && !ch.restricted
		}), Links: map[string]string{"self": self + "page"}}
	}
	return out
}

// containerV1 is a page, blog post or folder as v1 names one inside
// another object; current, as the search index still has a trashed
// page.
func (c *cfCall) containerV1(ct *cfContent) cfContainerV1 {
	return cfContainerV1{
		ID: ct.idString(), Type: ct.kind.String(), Status: "current", Title: ct.title,
		Expandable: c.contentExpandable(ct.idString(), ct.d.sp.key),
		Links:      map[string]string{"webui": ct.webUI(), "self": c.wikiBase() + "/rest/api/content/" + ct.idString()},
	}
}

// ancestorsV1 is the ancestors expansion, top-down: a page's parents
// from the home page on (folders among them), a reply's comments from
// its root on; none for blog posts, root comments and attachments.
func (c *cfCall) ancestorsV1(it cfItem) []cfContainerV1 {
	out := []cfContainerV1{}
	switch it.kind() {
	case kindComment:
		for p := it.cm.parent; p != nil; p = p.parent {
			out = append(out, cfContainerV1{
				ID: p.idString(), Type: "comment", Status: "current", Title: "Re: " + it.c.title,
				Expandable: map[string]string{},
				Links:      map[string]string{"self": c.wikiBase() + "/rest/api/content/" + p.idString()},
			})
		}
	case kindPage, kindFolder:
		for p := it.c.parent; p != nil; p = p.parent {
			out = append(out, c.containerV1(p))
		}
	}
	slices.Reverse(out)
	return out
}

// bodyV1 is the body expansion in the representations asked for; an
// attachment's body is empty.
func (c *cfCall) bodyV1(it cfItem, expand cfExpand) map[string]any {
	var storage, adf string
	switch it.kind() {
	case kindComment:
		storage, adf = c.commentBody(it.cm)
	case kindPage, kindBlogPost:
		storage, adf = c.contentBody(it.c)
	}
	self := map[string]string{"content": "/rest/api/content/" + it.idString()}
	out := map[string]any{}
	expandable := map[string]string{}
	for _, rep := range []struct{ name, value string }{{"storage", storage}, {"atlas_doc_format", adf}} {
		if !expand["body."+rep.name] {
			expandable[rep.name] = ""
			continue
		}
		out[rep.name] = map[string]any{"value": rep.value, "representation": rep.name, "embeddedContent": []any{}, "_expandable": self}
	}
	for _, rep := range []string{"editor", "view", "export_view", "styled_view", "dynamic", "editor2", "anonymous_export_view"} {
		expandable[rep] = ""
	}
	out["_expandable"] = expandable
	return out
}

// leadSentence is the first sentence of a page's or blog post's body,
// drawn as contentBody draws it, for excerpts.
func (ct *cfContent) leadSentence() string {
	r := cfRand(ct.d.sp, ct.d.site, drawCfBody, ct.mediaIndex)
	_ = r.IntN(ct.d.sp.opts.Users)
	return jiraSentences[r.IntN(len(jiraSentences))]
}

// labelArray is the metadata.labels expansion: at most
// ConfluenceSearchLabels, with a next link when there are more.
func (c *cfCall) labelArray(it cfItem) *cfLabelArrayV1 {
	var labels []cfLabel
	if it.cm == nil && it.a == nil {
		labels = it.c.labels
	}
	id := it.idString()
	out := &cfLabelArrayV1{Results: []cfLabelV1{}, Limit: ConfluenceSearchLabels,
		Links: map[string]string{"self": c.wikiBase() + "/rest/api/content/" + id + "/label"}}
	for _, l := range labels[:min(len(labels), ConfluenceSearchLabels)] {
		name := confluenceLabelNames[l.name]
		shown := name
		if l.prefix != "global" {
			shown = l.prefix + ":" + name
		}
		out.Results = append(out.Results, cfLabelV1{Prefix: l.prefix, Name: name, ID: l.id(), Label: shown})
	}
	out.Size = len(out.Results)
	if len(labels) > ConfluenceSearchLabels {
		out.Links["next"] = "/rest/api/content/" + id + "/label?next=true&limit=" + strconv.Itoa(ConfluenceSearchLabels) +
			"&start=" + strconv.Itoa(ConfluenceSearchLabels)
	}
	return out
}

func (c *cfCall) spaceV1(sp *confluenceSpace) *cfSpaceV1 {
	status := "current"
	if sp.opts.Archived {
		status = "archived"
	}
	return &cfSpaceV1{
		ID: sp.id(), Key: sp.key, Name: sp.name, Type: "global", Status: status,
		Expandable: map[string]string{
			"settings": "/rest/api/space/" + sp.key + "/settings", "metadata": "", "operations": "", "lookAndFeel": "",
			"identifiers": "", "permissions": "", "icon": "", "description": "", "theme": "", "history": "",
			"homepage": "/rest/api/content/" + sp.data(c.site).pages[0].idString(),
		},
		Links: map[string]string{"webui": "/spaces/" + sp.key, "self": c.wikiBase() + "/rest/api/space/" + sp.key},
	}
}

// versionV1 is the version expansion, with the editor as by.
func (c *cfCall) versionV1(it cfItem) *cfVersionV1 {
	var (
		number int
		when   time.Time
		editor int
	)
	switch {
	case it.cm != nil:
		number, when, editor = it.cm.version, it.cm.updated, it.cm.author
	case it.a != nil:
		number, when, editor = 1, it.a.created, it.a.author
	default:
		number, when, editor = it.c.version, it.c.updated, it.c.editor
	}
	id := it.idString()
	return &cfVersionV1{
		By: c.userV1(editor), When: cfTime(when), FriendlyWhen: cfFriendlyTime(when), Number: number,
		Expandable: map[string]string{"collaborators": "", "content": "/rest/api/content/" + id},
		Links:      map[string]string{"self": c.wikiBase() + "/rest/api/content/" + id + "/version/" + strconv.Itoa(number)},
	}
}

func (c *cfCall) userV1(k int) *cfUserV1 {
	u := jiraUserAt(c.me, k)
	return &cfUserV1{
		Type: "known", AccountID: u.accountID, AccountType: u.accountType, Email: u.email,
		PublicName: u.name, ProfilePicture: cfProfilePicture(u), DisplayName: u.name,
		Expandable: map[string]string{"operations": "", "personalSpace": ""},
		Links:      map[string]string{"self": c.wikiBase() + "/rest/api/user?accountId=" + url.QueryEscape(u.accountID)},
	}
}
