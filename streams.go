package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// streams are the program's standard streams and what it knows of them:
// which are terminals, and how to read a secret without echo. Tests build
// them from buffers and can say a buffer is a terminal (gh's SetStdoutTTY
// idea), so that the prompts and the progress bar run without a terminal.
type streams struct {
	in  io.Reader
	out io.Writer
	err io.Writer
	// inTTY and errTTY: stdin and stderr are a terminal a person reads.
	inTTY, errTTY bool
	// readSecret reads one line from the terminal without echoing it.
	readSecret func() (string, error)
}

// systemStreams are the process's own stdin, stdout and stderr.
func systemStreams() *streams {
	return &streams{
		in: os.Stdin, out: os.Stdout, err: os.Stderr,
		inTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		errTTY: term.IsTerminal(int(os.Stderr.Fd())),
		readSecret: func() (string, error) {
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			return string(b), err
		},
	}
}

// interactive reports whether a person can be asked: stdin and stderr are
// both a terminal.
func (s *streams) interactive() bool { return s.inTTY && s.errTTY }
