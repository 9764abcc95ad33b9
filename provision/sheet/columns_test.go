package sheet

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// Which column feeds which field: the header that says it, a column the
// user chose, and never a generic one by itself.
func TestMapColumns(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		chosen  map[string]string
		want    map[string]int // field → column; absent fields -1
		ignored string
		err     string
	}{
		{name: "a sign-up form's export: the chosen name, not the legal one; the comment stays private",
			header: "Name,E-mail,Wiki username,Comment", want: map[string]int{"username": 2, "email": 1}, ignored: "Name|Comment"},
		{name: "a reason column feeds the public reason", header: "Username,Creation reason,Notes",
			want: map[string]int{"username": 0, "reason": 1}, ignored: "Notes"},
		{name: "a form's question that mentions a reason stays private", header: "Username,Do you need reasonable accommodations?",
			want: map[string]int{"username": 0}, ignored: "Do you need reasonable accommodations?"},
		{name: "a private reason is no creation reason", header: "Username,Reason for not attending (private),E-mail address",
			want: map[string]int{"username": 0, "email": 2}, ignored: "Reason for not attending (private)"},
		{name: "only whole headers name a field", header: "Username,Emergency contact email,Your full name please,Password hint",
			want: map[string]int{"username": 0}, ignored: "Emergency contact email|Your full name please|Password hint"},
		{name: "two columns could be the username", header: "Username,Email,Wiki username",
			err: `2 columns could be the username: "Username", "Wiki username"`},
		{name: "the user says which", header: "Username,Email,Wiki username", chosen: map[string]string{"username": "Wiki username"},
			want: map[string]int{"username": 2, "email": 1}, ignored: "Username"},
		{name: "chosen regardless of case and punctuation", header: "Name,E-mail", chosen: map[string]string{"username": "name"},
			want: map[string]int{"username": 0, "email": 1}},
		{name: "a generic column on purpose", header: "Wiki username,Name,Comment", chosen: map[string]string{"realname": "Name", "reason": "Comment"},
			want: map[string]int{"username": 0, "realname": 1, "reason": 2}},
		{name: "no column for a field, by choice", header: "username,email,reason", chosen: map[string]string{"reason": ""},
			want: map[string]int{"username": 0, "email": 1}, ignored: "reason"},
		{name: "a chosen column claims it from another field", header: "user,login", chosen: map[string]string{"username": "login"},
			want: map[string]int{"username": 1}, ignored: "user"},
		{name: "a chosen column that is not there", header: "Name,E-mail", chosen: map[string]string{"username": "Wiki username"},
			err: `the sheet has no column "Wiki username" for the username; its header has "Name", "E-mail"`},
		{name: "no such field", header: "username", chosen: map[string]string{"nickname": "x"}, err: `no field "nickname"`},
		{name: "a chosen name that two columns have", header: "Name,E-mail,Name", chosen: map[string]string{"username": "Name"},
			err: `line 1: columns 1 and 3 are both called "Name": either could be the username`},
		{name: "a chosen name that two columns have, but for case", header: "Name,E-mail,NAME", chosen: map[string]string{"username": "name"},
			err: `line 1: columns 1 and 3 are both called "name": either could be the username`},
		{name: "a column chosen by its position", header: "Name,E-mail,Name", chosen: map[string]string{"username": "#3", "realname": "#1"},
			want: map[string]int{"username": 2, "email": 1, "realname": 0}},
		{name: "a position past the header", header: "Name,E-mail,Name", chosen: map[string]string{"username": "#4"},
			err: `the sheet has no column #4 for the username: its header has 3 columns`},
		{name: "two columns of one name could be the username", header: "Username,E-mail,Username",
			err: `line 1: columns 1 and 3 are both called "Username": either could be the username`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(strings.NewReader(tt.header+"\n"), tt.chosen)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for f, name := range Fields {
				want, ok := tt.want[name]
				if !ok {
					want = -1
				}
				if s.Col[f] != want {
					t.Errorf("%s ← column %d, want %d", name, s.Col[f], want)
				}
			}
			if got := strings.Join(s.Ignored, "|"); got != tt.ignored {
				t.Errorf("ignored %q, want %q", got, tt.ignored)
			}
		})
	}
}

// Two candidate columns make a typed error that names them, for the
// advice the command line adds.
func TestAmbiguousColumnsAreNamed(t *testing.T) {
	_, err := New(strings.NewReader("Username,Wiki username\n"), nil)
	var ac *AmbiguousColumnError
	if !errors.As(err, &ac) || ac.Field != "username" || !slices.Equal(ac.Columns, []string{"Username", "Wiki username"}) {
		t.Errorf("err = %#v", err)
	}
}

// Two columns of the same name are an error that says where they are, for
// the advice that names --column FIELD=#N.
func TestSameNameColumnsAreNamedWithTheirPositions(t *testing.T) {
	for _, chosen := range []map[string]string{nil, {"username": "Username"}} {
		_, err := New(strings.NewReader("Username,E-mail,Username\n"), chosen)
		var sn *SameNameColumnsError
		if !errors.As(err, &sn) || sn.Field != "username" || sn.Column != "Username" || !slices.Equal(sn.Positions, []int{1, 3}) {
			t.Errorf("chosen %v: err = %#v", chosen, err)
		}
	}
}

// A sheet saved with the line ends of classic Mac OS (CR alone) gives its
// rows, with their line numbers.
func TestSheetReadsCROnlyLineEnds(t *testing.T) {
	_, rows, err := readAll(t, "username,email\ralice,a@example.org\r\"bob, jr\",b@example.org\rcarol,c@example.org")
	if err != nil {
		t.Fatal(err)
	}
	want := []gotRow{{Line: 2, Username: "alice", Email: "a@example.org"}, {Line: 3, Username: "bob, jr", Email: "b@example.org"},
		{Line: 4, Username: "carol", Email: "c@example.org"}}
	if !slices.Equal(rows, want) {
		t.Errorf("rows %+v, want %+v", rows, want)
	}
}

// A sheet whose line ends are mixed — LF, CRLF and CR alone, as a sheet
// edited on several systems may be — gives every row, on its line, also
// when a CR ends what one read returns and its LF starts the next, and
// far beyond the start of the sheet.
func TestSheetReadsMixedLineEnds(t *testing.T) {
	var b strings.Builder
	var want []string
	b.WriteString("username,email\n")
	ends := []string{"\n", "\r", "\r\n"}
	for i := range 6000 {
		name := fmt.Sprintf("user%d", i)
		want = append(want, name)
		b.WriteString(name + ",u@example.org" + ends[i%len(ends)])
	}
	s, err := New(iotest.OneByteReader(strings.NewReader(b.String())), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range want {
		a, err := s.Next()
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if a.Username != name || a.Line != i+2 {
			t.Fatalf("row %d: %q on line %d, want %q on line %d", i, a.Username, a.Line, name, i+2)
		}
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("after the last row: %v", err)
	}
}

// endless is a reader of one byte, for ever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// Hostile sheets are refused before they are held whole, with a message of
// bounded length: a line of 200 MB, a header of a million columns.
func TestSheetBoundsHostileShapes(t *testing.T) {
	tests := []struct {
		name string
		in   io.Reader
		line int
		want string
	}{
		{"a 200 MB line", io.MultiReader(strings.NewReader("username,email\nalice,"), io.LimitReader(endless('x'), 200<<20)), 2,
			"the line is longer than 1 MiB"},
		{"a header of a million columns", io.MultiReader(strings.NewReader("username"), io.LimitReader(endless(','), 1_000_000)), 1,
			"the header row is longer than 64 KiB"},
		{"a header of 5000 columns", strings.NewReader("username" + strings.Repeat(",x", 5000) + "\n"), 1,
			`the header has 5001 columns, and no sheet of accounts has that many: is this the right file? It begins "username", "x", "x", "x", "x", "x" and 4995 more`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			s, err := New(tt.in, nil)
			for err == nil {
				_, err = s.Next()
			}
			runtime.ReadMemStats(&after)
			var se *SheetError
			if !errors.As(err, &se) || se.Line != tt.line || !strings.Contains(se.Msg, tt.want) {
				t.Fatalf("err = %v, want line %d: %q", err, tt.line, tt.want)
			}
			if n := len(err.Error()); n > 400 {
				t.Errorf("a message of %d bytes", n)
			}
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 16<<20 {
				t.Errorf("%d MiB allocated before the refusal", grown>>20)
			}
		})
	}
}

// A cell a failed sheet guarded against running as a formula is read as
// it was; an apostrophe before a letter stays; a password is read exactly.
func TestGuardedCellsAreReadAsTheyWere(t *testing.T) {
	s, err := New(strings.NewReader("username,realname,password\n'@SUM(A1),'t Hooft,'=secret\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Next()
	if err != nil || a.Username != "@SUM(A1)" || a.RealName != "'t Hooft" || a.Password != "'=secret" {
		t.Errorf("row %+v, %v", a, err)
	}
	for _, v := range []string{"", "'", "=1+1", "'x", "''", "-Bob", "\tx", "@"} {
		if got := Unguard(Guard(v)); got != v {
			t.Errorf("Unguard(Guard(%q)) = %q", v, got)
		}
	}
}

// The reason is public for ever (the new-users and rights logs): a column
// that describes the person or their work, or is private, never feeds it
// by its header alone — however much it reads like a reason.
func TestPrivateLookingColumnsNeverFeedThePublicReason(t *testing.T) {
	for _, h := range []string{
		"Purpose", "Description", "Purpose of account", "Account purpose", "Description of your work", "Project description",
		"Comment", "Comments", "Notes", "Note", "Remarks", "Message", "Motivation", "Why", "Bio", "About you",
		"Details", "Explanation", "Justification", "Anything else?", "Why do you want an account?",
		"Reason (private)", "Private reason", "Reason for not attending (private)", "Do you need reasonable accommodations?",
	} {
		s, err := New(strings.NewReader("username,email,"+csvField(h)+"\nana,a@example.org,my private words\n"), nil)
		if err != nil {
			t.Errorf("%q: %v", h, err)
			continue
		}
		if s.Col[fieldReason] != -1 {
			t.Errorf("the column %q feeds the public reason", h)
		}
		a, err := s.Next()
		if err != nil {
			t.Errorf("%q: %v", h, err)
			continue
		}
		if a.Reason != "" {
			t.Errorf("the column %q gave the row the public reason %q", h, a.Reason)
		}
	}
}

// csvField is s as one field of a CSV line.
func csvField(s string) string {
	if strings.ContainsAny(s, `,"`+"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
