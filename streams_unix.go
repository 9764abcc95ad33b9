//go:build !windows

package main

import (
	"io"
	"os"
)

// openTerminal opens the process's terminal for writing, whatever stderr
// is: /dev/tty, the controlling terminal, the one stdin reads.
func openTerminal() (io.WriteCloser, error) { return os.OpenFile("/dev/tty", os.O_WRONLY, 0) }
