package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/mwprovision/mwprovision/provision/i18n"
	"github.com/mwprovision/mwprovision/report"
)

func reportCommand() *cli.Command {
	var format, lang, failedSheet, input string
	var columns cli.StringSlice
	return &cli.Command{
		Name:      "report",
		Usage:     "summarize a results file: counts and problem rows, a wikitext list, or a sheet of the rows to fix",
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
    mwprovision report --failed-sheet to-fix.csv --input signups.csv signups.results.csv`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: report.FormatText, Usage: "text, markdown or wikitext", Destination: &format},
			&cli.StringFlag{Name: "lang", Value: "en", Usage: "write the report in the language `CODE`: " + report.LanguageChoice() + " (--failed-sheet, a CSV, is the same in all)", Destination: &lang},
			&cli.StringFlag{Name: "failed-sheet", Usage: "write the rows of --input that did not end created or exists to `FILE`", Destination: &failedSheet},
			&cli.StringFlag{Name: "input", Usage: "the sheet the results are about (`ACCOUNTS.csv`), for --failed-sheet", Destination: &input},
			&cli.StringSliceFlag{Name: "column", Usage: "as for run: which column of --input feeds a field, `FIELD=COLUMN`", Destination: &columns},
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
			// A run that holds the record is still deciding its rows (and
			// a resumed one writes them to NAME.partial until it ends).
			lock, err := report.Acquire(path)
			running := errors.As(err, new(*report.InUseError))
			switch {
			case running && failedSheet != "":
				return fmt.Errorf("a run is writing %s now: the rows to fix are known when it ends; wait for it (or stop it with Ctrl-C), then make the failed sheet", path)
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
			if failedSheet == "" {
				return report.WriteIn(c.App.Writer, rows, format, path, i18n.Lang(lang))
			}
			if input == "" {
				return fmt.Errorf("--failed-sheet needs --input, the sheet these results are about")
			}
			chosen, err := parseColumns(columns.Value())
			if err != nil {
				return err
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
	lock, err := report.Acquire(out)
	if err != nil {
		return err
	}
	defer lock.Release()
	kept, err := report.KeepAside(out)
	if err != nil {
		return fmt.Errorf("cannot keep the file at --failed-sheet aside: %v", err)
	}
	if kept != "" {
		fmt.Fprintf(stderr, "the file that was at %s is kept as %s\n", out, kept)
	}
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
