//go:build linux

package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// blockedOpeningAFIFO reports whether a thread of this process waits in
// open(2) for the other end of a FIFO.
func blockedOpeningAFIFO(t *testing.T) bool {
	tasks, err := filepath.Glob("/proc/self/task/*/wchan")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range tasks {
		if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) == "wait_for_partner" {
			return true
		}
	}
	return false
}

// The lock file replaced between Acquire's open of it and its lock — as
// when the holder before removes it as it lets go and a third program
// makes a new one — holds nothing: Acquire notices that the file it locked
// is no longer the one at the path and takes the one that is, so that a
// second writer is still refused.
//
// To stop Acquire between its open and its lock, the lock file is at
// first a FIFO: opening it waits for a writer. While Acquire waits there,
// the test puts another file at the path, then opens the FIFO (through a
// second link to it) to let Acquire go on.
func TestAcquireNoticesTheLockFileReplacedWhileOpening(t *testing.T) {
	if b, err := os.ReadFile("/proc/self/wchan"); err != nil || len(b) == 0 {
		t.Skipf("this system does not say where a thread waits: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(fifo, path+".lock"); err != nil {
		t.Fatal(err)
	}
	type acquired struct {
		l   *Lock
		err error
	}
	done := make(chan acquired, 1)
	go func() {
		l, err := Acquire(path)
		done <- acquired{l, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !blockedOpeningAFIFO(t) {
		if time.Now().After(deadline) {
			t.Fatal("Acquire never opened the lock file")
		}
		time.Sleep(time.Millisecond)
	}
	// Another file takes the path; then the FIFO Acquire opened gets its
	// writer.
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path+".lock"); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var got acquired
	select {
	case got = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Acquire did not return 10 s after the lock file could be opened")
	}
	if got.err != nil {
		t.Fatalf("Acquire: %v", got.err)
	}
	defer got.l.Release()
	held, err1 := got.l.fl.Stat()
	there, err2 := os.Stat(path + ".lock")
	if err1 != nil || err2 != nil {
		t.Fatalf("stat: %v, %v", err1, err2)
	}
	if !os.SameFile(held, there) {
		t.Errorf("the lock holds a %s (inode %d), the file at the path is a %s (inode %d): want the same file",
			held.Mode().Type(), held.Sys().(*syscall.Stat_t).Ino, there.Mode().Type(), there.Sys().(*syscall.Stat_t).Ino)
	}
	second, err := Acquire(path)
	var inUse *InUseError
	if !errors.As(err, &inUse) {
		if second != nil {
			second.Release()
		}
		t.Errorf("a second Acquire: %v, want an *InUseError while the first holds the lock", err)
	}
}
