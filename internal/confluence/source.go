// Package confluence is the Confluence Cloud source of an export: it finds
// the pages and blog posts a CQL query selects and fetches them
// completely, with as few requests and rate-limit points as the API
// allows, and hands them to the export engine as its items, with the
// spaces and folders they live in. The v1 search
// lists them, and tells per page whether it has attachments, comments
// and more labels than it shows; bodies come from the v2 API in bulk; one
// more search per batch lists the batch's comments and attachments, so
// that only pages with comments cost requests of their own.
package confluence

import (
	"context"
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
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/query"
	"github.com/aumo-cli/aumo/internal/redact"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

const (
	v1 = "/wiki/rest/api"
	v2 = "/wiki/api/v2"
	// searchLimit is the page size asked of the v1 search; Confluence may
	// return fewer, and the source follows the next links whatever it gets.
	searchLimit = 100
	// idSearchLimit is the page size asked of a search without expansions
	// (Confluence Data Center documents 1000 as its cap then; Cloud's is
	// not documented, and may be lower).
	idSearchLimit = 1000
	// idsPerQuery is how many ids one "id in (…)" search names.
	idsPerQuery = 100
	// batchSize is how many pages or blog posts are fetched together: the
	// v2 bulk routes take 250 ids, but what a batch fetched is lost when
	// the run stops before its items are written, and paid again by the
	// run that resumes it. Smaller batches cost a few more requests.
	batchSize = 25
	// batchesAhead is how many batches are fetched at once: the
	// attachments' downloads, not the fetches, keep the engine busy, and
	// each batch more in flight is more lost at a stop.
	batchesAhead = 2
	// listPage is the page size asked of v2 lists (their cap).
	listPage = 250
	// usersPerCall is users-bulk's limit.
	usersPerCall = 250
	// keysPerCall is how many user keys one lookup names: each is a
	// parameter of the query string.
	keysPerCall = 100
)

// The scopes each call needs, so that a missing one is named.
const (
	scopeSearch = "search:confluence"
	scopePage   = "read:page:confluence"
	scopeSpace  = "read:space:confluence"
	scopeFolder = "read:folder:confluence"
	scopeUser   = "read:user:confluence"
	// scopeUserKeys is the v1 lookup of user keys': without it, people a
	// page names by user key stay unknown.
	scopeUserKeys   = "read:confluence-user"
	scopeAttachment = "readonly:content.attachment:confluence"
)

// Scopes are what a Confluence export cannot do without.
var Scopes = []string{scopeSearch, scopePage, scopeSpace, scopeFolder, scopeUser, scopeAttachment}

// javaException is the class name Confluence puts before its messages.
var javaException = regexp.MustCompile(`^(?:[a-z]\w*\.)+\w*Exception: `)

// queryError is Confluence refusing the CQL (exit 2, with its message);
// amended says that aumo added the content types to the query.
func queryError(message string, amended bool) error {
	e := &export.QueryError{Product: "Confluence", Message: javaException.ReplaceAllString(message, "")}
	if amended {
		e.Hint = ` (aumo added "` + query.ContentTypes + `" to it, as it names no content type)`
	}
	return e
}

// Options configure a source.
type Options struct {
	Client *atlassian.Client
	// CQL is the query as the user gave it.
	CQL string
	// Window, when positive, narrows the query to what was modified in
	// the last Window minutes (--since, --incremental).
	Window int
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
	// OnlyExtraIDs leaves the query's search out: the ExtraIDs are the
	// pages and blog posts to export, and ExtraSpaces and ExtraFolders
	// spaces and folders to export besides those above them (a repair's,
	// whose files are damaged).
	OnlyExtraIDs              bool
	ExtraSpaces, ExtraFolders []string
	// Titles are pages and blog posts in the export besides those the
	// CQL lists (an incremental run's, from Titles of the source that
	// listed them all), for links between pages.
	Titles map[string]string
}

// content is one exported object: a page, blog post, space or folder.
type content struct {
	Kind    string // "page", "blogpost", "space", "folder"
	ID      string
	Title   string
	Updated time.Time
	JSON    []byte
	// Attachments are a page's or blog post's files.
	Attachments []export.Attachment
	doc         map[string]any
	src         *Source
	// redactor, when set, takes the ids out of the Markdown as well.
	redactor *redact.Replacer
}

// item is the content as the engine writes it.
func (c *content) item() *export.Item {
	it := &export.Item{Kind: c.Kind, ID: c.ID, Updated: c.Updated, Path: exportformat.ItemPath(c.Kind, c.ID), JSON: c.JSON, Attachments: c.Attachments}
	if md := exportformat.MarkdownPath(c.Kind, c.ID); md != "" {
		it.Dir, it.MarkdownPath, it.RenderMarkdown = exportformat.ItemDir(c.Kind, c.ID), md, c.Markdown
	}
	return it
}

// output is where the items of a run go: done tells what an earlier run
// exported, problems what is left out, emit takes the rest.
type output struct {
	done     func(kind, id string) bool
	problems export.Problems
	emit     func(*export.Item) error
}

// skip reports content left out by design.
func (o output) skip(kind, id, reason, detail string) {
	o.problems.Skip(exportformat.Problem{Kind: kind, ID: id, Item: id, Reason: reason, Detail: detail})
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

// Source finds and fetches the items of a query: the export's source.
type Source struct {
	opts Options
	// asked is the query narrowed to the window, cql the query as sent:
	// with the content types added when it names none.
	asked string
	cql   string
	first *searchResults
	total int64

	listed atomic.Int64

	mu sync.Mutex
	// titles maps a page's space key and title to its export path, and
	// a page's or blog post's id (itemKey), for links between exported
	// pages.
	titles map[string]string
	// spaceKeys maps a listed page's id to its space's key.
	spaceKeys map[string]string
	// claimed are the spaces and folders some batch has taken on.
	claimed map[string]bool
	users   map[string]*User
	// userKeys maps the user keys of storage user references to account
	// ids ("" when Confluence knows none); keysRefused is set once
	// Confluence refused the lookup.
	userKeys    map[string]string
	keysRefused bool
	// keysUnknown are the user keys not looked up because Confluence
	// refused.
	keysUnknown map[string]bool
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

var _ export.Source = (*Source)(nil)

// New returns a source.
func New(opts Options) *Source {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	titles := maps.Clone(opts.Titles)
	if titles == nil {
		titles = map[string]string{}
	}
	asked := opts.CQL
	if opts.Window > 0 {
		asked = query.And(asked, query.ModifiedWithin(opts.Window))
	}
	return &Source{opts: opts, asked: asked, cql: query.WithContentTypes(asked), titles: titles, spaceKeys: map[string]string{}, containersListed: map[string]bool{}, claimed: map[string]bool{}, users: map[string]*User{}, userKeys: map[string]string{}}
}

// Listed is how many pages and blog posts the search listed.
func (s *Source) Listed() int64 { return s.listed.Load() }

// Query is the query as sent: the user's, narrowed to the window, with
// the content types added when it names none.
func (s *Source) Query() string { return s.cql }

// Items implements export.Source: every page and blog post of the query
// that done does not report as exported already, with the spaces and
// folders they live in.
func (s *Source) Items(ctx context.Context, done func(kind, id string) bool, problems export.Problems, emit func(*export.Item) error) error {
	out := output{done: done, problems: problems, emit: emit}
	hits, err := s.list(ctx, out)
	if err != nil {
		return err
	}
	// Pages apart from blog posts: a batch of one kind takes half the
	// bulk requests of a mixed one.
	slices.SortStableFunc(hits, func(a, b *hit) int { return strings.Compare(b.kind, a.kind) })
	// The spaces and folders above every listed page first, done pages
	// included: an earlier run may have stopped before writing them.
	spaces, folders := s.listedContainers()
	spaces, folders = append(spaces, s.opts.ExtraSpaces...), append(folders, s.opts.ExtraFolders...)
	if err := s.emitContainers(ctx, spaces, folders, out); err != nil {
		return err
	}
	batches := make(chan []*hit)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		return sendBatches(ctx, hits, batches)
	})
	for range min(s.opts.Concurrency, batchesAhead) {
		g.Go(func() error {
			for b := range batches {
				if err := s.batch(ctx, b, out); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// listedContainers are the ids of the spaces and folders above the
// listed pages.
func (s *Source) listedContainers() (spaces, folders []string) {
	for c := range s.containersListed {
		kind, id, _ := strings.Cut(c, ":")
		if kind == exportformat.KindSpace {
			spaces = append(spaces, id)
		} else {
			folders = append(folders, id)
		}
	}
	slices.Sort(spaces)
	slices.Sort(folders)
	return spaces, folders
}

// sendBatches sends the hits in batches; a batch's hits go once it is
// done.
func sendBatches(ctx context.Context, hits []*hit, batches chan<- []*hit) error {
	for len(hits) > 0 {
		n := min(batchSize, len(hits))
		b := slices.Clone(hits[:n])
		clear(hits[:n])
		select {
		case batches <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		hits = hits[n:]
	}
	return nil
}

// getList fetches every page of a v2 list and returns its results.
func (s *Source) getList(ctx context.Context, path string, q url.Values, scope string) ([]map[string]any, error) {
	var all []map[string]any
	for {
		var page struct {
			Results []map[string]any `json:"results"`
			Links   struct {
				Next string `json:"next"`
			} `json:"_links"`
		}
		if err := s.opts.Client.GetJSON(ctx, path, q, &page, atlassian.Scope(scope)); err != nil {
			return nil, err
		}
		s.opts.Client.Charge(path, len(page.Results))
		all = append(all, page.Results...)
		if page.Links.Next == "" {
			return all, nil
		}
		next, err := s.opts.Client.RewriteLink(page.Links.Next)
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
