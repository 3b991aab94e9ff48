package jira_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/aumo-cli/aumo/internal/jira"
)

// gatewayIssue is an issue as Jira returns it through Atlassian's API
// gateway: self is the gateway's address, the documents link to the site.
const gatewayIssue = `{
  "id": "10002", "key": "ABC-2",
  "self": "https://api.atlassian.com/ex/jira/11111111-2222-4333-8444-555555555555/rest/api/3/issue/10002",
  "fields": {
    "summary": "Through the gateway",
    "parent": {"id": "10001", "key": "ABC-1", "self": "https://api.atlassian.com/ex/jira/11111111-2222-4333-8444-555555555555/rest/api/3/issue/10001",
      "fields": {"summary": "The epic"}},
    "issuelinks": [{"type": {"name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
      "outwardIssue": {"id": "10009", "key": "OPS-9", "self": "https://api.atlassian.com/ex/jira/11111111-2222-4333-8444-555555555555/rest/api/3/issue/10009",
        "fields": {"summary": "Elsewhere"}}}],
    "description": {"type": "doc", "version": 1, "content": [
      {"type": "paragraph", "content": [
        {"type": "text", "text": "See "},
        {"type": "inlineCard", "attrs": {"url": "https://acme.atlassian.net/browse/ABC-1"}},
        {"type": "text", "text": " and "},
        {"type": "text", "text": "OPS-9", "marks": [{"type": "link", "attrs": {"href": "https://acme.atlassian.net/browse/OPS-9"}}]}
      ]}
    ]}
  }
}`

func gatewayRender(site string) jira.Render {
	return jira.Render{
		Site: site,
		IssuePath: func(key string) (string, bool) {
			if key == "ABC-1" {
				return jira.RelativeIssuePath("10002", "10001"), true
			}
			return "", false
		},
	}
}

// TestMarkdownSiteThroughGateway renders an issue fetched through the API
// gateway with the site known: links to the site's issues are relative
// or go to the site, and the front matter's url is the site's.
func TestMarkdownSiteThroughGateway(t *testing.T) {
	md := string(jira.Markdown([]byte(gatewayIssue), gatewayRender("https://acme.atlassian.net/")))
	for _, want := range []string{
		"\nurl: https://acme.atlassian.net/browse/ABC-2\n",
		"[ABC-1](../10001/issue.md) The epic",
		"- blocks [OPS-9](https://acme.atlassian.net/browse/OPS-9) Elsewhere",
		"See [ABC-1](../10001/issue.md) and [OPS-9](https://acme.atlassian.net/browse/OPS-9)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "api.atlassian.com") {
		t.Errorf("the Markdown points to the gateway:\n%s", md)
	}
}

// TestMarkdownGatewayWithoutSite renders the same issue offline with no
// site known: nothing points to the gateway, the documents' links stay
// as they are and the front matter has no url.
func TestMarkdownGatewayWithoutSite(t *testing.T) {
	md := string(jira.Markdown([]byte(gatewayIssue), gatewayRender("")))
	if strings.Contains(md, "api.atlassian.com") {
		t.Errorf("the Markdown points to the gateway:\n%s", md)
	}
	if strings.Contains(md, "\nurl:") {
		t.Errorf("the front matter has a url:\n%s", md)
	}
	for _, want := range []string{
		"[ABC-1](../10001/issue.md) The epic",
		"- blocks OPS-9 Elsewhere",
		"[OPS-9](https://acme.atlassian.net/browse/OPS-9)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestMarkdownPlainDescription renders a description given as a plain
// string, as older data has it: its lines stay lines, what would start a
// block reads as text.
func TestMarkdownPlainDescription(t *testing.T) {
	issue := `{"id": "1", "key": "ABC-1", "fields": {"summary": "s",
	  "description": "First line *here*\n1. not a list\n   > not a quote\r\n\n\nLast\\\nline",
	  "worklog": {"worklogs": [{"timeSpentSeconds": 60, "comment": "Checked \\\n<b>a | b</b>"}]}}}`
	md := string(jira.Markdown([]byte(issue), jira.Render{}))
	want := "## Description\n\nFirst line \\*here\\*\\\n1\\. not a list\\\n\\> not a quote\n\nLast\\\\  \nline\n"
	if !strings.Contains(md, want) {
		t.Errorf("the description is not\n%s\nin\n%s", want, md)
	}
	if !strings.Contains(md, "|  | Checked \\\\<br>\\<b>a \\| b\\</b> |\n") {
		t.Errorf("the worklog's comment is not one cell:\n%s", md)
	}
	h := renderGFM(t, []byte(md))
	if !strings.Contains(h, "<p>First line *here*<br>\n1. not a list<br>\n&gt; not a quote</p>\n<p>Last\\<br>\nline</p>") {
		t.Errorf("the description reads\n%s", h)
	}
}

// TestMarkdownProblemsFollowTheirText checks that what the converter could
// not render faithfully is noted, once, right after the text it is about.
func TestMarkdownProblemsFollowTheirText(t *testing.T) {
	codeInCell := `{"type": "doc", "version": 1, "content": [{"type": "table", "content": [
	  {"type": "tableRow", "content": [{"type": "tableCell", "content": [
	    {"type": "codeBlock", "content": [{"type": "text", "text": "x --> y"}]}]}]},
	  {"type": "tableRow", "content": [{"type": "tableCell", "content": [
	    {"type": "codeBlock", "content": [{"type": "text", "text": "z"}]}]}]}]}]}`
	issue := `{"id": "1", "key": "ABC-1", "fields": {"summary": "s",
	  "description": ` + codeInCell + `,
	  "environment": {"type": "doc", "content": [{"type": "odd-->node\n---", "text": "Linux"}]},
	  "comment": {"comments": [
	    {"author": {"displayName": "Ann"}, "created": "2026-01-01T10:00:00.000+0000", "body": ` + codeInCell + `},
	    {"author": {"displayName": "Bob"}, "created": "2026-01-02T10:00:00.000+0000", "body": {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "fine"}]}]}}]}}}`
	md := string(jira.Markdown([]byte(issue), jira.Render{}))
	note := "<!-- aumo: code block in a table cell flattened to inline code -->\n"
	if n := strings.Count(md, note); n != 2 {
		t.Errorf("the note is there %d times, want 2 (the description's, the first comment's):\n%s", n, md)
	}
	for _, want := range []string{
		"| `z` |\n\n" + note + "\n## Environment",
		"| `z` |\n\n" + note + "\n### Bob",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md)
		}
	}
	// A problem naming what the document holds cannot end its comment.
	if !strings.Contains(md, "\n<!-- aumo: unsupported ADF node: odd- ->node - - - -->\n") {
		t.Errorf("the environment's note is missing or unsafe:\n%s", md)
	}
}

// renderGFM renders Markdown as CommonMark with GFM tables.
func renderGFM(t *testing.T, md []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(md, &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
