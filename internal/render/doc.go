// Package render turns an export, offline, into what people read: the
// views (a website, a Markdown tree, a spreadsheet, JSONL records) live
// in its subpackages; this one reads the export for them.
//
// An export is read twice through pkg/exportformat, whether a directory
// or a tarball: Load hashes every file against the index and keeps a
// Catalog of what the views need to know of every item before they
// render any (titles, the page tree, keys, dates, people, attachment
// files) — never a body; Render then hands each intact item's JSON and
// attachments to a View, one at a time. Catalog.Markdown renders an item
// with the code the export's own Markdown comes from, so a view and the
// export never tell different stories.
//
// A view writes a folder through Dir, which records what it wrote:
// rendering again brings the folder up to date, leaves unchanged files
// alone and deletes only files an earlier render wrote. Views of one
// file write through File.
package render
