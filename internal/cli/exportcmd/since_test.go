package exportcmd

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
}
