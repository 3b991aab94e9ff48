package export

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// BenchmarkJiraExport exports a generated Jira project from a sandbox that
// runs as a separate process (so only the exporter's memory counts), with
// Atlassian-like latency, and reports the cost per issue:
//
//	go test -run '^$' -bench JiraExport -benchtime 1x ./internal/export
//
// AUMO_BENCH_ISSUES (default 2000), AUMO_BENCH_LATENCY (default 50ms) and
// AUMO_BENCH_BURST (requests per second, default 100 as Atlassian's
// default burst limit) change the project size, the latency and the limit;
// AUMO_BENCH_LONG_EVERY how often an issue has long comment, worklog and
// changelog lists (default every 40th, a stress case; real projects have
// far fewer).
func BenchmarkJiraExport(b *testing.B) {
	issues := benchSize(b, "AUMO_BENCH_ISSUES", 2000)
	debug.SetMemoryLimit(MemoryLimit) // as `aumo export` does
	apiURL := startSandboxProcess(b, "--jira-issues", fmt.Sprint(issues), "--confluence-pages", "0",
		"--latency", benchEnv("AUMO_BENCH_LATENCY", "50ms"), "--burst", benchEnv("AUMO_BENCH_BURST", "100"),
		"--jira-long-every", benchEnv("AUMO_BENCH_LONG_EVERY", "0"))
	tokens := loginTo(b, apiURL)
	benchExport(b, apiURL, tokens, atlassian.Jira, "project = DEMO", "issue", []string{exportformat.KindIssue},
		func(client *atlassian.Client, query string) (func(context.Context) (int64, error), Plan) {
			plan := jira.New(jira.Options{Client: client, JQL: query})
			return plan.Check, &JiraPlan{Plan: plan, Client: client}
		})
}

// BenchmarkConfluenceExport exports a generated Confluence space the way
// BenchmarkJiraExport exports a project, and reports the cost per page
// (pages and blog posts alike):
//
//	go test -run '^$' -bench ConfluenceExport -benchtime 1x ./internal/export
//
// AUMO_BENCH_PAGES (default 500) sets the space's size; AUMO_BENCH_LATENCY
// and AUMO_BENCH_BURST as for Jira.
func BenchmarkConfluenceExport(b *testing.B) {
	pages := benchSize(b, "AUMO_BENCH_PAGES", 500)
	debug.SetMemoryLimit(MemoryLimit)
	apiURL := startSandboxProcess(b, "--jira-issues", "0", "--confluence-pages", fmt.Sprint(pages),
		"--latency", benchEnv("AUMO_BENCH_LATENCY", "50ms"), "--burst", benchEnv("AUMO_BENCH_BURST", "100"))
	tokens := loginTo(b, apiURL, confluence.Scopes...)
	site := sandbox.DefaultSites[0]
	benchExport(b, apiURL, tokens, atlassian.Confluence, "space = DEMO", "page", []string{exportformat.KindPage, exportformat.KindBlogpost},
		func(client *atlassian.Client, query string) (func(context.Context) (int64, error), Plan) {
			plan := confluence.New(confluence.Options{Client: client, CQL: query, SiteURL: site.URL})
			return plan.Check, &ConfluencePlan{Plan: plan, Client: client}
		})
}

// benchExport runs b.N exports of query with the plan newPlan makes and
// reports the cost per item (the kinds counted as unit) and peak memory.
func benchExport(b *testing.B, apiURL string, tokens *auth.TokenSource, product atlassian.Product, query, unit string, kinds []string,
	newPlan func(*atlassian.Client, string) (func(context.Context) (int64, error), Plan)) {
	site := sandbox.DefaultSites[0]
	for i := 0; i < b.N; i++ {
		client := sandboxClient(b, apiURL, product, tokens)
		opts := Options{
			Out: filepath.Join(b.TempDir(), "export"), Product: string(product), Query: query,
			Site:      exportformat.Site{CloudID: site.CloudID, URL: site.URL, Name: site.Name},
			Redaction: exportformat.RedactionAccountIDs,
			Cost:      func() (int64, int64) { st := client.Stats(); return st.Requests, st.Points },
		}
		check, plan := newPlan(client, query)
		start := time.Now()
		if _, err := check(context.Background()); err != nil {
			b.Fatal(err)
		}
		p, err := Prepare(opts)
		if err != nil {
			b.Fatal(err)
		}
		m, err := p.Run(context.Background(), plan)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		var n float64
		for _, k := range kinds {
			n += float64(m.Counts[k])
		}
		atts := float64(m.Counts[exportformat.KindAttachment])
		b.ReportMetric(n/took.Seconds(), unit+"s/s")
		b.ReportMetric((float64(m.Requests)-atts)/n, "requests/"+unit)
		b.ReportMetric(atts/n, "downloads/"+unit)
		b.ReportMetric(float64(m.Points)/n, "points/"+unit)
	}
	b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MiB")
}

// benchSize reads a size from the environment, or def.
func benchSize(b *testing.B, name string, def int) int {
	n := def
	if v := os.Getenv(name); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

func benchEnv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// startSandboxProcess builds aumo and runs `aumo sandbox` with args in its
// own process.
func startSandboxProcess(b *testing.B, args ...string) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "aumo")
	build := exec.Command("go", "build", "-o", bin, "github.com/aumo-cli/aumo/cmd/aumo")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatalf("build aumo: %v", err)
	}
	cmd := exec.Command(bin, append([]string{"sandbox"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "export AUMO_API_URL="); ok {
			go func() {
				for sc.Scan() { // drain the rest
				}
			}()
			return v
		}
	}
	b.Fatal("the sandbox process printed no AUMO_API_URL")
	return ""
}

// peakRSS is the process's peak resident memory (Linux), or the Go heap
// obtained from the system elsewhere.
func peakRSS(b *testing.B) int64 {
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				var kb int64
				if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb); err == nil {
					return kb << 10
				}
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Log("no /proc/self/status: reporting the Go heap's system memory instead of RSS")
	return int64(ms.Sys)
}
