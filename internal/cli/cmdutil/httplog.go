package cmdutil

import (
	"log/slog"
	"net/http"
	"time"
)

// loggingTransport logs each request's method, host and path, its status
// and duration. Never the query (it may carry an authorization code), the
// headers (the bearer token) or a body (client secret, content).
type loggingTransport struct {
	base   http.RoundTripper
	logger *slog.Logger
}

func (t loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	attrs := []any{"method", req.Method, "host", req.URL.Host, "path", req.URL.Path, "duration", time.Since(start).Round(time.Millisecond)}
	if err != nil {
		t.logger.Debug("http request failed", append(attrs, "err", err)...)
		return nil, err
	}
	t.logger.Debug("http", append(attrs, "status", resp.StatusCode)...)
	return resp, nil
}
