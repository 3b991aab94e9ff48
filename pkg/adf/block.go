package adf

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"strconv"
	"strings"
)

var blockTypes = map[string]bool{
	"doc": true, "paragraph": true, "heading": true, "bulletList": true,
	"orderedList": true, "listItem": true, "taskList": true, "taskItem": true,
	"blockTaskItem": true, "decisionList": true, "decisionItem": true,
	"codeBlock": true, "blockquote": true, "rule": true, "table": true,
	"tableRow": true, "tableHeader": true, "tableCell": true, "panel": true,
	"expand": true, "nestedExpand": true, "mediaSingle": true,
	"mediaGroup": true, "media": true, "caption": true, "blockCard": true,
	"embedCard": true, "extension": true, "bodiedExtension": true,
	"multiBodiedExtension": true, "extensionFrame": true,
	"layoutSection": true, "layoutColumn": true,
}

var listTypes = map[string]bool{
	"bulletList": true, "orderedList": true, "taskList": true, "decisionList": true,
}

// block is one rendered top-level block; kind decides how it is joined to
// its neighbours.
type block struct {
	kind string
	md   string
}

// blocks renders block content separated by blank lines.
func (c *converter) blocks(nodes []any, x ctx) string {
	return joinBlocks(c.blockList(nodes, x), false)
}

// blockList renders each child. Inline nodes found where blocks belong (a
// common shape in hand-written or truncated ADF) are gathered into an
// implicit paragraph instead of being rejected.
func (c *converter) blockList(nodes []any, x ctx) []block {
	var out []block
	var pending []any
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if md := c.paragraph(pending, x); md != "" {
			out = append(out, block{"paragraph", md})
		}
		pending = nil
	}
	for _, raw := range nodes {
		n, ok := raw.(map[string]any)
		if !ok {
			c.problem("content entry is not an object (%s)", jsonKind(raw))
			continue
		}
		if inlineTypes[nodeType(n)] {
			pending = append(pending, n)
			continue
		}
		flush()
		if md := c.block(n, x); md != "" {
			out = append(out, block{nodeType(n), md})
		}
	}
	flush()
	return out
}

// joinBlocks joins rendered blocks (see mdtext.JoinBlocks).
func joinBlocks(bs []block, tight bool) string {
	out := make([]mdtext.Block, len(bs))
	for i, b := range bs {
		out[i] = mdtext.Block{MD: b.md, Paragraph: b.kind == "paragraph", List: listTypes[b.kind]}
	}
	return mdtext.JoinBlocks(out, tight)
}

func (c *converter) paragraph(nodes []any, x ctx) string {
	s := finishInline(c.inline(nodes, x), x)
	if x.table || x.oneLine {
		return strings.TrimSpace(s)
	}
	return mdtext.EscapeLineStarts(s)
}

// block renders one block node.
func (c *converter) block(n map[string]any, x ctx) string {
	t := nodeType(n)
	if x.depth > maxDepth {
		c.problem("nesting deeper than %d levels flattened to plain text", maxDepth)
		return mdtext.EscapeLineStarts(mdtext.EscapeText(strings.Join(collectText(n, nil), " ")))
	}
	x = x.deeper()
	a := c.attrs(n)
	kids := c.content(n)
	switch t {
	case "doc", "layoutSection", "layoutColumn", "caption", "extensionFrame":
		return c.blocks(kids, x)
	case "paragraph":
		return c.paragraph(kids, x)
	case "heading":
		return c.heading(a, kids, x)
	case "bulletList", "orderedList", "taskList", "decisionList":
		if x.table {
			c.problem("list inside a table cell flattened")
		}
		return c.list(t, a, kids, x)
	case "listItem", "taskItem", "blockTaskItem", "decisionItem":
		c.problem("%s outside a list", t)
		return c.list("bulletList", nil, []any{n}, x)
	case "codeBlock":
		return c.codeBlock(n, a, kids, x)
	case "blockquote":
		return c.quote(c.blocks(kids, x), x)
	case "rule":
		return c.leafBlock(t, "---", kids, x)
	case "table":
		return c.table(kids, x)
	case "tableRow":
		c.problem("tableRow outside a table")
		return c.table([]any{n}, x)
	case "tableHeader", "tableCell":
		c.problem("%s outside a table", t)
		return c.blocks(kids, x)
	case "panel":
		return c.panel(a, kids, x)
	case "expand", "nestedExpand":
		body := c.blocks(kids, x)
		if title := strings.TrimSpace(str(a, "title")); title != "" {
			head := mdtext.Emphasize("**", "<strong>", "</strong>", mdtext.EscapeText(title), ' ', ' ')
			if !x.table {
				head = mdtext.EscapeLineStart(head)
			}
			if body == "" {
				return head
			}
			return head + "\n\n" + body
		}
		return body
	case "mediaSingle", "mediaGroup":
		return c.mediaBlock(t, kids, x)
	case "media":
		return c.leafBlock(t, c.media(n, a, true), kids, x)
	case "blockCard", "embedCard":
		md, _ := c.card(a, x)
		return c.leafBlock(t, md, kids, x)
	case "extension", "bodiedExtension", "multiBodiedExtension":
		marker := c.extensionMarker(a)
		if body := c.blocks(kids, x); body != "" {
			return marker + "\n\n" + body
		}
		return marker
	}
	label := t
	if label == "" {
		label = "node without type"
	}
	c.problem("unsupported ADF node: %s", label)
	parts := []string{`\[unsupported ADF node: ` + mdtext.EscapeText(label) + `\]`}
	if s, ok := n["text"].(string); ok && s != "" {
		parts = append(parts, mdtext.EscapeLineStarts(mdtext.EscapeText(s)))
	}
	if body := c.blocks(kids, x); body != "" {
		parts = append(parts, body)
	}
	return strings.Join(parts, "\n\n")
}

// leafBlock is md, a block node of type t that has no content of its
// own; should it have some anyway, its text still comes out after it.
func (c *converter) leafBlock(t, md string, kids []any, x ctx) string {
	if len(kids) == 0 {
		return md
	}
	c.problem("%s node with unexpected content", t)
	body := c.blocks(kids, x)
	switch {
	case body == "":
		return md
	case md == "":
		return body
	}
	return md + "\n\n" + body
}

func (c *converter) heading(a map[string]any, kids []any, x ctx) string {
	lx := x
	lx.oneLine = true
	text := strings.TrimSpace(finishInline(c.inline(kids, lx), lx))
	if x.table {
		return mdtext.Emphasize("**", "<strong>", "</strong>", text, ' ', ' ')
	}
	level := 1
	if f, ok := num(a, "level"); ok {
		level = int(f)
	}
	if level < 1 || level > 6 {
		c.problem("heading level %d out of range", level)
		level = min(max(level, 1), 6)
	}
	if text == "" {
		return ""
	}
	return mdtext.Heading(level, text)
}

// list renders any of the four list kinds.
func (c *converter) list(t string, a map[string]any, kids []any, x ctx) string {
	num := 1
	if t == "orderedList" {
		if f, ok := num2int(a, "order"); ok {
			num = f
		}
	}
	var items []string
	for _, raw := range kids {
		n, ok := raw.(map[string]any)
		if !ok {
			c.problem("content entry is not an object (%s)", jsonKind(raw))
			continue
		}
		it := nodeType(n)
		marker := "- "
		if t == "orderedList" {
			marker = strconv.Itoa(num) + ". "
		}
		switch it {
		case "listItem", "taskItem", "blockTaskItem", "decisionItem":
		default:
			// A nested list directly inside a list (the normal shape for
			// nested task lists) or a stray block belongs to the previous
			// item; indent it under that item's content.
			md := c.block(n, x)
			if md == "" {
				continue
			}
			if len(items) > 0 {
				items[len(items)-1] = mdtext.AddToItem(items[len(items)-1], md, listTypes[it])
				continue
			}
			items = append(items, mdtext.Prefix(marker, md))
			num++
			continue
		}
		x2 := x.deeper()
		body := joinBlocks(c.blockList(c.content(n), x2), true)
		ia := c.attrs(n)
		switch it {
		case "taskItem", "blockTaskItem":
			box := "[ ] "
			if strings.EqualFold(str(ia, "state"), "DONE") {
				box = "[x] "
			}
			body = box + body
		case "decisionItem":
			label := "**Decision:** "
			if s := str(ia, "state"); s != "" && !strings.EqualFold(s, "DECIDED") {
				label = "**Undecided:** "
			}
			body = label + body
		}
		items = append(items, mdtext.Prefix(marker, body))
		num++
	}
	return strings.Join(items, "\n")
}

// num2int reads an ordered list start; CommonMark allows at most nine digits.
func num2int(a map[string]any, key string) (int, bool) {
	f, ok := num(a, key)
	if !ok {
		return 0, false
	}
	return int(min(max(f, 0), 999999999)), true
}

func (c *converter) quote(body string, x ctx) string {
	if x.table {
		return body
	}
	return mdtext.Quote(body)
}

func (c *converter) codeBlock(_, a map[string]any, kids []any, x ctx) string {
	var b strings.Builder
	for _, raw := range kids {
		child, ok := raw.(map[string]any)
		if !ok {
			c.problem("content entry is not an object (%s)", jsonKind(raw))
			continue
		}
		if nodeType(child) != "text" {
			c.problem("%s inside codeBlock kept as plain text", describe(child))
		}
		b.WriteString(strings.Join(collectText(child, nil), ""))
	}
	if x.table {
		c.problem("code block in a table cell flattened to inline code")
	}
	return mdtext.CodeBlock(strings.TrimRight(b.String(), "\n"), str(a, "language"), x.table)
}

var panelLabels = map[string]string{
	"info": "Info", "note": "Note", "warning": "Warning", "error": "Error",
	"success": "Success", "tip": "Tip", "custom": "Note",
}

// panel renders a coloured panel as a blockquote whose label carries the
// meaning the colour had.
func (c *converter) panel(a map[string]any, kids []any, x ctx) string {
	pt := str(a, "panelType")
	label, ok := panelLabels[pt]
	if !ok {
		label = "Info"
		if pt != "" {
			label = strings.ToUpper(pt[:1]) + pt[1:]
		}
	}
	head := "**" + mdtext.EscapeText(label) + ":**"
	bs := c.blockList(kids, x)
	if len(bs) > 0 && bs[0].kind == "paragraph" {
		bs[0].md = head + " " + bs[0].md
	} else {
		bs = append([]block{{"paragraph", head}}, bs...)
	}
	return c.quote(joinBlocks(bs, false), x)
}

// mediaBlock renders mediaSingle and mediaGroup. Each media item goes on its
// own line; a caption follows in italics.
func (c *converter) mediaBlock(t string, kids []any, x ctx) string {
	var parts []string
	for _, raw := range kids {
		n, ok := raw.(map[string]any)
		if !ok {
			c.problem("content entry is not an object (%s)", jsonKind(raw))
			continue
		}
		var md string
		switch nodeType(n) {
		case "media":
			md = c.media(n, c.attrs(n), t == "mediaSingle")
		case "caption":
			cx := x
			cx.oneLine = true
			md = finishInline(c.inline(c.content(n), cx), cx)
			md = mdtext.Emphasize("*", "<em>", "</em>", md, ' ', ' ')
		default:
			md = c.block(n, x)
		}
		if md != "" {
			parts = append(parts, md)
		}
	}
	return strings.Join(parts, "\n\n")
}
