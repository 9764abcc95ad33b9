//go:build !windows

package report

import (
	"fmt"
	"os"
)

// OpenPrivate opens path with flag, creating it (when flag says so) so
// that only its owner can read it: mode 0600.
func OpenPrivate(path string, flag int) (*os.File, error) {
	return os.OpenFile(path, flag, 0o600)
}

// MakePrivate lets only the owner read path.
func MakePrivate(path string) error { return os.Chmod(path, 0o600) }

// Readers says who besides its owner may read path ("" when nobody), and
// how to change it.
func Readers(path string) (who, fix string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", "", err
	}
	if p := fi.Mode().Perm(); p&0o077 != 0 {
		return fmt.Sprintf("other users (mode %04o)", p), "run: chmod 600 " + path, nil
	}
	return "", "", nil
}
