package sandbox

import (
	"html"
	"strings"
)

// Hostile titles and bodies: what an export must carry unharmed and what
// anything that turns it into files or web pages must neither obey nor
// run. They replace what the generators drew, after the draws, so that
// every other item, id and count stays as it was.

// HostileScript is the script the hostile bodies and titles carry, in
// text, in an event handler, in a javascript: link and in an HTML macro.
// Were it ever run, it would set the document's title to HostileTitle
// and add an element whose id is HostileElementID.
const (
	HostileScript    = "document.title='" + HostileTitle + "';document.body.append(Object.assign(document.createElement('b'),{id:'" + HostileElementID + "'}))"
	HostileTitle     = "pwned"
	HostileElementID = "aumo-pwned"
)

// The hostile markup, each a string that reads as text where it is
// escaped and runs where it is not.
const (
	hostileScriptTag = "<script>" + HostileScript + "</script>"
	hostileImage     = `<img src=x onerror="` + HostileScript + `">`
	hostileHref      = "javascript:" + HostileScript
)

// hostileLongTitle is a title of 319 bytes (219 characters, under the
// 255 Jira and Confluence allow): longer than a file name may be, in
// characters of one to four bytes.
var hostileLongTitle = strings.TrimSpace(strings.Repeat("Überraschungsei-日本語-📎 ", 10))

// confluenceHostileTitles are the titles of the pages at these 0-based
// positions (page n+1) of every space: a Windows device name, every
// character Windows forbids in a file name, a trailing dot and space,
// a title too long for a file name, and markup with the hostile script.
// confluenceHostileBody is the page whose body carries the script.
var confluenceHostileTitles = map[int]string{
	1: "CON",
	2: `Q3 plan: a/b \ c * d ? "e" <f> | g`,
	3: "Release notes v2. ",
	4: hostileLongTitle,
	5: "Pasted from the old wiki " + hostileImage,
}

const confluenceHostileBody = 5

// confluenceSiblingTitles are given to pairs of sibling pages: titles
// that differ only in case, and titles that differ only in a character
// a file name cannot hold.
var confluenceSiblingTitles = [][2]string{
	{"Meeting notes", "meeting NOTES"},
	{"Runbook?", "Runbook*"},
}

// retitle gives the pages of confluenceHostileTitles their titles, then
// each pair of confluenceSiblingTitles to the first two pages, visible
// and not retitled yet, of the first page or folder (in id order) that
// has two such children left. Titles stay unique within the space.
func (d *cfData) retitle() {
	taken := map[*cfContent]bool{}
	for ord, title := range confluenceHostileTitles {
		if ord < len(d.pages) {
			d.pages[ord].title = title
			taken[d.pages[ord]] = true
		}
	}
	pairs := confluenceSiblingTitles
	for _, it := range d.items {
		if len(pairs) == 0 {
			return
		}
		if it.cm != nil || it.a != nil || it.c.kind == kindBlogPost {
			continue
		}
		var kids []*cfContent
		for _, k := range it.c.children {
			if k.kind == kindPage && !k.hidden() && !taken[k] {
				kids = append(kids, k)
			}
		}
		for ; len(kids) >= 2 && len(pairs) > 0; kids, pairs = kids[2:], pairs[1:] {
			kids[0].title, kids[1].title = pairs[0][0], pairs[0][1]
			taken[kids[0]], taken[kids[1]] = true, true
		}
	}
}

// hostileBody adds to the body of the page confluenceHostileBody the
// hostile script as text (a script element and an image with an event
// handler), as the target of a link, and in an HTML macro.
func (doc *cfDoc) hostileBody(siteURL string) {
	doc.heading(2, "Pasted from the old wiki")
	doc.paragraph(siteURL, cfInline{text: hostileScriptTag})
	doc.paragraph(siteURL, cfInline{text: hostileImage})
	doc.paragraph(siteURL, cfInline{text: "Open the "}, cfInline{text: "old report", href: hostileHref}, cfInline{text: "."})
	doc.htmlMacro("9b2f6d3e-7c41-4a58-8e0d-5f1a2b3c4d5e", hostileScriptTag)
}

// htmlMacro writes Confluence's HTML macro: markup that Confluence shows
// as it is, where an administrator allows it. ADF holds it as an
// extension whose body is a parameter.
func (doc *cfDoc) htmlMacro(macroID, markup string) {
	doc.storage.WriteString(`<ac:structured-macro ac:name="html" ac:schema-version="1" ac:macro-id="` + macroID +
		`"><ac:plain-text-body>` + cdata(markup) + `</ac:plain-text-body></ac:structured-macro>`)
	doc.adf = append(doc.adf, map[string]any{"type": "extension", "attrs": map[string]any{
		"extensionType": "com.atlassian.confluence.macro.core", "extensionKey": "html", "layout": "default",
		"parameters": map[string]any{
			"macroParams":   map[string]any{"__bodyContent": map[string]any{"value": markup}},
			"macroMetadata": map[string]any{"macroId": map[string]any{"value": macroID}, "schemaVersion": map[string]any{"value": "1"}, "title": "HTML"},
		},
	}})
}

// jiraHostileSummaries are the summaries of the issues at these 0-based
// positions (KEY-n+1) of every project: a Windows device name, every
// character Windows forbids in a file name, a trailing dot (Jira trims
// spaces), a summary too long for a file name, and markup with the
// hostile script. jiraHostileBody is the issue whose description
// carries the script.
var jiraHostileSummaries = map[int]string{
	4: "Pasted from the old tracker " + hostileImage,
	6: "CON",
	7: `a/b\c:d*e?f"g<h>i|j`,
	8: "Release notes v2.",
	9: hostileLongTitle,
}

const jiraHostileBody = 4

// hostileDescription is the hostile script in a description, as ADF
// blocks and as the HTML of renderedFields: as text, and as the target
// of a link.
func hostileDescription() ([]any, string) {
	blocks := []any{
		adfParagraph(adfText(hostileScriptTag)),
		adfParagraph(adfText(hostileImage)),
		adfParagraph(adfText("Open the "), adfLink("old report", hostileHref), adfText(".")),
	}
	h := "\n\n<p>" + html.EscapeString(hostileScriptTag) + "</p>\n\n<p>" + html.EscapeString(hostileImage) +
		"</p>\n\n<p>Open the <a href=\"" + html.EscapeString(hostileHref) +
		"\" class=\"external-link\" rel=\"nofollow noreferrer\">old report</a>.</p>"
	return blocks, h
}
