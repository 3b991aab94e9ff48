// Package records renders an export as JSON Lines (render --as jsonl):
// one JSON object per line for every issue, page and blog post (folders
// have none), in the order the export holds them, to feed a search index
// or a language model.
//
// # A record
//
//	id           the item's id
//	kind         issue, page or blogpost
//	type         an issue's type (Bug, Story…); issues only
//	key          an issue's key (DEMO-12); issues only
//	project      an issue's project key; issues only
//	space        a page's or blog post's space key; pages and blog posts only
//	title        a page's or blog post's title; an issue's summary
//	url          the item's address on the site
//	ancestors    the titles of the pages and folders above a page, top
//	             first; [] for a page at the top, a blog post or an issue
//	labels       the item's labels ([] for none)
//	author       a page's or blog post's author; an issue's reporter
//	created      when the item was created, RFC 3339
//	updated      when it was last updated (a page's current version), RFC 3339
//	attachments  [{"name", "path"}]: the attachment files the export holds
//	             for the item, path in the export (pages/1/attachments/2-a.png)
//	text         the item's Markdown as the export writes it, comments
//	             included, without its YAML front matter (whose fields the
//	             record has); links to other items and to attachments are
//	             relative to the item's Markdown in the export
//
// Every record of an item has every field that applies to its kind, even
// when empty; keys are written in the order above, JSON without HTML
// escaping (<, > and & as they are). Times are as the export's JSON has
// them, but Jira's (2026-02-28T06:46:04.408+0000) are written in RFC 3339
// (2026-02-28T06:46:04.408Z): the same instant, offset and precision.
//
// # Chunks
//
// With Options.Chunk N above 0, an item's text is cut into records of at
// most N characters (Unicode code points) of text each. Each record has
// the item's fields, and
//
//	chunk     the record's place among the item's chunks, from 0
//	chunks    how many chunks the item has
//	headings  the titles of the headings the chunk is under, outermost
//	          first, as the Markdown nests them ([] before any heading)
//
// between "attachments" and "text". The text is cut at every heading: a
// chunk holds one heading's section, or a part of it — except that a
// heading with nothing but a heading below it joins that heading's section
// ("## Comments (3)" with the first comment's "### Ada Example, …"). The
// item's title, the "# title" line the Markdown starts with, opens the
// first chunk and is not among the headings. A section longer than N is
// cut between blocks (paragraphs, lists, tables, code blocks), as many
// whole blocks as fit in each chunk; a block longer than N at its lines,
// a line at spaces, a word between two characters. A fenced code block is
// never cut while it fits in a chunk; one longer than N is cut between its
// lines, and each piece is a fenced code block of its own: every piece
// but the first opens with a copy of the block's opening fence line, every
// piece but the last closes with a copy of its closing fence (a code line
// too long for a chunk is cut between characters; a fence line that
// leaves no room for code in N characters has the block cut as text).
// Whitespace at the cuts — the line breaks and spaces between two chunks
// — belongs to no chunk: concatenating an item's chunks, with that
// whitespace and less the fence lines copied in, gives back its text.
package records

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Options are what the jsonl view can be told.
type Options struct {
	// Chunk cuts each item's text into records of at most Chunk
	// characters; 0: a record per item, with its whole text.
	Chunk int
}

// Record is a line of the file.
type Record struct {
	ID          string       `json:"id"`
	Kind        string       `json:"kind"`
	Type        *string      `json:"type,omitempty"`
	Key         *string      `json:"key,omitempty"`
	Project     *string      `json:"project,omitempty"`
	Space       *string      `json:"space,omitempty"`
	Title       string       `json:"title"`
	URL         string       `json:"url"`
	Ancestors   []string     `json:"ancestors"`
	Labels      []string     `json:"labels"`
	Author      string       `json:"author"`
	Created     string       `json:"created"`
	Updated     string       `json:"updated"`
	Attachments []Attachment `json:"attachments"`
	*Part
	Text string `json:"text"`
}

// Part places a chunk in its item.
type Part struct {
	Chunk    int      `json:"chunk"`
	Chunks   int      `json:"chunks"`
	Headings []string `json:"headings"`
}

// Attachment is an attachment file of the item, in the export.
type Attachment struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

// New makes the jsonl view, writing to w (the render.File).
func New(w io.Writer, opts Options) render.View {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &view{enc: enc, opts: opts}
}

type view struct {
	enc  *json.Encoder
	opts Options
	c    *render.Catalog
}

func (v *view) Begin(c *render.Catalog) error {
	if v.opts.Chunk < 0 {
		return render.Usagef("--chunk %d: give a number of characters, or 0 for a record per item", v.opts.Chunk)
	}
	v.c = c
	return nil
}

func (v *view) Attachment(*render.Item, *render.Attachment, io.Reader) error { return nil }

func (v *view) End() error { return nil }

func (v *view) Item(it *render.Item, doc []byte) error {
	rec := v.record(it)
	rec.Text = body(v.c.Markdown(it, doc, render.ExportLinks))
	if v.opts.Chunk == 0 {
		return v.write(rec)
	}
	pieces := split(rec.Text, v.opts.Chunk)
	text := rec.Text
	for i, p := range pieces {
		rec.Part = &Part{Chunk: i, Chunks: len(pieces), Headings: p.headings}
		rec.Text = p.text(text)
		if err := v.write(rec); err != nil {
			return err
		}
	}
	return nil
}

func (v *view) write(rec *Record) error {
	if err := v.enc.Encode(rec); err != nil {
		return fmt.Errorf("render: write a record of %s: %w", rec.ID, err)
	}
	return nil
}

// record is the item's fields, without its text.
func (v *view) record(it *render.Item) *Record {
	rec := &Record{
		ID: it.ID, Kind: it.Kind, Title: it.Title, URL: it.URL,
		Ancestors: []string{}, Labels: []string{}, Attachments: []Attachment{},
		Author: it.Author, Created: isoTime(it.Created), Updated: isoTime(it.Updated),
	}
	if it.Kind == exportformat.KindIssue {
		rec.Type, rec.Key, rec.Project = &it.Type, &it.Key, &it.Project
	} else {
		key := ""
		if sp, ok := v.c.Space(it.Space); ok {
			key = sp.Key
		}
		rec.Space = &key
		for _, up := range v.c.Ancestors(it) {
			rec.Ancestors = append(rec.Ancestors, up.Title)
		}
	}
	rec.Labels = append(rec.Labels, it.Labels...)
	for _, a := range it.Files {
		rec.Attachments = append(rec.Attachments, Attachment{Name: a.Name, Path: a.Path})
	}
	return rec
}

// body is an item's Markdown less its YAML front matter and the blank
// lines after it.
func body(md []byte) string {
	if rest, ok := bytes.CutPrefix(md, []byte("---\n")); ok {
		if i := bytes.Index(rest, []byte("\n---\n")); i >= 0 {
			md = rest[i+len("\n---\n"):]
		} else if bytes.HasPrefix(rest, []byte("---\n")) {
			md = rest[len("---\n"):]
		}
	}
	return string(bytes.TrimLeft(md, "\n"))
}

// jiraTime is how Jira writes a time.
const jiraTime = "2006-01-02T15:04:05.000-0700"

// isoTime writes a time of Jira's in RFC 3339, with its offset and
// milliseconds; anything else as it is.
func isoTime(s string) string {
	t, err := time.Parse(jiraTime, s)
	if err != nil {
		return s
	}
	return t.Format("2006-01-02T15:04:05.000Z07:00")
}
