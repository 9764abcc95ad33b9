//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
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

// In a real terminal, with stderr redirected to a file (2>log.txt):
// save-password shows its prompt on the terminal, reads the secret without
// echo, and the secret is on neither the screen nor in the log.
func TestTerminalSavePasswordWithStderrRedirected(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the built binary in tmux: run without -short (make test)")
	}
	bin := buildBinary(t)
	tm := newTmux(t)
	dir := t.TempDir()
	file, log := filepath.Join(dir, "botpassword"), filepath.Join(dir, "log.txt")
	const secret = "projector-secret-0123456789abcdefgh"
	tm.start("redirected", fmt.Sprintf("%s save-password %s 2>%s; echo EXIT=$?; sleep 30", bin, file, log))
	prompted := poll(15*time.Second, nil, func() bool { return strings.Contains(tm.screen("redirected"), "Bot password (not shown):") })
	if !prompted {
		t.Errorf("no prompt on the terminal:\n%s", tm.screen("redirected"))
	}
	tm.run("send-keys", "-t", "redirected", "-l", secret)
	tm.run("send-keys", "-t", "redirected", "Enter")
	screen := tm.waitFor("redirected", "EXIT=", 15*time.Second)
	if strings.Contains(screen, secret) {
		t.Errorf("the secret was echoed on the terminal:\n%s", screen)
	}
	if !strings.Contains(screen, "EXIT=0") {
		t.Errorf("exit:\n%s", screen)
	}
	if b, err := os.ReadFile(log); err != nil || strings.Contains(string(b), secret) || !strings.Contains(string(b), "saved to "+file) {
		t.Errorf("stderr's file (%v):\n%s", err, b)
	}
	got, err := readSecret(t.Context(), file, "MWPROVISION_PASSWORD", "bot password", func(string) string { return "" })
	if err != nil || got != secret {
		t.Errorf("read back %q, %v", got, err)
	}
}
