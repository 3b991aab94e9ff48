// Package progress shows a long export's progress on a terminal: the
// items written (issues, or pages and blog posts) against the query's
// estimate, their attachments and bytes, the rate-limit points spent and,
// once there is enough to go on, the rate and the time left; and a
// countdown while the rate-limit quota is used up.
package progress

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aumo-cli/aumo/internal/bytesize"
	"github.com/aumo-cli/aumo/internal/duration"
)

// A rate needs enough behind it to be true. The first items come in a
// burst (what one bulk request returned), and a rate taken from them
// promises a time left that is wrong by orders of magnitude. So the line
// tells neither before the run has written minRateItems items over
// minRateTime. The time is counted from the first item written: the
// search and the first fetches before it say nothing of the pace.
const (
	minRateTime  = 5 * time.Second
	minRateItems = 10
)

// repaint is how often the line is drawn again.
const repaint = 250 * time.Millisecond

// pointsLegend explains, once, the points the line counts.
const pointsLegend = "Points are Atlassian's rate-limit points: about one per request and one per object it returns, " +
	"drawn from an hourly quota that every user of the OAuth app shares."

// Options say what a Bar counts.
type Options struct {
	// Items names what the line counts, plural: "issues", "pages and
	// blog posts". Kinds are the export format's kinds it counts
	// ("issue"; "page", "blogpost"); other kinds (the field list,
	// spaces, folders) add only their bytes.
	Items string
	Kinds []string
	// Total is the query's estimate of the items; -1 when unknown.
	Total int64
	// Already is what a resumed export holds: shown, but no part of
	// the rate.
	Already Counts
	// Points reports the rate-limit points spent so far; nil: not shown.
	Points func() int64
	// Quota reports the points spent in the quota's current window
	// against what the run may spend in it, and what the API says
	// remains; nil: not shown.
	Quota func() Quota
	// Width reports the terminal's width in columns (0: unknown). A
	// longer line is cut: a line that wraps is not drawn over by the
	// next.
	Width func() int
	// Now replaces the clock in tests; nil: time.Now.
	Now func() time.Time
}

// Quota is the rate-limit quota as the run sees it.
type Quota struct {
	// Spent is what the run spent in the current window, of Limit.
	Spent, Limit int64
	// Window is the quota's window: an hour, or what the API names.
	Window time.Duration
	// Remaining is what the API says is left of the app's quota; -1
	// when it says nothing (it tells only near the limit).
	Remaining int64
}

// String is "312/65000 this hour", with "; 11000 left" when the API
// tells what remains.
func (q Quota) String() string {
	window := "this hour"
	if q.Window != time.Hour {
		window = "in this window of " + duration.Words(q.Window)
	}
	s := fmt.Sprintf("%d/%d %s", q.Spent, q.Limit, window)
	if q.Remaining >= 0 {
		s += fmt.Sprintf("; %d left", q.Remaining)
	}
	return s
}

// Counts are items of the kinds counted, their attachments, and the
// bytes of all files.
type Counts struct {
	Items, Attachments, Bytes int64
}

// Bar is a progress line. A nil *Bar does nothing, so callers need no
// checks when there is no terminal. Safe for concurrent use.
type Bar struct {
	w    io.Writer
	opts Options

	mu        sync.Mutex
	first     time.Time // when this run wrote its first item counted
	items     int64     // shown: this run's and those already there
	run       int64     // written by this run, for the rate
	attached  int64
	bytes     int64
	paused    time.Time
	explained bool

	stop, stopped chan struct{} // the repainting goroutine's; nil without one
}

// New starts a progress line on w, drawn again every quarter second
// until Finish.
func New(w io.Writer, opts Options) *Bar {
	b := newBar(w, opts)
	b.stop, b.stopped = make(chan struct{}), make(chan struct{})
	go b.tick()
	return b
}

// newBar is a Bar that is drawn only when asked to.
func newBar(w io.Writer, opts Options) *Bar {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := opts.Already
	return &Bar{w: w, opts: opts, items: a.Items, attached: a.Attachments, bytes: a.Bytes}
}

func (b *Bar) tick() {
	defer close(b.stopped)
	t := time.NewTicker(repaint)
	defer t.Stop()
	b.paint()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.paint()
		}
	}
}

// Wrote counts an item written: its kind, how many attachments came
// with it, and the bytes of all its files.
func (b *Bar) Wrote(kind string, attachments int, bytes int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attached += int64(attachments)
	b.bytes += bytes
	if slices.Contains(b.opts.Kinds, kind) {
		if b.run == 0 {
			b.first = b.opts.Now()
		}
		b.items++
		b.run++
	}
}

// Paused shows a countdown until the rate-limit quota resets.
func (b *Bar) Paused(until time.Time) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.paused = until
	b.mu.Unlock()
	b.paint()
}

// Finish draws the line a last time and ends it.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	if b.stop != nil {
		close(b.stop)
		<-b.stopped
	}
	b.paint()
	fmt.Fprintln(b.w)
}

// paint draws the line over the previous one, after the points legend
// the first time.
func (b *Bar) paint() {
	line := b.line()
	if width := b.width(); width > 0 && len(line) >= width {
		line = line[:width-1]
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.explained && b.opts.Points != nil {
		fmt.Fprintln(b.w, pointsLegend)
		b.explained = true
	}
	fmt.Fprint(b.w, "\r"+line+"\x1b[K")
}

func (b *Bar) width() int {
	if b.opts.Width == nil {
		return 0
	}
	return b.opts.Width()
}

// line is what the line says now, such as "issues 120/800, attachments
// 54, 7.8 MiB, 312 points (312/65000 this hour), 4.2 issues/s, about 3
// minutes left".
func (b *Bar) line() string {
	var points string
	if b.opts.Points != nil {
		// Read before taking the lock: the client may tell of a pause,
		// which takes it, while it is asked for its points.
		points = fmt.Sprintf("%d points", b.opts.Points())
		if b.opts.Quota != nil {
			points += " (" + b.opts.Quota().String() + ")"
		}
	}
	now := b.opts.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	parts := []string{b.count()}
	if b.attached > 0 {
		parts = append(parts, fmt.Sprintf("attachments %d", b.attached))
	}
	parts = append(parts, bytesize.Format(b.bytes))
	if points != "" {
		parts = append(parts, points)
	}
	parts = append(parts, b.pace(now)...)
	s := strings.Join(parts, ", ")
	if left := b.paused.Sub(now); left > 0 {
		s += "; rate-limit quota used up: waiting " + duration.Words(left)
	}
	return s
}

// count is "issues 120/800", or "issues 120" without an estimate.
func (b *Bar) count() string {
	if b.opts.Total > 0 {
		return fmt.Sprintf("%s %d/%d", b.opts.Items, b.items, b.opts.Total)
	}
	return fmt.Sprintf("%s %d", b.opts.Items, b.items)
}

// pace is the rate and the time left, once there is enough to tell them
// (see minRateTime); the time left only while the estimate is ahead.
func (b *Bar) pace(now time.Time) []string {
	elapsed := now.Sub(b.first)
	if b.run < minRateItems || elapsed < minRateTime {
		return nil
	}
	perSecond := float64(b.run) / elapsed.Seconds()
	out := []string{rate(perSecond, b.opts.Items)}
	if left := b.opts.Total - b.items; b.opts.Total > 0 && left > 0 {
		eta := time.Duration(float64(left) / perSecond * float64(time.Second))
		out = append(out, "about "+duration.Words(roughly(eta))+" left")
	}
	return out
}

// rate says a rate per second, or per minute below one a second.
func rate(perSecond float64, items string) string {
	unit := "/s"
	if perSecond < 1 {
		perSecond, unit = perSecond*60, "/min"
	}
	if perSecond >= 10 {
		return fmt.Sprintf("%.0f %s%s", perSecond, items, unit)
	}
	return fmt.Sprintf("%.1f %s%s", perSecond, items, unit)
}

// roughly rounds a time left to what is worth saying of it: up to five
// seconds at the end, to ten minutes beyond two hours.
func roughly(d time.Duration) time.Duration {
	const grain = 5 * time.Second
	switch {
	case d < 2*time.Minute:
		return (d + grain - 1).Truncate(grain)
	case d > 2*time.Hour:
		return d.Round(10 * time.Minute)
	}
	return d
}
