package exportcmd

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/duration"
)

// sinceMargin widens a --since window: search indexes lag behind edits,
// and clocks differ.
const sinceMargin = 5 * time.Minute

var sinceAgo = regexp.MustCompile(`^(\d+)\s*([mhdw])$`)

// parseSince reads --since: an RFC 3339 time, a date or "date hh:mm" in
// the local time zone, or an age such as 90m, 36h, 7d, 2w.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if m := sinceAgo.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		return now.Add(-time.Duration(n) * unit), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, cmdutil.Usagef("--since %q: use a time (2026-11-01T09:00:00Z, 2026-11-01, \"2026-11-01 09:00\") or an age (90m, 36h, 7d, 2w)", s)
}

// sinceNotice says what a --since run exports: what changed since when,
// as of now, in the words people use for the window.
func sinceNotice(since, now time.Time) string {
	return fmt.Sprintf("Exporting what changed since %s (the last %s, with a margin of %s).",
		since.Local().Format("2006-01-02 15:04 MST"), duration.Words(now.Sub(since)), duration.Words(sinceMargin))
}

// sinceMinutes is the relative window, in whole minutes, that covers
// since with the margin. Relative windows avoid the time-zone trap of
// absolute dates in JQL and CQL, which Atlassian reads in the user's
// profile time zone.
func sinceMinutes(since, now time.Time) int {
	return int(math.Ceil((now.Sub(since) + sinceMargin).Minutes()))
}
