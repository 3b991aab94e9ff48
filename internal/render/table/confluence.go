package table

import (
	"strconv"
	"strings"

	"github.com/aumo-cli/aumo/internal/render"
)

// confluenceColumns are the columns of a Confluence file.
func confluenceColumns() []column {
	return []column{
		{Column{Name: "id", Description: "the page's or blog post's id"}, func(r *row) string { return r.it.ID }},
		{Column{Name: "title", Description: "the title"}, func(r *row) string { return r.it.Title }},
		{Column{Name: "type", Description: "page or blogpost"}, func(r *row) string { return r.it.Kind }},
		{Column{Name: "space", Description: "the space's key"}, func(r *row) string { return spaceKey(r.c, r.it) }},
		{Column{Name: "path", Description: `the titles of the pages and folders above, top first, joined by " / "`}, path},
		{Column{Name: "author", Description: "the author's name"}, func(r *row) string { return r.it.Author }},
		{Column{Name: "created", Description: "when it was created (RFC 3339)"}, func(r *row) string { return isoTime(r.it.Created) }},
		{Column{Name: "updated", Description: "when its current version was made (RFC 3339)"}, func(r *row) string { return isoTime(r.it.Updated) }},
		{Column{Name: "version", Description: "its version number"}, func(r *row) string { return strconv.FormatInt(r.it.Version, 10) }},
		{Column{Name: "labels", Description: `its labels, joined by "; "`}, func(r *row) string { return strings.Join(r.it.Labels, sep) }},
		{Column{Name: "url", Description: "its address on the site"}, func(r *row) string { return r.it.URL }},
		{Column{Name: "attachments", Description: "how many attachments it has"}, func(r *row) string { return count(r.doc["attachments"], "") }},
	}
}

func spaceKey(c *render.Catalog, it *render.Item) string {
	if sp, ok := c.Space(it.Space); ok {
		return sp.Key
	}
	return ""
}

func path(r *row) string {
	up := r.c.Ancestors(r.it)
	titles := make([]string, len(up))
	for i, p := range up {
		titles[i] = p.Title
	}
	return strings.Join(titles, " / ")
}
