package site

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// The site's layout, relative to its top:
//
//	index.html                 spaces and page trees, or the issue table; search
//	issues/<KEY>.html          an issue (by id when the key is no safe name)
//	pages/<id>.html            a page
//	blogposts/<id>.html        a blog post
//	files/<item id>/<name>     the item's attachments, named as in the export
//	assets/site.css, site.js   the site's own style and script
//	assets/search-index.js     the search index, a script that sets a global
//
// Every item page sits one folder down, so a link from one to another or
// to a file is "../" and the target's path.
const (
	indexName       = "index.html"
	cssName         = "assets/site.css"
	jsName          = "assets/site.js"
	searchIndexName = "assets/search-index.js"
)

var (
	safeID  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)
	safeKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,50}-[0-9]{1,12}$`)
)

// safeName is id when it makes a safe file name on every system, else a
// name derived from its hash.
func safeName(id string) string {
	if safeID.MatchString(id) {
		return id
	}
	h := sha256.Sum256([]byte(id))
	return "h" + hex.EncodeToString(h[:10])
}

// pagePath is where an item's page goes; "" for a folder, which has none.
func pagePath(it *render.Item) string {
	switch it.Kind {
	case exportformat.KindIssue:
		if safeKey.MatchString(it.Key) {
			return "issues/" + it.Key + ".html"
		}
		return "issues/" + safeName(it.ID) + ".html"
	case exportformat.KindPage, exportformat.KindBlogpost:
		return it.Kind + "s/" + safeName(it.ID) + ".html"
	}
	return ""
}

// itemAnchor is the id of an item's entry in index.html.
func itemAnchor(it *render.Item) string { return "item-" + safeName(it.ID) }

// spaceAnchor is the id of a space's section in index.html.
func spaceAnchor(sp *render.Space) string { return "space-" + safeName(sp.ID) }

// blogAnchor is the id of a space's list of blog posts in index.html.
func blogAnchor(sp *render.Space) string { return "blog-" + safeName(sp.ID) }

// itemHref is the link from the page at from (a path of the site) to the
// page of it, or to its entry in the index for a folder.
func itemHref(from string, it *render.Item) string {
	if p := pagePath(it); p != "" {
		return render.Relative(from, p)
	}
	return render.Relative(from, indexName) + "#" + itemAnchor(it)
}

// activeTypes are the file types a browser runs script in when it opens
// them from disk. The site copies such an attachment with ".txt" added,
// so that following a link to it shows its text and runs nothing: no
// policy of the site's pages reaches a file opened on its own.
var activeTypes = map[string]bool{
	".html": true, ".htm": true, ".xhtml": true, ".xht": true, ".shtml": true,
	".svg": true, ".svgz": true, ".xml": true, ".xsl": true, ".xslt": true,
	".mht": true, ".mhtml": true,
}

// filePath is where the site copies an attachment of it: under the
// item's folder of files/, by the name the export gave the file (its
// attachment id, a dash and its name), else by its id.
func filePath(it *render.Item, a *render.Attachment) string {
	name := path.Base(a.Path)
	if !safeFileName(name) {
		name = "attachment-" + safeName(a.ID)
		if ext := path.Ext(a.Name); safeID.MatchString(strings.TrimPrefix(ext, ".")) {
			name += ext
		}
	}
	if activeTypes[strings.ToLower(path.Ext(name))] {
		name += ".txt"
	}
	return "files/" + safeName(it.ID) + "/" + name
}

// safeFileName reports whether name can be a file's name as it is on
// every system: no separators, control or reserved characters, no
// leading dot, not too long.
func safeFileName(name string) bool {
	if name == "" || len(name) > 200 || name[0] == '.' || !utf8.ValidString(name) || strings.HasSuffix(name, " ") {
		return false
	}
	for _, r := range name {
		if unicode.IsControl(r) || strings.ContainsRune(`/\:*?"<>|`, r) {
			return false
		}
	}
	return true
}

// links lay out the Markdown's links for the site: from an item's page
// to another's, and to its attachments' copies.
var links = render.Links{
	Item: func(from, to *render.Item) string { return itemHref(pagePath(from), to) },
	File: func(from *render.Item, a *render.Attachment) string { return "../" + filePath(from, a) },
}
