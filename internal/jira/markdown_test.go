package jira_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"

	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/jira"
)

var update = flag.Bool("update", false, "rewrite the golden Markdown")

// goldenRender is what the golden issue's Markdown is made with: its
// field list, its attachment files and the issues of its export.
func goldenRender(t *testing.T) (issue []byte, r jira.Render) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "jira")
	issue, err := os.ReadFile(filepath.Join(dir, "issue.json"))
	if err != nil {
		t.Fatal(err)
	}
	fieldsJSON, err := os.ReadFile(filepath.Join(dir, "fields.json"))
	if err != nil {
		t.Fatal(err)
	}
	fields, err := jira.ParseFields(fieldsJSON)
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]string{"DEMO-7": "10007", "DEMO-12": "10012", "DEMO-41": "10041", "DEMO-42": "10042", "DEMO-43": "10043"}
	return issue, jira.Render{
		Fields: fields,
		Files: []export.AttachmentFile{
			{ID: "30002", Name: "notes.txt", Path: "attachments/30002-notes.txt"},
			{ID: "30001", Name: "roadmap (draft).png", Path: "attachments/30001-roadmap (draft).png", MediaID: "5f6a7b8c-1d2e-4f3a-9b0c-aabbccddeeff"},
		},
		IssuePath: func(key string) (string, bool) {
			id, ok := exported[key]
			if !ok {
				return "", false
			}
			return jira.RelativeIssuePath("10042", id), true
		},
	}
}

// TestMarkdownGolden renders an issue that has every kind of field, link
// and list a person reads in Jira's issue view.
func TestMarkdownGolden(t *testing.T) {
	issue, r := goldenRender(t)
	got := jira.Markdown(issue, r)
	golden := filepath.Join("..", "..", "testdata", "jira", "issue.md")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("issue.md differs from %s (go test -run TestMarkdownGolden -update rewrites it):\n%s", golden, got)
	}
}

// TestMarkdownReadsAsWritten renders the golden issue's Markdown as
// CommonMark with GFM tables, as a reader's viewer does: the summary's
// tags show as text, links to issues of the export are relative and
// others go to the site, a redacted link to a person is the name alone.
func TestMarkdownReadsAsWritten(t *testing.T) {
	issue, r := goldenRender(t)
	md := jira.Markdown(issue, r)
	// Raw HTML rendered too: text that would make a tag must not.
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))
	var out bytes.Buffer
	if err := gm.Convert(md, &out); err != nil {
		t.Fatal(err)
	}
	h := out.String()
	for _, want := range []string{
		"<h1>DEMO-42: Juniper: Quarterly roadmap &lt;b&gt;not&lt;/b&gt; rendered &amp; escaped</h1>",
		`<td>Parent</td>`,
		`<a href="../10007/issue.md">DEMO-7</a> Roadmap *exports* for Q1 (In Progress)`,
		`<li>blocks <a href="../10012/issue.md">DEMO-12</a> Invoices export as PDF (To Do)</li>`,
		`<li>is blocked by <a href="https://acme.atlassian.net/browse/OPS-3">OPS-3</a> Upgrade the [staging] database (In Progress)</li>`,
		`<a href="../10041/issue.md">`,
		`<a href="../10012/issue.md">the comment on DEMO-12</a>`,
		`<a href="https://acme.atlassian.net/browse/OPS-3">`,
		"Asked Grace Smith too.",
		"<td>Components</td>\n<td>Export engine, Billing | Invoices</td>",
		"<td>Tags | internal</td>\n<td>q1, exports</td>",
		"<td>Region</td>\n<td>Europe / Nordics</td>",
		"<td>Customer ticket</td>\n<td>ZD-4411 *urgent*</td>",
		"Traced the | pipe in summaries<br>and wrote the fix.",
		"<h3>Release notes</h3>",
		"# Not a heading: fixed in",
		`<img src="attachments/30001-roadmap%20(draft).png"`,
		// A worklog's comment in its cell: the code block a code span a
		// line, every character kept; the list a line an item.
		"<td>Bisected with:<br><code>if a | b {</code><br><code>    return &lt;br&gt;</code><br><code>}</code><br>- first bad: 2.3.1<br>- last good: 2.3.0</td>",
		"<td><code>aumo export jira --jql 'project = DEMO'</code><br><code>  --out demo</code></td>",
		"<!-- aumo: code block in a table cell flattened to inline code -->",
		"<!-- aumo: list inside a table cell flattened -->",
		// A plain string of several lines keeps them.
		"<h3>Steps to reproduce</h3>\n<p>Open the report.<br>\n# Export as PDF<br>\n- nothing happens</p>\n<p>Seen twice.</p>",
		"<h2>Worklogs (3, 27h 45m in total)</h2>",
		// Rich text inside a value of the table reads as its text.
		"<td>Sign-offs</td>\n<td>2*3 | &lt;ok&gt;@Ann</td>",
	} {
		if !strings.Contains(h, want) {
			t.Errorf("the rendered Markdown lacks %q:\n%s", want, h)
		}
	}
	for _, bad := range []string{"<b>not</b>", "map[", "jira/people"} {
		if strings.Contains(h, bad) {
			t.Errorf("the rendered Markdown holds %q", bad)
		}
	}
}
