package confluence_test

import (
	"context"
	"fmt"
	"runtime/debug"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// BenchmarkConfluenceExport exports a generated Confluence space from a
// sandbox that runs as a separate process (so only the exporter's memory
// counts), with Atlassian-like latency, and reports the cost per page
// (pages and blog posts alike):
//
//	go test -run '^$' -bench ConfluenceExport -benchtime 1x ./internal/confluence
//
// AUMO_BENCH_PAGES (default 500) sets the space's size; AUMO_BENCH_LATENCY
// (default 50ms) and AUMO_BENCH_BURST (requests per second, default 100)
// the latency and the limit.
func BenchmarkConfluenceExport(b *testing.B) {
	pages := exporttest.Size(b, "AUMO_BENCH_PAGES", 500)
	debug.SetMemoryLimit(export.MemoryLimit) // as `aumo export` does
	apiURL := exporttest.StartSandboxProcess(b, "--jira-issues", "0", "--confluence-pages", fmt.Sprint(pages),
		"--latency", exporttest.Env("AUMO_BENCH_LATENCY", "50ms"), "--burst", exporttest.Env("AUMO_BENCH_BURST", "100"))
	tokens := exporttest.Login(b, apiURL, confluence.Scopes...)
	site := sandbox.DefaultSites[0]
	exporttest.BenchExport(b, apiURL, tokens, atlassian.Confluence, "space = DEMO", "page", []string{exportformat.KindPage, exportformat.KindBlogpost},
		func(client *atlassian.Client, query string) (func(context.Context) (int64, error), export.Source) {
			src := confluence.New(confluence.Options{Client: client, CQL: query, SiteURL: site.URL})
			return src.Check, src
		})
}
