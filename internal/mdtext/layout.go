package mdtext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Block is one rendered block, with what decides how it joins its
// neighbours: whether it is a paragraph, or a list.
type Block struct {
	MD              string
	Paragraph, List bool
}

// JoinBlocks separates blocks with blank lines. Inside a list item (tight)
// a nested list follows its paragraph directly so the list stays tight.
// Two adjacent lists of the same kind would merge into one in Markdown, so
// an empty HTML comment keeps them apart.
func JoinBlocks(bs []Block, tight bool) string {
	var b strings.Builder
	for i, bl := range bs {
		if i > 0 {
			prev := bs[i-1]
			switch {
			case tight && prev.Paragraph && canInterrupt(bl):
				b.WriteString("\n")
			case bl.List && prev.List && markerChar(prev.MD) == markerChar(bl.MD):
				b.WriteString("\n\n<!-- -->\n\n")
			default:
				b.WriteString("\n\n")
			}
		}
		b.WriteString(bl.MD)
	}
	return b.String()
}

// canInterrupt reports whether a list may start right after a paragraph
// line; CommonMark only allows that for non-empty bullet items and ordered
// lists starting at 1.
func canInterrupt(bl Block) bool {
	return bl.List && (strings.HasPrefix(bl.MD, "- ") || strings.HasPrefix(bl.MD, "1. "))
}

// markerChar identifies the list marker family a rendered list starts with.
func markerChar(md string) string {
	if strings.HasPrefix(md, "- ") || md == "-" || strings.HasPrefix(md, "-\n") {
		return "-"
	}
	i := strings.IndexFunc(md, func(r rune) bool { return !unicode.IsDigit(r) })
	if i > 0 {
		return md[i : i+1]
	}
	return md
}

// AddToItem puts md under a rendered list item, indented to the item's
// content column so that it belongs to the item. A nested list (list)
// follows on the next line; anything else after a blank line.
func AddToItem(item, md string, list bool) string {
	sep := "\n\n"
	if list {
		sep = "\n"
	}
	return item + sep + Indent(md, strings.Repeat(" ", itemWidth(item)))
}

// itemWidth recovers the marker width of a rendered list item.
func itemWidth(item string) int {
	if i := strings.Index(item, " "); i > 0 && i < 12 && !strings.Contains(item[:i], "\n") {
		return i + 1
	}
	return 2
}

// Prefix puts marker before the first line and aligns the following lines
// with the content column, which is what makes nested blocks belong to the
// item.
func Prefix(marker, body string) string {
	if body == "" {
		return strings.TrimRight(marker, " ")
	}
	return marker + Indent(body, strings.Repeat(" ", len(marker)))[len(marker):]
}

// Indent prefixes every non-empty line; empty lines stay empty so no
// trailing whitespace is produced.
func Indent(s, pad string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

// Heading writes an ATX heading.
func Heading(level int, text string) string {
	// A closing run of '#' would be eaten as an optional closing sequence.
	if strings.HasSuffix(text, "#") {
		text = text[:len(text)-1] + `\#`
	}
	return strings.Repeat("#", level) + " " + text
}

// Quote makes body a block quote.
func Quote(body string) string {
	if body == "" {
		return ""
	}
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = ">"
		} else {
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n")
}

// Cell flattens a table cell's Markdown to a single line: blocks and
// breaks become <br>, and pipes are escaped (GFM unescapes them before
// inline parsing, so this is right even inside code spans).
func Cell(md string) string {
	var parts []string
	for _, l := range strings.Split(md, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.ReplaceAll(strings.Join(parts, "<br>"), "|", `\|`)
}

// MaxSpan caps colspan and rowspan so a corrupted attribute cannot
// allocate a grid of millions of empty cells.
const MaxSpan = 64

// Grid places a table's cells in the slots of a GFM table. GFM has no
// merged cells, so a spanned cell keeps its content in its first slot and
// leaves the slots it covers empty.
type Grid struct {
	Rows  [][]string
	Width int // of the widest row

	col     int             // the current row's next slot
	covered map[[2]int]bool // slots covered by a rowspan from above
}

// NewRow starts the next row.
func (g *Grid) NewRow() {
	g.Rows = append(g.Rows, nil)
	g.col = 0
}

// Add puts a cell's Markdown in the current row's next free slot.
func (g *Grid) Add(md string, colspan, rowspan int) {
	r := len(g.Rows) - 1
	for g.covered[[2]int{r, g.col}] {
		g.col++
	}
	for dr := 1; dr < rowspan; dr++ {
		for dc := 0; dc < colspan; dc++ {
			g.cover(r+dr, g.col+dc)
		}
	}
	g.set(r, g.col, md)
	for dc := 1; dc < colspan; dc++ {
		g.set(r, g.col+dc, "")
	}
	g.col += colspan
	g.Width = max(g.Width, g.col)
}

func (g *Grid) cover(r, col int) {
	if g.covered == nil {
		g.covered = map[[2]int]bool{}
	}
	g.covered[[2]int{r, col}] = true
}

// set stores md at col, growing the row with empty cells as needed.
func (g *Grid) set(r, col int, md string) {
	for len(g.Rows[r]) <= col {
		g.Rows[r] = append(g.Rows[r], "")
	}
	g.Rows[r][col] = md
}

// GFM writes the grid as a GFM table, its first row the header, or ""
// when it has no cells. GFM fills short rows itself; padding them to the
// full width (pad) is only for the reader of the raw Markdown. A row
// without cells (an empty <tr>) stays an empty row.
func (g *Grid) GFM(pad bool) string {
	if len(g.Rows) == 0 || g.Width == 0 {
		return ""
	}
	var b strings.Builder
	for r, row := range g.Rows {
		w := max(len(row), 1)
		if pad || r == 0 {
			w = g.Width
		}
		writeRow(&b, row, w)
		if r == 0 {
			writeDelimiterRow(&b, g.Width)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// writeRow writes one GFM table line of width cells.
func writeRow(b *strings.Builder, row []string, width int) {
	b.WriteString("|")
	for i := 0; i < width; i++ {
		if i < len(row) && row[i] != "" {
			b.WriteString(" " + row[i] + " |")
		} else {
			b.WriteString("  |")
		}
	}
	b.WriteString("\n")
}

// writeDelimiterRow writes the line that ends a GFM table's header.
func writeDelimiterRow(b *strings.Builder, width int) {
	b.WriteString("|" + strings.Repeat(" --- |", width) + "\n")
}

// SplitSpace separates the whitespace (and break placeholders) at both
// ends, since emphasis delimiters next to whitespace do not count as
// delimiters.
func SplitSpace(s string) (lead, body, trail string) {
	body = strings.TrimLeftFunc(s, IsSpace)
	lead = s[:len(s)-len(body)]
	trimmed := strings.TrimRightFunc(body, IsSpace)
	trail = body[len(trimmed):]
	return lead, trimmed, trail
}

// Tag wraps inner's text, not its surrounding whitespace, in HTML tags.
func Tag(open, end, inner string) string {
	lead, body, trail := SplitSpace(inner)
	if body == "" {
		return inner
	}
	return lead + open + body + end + trail
}

// Emphasize wraps inner in delim when CommonMark's flanking rules will
// recognise it there, between the runes prev and next, and falls back to
// the equivalent HTML tags otherwise (for example "**a.**b" or
// "*x***y**").
func Emphasize(delim, open, end, inner string, prev, next rune) string {
	lead, body, trail := SplitSpace(inner)
	if body == "" {
		return inner
	}
	if lead != "" {
		prev = ' '
	}
	if trail != "" {
		next = ' '
	}
	d, _ := utf8.DecodeRuneInString(delim)
	first, last := FirstRune(body), LastRune(body)
	ok := prev != d && next != d &&
		(!IsPunct(first) || IsSpace(prev) || IsPunct(prev)) &&
		(!IsPunct(last) || IsSpace(next) || IsPunct(next)) &&
		(last != '\\' || strings.HasSuffix(body, `\\`))
	if ok {
		return lead + delim + body + delim + trail
	}
	return lead + open + body + end + trail
}
