//go:build unix

package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A sheet piped in that never ends (a program gone wrong) stops on SIGTERM,
// exit 130, nothing sent: the input never ends, so only the signal can end
// the program.
func TestEndlessPipedSheetStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(buildBinary(t), "run", "--dry-run", "--out", filepath.Join(dir, "endless.results.csv"), "/dev/stdin")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	exited := startProcess(t, cmd)
	var written atomic.Int64
	go func() {
		in.Write([]byte("username,email\n"))
		rows := []byte(strings.Repeat("bob,b@example.org\n", 1000))
		for {
			n, err := in.Write(rows)
			if err != nil {
				return
			}
			written.Add(int64(n))
		}
	}()
	if !poll(30*time.Second, exited, func() bool { return written.Load() > 8<<20 }) {
		t.Fatalf("the sheet was not read (%v):\n%s", cmd.ProcessState, stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second): // a hang guard, not a bound on speed
		t.Fatalf("still reading the endless sheet 30 s after SIGTERM:\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit %d after SIGTERM, want %d:\n%s", code, exitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted before any account was created") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}
