package export

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// runFacts are what an update found and did, as the tables below say it:
// the items of the previous export, those the listing found (unless
// unlisted), those written again, those an earlier attempt found gone,
// and the paths and ids written (or kept) this run.
type runFacts struct {
	previous, listed, redone []string
	pending, written, ids    []string
	unlisted                 bool // the listing is unknown (nil)
}

func set(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func (r runFacts) update() *update {
	u := &update{owners: map[string][]int64{}, items: set(r.previous...), redone: map[string]bool{},
		cur: map[string]exportformat.IndexLine{}, writtenIDs: set(r.ids...)}
	for _, id := range r.previous {
		u.owners["item/"+id] = []int64{0}
	}
	u.owners["fields/fields"] = []int64{0}
	for _, id := range r.redone {
		u.redone["item/"+id] = true
	}
	for _, p := range r.written {
		u.cur[p] = exportformat.IndexLine{Path: p}
	}
	if !r.unlisted {
		u.listed = set(r.listed...)
	}
	u.info.Pending = r.pending
	return u
}

func TestWhatIsGone(t *testing.T) {
	cases := []struct {
		name  string
		run   runFacts
		prune bool
		gone  []string
		held  bool
	}{
		{name: "what the listing lacks", run: runFacts{previous: []string{"1", "2", "3"}, listed: []string{"1", "3"}}, gone: []string{"2"}},
		{name: "unknown listing: nothing", run: runFacts{previous: []string{"1", "2"}, unlisted: true}},
		{name: "written again though unlisted", run: runFacts{previous: []string{"1", "2"}, listed: []string{"1"}, redone: []string{"2"}}},
		{name: "pending from a run cut short, whatever the listing",
			run: runFacts{previous: []string{"1", "2"}, unlisted: true, pending: []string{"2"}}, gone: []string{"2"}},
		{name: "pending but written again", run: runFacts{previous: []string{"1", "2"}, unlisted: true, pending: []string{"2"}, redone: []string{"2"}}},
		{name: "prune of a few", prune: true, run: runFacts{previous: []string{"1", "2", "3"}, listed: []string{"3"}}, gone: []string{"1", "2"}},
		{name: "prune of most of a large export is held", prune: true,
			run:  runFacts{previous: strings.Fields("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"), listed: []string{"1"}},
			gone: strings.Fields("10 11 12 13 14 15 16 17 18 19 2 20 3 4 5 6 7 8 9"), held: true},
		{name: "prune of half of a large export goes ahead", prune: true,
			run:  runFacts{previous: strings.Fields("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"), listed: strings.Fields("1 2 3 4 5 6 7 8 9 10 11")},
			gone: strings.Fields("12 13 14 15 16 17 18 19 20 21 22")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := decideClosing(tc.run.update(), tc.prune, nil, nil)
			if got := slices.Sorted(maps.Keys(c.gone)); !slices.Equal(got, tc.gone) {
				t.Errorf("gone %v, want %v", got, tc.gone)
			}
			if c.pruneHeld != tc.held || c.prune != (tc.prune && !tc.held) {
				t.Errorf("prune %v, held %v; want held %v", c.prune, c.pruneHeld, tc.held)
			}
		})
	}
}

func TestFilesMovedAsideByARunCutShort(t *testing.T) {
	before := []exportformat.IndexLine{
		{Path: "removed/issues/4/issue.json", Item: "4"},
		{Path: "removed/issues/5/issue.json", Item: "5"},
	}
	// Issue 5's file is at its original path again; issue 4's is not.
	c := decideClosing(runFacts{previous: []string{"4", "5"}, unlisted: true}.update(), false, before, set("issues/5/issue.json"))
	if !c.backAgain || !slices.Equal(slices.Sorted(maps.Keys(c.healed)), []string{"issues/4/issue.json"}) {
		t.Errorf("back again %v, healed %v", c.backAgain, c.healed)
	}
	if c.unchanged(&update{compact: true}, func() bool { return false }) {
		t.Error("an update that finds a removed file back at its place counts as unchanged")
	}
	quiet := decideClosing(runFacts{previous: []string{"1"}, listed: []string{"1"}}.update(), false, nil, nil)
	for _, tc := range []struct {
		u      *update
		healed bool
		want   bool
	}{
		{&update{compact: true}, false, true},
		{&update{compact: true, appended: 1}, false, false},
		{&update{compact: false}, false, false},
		{&update{compact: true}, true, false},
	} {
		if got := quiet.unchanged(tc.u, func() bool { return tc.healed }); got != tc.want {
			t.Errorf("unchanged(appended %d, compact %v, healed in the index %v) = %v, want %v", tc.u.appended, tc.u.compact, tc.healed, got, tc.want)
		}
	}
}

func TestFateOfEachPreviousLine(t *testing.T) {
	run := runFacts{
		previous: []string{"1", "2", "4"}, listed: []string{"1", "2"}, redone: []string{"2"},
		written: []string{"issues/2/issue.json", "issues/2/attachments/2a0-new.bin"}, ids: []string{"issue/2", "attachment/2a0"},
	}
	u := run.update()
	c := decideClosing(u, false, nil, nil)
	c.healed["issues/1/attachments/1a9-x.bin"] = true
	cases := []struct {
		line   exportformat.IndexLine
		latest bool
		want   int
	}{
		{exportformat.IndexLine{Path: "issues/1/issue.json", Kind: "issue", ID: "1", Item: "1"}, true, keepLine},
		{exportformat.IndexLine{Path: "issues/1/issue.json", Kind: "issue", ID: "1", Item: "1"}, false, dropLine},
		{exportformat.IndexLine{Path: "issues/1/attachments/1a9-x.bin", Kind: "attachment", ID: "1a9", Item: "1"}, true, dropLine},
		{exportformat.IndexLine{Path: "issues/4/issue.json", Kind: "issue", ID: "4", Item: "4"}, true, removeFile},
		{exportformat.IndexLine{Path: "issues/4/issue.md", Kind: "markdown", ID: "4", Item: "4"}, true, removeFile},
		{exportformat.IndexLine{Path: "issues/2/issue.json", Kind: "issue", ID: "2", Item: "2"}, true, keepLine},
		// Issue 2 was written again without its attachment 2a1: gone.
		{exportformat.IndexLine{Path: "issues/2/attachments/2a1-old.bin", Kind: "attachment", ID: "2a1", Item: "2"}, true, removeFile},
		// …and its attachment 2a0 under a new name: the old file goes.
		{exportformat.IndexLine{Path: "issues/2/attachments/2a0-old.bin", Kind: "attachment", ID: "2a0", Item: "2"}, true, deleteFile},
		{exportformat.IndexLine{Path: "issues/2/issue.md", Kind: "markdown", ID: "2", Item: "2"}, true, deleteFile},
		{exportformat.IndexLine{Path: "fields.json", Kind: "fields", ID: "fields", Item: "fields"}, true, keepLine},
	}
	for _, tc := range cases {
		if got := c.fate(u, tc.line, tc.latest); got != tc.want {
			t.Errorf("fate of %s (latest %v) = %d, want %d", tc.line.Path, tc.latest, got, tc.want)
		}
	}
}

func TestRemovedFilesWhoseItemCameBack(t *testing.T) {
	before := []exportformat.IndexLine{
		{Path: "removed/issues/4/issue.json", Kind: "issue", ID: "4", Item: "4"},
		{Path: "removed/issues/4/attachments/4a1-a1.bin", Kind: "attachment", ID: "4a1", Item: "4"},
		{Path: "removed/issues/6/issue.json", Kind: "issue", ID: "6", Item: "6"},
	}
	// Issue 4 came back without its attachment 4a1; issue 6 is still gone.
	u := runFacts{previous: []string{"1"}, listed: []string{"1", "4"}, redone: []string{"4"}, written: []string{"issues/4/issue.json"}}.update()
	c := decideClosing(u, false, before, set("issues/4/issue.json"))
	live := func(path string) bool { return path == "issues/4/issue.json" || path == "issues/1/issue.json" }
	restored, kept := c.restore(u, before, live)
	if !slices.Equal(slices.Sorted(maps.Keys(restored)), []string{"removed/issues/4/issue.json"}) {
		t.Errorf("restored %v", restored)
	}
	var paths []string
	for _, l := range kept {
		paths = append(paths, l.Path)
	}
	if !slices.Equal(paths, []string{"removed/issues/4/attachments/4a1-a1.bin", "removed/issues/6/issue.json"}) {
		t.Errorf("kept %v", paths)
	}
	moved := []exportformat.IndexLine{{Path: "removed/issues/7/issue.json"}, {Path: "removed/issues/6/issue.json"}}
	all, changed := removedIndex(moved, kept, len(before), restored)
	if !changed || len(all) != 3 || all[0].Path != "removed/issues/7/issue.json" {
		t.Errorf("removed/index.jsonl: %v (changed %v)", all, changed)
	}
	if _, changed := removedIndex(nil, before, len(before), nil); changed {
		t.Error("an unchanged removed/index.jsonl is written again")
	}
}

func TestExtraItemsOfAnUpdate(t *testing.T) {
	prev := set("1", "2", "3")
	l := Listing{IDs: set("1", "2", "3", "7", "8"), Changed: set("2", "9")}
	got := extraItems(prev, []string{"3", "5"}, l)
	// New to the query: 7, 8; pending and listed again: 3; parts changed
	// and still listed: 2 (not 9, which the query does not select).
	if want := []string{"2", "3", "7", "8"}; !slices.Equal(got, want) {
		t.Errorf("extra %v, want %v", got, want)
	}
}
