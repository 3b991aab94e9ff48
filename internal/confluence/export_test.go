package confluence_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// TestConfluenceExportIsComplete exports a generated space and checks
// every page and blog post against what the sandbox holds: every label,
// comment and reply, every attachment with its fileId; trashed pages
// listed as skipped, restricted ones absent; the folders above the pages
// exported; no account id left; no credential sent to the media host;
// every relative link of the Markdown resolving to a file of the export.
func TestConfluenceExportIsComplete(t *testing.T) {
	const pages = 90
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{}, confluence.Scopes...)
	srv.SetConfluenceSpace("ENG", pages, 7, sandbox.ConfluenceOptions{})
	site := sandbox.DefaultSites[0]
	client := exporttest.Client(t, srv.URL(), atlassian.Confluence, tokens)
	out := filepath.Join(t.TempDir(), "export")
	opts := exporttest.Options(out, atlassian.Confluence, "space = ENG", client)
	src := confluence.New(confluence.Options{Client: client, CQL: opts.Query, SiteURL: site.URL})
	m := exporttest.Export(t, opts, src)
	mediaIDs, skipped := exporttest.MediaIDs(t, out), exporttest.Skipped(m)

	space, ok := srv.ConfluenceSpaceAt(site.CloudID, "ENG")
	if !ok {
		t.Fatal("no space ENG")
	}
	if _, err := os.Stat(filepath.Join(out, "spaces", space.ID+".json")); err != nil {
		t.Errorf("the space is not exported: %v", err)
	}
	var children, replies, inline, manyLabels, trashed, restricted, withAttachments, folderParents int
	for _, id := range slices.Concat(space.Pages, space.BlogPosts) {
		want, ok := srv.ConfluenceItemAt(site.CloudID, id)
		if !ok {
			t.Fatalf("no item %s", id)
		}
		dir := filepath.Join(out, want.Type+"s", id)
		path := filepath.Join(dir, want.Type+".json")
		switch {
		case want.Restricted:
			restricted++
			if _, err := os.Stat(path); err == nil || skipped[id] {
				t.Errorf("restricted %s %s is in the export", want.Type, id)
			}
			continue
		case want.Trashed:
			trashed++
			if _, err := os.Stat(path); err == nil || !skipped[id] {
				t.Errorf("trashed %s %s exported or not listed as skipped", want.Type, id)
			}
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s %s not exported: %v", want.Type, id, err)
			continue
		}
		var got struct {
			ID         string `json:"id"`
			Title      string `json:"title"`
			ParentID   string `json:"parentId"`
			ParentType string `json:"parentType"`
			Ancestors  []struct {
				ID string `json:"id"`
			} `json:"ancestors"`
			Body struct {
				Storage struct {
					Value string `json:"value"`
				} `json:"storage"`
				ADF struct {
					Value string `json:"value"`
				} `json:"atlas_doc_format"`
			} `json:"body"`
			Labels []struct {
				Name string `json:"name"`
			} `json:"labels"`
			Comments []struct {
				ID              string `json:"id"`
				ParentCommentID string `json:"parentCommentId"`
				Location        string `json:"location"`
				Body            struct {
					Storage struct {
						Value string `json:"value"`
					} `json:"storage"`
				} `json:"body"`
			} `json:"comments"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Title != want.Title || got.ParentID != want.ParentID || got.ParentType != want.ParentType {
			t.Errorf("%s: title/parent %q %s/%s, want %q %s/%s", id, got.Title, got.ParentID, got.ParentType, want.Title, want.ParentID, want.ParentType)
		}
		if want.ParentID != "" && (len(got.Ancestors) == 0 || got.Ancestors[len(got.Ancestors)-1].ID != want.ParentID) {
			t.Errorf("%s: ancestors %v do not end with the parent %s", id, got.Ancestors, want.ParentID)
		}
		if got.Body.Storage.Value == "" || got.Body.ADF.Value == "" {
			t.Errorf("%s: a body format is missing", id)
		}
		var labels []string
		for _, l := range got.Labels {
			labels = append(labels, l.Name)
		}
		if !slices.Equal(sorted(labels), sorted(want.Labels)) {
			t.Errorf("%s: labels %v, want %v", id, labels, want.Labels)
		}
		if len(want.Labels) > 50 {
			manyLabels++
		}
		gotComments := map[string]string{}
		for _, c := range got.Comments {
			gotComments[c.ID] = c.ParentCommentID
			if c.Body.Storage.Value == "" {
				t.Errorf("%s: comment %s has no body", id, c.ID)
			}
			if c.Location == "inline" {
				inline++
			}
		}
		if len(got.Comments) != len(want.Comments) {
			t.Errorf("%s: %d comments, want %d", id, len(got.Comments), len(want.Comments))
		}
		for _, c := range want.Comments {
			parent, ok := gotComments[c.ID]
			if !ok || parent != c.ParentID {
				t.Errorf("%s: comment %s missing (%v) or with parent %q, want %q", id, c.ID, !ok, parent, c.ParentID)
			}
			if c.ParentID != "" {
				replies++
			}
		}
		if len(want.Attachments) > 0 {
			withAttachments++
		}
		children += len(want.Attachments) + len(want.Comments)
		for _, a := range want.Attachments {
			if mediaIDs[a.ID] != a.FileID {
				t.Errorf("%s: attachment %s has media id %q, want %q", id, a.ID, mediaIDs[a.ID], a.FileID)
			}
		}
		if want.ParentType == "folder" {
			folderParents++
			if _, err := os.Stat(filepath.Join(out, "folders", want.ParentID+".json")); err != nil {
				t.Errorf("%s: its folder %s is not exported", id, want.ParentID)
			}
		}
		checkPageMarkdown(t, out, dir, want)
	}
	for what, n := range map[string]int{"replies": replies, "inline comments": inline, "pages with over 50 labels": manyLabels,
		"trashed pages": trashed, "restricted pages": restricted, "attachments": withAttachments, "pages in folders": folderParents} {
		if n == 0 {
			t.Errorf("the space had no %s; the test proves less than it says", what)
		}
	}

	// No account id anywhere.
	ids := regexp.MustCompile(`(^|[^0-9a-f])[0-9a-f]{24}([^0-9a-f]|$)|(557058|712020)(:|%3A)`)
	_ = filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, "/attachments/") {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && ids.Match(b) {
			t.Errorf("%s holds an account id: %s", path, ids.Find(b))
		}
		return err
	})

	st := srv.Stats()
	if st.MediaRequestsWithCredentials != 0 {
		t.Errorf("%d requests to the media host carried credentials", st.MediaRequestsWithCredentials)
	}
	cs := st.Confluence
	apiCalls := cs.Requests() - cs.AttachmentDownload
	n := len(space.Pages) + len(space.BlogPosts)
	t.Logf("%d pages and blog posts: %d API requests besides %d downloads (%+v)", n, apiCalls, cs.AttachmentDownload, cs)
	// Only pages with over 50 labels come one by one, with their labels.
	perPage := max(cs.Page+cs.BlogPost-manyLabels, 0) + cs.PageAttachments + cs.BlogPostAttachments + cs.DownloadServlet +
		cs.PageFooterComments + cs.PageInlineComments + cs.BlogPostFooterComments + cs.BlogPostInlineComments +
		cs.FooterCommentChildren + cs.InlineCommentChildren
	if perPage > 0 {
		t.Errorf("per-page fetches where bulk calls and searches do: %+v", cs)
	}
	// A listing page per hundred; per batch of 25 pages or blog posts
	// (one kind a batch): two body formats, people and user keys, and a
	// content search page cut short; a content search page per 50
	// comments and attachments (Confluence's cap with bodies); the space
	// once; the folders; the pages with over 50 labels, fetched with
	// their first 50 and then the rest: a bound, not a timing.
	batches := (n+24)/25 + 1
	limit := (n+99)/100 + batches*(2+2+1) + (children+49)/50 + 1 + len(space.Folders) + 2*manyLabels
	if apiCalls > limit {
		t.Errorf("%d API requests for %d pages, more than %d", apiCalls, n, limit)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// checkPageMarkdown checks a page's Markdown: its front matter names it,
// it holds every comment, and every relative link resolves to a file of
// the export.
func checkPageMarkdown(t *testing.T, out, dir string, want sandbox.ConfluenceItem) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, want.Type+".md"))
	if err != nil {
		t.Errorf("%s: no Markdown: %v", want.ID, err)
		return
	}
	md := string(b)
	if !strings.HasPrefix(md, "---\n") || !strings.Contains(md, `id: "`+want.ID+`"`) {
		t.Errorf("%s: Markdown lacks its front matter:\n%.300s", want.ID, md)
	}
	if n := strings.Count(md, " by "); len(want.Comments) > 0 && n < len(want.Comments) {
		t.Errorf("%s: Markdown shows %d comment headings, want %d", want.ID, n, len(want.Comments))
	}
	exporttest.CheckLinks(t, out, dir, want.ID, md)
	exporttest.CheckInert(t, want.ID, md)
}

// TestConfluenceMarkdownKeepsEveryTextRun walks a whole export: every text
// run of every page's body and comments (macro parameters aside, which the
// converter shows only where they mean something to a reader) appears in
// the page's Markdown.
func TestConfluenceMarkdownKeepsEveryTextRun(t *testing.T) {
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{}, confluence.Scopes...)
	srv.SetConfluenceSpace("ENG", 40, 3, sandbox.ConfluenceOptions{})
	site := sandbox.DefaultSites[0]
	client := exporttest.Client(t, srv.URL(), atlassian.Confluence, tokens)
	out := filepath.Join(t.TempDir(), "export")
	opts := exporttest.Options(out, atlassian.Confluence, "space = ENG", client)
	opts.NoAttachments = true
	src := confluence.New(confluence.Options{Client: client, CQL: opts.Query, SiteURL: site.URL})
	if _, err := exporttest.Run(context.Background(), opts, src); err != nil {
		t.Fatal(err)
	}
	items, _ := filepath.Glob(filepath.Join(out, "*s", "*", "*.json"))
	if len(items) < 30 {
		t.Fatalf("only %d items exported", len(items))
	}
	runs := 0
	for _, path := range items {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Body struct {
				Storage struct {
					Value string `json:"value"`
				} `json:"storage"`
			} `json:"body"`
			Comments []struct {
				Body struct {
					Storage struct {
						Value string `json:"value"`
					} `json:"storage"`
				} `json:"body"`
			} `json:"comments"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		md, err := os.ReadFile(strings.TrimSuffix(path, ".json") + ".md")
		if err != nil {
			t.Fatal(err)
		}
		flat := exporttest.Normalize(strings.ReplaceAll(string(md), `\`, ""))
		sources := []string{doc.Body.Storage.Value}
		for _, c := range doc.Comments {
			sources = append(sources, c.Body.Storage.Value)
		}
		for _, src := range sources {
			for _, r := range textRuns(src) {
				runs++
				if !strings.Contains(flat, exporttest.Normalize(strings.ReplaceAll(r, `\`, ""))) {
					t.Errorf("%s: the text %q is not in its Markdown", path, r)
				}
			}
		}
	}
	if runs < 100 {
		t.Errorf("only %d text runs checked; the test proves little", runs)
	}
}

var cdata = regexp.MustCompile(`(?s)<!\[CDATA\[(.*?)\]\]>`)

// textRuns are the text nodes of storage XHTML outside macro parameters,
// CDATA bodies included (each line a run).
func textRuns(src string) []string {
	// The HTML tokenizer knows no CDATA: make its bodies text first.
	src = cdata.ReplaceAllStringFunc(src, func(m string) string {
		return html.EscapeString(cdata.FindStringSubmatch(m)[1])
	})
	var out []string
	z := html.NewTokenizer(strings.NewReader(src))
	param := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			if n, _ := z.TagName(); string(n) == "ac:parameter" {
				param++
			}
		case html.EndTagToken:
			if n, _ := z.TagName(); string(n) == "ac:parameter" && param > 0 {
				param--
			}
		case html.TextToken:
			if param > 0 {
				continue
			}
			for _, line := range strings.Split(string(z.Text()), "\n") {
				if t := strings.TrimSpace(line); t != "" {
					out = append(out, t)
				}
			}
		}
	}
}

// TestArchivedSpacesOnlyWhenAsked: as in Confluence's own search, an
// archived space's pages are left out unless --include-archived.
func TestArchivedSpacesOnlyWhenAsked(t *testing.T) {
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{}, confluence.Scopes...)
	srv.SetConfluenceSpace("OLD", 12, 5, sandbox.ConfluenceOptions{Archived: true})
	for _, include := range []bool{false, true} {
		client := exporttest.Client(t, srv.URL(), atlassian.Confluence, tokens)
		out := filepath.Join(t.TempDir(), "export")
		opts := exporttest.Options(out, atlassian.Confluence, "space = OLD", client)
		src := confluence.New(confluence.Options{Client: client, CQL: opts.Query, IncludeArchived: include})
		m, err := exporttest.Run(context.Background(), opts, src)
		if err != nil {
			t.Fatal(err)
		}
		pages := m.Counts[exportformat.KindPage] + m.Counts[exportformat.KindBlogpost]
		if include != (pages > 0) || !m.Complete {
			t.Errorf("include archived %v: %d pages and blog posts exported, complete %v", include, pages, m.Complete)
		}
		exporttest.Verify(t, out)
	}
}

// TestResumeExportsTheSpaceAnEarlierRunMissed: a run that stopped after a
// space's pages were written but before the space was still gets the
// space on resume, though every page is done.
func TestResumeExportsTheSpaceAnEarlierRunMissed(t *testing.T) {
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{}, confluence.Scopes...)
	srv.SetConfluenceSpace("ENG", 8, 2, sandbox.ConfluenceOptions{})
	out := filepath.Join(t.TempDir(), "export")
	export := func() *exportformat.Manifest {
		client := exporttest.Client(t, srv.URL(), atlassian.Confluence, tokens)
		opts := exporttest.Options(out, atlassian.Confluence, "space = ENG", client)
		opts.NoAttachments = true
		m, err := exporttest.Run(context.Background(), opts, confluence.New(confluence.Options{Client: client, CQL: opts.Query}))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	export()
	// Make it the export of a run cut off just before the space.
	index := filepath.Join(out, exportformat.IndexName)
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if !strings.Contains(line, `"kind":"space"`) {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(index, []byte(strings.Join(kept, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	spaces, _ := filepath.Glob(filepath.Join(out, "spaces", "*.json"))
	if len(spaces) != 1 {
		t.Fatalf("spaces: %v", spaces)
	}
	_ = os.Remove(spaces[0])
	mb, _ := os.ReadFile(filepath.Join(out, exportformat.ManifestName))
	mb = []byte(strings.Replace(string(mb), `"complete": true`, `"complete": false`, 1))
	if err := os.WriteFile(filepath.Join(out, exportformat.ManifestName), mb, 0o600); err != nil {
		t.Fatal(err)
	}
	m := export()
	if m.Counts[exportformat.KindSpace] != 1 {
		t.Errorf("the resumed export has %d spaces, want 1", m.Counts[exportformat.KindSpace])
	}
	if _, err := os.Stat(spaces[0]); err != nil {
		t.Errorf("the space was not written again: %v", err)
	}
	exporttest.Verify(t, out)
}
