package atlassian

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DownloadsPerSlot is how many downloads may start at once for each
// request Options.Concurrency lets be in flight. Attachment content has
// a burst bucket of its own at Atlassian, three times the default one
// (300 requests a second against 100), and the second hop of a download,
// to the media host, draws on no API limit at all: downloads can go
// wider than the JSON calls. Their limit is adaptive as the other is: a
// 429 to a download halves it, and it grows back the same way; a 429 to a
// JSON call leaves downloads alone, as Atlassian's buckets are per
// endpoint.
const DownloadsPerSlot = 4

// ErrBadContent marks a download whose content is not what the API
// listed, such as a body shorter or longer than the attachment's stated
// size. When the consume function given to RetryDownload returns an error
// that wraps it, RetryDownload downloads the file again, as it does when
// a body breaks off.
var ErrBadContent = errors.New("the downloaded content is not what the API listed")

// Download is a file on its way, as RetryDownload hands it to consume.
// consume reads Body, which RetryDownload closes once consume returns; a
// body that ends short of Size fails with an error that wraps
// io.ErrUnexpectedEOF.
type Download struct {
	Body io.ReadCloser
	// Size is the Content-Length, or -1 when the server sent none.
	Size        int64
	ContentType string
	// Location is where the API redirected the download (the media
	// host), without its query: the query holds a signed token. Empty
	// when the API answered with the bytes itself (Jira's
	// redirect=false).
	Location string
	// MediaID is the file id in a Location of the form
	// /file/<id>/binary, which is the id Jira's ADF media nodes give an
	// attachment; empty when Location has none.
	MediaID string

	body *checkedBody
}

// RetryDownload downloads path and hands it to consume, which streams
// Body to its sink. path names a file the API serves with a redirect to
// the media host, such as "/rest/api/3/attachment/content/10000" or
// "/wiki/rest/api/content/123/child/attachment/att456/download".
//
// The gateway request carries the token and is retried like any GET; the
// error it ends with (an *Error for a 404 or 403, a *RetryExhaustedError
// after 5xx answers) is returned at once, without a new download. The
// redirect is then fetched by a separate request that carries no
// Authorization and no cookies, whatever its host, and whose errors have
// Error.Media set. A 2xx from the gateway itself (Jira's redirect=false)
// is the download, under the Timeout of Options.HTTPClient.
//
// When the media hop fails (a broken connection, or any answer other than
// 2xx: a 401, 403 or 404 there is a signed link gone stale), when the
// body breaks off, or when consume returns an error that wraps
// ErrBadContent, RetryDownload waits (the client's backoff) and downloads
// from the start again, through the gateway, for a fresh signed link. It
// calls consume again each time, so consume must start its sink afresh on
// each call (truncate the file, reset the buffer). After MaxAttempts
// downloads it gives up with a *RetryExhaustedError whose Err is the last
// failure. An error consume returns without the body having failed, and
// that does not wrap ErrBadContent, is its own (a full disk) and ends
// RetryDownload at once.
//
// Each download handed to consume adds one point to Stats.Points besides
// its gateway request: the attachment, a core object, as Atlassian meters
// it.
func (c *Client) RetryDownload(ctx context.Context, path string, consume func(*Download) error) error {
	cl, err := c.downloadCall(path)
	if err != nil {
		return err
	}
	for failures, stalls := 0, 0; ; {
		retry, err := c.fetch(ctx, cl, consume)
		if !retry || ctx.Err() != nil {
			return err
		}
		failures++
		stalls += stalled(err)
		if failures >= c.maxAttempts || stalls >= maxStalls {
			return &RetryExhaustedError{Method: http.MethodGet, Path: cl.path, Attempts: failures, Err: err}
		}
		wait := c.afterStall(err, c.backoff(failures-1))
		c.log.Info("atlassian download retry", "path", cl.target.Path, "attempt", failures, "wait", wait, "reason", retryReason(err))
		c.retries.Add(1)
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("download %s: %w", cl.path, err)
		}
	}
}

// fetch makes one download and hands it to consume. It reports whether a
// failure is worth starting over for.
func (c *Client) fetch(ctx context.Context, cl *call, consume func(*Download) error) (bool, error) {
	release, err := c.reserve(ctx, cl)
	if err != nil {
		return false, err
	}
	d, retry, err := c.download(ctx, cl)
	if err != nil {
		release()
		return retry, err
	}
	c.Charge(cl.path, 1) // the attachment, a core object
	release()
	err = consume(d)
	_ = d.Body.Close()
	if d.body.err != nil {
		// The body failed; whatever consume made of that, another
		// download may succeed.
		return true, d.body.err
	}
	return errors.Is(err, ErrBadContent), err
}

func (c *Client) downloadCall(path string) (*call, error) {
	cl, err := c.newCall(http.MethodGet, path, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	cl.idempotent, cl.stream, cl.limit = true, true, c.downloads
	return cl, nil
}

// download starts one download, without reading its body, and reports
// whether a failure is worth starting over for.
func (c *Client) download(ctx context.Context, cl *call) (*Download, bool, error) {
	a, err := c.do(ctx, cl)
	if err != nil {
		return nil, false, err
	}
	if a.stream != nil {
		return newDownload(a.stream, a.length, a.header, cl.path), false, nil
	}
	loc := a.header.Get("Location")
	if loc == "" {
		return nil, false, &Error{Status: a.status, Method: http.MethodGet, Path: cl.path, Message: "a redirect without a Location"}
	}
	target, err := cl.target.Parse(loc)
	if err != nil || (target.Scheme != "https" && target.Scheme != "http") {
		return nil, false, fmt.Errorf("GET %s: the redirect target is not an http(s) URL", cl.path)
	}
	target.Fragment, target.RawFragment = "", ""
	shown := withoutQuery(target)
	if err := downgrade(cl.target, target); err != nil {
		return nil, false, fmt.Errorf("GET %s: %w", cl.path, err)
	}

	// A new request rather than a followed redirect: nothing of the
	// gateway request (Authorization, cookies) can come along.
	w := c.watch(ctx, "the media host at "+target.Scheme+"://"+target.Host)
	req, err := http.NewRequestWithContext(w.ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		w.stop()
		return nil, false, fmt.Errorf("download %s: build the media request: %w", cl.path, err)
	}
	req.Header.Set("User-Agent", c.agent)
	media, err := c.media.Do(req) //nolint:bodyclose // closed as a watchedBody, by the caller or below
	if err != nil {
		err = w.explain(bareError(err))
		w.stop()
		c.log.Debug("atlassian media request failed", "host", target.Host, "path", target.Path, "err", err)
		return nil, ctx.Err() == nil, fmt.Errorf("download %s from %s: %w", cl.path, shown, err)
	}
	w.answered()
	c.log.Debug("atlassian media request", "method", http.MethodGet, "host", target.Host, "path", target.Path, "status", media.StatusCode)
	body := &watchedBody{rc: media.Body, w: w}
	if media.StatusCode < 200 || media.StatusCode >= 300 {
		// Whatever the media host refuses (a 429 or 5xx, or a 401, 403
		// or 404 for a signed link gone stale), the next download
		// brings a fresh link.
		msg, _ := io.ReadAll(io.LimitReader(body, 64<<10))
		_ = body.Close()
		return nil, true, &Error{Status: media.StatusCode, Method: http.MethodGet, Path: shown, Message: errorMessage(msg), Media: true}
	}
	d := newDownload(body, media.ContentLength, media.Header, cl.path)
	d.Location = shown
	d.MediaID = mediaID(target.Path)
	return d, false, nil
}

func newDownload(body io.ReadCloser, size int64, header http.Header, path string) *Download {
	b := &checkedBody{rc: body, size: size, path: path}
	return &Download{Body: b, Size: size, ContentType: header.Get("Content-Type"), body: b}
}

func withoutQuery(u *url.URL) string {
	v := *u
	v.RawQuery, v.ForceQuery = "", false
	return v.String()
}

// mediaID finds <id> in a path like /file/<id>/binary.
func mediaID(path string) string {
	segs := strings.Split(path, "/")
	for i := 0; i+2 < len(segs); i++ {
		if segs[i] == "file" && segs[i+1] != "" && segs[i+2] == "binary" {
			return segs[i+1]
		}
	}
	return ""
}

// checkedBody reports a body that ends before its Content-Length, and
// remembers the first failure so that RetryDownload can tell a broken
// download from a failing sink.
type checkedBody struct {
	rc   io.ReadCloser
	size int64
	n    int64
	path string
	err  error
}

func (b *checkedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF) && (b.size < 0 || b.n >= b.size):
		return n, err
	case errors.Is(err, io.EOF):
		err = fmt.Errorf("download %s: the body ended after %d of %d bytes: %w", b.path, b.n, b.size, io.ErrUnexpectedEOF)
	default:
		err = fmt.Errorf("download %s: read the body: %w", b.path, bareError(err))
	}
	if b.err == nil {
		b.err = err
	}
	return n, err
}

func (b *checkedBody) Close() error { return b.rc.Close() }
