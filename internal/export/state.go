package export

import (
	"errors"
	"io/fs"
	"slices"
	"sort"
	"sync"

	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

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

func newState(markdownMarks bool) *state {
	return &state{done: map[string]struct{}{}, counts: map[string]int64{}, markdownMarks: markdownMarks}
}

func isItemKind(kind string) bool {
	return kind != exportformat.KindAttachment && kind != exportformat.KindMarkdown
}

// marks reports whether an index line marks its item done.
func (s *state) marks(l exportformat.IndexLine) bool {
	return isItemKind(l.Kind) || (s.markdownMarks && l.Kind == exportformat.KindMarkdown)
}

// load takes over an unfinished export's index. Files of items that are
// not done will be written again, so only done items' files count.
func (s *state) load(r sink.Reader) error {
	s.resumed = true
	f, err := r.Open(exportformat.IndexName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // stopped before its first file
	}
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	lines, _, err := exportformat.ReadIndex(f)
	if err != nil {
		return err
	}
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
	return nil
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
	if !ok && s.markdownMarks && exportformat.HasMarkdown(kind) {
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
