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

// WriteRow writes one GFM table line; a nil row is the delimiter row.
func WriteRow(b *strings.Builder, row []string, width int) {
	b.WriteString("|")
	for i := 0; i < width; i++ {
		switch {
		case row == nil:
			b.WriteString(" --- |")
		case i < len(row) && row[i] != "":
			b.WriteString(" " + row[i] + " |")
		default:
			b.WriteString("  |")
		}
	}
	b.WriteString("\n")
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
