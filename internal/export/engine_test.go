package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// fakeSource yields n issues, each with attachments generated from its id.
// It plays a product's source without an API; the attachments come from
// the test cloud.
type fakeSource struct {
	n           int
	attachments int
	size        int64
	// shortFor makes the first k downloads of an attachment end early.
	shortFor map[string]*atomic.Int32
	// mediaDenied makes the first k downloads of an attachment meet a
	// media host that refuses a stale link.
	mediaDenied map[string]*atomic.Int32
	// names overrides attachment names (hostile ones).
	names []string
	// slow waits this long before each item (the kill test).
	slow time.Duration
	// stopAfter cancels the run after this many items (0: never).
	stopAfter int
	cancel    context.CancelFunc
	emitted   atomic.Int32
	faults    attachmentFaults
}

func content(id string, size int64) []byte {
	b := make([]byte, size)
	seed := sha256.Sum256([]byte(id))
	for i := range b {
		b[i] = seed[i%len(seed)] ^ byte(i/len(seed))
	}
	return b
}

func (p *fakeSource) Items(_ context.Context, done func(kind, id string) bool, _ Problems, emit func(*Item) error) error {
	p.faults.short, p.faults.denied = p.shortFor, p.mediaDenied
	for i := 1; i <= p.n; i++ {
		id := strconv.Itoa(10000 + i)
		if done(exportformat.KindIssue, id) {
			continue
		}
		if p.slow > 0 {
			time.Sleep(p.slow)
		}
		it := &Item{
			Kind: exportformat.KindIssue, ID: id, Key: fmt.Sprintf("T-%d", i),
			Updated: time.Date(2026, 11, 1, 0, 0, i, 0, time.UTC),
			Path:    "issues/" + id + "/issue.json", Dir: "issues/" + id,
			JSON:         []byte(fmt.Sprintf(`{"id":%q,"key":"T-%d"}`, id, i)),
			MarkdownPath: "issues/" + id + "/issue.md", Markdown: []byte("# T-" + strconv.Itoa(i) + "\n"),
		}
		for j := 0; j < p.attachments; j++ {
			aid := fmt.Sprintf("%s%02d", id, j)
			name := fmt.Sprintf("file-%d.bin", j)
			if j < len(p.names) {
				name = p.names[j]
			}
			it.Attachments = append(it.Attachments, Attachment{ID: aid, Name: name, Size: p.size, Path: attachmentPath(&p.faults, aid, p.size)})
		}
		if err := emit(it); err != nil {
			return err
		}
		if n := p.emitted.Add(1); p.stopAfter > 0 && int(n) == p.stopAfter {
			p.cancel()
		}
	}
	return nil
}

func options(out string) Options {
	return Options{
		Out: out, Product: "jira", Query: "project = T",
		Site:      exportformat.Site{CloudID: "c1", URL: "https://acme.atlassian.net", Name: "acme"},
		Redaction: exportformat.RedactionAccountIDs, Tool: exportformat.Tool{Name: "aumo", Version: "test"},
		Downloads: downloader(),
	}
}

func run(ctx context.Context, t *testing.T, opts Options, src Source) (*exportformat.Manifest, error) {
	t.Helper()
	p, err := Prepare(opts)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx, src)
}

func verify(t *testing.T, out string) *exportformat.Report {
	t.Helper()
	r, err := exportformat.Verify(context.Background(), out)
	if err != nil {
		t.Fatalf("verify %s: %v", out, err)
	}
	if !r.OK() {
		t.Fatalf("verify %s: %+v", out, r)
	}
	return r
}

// itemLines reads a directory export's index and counts item lines by id.
func itemLines(t *testing.T, dir string) map[string]int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, exportformat.IndexName))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	lines, _, err := exportformat.ReadIndex(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, l := range lines {
		if l.Kind == exportformat.KindIssue {
			got[l.ID]++
		}
	}
	return got
}

func TestExportToEverySink(t *testing.T) {
	for _, name := range []string{"dir", "out.tar", "out.tar.gz", "out.tgz", "out.tar.zst"} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), name)
			m, err := run(context.Background(), t, options(out), &fakeSource{n: 12, attachments: 2, size: 50_000})
			if err != nil {
				t.Fatal(err)
			}
			if !m.Complete || m.Counts["issue"] != 12 || m.Counts["attachment"] != 24 || m.Counts["markdown"] != 12 {
				t.Errorf("manifest: %+v", m)
			}
			r := verify(t, out)
			if r.Files != 48 {
				t.Errorf("verify saw %d files, want 48", r.Files)
			}
		})
	}
}

func TestInterruptedDirectoryResumesWithoutLossOrDuplicates(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	ctx, cancel := context.WithCancel(context.Background())
	plan := &fakeSource{n: 40, attachments: 1, size: 1000, stopAfter: 10, cancel: cancel}
	if _, err := run(ctx, t, options(out), plan); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v, want context.Canceled", err)
	}
	var m exportformat.Manifest
	b, _ := os.ReadFile(filepath.Join(out, exportformat.ManifestName))
	if err := json.Unmarshal(b, &m); err != nil || m.Complete {
		t.Fatalf("an interrupted export's manifest must say complete:false: %s", b)
	}
	startedAt := m.StartedAt

	p, err := Prepare(options(out))
	if err != nil {
		t.Fatal(err)
	}
	resuming, done := p.Resuming()
	if !resuming || done == 0 {
		t.Fatalf("not resuming (%v, %d done)", resuming, done)
	}
	final, err := p.Run(context.Background(), &fakeSource{n: 40, attachments: 1, size: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !final.StartedAt.Equal(startedAt) || final.Counts["issue"] != 40 {
		t.Errorf("resumed manifest: startedAt %v (first %v), counts %v", final.StartedAt, startedAt, final.Counts)
	}
	for id, n := range itemLines(t, out) {
		if n != 1 {
			t.Errorf("issue %s exported %d times", id, n)
		}
	}
	if got := len(itemLines(t, out)); got != 40 {
		t.Errorf("%d issues, want 40", got)
	}
	verify(t, out)
}

func TestInterruptedTarballLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "export.tar.zst")
	ctx, cancel := context.WithCancel(context.Background())
	plan := &fakeSource{n: 40, attachments: 1, size: 1000, stopAfter: 5, cancel: cancel}
	if _, err := run(ctx, t, options(out), plan); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestShortDownloadsAreFetchedAgain(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	twice := &atomic.Int32{}
	twice.Store(2)
	plan := &fakeSource{n: 3, attachments: 1, size: 10_000, shortFor: map[string]*atomic.Int32{"1000100": twice}}
	if _, err := run(context.Background(), t, options(out), plan); err != nil {
		t.Fatal(err)
	}
	verify(t, out)
}

func TestAnAttachmentThatKeepsFailingFailsItsItemUntilARerun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	always := &atomic.Int32{}
	always.Store(1000)
	plan := &fakeSource{n: 3, attachments: 1, size: 10_000, shortFor: map[string]*atomic.Int32{"1000200": always}}
	m, err := run(context.Background(), t, options(out), plan)
	var partial *PartialError
	if !errors.As(err, &partial) {
		t.Fatalf("got %v, want PartialError", err)
	}
	if m.Complete || len(m.Failed) != 2 || m.Failed[0].ID != "1000200" || m.Failed[1].ID != "10002" {
		t.Fatalf("failed: %+v", m.Failed)
	}
	if _, err := os.Stat(filepath.Join(out, "issues", "10002", "issue.json")); !errors.Is(err, os.ErrNotExist) {
		t.Error("the failed item's own file was written, so a rerun would not retry it")
	}
	// The attachment works again: the rerun finishes the export.
	m, err = run(context.Background(), t, options(out), &fakeSource{n: 3, attachments: 1, size: 10_000})
	if err != nil || !m.Complete || m.Counts["issue"] != 3 {
		t.Fatalf("rerun: %v, %+v", err, m)
	}
	verify(t, out)
}

func TestAttachmentLimits(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	opts := options(out)
	opts.MaxAttachmentSize = 5000
	m, err := run(context.Background(), t, opts, &fakeSource{n: 2, attachments: 1, size: 8000})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Skipped) != 2 || m.Skipped[0].Reason != exportformat.ReasonTooLarge || m.Counts["attachment"] != 0 {
		t.Errorf("skipped: %+v counts %v", m.Skipped, m.Counts)
	}
	out2 := filepath.Join(t.TempDir(), "export")
	opts = options(out2)
	opts.NoAttachments = true
	m, err = run(context.Background(), t, opts, &fakeSource{n: 2, attachments: 2, size: 10})
	if err != nil || len(m.Skipped) != 4 || m.Skipped[0].Reason != exportformat.ReasonExcluded {
		t.Errorf("--no-attachments: %v %+v", err, m.Skipped)
	}
	verify(t, out)
	verify(t, out2)
}

func TestHostileAttachmentNamesStayInside(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "export")
	names := []string{"../../etc/passwd", "same.txt", "same.txt", "con.txt", "tab\tand\x01control", strings.Repeat("é", 300) + ".pdf"}
	if _, err := run(context.Background(), t, options(out), &fakeSource{n: 1, attachments: len(names), size: 10, names: names}); err != nil {
		t.Fatal(err)
	}
	verify(t, out)
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("files outside --out: %v", entries)
	}
	atts, _ := os.ReadDir(filepath.Join(out, "issues", "10001", "attachments"))
	if len(atts) != len(names) {
		t.Errorf("%d attachment files, want %d (duplicates must not collide)", len(atts), len(names))
	}
}

func TestRefusals(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	if _, err := run(context.Background(), t, options(out), &fakeSource{n: 1}); err != nil {
		t.Fatal(err)
	}
	var oe *OutError
	if _, err := Prepare(options(out)); !errors.As(err, &oe) || !strings.Contains(err.Error(), "complete export") {
		t.Errorf("complete export: %v", err)
	}
	other := options(out)
	other.Query = "project = OTHER"
	if _, err := Prepare(other); !errors.As(err, &oe) || !strings.Contains(err.Error(), "query") {
		t.Errorf("other query: %v", err)
	}
	other = options(out)
	other.Product = "confluence"
	if _, err := Prepare(other); !errors.As(err, &oe) || !strings.Contains(err.Error(), "jira export") {
		t.Errorf("other product: %v", err)
	}
	notExport := t.TempDir()
	if err := os.WriteFile(filepath.Join(notExport, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(options(notExport)); !errors.As(err, &oe) {
		t.Errorf("a directory that is no export: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(notExport, "notes.txt")); string(b) != "mine" {
		t.Error("the user's file was touched")
	}
}

// TestKilledDirectoryExportResumes kills an export with SIGKILL mid-run (a
// separate process running this test binary) and resumes it.
func TestKilledDirectoryExportResumes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperExport$")
	cmd.Env = append(os.Environ(), "AUMO_EXPORT_HELPER_OUT="+out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until some items are in, then kill without warning.
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(out, exportformat.IndexName))
		if bytes.Count(b, []byte(`"kind":"issue"`)) >= 5 {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the helper export made no progress")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	m, err := run(context.Background(), t, options(out), &fakeSource{n: 60, attachments: 2, size: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Complete || m.Counts["issue"] != 60 {
		t.Errorf("resumed: %+v", m)
	}
	for id, n := range itemLines(t, out) {
		if n != 1 {
			t.Errorf("issue %s exported %d times", id, n)
		}
	}
	verify(t, out)
}

// TestHelperExport is the process TestKilledDirectoryExportResumes kills.
func TestHelperExport(t *testing.T) {
	out := os.Getenv("AUMO_EXPORT_HELPER_OUT")
	if out == "" {
		return // only as the helper process
	}
	_, err := run(context.Background(), t, options(out), &fakeSource{n: 60, attachments: 2, size: 20_000, slow: 20 * time.Millisecond})
	t.Fatalf("the helper export was meant to be killed, but it ended: %v", err)
}

func TestResumeRefusesOtherOptions(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := run(ctx, t, options(out), &fakeSource{n: 20, attachments: 1, size: 10, stopAfter: 5, cancel: cancel}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	for name, change := range map[string]func(*Options){
		"no attachments": func(o *Options) { o.NoAttachments = true },
		"a size limit":   func(o *Options) { o.MaxAttachmentSize = 5 },
		"other fields":   func(o *Options) { o.Choices = map[string]string{"fields": "summary"} },
		"redaction":      func(o *Options) { o.Redaction = exportformat.RedactionNone },
	} {
		opts := options(out)
		change(&opts)
		var oe *OutError
		if _, err := Prepare(opts); !errors.As(err, &oe) {
			t.Errorf("%s: resumed with %v", name, err)
		}
	}
	if _, err := Prepare(options(out)); err != nil {
		t.Errorf("the same options do not resume: %v", err)
	}
}

func TestResumeKeepsWhatEarlierRunsSkipped(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	opts := options(out)
	opts.MaxAttachmentSize = 500
	ctx, cancel := context.WithCancel(context.Background())
	plan := &fakeSource{n: 20, attachments: 1, size: 1000, stopAfter: 10, cancel: cancel}
	if _, err := run(ctx, t, opts, plan); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	m, err := run(context.Background(), t, opts, &fakeSource{n: 20, attachments: 1, size: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Skipped) != 20 {
		t.Errorf("%d skipped after the resume, want all 20 too-large attachments", len(m.Skipped))
	}
	verify(t, out)
}

func TestAStaleMediaLinkIsFetchedAgainNotSkipped(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	once := &atomic.Int32{}
	once.Store(1)
	m, err := run(context.Background(), t, options(out), &fakeSource{n: 2, attachments: 1, size: 100, mediaDenied: map[string]*atomic.Int32{"1000100": once}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Skipped) != 0 || m.Counts["attachment"] != 2 {
		t.Errorf("a media host's 403 was taken for a forbidden attachment: skipped %+v, counts %v", m.Skipped, m.Counts)
	}
	verify(t, out)
}

// TestMarkdownOnlyExportResumes: with --format md an item's Markdown marks
// it done, so an interrupted run resumes without writing an item twice,
// and no item JSON is written.
func TestMarkdownOnlyExportResumes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	opts := options(out)
	opts.NoJSON = true
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := run(ctx, t, opts, &fakeSource{n: 30, attachments: 1, size: 100, stopAfter: 10, cancel: cancel}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v, want context.Canceled", err)
	}
	p, err := Prepare(opts)
	if err != nil {
		t.Fatal(err)
	}
	if resuming, done := p.Resuming(); !resuming || done == 0 {
		t.Fatalf("not resuming (%v, %d done)", resuming, done)
	}
	plan := &fakeSource{n: 30, attachments: 1, size: 100}
	m, err := p.Run(context.Background(), plan)
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts[exportformat.KindMarkdown] != 30 || m.Counts[exportformat.KindIssue] != 0 || m.Options["format"] != "md" {
		t.Errorf("counts %v, options %v", m.Counts, m.Options)
	}
	if int(plan.emitted.Load()) >= 30 {
		t.Errorf("the resumed run emitted all %d items again", plan.emitted.Load())
	}
	f, err := os.Open(filepath.Join(out, exportformat.IndexName))
	if err != nil {
		t.Fatal(err)
	}
	lines, _, err := exportformat.ReadIndex(f)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, l := range lines {
		if l.Kind == exportformat.KindIssue {
			t.Errorf("item JSON written: %s", l.Path)
		}
		if l.Kind == exportformat.KindMarkdown {
			seen[l.ID]++
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("item %s written %d times", id, n)
		}
	}
	verify(t, out)
}
