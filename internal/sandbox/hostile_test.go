package sandbox

import (
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// cqlQuote quotes s as a CQL string.
func cqlQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

var (
	contentTitleAttr = regexp.MustCompile(`<ri:page ri:content-title="([^"]*)"`)
	cdataSection     = regexp.MustCompile(`(?s)<!\[CDATA\[.*?\]\]>`)
)

// TestConfluenceHostileTitles: every space, however small, has the
// hostile titles at their positions and, when it can, the sibling pairs;
// titles stay unique, title links in bodies name pages that exist, and
// CQL finds each hostile title.
func TestConfluenceHostileTitles(t *testing.T) {
	if n := len(hostileLongTitle); n < 300 || len(utf16.Encode([]rune(hostileLongTitle))) > 255 {
		t.Fatalf("the long title has %d bytes and %d UTF-16 units", n, len(utf16.Encode([]rune(hostileLongTitle))))
	}
	for _, tc := range []struct {
		pages    int
		seed     int64
		siblings bool
	}{{8, 2, false}, {40, 3, true}, {60, 1, true}, {150, 4, true}} {
		s, tk := startConfluence(t, tc.pages, tc.seed, ConfluenceOptions{})
		cloud := DefaultSites[0].CloudID
		sp, _ := s.ConfluenceSpaceAt(cloud, "DEMO")
		titles := map[string]ConfluenceItem{}
		for i, id := range sp.Pages {
			it, _ := s.ConfluenceItemAt(cloud, id)
			if other, ok := titles[it.Title]; ok {
				t.Errorf("%d pages: %s and %s are both titled %q", tc.pages, other.ID, id, it.Title)
			}
			titles[it.Title] = it
			if want, ok := confluenceHostileTitles[i]; ok && it.Title != want {
				t.Errorf("%d pages: page %d is titled %q, want %q", tc.pages, i+1, it.Title, want)
			}
		}
		for _, pair := range confluenceSiblingTitles {
			a, okA := titles[pair[0]]
			b, okB := titles[pair[1]]
			if !tc.siblings {
				continue
			}
			if !okA || !okB || a.ParentID == "" || a.ParentID != b.ParentID || a.Trashed || a.Restricted || b.Trashed || b.Restricted {
				t.Errorf("%d pages: %q (%v) and %q (%v) are not visible siblings: %+v %+v", tc.pages, pair[0], okA, pair[1], okB, a, b)
			}
		}
		// Each hostile title is found by CQL; the titles that differ
		// only in case are found together, as CQL ignores case.
		for _, want := range []string{"CON", confluenceHostileTitles[2], confluenceHostileTitles[3], hostileLongTitle, confluenceHostileTitles[5]} {
			it := titles[want]
			hits, _ := s.walkSearch(t, tk, url.Values{"cql": {"title = " + cqlQuote(want)}})
			if len(hits) != 1 || hits[0].Content.ID != it.ID {
				t.Errorf("%d pages: title = %q finds %+v, want %s", tc.pages, want, hits, it.ID)
			}
		}
		// Title links in the bodies name pages of the space.
		for _, id := range sp.Pages {
			if it, _ := s.ConfluenceItemAt(cloud, id); it.Trashed || it.Restricted {
				continue
			}
			storage := decode[cfPageT](t, s.get(cfPath("/api/v2/pages/"+id+"?body-format=storage"), tk)).Body["storage"].Value
			for _, m := range contentTitleAttr.FindAllStringSubmatch(storage, -1) {
				if _, ok := titles[html.UnescapeString(m[1])]; !ok {
					t.Errorf("%d pages: %s links to a page titled %q, which the space lacks", tc.pages, id, html.UnescapeString(m[1]))
				}
			}
		}
	}
}

// TestConfluenceHostileBody: page 6 holds the hostile script in storage
// and in ADF, as text, as a javascript: link and in an HTML macro; no
// other page does, and nothing of it is markup outside the macro's
// CDATA.
func TestConfluenceHostileBody(t *testing.T) {
	s, tk := startConfluence(t, 8, 2, ConfluenceOptions{})
	sp, _ := s.ConfluenceSpaceAt(DefaultSites[0].CloudID, "DEMO")
	for i, id := range sp.Pages {
		page := decode[cfPageT](t, s.get(cfPath("/api/v2/pages/"+id+"?body-format=storage"), tk))
		storage := page.Body["storage"].Value
		adfString := decode[cfPageT](t, s.get(cfPath("/api/v2/pages/"+id+"?body-format=atlas_doc_format"), tk)).Body["atlas_doc_format"].Value
		hostile := i == confluenceHostileBody
		// Other pages may link to page 6 by its title, which has the
		// script in an image element, but only page 6 has it otherwise.
		if got := strings.Contains(storage, "javascript:") || strings.Contains(adfString, "javascript:") ||
			strings.Contains(storage, html.EscapeString(hostileScriptTag)); got != hostile {
			t.Errorf("page %d (%s): carries the script %v, want %v", i+1, id, got, hostile)
		}
		if !hostile {
			continue
		}
		outside := cdataSection.ReplaceAllString(storage, "")
		for _, want := range []string{
			"<p>" + html.EscapeString(hostileScriptTag) + "</p>",
			"<p>" + html.EscapeString(hostileImage) + "</p>",
			`<a href="` + html.EscapeString(hostileHref) + `">old report</a>`,
			`<ac:structured-macro ac:name="html" ac:schema-version="1" ac:macro-id="`,
			`<ac:plain-text-body><![CDATA[` + hostileScriptTag + `]]></ac:plain-text-body>`,
		} {
			if !strings.Contains(storage, want) {
				t.Errorf("storage lacks %s", want)
			}
		}
		if strings.Contains(outside, "<script") || strings.Contains(outside, "<img") {
			t.Errorf("storage holds markup that runs outside the macro: %s", outside)
		}
		var doc any
		if err := json.Unmarshal([]byte(adfString), &doc); err != nil {
			t.Fatal(err)
		}
		texts, hrefs, macro := adfHostile(doc)
		if !texts[hostileScriptTag] || !texts[hostileImage] || !hrefs[hostileHref] || macro != hostileScriptTag {
			t.Errorf("ADF: texts %v, links %v, macro %q", texts, hrefs, macro)
		}
	}
}

// adfHostile collects the text nodes, link targets and the body of an
// HTML macro of an ADF document.
func adfHostile(doc any) (texts, hrefs map[string]bool, macro string) {
	texts, hrefs = map[string]bool{}, map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch n := v.(type) {
		case []any:
			for _, k := range n {
				walk(k)
			}
		case map[string]any:
			if n["type"] == "text" {
				texts[n["text"].(string)] = true
			}
			if n["type"] == "link" {
				hrefs[n["attrs"].(map[string]any)["href"].(string)] = true
			}
			if attrs, ok := n["attrs"].(map[string]any); ok && n["type"] == "extension" && attrs["extensionKey"] == "html" {
				body, _ := attrs["parameters"].(map[string]any)["macroParams"].(map[string]any)["__bodyContent"].(map[string]any)
				macro, _ = body["value"].(string)
			}
			walk(n["content"])
			walk(n["marks"])
		}
	}
	walk(doc)
	return texts, hrefs, macro
}

// TestJiraHostile: the hostile summaries sit at their keys, and KEY-5's
// description holds the hostile script in ADF and in renderedFields,
// as text and as a javascript: link; no other issue's does.
func TestJiraHostile(t *testing.T) {
	if n := utf8.RuneCountInString(hostileLongTitle); n > 255 {
		t.Fatalf("the long summary has %d characters", n)
	}
	s, tk := startJira(t, 10, 3, JiraOptions{})
	keys := []string{}
	for i := range 10 {
		keys = append(keys, "ABC-"+strconv.Itoa(i+1))
	}
	r := s.post(jiraPath("/issue/bulkfetch"), tk, map[string]any{
		"issueIdsOrKeys": keys, "fields": []string{"summary", "description"}, "expand": []string{"renderedFields"},
	})
	var got struct {
		Issues []struct {
			Key    string `json:"key"`
			Fields struct {
				Summary     string `json:"summary"`
				Description any    `json:"description"`
			} `json:"fields"`
			Rendered struct {
				Description *string `json:"description"`
			} `json:"renderedFields"`
		} `json:"issues"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || len(got.Issues) != 10 {
		t.Fatalf("bulkfetch: %d issues, %v: %.300s", len(got.Issues), err, r.body)
	}
	for i, is := range got.Issues {
		if want, ok := jiraHostileSummaries[i]; ok && is.Fields.Summary != want {
			t.Errorf("%s: summary %q, want %q", is.Key, is.Fields.Summary, want)
		}
		texts, hrefs, _ := adfHostile(is.Fields.Description)
		rendered := ""
		if is.Rendered.Description != nil {
			rendered = *is.Rendered.Description
		}
		hostile := i == jiraHostileBody
		if got := texts[hostileScriptTag] && texts[hostileImage] && hrefs[hostileHref]; got != hostile {
			t.Errorf("%s: ADF carries the script %v, want %v", is.Key, got, hostile)
		}
		if got := strings.Contains(rendered, "<p>"+html.EscapeString(hostileScriptTag)+"</p>") &&
			strings.Contains(rendered, "<p>"+html.EscapeString(hostileImage)+"</p>") &&
			strings.Contains(rendered, `<a href="`+html.EscapeString(hostileHref)+`"`); got != hostile {
			t.Errorf("%s: renderedFields carry the script %v, want %v: %s", is.Key, got, hostile, rendered)
		}
		if strings.Contains(rendered, "<script") || strings.Contains(rendered, "<img src=x") {
			t.Errorf("%s: renderedFields hold markup that runs: %s", is.Key, rendered)
		}
	}
}
