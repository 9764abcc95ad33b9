package report

import (
	"fmt"
	"os"
	"strings"
	"time"

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
type InUseError struct {
	Path   string
	Holder string // who, as the holder wrote it; empty when unknown
}

func (e *InUseError) Error() string {
	msg := fmt.Sprintf("%s is in use by another mwprovision", e.Path)
	if e.Holder != "" {
		msg += " (" + e.Holder + ")"
	}
	return msg + ": wait for it to finish; two runs must never write one record"
}

// Acquire takes the lock on path at once, or returns an *InUseError.
func Acquire(path string) (*Lock, error) {
	l := &Lock{path: path + ".lock"}
	l.fl = flock.New(l.path, flock.SetPermissions(0o600))
	ok, err := l.fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	if !ok {
		holder, _ := os.ReadFile(l.path)
		return nil, &InUseError{Path: path, Holder: strings.TrimSpace(string(holder))}
	}
	// Say who holds it, for the message of the one that is refused.
	_ = os.WriteFile(l.path, []byte(fmt.Sprintf("process %d, since %s\n", os.Getpid(), time.Now().Format("15:04:05"))), 0o600)
	return l, nil
}

// Release removes the lock file and lets go. Releasing twice is harmless.
func (l *Lock) Release() error {
	if l == nil || l.fl == nil {
		return nil
	}
	os.Remove(l.path)
	err := l.fl.Unlock()
	l.fl = nil
	return err
}
