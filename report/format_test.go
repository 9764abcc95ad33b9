package report

import (
	"bytes"
	"testing"
	"time"
)

// formatRows is a results file with a row of most statuses: two created
// (one without a canonical name), a prediction, and rows that need
// attention, one of them with a pipe and a line break in its cells.
var formatRows = []Row{
	{Line: 2, Username: "maria_garcia", Canonical: "Maria garcia", Status: Created, Attempts: 1},
	{Line: 3, Username: "Taken", Canonical: "Taken", Status: Exists, Code: "userexists", Message: "the username is already taken on the wiki (userexists)"},
	{Line: 4, Username: "Bad#Name|x", Status: Invalid, Code: "forbidden-character", Message: "a username cannot contain '#'\nor '|'"},
	{Line: 5, Username: "bob", Status: Created},
	{Line: 6, Username: "dup", Canonical: "Dup", Status: Duplicate, Code: "duplicate", Message: "repeats line 2"},
	{Line: 7, Username: "Pend", Canonical: "Pend", Status: Pending, Code: "pending", Message: "the run was interrupted before this row was sent"},
	{Line: 8, Username: "Would", Canonical: "Would", Status: WouldCreate},
}

// formatCases are the cases of TestWriteRendersEachFormat.
var formatCases = []struct {
	name   string
	rows   []Row
	format string
	want   string
}{
	{
		name: "text", rows: formatRows, format: FormatText,
		want: `invalid: forbidden-character (1 row)
  line 4: "Bad#Name|x": a username cannot contain '#'
or '|'
duplicate (1 row)
  line 6: "dup": repeats line 2
pending (1 row)
  line 7: "Pend": the run was interrupted before this row was sent
exists: userexists (1 row)
  line 3: "Taken": the username is already taken on the wiki (userexists)
7 rows: 2 created, 1 would-create, 1 exists, 1 invalid, 1 duplicate, 1 pending
`,
	},
	{
		name: "markdown", rows: formatRows, format: FormatMarkdown,
		want: `| status | rows |
|---|---:|
| created | 2 |
| would-create | 1 |
| exists | 1 |
| invalid | 1 |
| duplicate | 1 |
| pending | 1 |
| **total** | **7** |

| line | username | status | code | message |
|---:|---|---|---|---|
| 3 | Taken | exists | userexists | the username is already taken on the wiki (userexists) |
| 4 | Bad#Name\|x | invalid | forbidden-character | a username cannot contain '#' or '\|' |
| 6 | dup | duplicate | duplicate | repeats line 2 |
| 7 | Pend | pending | pending | the run was interrupted before this row was sent |
`,
	},
	{
		name: "wikitext", rows: formatRows, format: FormatWikitext,
		want: "* [[User:Maria garcia|Maria garcia]]\n* [[User:bob|bob]]\n",
	},
	{
		name: "text, nothing to report", rows: formatRows[:1], format: FormatText,
		want: "1 row: 1 created\n",
	},
	{
		name: "markdown, nothing to report", rows: []Row{formatRows[0], formatRows[6]}, format: FormatMarkdown,
		want: "| status | rows |\n|---|---:|\n| created | 1 |\n| would-create | 1 |\n| **total** | **2** |\n",
	},
	{
		name: "text with groups", rows: groupRows, format: FormatText,
		want: `exists: group-not-added (1 row)
  line 4: "Gone": not added to staff
created: group-not-added (1 row)
  line 5: "Half": not added to confirmed
4 rows: 2 created, 2 exists
groups: 2 added, 1 already held as long or longer, 2 not added
`,
	},
	{
		name: "markdown with groups", rows: groupRows, format: FormatMarkdown,
		want: `| status | rows |
|---|---:|
| created | 2 |
| exists | 2 |
| **total** | **4** |

groups: 2 added, 1 already held as long or longer, 2 not added

| line | username | status | code | message |
|---:|---|---|---|---|
| 4 | Gone | exists | group-not-added | not added to staff |
| 5 | Half | created | group-not-added | not added to confirmed |
`,
	},
	{
		name: "wikitext with groups: who is confirmed until when", rows: groupRows, format: FormatWikitext,
		want: "* [[User:New|New]] (confirmed until 8 December 2026, staff)\n* [[User:Back|Back]] (confirmed until 1 January 2027)\n* [[User:Half|Half]]\n",
	},
	{name: "text, no rows", format: FormatText, want: "0 rows: no rows\n"},
	{name: "markdown, no rows", format: FormatMarkdown, want: "| status | rows |\n|---|---:|\n| **total** | **0** |\n"},
	{name: "wikitext, no rows", format: FormatWikitext, want: ""},
}

// Each format renders the whole results file exactly: text groups the rows
// that need attention, most serious first; markdown tables the counts and
// those rows with every cell kept in its column; wikitext links the
// accounts created, by the name the wiki stores.
func TestWriteRendersEachFormat(t *testing.T) {
	tests := formatCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.rows, tt.format, "s.results.csv"); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("Write(%s) =\n%s\nwant\n%s", tt.format, got, tt.want)
			}
		})
	}
}

// An unknown format is an error that names the formats there are, and
// nothing is written.
func TestWriteRefusesAnUnknownFormat(t *testing.T) {
	for _, format := range []string{"csv", "", "Text", "md"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, formatRows, format, "s.results.csv")
			want := `unknown format "` + format + `": use text, markdown, wikitext or slips`
			if err == nil || err.Error() != want {
				t.Errorf("Write(%q) error = %v, want %q", format, err, want)
			}
			if buf.Len() != 0 {
				t.Errorf("Write(%q) wrote %q", format, buf.String())
			}
		})
	}
}

var groupRows = func() []Row {
	dec8, jan1 := time.Date(2026, 12, 8, 19, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	return []Row{
		{Line: 2, Username: "New", Canonical: "New", Status: Created, Groups: Groups{{"confirmed", GrantAdded, dec8}, {"staff", GrantAdded, time.Time{}}}},
		{Line: 3, Username: "Back", Canonical: "Back", Status: Exists, Groups: Groups{{"confirmed", GrantAlready, jan1}}},
		{Line: 4, Username: "Gone", Canonical: "Gone", Status: Exists, Code: "group-not-added", Message: "not added to staff", Groups: Groups{{"staff", GrantFailed, time.Time{}}}},
		{Line: 5, Username: "Half", Canonical: "Half", Status: Created, Code: "group-not-added", Message: "not added to confirmed", Groups: Groups{{"confirmed", GrantFailed, time.Time{}}}},
	}
}()

// A cell's line breaks and runs of spaces are one space; its no-break
// spaces stay, as French typography puts them.
func TestMDCell(t *testing.T) {
	for in, want := range map[string]string{
		"a  b\n c\t|d":               `a b c \|d`,
		"nom\u00a0: «\u00a0x\u00a0»": "nom\u00a0: «\u00a0x\u00a0»",
		" 1\u202f234 ":               "1\u202f234",
	} {
		if got := mdCell(in); got != want {
			t.Errorf("mdCell(%q) = %q, want %q", in, got, want)
		}
	}
}
