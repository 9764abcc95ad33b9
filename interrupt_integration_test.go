package main

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

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

// The wiki loses every session mid-run (its session store purged): the
// workers log in again and the run goes on, creating every account once.
func TestSessionsPurgedMidRun(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "purge.csv", "purged", 60)
	purge := `$db = new PDO("sqlite:` + filepath.Join(w.Dir, "data", "wikicache.sqlite") + `");
		echo $db->exec("DELETE FROM objectcache WHERE keyname LIKE '%:MWSession:%'");`
	purged := make(chan string, 1)
	time.AfterFunc(1500*time.Millisecond, func() {
		out, err := exec.Command("php", "-r", purge).CombinedOutput()
		purged <- fmt.Sprintf("%s %v", out, err)
	})
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--workers", "2", "--rate", "20/s", "--yes", sheet)...)
	t.Logf("sessions deleted: %s", <-purged)
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
// and every account is created.
func TestReadOnlyModeMidRun(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := numberedSheet(t, dir, "ro.csv", "readonly", 40)
	time.AfterFunc(1*time.Second, func() { w.AppendSettings(`$wgReadOnly = 'Database maintenance (test)';`) })
	time.AfterFunc(5*time.Second, func() { w.AppendSettings(`$wgReadOnly = false;`) })
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "10/s", "--yes", sheet)...)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	checkAllCreatedOnce(t, w, filepath.Join(dir, "ro.results.csv"), "readonly", 40)
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

// TLS is always verified: a wiki whose certificate no known CA signed is
// refused, and SSL_CERT_FILE adds a CA (as for an internal wiki).
func TestTLSVerifiedAndExtraCAsFromSSLCertFile(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	bin := buildBinary(t)
	target, _ := url.Parse(w.URL)
	tlsWiki := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(target))
	defer tlsWiki.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsWiki.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	sheet := writeSheet(t, dir, "tls.csv", "username,email\ntls_person,t@example.org\n")
	run := func(env ...string) (int, string) {
		cmd := exec.Command(bin, "run", "--dry-run", "--api", tlsWiki.URL+"/w/api.php", "--user", w.Bulk.Login,
			"--password-file", w.Bulk.PasswordFile, sheet)
		cmd.Env = append(os.Environ(), env...)
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := run(); code != 2 || !strings.Contains(out, "certificate") {
		t.Errorf("an unknown certificate: exit %d, %s; want 2 and a certificate error", code, out)
	}
	if code, out := run("SSL_CERT_FILE=" + ca); code != 0 {
		t.Errorf("with SSL_CERT_FILE: exit %d, %s; want 0", code, out)
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
