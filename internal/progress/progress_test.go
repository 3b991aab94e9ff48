package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNilBarDoesNothing(_ *testing.T) {
	var b *Bar
	b.Wrote("issue", 1, 10)
	b.Paused(time.Now())
	b.Finish()
}

// clock is a fake clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestBar is a Bar on a fake clock, with no repainting goroutine: the
// test asks for the line itself.
func newTestBar(t *testing.T, opts Options) (*Bar, *clock, *bytes.Buffer) {
	t.Helper()
	c := &clock{now: time.Date(2026, 3, 2, 14, 50, 0, 0, time.UTC)}
	opts.Now = c.Now
	var out bytes.Buffer
	return newBar(&out, opts), c, &out
}

func jiraOptions(total int64) Options {
	return Options{Items: "issues", Kinds: []string{"issue"}, Total: total, Points: func() int64 { return 312 }}
}

// The first frames say what is counted and nothing they cannot know: no
// rate and no time left after one issue in a few milliseconds.
func TestFirstFramesClaimNoRate(t *testing.T) {
	b, c, _ := newTestBar(t, jiraOptions(800))
	b.Wrote("fields", 0, 4_000)
	c.advance(30 * time.Millisecond)
	b.Wrote("issue", 2, 3*1024*1024)
	got := b.line()
	want := "issues 1/800, attachments 2, 3.0 MiB, 312 points"
	if got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
	// Many issues in little time, or few in much time: still no claim.
	for range 20 {
		b.Wrote("issue", 0, 0)
	}
	c.advance(time.Second)
	if got := b.line(); strings.Contains(got, "/s") || strings.Contains(got, "left") {
		t.Errorf("a rate after one second: %q", got)
	}
}

func TestRateAndTimeLeftOnceThereIsEnough(t *testing.T) {
	b, c, _ := newTestBar(t, jiraOptions(800))
	for range 9 {
		b.Wrote("issue", 0, 1000)
	}
	c.advance(10 * time.Second)
	if got := b.line(); strings.Contains(got, "/s") {
		t.Errorf("a rate from nine issues: %q", got)
	}
	b.Wrote("issue", 0, 1000)
	// 10 issues in 10 s: 1 a second, 790 left.
	want := "issues 10/800, 9.8 KiB, 312 points, 1.0 issues/s, about 13 minutes left"
	if got := b.line(); got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
	for range 190 {
		b.Wrote("issue", 0, 0)
	}
	c.advance(10 * time.Second) // 200 in 20 s: 10 a second, 600 left
	if got := b.line(); !strings.HasSuffix(got, ", 10 issues/s, about 60 seconds left") {
		t.Errorf("line = %q", got)
	}
}

// Without a total (an update), the count stands alone and there is no
// time left to tell.
func TestNoTotal(t *testing.T) {
	b, c, _ := newTestBar(t, Options{Items: "pages and blog posts", Kinds: []string{"page", "blogpost"}, Total: -1})
	b.Wrote("space", 0, 100)
	b.Wrote("folder", 0, 100)
	b.Wrote("page", 1, 1000)
	b.Wrote("blogpost", 0, 1000)
	if got, want := b.line(), "pages and blog posts 2, attachments 1, 2.1 KiB"; got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
	for range 20 {
		b.Wrote("page", 0, 0)
	}
	c.advance(6 * time.Second)
	if got := b.line(); !strings.HasSuffix(got, ", 3.7 pages and blog posts/s") {
		t.Errorf("line = %q", got)
	}
}

// A resumed export counts what is already there, and its rate only what
// this run wrote.
func TestResumeCountsWhatIsThere(t *testing.T) {
	opts := jiraOptions(800)
	opts.Already = Counts{Items: 700, Attachments: 40, Bytes: 10 << 20}
	b, c, _ := newTestBar(t, opts)
	for range 50 {
		b.Wrote("issue", 0, 0)
	}
	c.advance(10 * time.Second) // 5 a second, 50 left
	want := "issues 750/800, attachments 40, 10.0 MiB, 312 points, 5.0 issues/s, about 10 seconds left"
	if got := b.line(); got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
}

// More than the estimate: the count goes on, with no time left to claim.
func TestPastTheEstimate(t *testing.T) {
	b, c, _ := newTestBar(t, jiraOptions(10))
	for range 12 {
		b.Wrote("issue", 0, 0)
	}
	c.advance(6 * time.Second)
	if got := b.line(); !strings.HasPrefix(got, "issues 12/10,") || strings.Contains(got, "left") {
		t.Errorf("line = %q", got)
	}
}

func TestQuotaPauseCountsDown(t *testing.T) {
	b, c, out := newTestBar(t, jiraOptions(10))
	b.Wrote("issue", 0, 0)
	b.Paused(c.Now().Add(90 * time.Second))
	if got := b.line(); !strings.HasSuffix(got, "; rate-limit quota used up: waiting 90 seconds") {
		t.Errorf("line = %q", got)
	}
	if !strings.Contains(out.String(), "waiting 90 seconds") {
		t.Errorf("the pause was not shown at once: %q", out.String())
	}
	c.advance(91 * time.Second)
	if got := b.line(); strings.Contains(got, "waiting") {
		t.Errorf("line after the pause = %q", got)
	}
}

// Points are explained once, when the line starts; the line is drawn
// over itself and ends with a newline.
func TestPointsExplainedOnceAndLineEnds(t *testing.T) {
	b, _, out := newTestBar(t, jiraOptions(10))
	b.Wrote("issue", 0, 0)
	b.paint()
	b.paint()
	b.Finish()
	s := out.String()
	if n := strings.Count(s, "rate-limit points"); n != 1 {
		t.Errorf("points explained %d times:\n%q", n, s)
	}
	if !strings.Contains(s, "\rissues 1/10, 0 B, 312 points") || !strings.HasSuffix(s, "\n") {
		t.Errorf("output %q", s)
	}
	// Without points, nothing to explain.
	b, _, out = newTestBar(t, Options{Items: "issues", Kinds: []string{"issue"}, Total: 10})
	b.Finish()
	if strings.Contains(out.String(), "points") {
		t.Errorf("points explained without points: %q", out.String())
	}
}

// A line wider than the terminal would wrap, and the next frame would
// then not cover it: it is cut to the width.
func TestLineFitsTheTerminal(t *testing.T) {
	opts := jiraOptions(800)
	opts.Width = func() int { return 20 }
	b, _, out := newTestBar(t, opts)
	b.Wrote("issue", 3, 5<<20)
	b.paint()
	last := out.String()[strings.LastIndex(out.String(), "\r")+1:]
	if line := strings.TrimSuffix(last, "\x1b[K"); len(line) > 19 {
		t.Errorf("a line of %d bytes on a terminal of 20 columns: %q", len(line), line)
	}
}

// The search before the first item says nothing of the pace: the rate
// counts from the first item written.
func TestRateCountsFromTheFirstItem(t *testing.T) {
	b, c, _ := newTestBar(t, jiraOptions(100))
	c.advance(time.Minute)
	for range 10 {
		b.Wrote("issue", 0, 0)
	}
	c.advance(5 * time.Second)
	if got := b.line(); !strings.HasSuffix(got, ", 2.0 issues/s, about 45 seconds left") {
		t.Errorf("line = %q", got)
	}
}

// The points of the hour are shown against the run's share of the
// quota, and what remains of it once the API tells.
func TestQuotaOnTheLine(t *testing.T) {
	for _, tc := range []struct {
		quota Quota
		want  string
	}{
		{Quota{Spent: 312, Limit: 65000, Window: time.Hour, Remaining: -1}, "312 points (312/65000 this hour)"},
		{Quota{Spent: 40, Limit: 5000, Window: time.Hour, Remaining: 11000}, "312 points (40/5000 this hour; 11000 left)"},
		{Quota{Spent: 7, Limit: 50, Window: 2 * time.Second, Remaining: 0}, "312 points (7/50 in this window of 2 seconds; 0 left)"},
	} {
		opts := jiraOptions(800)
		opts.Quota = func() Quota { return tc.quota }
		b, _, _ := newTestBar(t, opts)
		b.Wrote("issue", 0, 0)
		if got := b.line(); got != "issues 1/800, 0 B, "+tc.want {
			t.Errorf("line = %q, want it to end %q", got, tc.want)
		}
	}
}
