package records

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// piece is a chunk of a text: text[start:end], with the fence lines of a
// code block split across chunks added before (open) and after (close).
type piece struct {
	start, end  int
	open, close string
	headings    []string
}

func (p piece) text(s string) string { return p.open + s[p.start:p.end] + p.close }

// block is a part of the text that chunks are cut between: a heading
// line, a fenced code block, or a paragraph (lines up to a blank line).
type block struct {
	start, end int // the block's lines, less the last line's newline
	heading    int // the heading's level; 0: no heading
	title      string
	code       bool
}

// split cuts text into chunks of at most n characters (runes), at
// headings first; a section longer than n at blocks, then lines, then
// spaces, then anywhere between two runes. Each chunk knows the headings
// above it. Only whitespace is left between chunks.
func split(text string, n int) []piece {
	var out []piece
	for _, sec := range sections(text) {
		out = append(out, cut(text, sec.blocks, n, sec.headings)...)
	}
	if len(out) == 0 {
		out = append(out, piece{headings: []string{}})
	}
	return out
}

// section is a heading and the blocks up to the next; its headings are
// the titles of the heading and of those above it.
type section struct {
	blocks   []block
	headings []string
	level    int
}

// sections group the blocks under their headings. A first line that is
// a heading of level 1 is the item's title: the sections below it do not
// count it among their headings. A heading followed at once by one below
// it joins that one's section.
func sections(text string) []section {
	var out []section
	cur := section{headings: []string{}}
	type open struct {
		level int
		title string
	}
	var stack []open
	for i, b := range blocks(text) {
		if b.heading == 0 {
			cur.blocks = append(cur.blocks, b)
			continue
		}
		if i == 0 && b.start == 0 && b.heading == 1 {
			cur.blocks = append(cur.blocks, b)
			continue
		}
		for len(stack) > 0 && stack[len(stack)-1].level >= b.heading {
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, open{b.heading, b.title})
		headings := make([]string, len(stack))
		for j, o := range stack {
			headings[j] = o.title
		}
		if len(cur.blocks) > 0 && (!onlyHeading(cur) || b.heading <= cur.level) {
			out = append(out, cur)
			cur = section{}
		}
		cur.blocks = append(cur.blocks, b)
		cur.headings, cur.level = headings, b.heading
	}
	if len(cur.blocks) > 0 {
		out = append(out, cur)
	}
	return out
}

// onlyHeading tells a section that holds its heading alone (or the
// item's title alone, level 0).
func onlyHeading(s section) bool {
	return len(s.blocks) == 1 && s.blocks[0].heading > 0
}

// blocks reads the text's blocks.
func blocks(text string) []block {
	var out []block
	var para *block // the paragraph being read
	var code *block // the code block being read
	var fence string
	endPara := func() {
		if para != nil {
			out = append(out, *para)
			para = nil
		}
	}
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		next := start + end + 1
		if end < 0 {
			end, next = len(text)-start, len(text)
		}
		end += start
		line := text[start:end]
		switch {
		case code != nil:
			code.end = end
			if closes(line, fence) {
				out = append(out, *code)
				code = nil
			}
		case opens(line) != "":
			endPara()
			fence, code = opens(line), &block{start: start, end: end, code: true}
		case strings.TrimSpace(line) == "":
			endPara()
		default:
			if level, title := heading(line); level > 0 {
				endPara()
				out = append(out, block{start: start, end: end, heading: level, title: title})
			} else if para == nil {
				para = &block{start: start, end: end}
			} else {
				para.end = end
			}
		}
		start = next
	}
	endPara()
	if code != nil {
		out = append(out, *code)
	}
	return out
}

// opens is the fence a line opens a code block with: three or more
// backticks or tildes; "" when it opens none.
func opens(line string) string {
	s := strings.TrimLeft(line, " \t")
	if s == "" || s[0] != '`' && s[0] != '~' {
		return ""
	}
	n := len(s) - len(strings.TrimLeft(s, s[:1]))
	if n < 3 || s[0] == '`' && strings.Contains(s[n:], "`") {
		return ""
	}
	return s[:n]
}

// closes tells the line that closes a code block opened with fence.
func closes(line, fence string) bool {
	s := strings.TrimSpace(line)
	return len(s) >= len(fence) && strings.Trim(s, fence[:1]) == ""
}

// heading reads an ATX heading line: its level (0 for any other line)
// and its text, unescaped.
func heading(line string) (int, string) {
	s := line
	for i := 0; i < 3 && strings.HasPrefix(s, " "); i++ {
		s = s[1:]
	}
	level := len(s) - len(strings.TrimLeft(s, "#"))
	if level < 1 || level > 6 || len(s) > level && s[level] != ' ' && s[level] != '\t' {
		return 0, ""
	}
	title := strings.TrimSpace(s[level:])
	// An optional closing run of '#', after a space.
	if t := strings.TrimRight(title, "#"); t == "" {
		title = ""
	} else if t != title && (strings.HasSuffix(t, " ") || strings.HasSuffix(t, "\t")) {
		title = strings.TrimSpace(t)
	}
	return level, unescape(title)
}

// unescape drops the backslashes that escape ASCII punctuation.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(asciiPunct, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// cut cuts a section's blocks into pieces of at most n runes: as many
// whole blocks as fit in each; a block longer than n on its own is cut
// further.
func cut(text string, bs []block, n int, headings []string) []piece {
	units := make([]span, len(bs))
	code := map[int]block{}
	for i, b := range bs {
		units[i] = span{b.start, b.end}
		if b.code {
			code[b.start] = b
		}
	}
	out := pack(text, units, n, func(s, e int) []piece {
		if b, ok := code[s]; ok {
			if ps := cutCode(text, b, n); ps != nil {
				return ps
			}
		}
		return cutLines(text, s, e, n)
	})
	for i := range out {
		out[i].headings = headings
	}
	return out
}

// span is text[start:end].
type span struct{ start, end int }

// pack puts consecutive units together into pieces of at most n runes;
// a unit longer than n is cut by finer.
func pack(text string, units []span, n int, finer func(start, end int) []piece) []piece {
	var out []piece
	for i := 0; i < len(units); {
		u := units[i]
		if runes(text[u.start:u.end]) > n {
			out = append(out, finer(u.start, u.end)...)
			i++
			continue
		}
		j, size := i+1, runes(text[u.start:u.end])
		for j < len(units) {
			size += runes(text[units[j-1].end:units[j].end])
			if size > n {
				break
			}
			j++
		}
		out = append(out, piece{start: u.start, end: units[j-1].end})
		i = j
	}
	return out
}

// cutLines cuts text[start:end] at line breaks, a line longer than n at
// spaces.
func cutLines(text string, start, end, n int) []piece {
	var lines []span
	for s := start; s < end; {
		e := strings.IndexByte(text[s:end], '\n')
		if e < 0 {
			e = end - s
		}
		if strings.TrimSpace(text[s:s+e]) != "" {
			lines = append(lines, span{s, s + e})
		}
		s += e + 1
	}
	return pack(text, lines, n, func(s, e int) []piece { return cutWords(text, s, e, n) })
}

// cutWords cuts text[start:end] at spaces, a word longer than n between
// runes.
func cutWords(text string, start, end, n int) []piece {
	var words []span
	for s := start; s < end; {
		r, size := utf8.DecodeRuneInString(text[s:end])
		if unicode.IsSpace(r) {
			s += size
			continue
		}
		e := s + size
		for e < end {
			r, size := utf8.DecodeRuneInString(text[e:end])
			if unicode.IsSpace(r) {
				break
			}
			e += size
		}
		words = append(words, span{s, e})
		s = e
	}
	return pack(text, words, n, func(s, e int) []piece { return cutRunes(text, s, e, n) })
}

// cutRunes cuts text[start:end] into pieces of n runes, the last shorter.
func cutRunes(text string, start, end, n int) []piece {
	var out []piece
	for start < end {
		e, k := start, 0
		for e < end && k < n {
			_, size := utf8.DecodeRuneInString(text[e:end])
			e += size
			k++
		}
		out = append(out, piece{start: start, end: e})
		start = e
	}
	return out
}

// cutCode cuts a fenced code block at its lines into pieces of at most n
// runes, each a fenced code block: the pieces after the first open with
// a copy of the block's opening line, those before the last close with a
// copy of its closing line. A line longer than a piece holds is cut
// between runes. nil: the fence lines alone leave no room for code.
func cutCode(text string, b block, n int) []piece {
	first := strings.IndexByte(text[b.start:b.end], '\n')
	if first < 0 {
		return nil
	}
	openLine := text[b.start : b.start+first]
	fence := opens(openLine)
	last := strings.LastIndexByte(text[b.start:b.end], '\n') + b.start
	closeLine := text[last+1 : b.end]
	bodyEnd := last
	closed := closes(closeLine, fence)
	if !closed {
		closeLine = openLine[:len(openLine)-len(strings.TrimLeft(openLine, " \t"))] + fence
		bodyEnd = b.end
	}
	room := n - runes(openLine) - runes(closeLine) - 2
	if room < 1 {
		return nil
	}
	var lines []span
	for s := b.start + first + 1; s <= bodyEnd; {
		e := strings.IndexByte(text[s:bodyEnd], '\n')
		if e < 0 {
			e = bodyEnd - s
		}
		lines = append(lines, span{s, s + e})
		s += e + 1
	}
	out := pack(text, lines, room, func(s, e int) []piece { return cutRunes(text, s, e, room) })
	for i := range out {
		out[i].open, out[i].close = openLine+"\n", "\n"+closeLine
	}
	if len(out) > 0 {
		out[0].start, out[0].open = b.start, ""
		if closed {
			out[len(out)-1].end, out[len(out)-1].close = b.end, ""
		} else {
			out[len(out)-1].close = ""
		}
	}
	return out
}

// runes counts the characters of s.
func runes(s string) int { return utf8.RuneCountInString(s) }
