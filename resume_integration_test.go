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
	// created the account, the tool never hears so), or after a delay.
	points := []struct {
		afterCreate int
		delay       time.Duration
	}{{afterCreate: 7}, {delay: 900 * time.Millisecond}, {afterCreate: 23}, {delay: 400 * time.Millisecond}, {afterCreate: 41}}
	for i, pt := range points {
		proxy.mu.Lock()
		proxy.creates = 0
		proxy.after = nil
		if pt.afterCreate > 0 {
			k := pt.afterCreate
			proxy.after = func(n int, rw http.ResponseWriter, _ int, _ http.Header, _ []byte) bool {
				if n != k {
					return false
				}
				killNow()
				dropConnection(rw)
				return true
			}
		}
		proxy.mu.Unlock()
		a := args
		if i > 0 {
			a = append(a, "--resume")
		}
		cmd := exec.Command(bin, append(a, sheet)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		mu.Lock()
		current = cmd
		if err := cmd.Start(); err != nil {
			mu.Unlock()
			t.Fatal(err)
		}
		mu.Unlock()
		if pt.delay > 0 {
			time.AfterFunc(pt.delay, killNow)
		}
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("kill point %d: the run was not killed (%v); it may have finished too soon:\n%s", i, err, stderr.String())
		}
	}
	proxy.mu.Lock()
	proxy.after = nil
	proxy.mu.Unlock()
	final := exec.Command(bin, append(append(args, "--resume"), sheet)...)
	out, err := final.CombinedOutput()
	if err != nil {
		t.Fatalf("the final --resume: %v\n%s", err, out)
	}
	t.Logf("final resume:\n%s", out)
	checkAllCreatedOnce(t, w, filepath.Join(dir, "big.results.csv"), "killed", rows)
	if _, err := os.Stat(filepath.Join(dir, "big.results.csv.partial")); err == nil {
		t.Error("a .partial file is left after a completed resume")
	}
}

// Ctrl-C (a real SIGINT to the process): dispatching stops, the requests in
// flight finish, every row is recorded (the rest pending), exit 130; then
// --resume finishes the job. A second Ctrl-C ends the process at once and
// the results file is still valid CSV.
func TestCtrlCStopsGracefullyThenResume(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	bin := buildBinary(t)
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "ctrlc.csv", "interrupted", 100)
	args := []string{"run", "--api", w.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile, "--rate", "20/s", "--yes"}

	cmd := exec.Command(bin, append(args, sheet)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d after Ctrl-C, want 130:\n%s", code, stderr.String())
	}
	if took := time.Since(sent); took > 10*time.Second {
		t.Errorf("took %s to stop after Ctrl-C", took)
	}
	rows := readResults(t, filepath.Join(dir, "ctrlc.results.csv"))
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
	checkAllCreatedOnce(t, w, filepath.Join(dir, "ctrlc.results.csv"), "interrupted", 100)

	// Twice: the process ends at once, the file holds whole rows only.
	double := numberedSheet(t, dir, "double.csv", "twice", 100)
	cmd2 := exec.Command(bin, append(args, double)...)
	if err := cmd2.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd2.Process.Signal(syscall.SIGINT)
	time.Sleep(20 * time.Millisecond)
	second := time.Now()
	cmd2.Process.Signal(syscall.SIGINT)
	cmd2.Wait()
	if took := time.Since(second); took > 2*time.Second {
		t.Errorf("a second Ctrl-C took %s to end the process", took)
	}
	f, err := os.Open(filepath.Join(dir, "double.results.csv"))
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
