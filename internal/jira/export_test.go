package jira_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	var long, textRuns int
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
		checkMarkdown(t, filepath.Join(out, "issues", want.ID), want.Key, want.Comments)
		textRuns += checkADFText(t, b, filepath.Join(out, "issues", want.ID, "issue.md"), want.Key)
	}
	if textRuns < 200 {
		t.Errorf("only %d text runs checked in the Markdown; the test proves little", textRuns)
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

// checkADFText checks that every text run of an issue's description and
// comments appears in its Markdown.
func checkADFText(t *testing.T, issueJSON []byte, mdPath, key string) int {
	t.Helper()
	var doc struct {
		Fields struct {
			Description any `json:"description"`
			Comment     struct {
				Comments []struct {
					Body any `json:"body"`
				} `json:"comments"`
			} `json:"comment"`
		} `json:"fields"`
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
	adfTexts(doc.Fields.Description, &texts)
	for _, c := range doc.Fields.Comment.Comments {
		adfTexts(c.Body, &texts)
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

// checkMarkdown checks an issue's Markdown: its front matter names the
// issue, every comment is there, and every relative link resolves to a
// file of the export.
func checkMarkdown(t *testing.T, dir, key string, comments int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "issue.md"))
	if err != nil {
		t.Errorf("%s: no Markdown: %v", key, err)
		return
	}
	md := string(b)
	if !strings.HasPrefix(md, "---\n") || !strings.Contains(md, `key: "`+key+`"`) || !strings.Contains(md, "# "+key+": ") {
		t.Errorf("%s: Markdown lacks its front matter or title:\n%.300s", key, md)
	}
	if comments > 0 && !strings.Contains(md, fmt.Sprintf("## Comments (%d)", comments)) {
		t.Errorf("%s: Markdown does not hold its %d comments", key, comments)
	}
	exporttest.CheckLinks(t, "", dir, key, md)
}
