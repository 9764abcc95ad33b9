package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// File is the results file of a run, from creation to commit. It is
// created before the first row is decided (mode 0600: it holds the
// participants' names) and written row by row, each row flushed at once, so
// a run that is cut off leaves a valid file with every row decided so far.
// A write that fails is undone, so the file never ends in half a row.
type File struct {
	w *Writer
	// Kept is the new name of the results file that was at the path before,
	// kept aside; empty when there was none.
	Kept string

	about   About
	path    string // where the results are, once committed
	tmp     string // a resumed run's NAME.partial, committed over path
	f       *os.File
	written int64    // bytes of whole rows in f
	journal *journal // the record's, when a Record started the file
}

// Create opens the results file at path for a run about what about says.
// An existing results file there is kept aside as NAME.TIMESTAMP.csv,
// never overwritten, so that running a sheet again never loses the record
// of the last run; a file there that is not a results file is refused. A
// resumed run writes NAME.partial beside path instead (a stale one from a
// run that was cut off is kept aside first, unless it holds no row: then
// there is nothing to keep, and resumes on a full disk leave no pile of
// them), and Commit replaces the file
// it resumed from in one step. The file is created anew, never through a
// link that stands at its name.
func Create(path string, resume bool, about About) (*File, error) {
	rf := &File{path: path, tmp: path, about: about}
	var err error
	if resume {
		rf.tmp = PartialPath(path)
		if rowless(rf.tmp) {
			err = os.Remove(rf.tmp)
		} else {
			_, err = keepAside(rf.tmp, true)
		}
	} else if rf.Kept, err = keepAside(path, true); err == nil {
		// A .partial left by a resumed run that was cut off belongs to the
		// record kept aside: a later --resume must not take it for newer.
		_, err = keepAside(PartialPath(path), true)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot keep the previous results: %w", err)
	}
	f, err := OpenPrivate(rf.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, fmt.Errorf("create results file: %w", err)
	}
	if rf.w, err = NewWriter(f); err != nil {
		// A full disk: the file this call created holds not even its
		// header, and must not stand in the way of a later run.
		f.Close()
		os.Remove(rf.tmp)
		return nil, fmt.Errorf("write results file %s: %w", rf.tmp, err)
	}
	rf.f = f
	if rf.written, err = f.Seek(0, io.SeekCurrent); err != nil {
		f.Close()
		return nil, err
	}
	return rf, nil
}

// Write appends rows, each stamped with what the file is about, and
// flushes them. When the write fails (a full disk), the file is cut back to
// the rows before, so that it holds whole rows only.
func (rf *File) Write(rows ...Row) error {
	for i := range rows {
		rows[i].Wiki, rows[i].Creator, rows[i].FirstRunAt = rf.about.Wiki, rf.about.Creator, Timestamp{rf.about.FirstRun}
	}
	if err := rf.w.Write(rows...); err != nil {
		if terr := rf.f.Truncate(rf.written); terr != nil {
			return fmt.Errorf("%w (and the last row may be cut: %v)", err, terr)
		}
		return err
	}
	n, err := rf.f.Seek(0, io.SeekCurrent)
	rf.written = n
	return err
}

// Sent writes in the record's journal that a request to create the
// account name goes out now (at): a resumed run may then find the account
// to be this record's. It must return before the request is sent.
func (rf *File) Sent(name string, at time.Time) error {
	if rf.journal == nil { // a dry run's, or a file without a Record
		return nil
	}
	return rf.journal.sent(at, name)
}

// Close closes the file and the journal; a resumed run's NAME.partial
// stays where it is. Closing twice is harmless.
func (rf *File) Close() error {
	jerr := rf.journal.close()
	if rf.f == nil {
		return jerr
	}
	err := rf.f.Close()
	rf.f = nil
	return errors.Join(err, jerr)
}

// Commit closes the file and, for a resumed run, puts NAME.partial in the
// place of the results it resumed from — keeping those aside first when
// keepOld says they hold rows the new file does not.
func (rf *File) Commit(keepOld bool) error {
	if err := rf.Close(); err != nil {
		return fmt.Errorf("close results file: %w", err)
	}
	if rf.tmp == rf.path {
		return nil
	}
	if keepOld {
		kept, err := keepAside(rf.path, true)
		if err != nil {
			return fmt.Errorf("cannot keep the previous results: %w", err)
		}
		rf.Kept = kept
	}
	if err := os.Rename(rf.tmp, rf.path); err != nil {
		return fmt.Errorf("replace the results file: %w", err)
	}
	return nil
}

// rowless reports whether path is a regular file of mwprovision's results
// that holds no whole row: its header alone, or less.
func rowless(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > 64<<10 {
		return false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	rows, _, err := readWholeRows(b)
	if err == nil {
		return len(rows) == 0
	}
	// Cut inside the header: a prefix of it, and nothing else.
	h := strings.Join(header, ",") + "\n"
	return len(b) < len(h) && strings.HasPrefix(h, string(b))
}

// PartialPath is where a resumed run writes the results of path until it
// commits them.
func PartialPath(path string) string { return path + ".partial" }

// KeepAside moves an existing file to NAME.TIMESTAMP.EXT (its last change,
// in UTC) and returns that name, or "" when there was nothing to keep. An
// empty file is removed; a link is moved as the link.
func KeepAside(path string) (string, error) { return keepAside(path, false) }

// keepAside is KeepAside; with results, anything that is not a results
// file is refused, never moved.
func keepAside(path string, results bool) (string, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if fi.Mode().IsRegular() && fi.Size() == 0 {
		return "", os.Remove(path)
	}
	if !fi.Mode().IsRegular() && fi.Mode()&os.ModeSymlink == 0 {
		return "", fmt.Errorf("%s is not a file", path)
	}
	if results && fi.Mode().IsRegular() {
		if err := CheckResultsFile(path); err != nil {
			return "", err
		}
	}
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext) + "." + fi.ModTime().UTC().Format("20060102T150405Z")
	kept := stem + ext
	for i := 2; ; i++ {
		if _, err := os.Lstat(kept); errors.Is(err, os.ErrNotExist) {
			break
		}
		kept = fmt.Sprintf("%s-%d%s", stem, i, ext)
	}
	return kept, os.Rename(path, kept)
}

// NotResultsError: a file is where a results file is wanted, and is not
// one; it is never moved, read as results or overwritten.
type NotResultsError struct{ Path string }

func (e *NotResultsError) Error() string {
	return e.Path + " is there and is not a results file of mwprovision: it is never moved or overwritten"
}

// CheckResultsFile returns nil when path is free, empty or a results file of
// mwprovision, else a *NotResultsError.
func CheckResultsFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() == 0 {
		return nil
	}
	if !fi.Mode().IsRegular() {
		return &NotResultsError{Path: path}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	first, err := csv.NewReader(bufio.NewReader(io.LimitReader(f, 64<<10))).Read()
	if err != nil || !IsHeader(first) {
		return &NotResultsError{Path: path}
	}
	return nil
}

// ErrNoResults: there are no results to resume from at the path.
var ErrNoResults = errors.New("there is no results file")

// Previous is what earlier runs of a sheet recorded, for a resumed run.
type Previous struct {
	// Rows are the rows by canonical name (rows without one, an invalid
	// name, are left out: they are decided again).
	Rows map[string]Row
	// About is what the record is about; Creators lists every account that
	// created in it.
	About    About
	Creators []string
	// Cut is set when the last row of a file was cut off (a full disk, a
	// crash): it is dropped, and its row is decided again.
	Cut string
	// GroupsAsked: an earlier run of the record added accounts to groups
	// (a row has a groups cell).
	GroupsAsked bool
	// GroupsFrom is when the first run of the record that added groups
	// started, as its journal says (zero without one).
	GroupsFrom time.Time
	// Sent says, by canonical name, when a run of the record first asked
	// the wiki to create the account, as its journal says: only such an
	// account, found existing, may be this record's.
	Sent map[string]time.Time
}

// ReadPrevious reads what earlier runs decided, for a resumed run: the
// results file at path and, when a resumed run was cut off, its
// NAME.partial (newer, so its rows win), and its journal (NAME.sent).
// Rows are keyed by canonical name, so a sheet that was reordered or
// extended still matches. It returns an error wrapping ErrNoResults when
// neither results file exists.
func ReadPrevious(path string) (*Previous, error) {
	prev := &Previous{Rows: map[string]Row{}, Sent: map[string]time.Time{}}
	found := false
	for _, p := range []string{path, PartialPath(path)} {
		if p != path && rowless(p) {
			continue // a resume cut off before its first row: nothing to add
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the results to resume from: %w", err)
		}
		rows, cut, err := readWholeRows(b)
		if err != nil {
			return nil, fmt.Errorf("%s is not a results file of mwprovision, so there is nothing to resume from: %w", p, err)
		}
		found = true
		if cut {
			prev.Cut = p
		}
		prev.take(rows)
	}
	if !found {
		return nil, fmt.Errorf("nothing to resume: %w at %s", ErrNoResults, path)
	}
	if err := readJournal(path, prev); err != nil {
		return nil, err
	}
	return prev, nil
}

// take adds rows to the record.
func (prev *Previous) take(rows []Row) {
	for _, r := range rows {
		// A later row of the same name is a duplicate of the row that
		// decided it: it never replaces an account decided for good.
		if old, ok := prev.Rows[r.Canonical]; r.Canonical != "" && !(ok && old.Status.Final() && !r.Status.Final()) {
			prev.Rows[r.Canonical] = r
		}
		if len(r.Groups) > 0 {
			prev.GroupsAsked = true
		}
		if r.Wiki != "" {
			prev.About.Wiki = r.Wiki
		}
		if r.Creator != "" && !slices.Contains(prev.Creators, r.Creator) {
			prev.Creators = append(prev.Creators, r.Creator)
		}
		if t := r.FirstRunAt.Time; !t.IsZero() && (prev.About.FirstRun.IsZero() || t.Before(prev.About.FirstRun)) {
			prev.About.FirstRun = t
		}
	}
}

// readWholeRows reads a results file; a last row cut off by a full disk or
// a crash (no line end after it) is dropped, and cut says so.
func readWholeRows(b []byte) (rows []Row, cut bool, err error) {
	rows, err = Read(bytes.NewReader(b))
	if err == nil || len(b) == 0 || b[len(b)-1] == '\n' {
		return rows, false, err
	}
	whole := b[:bytes.LastIndexByte(b, '\n')+1]
	for range 2 {
		if rows, err2 := Read(bytes.NewReader(whole)); err2 == nil {
			return rows, true, nil
		} else if pe := (*csv.ParseError)(nil); errors.As(err2, &pe) && pe.StartLine > 1 {
			// The cut fell inside a quoted value with line breaks: drop
			// from the line that value began on.
			whole = whole[:lineOffset(whole, pe.StartLine)]
		}
	}
	return nil, false, err
}

// lineOffset is where 1-based line n begins in b.
func lineOffset(b []byte, n int) int {
	off := 0
	for line := 1; line < n; line++ {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return len(b)
		}
		off += i + 1
	}
	return off
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
