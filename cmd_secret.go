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
		Description: `Asks for the secret without showing it (or reads the first line of standard
input when it is not a terminal) and writes it to FILE, readable by you
alone: mode 0600 on Linux and macOS, an access control list for your
account alone on Windows. A FILE already there is replaced. Then give it
to run as --password-file FILE (or --oauth-token-file FILE).

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
// as the first line of standard input (its newline may be missing).
func readSecretToSave(ctx context.Context, s *streams) (string, error) {
	if s.interactive() {
		return promptSecret(ctx, s.readSecret, s.err, "Bot password (not shown): ")
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
	secret, err := readSecretToSave(c.Context, s)
	if err != nil && c.Context.Err() != nil {
		return errSaveInterrupted // the prompt's own words are about accounts
	}
	if err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is there and is not a file: give another FILE", path)
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
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write %s: %v", path, werr)
	}
	fmt.Fprintf(s.err, "saved to %s, readable by you alone; give it to run as --password-file %s\n", path, path)
	return nil
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
