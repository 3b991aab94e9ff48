package export

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/secret"
)

// attachmentFaults are what the test cloud does to a plan's downloads,
// by attachment id, and what it counts.
type attachmentFaults struct {
	// short makes the first k downloads of an attachment end early.
	short map[string]*atomic.Int32
	// denied makes the first k downloads of an attachment meet a media
	// host that refuses a stale link.
	denied map[string]*atomic.Int32
	// failing attachments answer 500 at the gateway on every try.
	failing map[string]bool
	// stopAt cancels the run when that attachment is asked for.
	stopAt string
	cancel context.CancelFunc
	// downloads counts the downloads served whole.
	downloads atomic.Int32
}

// testCloud serves the attachments of the tests' plans the way Jira does:
// the gateway redirects to a media host, which serves the bytes. The
// plans' downloads go through a real *atlassian.Client, so that they are
// retried as in an export.
var testCloud struct {
	once   sync.Once
	client *atlassian.Client
	mu     sync.Mutex
	plans  []*attachmentFaults
}

// downloader returns the client every test's export downloads with.
func downloader() Downloader {
	testCloud.once.Do(func() {
		srv := httptest.NewServer(http.HandlerFunc(serveAttachment))
		c, err := atlassian.New(atlassian.Options{
			APIURL: srv.URL, Product: atlassian.Jira, CloudID: "c1", Tokens: staticToken{},
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		})
		if err != nil {
			panic(err)
		}
		testCloud.client = c
	})
	return testCloud.client
}

// attachmentPath registers a plan's faults (once) and returns the API
// path of one of its attachments, which names the plan, the attachment
// and its size.
func attachmentPath(f *attachmentFaults, aid string, size int64) string {
	testCloud.mu.Lock()
	defer testCloud.mu.Unlock()
	n := -1
	for i, p := range testCloud.plans {
		if p == f {
			n = i
		}
	}
	if n < 0 {
		testCloud.plans = append(testCloud.plans, f)
		n = len(testCloud.plans) - 1
	}
	return fmt.Sprintf("/attachment/%d/%s/%d", n, aid, size)
}

// serveAttachment answers /ex/jira/c1/attachment/PLAN/ID/SIZE with a
// redirect to the media host's /file/media-ID/binary?plan=PLAN&size=SIZE
// (so that the download learns the media id "media-ID"), and that with
// the content.
func serveAttachment(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/ex/jira/c1/attachment/"); ok {
		parts := strings.Split(rest, "/")
		f, aid := plan(parts[0]), parts[1]
		switch {
		case aid == f.stopAt:
			f.cancel()
			w.WriteHeader(http.StatusServiceUnavailable)
		case f.failing[aid]:
			w.WriteHeader(http.StatusInternalServerError)
		default:
			http.Redirect(w, r, "/file/media-"+aid+"/binary?plan="+parts[0]+"&size="+parts[2], http.StatusFound)
		}
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/file/media-")
	aid, ok2 := strings.CutSuffix(rest, "/binary")
	if !ok || !ok2 {
		http.NotFound(w, r)
		return
	}
	size, _ := strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
	media(w, plan(r.URL.Query().Get("plan")), aid, size)
}

func plan(n string) *attachmentFaults {
	i, _ := strconv.Atoi(n)
	testCloud.mu.Lock()
	defer testCloud.mu.Unlock()
	return testCloud.plans[i]
}

func media(w http.ResponseWriter, f *attachmentFaults, aid string, size int64) {
	body := content(aid, size)
	if c, ok := f.denied[aid]; ok && c.Add(-1) >= 0 {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	if c, ok := f.short[aid]; ok && c.Add(-1) >= 0 {
		// No Content-Length: only the size the API stated tells.
		w.(http.Flusher).Flush()
		_, _ = w.Write(body[:len(body)/2])
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
	f.downloads.Add(1)
}

type staticToken struct{}

func (staticToken) AccessToken(context.Context) (secret.String, error) {
	return secret.New("token"), nil
}

func (staticToken) Reject(secret.String) {}
