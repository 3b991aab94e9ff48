package adf

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// hardBreak stands in for a hard line break while inline content is being
// assembled. Trimming around emphasis and at paragraph ends can then treat it
// like whitespace; it is replaced by the context's real break at the end.
// NUL never survives into text (CommonMark renders it as U+FFFD anyway).
const hardBreak = "\x00"

// escapeText makes literal text render literally. Only characters that can
// start Markdown syntax mid-line are escaped; line-start syntax is handled by
// escapeLineStarts because most of it is harmless elsewhere, and escaping it
// everywhere would make ordinary prose hard to read.
func escapeText(s string) string {
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
			if !isWordRune(lastRune(s[:i])) || !isWordRune(firstRune(s[i+1:])) {
				b.WriteByte('\\')
			}
		case '&':
			if looksLikeEntity(s[i:]) {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// looksLikeEntity reports whether s starts with an HTML entity or numeric
// character reference, which Markdown would decode.
func looksLikeEntity(s string) bool {
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

func firstRune(s string) rune {
	if s == "" {
		return ' '
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func lastRune(s string) rune {
	if s == "" {
		return ' '
	}
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// isPunct follows CommonMark's notion of punctuation for flanking rules.
func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

// isSpace treats the hard-break placeholder as whitespace for flanking.
func isSpace(r rune) bool { return r == 0 || unicode.IsSpace(r) }

// escapeLineStarts neutralises block syntax at the start of every line of a
// paragraph: headings, quotes, list markers, thematic breaks and setext
// underlines. Leading and trailing blanks are dropped because they would turn
// lines into indented code or hard breaks.
func escapeLineStarts(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		line = strings.Trim(line, " \t")
		lines[i] = escapeLineStart(line)
	}
	return strings.Join(lines, "\n")
}

func escapeLineStart(line string) string {
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

// codeSpan renders s as an inline code span whose fence is longer than any
// backtick run inside it.
func codeSpan(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		(strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.Trim(s, " ") != "") {
		s = " " + s + " "
	}
	return fence + s + fence
}

func longestRun(s string, c byte) int {
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

// linkDest formats a URL as a link destination that survives any character.
func linkDest(url string) string {
	url = strings.NewReplacer("\n", "%0A", "\r", "%0D").Replace(url)
	if url == "" || strings.ContainsAny(url, " \t<>") {
		return "<" + strings.NewReplacer(`\`, `\\`, "<", `\<`, ">", `\>`).Replace(url) + ">"
	}
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(url)
}
