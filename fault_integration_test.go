package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// A fault-injecting proxy between the tool and the real wiki spoils 20% of
// the creation requests, before or after the wiki acted. Every row ends
// created (those whose answer was lost too), the wiki holds exactly those
// accounts, and the log shows every retry with its cause.
func TestFaultsBetweenToolAndWiki(t *testing.T) {
	// Long, and mostly waiting on retries: alongside the other long ones.
	t.Parallel()
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	const rows = 200
	sheet := numberedSheet(t, dir, "faulty.csv", "faulty", rows)
	proxy := newFaultProxy(t, w.URL)
	faults := &faultInjector{rnd: rand.New(rand.NewPCG(2026, 11)), kinds: map[string]int{}, fault: map[int]string{}}
	proxy.before, proxy.after = faults.before, faults.after
	r := runCLI(t, nil, "run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--workers", "2", "--rate", "0", "--max-attempts", "10", "--request-timeout", "2s", "--yes", sheet)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	t.Logf("faults injected: %v", faults.kinds)
	checkAllCreatedOnce(t, w, filepath.Join(dir, "faulty.results.csv"), "faulty", rows)

	injected := 0
	for k, n := range faults.kinds {
		if k != "slow" {
			injected += n
		}
	}
	if injected < 20 {
		t.Fatalf("only %d faults injected: the test proves little", injected)
	}
	checkRetriesLogged(t, filepath.Join(dir, "faulty.log.jsonl"), injected, faults.kinds)
}

// faultInjector spoils a fifth of the createaccount requests, picked by a
// seeded random source: before the wiki sees them (an answer in its place)
// or after it acted (its answer lost, cut or replaced).
type faultInjector struct {
	mu    sync.Mutex
	rnd   *rand.Rand
	kinds map[string]int // faults injected, by kind
	fault map[int]string // the fault of the n-th createaccount ("" none)
}

var faultKinds = []string{"reset", "timeout-after-create", "502", "503", "429", "slow", "truncated-after-create", "html-after-create", "html", "maxlag"}

// pick decides the fault of the n-th createaccount ("" none).
func (f *faultInjector) pick(n int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := ""
	if f.rnd.Float64() < 0.2 {
		k = faultKinds[f.rnd.IntN(len(faultKinds))]
		f.kinds[k]++
	}
	f.fault[n] = k
	return k
}

func (f *faultInjector) before(n int, rw http.ResponseWriter) bool {
	switch f.pick(n) {
	case "reset":
		dropConnection(rw)
	case "502":
		http.Error(rw, "<html><body>Bad gateway</body></html>", http.StatusBadGateway)
	case "503":
		rw.Header().Set("Retry-After", "1")
		http.Error(rw, "<html><body>Service unavailable</body></html>", http.StatusServiceUnavailable)
	case "429":
		rw.Header().Set("Retry-After", "1")
		http.Error(rw, "<html><body>Too many requests</body></html>", http.StatusTooManyRequests)
	case "html":
		rw.Header().Set("Content-Type", "text/html")
		rw.WriteHeader(200)
		io.WriteString(rw, "<!DOCTYPE html><html><body>PHP Fatal error</body></html>")
	case "maxlag":
		rw.Header().Set("Retry-After", "1")
		rw.Header().Set("MediaWiki-API-Error", "maxlag")
		rw.Header().Set("Content-Type", "application/json")
		io.WriteString(rw, `{"error":{"code":"maxlag","info":"Waiting for 10.0.0.1: 6 seconds lagged.","host":"db","lag":6}}`)
	default:
		return false
	}
	return true
}

func (f *faultInjector) after(n int, rw http.ResponseWriter, status int, header http.Header, body []byte) bool {
	f.mu.Lock()
	k := f.fault[n]
	f.mu.Unlock()
	switch k {
	case "timeout-after-create":
		time.Sleep(2500 * time.Millisecond) // a slow server: past --request-timeout 2s
		dropConnection(rw)
	case "slow":
		time.Sleep(1200 * time.Millisecond) // a slow server, within the timeout
		writeAnswer(rw, status, header, body)
	case "truncated-after-create":
		writeAnswer(rw, status, header, body[:len(body)/2])
	case "html-after-create":
		header.Set("Content-Type", "text/html")
		writeAnswer(rw, 200, header, []byte("<html><body>Internal error</body></html>"))
	default:
		return false
	}
	return true
}

// checkRetriesLogged: the log shows one retry per injected fault, and a
// retry for each kind of cause. An answer that asks everyone to wait (503
// and 429 with Retry-After, maxlag) pauses every worker: it is no fault of
// this request to back off from.
func checkRetriesLogged(t *testing.T, logPath string, injected int, kinds map[string]int) {
	t.Helper()
	retries, causes := 0, map[string]int{}
	for _, e := range readLog(t, logPath) {
		if e["msg"] == "createaccount" && e["action"] != "decide" {
			retries++
			causes[fmt.Sprint(e["code"])]++
			switch code := fmt.Sprint(e["code"]); code {
			case "http-503", "http-429", "maxlag":
				if e["action"] != "pause" {
					t.Errorf("a %s answer was followed by %v, want a pause of every worker", code, e["action"])
				}
			}
		}
	}
	if retries != injected {
		t.Errorf("the log shows %d retries (%v), %d faults were injected (%v)", retries, causes, injected, kinds)
	}
	for _, c := range []string{"network", "not-json", "http-502", "http-503", "http-429", "maxlag"} {
		if causes[c] == 0 {
			t.Errorf("the log shows no retry caused by %s: %v", c, causes)
		}
	}
}

// The wiki loses every session mid-run (its session store purged): the
// workers log in again and the run goes on, creating every account once.
// The sessions are purged while the 20th createaccount waits in the proxy,
// which then forwards it with a session the wiki no longer knows.
func TestSessionsPurgedMidRun(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "purge.csv", "purged", 60)
	purge := `$db = new PDO("sqlite:` + filepath.Join(w.Dir, "data", "wikicache.sqlite") + `");
		echo $db->exec("DELETE FROM objectcache WHERE keyname LIKE '%:MWSession:%'");`
	proxy := newFaultProxy(t, w.URL)
	purged := make(chan string, 1)
	proxy.before = func(n int, _ http.ResponseWriter) bool {
		if n == 20 {
			out, err := exec.Command("php", "-r", purge).CombinedOutput()
			purged <- fmt.Sprintf("%s %v", out, err)
		}
		return false
	}
	r := runCLI(t, nil, "run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--workers", "2", "--rate", "20/s", "--yes", sheet)
	select {
	case out := <-purged:
		t.Logf("sessions deleted: %s", out)
	default:
		t.Fatalf("the run (exit %d) never sent a 20th createaccount: the sessions were not purged", r.code)
	}
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	checkAllCreatedOnce(t, w, filepath.Join(dir, "purge.results.csv"), "purged", 60)
	relogins := 0
	for _, e := range readLog(t, filepath.Join(dir, "purge.log.jsonl")) {
		if e["msg"] == "createaccount" && e["action"] == "relogin" {
			relogins++
		}
	}
	if relogins == 0 {
		t.Error("the log shows no log-in after the sessions were purged: was the purge in time?")
	}
}

// The wiki goes read-only mid-run and back: everyone pauses and retries,
// and every account is created. Read-only mode is switched on while the
// 10th createaccount waits in the proxy (the wiki refuses it), and off once
// the wiki has refused readOnlyRefusals requests with readonly, before the
// last refusal is passed on.
func TestReadOnlyModeMidRun(t *testing.T) {
	// Long, and mostly waiting out the read-only pauses: alongside the other long ones.
	t.Parallel()
	const readOnlyRefusals = 2 // each costs the run a 15 s pause
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "ro.csv", "readonly", 40)
	proxy := newFaultProxy(t, w.URL)
	var mu sync.Mutex
	refused := 0
	setReadOnly := func(php string) {
		if err := w.AppendSettings(php); err != nil {
			t.Errorf("switch read-only mode (%s): %v", php, err)
		}
	}
	proxy.before = func(n int, _ http.ResponseWriter) bool {
		if n == 10 {
			setReadOnly(`$wgReadOnly = 'Database maintenance (test)';`)
		}
		return false
	}
	proxy.after = func(_ int, _ http.ResponseWriter, _ int, _ http.Header, body []byte) bool {
		if bytes.Contains(body, []byte(`"readonly"`)) {
			mu.Lock()
			defer mu.Unlock()
			if refused++; refused == readOnlyRefusals {
				setReadOnly(`$wgReadOnly = false;`)
			}
		}
		return false
	}
	r := runCLI(t, nil, "run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--rate", "10/s", "--yes", sheet)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	checkAllCreatedOnce(t, w, filepath.Join(dir, "ro.results.csv"), "readonly", 40)
	mu.Lock()
	if refused < readOnlyRefusals {
		t.Errorf("the wiki refused %d requests as read-only, want %d", refused, readOnlyRefusals)
	}
	mu.Unlock()
	paused := false
	for _, e := range readLog(t, filepath.Join(dir, "ro.log.jsonl")) {
		if e["msg"] == "pause" && strings.Contains(fmt.Sprint(e["why"]), "readonly") {
			paused = true
		}
	}
	if !paused {
		t.Error("the log shows no read-only pause")
	}
}

// The wiki fails every createaccount the same way, after it acted: each
// reaches the wiki, which creates the account, and its answer is replaced
// by the exception MediaWiki reports when its database fails. The run does
// not back off until --max-wait (30 minutes): it stops after five such
// answers in a row, every row pending, those whose account the wiki may
// hold saying so, and stderr says what the wiki answered and what to do.
// Once the wiki works again, --resume finds the accounts created without
// an answer in the newusers log and creates the rest, each exactly once.
func TestRunStopsWhenTheWikiFailsEveryRequest(t *testing.T) {
	const workers, rows = 2, 8
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "broken.csv", "broken", rows)
	results := filepath.Join(dir, "broken.results.csv")
	proxy := newFaultProxy(t, w.URL)
	proxy.after = func(n int, rw http.ResponseWriter, _ int, _ http.Header, _ []byte) bool {
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set("MediaWiki-API-Error", "internal_api_error_DBQueryError")
		fmt.Fprintf(rw, `{"error":{"code":"internal_api_error_DBQueryError","info":"[req%04d] Exception caught: A database query error has occurred. This may indicate a bug in the software.","errorclass":"Wikimedia\\Rdbms\\DBQueryError"}}`, n)
		return true
	}
	args := []string{"run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--workers", fmt.Sprint(workers), "--rate", "0", "--yes"}
	r := runCLI(t, nil, append(args, sheet)...)
	if r.code != exitRowsNotOK {
		t.Fatalf("exit %d, want %d:\n%s", r.code, exitRowsNotOK, r.stderr)
	}
	if r.elapsed > 2*time.Minute {
		t.Errorf("the run took %s to stop, want well under --max-wait's 30 minutes", r.elapsed.Round(time.Second))
	}
	if n := proxy.createCount(); n < 5 || n > 5+workers-1 {
		t.Errorf("%d createaccount requests, want 5 (and those in flight, %d at most)", n, 5+workers-1)
	}
	for _, want := range []string{"stopped: the wiki answered 5 requests in a row with the same error of its own, internal_api_error_DBQueryError",
		"Exception caught", "check that it works", "--resume"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	mayExist := 0
	for _, row := range readResults(t, results) {
		if row.Status != report.Pending || row.Code != "internal_api_error_DBQueryError" || !strings.Contains(row.Message, "--resume") {
			t.Errorf("line %d: %s %q (%s), want pending with the wiki's error and what to do", row.Line, row.Status, row.Code, row.Message)
		}
		if strings.Contains(row.Message, "may have created") {
			mayExist++
		}
	}
	held := 0
	for name := range newUsersByName(t, w) {
		if strings.HasPrefix(name, "Broken") {
			held++
		}
	}
	if held == 0 || mayExist < held {
		t.Errorf("the wiki holds %d accounts created without an answer, %d rows say the account may exist", held, mayExist)
	}

	proxy.mu.Lock()
	proxy.after = nil
	proxy.mu.Unlock()
	r = runCLI(t, nil, append(args, "--resume", sheet)...)
	if r.code != 0 {
		t.Fatalf("resume: exit %d:\n%s", r.code, r.stderr)
	}
	checkAllCreatedOnce(t, w, results, "broken", rows)
	found := 0
	for _, row := range readResults(t, results) {
		if strings.Contains(row.Message, "newusers log") {
			found++
		}
	}
	if found != held {
		t.Errorf("the resume found %d accounts in the newusers log, the first run created %d", found, held)
	}
}
