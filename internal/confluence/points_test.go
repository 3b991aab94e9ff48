package confluence_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// cost is what requests spent by Atlassian's points model: a point per
// request, one per core object returned, two per user.
type cost struct{ requests, objects, users int }

func (c cost) points() int { return c.requests + c.objects + 2*c.users }

func (c *cost) add(o cost) {
	c.requests += o.requests
	c.objects += o.objects
	c.users += o.users
}

// meter prices every request to the gateway's Confluence routes, by
// endpoint, from what the answers hold: the export's own count of
// points is checked against it and against the sandbox's.
type meter struct {
	next http.RoundTripper
	mu   sync.Mutex
	by   map[string]*cost
	// asked counts the account ids and user keys looked up.
	asked map[string]int
}

func newMeter() *meter {
	return &meter{next: http.DefaultTransport, by: map[string]*cost{}, asked: map[string]int{}}
}

var idSegment = regexp.MustCompile(`/(?:att)?\d+(/|$)`)

// endpoint names a request as the rate-limit tables do: method and path,
// ids replaced by {id}.
func endpoint(r *http.Request) (string, bool) {
	_, path, ok := strings.Cut(r.URL.Path, "/wiki/")
	if !ok || !strings.Contains(r.URL.Path, "/ex/confluence/") {
		return "", false
	}
	path = idSegment.ReplaceAllString("/"+path, "/{id}$1")
	return r.Method + " " + path, true
}

func (m *meter) RoundTrip(r *http.Request) (*http.Response, error) {
	ep, ok := endpoint(r)
	if ok {
		m.noteAsked(r)
	}
	resp, err := m.next.RoundTrip(r)
	if err != nil || !ok {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	c := cost{requests: 1}
	if n := returned(resp.StatusCode, b); strings.Contains(ep, "user") {
		c.users = n
	} else {
		c.objects = n
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.by[ep] == nil {
		m.by[ep] = &cost{}
	}
	m.by[ep].add(c)
	return resp, nil
}

// returned counts the objects an answer holds: its results, the one
// object of a single fetch, the file a download redirects to.
func returned(status int, body []byte) int {
	switch {
	case status == http.StatusFound:
		return 1
	case status != http.StatusOK:
		return 0
	}
	var v struct {
		Results *[]json.RawMessage `json:"results"`
	}
	if json.Unmarshal(body, &v) != nil {
		return 0
	}
	if v.Results == nil {
		return 1
	}
	return len(*v.Results)
}

// noteAsked counts the people a users-bulk or user key lookup names.
func (m *meter) noteAsked(r *http.Request) {
	var ids []string
	switch {
	case strings.HasSuffix(r.URL.Path, "/users-bulk") && r.GetBody != nil:
		body, err := r.GetBody()
		if err != nil {
			return
		}
		var v struct {
			AccountIDs []string `json:"accountIds"`
		}
		_ = json.NewDecoder(body).Decode(&v)
		ids = v.AccountIDs
	case strings.HasSuffix(r.URL.Path, "/user/bulk/migration"):
		for _, k := range r.URL.Query()["key"] {
			ids = append(ids, "key:"+k)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		m.asked[id]++
	}
}

func (m *meter) total() cost {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t cost
	for _, c := range m.by {
		t.add(*c)
	}
	return t
}

// people are the distinct account ids and user keys looked up, and how
// many were looked up more than once.
func (m *meter) people() (ids, keys, again int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, n := range m.asked {
		if strings.HasPrefix(id, "key:") {
			keys++
		} else {
			ids++
		}
		again += n - 1
	}
	return ids, keys, again
}

// Page sizes of the floor: the largest each endpoint gives (the
// sandbox's caps, which follow Confluence's).
const (
	floorSearchPage  = sandbox.ConfluenceSearchMaxLimit
	floorBodyPage    = sandbox.ConfluenceContentSearchBodyLimit
	floorUsersPage   = sandbox.ConfluenceBulkMax
	floorKeysPage    = 100
	floorLabelsInHit = sandbox.ConfluenceSearchLabels
)

// floor is what the points model asks at least for the export of a
// space: every object the export keeps returned once, each person once
// (2 points), one request per page of results at the largest page of
// each endpoint, one request and one object per download. Objects that
// arrive embedded in another (a hit's first labels, a page's bodies in a
// search that returns pages whole) cost nothing more.
type floor struct {
	items int // pages and blog posts exported
	rows  map[string]cost
}

func pages(n, size int) int { return (n + size - 1) / size }

func spaceFloor(t *testing.T, srv *sandbox.Server, key string, people, keys int) floor {
	t.Helper()
	site := sandbox.DefaultSites[0]
	space, ok := srv.ConfluenceSpaceAt(site.CloudID, key)
	if !ok {
		t.Fatalf("no space %s", key)
	}
	var hits, comments, attachments, moreLabels, labelPages int
	folders := map[string]bool{}
	f := floor{rows: map[string]cost{}}
	for _, id := range slices.Concat(space.Pages, space.BlogPosts) {
		it, _ := srv.ConfluenceItemAt(site.CloudID, id)
		if it.Restricted {
			continue
		}
		hits++ // trashed pages too: the search lists them
		if it.Trashed {
			continue
		}
		f.items++
		comments += len(it.Comments)
		attachments += len(it.Attachments)
		if extra := len(it.Labels) - floorLabelsInHit; extra > 0 {
			moreLabels += extra
			labelPages++
		}
		for p, typ := it.ParentID, it.ParentType; typ == "folder" && !folders[p]; {
			folders[p] = true
			up, _ := srv.ConfluenceItemAt(site.CloudID, p)
			p, typ = up.ParentID, up.ParentType
		}
	}
	f.rows["listing, pages whole"] = cost{requests: pages(hits, floorBodyPage), objects: hits}
	f.rows["comments with bodies"] = cost{requests: pages(comments, floorBodyPage), objects: comments}
	f.rows["attachments' metadata"] = cost{requests: pages(attachments, floorSearchPage), objects: attachments}
	f.rows["labels past a hit's first 50"] = cost{requests: labelPages, objects: moreLabels}
	f.rows["space"] = cost{requests: 1, objects: 1}
	f.rows["folders"] = cost{requests: len(folders), objects: len(folders)}
	f.rows["people"] = cost{requests: pages(people, floorUsersPage), users: people}
	f.rows["user keys"] = cost{requests: pages(keys, floorKeysPage), users: keys}
	f.rows["downloads"] = cost{requests: attachments, objects: attachments}
	return f
}

func (f floor) total() cost {
	var t cost
	for _, c := range f.rows {
		t.add(c)
	}
	return t
}

// pointsTable shows the cost per endpoint of an export beside its floor.
func pointsTable(m *meter, f floor) string {
	var b strings.Builder
	row := func(name string, c cost) {
		fmt.Fprintf(&b, "| %-52s | %6d | %7d | %6.2f |\n", name, c.requests, c.points(), float64(c.points())/float64(f.items))
	}
	fmt.Fprintf(&b, "\n%d pages and blog posts\n| %-52s | %6s | %7s | %6s |\n", f.items, "endpoint", "reqs", "points", "/item")
	eps := slices.Sorted(mapsKeys(m.by))
	for _, ep := range eps {
		row(ep, *m.by[ep])
	}
	row("total", m.total())
	fmt.Fprintf(&b, "floor:\n")
	names := make([]string, 0, len(f.rows))
	for n := range f.rows {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		row(n, f.rows[n])
	}
	row("floor", f.total())
	fmt.Fprintf(&b, "ratio %.3f\n", float64(m.total().points())/float64(f.total().points()))
	return b.String()
}

func mapsKeys(m map[string]*cost) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// meteredClient is an API client for the sandbox's default site whose
// requests m prices.
func meteredClient(t *testing.T, srv *sandbox.Server, tokens *auth.TokenSource, m *meter) *atlassian.Client {
	t.Helper()
	site := sandbox.DefaultSites[0]
	client, err := atlassian.New(atlassian.Options{
		APIURL: srv.URL(), Product: atlassian.Confluence, CloudID: site.CloudID, SiteURL: site.URL, Tokens: tokens,
		HTTPClient: &http.Client{Transport: m},
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// pointsDatasets are the sandbox's typical space and one of long lists:
// every page with many comments, attachments and labels.
var pointsDatasets = []struct {
	name  string
	pages int
	opts  sandbox.ConfluenceOptions
}{
	{"typical", 80, sandbox.ConfluenceOptions{}},
	{"long lists", 20, sandbox.ConfluenceOptions{
		ManyLabelsEvery: 1, CommentPercent: 100, MaxComments: 40, LongThreadEvery: 3, InlineCommentEvery: 1,
		AttachmentPercent: 100, MaxAttachments: 10, LargeAttachmentEvery: -1,
	}},
}

// TestPointsPerItem exports each dataset and compares the points it
// spent, per endpoint, with the floor the points model implies: at most
// 1.2 times it. The export's own count must agree with the sandbox's.
func TestPointsPerItem(t *testing.T) {
	for _, ds := range pointsDatasets {
		t.Run(ds.name, func(t *testing.T) {
			// With the user key lookup, as aumo login asks for it.
			srv, tokens := exporttest.Sandbox(t, sandbox.Options{}, append(slices.Clone(confluence.Scopes), "read:confluence-user")...)
			srv.SetConfluenceSpace("ENG", ds.pages, 11, ds.opts)
			guess := exporttest.EstimateWith(t, srv.URL(), atlassian.Confluence, tokens, func(c *atlassian.Client) exporttest.Estimator {
				return confluence.New(confluence.Options{Client: c, CQL: "space = ENG"})
			})
			srv.ResetStats()
			m := newMeter()
			client := meteredClient(t, srv, tokens, m)
			opts := exporttest.Options(filepath.Join(t.TempDir(), "export"), atlassian.Confluence, "space = ENG", client)
			src := confluence.New(confluence.Options{Client: client, CQL: opts.Query, SiteURL: sandbox.DefaultSites[0].URL})
			exporttest.CheckEstimate(t, guess, exporttest.Export(t, opts, src))

			ids, _, again := m.people()
			// Each user key Confluence maps to someone, once.
			f := spaceFloor(t, srv, "ENG", ids, m.by["GET /rest/api/user/bulk/migration"].users)
			t.Log(pointsTable(m, f))
			sandboxPoints, measured, own := srv.Stats().Confluence.Points, m.total().points(), client.Stats().Points
			if int64(sandboxPoints) != own || measured != sandboxPoints {
				t.Errorf("points: the export counts %d, the sandbox %d, the answers hold %d", own, sandboxPoints, measured)
			}
			if again > 0 {
				t.Errorf("%d people looked up more than once", again)
			}
			// The aim is 1.15 times the floor; each page's body still
			// comes in two formats beside its listing (about 1.16 on the
			// typical space). No more than that.
			if ratio := float64(measured) / float64(f.total().points()); ratio > 1.2 {
				t.Errorf("the export cost %.3f times the floor", ratio)
			}
		})
	}
}

// TestResumeCostsLittleMore: an export stopped halfway and resumed
// fetches no page again that the stopped run wrote; what it spends
// besides the one run is the listing and the people, which a rerun
// looks up again, and the pages the stop cut off after they were fetched.
func TestResumeCostsLittleMore(t *testing.T) {
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{}, confluence.Scopes...)
	srv.SetConfluenceSpace("ENG", 40, 11, sandbox.ConfluenceOptions{})
	stats := func() sandbox.ConfluenceStats { return srv.Stats().Confluence }
	export := func(out string, stop int64) (*exportformat.Manifest, error) {
		client := exporttest.Client(t, srv.URL(), atlassian.Confluence, tokens)
		opts := exporttest.Options(out, atlassian.Confluence, "space = ENG", client)
		var src export.Source = confluence.New(confluence.Options{Client: client, CQL: opts.Query, SiteURL: sandbox.DefaultSites[0].URL})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if stop > 0 {
			src = &exporttest.StopAfter{Source: src, N: stop, Kinds: []string{exportformat.KindPage, exportformat.KindBlogpost}, Cancel: cancel}
		}
		return exporttest.Run(ctx, opts, src)
	}
	before := stats()
	whole, err := export(filepath.Join(t.TempDir(), "whole"), 0)
	if err != nil || !whole.Complete {
		t.Fatalf("uninterrupted run: %v", err)
	}
	after := stats()
	once := after.Points - before.Points

	out := filepath.Join(t.TempDir(), "resumed")
	before = stats()
	if _, err := export(out, 20); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v", err)
	}
	stopped := stats().Points - before.Points
	written := 0
	for _, l := range exporttest.Index(t, out) {
		if l.Kind == exportformat.KindPage || l.Kind == exportformat.KindBlogpost {
			written++
		}
	}
	before = stats()
	m, err := export(out, 0)
	if err != nil || !m.Complete {
		t.Fatalf("resumed run: %v", err)
	}
	resumed := stats()
	exporttest.Verify(t, out)
	items := int(whole.Counts[exportformat.KindPage] + whole.Counts[exportformat.KindBlogpost])
	if got := int(m.Counts[exportformat.KindPage] + m.Counts[exportformat.KindBlogpost]); got != items {
		t.Errorf("%d pages and blog posts after resuming, %d in one run", got, items)
	}
	// Each page left comes twice from the bulk routes (storage, ADF).
	if fetched := resumed.ContentFetched - before.ContentFetched; fetched > 2*(items-written) {
		t.Errorf("the resumed run fetched %d pages and blog posts, more than twice the %d the stopped run left", fetched, items-written)
	}
	more := stopped + resumed.Points - before.Points - once
	t.Logf("one run %d points; stopped after %d of %d items: %d + resumed %d, %+d (%+.1f%%)",
		once, written, items, stopped, resumed.Points-before.Points, more, 100*float64(more)/float64(once))
}
