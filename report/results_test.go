package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// lastRun is when the results file of the last run was last written; the
// name it is kept aside under is made from it.
var lastRun = time.Date(2026, 11, 21, 21, 36, 42, 0, time.UTC)

const lastRunStamp = "20261121T213642Z"

// writeResults writes a results file holding rows at path, last changed at
// lastRun.
func writeResults(t *testing.T, path string, rows ...Row) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f)
	if err == nil {
		err = w.Write(rows...)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, lastRun, lastRun); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes a file that is not made by a Writer.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, lastRun, lastRun); err != nil {
		t.Fatal(err)
	}
}

// names is each row as line:canonical:status.
func names(rows []Row) string {
	var s []string
	for _, r := range rows {
		s = append(s, fmt.Sprintf("%d:%s:%s", r.Line, r.Canonical, r.Status))
	}
	return strings.Join(s, " ")
}

// readRows is the rows of the results file at path, as line:canonical:status.
func readRows(t *testing.T, path string) string {
	t.Helper()
	rows, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return names(rows)
}

// dirList is the names of the files in dir, sorted.
func dirList(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

var (
	oldRow = Row{Line: 2, Username: "Alice", Canonical: "Alice", Status: Failed, Code: "http-500", Attempts: 3}
	newRow = Row{Line: 2, Username: "Alice", Canonical: "Alice", Status: Created, Attempts: 1}
)

// keepAsideTest is one case of TestCreateKeepsThePreviousResultsAside.
type keepAsideTest struct {
	name     string
	file     string // the results path, in the test directory
	setup    func(t *testing.T, dir string)
	resume   bool
	wantKept string
	wantDir  []string
}

var keepAsideTests = []keepAsideTest{
	{name: "no previous file", file: "r.csv", wantDir: []string{"r.csv"}},
	{
		name: "an empty file", file: "r.csv",
		setup:   func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "r.csv"), "") },
		wantDir: []string{"r.csv"},
	},
	{
		name: "a previous file", file: "r.csv",
		setup:    func(t *testing.T, dir string) { writeResults(t, filepath.Join(dir, "r.csv"), oldRow) },
		wantKept: "r." + lastRunStamp + ".csv",
		wantDir:  []string{"r." + lastRunStamp + ".csv", "r.csv"},
	},
	{
		name: "a file kept at the same second", file: "r.csv",
		setup: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "r."+lastRunStamp+".csv"), "kept before\n")
			writeResults(t, filepath.Join(dir, "r.csv"), oldRow)
		},
		wantKept: "r." + lastRunStamp + "-2.csv",
		wantDir:  []string{"r." + lastRunStamp + "-2.csv", "r." + lastRunStamp + ".csv", "r.csv"},
	},
	{
		name: "two files kept at the same second", file: "r.csv",
		setup: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "r."+lastRunStamp+".csv"), "kept before\n")
			writeFile(t, filepath.Join(dir, "r."+lastRunStamp+"-2.csv"), "kept before\n")
			writeResults(t, filepath.Join(dir, "r.csv"), oldRow)
		},
		wantKept: "r." + lastRunStamp + "-3.csv",
		wantDir:  []string{"r." + lastRunStamp + "-2.csv", "r." + lastRunStamp + "-3.csv", "r." + lastRunStamp + ".csv", "r.csv"},
	},
	{
		name: "a name without an extension", file: "results",
		setup:    func(t *testing.T, dir string) { writeResults(t, filepath.Join(dir, "results"), oldRow) },
		wantKept: "results." + lastRunStamp,
		wantDir:  []string{"results", "results." + lastRunStamp},
	},
	{
		name: "resume", file: "r.csv", resume: true,
		setup:   func(t *testing.T, dir string) { writeResults(t, filepath.Join(dir, "r.csv"), oldRow) },
		wantDir: []string{"r.csv"},
	},
}

// A run never overwrites the results of the last one: a results file with
// anything in it is kept aside as NAME.TIMESTAMP.csv (its last change, in
// UTC), with -2, -3… when that name is taken; an empty file is not worth
// keeping, and a resumed run keeps nothing aside (it replaces the file on
// Commit).
func TestCreateKeepsThePreviousResultsAside(t *testing.T) {
	for _, tt := range keepAsideTests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tt.file)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			rf, err := Create(path, tt.resume, About{})
			if err != nil {
				t.Fatal(err)
			}
			defer rf.Close()
			if want := ""; tt.wantKept != "" {
				want = filepath.Join(dir, tt.wantKept)
				if rf.Kept != want {
					t.Errorf("Kept = %q, want %q", rf.Kept, want)
				}
			} else if rf.Kept != want {
				t.Errorf("Kept = %q, want nothing kept", rf.Kept)
			}
			if err := rf.Write(newRow); err != nil {
				t.Fatal(err)
			}
			if err := rf.Commit(false); err != nil {
				t.Fatal(err)
			}
			if got := dirList(t, dir); !slices.Equal(got, tt.wantDir) {
				t.Errorf("files %q, want %q", got, tt.wantDir)
			}
			if got, want := readRows(t, path), "2:Alice:created"; got != want {
				t.Errorf("the results file holds %q, want this run's %q", got, want)
			}
			if tt.wantKept != "" {
				if got, want := readRows(t, rf.Kept), "2:Alice:failed"; got != want {
					t.Errorf("the kept file holds %q, want the last run's %q", got, want)
				}
			}
		})
	}
}

// Runs in the same second each keep the results of the one before under a
// name of its own.
func TestCreateKeepsEveryRunOfTheSameSecond(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	var kept []string
	for i := 1; i <= 4; i++ {
		rf, err := Create(path, false, About{})
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, strings.TrimPrefix(rf.Kept, dir+string(filepath.Separator)))
		if err := rf.Write(Row{Line: i + 1, Canonical: fmt.Sprintf("Run%d", i), Status: Created}); err != nil {
			t.Fatal(err)
		}
		if err := rf.Commit(false); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, lastRun, lastRun); err != nil {
			t.Fatal(err)
		}
	}
	stamp := "r." + lastRunStamp
	if want := []string{"", stamp + ".csv", stamp + "-2.csv", stamp + "-3.csv"}; !slices.Equal(kept, want) {
		t.Errorf("kept %q, want %q", kept, want)
	}
	for i, name := range []string{stamp + ".csv", stamp + "-2.csv", stamp + "-3.csv", "r.csv"} {
		if got, want := readRows(t, filepath.Join(dir, name)), fmt.Sprintf("%d:Run%d:created", i+2, i+1); got != want {
			t.Errorf("%s holds %q, want %q", name, got, want)
		}
	}
}

// A resumed run writes NAME.partial and leaves the results it resumes from
// as they are until Commit puts the partial in their place in one step.
func TestCommitReplacesTheResultsAResumedRunStartedFrom(t *testing.T) {
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
	if got, want := readRows(t, path), "2:Alice:failed"; got != want {
		t.Errorf("during the run the results file holds %q, want the last run's %q", got, want)
	}
	if got, want := readRows(t, path+".partial"), "2:Alice:created"; got != want {
		t.Errorf("during the run the partial holds %q, want %q", got, want)
	}
	if err := rf.Commit(false); err != nil {
		t.Fatal(err)
	}
	if got, want := dirList(t, dir), []string{"r.csv"}; !slices.Equal(got, want) {
		t.Errorf("after Commit the files are %q, want %q", got, want)
	}
	if got, want := readRows(t, path), "2:Alice:created"; got != want {
		t.Errorf("after Commit the results file holds %q, want %q", got, want)
	}
	if err := rf.Close(); err != nil {
		t.Errorf("Close after Commit: %v", err)
	}
}

// A run that ends without Commit (the sheet changed, the results could not
// be written) closes its file and leaves it where it is: a resumed run's
// partial stays beside the results, for the next resume to read both.
func TestCloseLeavesTheFileWhereItIs(t *testing.T) {
	tests := []struct {
		name    string
		resume  bool
		wantDir []string
	}{
		{"run", false, []string{"r." + lastRunStamp + ".csv", "r.csv"}},
		{"resume", true, []string{"r.csv", "r.csv.partial"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "r.csv")
			writeResults(t, path, oldRow)
			rf, err := Create(path, tt.resume, About{})
			if err != nil {
				t.Fatal(err)
			}
			if err := rf.Write(newRow); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				if err := rf.Close(); err != nil {
					t.Errorf("Close #%d: %v", i+1, err)
				}
			}
			if got := dirList(t, dir); !slices.Equal(got, tt.wantDir) {
				t.Errorf("files %q, want %q", got, tt.wantDir)
			}
			written := path
			if tt.resume {
				written = path + ".partial"
			}
			if got, want := readRows(t, written), "2:Alice:created"; got != want {
				t.Errorf("%s holds %q, want the row written before Close, %q", filepath.Base(written), got, want)
			}
			if err := rf.Write(newRow); err == nil {
				t.Error("Write after Close succeeded")
			}
		})
	}
}

// The results file holds the participants' names: only its owner may read
// it, also when it is a resumed run's partial.
func TestResultsFileIsOwnerOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	for _, resume := range []bool{false, true} {
		t.Run(fmt.Sprintf("resume=%v", resume), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.csv")
			writeResults(t, path, oldRow)
			if err := os.Chmod(path, 0o644); err != nil {
				t.Fatal(err)
			}
			rf, err := Create(path, resume, About{})
			if err != nil {
				t.Fatal(err)
			}
			defer rf.Close()
			if resume {
				fi, err := os.Stat(path + ".partial")
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("partial mode %04o, want 0600", fi.Mode().Perm())
				}
			}
			if err := rf.Commit(false); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("results file mode %04o, want 0600", fi.Mode().Perm())
			}
		})
	}
}

// invalidRow is the row of an invalid name: it has no canonical name.
var invalidRow = Row{Line: 4, Username: "Bad#Name", Status: Invalid, Code: "forbidden-character"}

// readPreviousTest is one case of TestReadPrevious.
type readPreviousTest struct {
	name      string
	results   []Row             // nil: no results file
	partial   []Row             // nil: no partial
	raw       map[string]string // files written as they are, by name
	want      string            // line:canonical:status, sorted by canonical name
	wantErr   error
	wantInErr string
}

var readPreviousTests = []readPreviousTest{
	{
		name:    "the results file",
		results: []Row{oldRow, {Line: 3, Canonical: "Bob", Status: Created}, invalidRow},
		want:    "2:Alice:failed 3:Bob:created",
	},
	{
		name:    "the results and a partial",
		results: []Row{oldRow, {Line: 3, Canonical: "Bob", Status: Failed}, {Line: 5, Canonical: "Carol", Status: Pending}},
		partial: []Row{{Line: 3, Canonical: "Bob", Status: Created}, {Line: 9, Canonical: "Dave", Status: Exists}, newRow},
		want:    "2:Alice:created 3:Bob:created 5:Carol:pending 9:Dave:exists",
	},
	{
		// A later row of a name is its duplicate: the account stays the
		// one the first row decided, and a resume does not send it again.
		name:    "a duplicate after the row that created the account",
		results: []Row{{Line: 2, Canonical: "Same one", Status: Created}, {Line: 3, Canonical: "Same one", Status: Duplicate}},
		want:    "2:Same one:created",
	},
	{
		name:    "a partial only",
		partial: []Row{newRow},
		want:    "2:Alice:created",
	},
	{
		name:    "a results file without rows",
		results: []Row{},
		want:    "",
	},
	{
		name:    "a partial without rows",
		results: []Row{oldRow},
		partial: []Row{},
		want:    "2:Alice:failed",
	},
	{
		name:      "no results",
		wantErr:   ErrNoResults,
		wantInErr: "r.csv",
	},
	{
		name:      "a sheet instead of results",
		raw:       map[string]string{"r.csv": "username,email\nAlice,alice@example.org\n"},
		wantInErr: "r.csv is not a results file",
	},
	{
		name:      "an empty file",
		raw:       map[string]string{"r.csv": ""},
		wantInErr: "r.csv is not a results file",
	},
	{
		name:      "a partial that is not a results file",
		results:   []Row{oldRow},
		raw:       map[string]string{"r.csv.partial": "\"unclosed,quote\n"},
		wantInErr: "r.csv.partial is not a results file",
	},
}

// ReadPrevious merges the results file and a cut-off resumed run's partial
// by canonical name, the partial's rows winning; rows without a canonical
// name (an invalid username) are not carried. No file at all wraps
// ErrNoResults; a file that is not a results file is named in the error.
func TestReadPrevious(t *testing.T) {
	for _, tt := range readPreviousTests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "r.csv")
			if tt.results != nil {
				writeResults(t, path, tt.results...)
			}
			if tt.partial != nil {
				writeResults(t, path+".partial", tt.partial...)
			}
			for name, content := range tt.raw {
				writeFile(t, filepath.Join(dir, name), content)
			}
			got, err := ReadPrevious(path)
			if tt.wantInErr != "" || tt.wantErr != nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantInErr) || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadPrevious error = %v, want one naming %q (%v)", err, tt.wantInErr, tt.wantErr)
				}
				if tt.wantErr == nil && errors.Is(err, ErrNoResults) {
					t.Errorf("ReadPrevious error = %v says there are no results", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var rows []Row
			for canonical, r := range got.Rows {
				if canonical != r.Canonical {
					t.Errorf("row %+v under the key %q", r, canonical)
				}
				rows = append(rows, r)
			}
			slices.SortFunc(rows, func(a, b Row) int { return strings.Compare(a.Canonical, b.Canonical) })
			if got := names(rows); got != tt.want {
				t.Errorf("ReadPrevious = %q, want %q", got, tt.want)
			}
		})
	}
}

// ReadFile reads every row of a results file, and says which file it could
// not open or read as results.
func TestReadFile(t *testing.T) {
	tests := []struct {
		name      string
		write     func(t *testing.T, path string)
		want      string
		wantInErr string
	}{
		{
			name: "results",
			write: func(t *testing.T, path string) {
				writeResults(t, path, oldRow, Row{Line: 3, Canonical: "Bob", Status: Created})
			},
			want: "2:Alice:failed 3:Bob:created",
		},
		{
			name:  "header only",
			write: func(t *testing.T, path string) { writeResults(t, path) },
			want:  "",
		},
		{
			name:      "missing",
			write:     func(*testing.T, string) {},
			wantInErr: "cannot open the results file",
		},
		{
			name:      "a sheet",
			write:     func(t *testing.T, path string) { writeFile(t, path, "username,email\nAlice,alice@example.org\n") },
			wantInErr: "r.csv is not a results file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.csv")
			tt.write(t, path)
			rows, err := ReadFile(path)
			if tt.wantInErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
					t.Errorf("ReadFile error = %v, want one saying %q", err, tt.wantInErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(rows); got != tt.want {
				t.Errorf("ReadFile = %q, want %q", got, tt.want)
			}
		})
	}
}

// A resumed run keeps a stale NAME.partial aside only when it holds a row:
// one of its header alone (or less: a cut header) holds nothing, and is
// removed, so that resumes on a full disk leave no pile of them.
func TestCreateDropsARowlessPartial(t *testing.T) {
	for _, stale := range []string{strings.Join(header, ",") + "\n", "line,userna", ""} {
		dir := t.TempDir()
		path := filepath.Join(dir, "r.csv")
		writeFile(t, PartialPath(path), stale)
		f, err := Create(path, true, About{})
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 || entries[0].Name() != "r.csv.partial" {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("a stale partial of %q: the folder holds %v, want the new partial alone", stale, names)
		}
	}
}
