package provision

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The fields mwprovision reads from a sheet.
const (
	fieldUsername = iota
	fieldEmail
	fieldRealName
	fieldReason
	fieldPassword
	numFields
)

var fieldNames = [numFields]string{"username", "email", "realname", "reason", "password"}

// headerAliases maps a normalized header (lower case, letters and digits
// only) to a field. The field's own name wins over an alias when both appear.
var headerAliases = map[string]int{
	"username": fieldUsername, "user": fieldUsername, "name": fieldUsername,
	"login": fieldUsername, "account": fieldUsername, "accountname": fieldUsername,
	"wikiusername": fieldUsername, "wikiuser": fieldUsername, "desiredusername": fieldUsername,
	"email": fieldEmail, "mail": fieldEmail, "emailaddress": fieldEmail,
	"mailaddress": fieldEmail,
	"realname":    fieldRealName, "fullname": fieldRealName, "displayname": fieldRealName,
	"reason": fieldReason, "comment": fieldReason,
	"password": fieldPassword, "pass": fieldPassword, "initialpassword": fieldPassword,
}

func normalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ErrSheet marks errors that make a whole sheet unusable (exit code 2).
var ErrSheet = errors.New("unusable sheet")

// SheetError is a problem with the sheet as a whole; nothing was sent to the
// wiki because of it.
type SheetError struct {
	Line int // 0 when it concerns the whole file
	Msg  string
}

func (e *SheetError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Is makes errors.Is(err, ErrSheet) true.
func (e *SheetError) Is(target error) bool { return target == ErrSheet }

// Sheet streams the data rows of a CSV sheet. It detects the delimiter from
// the header line, skips a UTF-8 byte order mark and blank rows, and keeps
// the line number each row starts on.
type Sheet struct {
	r         *csv.Reader
	col       [numFields]int // column index per field, -1 when absent
	Header    []string       // the header as written
	Ignored   []string       // header columns mwprovision does not use
	Delimiter rune
	Blank     int // blank rows skipped so far
	seq       int
	raw       []string
}

// maxValueBytes bounds one value of a sheet.
const maxValueBytes = 64 << 10

// sniffSize is how much of the file is inspected for encoding and delimiter.
const sniffSize = 64 << 10

// NewSheet reads the header of a sheet. Errors are *SheetError.
func NewSheet(in io.Reader) (*Sheet, error) {
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
	s := &Sheet{Delimiter: sniffDelimiter(head)}
	s.r = csv.NewReader(br)
	s.r.Comma = s.Delimiter
	s.r.FieldsPerRecord = -1
	s.r.ReuseRecord = true

	header, err := s.r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, &SheetError{Msg: "the sheet is empty: it needs a header row such as username,email,realname"}
		}
		return nil, &SheetError{Line: 1, Msg: "the header row cannot be read: " + csvProblem(err)}
	}
	s.Header = append([]string(nil), header...)
	for i := range s.col {
		s.col[i] = -1
	}
	// Exact field names first, then aliases, so "username,name" keeps the
	// username column and ignores "name".
	norm := make([]string, len(header))
	claimed := make([]bool, len(header))
	for i, h := range header {
		norm[i] = normalizeHeader(h)
		for f, name := range fieldNames {
			if norm[i] == name && s.col[f] < 0 {
				s.col[f], claimed[i] = i, true
			}
		}
	}
	for i := range header {
		if claimed[i] {
			continue
		}
		if f, ok := headerAliases[norm[i]]; ok && s.col[f] < 0 {
			s.col[f], claimed[i] = i, true
			continue
		}
		if strings.TrimSpace(header[i]) != "" {
			s.Ignored = append(s.Ignored, strings.TrimSpace(header[i]))
		}
	}
	if s.col[fieldUsername] < 0 {
		return nil, &SheetError{Line: 1, Msg: fmt.Sprintf(
			"no username column: the header has %s; name the column of usernames \"username\"",
			quoteList(s.Header))}
	}
	return s, nil
}

// Raw is the record Next returned last, as written in the sheet (nil for a
// row that could not be parsed). It is valid until the next call to Next.
func (s *Sheet) Raw() []string { return s.raw }

// Column is the index of the field's column ("password"…), or -1.
func (s *Sheet) Column(field string) int {
	for f, name := range fieldNames {
		if name == field {
			return s.col[f]
		}
	}
	return -1
}

// Next returns the next data row, or io.EOF. A row that cannot be parsed is
// returned with a Problem, never dropped. A quoting error that swallows
// following lines is returned as a *SheetError, because the rows inside it
// cannot be told apart.
func (s *Sheet) Next() (Account, error) {
	s.raw = nil
	for {
		rec, err := s.r.Read()
		if err == io.EOF {
			return Account{}, io.EOF
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return Account{}, fmt.Errorf("read sheet: %w", err)
		}
		if pe != nil && pe.Err != csv.ErrFieldCount {
			if pe.Line > pe.StartLine {
				return Account{}, &SheetError{Line: pe.StartLine, Msg: fmt.Sprintf(
					"a quoted value starts on this line and is not closed properly before line %d, so the rows in between cannot be read; check the double quotes on line %d",
					pe.Line, pe.StartLine)}
			}
			a := Account{Seq: s.seq, Line: pe.StartLine, Problem: &Problem{Code: "malformed-row",
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
				return Account{}, notUTF8(line)
			}
			if len(v) > maxValueBytes {
				return Account{}, &SheetError{Line: line, Msg: fmt.Sprintf(
					"a value of %d KiB: no username, email, name or reason is that long; is this the right file, with the quotes closed?", len(v)>>10)}
			}
		}
		a := Account{Seq: s.seq, Line: line}
		s.seq++
		for f, c := range s.col {
			if c < 0 || c >= len(rec) {
				continue
			}
			v := rec[c]
			if f != fieldPassword {
				v = strings.TrimSpace(v)
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
			}
		}
		if extra := extraValues(rec, len(s.Header)); extra > 0 {
			a.Problem = &Problem{Code: "malformed-row", Message: fmt.Sprintf(
				"the row has %d values but the header has %d columns; put a value that contains %s in double quotes",
				len(rec), len(s.Header), describeDelimiter(s.Delimiter))}
			return a, nil
		}
		for f, c := range s.col {
			if c >= 0 && c < len(rec) && (f == fieldUsername || f == fieldEmail) && strings.ContainsAny(rec[c], "\r\n") {
				return Account{}, &SheetError{Line: line, Msg: fmt.Sprintf(
					"the %s value spans several lines, which means a double quote is not closed where it should be; check the quotes on this line", fieldNames[f])}
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

func quoteList(items []string) string {
	if len(items) == 0 {
		return "no columns"
	}
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = fmt.Sprintf("%q", it)
	}
	return strings.Join(q, ", ")
}
