package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// Two runs of one sheet started together — plainly, and with --resume —
// are one run: the second refuses before any request, and the record of
// the first is whole, every row once.
func TestTwoRunsOfOneSheetAtOnce(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	for i, resume := range []bool{false, true} {
		w := wikitest.Start(t, wikitest.Options{})
		prefix := fmt.Sprintf("together%d", i)
		sheet := numberedSheet(t, dir, prefix+".csv", prefix, 20)
		results := filepath.Join(dir, prefix+".results.csv")
		proxy := newFaultProxy(t, w.URL)
		if resume {
			// Something to resume from: the first five rows, done.
			first := runCLI(t, nil, "run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
				"--rate", "0", "--yes", "--out", results, writeSheet(t, dir, prefix+".first.csv", firstLines(t, sheet, 6)))
			if first.code != 0 {
				t.Fatalf("the first five: exit %d", first.code)
			}
		}
		proxy.creates = 0
		release := make(chan struct{})
		held := make(chan struct{}, 1)
		proxy.before = func(n int, _ http.ResponseWriter) bool {
			if n == 3 {
				held <- struct{}{}
				awaitOrGiveUp(release) // the test releases it; a test that failed first does not
			}
			return false
		}
		args := []string{"run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "0", "--yes"}
		if resume {
			args = append(args, "--resume")
		}
		one := exec.Command(bin, append(args, sheet)...)
		var oneErr lockedBuffer
		one.Stderr = &oneErr
		exited := startProcess(t, one)
		select {
		case <-held:
		case <-exited:
			t.Fatalf("the first run ended early (%v):\n%s", one.ProcessState, oneErr.String())
		}
		other := newRecordingProxy(t, w.URL)
		second := runCLI(t, nil, append(append([]string{"run", "--api", other.API}, args[3:]...), sheet)...)
		close(release)
		waitExited(t, one, exited, "the first run, its request released")
		if second.code != 2 || !strings.Contains(second.stderr, results+" is in use by another mwprovision") {
			t.Errorf("resume %v: the second run: exit %d, %q", resume, second.code, second.stderr)
		}
		if n := len(other.actions()); n != 0 {
			t.Errorf("resume %v: the second run sent %v", resume, other.actions())
		}
		if code := one.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("resume %v: the first run: exit %d\n%s", resume, code, oneErr.String())
		}
		checkAllCreatedOnce(t, w, results, prefix, 20)
	}
}

// firstLines is the first n lines of a file.
func firstLines(t *testing.T, path string, n int) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.SplitAfter(string(b), "\n")[:n], "")
}

// The results on a file system that fills up mid-run: the run stops
// creating at once, says how many accounts it created beyond its record
// and that --resume finds them; the file holds whole rows; the failing log
// is said once. With room again, --resume records every account on the
// wiki exactly once.
func TestDiskFullThenResume(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	full := smallDisk(t, dir)
	sheet := numberedSheet(t, dir, "fill.csv", "filled", 120)
	results, log := filepath.Join(full, "fill.results.csv"), filepath.Join(full, "fill.log.jsonl")
	args := []string{"run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "0", "--yes",
		"--workers", "2", "--out", results, "--log-file", log, sheet}
	r := runCLI(t, nil, args...)
	if r.code != 1 || !strings.Contains(r.stderr, "the results file cannot be written") || !strings.Contains(r.stderr, "run again with --resume") {
		t.Fatalf("on a full disk: exit %d", r.code)
	}
	if n := strings.Count(r.stderr, "warning: the log file "+log+" cannot be written"); n != 1 {
		t.Errorf("the failing log is said %d times, want once", n)
	}
	b, err := os.ReadFile(results)
	if err != nil || len(b) == 0 || b[len(b)-1] != '\n' {
		t.Fatalf("the results do not end in a whole row (%v): %q", err, b[max(0, len(b)-80):])
	}
	recorded := len(readResults(t, results))
	created, _ := w.NewUsersLog()
	t.Logf("on the full disk: %d rows recorded, %d accounts on the wiki", recorded, len(created))
	if recorded >= 120 || len(created) == 0 {
		t.Fatalf("the disk did not fill mid-run: %d rows, %d accounts", recorded, len(created))
	}
	if out, err := exec.Command("mount", "-o", "remount,size=1m", full).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, out)
	}
	if r := runCLI(t, nil, append([]string{"run", "--resume"}, args[1:]...)...); r.code != 0 {
		t.Fatalf("--resume with room again: exit %d", r.code)
	}
	checkAllCreatedOnce(t, w, results, "filled", 120)
}

// A resumed run counts an account as created by an earlier attempt only
// when the new-users log shows this sheet's creator made it after this
// sheet's first run began: one the same creator made before is exists.
// And a record of one wiki is never resumed on another.
func TestResumeTrustsOnlyThisSheetsRecord(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 2, ThrottleSeconds: 600})
	dir := t.TempDir()
	before := runCLI(t, nil, "run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "0", "--yes",
		writeSheet(t, dir, "last-year.csv", "username,email\nreturning_person,r@example.org\n"))
	if before.code != 0 {
		t.Fatalf("last year's event: exit %d", before.code)
	}
	waitWikiClockPast(t, w, "Returning person", 3*time.Second)
	sheet := writeSheet(t, dir, "event.csv", "username,email\nnew_one,n1@example.org\nnew_two,n2@example.org\nnew_three,n3@example.org\nreturning_person,r2@example.org\n")
	first := runCLI(t, nil, "run", "--api", w.API, "--user", w.Limited.Login, "--password-file", w.Limited.PasswordFile,
		"--max-wait", "1m", "--rate", "0", "--yes", sheet)
	results := filepath.Join(dir, "event.results.csv")
	if rows := readResults(t, results); first.code != 1 || rows[3].Status != report.Pending || rows[3].FirstRunAt.IsZero() {
		t.Fatalf("the first run: exit %d, %+v", first.code, rows)
	}
	other := wikitest.Start(t, wikitest.Options{})
	elsewhere := runCLI(t, nil, "run", "--resume", "--api", other.API, "--user", other.Bulk.Login, "--password-file", other.Bulk.PasswordFile,
		"--rate", "0", "--yes", sheet)
	if elsewhere.code != 2 || !strings.Contains(elsewhere.stderr, "records a run on "+w.API+", not on "+other.API) {
		t.Errorf("--resume on another wiki: exit %d, %q", elsewhere.code, elsewhere.stderr)
	}
	if log, _ := other.NewUsersLog(); len(log) != 0 {
		t.Errorf("the other wiki got %d accounts", len(log))
	}
	again := runCLI(t, nil, "run", "--resume", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--rate", "0", "--yes", sheet)
	rows := readResults(t, results)
	if again.code != 0 || rows[2].Status != report.Created || rows[3].Status != report.Exists || rows[3].Code != "userexists" {
		t.Errorf("resumed: exit %d, rows %+v; want line 5 exists: its account is from before this sheet's first run", again.code, rows[2:])
	}
}

// A server that repeats the request in its errors, and a proxy in front of
// the real wiki that does, carry no secret into stderr, the log, the
// results or any report made from them.
func TestEchoedSecretsNeverReachOutputs(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	const sheetCanary = "Echoed/Canäry-Pässword-5c1e"
	sheet := writeSheet(t, dir, "e.csv", "username,password\necho_one,"+sheetCanary+"1\necho_two,"+sheetCanary+"2\n")
	recorder := newRecordingProxy(t, w.URL)
	echo := newEchoingProxy(t, strings.TrimSuffix(recorder.API, "/w/api.php"))
	secret, _ := os.ReadFile(w.Bulk.PasswordFile)
	botPassword := strings.TrimSpace(string(secret))
	env := map[string]string{"MWPROVISION_PASSWORD": botPassword}
	r := runCLI(t, env, "run", "--api", echo+"/w/api.php", "--user", w.Bulk.Login, "--mailpassword=false", "--rate", "0", "--yes",
		"--max-attempts", "1", sheet)
	// A server that repeats a refused login: the bot password goes no further.
	refused := runCLI(t, env, "run", "--api", newEchoingLogin(t)+"/w/api.php", "--user", w.Bulk.Login, "--mailpassword=false", "--yes",
		"--out", filepath.Join(dir, "refused.csv"), "--log-file", filepath.Join(dir, "refused.jsonl"), sheet)
	if refused.code != 2 || !strings.Contains(refused.stderr, "the wiki refused the login") {
		t.Errorf("the echoing login: exit %d, %q", refused.code, refused.stderr)
	}
	results := filepath.Join(dir, "e.results.csv")
	outputs := []string{r.stdout, r.stderr, refused.stderr}
	for _, format := range []string{"text", "markdown", "wikitext"} {
		rep := runCLI(t, nil, "report", "--format", format, results)
		outputs = append(outputs, rep.stdout+rep.stderr)
	}
	for _, f := range []string{results, filepath.Join(dir, "e.log.jsonl"), filepath.Join(dir, "refused.jsonl")} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	all := strings.Join(outputs, "\n")
	if strings.Count(all, "[secret]") < 4 {
		t.Fatalf("little was echoed, so the test proves little:\n%s", all)
	}
	for _, c := range append(recorder.secrets(), botPassword, sheetCanary, echoedLoginToken) {
		if strings.Contains(all, c) {
			t.Errorf("the secret %q reached an output", c)
		}
	}
}

// newEchoingProxy forwards to the wiki at base and, for action=createaccount,
// answers after the wiki has acted an internal error whose text repeats the
// request as it came — as a debugging front end might. It returns its URL.
func newEchoingProxy(t *testing.T, base string) string {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		out, _ := http.NewRequest(r.Method, base+r.URL.RequestURI(), bytes.NewReader(body))
		out.Header = r.Header.Clone()
		resp, err := client.Do(out)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if form, _ := url.ParseQuery(string(body)); form.Get("action") == "createaccount" {
			info, _ := json.Marshal("Internal error while handling " + string(body) + " with cookies " + r.Header.Get("Cookie"))
			rw.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(rw, `{"error":{"code":"internal_api_error_DBQueryError","info":%s}}`, info)
			return
		}
		writeAnswer(rw, resp.StatusCode, resp.Header, answer)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// echoedLoginToken is the login token the echoing login hands out.
const echoedLoginToken = "logintokencanary0123456789+\\"

// newEchoingLogin is a server that refuses every login with a reason that
// repeats the request. It returns its URL.
func newEchoingLogin(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rw.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("meta") == "tokens" {
			token, _ := json.Marshal(echoedLoginToken)
			fmt.Fprintf(rw, `{"query":{"tokens":{"logintoken":%s}}}`, token)
			return
		}
		reason, _ := json.Marshal("Incorrect password for " + string(body) + " (" + r.URL.RawQuery + ")")
		fmt.Fprintf(rw, `{"login":{"result":"Failed","reason":%s}}`, reason)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// waitWikiClockPast waits until the wiki's clock is past the creation of
// account by more than d: what was made before a run is then told from what
// the run makes, at the wiki's one-second resolution.
func waitWikiClockPast(t *testing.T, w *wikitest.Wiki, account string, d time.Duration) {
	t.Helper()
	var created time.Time
	if evs := newUsersByName(t, w)[account]; len(evs) == 1 {
		created, _ = time.Parse(time.RFC3339, evs[0].Timestamp)
	}
	if created.IsZero() {
		t.Fatalf("no creation of %s in the new-users log", account)
	}
	if !poll(time.Minute, nil, func() bool {
		var r struct {
			Query struct {
				General struct{ Time string } `json:"general"`
			} `json:"query"`
		}
		err := w.Anonymous().Get(url.Values{"action": {"query"}, "meta": {"siteinfo"}}, &r)
		now, _ := time.Parse(time.RFC3339, r.Query.General.Time)
		return err == nil && now.Sub(created) > d
	}) {
		t.Fatal("the wiki's clock does not move")
	}
}

// Against the real wiki, each way of naming one file twice is refused
// before anything is sent: nothing is created, the sheet stays byte for
// byte, and a link planted at the .partial leaves its target untouched.
func TestSameFilesAreRefusedBeforeAnythingIsSent(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	const sheetText = "username,email\nsame_file,s@example.org\n"
	for _, tt := range sameFileCases {
		dir := t.TempDir()
		sheet := writeSheet(t, dir, tt.sheet, sheetText)
		os.Symlink(sheet, filepath.Join(dir, "link.csv"))
		args := append([]string{"run"}, creatorArgs(w.Bulk, w)...)
		for _, a := range tt.args {
			args = append(args, strings.ReplaceAll(a, "DIR", dir))
		}
		if r := runCLI(t, nil, append(append(args, "--yes"), sheet)...); r.code != 2 {
			t.Errorf("%s: exit %d", tt.name, r.code)
		}
		if b, _ := os.ReadFile(sheet); string(b) != sheetText {
			t.Errorf("%s: the sheet changed: %q", tt.name, b)
		}
	}
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", sheetText)
	target := writeSheet(t, dir, "target.txt", "someone else's file\n")
	runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", sheet)...)
	if err := os.Symlink(target, filepath.Join(dir, "s.results.csv.partial")); err != nil {
		t.Fatal(err)
	}
	// Read through the link, the target is no results file: refused.
	if r := runCLI(t, nil, append(append([]string{"run", "--resume"}, creatorArgs(w.Bulk, w)...), "--yes", sheet)...); r.code != 2 ||
		!strings.Contains(r.stderr, "s.results.csv.partial is not a results file of mwprovision") {
		t.Errorf("--resume with a planted link: exit %d, %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(target); string(b) != "someone else's file\n" {
		t.Errorf("the link's target was written: %q", b)
	}
	if log := newUsersByName(t, w); len(log) != 1 {
		t.Errorf("the wiki holds %v, want only same_file's account from the one run allowed", log)
	}
}

// A run killed before it recorded a row leaves a results file of its header
// alone. Resumed, it claims as this sheet's only the accounts a run of the
// record asked the wiki to create, as its journal says: the same creator's
// account made for another event moments before this sheet's first run is
// exists, never created, however close in time.
func TestResumeClaimsOnlyWhatTheRecordAskedFor(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	bin := buildBinary(t)
	dir := t.TempDir()
	other := runCLI(t, nil, "run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "0", "--yes",
		writeSheet(t, dir, "other-event.csv", "username,email\nshared_person,s@example.org\n"))
	if other.code != 0 {
		t.Fatalf("the other event: exit %d\n%s", other.code, other.stderr)
	}
	sheet := writeSheet(t, dir, "event.csv", "username,email\nfirst_one,f@example.org\nsecond_one,s2@example.org\nshared_person,s3@example.org\n")
	results := filepath.Join(dir, "event.results.csv")
	proxy := newFaultProxy(t, w.URL)
	var cmd *exec.Cmd
	killAfterCreate(proxy, 1, func() { cmd.Process.Signal(syscall.SIGKILL) })
	cmd = exec.Command(bin, "run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "0", "--yes", sheet)
	<-startProcess(t, cmd)
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the first run was not killed: %v", cmd.ProcessState)
	}
	if rows := readResults(t, results); len(rows) != 0 {
		t.Fatalf("the killed run recorded %d rows, want its header alone", len(rows))
	}
	killAfterCreate(proxy, 0, nil)
	r := runCLI(t, nil, "run", "--resume", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "0", "--yes", sheet)
	rows := readResults(t, results)
	if len(rows) != 3 || rows[0].Status != report.Created || rows[1].Status != report.Created {
		t.Fatalf("resumed: exit %d, rows %+v; want the first two created\n%s", r.code, rows, r.stderr)
	}
	if rows[0].Message != "created by an earlier attempt whose answer was lost, as the newusers log shows" {
		t.Errorf("line 2, created by the killed run: %q, want it found in the new-users log", rows[0].Message)
	}
	if rows[2].Status != report.Exists || rows[2].Code != "userexists" {
		t.Errorf("line 4, the other event's account: %s %s (%s), want exists: this record never asked for it", rows[2].Status, rows[2].Code, rows[2].Message)
	}
	checkWikiHolds(t, w, "First one", map[string]bool{"First one": true})
}

// Resumed again and again on a disk that is still full, a run says no
// account is unrecorded that it did not create, and leaves no pile of
// kept-aside files behind; with room again, every account is recorded
// once.
func TestResumesOnAFullDiskSayOnlyWhatTheyDid(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	full := smallDisk(t, dir)
	sheet := numberedSheet(t, dir, "fill.csv", "again", 120)
	results := filepath.Join(full, "fill.results.csv")
	args := []string{"run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "0", "--yes",
		"--workers", "2", "--out", results, "--log-file", filepath.Join(full, "fill.log.jsonl"), sheet}
	if r := runCLI(t, nil, args...); r.code != 1 {
		t.Fatalf("on a full disk: exit %d\n%s", r.code, r.stderr)
	}
	unrecorded := regexp.MustCompile(`(\d+) accounts this run created are in no row`)
	for i := range 3 {
		before, _ := w.NewUsersLog()
		r := runCLI(t, nil, append([]string{"run", "--resume"}, args[1:]...)...)
		after, _ := w.NewUsersLog()
		made := len(after) - len(before)
		if m := unrecorded.FindStringSubmatch(r.stderr); m != nil && m[1] != strconv.Itoa(made) {
			t.Errorf("resume %d on the full disk says %s accounts it created are in no row; it created %d:\n%s", i+1, m[1], made, r.stderr)
		}
	}
	entries, _ := os.ReadDir(full)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if kept := strings.Count(strings.Join(names, " "), ".partial"); kept > 2 {
		t.Errorf("after three resumes on the full disk, %d partial files: %v", kept, names)
	}
	if out, err := exec.Command("mount", "-o", "remount,size=1m", full).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, out)
	}
	if r := runCLI(t, nil, append([]string{"run", "--resume"}, args[1:]...)...); r.code != 0 {
		t.Fatalf("--resume with room again: exit %d\n%s", r.code, r.stderr)
	}
	checkAllCreatedOnce(t, w, results, "again", 120)
}

// smallDisk mounts a 12 KiB file system of its own at dir/full, which a
// run's results soon fill, and returns its path.
func smallDisk(t *testing.T, dir string) string {
	t.Helper()
	full := filepath.Join(dir, "full")
	if err := os.Mkdir(full, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", full).CombinedOutput(); err != nil {
		t.Fatalf("this test needs a small file system of its own (mount -t tmpfs, as root): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", full).Run() })
	return full
}
