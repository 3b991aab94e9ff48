package export

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// A repair (aumo verify --repair) is an update of a complete directory
// export with no window: the source fetches again, by id, the owners of
// the damaged files (missing, or other than their index line says), and
// nothing else. Those files are written again even where an update would
// keep what is there, since what is there is not what the index says. It
// leaves the export's start and incremental state as they were, so that
// the next --incremental run searches the window it would have searched;
// and an item it cannot fetch keeps its files as they were, for the next
// repair to try again, rather than turning the export into a failed one.

// RepairTarget is what owns damaged files of a directory export: an issue,
// page or blog post (with its Markdown and attachments), a space, a folder
// or Jira's field list. A repair fetches it again.
type RepairTarget struct {
	// Kind is the owner's: exportformat.KindIssue, KindPage, KindBlogpost,
	// KindSpace, KindFolder or KindFields.
	Kind string
	ID   string
	// Key is the issue key, where there is one.
	Key string
	// Paths are its damaged files.
	Paths []string
}

// owner is the target as an update names owners (see ownerKey).
func (t RepairTarget) owner() string {
	if exportformat.HasMarkdown(t.Kind) {
		return "item/" + t.ID
	}
	return t.Kind + "/" + t.ID
}

// RepairPlan is what a repair fetches again.
type RepairPlan struct {
	// Targets are the owners of the damaged files the index names, in
	// the order of their kinds and ids.
	Targets []RepairTarget
	// Unowned are the damaged files index.jsonl does not name: copies
	// under removed/ of what incremental runs found gone, which nothing
	// can fetch again.
	Unowned []string
}

// Items are the ids of the issues, pages and blog posts to fetch again.
func (p *RepairPlan) Items() []string { return p.ids(exportformat.HasMarkdown) }

// Containers are the ids of the spaces and of the folders to fetch again
// (none for a nil plan).
func (p *RepairPlan) Containers() (spaces, folders []string) {
	if p == nil {
		return nil, nil
	}
	return p.ids(func(k string) bool { return k == exportformat.KindSpace }),
		p.ids(func(k string) bool { return k == exportformat.KindFolder })
}

func (p *RepairPlan) ids(of func(kind string) bool) []string {
	var ids []string
	for _, t := range p.Targets {
		if of(t.Kind) {
			ids = append(ids, t.ID)
		}
	}
	return ids
}

// PlanRepair finds, in the index of the directory export dir, what owns
// each damaged path (as exportformat.Verify reports them, missing or
// corrupt).
func PlanRepair(dir string, damaged []string) (*RepairPlan, error) {
	r, err := sink.OpenReader(dir)
	switch {
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", dir, err)
	case r == nil:
		return nil, fmt.Errorf("%s is no directory export", dir)
	}
	defer func() { _ = r.Close() }()
	want := map[string]bool{}
	for _, p := range damaged {
		want[p] = true
	}
	last := map[string]exportformat.IndexLine{}
	err = eachIndexLine(r, exportformat.IndexName, func(rec exportformat.IndexRecord) error {
		if want[rec.Path] {
			last[rec.Path] = rec.IndexLine
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", exportformat.IndexName, err)
	}
	return planRepair(damaged, slices.Collect(maps.Values(last))), nil
}

// planRepair groups the damaged paths by owner; lines are the last index
// lines of those the index names.
func planRepair(damaged []string, lines []exportformat.IndexLine) *RepairPlan {
	named := map[string]bool{}
	byOwner := map[string]*RepairTarget{}
	for _, l := range lines {
		named[l.Path] = true
		t := targetOf(l)
		if have, ok := byOwner[t.owner()]; ok {
			have.Paths = append(have.Paths, l.Path)
			have.Key = cmp.Or(have.Key, t.Key)
			continue
		}
		byOwner[t.owner()] = &t
	}
	plan := &RepairPlan{}
	for _, t := range byOwner {
		slices.Sort(t.Paths)
		plan.Targets = append(plan.Targets, *t)
	}
	slices.SortFunc(plan.Targets, func(a, b RepairTarget) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), compareIDs(a.ID, b.ID))
	})
	for _, p := range damaged {
		if !named[p] {
			plan.Unowned = append(plan.Unowned, p)
		}
	}
	slices.Sort(plan.Unowned)
	plan.Unowned = slices.Compact(plan.Unowned)
	return plan
}

// targetOf is the owner of a file by its index line. An attachment's or
// Markdown's item is of the kind its directory says ("pages/123/…").
func targetOf(l exportformat.IndexLine) RepairTarget {
	t := RepairTarget{Kind: l.Kind, ID: l.ID, Key: l.Key, Paths: []string{l.Path}}
	if !strings.HasPrefix(ownerKey(l), "item/") {
		return t
	}
	t.ID = l.Item
	if !exportformat.HasMarkdown(l.Kind) {
		dir, _, _ := strings.Cut(l.Path, "/")
		t.Kind = strings.TrimSuffix(dir, "s")
	}
	return t
}

// compareIDs orders numeric ids by value.
func compareIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// repairOptions makes a repair's options an update's, which never prunes.
func repairOptions(opts Options) Options {
	if opts.Repair != nil {
		opts.Incremental, opts.Prune = true, false
	}
	return opts
}

// repairing is what a repair adds to an update.
type repairing struct {
	// owners are the targets' owners (see ownerKey); damaged their
	// damaged files.
	owners  map[string]bool
	damaged map[string]bool
	// failed are the items the run gave up on, known once it closes.
	failed map[string]bool
	// unrepaired are the problems of those items, set aside from the
	// manifest.
	unrepaired []exportformat.Problem
}

func newRepairing(plan *RepairPlan) *repairing {
	if plan == nil {
		return nil
	}
	r := &repairing{owners: map[string]bool{}, damaged: map[string]bool{}, failed: map[string]bool{}}
	for _, t := range plan.Targets {
		r.owners[t.owner()] = true
		for _, p := range t.Paths {
			r.damaged[p] = true
		}
	}
	return r
}

// damaged reports a file a repair found damaged: its content is not what
// its index line says, so it is neither kept nor moved under removed/.
func (u *update) damaged(path string) bool {
	return u.repair != nil && u.repair.damaged[path]
}

// whole reports a file of an owner a repair leaves alone: the source is
// told it is done.
func (u *update) whole(l exportformat.IndexLine) bool {
	return u.repair != nil && !u.repair.owners[ownerKey(l)]
}

// repairGone are the items a repair asked for that the source neither
// wrote nor failed on: gone from the product (deleted, or no longer
// visible), as an update finds what its listing lacks.
func (u *update) repairGone() map[string]bool {
	gone := map[string]bool{}
	for owner := range u.repair.owners {
		if id, ok := strings.CutPrefix(owner, "item/"); ok && !u.redone[owner] && !u.repair.failed[id] {
			gone[id] = true
		}
	}
	return gone
}

// Repairable says why a repair cannot mend the export prev describes: one
// that is not finished, or whose failed items or update under way a rerun
// of the export command must complete first (an *UnrepairableError).
func Repairable(prev *exportformat.Manifest) error {
	switch {
	case prev == nil:
		return &UnrepairableError{Reason: "it holds no manifest.json"}
	case prev.Format != exportformat.Format:
		return &UnrepairableError{Reason: fmt.Sprintf("its format is %q, not %q", prev.Format, exportformat.Format)}
	case prev.Incremental != nil && prev.Incremental.Running:
		return &UnrepairableError{Reason: "an update of it did not finish", Next: "complete it first: run the export command again with --incremental"}
	case !prev.Complete && len(prev.Failed) > 0:
		return &UnrepairableError{Reason: fmt.Sprintf("%d item(s) of it failed", len(prev.Failed)),
			Next: "retry them first: run the export command again (with --incremental if it was an update)"}
	case !prev.Complete:
		return &UnrepairableError{Reason: "it is unfinished", Next: "run the export command again to complete it"}
	}
	return nil
}

// UnrepairableError means a repair cannot mend the export (exit 1); Next
// is what to do instead.
type UnrepairableError struct {
	Reason, Next string
}

func (e *UnrepairableError) Error() string {
	msg := "the export cannot be repaired: " + e.Reason
	if e.Next != "" {
		msg += "; " + e.Next
	}
	return msg
}

// UnrepairedError means a repair finished, but some items failed after
// every retry: their files are as they were, and the next repair tries
// them again (exit 3).
type UnrepairedError struct {
	Failed []exportformat.Problem
	Out    string
}

func (e *UnrepairedError) Error() string {
	return fmt.Sprintf("%d items of %s could not be fetched again after every retry; their files are left as they were", unrepairedItems(e.Failed), e.Out)
}

// unrepairedItems counts the items of failures (an attachment's failure
// fails its item too).
func unrepairedItems(ps []exportformat.Problem) int {
	return len(problemItems(ps))
}

func problemItems(ps []exportformat.Problem) map[string]bool {
	items := map[string]bool{}
	for _, p := range ps {
		items[cmp.Or(p.Item, p.ID)] = true
	}
	return items
}

// setAsideFailures takes a repair's failures out of the final manifest m:
// the export stays what it was (complete), and the items' files stay
// damaged, which the next verify reports and the next repair retries.
func (p *Prepared) setAsideFailures(m *exportformat.Manifest) {
	r := p.update.repair
	r.unrepaired = m.Failed
	r.failed = problemItems(m.Failed)
	m.Failed, m.Complete = p.manifest.Failed, p.manifest.Complete
	m.Counts["failed"] = int64(len(m.Failed))
}

// unrepaired is the error of a repair with failures, if any.
func (p *Prepared) unrepaired() error {
	if p.update == nil || p.update.repair == nil || len(p.update.repair.unrepaired) == 0 {
		return nil
	}
	return &UnrepairedError{Failed: p.update.repair.unrepaired, Out: p.opts.Out}
}

// closeRepair writes what a repair did into the final manifest m: the
// removals of the items it found gone besides every earlier one, without
// their skips; the export's start and incremental state stay as they
// were.
func (p *Prepared) closeRepair(m *exportformat.Manifest, removals []exportformat.Removal, gone map[string]bool, removedFiles int, restored map[string]bool) {
	prev := p.update.prev
	for _, r := range prev.Removed {
		if r.Path == "" || !restored[r.Path] {
			removals = append(removals, r)
		}
	}
	m.Removed = sortRemovals(removals)
	m.Skipped = dropProblemsOf(m.Skipped, func(item string) bool { return gone[item] })
	m.Counts["skipped"] = int64(len(m.Skipped))
	setRemovedCount(m, removedFiles)
	m.Incremental, m.StartedAt = prev.Incremental, prev.StartedAt
}

// RepairOutcome is what a repair did with each target.
type RepairOutcome struct {
	// Written were fetched and written again; Gone are items the product
	// no longer has (their files moved under removed/, their damaged
	// ones deleted); Failed failed after every retry (their files left as
	// they were); NotFetched are spaces and folders the product no longer
	// has, whose damaged files stay.
	Written, Gone, Failed, NotFetched []RepairTarget
}

// RepairOutcome says what the repair did, once Run has returned (nothing
// for a run that is no repair).
func (p *Prepared) RepairOutcome() RepairOutcome {
	var o RepairOutcome
	u := p.update
	if u == nil || u.repair == nil {
		return o
	}
	for _, t := range p.opts.Repair.Targets {
		content := exportformat.HasMarkdown(t.Kind)
		switch {
		case u.redone[t.owner()]:
			o.Written = append(o.Written, t)
		case content && u.repair.failed[t.ID]:
			o.Failed = append(o.Failed, t)
		case content:
			o.Gone = append(o.Gone, t)
		default:
			o.NotFetched = append(o.NotFetched, t)
		}
	}
	return o
}
