package jira_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// pointsMeter is a transport that sends the Jira API's requests one at a
// time and charges each endpoint what the sandbox's points estimate grew
// by while it was answered: points per endpoint, which the sandbox only
// counts in all.
type pointsMeter struct {
	srv  *sandbox.Server
	mu   sync.Mutex
	rows map[string]*endpointCost
}

type endpointCost struct{ requests, points int }

// jiraRoute is a Jira API path, up to the endpoint.
var jiraRoute = regexp.MustCompile(`^/ex/jira/[^/]+/rest/api/3(/.*)$`)

// numbers are the ids within a path.
var numbers = regexp.MustCompile(`/[0-9]+`)

func (m *pointsMeter) RoundTrip(r *http.Request) (*http.Response, error) {
	route := jiraRoute.FindStringSubmatch(r.URL.Path)
	if route == nil {
		return http.DefaultTransport.RoundTrip(r) // the media host
	}
	endpoint := r.Method + " " + numbers.ReplaceAllString(route[1], "/{id}")
	m.mu.Lock()
	defer m.mu.Unlock()
	before := m.srv.Stats().Jira.Points
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	// The sandbox counts a request's points before the end of its body.
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if m.rows == nil {
		m.rows = map[string]*endpointCost{}
	}
	row := m.rows[endpoint]
	if row == nil {
		row = &endpointCost{}
		m.rows[endpoint] = row
	}
	row.requests++
	row.points += m.srv.Stats().Jira.Points - before
	return resp, nil
}

// pointsTable is the cost of an export by endpoint, per exported issue,
// beside the floor.
func (m *pointsMeter) table(issues int, clientPoints int64, f floor) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-36s %9s %9s %9s %9s\n", "endpoint", "requests", "points", "req/iss", "pts/iss")
	var req, pts int
	for _, name := range slices.Sorted(maps.Keys(m.rows)) {
		r := m.rows[name]
		req += r.requests
		pts += r.points
		fmt.Fprintf(&b, "%-36s %9d %9d %9.3f %9.3f\n", name, r.requests, r.points, float64(r.requests)/float64(issues), float64(r.points)/float64(issues))
	}
	fmt.Fprintf(&b, "%-36s %9d %9d %9.3f %9.3f\n", "total (sandbox)", req, pts, float64(req)/float64(issues), float64(pts)/float64(issues))
	fmt.Fprintf(&b, "%-36s %9s %9d\n", "total (client's estimate)", "", clientPoints)
	fmt.Fprintf(&b, "%-36s %9d %9d %9.3f %9.3f\n", "floor", f.requests, f.points(), float64(f.requests)/float64(issues), float64(f.points())/float64(issues))
	fmt.Fprintf(&b, "ratio to the floor: %.3f (without downloads %.3f)\n", float64(pts)/float64(f.points()),
		float64(pts-2*f.downloads)/float64(f.points()-2*f.downloads))
	return b.String()
}

// floor is the least an export of a project can cost by the points
// model: every object it keeps returned once, a request per page at each
// endpoint's largest page, and a request and an object per download.
type floor struct {
	requests, objects, downloads int
}

func (f floor) points() int { return f.requests + f.objects + 2*f.downloads }

// floorOf is the floor of exporting the n issues of project key with
// the field list of fields entries. Comments and worklogs beyond the
// twenty an issue embeds come from the issue's own endpoints, a hundred
// and five thousand a page; changes, none embedded, from the bulk
// changelog endpoint, ten thousand a page.
func floorOf(srv *sandbox.Server, key string, n, fields int) floor {
	site := sandbox.DefaultSites[0]
	// The field list and the query's count (the progress line's total).
	f := floor{requests: 2, objects: fields}
	changes := 0
	listed := 0
	for i := range n {
		is, _ := srv.JiraIssueAt(site.CloudID, key, i)
		if is.Vanished || is.Forbidden {
			continue
		}
		listed++
		f.objects += 1 + len(is.Attachments) + is.Comments + is.Worklogs + is.Histories
		f.downloads += len(is.Attachments)
		f.requests += pages(is.Comments-sandbox.JiraEmbeddedComments, sandbox.JiraCommentPageSize)
		f.requests += pages(is.Worklogs-sandbox.JiraEmbeddedWorklogs, sandbox.JiraWorklogPageSize)
		changes += is.Histories
	}
	f.requests += pages(listed, sandbox.JiraSearchPageSize) + pages(changes, sandbox.JiraChangelogBulkMax)
	return f
}

// pages is how many pages of size hold n.
func pages(n, size int) int {
	if n <= 0 {
		return 0
	}
	return (n + size - 1) / size
}

// TestPointsPerIssue exports the sandbox's typical project, and one
// where every third issue has long comment, worklog and changelog lists:
// each costs at most 1.15 times the floor, and the manifest's points
// are the sandbox's. It prints what each endpoint cost per issue beside
// the floor:
//
//	go test -run TestPointsPerIssue -v ./internal/jira
func TestPointsPerIssue(t *testing.T) {
	for _, c := range []struct {
		name   string
		issues int
		opts   sandbox.JiraOptions
	}{
		{"typical", 120, sandbox.JiraOptions{}},
		{"long lists", 40, sandbox.JiraOptions{LongThreadEvery: 3, LongWorklogEvery: 3, LongChangelogEvery: 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			issues := c.issues
			srv, tokens := exporttest.Sandbox(t, sandbox.Options{})
			srv.SetJiraProject("ABC", issues, 11, c.opts)
			meter := &pointsMeter{srv: srv}
			site := sandbox.DefaultSites[0]
			client, err := atlassian.New(atlassian.Options{
				APIURL: srv.URL(), Product: atlassian.Jira, CloudID: site.CloudID, SiteURL: site.URL, Tokens: tokens,
				HTTPClient: &http.Client{Transport: meter},
			})
			if err != nil {
				t.Fatal(err)
			}
			guess := exporttest.EstimateWith(t, srv.URL(), atlassian.Jira, tokens, func(c *atlassian.Client) exporttest.Estimator {
				return jira.New(jira.Options{Client: c, JQL: "project = ABC"})
			})
			srv.ResetStats()
			out := filepath.Join(t.TempDir(), "export")
			opts := exporttest.Options(out, atlassian.Jira, "project = ABC", client)
			m := exporttest.Export(t, opts, jira.New(jira.Options{Client: client, JQL: opts.Query}))
			exporttest.CheckEstimate(t, guess, m)
			fields := meter.rows["GET /field"].points - 1
			f := floorOf(srv, "ABC", issues, fields)
			t.Logf("%s, %d issues exported:\n%s", c.name, m.Counts["issue"], meter.table(int(m.Counts["issue"]), m.Points, f))
			spent := srv.Stats().Jira.Points
			if m.Points != int64(spent) {
				t.Errorf("the manifest says %d points, the sandbox counted %d", m.Points, spent)
			}
			if ratio := float64(spent) / float64(f.points()); ratio > 1.15 {
				t.Errorf("the export cost %d points, %.3f× the floor of %d", spent, ratio, f.points())
			}
		})
	}
}

// TestResumeFetchesOnlyWhatIsLeft stops an export halfway, as Ctrl-C
// does, and resumes it: the resumed run fetches none of the issues the
// stopped one wrote, and the test logs what the two runs cost together
// against one uninterrupted run:
//
//	go test -run TestResumeFetchesOnlyWhatIsLeft -v ./internal/jira
func TestResumeFetchesOnlyWhatIsLeft(t *testing.T) {
	const issues = 40
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{})
	run := func(out string, stop int) (sandbox.JiraStats, *exportformat.Manifest, error) {
		t.Helper()
		client := exporttest.Client(t, srv.URL(), atlassian.Jira, tokens)
		opts := exporttest.Options(out, atlassian.Jira, "project = ABC", client)
		var src export.Source = jira.New(jira.Options{Client: client, JQL: opts.Query})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if stop > 0 {
			src = &exporttest.StopAfter{Source: src, N: int64(stop), Cancel: cancel}
		}
		srv.ResetStats()
		m, err := exporttest.Run(ctx, opts, src)
		return srv.Stats().Jira, m, err
	}
	// Each export meets the project afresh: its retriable issues fail once.
	srv.SetJiraProject("ABC", issues, 11, sandbox.JiraOptions{})
	whole, _, err := run(filepath.Join(t.TempDir(), "whole"), 0)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetJiraProject("ABC", issues, 11, sandbox.JiraOptions{})
	out := filepath.Join(t.TempDir(), "resumed")
	first, _, err := run(out, issues/2)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the stopped run: %v, want it cancelled", err)
	}
	written := 0
	for _, l := range exporttest.Index(t, out) {
		if l.Kind == exportformat.KindIssue {
			written++
		}
	}
	second, m, err := run(out, 0)
	if err != nil {
		t.Fatal(err)
	}
	exporttest.Verify(t, out)
	if left := int(m.Counts[exportformat.KindIssue]) - written; written == 0 || second.IssuesFetched != left {
		t.Errorf("the stopped run wrote %d issues; the resumed one fetched %d, want the %d left", written, second.IssuesFetched, left)
	}
	t.Logf("one run %d points; stopped after %d issues written %d + resumed %d = %d (%.3f×)", whole.Points, written,
		first.Points, second.Points, first.Points+second.Points, float64(first.Points+second.Points)/float64(whole.Points))
}
