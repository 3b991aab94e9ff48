package jira

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactRemovesEveryAccountID(t *testing.T) {
	const a, b = "5b10ac8d82e05b22cc7d4ef5", "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077"
	in := `{
	  "id": "10001",
	  "fields": {
	    "reporter": {"accountId": "` + a + `", "displayName": "Ada", "emailAddress": "ada@example.com",
	                 "self": "https://acme.atlassian.net/rest/api/3/user?accountId=` + a + `", "avatarUrls": {"48x48": "x"}},
	    "customfield_10100": {"accountId": "` + b + `", "displayName": "Bob", "accountType": "atlassian"},
	    "customfield_10101": {"accountId": "712020:0b1c2d3e-aaaa-bbbb-cccc-000000000001", "active": true},
	    "customfield_10102": {"type": "doc", "content": [{"type": "inlineCard", "attrs": {"url": "https://acme.atlassian.net/jira/people/712020:0b1c2d3e-aaaa-bbbb-cccc-000000000002"}}]},
	    "description": {"type": "doc", "content": [{"type": "paragraph", "content": [
	        {"type": "mention", "attrs": {"id": "` + b + `", "text": "@Bob", "accessLevel": ""}}]}]}
	  },
	  "renderedFields": {"description": "<a href=\"https://acme.atlassian.net/secure/ViewProfile.jspa?accountId=` + b + `\">@Bob</a>",
	                     "environment": "<a href=\"https://acme.atlassian.net/jira/people/557058%3Af58131cb-b67d-43c7-b30d-6b58d40bd077\">Bob</a>"},
	  "changelog": {"histories": [{"author": {"accountId": "` + a + `", "displayName": "Ada"},
	      "items": [{"field": "assignee", "fieldtype": "jira", "from": "` + a + `", "fromString": "Ada", "to": "` + b + `", "toString": "Bob"},
	                {"field": "Approver", "fieldId": "customfield_10200", "from": "` + a + `", "fromString": "Ada", "to": null, "toString": null},
	                {"field": "status", "from": "1", "fromString": "Open", "to": "3", "toString": "In Progress"}]}]}
	}`
	var v map[string]any
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	(&redactor{userFieldIDs: map[string]bool{"customfield_10200": true}}).issue(v)
	out, _ := json.Marshal(v)
	s := string(out)
	for _, id := range []string{a, b, "f58131cb", "0b1c2d3e"} {
		if strings.Contains(s, id) {
			t.Errorf("account id %s left in %s", id, s)
		}
	}
	for _, keep := range []string{`"displayName":"Ada"`, `"emailAddress":"ada@example.com"`, `"text":"@Bob"`,
		`"fromString":"Ada"`, `"toString":"Bob"`, `"from":"1"`, `"to":"3"`, "accountId=redacted"} {
		if !strings.Contains(s, keep) {
			t.Errorf("lost %s: %s", keep, s)
		}
	}
	if strings.Contains(s, "avatarUrls") || strings.Contains(s, `"self"`) {
		t.Errorf("user objects keep self/avatarUrls: %s", s)
	}
}
