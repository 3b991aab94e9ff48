package atlassian

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// pages answers every request with as many objects as its maxResults
// asks for (at most left), and records the page sizes asked.
type pages struct {
	mu    sync.Mutex
	left  int
	asked []int
}

func (p *pages) serve(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
	if r.Method == http.MethodPost {
		var body struct {
			MaxResults int `json:"maxResults"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		n = body.MaxResults
	}
	p.mu.Lock()
	p.asked = append(p.asked, n)
	n = min(n, p.left)
	p.left -= n
	p.mu.Unlock()
	reply(w, http.StatusOK, fmt.Sprintf(`{"count":%d}`, n))
}

// page fetches a page and counts what it returned, as the products do.
func page(ctx context.Context, c *Client, post bool, size int) error {
	var out struct{ Count int }
	var err error
	if post {
		err = c.PostJSON(ctx, "/rest/api/3/search/jql", map[string]any{"jql": "project = ABC", "maxResults": size}, &out, Idempotent)
	} else {
		err = c.GetJSON(ctx, "/rest/api/3/issue/1/comment", url.Values{"maxResults": {strconv.Itoa(size)}}, &out)
	}
	if err == nil {
		path := "/rest/api/3/issue/1/comment"
		if post {
			path = "/rest/api/3/search/jql"
		}
		c.Charge(path, out.Count)
	}
	return err
}

func TestMaxPointsStopsBeforePassingTheBudget(t *testing.T) {
	for _, post := range []bool{false, true} {
		t.Run(fmt.Sprintf("post=%v", post), func(t *testing.T) {
			p := &pages{left: 1000}
			var told []*BudgetError
			h := setup(t, p.serve, func(o *Options) {
				o.MaxPoints = 250
				o.OnBudget = func(e *BudgetError) { told = append(told, e) }
			})
			ctx := context.Background()
			var err error
			for range 20 {
				if err = page(ctx, h.c, post, 100); err != nil {
					break
				}
			}
			var be *BudgetError
			if !errors.As(err, &be) || be.MaxPoints != 250 {
				t.Fatalf("err %v, want a *BudgetError of 250 points", err)
			}
			// Two whole pages (202 points), then one asked smaller to fit:
			// the budget is spent to the point, not past it.
			if got := h.c.Stats().Points; got != 250 {
				t.Errorf("spent %d points, want 250", got)
			}
			if fmt.Sprint(p.asked) != "[100 100 47]" {
				t.Errorf("page sizes asked %v, want [100 100 47]", p.asked)
			}
			if len(told) != 1 || told[0] != be {
				t.Errorf("OnBudget told %v, want once, with the error returned", told)
			}
			// Every later call stops too, without a request.
			if err := page(ctx, h.c, post, 1); !errors.As(err, &be) {
				t.Errorf("a later call: %v", err)
			}
			if len(p.asked) != 3 || h.c.Stats().Requests != 3 {
				t.Errorf("%d requests after the stop", len(p.asked)-3)
			}
		})
	}
}

// What a page under way holds of the budget is what it may return, not
// what it will: a batch that fits once that page is counted waits for
// it rather than end the run short of its budget.
func TestMaxPointsWaitsForWhatOthersHold(t *testing.T) {
	arrived, answer, waiting := make(chan struct{}), make(chan struct{}), make(chan struct{}, 1)
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/comment") {
			close(arrived)
			<-answer
		}
		reply(w, http.StatusOK, `{"count":2}`)
	}, func(o *Options) {
		o.MaxPoints = 300
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			select {
			case waiting <- struct{}{}:
			default:
			}
			return sleep(ctx, d)
		}
	})
	ctx := context.Background()
	first, second := make(chan error, 1), make(chan error, 1)
	go func() { first <- page(ctx, h.c, false, 200) }() // holds 200 points
	<-arrived
	go func() {
		second <- h.c.PostJSON(ctx, "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": make([]string, 150)}, nil, Idempotent)
	}()
	select {
	case <-waiting: // the batch of 150 waits for the page's hold
	case err := <-second:
		close(answer)
		t.Fatalf("the batch of 150 did not wait for the page's hold: %v", err)
	}
	close(answer)
	for _, done := range []chan error{first, second} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if st := h.c.Stats(); st.Requests != 2 || st.Points != 4 {
		t.Errorf("stats %+v, want both requests, the page's 2 objects", st)
	}
}

func TestMaxPointsCountsBatchesAndDownloads(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ex/jira/" + cloudID + "/rest/api/3/attachment/content/1":
			w.Header().Set("Location", "/file/x/binary")
			w.WriteHeader(http.StatusSeeOther)
		case "/file/x/binary":
			_, _ = w.Write([]byte("data"))
		default:
			reply(w, http.StatusOK, `{}`)
		}
	}, func(o *Options) { o.MaxPoints = 12 })
	ctx := context.Background()
	// A batch of ten ids may return ten issues: 11 points, room for it.
	if err := h.c.PostJSON(ctx, "/rest/api/3/issue/bulkfetch", map[string]any{"issueIdsOrKeys": make([]string, 10)}, nil, Idempotent); err != nil {
		t.Fatal(err)
	}
	h.c.Charge("/rest/api/3/field", 10)
	// A download costs its request and the file: 2 points, and 1 is left.
	var be *BudgetError
	err := h.c.RetryDownload(ctx, "/rest/api/3/attachment/content/1", func(*Download) error { return nil })
	if !errors.As(err, &be) || be.Spent != 11 {
		t.Fatalf("download with one point left: %v", err)
	}
	if st := h.c.Stats(); st.Requests != 1 || st.Points != 11 {
		t.Errorf("stats %+v", st)
	}
}

func TestPointsPerHourPaces(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		// A quota window of 10 s: 3600 points an hour allow 10 a window.
		w.Header().Set("Beta-RateLimit-Policy", `"global-app-quota";q=65000;w=10`)
		reply(w, http.StatusOK, `{}`)
	}, func(o *Options) { o.PointsPerHour = 3600 })
	ctx := context.Background()
	start := h.clock.Now()
	for range 31 {
		if err := h.c.GetJSON(ctx, "/rest/api/3/myself", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A point a second: 31 points take 30 seconds, less what the bucket
	// held (a tenth of the window's 10 points, one, and the first
	// request, which found it fuller); never faster than the pace.
	if took := h.clock.Now().Sub(start); took < 29*time.Second || took > 31*time.Second {
		t.Errorf("31 points took %s, want about 30s at 3600 an hour", took)
	}
	q := h.c.Quota()
	if q.Window != 10*time.Second || q.Limit != 10 || q.Remaining != -1 {
		t.Errorf("quota %+v, want a limit of 10 per 10s window, nothing said to remain", q)
	}
}

// A budget holds a page's worth of points for its answer; the pace waits
// for the requests' own points only, so a page larger than the pace's
// bucket goes out rather than wait forever for the bucket to hold it.
func TestPaceWithABudgetLetsLargePagesGo(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, http.StatusOK, `{"count":3}`) },
		func(o *Options) { o.MaxPoints, o.PointsPerHour = 20000, 10000 })
	done := make(chan error, 1)
	go func() { done <- page(context.Background(), h.c, true, 5000) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a page of 5000 under a pace of 10000 points an hour and a budget never went out")
	}
	if s := h.c.Stats(); s.Points != 4 {
		t.Errorf("stats %+v, want the request's point and its three objects", s)
	}
}

func TestPointsPerHourWaitsOutAnswersThatCostMore(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) { reply(w, http.StatusOK, `{}`) },
		func(o *Options) { o.PointsPerHour = 36000 }) // 10 a second; the hour's window holds 3600
	ctx := context.Background()
	if err := h.c.GetJSON(ctx, "/rest/api/3/myself", nil, nil); err != nil {
		t.Fatal(err)
	}
	h.c.Charge("/rest/api/3/field", 3600+99) // an answer worth the bucket and 100 points more
	before := h.clock.Now()
	if err := h.c.GetJSON(ctx, "/rest/api/3/myself", nil, nil); err != nil {
		t.Fatal(err)
	}
	if waited := h.clock.Now().Sub(before); waited < 10*time.Second || waited > 11*time.Second {
		t.Errorf("waited %s after a debt of about 100 points at 10 a second, want about 10s", waited)
	}
}

func TestRemainingQuotaIsRespected(t *testing.T) {
	var (
		mu    sync.Mutex
		calls int
	)
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		w.Header().Set("Beta-RateLimit-Policy", `"global-app-quota";q=65000;w=3600, "jira-burst-based";q=100;w=1`)
		if n <= 3 {
			// Near the limit: 3, 2, then 1 point left before the
			// request; the window ends in 120 s.
			w.Header().Set("Beta-RateLimit", fmt.Sprintf(`"global-app-quota";r=%d;t=120`, 4-n))
		} else {
			w.Header().Set("Beta-RateLimit", `"global-app-quota";t=3600`)
		}
		reply(w, http.StatusOK, `{}`)
	}, nil)
	ctx := context.Background()
	start := h.clock.Now()
	for range 4 {
		if err := h.c.GetJSON(ctx, "/rest/api/3/myself", nil, nil); err != nil {
			t.Fatal(err)
		}
		if q := h.c.Quota(); q.Limit != 65000 || q.Window != time.Hour {
			t.Errorf("quota %+v, want 65000 an hour", q)
		}
	}
	// The third answer left nothing: the fourth request waited for the
	// reset instead of meeting a 429, and nothing else waited.
	if waits := h.clock.Waits(); len(waits) != 1 || waits[0] != 120*time.Second {
		t.Errorf("waits %v, want one of 2m0s", waits)
	}
	if h.clock.Now().Sub(start) != 120*time.Second {
		t.Errorf("took %s", h.clock.Now().Sub(start))
	}
}

func TestQuotaShowsWhatRemains(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("RateLimit-Policy", `"tenant-app-quota";q=100100;w=3600`)
		w.Header().Set("RateLimit", `"tenant-app-quota";r=11000;t=600`)
		reply(w, http.StatusOK, `{}`)
	}, nil)
	if err := h.c.GetJSON(context.Background(), "/rest/api/3/myself", nil, nil); err != nil {
		t.Fatal(err)
	}
	h.c.Charge("/rest/api/3/field", 40)
	q := h.c.Quota()
	if q.Limit != 100100 || q.Spent != 41 || q.Remaining != 11000-41 {
		t.Errorf("quota %+v, want 41 spent of 100100, 10959 left", q)
	}
}

func TestParseQuotaHeaders(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    quotaHeaders
	}{
		{"none", nil, quotaHeaders{remaining: -1, reset: -1}},
		{"beta, far from the limit", map[string]string{
			"Beta-RateLimit-Policy": `"global-app-quota";q=65000;w=3600`,
			"Beta-RateLimit":        `"global-app-quota";t=600`,
		}, quotaHeaders{limit: 65000, window: time.Hour, remaining: -1, reset: 600 * time.Second}},
		{"enforced wins over beta", map[string]string{
			"Beta-RateLimit": `"global-app-quota";r=9;t=60`,
			"RateLimit":      `"global-app-quota";r=5;t=30`,
		}, quotaHeaders{remaining: 5, reset: 30 * time.Second}},
		{"burst policies are not the quota", map[string]string{
			"Beta-RateLimit-Policy": `"jira-burst-based";q=100;w=1, "tenant-app-quota";q=100100;w=3600`,
			"Beta-RateLimit":        `"jira-burst-based";r=3;t=1`,
		}, quotaHeaders{limit: 100100, window: time.Hour, remaining: -1, reset: -1}},
		{"garbage", map[string]string{"Beta-RateLimit": `"global-app-quota";r=lots;t=;x`}, quotaHeaders{remaining: -1, reset: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			if got := parseQuotaHeaders(h); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
