package atlassian

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// UnreachableError is an API that could not be reached: no attempt of a
// call got a connection (refused, no such host, no route), so nothing
// was sent. Err is the last attempt's failure.
type UnreachableError struct {
	// API is the gateway, such as https://api.atlassian.com.
	API          string
	Method, Path string
	Attempts     int
	Err          error
}

// Error names the API and why it could not be reached, then the call.
func (e *UnreachableError) Error() string {
	attempts := "1 attempt"
	if e.Attempts != 1 {
		attempts = fmt.Sprintf("%d attempts", e.Attempts)
	}
	return fmt.Sprintf("cannot reach the API at %s: %s (%s at %s %s)", e.API, connectReason(e.Err), attempts, e.Method, e.Path)
}

// Unwrap returns the last failure, so errors.Is sees syscall.ECONNREFUSED.
func (e *UnreachableError) Unwrap() error { return e.Err }

// UnreachableWait is a wait before the API is tried again after it could
// not be reached.
type UnreachableWait struct {
	API    string
	Reason string // "connection refused", "no such host api.example.com"…
	Wait   time.Duration
	// Attempt is the attempt that follows the wait, of Attempts.
	Attempt, Attempts int
}

// maxUnreachableAttempts bounds the attempts of a call that gets no
// connection before the API has ever answered this client. A connection
// that cannot even be opened costs the server nothing and says that
// nothing is listening or the name does not resolve: at the start of a
// run that is a wrong AUMO_API_URL or a machine off the network far more
// often than a blip, and six attempts (about a minute of backoff) only
// delay saying so. Three attempts still ride out a network that is
// coming up. Once the API has answered, a failed connection is a blip of
// a run under way and gets every attempt, as other transient failures do.
const maxUnreachableAttempts = 3

// connectFailed reports a failure to open a connection to the server (or
// its proxy): nothing of the request was sent.
func connectFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect")
}

// connectReason is why a connection could not be opened, in a few words.
func connectReason(err error) string {
	var dns *net.DNSError
	var sys *os.SyscallError
	var op *net.OpError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return "no such host " + dns.Name
	case errors.As(err, &dns):
		return "cannot resolve " + dns.Name + ": " + dns.Err
	case errors.As(err, &sys):
		return sys.Err.Error()
	case errors.As(err, &op) && op.Err != nil:
		return op.Err.Error()
	case err != nil:
		return err.Error()
	}
	return "no connection"
}

// maxAttemptsAfter is how many attempts a call may make, given the
// failure of its last one.
func (c *Client) maxAttemptsAfter(err error) int {
	if connectFailed(err) && !c.reached.Load() {
		return min(c.maxAttempts, maxUnreachableAttempts)
	}
	return c.maxAttempts
}

// giveUp is the error of a call whose attempts ran out after n, the last
// failing with err.
func (c *Client) giveUp(cl *call, n int, err error) error {
	if connectFailed(err) {
		return &UnreachableError{API: c.origin(), Method: cl.method, Path: cl.path, Attempts: n, Err: err}
	}
	return &RetryExhaustedError{Method: cl.method, Path: cl.path, Attempts: n, Err: err}
}

// failed is the error of a call that failed for good at attempt n with
// err: a call not retried (a plain POST) may have got no connection.
func (c *Client) failed(cl *call, n int, err error) error {
	if connectFailed(err) {
		return c.giveUp(cl, n, err)
	}
	return err
}

// tellUnreachable tells OnUnreachable of a wait after a failed
// connection, until the API has answered once: one notice per wait,
// however many calls wait at the same time.
func (c *Client) tellUnreachable(err error, wait time.Duration, attempt, attempts int) {
	if c.onUnreachable == nil || !connectFailed(err) || c.reached.Load() {
		return
	}
	now := c.now()
	c.mu.Lock()
	told := now.Before(c.toldUntil)
	if !told {
		c.toldUntil = now.Add(wait)
	}
	c.mu.Unlock()
	if !told {
		c.onUnreachable(UnreachableWait{API: c.origin(), Reason: connectReason(err), Wait: wait, Attempt: attempt, Attempts: attempts})
	}
}

// origin is the gateway's URL, as the user configured it.
func (c *Client) origin() string { return c.base.Scheme + "://" + c.base.Host }
