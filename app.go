package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/mwprovision/mwprovision/provision"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// Exit codes.
const (
	exitOK          = 0
	exitRowsNotOK   = 1 // some row did not end created or exists
	exitUsage       = 2 // usage, configuration or login error: nothing was created
	exitInterrupted = 130
)

// errRowsNotOK is returned by a command whose run finished with rows to look at.
var errRowsNotOK = errors.New("some rows did not end created or exists")

// Interruptions that end a command with nothing pending.
var (
	errInterruptedEarly  = errors.New("interrupted before any account was created")
	errDryRunInterrupted = errors.New("interrupted: the dry run's results hold the rows it checked")
	// errSaveInterrupted: save-password stopped while it waited for the
	// secret; it creates no account, so it says what it did not do.
	errSaveInterrupted = errors.New("interrupted: nothing was saved")
	// errThrottleInterrupted: throttle-request stopped while it asked the
	// wikis; it writes all of the request or nothing.
	errThrottleInterrupted = errors.New("interrupted: nothing was written")
)

// run is the whole program without the process: tests call it with buffers.
func run(ctx context.Context, args []string, s *streams, getenv func(string) string) int {
	err := newApp(s, getenv).RunContext(ctx, args)
	return exitCode(err, s.err)
}

// exitCode maps the error of a command to the exit code, printing it once.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errRowsNotOK), errors.Is(err, errCheckFailed):
		return exitRowsNotOK
	case errors.Is(err, provision.ErrInterrupted):
		fmt.Fprintln(stderr, "mwprovision: interrupted; the rows not yet decided are pending: run again with --resume to continue")
		return exitInterrupted
	case errors.Is(err, errInterruptedEarly), errors.Is(err, errDryRunInterrupted), errors.Is(err, errSaveInterrupted), errors.Is(err, errThrottleInterrupted), errors.Is(err, errInterruptedConsole):
		fmt.Fprintln(stderr, "mwprovision: "+err.Error())
		return exitInterrupted
	case errors.Is(err, context.Canceled):
		// Ctrl-C while logging in or reading a secret: before any account.
		fmt.Fprintln(stderr, "mwprovision: "+errInterruptedEarly.Error())
		return exitInterrupted
	case errors.Is(err, errNotConfirmed):
		return exitUsage // the question already said so
	}
	// Usage, sheet, pre-flight and login errors, and anything else that ends
	// a command before it decided rows: nothing was created.
	fmt.Fprintln(stderr, "mwprovision: "+explain(err))
	return exitUsage
}

func newApp(s *streams, getenv func(string) string) *cli.App {
	return &cli.App{
		Name:      "mwprovision",
		Usage:     "create user accounts on a MediaWiki wiki in bulk, from a CSV sheet",
		Version:   version,
		Reader:    s.in,
		Writer:    s.out,
		ErrWriter: s.err,
		// Errors are printed once, by exitCode; usage goes to stderr.
		ExitErrHandler:       func(*cli.Context, error) {},
		EnableBashCompletion: true,
		// A --column value is one column name, commas and all.
		DisableSliceFlagSeparator: true,
		Commands:                  []*cli.Command{uiCommand(s), runCommand(s, getenv), grantCommand(s, getenv), checkCommand(s, getenv), reportCommand(), savePasswordCommand(s), throttleRequestCommand(), completionCommand(), manCommand()},
		Description: `Check a sign-up sheet before an event (creates nothing):
    mwprovision run --dry-run signups.csv
    mwprovision run --dry-run --api https://xx.wikipedia.org/w/api.php signups.csv

  Edit-a-thon: create the participants' accounts; the wiki mails each a temporary password
    mwprovision run --api https://xx.wikipedia.org/w/api.php --user Organizer@bulk \
      --password-file ~/.mwprovision-botpassword --contact you@example.org \
      --reason "Edit-a-thon, 21 November" signups.csv
    mwprovision report --format wikitext signups.results.csv    # the list for the event page

  Migration into your own wiki, passwords from the sheet
    mwprovision run --api https://wiki.example.org/w/api.php --user Admin@migrate \
      --password-file admin.botpassword --mailpassword=false --workers 4 --rate 0 users.csv

  Ask Wikimedia to lift the per-IP limit for an event: the request, and its throttle.php entry
    mwprovision throttle-request --api https://en.wikipedia.org/w/api.php --participants 40 \
      --from 2026-12-05T09:00:00-05:00 --to 2026-12-05T18:00:00-05:00 --ip 198.51.100.7

  The bot password comes from --password-file or MWPROVISION_PASSWORD, never from the command
  line. "mwprovision COMMAND --help" tells more.`,
		Copyright: "mwprovision is free software under the GNU GPL, version 2 or (at your option) any later\n" +
			"version (GPL-2.0-or-later), and comes with no warranty; the licences of the modules it\n" +
			"bundles are in THIRD_PARTY_LICENSES.md.",
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%v (see mwprovision --help)", err)
		},
	}
}
