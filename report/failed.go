package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"

	"github.com/mwprovision/mwprovision/provision/sheet"
)

// UnreadableRow is a line of a sheet that cannot be read as CSV, so a
// failed sheet cannot copy it: someone must, by hand.
type UnreadableRow struct {
	Line int
	Why  string // the results row's message
}

// NotTheSheetError: results do not belong to the sheet they are joined
// with — its row at Line is not in them as such.
type NotTheSheetError struct {
	Line     int
	Username string
}

func (e *NotTheSheetError) Error() string {
	return fmt.Sprintf("the results do not belong to the sheet: its line %d (%q) is not in them as such", e.Line, e.Username)
}

// WriteFailedSheet joins a sheet with its results and writes to w the rows
// whose results are not created, exists or would-create — a sheet to
// correct and run again — with the sheet's own header and delimiter,
// without the columns that hold passwords, and with every cell that a
// spreadsheet would run as a formula neutralized (sheet.Guard). A row the results do not reach
// (a dry run stopped early) is still to do and is written too. It returns
// how many rows it wrote and the lines it could not copy. chosen are the
// sheet's --column choices, as for a run.
func WriteFailedSheet(w io.Writer, in io.Reader, chosen map[string]string, results []Row) (int, []UnreadableRow, error) {
	j, err := newJoin(in, chosen, results)
	if err != nil {
		return 0, nil, err
	}
	sh := j.sheet
	secret := sh.SecretColumns()
	// keep is a record without its secret columns, each cell guarded
	// against running as a formula in a spreadsheet: the sheet reader
	// takes the guard off again, so that the corrected sheet runs the
	// values as the first one did (a cell guarded already stays as it is).
	keep := func(rec []string) []string {
		var out []string
		for i, v := range rec {
			if !slices.Contains(secret, i) {
				out = append(out, sheet.Guard(sheet.Unguard(v)))
			}
		}
		return out
	}
	cw := csv.NewWriter(w)
	cw.Comma = sh.Delimiter
	if err := cw.Write(keep(sh.Header)); err != nil {
		return 0, nil, err
	}
	n := 0
	var unreadable []UnreadableRow
	for {
		a, r, err := j.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, err
		}
		if r.OK() {
			continue
		}
		if sh.Raw() == nil {
			unreadable = append(unreadable, UnreadableRow{Line: a.Line, Why: r.Message})
			continue
		}
		if err := cw.Write(keep(sh.Raw())); err != nil {
			return 0, nil, err
		}
		n++
	}
	cw.Flush()
	return n, unreadable, cw.Error()
}
