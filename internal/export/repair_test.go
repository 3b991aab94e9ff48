package export

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

func TestPlanRepair(t *testing.T) {
	lines := []exportformat.IndexLine{
		{Path: "issues/2/issue.md", Kind: exportformat.KindMarkdown, ID: "2", Key: "T-2", Item: "2"},
		{Path: "issues/2/attachments/2a0-a0.bin", Kind: exportformat.KindAttachment, ID: "2a0", Key: "T-2", Item: "2"},
		{Path: "issues/10/issue.json", Kind: exportformat.KindIssue, ID: "10", Key: "T-10", Item: "10"},
		{Path: "pages/7/attachments/9-x.png", Kind: exportformat.KindAttachment, ID: "9", Item: "7"},
		{Path: "blogposts/8/blogpost.md", Kind: exportformat.KindMarkdown, ID: "8", Item: "8"},
		{Path: "spaces/5.json", Kind: exportformat.KindSpace, ID: "5", Item: "5"},
		{Path: "folders/6.json", Kind: exportformat.KindFolder, ID: "6", Item: "6"},
		{Path: "fields.json", Kind: exportformat.KindFields, ID: "fields"},
	}
	var damaged []string
	for _, l := range lines {
		damaged = append(damaged, l.Path)
	}
	damaged = append(damaged, "removed/issues/4/issue.json", "removed/issues/4/issue.json")
	plan := planRepair(damaged, lines)

	var got []string
	for _, tg := range plan.Targets {
		got = append(got, tg.Kind+" "+tg.ID+" "+tg.Key+": "+strings.Join(tg.Paths, ","))
	}
	want := []string{
		"blogpost 8 : blogposts/8/blogpost.md",
		"fields fields : fields.json",
		"folder 6 : folders/6.json",
		"issue 2 T-2: issues/2/attachments/2a0-a0.bin,issues/2/issue.md",
		"issue 10 T-10: issues/10/issue.json",
		"page 7 : pages/7/attachments/9-x.png",
		"space 5 : spaces/5.json",
	}
	if !slices.Equal(got, want) {
		t.Errorf("targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(plan.Unowned, []string{"removed/issues/4/issue.json"}) {
		t.Errorf("unowned: %v", plan.Unowned)
	}
	if items := plan.Items(); !slices.Equal(items, []string{"8", "2", "10", "7"}) {
		t.Errorf("items: %v", items)
	}
	if spaces, folders := plan.Containers(); !slices.Equal(spaces, []string{"5"}) || !slices.Equal(folders, []string{"6"}) {
		t.Errorf("containers: %v, %v", spaces, folders)
	}
}

// damagedMirror exports five issues with two attachments each and damages
// it: issue 2's Markdown deleted, a byte of issue 3's JSON changed (same
// size), an attachment of issue 4 deleted, and a file of the user's added.
func damagedMirror(t *testing.T) (string, *exportformat.Report) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "mirror")
	full := &versionedSource{items: map[string]versionedItem{}}
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		full.items[id] = versionedItem{version: 1, attachments: []string{"a0", "a1"}}
	}
	if _, err := run(context.Background(), t, options(out), full); err != nil {
		t.Fatal(err)
	}
	must(t, os.Remove(filepath.Join(out, "issues/2/issue.md")))
	b, err := os.ReadFile(filepath.Join(out, "issues/3/issue.json"))
	must(t, err)
	b[2] ^= 1
	must(t, os.WriteFile(filepath.Join(out, "issues/3/issue.json"), b, 0o600))
	must(t, os.Remove(filepath.Join(out, "issues/4/attachments/4a1-a1.bin")))
	must(t, os.WriteFile(filepath.Join(out, "issues/1/notes.txt"), []byte("mine\n"), 0o600))
	r, err := exportformat.Verify(context.Background(), out)
	must(t, err)
	if len(r.Missing) != 2 || len(r.Corrupt) != 1 || len(r.Extra) != 1 {
		t.Fatalf("damage: %+v", r)
	}
	return out, r
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// repairOf prepares a repair of the damage r found in out.
func repairOf(t *testing.T, out string, r *exportformat.Report) (*Prepared, *RepairPlan) {
	t.Helper()
	damaged := slices.Clone(r.Missing)
	for _, c := range r.Corrupt {
		damaged = append(damaged, c.Path)
	}
	plan, err := PlanRepair(out, damaged)
	must(t, err)
	opts := options(out)
	opts.Repair = plan
	if updating, err := Check(opts); err != nil || !updating {
		t.Fatalf("Check: updating %v, %v", updating, err)
	}
	p, err := Prepare(opts)
	must(t, err)
	return p, plan
}

// A repair writes again the items of the damaged files and nothing else:
// the source is told every other item is done, the intact attachments of
// the items it writes are kept, and the manifest keeps its start.
func TestRepairWritesTheDamagedItemsAgain(t *testing.T) {
	out, r := damagedMirror(t)
	before := readManifestFile(t, out)
	p, plan := repairOf(t, out, r)
	if got := plan.Items(); !slices.Equal(got, []string{"2", "3", "4"}) {
		t.Fatalf("plan: items %v", got)
	}
	src := &versionedSource{items: map[string]versionedItem{}}
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		src.items[id] = versionedItem{version: 1, attachments: []string{"a0", "a1"}}
	}
	m, err := p.Run(context.Background(), src)
	must(t, err)
	if n := src.emitted.Load(); n != 3 {
		t.Errorf("%d items emitted, want the 3 damaged ones", n)
	}
	if n := src.downloads(); n != 1 {
		t.Errorf("%d downloads, want the deleted attachment alone", n)
	}
	o := p.RepairOutcome()
	if len(o.Written) != 3 || len(o.Gone)+len(o.Failed)+len(o.NotFetched) != 0 {
		t.Errorf("outcome: %+v", o)
	}
	must(t, os.Remove(filepath.Join(out, "issues/1/notes.txt")))
	verify(t, out)
	if !m.StartedAt.Equal(before.StartedAt) || m.Incremental != nil || !m.Complete || m.Counts["issue"] != 5 || m.Counts["attachment"] != 10 {
		t.Errorf("manifest: started %v (was %v), incremental %+v, complete %v, counts %v", m.StartedAt, before.StartedAt, m.Incremental, m.Complete, m.Counts)
	}
	for path, n := range indexPaths(t, filepath.Join(out, exportformat.IndexName)) {
		if n != 1 {
			t.Errorf("index.jsonl: %s %d times", path, n)
		}
	}
}

// An item gone from the product is handled as an update handles what its
// listing lacks: its intact files move under removed/; a damaged one is
// no copy worth keeping, and goes.
func TestRepairOfAnItemGoneMovesItAside(t *testing.T) {
	out, r := damagedMirror(t)
	p, _ := repairOf(t, out, r)
	// Issue 3 is gone: the source no longer has it.
	src := &versionedSource{items: map[string]versionedItem{
		"2": {version: 1, attachments: []string{"a0", "a1"}}, "4": {version: 1, attachments: []string{"a0", "a1"}},
	}}
	m, err := p.Run(context.Background(), src)
	must(t, err)
	o := p.RepairOutcome()
	if len(o.Gone) != 1 || o.Gone[0].ID != "3" || len(o.Written) != 2 {
		t.Errorf("outcome: %+v", o)
	}
	must(t, os.Remove(filepath.Join(out, "issues/1/notes.txt")))
	verify(t, out)
	for path, want := range map[string]bool{
		"issues/3": false, "removed/issues/3/issue.md": true, "removed/issues/3/attachments/3a0-a0.bin": true,
		"removed/issues/3/issue.json": false, // the damaged one
	} {
		if exists(out, path) != want {
			t.Errorf("%s there: %v, want %v", path, !want, want)
		}
	}
	var removed []string
	for _, rm := range m.Removed {
		removed = append(removed, rm.Kind+":"+rm.ID+"@"+rm.Path)
	}
	slices.Sort(removed)
	want := []string{
		"attachment:3a0@removed/issues/3/attachments/3a0-a0.bin",
		"attachment:3a1@removed/issues/3/attachments/3a1-a1.bin",
		"issue:3@",
		"markdown:3@removed/issues/3/issue.md",
	}
	if !slices.Equal(removed, want) || m.Counts["issue"] != 4 || m.Incremental != nil {
		t.Errorf("removed %v (want %v), counts %v, incremental %+v", removed, want, m.Counts, m.Incremental)
	}
}

// An item that keeps failing leaves its files as they were and the
// export as complete as it was: the next repair tries it again.
func TestRepairFailureIsRetriedByTheNextRepair(t *testing.T) {
	out, r := damagedMirror(t)
	p, _ := repairOf(t, out, r)
	src := &versionedSource{items: map[string]versionedItem{}, failing: map[string]bool{"4a1": true}}
	for _, id := range []string{"2", "3", "4"} {
		src.items[id] = versionedItem{version: 1, attachments: []string{"a0", "a1"}}
	}
	m, err := p.Run(context.Background(), src)
	var unrepaired *UnrepairedError
	if !errors.As(err, &unrepaired) || len(unrepaired.Failed) == 0 {
		t.Fatalf("a repair with a failing attachment: %v", err)
	}
	if !m.Complete || len(m.Failed) != 0 || m.Counts["failed"] != 0 {
		t.Errorf("manifest: complete %v, failed %v, counts %v", m.Complete, m.Failed, m.Counts)
	}
	if o := p.RepairOutcome(); len(o.Failed) != 1 || o.Failed[0].ID != "4" || len(o.Written) != 2 {
		t.Errorf("outcome: %+v", o)
	}
	again, err := exportformat.Verify(context.Background(), out)
	must(t, err)
	if !slices.Equal(again.Missing, []string{"issues/4/attachments/4a1-a1.bin"}) || len(again.Corrupt) != 0 || len(again.Manifest) != 0 {
		t.Fatalf("after the failed repair: %+v", again)
	}

	src.failing = nil
	p, _ = repairOf(t, out, again)
	if _, err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	must(t, os.Remove(filepath.Join(out, "issues/1/notes.txt")))
	verify(t, out)
}

func TestRepairRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(m *exportformat.Manifest)
		want string
	}{
		{"unfinished", func(m *exportformat.Manifest) { m.Complete = false }, "unfinished"},
		{"failed items", func(m *exportformat.Manifest) {
			m.Complete, m.Failed = false, []exportformat.Problem{{Kind: "issue", ID: "1"}}
		}, "1 item(s) of it failed"},
		{"update under way", func(m *exportformat.Manifest) { m.Incremental = &exportformat.Incremental{Running: true} }, "--incremental"},
		{"another format", func(m *exportformat.Manifest) { m.Format = "aumo-export/9" }, "aumo-export/9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &exportformat.Manifest{Format: exportformat.Format, Complete: true}
			tc.edit(m)
			var ue *UnrepairableError
			if err := Repairable(m); !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Repairable: %v, want an UnrepairableError saying %q", err, tc.want)
			}
		})
	}
	if err := Repairable(&exportformat.Manifest{Format: exportformat.Format, Complete: true}); err != nil {
		t.Errorf("a complete export: %v", err)
	}
}
