package export

import (
	"filippo.io/age"

	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

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
	// Downloads fetches the attachments (an *atlassian.Client).
	Downloads Downloader
	// Incremental updates a complete directory export with what changed
	// (the source is told the window); Prune deletes what the update finds
	// gone rather than moving it under removed/.
	Incremental, Prune bool
	// Recipients encrypt a tarball or standard output export with age.
	Recipients []age.Recipient
	// Lock is Out's lock (sink.LockOutput), which the caller took before
	// Check and holds for the whole run, so that no other run writes Out
	// meanwhile. Without it, the sink takes the lock when Prepare opens it.
	Lock *sink.OutputLock
	// Repair mends a complete directory export: an update (Incremental,
	// never Prune) that fetches the plan's targets again, and nothing else
	// (see RepairPlan).
	Repair *RepairPlan
	// NoJSON leaves out the JSON of items that have Markdown (--format md):
	// their Markdown is then what marks them done. NoMarkdown leaves out
	// the Markdown (--format json).
	NoJSON, NoMarkdown bool

	Stdout           io.Writer
	StdoutIsTerminal bool
	// Cost reports the API requests and rate-limit points spent so far,
	// in all and by endpoint (ClientCost).
	Cost func() (total exportformat.Cost, endpoints map[string]exportformat.Cost)
	// Progress is told about written items; nil: no progress.
	Progress Progress
	Now      func() time.Time
}

// Progress shows a run's progress. Implementations must be safe for
// concurrent use.
type Progress interface {
	// Wrote is told of each item written: its kind (exportformat.KindIssue,
	// KindSpace…), how many attachments it holds, and the bytes of all
	// its files.
	Wrote(kind string, attachments int, bytes int64)
}

// OutError means --out cannot be used: said before any API call (exit 2).
type OutError struct{ Msg string }

func (e *OutError) Error() string { return e.Msg }

func outErrorf(format string, args ...any) error {
	return &OutError{Msg: fmt.Sprintf(format, args...)}
}

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
	opts     Options
	sink     sink.Sink
	manifest exportformat.Manifest
	// stopped is the manifest's stopped once a StopError ended the run.
	stopped      string
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
	opts = repairOptions(opts)
	prev, err := check(opts)
	return err == nil && updating(prev, opts.Incremental), err
}

// check returns the existing export in --out to resume or update, if any.
func check(opts Options) (*exportformat.Manifest, error) {
	if sink.KindOf(opts.Out) == sink.KindDir {
		prev, err := previousManifest(opts.Out)
		if err != nil {
			return nil, err
		}
		if opts.Repair != nil {
			if err := Repairable(prev); err != nil {
				return nil, err
			}
		}
		if prev != nil {
			if err := resumable(prev, opts); err != nil {
				return nil, err
			}
			return prev, nil
		}
	}
	sopts := sink.Options{Stdout: opts.Stdout, StdoutIsTerminal: opts.StdoutIsTerminal}
	if err := sink.Check(opts.Out, sopts); err != nil {
		return nil, outErrorf("--out %s: %v", opts.Out, err)
	}
	return nil, nil
}

// previousManifest reads the manifest of an existing directory export; a
// directory without one is no export (nil), which sink.Check judges.
func previousManifest(dir string) (*exportformat.Manifest, error) {
	b, err := sink.ReadManifest(dir)
	if err != nil {
		return nil, outErrorf("--out %s: %v", dir, err)
	}
	if b == nil {
		return nil, nil
	}
	var m exportformat.Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Format == "" {
		return nil, outErrorf("--out %s holds a manifest.json that is not an aumo export's", dir)
	}
	return &m, nil
}

// Prepare checks --out and opens the sink. For an unfinished directory
// export of the same product, site and query it prepares a resume, and
// for a complete one with --incremental an update; any other existing
// export is refused with the reason.
func Prepare(opts Options) (*Prepared, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	opts = repairOptions(opts)
	prev, err := check(opts)
	if err != nil {
		return nil, err
	}
	p := &Prepared{opts: opts, state: newState(opts.NoJSON), manifest: newManifest(opts)}
	if prev != nil {
		// The previous export is read before the sink opens it: a
		// refusal leaves it as it was.
		if err := p.readPrevious(prev); err != nil {
			return nil, err
		}
	}
	initial, err := json.MarshalIndent(p.manifest, "", "  ")
	if err != nil {
		return nil, err
	}
	sopts := sink.Options{
		Stdout: opts.Stdout, StdoutIsTerminal: opts.StdoutIsTerminal, InitialManifest: initial,
		Resume: prev != nil, Recipients: opts.Recipients, Lock: opts.Lock,
	}
	if p.sink, err = sink.Open(opts.Out, sopts); err != nil {
		return nil, outErrorf("--out %s: %v", opts.Out, err)
	}
	if p.update != nil {
		p.update.mirror = p.sink.(sink.Mirror) // only directory exports update
	}
	return p, nil
}

// newManifest is the manifest of a new export.
func newManifest(opts Options) exportformat.Manifest {
	return exportformat.Manifest{
		Format: exportformat.Format, Product: opts.Product, Site: opts.Site, Query: opts.Query,
		StartedAt: opts.Now().UTC(), Counts: map[string]int64{}, Skipped: []exportformat.Problem{},
		Failed: []exportformat.Problem{}, Redaction: opts.Redaction, Tool: opts.Tool, Options: choices(opts),
	}
}

// readPrevious reads the existing directory export prev describes, to
// update it (an incremental run) or resume it.
func (p *Prepared) readPrevious(prev *exportformat.Manifest) error {
	r, err := sink.OpenReader(p.opts.Out)
	if err != nil || r == nil {
		return outErrorf("--out %s: cannot read it: %v", p.opts.Out, err)
	}
	defer func() { _ = r.Close() }()
	if updating(prev, p.opts.Incremental) {
		// An update: the previous state counts, nothing is done yet.
		up, err := newUpdate(r, prev, p.opts.NoJSON, p.opts.Now().UTC(), p.state, newRepairing(p.opts.Repair))
		if err != nil {
			return outErrorf("--out %s: its index.jsonl is unreadable: %v", p.opts.Out, err)
		}
		p.update = up
		m := *prev
		m.Tool, m.Requests, m.Points, m.Endpoints, m.Incremental = p.opts.Tool, 0, 0, nil, &up.info
		if up.repair != nil {
			// A repair adds to what the export cost.
			m.Requests, m.Points, m.Endpoints, m.Incremental = prev.Requests, prev.Points, prev.Endpoints, prev.Incremental
		}
		m.Skipped = []exportformat.Problem{}
		p.manifest = m
		return nil
	}
	if err := p.state.load(r); err != nil {
		return outErrorf("--out %s: its index.jsonl is unreadable: %v", p.opts.Out, err)
	}
	p.manifest.StartedAt = prev.StartedAt
	// The cost of the earlier runs is part of the export's cost.
	p.manifest.Requests, p.manifest.Points, p.manifest.Endpoints = prev.Requests, prev.Points, prev.Endpoints
	// What earlier runs skipped by design stays skipped; what failed is
	// tried again.
	p.state.skipped = append(p.state.skipped, prev.Skipped...)
	return nil
}

// Close ends a prepared export that will not run: a directory keeps what
// it holds, a tarball's temporary file goes.
func (p *Prepared) Close() error { return p.sink.Abort() }

// SetProgress shows the run's progress on p.
func (p *Prepared) SetProgress(pr Progress) { p.opts.Progress = pr }

// Counts are the manifest's counts as the export stands (a resumed one:
// what the earlier runs wrote), by kind, with "bytes".
func (p *Prepared) Counts() map[string]int64 { return p.state.manifestCounts() }

// Resuming reports whether the run continues an unfinished export, and how
// many items it already holds.
func (p *Prepared) Resuming() (bool, int) { return p.state.resumed, len(p.state.done) }

// resumable says whether a run with opts may continue the existing export
// prev.
func resumable(prev *exportformat.Manifest, opts Options) error {
	if _, ok := prev.Options["format"]; !ok && prev.Options != nil {
		// Exports from before --format hold both.
		prev.Options["format"] = "json,md"
	}
	next := choices(opts)
	switch {
	case prev.Format != exportformat.Format:
		return outErrorf("--out holds an export of format %q, not %q", prev.Format, exportformat.Format)
	case prev.Product != opts.Product:
		return outErrorf("--out holds a %s export, not %s: choose another --out", prev.Product, opts.Product)
	case prev.Site.CloudID != opts.Site.CloudID:
		return outErrorf("--out holds an export of site %s (%s), not %s: choose another --out", prev.Site.Name, prev.Site.URL, opts.Site.URL)
	case prev.Query != opts.Query:
		return outErrorf("--out holds an export of the query %q, not %q: rerun with that query to continue it, or choose another --out", prev.Query, opts.Query)
	case prev.Redaction != opts.Redaction:
		return outErrorf("--out holds an export with redaction %q, and this run's is %q: continue it with the same --keep-account-ids choice, or choose another --out", prev.Redaction, opts.Redaction)
	case !maps.Equal(prev.Options, next):
		return outErrorf("--out holds an export made with other options (%s), and this run's are %s: continue it with the same options, or choose another --out", describeChoices(prev.Options), describeChoices(next))
	case prev.Complete && !opts.Incremental:
		return outErrorf("--out holds a complete export of this query: add --incremental to export what changed since, or choose another --out")
	case prev.Incremental != nil && !opts.Incremental:
		return outErrorf("--out holds an export whose last update did not finish: add --incremental to complete it")
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

// ClientCost is Options.Cost for an export whose requests all go through
// client.
func ClientCost(client *atlassian.Client) func() (exportformat.Cost, map[string]exportformat.Cost) {
	return func() (exportformat.Cost, map[string]exportformat.Cost) {
		st := client.Stats()
		endpoints := make(map[string]exportformat.Cost, len(st.Endpoints))
		for e, c := range st.Endpoints {
			endpoints[e] = exportformat.Cost{Requests: c.Requests, Points: c.Points}
		}
		return exportformat.Cost{Requests: st.Requests, Points: st.Points}, endpoints
	}
}
