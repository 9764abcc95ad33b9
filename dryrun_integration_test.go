package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// A wiki that refuses some names itself: TitleBlacklist (bundled with
// MediaWiki) forbids new accounts matching .*forbidden.*, and one name is in
// $wgReservedUsernames. (TitleBlacklist replaces a source named "local" with
// the on-wiki list, so the file source needs a name of its own.)
func refusingWiki(t *testing.T) *wikitest.Wiki {
	t.Helper()
	w := wikitest.Start(t, wikitest.Options{Extra: "$wgReservedUsernames[] = 'Reserved Person';"})
	list := filepath.Join(w.Dir, "titleblacklist.txt")
	if err := os.WriteFile(list, []byte(".*forbidden.* <newaccountonly>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.AppendSettings(fmt.Sprintf(`wfLoadExtension( 'TitleBlacklist' );
$wgTitleBlacklistSources = [ 'mwprovision-test' => [ 'type' => 'file', 'src' => %q ] ];`, w.PathForPHP(list))); err != nil {
		t.Fatal(err)
	}
	return w
}

// The dry run predicts exactly what a run then does, row for row, and sends
// no write to the wiki while predicting.
func TestDryRunPredictsTheRun(t *testing.T) {
	w := refusingWiki(t)
	if err := w.CreateUser("Existing Member", "Existing-Member-Password-1"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "event.csv", "username,email,realname\n"+
		"new_person,new@example.org,New Person\n"+ // 2 free
		"Existing_Member,em@example.org,\n"+ // 3 exists on the wiki
		"Very forbidden name,vf@example.org,\n"+ // 4 TitleBlacklist
		"Reserved_Person,rp@example.org,\n"+ // 5 $wgReservedUsernames
		"New_person,again@example.org,\n"+ // 6 duplicate of line 2
		"Jane#Doe,jd@example.org,\n"+ // 7 invalid offline
		"no_email,,\n"+ // 8 missing email
		"Ünïcode Name,u@example.org,\n") // 9 free
	before, err := w.NewUsersLog()
	if err != nil {
		t.Fatal(err)
	}

	proxy := newRecordingProxy(t, w.URL)
	dry := runCLI(t, nil, "run", "--dry-run", "--api", proxy.API, "--user", w.Limited.Login,
		"--password-file", w.Limited.PasswordFile, "--rate", "0", sheet)
	if dry.code != 1 {
		t.Fatalf("dry run exit code %d, want 1", dry.code)
	}
	predicted := readResults(t, filepath.Join(dir, "event.dry-run.results.csv"))
	checkResults(t, predicted, []expect{
		{2, report.WouldCreate, "New person", ""},
		{3, report.Exists, "Existing Member", "userexists"},
		{4, report.Invalid, "Very forbidden name", "titleblacklist-forbidden"},
		{5, report.Invalid, "Reserved Person", "invaliduser"},
		{6, report.Duplicate, "New person", "duplicate"},
		{7, report.Invalid, "", "forbidden-character"},
		{8, report.Invalid, "No email", "missing-email"},
		{9, report.WouldCreate, "Ünïcode Name", ""},
	})
	if n := proxy.actions(); n["createaccount"] != 0 || n["query:users/"] != 1 {
		t.Errorf("dry run requests %v: want no createaccount and one list=users for all names", n)
	}
	after, err := w.NewUsersLog()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("the dry run changed the newusers log: %d entries, was %d", len(after), len(before))
	}
	for _, want := range []string{"line 4:", "title blacklist", "line 5:", "line 6: \"New_person\": repeats line 2", "line 3:"} {
		if !strings.Contains(dry.stderr, want) {
			t.Errorf("dry run report lacks %q", want)
		}
	}

	// The real run of the same sheet: the same statuses, would-create now created.
	real := runCLI(t, nil, "run", "--api", w.API, "--user", w.Limited.Login,
		"--password-file", w.Limited.PasswordFile, "--rate", "0", "--yes", sheet)
	if real.code != 1 {
		t.Fatalf("run exit code %d, want 1", real.code)
	}
	got := readResults(t, filepath.Join(dir, "event.results.csv"))
	if len(got) != len(predicted) {
		t.Fatalf("run wrote %d rows, the dry run %d", len(got), len(predicted))
	}
	for i, p := range predicted {
		want := p.Status
		if want == report.WouldCreate {
			want = report.Created
		}
		if got[i].Line != p.Line || got[i].Status != want || got[i].Code != p.Code || got[i].Canonical != p.Canonical {
			t.Errorf("line %d: run %s %q %q, dry run predicted %s %q %q", p.Line, got[i].Status, got[i].Code, got[i].Canonical,
				p.Status, p.Code, p.Canonical)
		}
	}
}

// Without --user the dry run needs no login: it only reads.
func TestDryRunWithoutUserOnlyReads(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", "username,email\nAdmin,a@example.org\nfresh_face,f@example.org\n")
	proxy := newRecordingProxy(t, w.URL)
	r := runCLI(t, nil, "run", "--dry-run", "--api", proxy.API, sheet)
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0 (exists and would-create are both fine)", r.code)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "s.dry-run.results.csv")), []expect{
		{2, report.Exists, "Admin", "userexists"},
		{3, report.WouldCreate, "Fresh face", ""},
	})
	n := proxy.actions()
	for a := range n {
		// The wiki's language (siteinfo, with the texts of the names
		// it reserves), then the names.
		if a != "query:users/" && a != "query:/siteinfo" && a != "query:/siteinfo|allmessages" {
			t.Errorf("dry run without --user sent %s (all requests: %v)", a, n)
		}
	}
}

// Offline, the dry run needs nothing but the sheet, reports every problem
// by kind with its line, and names the line a duplicate repeats.
func TestDryRunOfflineReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bad.csv")
	r := runCLI(t, nil, "run", "--dry-run", "--out", out, "--log-file", filepath.Join(dir, "bad.jsonl"),
		filepath.Join("samples", "bad-sheet.csv"))
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1", r.code)
	}
	rows := readResults(t, out)
	codes := map[string]bool{}
	for _, row := range rows {
		codes[row.Code] = true
	}
	for _, c := range []string{"empty-username", "forbidden-character", "ip-address", "namespace-prefix", "invisible-character",
		"too-long", "reserved-name", "url-encoding", "relative-path", "magic-tilde", "missing-email", "invalid-email",
		"duplicate", "malformed-row"} {
		if !codes[c] {
			t.Errorf("samples/bad-sheet.csv has no row the dry run reports as %s", c)
		}
	}
	for _, want := range []string{
		"invalid: forbidden-character (6 rows)\n  line 4: \"Jane#Doe\": a username cannot contain '#'\n",
		"duplicate (1 row)\n  line 20: \"Maria_garcia\": repeats line 2 (both are \"Maria garcia\" on the wiki)\n",
		"21 rows: 2 would-create, 18 invalid, 1 duplicate\n",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if slices.ContainsFunc(rows, func(r report.Row) bool { return r.Status == report.Created }) {
		t.Error("an offline dry run reports a created row")
	}
}

// The pre-flight refuses, before any row, a creator the wiki would ask for
// a CAPTCHA — in the dry run and in the run — and names the missing right.
func TestPreflightRefusesCreatorWithoutSkipcaptcha(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	if err := w.AskCaptcha("true"); err != nil {
		t.Fatal(err)
	}
	plain := organizer(t, w)
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "c.csv", "username,email\ncaptcha_one,c1@example.org\ncaptcha_two,c2@example.org\n")
	before, _ := w.NewUsersLog()
	for _, mode := range [][]string{{"run", "--dry-run"}, {"run", "--yes"}} {
		r := runCLI(t, nil, append(mode, "--api", w.API, "--user", plain.Login, "--password-file", plain.PasswordFile, sheet)...)
		if r.code != 2 || !strings.Contains(r.stderr, "skipcaptcha") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming the skipcaptcha right", mode, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "c.results.csv")); err == nil {
		t.Error("the refused run wrote a results file")
	}
	if after, _ := w.NewUsersLog(); len(after) != len(before) {
		t.Errorf("accounts were created: newusers log %d entries, was %d", len(after), len(before))
	}
	// A sysop's bot password keeps skipcaptcha without highvolume: accepted.
	r := runCLI(t, nil, "run", "--dry-run", "--api", w.API, "--user", w.Limited.Login, "--password-file", w.Limited.PasswordFile, sheet)
	if r.code != 0 {
		t.Errorf("sysop creator: exit %d, want 0", r.code)
	}
}

// With email off on the wiki, mailpassword mode is refused up front; the
// password mode still works.
func TestPreflightRefusesMailpasswordWhenEmailIsOff(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{DisableEmail: true})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "m.csv", "username,email,password\nmail_one,m1@example.org,Long-Enough-Password-1\n")
	for _, mode := range [][]string{{"run", "--dry-run"}, {"run", "--yes"}} {
		r := runCLI(t, nil, append(mode, "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, sheet)...)
		if r.code != 2 || !strings.Contains(r.stderr, "cannot mail temporary passwords") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2: the wiki cannot mail passwords", mode, r.code, r.stderr)
		}
	}
	r := runCLI(t, nil, "run", "--dry-run", "--mailpassword=false", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, sheet)
	if r.code != 0 {
		t.Errorf("password mode with email off: exit %d, want 0", r.code)
	}
}

// The throttle warning goes to creators without noratelimit, and only to them.
// Wikimedia's 6 a day is named only on a Wikimedia wiki (TestWarnAboutCreator).
func TestPreflightWarnsOfThrottleWithoutNoratelimit(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "t.csv", "username,email\nsomeone_new,s@example.org\n")
	for _, c := range []struct {
		creator wikitest.Creator
		warned  bool
	}{{w.Limited, true}, {w.Bulk, false}} {
		r := runCLI(t, nil, "run", "--dry-run", "--api", w.API, "--user", c.creator.Login, "--password-file", c.creator.PasswordFile, sheet)
		if r.code != 0 {
			t.Errorf("%s: exit %d", c.creator.Login, r.code)
		}
		warned := strings.Contains(r.stderr, "lacks the noratelimit right") && strings.Contains(r.stderr, "event coordinator")
		if warned != c.warned {
			t.Errorf("%s: throttle warning shown = %v, want %v", c.creator.Login, warned, c.warned)
		}
	}
	// The wiki is not Wikimedia's: its limit is unknown until it refuses,
	// and the tool does not pretend to know it (no --yes and no terminal:
	// nothing is created).
	var b strings.Builder
	b.WriteString("username,email\n")
	for i := 0; i < 13; i++ {
		fmt.Fprintf(&b, "eta_%02d,e%d@example.org\n", i, i)
	}
	r := runCLI(t, nil, "run", "--api", w.API, "--user", w.Limited.Login, "--password-file", w.Limited.PasswordFile,
		"--max-wait", "2h", writeSheet(t, dir, "eta.csv", b.String()))
	if want := "its limit is not known until the wiki first refuses"; !strings.Contains(r.stderr, want) {
		t.Errorf("no %q in:\n%s", want, r.stderr)
	}
	if strings.Contains(r.stderr, "6 accounts a day") {
		t.Errorf("Wikimedia's limit named on a wiki that is not Wikimedia's:\n%s", r.stderr)
	}
}

// Names are checked 50 a request, or 500 for a creator with apihighlimits
// (the bulk bot password's highvolume grant); the wiki's answers, which are
// not in input order, land on the right rows.
func TestDryRunBatchesNames(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("username,email\n")
	for i := 120; i > 0; i-- { // descending: the wiki answers in its own order
		fmt.Fprintf(&b, "batch_%03d,b%d@example.org\n", i, i)
	}
	b.WriteString("Admin,admin@example.org\n")
	sheet := writeSheet(t, dir, "many.csv", b.String())
	for _, c := range []struct {
		creator  wikitest.Creator
		requests int
	}{{w.Limited, 3}, {w.Bulk, 1}} {
		proxy := newRecordingProxy(t, w.URL)
		r := runCLI(t, nil, "run", "--dry-run", "--api", proxy.API, "--user", c.creator.Login,
			"--password-file", c.creator.PasswordFile, "--rate", "0", sheet)
		if r.code != 0 {
			t.Fatalf("%s: exit %d", c.creator.Login, r.code)
		}
		if n := proxy.actions()["query:users/"]; n != c.requests {
			t.Errorf("%s: %d list=users requests for 121 names, want %d", c.creator.Login, n, c.requests)
		}
		rows := readResults(t, filepath.Join(dir, "many.dry-run.results.csv"))
		for i, row := range rows[:120] {
			want := fmt.Sprintf("Batch %03d", 120-i)
			if row.Status != report.WouldCreate || row.Canonical != want || row.Line != i+2 {
				t.Fatalf("%s: row %d = line %d %s %q, want line %d would-create %q", c.creator.Login, i, row.Line, row.Status, row.Canonical, i+2, want)
			}
		}
		if last := rows[120]; last.Status != report.Exists || last.Canonical != "Admin" {
			t.Errorf("%s: Admin row = %+v, want exists", c.creator.Login, last)
		}
	}
}

// A creator with tboverride (here through the editprotected grant) gets
// cancreate:true for a blacklisted name, but its createaccount is refused:
// the dry run must predict the refusal.
func TestDryRunIgnoresCreatorOverrideRights(t *testing.T) {
	w := refusingWiki(t)
	tbo, err := w.CreateBotPassword("Admin", "tbo", "basic", "createaccount", "editprotected")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "o.csv", "username,email\nVery forbidden name,vf@example.org\nquite_fine,qf@example.org\n")
	args := []string{"--api", w.API, "--user", tbo.Login, "--password-file", tbo.PasswordFile, "--rate", "0", sheet}
	dry := runCLI(t, nil, append([]string{"run", "--dry-run"}, args...)...)
	if !strings.Contains(dry.stderr, "tboverride") {
		t.Errorf("the dry run does not say why it checks names anonymously")
	}
	real := runCLI(t, nil, append([]string{"run", "--yes"}, args...)...)
	want := []expect{{2, report.Invalid, "Very forbidden name", "titleblacklist-forbidden"}, {3, report.Created, "Quite fine", ""}}
	checkResults(t, readResults(t, filepath.Join(dir, "o.results.csv")), want)
	want[1].status = report.WouldCreate
	checkResults(t, readResults(t, filepath.Join(dir, "o.dry-run.results.csv")), want)
	if dry.code != 1 || real.code != 1 {
		t.Errorf("exit codes: dry run %d, run %d; want 1 and 1", dry.code, real.code)
	}
}

// In migration mode the dry run asks the wiki's password policy about each
// password (action=validatepassword), so it predicts the run's refusals.
func TestDryRunChecksPasswordsInMigrationMode(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "p.csv", "username,password\n"+
		"weak_one,password\n"+ // in the common-passwords list
		"Same Name,Same Name\n"+ // the username itself
		"strong_one,Correct-Horse-Battery-9\n")
	args := []string{"--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--mailpassword=false", "--rate", "0", sheet}
	dry := runCLI(t, nil, append([]string{"run", "--dry-run"}, args...)...)
	real := runCLI(t, nil, append([]string{"run", "--yes"}, args...)...)
	predicted := readResults(t, filepath.Join(dir, "p.dry-run.results.csv"))
	got := readResults(t, filepath.Join(dir, "p.results.csv"))
	if len(predicted) != 3 || len(got) != 3 {
		t.Fatalf("rows: dry run %d, run %d; want 3", len(predicted), len(got))
	}
	for i, p := range predicted {
		want := p.Status
		if want == report.WouldCreate {
			want = report.Created
		}
		if got[i].Status != want || got[i].Code != p.Code {
			t.Errorf("line %d: run %s %q, dry run predicted %s %q", p.Line, got[i].Status, got[i].Code, p.Status, p.Code)
		}
	}
	if predicted[0].Status != report.Invalid || predicted[1].Status != report.Invalid || predicted[2].Status != report.WouldCreate {
		t.Errorf("predictions %s %s %s, want invalid invalid would-create", predicted[0].Status, predicted[1].Status, predicted[2].Status)
	}
	if dry.code != 1 || real.code != 1 {
		t.Errorf("exit codes: dry run %d, run %d; want 1 and 1", dry.code, real.code)
	}
	for _, out := range []string{dry.stderr, real.stderr} {
		if strings.Contains(out, "Correct-Horse-Battery-9") {
			t.Error("a sheet password reached stderr")
		}
	}
}

// AbuseFilter judges an account only when it is created, which the wiki's
// cancreate answer does not ask: a dry run on a wiki that runs it says so
// rather than predicting would-create with false confidence; one on a wiki
// without it says nothing of the kind.
func TestDryRunSaysAbuseFilterDecidesAtCreation(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	sheet := writeSheet(t, t.TempDir(), "s.csv", "username,email\nfresh_face,f@example.org\n")
	const note = "the wiki runs AbuseFilter, which judges an account only when it is created"
	if r := runCLI(t, nil, "run", "--dry-run", "--api", w.API, sheet); r.code != 0 || strings.Contains(r.stderr, note) {
		t.Errorf("without AbuseFilter: exit %d, and the note is there: %v", r.code, strings.Contains(r.stderr, note))
	}
	if err := w.LoadExtensions("AbuseFilter"); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, "run", "--dry-run", "--api", w.API, sheet); r.code != 0 || !strings.Contains(r.stderr, note) {
		t.Errorf("with AbuseFilter: exit %d, and no note", r.code)
	}

	// A filter on account creation: the dry run cannot see it, the run
	// meets it on that row alone, which fails with the filter's code.
	if err := w.AddAbuseFilter("No spam accounts", `action == "createaccount" & accountname rlike "Spam"`); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sheet = writeSheet(t, dir, "f.csv", "username,email\nSpam_bot,s@example.org\ngood_person,g@example.org\n")
	if r := runCLI(t, nil, "run", "--dry-run", "--api", w.API, sheet); r.code != 0 || !strings.Contains(r.stderr, note) {
		t.Errorf("the dry run with a filter: exit %d, want 0 (it cannot see the filter) and the note", r.code)
	}
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", sheet)...)
	if r.code != exitRowsNotOK {
		t.Errorf("run: exit %d, want %d", r.code, exitRowsNotOK)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "f.results.csv")), []expect{
		{2, report.Failed, "Spam bot", "abusefilter-disallowed"}, {3, report.Created, "Good person", ""}})
}

// The wiki counts an account creation against its per-IP throttle before
// AbuseFilter judges it (ThrottlePreAuthenticationProvider sorts first):
// a row a filter refuses uses up one creation of the window, as the
// engine counts it. With 2 a window: the refused row and one creation,
// then the third row waits for the window and, past --max-wait, is pending.
func TestAbuseFilterRefusalCountsAgainstTheThrottle(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 2})
	if err := w.LoadExtensions("AbuseFilter"); err != nil {
		t.Fatal(err)
	}
	if err := w.AddAbuseFilter("No spam accounts", `action == "createaccount" & accountname rlike "Spam"`); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "t.csv", "username,email\nSpam_one,s@example.org\ngood_one,g1@example.org\ngood_two,g2@example.org\n")
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Limited, w)...), "--rate", "0", "--max-wait", "3s", "--yes", sheet)...)
	if r.code != exitRowsNotOK {
		t.Errorf("exit %d, want %d", r.code, exitRowsNotOK)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "t.results.csv")), []expect{
		{2, report.Failed, "Spam one", "abusefilter-disallowed"}, {3, report.Created, "Good one", ""}, {4, report.Pending, "Good two", ""}})
}

// The title blacklist as most wikis keep it, the page
// MediaWiki:Titleblacklist, with a <newaccountonly> rule: the dry run
// predicts the refusal, and the run meets it on that row alone. With the
// extension's default settings the wiki refuses the name before its
// throttle counts the attempt: with 2 a day, the refusal and two creations
// (a wiki set up as Wikimedia's counts it: TestWikimediaLikeWiki).
func TestTitleBlacklistPageRefusesNewAccounts(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 2, Extra: "wfLoadExtension( 'TitleBlacklist' );"})
	if err := w.EditPage("MediaWiki:Titleblacklist", ".*Troll.* <newaccountonly>\n"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "b.csv", "username,email\nTroll_king,t@example.org\nkind_person,k@example.org\nkind_friend,f@example.org\n")
	want := []expect{{2, report.Invalid, "Troll king", "titleblacklist-forbidden"}, {3, report.WouldCreate, "Kind person", ""}, {4, report.WouldCreate, "Kind friend", ""}}
	if r := runCLI(t, nil, "run", "--dry-run", "--api", w.API, sheet); r.code != exitRowsNotOK {
		t.Errorf("dry run: exit %d, want %d", r.code, exitRowsNotOK)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "b.dry-run.results.csv")), want)
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Limited, w)...), "--workers", "1", "--rate", "0", "--max-wait", "3s", "--yes", sheet)...)
	if r.code != exitRowsNotOK {
		t.Errorf("run: exit %d, want %d", r.code, exitRowsNotOK)
	}
	want[1].status, want[2].status = report.Created, report.Created
	checkResults(t, readResults(t, filepath.Join(dir, "b.results.csv")), want)
}
