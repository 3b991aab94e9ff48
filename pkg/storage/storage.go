package storage

import (
	"github.com/aumo-cli/aumo/internal/mdtext"

	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Options tune a conversion. The zero value is valid: links stay unchanged,
// links to pages, attachments and images become their visible text and
// every user mention becomes "@unknown user".
type Options struct {
	// Attachment maps an attachment file name (ri:attachment ri:filename, on the current page) to
	// the exported file's relative path; unmapped attachments keep their file name as text.
	Attachment func(filename string) (path string, ok bool)
	// Page maps a page link (ri:page: space key may be empty = current space, title) to a relative
	// link to that page's Markdown when it is in the export; ok=false → the converter uses the
	// SiteURL fallback or the plain title. It is asked for the title as written, then (if that
	// differs) trimmed of surrounding space. A link to a space (ri:space) asks with an empty title.
	Page func(spaceKey, title string) (link string, ok bool)
	// User maps an account id (ri:user ri:account-id) to a visible name; when nil or not found,
	// the converter writes "@unknown user" (never the id).
	User func(accountID string) (name string, ok bool)
	// Link rewrites a link's URL; returning "" drops the link and keeps its text. Optional; nil:
	// unchanged. It sees ordinary hrefs (e.g. site URLs), image URLs, the SiteURL fallbacks,
	// the Jira issue links the converter builds and the links, images, autolinks and link
	// reference definitions of markdown macros. A dropped link leaves its text alone (its URL
	// as plain text when it has none), a page, space or Jira issue link its title or key, and
	// an image the marker "[image: alt]" (the URL when it has no alt text); the URL is never
	// used as a destination then. A script URL (javascript:, vbscript:) is dropped so before
	// Link sees it, with a problem reported.
	Link func(url string) string
	// SiteURL is the Confluence base URL, e.g. "https://example.atlassian.net/wiki". When set,
	// links to pages and spaces that Page does not map point to the site instead of becoming
	// plain text, and Jira macros using the site's own Jira ("System Jira") link to the issue.
	SiteURL string
	// SpaceKey is the key of the space the converted page belongs to; the SiteURL fallback needs
	// it for page links that name no space.
	SpaceKey string
}

// maxDepth bounds recursion so hostile or corrupted documents cannot make the
// output grow quadratically through indentation; deeper content is kept as
// plain text.
const maxDepth = 256

// maxListDepth bounds list nesting separately: each level indents every line
// below it, and no real page nests lists anywhere near this deep.
const maxListDepth = 100

// Convert renders storage format (the body.storage.value of a Confluence page,
// blog post or comment) as Markdown. It never panics and never drops text:
// unknown elements keep their content and unknown macros keep their name,
// parameters and body visibly. Problems lists what it could not render
// faithfully, each message once.
func Convert(storage string, opts Options) (markdown string, problems []string) {
	c := &converter{opts: opts, seen: map[string]bool{}, blockMemo: map[*html.Node]bool{}}
	defer func() {
		// The renderer is written not to panic, but a caller-supplied
		// callback might; converting that into a problem keeps the promise
		// that one bad page cannot take down a whole export.
		if r := recover(); r != nil {
			c.problem("conversion aborted: %v", r)
			markdown = ""
			if c.root != nil {
				markdown = mdtext.EscapeText(collapse(collectText(c.root)))
			} else {
				markdown = mdtext.EscapeText(collapse(storage))
			}
			markdown = strings.TrimSpace(markdown)
			if markdown != "" {
				markdown += "\n"
			}
			problems = c.problems
		}
	}()
	c.root = c.parse(c.sanitize(storage))
	out := joinBlocks(c.blockList(children(c.root), ctx{}), false)
	out = strings.TrimRight(out, "\n")
	if out != "" {
		out += "\n"
	}
	return out, c.problems
}

type converter struct {
	opts      Options
	problems  []string
	seen      map[string]bool
	root      *html.Node
	blockMemo map[*html.Node]bool
}

// problem records a message once (see mdtext.AddProblem).
func (c *converter) problem(format string, args ...any) {
	c.problems = mdtext.AddProblem(c.problems, c.seen, fmt.Sprintf(format, args...))
}

// sanitize replaces invalid UTF-8 once, up front, so every later step sees
// the same text.
func (c *converter) sanitize(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	c.problem("input is not valid UTF-8; invalid bytes replaced")
	return strings.ToValidUTF8(s, "\uFFFD")
}

// children returns n's child nodes as a slice.
func children(n *html.Node) []*html.Node {
	var out []*html.Node
	for k := n.FirstChild; k != nil; k = k.NextSibling {
		out = append(out, k)
	}
	return out
}

// attr returns the value of the attribute key (lower case, prefix included).
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// child returns the first element child named name, or nil.
func child(n *html.Node, name string) *html.Node {
	for k := n.FirstChild; k != nil; k = k.NextSibling {
		if k.Type == html.ElementNode && k.Data == name {
			return k
		}
	}
	return nil
}

// isElement reports whether n is an element named one of names.
func isElement(n *html.Node, names ...string) bool {
	if n == nil || n.Type != html.ElementNode {
		return false
	}
	for _, name := range names {
		if n.Data == name {
			return true
		}
	}
	return false
}

// isBlank reports whether n is a text node holding only whitespace.
func isBlank(n *html.Node) bool {
	return n.Type == html.TextNode && strings.TrimSpace(n.Data) == ""
}

// collectText gathers all text below n in document order, with a space
// where an element boundary might separate words; it is the last-resort
// rendering that guarantees no text is lost. It walks iteratively so that
// even a pathological tree cannot exhaust the stack.
func collectText(n *html.Node) string {
	var b strings.Builder
	stack := []*html.Node{n}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch top.Type {
		case html.TextNode:
			b.WriteString(top.Data)
			continue
		case html.ElementNode:
			b.WriteByte(' ')
		}
		for k := top.LastChild; k != nil; k = k.PrevSibling {
			stack = append(stack, k)
		}
	}
	return b.String()
}

// rawText is the text below n with its whitespace intact, as code and
// preformatted text need it; <br> and block boundaries become newlines.
func rawText(n *html.Node) string {
	var b strings.Builder
	nl := func() {
		if s := b.String(); s != "" && s[len(s)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	var walk func(*html.Node, int)
	walk = func(n *html.Node, depth int) {
		for k := n.FirstChild; k != nil; k = k.NextSibling {
			switch {
			case k.Type == html.TextNode:
				b.WriteString(k.Data)
			case isElement(k, "br"):
				b.WriteByte('\n')
			case k.Type == html.ElementNode && depth > maxDepth:
				b.WriteString(collectText(k))
			case k.Type == html.ElementNode:
				if blockNames[k.Data] {
					nl()
				}
				walk(k, depth+1)
			}
		}
	}
	walk(n, 0)
	return b.String()
}

// collapse turns every run of HTML whitespace into one space, as a browser
// would when displaying the text.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\f':
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}
