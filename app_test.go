package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/provision"
)

// --help shows the three uses: sheet check, edit-a-thon, migration.
func TestHelpShowsTheThreeUses(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"run", "--help"}} {
		r := runCLI(t, nil, args...)
		code, out := r.code, r.stdout
		if code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		for _, want := range []string{"--dry-run", "--mailpassword=false", "--password-file"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help lacks %q", args, want)
			}
		}
	}
	if out := runCLI(t, nil, "help", "throttle-request").stdout; !strings.Contains(out, "--participants 40") || !strings.Contains(out, "72 hours") {
		t.Errorf("help throttle-request lacks its example:\n%s", out)
	}
	if out := runCLI(t, nil, "report", "--help").stdout; !strings.Contains(out, "--format wikitext") || !strings.Contains(out, "--failed-sheet") {
		t.Errorf("report --help lacks its examples:\n%s", out)
	}
}

// Shell completion: the script, and the candidates the shell asks the
// built binary for.
func TestShellCompletion(t *testing.T) {
	script := runCLI(t, nil, "completion").stdout
	if !strings.Contains(script, "complete -o filenames -F _mwprovision_complete mwprovision") {
		t.Errorf("completion script:\n%s", script)
	}
	bin := buildBinary(t)
	ask := func(args ...string) string {
		out, err := exec.Command(bin, append(args, "--generate-bash-completion")...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return string(out)
	}
	if cmds := ask(); !strings.Contains(cmds, "ui\nrun\ngrant\ncheck\nreport\nsave-password\nthrottle-request\ncompletion\n") {
		t.Errorf("command candidates %q", cmds)
	}
	if flags := ask("run", "--d"); !strings.Contains(flags, "--dry-run") {
		t.Errorf("flag candidates for --d: %q", flags)
	}
}

// One switch maps how a command ended to the exit code, and prints the
// error once, with advice.
func TestExitCode(t *testing.T) {
	tests := []struct {
		err    error
		code   int
		stderr string
	}{
		{nil, exitOK, ""},
		{errRowsNotOK, exitRowsNotOK, ""},
		{fmt.Errorf("run: %w", provision.ErrInterrupted), exitInterrupted,
			"mwprovision: interrupted; the rows not yet decided are pending: run again with --resume to continue\n"},
		{errNotConfirmed, exitUsage, ""},
		{fmt.Errorf("log in to x: %w", context.Canceled), exitInterrupted, "mwprovision: interrupted before any account was created\n"},
		{errSaveInterrupted, exitInterrupted, "mwprovision: interrupted: nothing was saved\n"},
		{errThrottleInterrupted, exitInterrupted, "mwprovision: interrupted: nothing was written\n"},
		{&provision.PreflightError{Code: provision.PreflightCannotMailPass, Msg: "the wiki cannot mail temporary passwords (email is disabled there)"}, exitUsage,
			"mwprovision: the wiki cannot mail temporary passwords (email is disabled there); run with --mailpassword=false and a password column, or enable email on the wiki\n"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if code := exitCode(tt.err, &stderr); code != tt.code || stderr.String() != tt.stderr {
			t.Errorf("exitCode(%v) = %d, %q; want %d, %q", tt.err, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}
