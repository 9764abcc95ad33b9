package report

import (
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/provision/sheet"
)

// readSheet reads data as mwprovision reads a sheet: its rows' usernames,
// reasons and real names, and the results of a run that failed them all.
func readSheet(t *testing.T, data string) (fields [][3]string, results []Row) {
	t.Helper()
	sh, err := sheet.New(strings.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	for {
		a, err := sh.Next()
		if err == io.EOF {
			return fields, results
		}
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, [3]string{a.Username, a.Reason, a.RealName})
		results = append(results, Row{Line: a.Line, Username: a.Username, Status: Invalid, Code: "forbidden-character"})
	}
}

// A failed sheet is opened in a spreadsheet to be corrected: a cell that
// would run as a formula there (= + - @, a tab, a CR) is neutralized, as
// in the results. mwprovision reads its own failed sheet back as the
// sheet it came from, so that a corrected one runs the names as written,
// and writing it again changes nothing.
func TestFailedSheetNeutralizesFormulas(t *testing.T) {
	orig := "username,reason,realname,Comment\r\n" +
		"@SUM(A1),=1+1,-Bob,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n" +
		"+plus,'t Hooft,'=already,\"\tTab\"\r\n" +
		"-minus,''twice,plain,\r\n"
	want, results := readSheet(t, orig)
	var out bytes.Buffer
	if n, _, err := WriteFailedSheet(&out, strings.NewReader(orig), nil, results); err != nil || n != 3 {
		t.Fatalf("wrote %d rows: %v", n, err)
	}
	recs, err := csv.NewReader(bytes.NewReader(out.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		for _, v := range rec {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				t.Errorf("the failed sheet holds a formula cell %q:\n%s", v, out.String())
			}
		}
	}
	got, again := readSheet(t, out.String())
	if !slices.Equal(got, want) {
		t.Errorf("the failed sheet reads back as %q, want %q", got, want)
	}
	var out2 bytes.Buffer
	if _, _, err := WriteFailedSheet(&out2, bytes.NewReader(out.Bytes()), nil, again); err != nil || out2.String() != out.String() {
		t.Errorf("the failed sheet of the failed sheet (%v):\n%s\nwant\n%s", err, out2.String(), out.String())
	}
}
