package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/report"
)

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	private := write("private", "s3cret \t\r\n", 0o600)
	if err := report.MakePrivate(private); err != nil {
		t.Fatal(err)
	}
	open := write("open", "s3cret\n", 0o644)
	openErr := shareWithOthers(t, open)
	empty := write("empty", "\n", 0o600)
	if err := report.MakePrivate(empty); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, env, want, err string
	}{
		{name: "a private file, trailing space trimmed", file: private, want: "s3cret"},
		{name: "the file wins over the environment", file: private, env: "from-env", want: "s3cret"},
		{name: "the environment", env: "from-env", want: "from-env"},
		{name: "readable by others", file: open, err: openErr},
		{name: "empty", file: empty, err: "is empty"},
		{name: "missing file", file: filepath.Join(dir, "nope"), err: "cannot read the bot password file"},
		{name: "nothing given", err: "no bot password: give its file (readable by you alone: mwprovision save-password FILE writes one) or set MWPROVISION_PASSWORD"},
	}
	for _, tt := range tests {
		got, err := readSecret(t.Context(), tt.file, "MWPROVISION_PASSWORD", "bot password", func(string) string { return tt.env })
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// The prompt shows, the typed secret is read without echo and trimmed; an
// empty answer is refused.
func TestPromptSecret(t *testing.T) {
	for _, tt := range []struct{ typed, want, err string }{
		{"  hunter2-but-longer \n", "hunter2-but-longer", ""},
		{"\n", "", "no bot password given"},
	} {
		s, _, stderr := bufferStreams(tt.typed, true)
		got, err := promptSecret(t.Context(), s.readSecret, s.err, "Bot password for A@b: ")
		if got != tt.want || (tt.err != "") != (err != nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("typed %q: %q, %v; want %q, %q", tt.typed, got, err, tt.want, tt.err)
		}
		if stderr.String() != "Bot password for A@b: \n" {
			t.Errorf("prompt %q", stderr.String())
		}
	}
}

// Only a regular file holds a secret: a directory or a device is refused
// with what it is, before anything is read.
func TestReadSecretRefusesWhatIsNoFile(t *testing.T) {
	for _, tt := range []struct{ path, want string }{
		{t.TempDir(), "is not a file but a directory"},
		{os.DevNull, "is not a file but a device (such as /dev/null)"},
	} {
		_, err := readSecret(t.Context(), tt.path, "MWPROVISION_PASSWORD", "bot password", func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.path, err, tt.want)
		}
	}
}

// save-password writes the secret so that only its owner can read it, on
// every system, and run reads it back; a second save replaces it.
func TestSavePassword(t *testing.T) {
	file := filepath.Join(t.TempDir(), "botpassword")
	for _, secret := range []string{"first-secret-0123456789abcdefghij", "second-secret-0123456789abcdefghi"} {
		r := runCLIWith(t, secret+"\n", false, nil, "save-password", file)
		if r.code != 0 || !strings.Contains(r.stderr, "readable by you alone") {
			t.Fatalf("exit %d:\n%s", r.code, r.stderr)
		}
		if who, _, err := report.Readers(file); who != "" || err != nil {
			t.Errorf("the saved file can be read by %q (%v)", who, err)
		}
		got, err := readSecret(t.Context(), file, "MWPROVISION_PASSWORD", "bot password", func(string) string { return "" })
		if err != nil || got != secret {
			t.Errorf("read back %q, %v; want %q", got, err, secret)
		}
	}
	if r := runCLIWith(t, "\n", false, nil, "save-password", file); r.code != exitUsage || !strings.Contains(r.stderr, "no secret on standard input") {
		t.Errorf("an empty secret: exit %d:\n%s", r.code, r.stderr)
	}
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 1 {
		t.Errorf("the folder holds %d files, want the one saved", len(entries))
	}
}

// Ctrl-C while save-password waits for the secret: it says nothing was
// saved (not a word about accounts), exit 130, and no file is written.
func TestSavePasswordInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	file := filepath.Join(t.TempDir(), "botpassword")
	for _, tty := range []bool{true, false} {
		s, _, stderr := bufferStreams("typed-after-0123456789abcdefghijk\n", tty)
		code := run(ctx, []string{"mwprovision", "save-password", file}, s, func(string) string { return "" })
		if code != exitInterrupted || !strings.Contains(stderr.String(), "mwprovision: interrupted: nothing was saved\n") || strings.Contains(stderr.String(), "account") {
			t.Errorf("terminal %v: exit %d:\n%s", tty, code, stderr.String())
		}
		if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("terminal %v: a file was written (%v)", tty, err)
		}
	}
}

// A save killed between writing its temporary file and renaming it leaves
// that file behind: a later save still works.
func TestSavePasswordAfterAKilledSave(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "botpassword")
	leftover := filepath.Join(dir, ".botpassword.new") // the name an earlier release used
	writeSecretFile(t, leftover, "killed-secret-0123456789abcdefghij\n")
	for _, secret := range []string{"first-secret-0123456789abcdefghij", "second-secret-0123456789abcdefghi"} {
		if r := runCLIWith(t, secret+"\n", false, nil, "save-password", file); r.code != 0 {
			t.Fatalf("with a leftover temporary file: exit %d:\n%s", r.code, r.stderr)
		}
		if got, err := readSecret(t.Context(), file, "MWPROVISION_PASSWORD", "bot password", func(string) string { return "" }); err != nil || got != secret {
			t.Errorf("read back %q, %v; want %q", got, err, secret)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the folder holds %d files, want the saved one and the leftover", len(entries))
	}
}

// save-password replaces only a secret file it wrote (readable by its
// owner alone, a single line) or an empty file: a results file, a sheet or
// any other file at FILE is refused before the secret is asked for, and is
// left byte for byte as it was, with nothing written beside it.
func TestSavePasswordRefusesAnotherFile(t *testing.T) {
	dir := t.TempDir()
	var results bytes.Buffer
	w, err := report.NewWriter(&results)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 40; i++ {
		if err := w.Write(report.Row{Line: i + 1, Username: fmt.Sprintf("Person %d", i), Canonical: fmt.Sprintf("Person %d", i), Status: report.Created}); err != nil {
			t.Fatal(err)
		}
	}
	headerOnly, _, _ := strings.Cut(results.String(), "\n")
	others := []struct {
		name, content string
		private       bool
	}{
		{"event.results.csv", results.String(), true},
		{"event.results.empty.csv", headerOnly + "\n", true}, // one line, private: still results
		{"signups.csv", "username,email\nalice,a@example.org\nbob,b@example.org\n", false},
		{"signups-private.csv", "username,email\nalice,a@example.org\n", true},
		{"notes.txt", "one line others may read\n", false},
	}
	for _, o := range others {
		path := filepath.Join(dir, o.name)
		if o.private {
			writeSecretFile(t, path, o.content)
		} else {
			writeSheet(t, dir, o.name, o.content)
			shareWithOthers(t, path)
		}
		for _, tty := range []bool{false, true} {
			r := runCLIWith(t, "new-secret-0123456789abcdefghijkl\n", tty, nil, "save-password", path)
			if r.code != exitUsage || !strings.Contains(r.stderr, path+" is there and is not a secret file of mwprovision save-password") ||
				!strings.Contains(r.stderr, "nothing was written") {
				t.Errorf("%s (terminal %v): exit %d:\n%s", o.name, tty, r.code, r.stderr)
			}
			if strings.Contains(r.stderr, "Bot password") {
				t.Errorf("%s: the secret was asked for before the file was refused:\n%s", o.name, r.stderr)
			}
			if b, err := os.ReadFile(path); err != nil || string(b) != o.content {
				t.Errorf("%s was changed (%v): now %q", o.name, err, b)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != len(others) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the folder holds %v, want only the %d files that were there", names, len(others))
	}

	// An empty file holds nothing to lose: it is replaced.
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLIWith(t, "empty-secret-0123456789abcdefghijk\n", false, nil, "save-password", empty); r.code != 0 {
		t.Errorf("an empty file: exit %d:\n%s", r.code, r.stderr)
	}
	if got, err := readSecret(t.Context(), empty, "MWPROVISION_PASSWORD", "bot password", func(string) string { return "" }); err != nil || got != "empty-secret-0123456789abcdefghijk" {
		t.Errorf("an empty file replaced: read back %q, %v", got, err)
	}
}

// Stdin is a terminal and stderr is not (2>log.txt): the secret is still
// read without echo, the prompt goes to the terminal, and nothing is read
// from the terminal with echo on.
func TestSavePasswordOnATerminalWithStderrRedirected(t *testing.T) {
	var stderr, terminal bytes.Buffer
	s := &streams{in: strings.NewReader(""), out: io.Discard, err: &stderr, inTTY: true, errTTY: false,
		readLine: func(context.Context) (string, error) {
			t.Error("the secret was read from the terminal with echo on")
			return "echoed-secret-0123456789abcdefghij\n", nil
		},
		readSecret: func(context.Context) (string, error) { return "hidden-secret-0123456789abcdefghij\n", nil },
		terminal:   func() (io.WriteCloser, error) { return nopWriteCloser{&terminal}, nil },
	}
	file := filepath.Join(t.TempDir(), "botpassword")
	if code := run(t.Context(), []string{"mwprovision", "save-password", file}, s, func(string) string { return "" }); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	if terminal.String() != "Bot password (not shown): \n" {
		t.Errorf("the terminal shows %q, want the prompt", terminal.String())
	}
	if strings.Contains(stderr.String(), "Bot password (not shown)") || !strings.Contains(stderr.String(), "saved to "+file) {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if got, err := readSecret(t.Context(), file, "MWPROVISION_PASSWORD", "bot password", func(string) string { return "" }); err != nil || got != "hidden-secret-0123456789abcdefghij" {
		t.Errorf("read back %q, %v", got, err)
	}

	// No terminal to show the prompt on: refused, nothing read.
	s.terminal = func() (io.WriteCloser, error) { return nil, errors.New("no such device") }
	stderr.Reset()
	if code := run(t.Context(), []string{"mwprovision", "save-password", file + "2"}, s, func(string) string { return "" }); code != exitUsage ||
		!strings.Contains(stderr.String(), "run it without redirecting standard error") {
		t.Errorf("no terminal for the prompt: exit %d:\n%s", code, stderr.String())
	}
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
