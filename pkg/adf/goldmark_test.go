package adf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// TestGoldmarkRendersTheGoldens renders a few golden files with a
// CommonMark + GFM renderer and checks that readers get the structures
// the converter meant: tables, fenced code with its language, images,
// task boxes.
func TestGoldmarkRendersTheGoldens(t *testing.T) {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	for golden, want := range map[string][]string{
		"table":       {"<table>", "<th>Name</th>", "<td>pipe | inside</td>", "<td><code>code</code></td>"},
		"codeBlock":   {`<pre><code class="language-go">func main() {`, "fmt.Println(&quot;```&quot;)", "<pre><code>no language *here*"},
		"mediaSingle": {`<img src="attachments/10001-diagram.png" alt="diagram.png">`, `<img src="https://example.com/logo.svg" alt="Logo">`},
		"taskList":    {`<input checked="" disabled="" type="checkbox"> write the exporter`, `<input disabled="" type="checkbox"> nested task`},
	} {
		src, err := os.ReadFile(filepath.Join(goldenDir, golden+".md"))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := md.Convert(src, &buf); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s: the HTML lacks %q:\n%s", golden, w, buf.String())
			}
		}
	}
}
