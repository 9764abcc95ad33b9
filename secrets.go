package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// readSecret takes a secret from a file that only its owner can read, or
// from the environment variable env.
func readSecret(file, env, what string, getenv func(string) string) (string, error) {
	if file != "" {
		fi, err := os.Stat(file)
		if err != nil {
			return "", fmt.Errorf("cannot read the %s file: %v", what, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("the %s file %s can be read by other users (mode %04o); run: chmod 600 %s", what, file, fi.Mode().Perm(), file)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("cannot read the %s file: %v", what, err)
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
	return "", fmt.Errorf("no %s: give its file (mode 0600) or set %s", what, env)
}

// promptSecret asks on the terminal without echo: the secret never
// reaches argv, the shell's history or the screen.
func promptSecret(read func() (string, error), out io.Writer, prompt string) (string, error) {
	fmt.Fprint(out, prompt)
	p, err := read()
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("cannot read the password from the terminal: %v", err)
	}
	if p := strings.TrimSpace(p); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("no bot password given")
}
