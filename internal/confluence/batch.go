package confluence

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// children is what the search of a batch's containers found of one page
// or blog post: its attachments and its comments.
type children struct {
	attachments []export.Attachment
	meta        []any // the attachments' metadata, for the item's JSON
	comments    []map[string]any
}

// batch fetches up to a hundred pages and blog posts and everything they
// hold, and emits them after the spaces and folders they live in.
func (s *Source) batch(ctx context.Context, hits []*hit, out output) error {
	docs := map[string]map[string]any{}
	for _, kind := range []string{"page", "blogpost"} {
		of := slices.DeleteFunc(slices.Clone(hits), func(h *hit) bool { return h.kind != kind })
		if len(of) == 0 {
			continue
		}
		got, err := s.bodies(ctx, kind, of)
		if err != nil {
			return err
		}
		for id, d := range got {
			docs[kind+id] = d
		}
	}
	var kept []*hit
	for _, h := range hits {
		if docs[h.kind+h.id] == nil {
			out.skip(h.kind, h.id, exportformat.ReasonDeleted, "listed by the search but no longer returned (trashed, deleted or restricted)")
			s.forget(h)
			continue
		}
		kept = append(kept, h)
	}
	if err := s.containers(ctx, kept, docs, out); err != nil {
		return err
	}
	kids, err := s.children(ctx, kept)
	if err != nil {
		return err
	}
	for _, h := range kept {
		k := kids[h.id]
		if k == nil {
			k = &children{}
		}
		complete(h, docs[h.kind+h.id], k)
	}
	// The batch's people, looked up together: user keys first, for the
	// account ids behind them.
	ids, keys := map[string]bool{}, map[string]bool{}
	for _, h := range kept {
		collectPeople(docs[h.kind+h.id], ids, keys)
	}
	if err := s.resolveKeys(ctx, keys, ids); err != nil {
		return err
	}
	if err := s.resolve(ctx, ids); err != nil {
		return err
	}
	for _, h := range kept {
		var atts []export.Attachment
		if k := kids[h.id]; k != nil {
			atts = k.attachments
		}
		it, err := s.finish(ctx, h.kind, docs[h.kind+h.id], atts)
		if err != nil {
			return err
		}
		if err := out.emit(it.item()); err != nil {
			return err
		}
	}
	return nil
}

// bodies fetches pages or blog posts of one kind, in storage format and
// in ADF: in bulk, where the v2 routes give one body format per call.
// Those with more labels than their search hit showed come one by one in
// storage format instead, with their labels (see withLabels), so that no
// page costs a point more than in bulk. Content gone meanwhile is left
// out.
func (s *Source) bodies(ctx context.Context, kind string, hits []*hit) (map[string]map[string]any, error) {
	var all, bulk []string
	var single []*hit
	for _, h := range hits {
		all = append(all, h.id)
		if h.moreLabels {
			single = append(single, h)
		} else {
			bulk = append(bulk, h.id)
		}
	}
	out, err := s.eachWithLabels(ctx, kind, single)
	if err != nil {
		return nil, err
	}
	if err := s.bulkBodies(ctx, kind, bulk, "storage", out); err != nil {
		return nil, err
	}
	if err := s.bulkBodies(ctx, kind, all, "atlas_doc_format", out); err != nil {
		return nil, err
	}
	return out, nil
}

// bulkBodies fetches pages or blog posts by id in one body format, into
// out: storage makes the item's object, ADF adds its body to it.
func (s *Source) bulkBodies(ctx context.Context, kind string, ids []string, format string, out map[string]map[string]any) error {
	if len(ids) == 0 {
		return nil
	}
	q := url.Values{"id": ids, "body-format": {format}, "limit": {fmt.Sprint(listPage)}}
	list, err := s.getList(ctx, v2+"/"+kind+"s", q, scopePage)
	if err != nil {
		return fmt.Errorf("fetch %d %ss: %w", len(ids), kind, err)
	}
	for _, d := range list {
		id := str(d["id"])
		switch {
		case !slices.Contains(ids, id):
		case format == "storage":
			out[id] = d
		case out[id] != nil:
			// Bodies of a page that changed between the two calls may
			// differ; the storage body's version is the one recorded.
			addBody(out[id], d, format)
		}
	}
	return nil
}

// addBody puts from's body in format into doc.
func addBody(doc, from map[string]any, format string) {
	b := obj(obj(from["body"])[format])
	if b == nil {
		return
	}
	body := obj(doc["body"])
	if body == nil {
		body = map[string]any{}
		doc["body"] = body
	}
	body[format] = b
}

// eachWithLabels fetches the hits one by one with their labels, a few
// at a time.
func (s *Source) eachWithLabels(ctx context.Context, kind string, hits []*hit) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Concurrency)
	for _, h := range hits {
		g.Go(func() error {
			doc, err := s.withLabels(ctx, kind, h.id)
			if doc != nil {
				mu.Lock()
				out[h.id] = doc
				mu.Unlock()
			}
			return err
		})
	}
	return out, g.Wait()
}

// withLabels fetches a page or blog post in storage format with every
// label: the first fifty embedded (include-labels, no point of their
// own), and the rest from the labels route, from the cursor the page
// gives, so that no label is paid for twice. nil if it is gone.
func (s *Source) withLabels(ctx context.Context, kind, id string) (map[string]any, error) {
	var doc map[string]any
	q := url.Values{"body-format": {"storage"}, "include-labels": {"true"}}
	err := s.opts.Client.GetJSON(ctx, v2+"/"+kind+"s/"+url.PathEscape(id), q, &doc, atlassian.Scope(scopePage))
	if atlassian.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fetch %s %s: %w", kind, id, err)
	}
	s.opts.Client.Charge(v2+"/"+kind+"s/"+url.PathEscape(id), 1)
	included := obj(doc["labels"])
	labels, _ := included["results"].([]any)
	if meta := obj(included["meta"]); meta["hasMore"] == true {
		rest, err := s.moreLabels(ctx, str(obj(included["_links"])["self"]), str(meta["cursor"]))
		if atlassian.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("fetch the labels of %s %s: %w", kind, id, err)
		}
		labels = append(labels, rest...)
	}
	kept := make([]any, 0, len(labels))
	for _, l := range labels {
		l := obj(l)
		kept = append(kept, map[string]any{"id": l["id"], "name": l["name"], "prefix": l["prefix"]})
	}
	doc["labels"] = kept
	return doc, nil
}

// moreLabels lists the labels after those a page embedded: the labels
// route self, from cursor.
func (s *Source) moreLabels(ctx context.Context, self, cursor string) ([]any, error) {
	link, err := s.opts.Client.RewriteLink(self + "?" + url.Values{"cursor": {cursor}, "limit": {fmt.Sprint(listPage)}}.Encode())
	if err != nil {
		return nil, err
	}
	list, err := s.getList(ctx, link, nil, scopePage)
	out := make([]any, 0, len(list))
	for _, l := range list {
		out = append(out, l)
	}
	return out, err
}

// containers emits the spaces and the folders above the batch's pages
// that no batch has taken on yet, each once per export.
func (s *Source) containers(ctx context.Context, hits []*hit, docs map[string]map[string]any, out output) error {
	var spaces, folders []string
	for _, h := range hits {
		d := docs[h.kind+h.id]
		if s := str(d["spaceId"]); s != "" {
			spaces = append(spaces, s)
		}
		if str(d["parentType"]) == "folder" {
			folders = append(folders, str(d["parentId"]))
		}
	}
	return s.emitContainers(ctx, spaces, folders, out)
}

// emitContainers fetches and emits the spaces and folders (and the
// folders above those) that no one has taken on and that are not done.
func (s *Source) emitContainers(ctx context.Context, spaceIDs, folderIDs []string, out output) error {
	var spaces, folders []string
	for _, id := range spaceIDs {
		if id != "" && s.claim("space", id) && !out.done("space", id) {
			spaces = append(spaces, id)
		}
	}
	// A folder an earlier run wrote is not fetched again: the folders
	// above it are among the listed pages' ancestors too.
	for _, f := range folderIDs {
		if f != "" && s.claim("folder", f) && !out.done("folder", f) {
			folders = append(folders, f)
		}
	}
	var found []map[string]any
	for len(spaces) > 0 {
		n := min(listPage, len(spaces))
		list, err := s.getList(ctx, v2+"/spaces", url.Values{"ids": spaces[:n], "limit": {fmt.Sprint(listPage)}}, scopeSpace)
		if err != nil {
			return fmt.Errorf("fetch %d spaces: %w", n, err)
		}
		for _, s := range list {
			s["kind"] = "space"
			found = append(found, s)
		}
		spaces = spaces[n:]
	}
	// A folder may sit in another folder: climb until a page, a space or
	// a folder already taken on.
	for len(folders) > 0 {
		id := folders[0]
		folders = folders[1:]
		var f map[string]any
		err := s.opts.Client.GetJSON(ctx, v2+"/folders/"+url.PathEscape(id), nil, &f, atlassian.Scope(scopeFolder))
		if atlassian.IsNotFound(err) {
			out.skip(exportformat.KindFolder, id, exportformat.ReasonDeleted, "a folder above exported pages that could not be fetched (deleted or no permission)")
			continue
		}
		if err != nil {
			return fmt.Errorf("fetch folder %s: %w", id, err)
		}
		s.opts.Client.Charge(v2+"/folders/"+url.PathEscape(id), 1)
		if str(f["parentType"]) == "folder" {
			if up := str(f["parentId"]); up != "" && s.claim("folder", up) && !out.done("folder", up) {
				folders = append(folders, up)
			}
		}
		f["kind"] = "folder"
		found = append(found, f)
	}
	ids := map[string]bool{}
	for _, d := range found {
		collectPeople(d, ids, nil)
	}
	if err := s.resolve(ctx, ids); err != nil {
		return err
	}
	for _, d := range found {
		kind := str(d["kind"])
		delete(d, "kind")
		it, err := s.finish(ctx, kind, d, nil)
		if err != nil {
			return err
		}
		if err := out.emit(it.item()); err != nil {
			return err
		}
	}
	return nil
}

// forget takes a skipped page out of the titles that links resolve to.
func (s *Source) forget(h *hit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.titles[titleKey(h.spaceKey, h.title)] == exportformat.ItemPath(h.kind, h.id) {
		delete(s.titles, titleKey(h.spaceKey, h.title))
	}
	delete(s.titles, itemKey(h.id))
}

// claim reports whether kind/id is the caller's to fetch: the first to
// ask gets it.
func (s *Source) claim(kind, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claimed[kind+id] {
		return false
	}
	s.claimed[kind+id] = true
	return true
}

// childrenExpand asks the content search for what the export keeps of a
// comment or an attachment.
const childrenExpand = "body.storage,version,ancestors,container,extensions.inlineProperties,extensions.resolution"

// children fetches the comments (roots and replies, with their bodies)
// and the attachments of the batch's pages that have any, with one
// content search for the whole batch. The v2 API would take a list per
// page and kind of comment, and one more per comment with replies.
func (s *Source) children(ctx context.Context, hits []*hit) (map[string]*children, error) {
	var ids []string
	kinds := map[string]string{}
	for _, h := range hits {
		if h.attachments || h.comments {
			ids = append(ids, h.id)
			kinds[h.id] = h.kind
		}
	}
	out := map[string]*children{}
	if len(ids) == 0 {
		return out, nil
	}
	q := url.Values{
		"cql":    {"container in (" + strings.Join(ids, ",") + ") AND type in (comment, attachment)"},
		"limit":  {fmt.Sprint(searchLimit)},
		"expand": {childrenExpand},
	}
	if s.opts.IncludeArchived {
		q.Set("includeArchivedSpaces", "true")
	}
	path := v1 + "/content/search"
	for {
		var page struct {
			Results []map[string]any `json:"results"`
			Links   struct {
				Base string `json:"base"`
				Next string `json:"next"`
			} `json:"_links"`
		}
		if err := s.opts.Client.GetJSON(ctx, path, q, &page, atlassian.Scope(scopeSearch)); err != nil {
			return nil, fmt.Errorf("list the comments and attachments of %d items: %w", len(ids), err)
		}
		s.opts.Client.Charge(path, len(page.Results))
		for _, c := range page.Results {
			owner := str(obj(c["container"])["id"])
			kind := kinds[owner]
			if kind == "" {
				continue
			}
			k := out[owner]
			if k == nil {
				k = &children{}
				out[owner] = k
			}
			switch str(c["type"]) {
			case "attachment":
				a, meta := attachment(owner, c)
				k.attachments = append(k.attachments, a)
				k.meta = append(k.meta, meta)
			case "comment":
				k.comments = append(k.comments, comment(kind, owner, c))
			}
		}
		if page.Links.Next == "" {
			break
		}
		next, err := s.opts.Client.RewriteRelative(page.Links.Base, page.Links.Next)
		if err != nil {
			return nil, err
		}
		path, q = next, nil
	}
	for _, k := range out {
		slices.SortStableFunc(k.comments, func(a, b map[string]any) int { return compareIDs(str(a["id"]), str(b["id"])) })
	}
	return out, nil
}

// compareIDs orders numeric ids by value, so comments come in the order
// they were written.
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// attachment reads an attachment of the content search.
func attachment(owner string, c map[string]any) (export.Attachment, map[string]any) {
	ext, ver := obj(c["extensions"]), obj(c["version"])
	size, _ := ext["fileSize"].(float64)
	updated, _ := time.Parse(time.RFC3339, str(ver["when"]))
	id := str(c["id"])
	a := export.Attachment{
		ID: id, Name: str(c["title"]), Size: int64(size), Updated: updated.UTC(), MediaID: str(ext["fileId"]),
		// A redirect to the media host.
		Path: v1 + "/content/" + url.PathEscape(owner) + "/child/attachment/" + url.PathEscape(id) + "/download",
	}
	if size == 0 && ext["fileSize"] == nil {
		a.Size = -1
	}
	meta := map[string]any{
		"id": id, "status": c["status"], "title": c["title"], "mediaType": ext["mediaType"], "fileSize": ext["fileSize"],
		"fileId": ext["fileId"], "comment": ext["comment"],
		"version": map[string]any{"number": ver["number"], "createdAt": ver["when"], "authorId": str(obj(ver["by"])["accountId"])},
	}
	return a, meta
}

// comment turns a comment of the content search into the shape of the
// v2 comment objects: location, parentCommentId for a reply, the author's
// id in version.authorId, inline comments' resolution and selection.
func comment(kind, owner string, c map[string]any) map[string]any {
	ext, ver := obj(c["extensions"]), obj(c["version"])
	out := map[string]any{
		"id": c["id"], "status": c["status"], "title": c["title"],
		"version": map[string]any{
			"number": ver["number"], "createdAt": ver["when"], "minorEdit": ver["minorEdit"], "message": ver["message"],
			"authorId": str(obj(ver["by"])["accountId"]),
		},
		"body": map[string]any{"storage": obj(obj(c["body"])["storage"])},
	}
	if kind == "blogpost" {
		out["blogPostId"] = owner
	} else {
		out["pageId"] = owner
	}
	// The nearest comment among the ancestors is the one replied to.
	anc, _ := c["ancestors"].([]any)
	for i := len(anc) - 1; i >= 0; i-- {
		if a := obj(anc[i]); str(a["type"]) == "comment" || a["type"] == nil {
			if id := str(a["id"]); id != "" && id != owner {
				out["parentCommentId"] = id
				break
			}
		}
	}
	out["location"] = "footer"
	if str(ext["location"]) == "inline" {
		out["location"] = "inline"
		out["resolutionStatus"] = str(obj(ext["resolution"])["status"])
		props := obj(ext["inlineProperties"])
		out["properties"] = map[string]any{
			"inlineMarkerRef": props["markerRef"], "inlineOriginalSelection": props["originalSelection"],
		}
	}
	if l := obj(c["_links"]); l["webui"] != nil {
		out["_links"] = map[string]any{"webui": l["webui"]}
	}
	return out
}

// complete adds a page's labels, ancestors, comments and attachments'
// metadata to its JSON. A page fetched with its labels has them already;
// the others' are those their search hit listed.
func complete(h *hit, doc map[string]any, k *children) {
	if _, ok := doc["labels"].([]any); !ok || !h.moreLabels {
		out := []any{}
		if h.labels != "" {
			for _, l := range strings.Split(h.labels, "\x1e") {
				f := strings.SplitN(l, "\x1f", 3)
				out = append(out, map[string]any{"id": f[1], "name": f[2], "prefix": f[0]})
			}
		}
		doc["labels"] = out
	}
	if h.ancestors != "" {
		var anc []any
		for _, a := range strings.Split(h.ancestors, "/") {
			typ, id, _ := strings.Cut(a, ":")
			anc = append(anc, map[string]any{"id": id, "type": typ})
		}
		doc["ancestors"] = anc
	}
	comments := make([]any, 0, len(k.comments))
	for _, c := range k.comments {
		comments = append(comments, c)
	}
	doc["comments"] = comments
	if k.meta != nil {
		doc["attachments"] = k.meta
	} else {
		doc["attachments"] = []any{}
	}
}
