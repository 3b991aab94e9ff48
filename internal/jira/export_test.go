package jira_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
	"go.yaml.in/yaml/v3"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/sandbox"
)

// TestJiraExportIsComplete exports a generated project and checks every
// issue against what the sandbox holds: every comment, worklog, change and
// attachment, with the media id ADF refers to; vanished and forbidden
// issues listed as skipped; no credential sent to the media host.
func TestJiraExportIsComplete(t *testing.T) {
	const issues = 95
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{})
	srv.SetJiraProject("ABC", issues, 11, sandbox.JiraOptions{})
	site := sandbox.DefaultSites[0]
	client := exporttest.Client(t, srv.URL(), atlassian.Jira, tokens)
	out := filepath.Join(t.TempDir(), "export")
	opts := exporttest.Options(out, atlassian.Jira, "project = ABC", client)
	src := jira.New(jira.Options{Client: client, JQL: opts.Query})
	m := exporttest.Export(t, opts, src)
	mediaIDs, skipped := exporttest.MediaIDs(t, out), exporttest.Skipped(m)
	var long, textRuns, issueLinks int
	// Every issue of the project is in the export but the skipped ones.
	skippedKeys := map[string]bool{}
	for i := range issues {
		if want, _ := srv.JiraIssueAt(site.CloudID, "ABC", i); want.Vanished || want.Forbidden {
			skippedKeys[want.Key] = true
		}
	}
	for i := range issues {
		want, ok := srv.JiraIssueAt(site.CloudID, "ABC", i)
		if !ok {
			t.Fatalf("no issue %d", i)
		}
		path := filepath.Join(out, "issues", want.ID, "issue.json")
		if want.Vanished || want.Forbidden {
			if _, err := os.Stat(path); err == nil || !skipped[want.ID] {
				t.Errorf("%s (vanished or forbidden) exported %v or not listed as skipped %v", want.Key, err == nil, skipped[want.ID])
			}
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s not exported: %v", want.Key, err)
			continue
		}
		var got struct {
			Key    string `json:"key"`
			Fields struct {
				Comment struct {
					Comments []any `json:"comments"`
					Total    int   `json:"total"`
				} `json:"comment"`
				Worklog struct {
					Worklogs []any `json:"worklogs"`
					Total    int   `json:"total"`
				} `json:"worklog"`
				Attachment []struct {
					ID string `json:"id"`
				} `json:"attachment"`
			} `json:"fields"`
			Changelog struct {
				Histories []any `json:"histories"`
				Total     int   `json:"total"`
			} `json:"changelog"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		c, w, h := got.Fields.Comment, got.Fields.Worklog, got.Changelog
		if len(c.Comments) != want.Comments || c.Total != want.Comments ||
			len(w.Worklogs) != want.Worklogs || w.Total != want.Worklogs ||
			len(h.Histories) != want.Histories || h.Total != want.Histories {
			t.Errorf("%s: comments %d/%d (want %d), worklogs %d/%d (want %d), changes %d/%d (want %d)", want.Key,
				len(c.Comments), c.Total, want.Comments, len(w.Worklogs), w.Total, want.Worklogs, len(h.Histories), h.Total, want.Histories)
		}
		if want.Comments > 20 || want.Histories > 40 || want.Worklogs > 20 {
			long++
		}
		if len(got.Fields.Attachment) != len(want.Attachments) {
			t.Errorf("%s: %d attachments listed, want %d", want.Key, len(got.Fields.Attachment), len(want.Attachments))
		}
		for _, a := range want.Attachments {
			if mediaIDs[a.ID] != a.MediaUUID {
				t.Errorf("%s: attachment %s has media id %q, want %q", want.Key, a.ID, mediaIDs[a.ID], a.MediaUUID)
			}
		}
		issueLinks += checkMarkdown(t, out, filepath.Join(out, "issues", want.ID), want.Key, want.Comments, skipped, skippedKeys)
		checkFrontMatter(t, b, filepath.Join(out, "issues", want.ID, "issue.md"), want.Key)
		textRuns += checkADFText(t, b, filepath.Join(out, "issues", want.ID, "issue.md"), want.Key)
	}
	if textRuns < 200 {
		t.Errorf("only %d text runs checked in the Markdown; the test proves little", textRuns)
	}
	if issueLinks < issues {
		t.Errorf("only %d links between issues in the Markdown; the test proves little", issueLinks)
	}
	if long == 0 {
		t.Error("the project had no truncated lists to complete; the test proves nothing")
	}

	st := srv.Stats()
	if st.MediaRequestsWithCredentials != 0 {
		t.Errorf("%d requests to the media host carried credentials", st.MediaRequestsWithCredentials)
	}
	apiCalls := st.Jira.Requests() - st.Jira.AttachmentContent
	t.Logf("%d issues: %d API requests besides %d attachment downloads; %d issues with long lists", issues, apiCalls, st.Jira.AttachmentContent, long)
	// One search page, one bulkfetch per hundred issues, and the dedicated
	// endpoints only for the long lists: a bound, not a timing.
	if limit := 6 + 2*long + 2; apiCalls > limit {
		t.Errorf("%d API requests for %d issues, more than %d", apiCalls, issues, limit)
	}
}

// checkADFText checks that every text run of an issue's ADF documents
// (description, environment, comments, worklog comments, rich-text
// custom fields) appears in its Markdown.
func checkADFText(t *testing.T, issueJSON []byte, mdPath, key string) int {
	t.Helper()
	var doc struct {
		Fields map[string]any `json:"fields"`
	}
	if err := json.Unmarshal(issueJSON, &doc); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(mdPath)
	if err != nil {
		return 0 // checkMarkdown says so
	}
	flat := exporttest.Normalize(strings.ReplaceAll(string(md), `\`, ""))
	var texts []string
	for id, v := range doc.Fields {
		switch {
		case id == "description", id == "environment", strings.HasPrefix(id, "customfield_"):
			adfTexts(v, &texts)
		case id == "comment" || id == "worklog":
			// The comments' bodies and the worklogs' comments.
			adfTexts(v, &texts)
		}
	}
	for _, s := range texts {
		for _, line := range strings.Split(s, "\n") {
			if l := exporttest.Normalize(strings.ReplaceAll(line, `\`, "")); l != "" && !strings.Contains(flat, l) {
				t.Errorf("%s: the text %q is not in its Markdown", key, line)
			}
		}
	}
	return len(texts)
}

// adfTexts collects the text of an ADF document's text and mention nodes.
func adfTexts(v any, out *[]string) {
	switch n := v.(type) {
	case map[string]any:
		switch n["type"] {
		case "text":
			if s, ok := n["text"].(string); ok {
				*out = append(*out, s)
			}
		case "mention":
			if a, ok := n["attrs"].(map[string]any); ok {
				if s, ok := a["text"].(string); ok {
					*out = append(*out, s)
				}
			}
		}
		for _, c := range n {
			adfTexts(c, out)
		}
	case []any:
		for _, c := range n {
			adfTexts(c, out)
		}
	}
}

// checkMarkdown checks an issue's Markdown: it starts with front matter
// and its title, every comment is there, and every relative link
// resolves to a file of the export — but those to issues listed and then
// skipped (gone or forbidden when fetched), which the manifest names.
func checkMarkdown(t *testing.T, out, dir, key string, comments int, skipped, skippedKeys map[string]bool) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "issue.md"))
	if err != nil {
		t.Errorf("%s: no Markdown: %v", key, err)
		return 0
	}
	md := string(b)
	if !strings.HasPrefix(md, "---\n") || !strings.Contains(md, "\n# "+key+": ") {
		t.Errorf("%s: Markdown lacks its front matter or title:\n%.300s", key, md)
	}
	if comments > 0 && !strings.Contains(md, fmt.Sprintf("## Comments (%d)", comments)) {
		t.Errorf("%s: Markdown does not hold its %d comments", key, comments)
	}
	// Links to skipped issues are checkIssueLinks's to judge.
	for id := range skipped {
		md = strings.ReplaceAll(md, "](../"+id+"/issue.md)", "]")
	}
	exporttest.CheckLinks(t, out, dir, key, md)
	exporttest.CheckInert(t, key, md)
	return checkIssueLinks(t, out, dir, key, b, skipped, skippedKeys)
}

// checkIssueLinks reads the Markdown as CommonMark with GFM, as a viewer
// does, and checks that every link to another issue's Markdown resolves
// to a file of the export, but those to issues listed and then skipped
// (gone or forbidden when fetched), which the manifest names. It returns
// how many such links there are.
func checkIssueLinks(t *testing.T, out, dir, key string, md []byte, skipped, skippedKeys map[string]bool) int {
	t.Helper()
	doc := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(md))
	n := 0
	err := ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		var dest string
		switch l := node.(type) {
		case *ast.Link:
			dest = string(l.Destination)
		case *ast.AutoLink:
			dest = string(l.URL(md))
		}
		if !entering || dest == "" {
			return ast.WalkContinue, nil
		}
		if _, other, ok := strings.Cut(dest, sandbox.DefaultSites[0].URL+"/browse/"); ok && other != key && !skippedKeys[other] {
			t.Errorf("%s: links to %s on the site, which the export holds", key, dest)
		}
		m := issueLink.FindStringSubmatch(dest)
		if m == nil {
			return ast.WalkContinue, nil
		}
		n++
		target := filepath.Join(dir, filepath.FromSlash(dest))
		if _, err := os.Stat(target); err != nil && !skipped[m[1]] {
			t.Errorf("%s: links to %s, which is not in the export", key, dest)
		}
		if !strings.HasPrefix(target, out+string(filepath.Separator)) {
			t.Errorf("%s: links to %s, outside the export", key, dest)
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// issueLink is a relative link to another issue's Markdown.
var issueLink = regexp.MustCompile(`^\.\./([0-9]+)/issue\.md$`)

// frontMatter is what an issue's front matter says, as any YAML reader
// reads it.
type frontMatter struct {
	ID          string   `yaml:"id"`
	Key         string   `yaml:"key"`
	Type        string   `yaml:"type"`
	Project     string   `yaml:"project"`
	Status      string   `yaml:"status"`
	Priority    string   `yaml:"priority"`
	Created     string   `yaml:"created"`
	Updated     string   `yaml:"updated"`
	Reporter    string   `yaml:"reporter"`
	Assignee    string   `yaml:"assignee"`
	URL         string   `yaml:"url"`
	Labels      []string `yaml:"labels"`
	Resolution  string   `yaml:"resolution"`
	Resolved    string   `yaml:"resolved"`
	Due         string   `yaml:"due"`
	Parent      string   `yaml:"parent"`
	Components  []string `yaml:"components"`
	FixVersions []string `yaml:"fixVersions"`
}

// checkFrontMatter reads an issue's front matter back with a YAML
// library and compares it with the issue's JSON.
func checkFrontMatter(t *testing.T, issueJSON []byte, mdPath, key string) {
	t.Helper()
	md, err := os.ReadFile(mdPath)
	if err != nil {
		return // checkMarkdown says so
	}
	block, starts := strings.CutPrefix(string(md), "---\n")
	block, _, ends := strings.Cut(block, "\n---\n")
	if !starts || !ends {
		t.Errorf("%s: no front matter", key)
		return
	}
	var got frontMatter
	if err := yaml.Unmarshal([]byte(block), &got); err != nil {
		t.Errorf("%s: the front matter is not YAML: %v\n%s", key, err, block)
		return
	}
	var is struct {
		ID     string `json:"id"`
		Key    string `json:"key"`
		Self   string `json:"self"`
		Fields struct {
			IssueType      struct{ Name string }         `json:"issuetype"`
			Project        struct{ Key string }          `json:"project"`
			Status         struct{ Name string }         `json:"status"`
			Priority       struct{ Name string }         `json:"priority"`
			Resolution     *struct{ Name string }        `json:"resolution"`
			Created        string                        `json:"created"`
			Updated        string                        `json:"updated"`
			ResolutionDate string                        `json:"resolutiondate"`
			DueDate        string                        `json:"duedate"`
			Reporter       *struct{ DisplayName string } `json:"reporter"`
			Assignee       *struct{ DisplayName string } `json:"assignee"`
			Parent         *struct{ Key string }         `json:"parent"`
			Labels         []string                      `json:"labels"`
			Components     []struct{ Name string }       `json:"components"`
			FixVersions    []struct{ Name string }       `json:"fixVersions"`
		} `json:"fields"`
	}
	if err := json.Unmarshal(issueJSON, &is); err != nil {
		t.Fatal(err)
	}
	f := is.Fields
	want := frontMatter{
		ID: is.ID, Key: is.Key, Type: f.IssueType.Name, Project: f.Project.Key, Status: f.Status.Name, Priority: f.Priority.Name,
		Created: f.Created, Updated: f.Updated, Resolved: f.ResolutionDate, Due: f.DueDate,
		URL: strings.Split(is.Self, "/rest/api/")[0] + "/browse/" + is.Key, Labels: f.Labels,
	}
	if f.Resolution != nil {
		want.Resolution = f.Resolution.Name
	}
	if f.Reporter != nil {
		want.Reporter = f.Reporter.DisplayName
	}
	if f.Assignee != nil {
		want.Assignee = f.Assignee.DisplayName
	}
	if f.Parent != nil {
		want.Parent = f.Parent.Key
	}
	for _, c := range f.Components {
		want.Components = append(want.Components, c.Name)
	}
	for _, v := range f.FixVersions {
		want.FixVersions = append(want.FixVersions, v.Name)
	}
	if len(want.Labels) == 0 {
		want.Labels = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: the front matter reads\n%+v\nwhere the issue says\n%+v", key, got, want)
	}
}
