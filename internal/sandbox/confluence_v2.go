package sandbox

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// readIDs reads an array parameter of numeric ids, at most limit of
// them.
func readIDs(r *http.Request, name string, limit int) ([]int64, error) {
	values := queryList(r, name)
	if len(values) > limit {
		return nil, cfBadRequest(fmt.Sprintf("'%s' accepts at most %d values; %d were given", name, limit, len(values)))
	}
	ids := make([]int64, 0, len(values))
	for _, v := range values {
		n, ok := parseCanonical(v)
		if !ok {
			return nil, cfBadRequest(fmt.Sprintf("Provided value {%s} for '%s' is not the correct type. Expected type is Long", v, name))
		}
		ids = append(ids, n)
	}
	return ids, nil
}

// readEnum reads a parameter whose values must come from allowed; def
// is the answer when it is absent.
func readEnum(r *http.Request, name string, allowed, def []string) ([]string, error) {
	values := queryList(r, name)
	if len(values) == 0 {
		return def, nil
	}
	for _, v := range values {
		if !slices.Contains(allowed, v) {
			return nil, cfBadRequest(fmt.Sprintf("Provided value {%s} for '%s' is not one of %s", v, name, strings.Join(allowed, ", ")))
		}
	}
	return values, nil
}

// readOne reads a parameter that is absent or one of allowed.
func readOne(r *http.Request, name string, allowed ...string) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" || slices.Contains(allowed, v) {
		return v, nil
	}
	return "", cfBadRequest(fmt.Sprintf("Provided value {%s} for '%s' is not one of %s", v, name, strings.Join(allowed, ", ")))
}

// bodyFormat reads body-format: storage or atlas_doc_format. The
// sandbox renders no other representation.
func bodyFormat(r *http.Request) (string, error) {
	return readOne(r, "body-format", "storage", "atlas_doc_format")
}

var (
	pageStatuses     = []string{"current", "archived", "deleted", "trashed"}
	blogPostStatuses = []string{"current", "deleted", "trashed"}
	contentSorts     = []string{"id", "-id", "created-date", "-created-date", "modified-date", "-modified-date", "title", "-title"}
	childSorts       = []string{"created-date", "-created-date", "modified-date", "-modified-date"}
)

// handleContentList is GET /pages and /blogposts: the visible content of
// every space, filtered and sorted as asked. Pages default to status
// current and archived, blog posts to current; a trashed page shows only
// with status=trashed, a restricted or deleted one never.
func (c *cfCall) handleContentList(w http.ResponseWriter, r *http.Request, kind cfKind) {
	ids, err := readIDs(r, "id", ConfluenceBulkMax)
	var spaceIDs []int64
	if err == nil {
		spaceIDs, err = readIDs(r, "space-id", confluenceSpaceIDsMax)
	}
	allowed, def := pageStatuses, []string{"current", "archived"}
	if kind == kindBlogPost {
		allowed, def = blogPostStatuses, []string{"current"}
	}
	var statuses []string
	if err == nil {
		statuses, err = readEnum(r, "status", allowed, def)
	}
	var format, sort string
	if err == nil {
		format, err = bodyFormat(r)
	}
	if err == nil {
		sort, err = readOne(r, "sort", contentSorts...)
	}
	var page cfListPage
	if err == nil {
		page, err = listPage(r, ConfluenceListDefaultLimit)
	}
	if err != nil {
		writeConfluenceBadRequest(w, err)
		return
	}
	title := r.URL.Query().Get("title")
	var list []*cfContent
	for _, sp := range c.spaces {
		if sp == nil || c.site >= len(sp.sites) || (len(spaceIDs) > 0 && !slices.Contains(spaceIDs, sp.id())) {
			continue
		}
		d := sp.data(c.site)
		src := d.pages
		if kind == kindBlogPost {
			src = d.blogs
		}
		for _, ct := range src {
			if ct.restricted || ct.deleted || !slices.Contains(statuses, ct.status()) ||
				(len(ids) > 0 && !slices.Contains(ids, ct.id)) || (title != "" && ct.title != title) {
				continue
			}
			list = append(list, ct)
		}
	}
	sortContent(list, sort)
	if kind == kindBlogPost {
		writeList(w, r, c, page, len(list), func(k int) cfBlogPostJSON { return c.blogPost(list[k], format, "") })
		return
	}
	writeList(w, r, c, page, len(list), func(k int) cfPageJSON { return c.page(list[k], format, "") })
}

func sortContent(list []*cfContent, sort string) {
	field, desc := strings.CutPrefix(sort, "-")
	slices.SortStableFunc(list, func(a, b *cfContent) int {
		var n int
		switch field {
		case "created-date":
			n = a.created.Compare(b.created)
		case "modified-date":
			n = a.updated.Compare(b.updated)
		case "title":
			n = cmp.Compare(a.title, b.title)
		}
		if n == 0 {
			n = cmp.Compare(a.id, b.id)
		}
		if desc {
			n = -n
		}
		return n
	})
}

// handleContent is GET /pages/{id} and /blogposts/{id}: 404 for content
// that does not exist, is restricted, or is trashed (unless the request
// asks for status=trashed).
func (c *cfCall) handleContent(w http.ResponseWriter, r *http.Request, kind cfKind) {
	format, err := readOne(r, "body-format", "storage", "atlas_doc_format")
	if err != nil {
		writeConfluenceBadRequest(w, cfBadRequest(err.Error()+" (the sandbox renders no other body format)"))
		return
	}
	ct, ok := c.visibleContent(r.PathValue("id"), kind, slices.Contains(queryList(r, "status"), "trashed"))
	if !ok {
		writeConfluenceNotFound(w)
		return
	}
	var labels *cfIncluded
	if r.URL.Query().Get("include-labels") == "true" {
		labels = includedLabels(r, ct)
	}
	if kind == kindBlogPost {
		out := c.blogPost(ct, format, c.wikiBase())
		out.Labels = labels
		writeJSON(w, http.StatusOK, out)
		return
	}
	out := c.page(ct, format, c.wikiBase())
	out.Labels = labels
	writeJSON(w, http.StatusOK, out)
}

// includedLabels is include-labels of GET /pages/{id} and
// /blogposts/{id}: the first ConfluenceIncludedMax labels in the labels
// route's order, embedded (no point of their own), and when there are
// more, that route's cursor to the rest.
func includedLabels(r *http.Request, ct *cfContent) *cfIncluded {
	out := &cfIncluded{Results: []cfLabelJSON{}}
	n := min(len(ct.labels), ConfluenceIncludedMax)
	for _, l := range ct.labels[:n] {
		out.Results = append(out.Results, labelJSON(l))
	}
	cloud := r.PathValue("cloudId")
	path := strings.TrimSuffix(r.URL.Path, "/") + "/labels"
	out.Links.Self, _ = strings.CutPrefix(path, "/ex/confluence/"+cloud)
	if n < len(ct.labels) {
		out.Meta.HasMore = true
		// The cursor of the labels route asked with no parameter but
		// cursor and limit, as listQueryDigest reads it.
		out.Meta.Cursor = listCursor(n, jqlDigest(cloud+"\x00"+path+"\x00"))
	}
	return out
}

// handleSpaces is GET /spaces, in id order.
func (c *cfCall) handleSpaces(w http.ResponseWriter, r *http.Request) {
	ids, err := readIDs(r, "ids", ConfluenceBulkMax)
	keys := queryList(r, "keys")
	if err == nil && len(keys) > ConfluenceBulkMax {
		err = cfBadRequest(fmt.Sprintf("'keys' accepts at most %d values; %d were given", ConfluenceBulkMax, len(keys)))
	}
	var status, typ, descFormat string
	if err == nil {
		status, err = readOne(r, "status", "current", "archived")
	}
	if err == nil {
		typ, err = readOne(r, "type", "global", "collaboration", "knowledge_base", "personal")
	}
	if err == nil {
		descFormat, err = readOne(r, "description-format", "plain", "view")
	}
	var page cfListPage
	if err == nil {
		page, err = listPage(r, ConfluenceListDefaultLimit)
	}
	if err != nil {
		writeConfluenceBadRequest(w, err)
		return
	}
	var list []*confluenceSpace
	for _, sp := range c.spaces {
		switch {
		case sp == nil || c.site >= len(sp.sites),
			len(ids) > 0 && !slices.Contains(ids, sp.id()),
			len(keys) > 0 && !slices.Contains(keys, sp.key),
			status == "current" && sp.opts.Archived, status == "archived" && !sp.opts.Archived,
			typ != "" && typ != "global":
			continue
		}
		list = append(list, sp)
	}
	writeList(w, r, c, page, len(list), func(k int) cfSpaceJSON { return c.space(list[k], descFormat) })
}

func (c *cfCall) handleFolder(w http.ResponseWriter, r *http.Request) {
	it, ok := c.findItem(r.PathValue("id"))
	if !ok || it.kind() != kindFolder {
		writeConfluenceNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, c.folder(it.c))
}

func (c *cfCall) handleLabels(w http.ResponseWriter, r *http.Request, kind cfKind) {
	ct, ok := c.visibleContent(r.PathValue("id"), kind, false)
	if !ok {
		writeConfluenceNotFound(w)
		return
	}
	prefix, err := readOne(r, "prefix", "my", "team", "global", "system")
	var page cfListPage
	if err == nil {
		page, err = listPage(r, ConfluenceListDefaultLimit)
	}
	if err != nil {
		writeConfluenceBadRequest(w, err)
		return
	}
	labels := ct.labels
	if prefix != "" {
		labels = slices.DeleteFunc(slices.Clone(labels), func(l cfLabel) bool { return l.prefix != prefix })
	}
	writeList(w, r, c, page, len(labels), func(k int) cfLabelJSON { return c.label(labels[k]) })
}

// commentParams reads what the comment lists take.
func commentParams(r *http.Request) (format string, desc bool, page cfListPage, err error) {
	format, err = bodyFormat(r)
	var sort string
	if err == nil {
		sort, err = readOne(r, "sort", childSorts...)
	}
	if err == nil {
		page, err = listPage(r, ConfluenceListDefaultLimit)
	}
	return format, strings.HasPrefix(sort, "-"), page, err
}

// handleRootComments lists the root footer or inline comments of a page
// or blog post; replies are only on the children routes.
func (c *cfCall) handleRootComments(w http.ResponseWriter, r *http.Request, kind cfKind, inline bool) {
	ct, ok := c.visibleContent(r.PathValue("id"), kind, false)
	if !ok {
		writeConfluenceNotFound(w)
		return
	}
	format, desc, page, err := commentParams(r)
	if err != nil {
		writeConfluenceBadRequest(w, err)
		return
	}
	list := ct.footer
	if inline {
		list = ct.inline
	}
	writeComments(w, r, c, page, list, format, desc)
}

// handleChildComments lists the direct replies of a footer or inline
// comment.
func (c *cfCall) handleChildComments(w http.ResponseWriter, r *http.Request, inline bool) {
	it, ok := c.findItem(r.PathValue("id"))
	if !ok || it.cm == nil || it.cm.inline != inline || it.c.hidden() {
		writeConfluenceNotFound(w)
		return
	}
	format, desc, page, err := commentParams(r)
	if err != nil {
		writeConfluenceBadRequest(w, err)
		return
	}
	writeComments(w, r, c, page, it.cm.replies, format, desc)
}

func writeComments(w http.ResponseWriter, r *http.Request, c *cfCall, page cfListPage, list []*cfComment, format string, desc bool) {
	writeList(w, r, c, page, len(list), func(k int) cfCommentJSON {
		if desc {
			k = len(list) - 1 - k
		}
		return c.comment(list[k], format)
	})
}

func (c *cfCall) handleAttachments(w http.ResponseWriter, r *http.Request, kind cfKind) {
	ct, ok := c.visibleContent(r.PathValue("id"), kind, false)
	if !ok {
		writeConfluenceNotFound(w)
		return
	}
	sort, err := readOne(r, "sort", childSorts...)
	var page cfListPage
	if err == nil {
		_, err = readEnum(r, "status", []string{"current", "archived", "trashed"}, nil)
	}
	if err == nil {
		page, err = listPage(r, ConfluenceAttachmentDefaultLimit)
	}
	if err != nil {
		writeConfluenceBadRequest(w, err)
		return
	}
	q := r.URL.Query()
	filename, mediaType := q.Get("filename"), q.Get("mediaType")
	list := slices.DeleteFunc(slices.Clone(ct.attachments), func(a *cfAttachment) bool {
		return (filename != "" && a.filename != filename) || (mediaType != "" && a.mediaType != mediaType)
	})
	if strings.HasPrefix(sort, "-") {
		slices.Reverse(list)
	}
	writeList(w, r, c, page, len(list), func(k int) cfAttachmentJSON { return c.attachment(list[k]) })
}

// userIndex numbers the people of the user pool (as large as the
// largest space's) by what id gives each.
func (c *cfCall) userIndex(id func(k int) string) map[string]int {
	pool := DefaultJiraUsers
	for _, sp := range c.spaces {
		if sp != nil {
			pool = max(pool, sp.opts.Users)
		}
	}
	known := make(map[string]int, pool)
	for k := range pool {
		known[id(k)] = k
	}
	return known
}

// handleUsersBulk resolves account ids of the user pool, in the order
// asked, each once; ids it does not know are left out.
func (c *cfCall) handleUsersBulk(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccountIDs []string `json:"accountIds"`
	}
	if err := decodeConfluenceBody(w, r, &req); err != nil {
		writeConfluenceBadRequest(w, err)
		return
	}
	if len(req.AccountIDs) == 0 || len(req.AccountIDs) > ConfluenceBulkMax {
		writeConfluenceBadRequest(w, cfBadRequest(fmt.Sprintf("'accountIds' must hold 1 to %d account ids", ConfluenceBulkMax)))
		return
	}
	known := c.userIndex(func(k int) string { return jiraUserAt(c.me, k).accountID })
	results := []cfUserJSON{}
	seen := map[string]bool{}
	for _, id := range req.AccountIDs {
		k, ok := known[id]
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		results = append(results, c.userJSON(k))
	}
	writeJSON(w, http.StatusOK, struct {
		Results []cfUserJSON `json:"results"`
		Links   struct{}     `json:"_links"`
	}{Results: results})
}
