package atlassian

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// closedPort is the URL of a loopback port that nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return url
}

// waits records the notices of waits for an API that cannot be reached.
type waits struct {
	mu   sync.Mutex
	list []UnreachableWait
}

func (w *waits) add(u UnreachableWait) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, u)
}

func (w *waits) all() []UnreachableWait {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]UnreachableWait(nil), w.list...)
}

// An API that refuses the connection from the start is wrongly named or
// out of reach: a few quick attempts, each wait told, then an error that
// says so.
func TestUnreachableAPI(t *testing.T) {
	api := closedPort(t)
	var told waits
	h := setup(t, nil, func(o *Options) {
		o.APIURL = api
		o.HTTPClient = noKeepAlives()
		o.OnUnreachable = told.add
	})
	err := h.c.PostJSON(t.Context(), "/rest/api/3/search/approximate-count", map[string]string{"jql": "project = SECRET"}, nil, Idempotent)
	var down *UnreachableError
	if !errors.As(err, &down) {
		t.Fatalf("error %v (%T), want an *UnreachableError", err, err)
	}
	if down.API != api || down.Attempts != 3 {
		t.Errorf("error %+v", down)
	}
	for _, want := range []string{"cannot reach the API at " + api, "connection refused", "3 attempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error %q shows the query", err)
	}
	if got, want := h.clock.Waits(), []time.Duration{2 * time.Second, 4 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	want := []UnreachableWait{
		{API: api, Reason: "connection refused", Wait: 2 * time.Second, Attempt: 2, Attempts: 3},
		{API: api, Reason: "connection refused", Wait: 4 * time.Second, Attempt: 3, Attempts: 3},
	}
	if got := told.all(); !slices.Equal(got, want) {
		t.Errorf("told %+v\nwant %+v", got, want)
	}
}

// Calls that wait at the same moment are told as one wait, not one per
// call.
func TestUnreachableTellsOneWaitNotOnePerCall(t *testing.T) {
	api := closedPort(t)
	var told waits
	h := setup(t, nil, func(o *Options) {
		o.APIURL = api
		o.HTTPClient = noKeepAlives()
		o.OnUnreachable = told.add
		o.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() } // time stands still
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { _ = h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil) })
	}
	wg.Wait()
	if got := told.all(); len(got) != 1 {
		t.Errorf("told %d waits, want 1: %+v", len(got), got)
	}
}

// Once the API has answered, a connection that fails is a passing
// trouble of the network: every attempt is made, quietly, and the error
// still says what happened.
func TestUnreachableAfterAnAnswer(t *testing.T) {
	var told waits
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, http.StatusOK, `{}`) }, func(o *Options) {
		o.HTTPClient = noKeepAlives()
		o.OnUnreachable = told.add
	})
	if err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil); err != nil {
		t.Fatal(err)
	}
	h.srv.Close()
	err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil)
	var down *UnreachableError
	if !errors.As(err, &down) || down.Attempts != 6 {
		t.Fatalf("error %v, want an *UnreachableError after 6 attempts", err)
	}
	if got := told.all(); len(got) != 0 {
		t.Errorf("told %+v", got)
	}
}

// A server that answers, even with errors, is reached: its failures are
// no *UnreachableError.
func TestAnAnsweringServerIsReached(t *testing.T) {
	var told waits
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, http.StatusBadGateway, ``) }, func(o *Options) {
		o.OnUnreachable = told.add
	})
	err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil)
	var down *UnreachableError
	var exhausted *RetryExhaustedError
	if errors.As(err, &down) || !errors.As(err, &exhausted) || exhausted.Attempts != 6 {
		t.Errorf("error %v", err)
	}
	if got := told.all(); len(got) != 0 {
		t.Errorf("told %+v", got)
	}
}
