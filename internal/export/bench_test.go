package export

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
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

// BenchmarkJiraIncremental measures an incremental run over a Jira export
// in which nothing changed: the ids-only listing of the query, and what
// else the run costs. The full export it updates is made once, without
// attachments, before the timer starts:
//
//	AUMO_BENCH_ISSUES=20000 go test -run '^$' -bench JiraIncremental -benchtime 1x ./internal/export
//
// AUMO_BENCH_ISSUES (default 2000), AUMO_BENCH_LATENCY and AUMO_BENCH_BURST
// as for BenchmarkJiraExport.
func BenchmarkJiraIncremental(b *testing.B) {
	issues := benchSize(b, "AUMO_BENCH_ISSUES", 2000)
	debug.SetMemoryLimit(MemoryLimit)
	apiURL := startSandboxProcess(b, "--jira-issues", fmt.Sprint(issues), "--confluence-pages", "0",
		"--latency", benchEnv("AUMO_BENCH_LATENCY", "50ms"), "--burst", benchEnv("AUMO_BENCH_BURST", "100"),
		"--jira-long-every", benchEnv("AUMO_BENCH_LONG_EVERY", "1000"))
	tokens := loginTo(b, apiURL)
	site := sandbox.DefaultSites[0]
	const query = "project = DEMO"
	var client *atlassian.Client
	opts := Options{
		Out: filepath.Join(b.TempDir(), "export"), Product: string(atlassian.Jira), Query: query,
		Site:      exportformat.Site{CloudID: site.CloudID, URL: site.URL, Name: site.Name},
		Redaction: exportformat.RedactionAccountIDs, NoAttachments: true,
		Cost: func() (int64, int64) { st := client.Stats(); return st.Requests, st.Points },
	}
	client = sandboxClient(b, apiURL, atlassian.Jira, tokens)
	full := jira.New(jira.Options{Client: client, JQL: query})
	p, err := Prepare(opts)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	m, err := p.Run(context.Background(), &JiraPlan{Plan: full, Client: client})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("full export: %d issues, %d requests in %s", m.Counts[exportformat.KindIssue], m.Requests, time.Since(start).Round(time.Second))
	listPages := (issues + 4999) / 5000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		client = sandboxClient(b, apiURL, atlassian.Jira, tokens)
		opts.Incremental = true
		p, err := Prepare(opts)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		all := jira.New(jira.Options{Client: client, JQL: query})
		u, err := p.PlanUpdate(context.Background(), time.Now(), func(ctx context.Context) (map[string]bool, int64, error) {
			estimate, err := all.Check(ctx)
			if err != nil {
				return nil, 0, err
			}
			ids, err := all.IDs(ctx)
			return ids, estimate, err
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
		plan := jira.New(jira.Options{Client: client, JQL: fmt.Sprintf("(%s) AND updated >= -%dm", query, u.Window), ExtraIDs: u.Extra})
		m, err := p.Run(context.Background(), &JiraPlan{Plan: plan, Client: client})
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
	b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MiB")
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

// fieldsPlan yields Jira's field list only, as a plan does when no issue
// changed.
type fieldsPlan []byte

func (f fieldsPlan) Items(_ context.Context, _ func(kind, id string) bool, _ Problems, emit func(*Item) error) error {
	return emit(&Item{Kind: exportformat.KindFields, ID: "fields", Path: exportformat.FieldsName, JSON: f})
}

// BenchmarkUpdateNothingChanged measures what an incremental run over a
// large directory export costs the machine when nothing changed: the
// export's index (AUMO_BENCH_ITEMS issues, default 100,000, each with its
// Markdown and two attachments: four lines) is read, the listing compared
// and nothing rewritten. The files themselves are not made (nothing reads
// them). It reports the peak Go heap:
//
//	go test -run '^$' -bench UpdateNothingChanged -benchtime 1x ./internal/export
func BenchmarkUpdateNothingChanged(b *testing.B) {
	items := benchSize(b, "AUMO_BENCH_ITEMS", 100_000)
	out := filepath.Join(b.TempDir(), "export")
	if err := os.Mkdir(out, 0o700); err != nil {
		b.Fatal(err)
	}
	opts := Options{
		Out: out, Product: "jira", Query: "project = T", Incremental: true,
		Site:      exportformat.Site{CloudID: "c1", URL: "https://acme.atlassian.net", Name: "acme"},
		Redaction: exportformat.RedactionAccountIDs, Tool: exportformat.Tool{Name: "aumo", Version: "bench"},
	}
	idx, err := os.Create(filepath.Join(out, exportformat.IndexName))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(idx)
	enc := json.NewEncoder(w)
	// fields.json is real: Jira's plan writes it each run, and the
	// update keeps it when it has not changed.
	fields := []byte(`[{"id":"summary","name":"Summary"}]`)
	if err := os.WriteFile(filepath.Join(out, exportformat.FieldsName), fields, 0o600); err != nil {
		b.Fatal(err)
	}
	fieldsSum := sha256.Sum256(fields)
	if err := enc.Encode(exportformat.IndexLine{Path: exportformat.FieldsName, Kind: exportformat.KindFields, ID: "fields", Item: "fields",
		Size: int64(len(fields)), SHA256: hex.EncodeToString(fieldsSum[:])}); err != nil {
		b.Fatal(err)
	}
	listed := map[string]bool{}
	updated := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sum := strings.Repeat("ab", 32)
	for i := range items {
		id := fmt.Sprint(10000 + i)
		listed[id] = true
		dir := "issues/" + id
		for _, l := range []exportformat.IndexLine{
			{Path: dir + "/attachments/" + id + "1-report.pdf", Kind: exportformat.KindAttachment, ID: id + "1", Key: "T-" + id, Item: id, Size: 25_000, SHA256: sum, Updated: updated, MediaID: "416f3a8f-adfd-49d7-a040-7a407d5e5deb"},
			{Path: dir + "/attachments/" + id + "2-notes.txt", Kind: exportformat.KindAttachment, ID: id + "2", Key: "T-" + id, Item: id, Size: 2_000, SHA256: sum, Updated: updated, MediaID: "416f3a8f-adfd-49d7-a040-7a407d5e5dec"},
			{Path: dir + "/issue.md", Kind: exportformat.KindMarkdown, ID: id, Key: "T-" + id, Item: id, Size: 3_000, SHA256: sum, Updated: updated},
			{Path: dir + "/issue.json", Kind: exportformat.KindIssue, ID: id, Key: "T-" + id, Item: id, Size: 9_000, SHA256: sum, Updated: updated},
		} {
			if err := enc.Encode(l); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		b.Fatal(err)
	}
	m := exportformat.Manifest{Format: exportformat.Format, Product: opts.Product, Site: opts.Site, Query: opts.Query,
		StartedAt: time.Now().Add(-24 * time.Hour), Complete: true, Counts: map[string]int64{}, Redaction: opts.Redaction,
		Options: choices(opts)}
	raw, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, exportformat.ManifestName), raw, 0o600); err != nil {
		b.Fatal(err)
	}
	debug.SetMemoryLimit(MemoryLimit)
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
				}
			}
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := Prepare(opts)
		if err != nil {
			b.Fatal(err)
		}
		u, err := p.PlanUpdate(context.Background(), time.Now(), func(context.Context) (map[string]bool, int64, error) {
			return listed, int64(len(listed)), nil
		}, nil)
		if err != nil || len(u.Extra) != 0 {
			b.Fatalf("plan: %v, extra %d", err, len(u.Extra))
		}
		m, err := p.Run(context.Background(), fieldsPlan(fields))
		if err != nil {
			b.Fatal(err)
		}
		if m.Counts[exportformat.KindIssue] != int64(items) || m.Incremental.Removed != 0 || m.Incremental.Updated != 0 {
			b.Fatalf("counts %v, incremental %+v", m.Counts, m.Incremental)
		}
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
