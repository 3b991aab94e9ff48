package storage_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/storage"
)

var update = flag.Bool("update", false, "rewrite the golden .md files under testdata/storage")

const goldenDir = "../../testdata/storage"

// testOptions mimics an export of space ENG: two attachments of the page
// were downloaded, three pages are in the export, one user is known, and
// links to Jira issues point at their exported files. Links to user
// profiles are dropped; site URLs of page 200 (Architecture) and of its
// attachments become relative.
func testOptions() storage.Options {
	attachments := map[string]string{
		"diagram.png":     "attachments/diagram.png",
		"report.pdf":      "attachments/report.pdf",
		"screen shot.jpg": "attachments/screen shot.jpg",
	}
	pages := map[string]string{
		"|Getting started": "../getting-started/page.md",
		"ENG|Architecture": "../architecture/page.md",
		"OPS|Runbook":      "../../OPS/runbook/page.md",
		"OPS|":             "../../OPS/index.md",
	}
	users := map[string]string{"5b10ac8d82e05b22cc7d4ef5": "Jane Doe"}
	return storage.Options{
		Attachment: func(name string) (string, bool) {
			p, ok := attachments[name]
			return p, ok
		},
		Page: func(space, title string) (string, bool) {
			p, ok := pages[space+"|"+title]
			return p, ok
		},
		User: func(id string) (string, bool) {
			n, ok := users[id]
			return n, ok
		},
		Link: func(url string) string {
			const site = "https://example.atlassian.net/"
			if rest, ok := strings.CutPrefix(url, site+"browse/"); ok {
				return "../../jira/" + rest + "/issue.md"
			}
			if rest, ok := strings.CutPrefix(url, site+"wiki/download/attachments/200/"); ok {
				return "attachments/" + rest
			}
			switch {
			case strings.HasPrefix(url, site+"wiki/people/"):
				return ""
			case strings.HasPrefix(url, site+"wiki/spaces/ENG/pages/200"):
				return "../architecture/page.md"
			}
			return url
		},
		SiteURL:  "https://example.atlassian.net/wiki",
		SpaceKey: "ENG",
	}
}

func goldenInputs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.xhtml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs in %s: %v", goldenDir, err)
	}
	return files
}

func TestGolden(t *testing.T) {
	for _, in := range goldenInputs(t) {
		name := strings.TrimSuffix(filepath.Base(in), ".xhtml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, problems := storage.Convert(string(data), testOptions())
			for _, p := range problems {
				t.Logf("problem: %s", p)
			}
			checkText(t, string(data), got)
			want := strings.TrimSuffix(in, ".xhtml") + ".md"
			if *update {
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/storage -update)", err)
			}
			if got != string(exp) {
				t.Errorf("output differs from %s\n--- got ---\n%s\n--- want ---\n%s", want, got, exp)
			}
		})
	}
}
