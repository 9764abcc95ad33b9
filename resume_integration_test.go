package main

import (
	"bytes"
	"net/http"
	"os"
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

// kill -9 at five moments of a 200-row run — twice right after a creation
// request was sent and done by the wiki, before its answer came back — then
// --resume: nothing is lost, nothing is created twice.
func TestKillNineThenResume(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	bin := buildBinary(t)
	dir := t.TempDir()
	const rows = 200
	sheet := numberedSheet(t, dir, "big.csv", "killed", rows)
	results := filepath.Join(dir, "big.results.csv")
	proxy := newFaultProxy(t, w.URL)
	var mu sync.Mutex
	var current *exec.Cmd
	killNow := func() {
		mu.Lock()
		defer mu.Unlock()
		if current != nil && current.Process != nil {
			current.Process.Signal(syscall.SIGKILL)
		}
	}
	args := []string{"run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--workers", "2", "--rate", "40/s", "--yes"}
	// Each kill point: after the n-th createaccount of that run (the wiki has
	// created the account, the tool never hears so), or once the run has
	// recorded newRows rows of its own in its results file, with requests in
	// flight.
	points := []struct{ afterCreate, newRows int }{{afterCreate: 7}, {newRows: 15}, {afterCreate: 23}, {newRows: 4}, {afterCreate: 41}}
	for i, pt := range points {
		killAfterCreate(proxy, pt.afterCreate, killNow)
		a, file, before := args, results, 0
		if i > 0 {
			// A resumed run writes NAME.partial: first the rows it carries
			// forward, then its own. Beyond every row on record, whatever
			// its status, are surely its own (and a NAME.partial left by the
			// last killed run, not yet truncated, holds no more than that).
			a, file, before = append(a, "--resume"), results+".partial", rowsOnRecord(t, results)
		}
		cmd := exec.Command(bin, append(a, sheet)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		mu.Lock()
		current = cmd
		mu.Unlock()
		exited := startProcess(t, cmd)
		if pt.newRows > 0 {
			want := before + pt.newRows
			if poll(time.Minute, exited, func() bool { return len(flushedRows(file)) >= want }) {
				killNow()
			}
		}
		waitExited(t, cmd, exited, "the run, killed at its kill point")
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("kill point %d: the run was not killed (%v); it may have finished too soon:\n%s", i, cmd.ProcessState, stderr.String())
		}
		t.Logf("kill point %d: killed with %d rows in %s, %d of them on record before", i, len(flushedRows(file)), filepath.Base(file), before)
	}
	killAfterCreate(proxy, 0, nil)
	final := exec.Command(bin, append(append(args, "--resume"), sheet)...)
	out, err := final.CombinedOutput()
	if err != nil {
		t.Fatalf("the final --resume: %v\n%s", err, out)
	}
	t.Logf("final resume:\n%s", out)
	checkAllCreatedOnce(t, w, results, "killed", rows)
	if _, err := os.Stat(results + ".partial"); err == nil {
		t.Error("a .partial file is left after a completed resume")
	}
}

// killAfterCreate makes the proxy call kill right after the wiki has done
// the k-th createaccount from now on, and drop its answer (k 0: never).
func killAfterCreate(p *faultProxy, k int, kill func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.creates, p.after = 0, nil
	if k > 0 {
		p.after = func(n int, rw http.ResponseWriter, _ int, _ http.Header, _ []byte) bool {
			if n != k {
				return false
			}
			kill()
			dropConnection(rw)
			return true
		}
	}
}

// rowsOnRecord is how many rows the results at path and their NAME.partial
// hold between them (by canonical name, as --resume reads them).
func rowsOnRecord(t *testing.T, path string) int {
	t.Helper()
	done, err := report.ReadPrevious(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(done.Rows)
}

// Ctrl-C (a real SIGINT to the process): dispatching stops, the requests in
// flight finish, every row is recorded (the rest pending), exit 130; then
// --resume finishes the job. A second Ctrl-C ends the process at once and
// the results file is still valid CSV.
func TestCtrlCStopsGracefullyThenResume(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	bin := buildBinary(t)
	dir := t.TempDir()
	ctrlCOnceThenResume(t, w, bin, dir)
	ctrlCTwice(t, w, bin, dir)
}

// ctrlCOnceThenResume: one Ctrl-C once the run has recorded 10 rows of 100
// (at 20/s the other 90 take 4.5 s at least), then --resume.
func ctrlCOnceThenResume(t *testing.T, w *wikitest.Wiki, bin, dir string) {
	t.Helper()
	sheet := numberedSheet(t, dir, "ctrlc.csv", "interrupted", 100)
	results := filepath.Join(dir, "ctrlc.results.csv")
	args := []string{"run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "20/s", "--yes"}
	cmd := exec.Command(bin, append(args, sheet)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	exited := startProcess(t, cmd)
	if !poll(time.Minute, exited, func() bool { return len(flushedRows(results)) >= 10 }) {
		cmd.Process.Kill()
		waitExited(t, cmd, exited, "the run, killed")
		t.Fatalf("the run never recorded 10 rows (%v):\n%s", cmd.ProcessState, stderr.String())
	}
	cmd.Process.Signal(syscall.SIGINT)
	// That it stopped dispatching shows in the rows left pending (the 90
	// rows left take 4.5 s at least at 20/s), not in how soon it ended.
	select {
	case <-exited:
	case <-time.After(time.Minute): // a hang guard, not a bound on speed
		t.Fatalf("still running a minute after Ctrl-C:\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130:\n%s", code, stderr.String())
	}
	rows := readResults(t, results)
	counts := map[report.Status]int{}
	for _, r := range rows {
		counts[r.Status]++
	}
	if len(rows) != 100 || counts[report.Created] == 0 || counts[report.Pending] == 0 || counts[report.Created]+counts[report.Pending] != 100 {
		t.Fatalf("after Ctrl-C: %d rows, %v; want 100 rows, created and pending", len(rows), counts)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say the run was interrupted:\n%s", stderr.String())
	}
	if out, err := exec.Command(bin, append(append(args, "--resume"), sheet)...).CombinedOutput(); err != nil {
		t.Fatalf("--resume: %v\n%s", err, out)
	}
	checkAllCreatedOnce(t, w, results, "interrupted", 100)
}

// ctrlCTwice: the second Ctrl-C ends the process at once, the file holds
// whole rows only. A proxy holds every createaccount from the 11th on (the
// wiki never sees them): the first Ctrl-C comes while one is surely in
// flight, and the run, which lets it finish for up to --request-timeout
// (1 min), cannot end of itself before the second.
func ctrlCTwice(t *testing.T, w *wikitest.Wiki, bin, dir string) {
	t.Helper()
	const holdFrom = 11
	proxy := newFaultProxy(t, w.URL)
	held, release := make(chan struct{}, 1), make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the proxy's server closes: it waits for its handlers
	proxy.before = func(n int, rw http.ResponseWriter) bool {
		if n < holdFrom {
			return false
		}
		select {
		case held <- struct{}{}:
		default:
		}
		awaitOrGiveUp(release) // the test releases it; a test that failed first does not
		dropConnection(rw)
		return true
	}
	results := filepath.Join(dir, "double.results.csv")
	cmd := exec.Command(bin, "run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--rate", "20/s", "--yes", numberedSheet(t, dir, "double.csv", "twice", 100))
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	exited := startProcess(t, cmd)
	inFlight := false
	if !poll(time.Minute, exited, func() bool {
		select {
		case <-held:
			inFlight = true
		default:
		}
		return inFlight && len(flushedRows(results)) >= holdFrom-1
	}) {
		cmd.Process.Kill()
		waitExited(t, cmd, exited, "the run, killed")
		t.Fatalf("the run never recorded %d rows with a request held (%v)", holdFrom-1, cmd.ProcessState)
	}
	cmd.Process.Signal(syscall.SIGINT)
	// The program says when it has taken the first Ctrl-C; the second is
	// sent then, once.
	if !poll(10*time.Second, exited, func() bool { return strings.Contains(stderr.String(), "Ctrl-C again quits at once") }) {
		t.Fatalf("the first Ctrl-C was not acknowledged (%v):\n%s", cmd.ProcessState, stderr.String())
	}
	// A request is held, unanswered: the run cannot end of itself before
	// --request-timeout (1 min), so ending before the guard below, and by
	// the signal (the wait status says so), is ending at once.
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(30 * time.Second): // a hang guard, not a bound on speed
		t.Fatalf("the run still goes on 30 s after the second Ctrl-C:\n%s", stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("the process was not ended by the second Ctrl-C: %v", cmd.ProcessState)
	}
	f, err := os.Open(results)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, err := report.Read(f); err != nil || len(got) == 0 {
		t.Errorf("after two Ctrl-C the results are not valid CSV with rows: %d rows, %v", len(got), err)
	}
}

// --resume matches rows by canonical name: after the sheet was reordered and
// rows were added, the rows created before keep their outcome on their new
// lines, and only the others are attempted.
func TestResumeAfterTheSheetChanged(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 2, ThrottleSeconds: 600})
	dir := t.TempDir()
	sheet := filepath.Join(dir, "changing.csv")
	writeSheet(t, dir, "changing.csv", "username,email\nfirst_one,f1@example.org\nsecond_one,s2@example.org\nthird_one,t3@example.org\nfourth_one,f4@example.org\n")
	r := runCLI(t, nil, "run", "--api", w.API, "--user", w.Limited.Login, "--password-file", w.Limited.PasswordFile,
		"--max-wait", "1m", "--rate", "0", "--yes", sheet)
	first := readResults(t, filepath.Join(dir, "changing.results.csv"))
	if r.code != 1 || first[0].Status != report.Created || first[1].Status != report.Created || first[2].Status != report.Pending {
		t.Fatalf("first run: exit %d, %+v", r.code, first)
	}
	// Reordered, one row spelled differently but the same account, one added.
	writeSheet(t, dir, "changing.csv", "username,email\nfourth_one,f4@example.org\nnew_one,n5@example.org\nThird one,t3@example.org\nfirst_one,f1@example.org\nSecond_one,s2@example.org\n")
	r2 := runCLI(t, nil, "run", "--resume", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--rate", "0", "--yes", sheet)
	if r2.code != 0 || !strings.Contains(r2.stderr, "resuming: 2 rows already created or existing, 3 to create") {
		t.Fatalf("resume: exit %d\n%s", r2.code, r2.stderr)
	}
	rows := readResults(t, filepath.Join(dir, "changing.results.csv"))
	checkResults(t, rows, []expect{
		{2, report.Created, "Fourth one", ""}, {3, report.Created, "New one", ""}, {4, report.Created, "Third one", ""},
		{5, report.Created, "First one", ""}, {6, report.Created, "Second one", ""},
	})
	if rows[3].FinishedAt != first[0].FinishedAt || rows[4].FinishedAt != first[1].FinishedAt {
		t.Error("the rows created by the first run were not carried forward")
	}
	evs, _ := w.NewUsersLog()
	if len(evs) != 5 {
		t.Errorf("the wiki holds %d new accounts, want 5", len(evs))
	}
}
