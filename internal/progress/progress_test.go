package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestNilBarDoesNothing(_ *testing.T) {
	var b *Bar
	b.Add(1, 10)
	b.Paused(time.Now())
	b.Finish()
}

func TestBarShowsItemsBytesPointsAndTheQuotaPause(t *testing.T) {
	var out bytes.Buffer
	b := New(&out, 10, func() int64 { return 42 })
	b.Add(3, 3*1024*1024)
	b.Paused(time.Now().Add(90 * time.Second))
	b.Finish()
	s := out.String()
	for _, want := range []string{"3/10", "3.0 MiB", "42 points", "rate-limit quota used up: waiting 1m"} {
		if !strings.Contains(s, want) {
			t.Errorf("progress line lacks %q:\n%q", want, s)
		}
	}
}
