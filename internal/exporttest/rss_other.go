//go:build !linux

package exporttest

import "os"

// peakRSSOf is zero where the peak resident memory of a child is not
// read (it is counted in other units, or not at all).
func peakRSSOf(*os.ProcessState) uint64 { return 0 }
