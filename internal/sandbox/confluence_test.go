package sandbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cfGateway is the first site's Confluence on the gateway; a link of an
// answer is site-relative and must be moved onto it.
var cfGateway = "/ex/confluence/" + DefaultSites[0].CloudID

// cfPath is a path of the Confluence API on the first site.
func cfPath(p string) string { return cfGateway + "/wiki" + p }

// startConfluence starts a sandbox with space DEMO of n pages and
// returns an access token.
func startConfluence(t *testing.T, n int, seed int64, opts ConfluenceOptions) (*sandbox, string) {
	t.Helper()
	s := start(t, Options{})
	s.SetConfluenceSpace("DEMO", n, seed, opts)
	return s, s.login().AccessToken
}

// The shapes the tests read; unknown keys are left to the schema test.
type (
	cfSearchPageT struct {
		Results             []cfHitT          `json:"results"`
		Start               int               `json:"start"`
		Limit               int               `json:"limit"`
		Size                int               `json:"size"`
		TotalSize           int               `json:"totalSize"`
		ArchivedResultCount *int              `json:"archivedResultCount"`
		Links               map[string]string `json:"_links"`
	}
	cfHitT struct {
		Content struct {
			ID         string `json:"id"`
			Type       string `json:"type"`
			Status     string `json:"status"`
			Title      string `json:"title"`
			ChildTypes map[string]struct {
				Value bool `json:"value"`
			} `json:"childTypes"`
			Metadata *struct {
				Labels struct {
					Results []struct {
						Name string `json:"name"`
					} `json:"results"`
					Size  int               `json:"size"`
					Links map[string]string `json:"_links"`
				} `json:"labels"`
			} `json:"metadata"`
			Extensions map[string]any `json:"extensions"`
			Version    *struct {
				Number int    `json:"number"`
				When   string `json:"when"`
				By     *struct {
					AccountID string `json:"accountId"`
				} `json:"by"`
			} `json:"version"`
			Container *struct {
				ID    json.RawMessage `json:"id"`
				Type  string          `json:"type"`
				Title string          `json:"title"`
				Key   string          `json:"key"`
			} `json:"container"`
			Space *struct {
				ID  int64  `json:"id"`
				Key string `json:"key"`
			} `json:"space"`
			Links map[string]string `json:"_links"`
		} `json:"content"`
		Title        string `json:"title"`
		URL          string `json:"url"`
		EntityType   string `json:"entityType"`
		LastModified string `json:"lastModified"`
	}
	cfPageT struct {
		ID          string  `json:"id"`
		Status      string  `json:"status"`
		Title       string  `json:"title"`
		SpaceID     string  `json:"spaceId"`
		ParentID    string  `json:"parentId"`
		ParentType  string  `json:"parentType"`
		AuthorID    string  `json:"authorId"`
		OwnerID     string  `json:"ownerId"`
		LastOwnerID *string `json:"lastOwnerId"`
		CreatedAt   string  `json:"createdAt"`
		Version     struct {
			Number   int    `json:"number"`
			AuthorID string `json:"authorId"`
		} `json:"version"`
		Body map[string]struct {
			Representation string `json:"representation"`
			Value          string `json:"value"`
		} `json:"body"`
		Links map[string]string `json:"_links"`
	}
	cfCommentT struct {
		ID               string            `json:"id"`
		PageID           string            `json:"pageId"`
		BlogPostID       string            `json:"blogPostId"`
		ParentCommentID  string            `json:"parentCommentId"`
		ResolutionStatus string            `json:"resolutionStatus"`
		Properties       map[string]string `json:"properties"`
		Version          struct {
			AuthorID string `json:"authorId"`
		} `json:"version"`
		Body map[string]struct {
			Value string `json:"value"`
		} `json:"body"`
	}
	cfAttachmentT struct {
		ID           string `json:"id"`
		Title        string `json:"title"`
		PageID       string `json:"pageId"`
		MediaType    string `json:"mediaType"`
		FileID       string `json:"fileId"`
		FileSize     int64  `json:"fileSize"`
		DownloadLink string `json:"downloadLink"`
		Links        struct {
			Download string `json:"download"`
		} `json:"_links"`
	}
	cfListT[T any] struct {
		Results []T `json:"results"`
		Links   struct {
			Next string `json:"next"`
			Base string `json:"base"`
		} `json:"_links"`
	}
	cfErrorsT struct {
		Errors []struct {
			Status int     `json:"status"`
			Code   string  `json:"code"`
			Title  string  `json:"title"`
			Detail *string `json:"detail"`
		} `json:"errors"`
	}
)

// search runs one search request.
func (s *sandbox) cfSearch(t *testing.T, token string, q url.Values) cfSearchPageT {
	t.Helper()
	r := s.get(cfPath("/rest/api/search?"+q.Encode()), token)
	wantStatus(t, "search "+q.Encode(), r, http.StatusOK)
	return decode[cfSearchPageT](t, r)
}

// walkSearch pages through a search by its next links, which are
// relative to the wiki base and must be moved onto the gateway.
func (s *sandbox) walkSearch(t *testing.T, token string, q url.Values) (hits []cfHitT, pages int) {
	t.Helper()
	p := s.cfSearch(t, token, q)
	for {
		pages++
		hits = append(hits, p.Results...)
		if p.Links["base"] != "https://acme.atlassian.net/wiki" || p.Links["context"] != "/wiki" {
			t.Fatalf("_links %v", p.Links)
		}
		next, ok := p.Links["next"]
		if !ok {
			if p.Start+p.Size != p.TotalSize {
				t.Fatalf("the last page ends at %d of %d", p.Start+p.Size, p.TotalSize)
			}
			return hits, pages
		}
		if !strings.HasPrefix(next, "/rest/api/search?") {
			t.Fatalf("next %q is not relative to the wiki base", next)
		}
		r := s.get(cfPath(next), token)
		wantStatus(t, "next", r, http.StatusOK)
		p = decode[cfSearchPageT](t, r)
	}
}

// walkList pages through a v2 list by its next links, which carry /wiki
// and are relative to the site, checking that the Link header says the
// same.
func walkList[T any](t *testing.T, s *sandbox, token, path string) (all []T, pages int) {
	t.Helper()
	for path != "" {
		r := s.get(cfGateway+path, token)
		wantStatus(t, path, r, http.StatusOK)
		page := decode[cfListT[T]](t, r)
		pages++
		all = append(all, page.Results...)
		if page.Links.Base != "https://acme.atlassian.net/wiki" {
			t.Fatalf("base %q", page.Links.Base)
		}
		link := r.header.Get("Link")
		switch {
		case page.Links.Next == "" && link != "":
			t.Fatalf("a Link header %q on the last page", link)
		case page.Links.Next != "" && link != "<"+page.Links.Next+`>; rel="next", <https://acme.atlassian.net/wiki>; rel="base"`:
			t.Fatalf("Link %q for next %q", link, page.Links.Next)
		case page.Links.Next != "" && !strings.HasPrefix(page.Links.Next, "/wiki/api/v2/"):
			t.Fatalf("next %q", page.Links.Next)
		}
		path = page.Links.Next
	}
	return all, pages
}

func wantV2Error(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	wantStatus(t, what, r, status)
	e := decode[cfErrorsT](t, r)
	if len(e.Errors) != 1 || e.Errors[0].Status != status || e.Errors[0].Code != code || e.Errors[0].Detail != nil {
		t.Errorf("%s: %s", what, r.body)
	}
}

func wantV1Error(t *testing.T, what string, r response, status int, message string) {
	t.Helper()
	wantStatus(t, what, r, status)
	var e struct {
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
		Data       struct {
			Authorized *bool `json:"authorized"`
			Valid      *bool `json:"valid"`
			Errors     []any `json:"errors"`
			Successful *bool `json:"successful"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.StatusCode != status || !strings.Contains(e.Message, message) ||
		e.Data.Authorized == nil || e.Data.Valid == nil || e.Data.Successful == nil || e.Data.Errors == nil {
		t.Errorf("%s: %s, want a v1 error with %q", what, r.body, message)
	}
}

// cfContents returns every page and blog post of the space, hidden ones
// too.
func cfContents(t *testing.T, s *sandbox, key string) []ConfluenceItem {
	t.Helper()
	cloud := DefaultSites[0].CloudID
	sp, ok := s.ConfluenceSpaceAt(cloud, key)
	if !ok {
		t.Fatalf("no space %s", key)
	}
	var out []ConfluenceItem
	for _, id := range append(slices.Clone(sp.Pages), sp.BlogPosts...) {
		it, ok := s.ConfluenceItemAt(cloud, id)
		if !ok {
			t.Fatalf("no item %s", id)
		}
		out = append(out, it)
	}
	return out
}

// searchable is what search lists of the space: every page and blog
// post but the restricted ones, with their comments and attachments, by
// id.
func searchable(t *testing.T, s *sandbox, key string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, it := range cfContents(t, s, key) {
		if it.Restricted {
			continue
		}
		out[it.ID] = it.Type
		for _, c := range it.Comments {
			out[c.ID] = "comment"
		}
		for _, a := range it.Attachments {
			out[a.ID] = "attachment"
		}
	}
	return out
}

func numericID(t *testing.T, id string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "att"), 10, 64)
	if err != nil {
		t.Fatalf("id %q", id)
	}
	return n
}

// TestConfluenceSearchWalksSpace pages through a whole space by the next
// links and finds exactly what it holds, in id order.
func TestConfluenceSearchWalksSpace(t *testing.T) {
	s, tk := startConfluence(t, 80, 1, ConfluenceOptions{})
	want := searchable(t, s, "DEMO")
	hits, pages := s.walkSearch(t, tk, url.Values{"cql": {"space = DEMO"}, "limit": {"40"}})
	if pages != (len(want)+39)/40 {
		t.Errorf("%d pages of 40 for %d hits", pages, len(want))
	}
	got := map[string]string{}
	var last int64
	for _, h := range hits {
		id := h.Content.ID
		if n := numericID(t, id); n <= last {
			t.Fatalf("%s after %d: not in id order", id, last)
		} else {
			last = n
		}
		if h.EntityType != "content" || h.Content.Status != "current" || h.Title != h.Content.Title {
			t.Errorf("hit %+v", h)
		}
		got[id] = h.Content.Type
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("search found %d items, the space holds %d searchable ones", len(got), len(want))
	}
	types := map[string]int{}
	for _, ty := range got {
		types[ty]++
	}
	if len(types) != 4 {
		t.Errorf("types %v, want pages, blog posts, comments and attachments", types)
	}

	// A limit above the cap is capped, silently; without one it is 25.
	if p := s.cfSearch(t, tk, url.Values{"cql": {"space = DEMO"}, "limit": {"1000"}}); p.Limit != ConfluenceSearchMaxLimit || p.Size != ConfluenceSearchMaxLimit {
		t.Errorf("limit 1000: limit %d, size %d", p.Limit, p.Size)
	}
	if p := s.cfSearch(t, tk, url.Values{"cql": {"space = DEMO"}}); p.Limit != 25 || p.Size != 25 || p.TotalSize != len(want) {
		t.Errorf("default: limit %d, size %d, totalSize %d", p.Limit, p.Size, p.TotalSize)
	}
}

func TestConfluenceSearchExpansions(t *testing.T) {
	s, tk := startConfluence(t, 30, 2, ConfluenceOptions{})
	cloud := DefaultSites[0].CloudID
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	many, _ := s.ConfluenceItemAt(cloud, sp.Pages[2]) // page 3: many labels
	long, _ := s.ConfluenceItemAt(cloud, sp.Pages[3]) // page 4: a long thread
	if len(many.Labels) != DefaultConfluenceManyLabels || len(long.Comments) != DefaultConfluenceLongThreadComments {
		t.Fatalf("page 3 has %d labels, page 4 %d comments", len(many.Labels), len(long.Comments))
	}
	all := "content.childTypes.all,content.metadata.labels,content.space,content.version,content.extensions,content.container,content.body.storage"
	p := s.cfSearch(t, tk, url.Values{"cql": {"id = " + many.ID}, "expand": {all}})
	if len(p.Results) != 1 {
		t.Fatalf("id = %s: %d hits", many.ID, len(p.Results))
	}
	h := p.Results[0].Content
	labels := h.Metadata.Labels
	if labels.Size != ConfluenceSearchLabels || len(labels.Results) != ConfluenceSearchLabels || labels.Links["next"] == "" {
		t.Errorf("labels of %s: size %d, next %q", many.ID, labels.Size, labels.Links["next"])
	}
	if h.Space == nil || h.Space.Key != "DEMO" || strconv.FormatInt(h.Space.ID, 10) != sp.ID || h.Version == nil || h.Version.By == nil ||
		h.Version.Number != many.Version || h.Container == nil || h.Container.Key != "DEMO" || h.Extensions["position"] == nil {
		t.Errorf("expansions of a page: %+v", h)
	}
	if !h.ChildTypes["attachment"].Value || h.ChildTypes["comment"].Value != (len(many.Comments) > 0) {
		t.Errorf("childTypes %+v for %d attachments, %d comments", h.ChildTypes, len(many.Attachments), len(many.Comments))
	}
	if h.Links["webui"] == "" || !strings.HasPrefix(h.Links["self"], "https://acme.atlassian.net/wiki/rest/api/content/") {
		t.Errorf("_links %v", h.Links)
	}
	// Without expansions none of it is there.
	bare := s.cfSearch(t, tk, url.Values{"cql": {"id = " + many.ID}}).Results[0].Content
	if bare.Metadata != nil || bare.Space != nil || bare.Version != nil || bare.ChildTypes != nil || bare.Container != nil || bare.Extensions != nil {
		t.Errorf("unexpanded page hit %+v", bare)
	}

	// Comment hits: their container, footer or inline, and whether they
	// have replies.
	replies := map[string]bool{}
	for _, c := range long.Comments {
		if c.ParentID != "" {
			replies[c.ParentID] = true
		}
	}
	hits, _ := s.walkSearch(t, tk, url.Values{"cql": {"container = " + long.ID + " and type = comment"}, "limit": {"100"},
		"expand": {"content.childTypes.comment,content.container"}})
	if len(hits) != len(long.Comments) {
		t.Fatalf("%d comment hits for %d comments", len(hits), len(long.Comments))
	}
	for _, h := range hits {
		c := h.Content
		if c.Type != "comment" || c.Extensions["location"] != "footer" || c.Container == nil || string(c.Container.ID) != `"`+long.ID+`"` ||
			c.Container.Type != "page" || c.ChildTypes["comment"].Value != replies[c.ID] || c.Title != "Re: "+long.Title {
			t.Fatalf("comment hit %+v", c)
		}
	}

	// Attachment hits: the file's metadata in extensions, a download
	// link of the servlet.
	var withAtt ConfluenceItem
	for _, it := range cfContents(t, s, "DEMO") {
		if len(it.Attachments) > 0 && !it.Restricted {
			withAtt = it
			break
		}
	}
	hits, _ = s.walkSearch(t, tk, url.Values{"cql": {"type = attachment and container = " + withAtt.ID}, "expand": {"content.container,content.version"}})
	if len(hits) != len(withAtt.Attachments) {
		t.Fatalf("%d attachment hits for %d attachments", len(hits), len(withAtt.Attachments))
	}
	for i, h := range hits {
		a, c := withAtt.Attachments[i], h.Content
		if c.ID != a.ID || c.Title != a.Filename || c.Extensions["fileId"] != a.FileID || c.Extensions["fileSize"] != float64(a.Size) ||
			c.Extensions["mediaType"] != a.MediaType || c.Extensions["collectionName"] != "contentId-"+withAtt.ID ||
			c.Version == nil || c.Version.Number != 1 || c.Version.When == "" ||
			!strings.HasPrefix(c.Links["download"], "/download/attachments/"+withAtt.ID+"/") || !strings.Contains(c.Links["download"], "api=v2") {
			t.Errorf("attachment hit %+v, want %+v", c, a)
		}
	}
}

// TestConfluenceContentSearch: the content search finds what the
// search does, as content objects with bodies and ancestors, in pages
// of at most 50 when a body is asked for.
func TestConfluenceContentSearch(t *testing.T) {
	s, tk := startConfluence(t, 40, 18, ConfluenceOptions{})
	want := searchable(t, s, "DEMO")
	q := url.Values{"cql": {"space = DEMO and type in (page, blogpost, comment, attachment)"}, "limit": {"100"},
		"expand": {"body.storage,version,ancestors,container,extensions.inlineProperties,extensions.resolution"}}
	type content struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Extensions map[string]any
		Ancestors  []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"ancestors"`
		Container struct {
			ID json.RawMessage `json:"id"`
		} `json:"container"`
		Body struct {
			Storage *struct {
				Value          string `json:"value"`
				Representation string `json:"representation"`
			} `json:"storage"`
		} `json:"body"`
		Version struct {
			By struct {
				AccountID string `json:"accountId"`
			} `json:"by"`
		} `json:"version"`
	}
	var got []content
	path := cfPath("/rest/api/content/search?" + q.Encode())
	for pages := 0; path != ""; pages++ {
		r := s.get(path, tk)
		wantStatus(t, "content search", r, http.StatusOK)
		var page struct {
			Results   []content         `json:"results"`
			Limit     int               `json:"limit"`
			Size      int               `json:"size"`
			TotalSize *int              `json:"totalSize"`
			Links     map[string]string `json:"_links"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		if page.Limit != ConfluenceContentSearchBodyLimit || page.Size != len(page.Results) || page.TotalSize != nil {
			t.Fatalf("a page of the content search: limit %d, size %d, totalSize %v", page.Limit, page.Size, page.TotalSize)
		}
		got = append(got, page.Results...)
		path = ""
		if next := page.Links["next"]; next != "" {
			if !strings.HasPrefix(next, "/rest/api/content/search?") {
				t.Fatalf("next %q", next)
			}
			path = cfPath(next)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d hits, the space holds %d", len(got), len(want))
	}
	cloud := DefaultSites[0].CloudID
	parents := map[string]string{}
	for _, it := range cfContents(t, s, "DEMO") {
		for _, c := range it.Comments {
			parents[c.ID] = c.ParentID
		}
	}
	for _, c := range got {
		if want[c.ID] != c.Type || c.Version.By.AccountID == "" {
			t.Errorf("%s: type %s, want %s", c.ID, c.Type, want[c.ID])
		}
		switch c.Type {
		case "comment":
			parent := ""
			if n := len(c.Ancestors); n > 0 {
				parent = c.Ancestors[n-1].ID
			}
			if parent != parents[c.ID] || c.Body.Storage == nil || !strings.HasPrefix(c.Body.Storage.Value, "<p>") || c.Extensions["location"] == nil {
				t.Errorf("comment %+v, parent %q", c, parents[c.ID])
			}
		case "page":
			it, _ := s.ConfluenceItemAt(cloud, c.ID)
			if len(c.Ancestors) > 0 && c.Ancestors[len(c.Ancestors)-1].ID != it.ParentID || (len(c.Ancestors) == 0) != (it.ParentID == "") {
				t.Errorf("page %s: ancestors %+v, parent %s", c.ID, c.Ancestors, it.ParentID)
			}
			if c.Body.Storage == nil || !strings.Contains(c.Body.Storage.Value, "<h1>Overview</h1>") || c.Body.Storage.Representation != "storage" {
				t.Errorf("page %s body %+v", c.ID, c.Body)
			}
		case "attachment":
			if c.Extensions["fileId"] == nil || len(c.Container.ID) == 0 {
				t.Errorf("attachment %+v", c)
			}
		}
	}
	// Without a body, pages of 100; the cursor is the content search's.
	q.Set("expand", "version")
	r := s.get(cfPath("/rest/api/content/search?"+q.Encode()), tk)
	page := r.json(t)
	if page["limit"] != float64(100) || page["size"] != float64(min(100, len(want))) {
		t.Errorf("without a body: limit %v, size %v", page["limit"], page["size"])
	}
	next, _ := url.Parse(page["_links"].(map[string]any)["next"].(string))
	wantV1Error(t, "the content search's cursor in the search", s.get(cfPath("/rest/api/search?"+next.RawQuery), tk), http.StatusBadRequest, "cursor")
	wantV1Error(t, "bad cql", s.get(cfPath("/rest/api/content/search?cql=space%3D"), tk), http.StatusBadRequest, "Could not parse cql : space=")
}

func TestConfluenceCQL(t *testing.T) {
	s, tk := startConfluence(t, 60, 3, ConfluenceOptions{})
	s.SetConfluenceSpace("OTHER", 5, 4, ConfluenceOptions{})
	cloud := DefaultSites[0].CloudID
	items := cfContents(t, s, "DEMO")
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	byID := map[string]ConfluenceItem{}
	for _, it := range items {
		byID[it.ID] = it
	}
	home := byID[sp.HomepageID]
	pick := func(keep func(ConfluenceItem) bool) []string {
		var ids []string
		for _, it := range items {
			if !it.Restricted && keep(it) {
				ids = append(ids, it.ID)
			}
		}
		return ids
	}
	isPage := func(it ConfluenceItem) bool { return it.Type == "page" }
	below := func(id string) func(ConfluenceItem) bool {
		return func(it ConfluenceItem) bool {
			for p := it; p.ParentID != ""; {
				if p.ParentID == id {
					return true
				}
				next, ok := byID[p.ParentID]
				if !ok {
					folder, _ := s.ConfluenceItemAt(cloud, p.ParentID)
					next = folder
				}
				p = next
			}
			return false
		}
	}
	// A page with children, and one with attachments and comments.
	var parent, busy ConfluenceItem
	for _, it := range items {
		if it.ParentID != "" && it.ParentID != home.ID && it.ParentType == "page" && parent.ID == "" {
			parent = byID[it.ParentID]
		}
		if len(it.Attachments) > 0 && len(it.Comments) > 0 && !it.Restricted && it.ID != home.ID && busy.ID == "" {
			busy = it
		}
	}
	label := many(t, items).Labels[0]
	mid := items[len(sp.Pages)/2].Created
	recent := s.clock.Now().Add(-2 * 24 * time.Hour)

	var busyAll []string
	for _, c := range busy.Comments {
		busyAll = append(busyAll, c.ID)
	}
	for _, a := range busy.Attachments {
		busyAll = append(busyAll, a.ID)
	}
	for _, c := range []struct {
		cql  string
		want []string
	}{
		{"type = page AND space = DEMO", pick(isPage)},
		{"TYPE = 'page' and SPACE = \"demo\"", pick(isPage)},
		{"space.key = DEMO and type in (blogpost)", pick(func(it ConfluenceItem) bool { return it.Type == "blogpost" })},
		{"space in (DEMO, OTHER) and type in (page, blogpost) and space = OTHER", nil}, // counted below
		{"ancestor = " + home.ID, pick(func(it ConfluenceItem) bool { return isPage(it) && it.ID != home.ID })},
		{"ancestor = " + parent.ID + " and type = page", pick(func(it ConfluenceItem) bool { return isPage(it) && below(parent.ID)(it) })},
		{"parent = " + parent.ID, pick(func(it ConfluenceItem) bool { return isPage(it) && it.ParentID == parent.ID })},
		{"container = " + busy.ID, busyAll},
		{"container in (" + busy.ID + ", " + home.ID + ") and type = attachment", func() []string {
			var ids []string
			for _, a := range append(slices.Clone(home.Attachments), busy.Attachments...) {
				ids = append(ids, a.ID)
			}
			return ids
		}()},
		{"id in (" + home.ID + ", " + busy.ID + ", 12)", []string{home.ID, busy.ID}},
		{"id = " + busy.Attachments[0].ID, []string{busy.Attachments[0].ID}},
		{"label = '" + label + "' and space = DEMO", pick(func(it ConfluenceItem) bool { return slices.Contains(it.Labels, label) })},
		{"label in ('" + label + "', nosuchlabel)", pick(func(it ConfluenceItem) bool { return slices.Contains(it.Labels, label) })},
		{`title ~ "Weekly notes" and type = blogpost and space = DEMO`, pick(func(it ConfluenceItem) bool { return it.Type == "blogpost" })},
		{"title = '" + strings.ReplaceAll(home.Title, "'", `\'`) + "'", []string{home.ID}},
		{"type = page and space = DEMO and created >= '" + mid.Format("2006/01/02 15:04") + "'",
			pick(func(it ConfluenceItem) bool { return isPage(it) && !it.Created.Before(mid.Truncate(time.Minute)) })},
		{"type = page and space = DEMO and created < " + mid.Format("2006-01-02"),
			pick(func(it ConfluenceItem) bool { return isPage(it) && it.Created.Before(mid.Truncate(24*time.Hour)) })},
		{`type = page and space = DEMO and lastmodified > now("-2d")`, pick(func(it ConfluenceItem) bool { return isPage(it) && it.Updated.After(recent) })},
		{"type = whiteboard", nil},
		{"space = NOSUCH", nil},
	} {
		hits, _ := s.walkSearch(t, tk, url.Values{"cql": {c.cql}, "limit": {"100"}})
		var got []string
		for _, h := range hits {
			got = append(got, h.Content.ID)
		}
		if c.cql == "space in (DEMO, OTHER) and type in (page, blogpost) and space = OTHER" {
			other, _ := s.ConfluenceSpaceAt(cloud, "OTHER")
			if len(got) != len(other.Pages)+len(other.BlogPosts) {
				t.Errorf("%s: %d hits", c.cql, len(got))
			}
			continue
		}
		want := slices.Clone(c.want)
		slices.SortFunc(want, func(a, b string) int { return cmp.Compare(numericID(t, a), numericID(t, b)) })
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d hits %v, want %d %v", c.cql, len(got), got, len(want), want)
		}
	}

	// ORDER BY sorts; ties and the rest by id.
	order := func(cql string) []cfHitT {
		hits, _ := s.walkSearch(t, tk, url.Values{"cql": {cql}, "limit": {"100"}})
		return hits
	}
	byTitle := order("type = page and space = DEMO order by title desc")
	if !slices.IsSortedFunc(byTitle, func(a, b cfHitT) int { return strings.Compare(strings.ToLower(b.Title), strings.ToLower(a.Title)) }) {
		t.Error("order by title desc is not")
	}
	byModified := order("type = page and space = DEMO ORDER BY lastmodified")
	if !slices.IsSortedFunc(byModified, func(a, b cfHitT) int { return strings.Compare(a.LastModified, b.LastModified) }) {
		t.Error("order by lastmodified is not")
	}
	byCreated := order("type = page and space = DEMO order by created desc")
	if len(byCreated) == 0 || byCreated[0].Content.ID != pick(isPage)[len(pick(isPage))-1] {
		t.Error("order by created desc does not start with the newest page")
	}
	if len(byModified) != len(pick(isPage)) || slices.EqualFunc(byModified, byCreated, func(a, b cfHitT) bool { return a.Content.ID == b.Content.ID }) {
		t.Error("last modified is the same order as created")
	}
}

// many returns an item with the most labels.
func many(t *testing.T, items []ConfluenceItem) ConfluenceItem {
	t.Helper()
	best := items[0]
	for _, it := range items {
		if len(it.Labels) > len(best.Labels) && !it.Restricted {
			best = it
		}
	}
	return best
}

func TestConfluenceCQLErrors(t *testing.T) {
	s, tk := startConfluence(t, 10, 1, ConfluenceOptions{})
	for _, cql := range []string{
		"space =", "space = DEMO AND", "type page", "(space = DEMO", "space = DEMO)", "space = 'DEMO", "space in DEMO",
		"ORDER BY id", "space = DEMO ORDER id", "= DEMO", "space = DEMO space = X",
	} {
		wantV1Error(t, cql, s.get(cfPath("/rest/api/search?"+url.Values{"cql": {cql}}.Encode()), tk), http.StatusBadRequest,
			"com.atlassian.confluence.api.service.exceptions.BadRequestException: Could not parse cql : "+cql)
	}
	for cql, want := range map[string]string{
		"space = DEMO OR space = X":                  "cannot run OR",
		"(space = DEMO or type = page)":              "cannot run OR",
		"NOT space = DEMO":                           "cannot run NOT",
		"space != DEMO":                              "cannot run the operator !=",
		"space not in (DEMO)":                        "cannot run NOT IN",
		"text ~ hello":                               "cannot search by 'text'",
		"creator = currentUser()":                    "cannot run the CQL function currentUser()",
		"created > startOfDay()":                     "cannot run the CQL function startOfDay()",
		"space ~ DEMO":                               "runs 'space' with =, IN only",
		"created > 'yesterday'":                      "cannot read the date",
		`created > now("soon")`:                      "cannot read the date",
		"type = gadget":                              "does not know the content type",
		"id = now()":                                 "runs now() only on created and lastmodified",
		"space = DEMO order by creator":              "cannot sort by 'creator'",
		"id in (" + strings.Repeat("1,", 250) + "1)": "at most 250 values",
	} {
		wantV1Error(t, cql, s.get(cfPath("/rest/api/search?"+url.Values{"cql": {cql}}.Encode()), tk), http.StatusBadRequest, want)
	}
	wantV1Error(t, "no cql", s.get(cfPath("/rest/api/search"), tk), http.StatusBadRequest, "cql")
	wantV1Error(t, "blank cql", s.get(cfPath("/rest/api/search?cql=+"), tk), http.StatusBadRequest, "cql")
	wantV1Error(t, "limit", s.get(cfPath("/rest/api/search?cql=space%3DDEMO&limit=ten"), tk), http.StatusBadRequest, "limit")
	wantV1Error(t, "archived", s.get(cfPath("/rest/api/search?cql=space%3DDEMO&includeArchivedSpaces=maybe"), tk), http.StatusBadRequest, "includeArchivedSpaces")
	wantV1Error(t, "cursor", s.get(cfPath("/rest/api/search?cql=space%3DDEMO&cursor=abc"), tk), http.StatusBadRequest, "cursor")
	// A cursor belongs to its query.
	p := s.cfSearch(t, tk, url.Values{"cql": {"space = DEMO"}, "limit": {"2"}})
	next, _ := url.Parse(p.Links["next"])
	q := next.Query()
	q.Set("cql", "space = DEMO and type = page")
	wantV1Error(t, "another query's cursor", s.get(cfPath("/rest/api/search?"+q.Encode()), tk), http.StatusBadRequest, "cursor")
	// Relative periods count from the search's first page: later pages
	// see the same set even as time passes.
	q = url.Values{"cql": {`lastmodified > now("-1d")`}, "limit": {"1"}}
	first := s.cfSearch(t, tk, q)
	s.clock.Advance(30 * 24 * time.Hour)
	tk = s.login().AccessToken
	if first.TotalSize < 2 || s.cfSearch(t, tk, q).TotalSize != 0 {
		t.Fatalf("lastmodified > now(\"-1d\"): %d hits, then some a month later", first.TotalSize)
	}
	if first.TotalSize > 1 {
		next, _ := url.Parse(first.Links["next"])
		if p := s.cfSearch(t, tk, next.Query()); p.TotalSize != first.TotalSize {
			t.Errorf("totalSize %d then %d", first.TotalSize, p.TotalSize)
		}
	}
}

// TestConfluenceTraps: trashed pages are listed but gone, restricted
// ones are nowhere, archived spaces are searched only when asked.
func TestConfluenceTraps(t *testing.T) {
	s, tk := startConfluence(t, 30, 5, ConfluenceOptions{TrashedEvery: 5, RestrictedEvery: 7})
	s.SetConfluenceSpace("OLD", 4, 6, ConfluenceOptions{Archived: true})
	cloud := DefaultSites[0].CloudID
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	trashed, _ := s.ConfluenceItemAt(cloud, sp.Pages[4])
	restricted, _ := s.ConfluenceItemAt(cloud, sp.Pages[6])
	if !trashed.Trashed || trashed.Restricted || !restricted.Restricted || restricted.Trashed {
		t.Fatalf("page 5 %+v, page 7 %+v", trashed, restricted)
	}
	// Neither is anyone's parent.
	for _, it := range cfContents(t, s, "DEMO") {
		if it.ParentID == trashed.ID || it.ParentID == restricted.ID {
			t.Errorf("%s is under a trap page", it.ID)
		}
	}

	// Search: the trashed page is there, the restricted one is not.
	hits, _ := s.walkSearch(t, tk, url.Values{"cql": {"space = DEMO and type = page"}, "limit": {"100"}})
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.Content.ID)
	}
	if !slices.Contains(ids, trashed.ID) || slices.Contains(ids, restricted.ID) {
		t.Errorf("search: trashed %s listed %v, restricted %s listed %v", trashed.ID, slices.Contains(ids, trashed.ID),
			restricted.ID, slices.Contains(ids, restricted.ID))
	}
	for _, cql := range []string{"id = " + restricted.ID, "container = " + restricted.ID, "parent = " + restricted.ID} {
		if p := s.cfSearch(t, tk, url.Values{"cql": {cql}}); p.TotalSize != 0 {
			t.Errorf("%s: %d hits", cql, p.TotalSize)
		}
	}
	if p := s.cfSearch(t, tk, url.Values{"cql": {"container = " + trashed.ID}}); p.TotalSize != len(trashed.Comments)+len(trashed.Attachments) {
		t.Errorf("what the trashed page held: %d hits", p.TotalSize)
	}

	// v2: /pages leaves both out, by default and by id; the trashed one
	// comes back with status=trashed.
	pages, _ := walkList[cfPageT](t, s, tk, "/wiki/api/v2/pages?limit=250")
	bulk := s.get(cfPath("/api/v2/pages?id="+trashed.ID+"&id="+restricted.ID+"&id="+sp.HomepageID), tk)
	got := decode[cfListT[cfPageT]](t, bulk).Results
	if len(got) != 1 || got[0].ID != sp.HomepageID || slices.ContainsFunc(pages, func(p cfPageT) bool { return p.ID == trashed.ID || p.ID == restricted.ID }) {
		t.Errorf("bulk by id gave %+v", got)
	}
	withTrash := decode[cfListT[cfPageT]](t, s.get(cfPath("/api/v2/pages?status=trashed&id="+trashed.ID+"&id="+restricted.ID), tk)).Results
	if len(withTrash) != 1 || withTrash[0].Status != "trashed" {
		t.Errorf("status=trashed gave %+v", withTrash)
	}
	for _, id := range []string{trashed.ID, restricted.ID, "1", "junk"} {
		for _, p := range []string{"/api/v2/pages/" + id, "/api/v2/pages/" + id + "/labels", "/api/v2/pages/" + id + "/footer-comments",
			"/api/v2/pages/" + id + "/inline-comments", "/api/v2/pages/" + id + "/attachments"} {
			wantV2Error(t, p, s.get(cfPath(p), tk), http.StatusNotFound, "NOT_FOUND")
		}
	}
	if r := s.get(cfPath("/api/v2/pages/"+trashed.ID+"?status=trashed"), tk); r.status != http.StatusOK {
		t.Errorf("trashed page with status=trashed: %d", r.status)
	}
	for _, it := range []ConfluenceItem{trashed, restricted} {
		for _, a := range it.Attachments {
			wantV1Error(t, "download of "+a.ID, s.get(cfPath("/rest/api/content/"+it.ID+"/child/attachment/"+a.ID+"/download"), tk),
				http.StatusNotFound, "NotFoundException")
			if r, ok := s.ConfluenceAttachmentContent(cloud, a.ID); !ok || r == nil {
				t.Errorf("the sandbox should still tell what %s held", a.ID)
			}
		}
		for _, c := range it.Comments {
			if c.ParentID == "" {
				kind := "footer"
				if c.Inline {
					kind = "inline"
				}
				wantV2Error(t, "replies of "+c.ID, s.get(cfPath("/api/v2/"+kind+"-comments/"+c.ID+"/children"), tk), http.StatusNotFound, "NOT_FOUND")
			}
		}
	}

	// The archived space: left out of search unless asked for, served by
	// v2 as usual.
	old, _ := s.ConfluenceSpaceAt(cloud, "OLD")
	p := s.cfSearch(t, tk, url.Values{"cql": {"space = OLD"}})
	if p.TotalSize != 0 || p.ArchivedResultCount == nil || *p.ArchivedResultCount == 0 {
		t.Errorf("archived space without includeArchivedSpaces: %d hits, archivedResultCount %v", p.TotalSize, p.ArchivedResultCount)
	}
	p = s.cfSearch(t, tk, url.Values{"cql": {"space = OLD and type in (page, blogpost)"}, "includeArchivedSpaces": {"true"}})
	if p.TotalSize != len(old.Pages)+len(old.BlogPosts) || p.ArchivedResultCount != nil {
		t.Errorf("archived space with includeArchivedSpaces: %d hits", p.TotalSize)
	}
	spaces := decode[cfListT[struct{ ID, Key, Status string }]](t, s.get(cfPath("/api/v2/spaces?keys=OLD,DEMO"), tk)).Results
	if len(spaces) != 2 || spaces[0].Status != "current" || spaces[1].Status != "archived" {
		t.Errorf("spaces %+v", spaces)
	}
	if r := s.get(cfPath("/api/v2/pages/"+old.HomepageID), tk); r.status != http.StatusOK {
		t.Errorf("a page of the archived space: %d", r.status)
	}
}

func TestConfluencePagesAndBlogPosts(t *testing.T) {
	s, tk := startConfluence(t, 70, 7, ConfluenceOptions{})
	s.SetConfluenceSpace("OTHER", 3, 8, ConfluenceOptions{})
	cloud := DefaultSites[0].CloudID
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	other, _ := s.ConfluenceSpaceAt(cloud, "OTHER")
	var wantPages, wantBlogs []string
	for _, it := range append(cfContents(t, s, "DEMO"), cfContents(t, s, "OTHER")...) {
		switch {
		case it.Trashed || it.Restricted:
		case it.Type == "page":
			wantPages = append(wantPages, it.ID)
		default:
			wantBlogs = append(wantBlogs, it.ID)
		}
	}
	pages, n := walkList[cfPageT](t, s, tk, "/wiki/api/v2/pages?limit=20&body-format=storage")
	var got []string
	for _, p := range pages {
		got = append(got, p.ID)
		if p.Body["storage"].Representation != "storage" || p.Body["storage"].Value == "" || p.Body["atlas_doc_format"].Value != "" {
			t.Fatalf("page %s body %+v", p.ID, p.Body)
		}
	}
	if !slices.Equal(got, wantPages) || n != (len(wantPages)+19)/20 {
		t.Errorf("/pages in %d pages gave %d, want %d", n, len(got), len(wantPages))
	}
	blogs, _ := walkList[cfPageT](t, s, tk, "/wiki/api/v2/blogposts?limit=3")
	got = nil
	for _, b := range blogs {
		got = append(got, b.ID)
		if b.ParentID != "" || b.Body != nil || b.SpaceID == "" {
			t.Errorf("blog post %+v", b)
		}
	}
	if !slices.Equal(got, wantBlogs) {
		t.Errorf("/blogposts gave %v, want %v", got, wantBlogs)
	}

	// Filters: by space, by id (up to 250), by title; sorted.
	bySpace, _ := walkList[cfPageT](t, s, tk, "/wiki/api/v2/pages?space-id="+other.ID)
	if len(bySpace) != len(other.Pages) || bySpace[0].SpaceID != other.ID {
		t.Errorf("space-id %s: %d pages", other.ID, len(bySpace))
	}
	q := url.Values{"limit": {"250"}}
	for _, id := range wantPages[:10] {
		q.Add("id", id)
	}
	q.Add("id", wantPages[10]+","+wantPages[11])
	if res := decode[cfListT[cfPageT]](t, s.get(cfPath("/api/v2/pages?"+q.Encode()), tk)).Results; len(res) != 12 {
		t.Errorf("12 ids gave %d pages", len(res))
	}
	desc := decode[cfListT[cfPageT]](t, s.get(cfPath("/api/v2/pages?sort=-title&limit=250&space-id="+sp.ID), tk)).Results
	if !slices.IsSortedFunc(desc, func(a, b cfPageT) int { return strings.Compare(b.Title, a.Title) }) {
		t.Error("sort=-title is not")
	}
	home := decode[cfListT[cfPageT]](t, s.get(cfPath("/api/v2/pages?title="+url.QueryEscape(sp.Name+" Home")), tk)).Results
	if len(home) != 1 || home[0].ID != sp.HomepageID {
		t.Errorf("by title: %+v", home)
	}
	tooMany := url.Values{}
	for i := range ConfluenceBulkMax + 1 {
		tooMany.Add("id", strconv.Itoa(confluenceIDBase+i))
	}
	for what, p := range map[string]string{
		"251 ids":       "/api/v2/pages?" + tooMany.Encode(),
		"bad id":        "/api/v2/pages?id=abc",
		"view body":     "/api/v2/pages?body-format=view",
		"bad status":    "/api/v2/pages?status=historical",
		"blog archived": "/api/v2/blogposts?status=archived",
		"bad sort":      "/api/v2/pages?sort=size",
		"limit 0":       "/api/v2/pages?limit=0",
		"limit x":       "/api/v2/pages?limit=x",
		"bad cursor":    "/api/v2/pages?cursor=nope",
		"single view":   "/api/v2/pages/" + sp.HomepageID + "?body-format=view",
	} {
		wantV2Error(t, what, s.get(cfPath(p), tk), http.StatusBadRequest, "INVALID_REQUEST_PARAMETER")
	}
	// A cursor belongs to its query; a limit above 250 is capped.
	first := decode[cfListT[cfPageT]](t, s.get(cfPath("/api/v2/pages?limit=2"), tk))
	next, _ := url.Parse(first.Links.Next)
	wantV2Error(t, "cursor of another query", s.get(cfGateway+next.Path+"?space-id="+sp.ID+"&cursor="+next.Query().Get("cursor"), tk),
		http.StatusBadRequest, "INVALID_REQUEST_PARAMETER")
	if res := decode[cfListT[cfPageT]](t, s.get(cfPath("/api/v2/pages?limit=1000"), tk)); len(res.Results) != len(wantPages) || res.Links.Next != "" {
		t.Errorf("limit 1000: %d pages", len(res.Results))
	}

	// Single objects carry _links.base.
	r := s.get(cfPath("/api/v2/pages/"+sp.HomepageID+"?body-format=atlas_doc_format"), tk)
	wantStatus(t, "page", r, http.StatusOK)
	page := decode[cfPageT](t, r)
	if page.Links["base"] != "https://acme.atlassian.net/wiki" || page.Body["atlas_doc_format"].Value == "" || page.ParentID != "" {
		t.Errorf("home page %+v", page)
	}
	r = s.get(cfPath("/api/v2/blogposts/"+sp.BlogPosts[0]), tk)
	wantStatus(t, "blog post", r, http.StatusOK)
	wantV2Error(t, "a page as a blog post", s.get(cfPath("/api/v2/blogposts/"+sp.HomepageID), tk), http.StatusNotFound, "NOT_FOUND")
	wantV2Error(t, "a blog post as a page", s.get(cfPath("/api/v2/pages/"+sp.BlogPosts[0]), tk), http.StatusNotFound, "NOT_FOUND")
}

// TestConfluenceTree: a deep tree under the home page, pages in folders,
// folders in folders.
func TestConfluenceTree(t *testing.T) {
	s, tk := startConfluence(t, 300, 9, ConfluenceOptions{})
	cloud := DefaultSites[0].CloudID
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	if len(sp.BlogPosts) != 30 || len(sp.Folders) != 15 {
		t.Errorf("%d blog posts, %d folders", len(sp.BlogPosts), len(sp.Folders))
	}
	parentOf := map[string]string{}
	inFolder, folderInFolder := 0, 0
	for _, id := range append(slices.Clone(sp.Pages), sp.Folders...) {
		it, _ := s.ConfluenceItemAt(cloud, id)
		parentOf[id] = it.ParentID
		if it.Type == "page" && it.ParentType == "folder" {
			inFolder++
		}
		if it.Type == "folder" && it.ParentType == "folder" {
			folderInFolder++
		}
		if (it.ParentID == "") != (id == sp.HomepageID) {
			t.Errorf("%s %s has parent %q", it.Type, id, it.ParentID)
		}
	}
	deepest := 0
	for id := range parentOf {
		d := 0
		for p := parentOf[id]; p != ""; p = parentOf[p] {
			d++
		}
		deepest = max(deepest, d)
	}
	if inFolder == 0 || folderInFolder == 0 || deepest < 10 || deepest > DefaultConfluenceMaxDepth {
		t.Errorf("%d pages in folders, %d folders in folders, depth %d", inFolder, folderInFolder, deepest)
	}
	// The default places of the traps.
	page := func(n int) ConfluenceItem {
		it, _ := s.ConfluenceItemAt(cloud, sp.Pages[n-1])
		return it
	}
	inline := func(it ConfluenceItem) bool {
		return slices.ContainsFunc(it.Comments, func(c ConfluenceComment) bool { return c.Inline })
	}
	large := page(199).Attachments
	if len(page(3).Labels) != 60 || len(page(28).Labels) != 60 || len(page(4).Comments) != 120 || len(page(34).Comments) != 120 ||
		!page(50).Trashed || !page(100).Trashed || !page(70).Restricted || page(140).Trashed || !page(140).Restricted ||
		!inline(page(2)) || !inline(page(9)) || len(large) == 0 || large[len(large)-1].Size != DefaultConfluenceLargeAttachmentSize ||
		page(1).Trashed || page(49).Trashed {
		t.Error("the traps are not where ConfluenceOptions says")
	}
	r := s.get(cfPath("/api/v2/folders/"+sp.Folders[2]), tk)
	wantStatus(t, "folder", r, http.StatusOK)
	f := r.json(t)
	if f["type"] != "folder" || f["parentType"] != "folder" || f["parentId"] != sp.Folders[1] || f["authorId"] == "" {
		t.Errorf("folder 3: %s", r.body)
	}
	wantV2Error(t, "a page as a folder", s.get(cfPath("/api/v2/folders/"+sp.HomepageID), tk), http.StatusNotFound, "NOT_FOUND")
	if p := s.cfSearch(t, tk, url.Values{"cql": {"id = " + sp.Folders[0]}}); p.TotalSize != 0 {
		t.Error("search lists a folder")
	}
	// ancestor reaches through folders.
	var under string
	for _, id := range sp.Pages {
		if parentOf[id] == sp.Folders[0] {
			under = id
			break
		}
	}
	if p := s.cfSearch(t, tk, url.Values{"cql": {"ancestor = " + parentOf[sp.Folders[0]] + " and id = " + under}}); p.TotalSize != 1 {
		t.Errorf("page %s in folder %s is not below the folder's parent", under, sp.Folders[0])
	}
}

// TestConfluenceCommentsAndLabels rebuilds every comment thread from the
// root lists and the children routes.
func TestConfluenceCommentsAndLabels(t *testing.T) {
	s, tk := startConfluence(t, 40, 10, ConfluenceOptions{})
	items := cfContents(t, s, "DEMO")
	sawInline, sawNested, sawBlogComment := false, false, false
	for _, it := range items {
		if it.Trashed || it.Restricted {
			continue
		}
		kind := it.Type + "s"
		var got []ConfluenceComment
		var walk func(path string, inline bool)
		walk = func(path string, inline bool) {
			list, _ := walkList[cfCommentT](t, s, tk, path)
			for _, c := range list {
				got = append(got, ConfluenceComment{ID: c.ID, ParentID: c.ParentCommentID, Inline: inline})
				if (it.Type == "page" && c.PageID != it.ID) || (it.Type == "blogpost" && c.BlogPostID != it.ID) || c.Body["storage"].Value == "" ||
					c.Version.AuthorID == "" {
					t.Fatalf("comment %+v of %s", c, it.ID)
				}
				if inline && (c.ResolutionStatus == "" || c.Properties["inlineMarkerRef"] == "" || c.Properties["inlineOriginalSelection"] == "") {
					t.Errorf("inline comment %+v", c)
				}
				sawNested = sawNested || (c.ParentCommentID != "" && slices.ContainsFunc(got, func(p ConfluenceComment) bool {
					return p.ID == c.ParentCommentID && p.ParentID != ""
				}))
				sawBlogComment = sawBlogComment || c.BlogPostID != ""
				loc := "footer"
				if inline {
					loc = "inline"
				}
				walk("/wiki/api/v2/"+loc+"-comments/"+c.ID+"/children?body-format=storage&limit=7", inline)
			}
		}
		walk("/wiki/api/v2/"+kind+"/"+it.ID+"/footer-comments?body-format=storage&limit=9", false)
		walk("/wiki/api/v2/"+kind+"/"+it.ID+"/inline-comments?body-format=storage", true)
		slices.SortFunc(got, func(a, b ConfluenceComment) int { return strings.Compare(a.ID, b.ID) })
		if !reflect.DeepEqual(got, it.Comments) && (len(got) > 0 || len(it.Comments) > 0) {
			t.Errorf("%s %s: the API gives %d comments, the sandbox holds %d", it.Type, it.ID, len(got), len(it.Comments))
		}
		sawInline = sawInline || slices.ContainsFunc(got, func(c ConfluenceComment) bool { return c.Inline })

		labels, _ := walkList[cfLabelJSON](t, s, tk, "/wiki/api/v2/"+kind+"/"+it.ID+"/labels?limit=11")
		var names []string
		for _, l := range labels {
			names = append(names, l.Name)
			if l.ID == "" || (l.Prefix != "global" && l.Prefix != "my") {
				t.Errorf("label %+v", l)
			}
		}
		if !slices.Equal(names, it.Labels) {
			t.Errorf("%s labels %v, want %v", it.ID, names, it.Labels)
		}
	}
	if !sawInline || !sawNested || !sawBlogComment {
		t.Errorf("inline %v, replies to replies %v, blog post comments %v", sawInline, sawNested, sawBlogComment)
	}
	// Bodies of comments in ADF, newest first on request.
	sp, _ := s.ConfluenceSpaceAt(DefaultSites[0].CloudID, "DEMO")
	r := s.get(cfPath("/api/v2/pages/"+sp.Pages[3]+"/footer-comments?body-format=atlas_doc_format&sort=-created-date&limit=2"), tk)
	list := decode[cfListT[cfCommentT]](t, r).Results
	if len(list) != 2 || list[0].ID < list[1].ID || !strings.HasPrefix(list[0].Body["atlas_doc_format"].Value, `{"`) {
		t.Errorf("sorted ADF comments %s", r.body)
	}
	wantV2Error(t, "inline as footer", s.get(cfPath("/api/v2/footer-comments/"+sp.HomepageID+"/children"), tk), http.StatusNotFound, "NOT_FOUND")
	wantV2Error(t, "bad sort", s.get(cfPath("/api/v2/pages/"+sp.HomepageID+"/footer-comments?sort=title"), tk), http.StatusBadRequest, "INVALID_REQUEST_PARAMETER")
	wantV2Error(t, "bad prefix", s.get(cfPath("/api/v2/pages/"+sp.HomepageID+"/labels?prefix=x"), tk), http.StatusBadRequest, "INVALID_REQUEST_PARAMETER")
}

// TestConfluenceBodies: storage and ADF hold the same constructs, with
// what an exporter must rewrite or resolve.
func TestConfluenceBodies(t *testing.T) {
	s, tk := startConfluence(t, 12, 11, ConfluenceOptions{AttachmentPercent: 100})
	cloud := DefaultSites[0].CloudID
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	people := false
	for _, id := range sp.Pages {
		it, _ := s.ConfluenceItemAt(cloud, id)
		if it.Trashed || it.Restricted {
			continue
		}
		storage := decode[cfPageT](t, s.get(cfPath("/api/v2/pages/"+id+"?body-format=storage"), tk)).Body["storage"].Value
		adfString := decode[cfPageT](t, s.get(cfPath("/api/v2/pages/"+id+"?body-format=atlas_doc_format"), tk)).Body["atlas_doc_format"].Value
		var adf map[string]any
		if err := json.Unmarshal([]byte(adfString), &adf); err != nil || adf["type"] != "doc" {
			t.Fatalf("%s: ADF %q: %v", id, adfString, err)
		}
		for _, want := range []string{"<h1>", "<ul><li>", "<ol>", "<table", `ac:name="code"`, `<ac:parameter ac:name="language">`,
			"<![CDATA[", `ac:name="info"`, `<ri:user ri:account-id="`, `<ri:page ri:content-title="`, `ri:space-key="DEMO"`} {
			if !strings.Contains(storage, want) {
				t.Errorf("%s: storage lacks %s", id, want)
			}
		}
		for _, want := range []string{`"heading"`, `"bulletList"`, `"orderedList"`, `"table"`, `"codeBlock"`, `"panel"`, `"mention"`, `"text":"@`} {
			if !strings.Contains(adfString, want) {
				t.Errorf("%s: ADF lacks %s", id, want)
			}
		}
		// The image: by file name in storage, by file id in ADF.
		for _, a := range it.Attachments {
			if strings.ContainsFunc(a.Filename, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				continue
			}
			if !strings.Contains(storage, `<ri:attachment ri:filename="`) || !strings.Contains(adfString, `"id":"`+a.FileID+`"`) ||
				!strings.Contains(adfString, `"collection":"contentId-`+id+`"`) || !strings.Contains(adfString, `"mediaSingle"`) {
				t.Errorf("%s: no image of %s (%s)", id, a.Filename, a.FileID)
			}
			break
		}
		if strings.Contains(storage, "https://acme.atlassian.net/wiki/people/") != strings.Contains(adfString, "https://acme.atlassian.net/wiki/people/") {
			t.Errorf("%s: the profile link is in one body only", id)
		}
		people = people || strings.Contains(storage, "/wiki/people/")
		// The same words in both.
		for _, w := range []string{"Overview", "Details", "Owner", "Note: "} {
			if !strings.Contains(adfString, w) || !strings.Contains(storage, w) {
				t.Errorf("%s: %q is not in both bodies", id, w)
			}
		}
	}
	if !people {
		t.Error("no page links to someone's profile")
	}
}

func TestConfluenceAttachmentsAndDownload(t *testing.T) {
	s, tk := startConfluence(t, 10, 12, ConfluenceOptions{LargeAttachmentEvery: 5, LargeAttachmentSize: 3 << 20})
	cloud := DefaultSites[0].CloudID
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	var names []string
	for _, it := range cfContents(t, s, "DEMO") {
		list, _ := walkList[cfAttachmentT](t, s, tk, "/wiki/api/v2/"+it.Type+"s/"+it.ID+"/attachments?limit=2")
		if len(list) != len(it.Attachments) {
			t.Fatalf("%s: %d attachments listed, %d held", it.ID, len(list), len(it.Attachments))
		}
		for i, a := range list {
			want := it.Attachments[i]
			if a.ID != want.ID || a.FileID != want.FileID || a.FileID == a.ID || a.FileSize != want.Size || a.Title != want.Filename ||
				(it.Type == "page" && a.PageID != it.ID) || a.DownloadLink != a.Links.Download ||
				!strings.HasPrefix(a.DownloadLink, "/download/attachments/"+it.ID+"/") || !strings.HasPrefix(a.ID, "att") {
				t.Errorf("attachment %+v, want %+v", a, want)
			}
			names = append(names, a.Title)
		}
	}
	for _, want := range []string{"../../etc/passwd", "con.txt", "line\nbreak.txt", "/etc/shadow"} {
		if !slices.Contains(names, want) {
			t.Errorf("no attachment named %q", want)
		}
	}
	if n := len(slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n != "report.pdf" })); n < 2 {
		t.Error("no page with two attachments of one name")
	}

	// The download: 302 to the media host, which takes no credentials.
	large, _ := s.ConfluenceItemAt(cloud, sp.Pages[3]) // page 4 = 199 mod 5
	a := large.Attachments[len(large.Attachments)-1]
	if a.Size != 3<<20 || a.MediaType != "video/mp4" {
		t.Fatalf("page 4's large attachment %+v", a)
	}
	for _, id := range sp.Pages {
		it, _ := s.ConfluenceItemAt(cloud, id)
		if n := len(it.Attachments); n > 0 && it.Attachments[n-1].Size == 3<<20 && id != sp.Pages[3] && id != sp.Pages[8] {
			t.Errorf("a large attachment on %s", id)
		}
	}
	client := &http.Client{Timeout: 30 * time.Second} // follows redirects, carries no credentials
	for _, att := range []ConfluenceAttachment{large.Attachments[0], a} {
		r := s.get(cfPath("/rest/api/content/"+large.ID+"/child/attachment/"+att.ID+"/download"), tk)
		wantStatus(t, "download", r, http.StatusFound)
		loc, err := url.Parse(r.header.Get("Location"))
		if err != nil || loc.Scheme+"://"+loc.Host != s.MediaURL() || loc.Path != "/file/"+att.FileID+"/binary" || loc.Query().Get("token") == "" {
			t.Fatalf("Location %s", r.header.Get("Location"))
		}
		resp, err := client.Get(loc.String())
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || resp.ContentLength != att.Size || resp.Header.Get("Content-Type") != att.MediaType {
			t.Fatalf("media: %d %v, %d bytes of %s", resp.StatusCode, err, resp.ContentLength, resp.Header.Get("Content-Type"))
		}
		want, _ := s.ConfluenceAttachmentContent(cloud, att.ID)
		wantBytes, _ := io.ReadAll(want)
		if int64(len(got)) != att.Size || !bytes.Equal(got, wantBytes) {
			t.Errorf("%s: %d bytes, want %d", att.ID, len(got), att.Size)
		}
		// Sending the token along is refused and counted.
		wantStatus(t, "media with credentials", s.fetch(loc.String(), tk), http.StatusBadRequest)
	}
	if st := s.Stats(); st.MediaRequestsWithCredentials != 2 || st.MediaRequests != 4 {
		t.Errorf("media stats %+v", st)
	}
	// The id may come without "att"; a version must be the one there is.
	num := strings.TrimPrefix(a.ID, "att")
	wantStatus(t, "download by number", s.get(cfPath("/rest/api/content/"+large.ID+"/child/attachment/"+num+"/download?version=1"), tk), http.StatusFound)
	wantV1Error(t, "version 2", s.get(cfPath("/rest/api/content/"+large.ID+"/child/attachment/"+a.ID+"/download?version=2"), tk),
		http.StatusBadRequest, "Version")
	wantV1Error(t, "another page", s.get(cfPath("/rest/api/content/"+sp.HomepageID+"/child/attachment/"+a.ID+"/download"), tk),
		http.StatusNotFound, "NotFoundException")
	// The servlet link refuses tokens.
	r := s.get(cfPath("/download/attachments/"+large.ID+"/"+url.PathEscape(a.Filename)+"?version=1&api=v2"), tk)
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != "OAuth" {
		t.Errorf("servlet: %d, WWW-Authenticate %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	// A short body on the media host: the real length, half the bytes.
	s.InjectFaults(FaultSpec{Kind: FaultShortBody, PathPrefix: "/file/"})
	loc, _ := url.Parse(s.get(cfPath("/rest/api/content/"+large.ID+"/child/attachment/"+a.ID+"/download"), tk).header.Get("Location"))
	resp, err := oneShotClient().Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err == nil || resp.ContentLength != a.Size || int64(len(got)) >= a.Size {
		t.Errorf("short body: %d of %d bytes, err %v", len(got), resp.ContentLength, err)
	}
}

func TestConfluenceUsersBulk(t *testing.T) {
	s, tk := startConfluence(t, 20, 13, ConfluenceOptions{})
	// Every account id the content names.
	ids := map[string]bool{}
	pages, _ := walkList[cfPageT](t, s, tk, "/wiki/api/v2/pages?limit=250&body-format=atlas_doc_format")
	for _, p := range pages {
		ids[p.AuthorID], ids[p.OwnerID], ids[p.Version.AuthorID] = true, true, true
		if p.LastOwnerID != nil {
			ids[*p.LastOwnerID] = true
		}
	}
	list := append([]string{"unknown-account"}, mapKeysSorted(ids)...)
	list = append(list, list[1])
	r := s.post(cfPath("/api/v2/users-bulk"), tk, map[string]any{"accountIds": list})
	wantStatus(t, "users-bulk", r, http.StatusOK)
	users := decode[cfListT[cfUserJSON]](t, r).Results
	if len(users) != len(ids) {
		t.Fatalf("%d users for %d ids", len(users), len(ids))
	}
	forms, hidden := map[string]bool{}, false
	for _, u := range users {
		switch {
		case strings.HasPrefix(u.AccountID, "557058:"):
			forms["557058"] = true
		case strings.HasPrefix(u.AccountID, "712020:"):
			forms["712020"] = true
		case len(u.AccountID) == 24:
			forms["hex"] = true
		}
		hidden = hidden || u.Email == ""
		if !ids[u.AccountID] || u.DisplayName == "" || u.PublicName == "" || !strings.Contains(u.ProfilePicture.Path, u.AccountID) {
			t.Errorf("user %+v", u)
		}
	}
	if len(forms) < 2 || !hidden {
		t.Errorf("account id forms %v, a hidden email %v", forms, hidden)
	}
	// The same user as Jira shows, by id and name.
	jira := jiraUserAt(DefaultUser, 1)
	r = s.post(cfPath("/api/v2/users-bulk"), tk, map[string]any{"accountIds": []string{jira.accountID}})
	if u := decode[cfListT[cfUserJSON]](t, r).Results; len(u) != 1 || u[0].DisplayName != jira.name {
		t.Errorf("user 1: %s", r.body)
	}
	tooMany := make([]string, ConfluenceBulkMax+1)
	for _, body := range []any{map[string]any{"accountIds": []string{}}, map[string]any{"accountIds": tooMany}, "{", "[]", map[string]any{}} {
		wantV2Error(t, fmt.Sprint(body), s.post(cfPath("/api/v2/users-bulk"), tk, body), http.StatusBadRequest, "INVALID_REQUEST_PARAMETER")
	}
}

func mapKeysSorted(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestConfluenceScopes: each route wants its own scope, as the gateway
// checks it; an unknown site is 404.
func TestConfluenceScopes(t *testing.T) {
	s, tk := startConfluence(t, 5, 14, ConfluenceOptions{})
	sp, _ := s.ConfluenceSpaceAt(DefaultSites[0].CloudID, "DEMO")
	home := sp.HomepageID
	routes := map[string]string{
		"/rest/api/search?cql=space%3DDEMO":                             "search:confluence",
		"/api/v2/pages":                                                 "read:page:confluence",
		"/api/v2/pages/" + home:                                         "read:page:confluence",
		"/api/v2/blogposts":                                             "read:page:confluence",
		"/api/v2/blogposts/" + sp.BlogPosts[0]:                          "read:page:confluence",
		"/api/v2/pages/" + home + "/labels":                             "read:page:confluence",
		"/api/v2/blogposts/" + sp.BlogPosts[0] + "/labels":              "read:page:confluence",
		"/api/v2/spaces":                                                "read:space:confluence",
		"/api/v2/folders/" + sp.Folders[0]:                              "read:folder:confluence",
		"/api/v2/pages/" + home + "/footer-comments":                    "read:comment:confluence",
		"/api/v2/pages/" + home + "/inline-comments":                    "read:comment:confluence",
		"/api/v2/blogposts/" + sp.BlogPosts[0] + "/footer-comments":     "read:comment:confluence",
		"/api/v2/blogposts/" + sp.BlogPosts[0] + "/inline-comments":     "read:comment:confluence",
		"/api/v2/footer-comments/1/children":                            "read:comment:confluence",
		"/api/v2/inline-comments/1/children":                            "read:comment:confluence",
		"/api/v2/pages/" + home + "/attachments":                        "read:attachment:confluence",
		"/api/v2/blogposts/" + sp.BlogPosts[0] + "/attachments":         "read:attachment:confluence",
		"/rest/api/content/" + home + "/child/attachment/att1/download": "readonly:content.attachment:confluence",
	}
	for path, scope := range routes {
		if r := s.get(cfPath(path), tk); r.status == http.StatusUnauthorized {
			t.Errorf("%s with every scope: %s", path, r.body)
		}
		s.SetWithheldScopes(scope)
		narrow := s.login().AccessToken
		s.SetWithheldScopes()
		wantUnauthorized(t, s.get(cfPath(path), narrow), MessageScopeMismatch)
		wantUnauthorized(t, s.get(cfPath(path), ""), MessageUnauthorized)
	}
	s.SetWithheldScopes("read:user:confluence")
	narrow := s.login().AccessToken
	wantUnauthorized(t, s.post(cfPath("/api/v2/users-bulk"), narrow, map[string]any{"accountIds": []string{"x"}}), MessageScopeMismatch)
	wantStatus(t, "unknown site", s.get("/ex/confluence/no-such-cloud/wiki/api/v2/pages", tk), http.StatusNotFound)
	// Both sites serve the space, each its own copy.
	other := strings.Replace(cfPath("/api/v2/pages/"+home+"?body-format=storage"), DefaultSites[0].CloudID, DefaultSites[1].CloudID, 1)
	a, b := s.get(cfPath("/api/v2/pages/"+home+"?body-format=storage"), tk), s.get(other, tk)
	if a.status != http.StatusOK || b.status != http.StatusOK || bytes.Equal(a.body, b.body) {
		t.Errorf("two sites: %d and %d, same body %v", a.status, b.status, bytes.Equal(a.body, b.body))
	}
}

// TestConfluenceStatsAndFaults: the routes count one by one, and the
// gateway's switches reach them as every route under /ex/.
func TestConfluenceStatsAndFaults(t *testing.T) {
	s, tk := startConfluence(t, 20, 15, ConfluenceOptions{})
	sp, _ := s.ConfluenceSpaceAt(DefaultSites[0].CloudID, "DEMO")
	s.InjectFaults(FaultSpec{Kind: FaultRateLimit, PathPrefix: "/ex/confluence/"})
	wantRateLimited(t, s.get(cfPath("/api/v2/spaces"), tk), "confluence-burst-based", "1")
	s.get(cfPath("/api/v2/spaces"), tk)                                                                     // 1 + 1 space
	s.get(cfPath("/api/v2/pages?limit=5"), tk)                                                              // 1 + 5 pages
	s.get(cfPath("/rest/api/search?cql=space%3DDEMO&limit=3&expand=content.version"), tk)                   // 1 + 3 hits (their users embedded, free)
	s.post(cfPath("/api/v2/users-bulk"), tk, map[string]any{"accountIds": []string{DefaultUser.AccountID}}) // 1 + a user
	s.get(cfPath("/download/attachments/"+sp.HomepageID+"/x"), "")                                          // 1
	st := s.Stats()
	c := st.Confluence
	if st.FaultsInjected != 1 || c.Spaces != 1 || c.Pages != 1 || c.Search != 1 || c.UsersBulk != 1 || c.DownloadServlet != 1 ||
		c.Requests() != 5 || c.SearchResults != 3 || c.ContentFetched != 5 {
		t.Errorf("stats %+v", c)
	}
	if want := (1 + 1) + (1 + 5) + (1 + 3) + (1 + 2) + 1; c.Points != want {
		t.Errorf("points %d, want %d", c.Points, want)
	}
	if st.Jira.Requests() != 0 {
		t.Errorf("Jira stats %+v", st.Jira)
	}
}

// TestConfluenceDeterministic: the same seed gives the same bytes on
// another server; another seed does not.
func TestConfluenceDeterministic(t *testing.T) {
	read := func(seed int64) string {
		s, tk := startConfluence(t, 30, seed, ConfluenceOptions{})
		a := s.get(cfPath("/api/v2/pages?limit=30&body-format=atlas_doc_format"), tk)
		b := s.get(cfPath("/rest/api/search?cql=space%3DDEMO&limit=100&expand=content.version,content.metadata.labels"), tk)
		return string(a.body) + string(b.body)
	}
	one := read(42)
	if one != read(42) {
		t.Error("the same seed gives different answers")
	}
	if one == read(43) {
		t.Error("another seed gives the same answers")
	}
}

func TestSetConfluenceSpace(t *testing.T) {
	s, tk := startConfluence(t, 5, 1, ConfluenceOptions{BlogPosts: -1, Folders: -1})
	sp, _ := s.ConfluenceSpaceAt(DefaultSites[0].CloudID, "DEMO")
	if len(sp.Pages) != 5 || len(sp.BlogPosts) != 0 || len(sp.Folders) != 0 || sp.ID != strconv.Itoa(confluenceSpaceIDBase) ||
		sp.HomepageID != strconv.Itoa(confluenceIDBase+1) {
		t.Errorf("space %+v", sp)
	}
	s.SetConfluenceSpace("X2", 3, 1, ConfluenceOptions{})
	x2, _ := s.ConfluenceSpaceAt(DefaultSites[0].CloudID, "X2")
	if x2.ID != strconv.Itoa(confluenceSpaceIDBase+confluenceSpaceStride) || x2.HomepageID != strconv.Itoa(confluenceIDBase+confluenceSlotStride+1) ||
		len(x2.BlogPosts) != 1 || len(x2.Folders) != 1 {
		t.Errorf("second space %+v", x2)
	}
	s.SetConfluenceSpace("DEMO", 0, 1, ConfluenceOptions{})
	if _, ok := s.ConfluenceSpaceAt(DefaultSites[0].CloudID, "DEMO"); ok {
		t.Error("a removed space is still there")
	}
	if p := s.cfSearch(t, tk, url.Values{"cql": {"space = DEMO"}}); p.TotalSize != 0 {
		t.Errorf("a removed space is searched: %d", p.TotalSize)
	}
	if _, ok := s.ConfluenceItemAt(DefaultSites[0].CloudID, sp.HomepageID); ok {
		t.Error("a removed space's page is still there")
	}
	for _, key := range []string{"", "demo", "1AB", "A-B", "A_B"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("key %q accepted", key)
				}
			}()
			s.SetConfluenceSpace(key, 1, 1, ConfluenceOptions{})
		}()
	}
	defer func() {
		if recover() == nil {
			t.Error("a 17th space accepted")
		}
	}()
	for i := range MaxConfluenceSpaces {
		s.SetConfluenceSpace("S"+strconv.Itoa(i), 1, 1, ConfluenceOptions{})
	}
}

// TestConfluenceItemAtMatchesAPI: what tests are told is what the API
// shows.
func TestConfluenceItemAtMatchesAPI(t *testing.T) {
	s, tk := startConfluence(t, 25, 16, ConfluenceOptions{TrashedEvery: -1, RestrictedEvery: -1})
	items := cfContents(t, s, "DEMO")
	pages, _ := walkList[cfPageT](t, s, tk, "/wiki/api/v2/pages?limit=250")
	blogs, _ := walkList[cfPageT](t, s, tk, "/wiki/api/v2/blogposts?limit=250")
	all := append(pages, blogs...)
	if len(all) != len(items) {
		t.Fatalf("%d items with every trap off, the API shows %d", len(items), len(all))
	}
	byID := map[string]cfPageT{}
	for _, p := range all {
		byID[p.ID] = p
	}
	for _, it := range items {
		p := byID[it.ID]
		if p.Title != it.Title || p.ParentID != it.ParentID || p.ParentType != it.ParentType || p.Version.Number != it.Version ||
			p.CreatedAt != cfTime(it.Created) || it.Trashed || it.Restricted {
			t.Errorf("%s: API %+v, ConfluenceItemAt %+v", it.ID, p, it)
		}
	}
	if _, ok := s.ConfluenceItemAt(DefaultSites[0].CloudID, "1"); ok {
		t.Error("an item that does not exist")
	}
	if _, ok := s.ConfluenceItemAt("no-such-cloud", items[0].ID); ok {
		t.Error("an item of a site that does not exist")
	}
}

// TestConfluenceUserKeys: some bodies name people by Server user key, in
// storage only; /rest/api/user/bulk/migration maps the keys to the
// account ids users-bulk knows, leaves unknown keys out, pages through
// long answers and refuses when told to.
func TestConfluenceUserKeys(t *testing.T) {
	s, tk := startConfluence(t, 30, 14, ConfluenceOptions{})
	cloud := DefaultSites[0].CloudID
	sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
	want := map[string]string{}
	var keys []string
	unknown := 0
	for _, id := range sp.Pages {
		it, _ := s.ConfluenceItemAt(cloud, id)
		if it.Trashed || it.Restricted {
			continue
		}
		storage := decode[cfPageT](t, s.get(cfPath("/api/v2/pages/"+id+"?body-format=storage"), tk)).Body["storage"].Value
		if got := strings.Count(storage, `ri:userkey="`); got != len(it.UserKeys) {
			t.Errorf("%s: %d user key references, want %d", id, got, len(it.UserKeys))
		}
		for _, k := range it.UserKeys {
			if !strings.Contains(storage, `<ri:user ri:userkey="`+k.Key+`"/>`) || len(k.Key) != 32 {
				t.Errorf("%s: no reference to %+v", id, k)
			}
			keys = append(keys, k.Key)
			if k.AccountID == "" {
				unknown++
				continue
			}
			want[k.Key] = k.AccountID
		}
	}
	if len(want) < 3 || unknown == 0 {
		t.Fatalf("%d known user keys, %d unknown: the test proves little", len(want), unknown)
	}
	lookup := func(q url.Values) response {
		return s.get(cfPath("/rest/api/user/bulk/migration?"+q.Encode()), tk)
	}
	type migrated struct {
		Results []struct {
			Key       string `json:"key"`
			AccountID string `json:"accountId"`
		} `json:"results"`
		Start, Limit, Size int
		Links              map[string]string `json:"_links"`
	}
	before := s.Stats().Confluence
	r := lookup(url.Values{"key": append(keys, keys[0], "no-such-key")})
	wantStatus(t, "lookup", r, http.StatusOK)
	got := decode[migrated](t, r)
	if len(got.Results) != len(want) || got.Size != len(want) || got.Links["next"] != "" {
		t.Errorf("%d results (size %d, next %q) for %d known keys", len(got.Results), got.Size, got.Links["next"], len(want))
	}
	for _, u := range got.Results {
		if want[u.Key] != u.AccountID {
			t.Errorf("key %s: account %q, want %q", u.Key, u.AccountID, want[u.Key])
		}
	}
	st := s.Stats().Confluence
	if st.UserMigration != before.UserMigration+1 || st.Points != before.Points+1+2*len(want) {
		t.Errorf("stats: %d lookups, %d points, want 1 and %d", st.UserMigration-before.UserMigration, st.Points-before.Points, 1+2*len(want))
	}
	// Pages of two.
	seen := 0
	q := url.Values{"key": keys, "limit": {"2"}}
	for range len(keys) {
		p := decode[migrated](t, lookup(q))
		seen += len(p.Results)
		next := p.Links["next"]
		if next == "" {
			break
		}
		u, err := url.Parse(next)
		if err != nil || !strings.HasPrefix(next, "/rest/api/user/bulk/migration?") {
			t.Fatalf("next %q", next)
		}
		q = u.Query()
	}
	if seen != len(want) {
		t.Errorf("paged: %d results, want %d", seen, len(want))
	}
	if r := decode[migrated](t, lookup(url.Values{"username": {"admin"}})); len(r.Results) != 0 {
		t.Errorf("by username: %+v", r)
	}
	wantV1Error(t, "no key", lookup(url.Values{}), http.StatusBadRequest, v1BadRequest+"Either 'key' or 'username' is required")
	wantStatus(t, "key and username", lookup(url.Values{"key": {keys[0]}, "username": {"x"}}), http.StatusBadRequest)
	wantStatus(t, "bad limit", lookup(url.Values{"key": {keys[0]}, "limit": {"x"}}), http.StatusBadRequest)
	s.RefuseConfluenceUserKeys(true)
	wantStatus(t, "refused", lookup(url.Values{"key": {keys[0]}}), http.StatusForbidden)
	s.RefuseConfluenceUserKeys(false)
	s.SetWithheldScopes("read:confluence-user")
	narrow := s.login().AccessToken
	s.SetWithheldScopes()
	wantUnauthorized(t, s.get(cfPath("/rest/api/user/bulk/migration?key=x"), narrow), MessageScopeMismatch)
}

// TestConfluenceIncludeLabels: include-labels embeds a page's first 50
// labels, free of points, and its cursor on the labels route fetches
// only the rest.
func TestConfluenceIncludeLabels(t *testing.T) {
	s, tk := startConfluence(t, 30, 4, ConfluenceOptions{})
	it := many(t, cfContents(t, s, "DEMO"))
	if len(it.Labels) <= ConfluenceIncludedMax {
		t.Fatalf("no page with over %d labels", ConfluenceIncludedMax)
	}
	type included struct {
		ID     string `json:"id"`
		Labels struct {
			Results []cfLabelJSON `json:"results"`
			Meta    struct {
				HasMore bool   `json:"hasMore"`
				Cursor  string `json:"cursor"`
			} `json:"meta"`
			Links struct {
				Self string `json:"self"`
			} `json:"_links"`
		} `json:"labels"`
	}
	before := s.Stats().Confluence.Points
	page := decode[included](t, s.get(cfPath("/api/v2/pages/"+it.ID+"?body-format=storage&include-labels=true"), tk))
	l := page.Labels
	if page.ID != it.ID || len(l.Results) != ConfluenceIncludedMax || !l.Meta.HasMore || l.Meta.Cursor == "" ||
		l.Links.Self != "/wiki/api/v2/pages/"+it.ID+"/labels" {
		t.Fatalf("included labels: %d, more %v, cursor %q, self %q", len(l.Results), l.Meta.HasMore, l.Meta.Cursor, l.Links.Self)
	}
	rest, _ := walkList[cfLabelJSON](t, s, tk, l.Links.Self+"?limit=250&cursor="+url.QueryEscape(l.Meta.Cursor))
	var names []string
	for _, x := range slices.Concat(l.Results, rest) {
		names = append(names, x.Name)
	}
	if !slices.Equal(names, it.Labels) {
		t.Errorf("labels %v, want %v", names, it.Labels)
	}
	if got, want := s.Stats().Confluence.Points-before, (1+1)+(1+len(it.Labels)-ConfluenceIncludedMax); got != want {
		t.Errorf("%d points, want %d", got, want)
	}
	// A page with few labels says there are no more; without the
	// parameter there are none.
	var few ConfluenceItem
	for _, c := range cfContents(t, s, "DEMO") {
		if c.Type == "page" && len(c.Labels) > 0 && len(c.Labels) < 10 && !c.Trashed && !c.Restricted {
			few = c
			break
		}
	}
	small := decode[included](t, s.get(cfPath("/api/v2/pages/"+few.ID+"?include-labels=true"), tk)).Labels
	if len(small.Results) != len(few.Labels) || small.Meta.HasMore || small.Meta.Cursor != "" {
		t.Errorf("few labels: %+v, want %v", small, few.Labels)
	}
	if r := s.get(cfPath("/api/v2/pages/"+few.ID), tk); strings.Contains(string(r.body), `"labels"`) {
		t.Errorf("labels without include-labels: %s", r.body)
	}
}
