package report

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocarina/gocsv"
)

// The column set and order are a contract other tools rely on.
func TestWriterHeaderIsTheContract(t *testing.T) {
	var buf bytes.Buffer
	if _, err := NewWriter(&buf); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "line,username,canonical,status,code,message,attempts,finished_at,wiki,creator,first_run_at,groups\n"; got != want {
		t.Errorf("header = %q, want %q", got, want)
	}
}

// Every Write reaches the file at once, so the file read at any moment is a
// valid results CSV holding every row written so far.
func TestWriterFlushesEveryRowAndRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path, false, About{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	when := time.Date(2026, 11, 21, 22, 36, 42, 0, time.FixedZone("CET", 3600))
	rows := []Row{
		{Line: 2, Username: "maria_garcia", Canonical: "Maria garcia", Status: Created, Attempts: 1, FinishedAt: Timestamp{when}},
		{Line: 5, Username: "Bad#Name", Status: Invalid, Code: "forbidden-character", Message: "a username cannot contain '#', \"quoted\"\nand a newline"},
		{Line: 7, Username: "Ann", Canonical: "Ann", Status: Exists, Code: "group-not-added", Groups: Groups{
			{Group: "confirmed", State: GrantAdded, Until: time.Date(2026, 12, 8, 19, 20, 0, 0, time.UTC)},
			{Group: "sysop", State: GrantAlready}, {Group: "autoreview", State: GrantSkipped}, {Group: "=x", State: GrantFailed}}},
	}
	for i, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Read(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("after %d rows the file is not valid CSV: %v", i+1, err)
		}
		if len(got) != i+1 {
			t.Fatalf("after %d writes the file holds %d rows", i+1, len(got))
		}
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "2,maria_garcia,Maria garcia,created,,,1,2026-11-21T21:36:42Z,,,,\n") {
		t.Errorf("created row not written as RFC 3339 UTC:\n%s", b)
	}
	got, _ := Read(bytes.NewReader(b))
	if !strings.Contains(string(b), `,"confirmed: added until 2026-12-08T19:20:00Z; sysop: already permanently; autoreview: skipped, already autoconfirmed; =x: not added"`+"\n") {
		t.Errorf("groups cell not written as expected:\n%s", b)
	}
	if !got[0].FinishedAt.Equal(when) || !reflect.DeepEqual(got[1], rows[1]) || !reflect.DeepEqual(got[2], rows[2]) {
		t.Errorf("round trip: %+v, want %+v", got, rows)
	}
	// Only its owner can read it (it holds the participants' names): mode
	// 0600 on Unix, an access control list for the user alone on Windows.
	if who, _, err := Readers(path); who != "" || err != nil {
		t.Errorf("the results file can be read by %s (%v)", who, err)
	}
}

func TestSummary(t *testing.T) {
	s := NewSummary()
	for _, st := range []Status{Created, Created, Exists, Invalid} {
		s.Add(Row{Status: st})
	}
	s.Elapsed, s.CreatedNow = 2*time.Second, 2
	var buf bytes.Buffer
	s.Print(&buf)
	if got, want := buf.String(), "4 rows: 2 created, 1 exists, 1 invalid\nelapsed 2s, 1.00 accounts/s\n"; got != want {
		t.Errorf("Print = %q, want %q", got, want)
	}
	if s.AllOK() {
		t.Error("AllOK with an invalid row")
	}
	// A resumed run that created 1, the other created row carried over.
	s.CreatedNow = 1
	buf.Reset()
	s.Print(&buf)
	if got, want := buf.String(), "4 rows: 2 created, 1 exists, 1 invalid\nelapsed 2s, 0.50 accounts/s\n"; got != want {
		t.Errorf("Print = %q, want %q", got, want)
	}
	ok := NewSummary()
	ok.Add(Row{Status: Created})
	ok.Add(Row{Status: Exists})
	if !ok.AllOK() {
		t.Error("AllOK false for created and exists")
	}
}

func TestProblemsGroupsByKindWithLineNumbers(t *testing.T) {
	p := NewProblems(2)
	for _, r := range []Row{
		{Line: 2, Username: "alice", Status: WouldCreate},
		{Line: 3, Username: "Taken", Status: Exists, Code: "userexists", Message: "the username is already taken on the wiki (userexists)"},
		{Line: 14, Username: "Jane#Doe", Status: Invalid, Code: "forbidden-character", Message: "a username cannot contain '#'"},
		{Line: 15, Username: "a#", Status: Invalid, Code: "forbidden-character", Message: "a username cannot contain '#'"},
		{Line: 16, Username: "b#", Status: Invalid, Code: "forbidden-character", Message: "a username cannot contain '#'"},
		{Line: 17, Username: "alice", Status: Duplicate, Code: "duplicate", Message: "repeats line 2 (both are \"Alice\" on the wiki)"},
	} {
		p.Add(r)
	}
	var buf bytes.Buffer
	p.Print(&buf, "s.dry-run.csv")
	want := `invalid: forbidden-character (3 rows)
  line 14: "Jane#Doe": a username cannot contain '#'
  line 15: "a#": a username cannot contain '#'
  … and 1 more in s.dry-run.csv
duplicate (1 row)
  line 17: "alice": repeats line 2 (both are "Alice" on the wiki)
exists: userexists (1 row)
  line 3: "Taken": the username is already taken on the wiki (userexists)
`
	if got := buf.String(); got != want {
		t.Errorf("Print =\n%s\nwant\n%s", got, want)
	}
	recorded := 0
	for _, g := range p.groups {
		recorded += g.count
	}
	if recorded != 5 {
		t.Errorf("%d rows recorded, want 5", recorded)
	}
}

// Cells a spreadsheet would run as formulas are neutralized in the file and
// read back exactly.
func TestWriterNeutralizesFormulas(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf)
	rows := []Row{
		{Line: 2, Username: "=HYPERLINK(\"http://x\")", Status: Invalid, Message: "+1 more"},
		{Line: 3, Username: "-Bob-", Canonical: "-Bob-", Status: Created},
		{Line: 4, Username: "@team", Status: Invalid, Message: "\tindented"},
		{Line: 5, Username: "'quoted", Canonical: "'quoted", Status: Created},
		{Line: 6, Username: "plain", Canonical: "Plain", Status: Created},
	}
	if err := w.Write(rows...); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\n")[1:] {
		fields := strings.SplitN(line, ",", 3)
		if len(fields) > 1 && fields[1] != "" && strings.ContainsRune("=+-@\t\r", rune(strings.TrimLeft(fields[1], `"`)[0])) {
			t.Errorf("a formula cell is written as is: %q", line)
		}
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if got[i].Username != rows[i].Username || got[i].Canonical != rows[i].Canonical || got[i].Message != rows[i].Message {
			t.Errorf("row %d read back as %+v, want %+v", i, got[i], rows[i])
		}
	}
}

// The results file's one definition, columns, and Row's csv tags, by which
// gocsv reads a file back, name the same columns in the same order.
func TestColumnsAreRowsTags(t *testing.T) {
	s, err := gocsv.MarshalString([]Row{})
	if err != nil {
		t.Fatal(err)
	}
	if tags := strings.Split(strings.TrimSpace(s), ","); !slices.Equal(tags, header) {
		t.Errorf("Row's csv tags are %v, the columns written %v", tags, header)
	}
}

// One row is "1 row".
func TestSummaryOfOneRow(t *testing.T) {
	s := NewSummary()
	s.Add(Row{Status: WouldCreate})
	var buf bytes.Buffer
	s.Print(&buf)
	if got, want := buf.String(), "1 row: 1 would-create\nelapsed 0s\n"; got != want {
		t.Errorf("Print = %q, want %q", got, want)
	}
	buf.Reset()
	if err := Write(&buf, []Row{{Status: Created}}, FormatText, "r.csv"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "1 row: 1 created") {
		t.Errorf("Format = %q, want 1 row", buf.String())
	}
}
