package main

import (
	"bufio"
	"context"
	"io"
	"os"

	"golang.org/x/term"
)

// streams are the program's standard streams and what it knows of them:
// which are terminals, and how to read an answer or a secret. Tests build
// them from buffers and can say a buffer is a terminal (gh's SetStdoutTTY
// idea), so that the prompts and the progress bar run without a terminal.
type streams struct {
	in  io.Reader
	out io.Writer
	err io.Writer
	// inTTY and errTTY: stdin and stderr are a terminal a person reads.
	inTTY, errTTY bool
	// readLine reads one line that a person types; readSecret reads one
	// without echoing it. Both give up when ctx is done (Ctrl-C), leaving
	// the terminal as it was.
	readLine   func(ctx context.Context) (string, error)
	readSecret func(ctx context.Context) (string, error)
	// terminal opens the terminal stdin reads, for writing a prompt when
	// stderr is not it (2>log.txt).
	terminal func() (io.WriteCloser, error)
}

// systemStreams are the process's own stdin, stdout and stderr.
func systemStreams() *streams {
	stdin := bufio.NewReader(os.Stdin)
	fd := int(os.Stdin.Fd())
	return &streams{
		in: os.Stdin, out: os.Stdout, err: os.Stderr,
		inTTY:  term.IsTerminal(fd),
		errTTY: term.IsTerminal(int(os.Stderr.Fd())),
		readLine: func(ctx context.Context) (string, error) {
			return readAside(ctx, func() (string, error) { return stdin.ReadString('\n') }, nil)
		},
		readSecret: func(ctx context.Context) (string, error) {
			state, err := term.GetState(fd)
			if err != nil {
				return "", err
			}
			return readAside(ctx, func() (string, error) {
				b, err := term.ReadPassword(fd)
				return string(b), err
			}, func() { term.Restore(fd, state) })
		},
		terminal: openTerminal,
	}
}

// readAside reads with read while ctx may end it: then undo runs and the
// read is left to the process's end.
func readAside[T any](ctx context.Context, read func() (T, error), undo func()) (T, error) {
	type result struct {
		v   T
		err error
	}
	got := make(chan result, 1)
	go func() {
		v, err := read()
		got <- result{v, err}
	}()
	select {
	case r := <-got:
		return r.v, r.err
	case <-ctx.Done():
		if undo != nil {
			undo()
		}
		var zero T
		return zero, ctx.Err()
	}
}

// interactive reports whether a person can be asked: stdin and stderr are
// both a terminal.
func (s *streams) interactive() bool { return s.inTTY && s.errTTY }
