package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// eventWiki is a wiki set up like English Wikipedia (confirmed,
// eventcoordinator), with an event coordinator logged in by bot password.
func eventWiki(t *testing.T) (*wikitest.Wiki, wikitest.Creator) {
	t.Helper()
	w := wikitest.Start(t, wikitest.Options{Extra: wikitest.EnwikiGroups})
	if err := w.CreateUser("Coord", "Coordinator-pass-2026", "eventcoordinator"); err != nil {
		t.Fatal(err)
	}
	c, err := w.CreateBotPassword("Coord", "event", "basic", "createaccount", "highvolume")
	if err != nil {
		t.Fatal(err)
	}
	return w, c
}

// members reads the groups of users back from the wiki.
func members(t *testing.T, w *wikitest.Wiki, names ...string) map[string]wikitest.Member {
	t.Helper()
	m, err := w.Members(names...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// addReturning makes the five returning participants of an event: one
// confirmed for good, one confirmed until later (returned), one
// autoconfirmed and two plain ones.
func addReturning(t *testing.T, w *wikitest.Wiki) time.Time {
	t.Helper()
	later := time.Now().UTC().Add(60 * 24 * time.Hour).Truncate(time.Second)
	for _, u := range []struct {
		name string
		do   func(string) error
	}{
		{"Returning forever", func(n string) error { return w.AddToGroup(n, "confirmed", time.Time{}) }},
		{"Returning later", func(n string) error { return w.AddToGroup(n, "confirmed", later) }},
		{"Returning veteran", w.MakeAutoconfirmed},
		{"Returning plain1", nil},
		{"Returning plain2", nil},
	} {
		if err := w.CreateUser(u.name, "Participant-pass-2026"); err != nil {
			t.Fatal(err)
		}
		if u.do != nil {
			if err := u.do(u.name); err != nil {
				t.Fatal(err)
			}
		}
	}
	return later
}

// checkConfirmed checks each row of the event and what the wiki holds:
// the new and the plain returning participants added until until, the
// others left alone (forever, until later, autoconfirmed).
func checkConfirmed(t *testing.T, rows []report.Row, names []string, m map[string]wikitest.Member, until, later time.Time) {
	t.Helper()
	for i, row := range rows {
		name := names[i]
		var wantState report.GrantState
		switch {
		case i < 10:
			wantState = report.GrantAdded
			if row.Status != report.Created {
				t.Errorf("%s: %s (%s), want created", name, row.Status, row.Message)
			}
		case name == "Returning forever" || name == "Returning later":
			wantState = report.GrantAlready
		case name == "Returning veteran":
			wantState = report.GrantSkipped
		default:
			wantState = report.GrantAdded
		}
		if i >= 10 && row.Status != report.Exists {
			t.Errorf("%s: %s (%s), want exists", name, row.Status, row.Message)
		}
		if len(row.Groups) != 1 || row.Groups[0].Group != "confirmed" || row.Groups[0].State != wantState {
			t.Errorf("%s: groups %q, want confirmed %s", name, row.Groups, wantState)
			continue
		}
		got, in := m[name].Until("confirmed")
		switch name {
		case "Returning forever":
			if !in || !got.IsZero() {
				t.Errorf("%s: confirmed until %v (%v), want still permanent", name, got, in)
			}
		case "Returning later":
			if !got.Equal(later) || !row.Groups[0].Until.Equal(later) {
				t.Errorf("%s: confirmed until %v, row says %v, want still %v", name, got, row.Groups[0].Until, later)
			}
		case "Returning veteran":
			if in {
				t.Errorf("%s: confirmed was added to an autoconfirmed account", name)
			}
		default:
			if !in || !got.Equal(until) {
				t.Errorf("%s: confirmed until %v (member: %v), want %v", name, got, in, until)
			}
		}
	}
}

// rightsChanges counts the rights log's entries by user changed.
func rightsChanges(t *testing.T, w *wikitest.Wiki) map[string]int {
	t.Helper()
	evs, err := w.RightsLog()
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range evs {
		n[e.UserName()]++
	}
	return n
}

// An event coordinator confirms a room: 10 new participants and 5 who
// return. The new ones and the two plain returning ones end confirmed
// until two weeks from the run's start, read back from the wiki; one
// confirmed for good, one confirmed for longer and one autoconfirmed are
// left alone, and their rows say why. Then: the coordinator may not add
// sysop (pre-flight, exit 2, nothing created), and a sheet's groups cell
// naming such a group makes that row invalid while the others are done.
func TestEventCoordinatorConfirmsParticipants(t *testing.T) {
	w, coord := eventWiki(t)
	later := addReturning(t, w)
	before := rightsChanges(t, w)

	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("username,email\n")
	var names []string
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "Newcomer %d,new%d@example.org\n", i, i)
		names = append(names, fmt.Sprintf("Newcomer %d", i))
	}
	for _, n := range []string{"Returning forever", "Returning later", "Returning veteran", "Returning plain1", "Returning plain2"} {
		fmt.Fprintf(&b, "%s,%s@example.org\n", n, strings.ReplaceAll(n, " ", "."))
		names = append(names, n)
	}
	sheet := writeSheet(t, dir, "room.csv", b.String())
	started := time.Now().UTC().Truncate(time.Second)
	r := runCLIWith(t, "y\n", true, nil, append(append([]string{"run"}, creatorArgs(coord, w)...), "--add-groups", "confirmed", "--group-expiry", "2 weeks",
		"--reason", "Edit-a-thon 2026", "--rate", "20/s", sheet)...)
	finished := time.Now().UTC()
	if r.code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", r.code, r.stderr)
	}
	rows := readResults(t, filepath.Join(dir, "room.results.csv"))
	if len(rows) != 15 {
		t.Fatalf("%d results rows, want 15", len(rows))
	}
	m := members(t, w, names...)
	until := rows[0].Groups[0].Until
	if until.Before(started.AddDate(0, 0, 14)) || until.After(finished.AddDate(0, 0, 14)) {
		t.Errorf("confirmed until %s, want two weeks after the run's start (%s)", until, started)
	}
	checkConfirmed(t, rows, names, m, until, later)
	after := rightsChanges(t, w)
	for _, name := range names {
		want := 0
		if m[name].Groups != nil && (strings.HasPrefix(name, "Newcomer") || strings.HasPrefix(name, "Returning plain")) {
			want = 1
		}
		if got := after[name] - before[name]; got != want {
			t.Errorf("%s: %d rights log entries from the run, want %d", name, got, want)
		}
	}
	for _, want := range []string{
		"  accounts: 15 to create (0 other rows need no request): Newcomer 1, Newcomer 2, Newcomer 3, Newcomer 4, Newcomer 5 and 10 more\n",
		"  existing: 5 of these exist already, so 10 are created; the 5 are only added to their groups: Returning forever, Returning later, Returning veteran, Returning plain1, Returning plain2\n",
		"Create 10 accounts, and add them and 5 existing accounts to groups? [y/N] ",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the confirmation lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "groups: 12 added, 2 already held as long or longer, 1 skipped (autoconfirmed already)") {
		t.Errorf("the summary does not count the groups:\n%s", r.stderr)
	}

	t.Run("a group the creator may not add stops the run before anything", func(t *testing.T) { checkSysopRefused(t, w, coord, dir) })
	t.Run("a groups cell the creator may not add makes that row invalid", func(t *testing.T) { checkCellNotAddable(t, w, coord, dir) })
}

// checkSysopRefused: an event coordinator may not add sysop; the
// pre-flight says so (exit 2) and nothing is created.
func checkSysopRefused(t *testing.T, w *wikitest.Wiki, coord wikitest.Creator, dir string) {
	sheet := writeSheet(t, dir, "sysop.csv", "username,email\nWould be sysop,ws@example.org\n")
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(coord, w)...), "--add-groups", "sysop", "--yes", sheet)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, `may not add accounts to "sysop"`) || !strings.Contains(r.stderr, "it may add: confirmed") {
		t.Errorf("exit %d, want %d naming sysop and what it may add:\n%s", r.code, exitUsage, r.stderr)
	}
	if u, _ := w.Users("Would be sysop"); len(u) != 1 || !u[0].Missing {
		t.Errorf("the account was created: %+v", u)
	}
}

// checkCellNotAddable: a groups cell naming a group the creator may not
// add makes that row invalid; the others are created and added.
func checkCellNotAddable(t *testing.T, w *wikitest.Wiki, coord wikitest.Creator, dir string) {
	sheet := writeSheet(t, dir, "cells.csv", "username,email,groups\nCell ok,ok@example.org,confirmed\nCell sysop,sy@example.org,sysop\nCell none,no@example.org,\n")
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(coord, w)...), "--group-expiry", "1 month", "--yes", sheet)...)
	if r.code != exitRowsNotOK {
		t.Errorf("exit %d, want %d", r.code, exitRowsNotOK)
	}
	rows := readResults(t, filepath.Join(dir, "cells.results.csv"))
	checkResults(t, rows, []expect{{2, report.Created, "Cell ok", ""}, {3, report.Invalid, "", "group-not-addable"}, {4, report.Created, "Cell none", ""}})
	if len(rows) == 3 && (rows[0].Groups.String() == "" || rows[2].Groups != nil) {
		t.Errorf("groups cells %q, %q: want confirmed added, then none", rows[0].Groups, rows[2].Groups)
	}
	if _, in := members(t, w, "Cell ok")["Cell ok"].Until("confirmed"); !in {
		t.Error("Cell ok is not confirmed")
	}
	if u, _ := w.Users("Cell sysop"); len(u) != 1 || !u[0].Missing {
		t.Errorf("the invalid row's account was created: %+v", u)
	}
}

// kill -9 while the run adds accounts to groups — twice right after the
// wiki did a userrights whose answer never came back — then --resume:
// every account is created once and added to confirmed once (the rights
// log), until one expiry that counts from the first run's start.
func TestKillNineDuringGrantsThenResume(t *testing.T) {
	w, coord := eventWiki(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	const rows = 30
	sheet := numberedSheet(t, dir, "room.csv", "granted", rows)
	results := filepath.Join(dir, "room.results.csv")
	proxy := newFaultProxy(t, w.URL)
	proxy.action = "userrights"
	args := []string{"run", "--api", proxy.API, "--user", coord.Login, "--password-file", coord.PasswordFile,
		"--workers", "2", "--rate", "40/s", "--add-groups", "confirmed", "--group-expiry", "2 weeks", "--yes"}
	started := time.Now().UTC().Truncate(time.Second)
	out := killedThenResumed(t, bin, proxy, args, sheet, []int{5, 9})
	t.Logf("final resume:\n%s", out)
	created := map[string]bool{}
	for _, r := range readResults(t, results) {
		if r.Status == report.Created {
			created[r.Canonical] = true
		}
	}
	if len(created) != rows {
		t.Errorf("%d rows created, want %d", len(created), rows)
	}
	checkWikiHolds(t, w, "Granted", created)
	changes := rightsChanges(t, w)
	var names []string
	for i := 1; i <= rows; i++ {
		names = append(names, fmt.Sprintf("Granted %03d", i))
	}
	m := members(t, w, names...)
	var until time.Time
	for i, r := range readResults(t, results) {
		name := names[i]
		if changes[name] != 1 {
			t.Errorf("%s: %d rights log entries, want 1", name, changes[name])
		}
		got, in := m[name].Until("confirmed")
		if until.IsZero() {
			until = got
		}
		if !in || !got.Equal(until) || len(r.Groups) != 1 || r.Groups[0].State != report.GrantAdded || !r.Groups[0].Until.Equal(got) {
			t.Errorf("%s: confirmed until %v (member: %v), row %q; want added until %v like the others", name, got, in, r.Groups, until)
		}
	}
	if want := started.AddDate(0, 0, 14); until.Before(want) || until.After(want.Add(time.Minute)) {
		t.Errorf("confirmed until %v, want two weeks from the first run's start, %v", until, want)
	}
}

// Grants that failed (the wiki answered HTTP 500 to every userrights) are
// retried by --resume, which creates nothing: the accounts it created
// stay created, and each is added to confirmed once.
func TestResumeRetriesGrantsWithoutCreating(t *testing.T) {
	w, coord := eventWiki(t)
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "room.csv", "retried", 5)
	proxy := newFaultProxy(t, w.URL)
	proxy.action = "userrights"
	proxy.before = func(_ int, rw http.ResponseWriter) bool {
		http.Error(rw, "down for a moment", http.StatusInternalServerError)
		return true
	}
	args := []string{"run", "--api", proxy.API, "--user", coord.Login, "--password-file", coord.PasswordFile,
		"--rate", "0", "--max-attempts", "2", "--add-groups", "confirmed", "--group-expiry", "1 month", "--yes"}
	r := runCLI(t, nil, append(args, sheet)...)
	rows := readResults(t, filepath.Join(dir, "room.results.csv"))
	if r.code != exitRowsNotOK || len(rows) != 5 {
		t.Fatalf("exit %d with %d rows, want %d with 5", r.code, len(rows), exitRowsNotOK)
	}
	for _, row := range rows {
		if row.Status != report.Created || row.Code != "http-500" || row.Groups.String() != "confirmed: not added" {
			t.Errorf("row %d: %s %s %q (%s), want created, http-500, confirmed not added", row.Line, row.Status, row.Code, row.Groups, row.Message)
		}
	}
	if !strings.Contains(r.stderr, "groups: 5 not added") {
		t.Errorf("the summary does not say the groups were not added:\n%s", r.stderr)
	}

	proxy.mu.Lock()
	proxy.before, proxy.action, proxy.creates = nil, "createaccount", 0
	proxy.mu.Unlock()
	r = runCLI(t, nil, append(args, "--resume", sheet)...)
	if r.code != 0 || !strings.Contains(r.stderr, "0 to create, 5 created or found before to add to groups") {
		t.Fatalf("exit %d, want 0 saying what it resumes:\n%s", r.code, r.stderr)
	}
	if n := proxy.createCount(); n != 0 {
		t.Errorf("--resume sent %d createaccount requests, want none", n)
	}
	changes := rightsChanges(t, w)
	for _, row := range readResults(t, filepath.Join(dir, "room.results.csv")) {
		if row.Status != report.Created || row.Code != "" || len(row.Groups) != 1 || row.Groups[0].State != report.GrantAdded || row.Attempts != 1 {
			t.Errorf("row %d: %s %q %q attempts %d, want created with confirmed added and its one attempt", row.Line, row.Status, row.Code, row.Groups, row.Attempts)
		}
		if changes[row.Canonical] != 1 {
			t.Errorf("%s: %d rights log entries, want 1", row.Canonical, changes[row.Canonical])
		}
	}
}

// A migration: a bureaucrat creates the accounts with the sheet's passwords
// and adds them to the groups of the groups column, a custom one too; every
// membership is on the wiki afterwards, for good.
func TestMigrationAddsTheSheetsGroups(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{Extra: wikitest.EnwikiGroups})
	dir := t.TempDir()
	args := append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--mailpassword=false", "--rate", "0", "--yes")

	// Pinned on the real wiki: through a bot password, a bureaucrat may
	// add no group at all until $wgAddGroups names some for its group.
	first := writeSheet(t, dir, "first.csv", "username,password\nNot yet staff,Migrated-pass-0000\n")
	r := runCLI(t, nil, append(args, "--add-groups", "staff", first)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, `may not add accounts to "staff"`) || !strings.Contains(r.stderr, "$wgAddGroups['bureaucrat']") {
		t.Fatalf("exit %d, want %d with the $wgAddGroups advice:\n%s", r.code, exitUsage, r.stderr)
	}
	if err := w.AppendSettings("$wgAddGroups['bureaucrat'] = [ 'sysop', 'bureaucrat', 'staff' ];"); err != nil {
		t.Fatal(err)
	}

	sheet := writeSheet(t, dir, "users.csv", "username,password,groups\n"+
		"Migrated admin,Migrated-pass-1111,sysop;staff\n"+
		"Migrated staff,Migrated-pass-2222,staff\n"+
		"Migrated chief,Migrated-pass-3333,bureaucrat|sysop|staff\n"+
		"Migrated plain,Migrated-pass-4444,\n")
	r = runCLI(t, nil, append(args, sheet)...)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", r.code, r.stderr)
	}
	want := map[string][]string{"Migrated admin": {"sysop", "staff"}, "Migrated staff": {"staff"},
		"Migrated chief": {"bureaucrat", "sysop", "staff"}, "Migrated plain": nil}
	m := members(t, w, "Migrated admin", "Migrated staff", "Migrated chief", "Migrated plain")
	for name, groups := range want {
		if len(m[name].Memberships) != len(groups) {
			t.Errorf("%s holds %+v, want %v", name, m[name].Memberships, groups)
		}
		for _, g := range groups {
			if until, in := m[name].Until(g); !in || !until.IsZero() {
				t.Errorf("%s: %s until %v (member: %v), want for good", name, g, until, in)
			}
		}
	}
	if status, err := w.ClientLogin("Migrated chief", "Migrated-pass-3333"); err != nil || status != "PASS" {
		t.Errorf("the migrated password does not log in: %s %v", status, err)
	}
}

// grant adds returning participants to confirmed and creates nothing: a
// misspelt name fails instead of becoming a new, permanent account. A
// membership is never shortened, and one for good is never made temporary
// (the wiki's userrights would). Its dry run predicts each row exactly, and
// every grant and skip is logged.
func TestGrantAddsReturningParticipants(t *testing.T) {
	w, coord := eventWiki(t)
	later := time.Now().UTC().AddDate(0, 2, 0).Truncate(time.Second)
	for _, name := range []string{"Back one", "Back two", "Back forever", "Back veteran"} {
		if err := w.CreateUser(name, "Participant-pass-2026"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddToGroup("Back two", "confirmed", later); err != nil {
		t.Fatal(err)
	}
	if err := w.AddToGroup("Back forever", "confirmed", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := w.MakeAutoconfirmed("Back veteran"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "returning.csv", "username\nBack one\nBack two\nBack forever\nBack veteran\nBakc three\n")
	groups := []string{"--add-groups", "confirmed", "--group-expiry", "2 weeks"}
	before := rightsChanges(t, w)

	if r := runCLI(t, nil, "grant", "--dry-run", "--api", w.API, "--add-groups", "confirmed", sheet); r.code != exitUsage || !strings.Contains(r.stderr, "--group-expiry") {
		t.Errorf("confirmed without an expiry: exit %d, want %d naming --group-expiry:\n%s", r.code, exitUsage, r.stderr)
	}

	r := runCLI(t, nil, append(append([]string{"grant", "--dry-run", "--api", w.API}, groups...), sheet)...)
	if r.code != exitRowsNotOK {
		t.Errorf("dry run: exit %d, want %d (a name has no account)", r.code, exitRowsNotOK)
	}
	checkReturning(t, filepath.Join(dir, "returning.groups.dry-run.results.csv"), report.GrantWould)
	if got := rightsChanges(t, w); len(got) != len(before) {
		t.Errorf("the dry run changed groups: rights log %v, before %v", got, before)
	}

	r = runCLI(t, nil, append(append(append([]string{"grant"}, creatorArgs(coord, w)...), groups...), "--reason", "Edit-a-thon, second day", "--yes", sheet)...)
	if r.code != exitRowsNotOK {
		t.Errorf("exit %d, want %d (a name has no account)", r.code, exitRowsNotOK)
	}
	checkReturning(t, filepath.Join(dir, "returning.groups.results.csv"), report.GrantAdded)
	if u, _ := w.Users("Bakc three"); len(u) != 1 || !u[0].Missing {
		t.Errorf("grant created the misspelt account: %+v", u)
	}
	after := rightsChanges(t, w)
	for _, name := range []string{"Back one", "Back two", "Back forever", "Back veteran"} {
		wantN := 0
		if name == "Back one" {
			wantN = 1
		}
		if got := after[name] - before[name]; got != wantN {
			t.Errorf("%s: %d rights log entries, want %d", name, got, wantN)
		}
	}
	if until, in := members(t, w, "Back two")["Back two"].Until("confirmed"); !in || !until.Equal(later) {
		t.Errorf("Back two: confirmed until %v, want still %v", until, later)
	}
	if until, in := members(t, w, "Back forever")["Back forever"].Until("confirmed"); !in || !until.IsZero() {
		t.Errorf("Back forever: confirmed %v until %v, want still for good", in, until)
	}
	logged := map[string]string{}
	for _, ev := range readLog(t, filepath.Join(dir, "returning.groups.log.jsonl")) {
		if ev["msg"] == "group" {
			logged[fmt.Sprint(ev["username"])] = fmt.Sprint(ev["state"])
		}
	}
	if logged["Back one"] != "added" || logged["Back two"] != "already" || logged["Back forever"] != "already" || !strings.HasPrefix(logged["Back veteran"], "skipped") {
		t.Errorf("group events in the log: %v", logged)
	}
}

// A run's dry run with groups says, per row, what would be added: to a new
// account, and to an existing one as long as it needs.
func TestDryRunShowsTheGroups(t *testing.T) {
	w, coord := eventWiki(t)
	if err := w.CreateUser("Known one", "Participant-pass-2026", "confirmed"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", "username,email,groups,expiry\nFresh one,f@example.org,,\nKnown one,k@example.org,,\nFresh two,t@example.org,confirmed,2027-01-31\n")
	r := runCLI(t, nil, append(append([]string{"run", "--dry-run"}, creatorArgs(coord, w)...), "--add-groups", "confirmed", "--group-expiry", "2 weeks", sheet)...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	rows := readResults(t, filepath.Join(dir, "s.dry-run.results.csv"))
	wantCells := []string{"confirmed: would be added until ", "confirmed: already permanently", "confirmed: would be added until 2027-01-31T00:00:00Z"}
	for i, row := range rows {
		if !strings.HasPrefix(row.Groups.String(), wantCells[i]) {
			t.Errorf("line %d: %s groups %q, want %q…", row.Line, row.Status, row.Groups, wantCells[i])
		}
	}
	offline := runCLI(t, nil, "run", "--dry-run", "--add-groups", "confirmed", "--group-expiry", "2 weeks", sheet)
	if offline.code != 0 {
		t.Fatalf("offline: exit %d:\n%s", offline.code, offline.stderr)
	}
	for i, row := range readResults(t, filepath.Join(dir, "s.dry-run.results.csv")) {
		if !strings.HasPrefix(row.Groups.String(), "confirmed: would be added until ") || i == 2 && !strings.HasSuffix(row.Groups.String(), "2027-01-31T00:00:00Z") {
			t.Errorf("offline line %d: groups %q", row.Line, row.Groups)
		}
	}
}

// checkReturning checks grant's rows for the returning participants: Back
// one gets first, Back two already holds confirmed longer, Back veteran is
// autoconfirmed, and Bakc three has no account.
func checkReturning(t *testing.T, file string, first report.GrantState) {
	t.Helper()
	want := []struct {
		status report.Status
		state  report.GrantState
	}{{report.Exists, first}, {report.Exists, report.GrantAlready}, {report.Exists, report.GrantAlready}, {report.Exists, report.GrantSkipped}, {report.Failed, ""}}
	rows := readResults(t, file)
	if len(rows) != len(want) {
		t.Fatalf("%s: %d rows, want %d", file, len(rows), len(want))
	}
	for i, row := range rows {
		switch state := want[i].state; {
		case row.Status != want[i].status:
			t.Errorf("%s line %d: %s (%s), want %s", file, row.Line, row.Status, row.Message, want[i].status)
		case state == "" && (row.Code != "nosuchuser" || row.Groups != nil):
			t.Errorf("%s line %d: code %q groups %q, want nosuchuser and no groups", file, row.Line, row.Code, row.Groups)
		case state != "" && (len(row.Groups) != 1 || row.Groups[0].State != state):
			t.Errorf("%s line %d: groups %q, want confirmed %s", file, row.Line, row.Groups, state)
		}
	}
}

// The wiki adds the group but its answer is lost: the same userrights
// again is answered "nothing changed" (added: []), and the wiki's record
// decides: the group is added, once (the rights log), and the row says so.
func TestLostGrantAnswerIsFoundOnTheWiki(t *testing.T) {
	w, coord := eventWiki(t)
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "room.csv", "lost", 2)
	proxy := newFaultProxy(t, w.URL)
	proxy.action = "userrights"
	proxy.after = func(n int, rw http.ResponseWriter, _ int, _ http.Header, _ []byte) bool {
		if n != 1 {
			return false
		}
		dropConnection(rw)
		return true
	}
	r := runCLI(t, nil, "run", "--api", proxy.API, "--user", coord.Login, "--password-file", coord.PasswordFile,
		"--rate", "0", "--add-groups", "confirmed", "--group-expiry", "1 month", "--yes", sheet)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	changes := rightsChanges(t, w)
	for _, row := range readResults(t, filepath.Join(dir, "room.results.csv")) {
		if len(row.Groups) != 1 || row.Groups[0].State != report.GrantAdded || row.Code != "" {
			t.Errorf("%s: groups %q code %q, want confirmed added", row.Canonical, row.Groups, row.Code)
		}
		if changes[row.Canonical] != 1 {
			t.Errorf("%s: %d rights log entries, want 1", row.Canonical, changes[row.Canonical])
		}
	}
	if n := proxy.createCount(); n != 3 {
		t.Errorf("%d userrights requests, want 3 (one sent again after its answer was lost)", n)
	}
}

// grant over 120 returning participants, killed with kill -9 at three
// random points and resumed: every row is recorded once decided, and the
// resumes find the grants the killed runs made — each account has exactly
// one rights-log entry, confirmed until two weeks from the first run's
// start, and the results record every row.
func TestKillNineDuringGrantThenResumeGrantsOnce(t *testing.T) {
	w, coord := eventWiki(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	const rows = 120
	sheet := numberedSheet(t, dir, "returning.csv", "back", rows)
	if r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--workers", "4", "--yes",
		"--out", filepath.Join(dir, "made.csv"), sheet)...); r.code != 0 {
		t.Fatalf("making the accounts: exit %d\n%s", r.code, r.stderr)
	}
	results := filepath.Join(dir, "returning.groups.results.csv")
	proxy := newFaultProxy(t, w.URL)
	proxy.action = "userrights"
	args := []string{"grant", "--api", proxy.API, "--user", coord.Login, "--password-file", coord.PasswordFile,
		"--workers", "2", "--rate", "0", "--add-groups", "confirmed", "--group-expiry", "2 weeks", "--yes"}
	seed := time.Now().UnixNano()
	rnd := rand.New(rand.NewPCG(uint64(seed), 0))
	kills := []int{1 + rnd.IntN(40), 1 + rnd.IntN(40), 1 + rnd.IntN(40)}
	t.Logf("killed after userrights requests %v of each run (seed %d)", kills, seed)
	started := time.Now().UTC().Truncate(time.Second)
	killedThenResumed(t, bin, proxy, args, sheet, kills)
	changes := rightsChanges(t, w)
	var names []string
	for i := 1; i <= rows; i++ {
		names = append(names, fmt.Sprintf("Back %03d", i))
	}
	m := members(t, w, names...)
	got := readResults(t, results)
	if len(got) != rows {
		t.Fatalf("%d rows recorded, want %d", len(got), rows)
	}
	want := started.AddDate(0, 0, 14)
	for i, r := range got {
		name := names[i]
		if changes[name] != 1 {
			t.Errorf("%s: %d rights log entries, want 1", name, changes[name])
		}
		until, in := m[name].Until("confirmed")
		if !in || until.Before(want) || until.After(want.Add(time.Minute)) || r.Canonical != name || !r.OK() ||
			len(r.Groups) != 1 || !r.Groups[0].Until.Equal(until) {
			t.Errorf("%s: confirmed until %v (member: %v), row %s %q; want until two weeks from the first run, %v", name, until, in, r.Status, r.Groups, want)
		}
	}
}

// A resume that adds other groups keeps what the record holds of the first
// run's: the groups cell names both runs' groups, as the wiki holds them.
func TestResumeWithOtherGroupsKeepsTheFirstRunsGrants(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{Extra: wikitest.EnwikiGroups})
	if err := w.AppendSettings("$wgAddGroups['bureaucrat'] = [ 'staff', 'confirmed' ];"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "staff.csv", "kept", 3)
	args := append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes")
	if r := runCLI(t, nil, append(args, "--add-groups", "staff", sheet)...); r.code != 0 {
		t.Fatalf("the first run: exit %d\n%s", r.code, r.stderr)
	}
	r := runCLI(t, nil, append(args, "--resume", "--add-groups", "confirmed", "--group-expiry", "2 weeks", sheet)...)
	if r.code != 0 {
		t.Fatalf("the resume: exit %d\n%s", r.code, r.stderr)
	}
	names := []string{"Kept 001", "Kept 002", "Kept 003"}
	m := members(t, w, names...)
	for i, row := range readResults(t, filepath.Join(dir, "staff.results.csv")) {
		var cell []string
		for _, g := range row.Groups {
			cell = append(cell, g.Group+": "+string(g.State))
		}
		if got := strings.Join(cell, "; "); row.Status != report.Created || got != "staff: added; confirmed: added" {
			t.Errorf("%s: %s, groups %q; want created, staff and confirmed added", names[i], row.Status, got)
		}
		if _, in := m[names[i]].Until("staff"); !in {
			t.Errorf("%s is not in staff on the wiki", names[i])
		}
		if _, in := m[names[i]].Until("confirmed"); !in {
			t.Errorf("%s is not confirmed on the wiki", names[i])
		}
	}
}

// killedThenResumed runs the program with args on sheet once for each of
// kills, each killed with kill -9 after that many of its requests of the
// proxy's action reached the wiki (each but the first with --resume), then
// once more with --resume to the end, and returns what that last run said.
func killedThenResumed(t *testing.T, bin string, proxy *faultProxy, args []string, sheet string, kills []int) []byte {
	t.Helper()
	var mu sync.Mutex
	var current *exec.Cmd
	killNow := func() {
		mu.Lock()
		defer mu.Unlock()
		if current != nil && current.Process != nil {
			current.Process.Signal(syscall.SIGKILL)
		}
	}
	for i, k := range kills {
		killAfterCreate(proxy, k, killNow)
		a := args
		if i > 0 {
			a = append(a, "--resume")
		}
		cmd := exec.Command(bin, append(a, sheet)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		mu.Lock()
		current = cmd
		mu.Unlock()
		<-startProcess(t, cmd)
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("run %d was not killed (%v):\n%s", i, cmd.ProcessState, stderr.String())
		}
	}
	killAfterCreate(proxy, 0, nil)
	out, err := exec.Command(bin, append(append(args, "--resume"), sheet)...).CombinedOutput()
	if err != nil {
		t.Fatalf("the final --resume: %v\n%s", err, out)
	}
	return out
}
