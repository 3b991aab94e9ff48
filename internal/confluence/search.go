package confluence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/query"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// searchResults is a page of the v1 search.
type searchResults struct {
	Results   []searchResult `json:"results"`
	TotalSize int64          `json:"totalSize"`
	Links     struct {
		Base string `json:"base"`
		Next string `json:"next"`
	} `json:"_links"`
}

// searchResult is a hit of the v1 search.
type searchResult struct {
	Content searchContent `json:"content"`
	// ResultGlobalContainer is the hit's space: its displayUrl,
	// "/spaces/KEY", names the key without an expansion.
	ResultGlobalContainer struct {
		DisplayURL string `json:"displayUrl"`
	} `json:"resultGlobalContainer"`
}

// searchContent is what a hit tells of its content, as far as the
// search's expansions go.
type searchContent struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Title string `json:"title"`
	// Pointers: an expansion the answer lacks is unknown, not "none".
	ChildTypes *struct {
		Attachment *struct {
			Value bool `json:"value"`
		} `json:"attachment"`
		Comment *struct {
			Value bool `json:"value"`
		} `json:"comment"`
	} `json:"childTypes"`
	Metadata *struct {
		Labels *searchLabels `json:"labels"`
	} `json:"metadata"`
	Space struct {
		Key string `json:"key"`
		// v1 gives the space id as a number, v2 as a string.
		ID json.Number `json:"id"`
	} `json:"space"`
	Ancestors []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"ancestors"`
	Container struct {
		ID string `json:"id"`
	} `json:"container"`
}

// searchLabels are the labels a hit lists (the first few).
type searchLabels struct {
	Results []struct {
		ID     json.Number `json:"id"`
		Name   string      `json:"name"`
		Prefix string      `json:"prefix"`
	} `json:"results"`
	Size  int `json:"size"`
	Limit int `json:"limit"`
	Links struct {
		Next string `json:"next"`
	} `json:"_links"`
}

const listExpand = "content.childTypes.attachment,content.childTypes.comment,content.metadata.labels,content.space,content.ancestors"

// search fetches a page of the v1 search: the first from the query, the
// others from the next link of the one before.
func (s *Source) search(ctx context.Context, cql, expand, next, base string) (*searchResults, error) {
	path, q := v1+"/search", url.Values{}
	if next != "" {
		link, err := s.opts.Client.RewriteRelative(base, next)
		if err != nil {
			return nil, err
		}
		path = link
	} else {
		q = s.searchQuery(cql, expand)
	}
	var page searchResults
	err := s.opts.Client.GetJSON(ctx, path, q, &page, atlassian.Scope(scopeSearch))
	var ae *atlassian.Error
	if errors.As(err, &ae) && ae.Status == 400 && next == "" {
		return nil, queryError(ae.Message, cql != "" && cql != s.asked)
	}
	if err != nil {
		return nil, fmt.Errorf("search Confluence: %w", err)
	}
	s.opts.Client.Charge(path, len(page.Results))
	return &page, nil
}

// searchQuery is the query string of a search's first page.
func (s *Source) searchQuery(cql, expand string) url.Values {
	limit := searchLimit
	if expand == "" {
		limit = idSearchLimit
	}
	q := url.Values{"cql": {cql}, "limit": {fmt.Sprint(limit)}}
	if expand != "" {
		q.Set("expand", expand)
	}
	if s.opts.IncludeArchived {
		q.Set("includeArchivedSpaces", "true")
	}
	return q
}

// searchAll pages through a search, calling fn with each page.
func (s *Source) searchAll(ctx context.Context, cql, expand string, fn func(*searchResults)) error {
	page, err := s.search(ctx, cql, expand, "", "")
	for err == nil {
		fn(page)
		if page.Links.Next == "" {
			return nil
		}
		page, err = s.search(ctx, "", "", page.Links.Next, page.Links.Base)
	}
	return err
}

// Check validates the query with Confluence before anything is written
// and returns the number of hits it reports. The page it fetched is the
// listing's first.
func (s *Source) Check(ctx context.Context) (int64, error) {
	page, err := s.search(ctx, s.cql, listExpand, "", "")
	if err != nil {
		return 0, err
	}
	s.first, s.total = page, page.TotalSize
	return page.TotalSize, nil
}

// list pages through the search and returns the pages and blog posts
// that done does not report as exported, in the order listed, then those
// of the extra ids. It keeps every listed page's title, for links
// between pages.
func (s *Source) list(ctx context.Context, out output) ([]*hit, error) {
	var hits []*hit
	seen := map[string]bool{}
	page, err := s.firstPage(ctx, seen)
	for err == nil && page != nil {
		hits = append(hits, s.take(page, seen, out)...)
		page, err = s.next(ctx, page, seen)
	}
	if err != nil {
		return nil, err
	}
	return hits, nil
}

// firstPage is the first page to list: the search's (the one Check
// fetched, if it did), or the extra ids' when only they are exported.
func (s *Source) firstPage(ctx context.Context, seen map[string]bool) (*searchResults, error) {
	if s.opts.OnlyExtraIDs {
		return s.nextExtra(ctx, seen)
	}
	if page := s.first; page != nil {
		s.first = nil
		return page, nil
	}
	return s.search(ctx, s.cql, listExpand, "", "")
}

// next fetches the page of the search after page, then the pages of the
// extra ids; nil at the end.
func (s *Source) next(ctx context.Context, page *searchResults, seen map[string]bool) (*searchResults, error) {
	if page.Links.Next == "" {
		return s.nextExtra(ctx, seen)
	}
	return s.search(ctx, "", "", page.Links.Next, page.Links.Base)
}

// take notes what a page of the search lists, and returns the hits to
// export: the pages and blog posts not seen before nor done. Hits of
// other types are skipped.
func (s *Source) take(page *searchResults, seen map[string]bool, out output) []*hit {
	var hits []*hit
	for _, r := range page.Results {
		c := r.Content
		if seen[c.Type+c.ID] {
			continue
		}
		seen[c.Type+c.ID] = true
		if c.Type != exportformat.KindPage && c.Type != exportformat.KindBlogpost {
			out.skip(c.Type, c.ID, exportformat.ReasonUnsupportedType, "the query matched a "+c.Type+"; aumo exports pages and blog posts (with their comments and attachments)")
			continue
		}
		s.listed.Add(1)
		ancestors := s.note(c)
		if !out.done(c.Type, c.ID) {
			hits = append(hits, newHit(c, ancestors))
		}
	}
	return hits
}

// note records a listed page or blog post: its title, for links, its
// space's key, and the spaces and folders above it, done or not, so that
// a resumed run still exports those an earlier one missed. It returns
// its ancestors, packed.
func (s *Source) note(c searchContent) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Type == exportformat.KindPage { // ri:page links name pages only
		s.titles[titleKey(c.Space.Key, c.Title)] = exportformat.ItemPath(c.Type, c.ID)
	}
	s.titles[itemKey(c.ID)] = exportformat.ItemPath(c.Type, c.ID)
	s.spaceKeys[c.ID] = c.Space.Key
	if id := c.Space.ID.String(); id != "" {
		s.containersListed["space:"+id] = true
	}
	var anc []string
	for _, a := range c.Ancestors {
		anc = append(anc, a.Type+":"+a.ID)
		if a.Type == exportformat.KindFolder {
			s.containersListed["folder:"+a.ID] = true
		}
	}
	return strings.Join(anc, "/")
}

// newHit keeps what the search told of a page or blog post.
func newHit(c searchContent, ancestors string) *hit {
	h := &hit{
		ancestors: ancestors,
		id:        c.ID, kind: c.Type, title: c.Title, spaceKey: c.Space.Key,
		attachments: true, comments: true, moreLabels: true,
	}
	if ct := c.ChildTypes; ct != nil {
		h.attachments = ct.Attachment == nil || ct.Attachment.Value
		h.comments = ct.Comment == nil || ct.Comment.Value
	}
	if m := c.Metadata; m != nil && m.Labels != nil {
		l := m.Labels
		h.moreLabels = l.Links.Next != "" || (l.Limit > 0 && l.Size >= l.Limit)
		var packed []string
		for _, x := range l.Results {
			packed = append(packed, x.Prefix+"\x1f"+x.ID.String()+"\x1f"+x.Name)
		}
		h.labels = strings.Join(packed, "\x1e")
	}
	return h
}

// nextExtra searches the next hundred of the extra ids not listed yet
// (nil when none is left).
func (s *Source) nextExtra(ctx context.Context, seen map[string]bool) (*searchResults, error) {
	var ids []string
	for len(s.opts.ExtraIDs) > 0 && len(ids) < idsPerQuery {
		id := s.opts.ExtraIDs[0]
		s.opts.ExtraIDs = s.opts.ExtraIDs[1:]
		if !seen["page"+id] && !seen["blogpost"+id] && isID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.search(ctx, "id in ("+strings.Join(ids, ",")+") AND "+query.ContentTypes, listExpand, "", "")
}

func isID(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// List lists every page and blog post the query the user gave selects
// now, whatever the window, from the search without expansions, with the
// search's own count of its hits: an incremental run compares them with
// the export it updates. It keeps the pages' titles (see Titles).
func (s *Source) List(ctx context.Context) (export.Listing, error) {
	l := export.Listing{IDs: map[string]bool{}}
	first := true
	err := s.searchAll(ctx, query.WithContentTypes(s.opts.CQL), "", func(page *searchResults) {
		if first {
			l.Count, first = page.TotalSize, false
		}
		for _, r := range page.Results {
			if !s.listedID(r) {
				l.Count-- // counted, but not exported as such
				continue
			}
			l.IDs[r.Content.ID] = true
		}
	})
	if err != nil {
		return export.Listing{}, err
	}
	return l, nil
}

// listedID notes a hit of the ids-only listing and reports whether it is
// a page or blog post; its id is kept, and a page's title, for links.
func (s *Source) listedID(r searchResult) bool {
	c := r.Content
	if c.Type != exportformat.KindPage && c.Type != exportformat.KindBlogpost {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.titles[itemKey(c.ID)] = exportformat.ItemPath(c.Type, c.ID)
	key, ok := strings.CutPrefix(r.ResultGlobalContainer.DisplayURL, "/spaces/")
	if c.Type == exportformat.KindPage && ok && key != "" && !strings.Contains(key, "/") {
		s.titles[titleKey(key, c.Title)] = exportformat.ItemPath(c.Type, c.ID)
	}
	return true
}

// Titles are the pages the source has listed, by space key and title,
// and its pages and blog posts by id, for another source's links
// (Options.Titles).
func (s *Source) Titles() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.titles)
}

// Changed lists the pages and blog posts whose comments or attachments
// changed in the last minutes (which does not change the page itself),
// in the spaces named, or everywhere when none is.
func (s *Source) Changed(ctx context.Context, minutes int, spaceKeys []string) (map[string]bool, error) {
	cql := "type in (comment, attachment) AND " + query.ModifiedWithin(minutes)
	if len(spaceKeys) > 0 {
		cql += " AND space in " + query.QuoteCQLList(spaceKeys)
	}
	ids := map[string]bool{}
	err := s.searchAll(ctx, cql, "content.container", func(page *searchResults) {
		for _, r := range page.Results {
			if id := r.Content.Container.ID; id != "" {
				ids[id] = true
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func titleKey(spaceKey, title string) string { return spaceKey + "\x00" + title }

// itemKey is a listed page's or blog post's entry in the titles, for
// links to it by URL; no space key starts with "\x01".
func itemKey(id string) string { return "\x01" + id }
