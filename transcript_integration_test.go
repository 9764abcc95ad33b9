package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/wikitest"
)

// updateTranscripts rewrites the golden transcripts instead of comparing
// (and throttle-request's golden output, testdata/throttle-request.txt):
//
//	go test -count=1 -run '^TestTranscripts$' -update .
var updateTranscripts = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts (TestTranscripts) and testdata/throttle-request.txt (TestThrottleRequestGolden)")

// TestTranscripts runs the program's commands as a user would, against real
// wikis, and compares everything they leave behind — exit codes, stdout,
// stderr, results files, the JSON-lines logs, files kept aside and report
// outputs — with the golden transcripts in testdata/transcripts, one file
// per scenario, once what legitimately varies between runs is normalized
// (see normalizeTranscript). It pins the program's behaviour down byte for
// byte, so that a change of structure can be shown to change none of it.
func TestTranscripts(t *testing.T) {
	if testing.Short() {
		t.Skip("needs real MediaWikis: run without -short (make test)")
	}
	for _, sc := range []struct {
		name string
		run  func(t *testing.T, tr *transcript)
	}{
		{"first-run-then-again", transcriptFirstRunThenAgain},
		{"max-wait-then-resume", transcriptMaxWaitThenResume},
		{"dry-run-offline", transcriptDryRunOffline},
		{"dry-run-online", transcriptDryRunOnline},
		{"migration", transcriptMigration},
		{"grant", transcriptGrant},
		{"report", transcriptReport},
		{"refusals", transcriptRefusals},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			tr := newTranscript(t)
			sc.run(t, tr)
			tr.check(filepath.Join("testdata", "transcripts", sc.name+".txt"))
		})
	}
}

// 1. The edit-a-thon: mail mode with a reason, then the same sheet again,
// the first results kept aside.
func transcriptFirstRunThenAgain(t *testing.T, tr *transcript) {
	w := tr.wiki(wikitest.Options{})
	sheet := tr.sheet("signups.csv", "username,email,realname,reason\r\n"+
		"maria_garcia,maria@example.org,María García,\r\n"+
		"jkowalski,jan@example.org,,\r\n"+
		"Søren  Kierkegaard_Fan,soren@example.dk,Søren Nielsen,Table 2 volunteer\r\n"+
		"Bad#Name,bad@example.org,,\r\n"+
		"no_mail,,,\r\n"+
		"Maria garcia,other@example.org,,\r\n"+
		"lena,not-an-email,,\r\n")
	args := append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--reason", "Edit-a-thon 2026", "--workers", "1", "--yes", sheet)
	tr.run(nil, args...)
	tr.run(nil, args...)
}

// 2. A tight throttle (2 per 12 s): the run stops at once when the wiki's window is
// longer than --max-wait, leaving rows pending; --resume with a longer
// --max-wait waits the window out and finishes.
func transcriptMaxWaitThenResume(t *testing.T, tr *transcript) {
	w := tr.wiki(wikitest.Options{ThrottleCount: 2, ThrottleSeconds: 12})
	sheet := tr.sheet("room.csv", "username,email\n"+
		"early_one,e1@example.org\nearly_two,e2@example.org\nlate_three,l3@example.org\n"+
		"bad#four,b4@example.org\nlate_five,l5@example.org\n")
	base := append(append([]string{"run"}, creatorArgs(w.Limited, w)...), "--rate", "0", "--workers", "1", "--yes")
	tr.run(nil, append(base, "--max-wait", "2s", sheet)...)
	tr.run(nil, append(base, "--max-wait", "1m", "--resume", sheet)...)
}

// 3. The offline dry run of a sheet with every kind of problem.
func transcriptDryRunOffline(t *testing.T, tr *transcript) {
	b, err := os.ReadFile(filepath.Join("samples", "bad-sheet.csv"))
	if err != nil {
		t.Fatal(err)
	}
	sheet := tr.sheet("bad-sheet.csv", string(b))
	tr.run(nil, "run", "--dry-run", sheet)
}

// 4. The online dry run, without --user (names only) and with it (the
// creator too), on a wiki that refuses some names itself.
func transcriptDryRunOnline(t *testing.T, tr *transcript) {
	w := refusingWiki(t)
	tr.track(w)
	if err := w.CreateUser("Existing Member", "Existing-Member-Password-1"); err != nil {
		t.Fatal(err)
	}
	sheet := tr.sheet("event.csv", "username,email,realname\n"+
		"new_person,new@example.org,New Person\n"+
		"Existing_Member,em@example.org,\n"+
		"Very forbidden name,vf@example.org,\n"+
		"Reserved_Person,rp@example.org,\n"+
		"New_person,again@example.org,\n"+
		"Jane#Doe,jd@example.org,\n"+
		"no_email,,\n"+
		"Ünïcode Name,u@example.org,\n")
	tr.run(nil, "run", "--dry-run", "--api", w.API, sheet)
	tr.run(nil, "run", "--dry-run", "--api", w.API, "--user", w.Limited.Login, "--password-file", w.Limited.PasswordFile, sheet)
}

// 5. Migration: passwords from the sheet, no mail, two workers, no rate
// limit.
func transcriptMigration(t *testing.T, tr *transcript) {
	w := tr.wiki(wikitest.Options{})
	tr.secret("Correct-Horse-Battery-")
	sheet := tr.sheet("users.csv", "user;mail;password\n"+
		"old_user_1;;Correct-Horse-Battery-1\n"+
		"Old user 2;two@example.org;Correct-Horse-Battery-2\n"+
		"old_user_3;;\n"+
		"old_user_4;four@example.org;short\n"+
		"old_user_5;;Correct-Horse-Battery-5\n")
	tr.concurrent = true
	tr.run(nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...),
		"--mailpassword=false", "--workers", "2", "--rate", "0", "--yes", sheet)...)
}

// 6. grant: returning participants confirmed for two weeks, after a dry
// run; one name has no account.
func transcriptGrant(t *testing.T, tr *transcript) {
	w, coord := eventWiki(t)
	tr.track(w)
	tr.secret(coord.Password)
	for _, name := range []string{"Back one", "Back two", "Back veteran"} {
		if err := w.CreateUser(name, "Participant-pass-2026"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddToGroup("Back two", "confirmed", time.Now().UTC().AddDate(0, 2, 0).Truncate(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := w.MakeAutoconfirmed("Back veteran"); err != nil {
		t.Fatal(err)
	}
	sheet := tr.sheet("returning.csv", "username\nBack one\nBack two\nBack veteran\nBakc three\n")
	groups := []string{"--add-groups", "confirmed", "--group-expiry", "2 weeks"}
	tr.run(nil, "grant", "--dry-run", "--api", w.API, "--add-groups", "confirmed", sheet)
	tr.run(nil, append(append([]string{"grant", "--dry-run", "--api", w.API}, groups...), sheet)...)
	tr.run(nil, append(append(append([]string{"grant"}, creatorArgs(coord, w)...), groups...), "--reason", "Edit-a-thon, second day", "--yes", sheet)...)
	results := filepath.Join(tr.dir, "returning.groups.results.csv")
	for _, format := range []string{"text", "markdown", "wikitext"} {
		tr.run(nil, "report", "--format", format, results)
	}
}

// 7. report on a real run's results, in every format, and the failed sheet.
func transcriptReport(t *testing.T, tr *transcript) {
	w := tr.wiki(wikitest.Options{})
	sheet := tr.sheet("signups.csv", "username;email;realname;password;team\n"+
		"ada_lovelace;ada@example.org;Ada Lovelace;unused-secret-1;red\n"+
		"grace#hopper;grace@example.org;Grace Hopper;unused-secret-2;blue\n"+
		"alan_turing;alan(at)example.org;Alan Turing;unused-secret-3;red\n"+
		"Admin;admin@example.org;;unused-secret-4;red\n"+
		"katherine_johnson;;Katherine Johnson;unused-secret-5;blue\n")
	tr.secret("unused-secret-")
	tr.run(nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--workers", "1", "--yes", sheet)...)
	results := filepath.Join(tr.dir, "signups.results.csv")
	tr.run(nil, "report", results)
	tr.run(nil, "report", "--format", "text", results)
	tr.run(nil, "report", "--format", "markdown", results)
	tr.run(nil, "report", "--format", "wikitext", results)
	tr.run(nil, "report", "--format", "html", results)
	failed := filepath.Join(tr.dir, "to-fix.csv")
	tr.run(nil, "report", "--failed-sheet", failed, "--input", sheet, results)
	tr.run(nil, "report", "--failed-sheet", failed, "--input", sheet, results) // the first kept aside
	tr.run(nil, "report", "--failed-sheet", failed, results)
}

// 8. Refusals before anything is sent: exit codes and messages.
func transcriptRefusals(t *testing.T, tr *transcript) {
	w := tr.wiki(wikitest.Options{})
	good := tr.sheet("good.csv", "username,email\nsetup_check,s@example.org\n")
	readonly := mustBotPassword(t, w, "readonly", "basic")
	tr.secret(readonly.Password)
	wrong := "0123456789abcdefghijklmnopqrstuv"
	tr.secret(wrong)
	tr.run(nil, "run", "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, good)
	tr.run(nil, "run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "fast", good)
	tr.run(nil, append(append([]string{"run"}, creatorArgs(readonly, w)...), good)...)
	tr.run(map[string]string{"MWPROVISION_PASSWORD": wrong}, "run", "--api", w.API, "--user", w.Bulk.Login, good)
	tr.run(nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), good)...) // no --yes, no terminal
	tr.run(nil, "run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile)
	tr.run(nil, "frobnicate")

	// save-password: nothing on stdin is refused; the secret saved is used.
	saved := filepath.Join(tr.dir, "bot.password")
	tr.run(nil, "save-password", saved)
	tr.private["bot.password"] = true
	tr.runWith(w.Bulk.Password+"\n", nil, "save-password", saved)
	if b, err := os.ReadFile(saved); err != nil || string(b) != w.Bulk.Password+"\n" {
		t.Errorf("save-password wrote %d bytes (%v), not the secret and a newline", len(b), err)
	}
	tr.run(nil, "run", "--dry-run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", saved, good)
}

// transcript records what a scenario's commands did, normalized, for
// comparison with its golden file.
type transcript struct {
	t   *testing.T
	dir string // the scenario's directory: sheets, results, logs
	b   strings.Builder
	// files holds what each file of dir held after the last step, to
	// record only what a command changed.
	files map[string][]byte
	// private files hold a secret on purpose (save-password's): only their
	// size and mode are recorded.
	private map[string]bool
	// paths are replaced by names in the transcript, the longest first.
	paths [][2]string
	// secrets must appear in no output.
	secrets []string
	// concurrent: several workers ran, so the order of the lines they
	// write, and which worker wrote which, is theirs (see concurrentLines).
	concurrent bool
}

func newTranscript(t *testing.T) *transcript {
	dir := t.TempDir()
	tr := &transcript{t: t, dir: dir, files: map[string][]byte{}, private: map[string]bool{}}
	tr.path(dir, "$DIR")
	return tr
}

func (tr *transcript) path(p, name string) {
	tr.paths = append(tr.paths, [2]string{p, name})
	sort.SliceStable(tr.paths, func(i, j int) bool { return len(tr.paths[i][0]) > len(tr.paths[j][0]) })
}

// wiki starts a wiki for this scenario.
func (tr *transcript) wiki(opts wikitest.Options) *wikitest.Wiki {
	w := wikitest.Start(tr.t, opts)
	tr.track(w)
	return w
}

// track names the wiki's directory $WIKI and makes its passwords secrets.
func (tr *transcript) track(w *wikitest.Wiki) {
	tr.path(w.Dir, "$WIKI")
	tr.secret(w.AdminPassword)
	tr.secret(w.Bulk.Password)
	tr.secret(w.Limited.Password)
}

func (tr *transcript) secret(s string) { tr.secrets = append(tr.secrets, s) }

// sheet writes a sheet into the scenario's directory and records it: an
// input, so it is not checked for secrets.
func (tr *transcript) sheet(name, content string) string {
	p := writeSheet(tr.t, tr.dir, name, content)
	tr.files[name] = []byte(content)
	fmt.Fprintf(&tr.b, "=== sheet %s\n%s", name, content)
	if !strings.HasSuffix(content, "\n") {
		tr.b.WriteString("\n[no newline at end]\n")
	}
	return p
}

// run runs the program in-process, without a terminal and with nothing on
// stdin, and records it.
func (tr *transcript) run(env map[string]string, args ...string) {
	tr.t.Helper()
	tr.runWith("", env, args...)
}

// runWith runs the program in-process with stdin, without a terminal, and
// records the command line, its exit code, stdout, stderr and every file
// of the scenario's directory it created, changed or removed.
func (tr *transcript) runWith(stdin string, env map[string]string, args ...string) {
	tr.t.Helper()
	// As runCLIWith, without logging each command: the transcript says it all.
	s, stdout, stderr := bufferStreams(stdin, false)
	code := run(context.Background(), append([]string{"mwprovision"}, args...), s, func(k string) string { return env[k] })
	r := cliRun{code: code, stdout: stdout.String(), stderr: stderr.String()}
	fmt.Fprintf(&tr.b, "\n=== $ mwprovision %s\n", tr.normalize(strings.Join(quoteArgs(args), " ")))
	if len(env) > 0 {
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&tr.b, "--- env: %s (values not shown)\n", strings.Join(keys, ", "))
	}
	if stdin != "" {
		fmt.Fprintf(&tr.b, "--- stdin: %d bytes (not shown)\n", len(stdin))
	}
	fmt.Fprintf(&tr.b, "--- exit %d\n", r.code)
	tr.output("stdout", r.stdout, stream)
	tr.output("stderr", r.stderr, stream)
	tr.recordFiles()
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'") {
			a = fmt.Sprintf("%q", a)
		}
		out[i] = a
	}
	return out
}

// output records one output (a stream, or a file's new text), checked for
// secrets first.
func (tr *transcript) output(title, text string, kind outputKind) {
	tr.t.Helper()
	tr.checkSecrets(title, text)
	text = tr.normalize(text)
	if tr.concurrent {
		text = concurrentLines(text, kind)
	}
	fmt.Fprintf(&tr.b, "--- %s", title)
	if text == "" {
		tr.b.WriteString(" (empty)\n")
		return
	}
	tr.b.WriteString("\n" + text)
	if !strings.HasSuffix(text, "\n") {
		tr.b.WriteString("\n[no newline at end]\n")
	}
}

// recordFiles records the files of the scenario's directory that the last
// command created, changed (of a file only appended to, like a log, the
// text added) or removed, in the order of their normalized names.
func (tr *transcript) recordFiles() {
	tr.t.Helper()
	entries, err := os.ReadDir(tr.dir)
	if err != nil {
		tr.t.Fatal(err)
	}
	now := map[string][]byte{}
	modes := map[string]os.FileMode{}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			tr.t.Fatal(err)
		}
		var b []byte
		if !e.IsDir() {
			if b, err = os.ReadFile(filepath.Join(tr.dir, e.Name())); err != nil {
				tr.t.Fatal(err)
			}
		}
		now[e.Name()], modes[e.Name()] = b, fi.Mode()
	}
	type change struct {
		name, how string
		text      []byte
		removed   bool
	}
	var changes []change
	for name, b := range now {
		old, had := tr.files[name]
		switch {
		case had && bytes.Equal(old, b):
		case had && len(old) > 0 && bytes.HasPrefix(b, old):
			changes = append(changes, change{name: name, how: "appended to", text: b[len(old):]})
		case had:
			changes = append(changes, change{name: name, how: "rewritten", text: b})
		default:
			changes = append(changes, change{name: name, how: "new", text: b})
		}
	}
	for name := range tr.files {
		if _, ok := now[name]; !ok {
			changes = append(changes, change{name: name, removed: true})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return tr.normalize(changes[i].name) < tr.normalize(changes[j].name) })
	for _, c := range changes {
		name := tr.normalize(c.name)
		switch {
		case c.removed:
			fmt.Fprintf(&tr.b, "--- file %s (removed)\n", name)
		case modes[c.name].IsDir():
			fmt.Fprintf(&tr.b, "--- directory %s (%s, %s)\n", name, c.how, modes[c.name].Perm())
		case tr.private[c.name]:
			fmt.Fprintf(&tr.b, "--- file %s (%s, %s, %d bytes, a secret: not shown)\n", name, c.how, modes[c.name].Perm(), len(c.text))
		default:
			kind := stream
			switch {
			case strings.HasSuffix(c.name, ".jsonl"):
				kind = logFile
			case strings.HasSuffix(c.name, ".sent"):
				kind = journalFile
			}
			tr.output(fmt.Sprintf("file %s (%s, %s)", name, c.how, modes[c.name].Perm()), string(c.text), kind)
		}
	}
	tr.files = now
}

func (tr *transcript) checkSecrets(where, text string) {
	tr.t.Helper()
	for _, s := range tr.secrets {
		if s != "" && strings.Contains(text, s) {
			tr.t.Errorf("%s holds the secret %q", where, s)
		}
	}
}

func (tr *transcript) normalize(s string) string {
	for _, p := range tr.paths {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	return normalizeTranscript(s)
}

// A duration as Go prints it: 500ms, 4.6s, 1m0s, 2h0m0s.
const goDuration = `(?:\d+(?:\.\d+)?(?:h|ms|m|s|µs|us|ns))+`

// transcriptNormalizations are normalizeTranscript's rules, in order.
var transcriptNormalizations = []struct {
	re   *regexp.Regexp
	with string
}{
	// A local server's port: each wiki (and test server) gets a free one.
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	// RFC 3339 timestamps: finished_at, first_run_at, the log's time, the
	// expiry of a group given for "2 weeks".
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)`), "<TIME>"},
	// The stamp of a file kept aside: NAME.20261202T181500Z.csv.
	{regexp.MustCompile(`\.\d{8}T\d{6}Z\.`), ".<STAMP>."},
	// Dates in words (report's "confirmed until 8 December 2026").
	{regexp.MustCompile(`\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b`), "<DATE>"},
	// The clock time a pause ends at.
	{regexp.MustCompile(`resuming at \d\d:\d\d:\d\d`), "resuming at <CLOCK>"},
	// Durations measured or counted down, by what they follow; a duration
	// given (--max-wait 2s) or the wiki's window (2 per 8s) is kept.
	{regexp.MustCompile(`\b(elapsed|pausing all workers for|asks for|take about|ETA|resuming in) ` + goDuration), "$1 <DURATION>"},
	{regexp.MustCompile(`, \d+\.\d+ accounts/s`), ", <RATE> accounts/s"},
	// The log's measured durations and rate.
	{regexp.MustCompile(`"(latency|elapsed|wait|waited_total)":"` + goDuration + `"`), `"$1":"<DURATION>"`},
	{regexp.MustCompile(`"accounts_per_second":[0-9.e+-]+`), `"accounts_per_second":<RATE>`},
	// A plain progress line is printed when 5 s have passed since the
	// last: how many there are is the clock's.
	{regexp.MustCompile(`(?m)^progress: .*\n`), ""},
}

// normalizeTranscript replaces what legitimately differs between two runs
// of the same scenario, and nothing else (the scenario's own directories
// are replaced before, by name: see transcript.normalize). Each rule is
// one line of transcriptNormalizations:
//
//   - a local server's port: 127.0.0.1:PORT;
//   - RFC 3339 timestamps: <TIME>; a kept-aside file's stamp
//     (NAME.20261202T181500Z.csv): NAME.<STAMP>.csv; a date in words:
//     <DATE>; the clock time a pause ends at: <CLOCK>;
//   - durations that are measured or counted down (elapsed, a pause's
//     length, "asks for … more", "take about", ETA, "resuming in") and
//     the rate in accounts/s: <DURATION>, <RATE>; in the log, the values
//     of latency, elapsed, wait, waited_total and accounts_per_second;
//   - plain "progress:" lines, printed every 5 s of wall time: removed.
//
// A scenario with several workers also sorts what they write, in whatever
// order they write it (concurrentLines).
func normalizeTranscript(s string) string {
	for _, n := range transcriptNormalizations {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

var (
	reWorker    = regexp.MustCompile(`"worker":\d+`)
	reLoginRow  = regexp.MustCompile(`("msg":"login"),"line":\d+,"username":"[^"]*"`)
	logInPlace  = regexp.MustCompile(`"msg":"(start|preflight|sessions|summary)"`)
	stderrInRun = regexp.MustCompile(`^line \d+: `)
)

// outputKind is what a text of the transcript is: which of its lines the
// workers write in an order of their own.
type outputKind int

const (
	stream      outputKind = iota // stdout, stderr, a results file: the "line N: …" lines
	logFile                       // the structured log: every line but start, preflight, sessions and summary
	journalFile                   // the journal: its "sent" lines, one a request, in the order the workers sent them
)

// concurrentLines makes the output of several workers comparable: each run
// of consecutive lines that the workers write as their rows are decided is
// sorted (which lines, outputKind says) and in the log, which worker wrote
// a line, and the row a worker logged in for, are masked.
func concurrentLines(text string, kind outputKind) string {
	if kind == logFile {
		text = reWorker.ReplaceAllString(text, `"worker":W`)
		text = reLoginRow.ReplaceAllString(text, `$1,"line":N,"username":"…"`)
	}
	lines := strings.SplitAfter(text, "\n")
	movable := func(l string) bool {
		switch kind {
		case logFile:
			return l != "" && !logInPlace.MatchString(l)
		case journalFile:
			return strings.HasPrefix(l, "sent\t")
		}
		return stderrInRun.MatchString(l)
	}
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && movable(lines[j]) && strings.HasSuffix(lines[j], "\n") {
			j++
		}
		sort.Strings(lines[i:j])
		i = max(j, i+1)
	}
	return strings.Join(lines, "")
}

// check compares the transcript with its golden file, or rewrites it.
func (tr *transcript) check(golden string) {
	tr.t.Helper()
	got := tr.b.String()
	if *updateTranscripts {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			tr.t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			tr.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		tr.t.Fatalf("no golden transcript (%v): record it with go test -run '^TestTranscripts$' -update", err)
	}
	if d := lineDiff(string(want), got, 3, 3); d != "" {
		tr.t.Errorf("the transcript differs from %s (- golden, + now); if the change is meant, record it with -update:\n%s", golden, d)
	}
}

// lineDiff shows where got differs from want, line by line: the first
// hunks of a shortest edit (a longest common subsequence), each with
// context lines around, and the line numbers of want and got. "" if equal.
func lineDiff(want, got string, hunks, context int) string {
	if want == got {
		return ""
	}
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	// lcs[i][j]: the longest common subsequence of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		i, j int  // line indexes in a and b
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', i, j})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', i, j})
			i++
		default:
			ops = append(ops, op{'+', i, j})
			j++
		}
	}
	var out strings.Builder
	shown := 0
	for k := 0; k < len(ops); k++ {
		if ops[k].kind == ' ' {
			continue
		}
		if shown == hunks {
			out.WriteString("… (more differences)\n")
			break
		}
		shown++
		start := max(k-context, 0)
		end := k
		// The hunk runs on while changes are less than 2×context apart.
		for n := k; n < len(ops); n++ {
			if ops[n].kind != ' ' {
				end = n
			} else if n-end > 2*context {
				break
			}
		}
		end = min(end+context, len(ops)-1)
		fmt.Fprintf(&out, "@@ golden line %d, now line %d @@", ops[start].i+1, ops[start].j+1)
		// The step the hunk is in: the last "=== " line before it.
		for n := min(ops[start].i, len(a)-1); n >= 0; n-- {
			if strings.HasPrefix(a[n], "=== ") {
				fmt.Fprintf(&out, " in %s", a[n])
				break
			}
		}
		out.WriteString("\n")
		for _, o := range ops[start : end+1] {
			switch o.kind {
			case ' ':
				fmt.Fprintf(&out, "  %s\n", a[o.i])
			case '-':
				fmt.Fprintf(&out, "- %s\n", a[o.i])
			case '+':
				fmt.Fprintf(&out, "+ %s\n", b[o.j])
			}
		}
		k = end
	}
	return out.String()
}

// The normalization replaces what varies and keeps what is given; the diff
// shows the first change in its step. (No wiki: this runs under -short.)
func TestTranscriptNormalizationAndDiff(t *testing.T) {
	for in, want := range map[string]string{
		"kept as /d/out.20261202T181500Z.csv: x":                     "kept as /d/out.<STAMP>.csv: x",
		`{"time":"2026-12-02T18:20:29.666390351Z","latency":"1.2s"}`: `{"time":"<TIME>","latency":"<DURATION>"}`,
		"elapsed 1m4.5s, 0.66 accounts/s\n":                          "elapsed <DURATION>, <RATE> accounts/s\n",
		"pausing all workers for 9s: x (resuming at 18:20:58)":       "pausing all workers for <DURATION>: x (resuming at <CLOCK>)",
		"asks for 9s more, which would pass --max-wait 2s":           "asks for <DURATION> more, which would pass --max-wait 2s",
		"2 per 8s\nprogress: 3/7 rows, 3 created — ETA 7s\ndone\n":   "2 per 8s\ndone\n",
		"http://127.0.0.1:40103/w/api.php until 8 December 2026":     "http://127.0.0.1:PORT/w/api.php until <DATE>",
		"expiry 2027-01-31, Edit-a-thon 2026":                        "expiry 2027-01-31, Edit-a-thon 2026",
	} {
		if got := normalizeTranscript(in); got != want {
			t.Errorf("normalizeTranscript(%q) = %q, want %q", in, got, want)
		}
	}
	d := lineDiff("=== $ mwprovision run\n--- stderr\nlogged in\nend\n", "=== $ mwprovision run\n--- stderr\nsigned in\nend\n", 3, 1)
	want := "@@ golden line 2, now line 2 @@ in === $ mwprovision run\n  --- stderr\n- logged in\n+ signed in\n  end\n"
	if d != want {
		t.Errorf("lineDiff =\n%s\nwant\n%s", d, want)
	}
}
