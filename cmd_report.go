package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/mwprovision/mwprovision/provision/i18n"
	"github.com/mwprovision/mwprovision/report"
)

func reportCommand() *cli.Command {
	var format, lang, failedSheet, input, out, paper, wikiName, returnTo string
	var columns cli.StringSlice
	var nameTags, withPasswords bool
	mailPassword := true
	return &cli.Command{
		Name:      "report",
		Usage:     "summarize a results file: counts and problem rows, a wikitext list, login slips to print, or a sheet of the rows to fix",
		ArgsUsage: "RESULTS.csv",
		Description: `Reads a results file written by mwprovision run (or run --dry-run).

Examples:
  Counts per status and the rows that need attention
    mwprovision report signups.results.csv
  The same as a Markdown table, for an issue or an email
    mwprovision report --format markdown signups.results.csv
  The created accounts as a wikitext list for the event page
    mwprovision report --format wikitext signups.results.csv
  The same list in French, for a French-speaking wiki
    mwprovision report --lang fr --format wikitext signups.results.csv
  A sheet of the rows to fix (the original columns, without passwords), to run again
    mwprovision report --failed-sheet to-fix.csv --input signups.csv signups.results.csv
  Login slips to print and cut for the sign-in desk, a QR code on each
    mwprovision report --format slips --input signups.csv --out slips.html signups.results.csv
  Slips with the passwords a run set (--mailpassword=false), in a file for you alone
    mwprovision report --format slips --mailpassword=false --with-passwords \
      --input accounts.csv --out slips.html accounts.results.csv`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: report.FormatText, Usage: "text, markdown, wikitext or slips (a page of login slips to print, with --input)", Destination: &format},
			&cli.StringFlag{Name: "lang", Value: "en", Usage: "write the report in the language `CODE`: " + report.LanguageChoice() + " (--failed-sheet, a CSV, is the same in all)", Destination: &lang},
			&cli.StringFlag{Name: "failed-sheet", Usage: "write the rows of --input that did not end created or exists to `FILE`", Destination: &failedSheet},
			&cli.StringFlag{Name: "input", Usage: "the sheet the results are about (`ACCOUNTS.csv`), for --failed-sheet and --format slips", Destination: &input},
			&cli.StringSliceFlag{Name: "column", Usage: "as for run: which column of --input feeds a field, `FIELD=COLUMN`", Destination: &columns},
			&cli.StringFlag{Name: "out", Usage: "slips: write the page to `FILE` (readable by you alone; an existing one is kept aside) instead of standard output", Destination: &out},
			&cli.StringFlag{Name: "paper", Value: report.PaperA4, Usage: "slips: the paper they are laid out for, a4 or letter", Destination: &paper},
			&cli.BoolFlag{Name: "name-tags", Usage: "slips: name tags to wear instead (smaller, the name big, no password or address)", Destination: &nameTags},
			&cli.BoolFlag{Name: "mailpassword", Value: true, Usage: "slips: as the run had it: the wiki mailed each new user a temporary password; --mailpassword=false: the run set the sheet's passwords", Destination: &mailPassword},
			&cli.BoolFlag{Name: "with-passwords", Usage: "slips: print each password on its slip (with --mailpassword=false and --out)", Destination: &withPasswords},
			&cli.StringFlag{Name: "wiki-name", Usage: "slips: the wiki's `NAME` on them (default: its host, such as fr.wikipedia.org)", Destination: &wikiName},
			&cli.StringFlag{Name: "returnto", Usage: "slips: the `PAGE` the sign-in leads to, such as the event page (default: the wiki's main page)", Destination: &returnTo},
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%v (see mwprovision report --help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("report needs exactly one results file: mwprovision report [flags] RESULTS.csv")
			}
			if !i18n.Known(lang) {
				return fmt.Errorf("unknown language %q: use %s", lang, report.LanguageChoice())
			}
			path := c.Args().First()
			slips := format == report.FormatSlips
			for _, f := range []string{"out", "paper", "name-tags", "mailpassword", "with-passwords", "wiki-name", "returnto"} {
				if c.IsSet(f) && !slips {
					return fmt.Errorf("--%s is for --format slips", f)
				}
			}
			if slips && failedSheet != "" {
				return fmt.Errorf("--failed-sheet and --format slips are two reports: make one, then the other")
			}
			// A run that holds the record is still deciding its rows (and
			// a resumed one writes them to NAME.partial until it ends).
			lock, err := report.Acquire(path)
			running := errors.As(err, new(*report.InUseError))
			switch {
			case running && failedSheet != "":
				return fmt.Errorf("a run is writing %s now: the rows to fix are known when it ends; wait for it (or stop it with Ctrl-C), then make the failed sheet", path)
			case running && slips:
				return fmt.Errorf("a run is writing %s now: its accounts are known when it ends; wait for it (or stop it with Ctrl-C), then make the slips", path)
			case running:
				fmt.Fprintf(c.App.ErrWriter, "warning: a run is writing %s now: this report is of the rows it holds so far, and more are to come; report again when the run ends\n", path)
			case err == nil:
				defer lock.Release()
			}
			// Else the folder cannot hold the lock (read-only): no run
			// writes there either.
			rows, err := report.ReadFile(path)
			if err != nil {
				return err
			}
			if failedSheet == "" && !slips {
				return report.WriteIn(c.App.Writer, rows, format, path, i18n.Lang(lang))
			}
			switch {
			case input == "" && slips:
				return fmt.Errorf("--format slips needs --input, the sheet these results are about: it says where each temporary password was mailed")
			case input == "":
				return fmt.Errorf("--failed-sheet needs --input, the sheet these results are about")
			}
			chosen, err := parseColumns(columns.Value())
			if err != nil {
				return err
			}
			if slips {
				o := report.SlipOptions{Lang: i18n.Lang(lang), Paper: paper, NameTags: nameTags, MailPassword: mailPassword,
					WithPasswords: withPasswords, WikiName: wikiName, ReturnTo: returnTo}
				return slipsOf(c.App.Writer, c.App.ErrWriter, path, rows, input, chosen, out, o)
			}
			return failedSheetOf(c.App.ErrWriter, path, rows, input, chosen, failedSheet)
		},
	}
}

// failedSheetOf writes the failed sheet out, a file of its own: not the
// sheet, not the results; one already there is kept aside, and nobody else
// writes it meanwhile.
func failedSheetOf(stderr io.Writer, results string, rows []report.Row, input string, chosen map[string]string, out string) error {
	if err := distinctFiles(namedPath{"--input", input}, namedPath{"the results", results}, namedPath{"--failed-sheet", out}); err != nil {
		return err
	}
	release, err := takeOutput(stderr, out, "--failed-sheet")
	if err != nil {
		return err
	}
	defer release()
	n, err := writeFailedSheet(input, chosen, rows, out, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %d rows to fix to %s; correct them, then run that sheet\n", n, out)
	return nil
}

// writeFailedSheet writes the failed sheet of rows, the results of the
// sheet at input, to a new file at out.
func writeFailedSheet(input string, chosen map[string]string, rows []report.Row, out string, stderr io.Writer) (int, error) {
	in, err := os.Open(input)
	if err != nil {
		return 0, fmt.Errorf("cannot open the sheet: %v", err)
	}
	defer in.Close()
	f, err := report.OpenPrivate(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL) // it holds emails
	if err != nil {
		return 0, fmt.Errorf("cannot create the failed sheet: %v", err)
	}
	defer f.Close()
	n, unreadable, err := report.WriteFailedSheet(f, in, chosen, rows)
	for _, u := range unreadable {
		fmt.Fprintf(stderr, "warning: line %d of %s cannot be read as CSV (%s); copy it into %s by hand\n", u.Line, input, u.Why, out)
	}
	var nts *report.NotTheSheetError
	switch {
	case errors.As(err, &nts):
		return 0, fmt.Errorf("the results do not belong to %s: its line %d (%q) is not in them as such; give the sheet that was run", input, nts.Line, nts.Username)
	case err != nil:
		return 0, wrapSheetErr(input, err)
	}
	return n, f.Close()
}

// slipsOf writes the page of login slips of the accounts in rows, joined
// with the sheet at input, to stdout or to a file of its own at out. The
// page is made whole before anything is written.
func slipsOf(stdout, stderr io.Writer, results string, rows []report.Row, input string, chosen map[string]string, out string, o report.SlipOptions) error {
	switch {
	case o.WithPasswords && !o.MailPassword && out == "":
		return fmt.Errorf("--with-passwords writes the passwords to a file readable by you alone, never to the terminal: give it with --out FILE")
	case o.WithPasswords && o.MailPassword:
		return fmt.Errorf("--with-passwords prints the passwords a run set from the sheet (run --mailpassword=false): give --mailpassword=false too; with --mailpassword the wiki mailed each a temporary password, which nobody else knows")
	case o.WithPasswords && o.NameTags:
		return fmt.Errorf("--with-passwords cannot go with --name-tags: a name tag is worn where everyone sees it")
	}
	paths := []namedPath{{"--input", input}, {"the results", results}}
	if out != "" {
		paths = append(paths, namedPath{"--out", out})
	}
	if err := distinctFiles(paths...); err != nil {
		return err
	}
	in, err := os.Open(input)
	if err != nil {
		return fmt.Errorf("cannot open the sheet: %v", err)
	}
	defer in.Close()
	var page bytes.Buffer
	done, err := report.WriteSlips(&page, in, chosen, rows, o)
	var nts *report.NotTheSheetError
	switch {
	case errors.As(err, &nts):
		return fmt.Errorf("the results do not belong to %s: its line %d (%q) is not in them as such; give the sheet that was run", input, nts.Line, nts.Username)
	case errors.Is(err, report.ErrNoPasswordColumn):
		return fmt.Errorf("--mailpassword=false: %s has no password column, so the run did not set passwords from it; leave --mailpassword on if the wiki mailed them (or name the column with --column password=COLUMN)", input)
	case errors.Is(err, report.ErrNoSlips):
		return fmt.Errorf("%s: %v", results, err)
	case err != nil:
		return wrapSheetErr(input, err)
	}
	if o.MailPassword && done.PasswordColumn {
		fmt.Fprintf(stderr, "warning: %s has a password column: if the run set those passwords (run --mailpassword=false), give --mailpassword=false here too; these slips say the wiki mailed each participant a temporary password\n", input)
	}
	if !o.MailPassword && report.IsEnglishWikipedia(done.Wiki) {
		fmt.Fprintln(stderr, "warning: on the English Wikipedia, the event coordinator norm forbids handing participants passwords: accounts there are created with a temporary password the wiki mails to each (run's default, --mailpassword); see https://en.wikipedia.org/wiki/Wikipedia:Event_coordinator")
	}
	if out == "" {
		_, err := stdout.Write(page.Bytes())
		return err
	}
	release, err := takeOutput(stderr, out, "--out")
	if err != nil {
		return err
	}
	defer release()
	f, err := report.OpenPrivate(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL) // it holds names, and maybe passwords
	if err != nil {
		return fmt.Errorf("cannot create the slips: %v", err)
	}
	if _, err := f.Write(page.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("cannot write the slips to %s: %v", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write the slips to %s: %v", out, err)
	}
	what := "login slips"
	if o.NameTags {
		what = "name tags"
	}
	fmt.Fprintf(stderr, "wrote %d %s to %s (readable by you alone); open it in a browser and print it\n", done.Slips, what, out)
	if o.WithPasswords {
		fmt.Fprintf(stderr, "it holds the passwords: once the slips are printed, delete %s\n", out)
	}
	return nil
}

// takeOutput makes out a report's own file to write: nobody else writes it
// meanwhile (release ends that), and a file already there is kept aside.
func takeOutput(stderr io.Writer, out, flag string) (release func(), err error) {
	lock, err := report.Acquire(out)
	if err != nil {
		return nil, err
	}
	kept, err := report.KeepAside(out)
	if err != nil {
		lock.Release()
		return nil, fmt.Errorf("cannot keep the file at %s aside: %v", flag, err)
	}
	if kept != "" {
		fmt.Fprintf(stderr, "the file that was at %s is kept as %s\n", out, kept)
	}
	return func() { lock.Release() }, nil
}
