package jira_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// BenchmarkJiraExport exports a generated Jira project from a sandbox that
// runs as a separate process (so only the exporter's memory counts), with
// Atlassian-like latency, and reports the cost per issue:
//
//	go test -run '^$' -bench JiraExport -benchtime 1x ./internal/jira
//
// AUMO_BENCH_ISSUES (default 2000), AUMO_BENCH_LATENCY (default 50ms) and
// AUMO_BENCH_BURST (requests per second, default 100 as Atlassian's
// default burst limit) change the project size, the latency and the limit;
// AUMO_BENCH_LONG_EVERY how often an issue has long comment, worklog and
// changelog lists (default every 40th, a stress case; real projects have
// far fewer).
func BenchmarkJiraExport(b *testing.B) {
	issues := exporttest.Size(b, "AUMO_BENCH_ISSUES", 2000)
	debug.SetMemoryLimit(export.MemoryLimit) // as `aumo export` does
	apiURL := exporttest.StartSandboxProcess(b, "--jira-issues", fmt.Sprint(issues), "--confluence-pages", "0",
		"--latency", exporttest.Env("AUMO_BENCH_LATENCY", "50ms"), "--burst", exporttest.Env("AUMO_BENCH_BURST", "100"),
		"--jira-long-every", exporttest.Env("AUMO_BENCH_LONG_EVERY", "0"))
	tokens := exporttest.Login(b, apiURL)
	exporttest.BenchExport(b, apiURL, tokens, atlassian.Jira, "project = DEMO", "issue", []string{exportformat.KindIssue},
		func(client *atlassian.Client, query string) (func(context.Context) (int64, error), export.Source) {
			src := jira.New(jira.Options{Client: client, JQL: query})
			return src.Check, src
		})
}

// BenchmarkJiraIncremental measures an incremental run over a Jira export
// in which nothing changed: the ids-only listing of the query, and what
// else the run costs. The full export it updates is made once, without
// attachments, before the timer starts:
//
//	AUMO_BENCH_ISSUES=20000 go test -run '^$' -bench JiraIncremental -benchtime 1x ./internal/jira
//
// AUMO_BENCH_ISSUES (default 2000), AUMO_BENCH_LATENCY and AUMO_BENCH_BURST
// as for BenchmarkJiraExport.
func BenchmarkJiraIncremental(b *testing.B) {
	issues := exporttest.Size(b, "AUMO_BENCH_ISSUES", 2000)
	debug.SetMemoryLimit(export.MemoryLimit)
	apiURL := exporttest.StartSandboxProcess(b, "--jira-issues", fmt.Sprint(issues), "--confluence-pages", "0",
		"--latency", exporttest.Env("AUMO_BENCH_LATENCY", "50ms"), "--burst", exporttest.Env("AUMO_BENCH_BURST", "100"),
		"--jira-long-every", exporttest.Env("AUMO_BENCH_LONG_EVERY", "1000"))
	tokens := exporttest.Login(b, apiURL)
	const query = "project = DEMO"
	out := filepath.Join(b.TempDir(), "export")
	options := func(client *atlassian.Client) export.Options {
		opts := exporttest.Options(out, atlassian.Jira, query, client)
		opts.NoAttachments = true
		return opts
	}
	client := exporttest.Client(b, apiURL, atlassian.Jira, tokens)
	start := time.Now()
	m, err := exporttest.Run(context.Background(), options(client), jira.New(jira.Options{Client: client, JQL: query}))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("full export: %d issues, %d requests in %s", m.Counts[exportformat.KindIssue], m.Requests, time.Since(start).Round(time.Second))
	listPages := (issues + 4999) / 5000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		client := exporttest.Client(b, apiURL, atlassian.Jira, tokens)
		opts := options(client)
		opts.Incremental = true
		p, err := export.Prepare(opts)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		listing, err := jira.New(jira.Options{Client: client, JQL: query}).List(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		u, err := p.PlanUpdate(p.Window(time.Now()), listing)
		if err != nil {
			b.Fatal(err)
		}
		m, err := p.Run(context.Background(), jira.New(jira.Options{Client: client, JQL: query, Window: u.Window, ExtraIDs: u.Extra}))
		if err != nil {
			b.Fatal(err)
		}
		if m.Incremental == nil || m.Incremental.Updated != 0 || m.Incremental.Removed != 0 {
			b.Fatalf("nothing changed, yet the run says %+v", m.Incremental)
		}
		b.ReportMetric(float64(m.Requests), "requests")
		b.ReportMetric(float64(m.Requests-int64(listPages)), "requests-besides-listing")
		b.ReportMetric(float64(m.Points), "points")
		b.ReportMetric(time.Since(start).Seconds(), "seconds")
	}
	b.ReportMetric(float64(exporttest.PeakRSS(b))/(1<<20), "peak-RSS-MiB")
}
