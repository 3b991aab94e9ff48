package storage_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/storage"
)

func FuzzConvert(f *testing.F) {
	for _, in := range goldenInputs(f) {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	for _, tc := range malformedCases {
		f.Add(tc.src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		md, _ := storage.Convert(src, testOptions())
		checkText(t, src, md)
		// A reader sees no image the page lacks: text next to a link,
		// say, never turns it into one.
		out := renderHTML(t, []byte(md))
		if got, limit := strings.Count(out, "<img"), sourceImages(src); got > limit {
			t.Fatalf("%d images in the HTML, the page holds at most %d\n--- input ---\n%s\n--- output ---\n%s", got, limit, src, md)
		}
	})
}

// checkText asserts that every text run of the input appears in the
// output. Both sides are normalised first: whitespace collapsed (HTML
// collapses it; Markdown wraps and indents), backslashes removed (Markdown
// escaping; code keeps its backslashes, so removing them on both sides
// compares like with like) and <br> treated as a space (table cells).
// Multi-line runs (code) are compared line by line because quotes and
// lists prefix every line of a block.
func checkText(t testing.TB, src, md string) {
	t.Helper()
	out := normalize(md)
	for _, run := range storage.InputTexts(src) {
		for _, line := range strings.Split(run, "\n") {
			if w := normalize(line); w != "" && !strings.Contains(out, w) {
				t.Fatalf("text %q lost\n--- input ---\n%s\n--- output ---\n%s", w, src, md)
			}
		}
	}
}

func normalize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.NewReplacer("<br>", " ", `\`, "", "\x00", "\uFFFD").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}
