//go:build unix

package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A secret may come from a pipe a program writes to (a password manager
// through <(…) or a named pipe); a pipe that nothing writes to is given up
// after a while, and Ctrl-C is heard while waiting.
func TestReadSecretFromAPipe(t *testing.T) {
	defer func(w time.Duration) { secretWait = w }(secretWait)
	secretWait = 200 * time.Millisecond
	fifo := func() string {
		p := filepath.Join(t.TempDir(), "botpassword")
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(ctx context.Context, p string) (string, error) {
		return readSecret(ctx, p, "MWPROVISION_PASSWORD", "bot password", func(string) string { return "" })
	}

	written := fifo()
	go func() { os.WriteFile(written, []byte("from-the-manager\n"), 0o600) }()
	if got, err := read(t.Context(), written); err != nil || got != "from-the-manager" {
		t.Errorf("a written pipe: %q, %v", got, err)
	}

	// Nothing ever writes to this pipe and nothing cancels: only the wait
	// the program gives a pipe (200ms here, as the error says) ends it.
	silent := make(chan error, 1)
	go func() {
		_, err := read(t.Context(), fifo())
		silent <- err
	}()
	select {
	case err := <-silent:
		if err == nil || !strings.Contains(err.Error(), "is a pipe that nothing wrote to within 200ms") {
			t.Errorf("a silent pipe: %v", err)
		}
	case <-time.After(30 * time.Second): // a hang guard, not a bound on speed
		t.Fatal("a silent pipe was never given up")
	}

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	secretWait = time.Minute
	if _, err := read(ctx, fifo()); !errors.Is(err, context.Canceled) {
		t.Errorf("Ctrl-C while waiting: %v", err)
	}

	open := fifo()
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := read(t.Context(), open); err == nil || !strings.Contains(err.Error(), "can be read by other users (mode 0644)") {
		t.Errorf("a pipe others can read: %v", err)
	}
}

// shareWithOthers lets other users read path, and returns the refusal
// that run gives for it.
func shareWithOthers(t *testing.T, path string) string {
	t.Helper()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	return "can be read by other users (mode 0644); run: chmod 600 " + path
}
