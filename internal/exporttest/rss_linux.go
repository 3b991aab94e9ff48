package exporttest

import (
	"os"
	"syscall"
)

// peakRSSOf is the peak resident memory of an ended process: Linux
// counts Maxrss in kilobytes.
func peakRSSOf(ps *os.ProcessState) uint64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > 0 {
		return uint64(ru.Maxrss) << 10
	}
	return 0
}
