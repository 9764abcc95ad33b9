package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// tmuxTerm runs the built binary in a real terminal (tmux, Debian's package),
// as a person at a keyboard would.
type tmuxTerm struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T) *tmuxTerm {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is not installed: run `make wiki-deps` (it installs Debian's tmux): %v", err)
	}
	tm := &tmuxTerm{t: t, socket: fmt.Sprintf("mwprovision-test-%d", time.Now().UnixNano())}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmuxTerm) run(args ...string) string {
	tm.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// start runs shell command line in a new 200×40 session.
func (tm *tmuxTerm) start(name, line string) {
	tm.run("new-session", "-d", "-s", name, "-x", "200", "-y", "40", line)
}

func (tm *tmuxTerm) screen(name string) string { return tm.run("capture-pane", "-p", "-t", name) }

// waitFor polls the screen until it contains want.
func (tm *tmuxTerm) waitFor(name, want string, timeout time.Duration) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := tm.screen(name)
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("the terminal never showed %q; it shows:\n%s", want, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestTerminalConfirmsAndShowsThrottleCountdown(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 2, ThrottleSeconds: 10})
	bin := buildBinary(t)
	tm := newTmux(t)
	dir := t.TempDir()
	base := fmt.Sprintf("%s run --api %s --user %s --password-file %s --rate 0 --reason 'Terminal test'",
		bin, w.API, w.Limited.Login, w.Limited.PasswordFile)

	// Answered n: nothing is created.
	declined := writeSheet(t, dir, "declined.csv", "username,email\ndeclined_one,d1@example.org\n")
	tm.start("no", base+" "+declined+"; echo EXIT=$?; sleep 60")
	prompt := tm.waitFor("no", "[y/N]", 15*time.Second)
	for _, want := range []string{"Accounts can never be deleted", "wiki:     Test wiki", "creator:  Admin (Admin@limited)",
		"accounts: 1 to create", "reason:   Terminal test", "Create 1 accounts?"} {
		if !strings.Contains(prompt, want) {
			t.Errorf("the confirmation does not show %q:\n%s", want, prompt)
		}
	}
	tm.run("send-keys", "-t", "no", "n", "Enter")
	tm.waitFor("no", "EXIT=2", 10*time.Second)
	if log := newUsersByName(t, w); len(log) != 0 {
		t.Fatalf("answering n created %d accounts", len(log))
	}

	// Answered y: it runs, and while the wiki throttles it shows the pause
	// with a countdown and the counts so far.
	sheet := writeSheet(t, dir, "room.csv", "username,email\nroom_one,r1@example.org\nroom_two,r2@example.org\nroom_three,r3@example.org\n")
	tm.start("yes", base+" "+sheet+"; echo EXIT=$?; sleep 60")
	tm.waitFor("yes", "[y/N]", 15*time.Second)
	tm.run("send-keys", "-t", "yes", "y", "Enter")
	paused := tm.waitFor("yes", "resuming in", 20*time.Second)
	t.Logf("the terminal during the pause:\n%s", strings.TrimRight(paused, "\n"))
	for _, want := range []string{"wiki throttle: 2 per 10s for this IP", "2 created", "0 exist", "2/3", "ETA"} {
		if !strings.Contains(paused, want) {
			t.Errorf("during the pause the terminal does not show %q:\n%s", want, paused)
		}
	}
	first := countdown(t, paused)
	later := first
	moved := poll(5*time.Second, nil, func() bool {
		later = countdown(t, tm.screen("yes"))
		return later >= 0 && later < first
	})
	if !moved {
		t.Errorf("the countdown does not move: %ds, then %ds", first, later)
	}
	done := tm.waitFor("yes", "EXIT=0", 40*time.Second)
	if !strings.Contains(done, "3 rows: 3 created") {
		t.Errorf("no summary on the terminal:\n%s", done)
	}
	if log := newUsersByName(t, w); len(log) != 3 {
		t.Errorf("the wiki holds %d new accounts, want 3", len(log))
	}
}

// countdown reads "resuming in Ns" from a screen (-1 when absent).
func countdown(t *testing.T, screen string) int {
	t.Helper()
	i := strings.LastIndex(screen, "resuming in ")
	if i < 0 {
		return -1
	}
	var n int
	fmt.Sscanf(screen[i+len("resuming in "):], "%ds", &n)
	return n
}

// Without a terminal: no escape codes, no carriage returns, and a bounded
// number of lines however many rows need attention.
func TestNonTerminalOutputIsPlainAndBounded(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("username,email\n")
	for i := 0; i < 300; i++ {
		if i%5 == 0 {
			fmt.Fprintf(&b, "plain_%03d,p%d@example.org\n", i, i)
		} else {
			fmt.Fprintf(&b, "bad#%03d,b%d@example.org\n", i, i)
		}
	}
	sheet := writeSheet(t, dir, "long.csv", b.String())
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", sheet)...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	if strings.ContainsAny(r.stderr, "\x1b\r") {
		t.Errorf("non-terminal output holds escape codes or carriage returns: %q", r.stderr)
	}
	if n := strings.Count(r.stderr, "\n"); n > maxProblemLines+15 {
		t.Errorf("%d lines of output for 300 rows, want at most %d", n, maxProblemLines+15)
	}
	if !strings.Contains(r.stderr, "… more problem rows: see the results file") {
		t.Error("the output does not say where the rest of the problems are")
	}
	if rows := readResults(t, filepath.Join(dir, "long.results.csv")); len(rows) != 300 || rows[0].Status != report.Created {
		t.Errorf("results: %d rows", len(rows))
	}

	// Without --yes and without a terminal, a run refuses: nothing is created.
	r2 := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), writeSheet(t, dir, "s.csv", "username,email\nunasked,u@example.org\n"))...)
	if r2.code != 2 || !strings.Contains(r2.stderr, "no terminal to ask on") {
		t.Errorf("without --yes: exit %d, stderr %q; want 2 and why", r2.code, r2.stderr)
	}
	// --quiet prints the summary and nothing else of the run.
	r3 := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--quiet", "--rate", "0", "--yes", sheet)...)
	if strings.Contains(r3.stderr, "line ") || strings.Contains(r3.stderr, "logged in") || !strings.Contains(r3.stderr, "300 rows:") {
		t.Errorf("--quiet output:\n%s", r3.stderr)
	}
}

// Without a password file or MWPROVISION_PASSWORD, a terminal user is asked
// for the bot password, which is not echoed.
func TestTerminalPromptsForBotPassword(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	bin := buildBinary(t)
	tm := newTmux(t)
	dir := t.TempDir()
	secret, err := os.ReadFile(w.Bulk.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	sheet := writeSheet(t, dir, "p.csv", "username,email\nprompted_one,p1@example.org\n")
	tm.start("pw", fmt.Sprintf("%s run --dry-run --api %s --user %s %s; echo EXIT=$?; sleep 30", bin, w.API, w.Bulk.Login, sheet))
	tm.waitFor("pw", "Bot password for Admin@bulk:", 15*time.Second)
	tm.run("send-keys", "-t", "pw", "-l", strings.TrimSpace(string(secret)))
	tm.run("send-keys", "-t", "pw", "Enter")
	screen := tm.waitFor("pw", "EXIT=0", 20*time.Second)
	if !strings.Contains(screen, "logged in to Test wiki as Admin") {
		t.Errorf("the prompted password did not log in:\n%s", screen)
	}
	if strings.Contains(screen, strings.TrimSpace(string(secret))) {
		t.Error("the password was echoed on the terminal")
	}
}

// The sheet is rewritten while the confirmation waits (an editor's autosave,
// a sync client): what runs is what was confirmed, or nothing. Written in
// place, it is refused with exit 2 and nothing is created; saved over by a
// rename, the confirmed rows run, not the new ones.
func TestSheetRewrittenWhileThePromptWaits(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	bin := buildBinary(t)
	tm := newTmux(t)
	dir := t.TempDir()
	base := fmt.Sprintf("%s run --api %s --user %s --password-file %s --rate 0", bin, w.API, w.Bulk.Login, w.Bulk.PasswordFile)
	others := "username,email\nunconfirmed_one,u1@example.org\nunconfirmed_two,u2@example.org\nunconfirmed_three,u3@example.org\n"

	inPlace := writeSheet(t, dir, "inplace.csv", "username,email\nconfirmed_one,c1@example.org\n")
	tm.start("inplace", base+" "+inPlace+"; echo EXIT=$?; sleep 60")
	if prompt := tm.waitFor("inplace", "[y/N]", 15*time.Second); !strings.Contains(prompt, "accounts: 1 to create (0 other rows need no request): Confirmed one") {
		t.Errorf("the prompt does not name the account:\n%s", prompt)
	}
	writeSheet(t, dir, "inplace.csv", others) // the same file, rewritten
	tm.run("send-keys", "-t", "inplace", "y", "Enter")
	if screen := tm.waitFor("inplace", "EXIT=", 20*time.Second); !strings.Contains(screen, "EXIT=2") ||
		!strings.Contains(screen, "the sheet changed after it was read; nothing was created") {
		t.Errorf("a sheet rewritten in place:\n%s", screen)
	}
	if log := newUsersByName(t, w); len(log) != 0 {
		t.Fatalf("the wiki holds %v after a refused run", log)
	}
	if _, err := os.Stat(filepath.Join(dir, "inplace.results.csv")); err == nil {
		t.Error("a refused run wrote a results file")
	}

	renamed := writeSheet(t, dir, "renamed.csv", "username,email\nconfirmed_two,c2@example.org\n")
	tm.start("renamed", base+" "+renamed+"; echo EXIT=$?; sleep 60")
	tm.waitFor("renamed", "[y/N]", 15*time.Second)
	writeSheet(t, dir, "saved.tmp", others)
	if err := os.Rename(filepath.Join(dir, "saved.tmp"), renamed); err != nil {
		t.Fatal(err)
	}
	tm.run("send-keys", "-t", "renamed", "y", "Enter")
	tm.waitFor("renamed", "EXIT=0", 20*time.Second)
	if log := newUsersByName(t, w); len(log) != 1 || len(log["Confirmed two"]) != 1 {
		t.Errorf("after a rename over the sheet the wiki holds %v, want only the confirmed Confirmed two", log)
	}
}
