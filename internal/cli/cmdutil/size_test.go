package cmdutil

import "testing"

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1048576, "250MB": 250_000_000, "1.5GiB": 1610612736, "512k": 512_000, " 10 mb ": 10_000_000, "0": 0} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "ten", "-5MB", "5XB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}
