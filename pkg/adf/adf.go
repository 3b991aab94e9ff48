package adf

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Options tune a conversion. The zero value is valid: links stay unchanged
// and every media node becomes an "[attachment: name]" marker.
type Options struct {
	// Media maps a media node's id (Jira media UUID / Confluence fileId) to the relative path of the
	// exported attachment file; unmapped media become a visible "[attachment: name]" marker.
	Media func(id string) (path string, ok bool)
	// Link rewrites a link's URL; returning "" drops the link and keeps its text. nil: links
	// stay unchanged; typically it points a link at the relative path of another exported item.
	// A dropped link mark leaves its text alone, a card or a link without text its URL as plain
	// text, an external image the marker "[image: alt]" (the URL when it has no alt text) and
	// other external media their name; the URL is never used as a destination then. A script
	// URL (javascript:, vbscript:) is dropped so before Link sees it, with a problem reported.
	Link func(url string) string
	// CardTitle names a link card that carries no title of its own (the site shows the linked
	// item's title, which the document does not hold): an issue's key for a link to the issue,
	// say. nil or "": the card's text is its URL.
	CardTitle func(url string) string
}

// maxDepth bounds recursion so hostile or corrupted documents cannot make the
// output grow quadratically through indentation; deeper content is kept as
// plain text.
const maxDepth = 256

// Convert renders an ADF document (a decoded JSON value or raw JSON via ConvertJSON) to Markdown.
// It never panics and never drops text: an unknown node keeps its text and gets a visible marker
// such as "[unsupported ADF node: foo]". Problems lists what it could not render faithfully.
//
// doc is normally the map produced by decoding an ADF document with
// encoding/json; a single node, a slice of nodes, []byte / json.RawMessage
// holding JSON, or any value that marshals to ADF JSON are accepted too.
func Convert(doc any, opts Options) (markdown string, problems []string) {
	return convert(doc, opts, ctx{})
}

// ConvertCell renders an ADF document like Convert, as the content of a
// GFM table cell: one line without its newline, blocks and breaks joined
// by <br>, pipes escaped. Code blocks become a code span a line, lists
// and nested tables are flattened; Problems says so, as in a table of the
// document itself.
func ConvertCell(doc any, opts Options) (markdown string, problems []string) {
	md, problems := convert(doc, opts, ctx{table: true})
	return mdtext.Cell(md), problems
}

// convert renders doc in the context x (the top level, or a table cell).
func convert(doc any, opts Options, x ctx) (markdown string, problems []string) {
	c := &converter{opts: opts, seen: map[string]bool{}}
	defer func() {
		// The renderer is written not to panic, but a caller-supplied
		// callback might; converting that into a problem keeps the promise
		// that one bad document cannot take down a whole export.
		if r := recover(); r != nil {
			c.problem("conversion aborted: %v", r)
			markdown = mdtext.EscapeText(strings.Join(collectText(doc, nil), " "))
			if markdown != "" {
				markdown += "\n"
			}
			problems = c.problems
		}
	}()
	doc = c.normalize(doc)
	var out string
	switch v := doc.(type) {
	case nil:
	case []any:
		out = c.blocks(v, x)
	default:
		out = c.blocks([]any{v}, x)
	}
	out = strings.TrimRight(out, "\n")
	if out != "" {
		out += "\n"
	}
	return out, c.problems
}

// ConvertJSON decodes data as JSON and converts it like Convert. The error is
// reported only for invalid JSON; structural problems end up in problems.
func ConvertJSON(data []byte, opts Options) (string, []string, error) {
	v, err := decode(data)
	if err != nil {
		return "", nil, fmt.Errorf("adf: %w", err)
	}
	md, problems := Convert(v, opts)
	return md, problems, nil
}

// decode uses json.Number so that millisecond timestamps and large ordered
// list starts survive without float rounding.
func decode(data []byte) (any, error) {
	if !json.Valid(data) {
		// Unmarshal produces the precise syntax error; Decoder.More would
		// also accept trailing closing brackets.
		var v any
		return nil, json.Unmarshal(data, &v)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

type converter struct {
	opts     Options
	problems []string
	seen     map[string]bool
}

// problem records a message once (see mdtext.AddProblem).
func (c *converter) problem(format string, args ...any) {
	c.problems = mdtext.AddProblem(c.problems, c.seen, fmt.Sprintf(format, args...))
}

// normalize turns the accepted input forms into the generic JSON shape.
func (c *converter) normalize(doc any) any {
	switch v := doc.(type) {
	case nil, map[string]any, []any:
		return v
	case []byte:
		return c.decodeOrProblem(v)
	case json.RawMessage:
		return c.decodeOrProblem(v)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		c.problem("document is not JSON-compatible: %v", err)
		return nil
	}
	return c.decodeOrProblem(data)
}

func (c *converter) decodeOrProblem(data []byte) any {
	v, err := decode(data)
	if err != nil {
		c.problem("document is not valid JSON: %v", err)
		return nil
	}
	return v
}

// nodeType returns the node's type, or "" for a missing or non-string one.
func nodeType(n map[string]any) string {
	t, _ := n["type"].(string)
	return t
}

// attrs returns the node's attributes; a wrong type is reported and treated
// as no attributes so rendering can continue with defaults.
func (c *converter) attrs(n map[string]any) map[string]any {
	raw, ok := n["attrs"]
	if !ok || raw == nil {
		return nil
	}
	a, ok := raw.(map[string]any)
	if !ok {
		c.problem("%s: attrs is not an object", describe(n))
	}
	return a
}

// content returns the node's children, reporting a non-array content.
func (c *converter) content(n map[string]any) []any {
	raw, ok := n["content"]
	if !ok || raw == nil {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		c.problem("%s: content is not an array", describe(n))
	}
	return list
}

func describe(n map[string]any) string {
	if t := nodeType(n); t != "" {
		return t
	}
	return "node without type"
}

// str reads a string attribute, tolerating numbers and booleans because
// exporters in the wild are not consistent about attribute types.
func str(a map[string]any, key string) string {
	switch v := a[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// num reads a numeric attribute given either as a JSON number or a numeric
// string (Jira stores date timestamps as strings).
func num(a map[string]any, key string) (float64, bool) {
	var f float64
	var err error
	switch v := a[key].(type) {
	case float64:
		f = v
	case json.Number:
		f, err = v.Float64()
	case string:
		f, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	default:
		return 0, false
	}
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// PlainText is the text a reader sees of an ADF document without its
// formatting, in document order: the text of text nodes and what
// mentions, emoji, statuses and cards show, run together within a
// paragraph as the reader sees them, and a space between blocks.
func PlainText(doc any) string {
	var b strings.Builder
	writeText(&b, doc)
	return strings.TrimSpace(b.String())
}

// inlineNodes are the nodes whose text runs on with the text around them.
var inlineNodes = map[string]bool{
	"text": true, "mention": true, "emoji": true, "status": true, "inlineCard": true,
	"date": true, "placeholder": true, "inlineExtension": true, "mediaInline": true,
}

// writeText writes the text below v, in document order.
func writeText(b *strings.Builder, v any) {
	switch n := v.(type) {
	case []any:
		for _, child := range n {
			writeText(b, child)
		}
	case map[string]any:
		typ := nodeType(n)
		if s, ok := n["text"].(string); ok && typ == "text" {
			b.WriteString(s)
		}
		if a, ok := n["attrs"].(map[string]any); ok && typ != "media" && typ != "mediaInline" {
			for _, k := range []string{"text", "url"} {
				if s, ok := a[k].(string); ok && s != "" {
					b.WriteString(s)
					break
				}
			}
		}
		if list, ok := n["content"].([]any); ok {
			writeText(b, list)
		}
		if !inlineNodes[typ] {
			space(b) // a block ends, or a hard break
		}
	}
}

// space ends what b holds with one space, unless it is empty or ends
// with white space already.
func space(b *strings.Builder) {
	s := b.String()
	if s != "" && !strings.HasSuffix(s, " ") && !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, "\t") {
		b.WriteByte(' ')
	}
}

// collectText gathers the text below v, in document order: every text
// node's, and the text a mention, an emoji or a status shows (a card
// shows its URL).
func collectText(v any, out []string) []string {
	switch n := v.(type) {
	case []any:
		for _, child := range n {
			out = collectText(child, out)
		}
	case map[string]any:
		if s, ok := n["text"].(string); ok && s != "" && nodeType(n) == "text" {
			out = append(out, s)
		}
		if a, ok := n["attrs"].(map[string]any); ok && nodeType(n) != "media" {
			for _, k := range []string{"text", "url"} {
				if s, ok := a[k].(string); ok && s != "" {
					out = append(out, s)
					break
				}
			}
		}
		if list, ok := n["content"].([]any); ok {
			out = collectText(list, out)
		}
	}
	return out
}
