package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

// The forms an account id takes in links.
var idForms = []struct{ name, id string }{
	{"hex", "5b10ac8d82e05b22cc7d4ef5"},
	{"557058", "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"},
	{"712020", "712020:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
	{"qm", "qm:ab12cd34-ef56-4a78-9b01-c23d45e67f89:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"},
	{"encoded", "557058%3Af58131cb-b67d-43c7-b30d-6b58d40bd077"},
	{"encoded lower", "557058%3af58131cb-b67d-43c7-b30d-6b58d40bd077"},
	{"underscore", "app_5b10ac8d-82e0"},
}

// The links to people, each with what comes before its id.
var profilePrefixes = []string{
	"https://acme.atlassian.net/jira/people/",
	"https://acme.atlassian.net/wiki/people/",
	"https://acme.atlassian.net/wiki/display/~",
	"https://acme.atlassian.net/wiki/spaces/~",
	`<ri:space ri:space-key="~`,
	`<ri:space ri:space-key=&quot;~`,
	"https://acme.atlassian.net/wiki/dosearchsite.action?spaceKey=~",
	"https://acme.atlassian.net/wiki/spaces/viewspace.action?key=~",
	"https://acme.atlassian.net/secure/ViewProfile.jspa?accountId=",
	"https://acme.atlassian.net/issues/?jql=x&accountId=",
}

// What follows a link in text.
var afterID = []string{")", ".", ",", "]", `"`, "'", ">", ":", "%3A", ""}

// TestProfileLinkIDOnly: in every link to a person, whatever id form it
// holds and whatever follows it, the id and only the id is replaced, in
// Markdown and in the strings of a JSON document, whether the id was
// found by field or not.
func TestProfileLinkIDOnly(t *testing.T) {
	for _, form := range idForms {
		for _, prefix := range profilePrefixes {
			for _, after := range afterID {
				link := prefix + form.id
				redacted := prefix + Redacted
				tail := after
				if after != "" {
					tail += " and the rest (of it)."
				}
				plain, wantPlain := "Ask "+link+tail, "Ask "+redacted+tail
				md, wantMD := "Ask [Siobhán Tanaka]("+link+")"+tail, "Ask [Siobhán Tanaka]("+redacted+")"+tail
				known := strings.NewReplacer("%3A", ":", "%3a", ":").Replace(form.id)
				for _, r := range []*Replacer{NewReplacer(nil), NewReplacer(map[string]bool{known: true})} {
					if got := r.String(plain); got != wantPlain {
						t.Errorf("%s, %q, %q: String(%q)\n got %q\nwant %q", form.name, prefix, after, plain, got, wantPlain)
					}
					if got := r.String(md); got != wantMD {
						t.Errorf("%s, %q, %q: String(%q)\n got %q\nwant %q", form.name, prefix, after, md, got, wantMD)
					}
					doc := map[string]any{"body": plain, "list": []any{md, link + after}}
					data, _ := json.Marshal(doc)
					var v any
					if err := json.Unmarshal(data, &v); err != nil {
						t.Fatal(err)
					}
					got, _ := json.Marshal(r.Walk(v))
					want, _ := json.Marshal(map[string]any{"body": wantPlain, "list": []any{wantMD, redacted + after}})
					if string(got) != string(want) {
						t.Errorf("%s, %q, %q: Walk\n got %s\nwant %s", form.name, prefix, after, got, want)
					}
				}
			}
		}
	}
}

// TestReplacerKeepsTextAroundIDs: ids found by field are replaced
// wherever they appear, and nothing else is.
func TestReplacerKeepsTextAroundIDs(t *testing.T) {
	const id = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"
	r := NewReplacer(map[string]bool{id: true, "short": true})
	in := `owner=` + id + `; see <a href="/x?u=557058%3Af58131cb-b67d-43c7-b30d-6b58d40bd077">short</a>.`
	want := `owner=redacted; see <a href="/x?u=redacted">short</a>.`
	if got := r.String(in); got != want {
		t.Errorf("String(%q)\n got %q\nwant %q", in, got, want)
	}
}

func TestProfileLink(t *testing.T) {
	for url, want := range map[string]bool{
		"https://acme.atlassian.net/wiki/people/5b10ac8d82e05b22cc7d4ef5":                       true,
		"https://acme.atlassian.net/wiki/people/redacted":                                       true,
		"/wiki/people/557058%3Af58131cb-b67d-43c7-b30d-6b58d40bd077":                            true,
		"https://acme.atlassian.net/jira/people/redacted?ref=x":                                 true,
		"https://acme.atlassian.net/wiki/display/~redacted":                                     true,
		"https://acme.atlassian.net/wiki/spaces/~712020:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d":   true,
		"https://acme.atlassian.net/secure/ViewProfile.jspa?accountId=5b10ac8d82e05b22cc7d4ef5": true,
		"https://acme.atlassian.net/wiki/people/":                                               false,
		"https://acme.atlassian.net/jira/people/team/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d":      false,
		"https://acme.atlassian.net/wiki/spaces/~john.smith@corp.example.com/overview":          true,
		"https://acme.atlassian.net/wiki/spaces/ENG/pages/123/People":                           false,
		"https://acme.atlassian.net/wiki/display/ENG/Home":                                      false,
		"https://example.com/people":                                                            false,
		"":                                                                                      false,
	} {
		if got := ProfileLink(url); got != want {
			t.Errorf("ProfileLink(%q) = %v, want %v", url, got, want)
		}
	}
}

// TestServerSpaceKeys: a personal space's key that came from Confluence
// Server is a username, often an email address; all of it goes, and
// nothing after it.
func TestServerSpaceKeys(t *testing.T) {
	r := NewReplacer(nil)
	for in, want := range map[string]string{
		"See https://acme.atlassian.net/wiki/display/~john.smith@corp.example.com.":              "See https://acme.atlassian.net/wiki/display/~redacted.",
		"https://acme.atlassian.net/wiki/spaces/~jsmith.old/pages/123 (old)":                     "https://acme.atlassian.net/wiki/spaces/~redacted/pages/123 (old)",
		`<ri:space ri:space-key="~j.smith+ops"/>`:                                                `<ri:space ri:space-key="~redacted"/>`,
		"/wiki/spaces/~john.smith%40corp.example.com/overview":                                   "/wiki/spaces/~redacted/overview",
		"Team: https://acme.atlassian.net/jira/people/team/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d": "Team: https://acme.atlassian.net/jira/people/team/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
