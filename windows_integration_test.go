// Tests of the Windows build, driven from Linux: it runs under Wine in the
// trixie chroot.

//go:build linux

package main

import (
	"bytes"
	"fmt"
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

// wineBox is the Windows build of mwprovision in the trixie chroot that
// make other-systems builds (wikitest/trixie.sh), with a folder of its own
// that both sides see: dir on this machine, win under Wine.
type wineBox struct {
	exe      string // the program, as Wine names it
	dir, win string
}

// newWineBox builds the Windows program into the chroot; it fails, saying
// how to make one, when there is no chroot.
func newWineBox(t *testing.T) *wineBox {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the Windows build under Wine: run without -short (make test)")
	}
	out, err := exec.Command("bash", "wikitest/trixie.sh", "root").Output()
	if err != nil {
		t.Fatalf("wikitest/trixie.sh root: %v", err)
	}
	root := strings.TrimSpace(string(out))
	if _, err := os.Stat(filepath.Join(root, ".mwprovision-ready")); err != nil {
		t.Fatalf("no Wine to run the Windows build in: %v; make test builds it (make other-systems, or bash wikitest/trixie.sh ensure)", err)
	}
	name := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	b := &wineBox{dir: filepath.Join(root, "tmp", name), win: `Z:\tmp\` + name}
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(b.dir) })
	build := exec.Command("go", "build", "-o", filepath.Join(b.dir, "mwprovision.exe"), ".")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build for Windows: %v\n%s", err, out)
	}
	b.exe = b.win + `\mwprovision.exe`
	return b
}

// path is a file of the box as Wine names it.
func (b *wineBox) path(name string) string { return b.win + `\` + name }

// run runs the Windows program under Wine with stdin.
func (b *wineBox) run(t *testing.T, stdin string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"wikitest/trixie.sh", "wine", b.exe}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := cliRun{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), elapsed: time.Since(start)}
	for _, line := range strings.SplitAfter(stderr.String(), "\n") {
		if !strings.Contains(line, "XDG_RUNTIME_DIR") { // Wine's own notice, not the program's
			r.stderr += line
		}
	}
	if err != nil && r.code < 0 {
		t.Fatalf("wine: %v\n%s", err, stderr.String())
	}
	t.Logf("(Windows) mwprovision %s → exit %d in %s\n%s", strings.Join(args, " "), r.code, r.elapsed.Round(time.Millisecond), r.stderr)
	return r
}

// The Windows build, run for real under Wine against the real wiki, as a
// Windows user follows the README: save-password writes the bot password
// so that only they can read it, and a copy anyone may read is refused
// with Windows advice; a dry run; a run that creates five accounts and
// mails them; the results readable by the user alone; the wikitext report.
func TestWindowsBuildAgainstTheWiki(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	b := newWineBox(t)
	if r := b.run(t, w.Bulk.Password+"\n", "save-password", b.path("botpassword.txt")); r.code != 0 {
		t.Fatalf("save-password: exit %d", r.code)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "shared.txt"), []byte(w.Bulk.Password+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var sheet strings.Builder
	sheet.WriteString("username,email\r\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&sheet, "Windows user %d,win%d@example.org\r\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "signups.csv"), []byte(sheet.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	creator := []string{"--api", w.API, "--user", w.Bulk.Login, "--rate", "0"}

	r := b.run(t, "", append(append([]string{"run", "--dry-run"}, creator...), "--password-file", b.path("shared.txt"), b.path("signups.csv"))...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "can be read by") || !strings.Contains(r.stderr, "icacls") || strings.Contains(r.stderr, "chmod") {
		t.Errorf("a password file anyone may read: exit %d, want %d with Windows advice (icacls, not chmod)", r.code, exitUsage)
	}
	creator = append(creator, "--password-file", b.path("botpassword.txt"))
	if r := b.run(t, "", append(append([]string{"run", "--dry-run"}, creator...), b.path("signups.csv"))...); r.code != 0 || !strings.Contains(r.stderr, "5 rows: 5 would-create") {
		t.Errorf("dry run: exit %d", r.code)
	}
	if r := b.run(t, "", append(append([]string{"run"}, creator...), "--yes", b.path("signups.csv"))...); r.code != 0 {
		t.Fatalf("run: exit %d", r.code)
	}
	results := filepath.Join(b.dir, "signups.results.csv")
	created := map[string]bool{}
	for _, row := range readResults(t, results) {
		if row.Status == report.Created {
			created[row.Canonical] = true
		}
	}
	if len(created) != 5 {
		t.Errorf("%d accounts created, want 5", len(created))
	}
	checkWikiHolds(t, w, "Windows user", created)
	if mails, err := w.WaitMails(5, time.Minute); err != nil || len(mails) != 5 {
		t.Errorf("%d mails, want 5 (%v)", len(mails), err)
	}
	// Wine keeps a file's access list as Unix mode bits: "others" stand for
	// Everyone, so a list for the user alone leaves them empty.
	for _, name := range []string{"botpassword.txt", "signups.results.csv", "signups.log.jsonl"} {
		if fi, err := os.Stat(filepath.Join(b.dir, name)); err != nil || fi.Mode().Perm()&0o007 != 0 {
			t.Errorf("%s: %v %v, want no access for Everyone", name, fi.Mode(), err)
		}
	}
	r = b.run(t, "", "report", "--format", "wikitext", b.path("signups.results.csv"))
	if r.code != 0 || strings.Count(r.stdout, "* [[User:Windows user ") != 5 {
		t.Errorf("report: exit %d, stdout %q", r.code, r.stdout)
	}
}

// Ctrl-C reaches the Windows build as Windows sends it (Wine turns a
// SIGINT into a console Ctrl-C event): the first stops the run where it
// is, the second ends the program at once with exit 130. The wiki here
// takes the names and never answers.
func TestWindowsCtrlCStopsThenQuits(t *testing.T) {
	b := newWineBox(t)
	// The wiki says its language, then takes the names and never answers.
	hold := make(chan struct{})
	wiki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The request for the wiki's language (siteinfo, with the
		// texts of reserved names) is answered; nothing else is.
		if strings.HasPrefix(r.URL.Query().Get("meta"), "siteinfo") {
			fmt.Fprint(w, `{"query":{"general":{"sitename":"Held","lang":"en"}}}`)
			return
		}
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(hold); wiki.Close() })
	if err := os.WriteFile(filepath.Join(b.dir, "s.csv"), []byte("username,email\nann,a@example.org\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "wikitest/trixie.sh", "wine", b.exe, "run", "--dry-run",
		"--api", wiki.URL+"/w/api.php", b.path("s.csv"))
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	exited := startProcess(t, cmd)
	interrupt := func(after string) {
		t.Helper()
		if !poll(time.Minute, exited, func() bool { return strings.Contains(stderr.String(), after) }) {
			t.Fatalf("never saw %q:\n%s", after, stderr.String())
		}
		// The Windows program is the process that bears its path.
		out, err := exec.Command("pgrep", "-f", "^"+regexp.QuoteMeta(b.exe)).Output()
		pid, perr := strconv.Atoi(strings.Fields(string(out) + " x")[0])
		if err != nil || perr != nil {
			t.Fatalf("no process runs %s: %v %v", b.exe, err, perr)
		}
		if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	interrupt("the offline checks")
	interrupt("Ctrl-C again quits at once")
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the second Ctrl-C did not end the program:\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit %d, want %d:\n%s", code, exitInterrupted, stderr.String())
	}
}

// Started as Explorer starts a program on a double-click — no arguments,
// a console of its own — the Windows build opens the organizer's
// console in the browser (here a stand-in that records the address),
// which serves the page, and ends on the page's Quit.
func TestWindowsDoubleClickOpensTheConsole(t *testing.T) {
	b := newWineBox(t)
	build := exec.Command("go", "build", "-o", filepath.Join(b.dir, "recordurl.exe"), "./testdata/recordurl")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the stand-in browser: %v\n%s", err, out)
	}
	// wine start /unix: a console made for the program alone, as
	// Explorer makes one.
	unixExe := "/tmp/" + filepath.Base(b.dir) + "/mwprovision.exe"
	cmd := exec.Command("bash", "wikitest/trixie.sh", "wine", "start", "/unix", unixExe)
	cmd.Env = append(os.Environ(), "MWPROVISION_BROWSER="+b.path("recordurl.exe"), "MWPROVISION_TEST_URL_OUT="+b.path("url.txt"))
	// No pipes: the program started keeps its output handles for as
	// long as it runs.
	if err := cmd.Run(); err != nil {
		t.Fatalf("wine start: %v", err)
	}
	running := func() bool { return exec.Command("pgrep", "-f", regexp.QuoteMeta(b.exe)).Run() == nil }
	t.Cleanup(func() {
		if running() {
			exec.Command("pkill", "-f", regexp.QuoteMeta(b.exe)).Run()
		}
	})
	var open string
	if !poll(2*time.Minute, nil, func() bool {
		data, err := os.ReadFile(filepath.Join(b.dir, "url.txt"))
		open = string(data)
		return err == nil && open != ""
	}) {
		t.Fatalf("the program opened no browser (running: %t)", running())
	}
	m := regexp.MustCompile(`^(http://127\.0\.0\.1:\d+)/\?token=[0-9a-f]{64}$`).FindStringSubmatch(open)
	if m == nil {
		t.Fatalf("the browser was asked to open %q, not the console's address", open)
	}
	c := &uiConsole{URL: m[1], Open: open}
	p := c.page(t)
	page := text(p.get(c.URL + "/"))
	if !strings.Contains(page, "Connect to the wiki") {
		t.Fatalf("the console's page:\n%s", page)
	}
	t.Logf("the console of a double-click: %s", page[:min(len(page), 300)])
	p.post("/quit", url.Values{})
	if !poll(time.Minute, nil, func() bool { return !running() }) {
		t.Errorf("the program still runs a minute after Quit")
	}
}
