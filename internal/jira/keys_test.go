package jira_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

type noProblems struct{ t *testing.T }

func (p noProblems) Skip(pr exportformat.Problem) { p.t.Errorf("skipped %+v", pr) }
func (p noProblems) Fail(pr exportformat.Problem) { p.t.Errorf("failed %+v", pr) }

// TestWindowLinksToListedIssues exports the issues of a window, as an
// incremental run does: with the keys its listing of the whole query
// found, the Markdown links relatively to issues outside the window,
// which the export holds already; without them, to the site.
func TestWindowLinksToListedIssues(t *testing.T) {
	ctx := context.Background()
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{})
	srv.SetJiraProject("ABC", 30, 5, sandbox.JiraOptions{VanishedEvery: -1, ForbiddenEvery: -1, RetriableErrorEvery: -1})
	if !srv.EditJiraIssue("ABC-12") {
		t.Fatal("no ABC-12")
	}
	client := exporttest.Client(t, srv.URL(), atlassian.Jira, tokens)
	all := jira.New(jira.Options{Client: client, JQL: "project = ABC"})
	l, err := all.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if keys := all.Keys(); len(keys) != 30 || len(l.IDs) != 30 {
		t.Fatalf("the listing found %d ids and %d keys, want 30", len(l.IDs), len(keys))
	}
	render := func(keys map[string]string) string {
		t.Helper()
		src := jira.New(jira.Options{Client: client, JQL: "project = ABC", Window: 10, Keys: keys})
		var md []string
		err := src.Items(ctx, func(string, string) bool { return false }, noProblems{t}, func(it *export.Item) error {
			if it.Kind == exportformat.KindIssue {
				md = append(md, string(it.RenderMarkdown(nil)))
			}
			return nil
		})
		if err != nil || len(md) != 1 {
			t.Fatalf("the window's export: %d issues, %v", len(md), err)
		}
		return md[0]
	}
	site := sandbox.DefaultSites[0]
	id := func(i int) string {
		is, _ := srv.JiraIssueAt(site.CloudID, "ABC", i)
		return is.ID
	}
	// ABC-12 follows ABC-11, its parent, and blocks ABC-10.
	with, without := render(all.Keys()), render(nil)
	for _, i := range []int{9, 10} {
		rel := "](" + jira.RelativeIssuePath(id(11), id(i)) + ")"
		if !strings.Contains(with, rel) {
			t.Errorf("with the listing's keys, the Markdown lacks a link %q:\n%s", rel, with)
		}
		if strings.Contains(without, rel) {
			t.Errorf("without the listing's keys, the Markdown links to %q, an issue it cannot know", rel)
		}
	}
	if !strings.Contains(without, site.URL+"/browse/ABC-11") {
		t.Errorf("without the listing's keys, the Markdown does not link to ABC-11 on the site:\n%s", without)
	}
}
