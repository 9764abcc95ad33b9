package report

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A row needs no further action when its account is there (or would be,
// in a dry run) and every group it asked for was added.
func TestRowOK(t *testing.T) {
	for _, tt := range []struct {
		row  Row
		want bool
	}{
		{Row{Status: Created}, true},
		{Row{Status: Exists}, true},
		{Row{Status: WouldCreate}, true},
		{Row{Status: Failed}, false},
		{Row{Status: Created, Groups: Groups{{Group: "staff", State: GrantFailed}}}, false},
		{Row{Status: Exists, Groups: Groups{{Group: "staff", State: GrantPending}}}, false},
		{Row{Status: Created, Groups: Groups{{Group: "staff", State: GrantAdded}}}, true},
	} {
		if got := tt.row.OK(); got != tt.want {
			t.Errorf("%s with groups %q: OK() = %v, want %v", tt.row.Status, tt.row.Groups, got, tt.want)
		}
	}
}

// The record's first run is the earliest any of its rows says, in
// whatever order the rows come, so a duration counts from it on every
// resume.
func TestPreviousFirstRunIsTheEarliest(t *testing.T) {
	first := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	later := first.Add(48 * time.Hour)
	prev := &Previous{Rows: map[string]Row{}}
	prev.take([]Row{
		{Canonical: "Ann", Status: Created, FirstRunAt: Timestamp{first}},
		{Canonical: "Bob", Status: Created, FirstRunAt: Timestamp{later}},
	})
	if !prev.About.FirstRun.Equal(first) {
		t.Errorf("first run %s, want the earliest, %s", prev.About.FirstRun, first)
	}
}

// The journal says when the record's first run began, and when the first
// run that added groups did: a later run does not move either, and a run
// that added no groups is not the first that did.
func TestJournalKeepsTheFirstRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.csv")
	const results = "line,username,canonical,status,code,message,attempts,finished_at,wiki,creator,first_run_at,groups\n" +
		"2,Ann,Ann,created,,,1,2026-11-03T09:00:05Z,https://wiki.example.org/w/api.php,Owner,,\n"
	const journal = journalHeader + "\n" +
		"run\t2026-11-01T09:00:00.5Z\t-\n" +
		"run\t2026-11-02T09:00:00Z\tgroups\n" +
		"sent\t2026-11-02T09:00:01Z\tAnn\n" +
		"run\t2026-11-03T09:00:00Z\tgroups\n" +
		"sent\t2026-11-03T09:00:01Z\tAnn\n"
	if err := os.WriteFile(path, []byte(results), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(JournalPath(path), []byte(journal), 0o600); err != nil {
		t.Fatal(err)
	}
	prev, err := ReadPrevious(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC); !prev.About.FirstRun.Equal(want) {
		t.Errorf("first run %s, want %s", prev.About.FirstRun, want)
	}
	if want := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC); !prev.GroupsFrom.Equal(want) {
		t.Errorf("first run that added groups %s, want %s", prev.GroupsFrom, want)
	}
	if want := time.Date(2026, 11, 2, 9, 0, 1, 0, time.UTC); !prev.Sent["Ann"].Equal(want) {
		t.Errorf("Ann first asked for at %s, want %s", prev.Sent["Ann"], want)
	}
}
