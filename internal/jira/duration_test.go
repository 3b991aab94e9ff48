package jira

import "testing"

// TestDuration checks that a time spent is written in hours and minutes,
// never in days, whose length is a setting of the site.
func TestDuration(t *testing.T) {
	for secs, want := range map[int]string{
		0: "0m", 59: "0m", 60: "1m", 3600: "1h", 5400: "1h 30m",
		8 * 3600: "8h", 86400: "24h", 99900: "27h 45m", 5*86400 + 60: "120h 1m",
	} {
		if got := duration(secs); got != want {
			t.Errorf("duration(%d) = %q, want %q", secs, got, want)
		}
	}
}
