package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/report"
)

// The sheet, the results, their .partial and the log are four files: a
// run that would write one over another refuses before anything, and the
// sheet is left byte for byte as it was.
// sameFileCase names one file twice: the sheet, the results, their
// .partial, the log.
type sameFileCase struct {
	name  string
	sheet string // its name in the test directory
	args  []string
	want  string
}

var sameFileCases = []sameFileCase{
	{"log into the sheet", "s.csv", []string{"--log-file", "DIR/s.csv"}, "the sheet and --log-file are one file"},
	{"results over the sheet", "s.csv", []string{"--out", "DIR/s.csv"}, "the sheet and --out are one file"},
	{"resume from the sheet", "s.csv", []string{"--resume", "--out", "DIR/s.csv"}, "the sheet and --out are one file"},
	{"results into a folder", "s.csv", []string{"--out", "DIR"}, "--out DIR is a folder"},
	{"log into the results", "s.csv", []string{"--out", "DIR/r.csv", "--log-file", "DIR/r.csv"}, "--out and --log-file are one file"},
	{"the partial over the sheet", "r.csv.partial", []string{"--out", "DIR/r.csv"}, "the sheet and --out's .partial are one file"},
	{"a sheet through a link", "s.csv", []string{"--log-file", "DIR/link.csv"}, "the sheet and --log-file are one file"},
}

func TestRunNeverWritesOneFileOverAnother(t *testing.T) {
	const sheetText = "username,email\nana_a,a@example.org\n"
	for _, tt := range sameFileCases {
		if tt.name == "a sheet through a link" && runtime.GOOS == "windows" {
			// Links to files need an administrator on Windows, and Wine
			// makes them Unix links that Windows calls would not see.
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sheet := writeSheet(t, dir, tt.sheet, sheetText)
			if err := os.Symlink(sheet, filepath.Join(dir, "link.csv")); err != nil && runtime.GOOS != "windows" {
				t.Fatal(err)
			}
			args := []string{"run", "--dry-run"}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "DIR", dir))
			}
			r := runCLI(t, nil, append(args, sheet)...)
			if r.code != 2 || !strings.Contains(strings.ReplaceAll(r.stderr, dir, "DIR"), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.want)
			}
			if b, err := os.ReadFile(sheet); err != nil || string(b) != sheetText {
				t.Errorf("the sheet changed: %q, %v", b, err)
			}
		})
	}
}

// One writer: while a run holds the results file, another run of the
// sheet refuses at once, naming the file in use.
func TestSecondRunRefusesWhileTheFirstHoldsTheResults(t *testing.T) {
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", "username,email\nana_a,a@example.org\n")
	held, err := report.Acquire(filepath.Join(dir, "s.dry-run.results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	r := runCLI(t, nil, "run", "--dry-run", sheet)
	if r.code != 2 || !strings.Contains(r.stderr, "s.dry-run.results.csv is in use by another mwprovision: wait for it to finish") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "s.dry-run.results.csv")); err == nil {
		t.Error("the second run wrote results")
	}
}

// report --failed-sheet writes a file of its own: never the sheet nor the
// results, and a file already there is kept aside.
func TestFailedSheetIsAFileOfItsOwn(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "s.results.csv")
	writeResults(t, results, report.Row{Line: 2, Username: "bad#one", Status: report.Invalid, Code: "forbidden-character"})
	const sheetText = "username,email\nbad#one,b@example.org\n"
	sheet := writeSheet(t, dir, "s.csv", sheetText)
	for _, out := range []string{sheet, results} {
		r := runCLI(t, nil, "report", "--failed-sheet", out, "--input", sheet, results)
		if r.code != 2 || !strings.Contains(r.stderr, "are one file") {
			t.Errorf("--failed-sheet %s: exit %d, %q", out, r.code, r.stderr)
		}
	}
	if b, _ := os.ReadFile(sheet); string(b) != sheetText {
		t.Errorf("the sheet changed: %q", b)
	}
	if rows := readResults(t, results); len(rows) != 1 {
		t.Errorf("the results changed: %+v", rows)
	}
	fix := writeSheet(t, dir, "fix.csv", "an older fix sheet\n")
	r := runCLI(t, nil, "report", "--failed-sheet", fix, "--input", sheet, results)
	if r.code != 0 || !strings.Contains(r.stderr, "the file that was at "+fix+" is kept as ") {
		t.Fatalf("exit %d, %q", r.code, r.stderr)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "fix.*.csv"))
	if b, err := os.ReadFile(fix); err != nil || string(b) != sheetText || len(kept) != 1 {
		t.Errorf("failed sheet %q (%v), kept %v", b, err, kept)
	}
}

// A resumed run never drops a row the previous results decided for good:
// when the sheet no longer holds it (a name corrected since), a warning
// says how many, and the previous results are kept aside, not replaced.
func TestResumeKeepsRowsTheSheetNoLongerHolds(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "s.results.csv")
	writeResults(t, results,
		report.Row{Line: 2, Username: "ana_a", Canonical: "Ana a", Status: report.Created},
		report.Row{Line: 3, Username: "bo_b", Canonical: "Bo b", Status: report.Created},
		report.Row{Line: 4, Username: "cy_old", Canonical: "Cy old", Status: report.Exists})
	sheet := writeSheet(t, dir, "s.csv", "username,email\nana_a,a@example.org\ncy_new,c@example.org\n")
	r := runCLI(t, nil, "run", "--dry-run", "--resume", "--out", results, sheet)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: 2 rows that "+results+" records as created or existing match no row of the sheet now") {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "s.results.*.csv"))
	if len(kept) != 1 || !strings.Contains(r.stderr, "the previous results, with 2 rows no longer in the sheet, are kept as "+kept[0]) {
		t.Fatalf("kept %v:\n%s", kept, r.stderr)
	}
	if old := readResults(t, kept[0]); len(old) != 3 {
		t.Errorf("the kept results hold %d rows, want the 3 of before", len(old))
	}
	if rows := readResults(t, results); len(rows) != 2 || rows[0].Status != report.Created || rows[1].Status != report.WouldCreate {
		t.Errorf("the new results: %+v", rows)
	}
}
