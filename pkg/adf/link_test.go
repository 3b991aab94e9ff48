package adf_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/adf"
)

// TestLinkDropped checks the Options.Link contract: a Link that returns ""
// leaves the link's text (or its URL, when it has none) as plain text and
// never writes a link or an image to an empty destination.
func TestLinkDropped(t *testing.T) {
	drop := adf.Options{Link: func(url string) string {
		if strings.Contains(url, "secret") {
			return ""
		}
		return url
	}}
	cases := []struct {
		name, json, want string
	}{
		{"link mark", `{"type":"paragraph","content":[{"type":"text","text":"see "},{"type":"text","text":"the plan","marks":[{"type":"link","attrs":{"href":"https://secret.example.com/plan"}}]},{"type":"text","text":" now"}]}`,
			"see the plan now\n"},
		{"link mark with emphasis", `{"type":"paragraph","content":[{"type":"text","text":"bold plan","marks":[{"type":"strong"},{"type":"link","attrs":{"href":"https://secret.example.com/plan"}}]}]}`,
			"**bold plan**\n"},
		{"kept link", `{"type":"paragraph","content":[{"type":"text","text":"public","marks":[{"type":"link","attrs":{"href":"https://example.com/"}}]}]}`,
			"[public](https://example.com/)\n"},
		{"inline card", `{"type":"paragraph","content":[{"type":"text","text":"card "},{"type":"inlineCard","attrs":{"url":"https://secret.example.com/a_b*"}}]}`,
			"card https://secret.example.com/a_b\\*\n"},
		{"named card", `{"type":"paragraph","content":[{"type":"inlineCard","attrs":{"data":{"url":"https://secret.example.com/x","name":"Roadmap [Q3]"}}}]}`,
			"Roadmap \\[Q3\\]\n"},
		{"block card", `{"type":"blockCard","attrs":{"url":"https://secret.example.com/x"}}`,
			"https://secret.example.com/x\n"},
		{"external image", `{"type":"mediaSingle","content":[{"type":"media","attrs":{"type":"external","url":"https://secret.example.com/logo.png","alt":"Logo"}}]}`,
			"\\[image: Logo\\]\n"},
		{"external image without alt", `{"type":"mediaSingle","content":[{"type":"media","attrs":{"type":"external","url":"https://secret.example.com/logo.png"}}]}`,
			"\\[image: https://secret.example.com/logo.png\\]\n"},
		{"external file", `{"type":"mediaGroup","content":[{"type":"media","attrs":{"type":"link","url":"https://secret.example.com/report.pdf","name":"report.pdf"}}]}`,
			"report.pdf\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md, _, err := adf.ConvertJSON([]byte(tc.json), drop)
			if err != nil {
				t.Fatal(err)
			}
			if md != tc.want {
				t.Errorf("got %q, want %q", md, tc.want)
			}
			if strings.Contains(md, "]()") || strings.Contains(md, "](<>)") {
				t.Errorf("link to an empty destination: %q", md)
			}
		})
	}
}

// TestCardTitle: a card without a title of its own reads as what
// CardTitle names it, linked wherever Link points; a card with a title,
// or one CardTitle does not know, keeps its own text.
func TestCardTitle(t *testing.T) {
	opts := adf.Options{
		Link: func(url string) string { return strings.Replace(url, "https://acme.example/browse/", "../", 1) },
		CardTitle: func(url string) string {
			key, ok := strings.CutPrefix(url, "https://acme.example/browse/")
			if !ok {
				return ""
			}
			return key
		},
	}
	for in, want := range map[string]string{
		`{"type":"inlineCard","attrs":{"url":"https://acme.example/browse/DEMO-4"}}`:                            "[DEMO-4](../DEMO-4)\n",
		`{"type":"inlineCard","attrs":{"url":"https://other.example/x"}}`:                                       "<https://other.example/x>\n",
		`{"type":"inlineCard","attrs":{"data":{"url":"https://acme.example/browse/DEMO-5","name":"The plan"}}}`: "[The plan](../DEMO-5)\n",
		`{"type":"blockCard","attrs":{"url":"https://acme.example/browse/DEMO-6"}}`:                             "[DEMO-6](../DEMO-6)\n",
	} {
		got, _, err := adf.ConvertJSON([]byte(`{"type":"doc","content":[{"type":"paragraph","content":[`+in+`]}]}`), opts)
		if strings.Contains(in, "blockCard") {
			got, _, err = adf.ConvertJSON([]byte(`{"type":"doc","content":[`+in+`]}`), opts)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s:\n got %q\nwant %q", in, got, want)
		}
	}
}

// TestScriptLinksDropped: a link, card or external image whose URL would
// run a script keeps its text and no destination, whatever Link says,
// and the converter says so.
func TestScriptLinksDropped(t *testing.T) {
	seen := 0
	keep := adf.Options{Link: func(url string) string { seen++; return url }}
	cases := []struct {
		name, json, want string
	}{
		{"link mark", `{"type":"paragraph","content":[{"type":"text","text":"see "},{"type":"text","text":"the plan","marks":[{"type":"link","attrs":{"href":"javascript:alert('x')"}}]},{"type":"text","text":" now"}]}`,
			"see the plan now\n"},
		{"scheme in capitals", `{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":"JAVASCRIPT:alert(1)"}}]}]}`,
			"x\n"},
		{"line break in the scheme", `{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":" java\nscript:alert(1)"}}]}]}`,
			"x\n"},
		{"character reference", `{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":"javascript&#58;alert(1)"}}]}]}`,
			"x\n"},
		{"vbscript", `{"type":"paragraph","content":[{"type":"text","text":"x","marks":[{"type":"link","attrs":{"href":"vbscript:msgbox(1)"}}]}]}`,
			"x\n"},
		{"inline card", `{"type":"paragraph","content":[{"type":"inlineCard","attrs":{"url":"javascript:alert(1)"}}]}`,
			"javascript:alert(1)\n"},
		{"external image", `{"type":"mediaSingle","content":[{"type":"media","attrs":{"type":"external","url":"javascript:alert(1)","alt":"Logo"}}]}`,
			"\\[image: Logo\\]\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seen = 0
			md, problems, err := adf.ConvertJSON([]byte(tc.json), keep)
			if err != nil {
				t.Fatal(err)
			}
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
