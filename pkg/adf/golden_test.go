package adf_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/adf"
)

var update = flag.Bool("update", false, "rewrite the golden .md files under testdata/adf")

const goldenDir = "../../testdata/adf"

// testOptions mimics an export: two attachments were downloaded and links to
// one issue point at its exported file.
func testOptions() adf.Options {
	media := map[string]string{
		"6e7c8a1f-image": "attachments/10001-diagram.png",
		"9b2d4c3e-pdf":   "attachments/10002-report.pdf",
		"noname-image":   "attachments/10003-screenshot.jpg",
	}
	return adf.Options{
		Media: func(id string) (string, bool) {
			p, ok := media[id]
			return p, ok
		},
		Link: func(url string) string {
			if rest, ok := strings.CutPrefix(url, "https://example.atlassian.net/browse/"); ok {
				return "../" + rest + "/issue.md"
			}
			return url
		},
	}
}

func goldenInputs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs in %s: %v", goldenDir, err)
	}
	return files
}

func TestGolden(t *testing.T) {
	for _, in := range goldenInputs(t) {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, problems, err := adf.ConvertJSON(data, testOptions())
			if err != nil {
				t.Fatalf("ConvertJSON: %v", err)
			}
			for _, p := range problems {
				t.Logf("problem: %s", p)
			}
			checkText(t, data, got)
			want := strings.TrimSuffix(in, ".json") + ".md"
			if *update {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/adf -update)", err)
			}
			if got != string(exp) {
				t.Errorf("output differs from %s\n--- got ---\n%s\n--- want ---\n%s", want, got, exp)
			}
		})
	}
}
