package export

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/internal/secret"
	"github.com/aumo-cli/aumo/internal/tokenstore"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// loggedInSandbox starts a sandbox and returns a token source logged in to it.
func loggedInSandbox(t *testing.T, scopes ...string) (*sandbox.Server, *auth.TokenSource) {
	t.Helper()
	srv := sandbox.New(sandbox.Options{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, loginTo(t, srv.URL(), scopes...)
}

// loginTo logs in to the sandbox at url, the browser played by
// sandbox.Approve, and keeps the grant in memory. Without scopes it asks
// for Jira's.
func loginTo(tb testing.TB, url string, scopes ...string) *auth.TokenSource {
	tb.Helper()
	if len(scopes) == 0 {
		scopes = []string{"read:jira-work", "read:jira-user"}
	}
	client := &auth.Client{
		ClientID: sandbox.DefaultClientID, ClientSecret: secret.New(sandbox.DefaultClientSecret),
		AuthURL: url, APIURL: url, Scopes: slices.Concat(scopes, []string{"offline_access"}),
	}
	g, err := client.Login(context.Background(), auth.LoginOptions{RedirectURL: "http://127.0.0.1:0/callback", OpenBrowser: sandbox.Approve})
	if err != nil {
		tb.Fatal(err)
	}
	store := &tokenstore.Memory{}
	if err := store.Save(context.Background(), "p", g); err != nil {
		tb.Fatal(err)
	}
	return &auth.TokenSource{Client: client, Store: store, StateDir: tb.TempDir(), Profile: "p"}
}

// sandboxClient is an API client for the sandbox's default site.
func sandboxClient(tb testing.TB, apiURL string, product atlassian.Product, tokens *auth.TokenSource) *atlassian.Client {
	tb.Helper()
	site := sandbox.DefaultSites[0]
	client, err := atlassian.New(atlassian.Options{APIURL: apiURL, Product: product, CloudID: site.CloudID, SiteURL: site.URL, Tokens: tokens})
	if err != nil {
		tb.Fatal(err)
	}
	return client
}

// TestJiraExportIsComplete exports a generated project and checks every
// issue against what the sandbox holds: every comment, worklog, change and
// attachment, with the media id ADF refers to; vanished and forbidden
// issues listed as skipped; no credential sent to the media host.
func TestJiraExportIsComplete(t *testing.T) {
	const issues = 95
	srv, tokens := loggedInSandbox(t)
	srv.SetJiraProject("ABC", issues, 11, sandbox.JiraOptions{})
	site := sandbox.DefaultSites[0]
	client := sandboxClient(t, srv.URL(), atlassian.Jira, tokens)
	out := filepath.Join(t.TempDir(), "export")
	opts := options(out)
	opts.Site = exportformat.Site{CloudID: site.CloudID, URL: site.URL, Name: site.Name}
	opts.Query = "project = ABC"
	plan := jira.New(jira.Options{Client: client, JQL: opts.Query})
	if _, err := plan.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	m, err := run(context.Background(), t, opts, &JiraPlan{Plan: plan, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	verify(t, out)

	mediaIDs := map[string]string{}
	f, err := os.Open(filepath.Join(out, exportformat.IndexName))
	if err != nil {
		t.Fatal(err)
	}
	lines, _, err := exportformat.ReadIndex(f)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if l.Kind == exportformat.KindAttachment {
			mediaIDs[l.ID] = l.MediaID
		}
	}

	skipped := map[string]bool{}
	for _, p := range m.Skipped {
		skipped[p.ID] = true
	}
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
	flat := normalize(strings.ReplaceAll(string(md), `\`, ""))
	var texts []string
	adfTexts(doc.Fields.Description, &texts)
	for _, c := range doc.Fields.Comment.Comments {
		adfTexts(c.Body, &texts)
	}
	for _, s := range texts {
		for _, line := range strings.Split(s, "\n") {
			if l := normalize(strings.ReplaceAll(line, `\`, "")); l != "" && !strings.Contains(flat, l) {
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

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

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
	checkLinks(t, "", dir, key, md)
}

// checkLinks checks that every relative link of a Markdown file in dir
// resolves to a file, inside the export at out when out is given.
func checkLinks(t *testing.T, out, dir, what, md string) {
	t.Helper()
	for _, m := range mdLink.FindAllStringSubmatch(md, -1) {
		link := m[1]
		if strings.Contains(link, "://") || strings.HasPrefix(link, "#") {
			continue
		}
		p, err := url.PathUnescape(link)
		if err != nil {
			t.Errorf("%s: link %q: %v", what, link, err)
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if out != "" && !strings.HasPrefix(target, out+string(filepath.Separator)) {
			t.Errorf("%s: the Markdown links to %q, outside the export", what, link)
		}
		if _, err := os.Stat(target); err != nil {
			t.Errorf("%s: the Markdown links to %q, which is not in the export", what, link)
		}
	}
}
