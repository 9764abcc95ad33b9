package provision

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/mwprovision/mwprovision/provision/sheet"
)

// FuzzSheet: whatever the bytes, the reader never panics, and each data row
// it returns has the next sequence number and a line after the one before —
// so no row can be lost or counted twice — until the end or a SheetError.
func FuzzSheet(f *testing.F) {
	for _, seed := range []string{
		"username,email\nalice,a@example.org\n",
		"\ufeffusername;email\r\nbob;b@example.org\r\n",
		"username\temail\n\"multi\nline\",x@example.org\n",
		"username,email\n\"unclosed,x\nrest,y\n",
		"username,email\nbo\"b,z\n,,\n\ncarol,c@example.org,extra\n",
		"mail\nx\n",
		"\xff\xfeu\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := sheet.New(bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		check := NewChecker(true)
		lastLine, seq := 1, 0
		for i := 0; i < 10000; i++ {
			a, err := s.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if se := (*sheet.SheetError)(nil); !errors.As(err, &se) {
					t.Fatalf("error that is not a SheetError: %v", err)
				}
				return
			}
			if a.Seq != seq || a.Line <= lastLine {
				t.Fatalf("row %d: seq %d line %d after line %d", seq, a.Seq, a.Line, lastLine)
			}
			acc := Account{Row: a}
			check.Check(&acc)
			if acc.Problem == nil && acc.Canonical == "" {
				t.Fatalf("line %d passes the checks without a canonical name", a.Line)
			}
			seq, lastLine = seq+1, a.Line
		}
	})
}
