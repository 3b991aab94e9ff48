package storage_test

import (
	"slices"
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

// TestScriptLinksDropped: a link or image whose URL would run a script
// keeps its text and no destination, whatever Link says, and the
// converter says so.
func TestScriptLinksDropped(t *testing.T) {
	seen := 0
	keep := storage.Options{Link: func(url string) string { seen++; return url }}
	cases := []struct {
		name, src, want string
	}{
		{"anchor", `<p>see <a href="javascript:alert('x')">the <em>plan</em></a> now</p>`,
			"see the *plan* now\n"},
		{"anchor without text", `<p><a href="javascript:alert(1)"></a></p>`,
			"javascript:alert(1)\n"},
		{"scheme in capitals", `<p><a href="JavaScript:alert(1)">x</a></p>`, "x\n"},
		{"tab in the scheme", `<p><a href="java&#9;script:alert(1)">x</a></p>`, "x\n"},
		{"character reference", `<p><a href="javascript&amp;#58;alert(1)">x</a></p>`, "x\n"},
		{"vbscript", `<p><a href="vbscript:msgbox(1)">x</a></p>`, "x\n"},
		{"ri:url", `<p><ac:link><ri:url ri:value="javascript:alert(1)"/><ac:plain-text-link-body><![CDATA[the URL]]></ac:plain-text-link-body></ac:link></p>`,
			"the URL\n"},
		{"img", `<p><img src="javascript:alert(1)" alt="Logo"/></p>`, "\\[image: Logo\\]\n"},
		{"markdown macro", `<ac:structured-macro ac:name="markdown"><ac:plain-text-body><![CDATA[see [x](javascript:alert(1))]]></ac:plain-text-body></ac:structured-macro>`,
			"see x\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen = 0
			md, problems := storage.Convert(tc.src, keep)
			if md != tc.want {
				t.Errorf("got %q, want %q", md, tc.want)
			}
			if seen != 0 {
				t.Errorf("Link saw %d script URLs", seen)
			}
			if !slices.Contains(problems, "link to a script kept as text") {
				t.Errorf("problems %q do not name the script link", problems)
			}
		})
	}
}
