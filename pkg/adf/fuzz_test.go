package adf_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/aumo-cli/aumo/pkg/adf"
)

func FuzzConvertJSON(f *testing.F) {
	for _, in := range goldenInputs(f) {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"type":"doc","content":{"type":"text"}}`))
	f.Add([]byte(`[{"type":"text","text":"a*b_c"},{"type":"foo","attrs":[]}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		md, _, err := adf.ConvertJSON(data, testOptions())
		if err != nil {
			return
		}
		checkText(t, data, md)
		checkImages(t, data, md)
	})
}

// checkImages asserts that a reader sees no image the document lacks:
// text next to a link, say, never turns it into one.
func checkImages(t *testing.T, data []byte, md string) {
	t.Helper()
	v := decodeJSON(t, data)
	out := renderHTML(t, []byte(md))
	if got, limit := strings.Count(out, "<img"), sourceImages(v); got > limit {
		t.Fatalf("%d images in the HTML, the document holds at most %d\n--- output ---\n%s\n--- html ---\n%s", got, limit, md, out)
	}
}

// checkText asserts that every text node's words survive conversion.
// Comparing letters and digits only makes the check independent of escaping,
// line breaking and the <br> used in table cells.
func checkText(t testing.TB, data []byte, md string) {
	t.Helper()
	v := decodeJSON(t, data)
	out := alnum(md)
	for _, text := range texts(v, nil) {
		for _, word := range strings.Fields(text) {
			if w := alnum(word); w != "" && !strings.Contains(out, w) {
				t.Fatalf("text %q lost (word %q)\n--- output ---\n%s", text, w, md)
			}
		}
	}
}

// decodeJSON decodes a document as the converter does: numbers too large
// for a float64 (1e700) are JSON all the same.
func decodeJSON(t testing.TB, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	return v
}

func alnum(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// texts collects text node strings reachable through content arrays, which
// is the part of a document the converter promises to keep.
func texts(v any, out []string) []string {
	switch n := v.(type) {
	case []any:
		for _, c := range n {
			out = texts(c, out)
		}
	case map[string]any:
		if n["type"] == "text" {
			if s, ok := n["text"].(string); ok {
				out = append(out, s)
			}
		}
		if c, ok := n["content"].([]any); ok {
			out = texts(c, out)
		}
	}
	return out
}
