package sandbox

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is a way for an API or media request to fail.
type FaultKind int

// The kinds of fault InjectFaults can stage.
const (
	// FaultRateLimit answers 429 as the burst limiter does: Retry-After
	// in whole seconds (FaultSpec.RetryAfter), RateLimit-Reason
	// "jira-burst-based" or "confluence-burst-based", and
	// X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset.
	FaultRateLimit FaultKind = iota + 1

	// FaultRateLimitNoRetryAfter answers 429 with no Retry-After, no
	// RateLimit-Reason and no X-RateLimit-* header at all, as gateways
	// have been seen to: the client must fall back to its own backoff.
	FaultRateLimitNoRetryAfter

	// FaultQuota answers 429 as an exhausted hourly points quota does:
	// RateLimit-Reason "jira-quota-global-based" or
	// "confluence-quota-global-based", X-RateLimit-Reset an ISO 8601 UTC
	// time FaultSpec.Reset ahead in real time, a Retry-After that agrees
	// with it, and the informational Beta-RateLimit-* headers.
	FaultQuota

	// FaultServerError answers FaultSpec.Status. A 502 or 504 carries an
	// HTML page, as a proxy in front of the product would send; any
	// other status a JSON body {"code":…,"message":…}.
	FaultServerError

	// FaultReset takes over the connection and resets it without a
	// response. Go's Transport silently retries an idempotent request
	// once when a reused keep-alive connection dies before answering,
	// so to see the error through such a client stage Count 2, or use a
	// client without keep-alives.
	FaultReset

	// FaultShortBody sends the real answer's status and headers with its
	// full Content-Length, then only the first half of its body, and
	// closes the connection: the client reads an unexpected EOF. It
	// works for JSON answers and streamed downloads alike; aim it at
	// downloads with PathPrefix "/file/". An empty body has no half to
	// withhold, so it arrives whole.
	FaultShortBody

	// FaultStall answers nothing: the request is held, without a status
	// or a byte, until the client gives up on it (or StallLimit passes),
	// as an API behind a hung proxy does. Its connection then closes.
	FaultStall

	// FaultStallBody sends the real answer's status and headers with its
	// full Content-Length and the first half of its body, as
	// FaultShortBody does, and then nothing more until the client gives
	// up (or StallLimit passes): a body that stops arriving.
	FaultStallBody
)

// StallLimit is the longest a stalled request is held; a client that
// waits longer waits for nothing.
const StallLimit = 10 * time.Minute

var faultNames = map[FaultKind]string{
	FaultRateLimit:             "rate-limit",
	FaultRateLimitNoRetryAfter: "rate-limit-no-retry-after",
	FaultQuota:                 "quota",
	FaultServerError:           "server-error",
	FaultReset:                 "reset",
	FaultShortBody:             "short-body",
	FaultStall:                 "stall",
	FaultStallBody:             "stall-body",
}

// String returns the kind's name for logs and test output.
func (k FaultKind) String() string {
	if name, ok := faultNames[k]; ok {
		return name
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Defaults used where a FaultSpec leaves a field zero.
const (
	DefaultFaultRetryAfter = time.Second
	DefaultFaultReset      = 2 * time.Second
	DefaultFaultStatus     = http.StatusServiceUnavailable
)

// FaultSpec stages one kind of failure for the next requests that match.
type FaultSpec struct {
	// Kind is how the requests fail.
	Kind FaultKind

	// Count is how many matching requests fail; zero or less means one.
	Count int

	// PathPrefix, if set, limits the fault to request paths that start
	// with it, such as "/ex/jira/" or "/file/" (the media host). Empty
	// matches every API and media request.
	PathPrefix string

	// Status is the status of FaultServerError, 500–599; zero or any
	// other value means DefaultFaultStatus.
	Status int

	// RetryAfter is the wait FaultRateLimit announces, rounded up to
	// whole seconds; zero or less means DefaultFaultRetryAfter. When set
	// for FaultServerError it adds a Retry-After header, as some 503s
	// carry.
	RetryAfter time.Duration

	// Reset is how far ahead FaultQuota puts X-RateLimit-Reset; zero or
	// less means DefaultFaultReset.
	Reset time.Duration
}

type pendingFault struct {
	spec FaultSpec
	left int
}

// InjectFaults stages faults for the API routes (every path under /ex/)
// and the media host; the OAuth routes, accessible-resources and /me
// never fail this way. Each request takes the first staged spec that
// still has requests left and whose PathPrefix matches, in the order
// staged, across calls; it happens after SetLatency's wait and after
// SetBurstLimit's check, so a request the bucket refuses spends no
// fault. Requests that fail count in Stats.FaultsInjected. InjectFaults
// panics on a Kind it does not know: that is a bug in the test.
func (s *Server) InjectFaults(specs ...FaultSpec) {
	staged := make([]*pendingFault, 0, len(specs))
	for _, spec := range specs {
		if _, ok := faultNames[spec.Kind]; !ok {
			panic(fmt.Sprintf("sandbox: InjectFaults with unknown kind %d", int(spec.Kind)))
		}
		if spec.Status < 500 || spec.Status > 599 {
			spec.Status = DefaultFaultStatus
		}
		if spec.Reset <= 0 {
			spec.Reset = DefaultFaultReset
		}
		staged = append(staged, &pendingFault{spec: spec, left: max(spec.Count, 1)})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.faults = append(s.gw.faults, staged...)
}

// ClearFaults cancels every fault InjectFaults staged that no request has
// taken yet.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.faults = nil
}

// takeFault spends one request of the first staged fault that matches
// path.
func (s *Server) takeFault(path string) (FaultSpec, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.gw.faults {
		if !strings.HasPrefix(path, f.spec.PathPrefix) {
			continue
		}
		f.left--
		if f.left == 0 {
			s.gw.faults = append(s.gw.faults[:i], s.gw.faults[i+1:]...)
		}
		s.stats.FaultsInjected++
		return f.spec, true
	}
	return FaultSpec{}, false
}

// serveWithFaults serves r with h unless a staged fault takes it.
func (s *Server) serveWithFaults(w http.ResponseWriter, r *http.Request, h http.Handler) {
	f, ok := s.takeFault(r.URL.Path)
	if !ok {
		h.ServeHTTP(w, r)
		return
	}
	s.logf("sandbox: fault %s on %s %s", f.Kind, r.Method, r.URL.Path)
	product := productOf(r.URL.Path)
	switch f.Kind {
	case FaultRateLimit:
		retry := wholeSeconds(f.RetryAfter, DefaultFaultRetryAfter)
		writeRateLimited(w, rateLimit{
			retryAfter: retry,
			reason:     product + "-burst-based",
			limit:      "100",
			reset:      time.Now().Add(retry),
		})
	case FaultRateLimitNoRetryAfter:
		writeRateLimited(w, rateLimit{})
	case FaultQuota:
		reset := time.Now().Add(f.Reset)
		writeRateLimited(w, rateLimit{
			retryAfter: wholeSeconds(f.Reset, DefaultFaultReset),
			reason:     product + "-quota-global-based",
			limit:      "65000",
			reset:      reset,
			quota:      true,
		})
	case FaultServerError:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wholeSeconds(f.RetryAfter, 0)/time.Second)))
		}
		if f.Status == http.StatusBadGateway || f.Status == http.StatusGatewayTimeout {
			writeFailure(w, f.Status)
		} else {
			writeAPIError(w, f.Status, cmp.Or(http.StatusText(f.Status), "Server Error"))
		}
	case FaultReset:
		abortConnection(w, true)
	case FaultShortBody:
		sw := &shortBodyWriter{w: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		sw.finish()
		abortConnection(w, false)
	case FaultStall:
		stall(r)
		abortConnection(w, true)
	case FaultStallBody:
		sw := &shortBodyWriter{w: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		sw.finish()
		_ = http.NewResponseController(w).Flush()
		stall(r)
		abortConnection(w, false)
	}
}

// stall waits until the client has gone or StallLimit has passed.
func stall(r *http.Request) {
	t := time.NewTimer(StallLimit)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-t.C:
	}
}

// productOf names the product whose limits a path is under, for
// RateLimit-Reason. Paths other than Confluence's, the generic test API
// and the media host among them, answer as Jira.
func productOf(path string) string {
	if strings.HasPrefix(path, "/ex/confluence/") {
		return "confluence"
	}
	return "jira"
}

// wholeSeconds rounds d up to whole seconds, at least one; Retry-After
// has no finer unit, and rounding down would invite a retry too early.
func wholeSeconds(d, def time.Duration) time.Duration {
	if d <= 0 {
		d = def
	}
	return max(((d+time.Second-1)/time.Second)*time.Second, time.Second)
}

// rateLimit is what one 429 announces; the zero value announces nothing.
type rateLimit struct {
	retryAfter time.Duration
	reason     string
	limit      string
	remaining  int
	reset      time.Time
	quota      bool
}

// resetLayout is the gateway's ISO 8601 form of X-RateLimit-Reset.
const resetLayout = "2006-01-02T15:04:05Z"

func writeRateLimited(w http.ResponseWriter, rl rateLimit) {
	h := w.Header()
	if rl.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(rl.retryAfter/time.Second)))
	}
	if rl.reason != "" {
		h.Set("RateLimit-Reason", rl.reason)
	}
	if rl.limit != "" {
		h.Set("X-RateLimit-Limit", rl.limit)
		h.Set("X-RateLimit-Remaining", strconv.Itoa(rl.remaining))
	}
	if !rl.reset.IsZero() {
		// Rounded up, so that a client waiting until the stamp never
		// comes back before the limit lifts.
		reset := rl.reset.UTC().Add(time.Second - 1).Truncate(time.Second)
		h.Set("X-RateLimit-Reset", reset.Format(resetLayout))
		if rl.quota {
			secs := max(int(time.Until(reset).Round(time.Second)/time.Second), 0)
			h.Set("Beta-RateLimit-Policy", `"global-app-quota";q=65000;w=3600`)
			h.Set("Beta-RateLimit", fmt.Sprintf(`"global-app-quota";r=0;t=%d`, secs))
		}
	}
	writeAPIError(w, http.StatusTooManyRequests, "Rate limit exceeded")
}

// abortConnection ends the response by closing its connection. A reset
// discards whatever is unsent and makes the client see "connection reset
// by peer"; otherwise what was written is sent first and the client sees
// the stream end.
func abortConnection(w http.ResponseWriter, reset bool) {
	rc := http.NewResponseController(w)
	if !reset {
		// Hijacking sends what reached the connection's buffer but not
		// what the response still holds, so push that down first. Not
		// for a reset: flushing a response not yet begun sends its
		// header.
		_ = rc.Flush()
	}
	conn, _, err := rc.Hijack()
	if err != nil {
		// Not HTTP/1 (say, a test's HTTP/2 server): the standard way to
		// abort there.
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

var errShortBody = errors.New("sandbox: body cut short by FaultShortBody")

// shortBodyWriter passes on the first half of a body. A handler that sets
// Content-Length before its header (a download) streams, and its writes
// fail once half is through; one that does not (JSON) is buffered so
// that the length can be declared.
type shortBodyWriter struct {
	w           http.ResponseWriter
	status      int
	wroteHeader bool
	streaming   bool
	limit       int64
	written     int64
	buf         bytes.Buffer
}

func (sw *shortBodyWriter) Header() http.Header { return sw.w.Header() }

func (sw *shortBodyWriter) WriteHeader(status int) {
	if sw.wroteHeader {
		return
	}
	sw.wroteHeader, sw.status = true, status
	if n, err := strconv.ParseInt(sw.w.Header().Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		sw.streaming, sw.limit = true, n/2
		sw.w.WriteHeader(status)
	}
}

func (sw *shortBodyWriter) Write(p []byte) (int, error) {
	if !sw.wroteHeader {
		sw.WriteHeader(http.StatusOK)
	}
	if !sw.streaming {
		return sw.buf.Write(p)
	}
	room := sw.limit - sw.written
	if int64(len(p)) <= room {
		n, err := sw.w.Write(p)
		sw.written += int64(n)
		return n, err
	}
	n, err := sw.w.Write(p[:room])
	sw.written += int64(n)
	if err == nil {
		err = errShortBody
	}
	return n, err
}

// finish sends a buffered answer's header, full length and half body.
func (sw *shortBodyWriter) finish() {
	if sw.streaming {
		return
	}
	body := sw.buf.Bytes()
	sw.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	sw.w.WriteHeader(sw.status)
	_, _ = sw.w.Write(body[:len(body)/2])
}
