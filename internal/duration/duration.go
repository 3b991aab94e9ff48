// Package duration says lengths of time as people say them: "90
// minutes", "3 hours and 20 minutes", "7 days".
package duration

import (
	"fmt"
	"time"
)

const day = 24 * time.Hour

// Words says d in the unit people would use for it, rounded to that unit:
// seconds below two minutes, minutes below two hours, hours (and
// minutes) below two days, days (and hours) beyond. The sign is dropped:
// "3 hours ago" and "in 3 hours" are the caller's to say.
func Words(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if s := d.Round(time.Second); s < 2*time.Minute {
		return count(int64(s/time.Second), "second")
	}
	m := d.Round(time.Minute)
	switch {
	case m < 2*time.Hour:
		return count(int64(m/time.Minute), "minute")
	case m < 2*day:
		return pair(int64(m/time.Hour), "hour", int64(m%time.Hour/time.Minute), "minute")
	}
	h := d.Round(time.Hour)
	return pair(int64(h/day), "day", int64(h%day/time.Hour), "hour")
}

func count(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// pair says n units and, when there are any, m smaller ones.
func pair(n int64, unit string, m int64, smaller string) string {
	if m == 0 {
		return count(n, unit)
	}
	return count(n, unit) + " and " + count(m, smaller)
}
