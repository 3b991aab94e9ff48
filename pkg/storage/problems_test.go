package storage_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aumo-cli/aumo/pkg/storage"
)

// TestGoldenProblems checks that golden pages which cannot be rendered
// faithfully say so.
func TestGoldenProblems(t *testing.T) {
	for golden, want := range map[string][]string{
		"code-in-cell":   {"code block in a table cell flattened to inline code"},
		"markdown-macro": {"markdown macro in a table cell flattened", "markdown macro with a block left open kept as code", "raw HTML in a markdown macro kept as text"},
	} {
		t.Run(golden, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(goldenDir, golden+".xhtml"))
			if err != nil {
				t.Fatal(err)
			}
			_, problems := storage.Convert(string(data), testOptions())
			for _, w := range want {
				if !slices.Contains(problems, w) {
					t.Errorf("problem %q not reported; got %q", w, problems)
				}
			}
		})
	}
}
