package sandbox

// The Confluence side imitates the Confluence Cloud REST API as an
// exporter meets it through the gateway: v1 CQL search with cursors in
// site-relative next links that lack the /wiki prefix, v2 lists whose
// next links (in the body and in a Link header) carry it, bodies in
// storage XHTML and in ADF encoded as a string, root comments apart from
// their replies, attachments whose download leaves the gateway, and
// pages that search lists but that are gone when fetched. A space is
// generated from its seed when a site first reads it and kept in memory
// (its shape, not its bodies or attachment bytes, which are drawn when
// asked for).

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits of SetConfluenceSpace.
const (
	// MaxConfluencePages and MaxConfluenceBlogPosts bound one space,
	// which is held in memory once read.
	MaxConfluencePages     = 5000
	MaxConfluenceBlogPosts = 1000

	// MaxConfluenceSpaces bounds how many spaces exist at once.
	MaxConfluenceSpaces = 16
)

// Page sizes and list bounds of the Confluence routes.
const (
	// ConfluenceSearchDefaultLimit and ConfluenceSearchMaxLimit bound
	// limit of /rest/api/search; a larger limit is capped silently, as
	// the spec's "may be restricted by fixed system limits" allows.
	ConfluenceSearchDefaultLimit = 25
	ConfluenceSearchMaxLimit     = 100

	// ConfluenceContentSearchBodyLimit caps limit of
	// /rest/api/content/search when a body is expanded, as Confluence
	// caps it (at least on Data Center); a client must follow the next
	// links whatever size it asked for.
	ConfluenceContentSearchBodyLimit = 50

	// ConfluenceSearchLabels caps the content.metadata.labels expansion
	// of a search hit; _links.next says when a page has more.
	ConfluenceSearchLabels = 50

	// ConfluenceCQLListMax is the most values one IN list of CQL takes.
	ConfluenceCQLListMax = 250

	// ConfluenceListDefaultLimit is limit of the v2 lists when the
	// request has none, except attachments', which is
	// ConfluenceAttachmentDefaultLimit; every v2 list caps limit at
	// ConfluenceListMaxLimit.
	ConfluenceListDefaultLimit       = 25
	ConfluenceAttachmentDefaultLimit = 50
	ConfluenceListMaxLimit           = 250

	// ConfluenceIncludedMax is the most results an include-… parameter
	// of GET /pages/{id} and /blogposts/{id} embeds.
	ConfluenceIncludedMax = 50

	// ConfluenceBulkMax is the most ids /pages, /blogposts and /spaces
	// take in id or ids (and keys), and the most account ids
	// /users-bulk takes.
	ConfluenceBulkMax = 250

	// confluenceSpaceIDsMax is the most space-id values /pages takes.
	confluenceSpaceIDsMax = 100
)

// Defaults of ConfluenceOptions, used where a field is zero.
const (
	DefaultConfluenceMaxDepth             = 20
	DefaultConfluenceMaxLabels            = 5
	DefaultConfluenceManyLabelsEvery      = 25
	DefaultConfluenceManyLabels           = 60
	DefaultConfluenceCommentPercent       = 33
	DefaultConfluenceMaxComments          = 6
	DefaultConfluenceReplyPercent         = 40
	DefaultConfluenceLongThreadEvery      = 30
	DefaultConfluenceLongThreadComments   = 120
	DefaultConfluenceInlineCommentEvery   = 7
	DefaultConfluenceAttachmentPercent    = 40
	DefaultConfluenceMaxAttachments       = 3
	DefaultConfluenceLargeAttachmentEvery = 200
	DefaultConfluenceLargeAttachmentSize  = 20 << 20
	DefaultConfluenceTrashedEvery         = 50
	DefaultConfluenceRestrictedEvery      = 70
)

// Upper bounds of ConfluenceOptions.
const (
	maxConfluenceFolders     = 1000
	maxConfluenceLabels      = 60 // of the plain draw; ManyLabels takes the whole vocabulary
	maxConfluenceComments    = 1000
	maxConfluenceAttachments = 20
)

// Where the ids of a space start. Content of every kind (pages, blog
// posts, folders, comments and attachments) shares one sequence per
// space, as in Confluence, so an id names one thing whatever its type;
// space ids and label ids have ranges of their own.
const (
	confluenceIDBase      = 1_000_000_000
	confluenceSlotStride  = 10_000_000
	confluenceSpaceIDBase = 98304
	confluenceSpaceStride = 32768
	confluenceLabelIDBase = 5_000_000
)

// ConfluenceOptions shapes a generated space. Its zero value is a space
// with every trap switched on at the Default rates. For each count or
// rate, zero means the default and a negative value means none or never.
//
// The "Every" fields place special pages by their number n (1-based, in
// the order of ConfluenceSpace.Pages, the home page being 1): a page is
// special when n ≡ offset (mod rate), the offset given with each field,
// so that a space of a few pages already holds the cheap traps. The home
// page is never trashed or restricted, and trashed and restricted pages
// are leaves: no page or folder is put under them.
//
// Whatever the options, titles and a body are hostile to anything that
// names files after titles or shows bodies as web pages: pages 2 to 6
// are titled "CON", `Q3 plan: a/b \ c * d ? "e" <f> | g`, "Release
// notes v2. " (a trailing dot and space), a title of 319 bytes, and
// "Pasted from the old wiki " followed by an image element whose error
// handler runs HostileScript; page 6's body holds HostileScript as text
// in a script element and in such an image, as the href of a
// javascript: link, and in an HTML macro. The first two visible pages
// under one parent (the first page or folder, in id order, that has
// two left) are titled "Meeting notes" and "meeting NOTES", the next two
// "Runbook?" and "Runbook*".
type ConfluenceOptions struct {
	// Users is the size of the pool that authors, owners and mentions
	// come from; it is Jira's pool (see JiraOptions.Users), so that an
	// account has the same id and name in both products. At most 1000,
	// default DefaultJiraUsers.
	Users int

	// BlogPosts is how many blog posts the space has besides its pages:
	// by default a tenth of the pages, at least one; at most
	// MaxConfluenceBlogPosts.
	BlogPosts int

	// Archived makes the space archived: its status is "archived", and
	// CQL search leaves its content out unless the request says
	// includeArchivedSpaces=true. The v2 routes serve it as usual.
	Archived bool

	// Folders is how many folders the page tree holds, by default a
	// twentieth of the pages, at least one. Each folder sits under a
	// page or (every third one, when it can) under the folder before
	// it, and the page created right after a folder goes into it.
	Folders int

	// MaxDepth bounds the tree: the home page is at depth 0, and no page
	// or folder is deeper than MaxDepth.
	MaxDepth int

	// MaxLabels bounds the labels of an ordinary page or blog post
	// (from zero); every ManyLabelsEvery-th page (offset 3: pages 3, 28,
	// 53, … by default) has ManyLabels instead, more than one page of
	// any list.
	MaxLabels                   int
	ManyLabelsEvery, ManyLabels int

	// CommentPercent of the pages and blog posts have footer comments:
	// 1 to MaxComments root comments, each with replies at
	// ReplyPercent, and replies to those. Every LongThreadEvery-th page
	// (offset 4: pages 4, 34, 64, …) has a thread of
	// LongThreadComments comments, replies included.
	CommentPercent, MaxComments, ReplyPercent int
	LongThreadEvery, LongThreadComments       int

	// Every InlineCommentEvery-th page and blog post (offset 2: pages
	// 2, 9, 16, … and blog posts 2, 9, … in creation order) has one to
	// three inline comments, some with a reply.
	InlineCommentEvery int

	// AttachmentPercent of the pages and blog posts have 1 to
	// MaxAttachments attachments, the first one an image. Pages whose
	// 0-based position modulo 20 is 1 to 6 carry the test collection's
	// hostile names instead (see SetTestItems). A negative
	// AttachmentPercent means no attachments but the large ones.
	AttachmentPercent, MaxAttachments int

	// Every LargeAttachmentEvery-th page (offset 199: pages 199, 399, …
	// by default; pages 4, 9, … at a rate of 5) carries one more
	// attachment of LargeAttachmentSize bytes.
	LargeAttachmentEvery int
	LargeAttachmentSize  int64

	// Trashed pages (offset 0: pages 50, 100, … by default) were
	// trashed after the search index saw them: CQL search still lists
	// them and their comments and attachments, but v2 /pages leaves them
	// out unless asked for status=trashed, and GET /pages/{id}, their
	// lists and their downloads answer 404.
	TrashedEvery int

	// Restricted pages (offset 0: pages 70, 140, …; a trashed page is
	// not also restricted) are hidden from the signed-in user: no route
	// shows them, their comments or their attachments, and fetching any
	// of them answers 404.
	RestrictedEvery int
}

// normalized applies the defaults and bounds of ConfluenceOptions for a
// space of n pages.
func (o ConfluenceOptions) normalized(n int) ConfluenceOptions {
	o.Users = max(countOption(o.Users, DefaultJiraUsers, maxJiraUsers), 1)
	o.BlogPosts = countOption(o.BlogPosts, max(n/10, 1), MaxConfluenceBlogPosts)
	o.Folders = countOption(o.Folders, max(n/20, 1), maxConfluenceFolders)
	o.MaxDepth = max(countOption(o.MaxDepth, DefaultConfluenceMaxDepth, 1000), 1)
	o.MaxLabels = countOption(o.MaxLabels, DefaultConfluenceMaxLabels, maxConfluenceLabels)
	o.ManyLabelsEvery = countOption(o.ManyLabelsEvery, DefaultConfluenceManyLabelsEvery, MaxConfluencePages)
	o.ManyLabels = countOption(o.ManyLabels, DefaultConfluenceManyLabels, len(confluenceLabelNames))
	o.CommentPercent = countOption(o.CommentPercent, DefaultConfluenceCommentPercent, 100)
	o.MaxComments = max(countOption(o.MaxComments, DefaultConfluenceMaxComments, maxConfluenceComments), 1)
	o.ReplyPercent = countOption(o.ReplyPercent, DefaultConfluenceReplyPercent, 100)
	o.LongThreadEvery = countOption(o.LongThreadEvery, DefaultConfluenceLongThreadEvery, MaxConfluencePages)
	o.LongThreadComments = max(countOption(o.LongThreadComments, DefaultConfluenceLongThreadComments, maxConfluenceComments), 1)
	o.InlineCommentEvery = countOption(o.InlineCommentEvery, DefaultConfluenceInlineCommentEvery, MaxConfluencePages)
	o.AttachmentPercent = countOption(o.AttachmentPercent, DefaultConfluenceAttachmentPercent, 100)
	o.MaxAttachments = max(countOption(o.MaxAttachments, DefaultConfluenceMaxAttachments, maxConfluenceAttachments), 1)
	o.LargeAttachmentEvery = countOption(o.LargeAttachmentEvery, DefaultConfluenceLargeAttachmentEvery, MaxConfluencePages)
	if o.LargeAttachmentSize <= 0 {
		o.LargeAttachmentSize = DefaultConfluenceLargeAttachmentSize
	}
	o.TrashedEvery = countOption(o.TrashedEvery, DefaultConfluenceTrashedEvery, MaxConfluencePages)
	o.RestrictedEvery = countOption(o.RestrictedEvery, DefaultConfluenceRestrictedEvery, MaxConfluencePages)
	return o
}

// ConfluenceStats counts the requests that reached the Confluence
// routes, one counter per route, answered or refused (401, 400, 404);
// requests that InjectFaults or SetBurstLimit answered never get here.
type ConfluenceStats struct {
	Search                 int // GET /rest/api/search
	ContentSearch          int // GET /rest/api/content/search
	Pages                  int // GET /api/v2/pages
	Page                   int // GET /api/v2/pages/{id}
	BlogPosts              int // GET /api/v2/blogposts
	BlogPost               int // GET /api/v2/blogposts/{id}
	Spaces                 int // GET /api/v2/spaces
	Folder                 int // GET /api/v2/folders/{id}
	PageLabels             int // GET /api/v2/pages/{id}/labels
	BlogPostLabels         int // GET /api/v2/blogposts/{id}/labels
	PageFooterComments     int // GET /api/v2/pages/{id}/footer-comments
	PageInlineComments     int // GET /api/v2/pages/{id}/inline-comments
	BlogPostFooterComments int // GET /api/v2/blogposts/{id}/footer-comments
	BlogPostInlineComments int // GET /api/v2/blogposts/{id}/inline-comments
	FooterCommentChildren  int // GET /api/v2/footer-comments/{id}/children
	InlineCommentChildren  int // GET /api/v2/inline-comments/{id}/children
	PageAttachments        int // GET /api/v2/pages/{id}/attachments
	BlogPostAttachments    int // GET /api/v2/blogposts/{id}/attachments
	AttachmentDownload     int // GET /rest/api/content/{id}/child/attachment/{attachmentId}/download
	DownloadServlet        int // GET /download/attachments/…, always refused
	UsersBulk              int // POST /api/v2/users-bulk
	UserMigration          int // GET /rest/api/user/bulk/migration

	SearchResults  int // hits in /rest/api/search and /rest/api/content/search pages
	ContentFetched int // pages and blog posts returned by the v2 page and blog post routes

	// Points estimates the hourly quota the requests cost, as
	// JiraStats.Points does: 1 per request, 1 per page, blog post,
	// search hit, comment, attachment (metadata or download), label,
	// space or folder returned, 2 per user users-bulk or the user key
	// lookup returns (people embedded in content, such as version.by,
	// cost nothing of their own).
	Points int
}

// Requests is the number of requests the Confluence routes saw.
func (st ConfluenceStats) Requests() int {
	return st.Search + st.ContentSearch + st.Pages + st.Page + st.BlogPosts + st.BlogPost + st.Spaces + st.Folder +
		st.PageLabels + st.BlogPostLabels + st.PageFooterComments + st.PageInlineComments +
		st.BlogPostFooterComments + st.BlogPostInlineComments + st.FooterCommentChildren + st.InlineCommentChildren +
		st.PageAttachments + st.BlogPostAttachments + st.AttachmentDownload + st.DownloadServlet + st.UsersBulk +
		st.UserMigration
}

// confluenceSpace is one generated space. Its fields never change once
// set (a change is a new copy); each site's content is built on first
// use and then only read.
type confluenceSpace struct {
	key, name string
	slot      int
	pages     int
	seed      uint64
	// mediaSeed feeds the file ids and contents, apart from Jira's and
	// the test collection's so that no two name the same file.
	mediaSeed uint64
	opts      ConfluenceOptions
	sites     []confluenceSiteData
	// changes are what EditConfluencePage, AddConfluenceComment and
	// DeleteConfluencePage did since SetConfluenceSpace, in order; each
	// site's copy replays them once generated. A change replaces the
	// space with a copy holding one more.
	changes []cfChange
}

type confluenceSiteData struct {
	once sync.Once
	d    *cfData
}

func (sp *confluenceSpace) id() int64 {
	return confluenceSpaceIDBase + confluenceSpaceStride*int64(sp.slot)
}

// data returns the space as site shows it, generating it and replaying
// its changes the first time.
func (sp *confluenceSpace) data(site int) *cfData {
	sd := &sp.sites[site]
	sd.once.Do(func() {
		d := genConfluence(sp, site)
		for _, ch := range sp.changes {
			d.apply(ch)
		}
		sd.d = d
	})
	return sd.d
}

// confluenceState is the Confluence side's configuration, guarded by
// Server.mu.
type confluenceState struct {
	spaces [MaxConfluenceSpaces]*confluenceSpace
	// userKeysRefused makes the user key lookup answer 403.
	userKeysRefused bool
}

var confluenceKeyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,254}$`)

// SetConfluenceSpace makes every site hold a generated Confluence space
// with the key, pages pages and ConfluenceOptions.BlogPosts blog posts,
// or removes it when pages ≤ 0. Each site gets different content from
// the same seed; a site builds its copy of the space the first time it
// reads it (pages, folders, comments, labels and attachment metadata are
// then held in memory; bodies and attachment bytes are drawn as they are
// read). EditConfluencePage, AddConfluenceComment and
// DeleteConfluencePage change the content afterwards. Setting a key
// again replaces its space, changes and all; cursors stay offsets
// into the new one, and download links issued before a change of seed
// stop working. A new key takes the first free of MaxConfluenceSpaces
// slots, and the slot fixes its ids: the space id is 98304 + 32768×slot
// and content ids are 10⁹ + 10⁷×slot + a sequence number, shared by
// pages, blog posts, folders, comments and attachments (whose ids are
// "att" + the number). SetConfluenceSpace panics on a key Confluence
// would refuse (capital letters and digits, starting with a letter) or
// when every slot is taken: that is a bug in the test.
//
// The API lives under /ex/confluence/{cloudId}/wiki for every cloud id
// of Options.Sites (another gets 404). URLs inside answers name the
// site: _links.base is https://<site>.atlassian.net/wiki, and next links
// are relative to the site, so a client must rewrite them onto the
// gateway. Each route needs a bearer token with its scope, else 401
// "Unauthorized; scope does not match" as the gateway answers:
//
//	GET /rest/api/search      search:confluence; cql, limit (25, capped
//	                          at 100), cursor, includeArchivedSpaces,
//	                          expand → SearchPageResponseSearchResult;
//	                          _links.next is "/rest/api/search?…" with
//	                          no /wiki, and absent on the last page
//	GET /rest/api/content/search  the same with expand (ancestors and
//	                          body.storage|atlas_doc_format too, limit
//	                          then capped at 50) → ContentArray
//	GET /api/v2/pages[/{id}]  read:page:confluence; id (≤250), space-id,
//	GET /api/v2/blogposts[/{id}]  status, title, body-format (storage or
//	                          atlas_doc_format), sort, limit (25/250),
//	                          cursor → {results, _links{next, base}} and
//	                          a Link header with rel="next" and "base"
//	GET /api/v2/{pages|blogposts}/{id}  also include-labels: the first
//	                          50 labels embedded, with meta{hasMore,
//	                          cursor} and _links.self, the labels route
//	                          that takes the cursor for the rest
//	GET /api/v2/spaces        read:space:confluence; ids, keys, status,
//	                          type, description-format, limit, cursor
//	GET /api/v2/folders/{id}  read:folder:confluence
//	GET /api/v2/{pages|blogposts}/{id}/labels   read:page:confluence
//	GET /api/v2/{pages|blogposts}/{id}/{footer|inline}-comments
//	GET /api/v2/{footer|inline}-comments/{id}/children
//	                          read:comment:confluence; root comments
//	                          only, replies from children; body-format,
//	                          sort, limit (25/250), cursor
//	GET /api/v2/{pages|blogposts}/{id}/attachments
//	                          read:attachment:confluence; limit (50/250)
//	GET /rest/api/content/{id}/child/attachment/{attachmentId}/download
//	                          readonly:content.attachment:confluence;
//	                          302 to MediaURL()+"/file/<fileId>/binary
//	                          ?token=…", which needs no credentials
//	GET /download/attachments/{pageId}/{file}   401 with
//	                          WWW-Authenticate: OAuth, as the web
//	                          servlet refuses tokens
//	POST /api/v2/users-bulk   read:user:confluence; {"accountIds"
//	                          (1–250)} → {results, _links}; unknown ids
//	                          are left out
//	GET /rest/api/user/bulk/migration  read:confluence-user; key
//	                          (repeated) → MigratedUserArray; the user
//	                          keys of Server that some bodies name in
//	                          <ri:user ri:userkey="…"/> (see
//	                          ConfluenceItem.UserKeys), unknown ones left
//	                          out; start, limit (200, capped at 200);
//	                          403 after RefuseConfluenceUserKeys
//
// A limit above a list's cap is capped, a limit below 1 or not a number
// and a cursor the route did not issue for the same query are 400. The
// v2 errors are {"errors":[{"status","code","title","detail"}]}, the v1
// ones {"statusCode","message","data"}.
//
// The CQL understood is clauses joined by AND, with fields and keywords
// in any case and values quoted or bare:
//
//	space = KEY, space IN (K1, K2), space.key = KEY
//	type = page|blogpost|comment|attachment, type IN (…); without a type
//	    clause all four match (folders never do)
//	ancestor = ID     pages below ID, a page or folder, at any depth
//	parent = ID       pages right below ID
//	container = ID, container IN (…)   comments and attachments of those
//	    pages and blog posts
//	id = ID, id IN (…) (attachments with or without "att"),
//	label = X, label IN (…), title = X, title ~ "words"
//	created, lastmodified with =, <, >, <=, >= and "yyyy-MM-dd",
//	    "yyyy/MM/dd" (either with " HH:mm", in UTC) or now("-4w") (units
//	    y, M, w, d, h, m, counted from the search's first page); = covers
//	    the day, or the minute given
//	ORDER BY id|created|lastmodified|title [ASC|DESC], …; else by id
//
// An IN list takes up to ConfluenceCQLListMax values. A query the
// sandbox cannot parse is 400 "…BadRequestException: Could not parse
// cql : <cql>", as Confluence words it; OR, NOT, !=, NOT IN, functions
// other than now(), other fields and sort keys are 400 with a message
// saying the sandbox cannot run them. Restricted pages and what they
// hold never match; trashed pages and what they hold still do. Content
// of an archived space matches only when the request says
// includeArchivedSpaces=true; archivedResultCount counts what was held
// back.
//
// See ConfluenceOptions for the data's shape and traps, and
// ConfluenceSpaceAt, ConfluenceItemAt and ConfluenceAttachmentContent
// for what a test should expect.
func (s *Server) SetConfluenceSpace(key string, pages int, seed int64, opts ConfluenceOptions) {
	if !confluenceKeyPattern.MatchString(key) {
		panic(fmt.Sprintf("sandbox: SetConfluenceSpace with key %q: a key is capital letters and digits, starting with a letter", key))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.gw.confluence
	slot, free := -1, -1
	for i, sp := range st.spaces {
		switch {
		case sp != nil && sp.key == key:
			slot = i
		case sp == nil && free < 0:
			free = i
		}
	}
	if pages <= 0 {
		if slot >= 0 {
			st.spaces[slot] = nil
		}
		return
	}
	if slot < 0 {
		if free < 0 {
			panic(fmt.Sprintf("sandbox: SetConfluenceSpace(%q): all %d space slots are taken", key, MaxConfluenceSpaces))
		}
		slot = free
	}
	pages = min(pages, MaxConfluencePages)
	useed := uint64(seed) //nolint:gosec // the seed's bits, not its value, matter
	st.spaces[slot] = &confluenceSpace{
		key:       key,
		name:      confluenceSpaceName(useed, key),
		slot:      slot,
		pages:     pages,
		seed:      useed,
		mediaSeed: confluenceMediaSeed(useed, slot),
		opts:      opts.normalized(pages),
		sites:     make([]confluenceSiteData, min(len(s.sites), 256)),
	}
}

// confluenceSpaces returns the spaces set now; each is immutable.
func (s *Server) confluenceSpaces() [MaxConfluenceSpaces]*confluenceSpace {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.confluence.spaces
}

// confluenceAPI is the prefix of every Confluence route.
const confluenceAPI = "/ex/confluence/{cloudId}/wiki"

// Scopes of the Confluence routes, as the specs list them.
var (
	confluenceSearchScopes     = []string{"search:confluence"}
	confluencePageScopes       = []string{"read:page:confluence"}
	confluenceSpaceScopes      = []string{"read:space:confluence"}
	confluenceFolderScopes     = []string{"read:folder:confluence"}
	confluenceCommentScopes    = []string{"read:comment:confluence"}
	confluenceAttachmentScopes = []string{"read:attachment:confluence"}
	confluenceDownloadScopes   = []string{"readonly:content.attachment:confluence"}
	confluenceUserScopes       = []string{"read:user:confluence"}
	confluenceUserV1Scopes     = []string{"read:confluence-user"}
)

func (s *Server) registerConfluenceRoutes() {
	type route struct {
		pattern string
		count   func(*ConfluenceStats) *int
		scopes  []string // nil: no bearer check
		handle  func(*cfCall, http.ResponseWriter, *http.Request)
	}
	comments := func(kind cfKind, inline bool) func(*cfCall, http.ResponseWriter, *http.Request) {
		return func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleRootComments(w, r, kind, inline) }
	}
	routes := []route{
		{"GET /rest/api/search", func(st *ConfluenceStats) *int { return &st.Search }, confluenceSearchScopes, (*cfCall).handleSearch},
		{"GET /rest/api/content/search", func(st *ConfluenceStats) *int { return &st.ContentSearch }, confluenceSearchScopes,
			(*cfCall).handleContentSearch},
		{"GET /api/v2/pages", func(st *ConfluenceStats) *int { return &st.Pages }, confluencePageScopes,
			func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleContentList(w, r, kindPage) }},
		{"GET /api/v2/pages/{id}", func(st *ConfluenceStats) *int { return &st.Page }, confluencePageScopes,
			func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleContent(w, r, kindPage) }},
		{"GET /api/v2/blogposts", func(st *ConfluenceStats) *int { return &st.BlogPosts }, confluencePageScopes,
			func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleContentList(w, r, kindBlogPost) }},
		{"GET /api/v2/blogposts/{id}", func(st *ConfluenceStats) *int { return &st.BlogPost }, confluencePageScopes,
			func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleContent(w, r, kindBlogPost) }},
		{"GET /api/v2/spaces", func(st *ConfluenceStats) *int { return &st.Spaces }, confluenceSpaceScopes, (*cfCall).handleSpaces},
		{"GET /api/v2/folders/{id}", func(st *ConfluenceStats) *int { return &st.Folder }, confluenceFolderScopes, (*cfCall).handleFolder},
		{"GET /api/v2/pages/{id}/labels", func(st *ConfluenceStats) *int { return &st.PageLabels }, confluencePageScopes,
			func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleLabels(w, r, kindPage) }},
		{"GET /api/v2/blogposts/{id}/labels", func(st *ConfluenceStats) *int { return &st.BlogPostLabels }, confluencePageScopes,
			func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleLabels(w, r, kindBlogPost) }},
		{"GET /api/v2/pages/{id}/footer-comments", func(st *ConfluenceStats) *int { return &st.PageFooterComments },
			confluenceCommentScopes, comments(kindPage, false)},
		{"GET /api/v2/pages/{id}/inline-comments", func(st *ConfluenceStats) *int { return &st.PageInlineComments },
			confluenceCommentScopes, comments(kindPage, true)},
		{"GET /api/v2/blogposts/{id}/footer-comments", func(st *ConfluenceStats) *int { return &st.BlogPostFooterComments },
			confluenceCommentScopes, comments(kindBlogPost, false)},
		{"GET /api/v2/blogposts/{id}/inline-comments", func(st *ConfluenceStats) *int { return &st.BlogPostInlineComments },
			confluenceCommentScopes, comments(kindBlogPost, true)},
		{"GET /api/v2/footer-comments/{id}/children", func(st *ConfluenceStats) *int { return &st.FooterCommentChildren },
			confluenceCommentScopes, func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleChildComments(w, r, false) }},
		{"GET /api/v2/inline-comments/{id}/children", func(st *ConfluenceStats) *int { return &st.InlineCommentChildren },
			confluenceCommentScopes, func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleChildComments(w, r, true) }},
		{"GET /api/v2/pages/{id}/attachments", func(st *ConfluenceStats) *int { return &st.PageAttachments },
			confluenceAttachmentScopes, func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleAttachments(w, r, kindPage) }},
		{"GET /api/v2/blogposts/{id}/attachments", func(st *ConfluenceStats) *int { return &st.BlogPostAttachments },
			confluenceAttachmentScopes, func(c *cfCall, w http.ResponseWriter, r *http.Request) { c.handleAttachments(w, r, kindBlogPost) }},
		{"GET /rest/api/content/{id}/child/attachment/{attachmentId}/download", func(st *ConfluenceStats) *int { return &st.AttachmentDownload },
			confluenceDownloadScopes, func(c *cfCall, w http.ResponseWriter, r *http.Request) { s.handleConfluenceDownload(w, r, c) }},
		{"GET /download/attachments/{pageId}/{file...}", func(st *ConfluenceStats) *int { return &st.DownloadServlet },
			nil, func(_ *cfCall, w http.ResponseWriter, _ *http.Request) { handleConfluenceDownloadServlet(w) }},
		{"POST /api/v2/users-bulk", func(st *ConfluenceStats) *int { return &st.UsersBulk }, confluenceUserScopes, (*cfCall).handleUsersBulk},
		{"GET /rest/api/user/bulk/migration", func(st *ConfluenceStats) *int { return &st.UserMigration }, confluenceUserV1Scopes,
			(*cfCall).handleUserMigration},
	}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		s.mux.HandleFunc(method+" "+confluenceAPI+path, func(w http.ResponseWriter, r *http.Request) {
			s.serveConfluence(w, r, rt.count, rt.scopes, rt.handle)
		})
	}
}

// cfCall is one request to a Confluence route: its site, the spaces as
// they were when it came in, and what it returned, for Stats.
type cfCall struct {
	site    int
	siteURL string // https://<site>.atlassian.net, without /wiki
	me      User   // the signed-in user, user 0 of the pool
	spaces  [MaxConfluenceSpaces]*confluenceSpace
	now     time.Time
	objects int
	users   int
	listed  int
	fetched int
	// keysRefused: the user key lookup answers 403.
	keysRefused bool
}

func (s *Server) serveConfluence(w http.ResponseWriter, r *http.Request, count func(*ConfluenceStats) *int, scopes []string,
	handle func(*cfCall, http.ResponseWriter, *http.Request)) {
	s.mu.Lock()
	*count(&s.stats.Confluence)++
	s.mu.Unlock()
	c := &cfCall{me: s.user}
	defer func() {
		s.mu.Lock()
		st := &s.stats.Confluence
		cost := 1 + c.objects + 2*c.users
		st.Points += cost
		s.chargeQuotaLocked(cost)
		st.SearchResults += c.listed
		st.ContentFetched += c.fetched
		s.mu.Unlock()
	}()
	if scopes != nil {
		if _, ok := s.RequireBearer(w, r, scopes); !ok {
			return
		}
	}
	site, ok := s.siteIndex(r.PathValue("cloudId"))
	if !ok {
		writeAPIError(w, http.StatusNotFound, "Site not found")
		return
	}
	c.site, c.siteURL = site, strings.TrimSuffix(s.sites[site].URL, "/")
	c.spaces = s.confluenceSpaces()
	s.mu.Lock()
	c.keysRefused = s.gw.confluence.userKeysRefused
	s.mu.Unlock()
	c.now = s.now()
	handle(c, w, r)
}

// wikiBase is _links.base: the site's Confluence.
func (c *cfCall) wikiBase() string { return c.siteURL + "/wiki" }

// cfError is one entry of the v2 error list.
type cfError struct {
	Status int     `json:"status"`
	Code   string  `json:"code"`
	Title  string  `json:"title"`
	Detail *string `json:"detail"`
}

// writeConfluenceError answers in v2's error shape.
func writeConfluenceError(w http.ResponseWriter, status int, code, title string) {
	writeJSON(w, status, struct {
		Errors []cfError `json:"errors"`
	}{[]cfError{{Status: status, Code: code, Title: title}}})
}

// writeConfluenceNotFound is v2's 404, the same for content that never
// existed, was trashed, or is restricted.
func writeConfluenceNotFound(w http.ResponseWriter) {
	writeConfluenceError(w, http.StatusNotFound, "NOT_FOUND", "Not Found")
}

// cfBadRequest is a 400 of v2, worded as its INVALID_REQUEST_PARAMETER
// errors are.
type cfBadRequest string

func (e cfBadRequest) Error() string { return string(e) }

func writeConfluenceBadRequest(w http.ResponseWriter, err error) {
	writeConfluenceError(w, http.StatusBadRequest, "INVALID_REQUEST_PARAMETER", err.Error())
}

// v1Error is the v1 routes' error shape.
type v1Error struct {
	StatusCode int         `json:"statusCode"`
	Message    string      `json:"message"`
	Data       v1ErrorData `json:"data"`
}

type v1ErrorData struct {
	Authorized bool  `json:"authorized"`
	Valid      bool  `json:"valid"`
	Errors     []any `json:"errors"`
	Successful bool  `json:"successful"`
}

func writeV1Error(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, v1Error{StatusCode: status, Message: message, Data: v1ErrorData{Errors: []any{}}})
}

// v1BadRequest prefixes a message as v1's BadRequestException does.
const v1BadRequest = "com.atlassian.confluence.api.service.exceptions.BadRequestException: "

// listLimit reads limit as the v2 lists do: the default when absent,
// capped at ConfluenceListMaxLimit, 400 below 1 or not a number.
func listLimit(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, cfBadRequest(fmt.Sprintf("Provided value {%s} for 'limit' is not the correct type. Expected type is int", v))
	}
	if n < 1 {
		return 0, cfBadRequest("'limit' must be between 1 and " + strconv.Itoa(ConfluenceListMaxLimit))
	}
	return min(n, ConfluenceListMaxLimit), nil
}

// listCursor is the opaque cursor of the v2 lists: the offset and a
// digest of the query it belongs to.
func listCursor(offset int, digest uint64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "v2:%d:%x", offset, digest))
}

func parseListCursor(cursor string, digest uint64) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != "v2" || parts[2] != strconv.FormatUint(digest, 16) {
		return 0, false
	}
	n, ok := parseCanonical(parts[1])
	if !ok || n < 0 || n > 1<<30 {
		return 0, false
	}
	return int(n), true
}

// listQueryDigest identifies a v2 list query: its path and every
// parameter but cursor and limit, which may change from page to page.
func listQueryDigest(r *http.Request) uint64 {
	q := r.URL.Query()
	q.Del("cursor")
	q.Del("limit")
	return jqlDigest(r.PathValue("cloudId") + "\x00" + r.URL.Path + "\x00" + q.Encode())
}

// cfListPage is one page of a v2 list: where it starts, how many it takes,
// and the digest its cursors carry.
type cfListPage struct {
	offset, limit int
	digest        uint64
}

// listPage reads limit and cursor of a v2 list.
func listPage(r *http.Request, def int) (cfListPage, error) {
	limit, err := listLimit(r, def)
	if err != nil {
		return cfListPage{}, err
	}
	p := cfListPage{limit: limit, digest: listQueryDigest(r)}
	if cur := r.URL.Query().Get("cursor"); cur != "" {
		var ok bool
		if p.offset, ok = parseListCursor(cur, p.digest); !ok {
			return cfListPage{}, cfBadRequest("The cursor is invalid or does not belong to this request")
		}
	}
	return p, nil
}

// cfLinks is MultiEntityLinks: next is relative to the site, with /wiki.
type cfLinks struct {
	Next string `json:"next,omitempty"`
	Base string `json:"base"`
}

// cfResults is MultiEntityResult, the body of every v2 list.
type cfResults[T any] struct {
	Results []T     `json:"results"`
	Links   cfLinks `json:"_links"`
}

// writeList answers one page of a v2 list of total items, rendering
// the ones on the page; the next link repeats the request's parameters
// with the new cursor, in the body and in a Link header.
func writeList[T any](w http.ResponseWriter, r *http.Request, c *cfCall, p cfListPage, total int, render func(k int) T) {
	start := min(p.offset, total)
	end := min(start+p.limit, total)
	out := cfResults[T]{Results: make([]T, 0, end-start), Links: cfLinks{Base: c.wikiBase()}}
	for k := start; k < end; k++ {
		out.Results = append(out.Results, render(k))
	}
	if end < total {
		q := r.URL.Query()
		q.Set("cursor", listCursor(end, p.digest))
		q.Set("limit", strconv.Itoa(p.limit))
		rel, _ := strings.CutPrefix(r.URL.Path, "/ex/confluence/"+r.PathValue("cloudId"))
		out.Links.Next = rel + "?" + q.Encode()
		w.Header().Set("Link", "<"+out.Links.Next+`>; rel="next", <`+out.Links.Base+`>; rel="base"`)
	}
	writeJSON(w, http.StatusOK, out)
}

// queryList reads a parameter that may repeat and hold commas, as v2's
// array parameters do.
func queryList(r *http.Request, name string) []string { return splitJiraList(r.URL.Query()[name]) }

// errConfluenceBody is the answer to a request body that is not JSON of
// the expected shape.
var errConfluenceBody = cfBadRequest("The request body is not valid JSON for this operation")

func decodeConfluenceBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJiraRequestBody))
	if err := dec.Decode(v); err != nil {
		return errConfluenceBody
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errConfluenceBody
	}
	return nil
}

// findItem resolves a content id ("att…" for attachments) to what the
// site holds, hidden or not.
func (c *cfCall) findItem(id string) (cfItem, bool) {
	return findConfluenceItem(c.spaces, c.site, id)
}

func findConfluenceItem(spaces [MaxConfluenceSpaces]*confluenceSpace, site int, id string) (cfItem, bool) {
	num, att := strings.CutPrefix(id, "att")
	v, ok := parseCanonical(num)
	if !ok || v < confluenceIDBase {
		return cfItem{}, false
	}
	slot := (v - confluenceIDBase) / confluenceSlotStride
	if slot < 0 || slot >= int64(len(spaces)) {
		return cfItem{}, false
	}
	sp := spaces[slot]
	if sp == nil || site >= len(sp.sites) {
		return cfItem{}, false
	}
	it, ok := sp.data(site).byID[v]
	// "att" names attachments only; an attachment's number alone, as
	// v1's download takes it, names it too.
	return it, ok && (!att || it.a != nil)
}

// visibleContent finds a page or blog post (kind) for a route that
// answers 404 alike for one that never existed, was trashed or is
// restricted; trashed is allowed through when the request asks for it.
func (c *cfCall) visibleContent(id string, kind cfKind, allowTrashed bool) (*cfContent, bool) {
	it, ok := c.findItem(id)
	if !ok || it.cm != nil || it.a != nil || it.c.kind != kind || it.c.restricted || (it.c.trashed && !allowTrashed) {
		return nil, false
	}
	return it.c, true
}

// ConfluenceSpace is what the sandbox holds of one space on one site,
// for tests to know what an export should contain.
type ConfluenceSpace struct {
	ID, Key, Name string
	HomepageID    string
	Archived      bool
	// Pages are the page ids in position order (page n is Pages[n-1]
	// until DeleteConfluencePage leaves a page out), trashed and
	// restricted ones included; BlogPosts and Folders in creation order.
	Pages, BlogPosts, Folders []string
}

// ConfluenceItem is what the sandbox serves for one page, blog post or
// folder.
type ConfluenceItem struct {
	ID    string
	Type  string // "page", "blogpost" or "folder"
	Title string
	// ParentID and ParentType are those of the v2 object: empty for the
	// home page and blog posts.
	ParentID, ParentType string
	Created, Updated     time.Time
	Version              int
	// Trashed and Restricted place the page among the traps of
	// ConfluenceOptions.
	Trashed, Restricted bool
	Labels              []string // names, in the order the API lists them
	Comments            []ConfluenceComment
	Attachments         []ConfluenceAttachment
	// UserKeys are the people its body names by user key, in order.
	UserKeys []ConfluenceUserKey
}

// ConfluenceComment is one comment of a ConfluenceItem: roots and replies
// alike, in id order.
type ConfluenceComment struct {
	ID       string
	ParentID string // "" for a root comment
	Inline   bool
}

// ConfluenceAttachment is one attachment of a ConfluenceItem.
type ConfluenceAttachment struct {
	ID        string // "att" + digits
	FileID    string // the media file id, which ADF media nodes carry
	Filename  string
	MediaType string
	Size      int64
}

// ConfluenceSpaceAt returns the space key of the site cloudID; false if
// there is none.
func (s *Server) ConfluenceSpaceAt(cloudID, key string) (ConfluenceSpace, bool) {
	site, ok := s.siteIndex(cloudID)
	if !ok {
		return ConfluenceSpace{}, false
	}
	for _, sp := range s.confluenceSpaces() {
		if sp == nil || sp.key != key || site >= len(sp.sites) {
			continue
		}
		d := sp.data(site)
		out := ConfluenceSpace{
			ID: strconv.FormatInt(sp.id(), 10), Key: sp.key, Name: sp.name,
			HomepageID: d.pages[0].idString(), Archived: sp.opts.Archived,
		}
		for _, list := range []struct {
			from []*cfContent
			to   *[]string
		}{{d.pages, &out.Pages}, {d.blogs, &out.BlogPosts}, {d.folders, &out.Folders}} {
			for _, c := range list.from {
				if !c.deleted {
					*list.to = append(*list.to, c.idString())
				}
			}
		}
		return out, true
	}
	return ConfluenceSpace{}, false
}

// ConfluenceItemAt returns the page, blog post or folder id of the site
// cloudID, hidden or not, with the changes made since
// SetConfluenceSpace; false if there is none (or it was deleted).
func (s *Server) ConfluenceItemAt(cloudID, id string) (ConfluenceItem, bool) {
	site, ok := s.siteIndex(cloudID)
	if !ok {
		return ConfluenceItem{}, false
	}
	it, ok := findConfluenceItem(s.confluenceSpaces(), site, id)
	if !ok || it.cm != nil || it.a != nil {
		return ConfluenceItem{}, false
	}
	c := it.c
	out := ConfluenceItem{
		ID: c.idString(), Type: c.kind.String(), Title: c.title,
		Created: c.created, Updated: c.updated, Version: c.version,
		Trashed: c.trashed, Restricted: c.restricted,
	}
	if c.parent != nil {
		out.ParentID, out.ParentType = c.parent.idString(), c.parent.kind.String()
	}
	for _, l := range c.labels {
		out.Labels = append(out.Labels, confluenceLabelNames[l.name])
	}
	for _, cm := range c.allComments {
		cc := ConfluenceComment{ID: cm.idString(), Inline: cm.inline}
		if cm.parent != nil {
			cc.ParentID = cm.parent.idString()
		}
		out.Comments = append(out.Comments, cc)
	}
	out.UserKeys = c.userKeys(s.user)
	for _, a := range c.attachments {
		out.Attachments = append(out.Attachments, ConfluenceAttachment{
			ID: a.idString(), FileID: a.fileID, Filename: a.filename, MediaType: a.mediaType, Size: a.size,
		})
	}
	return out, true
}

// ConfluenceAttachmentContent returns the bytes of a Confluence
// attachment ("att…" or its number), the same the media host serves;
// false if there is no such site or attachment, trashed or not.
func (s *Server) ConfluenceAttachmentContent(cloudID, attachmentID string) (io.Reader, bool) {
	site, ok := s.siteIndex(cloudID)
	if !ok {
		return nil, false
	}
	it, ok := findConfluenceItem(s.confluenceSpaces(), site, attachmentID)
	if !ok || it.a == nil {
		return nil, false
	}
	return it.a.content(), true
}
