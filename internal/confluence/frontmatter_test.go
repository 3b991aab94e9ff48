package confluence_test

import (
	"bytes"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"go.yaml.in/yaml/v3"

	"github.com/aumo-cli/aumo/internal/sandbox"
)

// exportedItem is what the front matter repeats of an item's JSON.
type exportedItem struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Status     string `json:"status"`
	CreatedAt  string `json:"createdAt"`
	ParentID   string `json:"parentId"`
	ParentType string `json:"parentType"`
	Version    struct {
		Number    json.Number `json:"number"`
		CreatedAt string      `json:"createdAt"`
	} `json:"version"`
	Author struct {
		DisplayName string `json:"displayName"`
	} `json:"author"`
	Owner struct {
		DisplayName string `json:"displayName"`
	} `json:"owner"`
	Links struct {
		WebUI string `json:"webui"`
	} `json:"_links"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
	Ancestors []struct {
		ID string `json:"id"`
	} `json:"ancestors"`
}

// splitMarkdown cuts a page's Markdown into its front matter and body.
func splitMarkdown(t *testing.T, path string) (front, body string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := strings.CutPrefix(string(b), "---\n")
	if !ok {
		t.Fatalf("%s: no front matter", path)
	}
	front, body, ok = strings.Cut(rest, "\n---\n")
	if !ok {
		t.Fatalf("%s: front matter not closed", path)
	}
	return front, body
}

// TestFrontMatterReadsBackAsTheJSON parses the front matter of every
// page and blog post of an export with a YAML library, and compares each
// value with the item's JSON: a reader gets the very strings exported.
// The titles with "&" and "<Revised>" the sandbox draws read literally
// once the Markdown is rendered, and links to pages of the export
// written as URLs lead to their Markdown.
func TestFrontMatterReadsBackAsTheJSON(t *testing.T) {
	site := sandbox.DefaultSites[0]
	out := readOnlyExport(t)

	mds, _ := filepath.Glob(filepath.Join(out, "*s", "*", "*.md"))
	if len(mds) < 40 {
		t.Fatalf("only %d Markdown files", len(mds))
	}
	literal, byURL := 0, 0
	for _, path := range mds {
		kind := strings.TrimSuffix(filepath.Base(path), ".md")
		b, err := os.ReadFile(strings.TrimSuffix(path, ".md") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var it exportedItem
		if err := json.Unmarshal(b, &it); err != nil {
			t.Fatal(err)
		}
		front, body := splitMarkdown(t, path)
		var got map[string]any
		if err := yaml.Unmarshal([]byte(front), &got); err != nil {
			t.Errorf("%s: front matter does not parse: %v\n%s", path, err, front)
			continue
		}
		want := map[string]any{
			"id": it.ID, "title": it.Title, "type": kind, "space": "ENG", "status": it.Status,
			"created": it.CreatedAt, "updated": it.Version.CreatedAt, "version": it.Version.Number.String(),
			"author": it.Author.DisplayName, "owner": it.Owner.DisplayName, "url": site.URL + "/wiki" + it.Links.WebUI,
			"parent": it.ParentID, "parentType": it.ParentType,
		}
		var labels, ancestors []any
		for _, l := range it.Labels {
			labels = append(labels, l.Name)
		}
		for _, a := range it.Ancestors {
			ancestors = append(ancestors, a.ID)
		}
		if labels != nil {
			want["labels"] = labels
		}
		if ancestors != nil {
			want["ancestors"] = ancestors
		}
		for k, v := range want {
			if v == "" {
				delete(want, k)
			}
		}
		if !sameValues(got, want) {
			t.Errorf("%s: front matter\n%v\nwant\n%v", path, got, want)
		}
		// Links to pages of the export by URL lead to their Markdown.
		if i := strings.Index(body, "Earlier notes: "); i >= 0 {
			byURL++
			if m := earlier.FindStringSubmatch(body[i:]); m == nil {
				t.Errorf("%s: the link by URL is not relative: %.200s", path, body[i:])
			}
		}
		if strings.Contains(it.Title, "&") && strings.Contains(it.Title, "<Revised>") {
			literal++
			if h1 := renderedH1(t, body); h1 != it.Title {
				t.Errorf("%s: the title renders as %q, want %q", path, h1, it.Title)
			}
		}
	}
	if literal == 0 || byURL == 0 {
		t.Errorf("%d titles with & and <Revised>, %d links by URL: the test proves less than it says", literal, byURL)
	}
}

// sameValues compares a decoded front matter with the values it should
// hold: strings as strings (a number or a date would be a different
// value), lists as lists of strings.
func sameValues(got, want map[string]any) bool {
	if len(got) != len(want) {
		return false
	}
	for k, w := range want {
		switch w := w.(type) {
		case string:
			if g, ok := got[k].(string); !ok || g != w {
				return false
			}
		case []any:
			g, ok := got[k].([]any)
			if !ok || !slices.Equal(g, w) {
				return false
			}
		}
	}
	return true
}

var earlier = regexp.MustCompile(`^Earlier notes: \[[^\n]*\]\(\.\./\.\./pages/[0-9]+/page\.md\)\.`)

var h1 = regexp.MustCompile(`(?s)<h1>(.*?)</h1>`)

// renderedH1 is the text of the first heading as a Markdown renderer
// shows it: no tag of its own, its entities decoded.
func renderedH1(t *testing.T, md string) string {
	t.Helper()
	var b bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	m := h1.FindStringSubmatch(b.String())
	if m == nil {
		return ""
	}
	if strings.Contains(m[1], "<") {
		return "markup: " + strconv.Quote(m[1])
	}
	return html.UnescapeString(m[1])
}
