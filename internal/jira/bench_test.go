package jira_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

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

// BenchmarkJiraExportMemory runs `aumo export jira` in its own process to
// each kind of output, against a sandbox in another process without
// latency, and reports each one's peak resident memory, as a user's
// `/usr/bin/time -v` would:
//
//	go test -run '^$' -bench JiraExportMemory -benchtime 1x ./internal/jira
//
// AUMO_BENCH_ISSUES (default 1804) sizes the project; every
// AUMO_BENCH_LARGE_EVERY-th issue (default 2) has one more attachment of
// AUMO_BENCH_LARGE_SIZE bytes (default 768 KiB), about 700 MB in all for
// the default size. AUMO_BENCH_AUMO names another aumo binary to measure
// (an older build, to compare), the sandbox staying this build's;
// AUMO_BENCH_SINKS (such as "dir,zst") picks some of the outputs.
func BenchmarkJiraExportMemory(b *testing.B) {
	issues := exporttest.Size(b, "AUMO_BENCH_ISSUES", 1804)
	apiURL := exporttest.StartSandboxProcess(b, "--jira-issues", fmt.Sprint(issues), "--confluence-pages", "0",
		"--jira-large-every", exporttest.Env("AUMO_BENCH_LARGE_EVERY", "2"),
		"--jira-large-size", exporttest.Env("AUMO_BENCH_LARGE_SIZE", fmt.Sprint(768<<10)))
	bin := exporttest.Env("AUMO_BENCH_AUMO", "")
	if bin == "" {
		bin = exporttest.BuildAumo(b)
	}
	env := exporttest.CommandEnv(b, apiURL)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	outputs := []struct{ metric, out string }{
		{"dir", "export"},
		{"tar", "export.tar"},
		{"tgz", "export.tar.gz"},
		{"zst", "export.tar.zst"},
		{"zst-age", "export.tar.zst.age"},
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, o := range outputs {
			if only := os.Getenv("AUMO_BENCH_SINKS"); only != "" && !slices.Contains(strings.Split(only, ","), o.metric) {
				continue
			}
			out := filepath.Join(b.TempDir(), o.out)
			args := []string{"export", "jira", "--jql", "project = DEMO", "--out", out, "--no-progress"}
			if strings.HasSuffix(o.out, ".age") {
				args = append(args, "--encrypt-to", id.Recipient().String())
			}
			peak, took := exporttest.RunCommand(b, bin, env, args...)
			b.ReportMetric(float64(peak)/(1<<20), o.metric+"-peak-RSS-MiB")
			b.ReportMetric(took.Seconds(), o.metric+"-seconds")
			if o.metric == "dir" {
				b.ReportMetric(float64(treeSize(b, out))/1e6, "exported-MB")
			} else if info, err := os.Stat(out); err == nil {
				b.ReportMetric(float64(info.Size())/1e6, o.metric+"-MB")
			}
			_ = os.RemoveAll(out)
		}
	}
}

// treeSize is the bytes of the files under dir.
func treeSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		n += info.Size()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
