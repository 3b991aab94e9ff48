package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
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

// pruneShare is the share of the previous items beyond which --prune
// moves what is gone under removed/ rather than deleting it: a search
// gone wrong must not wipe a mirror.
const pruneShare = 0.5

// update is what an incremental run knows of the directory export it
// updates in place. Until it finishes, manifest.json stays the previous
// run's (complete), marked as being updated; an interrupted update leaves
// a valid export that the next run completes.
//
// It keeps little per file, so that exports of 100,000 items stay small:
// the offsets of each item's previous lines in index.jsonl (read again
// when the item is written), and the ids of the previous items.
type update struct {
	info  exportformat.Incremental
	prev  *exportformat.Manifest
	index string // index.jsonl's path
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
}

// ownerKey is the object a file belongs to: an issue, page or blog post
// with its Markdown and attachments, or a space, folder or field list.
func ownerKey(l exportformat.IndexLine) string {
	switch l.Kind {
	case exportformat.KindAttachment, exportformat.KindMarkdown, exportformat.KindIssue, exportformat.KindPage, exportformat.KindBlogpost:
		return "item/" + l.Item
	}
	return l.Kind + "/" + l.ID
}

func isContentKind(kind string) bool {
	return kind == exportformat.KindIssue || kind == exportformat.KindPage || kind == exportformat.KindBlogpost
}

// updating reports whether a run over prev is an update: --incremental
// over a complete export, an update under way, or one that ended with
// failures (which the next update retries, in the same window).
func updating(prev *exportformat.Manifest, incremental bool) bool {
	return incremental && prev != nil && (prev.Complete || prev.Incremental != nil)
}

// indexRecord is a line of index.jsonl and where it starts.
type indexRecord struct {
	line exportformat.IndexLine
	at   int64
}

// eachIndexLine calls fn for every whole line of the index file at path,
// with its offset.
func eachIndexLine(path string, fn func(indexRecord) error) error {
	return eachRawLine(path, func(raw []byte, at int64, n int) error {
		r := indexRecord{at: at}
		if err := json.Unmarshal(raw, &r.line); err != nil {
			return &exportformat.IndexLineError{Line: n, Err: err}
		}
		return fn(r)
	})
}

// eachRawLine calls fn for every whole, non-blank line of the file at
// path, with its offset and number; a torn last line is no line.
func eachRawLine(path string, fn func(raw []byte, at int64, n int) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	br := bufio.NewReaderSize(f, 64<<10)
	var at int64
	for n := 1; ; n++ {
		raw, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			var long []byte
			long, err = br.ReadBytes('\n')
			raw = append(append([]byte(nil), raw...), long...)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		start := at
		at += int64(len(raw))
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if err := fn(raw, start, n); err != nil {
			return err
		}
	}
}

// latestLines maps each path of the index at path (by a hash: a path
// shares one with another at odds of 1 in 2⁶⁴) to the offset of its last
// line, the one that counts.
func latestLines(path string, seed maphash.Seed) (map[uint64]int64, error) {
	last := map[uint64]int64{}
	err := eachRawLine(path, func(raw []byte, at int64, n int) error {
		var l struct {
			Path string `json:"path"`
		}
		if err := json.Unmarshal(raw, &l); err != nil {
			return &exportformat.IndexLineError{Line: n, Err: err}
		}
		last[maphash.String(seed, l.Path)] = at
		return nil
	})
	return last, err
}

func newUpdate(out string, prev *exportformat.Manifest, markdownMarks bool, now time.Time, st *state) (*update, error) {
	u := &update{
		prev: prev, index: filepath.Join(out, exportformat.IndexName),
		owners: map[string][]int64{}, items: map[string]bool{},
		cur: map[string]exportformat.IndexLine{}, uncounted: map[string]bool{},
		redone: map[string]bool{}, writtenIDs: map[string]bool{},
	}
	seed := maphash.MakeSeed()
	last, err := latestLines(u.index, seed)
	if err != nil {
		return nil, &OutError{Msg: fmt.Sprintf("--out %s: its index.jsonl is unreadable: %v", out, err)}
	}
	lines := 0
	err = eachIndexLine(u.index, func(r indexRecord) error {
		l := r.line
		k := ownerKey(l)
		u.owners[k] = append(u.owners[k], r.at)
		lines++
		if last[maphash.String(seed, l.Path)] != r.at {
			return nil // an earlier version of the file
		}
		st.count(l)
		if isContentKind(l.Kind) || (markdownMarks && l.Kind == exportformat.KindMarkdown) {
			u.items[l.Item] = true
		}
		return nil
	})
	if err != nil {
		return nil, &OutError{Msg: fmt.Sprintf("--out %s: its index.jsonl is unreadable: %v", out, err)}
	}
	u.compact = lines == len(last)
	switch inc := prev.Incremental; {
	case inc != nil && inc.Running:
		u.info = *inc // an update cut short: same window, same start
	case inc != nil && !prev.Complete:
		// An update that ended with failures: its window again.
		u.info = exportformat.Incremental{Since: inc.Since, StartedAt: now}
	default:
		u.info = exportformat.Incremental{Since: prev.StartedAt.Add(-UpdateMargin), StartedAt: now}
	}
	u.info.Running, u.info.Updated, u.info.Removed = true, 0, 0
	return u, nil
}

// previous reads an owner's previous lines, the last for each path.
func (u *update) previous(owner string) ([]exportformat.IndexLine, error) {
	offsets := u.owners[owner]
	if len(offsets) == 0 {
		return nil, nil
	}
	f, err := os.Open(u.index)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var lines []exportformat.IndexLine
	for _, at := range offsets {
		raw, err := bufio.NewReader(io.NewSectionReader(f, at, 1<<20)).ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("read index.jsonl at %d: %w", at, err)
		}
		var l exportformat.IndexLine
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("read index.jsonl at %d: %w", at, err)
		}
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

// PreviousItems are the ids of the issues, pages and blog posts the
// export an incremental run updates holds, or skipped as listed by the
// search but deleted or forbidden when fetched (which an unchanged one
// stays: it is not asked for again each run).
func (p *Prepared) PreviousItems() map[string]bool {
	out := map[string]bool{}
	if p.update == nil {
		return out
	}
	for id := range p.update.items {
		out[id] = true
	}
	for _, s := range p.update.prev.Skipped {
		if isContentKind(s.Kind) && (s.Reason == exportformat.ReasonDeleted || s.Reason == exportformat.ReasonForbidden) {
			out[s.ID] = true
		}
	}
	return out
}

// PreviousFiles are the paths of the previous export's files of kind, for
// a plan that needs to read them (e.g. the spaces an update searches).
func (p *Prepared) PreviousFiles(kind string) []string {
	var out []string
	if p.update == nil {
		return out
	}
	for owner := range p.update.owners {
		k, id, _ := strings.Cut(owner, "/")
		if k == kind && (kind == exportformat.KindSpace || kind == exportformat.KindFolder) {
			out = append(out, filepath.Join(p.opts.Out, kind+"s", id+".json"))
		}
	}
	slices.Sort(out)
	return out
}

// SetListed tells an incremental run what the query selects now (the
// ids of an ids-only listing): what the previous export holds and the
// query no longer selects is removed when the run finishes.
func (p *Prepared) SetListed(ids map[string]bool) {
	if p.update != nil {
		p.update.listed = ids
	}
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

// PlanUpdate prepares an incremental run as of now. list gives the ids of
// every item the query selects now, and the API's own count of them;
// changed, when set, the items whose parts changed in the window.
func (p *Prepared) PlanUpdate(ctx context.Context, now time.Time, list func(context.Context) (map[string]bool, int64, error),
	changed func(ctx context.Context, window int) (map[string]bool, error)) (*Update, error) {
	since, ok := p.Updating()
	if !ok {
		return nil, errors.New("not an incremental run")
	}
	window := max(int(math.Ceil(now.Sub(since).Minutes())), 1)
	listed, estimate, err := list(ctx)
	if err != nil {
		return nil, err
	}
	var extra []string
	prev := p.PreviousItems()
	for id := range listed {
		if !prev[id] {
			extra = append(extra, id) // new to the query, changed or not
		}
	}
	// An item an interrupted attempt had begun to remove, and that the
	// query selects again, is written again whole.
	for _, id := range p.update.info.Pending {
		if listed[id] && prev[id] {
			extra = append(extra, id)
		}
	}
	if changed != nil {
		parts, err := changed(ctx, window)
		if err != nil {
			return nil, err
		}
		for id := range parts {
			if listed[id] && prev[id] {
				extra = append(extra, id)
			}
		}
	}
	slices.Sort(extra)
	u := &Update{Window: window, Extra: extra, Listed: int64(len(listed)), Estimate: estimate}
	u.ShortListing = (len(listed) == 0 && len(p.update.items) > 0) || (estimate > 0 && u.Listed < estimate*9/10)
	if !u.ShortListing {
		p.SetListed(listed)
	}
	return u, nil
}

// unchanged finds the previous line of an attachment that has not changed
// since (same id, name, size and time), whose file is still there: the
// run keeps it rather than downloading it again.
func (u *update) unchanged(out string, it *Item, a Attachment, path string) (exportformat.IndexLine, bool, error) {
	lines, err := u.previous("item/" + it.ID)
	if err != nil {
		return exportformat.IndexLine{}, false, err
	}
	for _, l := range lines {
		if l.Kind != exportformat.KindAttachment || l.ID != a.ID || l.Path != path || !l.Updated.Equal(a.Updated) ||
			(a.Size >= 0 && l.Size != a.Size) || (a.MediaID != "" && l.MediaID != "" && a.MediaID != l.MediaID) {
			continue
		}
		fi, err := lstat(out, l.Path)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() != l.Size {
			return l, false, nil
		}
		return l, true, nil
	}
	return exportformat.IndexLine{}, false, nil
}

// same finds the previous line of path, in owner, that has line's size
// and sha256, with its file still there: the file need not be written
// again.
func (u *update) same(out, owner string, line exportformat.IndexLine) (bool, error) {
	lines, err := u.previous(owner)
	if err != nil {
		return false, err
	}
	for _, l := range lines {
		if l.Path == line.Path && l.Size == line.Size && l.SHA256 == line.SHA256 {
			fi, err := lstat(out, l.Path)
			return err == nil && fi.Mode().IsRegular() && fi.Size() == l.Size, nil
		}
	}
	return false, nil
}

// keep notes a file this run leaves as it is because its previous index
// line already says all that line says: nothing is appended to the
// index. It reports false when the line says something new (or the file
// is not there), which must then be appended (or written).
func (u *update) keep(out, owner string, line exportformat.IndexLine) (bool, error) {
	lines, err := u.previous(owner)
	if err != nil {
		return false, err
	}
	for _, l := range lines {
		if !sameLine(l, line) {
			continue
		}
		if fi, err := lstat(out, l.Path); err != nil || !fi.Mode().IsRegular() || fi.Size() != l.Size {
			return false, nil
		}
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
	return false, nil
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
		ofItem := isContentKind(p.Kind) || p.Kind == exportformat.KindAttachment || p.Kind == exportformat.KindMarkdown
		if !ofItem || !drop(item) {
			out = append(out, p)
		}
	}
	return out
}

// finishUpdate ends an update once its items are written. The files of
// items the query no longer selects, and of attachments their updated
// item no longer has, move under removed/ (listed in removed/index.jsonl)
// or go with --prune; the index is rewritten without them and without
// the lines later ones replace; the manifest says what happened. It does
// not heed cancellation: once begun, it completes. Cut short by a crash,
// the next run completes it (a move already made is no error).
func (p *Prepared) finishUpdate(m *exportformat.Manifest) error {
	u := p.update
	mirror, ok := p.sink.(sink.Mirror)
	if !ok {
		return errors.New("--incremental needs a directory export")
	}
	now := p.opts.Now().UTC()
	removedBefore, err := readRemovedIndex(p.opts.Out)
	if err != nil {
		return err
	}

	// What goes: the items not listed (unless so many would be deleted
	// that the listing is more likely wrong than the mirror).
	goneItems := map[string]bool{}
	if u.listed != nil {
		for owner := range u.owners {
			if id, ok := strings.CutPrefix(owner, "item/"); ok && !u.listed[id] && !u.redone[owner] {
				goneItems[id] = true
			}
		}
	}
	// What an earlier attempt found gone and had begun to move stays
	// gone, whatever this run's listing says (unless written again).
	for _, id := range u.info.Pending {
		if !u.redone["item/"+id] {
			goneItems[id] = true
		}
	}
	prune := p.opts.Prune
	if prune && len(goneItems) > 10 && float64(len(goneItems)) > pruneShare*float64(len(u.items)) {
		prune = false
		p.PruneLimited = true
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d of the %d items are gone from the query: they are moved under %s/ rather than deleted (--prune deletes at most half of an export of more than ten items at once)", len(goneItems), len(u.items), RemovedDir))
	}

	// A file listed under removed/ whose original is both missing and
	// still in the index was moved by a run cut short before it rewrote
	// the index: its line goes now. One whose original is there again
	// may be back.
	healed := map[string]bool{}
	backAgain := false
	for _, l := range removedBefore {
		orig := strings.TrimPrefix(l.Path, RemovedDir+"/")
		if exists(p.opts.Out, orig) {
			backAgain = true
		} else {
			healed[orig] = true
		}
	}
	if u.appended == 0 && len(goneItems) == 0 && u.compact && !backAgain && !healedInIndex(u, healed) {
		// Nothing written, nothing gone: the index stays as it is, and
		// so do its counts.
		p.closeUpdate(m, nil, 0, len(removedBefore), nil)
		return nil
	}
	if len(goneItems) > 0 {
		// Said before any file moves: cut short, the next run completes
		// these removals, whatever its own listing says.
		u.info.Pending = slices.Sorted(maps.Keys(goneItems))
		if err := p.checkpoint(); err != nil {
			return err
		}
	}
	seed := maphash.MakeSeed()
	last, err := latestLines(u.index, seed)
	if err != nil {
		return fmt.Errorf("read index.jsonl: %w", err)
	}
	var (
		removals []exportformat.Removal
		removed  []exportformat.IndexLine // lines of removed/index.jsonl
		counts   = map[string]int64{}
		dropped  bool // whether the index changes
		// removedFiles are the files under removed/ once done.
		removedFiles = len(removedBefore)
	)
	// Earlier runs' removed files stay, unless their item came back: the
	// original path is in the index again, and stays.
	restored := map[string]bool{}
	var keptBefore []exportformat.IndexLine
	for _, l := range removedBefore {
		orig := strings.TrimPrefix(l.Path, RemovedDir+"/")
		_, live := last[maphash.String(seed, orig)]
		_, fresh := u.cur[orig]
		owner := "item/" + l.Item
		if live && !healed[orig] && !goneItems[l.Item] && (fresh || !u.redone[owner]) {
			restored[l.Path] = true
			continue
		}
		keptBefore = append(keptBefore, l)
	}
	// writeRemoved writes removed/index.jsonl once the files have moved,
	// before index.jsonl changes: cut short in between, the next run
	// finds the files already moved, and listed.
	writeRemoved := func() error {
		all := slices.Clone(removed)
		moved := map[string]bool{}
		for _, l := range removed {
			moved[l.Path] = true
		}
		for _, l := range keptBefore {
			if !moved[l.Path] {
				all = append(all, l)
			}
		}
		removedFiles = len(all)
		if len(all) == len(removedBefore) && len(removed) == 0 && len(restored) == 0 {
			return nil // unchanged
		}
		for path := range restored {
			if err := mirror.Remove(path); err != nil {
				return err
			}
		}
		if len(all) == 0 {
			return mirror.Remove(exportformat.RemovedIndexName)
		}
		var b bytes.Buffer
		for _, l := range all {
			raw, err := json.Marshal(l)
			if err != nil {
				return err
			}
			b.Write(append(raw, '\n'))
		}
		_, err := p.sink.Put(context.Background(), exportformat.RemovedIndexName, &b)
		return err
	}

	remove := func(l exportformat.IndexLine) error {
		r := exportformat.Removal{Kind: l.Kind, ID: l.ID, Key: l.Key, Item: l.Item, At: now}
		switch {
		case prune:
			if err := mirror.Remove(l.Path); err != nil {
				return err
			}
		case !exists(p.opts.Out, l.Path) && !exists(p.opts.Out, RemovedDir+"/"+l.Path):
			// Gone from the disk as well: nothing to keep.
		default:
			to := RemovedDir + "/" + l.Path
			if err := mirror.Move(l.Path, to); err != nil {
				return err
			}
			l.Path, l.Removed, r.Path = to, now, to
			removed = append(removed, l)
		}
		removals = append(removals, r)
		return nil
	}
	// What becomes of each line: kept, dropped (a later line replaces
	// it), removed (moved aside or pruned) or deleted (the file was
	// written again under another name).
	const (
		keep = iota
		drop
		removeIt
		deleteIt
	)
	fate := func(rec indexRecord) int {
		l := rec.line
		if last[maphash.String(seed, l.Path)] != rec.at || healed[l.Path] {
			return drop
		}
		k := ownerKey(l)
		_, fresh := u.cur[l.Path]
		switch {
		case goneItems[l.Item] && strings.HasPrefix(k, "item/"):
			return removeIt
		case u.redone[k] && !fresh && l.Kind == exportformat.KindAttachment && !u.writtenIDs[l.Kind+"/"+l.ID]:
			return removeIt // no longer on its item
		case u.redone[k] && !fresh:
			return deleteIt
		}
		return keep
	}
	err = eachIndexLine(u.index, func(rec indexRecord) error {
		if fate(rec) != keep {
			dropped = true
			return nil
		}
		counts[rec.line.Kind]++
		counts["files"]++
		counts["bytes"] += rec.line.Size
		return nil
	})
	if err != nil {
		return fmt.Errorf("read index.jsonl: %w", err)
	}
	if dropped {
		// The new index streams to a temporary file while the files of
		// what is gone move; it replaces the old one at the end.
		err := mirror.ReplaceIndex(func(w io.Writer) error {
			err := eachIndexLine(u.index, func(rec indexRecord) error {
				switch fate(rec) {
				case removeIt:
					return remove(rec.line)
				case deleteIt:
					return mirror.Remove(rec.line.Path)
				case drop:
					return nil
				}
				b, err := json.Marshal(rec.line)
				if err == nil {
					_, err = w.Write(append(b, '\n'))
				}
				return err
			})
			if err != nil {
				return err
			}
			return writeRemoved()
		})
		if err != nil {
			return err
		}
	} else if err := writeRemoved(); err != nil {
		return err
	}

	p.closeUpdate(m, removals, int64(len(goneItems)), removedFiles, restored)
	for _, k := range []string{"skipped", "failed", "removed"} {
		if v, ok := m.Counts[k]; ok {
			counts[k] = v
		}
	}
	m.Counts = counts
	return nil
}

// healedInIndex reports whether the index still names one of the files
// healed lists (moved under removed/ by a run cut short).
func healedInIndex(u *update, healed map[string]bool) bool {
	if len(healed) == 0 {
		return false
	}
	found := false
	_ = eachIndexLine(u.index, func(r indexRecord) error {
		if healed[r.line.Path] {
			found = true
			return io.EOF
		}
		return nil
	})
	return found
}

// closeUpdate writes what an update did into the final manifest m: the
// removals (this run's, and those of earlier runs whose files are still
// under removed/), the counts of what it wrote and removed, and its start.
func (p *Prepared) closeUpdate(m *exportformat.Manifest, removals []exportformat.Removal, gone int64, removedFiles int, restored map[string]bool) {
	u := p.update
	for _, r := range u.prev.Removed {
		if r.Path != "" && !restored[r.Path] {
			removals = append(removals, r)
		}
	}
	slices.SortFunc(removals, func(a, b exportformat.Removal) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if c := strings.Compare(a.Item, b.Item); c != 0 {
			return c
		}
		return strings.Compare(a.Kind+"/"+a.ID, b.Kind+"/"+b.ID)
	})
	m.Removed = removals
	// Skips of items the query no longer selects go with them.
	m.Skipped = dropProblemsOf(m.Skipped, func(item string) bool {
		return u.listed != nil && !u.listed[item] && !u.redone["item/"+item]
	})
	m.Counts["skipped"] = int64(len(m.Skipped))
	delete(m.Counts, "removed")
	if removedFiles > 0 {
		m.Counts["removed"] = int64(removedFiles)
	}
	info := u.info
	info.Running, info.Pending = false, nil
	for k := range u.redone {
		if strings.HasPrefix(k, "item/") {
			info.Updated++
		}
	}
	info.Removed = gone
	m.Incremental = &info
	m.StartedAt = info.StartedAt
}

// exists reports whether the export in out holds path (as an index names
// it: relative, /-separated).
func exists(out, path string) bool {
	_, err := lstat(out, path)
	return err == nil
}

// lstat describes path in the export in out; a path that would lead out
// of it (from a tampered index) is not there.
func lstat(out, path string) (os.FileInfo, error) {
	local := filepath.FromSlash(path)
	if !filepath.IsLocal(local) {
		return nil, os.ErrNotExist
	}
	return os.Lstat(filepath.Join(out, local)) //nolint:gosec // local, checked above
}

// readRemovedIndex reads removed/index.jsonl, if any.
func readRemovedIndex(out string) ([]exportformat.IndexLine, error) {
	f, err := os.Open(filepath.Join(out, filepath.FromSlash(exportformat.RemovedIndexName)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	lines, _, err := exportformat.ReadIndex(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", exportformat.RemovedIndexName, err)
	}
	return lines, nil
}
