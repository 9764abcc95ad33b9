// Package sheet reads a sheet of accounts: its CSV dialect and encoding,
// the columns that feed each field, one Row per data row with its line
// number, and the snapshot that lets a run read again exactly the bytes
// the plan read. It knows nothing of wikis.
package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// SheetError is a problem with the sheet as a whole; nothing was sent to the
// wiki because of it.
type SheetError struct {
	Line int // 0 when it concerns the whole file
	Msg  string
	Err  error // what kind of problem, when a caller may tell it apart
}

func (e *SheetError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

func (e *SheetError) Unwrap() error { return e.Err }

// Row is one data row of a sheet, its values as written.
type Row struct {
	// Seq is the 0-based index of the data row; results are written in Seq order.
	Seq int
	// Line is the line number in the sheet where the row starts (the header is line 1).
	Line int

	Username string
	Email    string
	RealName string
	Reason   string
	Password string // secret: never logged, never written to results
	// Groups and Expiry are the groups and expiry cells, as written.
	Groups string
	Expiry string

	// Problem is set when the row can be decided offline (a malformed row
	// here; invalid or duplicate once checked).
	Problem *Problem
}

// Problem says why a row cannot be created, in the words a user reads:
// Code is stable and machine-readable, Message says what is wrong and what to do.
type Problem struct {
	Code    string
	Message string
	// Duplicate is true when the row repeats an earlier row after
	// canonicalization; FirstLine is that earlier row's line.
	Duplicate bool
	FirstLine int
}

func (p *Problem) Error() string { return p.Code + ": " + p.Message }

// ErrNoUsernameColumn: no column of the header says it holds the usernames.
var ErrNoUsernameColumn = errors.New("no username column")

// Sheet streams the data rows of a CSV sheet. It detects the delimiter from
// the header line, skips a UTF-8 byte order mark and blank rows, and keeps
// the line number each row starts on.
type Sheet struct {
	r         *csv.Reader
	Col       [numFields]int // column index per field, -1 when absent
	Header    []string       // the header as written
	Ignored   []string       // header columns mwprovision does not use
	Delimiter rune
	Blank     int // blank rows skipped so far
	seq       int
	raw       []string
	lineBytes int // the average length of a line at the start of the sheet
}

// maxValueBytes bounds one value of a sheet.
const maxValueBytes = 64 << 10

// sniffSize is how much of the file is inspected for encoding and delimiter.
const sniffSize = 64 << 10

// New reads the header of a sheet and maps its columns to fields:
// chosen names, by field, the column that feeds it (see mapColumns).
// Errors are *SheetError, *AmbiguousColumnError or *NoSuchColumnError.
func New(in io.Reader, chosen map[string]string) (*Sheet, error) {
	br := bufio.NewReaderSize(in, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("read sheet: %w", err)
	}
	if len(head) == 0 {
		return nil, &SheetError{Msg: "the sheet is empty: it needs a header row such as username,email,realname"}
	}
	if err := checkEncoding(head); err != nil {
		return nil, err
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
		head = head[3:]
	}
	if len(head) == sniffSize && !bytes.ContainsAny(head, "\r\n") {
		return nil, &SheetError{Line: 1, Msg: fmt.Sprintf("the header row is longer than %d KiB, and no sheet of accounts has such a header: is this the right file?", sniffSize>>10)}
	}
	// A CR alone ends a line too: a sheet saved with the line ends of
	// classic Mac OS, or one whose line ends are mixed.
	var lines io.Reader = crToLF{br}
	s := &Sheet{Delimiter: sniffDelimiter(head), lineBytes: len(head) / max(1, bytes.Count(head, []byte{'\n'}))}
	s.r = csv.NewReader(&lineLimit{r: lines, line: 1})
	s.r.Comma = s.Delimiter
	s.r.FieldsPerRecord = -1
	s.r.ReuseRecord = true

	header, err := s.r.Read()
	if err != nil {
		var se *SheetError
		switch {
		case err == io.EOF:
			return nil, &SheetError{Msg: "the sheet is empty: it needs a header row such as username,email,realname"}
		case errors.As(err, &se):
			return nil, se
		}
		return nil, &SheetError{Line: 1, Msg: "the header row cannot be read: " + csvProblem(err)}
	}
	if len(header) > maxColumns {
		return nil, &SheetError{Line: 1, Msg: fmt.Sprintf("the header has %d columns, and no sheet of accounts has that many: is this the right file? It begins %s",
			len(header), quoteList(header))}
	}
	s.Header = append([]string(nil), header...)
	if s.Col, err = mapColumns(s.Header, chosen); err != nil {
		return nil, err
	}
	used := map[int]bool{}
	for _, c := range s.Col {
		used[c] = true
	}
	for i, h := range s.Header {
		if !used[i] && strings.TrimSpace(h) != "" {
			s.Ignored = append(s.Ignored, strings.TrimSpace(h))
		}
	}
	if s.Col[fieldUsername] < 0 {
		return nil, &SheetError{Line: 1, Err: ErrNoUsernameColumn, Msg: fmt.Sprintf(
			"no username column: the header has %s; name the column of usernames \"username\"",
			quoteList(s.Header))}
	}
	return s, nil
}

// Limits on a sheet's shape, checked before anything larger is held.
const (
	maxColumns   = 1000
	maxLineBytes = 1 << 20
)

// lineLimit refuses a line longer than maxLineBytes before the CSV reader
// holds it whole: a sheet that is one long line is no sheet of accounts.
type lineLimit struct {
	r    io.Reader
	line int // the line being read
	len  int // its bytes so far
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for rest, done := p[:n], 0; ; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			i = len(rest)
		}
		if l.len += i; l.len > maxLineBytes {
			return done + i - (l.len - maxLineBytes), &SheetError{Line: l.line, Msg: fmt.Sprintf(
				"the line is longer than %d MiB, and no row of accounts is that long: is this the right file, with the quotes closed?", maxLineBytes>>20)}
		}
		if i == len(rest) {
			return n, err
		}
		l.line, l.len = l.line+1, 0
		done += i + 1
		rest = rest[i+1:]
	}
}

// crToLF reads a CR alone (not before an LF) as an LF: a line end, as the
// CSV reader takes only LF and CRLF for one. Inside a quoted value it is a
// line break there too.
type crToLF struct{ r *bufio.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := range p[:n] {
		if p[i] != '\r' {
			continue
		}
		if i+1 < n {
			if p[i+1] != '\n' {
				p[i] = '\n'
			}
		} else if next, _ := c.r.Peek(1); len(next) == 0 || next[0] != '\n' {
			// The CR ends what this read returns: the next byte says.
			p[i] = '\n'
		}
	}
	return n, err
}

// Raw is the record Next returned last, as written in the sheet (nil for a
// row that could not be parsed). It is valid until the next call to Next.
func (s *Sheet) Raw() []string { return s.raw }

// RowsIn estimates how many rows a sheet of size bytes holds, from the
// length of its first lines.
func (s *Sheet) RowsIn(size int64) int {
	return int(min(size/int64(max(1, s.lineBytes)), maxRowsEstimate))
}

// maxRowsEstimate bounds what is set aside for a sheet's rows before they
// are counted.
const maxRowsEstimate = 4 << 20

// SecretColumns are the columns that hold passwords, or whose header says
// they may: a copy of the sheet leaves them out.
func (s *Sheet) SecretColumns() []int {
	var out []int
	for i, h := range s.Header {
		if i == s.Col[fieldPassword] || fieldOfHeader(h) == fieldPassword {
			out = append(out, i)
		}
	}
	return out
}

// Column is the index of the field's column ("password"…), or -1.
func (s *Sheet) Column(field string) int {
	if f, ok := FieldOf(field); ok {
		return s.Col[f]
	}
	return -1
}

// Next returns the next data row, or io.EOF. A row that cannot be parsed is
// returned with a Problem, never dropped. A quoting error that swallows
// following lines is returned as a *SheetError, because the rows inside it
// cannot be told apart.
func (s *Sheet) Next() (Row, error) {
	s.raw = nil
	for {
		rec, err := s.r.Read()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return Row{}, fmt.Errorf("read sheet: %w", err)
		}
		if pe != nil && pe.Err != csv.ErrFieldCount {
			if pe.Line > pe.StartLine {
				return Row{}, &SheetError{Line: pe.StartLine, Msg: fmt.Sprintf(
					"a quoted value starts on this line and is not closed properly before line %d, so the rows in between cannot be read; check the double quotes on line %d",
					pe.Line, pe.StartLine)}
			}
			a := Row{Seq: s.seq, Line: pe.StartLine, Problem: &Problem{Code: "malformed-row",
				Message: csvProblem(err)}}
			s.seq++
			return a, nil
		}
		if blankRecord(rec) {
			s.Blank++
			continue
		}
		line, _ := s.r.FieldPos(0)
		s.raw = rec
		for _, v := range rec {
			if !utf8.ValidString(v) {
				return Row{}, notUTF8(line)
			}
			if len(v) > maxValueBytes {
				return Row{}, &SheetError{Line: line, Msg: fmt.Sprintf(
					"a value of %d KiB: no username, email, name or reason is that long; is this the right file, with the quotes closed?", len(v)>>10)}
			}
		}
		a := Row{Seq: s.seq, Line: line}
		s.seq++
		for f, c := range s.Col {
			if c < 0 || c >= len(rec) {
				continue
			}
			v := rec[c]
			if f != fieldPassword {
				// A failed sheet guards a cell that would run as a
				// formula (see Guard): it is read as it was. A password
				// is read exactly as written.
				v = strings.TrimSpace(Unguard(strings.TrimSpace(v)))
			}
			switch f {
			case fieldUsername:
				a.Username = v
			case fieldEmail:
				a.Email = v
			case fieldRealName:
				a.RealName = v
			case fieldReason:
				a.Reason = v
			case fieldPassword:
				a.Password = v
			case fieldGroups:
				a.Groups = v
			case fieldExpiry:
				a.Expiry = v
			}
		}
		if extra := extraValues(rec, len(s.Header)); extra > 0 {
			a.Problem = &Problem{Code: "malformed-row", Message: fmt.Sprintf(
				"the row has %d values but the header has %d columns; put a value that contains %s in double quotes",
				len(rec), len(s.Header), describeDelimiter(s.Delimiter))}
			return a, nil
		}
		for f, c := range s.Col {
			if c >= 0 && c < len(rec) && (f == fieldUsername || f == fieldEmail) && strings.ContainsAny(rec[c], "\r\n") {
				return Row{}, &SheetError{Line: line, Msg: fmt.Sprintf(
					"the %s value spans several lines, which means a double quote is not closed where it should be; check the quotes on this line", Fields[f])}
			}
		}
		return a, nil
	}
}

func blankRecord(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// extraValues counts non-empty values beyond the header's columns. Empty
// trailing values are common in spreadsheet exports and harmless.
func extraValues(rec []string, n int) int {
	extra := 0
	for i := n; i < len(rec); i++ {
		if strings.TrimSpace(rec[i]) != "" {
			extra++
		}
	}
	return extra
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch pe.Err {
		case csv.ErrBareQuote:
			return fmt.Sprintf("a double quote appears inside a value that is not in quotes (column %d); put the whole value in double quotes and write the inner quote twice (\"\")", pe.Column)
		case csv.ErrQuote:
			return fmt.Sprintf("a quoted value is not closed properly (column %d); check the double quotes", pe.Column)
		}
		return pe.Err.Error()
	}
	return err.Error()
}

func describeDelimiter(d rune) string {
	switch d {
	case '\t':
		return "a tab"
	default:
		return fmt.Sprintf("'%c'", d)
	}
}

// sniffDelimiter picks comma, semicolon or tab: whichever appears most often,
// outside quotes, in the first line.
func sniffDelimiter(head []byte) rune {
	counts := map[rune]int{}
	inQuote := false
	for _, c := range string(head) {
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		if c == '\n' || c == '\r' {
			break
		}
		if c == ',' || c == ';' || c == '\t' {
			counts[c]++
		}
	}
	best := ','
	for _, d := range []rune{';', '\t'} {
		if counts[d] > counts[best] {
			best = d
		}
	}
	return best
}

// checkEncoding refuses files that would be mangled if read as UTF-8.
func checkEncoding(head []byte) error {
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}), bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return &SheetError{Msg: "the sheet is UTF-16 text (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\" and try again"}
	case bytes.IndexByte(head, 0) >= 0:
		return &SheetError{Msg: "the sheet is not a text CSV file (it contains NUL bytes); export it from the spreadsheet as \"CSV UTF-8\""}
	}
	// Cut a possibly split rune at the end of the sniffed part.
	h := head
	for i := 0; i < utf8.UTFMax && len(h) > 0 && !utf8.Valid(h); i++ {
		h = h[:len(h)-1]
	}
	if !utf8.Valid(h) {
		return notUTF8(lineOfInvalid(head))
	}
	return nil
}

func notUTF8(line int) error {
	return &SheetError{Line: line, Msg: "the sheet is not UTF-8 text (it looks like Windows-1252/Latin-1, as older Excel versions save CSV); save it as \"CSV UTF-8\" and try again"}
}

func lineOfInvalid(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		b = b[size:]
	}
	return line
}
