package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"
)

// doubleClickOutEnv, set for a copy of this test program, names the file
// where TestDoubleClickChild writes what it saw of its console.
const doubleClickOutEnv = "MWPROVISION_TEST_DOUBLECLICK_OUT"

// TestDoubleClickChild is the program TestStartedByDoubleClick starts in
// each way: it writes startedByDoubleClick's answer, then how many
// processes share its console.
func TestDoubleClickChild(t *testing.T) {
	out := os.Getenv(doubleClickOutEnv)
	if out == "" {
		t.Skip("started by TestStartedByDoubleClick")
	}
	n, err := consoleProcesses()
	line := fmt.Sprintf("%t %d processes on the console (%v)", startedByDoubleClick(), n, err)
	if err := os.WriteFile(out, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startedByDoubleClick is true for a program alone on a console made for
// it, as Explorer starts one, and false for one started from a shell's
// console or one it shares with the program that started it.
func TestStartedByDoubleClick(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := []string{"-test.run=^TestDoubleClickChild$"}
	newConsole := &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_CONSOLE}
	for _, c := range []struct {
		name string
		args []string // the program, then its arguments
		attr *syscall.SysProcAttr
		want bool
	}{
		// Explorer: a console made for the program alone.
		{"a console of its own", append([]string{self}, child...), newConsole, true},
		// A Command Prompt window: cmd's console, which the program shares.
		{"cmd's console", append([]string{comspec(), "/c", self}, child...), newConsole, false},
		// This test's console, if it has one, shared; none when it has none.
		{"its parent's console", append([]string{self}, child...), nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "seen")
			cmd := exec.Command(c.args[0], c.args[1:]...)
			cmd.SysProcAttr = c.attr
			cmd.Env = append(os.Environ(), doubleClickOutEnv+"="+out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", c.args, err, b)
			}
			seen, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("the program wrote nothing: %v", err)
			}
			t.Logf("%s: %s", c.name, seen)
			if got, _, _ := strings.Cut(string(seen), " "); got != fmt.Sprint(c.want) {
				t.Errorf("startedByDoubleClick() = %s, want %t", got, c.want)
			}
		})
	}
}

// comspec is the Command Prompt, as Windows names it.
func comspec() string {
	if c := os.Getenv("COMSPEC"); c != "" {
		return c
	}
	return "cmd.exe"
}
