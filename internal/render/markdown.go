package render

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/mdtext"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Links say where a view puts the items it renders, for the links of
// their Markdown.
type Links struct {
	// Item is the link destination, escaped as a URL path, from the
	// rendition of from to the rendition of to.
	Item func(from, to *Item) string
	// File is the path, not escaped, from the rendition of from to the
	// copy of its attachment a.
	File func(from *Item, a *Attachment) string
}

// ExportLinks are the export's own layout: an item's Markdown beside its
// JSON, its attachments under attachments/.
var ExportLinks = Links{
	Item: func(from, to *Item) string {
		if from.Kind == exportformat.KindIssue {
			return jira.RelativeIssuePath(from.ID, to.ID)
		}
		return "../../" + exportformat.MarkdownPath(to.Kind, to.ID)
	},
	File: func(from *Item, a *Attachment) string {
		return strings.TrimPrefix(a.Path, exportformat.ItemDir(from.Kind, from.ID)+"/")
	},
}

// Markdown renders an item's JSON, doc, as the export's Markdown renders
// it — by the same code — with links laid out by l.
func (c *Catalog) Markdown(it *Item, doc []byte, l Links) []byte {
	files := make([]export.AttachmentFile, 0, len(it.Files))
	for _, a := range it.Files {
		files = append(files, export.AttachmentFile{ID: a.ID, Name: a.Name, Path: l.File(it, a), MediaID: a.MediaID})
	}
	if it.Kind == exportformat.KindIssue {
		return jira.Markdown(doc, jira.Render{
			Fields: c.Fields, Files: files, Site: c.Manifest.Site.URL,
			IssuePath: func(key string) (string, bool) {
				to, ok := c.Issue(key)
				if !ok {
					return "", false
				}
				return l.Item(it, to), true
			},
		})
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		return []byte(fmt.Sprintf("# %s\n\n(the item's JSON could not be read: %s)\n", mdtext.Plain(it.Title), mdtext.Plain(err.Error())))
	}
	sp, _ := c.Space(it.Space)
	spaceKey := ""
	if sp != nil {
		spaceKey = sp.Key
	}
	return confluence.Markdown(m, confluence.Render{
		Kind: it.Kind, Site: c.Manifest.Site.URL, SpaceKey: spaceKey,
		Redacted: c.Manifest.Redaction == exportformat.RedactionAccountIDs,
		Files:    files,
		PagePath: func(space, title string) (string, bool) {
			to, ok := c.byTitle[space+"\x00"+title]
			if !ok || to.Damaged {
				return "", false
			}
			return to.Path, true
		},
		ItemPath: func(id string) (string, bool) {
			to, ok := c.Item(id)
			if !ok || to.Kind == exportformat.KindFolder {
				return "", false
			}
			return to.Path, true
		},
		Link: func(p string) string {
			to, ok := c.byPath[p]
			if !ok {
				return p
			}
			return l.Item(it, to)
		},
	})
}

// relative is the link from the file at from to the file at to, both
// relative to the same top, with each segment escaped.
func relative(from, to string) string {
	dir := strings.Split(from, "/")
	dir = dir[:len(dir)-1]
	target := strings.Split(to, "/")
	i := 0
	for i < len(dir) && i < len(target)-1 && dir[i] == target[i] {
		i++
	}
	segs := target[i:]
	for j, s := range segs {
		// & too: Markdown would read "&amp;" in a name as "&".
		segs[j] = strings.ReplaceAll(url.PathEscape(s), "&", "%26")
	}
	return strings.Repeat("../", len(dir)-i) + strings.Join(segs, "/")
}

// Relative is the link from the file at from to the file at to (both
// /-separated and relative to the same top), each segment escaped.
func Relative(from, to string) string { return relative(from, to) }
