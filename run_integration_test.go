package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// The edit-a-thon path end to end: the wiki mails each participant a
// temporary password; the sheet mixes good rows with every offline problem.
func TestRunCreatesAccountsOnRealWiki(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "signups.csv", "username,email,realname,reason\r\n"+
		"maria_garcia,maria@example.org,María García,\r\n"+ // 2
		"jkowalski,jan@example.org,,\r\n"+ // 3: no real name
		"Søren  Kierkegaard_Fan,soren@example.dk,Søren Nielsen,Table 2 volunteer\r\n"+ // 4: per-row reason
		"Bad#Name,bad@example.org,,\r\n"+ // 5: invalid offline
		"192.168.0.1,ip@example.org,,\r\n"+ // 6: IP address
		"no_mail,,,\r\n"+ // 7: mailpassword needs an email
		"Maria garcia,other@example.org,,\r\n"+ // 8: duplicate of line 2
		"lena,not-an-email,,\r\n"+ // 9: bad email
		"\"olu adeyemi\",olu@example.ng,\"Adéyemí, Olúwaseun\",\r\n") // 10
	out := filepath.Join(dir, "out.csv")
	args := append(creatorArgs(w.Bulk, w), "--reason", "Edit-a-thon 2026", "--workers", "2", "--rate", "0",
		"--out", out, "--yes", sheet)
	r := runCLI(t, nil, append([]string{"run"}, args...)...)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1 (some rows invalid)", r.code)
	}
	want := []expect{
		{2, report.Created, "Maria garcia", ""},
		{3, report.Created, "Jkowalski", ""},
		{4, report.Created, "Søren Kierkegaard Fan", ""},
		{5, report.Invalid, "", "forbidden-character"},
		{6, report.Invalid, "", "ip-address"},
		{7, report.Invalid, "No mail", "missing-email"},
		{8, report.Duplicate, "Maria garcia", "duplicate"},
		{9, report.Invalid, "Lena", "invalid-email"},
		{10, report.Created, "Olu adeyemi", ""},
	}
	checkResults(t, readResults(t, out), want)
	checkOnlyGoodRowsSent(t, filepath.Join(dir, "signups.log.jsonl"), r.stderr)

	// What the wiki holds: exactly the four accounts, created by Admin, mailed.
	created := map[string]signup{
		"Maria garcia":          {"maria@example.org", "María García", "Edit-a-thon 2026"},
		"Jkowalski":             {"jan@example.org", "", "Edit-a-thon 2026"},
		"Søren Kierkegaard Fan": {"soren@example.dk", "Søren Nielsen", "Table 2 volunteer"},
		"Olu adeyemi":           {"olu@example.ng", "Adéyemí, Olúwaseun", "Edit-a-thon 2026"},
	}
	checkSignupsOnWiki(t, w, created)
	checkTemporaryPasswordsMailed(t, w, len(created))

	// Running the same sheet again creates nothing: every good row exists.
	r2 := runCLI(t, nil, append([]string{"run"}, args...)...)
	if r2.code != 1 {
		t.Fatalf("second run exit code %d, want 1", r2.code)
	}
	for i := range want {
		if want[i].status == report.Created {
			want[i].status, want[i].code = report.Exists, "userexists"
		}
	}
	checkResults(t, readResults(t, out), want)
	checkFirstResultsKept(t, dir, r2.stderr)
	if after := newUsersByName(t, w); len(after) != len(created) {
		t.Errorf("second run changed the newusers log: %d accounts, want %d", len(after), len(created))
	}
	if again, _ := w.Mails(); len(again) != len(created) {
		t.Errorf("second run sent mail: %d mails, want %d", len(again), len(created))
	}
}

// signup is what the wiki should hold of an account the run created.
type signup struct{ email, realname, reason string }

// checkOnlyGoodRowsSent: createaccount requests went out for the good rows
// (lines 2, 3, 4 and 10) only, and stderr reports every offline problem.
func checkOnlyGoodRowsSent(t *testing.T, logPath, stderr string) {
	t.Helper()
	sent := map[float64]bool{}
	for _, e := range readLog(t, logPath) {
		if e["msg"] == "createaccount" {
			sent[e["line"].(float64)] = true
		}
	}
	if len(sent) != 4 || !sent[2] || !sent[3] || !sent[4] || !sent[10] {
		t.Errorf("createaccount requests were sent for lines %v, want exactly 2, 3, 4 and 10", sent)
	}
	for _, line := range []string{"line 5:", "line 6:", "line 7:", "line 8:", "line 9:"} {
		if !strings.Contains(stderr, line) {
			t.Errorf("stderr does not report %q", line)
		}
	}
}

// checkSignupsOnWiki: the wiki holds exactly these accounts, each logged
// once as created by Admin and mailed, with its reason, email and real name.
func checkSignupsOnWiki(t *testing.T, w *wikitest.Wiki, created map[string]signup) {
	t.Helper()
	log := newUsersByName(t, w)
	if len(log) != len(created) {
		t.Errorf("newusers log has %d accounts, want %d: %v", len(log), len(created), log)
	}
	for name, c := range created {
		evs := log[name]
		if len(evs) != 1 {
			t.Errorf("%s: %d newusers entries, want 1", name, len(evs))
			continue
		}
		if evs[0].Action != "byemail" || evs[0].User != "Admin" || evs[0].Comment != c.reason {
			t.Errorf("%s: log entry %s by %s with comment %q, want byemail by Admin with %q",
				name, evs[0].Action, evs[0].User, evs[0].Comment, c.reason)
		}
		u, err := w.DBUser(name)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != c.email || u.RealName != c.realname {
			t.Errorf("%s: stored email %q real name %q, want %q %q", name, u.Email, u.RealName, c.email, c.realname)
		}
	}
}

// checkTemporaryPasswordsMailed: one mail with a temporary password went to
// each participant created.
func checkTemporaryPasswordsMailed(t *testing.T, w *wikitest.Wiki, n int) {
	t.Helper()
	mails, err := w.WaitMails(n, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range mails {
		to = append(to, m.To)
		if len(m.TemporaryPassword()) != 10 {
			t.Errorf("mail to %s has no 10-character temporary password", m.To)
		}
	}
	sort.Strings(to)
	wantTo := []string{"jan@example.org", "maria@example.org", "olu@example.ng", "soren@example.dk"}
	if !slices.Equal(to, wantTo) {
		t.Errorf("mail went to %v, want exactly one each to %v", to, wantTo)
	}
}

// checkFirstResultsKept: the second run kept the first run's results aside
// (out.TIMESTAMP.csv), not overwritten, and said where.
func checkFirstResultsKept(t *testing.T, dir, stderr string) {
	t.Helper()
	kept, _ := filepath.Glob(filepath.Join(dir, "out.*.csv"))
	if len(kept) != 1 || !strings.Contains(stderr, "previous results are kept as "+kept[0]) {
		t.Errorf("kept results %v; stderr should name the one kept", kept)
	} else if first := readResults(t, kept[0]); len(first) != 9 || first[0].Status != report.Created {
		t.Errorf("the kept results are not the first run's: %+v", first)
	}
}

// Migration mode: passwords from the sheet, no mail, and the passwords work.
func TestRunMigrationModeSetsWorkingPasswords(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "users.csv", "user;mail;password\n"+
		"old_user_1;;Correct-Horse-Battery-1\n"+
		"Old user 2;two@example.org;Correct-Horse-Battery-2\n"+
		"old_user_3;;\n")
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...),
		"--mailpassword=false", "--rate", "0", "--yes", sheet)...)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1 (one row has no password)", r.code)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "users.results.csv")), []expect{
		{2, report.Created, "Old user 1", ""},
		{3, report.Created, "Old user 2", ""},
		{4, report.Invalid, "Old user 3", "missing-password"},
	})
	for name, pw := range map[string]string{"Old user 1": "Correct-Horse-Battery-1", "Old user 2": "Correct-Horse-Battery-2"} {
		status, err := w.ClientLogin(name, pw)
		if err != nil || status != "PASS" {
			t.Errorf("clientlogin %s: status %q, err %v; want PASS", name, status, err)
		}
	}
	if u, err := w.DBUser("Old user 2"); err != nil || u.Email != "two@example.org" {
		t.Errorf("Old user 2: email %q (err %v), want two@example.org", u.Email, err)
	}
	// No password is mailed. The wiki does send its own address confirmation
	// to the account that has an email ($wgEmailAuthentication).
	mails, err := w.WaitMails(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].To != "two@example.org" || mails[0].TemporaryPassword() != "" ||
		!strings.Contains(mails[0].Subject, "email address confirmation") {
		t.Errorf("migration mode mail: %+v, want only the address confirmation to two@example.org", mails)
	}
	for name, evs := range newUsersByName(t, w) {
		if len(evs) != 1 || evs[0].Action != "create2" {
			t.Errorf("%s: log %+v, want one create2 entry (created by Admin, no mail)", name, evs)
		}
	}
}

// The wiki allows 3 creations per 20 s per IP for a creator without
// noratelimit. Ten rows with four workers must all be created, waiting once
// per window for every worker, never failing a row for throttling.
func TestRunWaitsOutWikiThrottle(t *testing.T) {
	// Long, and mostly waiting out the windows: alongside the other long ones.
	t.Parallel()
	const count, window = 3, 20 * time.Second
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: count, ThrottleSeconds: int(window / time.Second)})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("username,email\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "throttled_%02d,t%02d@example.org\n", i, i)
	}
	sheet := writeSheet(t, dir, "room.csv", b.String())
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Limited, w)...),
		"--workers", "4", "--rate", "0", "--yes", sheet)...)
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0", r.code)
	}
	rows := readResults(t, filepath.Join(dir, "room.results.csv"))
	want := make([]expect, 10)
	for i := range want {
		want[i] = expect{i + 2, report.Created, fmt.Sprintf("Throttled %02d", i+1), ""}
	}
	checkResults(t, rows, want)
	if log := newUsersByName(t, w); len(log) != 10 {
		t.Errorf("the wiki holds %d new accounts, want 10", len(log))
	}
	if !strings.Contains(r.stderr, "lacks the noratelimit right") {
		t.Error("stderr does not warn that the throttle applies")
	}
	// Once the wiki has said its limit, the console estimates from it.
	if !regexp.MustCompile(`the wiki allows 3 accounts per 20s from this IP address: the \d+ rows left to send take about \d+`).MatchString(r.stderr) {
		t.Errorf("no estimate from the wiki's own limit in:\n%s", r.stderr)
	}

	// Ten rows at three per window: three full windows to wait, at least.
	// That the windows were waited out shows in the log's pauses, each for
	// the wiki's window; how close the run comes to the minimum is a
	// target of BenchmarkThrottleEfficiency, not of a test.
	minimum := 3 * window
	pauses, resumes := 0, 0
	for _, e := range readLog(t, filepath.Join(dir, "room.log.jsonl")) {
		switch e["msg"] {
		case "pause":
			pauses++
			if why, _ := e["why"].(string); !strings.Contains(why, "3 per 20s") {
				t.Errorf("pause logged with why %q, want the wiki's window", why)
			}
		case "resume":
			resumes++
		}
	}
	if pauses < 3 || resumes < 3 {
		t.Errorf("log shows %d pauses and %d resumes, want at least 3 of each", pauses, resumes)
	}
	t.Logf("throttle: %s for 10 rows, %.2f × the %s minimum; %d pauses", r.elapsed.Round(time.Millisecond),
		r.elapsed.Seconds()/minimum.Seconds(), minimum, pauses)
}

// When the wiki's window is longer than --max-wait allows, the run stops at
// once and cleanly: the rows it could not create are pending, every row
// still has its one results line.
func TestRunStopsCleanlyAtMaxWait(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 2, ThrottleSeconds: 600})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "day.csv", "username,email\n"+
		"early_one,e1@example.org\nearly_two,e2@example.org\nlate_three,l3@example.org\n"+
		"bad#four,b4@example.org\nlate_five,l5@example.org\n")
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Limited, w)...),
		"--max-wait", "1m", "--rate", "0", "--yes", sheet)...)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1", r.code)
	}
	// It stops at once, not after waiting: the log has the stop and no
	// pause (a pause is the only wait at --rate 0).
	stops, pauses := 0, 0
	for _, e := range readLog(t, filepath.Join(dir, "day.log.jsonl")) {
		switch e["msg"] {
		case "stop":
			stops++
		case "pause":
			pauses++
		}
	}
	if stops == 0 || pauses != 0 {
		t.Errorf("log shows %d stops and %d pauses, want a stop and no pause: the run should stop at once, not wait", stops, pauses)
	}
	rows := readResults(t, filepath.Join(dir, "day.results.csv"))
	checkResults(t, rows, []expect{
		{2, report.Created, "Early one", ""},
		{3, report.Created, "Early two", ""},
		{4, report.Pending, "Late three", "pending"},
		{5, report.Invalid, "", "forbidden-character"},
		{6, report.Pending, "Late five", "pending"},
	})
	if !strings.Contains(rows[2].Message, "--max-wait 1m") || !strings.Contains(rows[2].Message, "--resume") {
		t.Errorf("pending message %q does not say why and what to do", rows[2].Message)
	}
	if !strings.Contains(r.stderr, "stopped waiting") {
		t.Errorf("stderr does not say the run stopped waiting")
	}
	if log := newUsersByName(t, w); len(log) != 2 {
		t.Errorf("the wiki holds %d new accounts, want 2", len(log))
	}
}

// Secrets — the bot password, the sheet's passwords, tokens and cookies —
// never reach stdout, stderr, the results or the log.
func TestSecretsNeverReachOutputs(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	const sheetCanary = "Canary-Sheet-Password-7f3a9"
	sheet := writeSheet(t, dir, "s.csv", "username,password\ncanary_one,"+sheetCanary+"1\ncanary_two,"+sheetCanary+"2\n")
	botPassword, err := os.ReadFile(w.Bulk.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(string(botPassword))
	env := map[string]string{"MWPROVISION_PASSWORD": secret}
	proxy := newRecordingProxy(t, w.URL)
	r := runCLI(t, env, "run", "--api", proxy.API, "--user", w.Bulk.Login, "--mailpassword=false", "--rate", "0", "--yes", sheet)
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0", r.code)
	}
	// A refused login must not echo the password either.
	wrong := "wrongcanary0123456789abcdefghijkl"
	r2 := runCLI(t, map[string]string{"MWPROVISION_PASSWORD": wrong}, "run", "--api", w.API, "--user", w.Bulk.Login,
		"--mailpassword=false", "--out", filepath.Join(dir, "wrong.csv"), "--log-file", filepath.Join(dir, "wrong.jsonl"), "--yes", sheet)
	if r2.code != 2 {
		t.Errorf("wrong password: exit code %d, want 2", r2.code)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	outputs := map[string]string{"stdout": r.stdout + r2.stdout, "stderr": r.stderr + r2.stderr}
	for _, f := range files {
		if f == sheet {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs[f] = string(b)
	}
	if len(outputs) < 4 {
		t.Fatalf("expected results and log files, have %v", files)
	}
	// Every token, session cookie and password that crossed the wire.
	canaries := append(proxy.secrets(), secret, sheetCanary, wrong)
	if len(canaries) < 8 {
		t.Fatalf("the proxy saw only %d secrets: the test would prove little", len(canaries))
	}
	for name, text := range outputs {
		for _, canary := range canaries {
			if strings.Contains(text, canary) {
				t.Errorf("%s contains the secret %q", name, canary)
			}
		}
	}
	for _, f := range []string{"s.results.csv", "s.log.jsonl"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", f, fi.Mode().Perm())
		}
	}
}

// Mistakes before any creation end with exit code 2 and a message that says
// what to do, and nothing is written to the wiki.
func TestRunRefusesBadSetup(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	good := writeSheet(t, dir, "good.csv", "username,email\nsetup_check,s@example.org\n")
	open := filepath.Join(dir, "open.password")
	if err := os.WriteFile(open, []byte("whatever\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no api", nil, []string{"run", "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, good}, "give --api"},
		{"no sheet", nil, []string{"run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile}, "exactly one sheet"},
		{"no password", nil, []string{"run", "--api", w.API, "--user", w.Bulk.Login, good}, "no bot password"},
		{"password file readable by others", nil, []string{"run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", open, good}, "chmod 600"},
		{"bad rate", nil, []string{"run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "fast", good}, "--rate"},
		{"unknown flag", nil, []string{"run", "--password", "x", good}, "flag provided but not defined"},
		{"no username column", nil, []string{"run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
			writeSheet(t, dir, "nocol.csv", "mail,full name\na@example.org,A\n")}, `no username column: the header has "mail", "full name"`},
		{"wrong password", map[string]string{"MWPROVISION_PASSWORD": "0123456789abcdefghijklmnopqrstuv"},
			[]string{"run", "--api", w.API, "--user", w.Bulk.Login, good}, "the wiki refused the login"},
		{"not a bot password", map[string]string{"MWPROVISION_PASSWORD": "hunter2-but-longer"},
			[]string{"run", "--api", w.API, "--user", w.Bulk.Login, good}, "0-9 and a-w"},
		{"plain http to another machine", nil, []string{"run", "--api", "http://wiki.example/w/api.php", "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, good}, "--allow-insecure-http"},
		{"huge file", nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), hugeFile(t, dir)), "the limit is 2048 MiB"},
		{"a 100 KiB value", nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), writeSheet(t, dir, "long.csv", "username,email\n"+strings.Repeat("x", 100<<10)+",a@example.org\n")), "a value of 100 KiB"},
		{"Windows-1252 sheet", nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), writeSheet(t, dir, "latin1.csv", "username,realname\nrene,Ren\xe9\n")), "not UTF-8"},
		{"no createaccount grant", nil, append([]string{"run"}, append(creatorArgs(mustBotPassword(t, w, "readonly", "basic"), w), good)...), "no createaccount right"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, tt.args...)
			if r.code != 2 {
				t.Errorf("exit code %d, want 2", r.code)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", r.stderr, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "good.results.csv")); err == nil {
		t.Error("a results file was written although no run started")
	}
	if log := newUsersByName(t, w); len(log) != 0 {
		t.Errorf("the wiki got %d accounts from refused runs", len(log))
	}
}

// hugeFile is a sparse 3 GiB file: no disk used, refused before reading.
func hugeFile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "huge.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(3 << 30); err != nil {
		t.Fatal(err)
	}
	return p
}

// Names a spreadsheet would take for formulas are neutralized in the
// results file, and --resume and report read them back as they are.
func TestResultsNeutralizeFormulaCells(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "f.csv", "username,email\n-Minus,m@example.org\n+Plus,p@example.org\n=SUM(A1),s@example.org\n")
	args := append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes")
	runCLI(t, nil, append(args, sheet)...)
	results := filepath.Join(dir, "f.results.csv")
	raw, err := os.ReadFile(results)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n2,'-Minus,'-Minus,created", "\n3,'+Plus,'+Plus,created", "\n4,'=SUM(A1),,invalid"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("results lack %q:\n%s", want, raw)
		}
	}
	r := runCLI(t, nil, append(args, "--resume", sheet)...)
	if !strings.Contains(r.stderr, "resuming: 2 rows already created or existing, 0 to create") {
		t.Errorf("--resume did not recognize the neutralized names:\n%s", r.stderr)
	}
	if wt := runCLI(t, nil, "report", "--format", "wikitext", results); wt.stdout != "* [[User:-Minus|-Minus]]\n* [[User:+Plus|+Plus]]\n" {
		t.Errorf("wikitext = %q", wt.stdout)
	}
}
