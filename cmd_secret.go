package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mwprovision/mwprovision/report"
)

// savePasswordCommand writes a secret file the way run wants it, on every
// system: readable by its owner alone (mode 0600 on Linux and macOS, an
// access control list for the user alone on Windows, where chmod means
// nothing).
func savePasswordCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:      "save-password",
		Usage:     "write the bot password (or an OAuth token) to a file only you can read",
		ArgsUsage: "FILE",
		Description: `Asks for the secret without showing it, even with standard error redirected
(or reads the first line of standard input when it is not a terminal) and writes it to FILE, readable by you
alone: mode 0600 on Linux and macOS, an access control list for your
account alone on Windows. A FILE already there is replaced only when it is
a secret file as save-password writes one (a single line, readable by you
alone), to renew a bot password; any other file (a sheet, a results file)
is refused and left as it is. Then give it to run as --password-file FILE
(or --oauth-token-file FILE).

Examples:
    mwprovision save-password ~/.mwprovision-botpassword
    mwprovision save-password "$env:USERPROFILE\mwprovision-botpassword.txt"   # PowerShell`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("save-password needs one FILE: mwprovision save-password FILE (got %d arguments)", c.NArg())
			}
			return savePassword(c, s, c.Args().First())
		},
	}
}

// readSecretToSave reads the secret from the terminal, without echo, or
// as the first line of standard input (its newline may be missing). A
// terminal at stdin is never read with echo on, whatever stderr is: with
// stderr redirected (2>log.txt) the prompt goes to the terminal itself,
// and without one to show it on, nothing is read.
func readSecretToSave(ctx context.Context, s *streams) (string, error) {
	const prompt = "Bot password (not shown): "
	switch {
	case s.interactive():
		return promptSecret(ctx, s.readSecret, s.err, prompt)
	case s.inTTY:
		var tty io.WriteCloser
		err := errors.New("no terminal to open")
		if s.terminal != nil {
			tty, err = s.terminal()
		}
		if err != nil {
			return "", fmt.Errorf("standard input is a terminal, but the prompt cannot be shown on it (%v): "+
				"run it without redirecting standard error, or give the secret as the first line of standard input", err)
		}
		defer tty.Close()
		return promptSecret(ctx, s.readSecret, tty, prompt)
	}
	line, err := s.readLine(ctx)
	secret := strings.TrimSpace(line)
	switch {
	case ctx.Err() != nil:
		return "", errSaveInterrupted
	case secret != "":
		return secret, nil
	case err != nil && err != io.EOF:
		return "", fmt.Errorf("cannot read the secret from standard input: %v", err)
	}
	return "", errors.New("no secret on standard input: give it as its first line, or run this on a terminal")
}

// savePassword reads the secret and writes it to path through a private
// file beside it, renamed into place: a reader never sees half of it, nor
// a moment when others may read it.
func savePassword(c *cli.Context, s *streams, path string) error {
	// Refused before the secret is typed, and again before the rename:
	// the file may have come while the secret was being typed.
	if err := checkReplaceable(path); err != nil {
		return err
	}
	secret, err := readSecretToSave(c.Context, s)
	if err != nil && c.Context.Err() != nil {
		return errSaveInterrupted // the prompt's own words are about accounts
	}
	if err != nil {
		return err
	}
	tmp, err := createPrivateTemp(path)
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	_, werr := tmp.WriteString(secret + "\n")
	if err := tmp.Close(); werr == nil {
		werr = err
	}
	if werr == nil {
		if err := checkReplaceable(path); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write %s: %v", path, werr)
	}
	fmt.Fprintf(s.err, "saved to %s, readable by you alone; give it to run as --password-file %s\n", path, path)
	return nil
}

// maxSecretSize is the most a secret file holds: a bot password is 32
// characters, an OAuth 2 access token a thousand or so.
const maxSecretSize = 16 << 10

// checkReplaceable says whether save-password may write path: nothing is
// there, an empty file (nothing to lose), or a secret file as
// save-password writes one (a single line, readable by its owner alone),
// which an organizer renewing a bot password replaces. Anything else (a
// results file, a sheet, notes) is refused, never moved or overwritten:
// FILE naming it is a slip of the keyboard or of tab completion, and a
// secret where the sheet was, the sheet renamed aside, would be a worse
// surprise than a refusal.
func checkReplaceable(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cannot write %s: %v", path, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is there and is a link: nothing was written; give the file itself, or another FILE", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is there and is not a file but %s: nothing was written; give another FILE", path, describeMode(fi.Mode()))
	case fi.Size() == 0:
		return nil
	}
	if why := notSecretFile(path, fi.Size()); why != "" {
		return fmt.Errorf("%s is there and is not a secret file of mwprovision save-password: %s; nothing was written: "+
			"give another FILE, or move that file away first", path, why)
	}
	return nil
}

// notSecretFile says why the file at path is not one save-password
// wrote, or "" when it may be.
func notSecretFile(path string, size int64) string {
	if size > maxSecretSize {
		return fmt.Sprintf("it holds %d bytes, more than a secret", size)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("it cannot be read: %v", err)
	}
	line := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if strings.ContainsAny(line, "\r\n") {
		return "it holds more than one line"
	}
	if report.CheckResultsFile(path) == nil {
		return "it is a results file"
	}
	if who, _, err := report.Readers(path); err != nil {
		return fmt.Sprintf("cannot tell who may read it: %v", err)
	} else if who != "" {
		return who + " can read it"
	}
	return ""
}

// createPrivateTemp creates a new private file beside path, under a name no
// other file has (.NAME.new-RANDOM): a file that a save killed before its
// rename left behind never stands in the way of a later one.
func createPrivateTemp(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	for range 100 {
		name := filepath.Join(dir, fmt.Sprintf(".%s.new-%08x", base, rand.Uint32()))
		f, err := report.OpenPrivate(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no free name for a temporary file beside %s", path)
}
