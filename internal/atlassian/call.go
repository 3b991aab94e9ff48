package atlassian

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/secret"
)

// maxJSONBody bounds a JSON answer held in memory; Atlassian pages are a
// few megabytes at most.
const maxJSONBody = 256 << 20

// CallOption adjusts one call.
type CallOption func(*call)

// Idempotent marks a POST that only reads (search/jql, issue/bulkfetch,
// users-bulk…), so it is retried like a GET. Without it a POST is sent
// once, whatever happens.
var Idempotent CallOption = func(c *call) { c.idempotent = true }

// Scope names the scope a call needs, so that a ScopeError can tell the
// user which one the grant lacks.
func Scope(scope string) CallOption {
	return func(c *call) { c.scope = scope }
}

type call struct {
	method     string
	target     *url.URL
	path       string // under the gateway base, without the query
	body       []byte
	idempotent bool
	scope      string
	// stream leaves a 2xx body unread and returns a 3xx, for downloads.
	stream bool
	// limit is the concurrency limit the call's requests take a slot of.
	limit *limiter
}

// GetJSON calls GET path and decodes the JSON answer into out (nil:
// discard it). path is a path under the gateway base, such as
// "/rest/api/3/issue/ABC-1" or "/wiki/api/v2/pages", or a URL that
// RewriteLink returned; its own query and q are combined.
func (c *Client) GetJSON(ctx context.Context, path string, q url.Values, out any, opts ...CallOption) error {
	cl, err := c.newCall(http.MethodGet, path, q, nil, opts)
	if err != nil {
		return err
	}
	cl.idempotent = true
	return c.doJSON(ctx, cl, out)
}

// PostJSON calls POST path with body encoded as JSON and decodes the JSON
// answer into out (nil: discard it). Pass Idempotent for the read-only
// POSTs, or the request is never retried.
func (c *Client) PostJSON(ctx context.Context, path string, body, out any, opts ...CallOption) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode the body of POST %s: %w", stripQuery(path), err)
	}
	cl, err := c.newCall(http.MethodPost, path, nil, data, opts)
	if err != nil {
		return err
	}
	return c.doJSON(ctx, cl, out)
}

func (c *Client) newCall(method, path string, q url.Values, body []byte, opts []CallOption) (*call, error) {
	target, err := c.resolve(path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, stripQuery(path), err)
	}
	if len(q) > 0 {
		merged := target.Query()
		for k, vs := range q {
			merged[k] = append(merged[k], vs...)
		}
		target.RawQuery = merged.Encode()
	}
	cl := &call{method: method, target: target, path: strings.TrimPrefix(target.Path, c.base.Path), body: body, limit: c.limit}
	for _, o := range opts {
		o(cl)
	}
	return cl, nil
}

func (c *Client) doJSON(ctx context.Context, cl *call, out any) error {
	release, err := c.reserve(ctx, cl)
	if err != nil {
		return err
	}
	defer release()
	a, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	if out == nil || a.status == http.StatusNoContent || len(bytes.TrimSpace(a.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(a.body, out); err != nil {
		return fmt.Errorf("decode the answer to %s %s: %w", cl.method, cl.path, err)
	}
	return nil
}

// answer is a response as do returns it: its body read in full, or, for
// a streamed 2xx, left in stream for the caller to read and close.
type answer struct {
	status int
	header http.Header
	length int64 // Content-Length, -1 unknown
	body   []byte
	stream io.ReadCloser
}

// do sends cl until it succeeds, fails for good or runs out of attempts.
func (c *Client) do(ctx context.Context, cl *call) (*answer, error) {
	var (
		failures  int // retryable failures so far, for the backoff
		stalls    int // of which stalls
		refreshed bool
	)
	for n := 1; ; n++ {
		if n > 1 {
			c.retries.Add(1)
		}
		at, err := c.try(ctx, cl, n)
		if err != nil {
			return nil, err
		}
		next := c.judge(ctx, cl, at, refreshed, failures)
		switch next.verdict {
		case verdictDone:
			return at.answer, nil
		case verdictFail:
			return nil, c.failed(cl, n, next.err)
		case verdictRefresh:
			// The token expired or was revoked before its time. The
			// server did nothing with the request, so even a plain
			// POST may go again, once, with a fresh token.
			c.log.Debug("atlassian access token refused; refreshing", at.attrs...)
			c.tokens.Reject(at.token)
			refreshed = true
			continue
		}
		// verdictRetry: wait, unless the attempts have run out.
		failures++
		stalls += stalled(next.err)
		attempts := c.maxAttemptsAfter(next.err)
		if n >= attempts || stalls >= maxStalls {
			return nil, c.giveUp(cl, n, next.err)
		}
		c.tellUnreachable(next.err, next.wait, n+1, attempts)
		if err := c.waitToRetry(ctx, cl, at, next); err != nil {
			return nil, err
		}
	}
}

// attempt is one sending of a call: the answer, or the transport error
// that took its place.
type attempt struct {
	answer *answer
	err    error
	gen    int // the limiter generation of the slot it used
	token  secret.String
	attrs  []any // what the log lines say about it
}

// try makes attempt n of cl: it waits for a slot and for the meter (the
// budget, the pace, the API's quota), takes a token, sends,
// gives the slot back and counts the request and its point. Its error is
// one that ends the call (no slot before ctx was done, no token); a
// failed sending is in the attempt.
func (c *Client) try(ctx context.Context, cl *call, n int) (*attempt, error) {
	gen, err := c.acquire(ctx, cl.limit)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	if err := c.meter.admit(ctx, c.sleep); err != nil {
		cl.limit.release()
		return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	token, err := c.tokens.AccessToken(ctx)
	if err != nil {
		cl.limit.release()
		c.meter.releaseBase()
		return nil, fmt.Errorf("get an access token for %s %s: %w", cl.method, cl.path, err)
	}
	start := c.now()
	a, err := c.send(ctx, cl, token)
	cl.limit.release()
	c.chargeRequest(cl.path)
	c.meter.releaseBase()

	if err == nil {
		c.reached.Store(true)
		c.meter.observe(parseQuotaHeaders(a.header))
	}
	at := &attempt{answer: a, err: err, gen: gen, token: token,
		attrs: []any{"method", cl.method, "host", cl.target.Host, "path", cl.target.Path, "attempt", n, "duration", c.now().Sub(start)}}
	if err != nil {
		c.log.Debug("atlassian request failed", append(at.attrs, "err", err)...)
	} else {
		c.log.Debug("atlassian request", append(at.attrs, "status", a.status)...)
	}
	return at, nil
}

// verdict is what an attempt means for its call.
type verdict int

const (
	// verdictDone: the answer is the call's result.
	verdictDone verdict = iota
	// verdictRefresh: the token was refused; send again at once with a
	// fresh one.
	verdictRefresh
	// verdictRetry: a failure another attempt may cure; wait, then send
	// again.
	verdictRetry
	// verdictFail: the call fails.
	verdictFail
)

// classify says what an answer's status means, before the call's own
// limits (a plain POST is not retried, attempts run out) are applied.
// stream calls accept a redirect; refreshed is whether the token was
// refreshed once already.
func classify(status int, body []byte, stream, refreshed bool) verdict {
	switch {
	case status >= 200 && status < 300, stream && isRedirect(status):
		return verdictDone
	case status == http.StatusUnauthorized:
		if scopeMismatch(body) || refreshed {
			return verdictFail
		}
		return verdictRefresh
	case status == http.StatusTooManyRequests, status >= 500 && status != http.StatusNotImplemented:
		return verdictRetry
	default:
		return verdictFail
	}
}

// step is what do does after an attempt: err is the failure that ends
// the call (verdictFail) or that the retry answers (verdictRetry), and
// wait how long to wait before that retry.
type step struct {
	verdict verdict
	err     error
	wait    time.Duration
}

// judge decides what follows the attempt at of cl, and keeps the shared
// state up to date: a success counts towards more concurrency, and a 429
// or 5xx teaches the limits (see waitAfter) even when the call may not be
// retried.
func (c *Client) judge(ctx context.Context, cl *call, at *attempt, refreshed bool, failures int) step {
	if at.err != nil {
		return c.judgeFailure(ctx, cl, at.err, failures)
	}
	a := at.answer
	v := classify(a.status, a.body, cl.stream, refreshed)
	switch v {
	case verdictDone:
		cl.limit.succeeded()
		return step{verdict: verdictDone}
	case verdictRefresh:
		return step{verdict: verdictRefresh}
	}
	err := answerError(cl, a)
	if v == verdictFail {
		return step{verdict: verdictFail, err: err}
	}
	wait := c.waitAfter(a, cl.limit, at.gen, failures)
	if !cl.idempotent {
		return step{verdict: verdictFail, err: err}
	}
	return step{verdict: verdictRetry, err: err, wait: wait}
}

// judgeFailure decides what follows a sending that got no answer.
func (c *Client) judgeFailure(ctx context.Context, cl *call, err error, failures int) step {
	if ctx.Err() != nil {
		return step{verdict: verdictFail, err: fmt.Errorf("%s %s: %w", cl.method, cl.path, ctx.Err())}
	}
	if !cl.idempotent || permanent(err) {
		return step{verdict: verdictFail, err: fmt.Errorf("%s %s: %w", cl.method, cl.path, err)}
	}
	return step{verdict: verdictRetry, err: err, wait: c.afterStall(err, c.backoff(failures))}
}

// answerError is the error of an answer that failed the call: a
// ScopeError for a 401 that names a missing scope, an *Error otherwise.
func answerError(cl *call, a *answer) error {
	e := &Error{Status: a.status, Method: cl.method, Path: cl.path}
	if a.status >= 400 {
		e.Message = errorMessage(a.body)
	}
	if a.status == http.StatusUnauthorized && scopeMismatch(a.body) {
		return &ScopeError{Method: cl.method, Path: cl.path, Scope: cl.scope, Message: e.Message}
	}
	return e
}

// waitToRetry logs the retry the attempt at calls for and waits before it.
func (c *Client) waitToRetry(ctx context.Context, cl *call, at *attempt, retry step) error {
	c.log.Info("atlassian retry", append(at.attrs, "wait", retry.wait, "reason", retryReason(retry.err))...)
	if retry.wait <= 0 {
		return nil
	}
	if err := c.sleep(ctx, retry.wait); err != nil {
		return fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	return nil
}

// waitAfter is how long to wait before retrying after a 429 or 5xx
// answer, and adjusts the state every goroutine shares: a 429 halves the
// concurrency of limit, the one the request took its slot from, and a
// quota 429 pauses the whole client, which acquire then waits out (so
// the wait returned for it is zero).
func (c *Client) waitAfter(a *answer, limit *limiter, gen, failures int) time.Duration {
	now := c.now()
	if a.status == http.StatusTooManyRequests {
		c.throttled.Add(1)
		limit.throttled(gen)
		if reason := a.header.Get("RateLimit-Reason"); quotaReason(reason) {
			until := quotaReset(a.header, now)
			if !until.After(now) {
				until = now.Add(c.backoff(failures))
			}
			c.pause(until, reason)
			return 0
		}
	}
	// Only a 429's or a 503's Retry-After is a promise about this API.
	if a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable {
		if d, ok := retryAfter(a.header, now); ok {
			return d
		}
	}
	return c.backoff(failures)
}

// send makes one attempt. A body is read whole, so that a connection that
// breaks mid-answer fails the attempt rather than the decoding.
func (c *Client) send(ctx context.Context, cl *call, token secret.String) (*answer, error) {
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	w := c.watch(ctx, "the API at "+cl.target.Scheme+"://"+cl.target.Host)
	req, err := http.NewRequestWithContext(w.ctx, cl.method, cl.target.String(), body)
	if err != nil {
		w.stop()
		return nil, fmt.Errorf("build the request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token.Reveal())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.agent)
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.api.Do(req) //nolint:bodyclose // closed as a watchedBody, here or by the stream's reader
	if err != nil {
		err = w.explain(bareError(err))
		w.stop()
		return nil, err
	}
	w.answered()
	a := &answer{status: resp.StatusCode, header: resp.Header, length: resp.ContentLength}
	watched := &watchedBody{rc: resp.Body, w: w}
	if cl.stream && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		a.stream = watched
		return a, nil
	}
	a.body, err = readAll(watched, resp.ContentLength)
	_ = watched.Close()
	if err != nil {
		return nil, err
	}
	return a, nil
}

// readAll reads a body whole, and refuses one that ends short of its
// Content-Length: a JSON answer cut at the right place can still parse.
func readAll(body io.Reader, length int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(body, maxJSONBody+1))
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", bareError(err))
	}
	if len(data) > maxJSONBody {
		return nil, errTooLarge
	}
	if length >= 0 && int64(len(data)) < length {
		return nil, fmt.Errorf("read the answer: %d of %d bytes: %w", len(data), length, io.ErrUnexpectedEOF)
	}
	return data, nil
}

var errTooLarge = fmt.Errorf("the answer is larger than %d MiB", maxJSONBody>>20)

// bareError drops the *url.Error around a transport error: its text holds
// the whole URL, query included, and a query may carry JQL or a signed
// media token.
func bareError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// permanent reports transport errors that another attempt cannot cure.
func permanent(err error) bool {
	var verify *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var unknownAuth x509.UnknownAuthorityError
	return errors.Is(err, errTooLarge) || errors.As(err, &verify) || errors.As(err, &hostErr) || errors.As(err, &unknownAuth)
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func retryReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return err.Error()
}

func stripQuery(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		return path[:i]
	}
	return path
}
