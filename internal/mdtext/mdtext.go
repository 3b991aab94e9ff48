// Package mdtext writes text into CommonMark (with GFM tables) so that it
// renders as itself: the escaping and code spans that aumo's Markdown
// converters share.
package mdtext

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HardBreak stands in for a hard line break while inline content is being
// assembled. Trimming around emphasis and at paragraph ends can then treat it
// like whitespace; it is replaced by the context's real break at the end.
// NUL never survives into text (CommonMark renders it as U+FFFD anyway).
const HardBreak = "\x00"

// EscapeText makes literal text render literally. Only characters that can
// start Markdown syntax mid-line are escaped; line-start syntax is handled by
// EscapeLineStarts because most of it is harmless elsewhere, and escaping it
// everywhere would make ordinary prose hard to read.
func EscapeText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		switch r {
		case 0:
			b.WriteRune(utf8.RuneError)
			continue
		case '\\', '`', '*', '[', ']', '<', '~':
			b.WriteByte('\\')
		case '_':
			// Intraword underscores never delimit emphasis, so snake_case
			// identifiers stay readable.
			if !isWordRune(LastRune(s[:i])) || !isWordRune(FirstRune(s[i+1:])) {
				b.WriteByte('\\')
			}
		case '&':
			if LooksLikeEntity(s[i:]) {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LooksLikeEntity reports whether s, which starts with "&", starts an
// HTML entity or numeric character reference, which Markdown would decode.
func LooksLikeEntity(s string) bool {
	for i := 1; i < len(s) && i < 40; i++ {
		c := s[i]
		switch {
		case c == ';':
			return i > 1
		case c == '#' && i == 1, c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// FirstRune is the first rune of s; a space for an empty string, which
// borders nothing.
func FirstRune(s string) rune {
	if s == "" {
		return ' '
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// LastRune is the last rune of s; a space for an empty string.
func LastRune(s string) rune {
	if s == "" {
		return ' '
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// IsPunct follows CommonMark's notion of punctuation for flanking rules.
func IsPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

// IsSpace treats the hard-break placeholder as whitespace for flanking.
func IsSpace(r rune) bool { return r == 0 || unicode.IsSpace(r) }

// EscapeLineStarts neutralises block syntax at the start of every line of a
// paragraph: headings, quotes, list markers, thematic breaks and setext
// underlines. Leading and trailing blanks are dropped because they would turn
// lines into indented code or hard breaks.
func EscapeLineStarts(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		line = strings.Trim(line, " \t")
		lines[i] = EscapeLineStart(line)
	}
	return strings.Join(lines, "\n")
}

// EscapeLineStart escapes what would make one line start a block (a
// heading, a list item, a quote, a fence, a table delimiter row).
func EscapeLineStart(line string) string {
	if line == "" {
		return line
	}
	next := byte(' ')
	if len(line) > 1 {
		next = line[1]
	}
	switch line[0] {
	case '#', '>', '=':
		return `\` + line
	case '-':
		if next == ' ' || next == '\t' || next == '-' {
			return `\` + line
		}
	case '+':
		if next == ' ' || next == '\t' {
			return `\` + line
		}
	}
	// A line of dashes, colons and pipes would turn the line above into a
	// GFM table header.
	if strings.Trim(line, "-:| \t") == "" && strings.ContainsAny(line, "|") && strings.Contains(line, "-") {
		return `\` + line
	}
	// Ordered list markers: up to nine digits followed by '.' or ')'.
	d := 0
	for d < len(line) && d < 10 && line[d] >= '0' && line[d] <= '9' {
		d++
	}
	if d > 0 && d <= 9 && d < len(line) && (line[d] == '.' || line[d] == ')') {
		if d+1 == len(line) || line[d+1] == ' ' || line[d+1] == '\t' {
			return line[:d] + `\` + line[d:]
		}
	}
	return line
}

// CodeSpan renders s as an inline code span whose fence is longer than any
// backtick run inside it.
func CodeSpan(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", LongestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		(strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != "") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// CodeBlock renders code in a fence longer than any backtick run inside
// it, with the first word of lang as the info string. A fence cannot live
// in a one-line table cell, so there (inCell) each line becomes a code
// span instead (see CodeSpans); callers report that flattening.
func CodeBlock(code, lang string, inCell bool) string {
	code = strings.ReplaceAll(code, "\x00", "\uFFFD")
	// A lone CR ends a line in Markdown too; inside a table row it
	// would end the row.
	code = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(code)
	if inCell {
		return CodeSpans(code, "<br>")
	}
	info := ""
	if f := strings.Fields(lang); len(f) > 0 {
		info = strings.ReplaceAll(f[0], "`", "")
	}
	fence := strings.Repeat("`", max(3, LongestRun(code, '`')+1))
	if code == "" {
		return fence + info + "\n" + fence
	}
	return fence + info + "\n" + code + "\n" + fence
}

// CodeSpans renders each line of code as a code span and joins them with
// br, for code in places a fence cannot go. Every character stays: spaces
// at the ends of a line are kept inside its span, and an empty line is an
// empty stretch between two breaks. Code of nothing but line breaks is "".
func CodeSpans(code, br string) string {
	if strings.Trim(code, "\n") == "" {
		return ""
	}
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		lines[i] = CodeSpan(l)
	}
	return strings.Join(lines, br)
}

// Line assembles a line of inline Markdown piece by piece. A '!' that
// ends the line unescaped would turn a link that the next piece starts
// with into an image (and lose the link's text), so Append escapes it
// first. Each piece costs its own length, however long the line.
type Line struct {
	buf []byte
}

// Append adds the rendered inline piece md.
func (l *Line) Append(md string) {
	if strings.HasPrefix(md, "[") && endsWithBang(l.buf) {
		l.buf[len(l.buf)-1] = '\\'
		l.buf = append(l.buf, '!')
	}
	l.buf = append(l.buf, md...)
}

// Last is the line's last rune; a space while it is empty (see LastRune).
func (l *Line) Last() rune {
	if len(l.buf) == 0 {
		return ' '
	}
	r, _ := utf8.DecodeLastRune(l.buf)
	return r
}

// String is the line.
func (l *Line) String() string { return string(l.buf) }

// endsWithBang reports whether b ends with a '!' that no backslash
// escapes: one preceded by an even number of backslashes.
func endsWithBang(b []byte) bool {
	if len(b) == 0 || b[len(b)-1] != '!' {
		return false
	}
	n := 0
	for i := len(b) - 2; i >= 0 && b[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
}

// LongestRun is the length of the longest run of c in s, so that a fence
// or code span can be made longer than anything inside it.
func LongestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// LinkDest formats a URL as a link destination that survives any character.
func LinkDest(url string) string {
	url = strings.NewReplacer("\n", "%0A", "\r", "%0D").Replace(url)
	if url == "" || strings.ContainsAny(url, " \t<>") {
		return "<" + strings.NewReplacer(`\`, `\\`, "<", `\<`, ">", `\>`).Replace(url) + ">"
	}
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(url)
}

// ScriptURL reports whether following url would run a script: a
// javascript: or vbscript: URL, read as a browser reads an href and as
// a Markdown reader reads a link destination (character references
// decoded, leading spaces and control characters skipped, tabs and line
// breaks anywhere dropped, the scheme in any case). A converter writes
// no link to one.
func ScriptURL(url string) bool {
	return scriptScheme(url) || scriptScheme(html.UnescapeString(url))
}

func scriptScheme(url string) bool {
	url = strings.TrimLeftFunc(url, func(r rune) bool { return r <= ' ' })
	url = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(url)
	scheme, _, ok := strings.Cut(url, ":")
	return ok && (strings.EqualFold(scheme, "javascript") || strings.EqualFold(scheme, "vbscript"))
}

// Autolinkable reports whether url can be written as an autolink, <url>.
func Autolinkable(url string) bool {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return false
	}
	for _, r := range url {
		if r <= ' ' || r == '<' || r == '>' || r == 0x7f {
			return false
		}
	}
	return true
}

// AddProblem appends msg to problems unless seen records it already. A
// converter reports each problem once: a large table full of one
// unsupported node would otherwise bury everything else.
func AddProblem(problems []string, seen map[string]bool, msg string) []string {
	if seen[msg] {
		return problems
	}
	seen[msg] = true
	return append(problems, msg)
}

// Plain renders a title, a name or a summary as one line of Markdown that
// reads as the plain text it is, wherever it lands: in a Heading, a table
// cell, a list item or a link's text. Whitespace runs become one space.
func Plain(s string) string {
	s = EscapeLineStart(EscapeText(strings.Join(strings.Fields(s), " ")))
	// A pipe would end a table cell, even escaped text's (GFM splits
	// cells before anything else).
	// (Heading guards a closing run of '#'.)
	return strings.ReplaceAll(s, "|", `\|`)
}

// Note writes a converter's problem as an HTML comment that readers do
// not see, on one line: "<!-- aumo: code block in a table cell flattened
// to inline code -->". No "--" is left inside, which would end the
// comment early or make it invalid.
func Note(problem string) string {
	s := strings.Join(strings.Fields(problem), " ")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "- -")
	}
	return "<!-- aumo: " + s + " -->"
}
