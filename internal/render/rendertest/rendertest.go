// Package rendertest makes small exports of the sandbox's data for the
// tests of the views, and opens them as render does.
package rendertest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Jira exports a generated project of issues (project key DEMO, with
// attachments, hostile file names, links between issues and custom
// fields) to a directory and returns its path.
func Jira(t testing.TB, issues int) string {
	t.Helper()
	srv, tokens := start(t)
	srv.SetJiraProject("DEMO", issues, 7, sandbox.JiraOptions{})
	client := exporttest.Client(t, srv.URL(), atlassian.Jira, tokens)
	out := filepath.Join(t.TempDir(), "jira")
	opts := exporttest.Options(out, atlassian.Jira, "project = DEMO", client)
	exporttest.Export(t, opts, jira.New(jira.Options{Client: client, JQL: opts.Query, SiteURL: sandbox.DefaultSites[0].URL}))
	return out
}

// Confluence exports a generated space (key DEMO: a page tree with
// folders, blog posts, comments, labels and attachments) to a directory
// and returns its path.
func Confluence(t testing.TB, pages int) string {
	t.Helper()
	srv, tokens := start(t)
	srv.SetConfluenceSpace("DEMO", pages, 7, sandbox.ConfluenceOptions{})
	client := exporttest.Client(t, srv.URL(), atlassian.Confluence, tokens)
	out := filepath.Join(t.TempDir(), "confluence")
	opts := exporttest.Options(out, atlassian.Confluence, "space = DEMO", client)
	exporttest.Export(t, opts, confluence.New(confluence.Options{Client: client, CQL: opts.Query, SiteURL: sandbox.DefaultSites[0].URL}))
	return out
}

func start(t testing.TB) (*sandbox.Server, *auth.TokenSource) {
	t.Helper()
	srv := sandbox.New(sandbox.Options{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, exporttest.Login(t, srv.URL(), append(append([]string{}, jira.Scopes...), confluence.Scopes...)...)
}

// Open opens the export at path and reads its catalog.
func Open(t testing.TB, path string) (*exportformat.Export, *render.Catalog) {
	t.Helper()
	e, err := exportformat.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	c, err := render.Load(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return e, c
}

// Render opens the export at path and renders it with v.
func Render(t testing.TB, path string, v render.View) *render.Catalog {
	t.Helper()
	e, c := Open(t, path)
	if err := render.Render(context.Background(), e, c, v); err != nil {
		t.Fatal(err)
	}
	return c
}
