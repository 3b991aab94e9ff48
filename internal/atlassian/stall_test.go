package atlassian

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// stallTimeout keeps the tests quick; what they check is that a stalled
// request ends at all, and how.
const stallTimeout = 200 * time.Millisecond

// hang answers nothing until the client has gone.
func hang(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// hangMidBody sends the headers and the first part of a body, then
// nothing until the client has gone.
func hangMidBody(w http.ResponseWriter, r *http.Request, length int, first string) {
	w.Header().Set("Content-Length", strconv.Itoa(length))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, first)
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

func TestStalledCallsAreRetried(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stall http.HandlerFunc
	}{
		{"no answer", hang},
		{"a body that stops", func(w http.ResponseWriter, r *http.Request) { hangMidBody(w, r, 100, `{"issues":[`) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int32
			h := setup(t, func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) == 1 {
					tc.stall(w, r)
					return
				}
				reply(w, http.StatusOK, `{"ok":true}`)
			}, func(o *Options) { o.RequestTimeout = stallTimeout })
			var out struct{ OK bool }
			if err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, &out); err != nil {
				t.Fatal(err)
			}
			if !out.OK || hits.Load() != 2 || h.c.Stats().Retries != 1 {
				t.Fatalf("out %+v, %d hits, stats %+v", out, hits.Load(), h.c.Stats())
			}
		})
	}
}

func TestAStalledAPIEndsTheCallWithItsName(t *testing.T) {
	var hits atomic.Int32
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		hang(w, r)
	}, func(o *Options) { o.RequestTimeout = stallTimeout; o.MaxAttempts = 3 })
	err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil)
	var stall *StallError
	var exhausted *RetryExhaustedError
	if !errors.As(err, &stall) || !errors.As(err, &exhausted) {
		t.Fatalf("err %v (%T), want a *StallError after every attempt", err, err)
	}
	if want := "the API at " + h.srv.URL + " stopped answering"; !strings.Contains(err.Error(), want) {
		t.Fatalf("err %q, want it to say %q", err, want)
	}
	if hits.Load() != 3 || exhausted.Attempts != 3 {
		t.Fatalf("%d requests, %d attempts; want 3", hits.Load(), exhausted.Attempts)
	}
}

func TestCancelStopsAWaitForAnAnswer(t *testing.T) {
	// An interrupted run is no stall: its error is the context's.
	arrived := make(chan struct{}, 1)
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		hang(w, r)
	}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	err := h.c.GetJSON(ctx, "/rest/api/3/myself", nil, nil)
	var stall *StallError
	if !errors.Is(err, context.Canceled) || errors.As(err, &stall) {
		t.Fatalf("err %v, want the cancellation", err)
	}
}

func TestStalledDownloadsStartOver(t *testing.T) {
	var served atomic.Int32
	media, _ := mediaHost(t, func(w http.ResponseWriter, r *http.Request) {
		switch served.Add(1) {
		case 1:
			hang(w, r)
		case 2:
			hangMidBody(w, r, len(fileContent), fileContent[:5])
		default:
			serveContent(w, r)
		}
	})
	api, apiHits := attachmentAPI(t, func() string { return media.URL })
	h := setup(t, api, func(o *Options) { o.RequestTimeout = stallTimeout })

	var sink bytes.Buffer
	err := h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
		sink.Reset()
		_, err := io.Copy(&sink, d.Body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if sink.String() != fileContent || apiHits.Load() != 3 {
		t.Fatalf("sink %q after %d API requests", sink.String(), apiHits.Load())
	}
}

func TestAStalledMediaHostIsNamed(t *testing.T) {
	media, _ := mediaHost(t, hang)
	api, _ := attachmentAPI(t, func() string { return media.URL })
	h := setup(t, api, func(o *Options) { o.RequestTimeout = stallTimeout; o.MaxAttempts = 2 })
	err := h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
		_, err := io.Copy(io.Discard, d.Body)
		return err
	})
	if want := "the media host at " + media.URL + " stopped answering"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err %v, want it to say %q", err, want)
	}
	if strings.Contains(err.Error(), "signed-jwt") {
		t.Fatalf("err %q shows the signed link", err)
	}
}

func TestASlowReaderIsNoStall(t *testing.T) {
	// The body is all there; the reader takes its time (a slow disk).
	h := setup(t, nil, func(o *Options) { o.RequestTimeout = stallTimeout })
	big := bytes.Repeat([]byte("x"), 8<<20) // more than any buffer holds
	media, _ := mediaHost(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		_, _ = w.Write(big)
	})
	api, _ := attachmentAPI(t, func() string { return media.URL })
	h.srv.Config.Handler = api
	err := h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
		first := make([]byte, 3)
		if _, err := io.ReadFull(d.Body, first); err != nil {
			return err
		}
		time.Sleep(3 * stallTimeout)
		_, err := io.Copy(io.Discard, d.Body)
		return err
	})
	if err != nil {
		t.Fatalf("a slow reader: %v", err)
	}
}
