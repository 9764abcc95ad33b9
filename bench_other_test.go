//go:build !unix

package main

import "os"

// peakRSSKiB is not measured where the system does not say it.
func peakRSSKiB(*os.ProcessState) int64 { return 0 }
