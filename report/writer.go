package report

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"

	"github.com/gocarina/gocsv"
)

// Writer writes results rows to a CSV file. Each call to Write writes and
// flushes, so a run that is interrupted leaves a valid file holding every row
// decided so far.
type Writer struct {
	f   io.Writer
	buf *bufio.Writer
	csv *gocsv.SafeCSVWriter
	one []Row
}

// Create creates (or truncates) the results file at path with mode 0600 — it
// holds the participants' names — and writes the header.
func Create(path string) (*Writer, *os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("create results file: %w", err)
	}
	w, err := NewWriter(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("write results file %s: %w", path, err)
	}
	return w, f, nil
}

// NewWriter writes the header to out and returns a Writer for the rows.
func NewWriter(out io.Writer) (*Writer, error) {
	buf := bufio.NewWriter(out)
	w := &Writer{f: out, buf: buf, csv: gocsv.NewSafeCSVWriter(csv.NewWriter(buf)), one: make([]Row, 1)}
	if err := gocsv.MarshalCSV([]Row{}, w.csv); err != nil {
		return nil, err
	}
	return w, w.flush()
}

// Write appends rows and flushes them to the file.
func (w *Writer) Write(rows ...Row) error {
	for _, r := range rows {
		w.one[0] = r
		if err := gocsv.MarshalCSVWithoutHeaders(w.one, w.csv); err != nil {
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

// Read reads a whole results file (for reports and resume).
func Read(r io.Reader) ([]Row, error) {
	var rows []Row
	if err := gocsv.Unmarshal(r, &rows); err != nil {
		return nil, err
	}
	return rows, nil
}
