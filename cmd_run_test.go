package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/sheet"
)

// runCommandTest is one case of TestRunCommand.
type runCommandTest struct {
	name   string
	sheet  string // written as s.csv in a fresh directory, DIR in args and want
	args   []string
	tty    bool
	code   int
	stderr string // exact, DIR for the directory; the elapsed line is "elapsed X"
	files  map[string]string
}

// fineColumns is how a dry run shows the columns of a one-row sheet.
const fineColumns = "columns: username ← \"username\" (fine_one)\n         email    ← \"email\" (f@example.org)\n"

var runCommandTests = []runCommandTest{
	{
		name:  "offline dry run reports every problem by kind",
		sheet: "username,email,team\nmaria_garcia,m@example.org,red\nbad#name,b@example.org,blue\nMaria garcia,m2@example.org,red\nno_mail,,blue\n",
		args:  []string{"run", "--dry-run", "DIR/s.csv"},
		code:  1,
		stderr: "warning: ignoring columns team (mwprovision reads username, email, realname, reason, password, groups, expiry; --column FIELD=COLUMN chooses one)\n" +
			"dry run, offline: checking the sheet only (give --api to check the names against the wiki)\n" +
			"columns: username ← \"username\" (maria_garcia)\n         email    ← \"email\" (m@example.org)\n" +
			"4 rows, 1 passes the offline checks\n" +
			"invalid: forbidden-character (1 row)\n  line 3: \"bad#name\": a username cannot contain '#'\n" +
			"invalid: missing-email (1 row)\n  line 5: \"no_mail\": no email address: the wiki mails each new user a temporary password, so every row needs one (or run with --mailpassword=false and a password column)\n" +
			"duplicate (1 row)\n  line 4: \"Maria garcia\": repeats line 2 (both are \"Maria garcia\" on the wiki)\n" +
			"4 rows: 1 would-create, 2 invalid, 1 duplicate\nelapsed X\nnames: by the rules of a wiki in en, English namespace names only (--wiki-language for another language; --api asks the wiki)\n" +
			"results: DIR/s.dry-run.results.csv\nlog: DIR/s.dry-run.log.jsonl\n",
		files: map[string]string{"s.dry-run.results.csv": "line,username,canonical,status,code,message,attempts,finished_at,wiki,creator,first_run_at,groups\n" +
			"2,maria_garcia,Maria garcia,would-create,,passes every offline check; give --api to check the name against the wiki,0,T,,,T,\n" +
			"3,bad#name,,invalid,forbidden-character,a username cannot contain '#',0,T,,,T,\n" +
			"4,Maria garcia,Maria garcia,duplicate,duplicate,\"repeats line 2 (both are \"\"Maria garcia\"\" on the wiki)\",0,T,,,T,\n" +
			"5,no_mail,No mail,invalid,missing-email,\"no email address: the wiki mails each new user a temporary password, so every row needs one (or run with --mailpassword=false and a password column)\",0,T,,,T,\n"},
	},
	{
		name:   "password mode, quiet: only the summary",
		sheet:  "user;password\nold_one;Correct-Horse-1\nold_two;\n",
		args:   []string{"run", "--dry-run", "--quiet", "--mailpassword=false", "--out", "DIR/out.csv", "DIR/s.csv"},
		code:   1,
		stderr: "invalid: missing-password (1 row)\n  line 3: \"old_two\": no password: with --mailpassword=false every row needs a password (or leave mailpassword on and give an email)\n2 rows: 1 would-create, 1 invalid\nelapsed X\nnames: by the rules of a wiki in en, English namespace names only (--wiki-language for another language; --api asks the wiki)\nresults: DIR/out.csv\nlog: DIR/s.dry-run.log.jsonl\n",
	},
	{
		name:  "every row fine: exit 0",
		sheet: "username,email\nfine_one,f@example.org\n",
		args:  []string{"run", "--dry-run", "DIR/s.csv"},
		stderr: "dry run, offline: checking the sheet only (give --api to check the names against the wiki)\n" + fineColumns +
			"1 row, 1 passes the offline checks\n1 row: 1 would-create\nelapsed X\nnames: by the rules of a wiki in en, English namespace names only (--wiki-language for another language; --api asks the wiki)\nresults: DIR/s.dry-run.results.csv\nlog: DIR/s.dry-run.log.jsonl\n",
	},
	{
		name:  "a terminal gets a progress bar",
		sheet: "username,email\nfine_one,f@example.org\n",
		args:  []string{"run", "--dry-run", "DIR/s.csv"},
		tty:   true,
		// The bar is drawn with \r and cleared before the summary.
		stderr: "dry run, offline: checking the sheet only (give --api to check the names against the wiki)\n" + fineColumns +
			"1 row, 1 passes the offline checks\nBAR\n1 row: 1 would-create\nelapsed X\nnames: by the rules of a wiki in en, English namespace names only (--wiki-language for another language; --api asks the wiki)\nresults: DIR/s.dry-run.results.csv\nlog: DIR/s.dry-run.log.jsonl\n",
	},
	{
		name:   "no username column",
		sheet:  "mail,full name\na@example.org,A\n",
		args:   []string{"run", "--dry-run", "DIR/s.csv"},
		code:   2,
		stderr: "mwprovision: line 1: DIR/s.csv: no username column: the header has \"mail\", \"full name\"; name the column of usernames \"username\", or choose the column with --column username=COLUMN\n",
	},
	{
		name:   "two columns of the name chosen for the username: refused, saying how to choose",
		sheet:  "Name,E-mail,Name\nMaria Garcia,m@example.org,MariaG-adv\n",
		args:   []string{"run", "--dry-run", "--column", "username=Name", "DIR/s.csv"},
		code:   2,
		stderr: "mwprovision: DIR/s.csv: line 1: columns 1 and 3 are both called \"Name\": either could be the username; choose one by its position (the first column is #1), such as --column username=#3, or rename the other in the sheet\n",
	},
	{
		name:  "two columns of one name: the one chosen by its position",
		sheet: "Name,E-mail,Name\nMaria Garcia,m@example.org,MariaG-adv\n",
		args:  []string{"run", "--dry-run", "--quiet", "--column", "username=#3", "--column", "realname=#1", "DIR/s.csv"},
		stderr: "1 row: 1 would-create\nelapsed X\nnames: by the rules of a wiki in en, English namespace names only (--wiki-language for another language; --api asks the wiki)\n" +
			"results: DIR/s.dry-run.results.csv\nlog: DIR/s.dry-run.log.jsonl\n",
		files: map[string]string{"s.dry-run.results.csv": "line,username,canonical,status,code,message,attempts,finished_at,wiki,creator,first_run_at,groups\n" +
			"2,MariaG-adv,MariaG-adv,would-create,,passes every offline check; give --api to check the name against the wiki,0,T,,,T,\n"},
	},
	{
		name:   "an empty sheet",
		args:   []string{"run", "--dry-run", "DIR/s.csv"},
		code:   2,
		stderr: "mwprovision: DIR/s.csv: the sheet is empty: it needs a header row such as username,email,realname\n",
	},
	{
		name:   "no such sheet",
		args:   []string{"run", "--dry-run", "DIR/none.csv"},
		code:   2,
		stderr: "mwprovision: cannot open the sheet: open DIR/none.csv: NOTEXIST\n",
	},
	{
		name:   "nothing to resume",
		sheet:  "username,email\nfine_one,f@example.org\n",
		args:   []string{"run", "--dry-run", "--resume", "DIR/s.csv"},
		code:   2,
		stderr: "mwprovision: nothing to resume: there is no results file at DIR/s.dry-run.results.csv (give --out if it is elsewhere)\n",
	},
	{
		name:   "a run needs a wiki",
		sheet:  "username,email\nfine_one,f@example.org\n",
		args:   []string{"run", "DIR/s.csv"},
		code:   2,
		stderr: "mwprovision: no wiki: give --api https://…/w/api.php (or MWPROVISION_API), or check the sheet offline with --dry-run\n",
	},
	{
		name:   "an unknown flag",
		args:   []string{"run", "--password", "x", "DIR/s.csv"},
		code:   2,
		stderr: "mwprovision: flag provided but not defined: -password (see mwprovision run --help)\n",
	},
}

// TestRunCommand runs `mwprovision run` in-process with buffers, as a user
// at a shell would (ff's TestExec shape), for everything that needs no wiki:
// offline dry runs and the refusals before anything is sent.
func TestRunCommand(t *testing.T) {
	for _, tt := range runCommandTests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "s.csv"), []byte(tt.sheet), 0o600); err != nil {
				t.Fatal(err)
			}
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "DIR", dir)
			}
			r := runCLIWith(t, "", tt.tty, nil, args...)
			stderr := strings.ReplaceAll(r.stderr, dir, "DIR")
			stderr = regexp.MustCompile(`elapsed [^\n]*`).ReplaceAllString(stderr, "elapsed X")
			stderr = regexp.MustCompile(`(?s)\r.*\r\n`).ReplaceAllString(stderr, "BAR\n")
			if r.code != tt.code {
				t.Errorf("exit %d, want %d", r.code, tt.code)
			}
			if want := strings.ReplaceAll(tt.stderr, "NOTEXIST", notExist(t)); stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
			}
			for name, want := range tt.files {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				got := regexp.MustCompile(`\d{4}-\d\d-\d\dT[\d:]+Z`).ReplaceAllString(string(b), "T")
				if got != want {
					t.Errorf("%s:\n%s\nwant:\n%s", name, got, want)
				}
			}
		})
	}
}

// notExist is how this system says a file is not there ("no such file or
// directory" on Unix).
func notExist(t *testing.T) string {
	t.Helper()
	_, err := os.Open(filepath.Join(t.TempDir(), "none"))
	var pe *os.PathError
	if !errors.As(err, &pe) {
		t.Fatalf("opening nothing: %v", err)
	}
	return pe.Err.Error()
}

// --add-groups confirmed needs an expiry: --group-expiry, or the sheet's
// expiry column; a row whose expiry cell is empty is never given
// confirmed for good.
func TestConfirmedNeedsAnExpiryOfTheRunOrOfItsRow(t *testing.T) {
	for _, tt := range []struct {
		name, sheet string
		code        int
		stderr      string
		codes       []string // the results' codes, row by row
	}{
		{"every row has its expiry", "username,email,expiry\none,1@example.org,2 weeks\ntwo,2@example.org,2030-01-01\n", 0, "", []string{"", ""}},
		{"a row without one is refused", "username,email,expiry\none,1@example.org,2 weeks\ntwo,2@example.org,\n", 1,
			`line 3: "two": confirmed is only ever added for a while`, []string{"", "group-needs-expiry"}},
		{"no expiry column", "username,email\none,1@example.org\n", 2,
			"mwprovision: --add-groups confirmed needs --group-expiry or an expiry column in the sheet: confirmed is given for a while, such as --group-expiry \"10 days\" (--group-expiry infinite adds it permanently)\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sheet := writeSheet(t, dir, "s.csv", tt.sheet)
			r := runCLI(t, nil, "run", "--dry-run", "--add-groups", "confirmed", sheet)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.stderr)
			}
			if tt.codes == nil {
				if _, err := os.Stat(filepath.Join(dir, "s.dry-run.results.csv")); err == nil {
					t.Errorf("a refused run wrote results")
				}
				return
			}
			rows := readResults(t, filepath.Join(dir, "s.dry-run.results.csv"))
			var codes []string
			for _, row := range rows {
				codes = append(codes, row.Code)
			}
			if !slices.Equal(codes, tt.codes) {
				t.Errorf("codes %q, want %q", codes, tt.codes)
			}
		})
	}
}

// One row is "1 row".
func TestSayStartOfOneRow(t *testing.T) {
	plan, err := provision.ReadPlan(context.Background(), sheet.Stream(strings.NewReader("username,email\nana,ana@example.org\n")),
		provision.PlanOptions{MailPassword: true, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	runOptions{DryRun: true}.sayStart(&b, plan, "")
	if got, want := b.String(), "1 row, 1 passes the offline checks\n"; got != want {
		t.Errorf("sayStart = %q, want %q", got, want)
	}
}
