package jira

import (
	"strconv"
	"testing"
)

func entries(ids ...int) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"id": strconv.Itoa(id)}
	}
	return out
}

// A list's rest, fetched from its last embedded entry on, completes it
// only if that entry comes first: a comment among the embedded ones
// deleted meanwhile shifts the next one out of sight, and the whole list
// is fetched again.
func TestRestFollowsTheLastEmbeddedEntry(t *testing.T) {
	embedded := entries(1, 2, 3)
	for _, tc := range []struct {
		name    string
		fetched []any
		total   int
		whole   bool
	}{
		{"unchanged", entries(3, 4, 5), 5, true},
		{"one of the embedded gone", entries(4, 5), 4, false},
		{"one added at the end", entries(3, 4, 5, 6), 6, true},
		{"one of the embedded gone, one added", entries(4, 5, 6), 5, false},
		{"the total disagrees", entries(3, 4), 5, false},
	} {
		rest, anchored := afterAnchor(embedded, tc.fetched)
		if got := anchored && continues(embedded, rest, tc.total); got != tc.whole {
			t.Errorf("%s: complete %v, want %v", tc.name, got, tc.whole)
		}
	}
}
