package storage_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/aumo-cli/aumo/pkg/storage"
)

var lineBreaks = regexp.MustCompile(`(?i)<br\s*/?>`)

// FuzzMarkdownMacro puts any Markdown in a markdown macro followed by a
// paragraph: the Markdown's text must be kept, none of its HTML but line
// breaks may reach a reader, and the paragraph after it must stay a
// paragraph of its own.
func FuzzMarkdownMacro(f *testing.F) {
	for _, s := range []string{
		"# Title\n\n- a\n- b\n\n```go\nx := 1\n```",
		"```\nnever closed",
		"<!-- never closed",
		"<script>alert(1)</script>\n\n<div>\n*x*\n</div>",
		"a <span>b</span> c<br>d <!-- e --> <https://example.com>",
		"| a | b |\n| --- | --- |\n| <b>x</b> | y<br/>z |",
		"> quote\n>\n> <pre>\n\n1. item\n\n       code",
	} {
		f.Add(s)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	f.Fuzz(func(t *testing.T, body string) {
		if strings.Contains(body, "]]>") {
			return // a CDATA section cannot hold it
		}
		src := `<ac:structured-macro ac:name="markdown"><ac:plain-text-body><![CDATA[` + body +
			`]]></ac:plain-text-body></ac:structured-macro><p>aumo after the macro</p>`
		out, _ := storage.Convert(src, storage.Options{})
		checkText(t, src, out)
		var buf bytes.Buffer
		if err := md.Convert([]byte(out), &buf); err != nil {
			t.Fatal(err)
		}
		html := buf.String()
		if !strings.Contains(html, "<p>aumo after the macro</p>") {
			t.Fatalf("the paragraph after the macro is gone\n--- markdown ---\n%s\n--- html ---\n%s", out, html)
		}
		if n, limit := strings.Count(html, "<!-- raw HTML omitted -->"), len(lineBreaks.FindAllString(out, -1)); n > limit {
			t.Fatalf("%d pieces of raw HTML, at most %d line breaks\n--- markdown ---\n%s\n--- html ---\n%s", n, limit, out, html)
		}
	})
}

// TestMarkdownMacroConcurrent converts pages with markdown macros from
// several goroutines at once, as an export does; run with -race.
func TestMarkdownMacroConcurrent(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(goldenDir, "markdown-macro.xhtml"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := storage.Convert(string(data), testOptions())
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if got, _ := storage.Convert(string(data), testOptions()); got != want {
					t.Error("concurrent conversions differ")
					return
				}
			}
		}()
	}
	wg.Wait()
}
