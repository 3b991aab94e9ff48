package atlassian

import (
	"strings"
	"testing"
)

func newLinkClient(t *testing.T, product Product) *Client {
	t.Helper()
	c, err := New(Options{Product: product, CloudID: cloudID, SiteURL: siteURL, Tokens: &fakeTokens{}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRewriteLink(t *testing.T) {
	const jira = "https://api.atlassian.com/ex/jira/cloud-1"
	const wiki = "https://api.atlassian.com/ex/confluence/cloud-1"
	for _, tc := range []struct {
		product Product
		link    string
		want    string
	}{
		{Jira, "https://acme.atlassian.net/rest/api/3/attachment/content/10000", jira + "/rest/api/3/attachment/content/10000"},
		{Jira, "https://ACME.atlassian.net/rest/api/3/issue/10001?expand=names", jira + "/rest/api/3/issue/10001?expand=names"},
		{Jira, "/rest/api/3/search/jql?nextPageToken=abc%3D%3D", jira + "/rest/api/3/search/jql?nextPageToken=abc%3D%3D"},
		{Jira, jira + "/rest/api/3/issue/10001", jira + "/rest/api/3/issue/10001"},
		{Jira, "https://acme.atlassian.net/rest/api/3/attachment/content/10000#frag", jira + "/rest/api/3/attachment/content/10000"},
		{Confluence, "/wiki/api/v2/pages?cursor=eyJpZCI6IjEifQ%3D%3D&limit=250", wiki + "/wiki/api/v2/pages?cursor=eyJpZCI6IjEifQ%3D%3D&limit=250"},
		{Confluence, "/rest/api/search?cql=type%3Dpage&limit=25&cursor=xyz", wiki + "/wiki/rest/api/search?cql=type%3Dpage&limit=25&cursor=xyz"},
		{Confluence, "https://acme.atlassian.net/wiki/rest/api/content/123/child/attachment/att9/download", wiki + "/wiki/rest/api/content/123/child/attachment/att9/download"},
		{Confluence, "/wiki/spaces/ENG/pages/123/Title+with%2Fslash", wiki + "/wiki/spaces/ENG/pages/123/Title+with%2Fslash"},
	} {
		got, err := newLinkClient(t, tc.product).RewriteLink(tc.link)
		if err != nil || got != tc.want {
			t.Errorf("%s RewriteLink(%q) = %q, %v; want %q", tc.product, tc.link, got, err, tc.want)
		}
	}
}

func TestRewriteLinkRefuses(t *testing.T) {
	c := newLinkClient(t, Confluence)
	for _, link := range []string{
		"https://evil.example/wiki/api/v2/pages",
		"https://acme.atlassian.net.evil.example/wiki/api/v2/pages",
		"http://acme.atlassian.net/wiki/api/v2/pages", // the site is https
		"https://user@acme.atlassian.net/wiki/api/v2/pages",
		"//evil.example/wiki/api/v2/pages",
		"wiki/api/v2/pages",
		"/wiki/../../jira/cloud-1/rest/api/3/myself",
		"https://api.atlassian.com/ex/jira/cloud-1/rest/api/3/myself", // the other product
		"https://api.media.atlassian.com/file/x/binary?token=secret",
		"javascript:alert(1)",
	} {
		got, err := c.RewriteLink(link)
		if err == nil {
			t.Errorf("RewriteLink(%q) = %q, want an error", link, got)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q shows the query", err)
		}
	}
}

func TestRewriteLinkWithoutSite(t *testing.T) {
	c, err := New(Options{Product: Jira, CloudID: cloudID, Tokens: &fakeTokens{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RewriteLink(siteURL + "/rest/api/3/myself"); err == nil {
		t.Fatal("a site link was rewritten without a site")
	}
	if _, err := c.RewriteLink("/rest/api/3/myself"); err != nil {
		t.Fatal(err)
	}
}

func TestRewriteRelative(t *testing.T) {
	const wiki = "https://api.atlassian.com/ex/confluence/cloud-1"
	c := newLinkClient(t, Confluence)
	for _, tc := range []struct{ base, next, want string }{
		{"https://acme.atlassian.net/wiki", "/rest/api/search?cql=type%3Dpage&cursor=abc", wiki + "/wiki/rest/api/search?cql=type%3Dpage&cursor=abc"},
		{"https://acme.atlassian.net/wiki/", "/rest/api/content/search?cursor=abc", wiki + "/wiki/rest/api/content/search?cursor=abc"},
		{"https://acme.atlassian.net/wiki", "https://acme.atlassian.net/wiki/api/v2/pages?cursor=x", wiki + "/wiki/api/v2/pages?cursor=x"},
		{"", "/rest/api/search?cursor=abc", wiki + "/wiki/rest/api/search?cursor=abc"},
		{wiki + "/wiki", "/rest/api/search?cursor=abc", wiki + "/wiki/rest/api/search?cursor=abc"},
	} {
		got, err := c.RewriteRelative(tc.base, tc.next)
		if err != nil || got != tc.want {
			t.Errorf("RewriteRelative(%q, %q) = %q, %v; want %q", tc.base, tc.next, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ base, next string }{
		{"https://evil.example/wiki", "/rest/api/search?cursor=abc"},
		{"https://acme.atlassian.net/wiki", "https://evil.example/rest/api/search"},
		{"/wiki", "/rest/api/search"},
		{"https://acme.atlassian.net/wiki", "rest/api/search"},
	} {
		if got, err := c.RewriteRelative(tc.base, tc.next); err == nil {
			t.Errorf("RewriteRelative(%q, %q) = %q, want an error", tc.base, tc.next, got)
		}
	}
}
