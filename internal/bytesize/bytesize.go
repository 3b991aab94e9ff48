// Package bytesize reads and writes sizes as people write them: 250MB,
// 1.5GiB, 3.0 MiB.
package bytesize

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse reads a size such as "250MB", "1.5GiB", "512k" or "1048576"
// (bytes). Decimal units are powers of 1000, binary ones of 1024.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	units := []struct {
		suffix string
		mult   float64
	}{
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
		{"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"t", 1e12}, {"b", 1},
	}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 250MB, 1.5GiB, 1048576)", s)
	}
	return int64(n * mult), nil
}

// Format writes a byte count the way people read it: 512 B, 1.5 KiB,
// 3.0 MiB.
func Format[N ~int64 | ~uint64](n N) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := N(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
