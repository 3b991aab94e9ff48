package export

import (
	"context"
	"time"

	"github.com/aumo-cli/aumo/internal/atlassian"
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
	// Path is where the item's own JSON goes (exportformat.ItemPath).
	Path string
	JSON []byte
	// MarkdownPath and Markdown are the readable rendition, when there is
	// one (exportformat.MarkdownPath).
	MarkdownPath string
	Markdown     []byte
	// RenderMarkdown, when set, makes the Markdown once the attachments are
	// written, so that it can link to their files (by media id, which a
	// download may only now have revealed). It wins over Markdown.
	RenderMarkdown func(files []AttachmentFile) []byte
	// Dir is the item's directory, where attachments/ goes
	// (exportformat.ItemDir).
	Dir         string
	Attachments []Attachment
}

// Attachment is a file of an item that the engine downloads.
type Attachment struct {
	ID      string
	Name    string // as the API names it; the engine makes it portable
	Size    int64  // as the API states it; -1 when unknown
	Updated time.Time
	// MediaID is the id ADF media nodes use, when the source knows it;
	// otherwise the download may reveal it.
	MediaID string
	// Path is where the API serves the bytes, for the Downloader (a
	// redirect to the media host).
	Path string
}

// AttachmentFile is an attachment as written: where it went, relative to
// the item's directory, and its media id. Markdown links to it.
type AttachmentFile struct {
	ID, Name string
	Path     string // relative to Item.Dir, e.g. "attachments/10001-report.pdf"
	MediaID  string
}

// Source yields the items of an export: a product (Jira, Confluence) does
// the API work, the engine the writing.
type Source interface {
	// Items calls emit for every item the query selects, except those done
	// reports as already exported (a resumed run). emit blocks while the
	// engine is busy (bounded memory) and returns an error when the export
	// stops; Items then returns it. Items reports what it leaves out by
	// design with problems.Skip and what keeps failing with problems.Fail,
	// and a query the product refuses as a *QueryError.
	Items(ctx context.Context, done func(kind, id string) bool, problems Problems, emit func(*Item) error) error
}

// Problems collects the manifest's skipped and failed lists. Safe for
// concurrent use.
type Problems interface {
	Skip(p exportformat.Problem)
	Fail(p exportformat.Problem)
}

// Downloader fetches attachments: an *atlassian.Client, which retries a
// download from the start when it breaks off or consume finds its content
// wrong (atlassian.ErrBadContent), and honours the rate limits.
type Downloader interface {
	RetryDownload(ctx context.Context, path string, consume func(*atlassian.Download) error) error
}

// QueryError is a product refusing the query (exit 2, with its message).
type QueryError struct {
	Product string // "Jira", "Confluence"
	Message string // the product's own words
	// Hint is what aumo adds: the way out, or what it did to the query.
	Hint string
}

func (e *QueryError) Error() string {
	return e.Product + " refused the query: " + e.Message + e.Hint
}
