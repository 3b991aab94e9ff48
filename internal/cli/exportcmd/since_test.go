package export

import (
	"testing"
	"time"
)

func TestSinceWindow(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"90m": 90 * time.Minute, "36h": 36 * time.Hour, "7d": 7 * 24 * time.Hour, "2w": 14 * 24 * time.Hour,
		"2026-11-23T10:00:00Z": 2 * time.Hour,
	} {
		got, err := parseSince(in, now)
		if err != nil || now.Sub(got) != want {
			t.Errorf("parseSince(%q) = %v, %v; want %v ago", in, got, err, want)
		}
	}
	if _, err := parseSince("last tuesday", now); err == nil {
		t.Error("a vague time was accepted")
	}
	if got := sinceMinutes(now.Add(-time.Hour), now); got != 65 {
		t.Errorf("the window of an hour ago is %d minutes, want 65 (with the margin)", got)
	}
	for minutes, want := range map[int]string{65: "65m", 10_000: "10000m", 10_001: "167h", 400_000: "6667h", 700_000: "487d"} {
		if got := windowAge(minutes); got != want {
			t.Errorf("windowAge(%d) = %q, want %q", minutes, got, want)
		}
	}
}

func TestNarrow(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"project = ABC", "(project = ABC) AND updated >= -5m"},
		{"project = ABC ORDER BY key", "(project = ABC) AND updated >= -5m ORDER BY key"},
		{`summary ~ "order by" and project = A`, `(summary ~ "order by" and project = A) AND updated >= -5m`},
		{"order by created", "updated >= -5m order by created"},
	} {
		if got := narrow(c.in, "updated >= -5m"); got != c.want {
			t.Errorf("narrow(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
