package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

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
	before, err := readRemoved(mirror)
	if err != nil {
		return err
	}
	c := decideClosing(u, p.opts.Prune, before, p.atOriginal(before))
	if c.pruneHeld {
		p.PruneLimited = true
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d of the %d items are gone from the query: they are moved under %s/ rather than deleted (--prune deletes at most half of an export of more than ten items at once)", len(c.gone), len(u.items), RemovedDir))
	}
	if c.unchanged(u, func() bool { return namesAny(mirror, c.healed) }) {
		p.closeUpdate(m, nil, nil, len(before), nil)
		return nil
	}
	if len(c.gone) > 0 {
		// Said before any file moves: cut short, the next run completes
		// these removals, whatever its own listing says.
		u.info.Pending = slices.Sorted(maps.Keys(c.gone))
		if err := p.checkpoint(); err != nil {
			return err
		}
	}
	a, err := p.newApplying(mirror, &c, before)
	if err != nil {
		return err
	}
	if err := a.apply(); err != nil {
		return err
	}
	p.closeUpdate(m, a.removals, c.gone, a.removedFiles, a.restored)
	for _, k := range []string{"skipped", "failed", "removed"} {
		if v, ok := m.Counts[k]; ok {
			a.counts[k] = v
		}
	}
	m.Counts = a.counts
	return nil
}

// readRemoved reads removed/index.jsonl, if any.
func readRemoved(mirror sink.Mirror) ([]exportformat.IndexLine, error) {
	f, err := mirror.Open(exportformat.RemovedIndexName)
	if errors.Is(err, fs.ErrNotExist) {
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

// atOriginal names the original paths of the files under removed/ that
// are at their original path again.
func (p *Prepared) atOriginal(before []exportformat.IndexLine) map[string]bool {
	out := map[string]bool{}
	for _, l := range before {
		if orig := originalPath(l.Path); p.exists(orig) {
			out[orig] = true
		}
	}
	return out
}

func (p *Prepared) exists(path string) bool {
	_, err := p.update.mirror.Lstat(path)
	return err == nil
}

// namesAny reports whether the index names one of paths. An index it
// cannot read names none: the rewrite that follows reads it again, and
// says why it cannot.
func namesAny(mirror sink.Mirror, paths map[string]bool) bool {
	if len(paths) == 0 {
		return false
	}
	errFound := errors.New("found")
	err := eachIndexLine(mirror, exportformat.IndexName, func(r exportformat.IndexRecord) error {
		if paths[r.Path] {
			return errFound
		}
		return nil
	})
	return errors.Is(err, errFound)
}

// applying carries out a closing decision: it streams the index through
// the decision, moving or deleting files on the way, and keeps what the
// manifest and removed/index.jsonl then say.
type applying struct {
	p      *Prepared
	u      *update
	mirror sink.Mirror
	c      *closing
	now    time.Time
	seed   maphash.Seed
	last   map[uint64]int64 // each path's last line, by offset
	before int              // how many files were under removed/
	// kept are the earlier runs' files under removed/ that stay;
	// restored those whose items are back, which go.
	kept     []exportformat.IndexLine
	restored map[string]bool
	// What the run did: the removals for the manifest, the lines of the
	// files it moved, the counts of what the index keeps, and the files
	// under removed/ once done.
	removals     []exportformat.Removal
	moved        []exportformat.IndexLine
	counts       map[string]int64
	removedFiles int
}

func (p *Prepared) newApplying(mirror sink.Mirror, c *closing, before []exportformat.IndexLine) (*applying, error) {
	a := &applying{p: p, u: p.update, mirror: mirror, c: c, now: p.opts.Now().UTC(), seed: maphash.MakeSeed(),
		before: len(before), removedFiles: len(before), counts: map[string]int64{}}
	var err error
	if a.last, err = latestLines(mirror, a.seed); err != nil {
		return nil, fmt.Errorf("read index.jsonl: %w", err)
	}
	a.restored, a.kept = c.restore(a.u, before, a.live)
	return a, nil
}

// live reports whether the index names path.
func (a *applying) live(path string) bool {
	_, ok := a.last[maphash.String(a.seed, path)]
	return ok
}

func (a *applying) fate(r exportformat.IndexRecord) int {
	return a.c.fate(a.u, r.IndexLine, a.last[maphash.String(a.seed, r.Path)] == r.Offset)
}

// apply counts what the index keeps and, when it changes, rewrites it
// while the files of what is gone move; removed/index.jsonl is written
// before the new index replaces the old one: cut short in between, the
// next run finds the files already moved, and listed.
func (a *applying) apply() error {
	dropped := false
	err := eachIndexLine(a.mirror, exportformat.IndexName, func(r exportformat.IndexRecord) error {
		if a.fate(r) != keepLine {
			dropped = true
			return nil
		}
		a.counts[r.Kind]++
		a.counts["files"]++
		a.counts["bytes"] += r.Size
		return nil
	})
	if err != nil {
		return fmt.Errorf("read index.jsonl: %w", err)
	}
	if !dropped {
		return a.writeRemoved()
	}
	return a.mirror.ReplaceIndex(func(w io.Writer) error {
		if err := eachIndexLine(a.mirror, exportformat.IndexName, func(r exportformat.IndexRecord) error { return a.carry(w, r) }); err != nil {
			return err
		}
		return a.writeRemoved()
	})
}

// carry carries out a line's fate: kept lines go to the new index w.
func (a *applying) carry(w io.Writer, r exportformat.IndexRecord) error {
	switch a.fate(r) {
	case removeFile:
		return a.remove(r.IndexLine)
	case deleteFile:
		return a.mirror.Remove(r.Path)
	case dropLine:
		return nil
	}
	b, err := json.Marshal(r.IndexLine)
	if err == nil {
		_, err = w.Write(append(b, '\n'))
	}
	return err
}

// remove moves the file of a line whose item or attachment is gone
// under removed/, or deletes it with --prune, and notes the removal.
func (a *applying) remove(l exportformat.IndexLine) error {
	r := exportformat.Removal{Kind: l.Kind, ID: l.ID, Key: l.Key, Item: l.Item, At: a.now}
	to := RemovedDir + "/" + l.Path
	switch {
	case a.c.prune, a.u.damaged(l.Path):
		// Pruned, or damaged: no copy worth keeping.
		if err := a.mirror.Remove(l.Path); err != nil {
			return err
		}
	case !a.p.exists(l.Path) && !a.p.exists(to):
		// Gone from the disk as well: nothing to keep.
	default:
		if err := a.mirror.Move(l.Path, to); err != nil {
			return err
		}
		l.Path, l.Removed, r.Path = to, a.now, to
		a.moved = append(a.moved, l)
	}
	a.removals = append(a.removals, r)
	return nil
}

// writeRemoved writes removed/index.jsonl once the files have moved, and
// deletes the copies of restored files.
func (a *applying) writeRemoved() error {
	all, changed := removedIndex(a.moved, a.kept, a.before, a.restored)
	a.removedFiles = len(all)
	if !changed {
		return nil
	}
	for path := range a.restored {
		if err := a.mirror.Remove(path); err != nil {
			return err
		}
	}
	if len(all) == 0 {
		return a.mirror.Remove(exportformat.RemovedIndexName)
	}
	var b bytes.Buffer
	for _, l := range all {
		raw, err := json.Marshal(l)
		if err != nil {
			return err
		}
		b.Write(append(raw, '\n'))
	}
	_, err := a.p.sink.Put(context.Background(), exportformat.RemovedIndexName, &b)
	return err
}

// closeUpdate writes what an update did into the final manifest m: the
// removals (this run's, and those of earlier runs whose files are still
// under removed/), the counts of what it wrote and removed, and its start.
// gone are the items it found gone.
func (p *Prepared) closeUpdate(m *exportformat.Manifest, removals []exportformat.Removal, gone map[string]bool, removedFiles int, restored map[string]bool) {
	u := p.update
	if u.repair != nil {
		p.closeRepair(m, removals, gone, removedFiles, restored)
		return
	}
	for _, r := range u.prev.Removed {
		if r.Path != "" && !restored[r.Path] {
			removals = append(removals, r)
		}
	}
	m.Removed = sortRemovals(removals)
	// Skips of items the query no longer selects go with them.
	m.Skipped = dropProblemsOf(m.Skipped, func(item string) bool {
		return u.listed != nil && !u.listed[item] && !u.redone["item/"+item]
	})
	m.Counts["skipped"] = int64(len(m.Skipped))
	setRemovedCount(m, removedFiles)
	info := u.info
	info.Running, info.Pending = false, nil
	for k := range u.redone {
		if strings.HasPrefix(k, "item/") {
			info.Updated++
		}
	}
	info.Removed = int64(len(gone))
	m.Incremental = &info
	m.StartedAt = info.StartedAt
}

// sortRemovals orders removals by time, item, kind and id.
func sortRemovals(removals []exportformat.Removal) []exportformat.Removal {
	slices.SortFunc(removals, func(a, b exportformat.Removal) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if c := strings.Compare(a.Item, b.Item); c != 0 {
			return c
		}
		return strings.Compare(a.Kind+"/"+a.ID, b.Kind+"/"+b.ID)
	})
	return removals
}

// setRemovedCount sets the count of the files under removed/, absent when
// there are none.
func setRemovedCount(m *exportformat.Manifest, removedFiles int) {
	delete(m.Counts, "removed")
	if removedFiles > 0 {
		m.Counts["removed"] = int64(removedFiles)
	}
}
