// Package progress shows a long export's progress on a terminal: items,
// bytes, rate, rate-limit points and, when the total is known, the ETA;
// and a countdown while the rate-limit quota is exhausted.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aumo-cli/aumo/internal/bytesize"
	"github.com/schollz/progressbar/v3"
)

// Bar is a progress line. A nil *Bar does nothing, so callers need no
// checks when there is no terminal.
type Bar struct {
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	w      io.Writer
	bytes  int64
	points func() int64
	paused time.Time
	stop   chan struct{}
}

// New starts a progress line on w for total items (-1: unknown). points
// reports the rate-limit points spent so far; nil: not shown.
func New(w io.Writer, total int64, points func() int64) *Bar {
	b := &Bar{w: w, points: points, stop: make(chan struct{})}
	b.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetItsString("items"),
		progressbar.OptionShowIts(),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(total > 0),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSpinnerType(14),
	)
	go b.tick()
	return b
}

// tick refreshes the description once a second: bytes, points, and the
// quota countdown.
func (b *Bar) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.describe()
		}
	}
}

func (b *Bar) describe() {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := bytesize.Format(b.bytes)
	if b.points != nil {
		d += fmt.Sprintf(" · %d points", b.points())
	}
	if left := time.Until(b.paused); left > 0 {
		d += fmt.Sprintf(" · rate-limit quota used up: waiting %s", left.Round(time.Second))
	}
	b.bar.Describe(d)
}

// Add counts written items and bytes.
func (b *Bar) Add(items int, bytes int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.bytes += bytes
	b.mu.Unlock()
	_ = b.bar.Add(items)
}

// Paused shows a countdown until the rate-limit quota resets.
func (b *Bar) Paused(until time.Time) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.paused = until
	b.mu.Unlock()
	b.describe()
}

// Finish ends the line.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	close(b.stop)
	b.describe()
	_ = b.bar.Finish()
	fmt.Fprintln(b.w)
}
