package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// organizer is wikitest.AddOrganizer's creator: no skipcaptcha, no block
// exemption.
func organizer(t *testing.T, w *wikitest.Wiki) wikitest.Creator {
	t.Helper()
	c, err := w.AddOrganizer()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// captchaAfter makes the wiki ask for a CAPTCHA (ConfirmEdit's
// QuestyCaptcha) on account creation once it has created n accounts: a
// LocalUserCreated hook counts them in a file that LocalSettings.php reads
// on every request.
func captchaAfter(t *testing.T, w *wikitest.Wiki, n int) {
	t.Helper()
	count := fmt.Sprintf("%q", w.PathForPHP(filepath.Join(w.Dir, "created.count")))
	if err := w.AskCaptcha(`(int)@file_get_contents( ` + count + ` ) >= ` + fmt.Sprint(n)); err != nil {
		t.Fatal(err)
	}
	err := w.AppendSettings(`$wgHooks['LocalUserCreated'][] = static function ( $user, $autocreated ) {
	if ( $autocreated ) {
		return;
	}
	$f = fopen( ` + count + `, 'c+' );
	flock( $f, LOCK_EX );
	$n = (int)stream_get_contents( $f ) + 1;
	ftruncate( $f, 0 );
	rewind( $f );
	fwrite( $f, (string)$n );
	fclose( $f );
};`)
	if err != nil {
		t.Fatal(err)
	}
}

// checkStoppedRecord: every row is created or pending with the refusal's
// code and what to do, and the wiki holds exactly the accounts the results
// record as created, once each. It returns the created rows' lines.
func checkStoppedRecord(t *testing.T, w *wikitest.Wiki, results, prefix, code string, rows int) (created []int) {
	t.Helper()
	got := readResults(t, results)
	if len(got) != rows {
		t.Fatalf("%d results rows, want %d", len(got), rows)
	}
	names := map[string]bool{}
	for _, r := range got {
		switch {
		case r.Status == report.Created:
			created = append(created, r.Line)
			names[r.Canonical] = true
		case r.Status != report.Pending || r.Code != code || !strings.Contains(r.Message, "--resume"):
			t.Errorf("row %d: %s %q (%s): want created, or pending with code %s", r.Line, r.Status, r.Code, r.Message, code)
		}
	}
	checkWikiHolds(t, w, prefix, names)
	return created
}

// The wiki asks for a CAPTCHA from its 5th creation on, and the creator
// lacks skipcaptcha: the run creates 5, meets the CAPTCHA once, stops at
// once and leaves the other 10 pending; a resume by a creator with
// skipcaptcha creates them. One worker: the wiki's count moves only
// between requests, so "exactly 5" is exact.
func TestCaptchaMidRunStopsTheRun(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	org := organizer(t, w)
	captchaAfter(t, w, 5)
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "room.csv", "guest", 15)
	proxy := newRecordingProxy(t, w.URL)
	r := runCLI(t, nil, "run", "--api", proxy.API, "--user", org.Login, "--password-file", org.PasswordFile,
		"--workers", "1", "--rate", "0", "--yes", sheet)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
	}
	results := filepath.Join(dir, "room.results.csv")
	if got := fmt.Sprint(checkStoppedRecord(t, w, results, "Guest", "captcha-createaccount-fail", 15)); got != "[2 3 4 5 6]" {
		t.Errorf("created the rows on lines %s, want exactly the first 5 (lines 2 to 6)", got)
	}
	if n := proxy.actions()["createaccount"]; n != 6 {
		t.Errorf("%d createaccount requests, want 6: 5 created, then 1 (the workers) refused", n)
	}
	if want := "stopped: the wiki asks the creator for a CAPTCHA"; strings.Count(r.stderr, want) != 1 || !strings.Contains(r.stderr, "skipcaptcha") {
		t.Errorf("stderr does not say once what stopped the run and what to do:\n%s", r.stderr)
	}
	halts := 0
	for _, e := range readLog(t, filepath.Join(dir, "room.log.jsonl")) {
		if e["msg"] == "halt" {
			halts++
		}
	}
	if halts != 1 {
		t.Errorf("the log says halt %d times, want once", halts)
	}

	// Admin@bulk holds skipcaptcha (sysops have it; the basic grant passes it on).
	r = runCLI(t, nil, "run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "0", "--resume", "--yes", sheet)
	if r.code != 0 {
		t.Fatalf("resume: exit %d:\n%s", r.code, r.stderr)
	}
	if n := len(checkStoppedRecord(t, w, results, "Guest", "", 15)); n != 15 {
		t.Errorf("after the resume %d created, want 15", n)
	}
}

// An administrator blocks the creator (from another process) while its
// 4th createaccount waits in the proxy, and the requests after it wait for
// the block: the run stops at the first refusal, with at most one refused
// request a worker, and leaves the rest pending.
// The run after it, by the same blocked creator, is refused before any
// createaccount, naming the block's author, reason and expiry.
func TestCreatorBlockedStopsTheRun(t *testing.T) {
	const workers = 2
	w := wikitest.Start(t, wikitest.Options{})
	org := organizer(t, w)
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "room.csv", "visitor", 12)
	// The wiki's code for the refusal: on 1.39 the block's autoblock of
	// 127.0.0.1 is found first (PermissionManager checks the request's IP
	// address last, and that answer wins), whose text quotes the block's
	// reason; 1.43 answers with the block on the account itself.
	code, why := "autoblocked", `block is "Spam from this account"`
	if w.Release.Name == "1.43" {
		code, why = "blocked", "Spam from this account"
	}
	proxy := newFaultProxy(t, w.URL)
	blocked := make(chan struct{})
	var refused atomic.Int32
	proxy.before = func(n int, _ http.ResponseWriter) bool {
		switch {
		case n == 4:
			if err := w.Block("Organizer", "Spam from this account"); err != nil {
				t.Error(err)
			}
			close(blocked)
		case n > 4:
			awaitOrGiveUp(blocked) // request 4 closes it once the block is made
		}
		return false
	}
	proxy.after = func(_ int, _ http.ResponseWriter, _ int, _ http.Header, body []byte) bool {
		if strings.Contains(string(body), `"messagecode":"`+code+`"`) {
			refused.Add(1)
		}
		return false
	}
	args := []string{"run", "--api", proxy.API, "--user", org.Login, "--password-file", org.PasswordFile,
		"--workers", fmt.Sprint(workers), "--rate", "0", "--yes"}
	r := runCLI(t, nil, append(args, sheet)...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
	}
	results := filepath.Join(dir, "room.results.csv")
	if n := len(checkStoppedRecord(t, w, results, "Visitor", code, 12)); n != 3 {
		t.Errorf("%d created, want 3", n)
	}
	for _, row := range readResults(t, results) {
		if strings.HasPrefix(row.Message, "refused:") && (!strings.Contains(row.Message, "Organizer") || strings.ContainsAny(row.Message, "\u202a\u202c")) {
			t.Errorf("the refused row's message %q lacks the block's reason, or keeps the wiki's invisible bidi marks", row.Message)
		}
	}
	if n := refused.Load(); n < 1 || n > workers {
		t.Errorf("%d requests refused as blocked, want 1..%d", n, workers)
	}
	if !strings.Contains(r.stderr, "stopped: the creator, or its IP address, is blocked") || !strings.Contains(r.stderr, why) {
		t.Errorf("stderr does not say the creator is blocked, and why:\n%s", r.stderr)
	}

	before := proxy.createCount()
	r = runCLI(t, nil, append(args, "--resume", sheet)...)
	if r.code != 2 {
		t.Fatalf("blocked before the run: exit %d, want 2:\n%s", r.code, r.stderr)
	}
	if n := proxy.createCount() - before; n != 0 {
		t.Errorf("%d createaccount requests by a creator blocked before the run, want none", n)
	}
	// The block on the account and the autoblock of its IP address make a
	// composite block, which has no author of its own.
	for _, want := range []string{"Organizer is blocked", "no expiry", "Special:BlockList"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// A CAPTCHA refusal counts against the wiki's per-IP throttle: the
// throttle's test runs before ConfirmEdit's and counts the attempt. With
// 4 a day: 3 created, the 4th asked for a CAPTCHA (the day is used up);
// a resume by a creator with skipcaptcha but without noratelimit
// (Admin@limited) meets the throttle at once and creates nothing more. Had
// the refusal not counted, it would have created one.
func TestCaptchaRefusalCountsAgainstTheThrottle(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 4})
	org := organizer(t, w)
	captchaAfter(t, w, 3)
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "room.csv", "guest", 6)
	results := filepath.Join(dir, "room.results.csv")
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(org, w)...), "--workers", "1", "--rate", "0", "--yes", sheet)...)
	if r.code != exitRowsNotOK {
		t.Fatalf("exit %d, want %d:\n%s", r.code, exitRowsNotOK, r.stderr)
	}
	if got := fmt.Sprint(checkStoppedRecord(t, w, results, "Guest", "captcha-createaccount-fail", 6)); got != "[2 3 4]" {
		t.Errorf("created the rows on lines %s, want 2 to 4", got)
	}
	r = runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Limited, w)...),
		"--rate", "0", "--max-wait", "3s", "--resume", "--yes", sheet)...)
	if r.code != exitRowsNotOK || !strings.Contains(r.stderr, "wiki throttle: 4 per 24h0m0s") {
		t.Fatalf("resume: exit %d, want %d, stopped by the day's throttle:\n%s", r.code, exitRowsNotOK, r.stderr)
	}
	if got := fmt.Sprint(checkStoppedRecord(t, w, results, "Guest", "pending", 6)); got != "[2 3 4]" {
		t.Errorf("after the resume, created the rows on lines %s, want still 2 to 4: the CAPTCHA refusal used the day's 4th", got)
	}
}

// The wiki answers one createaccount of a creator that holds noratelimit
// (Admin@bulk: a sysop, with the highvolume grant) with its per-IP
// throttle's refusal, as a wiki whose throttle counts otherwise would: the
// proxy answers the 4th in the wiki's place with the body MediaWiki 1.39
// sends (a day's window). The run does not wait the day out: it stops at
// once, 3 created and the rest pending, and stderr names the creator, its
// noratelimit and what to check. Once the wiki answers as it should,
// --resume creates the rest.
func TestExemptCreatorThrottledStopsTheRun(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "room.csv", "exempt", 10)
	results := filepath.Join(dir, "room.results.csv")
	proxy := newFaultProxy(t, w.URL)
	proxy.before = func(n int, rw http.ResponseWriter) bool {
		if n != 4 {
			return false
		}
		rw.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprint(rw, `{"createaccount":{"status":"FAIL","message":{"key":"acct_creation_throttle_hit","params":[6,{"duration":86400}]},"messagecode":"acct_creation_throttle_hit","canpreservestate":false}}`)
		return true
	}
	// The limit on waiting would allow the day's window.
	args := []string{"run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--workers", "1", "--rate", "0", "--max-wait", "48h", "--yes"}
	r := runCLI(t, nil, append(args, sheet)...)
	if r.code != exitRowsNotOK {
		t.Fatalf("exit %d, want %d:\n%s", r.code, exitRowsNotOK, r.stderr)
	}
	if r.elapsed > time.Minute {
		t.Errorf("the run took %s to stop: it waited", r.elapsed.Round(time.Second))
	}
	if got := fmt.Sprint(checkStoppedRecord(t, w, results, "Exempt", "acct_creation_throttle_hit", 10)); got != "[2 3 4]" {
		t.Errorf("created the rows on lines %s, want exactly the first 3 (lines 2 to 4)", got)
	}
	if n := proxy.createCount(); n != 4 {
		t.Errorf("%d createaccount requests, want 4: none after the refusal", n)
	}
	for _, want := range []string{"stopped: the wiki's per-IP limit on account creation refused Admin, which holds noratelimit",
		"High-volume editing", "--resume"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	halts := 0
	for _, e := range readLog(t, filepath.Join(dir, "room.log.jsonl")) {
		switch e["msg"] {
		case "pause":
			t.Errorf("the log shows a pause, want none: %v", e)
		case "halt":
			halts++
		}
	}
	if halts != 1 {
		t.Errorf("the log says halt %d times, want once", halts)
	}

	proxy.mu.Lock()
	proxy.before = nil
	proxy.mu.Unlock()
	r = runCLI(t, nil, append(args, "--resume", sheet)...)
	if r.code != 0 {
		t.Fatalf("resume: exit %d:\n%s", r.code, r.stderr)
	}
	checkAllCreatedOnce(t, w, results, "exempt", 10)
}
