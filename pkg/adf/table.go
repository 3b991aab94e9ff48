package adf

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"strings"
)

// maxSpan caps colspan/rowspan so a corrupted attribute cannot allocate a
// grid of millions of empty cells.
const maxSpan = 64

// table renders a GFM table. GFM has no merged cells, so a spanned cell
// keeps its content in its first slot and leaves the slots it covered
// empty; GFM also requires a header row, which is always the first row.
func (c *converter) table(rows []any, x ctx) string {
	if x.table {
		c.problem("table nested in a table cell flattened")
	}
	cx := x.deeper()
	cx.table = true
	cx.oneLine = false

	var grid [][]string
	width := 0
	occupied := map[[2]int]bool{} // slots covered by a rowspan from above
	for _, raw := range rows {
		n, ok := raw.(map[string]any)
		if !ok {
			c.problem("content entry is not an object (%s)", jsonKind(raw))
			continue
		}
		r := len(grid)
		grid = append(grid, nil)
		cells := []any{n}
		if nodeType(n) == "tableRow" {
			cells = c.content(n)
		} else {
			c.problem("%s directly inside a table kept as a row", describe(n))
		}
		col := 0
		for _, rawCell := range cells {
			cell, ok := rawCell.(map[string]any)
			if !ok {
				c.problem("content entry is not an object (%s)", jsonKind(rawCell))
				continue
			}
			for occupied[[2]int{r, col}] {
				col++
			}
			var md string
			colspan, rowspan := 1, 1
			switch nodeType(cell) {
			case "tableCell", "tableHeader":
				a := c.attrs(cell)
				colspan, rowspan = span(a, "colspan"), span(a, "rowspan")
				rowspan = min(rowspan, len(rows)-r)
				md = c.cell(c.content(cell), cx)
			default:
				c.problem("%s directly inside a table row kept as a cell", describe(cell))
				md = c.cell([]any{cell}, cx)
			}
			if colspan > 1 || rowspan > 1 {
				c.problem("merged table cells flattened")
			}
			for dr := 0; dr < rowspan; dr++ {
				for dc := 0; dc < colspan; dc++ {
					if dr > 0 {
						occupied[[2]int{r + dr, col + dc}] = true
					}
				}
			}
			setCell(&grid[r], col, md)
			for dc := 1; dc < colspan; dc++ {
				setCell(&grid[r], col+dc, "")
			}
			col += colspan
			width = max(width, col)
		}
	}
	if len(grid) == 0 || width == 0 {
		return ""
	}
	var b strings.Builder
	for r, row := range grid {
		mdtext.WriteRow(&b, row, width)
		if r == 0 {
			mdtext.WriteRow(&b, nil, width)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// setCell stores md at col, growing the row with empty cells as needed.
func setCell(row *[]string, col int, md string) {
	for len(*row) <= col {
		*row = append(*row, "")
	}
	(*row)[col] = md
}

func span(a map[string]any, key string) int {
	f, ok := num(a, key)
	if !ok || f < 1 {
		return 1
	}
	return int(min(f, maxSpan))
}

// cell flattens cell content to a single line: blocks and breaks become
// <br>, and pipes are escaped (GFM unescapes them before inline parsing, so
// this is right even inside code spans).
func (c *converter) cell(kids []any, x ctx) string {
	return mdtext.Cell(c.blocks(kids, x))
}
