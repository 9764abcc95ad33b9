package sheet

import (
	"errors"
	"io"
	"strings"
	"testing"
)

type gotRow struct {
	Line                                 int
	Username, Email, RealName, Reason, P string
	Problem                              string
}

func readAll(t *testing.T, in string) (*Sheet, []gotRow, error) {
	t.Helper()
	s, err := New(strings.NewReader(in), nil)
	if err != nil {
		return nil, nil, err
	}
	var rows []gotRow
	for {
		a, err := s.Next()
		if err == io.EOF {
			return s, rows, nil
		}
		if err != nil {
			return s, rows, err
		}
		g := gotRow{a.Line, a.Username, a.Email, a.RealName, a.Reason, a.Password, ""}
		if a.Problem != nil {
			g.Problem = a.Problem.Code
		}
		rows = append(rows, g)
	}
}

func TestSheetDialects(t *testing.T) {
	want := []gotRow{
		{Line: 2, Username: "alice", Email: "a@example.org", RealName: "Alice A"},
		{Line: 3, Username: "Bob_B", Email: "b@example.org", RealName: "Bob, Jr."},
	}
	tests := map[string]string{
		"comma LF":        "username,email,realname\nalice,a@example.org,Alice A\nBob_B,b@example.org,\"Bob, Jr.\"\n",
		"BOM CRLF":        "\ufeffusername,email,realname\r\nalice,a@example.org,Alice A\r\nBob_B,b@example.org,\"Bob, Jr.\"\r\n",
		"semicolon":       "username;email;realname\nalice;a@example.org;Alice A\nBob_B;b@example.org;Bob, Jr.\n",
		"tab":             "username\temail\trealname\nalice\ta@example.org\tAlice A\nBob_B\tb@example.org\tBob, Jr.\n",
		"aliases, case":   "User Name,E-Mail,Real name\nalice,a@example.org,Alice A\nBob_B,b@example.org,\"Bob, Jr.\"",
		"spaces trimmed":  "username , email,realname\n alice , a@example.org ,Alice A\nBob_B,b@example.org,\"Bob, Jr.\"\n",
		"column order":    "realname,email,username\nAlice A,a@example.org,alice\n\"Bob, Jr.\",b@example.org,Bob_B\n",
		"no final EOL":    "username,email,realname\nalice,a@example.org,Alice A\nBob_B,b@example.org,\"Bob, Jr.\"",
		"quoted header":   "\"username\",\"email\",\"realname\"\nalice,a@example.org,Alice A\nBob_B,b@example.org,\"Bob, Jr.\"\n",
		"trailing commas": "username,email,realname,,\nalice,a@example.org,Alice A,,\nBob_B,b@example.org,\"Bob, Jr.\",,\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			_, rows, err := readAll(t, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(want) {
				t.Fatalf("got %d rows %+v, want %d", len(rows), rows, len(want))
			}
			for i := range want {
				if rows[i] != want[i] {
					t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
				}
			}
		})
	}
}

// Line numbers count physical lines, so a quoted value with newlines, and
// blank lines, move the rows after them.
func TestSheetLineNumbers(t *testing.T) {
	in := "username,reason\n" +
		"alice,\"first line\nsecond line, with comma\"\n" +
		"\n" +
		",\n" +
		"bob,plain\n"
	s, rows, err := readAll(t, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []gotRow{
		{Line: 2, Username: "alice", Reason: "first line\nsecond line, with comma"},
		{Line: 6, Username: "bob", Reason: "plain"},
	}
	if len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
		t.Fatalf("rows = %+v, want %+v", rows, want)
	}
	if s.Blank != 1 {
		t.Errorf("Blank = %d, want 1 (the ',' row; empty lines are skipped by the CSV reader)", s.Blank)
	}
}

func TestSheetMalformedRowsAreKept(t *testing.T) {
	in := "username,email\n" +
		"alice,a@example.org\n" +
		"bo\"b,b@example.org\n" +
		"carol,c@example.org,extra value\n" +
		"dave,d@example.org\n"
	_, rows, err := readAll(t, in)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(rows))
	for i, r := range rows {
		got[i] = r.Problem
	}
	want := []string{"", "malformed-row", "malformed-row", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("problems = %q, want %q (rows %+v)", got, want, rows)
	}
	if rows[1].Line != 3 || rows[2].Line != 4 || rows[3].Username != "dave" {
		t.Errorf("rows = %+v", rows)
	}
}

func TestSheetErrors(t *testing.T) {
	tests := map[string]struct {
		in   string
		line int
		want string
	}{
		"empty":           {"", 0, "the sheet is empty"},
		"no username":     {"email,full name\nx@example.org,X\n", 1, `no username column: the header has "email", "full name"`},
		"UTF-16":          {"\xff\xfeu\x00s\x00", 0, "UTF-16"},
		"binary":          {"PK\x03\x04\x00\x00", 0, "NUL bytes"},
		"Latin-1":         {"username,realname\nrene,Ren\xe9\n", 2, "not UTF-8"},
		"unclosed quote":  {"username,email\n\"alice,a@example.org\nbob,b@example.org\ncarol,c@example.org\n", 2, "not closed properly before line"},
		"newline in name": {"username,email\n\"alice\nbob\",a@example.org\n", 2, "spans several lines"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := readAll(t, tt.in)
			var se *SheetError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SheetError", err)
			}
			if se.Line != tt.line || !strings.Contains(se.Msg, tt.want) {
				t.Errorf("err = line %d %q, want line %d containing %q", se.Line, se.Msg, tt.line, tt.want)
			}
		})
	}
}

func TestSheetHeaderAliasesAndIgnored(t *testing.T) {
	s, err := New(strings.NewReader("Name,Username,Mail,Full Name,Comment,Pass,Team\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Col[fieldUsername] != 1 || s.Col[fieldEmail] != 2 || s.Col[fieldRealName] != 3 ||
		s.Col[fieldReason] != -1 || s.Col[fieldPassword] != 5 {
		t.Errorf("columns = %v", s.Col)
	}
	if strings.Join(s.Ignored, ",") != "Name,Comment,Team" {
		t.Errorf("Ignored = %q, want Name,Comment,Team (generic headers feed no field)", s.Ignored)
	}
}

func TestSniffDelimiter(t *testing.T) {
	for in, want := range map[string]rune{
		"a,b,c\n1;2":            ',',
		"a;b;c\n":               ';',
		"a\tb\n":                '\t',
		"\"a;b\",c\n":           ',',
		"username\n":            ',',
		"\"x,y\";\"z,w\";q\r\n": ';',
	} {
		if got := sniffDelimiter([]byte(in)); got != want {
			t.Errorf("sniffDelimiter(%q) = %q, want %q", in, got, want)
		}
	}
}
