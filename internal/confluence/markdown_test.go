package confluence

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/export"
)

const (
	ada = "5b10ac8d82e05b22cc7d4ef5"
	bob = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"
)

// markdownSource is a source that knows two people and a few listed
// pages and blog posts, as a search would have left it.
func markdownSource(keep bool) *Source {
	s := New(Options{SiteURL: "https://acme.atlassian.net", KeepAccountIDs: keep})
	s.users[ada] = &User{AccountID: ada, DisplayName: "Ada <Lovelace> & Co"}
	s.users[bob] = &User{AccountID: bob, DisplayName: "Bob | *Builder*"}
	s.spaceKeys["100"] = "ENG"
	for _, h := range []struct{ kind, id, title string }{
		{"page", "100", "Runbook: <b>deploy</b> & <Revised> checks"},
		{"page", "200", "Other page"},
		{"blogpost", "300", "News"},
	} {
		s.note(searchContent{ID: h.id, Type: h.kind, Title: h.title, Space: struct {
			Key string      `json:"key"`
			ID  json.Number `json:"id"`
		}{Key: "ENG"}})
	}
	return s
}

func markdownOf(t *testing.T, s *Source, doc map[string]any, files []export.AttachmentFile) string {
	t.Helper()
	it, err := s.finish(t.Context(), "page", doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(it.Markdown(files))
}

// richDoc is a page whose title, people, labels, selection and links
// hold Markdown's and YAML's special characters.
func richDoc() map[string]any {
	return map[string]any{
		"id": "100", "title": "Runbook: <b>deploy</b> & <Revised> checks | *now*", "status": "current", "authorId": ada, "ownerId": bob,
		"createdAt": "2026-01-02T03:04:05.000Z", "parentId": "200", "parentType": "page",
		"version":   map[string]any{"number": 3.0, "createdAt": "2026-02-03T04:05:06.000Z", "authorId": bob},
		"_links":    map[string]any{"webui": "/spaces/ENG/pages/100/Runbook"},
		"labels":    []any{map[string]any{"name": "ops&run"}, map[string]any{"name": "x: y"}},
		"ancestors": []any{map[string]any{"id": "200"}},
		"body": map[string]any{"storage": map[string]any{"value": `<p>Ask <a href="https://acme.atlassian.net/wiki/people/` + bob + `">Bob B.</a>. ` +
			`Or see <a href="https://acme.atlassian.net/wiki/spaces/ENG/pages/200/Other+page">the other</a>, ` +
			`<a href="/wiki/spaces/ENG/blog/2026/01/02/300/News">news</a>, ` +
			`<a href="https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=200">by id</a>, ` +
			`<a href="https://other.atlassian.net/wiki/spaces/ENG/pages/200">elsewhere</a> and ` +
			`<a href="https://acme.atlassian.net/wiki/spaces/ENG/pages/999/Gone">gone</a>.</p>`}},
		"comments": []any{
			map[string]any{"id": "7", "location": "inline", "resolutionStatus": "open",
				"version":    map[string]any{"authorId": ada, "createdAt": "2026-03-01T00:00:00.000Z"},
				"properties": map[string]any{"inlineOriginalSelection": "<b>deploy</b> & *all* | 1. first"},
				"body":       map[string]any{"storage": map[string]any{"value": "<p>ok</p>"}}},
			map[string]any{"id": "8", "parentCommentId": "7", "version": map[string]any{"authorId": bob, "createdAt": "2026-03-02T00:00:00.000Z"},
				"body": map[string]any{"storage": map[string]any{"value": "<p>fine</p>"}}},
		},
	}
}

var richFiles = []export.AttachmentFile{{Name: "[draft] <v2> & *final* | x.pdf", Path: "attachments/att1/[draft] x.pdf"}}

// TestMarkdownReadsLiterally: front matter through a YAML encoder (no
// JSON escapes), titles, names, the selection and file names as the
// text they are, a link to a person as their name, links to pages and
// blog posts of the export relative, others to the site.
func TestMarkdownReadsLiterally(t *testing.T) {
	got := markdownOf(t, markdownSource(false), richDoc(), richFiles)
	want := `---
id: "100"
title: 'Runbook: <b>deploy</b> & <Revised> checks | *now*'
type: page
space: ENG
status: current
created: "2026-01-02T03:04:05.000Z"
updated: "2026-02-03T04:05:06.000Z"
version: "3"
author: Ada <Lovelace> & Co
owner: Bob | *Builder*
url: https://acme.atlassian.net/wiki/spaces/ENG/pages/100/Runbook
parent: "200"
parentType: page
labels: [ops&run, 'x: y']
ancestors: ["200"]
---

# Runbook: \<b>deploy\</b> & \<Revised> checks \| \*now\*

Ask Bob B.. Or see [the other](../../pages/200/page.md), [news](../../blogposts/300/blogpost.md), [by id](../../pages/200/page.md), [elsewhere](https://other.atlassian.net/wiki/spaces/ENG/pages/200) and [gone](https://acme.atlassian.net/wiki/spaces/ENG/pages/999/Gone).

## Comments

### Inline comment by Ada \<Lovelace> & Co, 2026-03-01T00:00:00.000Z

> On: “\<b>deploy\</b> & \*all\* \| 1. first”

*(open)*

ok

#### Reply by Bob \| \*Builder\*, 2026-03-02T00:00:00.000Z

fine

## Attachments

- [\[draft\] \<v2> & \*final\* \| x.pdf](attachments/att1/%5Bdraft%5D%20x.pdf)
`
	if got != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, want)
	}
}

// TestMarkdownProfileLinks: unless account ids are kept, every link to a
// person (whatever its form, and the converter's own links to personal
// spaces) is the link's text alone; with them kept, links stay.
func TestMarkdownProfileLinks(t *testing.T) {
	const site = "https://acme.atlassian.net"
	body := `<p>Ask <a href="` + site + `/wiki/people/` + bob + `">Bob</a>, ` +
		`<a href="` + site + `/wiki/people/557058%3Af58131cb-b67d-43c7-b30d-6b58d40bd077?ref=x">Bob again</a>, ` +
		`<a href="` + site + `/jira/people/` + ada + `">Ada</a>, ` +
		`<a href="` + site + `/wiki/display/~` + ada + `">her space</a>, ` +
		`<a href="` + site + `/secure/ViewProfile.jspa?accountId=` + ada + `">her profile</a>, ` +
		`<a href="/wiki/people/` + ada + `"></a>, ` +
		`<ac:link><ri:page ri:space-key="~` + ada + `" ri:content-title="Notes"/></ac:link> ` +
		`<a href="` + site + `/wiki/spaces/~` + ada + `/pages/555/Notes">her notes</a> ` +
		`or <a href="` + site + `/wiki/spaces/ENG/pages/200#steps">the page</a>.</p>`
	doc := func() map[string]any {
		return map[string]any{"id": "100", "title": "T", "body": map[string]any{"storage": map[string]any{"value": body}}}
	}
	got := markdownOf(t, markdownSource(false), doc(), nil)
	want := "# T\n\nAsk Bob, Bob again, Ada, her space, her profile, /wiki/people/redacted, Notes " +
		"[her notes](https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=555) or [the page](../../pages/200/page.md#steps).\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("redacted:\n%s\nwant it to end with:\n%s", got, want)
	}
	got = markdownOf(t, markdownSource(true), doc(), nil)
	for _, link := range []string{"[Bob](" + site + "/wiki/people/" + bob + ")", "[Ada](" + site + "/jira/people/" + ada + ")",
		"[her profile](" + site + "/secure/ViewProfile.jspa?accountId=" + ada + ")", "[Notes](" + site + "/wiki/display/~" + ada + "/Notes)"} {
		if !strings.Contains(got, link) {
			t.Errorf("with account ids kept, %s is missing:\n%s", link, got)
		}
	}
}

// TestItemLinksFromAnotherListing: an incremental run links by URL to
// the pages and blog posts the full listing found, and not to those
// skipped since.
func TestItemLinksFromAnotherListing(t *testing.T) {
	all := New(Options{})
	all.listedID(searchResult{Content: searchContent{ID: "300", Type: "blogpost", Title: "News"}})
	all.listedID(searchResult{Content: searchContent{ID: "400", Type: "page", Title: "Gone"}})
	all.listedID(searchResult{Content: searchContent{ID: "500", Type: "comment"}})
	s := New(Options{SiteURL: "https://acme.atlassian.net", Titles: all.Titles()})
	s.forget(&hit{id: "400", kind: "page", title: "Gone"})
	for link, want := range map[string]string{
		"https://acme.atlassian.net/wiki/spaces/ENG/blog/2026/01/02/300/News": "blogposts/300/blogpost.json",
		"/spaces/ENG/blog/300": "blogposts/300/blogpost.json",
		"https://ACME.atlassian.net/wiki/pages/viewpage.action?pageId=300": "blogposts/300/blogpost.json",
		"https://acme.atlassian.net/wiki/spaces/ENG/pages/400":             "",
		"https://acme.atlassian.net/wiki/spaces/ENG/pages/500":             "",
		"https://evil.example/wiki/spaces/ENG/blog/300":                    "",
		"https://acme.atlassian.net/wiki/spaces/ENG/pages/300x":            "",
	} {
		got := ""
		if id := siteItemID(link, s.opts.SiteURL); id != "" {
			got, _ = s.itemPath(id)
		}
		if got != want {
			t.Errorf("the item of %q: %q, want %q", link, got, want)
		}
	}
}
