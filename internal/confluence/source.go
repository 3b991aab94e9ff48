// Package confluence plans a Confluence Cloud export: it finds the pages
// and blog posts a CQL query selects and fetches them completely, with as
// few requests and rate-limit points as the API allows. The v1 search
// lists them, and tells per page whether it has attachments, comments
// and more labels than it shows; bodies come from the v2 API in bulk; one
// more search per batch lists the batch's comments and attachments, so
// that only pages with comments cost requests of their own.
package confluence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/redact"
)

const (
	v1 = "/wiki/rest/api"
	v2 = "/wiki/api/v2"
	// searchLimit is the page size asked of the v1 search; Confluence may
	// return fewer, and the plan follows the next links whatever it gets.
	searchLimit = 100
	// idSearchLimit is the page size asked of a search without expansions
	// (Confluence Data Center documents 1000 as its cap then; Cloud's is
	// not documented, and may be lower).
	idSearchLimit = 1000
	// idsPerQuery is how many ids one "id in (…)" search names.
	idsPerQuery = 100
	// batchSize is how many pages or blog posts are fetched together: the
	// v2 bulk routes take 250 ids, but a batch's bodies are held in
	// memory until its items are written.
	batchSize = 100
	// listPage is the page size asked of v2 lists (their cap).
	listPage = 250
	// usersPerCall is users-bulk's limit.
	usersPerCall = 250
)

// The scopes each call needs, so that a missing one is named.
const (
	scopeSearch     = "search:confluence"
	scopePage       = "read:page:confluence"
	scopeSpace      = "read:space:confluence"
	scopeFolder     = "read:folder:confluence"
	scopeUser       = "read:user:confluence"
	scopeAttachment = "readonly:content.attachment:confluence"
)

// Scopes are what a Confluence export cannot do without.
var Scopes = []string{scopeSearch, scopePage, scopeSpace, scopeFolder, scopeUser, scopeAttachment}

// QueryError is Confluence refusing the CQL (exit 2, with its message).
type QueryError struct {
	Message string
	// Amended is set when aumo added the content types to the query.
	Amended bool
}

// javaException is the class name Confluence puts before its messages.
var javaException = regexp.MustCompile(`^(?:[a-z]\w*\.)+\w*Exception: `)

func (e *QueryError) Error() string {
	msg := "Confluence refused the query: " + javaException.ReplaceAllString(e.Message, "")
	if e.Amended {
		msg += ` (aumo added "type in (page, blogpost)" to it, as it names no content type)`
	}
	return msg
}

// Options configure a plan.
type Options struct {
	Client *atlassian.Client
	CQL    string
	// IncludeArchived searches archived spaces too.
	IncludeArchived bool
	// KeepAccountIDs turns the privacy redaction off.
	KeepAccountIDs bool
	// Concurrency is the number of batches in flight.
	Concurrency int
	// SiteURL is the site's address, for links to pages outside the export.
	SiteURL string
	// ExtraIDs are pages and blog posts to export besides those the CQL
	// selects: an incremental run's pages whose comments or attachments
	// changed, or that newly match the query unchanged.
	ExtraIDs []string
	// Titles are pages in the export besides those the CQL lists (an
	// incremental run's, from Titles of the plan that listed them all),
	// for links between pages.
	Titles map[string]string
}

// Item is one exported object: a page, blog post, space or folder.
type Item struct {
	Kind    string // "page", "blogpost", "space", "folder"
	ID      string
	Title   string
	Updated time.Time
	JSON    []byte
	// Attachments are a page's or blog post's files.
	Attachments []Attachment
	doc         map[string]any
	plan        *Plan
	// redactor, when set, takes the ids out of the Markdown as well.
	redactor *redact.Replacer
}

// Attachment is a file of a page or blog post.
type Attachment struct {
	ID, Name string
	Size     int64
	Updated  time.Time
	// FileID is the id ADF media nodes use.
	FileID string
	// Path is where its bytes are fetched (a 302 to the media host).
	Path string
}

// Problem is an item the plan leaves out (Reason "deleted",
// "unsupported-type") or gives up on (Failed).
type Problem struct {
	Kind, ID, Reason, Detail string
	Failed                   bool
}

// hit is a page or blog post the search listed, with what the search
// told of it.
type hit struct {
	id, kind, title, spaceKey string
	attachments, comments     bool
	// labels are the listed labels as "prefix\x1fid\x1fname", joined by
	// "\x1e" (compact: every listed page is held until its batch).
	labels     string
	moreLabels bool
	// ancestors are the ids and types above the page, top-down, as
	// "type:id/type:id" (compact: every listed page is held at once).
	ancestors string
}

// Plan finds and fetches the items of a query.
type Plan struct {
	opts  Options
	cql   string
	first *searchResults
	total int64

	listed atomic.Int64

	mu sync.Mutex
	// titles maps a page's space key and title to its export path, for
	// links between exported pages.
	titles map[string]string
	// spaceKeys maps a listed page's id to its space's key.
	spaceKeys map[string]string
	// claimed are the spaces and folders some batch has taken on.
	claimed map[string]bool
	users   map[string]*User
	// containersListed are the spaces and folders ("space:<id>",
	// "folder:<id>") above the listed pages.
	containersListed map[string]bool
	// resolving serialises the lookups of people.
	resolving sync.Mutex
}

// User is a person as users-bulk names them.
type User struct {
	DisplayName string `json:"displayName"`
	Email       string `json:"email"`
	AccountID   string `json:"accountId"`
	PublicName  string `json:"publicName"`
}

// New returns a plan.
func New(opts Options) *Plan {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	titles := maps.Clone(opts.Titles)
	if titles == nil {
		titles = map[string]string{}
	}
	return &Plan{opts: opts, cql: WithTypes(opts.CQL), titles: titles, spaceKeys: map[string]string{}, containersListed: map[string]bool{}, claimed: map[string]bool{}, users: map[string]*User{}}
}

// Listed is how many pages and blog posts the search listed.
func (p *Plan) Listed() int64 { return p.listed.Load() }

// CQL is the query as sent: the user's, with the content types added
// when it names none.
func (p *Plan) CQL() string { return p.cql }

var (
	quoted      = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	typeClause  = regexp.MustCompile(`(?i)(^|[\s(])type\s*(=|!=|~|\bin\b|\bnot\s+in\b)`)
	orderClause = regexp.MustCompile(`(?i)\border\s+by\b`)
)

// WithTypes adds "type in (page, blogpost)" to a CQL query that names no
// content type, before any ORDER BY.
func WithTypes(cql string) string {
	bare := quoted.ReplaceAllStringFunc(cql, func(s string) string { return strings.Repeat("x", len(s)) })
	if strings.TrimSpace(cql) == "" || typeClause.MatchString(bare) {
		return cql
	}
	query, order := cql, ""
	if loc := orderClause.FindAllStringIndex(bare, -1); len(loc) > 0 {
		at := loc[len(loc)-1][0]
		query, order = strings.TrimSpace(cql[:at]), " "+strings.TrimSpace(cql[at:])
	}
	if strings.TrimSpace(query) == "" {
		return "type in (page, blogpost)" + order
	}
	return "(" + query + ") AND type in (page, blogpost)" + order
}

// searchResults is a page of the v1 search.
type searchResults struct {
	Results []struct {
		Content struct {
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
				Labels *struct {
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
				} `json:"labels"`
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
			Extensions struct {
				Location       string  `json:"location"`
				MediaType      string  `json:"mediaType"`
				FileSize       float64 `json:"fileSize"`
				FileID         string  `json:"fileId"`
				Comment        string  `json:"comment"`
				CollectionName string  `json:"collectionName"`
			} `json:"extensions"`
			Version struct {
				Number int    `json:"number"`
				When   string `json:"when"`
			} `json:"version"`
		} `json:"content"`
		// ResultGlobalContainer is the hit's space: its displayUrl,
		// "/spaces/KEY", names the key without an expansion.
		ResultGlobalContainer struct {
			DisplayURL string `json:"displayUrl"`
		} `json:"resultGlobalContainer"`
	} `json:"results"`
	TotalSize int64 `json:"totalSize"`
	Links     struct {
		Base string `json:"base"`
		Next string `json:"next"`
	} `json:"_links"`
}

const listExpand = "content.childTypes.attachment,content.childTypes.comment,content.metadata.labels,content.space,content.ancestors"

// search fetches a page of the v1 search: the first from the query, the
// others from the next link of the one before.
func (p *Plan) search(ctx context.Context, cql, expand, next, base string) (*searchResults, error) {
	limit := searchLimit
	if expand == "" {
		limit = idSearchLimit
	}
	path, q := v1+"/search", url.Values{}
	if next != "" {
		link, err := p.opts.Client.RewriteRelative(base, next)
		if err != nil {
			return nil, err
		}
		path = link
	} else {
		q.Set("cql", cql)
		q.Set("limit", fmt.Sprint(limit))
		if expand != "" {
			q.Set("expand", expand)
		}
		if p.opts.IncludeArchived {
			q.Set("includeArchivedSpaces", "true")
		}
	}
	var page searchResults
	err := p.opts.Client.GetJSON(ctx, path, q, &page, atlassian.Scope(scopeSearch))
	var ae *atlassian.Error
	if errors.As(err, &ae) && ae.Status == 400 && next == "" {
		return nil, &QueryError{Message: ae.Message, Amended: cql != "" && cql != p.opts.CQL}
	}
	if err != nil {
		return nil, fmt.Errorf("search Confluence: %w", err)
	}
	p.opts.Client.AddPoints(len(page.Results))
	return &page, nil
}

// Check validates the query with Confluence before anything is written
// and returns the number of hits it reports. The page it fetched is the
// listing's first.
func (p *Plan) Check(ctx context.Context) (int64, error) {
	page, err := p.search(ctx, p.cql, listExpand, "", "")
	if err != nil {
		return 0, err
	}
	p.first, p.total = page, page.TotalSize
	return page.TotalSize, nil
}

// list pages through the search and returns the pages and blog posts
// that done does not report as exported, in the order listed. It keeps
// every listed page's title, for links between pages.
func (p *Plan) list(ctx context.Context, done func(kind, id string) bool, problem func(Problem)) ([]*hit, error) {
	page := p.first
	if page == nil {
		var err error
		if page, err = p.search(ctx, p.cql, listExpand, "", ""); err != nil {
			return nil, err
		}
	}
	p.first = nil
	var hits []*hit
	seen := map[string]bool{}
	for {
		for _, r := range page.Results {
			c := r.Content
			if seen[c.Type+c.ID] {
				continue
			}
			seen[c.Type+c.ID] = true
			if c.Type != "page" && c.Type != "blogpost" {
				problem(Problem{Kind: c.Type, ID: c.ID, Reason: "unsupported-type", Detail: "the query matched a " + c.Type + "; aumo exports pages and blog posts (with their comments and attachments)"})
				continue
			}
			p.listed.Add(1)
			var anc []string
			p.mu.Lock()
			if c.Type == "page" { // ri:page links name pages only
				p.titles[titleKey(c.Space.Key, c.Title)] = itemPath(c.Type, c.ID)
			}
			p.spaceKeys[c.ID] = c.Space.Key
			// The spaces and folders the pages live in, done or not, so
			// that a resumed run still exports those an earlier one missed.
			if id := c.Space.ID.String(); id != "" {
				p.containersListed["space:"+id] = true
			}
			for _, a := range c.Ancestors {
				anc = append(anc, a.Type+":"+a.ID)
				if a.Type == "folder" {
					p.containersListed["folder:"+a.ID] = true
				}
			}
			p.mu.Unlock()
			if done(c.Type, c.ID) {
				continue
			}
			h := &hit{
				ancestors: strings.Join(anc, "/"),
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
			hits = append(hits, h)
		}
		if page.Links.Next == "" {
			var err error
			if page, err = p.nextExtra(ctx, seen); err != nil || page == nil {
				return hits, err
			}
			continue
		}
		next, base := page.Links.Next, page.Links.Base
		var err error
		if page, err = p.search(ctx, "", "", next, base); err != nil {
			return nil, err
		}
	}
}

// nextExtra searches the next hundred of the extra ids not listed yet
// (nil when none is left).
func (p *Plan) nextExtra(ctx context.Context, seen map[string]bool) (*searchResults, error) {
	var ids []string
	for len(p.opts.ExtraIDs) > 0 && len(ids) < idsPerQuery {
		id := p.opts.ExtraIDs[0]
		p.opts.ExtraIDs = p.opts.ExtraIDs[1:]
		if !seen["page"+id] && !seen["blogpost"+id] && isID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return p.search(ctx, "id in ("+strings.Join(ids, ",")+") AND type in (page, blogpost)", listExpand, "", "")
}

func isID(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// IDs lists the ids of every page and blog post the plan's CQL selects,
// from the search without expansions, and the search's own count of its
// hits: an incremental run compares them with the export it updates.
func (p *Plan) IDs(ctx context.Context) (map[string]bool, int64, error) {
	ids := map[string]bool{}
	page, err := p.search(ctx, p.cql, "", "", "")
	var total int64
	if err == nil {
		total = page.TotalSize
	}
	for err == nil {
		for _, r := range page.Results {
			c := r.Content
			switch c.Type {
			case "page":
				key, ok := strings.CutPrefix(r.ResultGlobalContainer.DisplayURL, "/spaces/")
				if ok && key != "" && !strings.Contains(key, "/") {
					p.mu.Lock()
					p.titles[titleKey(key, c.Title)] = itemPath(c.Type, c.ID)
					p.mu.Unlock()
				}
				ids[c.ID] = true
			case "blogpost":
				ids[c.ID] = true
			default:
				total-- // counted, but not exported as such
			}
		}
		if page.Links.Next == "" {
			return ids, total, nil
		}
		page, err = p.search(ctx, "", "", page.Links.Next, page.Links.Base)
	}
	return nil, 0, err
}

// Titles are the pages the plan has listed, by space key and title, for
// another plan's links (Options.Titles).
func (p *Plan) Titles() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.titles)
}

// ChangedContainers lists the pages and blog posts whose comments or
// attachments changed in the last minutes (which does not change the
// page itself), in the spaces named, or everywhere when none is.
func (p *Plan) ChangedContainers(ctx context.Context, minutes int, spaceKeys []string) (map[string]bool, error) {
	cql := fmt.Sprintf(`type in (comment, attachment) AND lastmodified >= now("-%dm")`, minutes)
	if len(spaceKeys) > 0 {
		quoted := make([]string, len(spaceKeys))
		for i, k := range spaceKeys {
			quoted[i] = cqlQuote(k)
		}
		cql += " AND space in (" + strings.Join(quoted, ", ") + ")"
	}
	ids := map[string]bool{}
	page, err := p.search(ctx, cql, "content.container", "", "")
	for err == nil {
		for _, r := range page.Results {
			if id := r.Content.Container.ID; id != "" {
				ids[id] = true
			}
		}
		if page.Links.Next == "" {
			return ids, nil
		}
		page, err = p.search(ctx, "", "", page.Links.Next, page.Links.Base)
	}
	return nil, err
}

// cqlQuote quotes a CQL string.
func cqlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func titleKey(spaceKey, title string) string { return spaceKey + "\x00" + title }

// itemPath is where an item's JSON goes in the export.
func itemPath(kind, id string) string {
	switch kind {
	case "space":
		return "spaces/" + id + ".json"
	case "folder":
		return "folders/" + id + ".json"
	}
	return kind + "s/" + id + "/" + kind + ".json"
}

// Path is where the item's JSON goes in the export.
func (it *Item) Path() string { return itemPath(it.Kind, it.ID) }

// Items calls emit for every page and blog post of the query that done
// does not report as exported already, with the spaces and folders they
// live in, and problem for each one left out.
func (p *Plan) Items(ctx context.Context, done func(kind, id string) bool, problem func(Problem), emit func(*Item) error) error {
	hits, err := p.list(ctx, done, problem)
	if err != nil {
		return err
	}
	// The spaces and folders above every listed page first, done pages
	// included: an earlier run may have stopped before writing them.
	var spaces, folders []string
	for c := range p.containersListed {
		kind, id, _ := strings.Cut(c, ":")
		if kind == "space" {
			spaces = append(spaces, id)
		} else {
			folders = append(folders, id)
		}
	}
	slices.Sort(spaces)
	slices.Sort(folders)
	if err := p.emitContainers(ctx, spaces, folders, done, problem, emit); err != nil {
		return err
	}
	batches := make(chan []*hit)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		for len(hits) > 0 {
			n := min(batchSize, len(hits))
			b := slices.Clone(hits[:n])
			clear(hits[:n]) // a batch's hits go once it is done
			select {
			case batches <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			hits = hits[n:]
		}
		return nil
	})
	for range p.opts.Concurrency {
		g.Go(func() error {
			for b := range batches {
				if err := p.batch(ctx, b, done, problem, emit); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// getList fetches every page of a v2 list and returns its results.
func (p *Plan) getList(ctx context.Context, path string, q url.Values, scope string) ([]map[string]any, error) {
	var all []map[string]any
	for {
		var page struct {
			Results []map[string]any `json:"results"`
			Links   struct {
				Next string `json:"next"`
			} `json:"_links"`
		}
		if err := p.opts.Client.GetJSON(ctx, path, q, &page, atlassian.Scope(scope)); err != nil {
			return nil, err
		}
		p.opts.Client.AddPoints(len(page.Results))
		all = append(all, page.Results...)
		if page.Links.Next == "" {
			return all, nil
		}
		next, err := p.opts.Client.RewriteLink(page.Links.Next)
		if err != nil {
			return nil, err
		}
		path, q = next, nil
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
