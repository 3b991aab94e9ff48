package adf

import (
	"github.com/aumo-cli/aumo/internal/mdtext"
)

// table renders a GFM table (see mdtext.Grid for merged cells); GFM
// requires a header row, which is always the first row.
func (c *converter) table(rows []any, x ctx) string {
	if x.table {
		c.problem("table nested in a table cell flattened")
	}
	cx := x.deeper()
	cx.table = true
	cx.oneLine = false

	var g mdtext.Grid
	for _, raw := range rows {
		n, ok := raw.(map[string]any)
		if !ok {
			c.problem("content entry is not an object (%s)", jsonKind(raw))
			continue
		}
		// A rowspan ends with the table.
		c.tableRow(&g, n, len(rows)-len(g.Rows), cx)
	}
	return g.GFM(true)
}

// tableRow lays out one row; rowsLeft counts it and the rows after it. A
// node other than a tableRow is kept as a row of its own.
func (c *converter) tableRow(g *mdtext.Grid, n map[string]any, rowsLeft int, x ctx) {
	g.NewRow()
	cells := []any{n}
	if nodeType(n) == "tableRow" {
		cells = c.content(n)
	} else {
		c.problem("%s directly inside a table kept as a row", describe(n))
	}
	for _, raw := range cells {
		cell, ok := raw.(map[string]any)
		if !ok {
			c.problem("content entry is not an object (%s)", jsonKind(raw))
			continue
		}
		md, colspan, rowspan := c.tableCell(cell, x)
		rowspan = min(rowspan, rowsLeft)
		if colspan > 1 || rowspan > 1 {
			c.problem("merged table cells flattened")
		}
		g.Add(md, colspan, rowspan)
	}
}

// tableCell renders a cell and reads its spans. A node other than a cell
// is kept as a cell of its own.
func (c *converter) tableCell(n map[string]any, x ctx) (md string, colspan, rowspan int) {
	switch nodeType(n) {
	case "tableCell", "tableHeader":
		a := c.attrs(n)
		return c.cell(c.content(n), x), span(a, "colspan"), span(a, "rowspan")
	}
	c.problem("%s directly inside a table row kept as a cell", describe(n))
	return c.cell([]any{n}, x), 1, 1
}

func span(a map[string]any, key string) int {
	f, ok := num(a, key)
	if !ok || f < 1 {
		return 1
	}
	return int(min(f, mdtext.MaxSpan))
}

// cell flattens cell content to a single line: blocks and breaks become
// <br>, and pipes are escaped (GFM unescapes them before inline parsing, so
// this is right even inside code spans).
func (c *converter) cell(kids []any, x ctx) string {
	return mdtext.Cell(c.blocks(kids, x))
}
