package provision

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// rowsOfSize is a sheet of distinct rows, cut (mid-row if need be) to
// exactly size bytes.
func rowsOfSize(size int) []byte {
	var b bytes.Buffer
	b.WriteString("username,email\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "User%06d,user%06d@example.org\n", i, i)
	}
	return b.Bytes()[:size]
}

// wholeRows is a sheet of distinct rows, of at most size bytes, that ends
// with a whole row.
func wholeRows(size int) []byte {
	b := rowsOfSize(size)
	return b[:bytes.LastIndexByte(b, '\n')+1]
}

// A sheet of several blocks is planned and run, every row of it.
func TestRunReadsASheetOfSeveralBlocks(t *testing.T) {
	data := wholeRows(3*sheet.SnapshotBlock + 100)
	rows := bytes.Count(data, []byte("\n")) - 1
	_, api, requests := watchedWiki(t)
	_, in := openSheet(t, string(data))
	plan, err := ReadPlan(context.Background(), in, PlanOptions{MailPassword: true, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Counts.Rows != rows || plan.Counts.ToCreate != rows {
		t.Errorf("counts %+v, want %d rows, all to create", plan.Counts, rows)
	}
	got, err := runPlan(t, api, plan, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != rows {
		t.Fatalf("%d results rows, want %d", len(got), rows)
	}
	last := got[len(got)-1]
	if want := fmt.Sprintf("User%06d", rows-1); last.Canonical != want || last.Line != rows+1 || last.Status != report.WouldCreate {
		t.Errorf("last row %+v, want line %d %s would-create", last, rows+1, want)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("an offline dry run sent %d requests", n)
	}
}
