package storage

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// maxSpan caps colspan/rowspan so a corrupted attribute cannot allocate a
// grid of millions of empty cells.
const maxSpan = 64

// maxSlots bounds the cells a table's merged spans and padding may add; a
// table beyond it keeps every cell it has but is not squared up.
const maxSlots = 1 << 20

// table renders a GFM table. GFM has no merged cells, so a spanned cell
// keeps its content in its first slot and leaves the slots it covered
// empty; GFM also requires a header row, which is always the first row.
// nodes are the table's children (or stray rows found outside a table).
func (c *converter) table(out []block, nodes []*html.Node, x ctx) []block {
	if x.table {
		c.problem("table nested in a table cell or in inline content flattened")
	}
	cx := x.deeper()
	cx.table = true
	cx.oneLine = false

	var rows []*html.Node
	var caption *html.Node
	var stray []*html.Node
	var collect func([]*html.Node)
	collect = func(nodes []*html.Node) {
		for _, k := range nodes {
			switch {
			case isBlank(k):
			case isElement(k, "tr"):
				rows = append(rows, k)
			case isElement(k, "thead", "tbody", "tfoot"):
				collect(children(k))
			case caption == nil && isElement(k, "caption"):
				caption = k
			case isElement(k, "colgroup", "col"):
				// Column definitions have no content; anything inside
				// one is a mistake that still has to be shown.
				for _, kk := range children(k) {
					if !isBlank(kk) && !isElement(kk, "col") {
						stray = append(stray, kk)
					}
				}
			default:
				stray = append(stray, k)
			}
		}
	}
	collect(nodes)

	if caption != nil {
		lx := x
		lx.oneLine = true
		if s := strings.TrimSpace(finishInline(c.flat(children(caption), lx), lx)); s != "" {
			s = mdtext.Emphasize("*", "<em>", "</em>", s, ' ', ' ')
			if !x.table {
				s = mdtext.EscapeLineStart(s)
			}
			out = append(out, block{"paragraph", s})
		}
	}

	var grid [][]string
	width := 0
	slots := 0
	occupied := map[[2]int]bool{} // slots covered by a rowspan from above
	for r, row := range rows {
		grid = append(grid, nil)
		col := 0
		for _, cell := range children(row) {
			if isBlank(cell) {
				continue
			}
			for occupied[[2]int{r, col}] {
				col++
			}
			var md string
			colspan, rowspan := 1, 1
			if isElement(cell, "td", "th") {
				colspan, rowspan = span(cell, "colspan"), span(cell, "rowspan")
				rowspan = min(rowspan, len(rows)-r)
				md = c.cell(children(cell), cx)
			} else {
				c.problem("content directly inside a table row kept as a cell")
				md = c.cell([]*html.Node{cell}, cx)
			}
			if colspan > 1 || rowspan > 1 {
				if slots += colspan * rowspan; slots > maxSlots {
					c.problem("table too large to square up; spans ignored")
					colspan, rowspan = 1, 1
				} else {
					c.problem("merged table cells flattened")
				}
			}
			for dr := 1; dr < rowspan; dr++ {
				for dc := 0; dc < colspan; dc++ {
					occupied[[2]int{r + dr, col + dc}] = true
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
	if len(grid) > 0 && width > 0 && x.table {
		// No table syntax fits in one cell: each row becomes a line of
		// its cells.
		var lines []string
		for _, row := range grid {
			var cells []string
			for _, cell := range row {
				if cell != "" {
					cells = append(cells, cell)
				}
			}
			if len(cells) > 0 {
				lines = append(lines, strings.Join(cells, " | "))
			}
		}
		out = append(out, block{"table", strings.Join(lines, "\n")})
	} else if len(grid) > 0 && width > 0 {
		// GFM fills short rows itself; padding them is only for the
		// reader of the raw Markdown, so a huge table goes without.
		pad := width*len(grid) <= maxSlots
		var b strings.Builder
		for r, row := range grid {
			w := max(len(row), 1)
			if pad || r == 0 {
				w = width
			}
			mdtext.WriteRow(&b, row, w)
			if r == 0 {
				mdtext.WriteRow(&b, nil, width)
			}
		}
		out = append(out, block{"table", strings.TrimRight(b.String(), "\n")})
	}
	if len(stray) > 0 {
		c.problem("content outside table cells kept after the table")
		out = append(out, c.blockList(stray, x)...)
	}
	return out
}

// setCell stores md at col, growing the row with empty cells as needed.
func setCell(row *[]string, col int, md string) {
	for len(*row) <= col {
		*row = append(*row, "")
	}
	(*row)[col] = md
}

func span(n *html.Node, key string) int {
	v, err := strconv.Atoi(strings.TrimSpace(attr(n, key)))
	if err != nil || v < 1 {
		return 1
	}
	return min(v, maxSpan)
}

// cell flattens cell content to a single line: blocks and breaks become
// <br>, and pipes are escaped (GFM unescapes them before inline parsing, so
// this is right even inside code spans).
func (c *converter) cell(kids []*html.Node, x ctx) string {
	return mdtext.Cell(c.blocks(kids, x))
}
