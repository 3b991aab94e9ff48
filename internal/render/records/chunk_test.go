package records

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// texts are the chunks' texts.
func texts(text string, ps []piece) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.text(text)
	}
	return out
}

// checkPieces checks what every cut must keep: no chunk longer than n,
// chunks in order with only whitespace between them and around them, a
// fence line added only to a piece of a code block, whole runes.
func checkPieces(t *testing.T, text string, n int, ps []piece) {
	t.Helper()
	if len(ps) == 0 {
		t.Fatal("no chunk")
	}
	pos := 0
	for i, p := range ps {
		got := p.text(text)
		if c := utf8.RuneCountInString(got); c > n {
			t.Errorf("chunk %d: %d characters, more than %d: %q", i, c, n, got)
		}
		if !utf8.ValidString(got) {
			t.Errorf("chunk %d is not valid UTF-8: %q", i, got)
		}
		if p.start < pos || p.end < p.start {
			t.Fatalf("chunk %d: [%d, %d) after %d", i, p.start, p.end, pos)
		}
		if gap := text[pos:p.start]; strings.TrimSpace(gap) != "" {
			t.Errorf("chunk %d: %q left between chunks", i, gap)
		}
		if p.open != "" && opens(strings.TrimSuffix(p.open, "\n")) == "" {
			t.Errorf("chunk %d: %q added before it is no fence", i, p.open)
		}
		if p.close != "" && !strings.HasPrefix(p.close, "\n") {
			t.Errorf("chunk %d: %q added after it is no line", i, p.close)
		}
		if p.headings == nil {
			t.Errorf("chunk %d: headings are null", i)
		}
		pos = p.end
	}
	if rest := text[pos:]; strings.TrimSpace(rest) != "" {
		t.Errorf("%q left after the last chunk", rest)
	}
}

const crafted = "# DEMO-1: The title\n\n" +
	"| Field | Value |\n| --- | --- |\n| Status | Done |\n\n" +
	"## Description\n\nA first paragraph.\n\n" +
	"```sh\n# not a heading\n\necho hi\n```\n\n" +
	"### Steps \\*to\\* reproduce ##\n\n1. open\n2. click\n\n" +
	"#hashtag is no heading\n\n" +
	"## Comments (2)\n\n" +
	"### Ada Example, 2026-02-28 06:59 UTC\n\nFirst comment.\n\n" +
	"### Grace Müller, 2026-02-28 07:13 UTC\n\nSecond comment, 日本語.\n\n" +
	"## History (1)\n\n| When | Who |\n| --- | --- |\n| now | Ada |\n"

// TestSplitHeadings cuts a crafted issue at its headings: each chunk
// under the headings above it, the title in none, a heading alone
// joining the one below it, a code block's lines never read as headings.
func TestSplitHeadings(t *testing.T) {
	ps := split(crafted, 1000)
	checkPieces(t, crafted, 1000, ps)
	type want struct {
		start    string
		headings []string
	}
	wants := []want{
		{"# DEMO-1: The title\n\n| Field", []string{}},
		{"## Description\n\nA first paragraph.\n\n```sh\n# not a heading\n\necho hi\n```", []string{"Description"}},
		{"### Steps", []string{"Description", "Steps *to* reproduce"}},
		{"## Comments (2)\n\n### Ada Example", []string{"Comments (2)", "Ada Example, 2026-02-28 06:59 UTC"}},
		{"### Grace Müller", []string{"Comments (2)", "Grace Müller, 2026-02-28 07:13 UTC"}},
		{"## History (1)", []string{"History (1)"}},
	}
	got := texts(crafted, ps)
	if len(got) != len(wants) {
		t.Fatalf("%d chunks, want %d:\n%q", len(got), len(wants), got)
	}
	for i, w := range wants {
		if !strings.HasPrefix(got[i], w.start) {
			t.Errorf("chunk %d starts %q, want %q", i, got[i], w.start)
		}
		if !reflect.DeepEqual(ps[i].headings, w.headings) {
			t.Errorf("chunk %d: headings %q, want %q", i, ps[i].headings, w.headings)
		}
	}
	if !strings.Contains(got[2], "#hashtag is no heading") {
		t.Errorf("a line of #hashtag started a section: %q", got[2])
	}
	// Small enough, the whole text is one chunk per section still.
	if n := len(split(crafted, 100000)); n != len(wants) {
		t.Errorf("%d chunks with room for all, want %d: one per section", n, len(wants))
	}
}

// TestSplitKeepsCodeBlocks never cuts a code block that fits in a chunk,
// even when the text around it fills chunks.
func TestSplitKeepsCodeBlocks(t *testing.T) {
	code := "```go\nfunc main() {\n\n\tprintln(\"hi\")\n}\n```"
	text := "## Code\n\n" + strings.Repeat("word ", 12) + "\n\n" + code + "\n\n" + strings.Repeat("more ", 12)
	for n := utf8.RuneCountInString(code); n < 120; n++ {
		ps := split(text, n)
		checkPieces(t, text, n, ps)
		found := false
		for _, s := range texts(text, ps) {
			if strings.Contains(s, code) {
				found = true
			}
			if strings.Contains(s, "```") && !strings.Contains(s, code) {
				t.Errorf("n=%d: a chunk holds a part of the code block: %q", n, s)
			}
		}
		if !found {
			t.Errorf("n=%d: no chunk holds the whole code block", n)
		}
	}
}

// TestSplitLongCodeBlock cuts a code block longer than a chunk between
// its lines into fenced blocks, which give back the code.
func TestSplitLongCodeBlock(t *testing.T) {
	var lines []string
	for i := range 40 {
		lines = append(lines, strings.Repeat("x", i%7)+"line "+string(rune('α'+i%20)))
	}
	lines[17] = "" // an empty line inside stays
	code := strings.Join(lines, "\n")
	for _, fence := range []string{"```", "~~~~"} {
		block := fence + "python\n" + code + "\n" + fence
		text := "Before.\n\n" + block + "\n\nAfter."
		ps := split(text, 60)
		checkPieces(t, text, 60, ps)
		var inner []string
		for _, s := range texts(text, ps) {
			if s == "Before." || s == "After." {
				continue
			}
			if !strings.HasPrefix(s, fence+"python\n") || !strings.HasSuffix(s, "\n"+fence) {
				t.Fatalf("%s: a piece of the code block is no fenced block: %q", fence, s)
			}
			inner = append(inner, strings.TrimSuffix(strings.TrimPrefix(s, fence+"python\n"), "\n"+fence))
		}
		if len(inner) < 3 {
			t.Fatalf("%s: the code block was cut in %d pieces", fence, len(inner))
		}
		if got := strings.Join(inner, "\n"); got != code {
			t.Errorf("%s: the pieces give back\n%s\nwant\n%s", fence, got, code)
		}
	}
}

// TestSplitLongLines cuts a paragraph longer than a chunk at lines, a
// line at spaces, a word between runes — never inside one.
func TestSplitLongLines(t *testing.T) {
	words := strings.Repeat("Ünïcödé wörds ünd 日本語の文章 ", 30)
	text := "# Title\n\n" + words + "\nsecond line\n\n" + strings.Repeat("日本語📎", 50)
	ps := split(text, 40)
	checkPieces(t, text, 40, ps)
	// Only the long word, past wordsEnd, is cut between runes.
	wordsEnd := strings.Index(text, "日本語📎")
	for i, p := range ps {
		if p.start == 0 || p.start >= wordsEnd {
			continue
		}
		if before, _ := utf8.DecodeLastRuneInString(text[:p.start]); !unicode.IsSpace(before) {
			t.Errorf("chunk %d starts inside a word: %q", i, p.text(text))
		}
		if after, _ := utf8.DecodeRuneInString(text[p.end:]); p.end < wordsEnd && !unicode.IsSpace(after) {
			t.Errorf("chunk %d ends inside a word: %q", i, p.text(text))
		}
	}
	got := texts(text, ps)
	if !strings.Contains(strings.Join(got, "\n"), "second line") {
		t.Errorf("a line is lost: %q", got)
	}
	last := got[len(got)-1]
	if utf8.RuneCountInString(last) > 40 || !strings.HasSuffix(last, "📎") {
		t.Errorf("last chunk %q", last)
	}
}

// TestSplitTiny cuts with chunks too short for a code block's fences:
// the block is cut as text, and no chunk is longer than asked.
func TestSplitTiny(t *testing.T) {
	text := "## Über\n\n```javascript\nlet x = 1;\nlet y = 2;\n```\n\nEnd."
	for n := 1; n < 30; n++ {
		ps := split(text, n)
		checkPieces(t, text, n, ps)
	}
}

// TestSplitEdges: an empty text is one empty chunk; a code block left
// open runs to the end; text before any heading has no headings.
func TestSplitEdges(t *testing.T) {
	if ps := split("", 10); len(ps) != 1 || ps[0].text("") != "" || len(ps[0].headings) != 0 {
		t.Errorf("empty text: %+v", ps)
	}
	open := "Intro.\n\n```\n## inside\n" + strings.Repeat("code line\n", 10)
	ps := split(open, 50)
	checkPieces(t, open, 50, ps)
	for _, p := range ps {
		if len(p.headings) != 0 {
			t.Errorf("a heading in an open code block counted: %q", p.headings)
		}
	}
	for _, s := range texts(open, ps)[1:] {
		if !strings.HasPrefix(s, "```\n") {
			t.Errorf("a piece of the open code block: %q", s)
		}
	}
	for line, want := range map[string]string{
		"## Tags \\| internal \\*x\\*": "Tags | internal *x*",
		"### Foo ###":                  "Foo",
		"## C\\#":                      "C#",
		"#":                            "",
		"   ## Indented":               "Indented",
		"###### Six":                   "Six",
	} {
		if level, got := heading(line); level == 0 || got != want {
			t.Errorf("heading(%q) = %d, %q; want %q", line, level, got, want)
		}
	}
	for _, line := range []string{"####### seven", "#hashtag", "    # code", "\\# escaped"} {
		if level, _ := heading(line); level != 0 {
			t.Errorf("%q read as a heading", line)
		}
	}
}

// FuzzSplit cuts texts made of Markdown's pieces with chunks of any size.
func FuzzSplit(f *testing.F) {
	f.Add(crafted, 37)
	f.Add("```\n```\n", 3)
	f.Add("a\n\n\n\nb", 1)
	f.Add("# T\n## A\n### B\n#### C\ntext", 5)
	r := rand.New(rand.NewPCG(1, 2))
	parts := []string{"# Title\n", "## Head\n", "### Deep \\# x\n", "\n", "\n\n", "word ", "日本語", "📎",
		"```go\n", "```\n", "~~~\n", "    indented\n", "- item\n", "| a | b |\n", "long" + strings.Repeat("x", 30) + " ", "\t"}
	for range 30 {
		var b strings.Builder
		for range r.IntN(80) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		f.Add(b.String(), 1+r.IntN(80))
	}
	f.Fuzz(func(t *testing.T, text string, n int) {
		if n < 1 || n > 1000 || !utf8.ValidString(text) {
			return
		}
		checkPieces(t, text, n, split(text, n))
	})
}
