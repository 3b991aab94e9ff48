package jira_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/sandbox"
)

// gatewaySelf answers as Jira does through Atlassian's API gateway: an
// issue's self is the gateway's address, not the site's.
func gatewaySelf(t *testing.T, target string, site sandbox.Site) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	self := regexp.MustCompile(`"self":"` + regexp.QuoteMeta(site.URL) + `(/rest/api/3/issue/[0-9]+")`)
	gateway := []byte(`"self":"https://api.atlassian.com/ex/jira/` + site.CloudID + `$1`)
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(r *http.Response) error {
		if !strings.Contains(r.Header.Get("Content-Type"), "json") {
			return nil
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		_ = r.Body.Close()
		b = self.ReplaceAll(b, gateway)
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	return front.URL
}

// TestJiraExportThroughGateway exports issues whose self is the API
// gateway's: with the site's URL given, the Markdown links the export's
// issues relatively and its front matter names the issue on the site;
// without it, nothing points to the gateway.
func TestJiraExportThroughGateway(t *testing.T) {
	srv, tokens := exporttest.Sandbox(t, sandbox.Options{})
	srv.SetJiraProject("ABC", 30, 11, sandbox.JiraOptions{})
	site := sandbox.DefaultSites[0]
	client := exporttest.Client(t, gatewaySelf(t, srv.URL(), site), atlassian.Jira, tokens)
	for _, siteURL := range []string{site.URL, ""} {
		out := filepath.Join(t.TempDir(), "export")
		opts := exporttest.Options(out, atlassian.Jira, "project = ABC", client)
		exporttest.Export(t, opts, jira.New(jira.Options{Client: client, JQL: opts.Query, SiteURL: siteURL}))
		mds, err := filepath.Glob(filepath.Join(out, "issues", "*", "issue.md"))
		if err != nil || len(mds) < 20 {
			t.Fatalf("%d issues exported: %v", len(mds), err)
		}
		var gateway, relative, urls int
		for _, p := range mds {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			// The JSON keeps the gateway's self.
			var is struct{ Self string }
			js, err := os.ReadFile(filepath.Join(filepath.Dir(p), "issue.json"))
			if err == nil {
				err = json.Unmarshal(js, &is)
			}
			if !strings.HasPrefix(is.Self, "https://api.atlassian.com/ex/jira/"+site.CloudID+"/rest/api/3/issue/") {
				t.Fatalf("%s: the self is %q, not the gateway's (%v)", p, is.Self, err)
			}
			md := string(b)
			gateway += strings.Count(md, "api.atlassian.com")
			relative += strings.Count(md, "](../")
			if strings.Contains(md, "\nurl: "+site.URL+"/browse/") {
				urls++
			}
		}
		if gateway > 0 {
			t.Errorf("site %q: %d links to the gateway", siteURL, gateway)
		}
		if siteURL != "" && (urls != len(mds) || relative < 20) {
			t.Errorf("site %q: %d urls on the site of %d issues, %d relative links", siteURL, urls, len(mds), relative)
		}
		if siteURL == "" && urls != 0 {
			t.Errorf("no site: %d urls, none can be known", urls)
		}
	}
}
