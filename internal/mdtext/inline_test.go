package mdtext

import (
	"strings"
	"testing"
)

func TestLineEscapesBangBeforeLink(t *testing.T) {
	cases := []struct{ before, piece, want string }{
		{"see!", "[x](y)", `see\![x](y)`},
		{`see\!`, "[x](y)", `see\![x](y)`},
		{`see\\!`, "[x](y)", `see\\\![x](y)`},
		{`see\\\!`, "[x](y)", `see\\\![x](y)`},
		{"see!", `\[x\]`, `see!\[x\]`},
		{"see!", "![x](y)", "see!![x](y)"},
		{"see!", " [x](y)", "see! [x](y)"},
		{"see", "[x](y)", "see[x](y)"},
		{"", "[x](y)", "[x](y)"},
		{"!", "[x](y)", `\![x](y)`},
	}
	for _, tc := range cases {
		var b Line
		b.Append(tc.before)
		b.Append(tc.piece)
		if got := b.String(); got != tc.want {
			t.Errorf("%q + %q = %q, want %q", tc.before, tc.piece, got, tc.want)
		}
		if strings.HasPrefix(tc.piece, "[") {
			if _, text := render(t, b.String()); !strings.Contains(text, "x") {
				t.Errorf("%q: the link's text is lost: %q", b.String(), text)
			}
		}
	}
}

// BenchmarkLineBangsBeforeLinks assembles a paragraph of 8,000 sentences
// that each end in "!" right before a link: each escape costs the same,
// however long the paragraph already is.
func BenchmarkLineBangsBeforeLinks(b *testing.B) {
	for b.Loop() {
		var l Line
		for range 8000 {
			l.Append("a sentence that ends with a bang!")
			l.Append("[a link](https://example.com/x)")
		}
		if !strings.Contains(l.String(), `bang\![a link]`) {
			b.Fatal("no escape")
		}
	}
}
