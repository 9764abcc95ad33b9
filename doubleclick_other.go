//go:build !windows

package main

// startedByDoubleClick is false but on Windows, the one system that
// gives a console program opened from its file manager a console window of
// its own, which closes when the program ends.
func startedByDoubleClick() bool { return false }
