package adf_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aumo-cli/aumo/pkg/adf"
)

// TestGoldenProblems checks that golden documents which cannot be rendered
// faithfully say so.
func TestGoldenProblems(t *testing.T) {
	for golden, want := range map[string][]string{
		"code-in-cell": {"code block in a table cell flattened to inline code"},
	} {
		t.Run(golden, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(goldenDir, golden+".json"))
			if err != nil {
				t.Fatal(err)
			}
			_, problems, err := adf.ConvertJSON(data, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range want {
				if !slices.Contains(problems, w) {
					t.Errorf("problem %q not reported; got %q", w, problems)
				}
			}
		})
	}
}
