package atlassian

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// DefaultRequestTimeout is how long a request may go without progress
// when Options.RequestTimeout is zero. The gateway gives up on a slow
// product after about a minute and answers 504 itself, so an honest
// answer starts well within it.
const DefaultRequestTimeout = time.Minute

// StallError is a request that made no progress for the request timeout:
// no answer came, or its body stopped arriving. It is transient, retried
// as a broken connection is.
type StallError struct {
	// What is who stopped answering: "the API at https://…" or "the
	// media host at https://…".
	What  string
	After time.Duration
}

func (e *StallError) Error() string {
	return fmt.Sprintf("%s stopped answering (nothing came for %s)", e.What, e.After)
}

// maxStalls is how many attempts of one call or download may stall
// before it gives up, whatever Options.MaxAttempts allows: each has
// already waited a whole request timeout, and an API that let three go
// by is not answering. The run then ends, resumable, within minutes.
const maxStalls = 3

// stalled is 1 for the error of a stalled attempt, else 0.
func stalled(err error) int {
	var s *StallError
	if errors.As(err, &s) {
		return 1
	}
	return 0
}

// afterStall shortens the backoff before retrying a stalled attempt by
// the time the stall itself took: the server has had that rest already.
func (c *Client) afterStall(err error, wait time.Duration) time.Duration {
	if stalled(err) == 0 {
		return wait
	}
	return max(wait-c.timeout, 0)
}

// errStalled is the cause a watchdog cancels its request with.
var errStalled = errors.New("no progress within the request timeout")

// watchdog cancels a request that makes no progress for its timeout:
// from sending until the answer's headers, and then during any one read
// of its body. Every deadline of a request is this one, so it holds
// whatever the Transport (dial, TLS handshake, headers, body).
type watchdog struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	after  time.Duration
	what   string
}

// watch starts a watchdog for one request to what, under ctx.
func (c *Client) watch(ctx context.Context, what string) *watchdog {
	wctx, cancel := context.WithCancelCause(ctx)
	return &watchdog{
		ctx:    wctx,
		cancel: cancel,
		timer:  time.AfterFunc(c.timeout, func() { cancel(errStalled) }),
		after:  c.timeout,
		what:   what,
	}
}

// answered pauses the watch once the answer's headers are in: a body is
// watched only while its reader waits for it (watchedBody), so that a
// slow consumer, such as a disk, is not taken for a stalled server.
func (w *watchdog) answered() { w.timer.Stop() }

// stop ends the watch once the request is done with.
func (w *watchdog) stop() {
	w.timer.Stop()
	w.cancel(nil)
}

// explain turns the error of a request the watchdog cancelled, or that
// a deadline of the Transport ended (a connection or headers that did
// not come in time), into a *StallError, and leaves every other error as
// it is.
func (w *watchdog) explain(err error) error {
	if err == nil {
		return nil
	}
	var ne net.Error
	if errors.Is(context.Cause(w.ctx), errStalled) || (errors.As(err, &ne) && ne.Timeout() && w.ctx.Err() == nil) {
		return &StallError{What: w.what, After: w.after}
	}
	return err
}

// watchedBody is a response body under a watchdog: each read may wait
// at most the timeout, and closing it stops the watch.
type watchedBody struct {
	rc io.ReadCloser
	w  *watchdog
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.w.timer.Reset(b.w.after)
	n, err := b.rc.Read(p)
	b.w.timer.Stop()
	if err != nil && !errors.Is(err, io.EOF) {
		err = b.w.explain(err)
	}
	return n, err
}

func (b *watchedBody) Close() error {
	err := b.rc.Close()
	b.w.stop()
	return err
}
