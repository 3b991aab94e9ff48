package auth

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
)

// tokenRetries is how often a failing token request is tried again.
const tokenRetries = 3

// retryBase is the first back-off; tests shorten it.
var retryBase = 500 * time.Millisecond

// SetRetryBaseForTesting shortens the token endpoint's back-off in tests.
func SetRetryBaseForTesting(d time.Duration) { retryBase = d }

// retryTransport retries requests to the authorization server that were
// answered 429 or 5xx, or failed on the way. A refresh may be sent again
// after any failure: Atlassian accepts a refresh token again within its
// reuse leeway, and aumo still holds the lock that keeps other processes
// out. An authorization code is single-use, so an exchange is sent again
// only when it cannot have arrived (the connection was never made) or was
// answered with a failure.
type retryTransport struct {
	base       http.RoundTripper
	replaySafe bool
}

func (t retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var lastErr error
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 {
			if req.Body != nil && req.GetBody == nil {
				return nil, lastErr
			}
			r = req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := t.base.RoundTrip(r)
		wait := time.Duration(0)
		switch {
		case err != nil && !t.replaySafe && !isDialError(err):
			return nil, err
		case err != nil:
			lastErr = err
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			lastErr = fmt.Errorf("HTTP %d after %d tries", resp.StatusCode, attempt+1)
			wait = retryAfter(resp)
			if attempt == tokenRetries {
				return resp, nil
			}
			_ = resp.Body.Close()
		default:
			return resp, nil
		}
		if attempt == tokenRetries {
			return nil, fmt.Errorf("%w (after %d tries)", lastErr, attempt+1)
		}
		if wait == 0 {
			wait = time.Duration(float64(retryBase<<attempt) * (0.7 + 0.6*rand.Float64())) //nolint:gosec // jitter needs no secrecy
		}
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-time.After(wait):
		}
	}
}

func retryAfter(resp *http.Response) time.Duration {
	s, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || s < 0 {
		return 0
	}
	return min(time.Duration(s)*time.Second, 30*time.Second)
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
