package render_test

import (
	"path/filepath"
	"testing"

	"github.com/aumo-cli/aumo/internal/render/rendertest"
)

// TestGrownExport checks the benchmarks' export maker: copies of every
// item, intact against the index, with the page tree kept.
func TestGrownExport(t *testing.T) {
	for name, src := range map[string]string{"jira": rendertest.Jira(t, 20), "confluence": rendertest.Confluence(t, 20)} {
		t.Run(name, func(t *testing.T) {
			_, small := rendertest.Open(t, src)
			dst := filepath.Join(t.TempDir(), "grown")
			rendertest.Grow(t, src, dst, 3)
			_, c := rendertest.Open(t, dst)
			if len(c.Problems) > 0 {
				t.Fatalf("problems: %v", c.Problems)
			}
			if len(c.Items) != 3*len(small.Items) {
				t.Errorf("%d items, want 3 × %d", len(c.Items), len(small.Items))
			}
			for _, sp := range c.Spaces {
				if len(sp.Top) != 3*len(small.Spaces[0].Top) {
					t.Errorf("space %s: %d at the top, want 3 × %d", sp.Key, len(sp.Top), len(small.Spaces[0].Top))
				}
			}
		})
	}
}
