// Package export is aumo's export engine: it takes the items a product's
// plan (Jira, Confluence) yields, fetches their attachments, and writes
// every file through a sink in export format v1, resumably.
package export

import (
	"context"
	"io"
	"time"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Item is one exported object: an issue, page, blog post, space, folder or
// Jira's field list. The engine writes its attachments, then its Markdown,
// then its own JSON, so an item is done iff its own line is in the index.
type Item struct {
	Kind    string // exportformat.KindIssue, KindPage, …
	ID      string
	Key     string // the issue key, where there is one
	Updated time.Time
	// Path is where the item's own JSON goes, e.g. "issues/10001/issue.json".
	Path string
	JSON []byte
	// MarkdownPath and Markdown are the readable rendition, when there is one.
	MarkdownPath string
	Markdown     []byte
	// RenderMarkdown, when set, makes the Markdown once the attachments are
	// written, so that it can link to their files (by media id, which a
	// download may only now have revealed). It wins over Markdown.
	RenderMarkdown func(files []AttachmentFile) []byte
	// Dir is the item's directory, where attachments/ goes.
	Dir         string
	Attachments []Attachment
}

// Attachment is a file of an item that the engine downloads.
type Attachment struct {
	ID      string
	Name    string // as the API names it; the engine makes it portable
	Size    int64  // as the API states it; -1 when unknown
	Updated time.Time
	// MediaID is the id ADF media nodes use, when the plan knows it.
	MediaID string
	// Open starts the download. The engine calls it again, from the start,
	// when a download breaks off or its size is wrong.
	Open func(ctx context.Context) (*Download, error)
}

// AttachmentFile is an attachment as written: where it went, relative to
// the item's directory, and its media id.
type AttachmentFile struct {
	ID, Name string
	Path     string // relative to Item.Dir, e.g. "attachments/10001-report.pdf"
	MediaID  string
}

// Download is an attachment's content on its way.
type Download struct {
	Body io.ReadCloser
	// MediaID is learnt from the download (Jira's media UUID, from the
	// redirect to the media host); empty when unknown.
	MediaID string
}

// Plan yields the items of an export. Implementations (Jira, Confluence,
// tests) do the API work; the engine does the writing.
type Plan interface {
	// Items calls emit for every item the query selects, except those done
	// reports as already exported (a resumed run). emit blocks while the
	// engine is busy (bounded memory) and returns an error when the export
	// stops; Items then returns it. Items reports what it leaves out by
	// design with problems.Skip and what keeps failing with problems.Fail.
	Items(ctx context.Context, done func(kind, id string) bool, problems Problems, emit func(*Item) error) error
}

// Problems collects the manifest's skipped and failed lists. Safe for
// concurrent use.
type Problems interface {
	Skip(p exportformat.Problem)
	Fail(p exportformat.Problem)
}
