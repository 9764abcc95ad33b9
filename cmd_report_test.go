package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision/i18n"
	"github.com/mwprovision/mwprovision/report"
)

// TestReportCommand runs `mwprovision report` with buffers on a results
// file and the sheet it is about.
func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	at := report.Timestamp{Time: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	results := filepath.Join(dir, "s.results.csv")
	writeResults(t, results,
		report.Row{Line: 2, Username: "ada_lovelace", Canonical: "Ada lovelace", Status: report.Created, Attempts: 1, FinishedAt: at},
		report.Row{Line: 3, Username: "grace#hopper", Status: report.Invalid, Code: "forbidden-character", Message: "a username cannot contain '#'", FinishedAt: at},
		report.Row{Line: 4, Username: "Admin", Canonical: "Admin", Status: report.Exists, Code: "userexists", Message: "the username is already taken on the wiki (userexists)", Attempts: 1, FinishedAt: at},
	)
	sheet := filepath.Join(dir, "s.csv")
	if err := os.WriteFile(sheet, []byte("username;email;password;team\nada_lovelace;ada@example.org;secret-1;red\ngrace#hopper;grace@example.org;secret-2;blue\nAdmin;a@example.org;secret-3;red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.csv")
	if err := os.WriteFile(other, []byte("username,email\nsomebody_else,s@example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
		file, content  string
	}{
		{name: "text", args: []string{"report", results}, stdout: "invalid: forbidden-character (1 row)\n  line 3: \"grace#hopper\": a username cannot contain '#'\n" +
			"exists: userexists (1 row)\n  line 4: \"Admin\": the username is already taken on the wiki (userexists)\n3 rows: 1 created, 1 exists, 1 invalid\n"},
		{name: "markdown", args: []string{"report", "--format", "markdown", results}, stdout: "| status | rows |\n|---|---:|\n| created | 1 |\n| exists | 1 |\n| invalid | 1 |\n| **total** | **3** |\n\n" +
			"| line | username | status | code | message |\n|---:|---|---|---|---|\n| 3 | grace#hopper | invalid | forbidden-character | a username cannot contain '#' |\n" +
			"| 4 | Admin | exists | userexists | the username is already taken on the wiki (userexists) |\n"},
		{name: "wikitext", args: []string{"report", "--format", "wikitext", results}, stdout: "* [[User:Ada lovelace|Ada lovelace]]\n"},
		{name: "failed sheet: the sheet's own columns and delimiter, no passwords", args: []string{"report", "--failed-sheet", filepath.Join(dir, "fix.csv"), "--input", sheet, results},
			stderr: "wrote 1 rows to fix to " + filepath.Join(dir, "fix.csv") + "; correct them, then run that sheet\n",
			file:   filepath.Join(dir, "fix.csv"), content: "username;email;team\ngrace#hopper;grace@example.org;blue\n"},
		{name: "unknown format", args: []string{"report", "--format", "html", results}, code: 2,
			stderr: "mwprovision: unknown format \"html\": use text, markdown, wikitext or slips\n"},
		{name: "not a results file", args: []string{"report", sheet}, code: 2,
			stderr: "mwprovision: " + sheet + " is not a results file of mwprovision: "},
		{name: "no results file", args: []string{"report"}, code: 2,
			stderr: "mwprovision: report needs exactly one results file: mwprovision report [flags] RESULTS.csv\n"},
		{name: "failed sheet without its sheet", args: []string{"report", "--failed-sheet", filepath.Join(dir, "x.csv"), results}, code: 2,
			stderr: "mwprovision: --failed-sheet needs --input, the sheet these results are about\n"},
		{name: "results of another sheet", args: []string{"report", "--failed-sheet", filepath.Join(dir, "y.csv"), "--input", other, results}, code: 2,
			stderr: "mwprovision: the results do not belong to " + other + ": its line 2 (\"somebody_else\") is not in them as such; give the sheet that was run\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code || r.stdout != tt.stdout || !strings.HasPrefix(r.stderr, tt.stderr) || tt.code == 0 && r.stderr != tt.stderr {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
			}
			if tt.file != "" {
				b, err := os.ReadFile(tt.file)
				if err != nil || string(b) != tt.content {
					t.Errorf("%s = %q (%v), want %q", tt.file, b, err, tt.content)
				}
			}
		})
	}
}

// --lang chooses the report's language among the four shipped: an unknown
// code is refused before the results file is touched, naming them; French
// wikitext takes its words and its dates from the French catalogue.
func TestReportCommandLanguage(t *testing.T) {
	dir := t.TempDir()
	at := report.Timestamp{Time: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	until := time.Date(2026, 12, 8, 19, 0, 0, 0, time.UTC)
	results := filepath.Join(dir, "s.results.csv")
	writeResults(t, results,
		report.Row{Line: 2, Username: "ada_lovelace", Canonical: "Ada lovelace", Status: report.Created, Attempts: 1, FinishedAt: at,
			Groups: report.Groups{{Group: "confirmed", State: report.GrantAdded, Until: until}}},
		report.Row{Line: 3, Username: "grace#hopper", Status: report.Invalid, Code: "forbidden-character", Message: "a username cannot contain '#'", FinishedAt: at},
	)
	for _, code := range []string{"de", "EN", "fr-FR", ""} {
		t.Run("unknown "+code, func(t *testing.T) {
			r := runCLI(t, nil, "report", "--lang", code, "--format", "wikitext", results)
			want := "mwprovision: unknown language \"" + code + "\": use en, fr, es or ar\n"
			if r.code != 2 || r.stdout != "" || r.stderr != want {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, stderr %q", r.code, r.stdout, r.stderr, want)
			}
		})
	}
	t.Run("fr wikitext", func(t *testing.T) {
		fr := i18n.Lang("fr")
		held := fr.T("wikitext-group-until", "confirmed", fr.Date(8, 12, 2026))
		want := "* [[User:Ada lovelace|Ada lovelace]] " + fr.T("wikitext-groups", held) + "\n"
		r := runCLI(t, nil, "report", "--lang", "fr", "--format", "wikitext", results)
		if r.code != 0 || r.stdout != want || r.stderr != "" {
			t.Errorf("exit %d, stdout %q, stderr %q; want exit 0, stdout %q", r.code, r.stdout, r.stderr, want)
		}
	})
	t.Run("en is the default", func(t *testing.T) {
		a := runCLI(t, nil, "report", results)
		b := runCLI(t, nil, "report", "--lang", "en", results)
		if a.code != 0 || a.stdout != b.stdout || !strings.Contains(a.stdout, "2 rows: 1 created, 1 invalid\ngroups: 1 added\n") {
			t.Errorf("report = %q, report --lang en = %q", a.stdout, b.stdout)
		}
	})
}
