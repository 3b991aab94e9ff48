package site

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"regexp"
	"slices"
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
//	                           (".txt" added unless their type is inert)
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

// imageTypes are the file types a page shows as pictures: inert ones
// alone. SVG is none of them: a browser runs the script of an SVG file
// opened on its own.
var imageTypes = typeSet(pictureTypes...)

var pictureTypes = []string{"png", "jpg", "jpeg", "gif", "webp", "bmp", "ico", "avif", "tif", "tiff"}

// inertTypes are the file types a browser shows, plays or downloads
// without running anything of theirs, when it opens such a file on its
// own, from disk: pictures, PDF, plain text and data, office documents,
// archives, sound and video. The site copies an attachment of any other
// type, or of none, with ".txt" added, so that following a link to it
// shows its text and runs nothing: no policy of the site's pages reaches
// a file opened on its own, and the types a browser runs script in
// depend on the browser and on the system's own table of types (a name
// without a type is read by its content), so only a list of the types
// known to be inert is safe.
var inertTypes = typeSet(slices.Concat(pictureTypes, []string{
	"pdf",
	"txt", "log", "csv", "tsv", "md", "json",
	"doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf",
	"zip", "gz", "tgz", "tar", "7z", "rar", "bz2", "xz", "zst",
	"mp3", "wav", "ogg", "m4a", "flac", "mp4", "mov", "webm", "mkv", "avi",
})...)

func typeSet(exts ...string) map[string]bool {
	m := make(map[string]bool, len(exts))
	for _, e := range exts {
		m[e] = true
	}
	return m
}

// fileType is the type a file's name gives it: its extension, lower
// case, without the dot; "" for none, or for one that is not ASCII (a
// browser would not read it as any of the types above, whatever
// Unicode's case folding makes of it).
func fileType(name string) string {
	ext := strings.TrimPrefix(path.Ext(name), ".")
	for i := 0; i < len(ext); i++ {
		if ext[i] >= utf8.RuneSelf {
			return ""
		}
	}
	return strings.ToLower(ext)
}

// isImage reports whether a page shows the file at name as a picture.
func isImage(name string) bool { return imageTypes[fileType(name)] }

// filePath is where the site copies an attachment of it: under the
// item's folder of files/, by the name the export gave the file (its
// attachment id, a dash and its name), else by its id; with ".txt"
// added unless its type is inert.
func filePath(it *render.Item, a *render.Attachment) string {
	name := trimName(path.Base(a.Path))
	if !safeFileName(name) {
		name = "attachment-" + safeName(a.ID)
		if ext := path.Ext(trimName(a.Name)); safeID.MatchString(strings.TrimPrefix(ext, ".")) {
			name += ext
		}
	}
	if !inertTypes[fileType(name)] {
		name += ".txt"
	}
	return "files/" + safeName(it.ID) + "/" + name
}

// trimName drops the dots and spaces at the end of a file's name, which
// Windows drops when it saves the file: "x.html." would be "x.html".
func trimName(name string) string { return strings.TrimRight(name, ". ") }

// reservedName matches the names Windows keeps for its devices, with or
// without an extension.
var reservedName = regexp.MustCompile(`(?i)^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)`)

// safeFileName reports whether name can be a file's name as it is on
// every system: no separators, control or reserved characters, no
// device's name, no leading dot, no trailing dot or space, not too long.
func safeFileName(name string) bool {
	if name == "" || len(name) > 200 || name[0] == '.' || !utf8.ValidString(name) ||
		strings.HasSuffix(name, " ") || strings.HasSuffix(name, ".") || reservedName.MatchString(name) {
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
