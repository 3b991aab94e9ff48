// Package exporttest helps the tests and benchmarks of the export's
// sources run real exports against the sandbox cloud: a sandbox logged in
// to, in this process or its own, an API client for its site, and the run
// and check of an export. Only tests import it.
package exporttest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/mdtext"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/internal/secret"
	"github.com/aumo-cli/aumo/internal/tokenstore"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Sandbox starts a sandbox on loopback, stopped when the test ends, and
// returns a token source logged in to it with scopes.
func Sandbox(t *testing.T, opts sandbox.Options, scopes ...string) (*sandbox.Server, *auth.TokenSource) {
	t.Helper()
	srv := sandbox.New(opts)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, Login(t, srv.URL(), scopes...)
}

// Login logs in to the sandbox at url, the browser played by
// sandbox.Approve, and keeps the grant in memory. Without scopes it asks
// for Jira's.
func Login(tb testing.TB, url string, scopes ...string) *auth.TokenSource {
	tb.Helper()
	client, g := login(tb, url, scopes)
	store := &tokenstore.Memory{}
	if err := store.Save(context.Background(), "p", g); err != nil {
		tb.Fatal(err)
	}
	return &auth.TokenSource{Client: client, Store: store, StateDir: tb.TempDir(), Profile: "p"}
}

func login(tb testing.TB, url string, scopes []string) (*auth.Client, *tokenstore.Grant) {
	tb.Helper()
	if len(scopes) == 0 {
		scopes = []string{"read:jira-work", "read:jira-user"}
	}
	client := &auth.Client{
		ClientID: sandbox.DefaultClientID, ClientSecret: secret.New(sandbox.DefaultClientSecret),
		AuthURL: url, APIURL: url, Scopes: slices.Concat(scopes, []string{"offline_access"}),
	}
	g, err := client.Login(context.Background(), auth.LoginOptions{RedirectURL: "http://127.0.0.1:0/callback", OpenBrowser: sandbox.Approve})
	if err != nil {
		tb.Fatal(err)
	}
	return client, g
}

// Client is an API client for the sandbox's default site.
func Client(tb testing.TB, apiURL string, product atlassian.Product, tokens *auth.TokenSource) *atlassian.Client {
	tb.Helper()
	site := sandbox.DefaultSites[0]
	client, err := atlassian.New(atlassian.Options{APIURL: apiURL, Product: product, CloudID: site.CloudID, SiteURL: site.URL, Tokens: tokens})
	if err != nil {
		tb.Fatal(err)
	}
	return client
}

// Options are an export's options for the sandbox's default site, its
// downloads and costs through client.
func Options(out string, product atlassian.Product, query string, client *atlassian.Client) export.Options {
	site := sandbox.DefaultSites[0]
	return export.Options{
		Out: out, Product: string(product), Query: query,
		Site:      exportformat.Site{CloudID: site.CloudID, URL: site.URL, Name: site.Name},
		Redaction: exportformat.RedactionAccountIDs, Tool: exportformat.Tool{Name: "aumo", Version: "test"},
		Downloads: client,
		// As `aumo export` has them: as many writers as downloads may
		// start at once.
		Concurrency: export.DefaultConcurrency * atlassian.DownloadsPerSlot,
		Cost:        export.ClientCost(client),
	}
}

// Run prepares and runs an export of src.
func Run(ctx context.Context, opts export.Options, src export.Source) (*exportformat.Manifest, error) {
	p, err := export.Prepare(opts)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx, src)
}

// Verify checks the export at out with aumo verify's checks, and fails
// the test unless it is intact.
func Verify(tb testing.TB, out string) *exportformat.Report {
	tb.Helper()
	r, err := exportformat.Verify(context.Background(), out)
	if err != nil {
		tb.Fatalf("verify %s: %v", out, err)
	}
	if !r.OK() {
		tb.Fatalf("verify %s: %+v", out, r)
	}
	return r
}

// Index reads the index of the directory export out: the last line of
// each path.
func Index(tb testing.TB, out string) []exportformat.IndexLine {
	tb.Helper()
	f, err := os.Open(filepath.Join(out, exportformat.IndexName))
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	lines, _, err := exportformat.ReadIndex(f)
	if err != nil {
		tb.Fatal(err)
	}
	return lines
}

// BuildAumo builds the aumo command into a temporary directory and
// returns its path.
func BuildAumo(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "aumo")
	build := exec.Command("go", "build", "-o", bin, "github.com/aumo-cli/aumo/cmd/aumo")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatalf("build aumo: %v", err)
	}
	return bin
}

// StartSandboxProcess builds aumo and runs `aumo sandbox` with args in its
// own process (so that only the exporter's memory counts in a
// benchmark), and returns its API URL.
func StartSandboxProcess(b *testing.B, args ...string) string {
	b.Helper()
	cmd := exec.Command(BuildAumo(b), append([]string{"sandbox"}, args...)...)
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

// CommandEnv logs in to the sandbox at apiURL with scopes (Jira's when
// none) and returns the environment under which an aumo process finds
// that grant, in a file store under a temporary directory, its site the
// sandbox's default one.
func CommandEnv(b *testing.B, apiURL string, scopes ...string) []string {
	b.Helper()
	_, g := login(b, apiURL, scopes)
	site := sandbox.DefaultSites[0]
	g.Sites = []tokenstore.Site{{CloudID: site.CloudID, URL: site.URL, Name: site.Name}}
	g.Site = site.CloudID
	dir := b.TempDir()
	const passphrase = "correct horse battery staple"
	// A cheap key derivation: age's default would make the child spend
	// a quarter of a gigabyte on reading the grant, and that is not
	// what is measured.
	tokenstore.SetScryptWorkFactorForTesting(10)
	store := &tokenstore.File{Dir: filepath.Join(dir, "state", "aumo"), Passphrase: secret.New(passphrase)}
	if err := store.Save(context.Background(), "default", g); err != nil {
		b.Fatal(err)
	}
	return append(os.Environ(),
		"AUMO_AUTH_URL="+apiURL, "AUMO_API_URL="+apiURL,
		"AUMO_CLIENT_ID="+sandbox.DefaultClientID, "AUMO_CLIENT_SECRET="+sandbox.DefaultClientSecret,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_STATE_HOME="+filepath.Join(dir, "state"),
		"AUMO_PROFILE=default", "AUMO_TOKEN_STORE=file", "AUMO_TOKEN_PASSPHRASE="+passphrase)
}

// RunCommand runs the aumo at bin with args under env, fails the
// benchmark unless it exits 0, and returns its peak resident memory and
// how long it took.
func RunCommand(b *testing.B, bin string, env []string, args ...string) (uint64, time.Duration) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if testing.Verbose() {
		cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("aumo %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return peakRSSOf(cmd.ProcessState), time.Since(start)
}

// BenchExport runs b.N exports of query with the source newSource makes
// (after its check, which the run also times) and reports the cost per
// item (the kinds counted as unit) and the peak memory.
func BenchExport(b *testing.B, apiURL string, tokens *auth.TokenSource, product atlassian.Product, query, unit string, kinds []string,
	newSource func(*atlassian.Client, string) (func(context.Context) (int64, error), export.Source)) {
	b.ResetTimer() // building aumo and logging in are not the export
	for i := 0; i < b.N; i++ {
		client := Client(b, apiURL, product, tokens)
		opts := Options(filepath.Join(b.TempDir(), "export"), product, query, client)
		check, src := newSource(client, query)
		start := time.Now()
		if _, err := check(context.Background()); err != nil {
			b.Fatal(err)
		}
		m, err := Run(context.Background(), opts, src)
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
	b.ReportMetric(float64(PeakRSS(b))/(1<<20), "peak-RSS-MiB")
}

// Size reads a size from the environment, or def.
func Size(b *testing.B, name string, def int) int {
	n := def
	if v := os.Getenv(name); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// Env reads a setting from the environment, or def.
func Env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// PeakRSS is the process's peak resident memory (Linux), or the Go heap
// obtained from the system elsewhere.
func PeakRSS(b *testing.B) uint64 {
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				var kb uint64
				if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb); err == nil {
					return kb << 10
				}
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Log("no /proc/self/status: reporting the Go heap's system memory instead of RSS")
	return ms.Sys
}

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// CheckLinks checks that every relative link of a Markdown file in dir
// resolves to a file, inside the export at out when out is given.
func CheckLinks(t *testing.T, out, dir, what, md string) {
	t.Helper()
	for _, m := range mdLink.FindAllStringSubmatch(md, -1) {
		link := m[1]
		if strings.Contains(link, "://") || strings.HasPrefix(link, "#") {
			continue
		}
		p, err := url.PathUnescape(link)
		if err != nil {
			t.Errorf("%s: link %q: %v", what, link, err)
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if out != "" && !strings.HasPrefix(target, out+string(filepath.Separator)) {
			t.Errorf("%s: the Markdown links to %q, outside the export", what, link)
		}
		if _, err := os.Stat(target); err != nil {
			t.Errorf("%s: the Markdown links to %q, which is not in the export", what, link)
		}
	}
}

// CheckInert renders Markdown as a careless viewer would, raw HTML and
// every URL let through (the front matter aside, which viewers read as
// YAML), and checks that the page it makes runs nothing: no script or
// embedded element, no event handler, no javascript: URL.
func CheckInert(t *testing.T, what, md string) {
	t.Helper()
	if rest, ok := strings.CutPrefix(md, "---\n"); ok {
		if _, body, ok := strings.Cut(rest, "\n---\n"); ok {
			md = body
		}
	}
	var b bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := gm.Convert([]byte(md), &b); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	page := b.String()
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Script, atom.Iframe, atom.Object, atom.Embed:
			t.Errorf("%s: the Markdown makes a %s element:\n%s", what, n.Data, page)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") || mdtext.ScriptURL(a.Val) && slices.Contains([]string{"href", "src", "action", "formaction"}, a.Key) {
				t.Errorf("%s: the Markdown makes a %s element with %s=%q", what, n.Data, a.Key, a.Val)
			}
		}
	}
}

// Normalize folds white space, for comparing text across renderings.
func Normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

// MediaIDs are the media ids the index of the directory export out gives
// its attachments, by attachment id.
func MediaIDs(tb testing.TB, out string) map[string]string {
	tb.Helper()
	ids := map[string]string{}
	for _, l := range Index(tb, out) {
		if l.Kind == exportformat.KindAttachment {
			ids[l.ID] = l.MediaID
		}
	}
	return ids
}

// Skipped are the ids of what a manifest lists as skipped.
func Skipped(m *exportformat.Manifest) map[string]bool {
	ids := map[string]bool{}
	for _, p := range m.Skipped {
		ids[p.ID] = true
	}
	return ids
}

// Checked is a product's source, whose query is checked before a run.
type Checked interface {
	export.Source
	Check(ctx context.Context) (int64, error)
}

// Export checks src's query and runs an export of it as the command
// does, and fails the test unless the export ends without error and
// verifies intact.
func Export(tb testing.TB, opts export.Options, src Checked) *exportformat.Manifest {
	tb.Helper()
	if _, err := src.Check(context.Background()); err != nil {
		tb.Fatal(err)
	}
	m, err := Run(context.Background(), opts, src)
	if err != nil {
		tb.Fatal(err)
	}
	Verify(tb, opts.Out)
	CheckEndpoints(tb, m)
	return m
}

// CheckEndpoints fails tb unless the manifest's cost by endpoint adds up
// to its requests and points, and names an endpoint for every one.
func CheckEndpoints(tb testing.TB, m *exportformat.Manifest) {
	tb.Helper()
	var sum exportformat.Cost
	for e, c := range m.Endpoints {
		if !strings.HasPrefix(e, "/") {
			tb.Errorf("the manifest charges %d points to no endpoint (%q)", c.Points, e)
		}
		sum.Requests += c.Requests
		sum.Points += c.Points
	}
	if sum.Requests != m.Requests || sum.Points != m.Points {
		tb.Errorf("the endpoints add up to %d requests and %d points; the manifest says %d and %d", sum.Requests, sum.Points, m.Requests, m.Points)
	}
}

// Estimated is an export's estimate, and the requests it spent.
type Estimated struct {
	export.Estimate
	Spent int64
}

// CheckEstimate fails tb unless the estimate spent at most five requests
// and its points and requests are within 30 % of what the export m
// spent.
func CheckEstimate(tb testing.TB, e Estimated, m *exportformat.Manifest) {
	tb.Helper()
	tb.Logf("estimate: %d items, %d requests, %d points, %d bytes, %.0f s (from %d requests); the export: %d requests, %d points, %d bytes",
		e.Items, e.Requests, e.Points, e.Bytes, e.Seconds, e.Spent, m.Requests, m.Points, m.Counts["bytes"])
	if e.Spent > 5 {
		tb.Errorf("the estimate spent %d requests, more than five", e.Spent)
	}
	for _, c := range []struct {
		what       string
		guess, got int64
	}{{"points", e.Points, m.Points}, {"requests", e.Requests, m.Requests}} {
		if r := float64(c.guess) / float64(c.got); r < 0.7 || r > 1.3 {
			tb.Errorf("the estimate says %d %s, the export spent %d (%.2f×)", c.guess, c.what, c.got, r)
		}
	}
}

// Estimator is a source that tells what its export would cost.
type Estimator interface {
	Estimate(ctx context.Context, o export.EstimateOptions) (export.Estimate, error)
}

// EstimateWith is the estimate of the source newSource makes, from a
// client of its own, and the requests it spent.
func EstimateWith(tb testing.TB, apiURL string, p atlassian.Product, tokens *auth.TokenSource, newSource func(*atlassian.Client) Estimator) Estimated {
	tb.Helper()
	client := Client(tb, apiURL, p, tokens)
	e, err := newSource(client).Estimate(context.Background(), export.EstimateOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return Estimated{Estimate: e, Spent: client.Stats().Requests}
}

// StopAfter is a source that stops its run, as Ctrl-C or a points budget
// would, once the engine has taken N of its items of the kinds Kinds
// names (all kinds when empty).
type StopAfter struct {
	export.Source
	N      int64
	Kinds  []string
	Cancel context.CancelFunc
	taken  atomic.Int64
}

// Items implements export.Source.
func (s *StopAfter) Items(ctx context.Context, done func(kind, id string) bool, problems export.Problems, emit func(*export.Item) error) error {
	return s.Source.Items(ctx, done, problems, func(it *export.Item) error {
		err := emit(it)
		if (len(s.Kinds) == 0 || slices.Contains(s.Kinds, it.Kind)) && s.taken.Add(1) == s.N {
			s.Cancel()
		}
		return err
	})
}
