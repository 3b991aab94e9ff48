package query

import "testing"

func TestAnd(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"project = ABC", "(project = ABC) AND updated >= -5m"},
		{"project = ABC ORDER BY key", "(project = ABC) AND updated >= -5m ORDER BY key"},
		{`summary ~ "order by" and project = A`, `(summary ~ "order by" and project = A) AND updated >= -5m`},
		{"order by created", "updated >= -5m order by created"},
	} {
		if got := And(c.in, "updated >= -5m"); got != c.want {
			t.Errorf("And(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestWithContentTypes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"space = ENG", "(space = ENG) AND type in (page, blogpost)"},
		{"space = ENG order by created desc", "(space = ENG) AND type in (page, blogpost) order by created desc"},
		{"type = page and space = ENG", "type = page and space = ENG"},
		{"space = ENG AND TYPE IN (page, comment)", "space = ENG AND TYPE IN (page, comment)"},
		{`title ~ "type = page" and space = X`, `(title ~ "type = page" and space = X) AND type in (page, blogpost)`},
		{`title ~ "order by" and space = X`, `(title ~ "order by" and space = X) AND type in (page, blogpost)`},
		{"label = runbook OR label = howto", "(label = runbook OR label = howto) AND type in (page, blogpost)"},
		{"(type=blogpost)", "(type=blogpost)"},
		{"ORDER BY title", "type in (page, blogpost) ORDER BY title"},
		{"  ", "  "},
	} {
		if got := WithContentTypes(c.in); got != c.want {
			t.Errorf("WithContentTypes(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestWindows(t *testing.T) {
	for minutes, want := range map[int]string{65: "65m", 10_000: "10000m", 10_001: "167h", 400_000: "6667h", 700_000: "487d"} {
		if got := Age(minutes); got != want {
			t.Errorf("Age(%d) = %q, want %q", minutes, got, want)
		}
	}
	if got := UpdatedWithin(90); got != "updated >= -90m" {
		t.Errorf("UpdatedWithin(90) = %q", got)
	}
	if got := ModifiedWithin(20_000); got != `lastmodified >= now("-334h")` {
		t.Errorf("ModifiedWithin(20000) = %q", got)
	}
}

func TestQuoteCQL(t *testing.T) {
	if got := QuoteCQLList([]string{"ENG", `say "hi"`, `back\slash`}); got != `("ENG", "say \"hi\"", "back\\slash")` {
		t.Errorf("QuoteCQLList = %s", got)
	}
}
