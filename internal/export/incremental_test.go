package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// versionedItem is an issue of a versionedSource: its version shows in its
// JSON, and its attachments are named by suffix ("a0", "a1", …).
type versionedItem struct {
	version     int
	attachments []string
}

// versionedSource yields the items it is given; its attachments come from
// the test cloud, which counts the downloads.
type versionedSource struct {
	items map[string]versionedItem
	// stopAfter cancels the run after this many items (0: never).
	stopAfter int
	cancel    context.CancelFunc
	emitted   atomic.Int32
	// failing attachments (by id) answer 500 on every try; stopAt
	// cancels the run when that attachment is asked for.
	failing map[string]bool
	stopAt  string
	faults  attachmentFaults
}

// downloads counts the attachments downloaded.
func (p *versionedSource) downloads() int32 { return p.faults.downloads.Load() }

func (p *versionedSource) Items(_ context.Context, done func(kind, id string) bool, _ Problems, emit func(*Item) error) error {
	p.faults.failing, p.faults.stopAt, p.faults.cancel = p.failing, p.stopAt, p.cancel
	ids := make([]string, 0, len(p.items))
	for id := range p.items {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		v := p.items[id]
		if done(exportformat.KindIssue, id) {
			continue
		}
		dir := "issues/" + id
		it := &Item{
			Kind: exportformat.KindIssue, ID: id, Key: "T-" + id,
			Updated: time.Date(2026, 11, 1, 0, 0, v.version, 0, time.UTC),
			Path:    dir + "/issue.json", Dir: dir, JSON: fmt.Appendf(nil, `{"id":%q,"version":%d}`, id, v.version),
			MarkdownPath: dir + "/issue.md", Markdown: fmt.Appendf(nil, "# %s v%d\n", id, v.version),
		}
		for _, a := range v.attachments {
			aid := id + a
			it.Attachments = append(it.Attachments, Attachment{
				ID: aid, Name: a + ".bin", Size: 100, Updated: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
				Path: attachmentPath(&p.faults, aid, 100),
			})
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

// indexPaths counts the lines of each path in an index file.
func indexPaths(t *testing.T, path string) map[string]int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(raw)), "\n") {
		var l exportformat.IndexLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		n[l.Path]++
		if strings.HasPrefix(l.Path, RemovedDir+"/") == l.Removed.IsZero() {
			t.Errorf("%s: line %s has removed %v", path, l.Path, l.Removed)
		}
	}
	return n
}

func readManifestFile(t *testing.T, out string) *exportformat.Manifest {
	t.Helper()
	m, err := previousManifest(out)
	if err != nil || m == nil {
		t.Fatalf("read the manifest: %v", err)
	}
	return m
}

// fullThenUpdate exports five issues with two attachments each, then
// prepares an update in which issue 2 changed (a1 gone, a2 new), issue
// 4 is gone and issue 6 is new.
func fullThenUpdate(t *testing.T, prune bool) (string, Options, *versionedSource, map[string]bool) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "mirror")
	full := &versionedSource{items: map[string]versionedItem{}}
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		full.items[id] = versionedItem{version: 1, attachments: []string{"a0", "a1"}}
	}
	if _, err := run(context.Background(), t, options(out), full); err != nil {
		t.Fatal(err)
	}
	opts := options(out)
	opts.Incremental, opts.Prune = true, prune
	changed := &versionedSource{items: map[string]versionedItem{
		"2": {version: 2, attachments: []string{"a0", "a2"}},
		"6": {version: 1, attachments: []string{"a0", "a1"}},
	}}
	listed := map[string]bool{"1": true, "2": true, "3": true, "5": true, "6": true}
	return out, opts, changed, listed
}

func runUpdate(ctx context.Context, t *testing.T, opts Options, src Source, listed map[string]bool) (*exportformat.Manifest, error) {
	t.Helper()
	updating, err := Check(opts)
	if err != nil || !updating {
		t.Fatalf("Check: updating %v, %v", updating, err)
	}
	p, err := Prepare(opts)
	if err != nil {
		t.Fatal(err)
	}
	prev := p.update.previousItems()
	for _, id := range []string{"1", "2", "3", "5"} {
		if !prev[id] {
			t.Fatalf("the previous items lack %s: %v", id, prev)
		}
	}
	p.update.listed = listed
	return p.Run(ctx, src)
}

func TestIncrementalRunWritesWhatChangedAndMovesWhatIsGone(t *testing.T) {
	out, opts, changed, listed := fullThenUpdate(t, false)
	first := readManifestFile(t, out)
	m, err := runUpdate(context.Background(), t, opts, changed, listed)
	if err != nil {
		t.Fatal(err)
	}
	// Only the new attachments were downloaded: issue 2's a2 and issue 6's two.
	if n := changed.downloads(); n != 3 {
		t.Errorf("%d downloads, want 3 (unchanged attachments are kept)", n)
	}
	verify(t, out)
	if !m.Complete || m.Incremental == nil || m.Incremental.Running || m.Incremental.Updated != 2 || m.Incremental.Removed != 1 {
		t.Errorf("manifest: complete %v, incremental %+v", m.Complete, m.Incremental)
	}
	if !m.StartedAt.After(first.StartedAt) || !m.Incremental.Since.Equal(first.StartedAt.Add(-UpdateMargin)) {
		t.Errorf("startedAt %v, since %v; the previous run started at %v", m.StartedAt, m.Incremental.Since, first.StartedAt)
	}
	if m.Counts["issue"] != 5 || m.Counts["attachment"] != 10 || m.Counts["markdown"] != 5 {
		t.Errorf("counts %v, want 5 issues, 10 attachments, 5 Markdown files", m.Counts)
	}
	var removed []string
	for _, r := range m.Removed {
		removed = append(removed, r.Kind+":"+r.ID+"@"+r.Path)
	}
	want := []string{
		"attachment:2a1@removed/issues/2/attachments/2a1-a1.bin",
		"attachment:4a0@removed/issues/4/attachments/4a0-a0.bin",
		"attachment:4a1@removed/issues/4/attachments/4a1-a1.bin",
		"issue:4@removed/issues/4/issue.json",
		"markdown:4@removed/issues/4/issue.md",
	}
	slices.Sort(removed)
	if !slices.Equal(removed, want) {
		t.Errorf("removed:\n%s\nwant:\n%s", strings.Join(removed, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range m.Removed {
		if _, err := os.Stat(filepath.Join(out, r.Path)); err != nil {
			t.Errorf("removed file: %v", err)
		}
	}
	for _, gone := range []string{"issues/4", "issues/2/attachments/2a1-a1.bin"} {
		if _, err := os.Stat(filepath.Join(out, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there (%v)", gone, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(out, "issues/2/issue.json"))
	if !strings.Contains(string(b), `"version":2`) {
		t.Errorf("issue 2 not updated: %s", b)
	}
	// The index names every path once, none under removed/; the removed
	// files have their own index.
	for path, n := range indexPaths(t, filepath.Join(out, exportformat.IndexName)) {
		if n != 1 || strings.HasPrefix(path, RemovedDir+"/") {
			t.Errorf("index.jsonl: %s %d times", path, n)
		}
	}
	if got := indexPaths(t, filepath.Join(out, RemovedDir, "index.jsonl")); len(got) != 5 {
		t.Errorf("removed/index.jsonl: %v", got)
	}

	// A second update with nothing changed downloads nothing and keeps
	// the removed files listed.
	again := &versionedSource{items: map[string]versionedItem{}}
	m2, err := runUpdate(context.Background(), t, opts, again, listed)
	if err != nil {
		t.Fatal(err)
	}
	if again.downloads() != 0 || m2.Incremental.Updated != 0 || m2.Incremental.Removed != 0 || len(m2.Removed) != 5 {
		t.Errorf("nothing changed, yet: downloads %d, incremental %+v, %d removed", again.downloads(), m2.Incremental, len(m2.Removed))
	}
	verify(t, out)

	// Issue 2 is edited again: the copy of the attachment it lost stays.
	edited := &versionedSource{items: map[string]versionedItem{"2": {version: 3, attachments: []string{"a0", "a2"}}}}
	if _, err := runUpdate(context.Background(), t, opts, edited, listed); err != nil {
		t.Fatal(err)
	}
	if !exists(out, "removed/issues/2/attachments/2a1-a1.bin") || edited.downloads() != 0 {
		t.Errorf("after issue 2's second edit: its lost attachment's copy there %v, %d downloads",
			exists(out, "removed/issues/2/attachments/2a1-a1.bin"), edited.downloads())
	}
	verify(t, out)

	// Issue 4 comes back, with one of its two attachments: the copies of
	// what is back go from removed/, that of the other stays.
	back := &versionedSource{items: map[string]versionedItem{"4": {version: 3, attachments: []string{"a0"}}}}
	listed["4"] = true
	m3, err := runUpdate(context.Background(), t, opts, back, listed)
	if err != nil {
		t.Fatal(err)
	}
	var still []string
	for _, r := range m3.Removed {
		still = append(still, r.ID)
	}
	if !slices.Equal(still, []string{"2a1", "4a1"}) || m3.Counts["issue"] != 6 || m3.Counts["removed"] != 2 {
		t.Errorf("after issue 4 came back: removed %v, counts %v", still, m3.Counts)
	}
	for path, want := range map[string]bool{
		"removed/issues/4/issue.json": false, "removed/issues/4/attachments/4a0-a0.bin": false,
		"removed/issues/4/attachments/4a1-a1.bin": true, "issues/4/issue.json": true,
	} {
		if exists(out, path) != want {
			t.Errorf("%s there: %v, want %v", path, !want, want)
		}
	}
	verify(t, out)
}

func TestIncrementalPruneDeletes(t *testing.T) {
	out, opts, changed, listed := fullThenUpdate(t, true)
	m, err := runUpdate(context.Background(), t, opts, changed, listed)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, out)
	if _, err := os.Stat(filepath.Join(out, RemovedDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--prune left %s/ (%v)", RemovedDir, err)
	}
	if len(m.Removed) != 5 || m.Removed[0].Path != "" {
		t.Errorf("removed: %+v", m.Removed)
	}
}

func TestInterruptedIncrementalRunLeavesAValidExport(t *testing.T) {
	out, opts, changed, listed := fullThenUpdate(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	changed.stopAfter, changed.cancel = 1, cancel
	if _, err := runUpdate(ctx, t, opts, changed, listed); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted update: %v", err)
	}
	// Still a complete, intact export, marked as being updated.
	verify(t, out)
	m := readManifestFile(t, out)
	if !m.Complete || m.Incremental == nil || !m.Incremental.Running {
		t.Fatalf("manifest after the interruption: complete %v, incremental %+v", m.Complete, m.Incremental)
	}
	// Without --incremental it is refused with the hint.
	if _, err := Prepare(options(out)); err == nil || !strings.Contains(err.Error(), "--incremental") {
		t.Errorf("a plain run over it: %v", err)
	}

	// The next run completes the update, with the same window.
	changed.stopAfter, changed.cancel = 0, nil
	final, err := runUpdate(context.Background(), t, opts, changed, listed)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, out)
	if final.Incremental.Running || !final.Incremental.Since.Equal(m.Incremental.Since) || !final.StartedAt.Equal(m.Incremental.StartedAt) {
		t.Errorf("completed update: %+v (interrupted one: %+v)", final.Incremental, m.Incremental)
	}
	if final.Counts["issue"] != 5 || final.Counts["attachment"] != 10 || len(final.Removed) != 5 {
		t.Errorf("completed update: counts %v, %d removed", final.Counts, len(final.Removed))
	}
}

func TestIncrementalRefusesAnotherQuery(t *testing.T) {
	out, opts, _, _ := fullThenUpdate(t, false)
	opts.Query = "project = OTHER"
	var oe *OutError
	if _, err := Check(opts); !errors.As(err, &oe) || !strings.Contains(err.Error(), `"project = T"`) {
		t.Errorf("another query: %v", err)
	}
	opts = options(out)
	opts.Incremental = true
	opts.Site.CloudID = "other"
	if _, err := Check(opts); !errors.As(err, &oe) || !strings.Contains(err.Error(), "site") {
		t.Errorf("another site: %v", err)
	}
	opts = options(out)
	opts.Incremental = true
	opts.Product = "confluence"
	if _, err := Check(opts); !errors.As(err, &oe) || !strings.Contains(err.Error(), "jira export") {
		t.Errorf("another product: %v", err)
	}
}

// A listing that falls short of the API's own count (a search that ended
// early) removes nothing.
func TestShortListingRemovesNothing(t *testing.T) {
	out, opts, changed, _ := fullThenUpdate(t, false)
	p, err := Prepare(opts)
	if err != nil {
		t.Fatal(err)
	}
	u, err := p.PlanUpdate(p.Window(time.Now()), Listing{IDs: map[string]bool{"1": true, "6": true}, Count: 6}) // 2 of 6
	if err != nil {
		t.Fatal(err)
	}
	if !u.ShortListing || !slices.Equal(u.Extra, []string{"6"}) {
		t.Errorf("update: %+v", u)
	}
	m, err := p.Run(context.Background(), changed)
	if err != nil {
		t.Fatal(err)
	}
	// Issue 2's attachment a1 is gone from the updated issue itself; issue
	// 4, which the short listing lacks, stays.
	if len(m.Removed) != 1 || m.Removed[0].ID != "2a1" || m.Counts["issue"] != 6 {
		t.Errorf("a short listing removed %+v; counts %v", m.Removed, m.Counts)
	}
	verify(t, out)
}

// planUpdate prepares an update through PlanUpdate, with listed as the
// listing and its size as the API's count.
func planUpdate(t *testing.T, opts Options, listed map[string]bool) (*Prepared, *Update) {
	t.Helper()
	p, err := Prepare(opts)
	if err != nil {
		t.Fatal(err)
	}
	u, err := p.PlanUpdate(p.Window(time.Now()), Listing{IDs: listed, Count: int64(len(listed))})
	if err != nil {
		t.Fatal(err)
	}
	return p, u
}

// An empty listing while the export holds items removes nothing.
func TestEmptyListingRemovesNothing(t *testing.T) {
	out, opts, _, _ := fullThenUpdate(t, true)
	p, u := planUpdate(t, opts, map[string]bool{})
	if !u.ShortListing {
		t.Errorf("update: %+v", u)
	}
	m, err := p.Run(context.Background(), &versionedSource{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Removed) != 0 || m.Counts["issue"] != 5 {
		t.Errorf("an empty listing removed %+v; counts %v", m.Removed, m.Counts)
	}
	verify(t, out)
}

// A new item whose update stops after one of its attachments is written
// is exported whole by the next run; the export is valid in between.
func TestNewItemCutShortIsCompletedNextRun(t *testing.T) {
	out, opts, _, _ := fullThenUpdate(t, false)
	listed := map[string]bool{"1": true, "2": true, "3": true, "4": true, "5": true, "7": true}
	ctx, cancel := context.WithCancel(context.Background())
	cut := &versionedSource{items: map[string]versionedItem{"7": {version: 1, attachments: []string{"a0", "a1"}}}, cancel: cancel, stopAt: "7a1"}
	p, u := planUpdate(t, opts, listed)
	if !slices.Equal(u.Extra, []string{"7"}) {
		t.Fatalf("extra %v, want [7]", u.Extra)
	}
	if _, err := p.Run(ctx, cut); !errors.Is(err, context.Canceled) {
		t.Fatalf("cut short: %v", err)
	}
	verify(t, out)
	if !exists(out, "issues/7/attachments/7a0-a0.bin") || exists(out, "issues/7/issue.json") {
		t.Fatal("the cut did not fall between the item's attachments and its JSON")
	}
	p, u = planUpdate(t, opts, listed)
	if !slices.Equal(u.Extra, []string{"7"}) {
		t.Fatalf("next run's extra %v, want [7]", u.Extra)
	}
	m, err := p.Run(context.Background(), &versionedSource{items: cut.items})
	if err != nil {
		t.Fatal(err)
	}
	verify(t, out)
	if !exists(out, "issues/7/issue.json") || m.Counts["issue"] != 6 || m.Counts["attachment"] != 12 {
		t.Errorf("after the next run: issue 7 there %v, counts %v", exists(out, "issues/7/issue.json"), m.Counts)
	}
}

// An update with an item that keeps failing still updates the rest and
// says so (exit 3); the next update retries the item in the same window.
func TestFailedUpdateIsRetriedByTheNext(t *testing.T) {
	for _, format := range []string{"json,md", "md"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "mirror")
			opts := options(out)
			opts.NoJSON = format == "md"
			full := &versionedSource{items: map[string]versionedItem{
				"1": {version: 1, attachments: []string{"a0"}}, "2": {version: 1, attachments: []string{"a0"}},
			}}
			if _, err := run(context.Background(), t, opts, full); err != nil {
				t.Fatal(err)
			}
			opts.Incremental = true
			listed := map[string]bool{"1": true, "2": true}
			changed := &versionedSource{
				items: map[string]versionedItem{
					"1": {version: 2, attachments: []string{"a0"}}, "2": {version: 2, attachments: []string{"a0", "a1"}},
				},
				failing: map[string]bool{"2a1": true},
			}
			p, _ := planUpdate(t, opts, listed)
			var partial *PartialError
			m, err := p.Run(context.Background(), changed)
			if !errors.As(err, &partial) || m.Complete || m.Incremental == nil || len(m.Failed) == 0 {
				t.Fatalf("update with a failing item: %v, manifest %+v", err, m)
			}
			since := m.Incremental.Since
			// A plain rerun is refused: only an update completes it.
			plain := opts
			plain.Incremental = false
			if _, err := Check(plain); err == nil || !strings.Contains(err.Error(), "--incremental") {
				t.Errorf("plain rerun: %v", err)
			}
			changed.failing = nil
			p, u := planUpdate(t, opts, listed)
			if got, _ := p.Updating(); !got.Equal(since) || len(u.Extra) != 0 {
				t.Errorf("the retry's window starts %v, want %v (extra %v)", got, since, u.Extra)
			}
			m, err = p.Run(context.Background(), changed)
			if err != nil || !m.Complete || len(m.Failed) != 0 {
				t.Fatalf("retry: %v, manifest %+v", err, m)
			}
			verify(t, out)
			name := "issues/2/issue.json"
			if opts.NoJSON {
				name = "issues/2/issue.md"
			}
			b, _ := os.ReadFile(filepath.Join(out, name))
			if !strings.Contains(string(b), `"version":2`) && !strings.Contains(string(b), "v2") || !exists(out, "issues/2/attachments/2a1-a1.bin") {
				t.Errorf("issue 2 after the retry: %s", b)
			}
		})
	}
}

// A file that vanished from the mirror does not stop its item's removal.
func TestRemovalOfAFileAlreadyGone(t *testing.T) {
	out, opts, changed, listed := fullThenUpdate(t, false)
	if err := os.Remove(filepath.Join(out, "issues/4/issue.md")); err != nil {
		t.Fatal(err)
	}
	m, err := runUpdate(context.Background(), t, opts, changed, listed)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, out)
	for _, r := range m.Removed {
		if r.ID == "4" && r.Kind == exportformat.KindMarkdown && r.Path != "" {
			t.Errorf("the vanished file is listed at %s", r.Path)
		}
	}
}

// --prune deletes at most half an export at once: beyond that, what is
// gone moves under removed/, with a warning.
func TestPruneOfMostOfAnExportMovesInstead(t *testing.T) {
	out := filepath.Join(t.TempDir(), "mirror")
	full := &versionedSource{items: map[string]versionedItem{}}
	for i := range 12 {
		full.items[fmt.Sprint(i+1)] = versionedItem{version: 1}
	}
	if _, err := run(context.Background(), t, options(out), full); err != nil {
		t.Fatal(err)
	}
	opts := options(out)
	opts.Incremental, opts.Prune = true, true
	p, _ := planUpdate(t, opts, map[string]bool{"1": true})
	m, err := p.Run(context.Background(), &versionedSource{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || !exists(out, "removed/issues/12/issue.json") || m.Incremental.Removed != 11 {
		t.Errorf("warnings %q, removed %d, removed/issues/12 there %v", p.Warnings, m.Incremental.Removed, exists(out, "removed/issues/12/issue.json"))
	}
	verify(t, out)
}

// failingMirror is a directory sink whose index rewrite does all its work
// (files moved aside) and then fails, as a crash would leave it.
type failingMirror struct {
	sink.Sink
	sink.Mirror
}

func (f failingMirror) ReplaceIndex(write func(io.Writer) error) error {
	if err := write(io.Discard); err != nil {
		return err
	}
	return errors.New("disk gone")
}

// An update cut short while it moves what is gone leaves the removals to
// the next run, which completes them even when its own listing would not
// remove anything, and writes again an item that came back meanwhile.
func TestUpdateCutShortWhileRemovingIsCompleted(t *testing.T) {
	for _, name := range []string{"short listing", "item back"} {
		t.Run(name, func(t *testing.T) {
			out, opts, changed, listed := fullThenUpdate(t, false)
			p, _ := planUpdate(t, opts, listed)
			p.sink = failingMirror{Sink: p.sink, Mirror: p.sink.(sink.Mirror)}
			if _, err := p.Run(context.Background(), changed); !errors.Is(err, ErrFinishUpdate) {
				t.Fatalf("cut short: %v", err)
			}
			if m := readManifestFile(t, out); m.Incremental == nil || !slices.Equal(m.Incremental.Pending, []string{"4"}) {
				t.Fatalf("manifest after the cut: %+v", m.Incremental)
			}
			next := &versionedSource{items: map[string]versionedItem{}}
			again := map[string]bool{}
			if name == "item back" {
				maps.Copy(again, listed)
				again["4"] = true
			}
			p, u := planUpdate(t, opts, again)
			if name == "item back" && !slices.Contains(u.Extra, "4") {
				t.Fatalf("extra %v lacks the item that came back", u.Extra)
			}
			if name == "item back" {
				next.items["4"] = versionedItem{version: 2, attachments: []string{"a0", "a1"}}
			}
			m, err := p.Run(context.Background(), next)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, out)
			if back := exists(out, "issues/4/issue.json"); back != (name == "item back") || len(m.Incremental.Pending) != 0 {
				t.Errorf("issue 4 there %v; pending %v", back, m.Incremental.Pending)
			}
		})
	}
}

// An item that came back in an update cut short, once written, has its
// removed copy dropped by the next run, though that run does not write it.
func TestRestoredItemAcrossAnInterruptedRun(t *testing.T) {
	out, opts, changed, listed := fullThenUpdate(t, false)
	if _, err := runUpdate(context.Background(), t, opts, changed, listed); err != nil {
		t.Fatal(err)
	}
	listed["4"], listed["8"] = true, true
	opts.Concurrency = 1 // issue 4 is written whole before issue 8 begins
	ctx, cancel := context.WithCancel(context.Background())
	cut := &versionedSource{items: map[string]versionedItem{
		"4": {version: 2, attachments: []string{"a0", "a1"}}, "8": {version: 1, attachments: []string{"a0"}},
	}, cancel: cancel, stopAt: "8a0"}
	if _, err := runUpdate(ctx, t, opts, cut, listed); !errors.Is(err, context.Canceled) {
		t.Fatalf("cut short: %v", err)
	}
	if !exists(out, "issues/4/issue.json") {
		t.Fatal("issue 4 was not written before the cut")
	}
	m, err := runUpdate(context.Background(), t, opts, &versionedSource{items: map[string]versionedItem{"8": cut.items["8"]}}, listed)
	if err != nil {
		t.Fatal(err)
	}
	verify(t, out)
	for _, r := range m.Removed {
		if r.Item == "4" {
			t.Errorf("issue 4 is back, yet removed lists %+v", r)
		}
	}
	if exists(out, "removed/issues/4") {
		t.Error("removed/issues/4 is still there")
	}
}

// A new item cut short after its attachments, that then leaves the
// query, leaves nothing behind in the index.
func TestCutShortItemThatLeavesTheQuery(t *testing.T) {
	out, opts, _, _ := fullThenUpdate(t, false)
	listed := map[string]bool{"1": true, "2": true, "3": true, "4": true, "5": true, "7": true}
	ctx, cancel := context.WithCancel(context.Background())
	cut := &versionedSource{items: map[string]versionedItem{"7": {version: 1, attachments: []string{"a0", "a1"}}}, cancel: cancel, stopAt: "7a1"}
	if _, err := runUpdate(ctx, t, opts, cut, listed); !errors.Is(err, context.Canceled) {
		t.Fatalf("cut short: %v", err)
	}
	delete(listed, "7")
	if _, err := runUpdate(context.Background(), t, opts, &versionedSource{}, listed); err != nil {
		t.Fatal(err)
	}
	verify(t, out)
	if n := indexPaths(t, filepath.Join(out, exportformat.IndexName))["issues/7/attachments/7a0-a0.bin"]; n != 0 || exists(out, "issues/7") {
		t.Errorf("issue 7's attachment is still in the index (%d) or the directory", n)
	}
}

// exists reports whether the export in out holds path.
func exists(out, path string) bool {
	_, err := os.Lstat(filepath.Join(out, filepath.FromSlash(path)))
	return err == nil
}

// snapshotDir reads every file under dir, by relative path.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// An index the update cannot trust is refused before anything is written
// or asked of the API, and the export is left as it was.
func TestUpdateRefusesAnIndexItCannotTrust(t *testing.T) {
	for name, damage := range map[string]func(index string) error{
		"a damaged last line": func(index string) error {
			f, err := os.OpenFile(index, os.O_APPEND|os.O_WRONLY, 0)
			if err == nil {
				_, err = f.WriteString(`{"path":"issues/9/iss` + "\n")
				err = errors.Join(err, f.Close())
			}
			return err
		},
		"no index": os.Remove,
		"a bad line before a torn one": func(index string) error {
			b, err := os.ReadFile(index)
			if err == nil {
				err = os.WriteFile(index, append(append([]byte("garbage\n"), b...), `{"path":"to`...), 0o600)
			}
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			out, opts, _, _ := fullThenUpdate(t, false)
			if err := damage(filepath.Join(out, exportformat.IndexName)); err != nil {
				t.Fatal(err)
			}
			before := snapshotDir(t, out)
			var oe *OutError
			if _, err := Prepare(opts); !errors.As(err, &oe) || !strings.Contains(err.Error(), "index.jsonl is unreadable") {
				t.Fatalf("got %v, want the index refused", err)
			}
			if after := snapshotDir(t, out); !maps.Equal(before, after) {
				t.Error("the refused update changed the export")
			}
		})
	}
}

// A resume that is refused leaves the export as it was, torn last line
// included.
func TestRefusedResumeWritesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := run(ctx, t, options(out), &fakeSource{n: 20, attachments: 1, size: 10, stopAfter: 5, cancel: cancel}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	index := filepath.Join(out, exportformat.IndexName)
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index, append(append([]byte("garbage\n"), b...), `{"path":"to`...), 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshotDir(t, out)
	var oe *OutError
	if _, err := Prepare(options(out)); !errors.As(err, &oe) {
		t.Fatalf("got %v, want the resume refused", err)
	}
	if after := snapshotDir(t, out); !maps.Equal(before, after) {
		t.Error("the refused resume changed the export")
	}
}
