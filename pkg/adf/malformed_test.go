package adf_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/adf"
)

func TestMalformed(t *testing.T) {
	cases := []struct {
		name, json string
		want       []string // substrings of the Markdown
		problem    string   // substring of some problem
	}{
		{"unknown block", `{"type":"doc","content":[{"type":"foo","content":[{"type":"paragraph","content":[{"type":"text","text":"kept"}]}]}]}`,
			[]string{`\[unsupported ADF node: foo\]`, "kept"}, "unsupported ADF node: foo"},
		{"unknown inline with text", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"bar","text":"inner"}]}]}`,
			[]string{"unsupported ADF node: bar", "inner"}, "bar"},
		{"missing content", `{"type":"doc","content":[{"type":"paragraph"},{"type":"bulletList"},{"type":"table"},{"type":"heading"}]}`,
			nil, ""},
		{"content not an array", `{"type":"doc","content":[{"type":"paragraph","content":{"type":"text","text":"x"}}]}`,
			nil, "content is not an array"},
		{"attrs not an object", `{"type":"doc","content":[{"type":"heading","attrs":[1],"content":[{"type":"text","text":"title"}]}]}`,
			[]string{"# title"}, "attrs is not an object"},
		{"content entry not an object", `{"type":"doc","content":[42,"s",null,{"type":"paragraph","content":[{"type":"text","text":"ok"}]}]}`,
			[]string{"ok"}, "not an object"},
		{"text not a string", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":5}]}]}`,
			nil, "non-string text"},
		{"marks wrong type", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"m","marks":{"type":"strong"}},{"type":"text","text":"n","marks":[{"type":"blink"}]}]}]}`,
			[]string{"mn"}, "unsupported ADF mark: blink"},
		{"bad date", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"date","attrs":{"timestamp":"soon"}}]}]}`,
			[]string{"soon"}, "invalid timestamp"},
		{"leaf with content", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"a","content":[{"type":"text","text":"hidden"}]}]}]}`,
			[]string{"hidden"}, "unexpected content"},
		{"block leaf with content", `{"type":"doc","content":[{"type":"rule","content":[{"type":"text","text":"under the rule"}]},{"type":"blockCard","attrs":{"url":"https://example.com"},"content":[{"type":"paragraph","content":[{"type":"text","text":"in the card"}]}]}]}`,
			[]string{"---", "under the rule", "<https://example.com>", "in the card"}, "rule node with unexpected content"},
		{"block in inline", `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"paragraph","content":[{"type":"text","text":"nested"}]}]}]}`,
			[]string{"nested"}, "inside inline content"},
		{"inline at block level", `{"type":"doc","content":[{"type":"text","text":"loose"},{"type":"listItem","content":[{"type":"text","text":"item"}]}]}`,
			[]string{"loose", "- item"}, "outside a list"},
		{"huge spans", `{"type":"table","content":[{"type":"tableRow","content":[{"type":"tableCell","attrs":{"colspan":1e12,"rowspan":1e12},"content":[{"type":"text","text":"big"}]}]}]}`,
			[]string{"| big |"}, "merged"},
		{"not a node", `"just a string"`, nil, "not an object"},
		{"top-level array", `[{"type":"paragraph","content":[{"type":"text","text":"one"}]},{"type":"rule"}]`,
			[]string{"one\n\n---"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md, problems, err := adf.ConvertJSON([]byte(tc.json), adf.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkText(t, []byte(tc.json), md)
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("output lacks %q:\n%s", w, md)
				}
			}
			if tc.problem != "" && !strings.Contains(strings.Join(problems, "\n"), tc.problem) {
				t.Errorf("problems %q lack %q", problems, tc.problem)
			}
		})
	}
}

func TestInvalidJSON(t *testing.T) {
	if _, _, err := adf.ConvertJSON([]byte(`{"type":`), adf.Options{}); err == nil {
		t.Fatal("want an error for invalid JSON")
	}
}

func TestConvertValueForms(t *testing.T) {
	raw := `{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"hi"}]}]}`
	var decoded any
	if err := json.Unmarshal([]byte(raw), &decoded); err != nil {
		t.Fatal(err)
	}
	type node struct {
		Type    string `json:"type"`
		Text    string `json:"text,omitempty"`
		Content []node `json:"content,omitempty"`
	}
	typed := node{Type: "doc", Content: []node{{Type: "paragraph", Content: []node{{Type: "text", Text: "hi"}}}}}
	for _, in := range []any{decoded, []byte(raw), json.RawMessage(raw), typed} {
		if md, problems := adf.Convert(in, adf.Options{}); md != "hi\n" || len(problems) != 0 {
			t.Errorf("Convert(%T) = %q, %q", in, md, problems)
		}
	}
	if md, _ := adf.Convert(nil, adf.Options{}); md != "" {
		t.Errorf("Convert(nil) = %q", md)
	}
}

func TestCallbackPanic(t *testing.T) {
	opts := adf.Options{Link: func(string) string { panic("boom") }}
	md, problems, err := adf.ConvertJSON([]byte(`{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"still here","marks":[{"type":"link","attrs":{"href":"x"}}]}]}]}`), opts)
	if err != nil || !strings.Contains(md, "still here") || len(problems) == 0 {
		t.Fatalf("got %q %q %v", md, problems, err)
	}
}

func TestDeepNesting(t *testing.T) {
	const depth = 100
	var build func(int) map[string]any
	build = func(d int) map[string]any {
		content := []any{map[string]any{"type": "paragraph", "content": []any{
			map[string]any{"type": "text", "text": fmt.Sprintf("level%d", d)}}}}
		if d < depth {
			content = append(content, map[string]any{"type": "bulletList", "content": []any{build(d + 1)}})
		}
		return map[string]any{"type": "listItem", "content": content}
	}
	doc := map[string]any{"type": "doc", "content": []any{map[string]any{"type": "bulletList", "content": []any{build(1)}}}}
	md, problems := adf.Convert(doc, adf.Options{})
	if len(problems) != 0 {
		t.Errorf("problems: %q", problems)
	}
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != depth {
		t.Fatalf("got %d lines, want %d", len(lines), depth)
	}
	for i, l := range lines {
		want := strings.Repeat("  ", i) + fmt.Sprintf("- level%d", i+1)
		if l != want {
			t.Fatalf("line %d = %q, want %q", i, l, want)
		}
	}

	// Far beyond any real document: flattened, but the text survives.
	var v any = map[string]any{"type": "text", "text": "bottom"}
	for range 5000 {
		v = map[string]any{"type": "blockquote", "content": []any{v}}
	}
	md, problems = adf.Convert(v, adf.Options{})
	if !strings.Contains(md, "bottom") || len(problems) == 0 {
		t.Fatalf("deep quote: %d bytes, problems %q", len(md), problems)
	}
	if len(md) > 1<<20 {
		t.Fatalf("deep quote produced %d bytes", len(md))
	}
}

func TestLargeTable(t *testing.T) {
	const rows, cols = 200, 50
	var rs []any
	for r := range rows {
		var cs []any
		for c := range cols {
			typ := "tableCell"
			if r == 0 {
				typ = "tableHeader"
			}
			cs = append(cs, map[string]any{"type": typ, "content": []any{map[string]any{"type": "paragraph",
				"content": []any{map[string]any{"type": "text", "text": fmt.Sprintf("r%dc%d|", r, c)}}}}})
		}
		rs = append(rs, map[string]any{"type": "tableRow", "content": cs})
	}
	doc := map[string]any{"type": "doc", "content": []any{map[string]any{"type": "table", "content": rs}}}
	data, _ := json.Marshal(doc)
	md, problems, err := adf.ConvertJSON(data, adf.Options{})
	if err != nil || len(problems) != 0 {
		t.Fatalf("err %v problems %q", err, problems)
	}
	checkText(t, data, md)
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != rows+1 {
		t.Fatalf("got %d lines, want %d", len(lines), rows+1)
	}
	for i, l := range lines {
		if n := strings.Count(l, " |"); n != cols {
			t.Fatalf("line %d has %d cells: %q", i, n, l)
		}
	}
	if !strings.Contains(md, `| r199c49\| |`) {
		t.Errorf("last cell missing or unescaped")
	}
}

func TestMentionNeverShowsID(t *testing.T) {
	md, _ := adf.Convert(map[string]any{"type": "mention", "attrs": map[string]any{"id": "557058:secret"}}, adf.Options{})
	if strings.Contains(md, "secret") {
		t.Fatalf("account id leaked: %q", md)
	}
}
