package export

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// writer writes items through the sink.
type writer struct {
	opts       Options
	sink       sink.Sink
	state      *state
	update     *update
	checkpoint func() error
	written    atomic.Int64
}

// item writes an item's attachments, then its Markdown, then its JSON. An
// attachment that keeps failing fails the whole item, whose own file is
// then not written: a rerun exports it again.
func (w *writer) item(ctx context.Context, it *Item) error {
	skips := w.state.skipCount()
	if err := w.writeItem(ctx, it); err != nil {
		return err
	}
	// A skip of a written item's attachment would be lost with a crash
	// unless the manifest says it now; other items are checkpointed now
	// and then.
	if w.state.skipCount() != skips || w.written.Add(1)%checkpointEvery == 0 {
		if err := w.checkpoint(); err != nil {
			return fmt.Errorf("record progress: %w", err)
		}
	}
	return nil
}

func (w *writer) writeItem(ctx context.Context, it *Item) error {
	lines, ok, err := w.attachments(ctx, it)
	if err != nil || !ok {
		return err
	}
	md, err := w.markdown(ctx, it, lines)
	if err != nil {
		return err
	}
	lines = append(lines, md...)
	if !w.opts.NoJSON || len(md) == 0 {
		line, err := w.putBytes(ctx, it.Path, it.JSON, exportformat.IndexLine{
			Kind: it.Kind, ID: it.ID, Key: it.Key, Item: it.ID, Updated: it.Updated})
		if err != nil {
			return err
		}
		lines = append(lines, line)
	}
	w.done(it.Kind, lines)
	return nil
}

// done notes an item of kind whose files are all written.
func (w *writer) done(kind string, lines []exportformat.IndexLine) {
	if w.update != nil {
		w.update.wrote(lines)
	}
	w.state.record(lines, w.update == nil)
	if w.opts.Progress != nil {
		var n int64
		attachments := 0
		for _, l := range lines {
			n += l.Size
			if l.Kind == exportformat.KindAttachment {
				attachments++
			}
		}
		w.opts.Progress.Wrote(kind, attachments, n)
	}
}

// attachments writes (or keeps) the item's attachments and returns their
// lines. ok is false when one failed for good: the item fails with it.
func (w *writer) attachments(ctx context.Context, it *Item) (lines []exportformat.IndexLine, ok bool, err error) {
	for _, a := range it.Attachments {
		if p, skip := w.leftOut(it, a); skip {
			w.state.Skip(p)
			continue
		}
		line, kept, err := w.keepAttachment(it, a)
		if err != nil {
			return nil, false, err
		}
		if !kept {
			line, err = w.download(ctx, it, a)
		}
		switch fate, problem := downloadFate(ctx, err, it, a, w.opts.MaxAttachmentSize); fate {
		case written:
			lines = append(lines, line)
		case skipped:
			w.state.Skip(problem)
		case failed:
			w.state.Fail(problem)
			w.state.Fail(exportformat.Problem{Kind: it.Kind, ID: it.ID, Item: it.ID, Reason: "attachment", Detail: "attachment " + a.ID + " failed; rerun to retry"})
			return nil, false, nil
		default:
			return nil, false, err
		}
	}
	return lines, true, nil
}

// leftOut reports an attachment the options leave out.
func (w *writer) leftOut(it *Item, a Attachment) (exportformat.Problem, bool) {
	switch {
	case w.opts.NoAttachments:
		return exportformat.Problem{Kind: exportformat.KindAttachment, ID: a.ID, Item: it.ID, Reason: exportformat.ReasonExcluded, Detail: "--no-attachments"}, true
	case w.opts.MaxAttachmentSize > 0 && a.Size > w.opts.MaxAttachmentSize:
		return tooLarge(it, a, w.opts.MaxAttachmentSize), true
	}
	return exportformat.Problem{}, false
}

// keepAttachment keeps an attachment an update finds unchanged since the
// previous run, rather than downloading it again (its index line written
// again only if it says more).
func (w *writer) keepAttachment(it *Item, a Attachment) (exportformat.IndexLine, bool, error) {
	if w.update == nil {
		return exportformat.IndexLine{}, false, nil
	}
	line, ok, err := w.update.unchanged(it, a, sink.AttachmentPath(it.Dir, a.ID, a.Name))
	if err != nil || !ok {
		return line, false, err
	}
	line.Key = it.Key
	kept, err := w.update.keep(ownerKey(line), line)
	if err == nil && !kept {
		err = w.appendLine(line)
	}
	return line, err == nil, err
}

// The fates of an attachment's download.
const (
	written = iota
	skipped // by design: gone, forbidden, too large
	failed  // for good: its item fails
	stopped // the export stops, resumably
)

// downloadFate tells what a download's outcome means: a failure of one
// attachment (a broken download, an error the API gave for it) from one
// that stops the export (a dead grant, a missing scope, a failing disk).
func downloadFate(ctx context.Context, err error, it *Item, a Attachment, limit int64) (int, exportformat.Problem) {
	var big *tooLargeError
	problem := exportformat.Problem{Kind: exportformat.KindAttachment, ID: a.ID, Item: it.ID}
	switch {
	case err == nil:
		return written, problem
	case errors.As(err, &big):
		return skipped, tooLarge(it, a, limit)
	case ctx.Err() != nil:
		return stopped, problem
	case atlassian.IsNotFound(err) && !fromMediaHost(err):
		problem.Reason, problem.Detail = exportformat.ReasonDeleted, "the attachment is gone"
		return skipped, problem
	case atlassian.IsForbidden(err) && !fromMediaHost(err):
		problem.Reason, problem.Detail = exportformat.ReasonForbidden, "no permission to download it"
		return skipped, problem
	case !itemError(err):
		return stopped, problem
	}
	problem.Reason, problem.Detail = "download", err.Error()
	return failed, problem
}

// markdown writes the item's Markdown, made now that its attachments'
// files are known, unless --format json; it returns its line, if any.
func (w *writer) markdown(ctx context.Context, it *Item, attachments []exportformat.IndexLine) ([]exportformat.IndexLine, error) {
	if w.opts.NoMarkdown {
		return nil, nil
	}
	md := it.Markdown
	if it.RenderMarkdown != nil {
		md = it.RenderMarkdown(files(it, attachments))
	}
	if md == nil {
		return nil, nil
	}
	line, err := w.putBytes(ctx, it.MarkdownPath, md, exportformat.IndexLine{
		Kind: exportformat.KindMarkdown, ID: it.ID, Key: it.Key, Item: it.ID, Updated: it.Updated})
	if err != nil {
		return nil, err
	}
	return []exportformat.IndexLine{line}, nil
}

// files are the item's attachments as written, for its Markdown.
func files(it *Item, lines []exportformat.IndexLine) []AttachmentFile {
	names := map[string]string{}
	for _, a := range it.Attachments {
		names[a.ID] = a.Name
	}
	var out []AttachmentFile
	for _, l := range lines {
		out = append(out, AttachmentFile{ID: l.ID, Name: names[l.ID], Path: strings.TrimPrefix(l.Path, it.Dir+"/"), MediaID: l.MediaID})
	}
	return out
}

// putBytes writes an item's own file (its JSON or Markdown). An update
// keeps the file already there when it holds the same bytes.
func (w *writer) putBytes(ctx context.Context, path string, data []byte, line exportformat.IndexLine) (exportformat.IndexLine, error) {
	if w.update != nil {
		sum := sha256.Sum256(data)
		line.Path, line.Size, line.SHA256 = path, int64(len(data)), hex.EncodeToString(sum[:])
		ok, err := w.update.keep(ownerKey(line), line)
		if err != nil || ok {
			return line, err
		}
		if ok, err := w.update.same(ownerKey(line), line); err != nil || ok {
			// The same bytes: only the index line is new.
			if err == nil {
				err = w.appendLine(line)
			}
			return line, err
		}
	}
	return w.put(ctx, path, bytes.NewReader(data), line)
}

// put writes one file and appends its index line.
func (w *writer) put(ctx context.Context, path string, r io.Reader, line exportformat.IndexLine) (exportformat.IndexLine, error) {
	e, err := w.sink.Put(ctx, path, r)
	if err != nil {
		return line, err
	}
	line.Path, line.Size, line.SHA256 = e.Path, e.Size, e.SHA256
	return line, w.appendLine(line)
}

func (w *writer) appendLine(line exportformat.IndexLine) error {
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	if err := w.sink.AppendIndex(b); err != nil {
		return fmt.Errorf("append to the index: %w", err)
	}
	if w.update != nil {
		// An update's counts follow the index line by line: the
		// export stays whole whenever the run stops.
		old, err := w.update.replaces(line)
		if err != nil {
			return err
		}
		w.state.swap(old, line)
	}
	return nil
}

// download fetches an attachment into its file. The Downloader starts
// again from the beginning when the download breaks off, or when its
// content turns out other than the API stated.
func (w *writer) download(ctx context.Context, it *Item, a Attachment) (exportformat.IndexLine, error) {
	if w.opts.Downloads == nil {
		return exportformat.IndexLine{}, errors.New("export: no Downloader for attachments")
	}
	path := sink.AttachmentPath(it.Dir, a.ID, a.Name)
	var line exportformat.IndexLine
	err := w.opts.Downloads.RetryDownload(ctx, a.Path, func(d *atlassian.Download) error {
		mediaID := a.MediaID
		if mediaID == "" {
			mediaID = d.MediaID
		}
		body := &checkedReader{r: d.Body, want: a.Size, limit: w.opts.MaxAttachmentSize}
		var err error
		line, err = w.put(ctx, path, body, exportformat.IndexLine{
			Kind: exportformat.KindAttachment, ID: a.ID, Key: it.Key, Item: it.ID, Updated: a.Updated, MediaID: mediaID})
		if err != nil && body.err != nil && ctx.Err() == nil {
			return body.err // the download failed, not the sink
		}
		return err
	})
	if err != nil {
		return exportformat.IndexLine{}, fmt.Errorf("download attachment %s of %s: %w", a.ID, it.ID, err)
	}
	return line, nil
}

// fromMediaHost reports an error the media host answered.
func fromMediaHost(err error) bool {
	var apiErr *atlassian.Error
	return errors.As(err, &apiErr) && apiErr.Media
}

// itemError tells a failure of one attachment (a download that kept
// breaking, an error the API gave for it) from one that stops the export
// (a dead grant, a missing scope, a failing disk, a host that stopped
// answering or an API that cannot be reached: waiting for it again for
// every file would take hours).
func itemError(err error) bool {
	var stall *atlassian.StallError
	var down *atlassian.UnreachableError
	if errors.As(err, &stall) || errors.As(err, &down) {
		return false
	}
	var exhausted *atlassian.RetryExhaustedError
	if errors.As(err, &exhausted) || errors.Is(err, atlassian.ErrBadContent) || brokenConnection(err) {
		return true
	}
	var apiErr *atlassian.Error
	if errors.As(err, &apiErr) {
		return apiErr.Media || apiErr.Status == 429 || apiErr.Status >= 500 ||
			(apiErr.Status >= 400 && apiErr.Status < 500 && apiErr.Status != 401)
	}
	return false
}

// brokenConnection reports a connection that broke on the way.
func brokenConnection(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

func tooLarge(it *Item, a Attachment, limit int64) exportformat.Problem {
	return exportformat.Problem{Kind: exportformat.KindAttachment, ID: a.ID, Item: it.ID, Reason: exportformat.ReasonTooLarge,
		Detail: fmt.Sprintf("%d bytes, over --max-attachment-size %d", a.Size, limit)}
}

type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string { return fmt.Sprintf("larger than %d bytes", e.limit) }

// checkedReader checks a download against the stated size and the size
// limit while it streams, and remembers its own failure so the writer can
// tell a broken download from a failing sink. A size other than the
// stated one is bad content (atlassian.ErrBadContent): the download is
// made again.
type checkedReader struct {
	r     io.Reader
	want  int64 // -1: unknown
	limit int64 // 0: none
	n     int64
	err   error
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	switch {
	case c.limit > 0 && c.n > c.limit:
		c.err = &tooLargeError{limit: c.limit}
	case c.want >= 0 && c.n > c.want:
		c.err = fmt.Errorf("%w: more than the %d bytes stated", atlassian.ErrBadContent, c.want)
	case errors.Is(err, io.EOF) && c.want >= 0 && c.n != c.want:
		c.err = fmt.Errorf("%w: %d of %d bytes", atlassian.ErrBadContent, c.n, c.want)
	case err != nil && !errors.Is(err, io.EOF):
		c.err = err
	}
	if c.err != nil {
		return n, c.err
	}
	return n, err
}
