package adf_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/adf"
)

// TestConvertCell converts a document holding a paragraph, a code block
// and a list for a table cell: one line that a GFM table keeps in one
// cell, the code block a code span a line with every character kept.
func TestConvertCell(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "cell-comment.json"))
	if err != nil {
		t.Fatal(err)
	}
	cell, problems := adf.ConvertCell(data, testOptions())
	if strings.Contains(cell, "\n") {
		t.Fatalf("the cell spans lines: %q", cell)
	}
	for _, want := range []string{
		"code block in a table cell flattened to inline code",
		"list inside a table cell flattened",
	} {
		if !slices.Contains(problems, want) {
			t.Errorf("problem %q not reported; got %q", want, problems)
		}
	}
	h := renderHTML(t, []byte("| Comment | Next |\n| --- | --- |\n| "+cell+" | x |\n"))
	row := "<td>Fixed the <strong>parser</strong>:<br>" +
		cellCodeHTML("a | b\n    indented <br> line\n\nafter a blank line") +
		"<br>- first<br>- second | piped</td>\n<td>x</td>"
	if !strings.Contains(h, row) {
		t.Errorf("the table does not read\n%s\nbut\n%s\n(cell %q)", row, h, cell)
	}
}

// TestConvertCellEmpty gives nothing for an empty document.
func TestConvertCellEmpty(t *testing.T) {
	for _, doc := range []any{nil, map[string]any{"type": "doc", "content": []any{}}} {
		if md, problems := adf.ConvertCell(doc, adf.Options{}); md != "" || len(problems) != 0 {
			t.Errorf("ConvertCell(%v) = %q, %q", doc, md, problems)
		}
	}
}
