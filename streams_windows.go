package main

import (
	"io"
	"os"
)

// openTerminal opens the console for writing, whatever stderr is: CONOUT$,
// the active screen buffer of the console stdin reads (opened for reading
// and writing, as the console wants it).
func openTerminal() (io.WriteCloser, error) { return os.OpenFile("CONOUT$", os.O_RDWR, 0) }
