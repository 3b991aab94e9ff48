package confluence

import (
	"bytes"
	"encoding/json"
	"io/fs"

	"go.yaml.in/yaml/v3"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// ExportTitles are the pages and blog posts an export holds, as Titles
// (Options) wants them, read from the export's files in fsys rather than
// listed by a search: a source that writes some of them again without
// listing the query (a repair) makes their links to the others relative,
// as the export did. lines are the export's index lines of pages, blog
// posts, their Markdown, and spaces (which name the pages' space keys). A
// page's title and space key come from its JSON and its space's, or else
// from its Markdown's front matter; a page whose files cannot tell is
// left out, and links to it by title then go to the site.
func ExportTitles(fsys fs.FS, lines []exportformat.IndexLine) map[string]string {
	spaceKeys := map[string]string{}
	files := map[string]*exportedItem{}
	for _, l := range lines {
		if l.Kind == exportformat.KindSpace {
			var sp struct {
				Key string `json:"key"`
			}
			if readJSON(fsys, l.Path, &sp) {
				spaceKeys[l.ID] = sp.Key
			}
			continue
		}
		kind := contentKind(l)
		if kind == "" {
			continue
		}
		it := files[l.Item]
		if it == nil {
			it = &exportedItem{kind: kind}
			files[l.Item] = it
		}
		if l.Kind == exportformat.KindMarkdown {
			it.markdown = l.Path
		} else {
			it.json = l.Path
		}
	}
	titles := map[string]string{}
	for id, it := range files {
		path := exportformat.ItemPath(it.kind, id)
		titles[itemKey(id)] = path
		if it.kind != exportformat.KindPage { // ri:page links name pages only
			continue
		}
		if space, title := it.title(fsys, spaceKeys); space != "" && title != "" {
			titles[titleKey(space, title)] = path
		}
	}
	return titles
}

// exportedItem is a page or blog post of an export: the kind, and the
// paths of its JSON and Markdown ("" when the export lacks them).
type exportedItem struct {
	kind, json, markdown string
}

// title reads a page's space key and title from its JSON and its space's,
// or else from its Markdown's front matter.
func (it *exportedItem) title(fsys fs.FS, spaceKeys map[string]string) (space, title string) {
	var page struct {
		Title   string `json:"title"`
		SpaceID string `json:"spaceId"`
	}
	if it.json != "" && readJSON(fsys, it.json, &page) && spaceKeys[page.SpaceID] != "" {
		return spaceKeys[page.SpaceID], page.Title
	}
	if it.markdown != "" {
		return frontMatterTitle(fsys, it.markdown)
	}
	return "", ""
}

// contentKind is the kind of the page or blog post a line's file belongs
// to (its JSON or its Markdown), or "".
func contentKind(l exportformat.IndexLine) string {
	switch {
	case l.Kind == exportformat.KindPage || l.Kind == exportformat.KindBlogpost:
		return l.Kind
	case l.Kind != exportformat.KindMarkdown:
		return ""
	}
	for _, kind := range []string{exportformat.KindPage, exportformat.KindBlogpost} {
		if l.Path == exportformat.MarkdownPath(kind, l.Item) {
			return kind
		}
	}
	return ""
}

// readJSON reads the JSON file name of fsys into v, and reports whether
// it could.
func readJSON(fsys fs.FS, name string, v any) bool {
	data, err := fs.ReadFile(fsys, name)
	return err == nil && json.Unmarshal(data, v) == nil
}

// frontMatterTitle reads a page's space key and title from the front
// matter of its Markdown.
func frontMatterTitle(fsys fs.FS, name string) (space, title string) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", ""
	}
	rest, ok := bytes.CutPrefix(data, []byte("---\n"))
	end := bytes.Index(rest, []byte("\n---\n"))
	if !ok || end < 0 {
		return "", ""
	}
	var fm struct {
		Space string `yaml:"space"`
		Title string `yaml:"title"`
	}
	if yaml.Unmarshal(rest[:end+1], &fm) != nil {
		return "", ""
	}
	return fm.Space, fm.Title
}
