package export

import (
	"errors"
	"hash/maphash"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// RemovedDir is where an incremental run moves the files of what it
// found gone, unless --prune.
const RemovedDir = "removed"

// UpdateMargin widens an incremental run's window beyond the previous
// run's start: search indexes lag behind edits, and clocks differ.
const UpdateMargin = 15 * time.Minute

// update is what an incremental run knows of the directory export it
// updates in place. Until it finishes, manifest.json stays the previous
// run's (complete), marked as being updated; an interrupted update leaves
// a valid export that the next run completes.
//
// It keeps little per file, so that exports of 100,000 items stay small:
// the offsets of each item's previous lines in index.jsonl (read again
// when the item is written), and the ids of the previous items.
type update struct {
	info exportformat.Incremental
	prev *exportformat.Manifest
	// mirror reads the export once the sink has opened it.
	mirror sink.Reader
	// owners are the offsets in index.jsonl of each owner's previous
	// lines (see ownerKey); items the previous export's issues, pages and
	// blog posts (those done: their JSON, or Markdown with --format md,
	// is there).
	owners map[string][]int64
	items  map[string]bool
	// compact: no path had two lines when the run started.
	compact bool

	mu sync.Mutex
	// cur are the lines this run wrote (or kept), by path; appended how
	// many it added to the index; uncounted the paths whose previous line
	// no longer counts (or was kept as is).
	cur       map[string]exportformat.IndexLine
	appended  int
	uncounted map[string]bool
	// redone are the owners this run wrote again, writtenIDs the kinds
	// and ids ("attachment/123") it wrote.
	redone     map[string]bool
	writtenIDs map[string]bool
	// listed are the items the query selects now, from the ids-only
	// listing; nil when unknown (nothing is removed then).
	listed map[string]bool
	// repair is set when the update is a repair (see repairing).
	repair *repairing
}

// ownerKey is the object a file belongs to: an issue, page or blog post
// with its Markdown and attachments, or a space, folder or field list.
func ownerKey(l exportformat.IndexLine) string {
	if exportformat.HasMarkdown(l.Kind) || l.Kind == exportformat.KindAttachment || l.Kind == exportformat.KindMarkdown {
		return "item/" + l.Item
	}
	return l.Kind + "/" + l.ID
}

// updating reports whether a run over prev is an update: --incremental
// over a complete export, an update under way, or one that ended with
// failures (which the next update retries, in the same window).
func updating(prev *exportformat.Manifest, incremental bool) bool {
	return incremental && prev != nil && (prev.Complete || prev.Incremental != nil)
}

// eachIndexLine calls fn for every line of the index file name, as
// exportformat.IndexReader reads it. A damaged last line is an error: the
// lines an update appends would bury it.
func eachIndexLine(r sink.Reader, name string, fn func(exportformat.IndexRecord) error) error {
	f, err := r.Open(name)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	ir := exportformat.NewIndexReader(f)
	for ir.Next() {
		if err := fn(ir.Record()); err != nil {
			return err
		}
	}
	if err := ir.Err(); err != nil {
		return err
	}
	return ir.Damage()
}

// latestLines maps each path of the mirror's index (by a hash: a path
// shares one with another at odds of 1 in 2⁶⁴) to the offset of its last
// line, the one that counts.
func latestLines(r sink.Reader, seed maphash.Seed) (map[uint64]int64, error) {
	last := map[uint64]int64{}
	err := eachIndexLine(r, exportformat.IndexName, func(r exportformat.IndexRecord) error {
		last[maphash.String(seed, r.Path)] = r.Offset
		return nil
	})
	return last, err
}

// newUpdate reads the index of the export prev describes, through r. For
// a repair, the owners it leaves alone are done, as a resume's are.
func newUpdate(r sink.Reader, prev *exportformat.Manifest, markdownMarks bool, now time.Time, st *state, repair *repairing) (*update, error) {
	u := &update{
		prev:   prev,
		owners: map[string][]int64{}, items: map[string]bool{},
		cur: map[string]exportformat.IndexLine{}, uncounted: map[string]bool{},
		redone: map[string]bool{}, writtenIDs: map[string]bool{},
		repair: repair,
	}
	seed := maphash.MakeSeed()
	last, err := latestLines(r, seed)
	if err != nil {
		return nil, err
	}
	lines := 0
	err = eachIndexLine(r, exportformat.IndexName, func(r exportformat.IndexRecord) error {
		k := ownerKey(r.IndexLine)
		u.owners[k] = append(u.owners[k], r.Offset)
		lines++
		if last[maphash.String(seed, r.Path)] != r.Offset {
			return nil // an earlier version of the file
		}
		st.count(r.IndexLine)
		if u.whole(r.IndexLine) {
			st.record([]exportformat.IndexLine{r.IndexLine}, false)
		}
		if exportformat.HasMarkdown(r.Kind) || (markdownMarks && r.Kind == exportformat.KindMarkdown) {
			u.items[r.Item] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	u.compact = lines == len(last)
	u.info = window(prev, now)
	return u, nil
}

// window is the update's window: after the previous run's start, or the
// window of an update that did not finish.
func window(prev *exportformat.Manifest, now time.Time) exportformat.Incremental {
	var info exportformat.Incremental
	switch inc := prev.Incremental; {
	case inc != nil && inc.Running:
		info = *inc // an update cut short: same window, same start
	case inc != nil && !prev.Complete:
		// An update that ended with failures: its window again.
		info = exportformat.Incremental{Since: inc.Since, StartedAt: now}
	default:
		info = exportformat.Incremental{Since: prev.StartedAt.Add(-UpdateMargin), StartedAt: now}
	}
	info.Running, info.Updated, info.Removed = true, 0, 0
	return info
}

// previous reads an owner's previous lines, the last for each path.
func (u *update) previous(owner string) ([]exportformat.IndexLine, error) {
	offsets := u.owners[owner]
	if len(offsets) == 0 {
		return nil, nil
	}
	f, err := u.mirror.Open(exportformat.IndexName)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var lines []exportformat.IndexLine
	for _, at := range offsets {
		r := exportformat.NewIndexReader(io.NewSectionReader(f, at, math.MaxInt64-at))
		if !r.Next() {
			return nil, errors.Join(errors.New("read index.jsonl: no line where the index had one"), r.Err())
		}
		l := r.Record().IndexLine
		// Offsets grow: a later line for the same path replaces.
		lines = slices.DeleteFunc(lines, func(o exportformat.IndexLine) bool { return o.Path == l.Path })
		lines = append(lines, l)
	}
	return lines, nil
}

// Updating reports whether the run updates a directory export
// (--incremental), and from when its window starts.
func (p *Prepared) Updating() (since time.Time, ok bool) {
	if p.update == nil {
		return time.Time{}, false
	}
	return p.update.info.Since, true
}

// UpdateResumed reports whether the update completes one that an
// earlier run began (cut short, or ended with failures), in its window.
func (p *Prepared) UpdateResumed() bool {
	if p.update == nil {
		return false
	}
	inc := p.update.prev.Incremental
	return inc != nil && (inc.Running || !p.update.prev.Complete)
}

// previousItems are the ids of the issues, pages and blog posts the
// export an incremental run updates holds, or skipped as listed by the
// search but deleted or forbidden when fetched (which an unchanged one
// stays: it is not asked for again each run).
func (u *update) previousItems() map[string]bool {
	out := map[string]bool{}
	for id := range u.items {
		out[id] = true
	}
	for _, s := range u.prev.Skipped {
		if exportformat.HasMarkdown(s.Kind) && (s.Reason == exportformat.ReasonDeleted || s.Reason == exportformat.ReasonForbidden) {
			out[s.ID] = true
		}
	}
	return out
}

// EachPrevious calls fn with the content of the JSON of every item of kind
// (a space, a folder; not content, which is owned as "item/") the export an incremental run updates holds, for a source that
// needs to know them (the spaces an update searches).
func (p *Prepared) EachPrevious(kind string, fn func(data []byte) error) error {
	if p.update == nil {
		return nil
	}
	var paths []string
	for owner := range p.update.owners {
		if k, id, _ := strings.Cut(owner, "/"); k == kind {
			paths = append(paths, exportformat.ItemPath(kind, id))
		}
	}
	slices.Sort(paths)
	for _, path := range paths {
		data, err := readAll(p.update.mirror, path)
		if err != nil {
			return err
		}
		if err := fn(data); err != nil {
			return err
		}
	}
	return nil
}

func readAll(r sink.Reader, name string) ([]byte, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return io.ReadAll(f)
}

// Listing is what an incremental run learns of the query before it
// writes: what it selects now, and what changed besides the items.
type Listing struct {
	// IDs are every item the query selects now (an ids-only listing);
	// Count is how many the API said it selects (0: unknown).
	IDs   map[string]bool
	Count int64
	// Changed are the items whose parts changed in the window without
	// changing the item (Confluence's comments and attachments).
	Changed map[string]bool
}

// Update is how an incremental run goes: the window, the items to export
// besides the window's, and whether it may remove what the listing
// lacks.
type Update struct {
	// Window is the minutes since the previous run's start, less the
	// margin.
	Window int
	// Extra are the items that newly match the query, changed or not,
	// and those whose parts changed in the window without changing the
	// item (Confluence's comments and attachments).
	Extra []string
	// Listed is how many items the ids-only listing found, Estimate how
	// many the API said the query selects. A listing that is empty while
	// the export is not, or short of the estimate, removes nothing (a
	// search that ended early must not empty a mirror).
	Listed, Estimate int64
	ShortListing     bool
}

// Window is the minutes from the window's start to now, at least one.
func (p *Prepared) Window(now time.Time) int {
	since, _ := p.Updating()
	return max(int(math.Ceil(now.Sub(since).Minutes())), 1)
}

// PlanUpdate prepares an incremental run from what the query selects now:
// the items to write besides the window's, and whether what the listing
// lacks may be removed.
func (p *Prepared) PlanUpdate(window int, l Listing) (*Update, error) {
	if p.update == nil {
		return nil, errors.New("not an incremental run")
	}
	u := &Update{Window: window, Extra: extraItems(p.update.previousItems(), p.update.info.Pending, l), Listed: int64(len(l.IDs)), Estimate: l.Count}
	u.ShortListing = (len(l.IDs) == 0 && len(p.update.items) > 0) || (l.Count > 0 && u.Listed < l.Count*9/10)
	if !u.ShortListing {
		p.update.listed = l.IDs
	}
	return u, nil
}

// extraItems are the items an update writes besides the window's: those
// new to the query (changed or not), those an interrupted attempt had
// begun to remove and that the query selects again, and those whose
// parts changed.
func extraItems(prev map[string]bool, pending []string, l Listing) []string {
	var extra []string
	for id := range l.IDs {
		if !prev[id] {
			extra = append(extra, id)
		}
	}
	for _, id := range pending {
		if l.IDs[id] && prev[id] {
			extra = append(extra, id)
		}
	}
	for id := range l.Changed {
		if l.IDs[id] && prev[id] {
			extra = append(extra, id)
		}
	}
	slices.Sort(extra)
	return slices.Compact(extra)
}

// unchanged finds the previous line of an attachment that has not changed
// since (same id, name, size and time), whose file is still there: the
// run keeps it rather than downloading it again.
func (u *update) unchanged(it *Item, a Attachment, path string) (exportformat.IndexLine, bool, error) {
	lines, err := u.previous("item/" + it.ID)
	if err != nil {
		return exportformat.IndexLine{}, false, err
	}
	for _, l := range lines {
		if l.Kind != exportformat.KindAttachment || l.ID != a.ID || l.Path != path || !l.Updated.Equal(a.Updated) ||
			(a.Size >= 0 && l.Size != a.Size) || (a.MediaID != "" && l.MediaID != "" && a.MediaID != l.MediaID) {
			continue
		}
		return l, u.present(l), nil
	}
	return exportformat.IndexLine{}, false, nil
}

// present reports whether the file of a previous line is there as the
// line says (as far as its size tells, unless a repair found it damaged).
func (u *update) present(l exportformat.IndexLine) bool {
	if u.damaged(l.Path) {
		return false
	}
	fi, err := u.mirror.Lstat(l.Path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() == l.Size
}

// same finds the previous line of path, in owner, that has line's size
// and sha256, with its file still there: the file need not be written
// again.
func (u *update) same(owner string, line exportformat.IndexLine) (bool, error) {
	lines, err := u.previous(owner)
	if err != nil {
		return false, err
	}
	for _, l := range lines {
		if l.Path == line.Path && l.Size == line.Size && l.SHA256 == line.SHA256 {
			return u.present(l), nil
		}
	}
	return false, nil
}

// keep notes a file this run leaves as it is because its previous index
// line already says all that line says: nothing is appended to the
// index. It reports false when the line says something new (or the file
// is not there), which must then be appended (or written).
func (u *update) keep(owner string, line exportformat.IndexLine) (bool, error) {
	lines, err := u.previous(owner)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(lines, func(l exportformat.IndexLine) bool { return sameLine(l, line) })
	if i < 0 || !u.present(lines[i]) {
		return false, nil
	}
	l := lines[i]
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.cur[l.Path]; ok {
		return false, nil // written meanwhile by this run: append
	}
	u.cur[l.Path] = l
	u.writtenIDs[l.Kind+"/"+l.ID] = true
	u.uncounted[l.Path] = true
	return true, nil
}

// sameLine reports whether two index lines say the same.
func sameLine(a, b exportformat.IndexLine) bool {
	return a.Path == b.Path && a.Kind == b.Kind && a.ID == b.ID && a.Key == b.Key && a.Item == b.Item &&
		a.Size == b.Size && a.SHA256 == b.SHA256 && a.Updated.Equal(b.Updated) && a.MediaID == b.MediaID && a.Removed.Equal(b.Removed)
}

// replaces notes a line this run appended to the index, and returns the
// one it replaces, which no longer counts (nil when the path is new).
func (u *update) replaces(l exportformat.IndexLine) (*exportformat.IndexLine, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	defer func() {
		u.cur[l.Path] = l
		u.writtenIDs[l.Kind+"/"+l.ID] = true
		u.appended++
	}()
	if old, ok := u.cur[l.Path]; ok {
		return &old, nil
	}
	if u.uncounted[l.Path] {
		return nil, nil
	}
	u.uncounted[l.Path] = true
	lines, err := u.previous(ownerKey(l))
	if err != nil {
		return nil, err
	}
	for _, old := range lines {
		if old.Path == l.Path {
			return &old, nil
		}
	}
	return nil, nil
}

// wrote notes an item written again.
func (u *update) wrote(lines []exportformat.IndexLine) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, l := range lines {
		u.redone[ownerKey(l)] = true
	}
}

// skippedBefore are the previous run's skips that still hold: those of
// items this run has not written again, and (once the listing is known)
// that the query still selects.
func (u *update) skippedBefore() []exportformat.Problem {
	u.mu.Lock()
	defer u.mu.Unlock()
	return dropProblemsOf(u.prev.Skipped, func(item string) bool {
		return u.redone["item/"+item] || (u.listed != nil && !u.listed[item] && !u.items[item])
	})
}

// dropProblemsOf leaves out the problems of the issues, pages and blog
// posts (and of their attachments) that drop names; those of spaces,
// folders and hits of other types stay.
func dropProblemsOf(ps []exportformat.Problem, drop func(item string) bool) []exportformat.Problem {
	out := ps[:0:0]
	for _, p := range ps {
		item := p.Item
		if item == "" {
			item = p.ID
		}
		ofItem := exportformat.HasMarkdown(p.Kind) || p.Kind == exportformat.KindAttachment || p.Kind == exportformat.KindMarkdown
		if !ofItem || !drop(item) {
			out = append(out, p)
		}
	}
	return out
}
