// Package site renders an export as a static website that a browser
// opens from disk, with no server and no network: an index of the spaces'
// page trees or of the issues, a page per item with its comments as
// threads and its attachments beside it (the pictures shown), and a
// search over titles and text. Content never runs script: the Markdown's
// raw HTML is escaped, links that could run script are dropped, an
// attachment keeps its name only when its type runs nothing in a browser
// that opens it on its own, and every page carries a
// Content-Security-Policy that refuses inline script.
package site

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"path"

	"github.com/aumo-cli/aumo/internal/render"
)

//go:embed assets
var assets embed.FS

// view is the html rendition of an export.
type view struct {
	out    *render.Dir
	c      *render.Catalog
	search *searchIndex
	// order is each item's place in the catalog's reading order, for the
	// search results.
	order map[string]int
	// where names each item's space or project in the search results.
	where map[string]string
	// files are the site's pages and attachments: the only files a link
	// of an item's body may lead to.
	files map[string]bool
}

// New returns the html view, which renders into out.
func New(out *render.Dir) render.View { return &view{out: out} }

// Begin writes the site's own files and starts the search index.
func (v *view) Begin(c *render.Catalog) error {
	v.c = c
	v.order = make(map[string]int, len(c.Items))
	for i, it := range c.Items {
		v.order[it.ID] = i
	}
	v.where = map[string]string{}
	for _, sp := range c.Spaces {
		v.where[sp.ID] = sp.Name
	}
	v.files = map[string]bool{indexName: true}
	for _, it := range c.Items {
		if p := pagePath(it); p != "" {
			v.files[p] = true
		}
		for _, a := range it.Files {
			v.files[filePath(it, a)] = true
		}
	}
	for _, name := range []string{cssName, jsName} {
		data, err := assets.ReadFile(name)
		if err != nil {
			return err
		}
		if err := v.out.WriteFile(name, data); err != nil {
			return err
		}
	}
	w, err := v.out.Create(searchIndexName)
	if err != nil {
		return err
	}
	v.search, err = newSearchIndex(w)
	return err
}

// Attachment copies an attachment beside the item's page.
func (v *view) Attachment(it *render.Item, a *render.Attachment, r io.Reader) error {
	return v.out.CopyFile(filePath(it, a), r, a.SHA256, a.Size)
}

// Item writes the item's page and adds it to the search index.
func (v *view) Item(it *render.Item, doc []byte) error {
	p := pagePath(it)
	if p == "" {
		return nil
	}
	dir := path.Dir(p)
	b, err := convert(v.c.Markdown(it, doc, links), func(target string) bool { return v.files[path.Join(dir, target)] })
	if err != nil {
		return fmt.Errorf("render %s: %w", it.Path, err)
	}
	var page bytes.Buffer
	if err := templates.ExecuteTemplate(&page, "item", v.itemPage(it, b.HTML)); err != nil {
		return fmt.Errorf("render %s: %w", it.Path, err)
	}
	if err := v.out.WriteFile(p, page.Bytes()); err != nil {
		return err
	}
	order, ok := v.order[it.ID]
	if !ok {
		order = len(v.order)
	}
	where := it.Project
	if it.Space != "" {
		where = v.where[it.Space]
	}
	return v.search.add(searchRecord{URL: p, Title: it.Title, Key: it.Key, Where: where, Order: order, Text: b.Text})
}

// End finishes the search index and writes index.html.
func (v *view) End() error {
	if err := v.search.close(); err != nil {
		return err
	}
	var page bytes.Buffer
	if err := templates.ExecuteTemplate(&page, "index", v.indexPage()); err != nil {
		return fmt.Errorf("render %s: %w", indexName, err)
	}
	return v.out.WriteFile(indexName, page.Bytes())
}
