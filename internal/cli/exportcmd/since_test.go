package exportcmd

import (
	"strings"
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
}

// The window is said as people say it, not in minutes.
func TestSinceNotice(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{
		"7d": "the last 7 days", "2w": "the last 14 days", "36h": "the last 36 hours", "3h": "the last 3 hours",
		"90m": "the last 90 minutes", "2026-11-20T09:30:00Z": "the last 3 days and 3 hours",
	} {
		since, err := parseSince(in, now)
		if err != nil {
			t.Fatal(err)
		}
		// Validate and the run read the clock a moment apart.
		got := sinceNotice(since, now.Add(40*time.Millisecond))
		if !strings.Contains(got, "("+want+", with a margin of 5 minutes)") {
			t.Errorf("--since %s: %q, want %q", in, got, want)
		}
	}
}
