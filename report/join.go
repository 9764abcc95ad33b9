package report

import (
	"io"

	"github.com/mwprovision/mwprovision/provision/sheet"
)

// join reads a sheet beside its results, row by row, by line: the failed
// sheet and the login slips are made so.
type join struct {
	sheet  *sheet.Sheet
	byLine map[int]Row
	last   int // the last line the results reach
}

// newJoin reads the header of the sheet in, its columns as chosen says
// (the --column choices, as for a run), to join it with results.
func newJoin(in io.Reader, chosen map[string]string, results []Row) (*join, error) {
	j := &join{byLine: make(map[int]Row, len(results))}
	for _, r := range results {
		j.byLine[r.Line] = r
		j.last = max(j.last, r.Line)
	}
	var err error
	if j.sheet, err = sheet.New(in, chosen); err != nil {
		return nil, err
	}
	return j, nil
}

// next is the sheet's next row and its results row, or io.EOF. A row the
// results do not reach (a dry run stopped early) is pending, still to do;
// a row that is not in the results as such — another line, another name
// — is a *NotTheSheetError: the results are of another sheet.
func (j *join) next() (sheet.Row, Row, error) {
	a, err := j.sheet.Next()
	if err != nil {
		return a, Row{}, err
	}
	r, ok := j.byLine[a.Line]
	if !ok && a.Line > j.last {
		r, ok = Row{Line: a.Line, Username: a.Username, Status: Pending}, true // not reached: still to do
	}
	if !ok || (a.Username != r.Username && a.Problem == nil) {
		return a, Row{}, &NotTheSheetError{Line: a.Line, Username: a.Username}
	}
	return a, r, nil
}
