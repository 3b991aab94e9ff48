package export

import (
	"filippo.io/age"

	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// MemoryLimit is the soft heap limit aumo sets for an export (unless
// GOMEMLIMIT says otherwise): an export's live data is a few batches of
// items, so the garbage collector may work a little harder to keep the
// process small on long runs.
const MemoryLimit = 64 << 20

// DefaultConcurrency is how many items are written at once.
const DefaultConcurrency = 4

// downloadAttempts bounds how often one attachment is fetched from the
// start after a short or oversized body.
const downloadAttempts = 3

// Options describe one export run.
type Options struct {
	Out       string // directory, .tar, .tar.gz/.tgz, .tar.zst or "-"
	Product   string // "jira" or "confluence"
	Site      exportformat.Site
	Query     string // as the user gave it
	Redaction string
	Tool      exportformat.Tool
	// Choices are the options that shape the content (e.g. "fields"); a
	// resume must have the same ones. Attachment choices are added from
	// NoAttachments and MaxAttachmentSize.
	Choices map[string]string

	Concurrency       int   // items written at once; 0: DefaultConcurrency
	NoAttachments     bool  // skip every attachment (reason excluded)
	MaxAttachmentSize int64 // skip larger attachments (reason too-large); 0: no limit
	// Incremental updates a complete directory export with what changed
	// (the plan is told the window); Prune deletes what the update finds
	// gone rather than moving it under removed/.
	Incremental, Prune bool
	// Recipients encrypt a tarball or standard output export with age.
	Recipients []age.Recipient
	// NoJSON leaves out the JSON of items that have Markdown (--format md):
	// their Markdown is then what marks them done. NoMarkdown leaves out
	// the Markdown (--format json).
	NoJSON, NoMarkdown bool

	Stdout           io.Writer
	StdoutIsTerminal bool
	// Cost reports the API requests and rate-limit points spent so far.
	Cost func() (requests, points int64)
	// Progress is told about written items and bytes; nil: no progress.
	Progress Progress
	Now      func() time.Time
}

// Progress shows a run's progress. Implementations must be safe for
// concurrent use.
type Progress interface {
	Add(items int, bytes int64)
}

// OutError means --out cannot be used: said before any API call (exit 2).
type OutError struct{ Msg string }

func (e *OutError) Error() string { return e.Msg }

// PartialError means the export finished with items that failed after
// every retry; they are listed in the manifest (exit 3).
type PartialError struct {
	Failed int
	Out    string
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%d items failed after every retry; they are listed in the manifest's \"failed\" of %s", e.Failed, e.Out)
}

// Prepared is an export whose output has been checked and opened, ready to
// run: Prepare does everything that can refuse --out before any API call.
type Prepared struct {
	opts         Options
	sink         sink.Sink
	manifest     exportformat.Manifest
	state        *state
	update       *update
	checkpointMu sync.Mutex
	// Warnings are what the run wants the user to know besides its
	// result (e.g. an update that moved rather than deleted).
	Warnings []string
	// PruneLimited: --prune would have deleted most of the export, so
	// what is gone was moved under removed/ instead.
	PruneLimited bool
}

// ErrFinishUpdate marks a failure while an update completed its items'
// removals and rewrote the index: the next run completes it.
var ErrFinishUpdate = errors.New("finish the update")

// Check says, without writing anything or calling any API, why --out
// cannot take this export: unusable, not an aumo export, an export of
// another product, site or query, or a complete one (without
// --incremental). It reports whether the run will update a complete
// export (--incremental).
func Check(opts Options) (isUpdate bool, err error) {
	prev, err := check(opts)
	return err == nil && updating(prev, opts.Incremental), err
}

// check returns the unfinished export to resume, if any.
func check(opts Options) (*exportformat.Manifest, error) {
	if sink.KindOf(opts.Out) == "dir" {
		prev, err := readManifest(opts.Out)
		if err != nil {
			return nil, err
		}
		if prev != nil {
			next := exportformat.Manifest{Format: exportformat.Format, Product: opts.Product, Site: opts.Site, Query: opts.Query, Redaction: opts.Redaction, Options: choices(opts)}
			if err := resumable(prev, &next, opts.Incremental); err != nil {
				return nil, err
			}
			return prev, nil
		}
	}
	sopts := sink.Options{Stdout: opts.Stdout, StdoutIsTerminal: opts.StdoutIsTerminal}
	if err := sink.Check(opts.Out, sopts); err != nil {
		return nil, &OutError{Msg: fmt.Sprintf("--out %s: %v", opts.Out, err)}
	}
	return nil, nil
}

// Prepare checks --out and opens the sink. For an unfinished directory
// export of the same product, site and query it prepares a resume; any
// other existing export is refused with the reason.
func Prepare(opts Options) (*Prepared, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	prev, err := check(opts)
	if err != nil {
		return nil, err
	}
	var lines []exportformat.IndexLine
	if prev != nil && !updating(prev, opts.Incremental) {
		if lines, err = readIndex(opts.Out); err != nil {
			return nil, err
		}
	}
	m := exportformat.Manifest{
		Format: exportformat.Format, Product: opts.Product, Site: opts.Site, Query: opts.Query,
		StartedAt: opts.Now().UTC(), Counts: map[string]int64{}, Skipped: []exportformat.Problem{},
		Failed: []exportformat.Problem{}, Redaction: opts.Redaction, Tool: opts.Tool, Options: choices(opts),
	}
	st := newState()
	st.markdownMarks = opts.NoJSON
	var up *update
	if updating(prev, opts.Incremental) {
		// An update: the previous state counts, nothing is done yet.
		if up, err = newUpdate(opts.Out, prev, opts.NoJSON, opts.Now().UTC(), st); err != nil {
			return nil, err
		}
		m = *prev
		m.Tool, m.Requests, m.Points, m.Incremental = opts.Tool, 0, 0, &up.info
		m.Skipped = []exportformat.Problem{}
	} else if prev != nil {
		m.StartedAt = prev.StartedAt
		// The cost of the earlier runs is part of the export's cost.
		m.Requests, m.Points = prev.Requests, prev.Points
		st.load(lines)
		// What earlier runs skipped by design stays skipped; what failed
		// is tried again.
		st.skipped = append(st.skipped, prev.Skipped...)
	}
	initial, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	sopts := sink.Options{Stdout: opts.Stdout, StdoutIsTerminal: opts.StdoutIsTerminal, InitialManifest: initial, Resume: prev != nil, Recipients: opts.Recipients}
	s, err := sink.Open(opts.Out, sopts)
	if err != nil {
		return nil, &OutError{Msg: fmt.Sprintf("--out %s: %v", opts.Out, err)}
	}
	return &Prepared{opts: opts, sink: s, manifest: m, state: st, update: up}, nil
}

// Close ends a prepared export that will not run: a directory keeps what
// it holds, a tarball's temporary file goes.
func (p *Prepared) Close() error { return p.sink.Abort() }

// SetProgress shows the run's progress on p.
func (p *Prepared) SetProgress(pr Progress) { p.opts.Progress = pr }

// Resuming reports whether the run continues an unfinished export, and how
// many items it already holds.
func (p *Prepared) Resuming() (bool, int) { return p.state.resumed, len(p.state.done) }

// readManifest reads the manifest of an existing directory export; a
// directory without one is no export (nil), which sink.Check judges.
func readManifest(dir string) (*exportformat.Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, exportformat.ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &OutError{Msg: fmt.Sprintf("--out %s: %v", dir, err)}
	}
	var m exportformat.Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Format == "" {
		return nil, &OutError{Msg: fmt.Sprintf("--out %s holds a manifest.json that is not an aumo export's", dir)}
	}
	return &m, nil
}

// readIndex reads the index of an unfinished directory export to resume.
func readIndex(dir string) ([]exportformat.IndexLine, error) {
	f, err := os.Open(filepath.Join(dir, exportformat.IndexName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &OutError{Msg: fmt.Sprintf("--out %s: %v", dir, err)}
	}
	defer func() { _ = f.Close() }()
	lines, _, err := exportformat.ReadIndex(f)
	if err != nil {
		return nil, &OutError{Msg: fmt.Sprintf("--out %s: its index.jsonl is unreadable: %v", dir, err)}
	}
	return lines, nil
}

// resumable says whether a run may continue the existing export prev.
func resumable(prev, next *exportformat.Manifest, incremental bool) error {
	if _, ok := prev.Options["format"]; !ok && prev.Options != nil {
		// Exports from before --format hold both.
		prev.Options["format"] = "json,md"
	}
	switch {
	case prev.Format != exportformat.Format:
		return &OutError{Msg: fmt.Sprintf("--out holds an export of format %q, not %q", prev.Format, exportformat.Format)}
	case prev.Product != next.Product:
		return &OutError{Msg: fmt.Sprintf("--out holds a %s export, not %s: choose another --out", prev.Product, next.Product)}
	case prev.Site.CloudID != next.Site.CloudID:
		return &OutError{Msg: fmt.Sprintf("--out holds an export of site %s (%s), not %s: choose another --out", prev.Site.Name, prev.Site.URL, next.Site.URL)}
	case prev.Query != next.Query:
		return &OutError{Msg: fmt.Sprintf("--out holds an export of the query %q, not %q: rerun with that query to continue it, or choose another --out", prev.Query, next.Query)}
	case prev.Redaction != next.Redaction:
		return &OutError{Msg: fmt.Sprintf("--out holds an export with redaction %q, and this run's is %q: continue it with the same --keep-account-ids choice, or choose another --out", prev.Redaction, next.Redaction)}
	case !maps.Equal(prev.Options, next.Options):
		return &OutError{Msg: fmt.Sprintf("--out holds an export made with other options (%s), and this run's are %s: continue it with the same options, or choose another --out", describeChoices(prev.Options), describeChoices(next.Options))}
	case prev.Complete && !incremental:
		return &OutError{Msg: "--out holds a complete export of this query: add --incremental to export what changed since, or choose another --out"}
	case prev.Incremental != nil && !incremental:
		return &OutError{Msg: "--out holds an export whose last update did not finish: add --incremental to complete it"}
	}
	return nil
}

// choices are the content-shaping options recorded in the manifest.
func choices(opts Options) map[string]string {
	c := maps.Clone(opts.Choices)
	if c == nil {
		c = map[string]string{}
	}
	switch {
	case opts.NoAttachments:
		c["attachments"] = "none"
	case opts.MaxAttachmentSize > 0:
		c["attachments"] = fmt.Sprintf("up to %d bytes", opts.MaxAttachmentSize)
	default:
		c["attachments"] = "all"
	}
	switch {
	case opts.NoJSON:
		c["format"] = "md"
	case opts.NoMarkdown:
		c["format"] = "json"
	default:
		c["format"] = "json,md"
	}
	return c
}

func describeChoices(c map[string]string) string {
	keys := slices.Sorted(maps.Keys(c))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+c[k])
	}
	return strings.Join(parts, ", ")
}

// Run exports what plan yields and returns the final manifest. On
// cancellation a directory stays resumable and a tarball is removed.
func (p *Prepared) Run(ctx context.Context, plan Plan) (_ *exportformat.Manifest, err error) {
	defer func() {
		if err != nil {
			_ = p.sink.Abort()
		}
	}()
	if p.update != nil {
		// The manifest says an update is under way from the start.
		if err := p.checkpoint(); err != nil {
			return nil, fmt.Errorf("record progress: %w", err)
		}
	}
	w := &writer{opts: p.opts, sink: p.sink, state: p.state, update: p.update, checkpoint: p.checkpoint}
	items := make(chan *Item, p.opts.Concurrency)
	g, gctx := errgroup.WithContext(ctx)
	for range p.opts.Concurrency {
		g.Go(func() error {
			for it := range items {
				if err := w.item(gctx, it); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(items)
		emit := func(it *Item) error {
			select {
			case items <- it:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return plan.Items(gctx, p.state.isDone, p.state, emit)
	})
	if err := g.Wait(); err != nil {
		if p.update != nil {
			// The manifest's counts follow what was written, so that the
			// export stays valid until the next run completes the update.
			err = errors.Join(err, p.checkpoint())
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}

	m := p.snapshot()
	m.FinishedAt = p.opts.Now().UTC()
	m.Complete = len(m.Failed) == 0
	if p.update != nil {
		// The items are written: the manifest says so before the files
		// of what is gone move.
		if err := p.checkpoint(); err != nil {
			return nil, fmt.Errorf("record progress: %w", err)
		}
		if err := p.finishUpdate(&m); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrFinishUpdate, err)
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := p.sink.Finish(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("finish the export: %w", err)
	}
	if len(m.Failed) > 0 {
		return &m, &PartialError{Failed: len(m.Failed), Out: p.opts.Out}
	}
	return &m, nil
}

// checkpointEvery is how many items may pass between two checkpoints of
// an unfinished directory export's manifest.
const checkpointEvery = 200

// snapshot is the manifest as things stand.
func (p *Prepared) snapshot() exportformat.Manifest {
	m := p.manifest
	m.Skipped, m.Failed = p.state.problems()
	if p.update != nil {
		m.Skipped = sortProblems(append(p.update.skippedBefore(), m.Skipped...))
		info := p.update.info
		m.Incremental = &info
	}
	m.Counts = p.state.manifestCounts()
	m.Counts["skipped"] = int64(len(m.Skipped))
	if p.opts.Cost != nil {
		requests, points := p.opts.Cost()
		m.Requests += requests
		m.Points += points
	}
	return m
}

// checkpoint records the manifest so far (complete:false) so that a resumed
// run keeps what this one skipped. Checkpoints are serialised, so a later
// one never loses to an earlier.
func (p *Prepared) checkpoint() error {
	p.checkpointMu.Lock()
	defer p.checkpointMu.Unlock()
	m := p.snapshot()
	if p.update != nil {
		// While an update runs, the export is the previous one, some items
		// already updated: its failures are said when it finishes.
		m.Complete, m.Failed = p.manifest.Complete, p.manifest.Failed
		m.Counts["failed"] = int64(len(m.Failed))
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return p.sink.Checkpoint(append(b, '\n'))
}

// writer writes items through the sink.
type writer struct {
	opts       Options
	sink       sink.Sink
	state      *state
	update     *update
	checkpoint func() error
	written    atomic.Int64
}

// item writes an item's attachments, then its Markdown, then its JSON. An
// attachment that keeps failing fails the whole item, whose own file is
// then not written: a rerun exports it again.
func (w *writer) item(ctx context.Context, it *Item) error {
	skips := w.state.skipCount()
	if err := w.writeItem(ctx, it); err != nil {
		return err
	}
	// A skip of a written item's attachment would be lost with a crash
	// unless the manifest says it now; other items are checkpointed now
	// and then.
	if w.state.skipCount() != skips || w.written.Add(1)%checkpointEvery == 0 {
		if err := w.checkpoint(); err != nil {
			return fmt.Errorf("record progress: %w", err)
		}
	}
	return nil
}

func (w *writer) writeItem(ctx context.Context, it *Item) error {
	var lines []exportformat.IndexLine
	for _, a := range it.Attachments {
		switch {
		case w.opts.NoAttachments:
			w.state.Skip(exportformat.Problem{Kind: exportformat.KindAttachment, ID: a.ID, Item: it.ID, Reason: exportformat.ReasonExcluded, Detail: "--no-attachments"})
			continue
		case w.opts.MaxAttachmentSize > 0 && a.Size > w.opts.MaxAttachmentSize:
			w.state.Skip(tooLarge(it, a, w.opts.MaxAttachmentSize))
			continue
		}
		if w.update != nil {
			line, ok, err := w.update.unchanged(w.opts.Out, it, a, sink.AttachmentPath(it.Dir, a.ID, a.Name))
			if err != nil {
				return err
			}
			if ok {
				// Unchanged since the previous run: kept, not downloaded
				// (its index line written again only if it says more).
				line.Key = it.Key
				if kept, err := w.update.keep(w.opts.Out, ownerKey(line), line); err != nil {
					return err
				} else if !kept {
					if err := w.appendLine(line); err != nil {
						return err
					}
				}
				lines = append(lines, line)
				continue
			}
		}
		line, err := w.attachment(ctx, it, a)
		var big *tooLargeError
		switch {
		case errors.As(err, &big):
			w.state.Skip(tooLarge(it, a, w.opts.MaxAttachmentSize))
			continue
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case atlassian.IsNotFound(err) && !fromMediaHost(err):
			w.state.Skip(exportformat.Problem{Kind: exportformat.KindAttachment, ID: a.ID, Item: it.ID, Reason: exportformat.ReasonDeleted, Detail: "the attachment is gone"})
			continue
		case atlassian.IsForbidden(err) && !fromMediaHost(err):
			w.state.Skip(exportformat.Problem{Kind: exportformat.KindAttachment, ID: a.ID, Item: it.ID, Reason: exportformat.ReasonForbidden, Detail: "no permission to download it"})
			continue
		case err != nil && !itemError(err):
			return err // the grant, the network or the disk: stop, resumably
		case err != nil:
			w.state.Fail(exportformat.Problem{Kind: exportformat.KindAttachment, ID: a.ID, Item: it.ID, Reason: "download", Detail: err.Error()})
			w.state.Fail(exportformat.Problem{Kind: it.Kind, ID: it.ID, Item: it.ID, Reason: "attachment", Detail: "attachment " + a.ID + " failed; rerun to retry"})
			return nil
		}
		lines = append(lines, line)
	}
	hasMarkdown := it.RenderMarkdown != nil || it.Markdown != nil
	if w.opts.NoMarkdown {
		it.RenderMarkdown, it.Markdown = nil, nil
	}
	if it.RenderMarkdown != nil {
		names := map[string]string{}
		for _, a := range it.Attachments {
			names[a.ID] = a.Name
		}
		var files []AttachmentFile
		for _, l := range lines {
			files = append(files, AttachmentFile{ID: l.ID, Name: names[l.ID], Path: strings.TrimPrefix(l.Path, it.Dir+"/"), MediaID: l.MediaID})
		}
		it.Markdown = it.RenderMarkdown(files)
	}
	if it.Markdown != nil {
		line, err := w.putBytes(ctx, it.MarkdownPath, it.Markdown, exportformat.IndexLine{
			Kind: exportformat.KindMarkdown, ID: it.ID, Key: it.Key, Item: it.ID, Updated: it.Updated})
		if err != nil {
			return err
		}
		lines = append(lines, line)
	}
	if !w.opts.NoJSON || !hasMarkdown {
		line, err := w.putBytes(ctx, it.Path, it.JSON, exportformat.IndexLine{
			Kind: it.Kind, ID: it.ID, Key: it.Key, Item: it.ID, Updated: it.Updated})
		if err != nil {
			return err
		}
		lines = append(lines, line)
	}
	if w.update != nil {
		w.update.wrote(lines)
	}
	w.state.record(lines, w.update == nil)
	if w.opts.Progress != nil {
		var n int64
		for _, l := range lines {
			n += l.Size
		}
		w.opts.Progress.Add(1, n)
	}
	return nil
}

// putBytes writes an item's own file (its JSON or Markdown). An update
// keeps the file already there when it holds the same bytes.
func (w *writer) putBytes(ctx context.Context, path string, data []byte, line exportformat.IndexLine) (exportformat.IndexLine, error) {
	if w.update != nil {
		sum := sha256.Sum256(data)
		line.Path, line.Size, line.SHA256 = path, int64(len(data)), hex.EncodeToString(sum[:])
		ok, err := w.update.keep(w.opts.Out, ownerKey(line), line)
		if err != nil || ok {
			return line, err
		}
		if ok, err := w.update.same(w.opts.Out, ownerKey(line), line); err != nil || ok {
			// The same bytes: only the index line is new.
			if err == nil {
				err = w.appendLine(line)
			}
			return line, err
		}
	}
	return w.put(ctx, path, bytes.NewReader(data), line)
}

// put writes one file and appends its index line.
func (w *writer) put(ctx context.Context, path string, r io.Reader, line exportformat.IndexLine) (exportformat.IndexLine, error) {
	e, err := w.sink.Put(ctx, path, r)
	if err != nil {
		return line, err
	}
	line.Path, line.Size, line.SHA256 = e.Path, e.Size, e.SHA256
	return line, w.appendLine(line)
}

func (w *writer) appendLine(line exportformat.IndexLine) error {
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	if err := w.sink.AppendIndex(b); err != nil {
		return fmt.Errorf("append to the index: %w", err)
	}
	if w.update != nil {
		// An update's counts follow the index line by line: the
		// export stays whole whenever the run stops.
		old, err := w.update.replaces(line)
		if err != nil {
			return err
		}
		w.state.swap(old, line)
	}
	return nil
}

func (w *writer) attachment(ctx context.Context, it *Item, a Attachment) (exportformat.IndexLine, error) {
	path := sink.AttachmentPath(it.Dir, a.ID, a.Name)
	var lastErr error
	for attempt := range downloadAttempts {
		if attempt > 0 {
			if err := sleep(ctx, retryPause*time.Duration(attempt)); err != nil {
				return exportformat.IndexLine{}, err
			}
		}
		dl, err := a.Open(ctx)
		if err != nil && transient(err) {
			lastErr = err // the media host failed on the way; a new link may work
			continue
		}
		if err != nil {
			return exportformat.IndexLine{}, fmt.Errorf("download attachment %s of %s: %w", a.ID, it.ID, err)
		}
		mediaID := a.MediaID
		if dl.MediaID != "" {
			mediaID = dl.MediaID
		}
		body := &checkedReader{r: dl.Body, want: a.Size, limit: w.opts.MaxAttachmentSize}
		line, err := w.put(ctx, path, body, exportformat.IndexLine{
			Kind: exportformat.KindAttachment, ID: a.ID, Key: it.Key, Item: it.ID, Updated: a.Updated, MediaID: mediaID})
		_ = dl.Body.Close()
		if err == nil {
			return line, nil
		}
		if body.err == nil || ctx.Err() != nil {
			return line, err // the sink failed, not the download
		}
		var big *tooLargeError
		if errors.As(body.err, &big) {
			return line, body.err
		}
		lastErr = body.err
	}
	return exportformat.IndexLine{}, fmt.Errorf("download attachment %s of %s: %w (after %d tries)", a.ID, it.ID, lastErr, downloadAttempts)
}

// retryPause is the first pause before an attachment is fetched again;
// tests shorten it.
var retryPause = time.Second

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// fromMediaHost reports an error the media host answered.
func fromMediaHost(err error) bool {
	var apiErr *atlassian.Error
	return errors.As(err, &apiErr) && apiErr.Media
}

// transient reports a download failure that another try may not meet: the
// media host refusing a link (a fresh one comes with the next try) or
// answering 429 or 5xx, or a connection that broke. (The API gateway's own
// failures are retried by the HTTP layer.)
func transient(err error) bool {
	var apiErr *atlassian.Error
	if errors.As(err, &apiErr) {
		return apiErr.Media || apiErr.Status == 429 || apiErr.Status >= 500
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// itemError tells a failure of one attachment (a broken download, an
// error the API gave for it) from one that stops the export (a dead grant,
// a missing scope, a failing disk).
func itemError(err error) bool {
	var exhausted *atlassian.RetryExhaustedError
	if errors.As(err, &exhausted) || errors.Is(err, errSize) || transient(err) {
		return true
	}
	var apiErr *atlassian.Error
	return errors.As(err, &apiErr) && apiErr.Status >= 400 && apiErr.Status < 500 && apiErr.Status != 401
}

func tooLarge(it *Item, a Attachment, limit int64) exportformat.Problem {
	return exportformat.Problem{Kind: exportformat.KindAttachment, ID: a.ID, Item: it.ID, Reason: exportformat.ReasonTooLarge,
		Detail: fmt.Sprintf("%d bytes, over --max-attachment-size %d", a.Size, limit)}
}

type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string { return fmt.Sprintf("larger than %d bytes", e.limit) }

// errSize means a download ended at another size than the API stated.
var errSize = errors.New("the download's size differs from the attachment's")

// checkedReader checks a download against the stated size and the size
// limit while it streams, and remembers its own failure so the writer can
// tell a broken download from a failing sink.
type checkedReader struct {
	r     io.Reader
	want  int64 // -1: unknown
	limit int64 // 0: none
	n     int64
	err   error
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	switch {
	case c.limit > 0 && c.n > c.limit:
		c.err = &tooLargeError{limit: c.limit}
	case c.want >= 0 && c.n > c.want:
		c.err = errSize
	case errors.Is(err, io.EOF) && c.want >= 0 && c.n != c.want:
		c.err = fmt.Errorf("%w: %d of %d bytes", errSize, c.n, c.want)
	case err != nil && !errors.Is(err, io.EOF):
		c.err = err
	}
	if c.err != nil {
		return n, c.err
	}
	return n, err
}

// state is what the run knows: items already done (resume), what has been
// written, and the problems met. It holds one key per item, not per file,
// so that memory stays small for exports of 100,000 items. Safe for
// concurrent use.
type state struct {
	mu      sync.Mutex
	resumed bool
	done    map[string]struct{} // kind + "/" + id of finished items
	// markdownMarks: an item's Markdown, written last, marks it done
	// (--format md), as its JSON does otherwise.
	markdownMarks bool
	counts        map[string]int64
	skipped       []exportformat.Problem
	failed        []exportformat.Problem
}

func newState() *state {
	return &state{done: map[string]struct{}{}, counts: map[string]int64{}}
}

func isItemKind(kind string) bool {
	return kind != exportformat.KindAttachment && kind != exportformat.KindMarkdown
}

// hasMarkdown reports whether items of kind get a Markdown file.
func hasMarkdown(kind string) bool {
	return kind == exportformat.KindIssue || kind == exportformat.KindPage || kind == exportformat.KindBlogpost
}

// marks reports whether an index line marks its item done.
func (s *state) marks(l exportformat.IndexLine) bool {
	return isItemKind(l.Kind) || (s.markdownMarks && l.Kind == exportformat.KindMarkdown)
}

// load takes over an unfinished export's index. Files of items that are
// not done will be written again, so only done items' files count.
func (s *state) load(lines []exportformat.IndexLine) {
	s.resumed = true
	owners := map[string]struct{}{}
	for _, l := range lines {
		if s.marks(l) {
			s.done[l.Kind+"/"+l.ID] = struct{}{}
			owners[l.Item] = struct{}{}
		}
	}
	for _, l := range lines {
		if _, ok := owners[l.Item]; ok {
			s.count(l)
		}
	}
}

// record notes a finished item's files, counting them unless they were
// counted as written (an update).
func (s *state) record(lines []exportformat.IndexLine, count bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range lines {
		if s.marks(l) {
			s.done[l.Kind+"/"+l.ID] = struct{}{}
		}
		if count {
			s.count(l)
		}
	}
}

// swap counts a file an update wrote in place of old (nil: a new path).
func (s *state) swap(old *exportformat.IndexLine, l exportformat.IndexLine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old != nil {
		s.counts[old.Kind]--
		s.counts["files"]--
		s.counts["bytes"] -= old.Size
	}
	s.count(l)
}

func (s *state) count(l exportformat.IndexLine) {
	s.counts[l.Kind]++
	s.counts["files"]++
	s.counts["bytes"] += l.Size
}

func (s *state) isDone(kind, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.done[kind+"/"+id]
	if !ok && s.markdownMarks && hasMarkdown(kind) {
		_, ok = s.done[exportformat.KindMarkdown+"/"+id]
	}
	return ok
}

func (s *state) skipCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.skipped)
}

// Skip implements Problems.
func (s *state) Skip(p exportformat.Problem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skipped = append(s.skipped, p)
}

// Fail implements Problems.
func (s *state) Fail(p exportformat.Problem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed = append(s.failed, p)
}

func (s *state) problems() (skipped, failed []exportformat.Problem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortProblems(s.skipped), sortProblems(s.failed)
}

// sortProblems sorts problems and keeps each one once: a resumed run
// meets again what an earlier run already skipped.
func sortProblems(ps []exportformat.Problem) []exportformat.Problem {
	out := append([]exportformat.Problem{}, ps...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Item < b.Item
	})
	return slices.CompactFunc(out, func(a, b exportformat.Problem) bool {
		return a.Kind == b.Kind && a.ID == b.ID && a.Item == b.Item
	})
}

// manifestCounts are the manifest's counts: files by kind, all files,
// bytes, and the problems.
func (s *state) manifestCounts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := map[string]int64{}
	for k, v := range s.counts {
		c[k] = v
	}
	c["skipped"] = int64(len(s.skipped))
	c["failed"] = int64(len(s.failed))
	return c
}
