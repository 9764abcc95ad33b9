package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gocarina/gocsv"

	"github.com/mwprovision/mwprovision/provision/sheet"
)

// Writer writes results rows to a CSV file. Each call to Write writes and
// flushes, so a run that is interrupted leaves a valid file holding every row
// decided so far.
//
// The header and the rows are written from columns — the contract — with
// encoding/csv, because gocsv's reflection cost half the CPU of a
// million-row dry run (BENCHMARKS.md); gocsv reads results files back.
// TestWriterFlushesEveryRowAndRoundTrips proves gocsv reads them back.
type Writer struct {
	buf *bufio.Writer
	csv *csv.Writer
	rec []string
	// The last times written, by the second, and their text: rows decided
	// together share them, and formatting is a third of writing a row.
	stamps [2]struct {
		unix int64
		text string
	}
}

// stamp is t as written, from the cache for slot when t is its second.
func (w *Writer) stamp(slot int, t Timestamp) string {
	if t.IsZero() {
		return ""
	}
	c := &w.stamps[slot]
	if u := t.Unix(); u != c.unix || c.text == "" {
		c.unix, c.text = u, t.UTC().Format(time.RFC3339)
	}
	return c.text
}

// NewWriter writes the header to out and returns a Writer for the rows.
func NewWriter(out io.Writer) (*Writer, error) {
	buf := bufio.NewWriterSize(out, 64<<10)
	w := &Writer{buf: buf, csv: csv.NewWriter(buf), rec: make([]string, len(header))}
	if err := w.csv.Write(header); err != nil {
		return nil, err
	}
	return w, w.flush()
}

// columns is the results file's format, the one definition of it: each
// column's name, in order, and how a row's value is written there. The
// header and the rows are written from it; Row's csv tags, by which gocsv
// reads a file back, name the same columns in the same order
// (TestColumnsAreRowsTags). Columns are only ever added at the end.
var columns = [...]struct {
	name  string
	value func(w *Writer, r *Row) string
}{
	{"line", func(_ *Writer, r *Row) string { return strconv.Itoa(r.Line) }},
	{"username", func(_ *Writer, r *Row) string { return guard(r.Username) }},
	{"canonical", func(_ *Writer, r *Row) string { return guard(r.Canonical) }},
	{"status", func(_ *Writer, r *Row) string { return string(r.Status) }},
	{"code", func(_ *Writer, r *Row) string { return guard(r.Code) }},
	{"message", func(_ *Writer, r *Row) string { return guard(r.Message) }},
	{"attempts", func(_ *Writer, r *Row) string { return strconv.Itoa(r.Attempts) }},
	{"finished_at", func(w *Writer, r *Row) string { return w.stamp(0, r.FinishedAt) }},
	{"wiki", func(_ *Writer, r *Row) string { return guard(r.Wiki) }},
	{"creator", func(_ *Writer, r *Row) string { return guard(r.Creator) }},
	{"first_run_at", func(w *Writer, r *Row) string { return w.stamp(1, r.FirstRunAt) }},
	{"groups", func(_ *Writer, r *Row) string {
		if len(r.Groups) == 0 {
			return ""
		}
		return guard(r.Groups.String())
	}},
}

// header is the results file's header row.
var header = func() []string {
	h := make([]string, len(columns))
	for i, c := range columns {
		h[i] = c.name
	}
	return h
}()

// quoteCut quotes the first n values of a row, and says how many more.
func quoteCut(row []string, n int) string {
	q := make([]string, 0, n)
	for _, v := range row[:min(n, len(row))] {
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		q = append(q, strconv.Quote(v))
	}
	s := strings.Join(q, ",")
	if len(row) > n {
		s += fmt.Sprintf(" and %d more", len(row)-n)
	}
	return s
}

// Write appends rows and flushes them to the file.
func (w *Writer) Write(rows ...Row) error {
	for i := range rows {
		r := &rows[i]
		for j, c := range columns {
			w.rec[j] = c.value(w, r)
		}
		if err := w.csv.Write(w.rec); err != nil {
			return fmt.Errorf("write results row for line %d: %w", r.Line, err)
		}
	}
	return w.flush()
}

func (w *Writer) flush() error {
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return err
	}
	return w.buf.Flush()
}

// Read reads a whole results file (for reports and resume). Only a file
// whose first row is the results header is read (the header of this
// version, or of an earlier one: a prefix of it, at least its first eight
// columns): a sheet of accounts, or any other CSV, is refused.
func Read(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	got, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("it is empty; a results file starts with the header " + strings.Join(header, ","))
		}
		return nil, err
	}
	if !IsHeader(got) {
		return nil, fmt.Errorf("its first row is %s, not the results header %s", quoteCut(got, 5), strings.Join(header, ","))
	}
	var rows []Row
	// gocsv maps the columns by the header's names: a file of an earlier
	// version leaves the later fields empty.
	err = gocsv.UnmarshalCSV(&replay{first: got, r: cr}, &rows)
	// A file of the header alone (a run that decided no row) holds no rows;
	// gocsv calls that an empty file.
	if err != nil && !errors.Is(err, gocsv.ErrEmptyCSVFile) {
		return nil, err
	}
	for i := range rows {
		r := &rows[i]
		r.Username, r.Canonical = unguard(r.Username), unguard(r.Canonical)
		r.Code, r.Message = unguard(r.Code), unguard(r.Message)
		r.Wiki, r.Creator = unguard(r.Wiki), unguard(r.Creator)
	}
	return rows, nil
}

// IsHeader reports whether a CSV row is the header of a results file.
func IsHeader(row []string) bool {
	return len(row) >= 8 && len(row) <= len(header) && slices.Equal(row, header[:len(row)])
}

// replay gives gocsv the header it was already read, then the rest.
type replay struct {
	first []string
	r     *csv.Reader
}

func (p *replay) Read() ([]string, error) {
	if p.first != nil {
		row := p.first
		p.first = nil
		return row, nil
	}
	return p.r.Read()
}

func (p *replay) ReadAll() ([][]string, error) {
	var all [][]string
	for {
		row, err := p.Read()
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return all, err
		}
		all = append(all, row)
	}
}

// guard neutralizes a cell that a spreadsheet would run as a formula
// (starting with = + - @, a tab or a carriage return) by prefixing "'", as
// OWASP advises for CSV files. A cell already starting with "'" is prefixed
// too, so that unguard restores every value exactly ("-Bob" is a valid
// username, and --resume must see it as it is).
func guard(s string) string { return sheet.Guard(s) }

func unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' {
		return s[1:]
	}
	return s
}
