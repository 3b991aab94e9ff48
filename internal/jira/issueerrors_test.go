package jira_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// The fates of an issue that bulkfetch names in issueErrors on every try.
const (
	fateSkipped = "skipped as deleted"
	fateFailed  = "failed"
	fateStopped = "the export stopped"
)

// issueErrorCase is what happens around ABC-4, which bulkfetch names in
// issueErrors on every try.
type issueErrorCase struct {
	name string
	// deleted: ABC-4 is deleted between the listing and the fetch.
	deleted bool
	// probeFails: every try of the request for ABC-4 alone answers 503.
	probeFails bool
	// revoke: the grant ends as that request leaves.
	revoke bool
	want   string
}

// TestIssueErrorsOnEveryTry: an issue bulkfetch names in issueErrors on
// the first try and the retry is asked for alone, once. Gone (404), it
// is skipped as deleted, like an issue bulkfetch leaves out, and the
// export completes; there still, or not known to be gone, it fails the
// export as partial; with the grant gone, the export stops.
func TestIssueErrorsOnEveryTry(t *testing.T) {
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{})
	for _, c := range []issueErrorCase{
		{name: "deleted", deleted: true, want: fateSkipped},
		{name: "still there", want: fateFailed},
		{name: "deleted, but the check fails", deleted: true, probeFails: true, want: fateFailed},
		// Last: it ends the grant the others use.
		{name: "deleted, and the grant ends", deleted: true, revoke: true, want: fateStopped},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := stageIssueErrors(t, srv, c)
			out := filepath.Join(t.TempDir(), "export")
			m, err := exportThrough(t, srv, tokens, out, issueErrorEvents(srv, c, id))
			checkFate(t, c.want, id, out, m, err)
			if c.want == fateStopped {
				return
			}
			// One bulkfetch and its retry, then one call for the issue
			// alone: one request, or both attempts the client makes
			// when they fail (the faults answer them, not the route).
			st := srv.Stats()
			attempts := 1
			if c.probeFails {
				attempts = 2
			}
			if st.Jira.BulkFetch != 2 || st.Jira.Issue+st.FaultsInjected != attempts {
				t.Errorf("bulkfetch %d, issue requests %d and faults %d, want 2 and %d in all", st.Jira.BulkFetch, st.Jira.Issue, st.FaultsInjected, attempts)
			}
		})
	}
}

// stageIssueErrors sets project ABC afresh with ABC-4 named in
// issueErrors on every try, and the faults of c, and returns ABC-4's id.
func stageIssueErrors(t *testing.T, srv *sandbox.Server, c issueErrorCase) string {
	t.Helper()
	site := sandbox.DefaultSites[0]
	srv.SetJiraProject("ABC", 12, 11, sandbox.JiraOptions{VanishedEvery: -1, ForbiddenEvery: -1, RetriableErrorEvery: -1})
	iss, _ := srv.JiraIssueAt(site.CloudID, "ABC", 3)
	if !srv.FailJiraIssueFetch(iss.Key) {
		t.Fatal("FailJiraIssueFetch = false")
	}
	srv.ResetStats()
	srv.ClearFaults()
	if c.probeFails {
		srv.InjectFaults(sandbox.FaultSpec{Kind: sandbox.FaultServerError, Count: 2,
			PathPrefix: "/ex/jira/" + site.CloudID + "/rest/api/3/issue/" + iss.ID})
	}
	return iss.ID
}

// issueErrorEvents makes the events of c happen on time: the search has
// listed every issue when the first bulkfetch leaves, and the retry has
// failed when the issue is asked for alone.
func issueErrorEvents(srv *sandbox.Server, c issueErrorCase, id string) func(*http.Request) {
	var deleted, revoked sync.Once
	return func(r *http.Request) {
		if c.deleted && strings.HasSuffix(r.URL.Path, "/issue/bulkfetch") {
			deleted.Do(func() { srv.DeleteJiraIssue("ABC-4") })
		}
		if c.revoke && strings.HasSuffix(r.URL.Path, "/issue/"+id) {
			revoked.Do(func() { srv.RevokeGrants(); srv.ExpireAccessTokens() })
		}
	}
}

// meanwhile calls its function with each request before sending it.
type meanwhile func(r *http.Request)

func (fn meanwhile) RoundTrip(r *http.Request) (*http.Response, error) {
	fn(r)
	return http.DefaultTransport.RoundTrip(r)
}

// exportThrough exports project ABC to out with a client that makes two
// attempts a call, without waiting between them, and calls before with
// each request.
func exportThrough(t *testing.T, srv *sandbox.Server, tokens *auth.TokenSource, out string, before func(*http.Request)) (*exportformat.Manifest, error) {
	t.Helper()
	site := sandbox.DefaultSites[0]
	client, err := atlassian.New(atlassian.Options{
		APIURL: srv.URL(), Product: atlassian.Jira, CloudID: site.CloudID, SiteURL: site.URL, Tokens: tokens,
		HTTPClient: &http.Client{Transport: meanwhile(before)}, MaxAttempts: 2,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := exporttest.Options(out, atlassian.Jira, "project = ABC", client)
	return exporttest.Run(context.Background(), opts, jira.New(jira.Options{Client: client, JQL: opts.Query}))
}

// checkFate checks what became of the issue id in the export at out.
func checkFate(t *testing.T, want, id, out string, m *exportformat.Manifest, err error) {
	t.Helper()
	var partial *export.PartialError
	switch want {
	case fateStopped:
		// Not an answer about the issue: the export stops, to be
		// resumed once logged in again.
		if err == nil || errors.As(err, &partial) || !strings.Contains(err.Error(), "look for issue "+id) {
			t.Fatalf("export: %v, want it stopped", err)
		}
		return
	case fateSkipped:
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		exporttest.Verify(t, out)
	case fateFailed:
		if !errors.As(err, &partial) {
			t.Fatalf("export: %v, want a partial export", err)
		}
	}
	failed, skipped := problemsOf(m)
	ok := len(failed) == 0 && skipped[id] == exportformat.ReasonDeleted
	if want == fateFailed {
		ok = len(failed) == 1 && failed[0] == id && skipped[id] == ""
	}
	if !ok {
		t.Errorf("failed %v, skipped %v; want %s %s", failed, skipped, id, want)
	}
}

// problemsOf are the ids a manifest lists as failed, and the reasons of
// those it lists as skipped by id.
func problemsOf(m *exportformat.Manifest) ([]string, map[string]string) {
	var failed []string
	for _, p := range m.Failed {
		failed = append(failed, p.ID)
	}
	skipped := map[string]string{}
	for _, p := range m.Skipped {
		skipped[p.ID] = p.Reason
	}
	return failed, skipped
}
