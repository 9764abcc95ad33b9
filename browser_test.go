package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// consoleURL is an address as the console gives it: a query whose & a
// shell would take for the end of a command.
const consoleURL = "http://127.0.0.1:49152/?token=abc&x=1"

// browserOutEnv, set for a copy of this test program started as a
// browser, names a file where it writes its arguments, a line each, then
// ends: a browser that runs wherever the tests do, Windows (Wine) too.
const browserOutEnv = "MWPROVISION_TEST_BROWSER_OUT"

func init() {
	out := os.Getenv(browserOutEnv)
	if out == "" {
		return
	}
	if err := os.WriteFile(out+".part", []byte(strings.Join(os.Args[1:], "\n")), 0o600); err != nil {
		os.Exit(2)
	}
	if err := os.Rename(out+".part", out); err != nil {
		os.Exit(2)
	}
	os.Exit(0)
}

// waitFile returns the content of path once it is there.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the browser never wrote %s: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noBrowserCommand makes the system's opener fail the test if it is asked for.
func noBrowserCommand(t *testing.T) {
	t.Helper()
	saved := browserCommand
	t.Cleanup(func() { browserCommand = saved })
	browserCommand = func(url string) *exec.Cmd {
		t.Errorf("the system's browser was asked to open %s", url)
		return exec.Command(os.Args[0], "-test.run=^$")
	}
}

// MWPROVISION_BROWSER names the program that opens the address, given it
// as its only argument, byte for byte; here a copy of this test program.
func TestOpenBrowserRunsTheProgramNamed(t *testing.T) {
	noBrowserCommand(t)
	out := filepath.Join(t.TempDir(), "args")
	t.Setenv(browserOutEnv, out)
	t.Setenv(browserEnv, os.Args[0])
	if err := openBrowser(consoleURL); err != nil {
		t.Fatal(err)
	}
	if got := waitFile(t, out); got != consoleURL {
		t.Errorf("the browser was given %q, want %q alone", got, consoleURL)
	}
}

// MWPROVISION_BROWSER=none opens nothing.
func TestOpenBrowserNone(t *testing.T) {
	noBrowserCommand(t)
	t.Setenv(browserEnv, "none")
	if err := openBrowser(consoleURL); err != nil {
		t.Fatal(err)
	}
}

// Without MWPROVISION_BROWSER the system's opener is started, and
// openBrowser returns while it still runs.
func TestOpenBrowserStartsTheSystemsOpenerWithoutWaiting(t *testing.T) {
	t.Setenv(browserEnv, "")
	out := filepath.Join(t.TempDir(), "args")
	release := filepath.Join(t.TempDir(), "release")
	saved := browserCommand
	t.Cleanup(func() { browserCommand = saved })
	var asked string
	browserCommand = func(url string) *exec.Cmd {
		asked = url
		// A browser that stays until released: this test program, which
		// runs TestOpenBrowserHeldOpener.
		cmd := exec.Command(os.Args[0], "-test.run=^TestOpenBrowserHeldOpener$")
		cmd.Env = append(os.Environ(), "MWPROVISION_TEST_BROWSER_HOLD="+release, "MWPROVISION_TEST_BROWSER_HELD="+out)
		return cmd
	}
	returned := make(chan error, 1)
	go func() { returned <- openBrowser(consoleURL) }()
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
		if asked != consoleURL {
			t.Errorf("the opener was asked for %q, want %q", asked, consoleURL)
		}
	case <-time.After(30 * time.Second):
		t.Error("openBrowser waited for the opener to end")
	}
	waitFile(t, out) // it was started, and stays until released
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOpenBrowserHeldOpener is the opener that
// TestOpenBrowserStartsTheSystemsOpenerWithoutWaiting starts: it says it
// runs, then stays until released (two minutes at most).
func TestOpenBrowserHeldOpener(t *testing.T) {
	release, held := os.Getenv("MWPROVISION_TEST_BROWSER_HOLD"), os.Getenv("MWPROVISION_TEST_BROWSER_HELD")
	if release == "" {
		t.Skip("the opener of TestOpenBrowserStartsTheSystemsOpenerWithoutWaiting")
	}
	if err := os.WriteFile(held, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(release); err == nil {
			return
		}
	}
}

// A program that cannot be started is an error.
func TestOpenBrowserMissingProgram(t *testing.T) {
	noBrowserCommand(t)
	t.Setenv(browserEnv, filepath.Join(t.TempDir(), "no-such-browser"))
	if err := openBrowser(consoleURL); err == nil {
		t.Error("a missing browser program is no error")
	}
}

// Each system's opener is given the address as one argument of its own,
// with no shell in between.
func TestBrowserCommandPerSystem(t *testing.T) {
	want := map[string][]string{
		"darwin":  {"open", consoleURL},
		"windows": {"rundll32", "url.dll,FileProtocolHandler", consoleURL},
	}[runtime.GOOS]
	if want == nil {
		want = []string{"xdg-open", consoleURL}
	}
	got := browserCommand(consoleURL).Args
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("browserCommand: %q, want %q", got, want)
	}
}
