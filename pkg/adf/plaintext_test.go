package adf_test

import (
	"encoding/json"
	"testing"

	"github.com/aumo-cli/aumo/pkg/adf"
)

// TestPlainText reads a document as its reader sees the text: runs of
// text within a paragraph together (a word split by a mark stays one
// word), a space between blocks and at a hard break, what mentions,
// emoji and cards show.
func TestPlainText(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"a mark inside a word", `{"type":"doc","content":[{"type":"paragraph","content":[
			{"type":"text","text":"un","marks":[{"type":"strong"}]},{"type":"text","text":"split word"}]}]}`, "unsplit word"},
		{"paragraphs and a list", `{"type":"doc","content":[
			{"type":"paragraph","content":[{"type":"text","text":"One."}]},
			{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"two"}]}]},
			{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"three"}]}]}]}]}`, "One. two three"},
		{"a hard break", `{"type":"doc","content":[{"type":"paragraph","content":[
			{"type":"text","text":"line"},{"type":"hardBreak"},{"type":"text","text":"next"}]}]}`, "line next"},
		{"a mention, an emoji and a card", `{"type":"doc","content":[{"type":"paragraph","content":[
			{"type":"text","text":"Ask "},{"type":"mention","attrs":{"id":"x","text":"@Ada"}},{"type":"text","text":" "},
			{"type":"emoji","attrs":{"shortName":":ok:","text":"👍"}},{"type":"text","text":" see "},
			{"type":"inlineCard","attrs":{"url":"https://example.com/a"}}]}]}`, "Ask @Ada 👍 see https://example.com/a"},
		{"a table", `{"type":"doc","content":[{"type":"table","content":[{"type":"tableRow","content":[
			{"type":"tableCell","content":[{"type":"paragraph","content":[{"type":"text","text":"a"}]}]},
			{"type":"tableCell","content":[{"type":"paragraph","content":[{"type":"text","text":"b"}]}]}]}]}]}`, "a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc any
			if err := json.Unmarshal([]byte(tc.doc), &doc); err != nil {
				t.Fatal(err)
			}
			if got := adf.PlainText(doc); got != tc.want {
				t.Errorf("PlainText = %q, want %q", got, tc.want)
			}
		})
	}
}
