package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// File is the results file of a run, from creation to commit. It is
// created before the first row is decided (mode 0600: it holds the
// participants' names) and written row by row, each row flushed at once, so
// a run that is cut off leaves a valid file with every row decided so far.
type File struct {
	*Writer
	// Kept is the new name of the results file that was at the path before,
	// kept aside; empty when there was none.
	Kept string

	path string // where the results are, once committed
	tmp  string // a resumed run's NAME.partial, committed over path
	f    *os.File
}

// Create opens the results file at path for a run. An existing results
// file there is kept aside as NAME.TIMESTAMP.csv, never overwritten, so that
// running a sheet again never loses the record of the last run. A resumed
// run writes NAME.partial beside path instead, and Commit replaces the file
// it resumed from in one step; a run that is killed leaves both, and
// ReadPrevious reads both.
func Create(path string, resume bool) (*File, error) {
	rf := &File{path: path, tmp: path}
	if resume {
		rf.tmp = partialPath(path)
	} else {
		kept, err := keepAside(path)
		if err != nil {
			return nil, fmt.Errorf("cannot keep the previous results: %w", err)
		}
		rf.Kept = kept
	}
	f, err := os.OpenFile(rf.tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create results file: %w", err)
	}
	w, err := NewWriter(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("write results file %s: %w", rf.tmp, err)
	}
	rf.Writer, rf.f = w, f
	return rf, nil
}

// Close closes the file; a resumed run's NAME.partial stays where it is.
// Closing twice is harmless.
func (rf *File) Close() error {
	if rf.f == nil {
		return nil
	}
	err := rf.f.Close()
	rf.f = nil
	return err
}

// Commit closes the file and, for a resumed run, puts NAME.partial in the
// place of the results it resumed from.
func (rf *File) Commit() error {
	if err := rf.Close(); err != nil {
		return fmt.Errorf("close results file: %w", err)
	}
	if rf.tmp != rf.path {
		if err := os.Rename(rf.tmp, rf.path); err != nil {
			return fmt.Errorf("replace the results file: %w", err)
		}
	}
	return nil
}

func partialPath(path string) string { return path + ".partial" }

// keepAside moves an existing results file to NAME.TIMESTAMP.csv (its last
// change, in UTC) and returns that name, or "" when there was nothing to keep.
func keepAside(path string) (string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext) + "." + fi.ModTime().UTC().Format("20060102T150405Z")
	kept := stem + ext
	for i := 2; ; i++ {
		if _, err := os.Stat(kept); errors.Is(err, os.ErrNotExist) {
			break
		}
		kept = fmt.Sprintf("%s-%d%s", stem, i, ext)
	}
	return kept, os.Rename(path, kept)
}

// ErrNoResults: there are no results to resume from at the path.
var ErrNoResults = errors.New("there is no results file")

// ReadPrevious reads what earlier runs decided, for a resumed run: the
// results file at path and, when a resumed run was cut off, its
// NAME.partial (newer, so its rows win). Rows are keyed by canonical name,
// so a sheet that was reordered or extended still matches. It returns an
// error wrapping ErrNoResults when neither file exists.
func ReadPrevious(path string) (map[string]Row, error) {
	done := map[string]Row{}
	found := false
	for _, p := range []string{path, partialPath(path)} {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the results to resume from: %w", err)
		}
		rows, err := Read(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s is not a results file of mwprovision, so there is nothing to resume from: %w", p, err)
		}
		found = true
		for _, r := range rows {
			if r.Canonical != "" {
				done[r.Canonical] = r
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("nothing to resume: %w at %s", ErrNoResults, path)
	}
	return done, nil
}

// ReadFile reads a whole results file.
func ReadFile(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the results file: %w", err)
	}
	defer f.Close()
	rows, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s is not a results file of mwprovision: %w", path, err)
	}
	return rows, nil
}
