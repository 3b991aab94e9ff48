package storage_test

import (
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/storage"
)

// TestLinkDropped checks the Options.Link contract: a Link that returns ""
// leaves the link's text (or its URL, when it has none) as plain text and
// never writes a link or an image to an empty destination.
func TestLinkDropped(t *testing.T) {
	drop := storage.Options{
		Link: func(url string) string {
			if strings.Contains(url, "secret") || strings.Contains(url, "example.atlassian.net") {
				return ""
			}
			return url
		},
		SiteURL:  "https://example.atlassian.net/wiki",
		SpaceKey: "ENG",
	}
	cases := []struct {
		name, src, want string
	}{
		{"anchor", `<p>see <a href="https://secret.example.com/plan">the <em>plan</em></a> now</p>`,
			"see the *plan* now\n"},
		{"anchor without text", `<p>see <a href="https://secret.example.com/a*b"></a> now</p>`,
			"see https://secret.example.com/a\\*b now\n"},
		{"smart link", `<p><a href="https://secret.example.com/x">https://secret.example.com/x</a></p>`,
			"https://secret.example.com/x\n"},
		{"kept anchor", `<p><a href="https://example.com/">public</a></p>`,
			"[public](https://example.com/)\n"},
		{"ri:url", `<p><ac:link><ri:url ri:value="https://secret.example.com/u"/><ac:plain-text-link-body><![CDATA[the URL]]></ac:plain-text-link-body></ac:link></p>`,
			"the URL\n"},
		{"ri:url without body", `<p><ac:link><ri:url ri:value="https://secret.example.com/u"/></ac:link></p>`,
			"https://secret.example.com/u\n"},
		{"page site fallback", `<p><ac:link><ri:page ri:content-title="Elsewhere"/></ac:link></p>`,
			"Elsewhere\n"},
		{"space site fallback", `<p><ac:link><ri:space ri:space-key="OPS"/></ac:link></p>`,
			"OPS\n"},
		{"jira issue", `<p>fixed in <ac:structured-macro ac:name="jira"><ac:parameter ac:name="server">System Jira</ac:parameter><ac:parameter ac:name="key">ENG-7</ac:parameter></ac:structured-macro></p>`,
			"fixed in ENG-7\n"},
		{"img", `<p><img src="https://secret.example.com/logo.png" alt="Logo"/></p>`,
			"\\[image: Logo\\]\n"},
		{"img without alt", `<p><img src="https://secret.example.com/logo.png"/></p>`,
			"\\[image: https://secret.example.com/logo.png\\]\n"},
		{"ac:image", `<p><ac:image ac:alt="Photo"><ri:url ri:value="https://secret.example.com/photo.jpg"/></ac:image></p>`,
			"\\[image: Photo\\]\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md, _ := storage.Convert(tc.src, drop)
			if md != tc.want {
				t.Errorf("got %q, want %q", md, tc.want)
			}
			if strings.Contains(md, "]()") || strings.Contains(md, "](<>)") {
				t.Errorf("link to an empty destination: %q", md)
			}
		})
	}
}
