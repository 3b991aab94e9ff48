package exportformat

import (
	"container/heap"
	"slices"
	"strings"
)

// firstPaths keeps, of the paths it is given, the first max in order,
// each with a value to fill in: what a report names of a list that may
// be longer than it shows. A path given again is the same entry.
type firstPaths[T any] struct {
	max  int
	kept pathHeap[T]
	at   map[string]*pathEntry[T]
}

type pathEntry[T any] struct {
	path string
	v    T
}

func newFirstPaths[T any](n int) *firstPaths[T] {
	return &firstPaths[T]{max: n, at: map[string]*pathEntry[T]{}}
}

// add gives a path: it returns the path's value, or nil when the path is
// not among the first max given so far (nor, then, at the end).
func (l *firstPaths[T]) add(p string) *T {
	if e, ok := l.at[p]; ok {
		return &e.v
	}
	if len(l.kept) == l.max {
		if p >= l.kept[0].path {
			return nil
		}
		last := heap.Pop(&l.kept).(*pathEntry[T])
		delete(l.at, last.path)
	}
	e := &pathEntry[T]{path: p}
	heap.Push(&l.kept, e)
	l.at[p] = e
	return &e.v
}

// sorted returns the entries kept, in path order.
func (l *firstPaths[T]) sorted() []*pathEntry[T] {
	entries := slices.Clone(l.kept)
	slices.SortFunc(entries, func(a, b *pathEntry[T]) int { return strings.Compare(a.path, b.path) })
	return entries
}

// paths returns the paths kept, in order.
func (l *firstPaths[T]) paths() []string {
	paths := make([]string, 0, len(l.kept))
	for _, e := range l.sorted() {
		paths = append(paths, e.path)
	}
	return paths
}

// values returns the values kept, in the order of their paths.
func (l *firstPaths[T]) values() []*T {
	values := make([]*T, 0, len(l.kept))
	for _, e := range l.sorted() {
		values = append(values, &e.v)
	}
	return values
}

// pathHeap is a heap of entries, the last path on top.
type pathHeap[T any] []*pathEntry[T]

func (h pathHeap[T]) Len() int           { return len(h) }
func (h pathHeap[T]) Less(i, j int) bool { return h[i].path > h[j].path }
func (h pathHeap[T]) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pathHeap[T]) Push(x any)        { *h = append(*h, x.(*pathEntry[T])) }

func (h *pathHeap[T]) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
