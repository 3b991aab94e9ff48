package confluence

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactNamesPeopleAndRemovesEveryAccountID(t *testing.T) {
	const a, b = "5b10ac8d82e05b22cc7d4ef5", "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"
	adfBody, _ := json.Marshal(map[string]any{"type": "doc", "version": 1, "content": []any{map[string]any{
		"type": "paragraph", "content": []any{
			map[string]any{"type": "mention", "attrs": map[string]any{"id": b, "text": "@Bob"}},
			map[string]any{"type": "text", "text": " see https://acme.atlassian.net/wiki/people/" + a},
		}}}})
	doc := map[string]any{
		"id": "42", "title": "Runbook", "authorId": a, "ownerId": b, "lastOwnerId": nil,
		"version": map[string]any{"number": 3.0, "authorId": b, "createdAt": "2026-01-02T03:04:05.000Z"},
		"body": map[string]any{
			"storage":          map[string]any{"representation": "storage", "value": `<p>Ask <ac:link><ri:user ri:account-id="` + b + `" /></ac:link> or <ri:user ri:account-id="` + a + `"/>, <ac:link><ri:user ri:account-id="` + a + `"/><ac:plain-text-link-body><![CDATA[Ada L.]]></ac:plain-text-link-body></ac:link>, profile <a href="https://acme.atlassian.net/wiki/people/557058%3Af58131cb-b67d-43c7-b30d-6b58d40bd077">here</a></p>`},
			"atlas_doc_format": map[string]any{"representation": "atlas_doc_format", "value": string(adfBody)},
		},
		"comments": []any{map[string]any{"id": "7", "version": map[string]any{"authorId": a}, "body": map[string]any{"storage": map[string]any{"value": "<p>ok</p>"}}}},
	}
	p := New(Options{})
	p.users[a] = &User{AccountID: a, DisplayName: "Ada Lovelace", Email: "ada@example.com"}
	p.users[b] = &User{AccountID: b, DisplayName: "Bob <Builder>"}
	ids := map[string]bool{}
	collectPeople(doc, ids, nil)
	if !ids[a] || !ids[b] || len(ids) != 2 {
		t.Fatalf("collected %v", ids)
	}
	p.addPeople(doc)
	p.redact(doc, ids)
	out, _ := json.Marshal(doc)
	s := string(out)
	for _, id := range []string{a, b, "f58131cb", "5b10ac8d"} {
		if strings.Contains(s, id) {
			t.Errorf("account id %s left in %s", id, s)
		}
	}
	for _, keep := range []string{
		`"author":{"displayName":"Ada Lovelace","emailAddress":"ada@example.com"}`,
		`"owner":{"displayName":"Bob \u003cBuilder\u003e","emailAddress":null}`,
		`\"text\":\"@Bob\"`, `people/redacted`,
	} {
		if !strings.Contains(s, keep) {
			t.Errorf("want %s in %s", keep, s)
		}
	}
	storage := doc["body"].(map[string]any)["storage"].(map[string]any)["value"].(string)
	if !strings.HasPrefix(storage, `<p>Ask @Bob &lt;Builder&gt; or @Ada Lovelace, @Ada Lovelace, profile`) {
		t.Errorf("storage user references not named: %s", storage)
	}
	if strings.Contains(s, `"authorId"`) || strings.Contains(s, `"ownerId"`) {
		t.Errorf("id fields kept: %s", s)
	}
	c := doc["comments"].([]any)[0].(map[string]any)
	if got := c["version"].(map[string]any)["author"].(map[string]any)["displayName"]; got != "Ada Lovelace" {
		t.Errorf("comment author = %v", got)
	}
}

func TestKeepAccountIDsKeepsWhatTheAPISent(t *testing.T) {
	const a = "5b10ac8d82e05b22cc7d4ef5"
	p := New(Options{KeepAccountIDs: true})
	p.users[a] = &User{AccountID: a, DisplayName: "Ada"}
	doc := map[string]any{"id": "1", "authorId": a, "body": map[string]any{"storage": map[string]any{"value": `<ri:user ri:account-id="` + a + `"/>`}}}
	it, err := p.finish(t.Context(), "page", doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := string(it.JSON)
	for _, want := range []string{`"authorId":"` + a + `"`, `ri:account-id=\"` + a, `"author":{"accountId":"` + a + `","displayName":"Ada"`} {
		if !strings.Contains(s, want) {
			t.Errorf("want %s in %s", want, s)
		}
	}
}

// TestPersonalSpaceKeysAreRedacted: a personal space is keyed "~" and its
// owner's account id, in links, storage references and the space itself.
func TestPersonalSpaceKeysAreRedacted(t *testing.T) {
	const owner = "5b10ac8d82e05b22cc7d4ef5"
	p := New(Options{SiteURL: "https://acme.atlassian.net"})
	p.spaceKeys["1"] = "~" + owner
	page := map[string]any{
		"id": "1", "title": "Notes", "spaceId": "99",
		"_links": map[string]any{"webui": "/spaces/~" + owner + "/pages/1/Notes"},
		"body":   map[string]any{"storage": map[string]any{"value": `<p><ac:link><ri:page ri:space-key="~` + owner + `" ri:content-title="Elsewhere"/></ac:link></p>`}},
	}
	it, err := p.finish(t.Context(), "page", page, nil)
	if err != nil {
		t.Fatal(err)
	}
	md := string(it.Markdown(nil))
	space, err := p.finish(t.Context(), "space", map[string]any{"id": "99", "key": "~" + owner, "name": "Ada Lovelace"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"page": string(it.JSON), "markdown": md, "space": string(space.JSON)} {
		if strings.Contains(s, owner) {
			t.Errorf("the owner's account id is in the %s: %s", what, s)
		}
	}
	if !strings.Contains(md, "\nspace: ~redacted\n") || !strings.Contains(string(space.JSON), `"key":"~redacted"`) {
		t.Errorf("personal space key not shown redacted:\n%s\n%s", md, space.JSON)
	}
}

func TestQueryErrorDropsTheJavaClassName(t *testing.T) {
	e := queryError("com.atlassian.confluence.api.service.exceptions.BadRequestException: Could not parse cql : space = (", false)
	if got, want := e.Error(), "Confluence refused the query: Could not parse cql : space = ("; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
