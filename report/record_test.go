package report

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every row of a results file says what the record is about; reading the
// file back gives the wiki, every creator and the first run's start, which
// a resumed run keeps. A file from before these columns is still read.
func TestRecordSaysWhatItIsAbout(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	first := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	rf, err := Create(path, false, About{Wiki: "https://w/api.php", Creator: "Organizer", FirstRun: first})
	if err != nil {
		t.Fatal(err)
	}
	if err := rf.Write(Row{Line: 2, Username: "ana", Canonical: "Ana", Status: Created}); err != nil {
		t.Fatal(err)
	}
	if err := rf.Commit(false); err != nil {
		t.Fatal(err)
	}
	again, err := Create(path, true, About{Wiki: "https://w/api.php", Creator: "Helper", FirstRun: first})
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Write(Row{Line: 3, Username: "bo", Canonical: "Bo", Status: Pending}); err != nil {
		t.Fatal(err)
	}
	again.Close() // cut off: the partial stays
	prev, err := ReadPrevious(path)
	if err != nil {
		t.Fatal(err)
	}
	if prev.About.Wiki != "https://w/api.php" || !prev.About.FirstRun.Equal(first) || !slices.Equal(prev.Creators, []string{"Organizer", "Helper"}) {
		t.Errorf("previous %+v, creators %q", prev.About, prev.Creators)
	}
	old := filepath.Join(dir, "old.csv")
	writeFile(t, old, "line,username,canonical,status,code,message,attempts,finished_at\n2,ana,Ana,created,,,1,2026-11-21T10:00:00Z\n")
	prevOld, err := ReadPrevious(old)
	if err != nil {
		t.Fatal(err)
	}
	if got := prevOld.Rows["Ana"]; got.Status != Created || prevOld.About.Wiki != "" || !prevOld.About.FirstRun.IsZero() || len(prevOld.Sent) != 0 {
		t.Errorf("an earlier version's file: %+v, about %+v, sent %v", got, prevOld.About, prevOld.Sent)
	}
}

// A last row cut off by a full disk or a crash is dropped, and said so;
// a file cut anywhere else is refused.
func TestReadPreviousDropsACutLastRow(t *testing.T) {
	whole := "line,username,canonical,status,code,message,attempts,finished_at,wiki,creator,first_run_at\n" +
		"2,ana,Ana,created,,,1,2026-11-21T10:00:00Z,,,\n" +
		"3,bo,Bo,created,,\"a message\nover two lines\",1,2026-11-21T10:00:01Z,,,\n"
	for _, tt := range []struct {
		name, content, want string
		cut                 bool
	}{
		{"whole", whole, "Ana Bo", false},
		{"cut in the last row", whole + "4,cy,Cy,crea", "Ana Bo", true},
		{"cut inside a quoted value of the last row", whole + "4,cy,Cy,created,,\"a long\nmess", "Ana Bo", true},
		{"cut in the header", "line,username,cano", "", false},
	} {
		path := filepath.Join(t.TempDir(), "r.csv")
		writeFile(t, path, tt.content)
		prev, err := ReadPrevious(path)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: read, want refused", tt.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for name := range prev.Rows {
			got = append(got, name)
		}
		slices.Sort(got)
		if strings.Join(got, " ") != tt.want || (prev.Cut != "") != tt.cut {
			t.Errorf("%s: rows %q cut %q, want %q cut %v", tt.name, got, prev.Cut, tt.want, tt.cut)
		}
	}
}

// Only a results file is ever moved aside: a sheet or a folder where the
// results would go is refused, and stays as it was.
func TestCreateNeverMovesWhatIsNotResults(t *testing.T) {
	dir := t.TempDir()
	sheet := filepath.Join(dir, "signups.csv")
	writeFile(t, sheet, "username,email\nana,a@example.org\n")
	folder := filepath.Join(dir, "results")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{sheet, folder} {
		if _, err := Create(path, false, About{}); err == nil {
			t.Errorf("Create(%s) moved it aside", path)
		}
	}
	if b, _ := os.ReadFile(sheet); string(b) != "username,email\nana,a@example.org\n" {
		t.Errorf("the sheet changed: %q", b)
	}
	if fi, err := os.Stat(folder); err != nil || !fi.IsDir() {
		t.Errorf("the folder is gone: %v", err)
	}
}

// A link planted at NAME.partial is never followed: it is moved aside as a
// link, its target stays unchanged and private to nobody else, and the new
// partial is a file of its own.
func TestCreateDoesNotFollowALinkAtThePartial(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	target := filepath.Join(dir, "elsewhere.txt")
	writeFile(t, target, "not yours\n")
	if err := os.Chmod(target, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path+".partial"); err != nil {
		t.Fatal(err)
	}
	rf, err := Create(path, true, About{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rf.Write(Row{Line: 2, Username: "ana", Canonical: "Ana", Status: Created}); err != nil {
		t.Fatal(err)
	}
	rf.Close()
	if b, _ := os.ReadFile(target); string(b) != "not yours\n" {
		t.Errorf("the link's target was written: %q", b)
	}
	fi, err := os.Lstat(path + ".partial")
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("the new partial: %v, %v", fi, err)
	}
}

// One writer: a second hold on the same file is refused at once, saying
// who holds it; once released, it can be taken again.
func TestAcquireRefusesASecondWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	first, err := Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(path)
	var inUse *InUseError
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), "is in use by another mwprovision") {
		t.Fatalf("a second Acquire: %v, want an *InUseError", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(path)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
	if _, err := os.Stat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file stays after release: %v", err)
	}
}

// A .partial left by a resumed run that was cut off goes aside with the
// record it belongs to when a new run starts a new record: a later
// --resume never takes it for newer.
func TestANewRecordKeepsAStalePartialAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	writeResults(t, path, Row{Line: 2, Username: "ana", Canonical: "Ana", Status: Created, Wiki: "https://old/api.php"})
	writeResults(t, path+".partial", Row{Line: 2, Username: "ana", Canonical: "Ana", Status: Pending, Wiki: "https://old/api.php"})
	rf, err := Create(path, false, About{Wiki: "https://new/api.php"})
	if err != nil {
		t.Fatal(err)
	}
	rf.Write(Row{Line: 2, Username: "ana", Canonical: "Ana", Status: Exists})
	if err := rf.Commit(false); err != nil {
		t.Fatal(err)
	}
	prev, err := ReadPrevious(path)
	if err != nil {
		t.Fatal(err)
	}
	if prev.About.Wiki != "https://new/api.php" || prev.Rows["Ana"].Status != Exists {
		t.Errorf("after a new record, --resume reads %+v, %+v", prev.About, prev.Rows["Ana"])
	}
}

// A Record holds the lock from its opening to its closing, refuses to
// resume another wiki's record, and commits a resumed run's NAME.partial
// over the results it continued.
func TestRecordOwnsTheResultsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	rec, err := OpenRecord(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRecord(path, true); !errors.As(err, new(*InUseError)) {
		t.Fatalf("a second record of the same file: %v, want an *InUseError", err)
	}
	if prev, err := rec.Previous("https://w/api.php"); prev != nil || err != nil {
		t.Errorf("a run that does not resume has previous results: %v, %v", prev, err)
	}
	f, err := rec.Start(About{Wiki: "https://w/api.php", Creator: "Organizer", FirstRun: time.Now()}, Run{Started: time.Now(), Groups: false})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(Row{Line: 2, Username: "ana", Canonical: "Ana", Status: Created}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Commit(false); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}

	again, err := OpenRecord(path, true)
	if err != nil {
		t.Fatalf("the lock was not let go: %v", err)
	}
	defer again.Close()
	var ow *OtherWikiError
	if _, err := again.Previous("https://other/api.php"); !errors.As(err, &ow) || ow.Wiki != "https://w/api.php" || ow.Want != "https://other/api.php" {
		t.Errorf("resuming another wiki's record: %v, want an *OtherWikiError naming both", err)
	}
	// The scheme and host name are the same in any case; the path is not.
	if _, err := again.Previous("https://w/API.php"); !errors.As(err, &ow) {
		t.Errorf("resuming with another path: %v, want an *OtherWikiError", err)
	}
	if _, err := again.Previous("HTTPS://W/api.php"); err != nil {
		t.Errorf("resuming with the scheme and host in capitals: %v, want the same wiki", err)
	}
	prev, err := again.Previous("https://w/api.php")
	if err != nil || prev.Rows["Ana"].Status != Created {
		t.Fatalf("previous: %+v, %v", prev, err)
	}
	f, err = again.Start(About{Wiki: "https://w/api.php", Creator: "Organizer", FirstRun: prev.About.FirstRun}, Run{Started: time.Now(), Groups: false})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(PartialPath(path)); err != nil {
		t.Errorf("a resumed run does not write %s: %v", PartialPath(path), err)
	}
	if err := f.Write(Row{Line: 2, Username: "ana", Canonical: "Ana", Status: Created}, Row{Line: 3, Username: "bo", Canonical: "Bo", Status: Created}); err != nil {
		t.Fatal(err)
	}
	if err := again.Commit(false); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadFile(path)
	if err != nil || len(rows) != 2 {
		t.Errorf("after the commit: %d rows, %v; want the resumed run's 2", len(rows), err)
	}
	if _, err := os.Stat(PartialPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the partial is still there after the commit: %v", err)
	}
}

// The journal tells a resumed run what no row may say yet: a run killed
// before its first row still says when the record began and whether it
// added groups, and every account a run asked the wiki to create is named,
// with when. A new record keeps the old journal aside with the results.
func TestJournalSurvivesARunKilledBeforeItsFirstRow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.csv")
	started := time.Date(2026, 12, 2, 18, 0, 0, 500_000_000, time.UTC)
	rec, err := OpenRecord(path, false)
	if err != nil {
		t.Fatal(err)
	}
	f, err := rec.Start(About{Wiki: "https://w/api.php", FirstRun: started}, Run{Started: started, Groups: true})
	if err != nil {
		t.Fatal(err)
	}
	sent := started.Add(2 * time.Second)
	if err := f.Sent("Ana", sent); err != nil {
		t.Fatal(err)
	}
	if err := f.Sent("Ana", sent.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	rec.Close()                                                        // killed: the results file holds its header alone
	appendText(t, JournalPath(path), "sent\t2026-12-02T18:05:00Z\tBo") // a line cut off

	again, err := OpenRecord(path, true)
	if err != nil {
		t.Fatal(err)
	}
	prev, err := again.Previous("https://w/api.php")
	if err != nil {
		t.Fatal(err)
	}
	first := started.Truncate(time.Second)
	if !prev.About.FirstRun.Equal(first) || !prev.GroupsFrom.Equal(first) || len(prev.Rows) != 0 {
		t.Errorf("first run %v, groups from %v, %d rows; want %v, %v and none", prev.About.FirstRun, prev.GroupsFrom, len(prev.Rows), first, first)
	}
	if at, ok := prev.Sent["Ana"]; !ok || !at.Equal(sent) || len(prev.Sent) != 1 {
		t.Errorf("sent %v, want Ana at %v only", prev.Sent, sent)
	}
	again.Close()

	fresh, err := OpenRecord(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := fresh.Start(About{}, Run{Started: time.Now(), Groups: false}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(JournalPath(fresh.Kept())); err != nil {
		t.Errorf("the old journal was not kept aside with the results as %s: %v", JournalPath(fresh.Kept()), err)
	}
	b, err := os.ReadFile(JournalPath(path))
	if err != nil || strings.Count(string(b), "\n") != 2 || strings.Contains(string(b), "Ana") {
		t.Errorf("the new record's journal:\n%s%v\nwant its header and one run", b, err)
	}
}

func appendText(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
