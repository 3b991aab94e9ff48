// Package mdtree is the markdown view of render: an export as a tree of
// Markdown files named after their titles, for Obsidian (a vault) or a
// documentation site.
//
// # Layout
//
// Every path below is relative to DEST; N stands for an item's name.
//
//   - A Confluence space is the folder SPACE/ (its key). Its pages and
//     folders follow the page tree: the children of an item are in the
//     folder N/ beside it. Its blog posts are SPACE/Blog/YYYY-MM-DD
//     Title.md (the date the post was created).
//   - A Jira project is the folder PROJ/; each issue is PROJ/PROJ-123
//     Summary.md.
//   - In the obsidian style (the default), an item's Markdown is N.md,
//     its children are in N/ and its attachments in N.attachments/. A
//     Confluence folder is only the folder N/: it has no body (an empty
//     one is not written at all). N.md is never beside a folder N/ that
//     is not its own: Obsidian reads it as that folder's note.
//   - In the index style, an item with children or attachments, and
//     every Confluence folder, is the folder N/: its Markdown is
//     N/index.md and its attachments are in N/attachments/; any other
//     item is N.md. A Confluence folder's index.md has the folder's
//     front matter (id, title, type, space, url, …), its title, and a
//     list of links to what it holds.
//   - A tree too deep for the path limit below goes on at the top of its
//     space: the first item that has no room left, with everything under
//     it, moves to SPACE/ and its name ends with " (id)".
//
// Each item's Markdown is the export's (by the same code), with its YAML
// front matter (id, url, …). Its links to other items of the export lead
// to their new files: relative paths that start with "./" or "../", each
// segment escaped as a URL path's (and "&" as %26). With wikilinks, such a
// link whose text is plain text becomes [[path|text]], the path from
// DEST's top without ".md" (kept when the name has a dot, as in
// "v1.2.md"; Obsidian finds the path from the top of the vault, or as the
// end of a longer path when DEST is a folder of one); the text
// is unescaped, "[" "]" "|" read "(" ")" "/", and in a table "|" is "\|".
// A link whose text holds code, emphasis or an image stays a relative
// link. Links and embeds of attachments are relative paths to the copies.
//
// # Names
//
// A name is made of the title (an issue's "KEY Summary", a blog post's
// "YYYY-MM-DD Title", an attachment's file name), so that Windows, macOS
// and Linux take it and a Markdown or wiki link can hold it:
//
//   - The title is put in Unicode NFC; other Unicode is kept as it is.
//   - / \ | and : become "-" (": " becomes " - "); < and [ become "(",
//     > and ] become ")"; a double quote becomes "'"; ? * # % ^, and an
//     "&" that starts a character reference ("&amp;"), become "_".
//   - Control characters and other white space become a space; runs of
//     spaces become one; bidirectional controls and byte order marks go.
//   - Leading and trailing spaces go, and trailing dots; each leading dot
//     becomes "_" (no hidden files); an empty name is "Untitled" (an
//     attachment's, "file").
//   - A Windows device name (CON, PRN, AUX, NUL, COM0–9, LPT0–9, COM¹ …,
//     CONIN$, CONOUT$, CLOCK$) before the first dot gains a "_": "CON"
//     is "CON_", "aux.txt" "aux_.txt".
//   - A name is at most 100 UTF-16 code units (an attachment's, the room
//     its folder leaves), at most 255 bytes with ".attachments" added,
//     and every path at most 200 UTF-16 code units, so that DEST's own
//     path has the rest of Windows' 260. A name that does not fit is cut
//     on a character's boundary, and " (id)" appended (before an
//     attachment's extension).
//   - Names in one folder that one case-insensitive, normalization-
//     insensitive file system would take for the same file (Notes and
//     notes, two pages of one title, a page titled Blog beside the blog's
//     folder, N.attachments beside a page titled "N.attachments") all
//     get " (id)" appended, the item's or the attachment's id: no name
//     depends on the order in which the items come. Names made by the
//     layout itself (SPACE, PROJ, Blog, index.md, attachments) keep
//     theirs.
//
// Every name is computed in Begin from the catalog alone, so the same
// export always gives the same names, and a second render into the same
// folder rewrites nothing. Only the names and paths of the items are held;
// bodies are read one at a time.
package mdtree
