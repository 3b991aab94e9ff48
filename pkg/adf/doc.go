// Package adf converts Atlassian Document Format (ADF) to Markdown.
//
// ADF is the JSON rich-text format behind Jira issue descriptions and
// comments and Confluence pages stored as atlas_doc_format. The output is
// CommonMark with the GitHub Flavored Markdown table and strikethrough
// extensions, plus a few inline HTML tags (<u>, <sub>, <sup>, <br>) where
// Markdown has no equivalent.
//
// Conversion is lossy by nature: layout, colours and macro behaviour have no
// Markdown form. The converter therefore favours keeping every piece of text
// over fidelity, marks anything it cannot express with a visible marker, and
// reports each such compromise in the problems it returns, so callers can
// surface them instead of silently exporting a degraded document.
package adf
