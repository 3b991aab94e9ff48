package mdtext_test

import (
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/mdtext"
)

func TestAppendInline(t *testing.T) {
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
		var b strings.Builder
		b.WriteString(tc.before)
		mdtext.AppendInline(&b, tc.piece)
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
