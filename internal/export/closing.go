package export

import (
	"strings"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// pruneShare is the share of the previous items beyond which --prune
// moves what is gone under removed/ rather than deleting it: a search
// gone wrong must not wipe a mirror.
const pruneShare = 0.5

// closing is what an update decides once its items are written, from the
// previous index and what the run did: which items are gone, whether
// their files are deleted or moved aside, and what an earlier run cut
// short left under removed/. It is data, made without I/O; finishUpdate
// carries it out.
type closing struct {
	// gone are the items the query no longer selects, and those an
	// earlier attempt found gone and had begun to move.
	gone map[string]bool
	// prune: what goes is deleted rather than moved under removed/;
	// pruneHeld: --prune was asked, but would have deleted most of the
	// export.
	prune, pruneHeld bool
	// healed are the original paths of files under removed/ that are not
	// at their original path: moved by a run cut short before it
	// rewrote the index, so their index lines go now.
	healed map[string]bool
	// backAgain: a file listed under removed/ is at its original path
	// again, so its item may be back.
	backAgain bool
}

// The fates of a line of the previous index when an update closes.
const (
	keepLine   = iota // it stays
	dropLine          // a later line for its path replaces it
	removeFile        // its item or attachment is gone: moved aside or pruned
	deleteFile        // its item was written again without this file
)

// decideClosing decides how an update closes. before are the lines of
// removed/index.jsonl; atOriginal names the original paths of those that
// are back at their original path.
func decideClosing(u *update, prune bool, before []exportformat.IndexLine, atOriginal map[string]bool) closing {
	c := closing{gone: goneItems(u), healed: map[string]bool{}, prune: prune}
	if prune && len(c.gone) > 10 && float64(len(c.gone)) > pruneShare*float64(len(u.items)) {
		c.prune, c.pruneHeld = false, true
	}
	for _, l := range before {
		orig := originalPath(l.Path)
		if atOriginal[orig] {
			c.backAgain = true
		} else {
			c.healed[orig] = true
		}
	}
	return c
}

// goneItems are the items of the previous export that the listing lacks
// and this run did not write again, and those an earlier attempt found
// gone (unless written again).
func goneItems(u *update) map[string]bool {
	if u.repair != nil {
		return u.repairGone()
	}
	gone := map[string]bool{}
	if u.listed != nil {
		for owner := range u.owners {
			if id, ok := strings.CutPrefix(owner, "item/"); ok && !u.listed[id] && !u.redone[owner] {
				gone[id] = true
			}
		}
	}
	for _, id := range u.info.Pending {
		if !u.redone["item/"+id] {
			gone[id] = true
		}
	}
	return gone
}

// originalPath is where a file under removed/ was.
func originalPath(removed string) string { return strings.TrimPrefix(removed, RemovedDir+"/") }

// unchanged reports an update that wrote nothing and found nothing gone:
// the index and its counts stay as they are. healedInIndex says whether
// the index still names a healed path; it reads the index, so it is
// asked last.
func (c *closing) unchanged(u *update, healedInIndex func() bool) bool {
	return u.appended == 0 && len(c.gone) == 0 && u.compact && !c.backAgain && !healedInIndex()
}

// restore sorts the files earlier runs moved under removed/: those whose
// item came back (the original path is in the index again, and stays)
// are restored, and their copies go; the others stay. live reports
// whether the index names a path.
func (c *closing) restore(u *update, before []exportformat.IndexLine, live func(path string) bool) (restored map[string]bool, kept []exportformat.IndexLine) {
	restored = map[string]bool{}
	for _, l := range before {
		orig := originalPath(l.Path)
		_, fresh := u.cur[orig]
		if live(orig) && !c.healed[orig] && !c.gone[l.Item] && (fresh || !u.redone["item/"+l.Item]) {
			restored[l.Path] = true
			continue
		}
		kept = append(kept, l)
	}
	return restored, kept
}

// fate is what becomes of a line of the index; latest says whether it is
// the last line for its path.
func (c *closing) fate(u *update, l exportformat.IndexLine, latest bool) int {
	if !latest || c.healed[l.Path] {
		return dropLine
	}
	owner := ownerKey(l)
	_, fresh := u.cur[l.Path]
	switch {
	case c.gone[l.Item] && strings.HasPrefix(owner, "item/"):
		return removeFile
	case u.redone[owner] && !fresh && l.Kind == exportformat.KindAttachment && !u.writtenIDs[l.Kind+"/"+l.ID]:
		return removeFile // no longer on its item
	case u.redone[owner] && !fresh:
		return deleteFile
	}
	return keepLine
}

// removedIndex is removed/index.jsonl once this run's removals are made:
// the files it moved, then those of earlier runs that stay. It reports
// whether the file changes.
func removedIndex(moved, kept []exportformat.IndexLine, before int, restored map[string]bool) ([]exportformat.IndexLine, bool) {
	all := append([]exportformat.IndexLine(nil), moved...)
	paths := map[string]bool{}
	for _, l := range moved {
		paths[l.Path] = true
	}
	for _, l := range kept {
		if !paths[l.Path] {
			all = append(all, l)
		}
	}
	changed := len(all) != before || len(moved) > 0 || len(restored) > 0
	return all, changed
}
