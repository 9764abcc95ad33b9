//go:build unix

package main

import (
	"os"
	"syscall"
)

// peakRSSKiB is the peak resident set size of an ended process, in KiB.
func peakRSSKiB(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}
