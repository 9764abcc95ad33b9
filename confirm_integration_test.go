package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// formExport is a sign-up form's export: the participant's legal name, the
// account she chose, and a private comment.
const formExport = "Name,E-mail,Wiki username,Comment\n" +
	"Maria Garcia Adv,maria@example.org,MariaG-adv,I am allergic to nuts; phone +1-555-0100\n"

// A form's export creates the account the participant chose, never one
// under her legal name, and its private comment reaches no request: the
// dry run and the run show which column feeds each field.
func TestFormExportCreatesTheChosenNames(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "form.csv", formExport)
	proxy := newRecordingProxy(t, w.URL)
	dry := runCLI(t, nil, "run", "--dry-run", "--api", proxy.API, sheet)
	for _, want := range []string{`columns: username ← "Wiki username" (MariaG-adv)`, `email    ← "E-mail" (maria@example.org)`,
		"warning: ignoring columns Name, Comment"} {
		if !strings.Contains(dry.stderr, want) {
			t.Errorf("the dry run does not show %q", want)
		}
	}
	if rows := readResults(t, filepath.Join(dir, "form.dry-run.results.csv")); dry.code != 0 || rows[0].Canonical != "MariaG-adv" || rows[0].Status != report.WouldCreate {
		t.Errorf("dry run: exit %d, %+v", dry.code, rows)
	}
	r := runCLI(t, nil, "run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--reason", "Edit-a-thon 2026", "--rate", "0", "--yes", sheet)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "form.results.csv")), []expect{{2, report.Created, "MariaG-adv", ""}})
	log := newUsersByName(t, w)
	if len(log) != 1 || len(log["MariaG-adv"]) != 1 || log["MariaG-adv"][0].Comment != "Edit-a-thon 2026" {
		t.Errorf("the wiki's new-users log: %+v; want MariaG-adv alone, with the run's reason", log)
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	for _, q := range proxy.reqs {
		for k, vs := range q {
			for _, v := range vs {
				if strings.Contains(v, "allergic") || strings.Contains(v, "555-0100") || strings.Contains(v, "Maria Garcia Adv") {
					t.Errorf("a request carried the form's %s %q", k, v)
				}
			}
		}
	}
}

// Two columns that could each be the username refuse the sheet, naming
// both, and create nothing; --column says which, and that one is created.
func TestAmbiguousColumnsAreRefusedUnlessChosen(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "both.csv", "Username,E-mail,Wiki username\nmaria.garcia,maria@example.org,MariaG-adv\n")
	args := append(creatorArgs(w.Bulk, w), "--rate", "0", "--yes")
	r := runCLI(t, nil, append(append([]string{"run"}, args...), sheet)...)
	want := `2 columns could be the username: "Username", "Wiki username"; say which with --column username="Wiki username"`
	if r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, want)
	}
	if log := newUsersByName(t, w); len(log) != 0 {
		t.Fatalf("a refused sheet created %d accounts", len(log))
	}
	r = runCLI(t, nil, append(append([]string{"run"}, args...), "--column", "username=Wiki username", sheet)...)
	if r.code != 0 {
		t.Fatalf("with --column: exit %d", r.code)
	}
	if log := newUsersByName(t, w); len(log) != 1 || len(log["MariaG-adv"]) != 1 {
		t.Errorf("with --column the wiki holds %v, want MariaG-adv", log)
	}
}

// A sheet piped in (/dev/stdin, or process substitution) is read once and
// runs; --out names the results.
func TestPipedSheetRuns(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	out := filepath.Join(dir, "piped.results.csv")
	cmd := exec.Command(buildBinary(t), append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes",
		"--out", out, "/dev/stdin")...)
	cmd.Stdin = strings.NewReader("username,email\npiped_one,p1@example.org\npiped_two,p2@example.org\n")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	checkResults(t, readResults(t, out), []expect{{2, report.Created, "Piped one", ""}, {3, report.Created, "Piped two", ""}})
	if _, err := os.Stat(filepath.Join(dir, "piped.log.jsonl")); err != nil {
		t.Errorf("no log beside the results: %v", err)
	}
}

// A form's question that merely mentions a reason is no reason: the
// participant's answer about accommodations, or why she cannot attend,
// stays private, and the wiki's new-users log holds the run's reason
// alone. A run with --yes, asked nothing, says the public texts it will
// publish before its first request to create.
func TestPrivateAnswersNeverBecomeTheReason(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	for i, tt := range []struct{ question, name, answer string }{
		{"Do you need reasonable accommodations?", "LenaP-adv", "Yes: I have epilepsy"},
		{"Reason for not attending (private)", "OmarP-adv", "surgery on the 12th"},
	} {
		t.Run(tt.question, func(t *testing.T) {
			dir := t.TempDir()
			sheet := writeSheet(t, dir, "form.csv", "Name,E-mail,Wiki username,"+tt.question+"\n"+
				"Legal Name,p@example.org,"+tt.name+","+tt.answer+"\n")
			proxy := newRecordingProxy(t, w.URL)
			var errb lockedBuffer
			var atFirstCreate string
			var once sync.Once
			proxy.before = func(q url.Values) {
				if q.Get("action") == "createaccount" {
					once.Do(func() { atFirstCreate = errb.String() })
				}
			}
			s, _, _ := bufferStreams("", false)
			s.err = &errb
			reason := fmt.Sprintf("Edit-a-thon 2026, day %d", i+1)
			code := run(context.Background(), []string{"mwprovision", "run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
				"--reason", reason, "--rate", "0", "--yes", sheet}, s, func(string) string { return "" })
			t.Logf("exit %d\n%s", code, errb.String())
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			for _, e := range newUsersByName(t, w)[tt.name] {
				if e.Comment != reason {
					t.Errorf("the wiki's new-users log publishes %q for %s; want the run's reason alone", e.Comment, tt.name)
				}
			}
			for _, want := range []string{"reason:   " + reason + "\n",
				"          public: anyone can read it in the wiki's new-users log, and it cannot be removed\n"} {
				if !strings.Contains(atFirstCreate, want) {
					t.Errorf("before its first request to create, the run said %q; want %q", atFirstCreate, want)
				}
			}
			if want := "warning: ignoring columns Name, " + tt.question; !strings.Contains(errb.String(), want) {
				t.Errorf("the run does not say %q", want)
			}
		})
	}
}
