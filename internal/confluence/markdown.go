package confluence

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/aumo-cli/aumo/internal/redact"
	"github.com/aumo-cli/aumo/pkg/storage"
)

// File is a page's attachment as exported: its path relative to the
// page's directory.
type File struct {
	ID, Name, Path, MediaID string
}

// MarkdownPath is where the item's Markdown goes; spaces and folders have
// none.
func (it *Item) MarkdownPath() string {
	if it.Kind != "page" && it.Kind != "blogpost" {
		return ""
	}
	return it.Kind + "s/" + it.ID + "/" + it.Kind + ".md"
}

// Markdown renders a page or blog post for reading: YAML front matter,
// the body, every comment in thread order (inline ones with the text
// they refer to) and the attachments as relative links. It uses the item
// as exported (redacted unless --keep-account-ids), with links to other
// pages of the export made relative.
func (it *Item) Markdown(files []File) []byte {
	doc := it.doc
	byName := map[string]string{}
	for _, f := range files {
		if _, dup := byName[f.Name]; !dup {
			byName[f.Name] = f.Path
		}
	}
	spaceKey := it.plan.spaceKey(it.ID)
	site := ""
	if it.plan.opts.SiteURL != "" {
		site = strings.TrimSuffix(it.plan.opts.SiteURL, "/") + "/wiki"
	}
	opts := storage.Options{
		SiteURL:    site,
		Attachment: func(name string) (string, bool) { p, ok := byName[name]; return escapePath(p), ok },
		Page: func(space, title string) (string, bool) {
			if space == "" {
				space = spaceKey
			}
			target, ok := it.plan.pagePath(space, title)
			if !ok {
				return "", false // the converter links to the site
			}
			return "../../" + strings.TrimSuffix(target, ".json") + ".md", true
		},
		SpaceKey: spaceKey,
		User: func(id string) (string, bool) {
			u := it.plan.user(id)
			return u.DisplayName, u.DisplayName != "Unknown user"
		},
	}

	var b strings.Builder
	b.WriteString("---\n")
	front := [][2]string{
		{"id", it.ID}, {"title", it.Title}, {"type", it.Kind}, {"space", it.displaySpaceKey(spaceKey)},
		{"status", str(doc["status"])},
		{"created", str(doc["createdAt"])}, {"updated", str(obj(doc["version"])["createdAt"])},
		{"version", number(obj(doc["version"])["number"])},
		{"author", str(obj(doc["author"])["displayName"])}, {"owner", str(obj(doc["owner"])["displayName"])},
		{"url", it.plan.webURL(str(obj(doc["_links"])["webui"]))},
		{"parent", str(doc["parentId"])}, {"parentType", str(doc["parentType"])},
	}
	for _, kv := range front {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], yamlString(kv[1]))
		}
	}
	var labels []string
	for _, l := range list(doc["labels"]) {
		labels = append(labels, yamlString(str(obj(l)["name"])))
	}
	if len(labels) > 0 {
		fmt.Fprintf(&b, "labels: [%s]\n", strings.Join(labels, ", "))
	}
	var ancestors []string
	for _, a := range list(doc["ancestors"]) {
		ancestors = append(ancestors, yamlString(str(obj(a)["id"])))
	}
	if len(ancestors) > 0 {
		fmt.Fprintf(&b, "ancestors: [%s]\n", strings.Join(ancestors, ", "))
	}
	b.WriteString("---\n\n")
	fmt.Fprintf(&b, "# %s\n\n", oneLine(it.Title))
	body, problems := storage.Convert(str(obj(obj(doc["body"])["storage"])["value"]), opts)
	if s := strings.TrimSpace(body); s != "" {
		b.WriteString(s + "\n\n")
	}
	for _, pr := range problems {
		fmt.Fprintf(&b, "<!-- aumo: %s -->\n\n", strings.ReplaceAll(pr, "--", "- -"))
	}

	comments := list(doc["comments"])
	if len(comments) > 0 {
		b.WriteString("## Comments\n\n")
		kids := map[string][]map[string]any{}
		var roots []map[string]any
		ids := map[string]bool{}
		for _, c := range comments {
			ids[str(obj(c)["id"])] = true
		}
		for _, c := range comments {
			m := obj(c)
			if parent := str(m["parentCommentId"]); parent != "" && ids[parent] {
				kids[parent] = append(kids[parent], m)
			} else {
				roots = append(roots, m)
			}
		}
		var write func(c map[string]any, depth int)
		write = func(c map[string]any, depth int) {
			v := obj(c["version"])
			who := str(obj(v["author"])["displayName"])
			if who == "" {
				who = str(obj(c["author"])["displayName"])
			}
			if who == "" {
				who = "Unknown user"
			}
			head := strings.Repeat("#", min(3+depth, 6))
			kind := "Comment"
			if depth > 0 {
				kind = "Reply"
			} else if c["location"] == "inline" {
				kind = "Inline comment"
			}
			fmt.Fprintf(&b, "%s %s by %s, %s\n\n", head, kind, oneLine(who), str(v["createdAt"]))
			if sel := str(obj(c["properties"])["inlineOriginalSelection"]); sel != "" {
				fmt.Fprintf(&b, "> On: “%s”\n\n", oneLine(sel))
			}
			if rs := str(c["resolutionStatus"]); rs != "" && c["location"] == "inline" {
				fmt.Fprintf(&b, "*(%s)*\n\n", rs)
			}
			md, problems := storage.Convert(str(obj(obj(c["body"])["storage"])["value"]), opts)
			if s := strings.TrimSpace(md); s != "" {
				b.WriteString(s + "\n\n")
			}
			for _, pr := range problems {
				fmt.Fprintf(&b, "<!-- aumo: %s -->\n\n", strings.ReplaceAll(pr, "--", "- -"))
			}
			for _, k := range kids[str(c["id"])] {
				write(k, depth+1)
			}
		}
		for _, r := range roots {
			write(r, 0)
		}
	}
	if len(files) > 0 {
		b.WriteString("## Attachments\n\n")
		for _, f := range files {
			fmt.Fprintf(&b, "- [%s](%s)\n", escapeLinkText(f.Name), escapePath(f.Path))
		}
		b.WriteString("\n")
	}
	md := strings.TrimRight(b.String(), "\n") + "\n"
	if it.redactor != nil {
		// Links the converter built (to the site, to personal spaces)
		// and the front matter's space key may name a person.
		md = it.redactor.String(md)
	}
	return []byte(md)
}

// displaySpaceKey is the space key as the Markdown shows it: a personal
// space's key ("~" and an account id) redacted unless ids are kept.
func (it *Item) displaySpaceKey(key string) string {
	if it.redactor != nil && strings.HasPrefix(key, "~") {
		return "~" + redact.Redacted
	}
	return key
}

// pagePath is the export path of the listed page with that title in
// that space.
func (p *Plan) pagePath(space, title string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	path, ok := p.titles[titleKey(space, title)]
	return path, ok
}

// spaceKey is the space key the search gave for an item.
func (p *Plan) spaceKey(id string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.spaceKeys[id]
}

// webURL makes a v2 webui link (site-relative, under /wiki) absolute.
func (p *Plan) webURL(webui string) string {
	if webui == "" || p.opts.SiteURL == "" {
		return webui
	}
	return strings.TrimSuffix(p.opts.SiteURL, "/") + "/wiki" + webui
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func number(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}

// yamlString quotes a value for YAML front matter (JSON strings are YAML).
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// escapePath makes a relative file path a Markdown link target: each
// segment percent-encoded, so spaces and brackets survive.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func escapeLinkText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, "\n", " ", "\r", " ")
	return r.Replace(s)
}
