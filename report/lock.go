package report

import (
	"fmt"
	"os"
	"runtime"

	"github.com/gofrs/flock"
)

// Lock is one program's hold on a file it writes — a run's results, report's
// failed sheet — so that a second run of the same sheet cannot write the
// same record at the same time. It is an exclusive lock on NAME.lock beside
// the file (the file itself is renamed and replaced), on Linux, macOS and
// Windows alike.
type Lock struct {
	fl   *flock.Flock
	path string
}

// InUseError: another program holds the lock.
type InUseError struct{ Path string }

func (e *InUseError) Error() string {
	return e.Path + " is in use by another mwprovision: wait for it to finish; two runs must never write one record"
}

// Acquire takes the lock on path at once, or returns an *InUseError.
func Acquire(path string) (*Lock, error) {
	l := &Lock{path: path + ".lock"}
	for range 3 {
		l.fl = flock.New(l.path, flock.SetPermissions(0o600))
		ok, err := l.fl.TryLock()
		if err != nil {
			return nil, fmt.Errorf("cannot lock %s: %w", path, err)
		}
		if !ok {
			return nil, &InUseError{Path: path}
		}
		// The holder before us may have removed the file as it let go: a
		// lock on a file no longer at the path holds nothing.
		held, err1 := l.fl.Stat()
		there, err2 := os.Stat(l.path)
		if err1 == nil && err2 == nil && os.SameFile(held, there) {
			return l, nil
		}
		l.fl.Unlock()
	}
	return nil, &InUseError{Path: path}
}

// Release removes the lock file and lets go. Releasing twice is harmless.
func (l *Lock) Release() error {
	if l == nil || l.fl == nil {
		return nil
	}
	if runtime.GOOS == "windows" {
		// Windows removes no file while it is open: let go first. A run
		// that took the lock since holds the file open, and it stays.
		err := l.fl.Unlock()
		os.Remove(l.path)
		l.fl = nil
		return err
	}
	os.Remove(l.path)
	err := l.fl.Unlock()
	l.fl = nil
	return err
}
