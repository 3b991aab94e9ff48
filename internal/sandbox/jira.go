package sandbox

// The Jira side imitates the Jira Cloud platform REST API v3 as an
// exporter meets it through the gateway: ids-then-bulkfetch search with
// opaque page tokens, embedded lists cut short, dedicated endpoints for
// the full lists, site URLs that must be rewritten, attachment downloads
// that leave the gateway, and issues that are listed but can no longer
// be fetched. Issues are generated on demand from (seed, site, position),
// so a project of a million issues costs nothing until it is read.

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of SetJiraProject.
const (
	// MaxJiraIssues bounds the issues of one project; ids of all kinds
	// encode the issue's position, and this keeps them apart.
	MaxJiraIssues = 1_000_000

	// MaxJiraProjects bounds how many projects exist at once.
	MaxJiraProjects = 16
)

// Page sizes of the Jira routes.
const (
	// JiraSearchIDsPageSize caps a /search/jql page that asks for no
	// field other than id and key.
	JiraSearchIDsPageSize = 5000
	// JiraSearchPageSize caps a /search/jql page that asks for any
	// other field; Jira documents only that it may return fewer.
	JiraSearchPageSize = 100
	// JiraSearchDefaultPageSize is maxResults when the request has none.
	JiraSearchDefaultPageSize = 50

	// JiraBulkFetchMax is the most issues one /issue/bulkfetch takes.
	JiraBulkFetchMax = 100
	// JiraListMax is the most ids /comment/list, /worklog/list and
	// /changelog/bulkfetch take.
	JiraListMax = 1000

	// JiraEmbeddedComments and JiraEmbeddedWorklogs cap the comment and
	// worklog fields of an issue; the rest is only on the dedicated
	// endpoints, whose totals tell how much is missing.
	JiraEmbeddedComments = 20
	JiraEmbeddedWorklogs = 20
	// JiraSearchChangelogs and JiraBulkFetchChangelogs cap
	// expand=changelog in /search/jql and /issue/bulkfetch.
	JiraSearchChangelogs    = 20
	JiraBulkFetchChangelogs = 40
)

// Defaults of JiraOptions, used where a field is zero.
const (
	DefaultJiraUsers                  = 30
	DefaultJiraMaxAttachments         = 3
	DefaultJiraLargeAttachmentEvery   = 2500
	DefaultJiraLargeAttachmentSize    = 20 << 20
	DefaultJiraMaxComments            = 5
	DefaultJiraLongThreadEvery        = 40
	DefaultJiraLongThreadComments     = 150
	DefaultJiraMaxWorklogs            = 3
	DefaultJiraLongWorklogEvery       = 40
	DefaultJiraLongWorklogs           = 30
	DefaultJiraMaxHistories           = 8
	DefaultJiraLongChangelogEvery     = 40
	DefaultJiraLongChangelogHistories = 120
	DefaultJiraVanishedEvery          = 50
	DefaultJiraForbiddenEvery         = 70
	DefaultJiraRetriableErrorEvery    = 90
)

// Upper bounds of JiraOptions: the per-issue ones keep ids of comments,
// worklogs, changelogs and attachments apart (see SetJiraProject).
const (
	maxJiraUsers               = 1000
	maxJiraAttachments         = 50 // plus hostile names and the large one, under jiraAttachmentStride
	maxJiraPerIssue            = 9999
	jiraAttachmentStride       = 100
	jiraPerIssueStride         = 10000
	jiraIDBase                 = 10000
	jiraProjectIDBase          = 10000
	maxJiraRequestBody   int64 = 1 << 20
)

// JiraOptions shapes a generated project. Its zero value is a project
// with every trap switched on at the Default rates. For each count or
// rate, zero means the default and a negative value means none or never.
//
// The "Every" fields place special issues by their number n (KEY-n): an
// issue is special when n is a multiple of the rate, except where noted,
// so that a project of a few issues already holds one of each.
//
// Whatever the options, some summaries and a description are hostile to
// anything that names files after summaries or shows descriptions as
// web pages: KEY-5 is "Pasted from the old tracker " followed by an
// image element whose error handler runs HostileScript, and its
// description holds HostileScript as text in a script element and in
// such an image, and as the href of a javascript: link (in ADF and in
// renderedFields); KEY-7 is "CON", KEY-8 `a/b\c:d*e?f"g<h>i|j`, KEY-9
// "Release notes v2." and KEY-10 a summary of 319 bytes.
type JiraOptions struct {
	// Users is the size of the pool that authors, assignees and
	// mentions come from (at most 1000, at least 1). User 0 is the
	// signed-in user (Options.User); user 8 is a deleted "Former user",
	// user 9 the "Automation for Jira" app, and a quarter of the others
	// hide their email address (null) and time zone. Account ids take
	// several forms: 24 hex digits, "557058:<uuid>" and
	// "712020:<uuid>".
	Users int

	// MinAttachments and MaxAttachments bound the plainly named
	// attachments of an issue (at most 50). Issues whose 0-based
	// position modulo 20 is 1 to 6 carry the test collection's hostile
	// names instead (see SetTestItems).
	MinAttachments, MaxAttachments int

	// Every LargeAttachmentEvery-th issue carries one more attachment of
	// LargeAttachmentSize bytes (zero or less means the default).
	LargeAttachmentEvery int
	LargeAttachmentSize  int64

	// Comments, worklogs and changelog entries of an issue: from zero to
	// the Max, or the Long count on the issues where n ≡ 3 (comments),
	// 4 (worklogs) or 5 (changelog) modulo the Long rate: KEY-3, KEY-43,
	// KEY-83, … for comments at the default rate. Each count is at most
	// 9999.
	MaxComments, LongThreadEvery, LongThreadComments         int
	MaxWorklogs, LongWorklogEvery, LongWorklogs              int
	MaxHistories, LongChangelogEvery, LongChangelogHistories int

	// Vanished issues are listed by search but gone when fetched: left
	// out of /issue/bulkfetch (in neither issues nor issueErrors), 404
	// on every per-issue route and for their attachments.
	VanishedEvery int

	// Forbidden issues are listed by search but the user may no longer
	// see them, as after an issue security level was set: bulkfetch
	// leaves them out just the same, since the spec says issues the user
	// may not view are not reported in issueErrors; per-issue routes
	// answer 404 as Jira does for both cases, and attachment content
	// 403. A vanished issue is not also forbidden.
	ForbiddenEvery int

	// Retriable issues fail the first /issue/bulkfetch that asks for
	// them, reported in issueErrors, and come back from the next one.
	// Whether an issue has failed is remembered until the next
	// SetJiraProject.
	RetriableErrorEvery int
}

// normalized applies the defaults and bounds of JiraOptions.
func (o JiraOptions) normalized() JiraOptions {
	o.Users = max(countOption(o.Users, DefaultJiraUsers, maxJiraUsers), 1)
	o.MaxAttachments = countOption(o.MaxAttachments, DefaultJiraMaxAttachments, maxJiraAttachments)
	o.MinAttachments = min(max(o.MinAttachments, 0), o.MaxAttachments)
	o.LargeAttachmentEvery = countOption(o.LargeAttachmentEvery, DefaultJiraLargeAttachmentEvery, MaxJiraIssues)
	if o.LargeAttachmentSize <= 0 {
		o.LargeAttachmentSize = DefaultJiraLargeAttachmentSize
	}
	o.MaxComments = countOption(o.MaxComments, DefaultJiraMaxComments, maxJiraPerIssue)
	o.LongThreadEvery = countOption(o.LongThreadEvery, DefaultJiraLongThreadEvery, MaxJiraIssues)
	o.LongThreadComments = countOption(o.LongThreadComments, DefaultJiraLongThreadComments, maxJiraPerIssue)
	o.MaxWorklogs = countOption(o.MaxWorklogs, DefaultJiraMaxWorklogs, maxJiraPerIssue)
	o.LongWorklogEvery = countOption(o.LongWorklogEvery, DefaultJiraLongWorklogEvery, MaxJiraIssues)
	o.LongWorklogs = countOption(o.LongWorklogs, DefaultJiraLongWorklogs, maxJiraPerIssue)
	o.MaxHistories = countOption(o.MaxHistories, DefaultJiraMaxHistories, maxJiraPerIssue)
	o.LongChangelogEvery = countOption(o.LongChangelogEvery, DefaultJiraLongChangelogEvery, MaxJiraIssues)
	o.LongChangelogHistories = countOption(o.LongChangelogHistories, DefaultJiraLongChangelogHistories, maxJiraPerIssue)
	o.VanishedEvery = countOption(o.VanishedEvery, DefaultJiraVanishedEvery, MaxJiraIssues)
	o.ForbiddenEvery = countOption(o.ForbiddenEvery, DefaultJiraForbiddenEvery, MaxJiraIssues)
	o.RetriableErrorEvery = countOption(o.RetriableErrorEvery, DefaultJiraRetriableErrorEvery, MaxJiraIssues)
	return o
}

// countOption reads one JiraOptions number: zero is the default, a
// negative value none.
func countOption(v, def, limit int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return min(v, limit)
}

// JiraStats counts the requests that reached the Jira routes, answered
// or refused (401, 400, 404); requests that InjectFaults or
// SetBurstLimit answered never get here. Benchmarks divide them by the
// issues exported.
type JiraStats struct {
	Search            int // GET and POST /search/jql
	ApproximateCount  int // POST /search/approximate-count
	RemovedSearch     int // GET and POST /search, answered 410
	BulkFetch         int // POST /issue/bulkfetch
	Comments          int // GET /issue/{issueIdOrKey}/comment
	CommentList       int // POST /comment/list
	Worklogs          int // GET /issue/{issueIdOrKey}/worklog
	WorklogList       int // POST /worklog/list
	Changelogs        int // GET /issue/{issueIdOrKey}/changelog
	ChangelogBulk     int // POST /changelog/bulkfetch
	Fields            int // GET /field
	AttachmentContent int // GET /attachment/content/{id}, redirected or not
	Myself            int // GET /myself
	Issue             int // GET /issue/{issueIdOrKey}

	IssuesListed  int // issues in /search/jql pages
	IssuesFetched int // issues returned by /issue/bulkfetch

	// Points estimates the hourly quota the requests cost, by the rule
	// Atlassian publishes: 1 per request, 1 per issue, comment, worklog,
	// changelog entry, field, attachment (metadata or download)
	// returned, 2 per user object returned as such (/myself). Users
	// embedded in an issue cost nothing of their own: Atlassian's own
	// example prices "GET one issue" at 2 points, though every issue
	// names a reporter and more; nor does the rendering of a comment in
	// renderedFields, the same object as in the comment field. It is an
	// estimate: the real cost per endpoint is not documented to that
	// detail.
	Points int
}

// Requests is the number of requests the Jira routes saw.
func (st JiraStats) Requests() int {
	return st.Search + st.ApproximateCount + st.RemovedSearch + st.BulkFetch + st.Comments + st.CommentList +
		st.Worklogs + st.WorklogList + st.Changelogs + st.ChangelogBulk + st.Fields + st.AttachmentContent + st.Myself + st.Issue
}

// jiraProject is one generated project; it never changes once set, so
// handlers read it without the lock.
type jiraProject struct {
	key, name string
	slot      int
	n         int
	seed      uint64
	// mediaSeed feeds the media uuids and contents, apart from the test
	// collection's so that the two never name the same file.
	mediaSeed uint64
	opts      JiraOptions
	// edits and deleted are the changes EditJiraIssue and
	// DeleteJiraIssue made since SetJiraProject, by position, and
	// failing the issues FailJiraIssueFetch set. A change replaces the
	// project with a copy, so these never change either.
	edits   map[int]jiraEdit
	deleted map[int]bool
	failing map[int]bool
}

// jiraEdit is what the edits of one issue left: the time of the last
// one and how many there were.
type jiraEdit struct {
	at    time.Time
	count int
}

func (p *jiraProject) id() string { return strconv.Itoa(jiraProjectIDBase + p.slot) }

// jiraState is the Jira side's configuration, guarded by Server.mu.
type jiraState struct {
	projects [MaxJiraProjects]*jiraProject
	// failed holds the retriable issues (by id) that have failed once.
	failed map[int64]bool
}

var jiraKeyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,9}$`)

// SetJiraProject makes every site hold a generated Jira project with the
// key and issues KEY-1 … KEY-issues, or removes it when issues ≤ 0.
// Items are generated from seed as they are read, never stored, so a
// project may be large (up to MaxJiraIssues); each site gets different
// issues from the same seed. EditJiraIssue and DeleteJiraIssue change
// issues afterwards. Setting a key again replaces its project, changes
// and all: page tokens stay offsets into the new one, and download links
// issued before a change of seed stop working. A new key takes the first
// free of MaxJiraProjects slots, and the slot fixes its ids: issue ids
// are 10000 + slot×10⁶ + position, project ids 10000 + slot.
// SetJiraProject panics on a key Jira would refuse or when every slot is
// taken: that is a bug in the test.
//
// The API lives under /ex/jira/{cloudId}/rest/api/3 for every cloud id of
// Options.Sites (another gets 404). Every route needs a bearer token
// with read:jira-work, /myself one with read:jira-user; errors are
// Jira's ErrorCollection {"errorMessages":[…],"errors":{}}. URLs inside
// answers (self, attachment content and thumbnail, rendered HTML,
// nextPage, inline cards) name the site, https://<site>.atlassian.net/…,
// as Jira's do: a client must rewrite them to the gateway. Request bodies
// are read strictly, as the spec's beans allow no other properties: an
// unknown property or a wrong type is 400.
//
//	GET|POST /search/jql       jql, nextPageToken, maxResults, fields,
//	                           expand (a comma list), properties,
//	                           fieldsByKeys, reconcileIssues → {issues,
//	                           nextPageToken, isLast[, names, schema]};
//	                           no total; pages of JiraSearchIDsPageSize
//	                           for ids, JiraSearchPageSize otherwise
//	POST /search/approximate-count {"jql"} → {"count"}
//	GET|POST /search           410 Gone, as since the old search was shut
//	POST /issue/bulkfetch      {"issueIdsOrKeys" (1–100), "fields",
//	                           "expand" (an array), "properties",
//	                           "fieldsByKeys"} → {issues, issueErrors},
//	                           issues in ascending id order
//	GET /issue/{idOrKey}       fields (*all), expand (renderedFields,
//	                           names, schema), properties → IssueBean;
//	                           404 for an issue that does not exist,
//	                           vanished, was deleted or is forbidden
//	GET /issue/{idOrKey}/comment   startAt, maxResults (100, capped),
//	                           orderBy, expand=renderedBody
//	POST /comment/list         {"ids" (1–1000)} → PageBeanComment
//	GET /issue/{idOrKey}/worklog   startAt, maxResults (5000, capped),
//	                           startedAfter, startedBefore
//	POST /worklog/list         {"ids" (1–1000)} → [Worklog…], as the spec
//	                           has it: an array, not a page
//	GET /issue/{idOrKey}/changelog startAt, maxResults (100, capped)
//	                           → PageBeanChangelog, oldest first
//	POST /changelog/bulkfetch  {"issueIdsOrKeys" (1–1000), "fieldIds"
//	                           (≤10), "maxResults" (1–10000, 1000),
//	                           "nextPageToken"}, oldest first
//	GET /field                 → [FieldDetails…]
//	GET /attachment/content/{id}   303 to MediaURL()+"/file/<uuid>/binary
//	                           ?token=…"; redirect=false → 200 and the
//	                           bytes (a Range header is ignored)
//	GET /myself                → the signed-in user
//
// The JQL understood is one project, narrowed by dates, in an order:
//
//	project = KEY [AND updated >= "2026-02-01"] [AND created < -2w] [ORDER BY key DESC]
//
// project takes = or IN with one key or id; created and updated take =,
// <, >, <= and >= with "yyyy-MM-dd", "yyyy/MM/dd" (either with " HH:mm",
// in UTC) or a period such as -5d or -4w 2d, counted from the search's
// first page. ORDER BY key, id, created or updated sorts; any other field
// sorts by key ascending; without ORDER BY issues come newest first. An
// empty or ORDER BY-only query is unbounded, an unknown project does not
// exist, a syntax error is "Error in the JQL Query: …", all 400 in Jira's
// words; OR, NOT, functions, other fields and queries without a project
// get a 400 that says the sandbox cannot run them.
//
// See JiraOptions for the data's shape and traps, and JiraIssueAt and
// JiraAttachmentContent for what a test should expect.
func (s *Server) SetJiraProject(key string, issues int, seed int64, opts JiraOptions) {
	if !jiraKeyPattern.MatchString(key) {
		panic(fmt.Sprintf("sandbox: SetJiraProject with key %q: a key is 2 to 10 capital letters, digits or _, starting with a letter", key))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.gw.jira
	st.failed = nil
	slot, free := -1, -1
	for i, p := range st.projects {
		switch {
		case p != nil && p.key == key:
			slot = i
		case p == nil && free < 0:
			free = i
		}
	}
	if issues <= 0 {
		if slot >= 0 {
			st.projects[slot] = nil
		}
		return
	}
	if slot < 0 {
		if free < 0 {
			panic(fmt.Sprintf("sandbox: SetJiraProject(%q): all %d project slots are taken", key, MaxJiraProjects))
		}
		slot = free
	}
	useed := uint64(seed) //nolint:gosec // the seed's bits, not its value, matter
	st.projects[slot] = &jiraProject{
		key:       key,
		name:      jiraProjectName(useed, key),
		slot:      slot,
		n:         min(issues, MaxJiraIssues),
		seed:      useed,
		mediaSeed: jiraMediaSeed(useed, slot),
		opts:      opts.normalized(),
	}
}

// jiraProjects returns the projects set now; each is immutable.
func (s *Server) jiraProjects() [MaxJiraProjects]*jiraProject {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.jira.projects
}

// takeRetriableFailure reports whether the retriable issue id should fail
// now: the first time it is asked for.
func (s *Server) takeRetriableFailure(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.gw.jira
	if st.failed[id] {
		return false
	}
	if st.failed == nil {
		st.failed = map[int64]bool{}
	}
	st.failed[id] = true
	return true
}

// jiraAPI is the prefix of every Jira route.
const jiraAPI = "/ex/jira/{cloudId}/rest/api/3"

// Scopes of the Jira routes: the classic ones, which aumo asks for.
var (
	jiraWorkScopes = []string{"read:jira-work"}
	jiraUserScopes = []string{"read:jira-user"}
)

func (s *Server) registerJiraRoutes() {
	type route struct {
		pattern string
		count   func(*JiraStats) *int
		scopes  []string
		handle  func(http.ResponseWriter, *http.Request, *jiraCall)
	}
	routes := []route{
		{"GET /search/jql", func(st *JiraStats) *int { return &st.Search }, jiraWorkScopes, s.handleJiraSearch},
		{"POST /search/jql", func(st *JiraStats) *int { return &st.Search }, jiraWorkScopes, s.handleJiraSearch},
		{"POST /search/approximate-count", func(st *JiraStats) *int { return &st.ApproximateCount }, jiraWorkScopes, s.handleJiraCount},
		{"GET /search", func(st *JiraStats) *int { return &st.RemovedSearch }, jiraWorkScopes, handleJiraRemovedSearch},
		{"POST /search", func(st *JiraStats) *int { return &st.RemovedSearch }, jiraWorkScopes, handleJiraRemovedSearch},
		{"POST /issue/bulkfetch", func(st *JiraStats) *int { return &st.BulkFetch }, jiraWorkScopes, s.handleJiraBulkFetch},
		{"GET /issue/{issueIdOrKey}", func(st *JiraStats) *int { return &st.Issue }, jiraWorkScopes, s.handleJiraIssue},
		{"GET /issue/{issueIdOrKey}/comment", func(st *JiraStats) *int { return &st.Comments }, jiraWorkScopes, s.handleJiraComments},
		{"POST /comment/list", func(st *JiraStats) *int { return &st.CommentList }, jiraWorkScopes, s.handleJiraCommentList},
		{"GET /issue/{issueIdOrKey}/worklog", func(st *JiraStats) *int { return &st.Worklogs }, jiraWorkScopes, s.handleJiraWorklogs},
		{"POST /worklog/list", func(st *JiraStats) *int { return &st.WorklogList }, jiraWorkScopes, s.handleJiraWorklogList},
		{"GET /issue/{issueIdOrKey}/changelog", func(st *JiraStats) *int { return &st.Changelogs }, jiraWorkScopes, s.handleJiraChangelog},
		{"POST /changelog/bulkfetch", func(st *JiraStats) *int { return &st.ChangelogBulk }, jiraWorkScopes, s.handleJiraChangelogBulk},
		{"GET /field", func(st *JiraStats) *int { return &st.Fields }, jiraWorkScopes, s.handleJiraFields},
		{"GET /attachment/content/{id}", func(st *JiraStats) *int { return &st.AttachmentContent }, jiraWorkScopes, s.handleJiraAttachmentContent},
		{"GET /myself", func(st *JiraStats) *int { return &st.Myself }, jiraUserScopes, s.handleJiraMyself},
	}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		s.mux.HandleFunc(method+" "+jiraAPI+path, func(w http.ResponseWriter, r *http.Request) {
			s.serveJira(w, r, rt.count, rt.scopes, rt.handle)
		})
	}
}

// jiraCall is one request to a Jira route: its site, the projects as
// they were when it came in, and what it returned, for Stats.
type jiraCall struct {
	site     int
	siteURL  string
	me       User // the signed-in user, user 0 of the pool
	projects [MaxJiraProjects]*jiraProject
	now      time.Time
	objects  int // issues, comments, worklogs, changelogs, fields, downloads
	users    int // user objects
	listed   int
	fetched  int
}

func (s *Server) serveJira(w http.ResponseWriter, r *http.Request, count func(*JiraStats) *int, scopes []string,
	handle func(http.ResponseWriter, *http.Request, *jiraCall)) {
	s.mu.Lock()
	*count(&s.stats.Jira)++
	s.mu.Unlock()
	c := &jiraCall{me: s.user}
	defer func() {
		s.mu.Lock()
		st := &s.stats.Jira
		cost := 1 + c.objects + 2*c.users
		st.Points += cost
		s.chargeQuotaLocked(cost)
		st.IssuesListed += c.listed
		st.IssuesFetched += c.fetched
		s.mu.Unlock()
	}()
	if _, ok := s.RequireBearer(w, r, scopes); !ok {
		return
	}
	site, ok := s.siteIndex(r.PathValue("cloudId"))
	if !ok {
		writeAPIError(w, http.StatusNotFound, "Site not found")
		return
	}
	c.site, c.siteURL = site, strings.TrimSuffix(s.sites[site].URL, "/")
	c.projects = s.jiraProjects()
	c.now = s.now()
	handle(w, r, c)
}

// writeJiraErrors answers with Jira's ErrorCollection.
func writeJiraErrors(w http.ResponseWriter, status int, messages ...string) {
	writeJSON(w, status, jiraErrorCollection{ErrorMessages: messages, Errors: map[string]string{}})
}

type jiraErrorCollection struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

// jiraIssueNotFound is Jira's answer for an issue that does not exist
// and for one the user may not see alike.
const jiraIssueNotFound = "Issue does not exist or you do not have permission to see it."

// jiraRemovedSearch is the old search's answer since its shutdown.
const jiraRemovedSearch = "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. " +
	"A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"

func handleJiraRemovedSearch(w http.ResponseWriter, _ *http.Request, _ *jiraCall) {
	writeJiraErrors(w, http.StatusGone, jiraRemovedSearch)
}

// jiraMessage is an error whose text goes to the client as one of
// errorMessages, worded as Jira words it.
type jiraMessage string

func (m jiraMessage) Error() string { return string(m) }

// errJiraPayload is Jira's answer to a body it cannot read.
const errJiraPayload = jiraMessage("Invalid request payload. Refer to the REST API documentation and try again.")

// decodeJiraBody reads a JSON body strictly: the request beans of the
// spec allow no other properties, and a misspelt one would otherwise be
// silently ignored.
func decodeJiraBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJiraRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errJiraPayload
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errJiraPayload
	}
	return nil
}

// jiraQueryInt reads an integer query parameter.
func jiraQueryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, jiraMessage(fmt.Sprintf("The value '%s' is not valid for the parameter '%s'.", v, name))
	}
	return n, nil
}

// pageBounds reads startAt and maxResults as the offset-paged routes do:
// a negative startAt is the start, maxResults below 1 the default and
// above limit the limit.
func pageBounds(r *http.Request, def, limit int) (startAt, maxResults int, err error) {
	if startAt, err = jiraQueryInt(r, "startAt", 0); err != nil {
		return 0, 0, err
	}
	if maxResults, err = jiraQueryInt(r, "maxResults", def); err != nil {
		return 0, 0, err
	}
	if maxResults < 1 {
		maxResults = def
	}
	return max(startAt, 0), min(maxResults, limit), nil
}

// jiraRef is an issue of a project as the routes find it.
type jiraRef struct {
	p *jiraProject
	i int // 0-based position; the key is KEY-(i+1)
}

func (ref jiraRef) global() int { return ref.p.slot*MaxJiraIssues + ref.i }
func (ref jiraRef) id() int64   { return jiraIDBase + int64(ref.global()) }

// findJiraIssue resolves an issue id or key, the key case-insensitively
// as Jira does.
func (c *jiraCall) findIssue(idOrKey string) (jiraRef, bool) {
	if v, ok := parseCanonical(idOrKey); ok {
		return c.issueAt(v - jiraIDBase)
	}
	key, num, ok := strings.Cut(idOrKey, "-")
	if !ok {
		return jiraRef{}, false
	}
	n, ok := parseCanonical(num)
	if !ok || n < 1 {
		return jiraRef{}, false
	}
	for _, p := range c.projects {
		if p != nil && strings.EqualFold(p.key, key) && n <= int64(p.n) && !p.deleted[int(n-1)] {
			return jiraRef{p, int(n - 1)}, true
		}
	}
	return jiraRef{}, false
}

// findEntity resolves the id of a comment, worklog or changelog entry,
// all of which encode their issue's position and their index in it.
func (c *jiraCall) findEntity(id int64) (jiraRef, int, bool) {
	v := id - jiraIDBase
	if v < 0 {
		return jiraRef{}, 0, false
	}
	ref, ok := c.issueAt(v / jiraPerIssueStride)
	return ref, int(v % jiraPerIssueStride), ok
}

// issueAt resolves an issue's global index (slot × MaxJiraIssues + position).
func (c *jiraCall) issueAt(g int64) (jiraRef, bool) {
	if g < 0 || g >= MaxJiraProjects*MaxJiraIssues {
		return jiraRef{}, false
	}
	p := c.projects[g/MaxJiraIssues]
	i := int(g % MaxJiraIssues)
	if p == nil || i >= p.n || p.deleted[i] {
		return jiraRef{}, false
	}
	return jiraRef{p, i}, true
}

// findAttachment resolves an attachment id.
func (c *jiraCall) findAttachment(id string) (jiraRef, int, bool) {
	v, ok := parseCanonical(id)
	if !ok || v < jiraIDBase {
		return jiraRef{}, 0, false
	}
	v -= jiraIDBase
	ref, ok := c.issueAt(v / jiraAttachmentStride)
	return ref, int(v % jiraAttachmentStride), ok
}

// visibleIssue finds an issue for a per-issue route, which answers 404
// alike for an issue that never existed, vanished, or became forbidden.
func (c *jiraCall) visibleIssue(w http.ResponseWriter, idOrKey string) (*jiraIssue, bool) {
	ref, ok := c.findIssue(idOrKey)
	if !ok {
		writeJiraErrors(w, http.StatusNotFound, jiraIssueNotFound)
		return nil, false
	}
	iss := genJiraIssue(ref, c.site)
	if iss.vanished || iss.forbidden {
		writeJiraErrors(w, http.StatusNotFound, jiraIssueNotFound)
		return nil, false
	}
	return iss, true
}

// JiraIssue is what the sandbox serves for one issue, for tests to know
// what an export should hold.
type JiraIssue struct {
	ID, Key string
	Summary string
	Created time.Time
	Updated time.Time
	// Vanished, Forbidden and RetriableError place the issue among the
	// traps of JiraOptions.
	Vanished, Forbidden, RetriableError bool
	Attachments                         []JiraAttachment
	Comments, Worklogs, Histories       int
}

// JiraAttachment is one attachment of a JiraIssue.
type JiraAttachment struct {
	ID       string
	Filename string
	Size     int64
	MimeType string
	// MediaUUID is the file's id on the media host, the one ADF media
	// nodes carry.
	MediaUUID string
}

// JiraIssueAt returns the issue at position i (0-based, so KEY-(i+1)) of
// the project key on the site cloudID; false if there is none.
func (s *Server) JiraIssueAt(cloudID, key string, i int) (JiraIssue, bool) {
	site, ok := s.siteIndex(cloudID)
	if !ok {
		return JiraIssue{}, false
	}
	c := &jiraCall{site: site, projects: s.jiraProjects()}
	ref, ok := c.findIssue(key + "-" + strconv.Itoa(i+1))
	if !ok || i < 0 {
		return JiraIssue{}, false
	}
	iss := genJiraIssue(ref, site)
	out := JiraIssue{
		ID: strconv.FormatInt(ref.id(), 10), Key: iss.key(), Summary: iss.summary,
		Created: iss.created, Updated: iss.updated,
		Vanished: iss.vanished, Forbidden: iss.forbidden, RetriableError: iss.retriable,
		Comments: iss.comments, Worklogs: iss.worklogs, Histories: iss.histories,
	}
	for _, a := range iss.attachments {
		out.Attachments = append(out.Attachments, JiraAttachment{
			ID: a.idString(), Filename: a.filename, Size: a.size, MimeType: a.mimeType, MediaUUID: iss.mediaUUID(a.j),
		})
	}
	return out, true
}

// JiraAttachmentContent returns the bytes of a Jira attachment, the same
// the media host and redirect=false serve; false if there is no such
// site or attachment, vanished or not.
func (s *Server) JiraAttachmentContent(cloudID, attachmentID string) (io.Reader, bool) {
	site, ok := s.siteIndex(cloudID)
	if !ok {
		return nil, false
	}
	c := &jiraCall{site: site, projects: s.jiraProjects()}
	ref, j, ok := c.findAttachment(attachmentID)
	if !ok {
		return nil, false
	}
	iss := genJiraIssue(ref, site)
	if j >= len(iss.attachments) {
		return nil, false
	}
	return iss.content(j), true
}

// sortedUnique sorts refs by id and drops repeats.
func sortedUnique(refs []jiraRef) []jiraRef {
	slices.SortFunc(refs, func(a, b jiraRef) int { return cmp.Compare(a.id(), b.id()) })
	return slices.CompactFunc(refs, func(a, b jiraRef) bool { return a.id() == b.id() })
}
