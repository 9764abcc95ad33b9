package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests kill mutants of .ci/mutants/lock.txt that no other unit test
// kills: each names the mutant it guards against.

// A resumed run whose new file lacks rows of the results it resumed from
// commits with keepOld: those results are kept aside, never overwritten.
// Kills commit-no-keep-old.
func TestCommitKeepsTheOldResultsAsideWhenAsked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	writeResults(t, path, oldRow)
	rf, err := Create(path, true, About{})
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	if err := rf.Write(newRow); err != nil {
		t.Fatal(err)
	}
	if err := rf.Commit(true); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(dir, "r."+lastRunStamp+".csv")
	if rf.Kept != kept {
		t.Errorf("Kept = %q, want %q", rf.Kept, kept)
	}
	if got, want := dirList(t, dir), []string{filepath.Base(kept), "r.csv"}; !slices.Equal(got, want) {
		t.Fatalf("after Commit(true) the files are %q, want %q", got, want)
	}
	if got, want := readRows(t, kept), "2:Alice:failed"; got != want {
		t.Errorf("the results kept aside hold %q, want the last run's %q", got, want)
	}
	if got, want := readRows(t, path), "2:Alice:created"; got != want {
		t.Errorf("the results hold %q, want %q", got, want)
	}
}

// A run killed after it wrote its journal and before it created the
// results file leaves a journal alone: a new record (not a resume) keeps
// it aside, so that a later resume does not take that run's requests for
// its own.
// Kills record-stale-journal.
func TestANewRecordKeepsAJournalWithoutResultsAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	started := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	rec, err := OpenRecord(path, false)
	if err != nil {
		t.Fatal(err)
	}
	f, err := rec.Start(About{Wiki: "https://w/api.php", FirstRun: started}, Run{Started: started})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Sent("Ana", started.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	// Killed before the results file was there: its journal alone stays.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}

	fresh, err := OpenRecord(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Start(About{Wiki: "https://w/api.php"}, Run{Started: started.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Commit(false); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(JournalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Ana") {
		t.Errorf("the new record's journal names the old run's request:\n%s", b)
	}
	keptAside := false
	for _, name := range dirList(t, dir) {
		if name == filepath.Base(JournalPath(path)) || !strings.HasSuffix(name, ".sent") {
			continue
		}
		if old, err := os.ReadFile(filepath.Join(dir, name)); err == nil && strings.Contains(string(old), "Ana") {
			keptAside = true
		}
	}
	if !keptAside {
		t.Errorf("the old journal was not kept aside: the folder holds %q", dirList(t, dir))
	}

	again, err := OpenRecord(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	prev, err := again.Previous("https://w/api.php")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := prev.Sent["Ana"]; ok {
		t.Errorf("a resume of the new record takes the old run's request for Ana for its own: %v", prev.Sent)
	}
}

// errDiskFull is the error of a write to a full disk.
var errDiskFull = errors.New("no space left on device")

// failAfter writes its first n bytes to w, then fails as a full disk does.
type failAfter struct {
	w *os.File
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return f.w.Write(p)
	}
	k, err := f.w.Write(p[:f.n])
	f.n = 0
	if err != nil {
		return k, err
	}
	return k, errDiskFull
}

// A write that fails halfway (a full disk) is cut back to the rows
// written before it, all of them: the file never ends in half a row, and
// never loses a row it held.
// Kills write-not-cut-back.
func TestAFailedWriteIsCutBackToTheRowsBefore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	rf, err := Create(path, false, About{})
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	if err := rf.Write(oldRow); err != nil {
		t.Fatal(err)
	}
	// From now on the disk takes 10 more bytes, then is full.
	buf := bufio.NewWriterSize(&failAfter{w: rf.f, n: 10}, 64<<10)
	rf.w = &Writer{buf: buf, csv: csv.NewWriter(buf), rec: make([]string, len(header))}
	second := Row{Line: 3, Username: "Bob", Canonical: "Bob", Status: Created, Attempts: 1}
	if err := rf.Write(second); !errors.Is(err, errDiskFull) {
		t.Fatalf("Write on a full disk: %v, want errDiskFull", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, cut, err := readWholeRows(b)
	if err != nil || cut {
		t.Fatalf("after the failed write the file is cut (%v) or unreadable (%v):\n%s", cut, err, b)
	}
	if got, want := names(rows), "2:Alice:failed"; got != want {
		t.Errorf("after the failed write the file holds %q, want the row before, %q", got, want)
	}
}
