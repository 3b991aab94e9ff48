package duration

import (
	"testing"
	"time"
)

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 seconds"},
		{400 * time.Millisecond, "0 seconds"},
		{time.Second, "1 second"},
		{1600 * time.Millisecond, "2 seconds"},
		{45 * time.Second, "45 seconds"},
		{90 * time.Second, "90 seconds"},
		{2 * time.Minute, "2 minutes"},
		{5 * time.Minute, "5 minutes"},
		{90 * time.Minute, "90 minutes"},
		{90*time.Minute + 20*time.Second, "90 minutes"},
		{2 * time.Hour, "2 hours"},
		{3 * time.Hour, "3 hours"},
		{3*time.Hour + time.Minute, "3 hours and 1 minute"},
		{3*time.Hour + 20*time.Minute + 10*time.Second, "3 hours and 20 minutes"},
		{36 * time.Hour, "36 hours"},
		{48 * time.Hour, "2 days"},
		{7 * 24 * time.Hour, "7 days"},
		{7*24*time.Hour + 5*time.Minute, "7 days"},
		{4*24*time.Hour + 14*time.Hour + 22*time.Minute, "4 days and 14 hours"},
		{24*time.Hour*14 + time.Hour, "14 days and 1 hour"},
		{-3 * time.Hour, "3 hours"},
	} {
		if got := Words(tc.d); got != tc.want {
			t.Errorf("Words(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
