//go:build !windows

package main

import "testing"

// Only Windows makes a console for a program opened from its file
// manager; elsewhere startedByDoubleClick is always false.
func TestStartedByDoubleClickOnlyOnWindows(t *testing.T) {
	if startedByDoubleClick() {
		t.Error("startedByDoubleClick() = true, off Windows")
	}
}
