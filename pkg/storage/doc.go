// Package storage converts Confluence storage format to Markdown.
//
// Storage format is the XHTML-based markup Confluence keeps pages, blog
// posts and comments in: ordinary HTML elements plus ac: elements for macros,
// links, images, task lists and layouts, and ri: elements that identify
// pages, attachments, users and URLs. The namespace prefixes are never
// declared and code macros carry their text in CDATA sections, so the input
// is read leniently, as an XML-like HTML fragment, rather than as XML.
//
// The output is CommonMark with the GitHub Flavored Markdown table,
// strikethrough and task list extensions, plus a few inline HTML tags (<u>,
// <sub>, <sup>, <br>, and <a id> for anchors) where Markdown has no
// equivalent. The body of a markdown macro is Markdown already and is
// written as it is, but for its raw HTML, which is escaped to read as text
// like any other; Markdown that would leave a block open is kept as code.
// It follows the conventions of package
// github.com/aumo-cli/aumo/pkg/adf, so pages stored in either format export
// alike.
//
// Conversion is lossy by nature: layout, colours and macro behaviour have no
// Markdown form. The converter therefore favours keeping every piece of text
// over fidelity: a macro it does not know keeps its name, parameters and body
// visibly, malformed markup is repaired as far as possible and otherwise
// flattened to text, and each compromise is reported in the problems Convert
// returns, so callers can surface them instead of silently exporting a
// degraded document.
package storage
