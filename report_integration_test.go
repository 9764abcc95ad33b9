package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// report on the results of a real run: every format, and a failed sheet
// that, once fixed, runs cleanly.
func TestReportOnRealRunResults(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "signups.csv", "username;email;realname;password;team\n"+
		"ada_lovelace;ada@example.org;Ada Lovelace;unused-secret-1;red\n"+ // 2 created
		"grace#hopper;grace@example.org;Grace Hopper;unused-secret-2;blue\n"+ // 3 '#'
		"alan_turing;alan(at)example.org;Alan Turing;unused-secret-3;red\n"+ // 4 bad email
		"Admin;admin@example.org;;unused-secret-4;red\n"+ // 5 exists
		"katherine_johnson;;Katherine Johnson;unused-secret-5;blue\n") // 6 no email
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", sheet)...)
	if r.code != 1 {
		t.Fatalf("run exit %d, want 1", r.code)
	}
	// The unknown "team" column is ignored, with one warning for the sheet.
	if n := strings.Count(r.stderr, "warning: ignoring columns team "); n != 1 {
		t.Errorf("%d warnings about the team column, want 1:\n%s", n, r.stderr)
	}
	results := filepath.Join(dir, "signups.results.csv")

	checkReportFormats(t, results)

	failed := filepath.Join(dir, "to-fix.csv")
	fr := runCLI(t, nil, "report", "--failed-sheet", failed, "--input", sheet, results)
	if fr.code != 0 || !strings.Contains(fr.stderr, "wrote 3 rows to fix") {
		t.Fatalf("failed sheet: exit %d, %s", fr.code, fr.stderr)
	}
	b, err := os.ReadFile(failed)
	if err != nil {
		t.Fatal(err)
	}
	want := "username;email;realname;team\n" +
		"grace#hopper;grace@example.org;Grace Hopper;blue\n" +
		"alan_turing;alan(at)example.org;Alan Turing;red\n" +
		"katherine_johnson;;Katherine Johnson;blue\n"
	if string(b) != want {
		t.Fatalf("failed sheet =\n%s\nwant\n%s", b, want)
	}
	if fi, _ := os.Stat(failed); fi.Mode().Perm() != 0o600 {
		t.Errorf("failed sheet mode %04o, want 0600", fi.Mode().Perm())
	}

	// The organizer fixes the three rows and runs the failed sheet.
	fixed := strings.NewReplacer("grace#hopper", "grace_hopper", "alan(at)example.org", "alan@example.org",
		"katherine_johnson;;", "katherine_johnson;kj@example.org;").Replace(string(b))
	if err := os.WriteFile(failed, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	again := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", failed)...)
	if again.code != 0 {
		t.Fatalf("the fixed sheet: exit %d, want 0", again.code)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "to-fix.results.csv")), []expect{
		{2, report.Created, "Grace hopper", ""}, {3, report.Created, "Alan turing", ""}, {4, report.Created, "Katherine johnson", ""},
	})

	// Results that are not about this sheet are refused.
	other := writeSheet(t, dir, "other.csv", "username,email\nsomebody_else,s@example.org\n")
	if r := runCLI(t, nil, "report", "--failed-sheet", filepath.Join(dir, "x.csv"), "--input", other, results); r.code != 2 ||
		!strings.Contains(r.stderr, "do not belong") {
		t.Errorf("mismatched sheet: exit %d, %s", r.code, r.stderr)
	}
}

// checkReportFormats: report on the results of the run in every format
// (text, markdown, wikitext), none with escape codes.
func checkReportFormats(t *testing.T, results string) {
	t.Helper()
	text := runCLI(t, nil, "report", results)
	for _, want := range []string{"invalid: forbidden-character (1 row)\n  line 3: \"grace#hopper\"", "invalid: invalid-email (1 row)\n  line 4:",
		"invalid: missing-email (1 row)\n  line 6:", "exists: userexists (1 row)\n  line 5: \"Admin\"", "5 rows: 1 created, 1 exists, 3 invalid\n"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, text.stdout)
		}
	}
	md := runCLI(t, nil, "report", "--format", "markdown", results)
	for _, want := range []string{"| created | 1 |", "| invalid | 3 |", "| **total** | **5** |", "| 3 | grace#hopper | invalid | forbidden-character |"} {
		if !strings.Contains(md.stdout, want) {
			t.Errorf("markdown report lacks %q:\n%s", want, md.stdout)
		}
	}
	if wt := runCLI(t, nil, "report", "--format", "wikitext", results); wt.stdout != "* [[User:Ada lovelace|Ada lovelace]]\n" || wt.code != 0 {
		t.Errorf("wikitext = %q (exit %d)", wt.stdout, wt.code)
	}
	for _, out := range []string{text.stdout, md.stdout} {
		if strings.Contains(out, "\x1b") {
			t.Error("a report holds escape codes")
		}
	}
}

// report knows when a run holds the results file: hours into a throttled
// run, a report says that more rows are to come, and no fix-up sheet is
// made of rows the run is still to decide.
func TestReportKnowsARunIsInProgress(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 2, ThrottleSeconds: 600})
	bin := buildBinary(t)
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "room.csv", "waiting", 6)
	results := filepath.Join(dir, "room.results.csv")
	cmd := exec.Command(bin, "run", "--api", w.API, "--user", w.Limited.Login, "--password-file", w.Limited.PasswordFile,
		"--rate", "0", "--max-wait", "1h", "--yes", sheet)
	exited := startProcess(t, cmd)
	if !poll(time.Minute, exited, func() bool { return len(flushedRows(results)) >= 2 }) {
		t.Fatal("the run ended before the wiki's throttle held it")
	}
	r := runCLI(t, nil, "report", results)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: a run is writing "+results+" now") || !strings.Contains(r.stdout, "2 rows") {
		t.Errorf("report during the run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	fixes := filepath.Join(dir, "to-fix.csv")
	f := runCLI(t, nil, "report", "--failed-sheet", fixes, "--input", sheet, results)
	if f.code != exitUsage || !strings.Contains(f.stderr, "a run is writing "+results+" now") {
		t.Errorf("--failed-sheet during the run: exit %d\n%s", f.code, f.stderr)
	}
	if _, err := os.Stat(fixes); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a fix-up sheet was written during the run: %v", err)
	}
	cmd.Process.Signal(os.Interrupt)
	waitExited(t, cmd, exited, "the run, interrupted")
	if r := runCLI(t, nil, "report", results); strings.Contains(r.stderr, "a run is writing") {
		t.Errorf("report after the run still says a run writes:\n%s", r.stderr)
	}
}
