package storage

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// maxSlots bounds the cells a table's merged spans and padding may add; a
// table beyond it keeps every cell it has but is not squared up.
const maxSlots = 1 << 20

// table renders a GFM table (see mdtext.Grid for merged cells); GFM
// requires a header row, which is always the first row. nodes are the
// table's children (or stray rows found outside a table).
func (c *converter) table(out []block, nodes []*html.Node, x ctx) []block {
	if x.table {
		c.problem("table nested in a table cell or in inline content flattened")
	}
	var t tableParts
	t.collect(nodes)
	if t.caption != nil {
		out = c.tableCaption(out, t.caption, x)
	}
	cx := x.deeper()
	cx.table = true
	cx.cell = true
	cx.oneLine = false
	if g := c.grid(t.rows, cx); len(g.Rows) > 0 && g.Width > 0 {
		out = append(out, block{"table", gridMarkdown(g, x.table)})
	}
	if len(t.stray) > 0 {
		c.problem("content outside table cells kept after the table")
		out = append(out, c.blockList(t.stray, x)...)
	}
	return out
}

// tableParts are a table's children sorted by what becomes of them.
type tableParts struct {
	rows    []*html.Node
	caption *html.Node
	stray   []*html.Node // content outside the cells, kept after the table
}

func (t *tableParts) collect(nodes []*html.Node) {
	for _, k := range nodes {
		switch {
		case isBlank(k):
		case isElement(k, "tr"):
			t.rows = append(t.rows, k)
		case isElement(k, "thead", "tbody", "tfoot"):
			t.collect(children(k))
		case t.caption == nil && isElement(k, "caption"):
			t.caption = k
		case isElement(k, "colgroup", "col"):
			// Column definitions have no content; anything inside
			// one is a mistake that still has to be shown.
			for _, kk := range children(k) {
				if !isBlank(kk) && !isElement(kk, "col") {
					t.stray = append(t.stray, kk)
				}
			}
		default:
			t.stray = append(t.stray, k)
		}
	}
}

// tableCaption renders a caption as an italic line before the table, GFM
// having no captions.
func (c *converter) tableCaption(out []block, caption *html.Node, x ctx) []block {
	lx := x
	lx.oneLine = true
	s := strings.TrimSpace(finishInline(c.flat(children(caption), lx), lx))
	if s == "" {
		return out
	}
	s = mdtext.Emphasize("*", "<em>", "</em>", s, ' ', ' ')
	if !x.table {
		s = mdtext.EscapeLineStart(s)
	}
	return append(out, block{"paragraph", s})
}

// grid lays out the cells of rows.
func (c *converter) grid(rows []*html.Node, x ctx) *mdtext.Grid {
	g := &mdtext.Grid{}
	slots := 0
	for r, row := range rows {
		g.NewRow()
		for _, cell := range children(row) {
			if isBlank(cell) {
				continue
			}
			md, colspan, rowspan := c.tableCell(cell, x)
			// A rowspan ends with the table.
			colspan, rowspan = c.merged(&slots, colspan, min(rowspan, len(rows)-r))
			g.Add(md, colspan, rowspan)
		}
	}
	return g
}

// tableCell renders a cell and reads its spans. Anything else found in a
// row is kept as a cell of its own.
func (c *converter) tableCell(n *html.Node, x ctx) (md string, colspan, rowspan int) {
	if !isElement(n, "td", "th") {
		c.problem("content directly inside a table row kept as a cell")
		return c.cell([]*html.Node{n}, x), 1, 1
	}
	return c.cell(children(n), x), span(n, "colspan"), span(n, "rowspan")
}

// merged reports a merged cell and returns the spans to lay it out with;
// slots counts what the table's spans have added so far, and past
// maxSlots further spans are ignored.
func (c *converter) merged(slots *int, colspan, rowspan int) (int, int) {
	if colspan <= 1 && rowspan <= 1 {
		return colspan, rowspan
	}
	if *slots += colspan * rowspan; *slots > maxSlots {
		c.problem("table too large to square up; spans ignored")
		return 1, 1
	}
	c.problem("merged table cells flattened")
	return colspan, rowspan
}

// gridMarkdown writes the grid as a GFM table or, inside a table cell,
// where no table syntax fits, as a line of cells for each row.
func gridMarkdown(g *mdtext.Grid, inCell bool) string {
	if inCell {
		return cellLines(g.Rows)
	}
	// Padding short rows is only for the reader of the raw Markdown, so a
	// huge table goes without.
	return g.GFM(g.Width*len(g.Rows) <= maxSlots)
}

// cellLines writes each row's non-empty cells as one line.
func cellLines(rows [][]string) string {
	var lines []string
	for _, row := range rows {
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
	return strings.Join(lines, "\n")
}

func span(n *html.Node, key string) int {
	v, err := strconv.Atoi(strings.TrimSpace(attr(n, key)))
	if err != nil || v < 1 {
		return 1
	}
	return min(v, mdtext.MaxSpan)
}

// cell flattens cell content to a single line: blocks and breaks become
// <br>, and pipes are escaped (GFM unescapes them before inline parsing, so
// this is right even inside code spans).
func (c *converter) cell(kids []*html.Node, x ctx) string {
	return mdtext.Cell(c.blocks(kids, x))
}
