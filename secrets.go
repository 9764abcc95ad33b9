package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/mwprovision/mwprovision/report"
)

// secretWait is how long a named pipe may take to bring its secret (a
// password manager asked through <(…) answers at once; nobody at all
// never does).
var secretWait = 5 * time.Second

// readSecret takes a secret from a file that only its owner can read, or
// from the environment variable env.
func readSecret(ctx context.Context, file, env, what string, getenv func(string) string) (string, error) {
	if file != "" {
		b, err := readSecretFile(ctx, file, what)
		if err != nil {
			return "", err
		}
		p := strings.TrimRight(string(b), "\r\n \t")
		if p == "" {
			return "", fmt.Errorf("the %s file %s is empty", what, file)
		}
		return p, nil
	}
	if p := getenv(env); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("no %s: give its file (readable by you alone: mwprovision save-password FILE writes one) or set %s", what, env)
}

// readSecretFile reads a regular file, or a pipe that a program writes to
// (process substitution, a named pipe), that other users cannot read.
func readSecretFile(ctx context.Context, file, what string) ([]byte, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read the %s file: %v", what, err)
	}
	if kind := fi.Mode().Type(); kind != 0 && kind != fs.ModeNamedPipe {
		return nil, fmt.Errorf("the %s file %s is not a file but %s: give the file that holds the %s", what, file, describeMode(fi.Mode()), what)
	}
	if who, fix, err := report.Readers(file); err != nil {
		return nil, fmt.Errorf("cannot tell who may read the %s file %s: %v", what, file, err)
	} else if who != "" {
		return nil, fmt.Errorf("the %s file %s can be read by %s; %s", what, file, who, fix)
	}
	// Opening a named pipe waits for a program to write to it: read aside,
	// so that Ctrl-C and the deadline are heard.
	wait, cancel := context.WithTimeout(ctx, secretWait)
	defer cancel()
	b, err := readAside(wait, func() ([]byte, error) { return os.ReadFile(file) }, nil)
	switch {
	case err == nil:
		return b, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case wait.Err() != nil:
		return nil, fmt.Errorf("the %s file %s is a pipe that nothing wrote to within %s: start the program that writes it, or give a file", what, file, secretWait)
	}
	return nil, fmt.Errorf("cannot read the %s file: %v", what, err)
}

// describeMode names what a path is when it is not a file.
func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a device (such as /dev/null)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}

// promptSecret asks on the terminal without echo: the secret never
// reaches argv, the shell's history or the screen.
func promptSecret(ctx context.Context, read func(context.Context) (string, error), out io.Writer, prompt string) (string, error) {
	fmt.Fprint(out, prompt)
	p, err := read(ctx)
	fmt.Fprintln(out)
	if ctx.Err() != nil {
		return "", errInterruptedEarly
	}
	if err != nil {
		return "", fmt.Errorf("cannot read the password from the terminal: %v", err)
	}
	if p := strings.TrimSpace(p); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("no bot password given")
}
