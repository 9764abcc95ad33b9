package main

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// uiConsole is `mwprovision ui` running in this process, as an organizer
// starts it, with the address it printed.
type uiConsole struct {
	Open, URL, Dir string
	stderr         *lockedBuffer
	exited         chan int
	stop           context.CancelFunc
}

var consoleAddress = regexp.MustCompile(`the console is at (http://[^/\s]+)(/\?token=[0-9a-f]+)`)

// startUI starts the console on a free port of 127.0.0.1, keeping its
// files in dir; it is stopped (as at Ctrl-C) at the end of the test.
func startUI(t testing.TB, dir string, args ...string) *uiConsole {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &uiConsole{Dir: dir, stderr: &lockedBuffer{}, exited: make(chan int, 1), stop: cancel}
	s := &streams{in: strings.NewReader(""), out: io.Discard, err: c.stderr,
		readLine:   func(context.Context) (string, error) { return "", io.EOF },
		readSecret: func(context.Context) (string, error) { return "", io.EOF }}
	go func() {
		c.exited <- run(ctx, append([]string{"mwprovision", "ui", "--no-browser", "--dir", dir}, args...), s, func(string) string { return "" })
	}()
	if !poll(30*time.Second, nil, func() bool { return consoleAddress.MatchString(c.stderr.String()) }) {
		cancel()
		t.Fatalf("the console never said its address:\n%s", c.stderr.String())
	}
	m := consoleAddress.FindStringSubmatch(c.stderr.String())
	c.URL, c.Open = m[1], m[1]+m[2]
	t.Cleanup(func() {
		cancel()
		select {
		case <-c.exited:
		case <-time.After(time.Minute):
			t.Errorf("the console did not end a minute after Ctrl-C:\n%s", c.stderr.String())
		}
	})
	return c
}

// page is a client of the console that behaves as its own page does:
// it opened the address with the token, and sends the page's Origin and
// form token.
type page struct {
	t    testing.TB
	c    *uiConsole
	http *http.Client
	csrf string
}

func (c *uiConsole) page(t testing.TB) *page {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	p := &page{t: t, c: c, http: &http.Client{Jar: jar, Timeout: 5 * time.Minute}}
	body := p.get(c.Open)
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the console's page has no form token:\n%s", body)
	}
	p.csrf = m[1]
	return p
}

func (p *page) get(u string) string {
	p.t.Helper()
	resp, err := p.http.Get(u)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("GET %s: %s\n%s", u, resp.Status, b)
	}
	return string(b)
}

// post sends a form as the page does, and returns the page it leads to.
func (p *page) post(path string, form url.Values) string {
	p.t.Helper()
	form.Set("csrf", p.csrf)
	req, _ := http.NewRequest(http.MethodPost, p.c.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return p.send(req)
}

// upload sends a sheet as the page's file field does, under name.
func (p *page) upload(name string, data []byte) string {
	p.t.Helper()
	req := p.uploadRequest(name, bytes.NewReader(data))
	return p.send(req)
}

func (p *page) uploadRequest(name string, data io.Reader) *http.Request {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		_ = mw.WriteField("csrf", p.csrf)
		fw, err := mw.CreateFormFile("sheet", name)
		if err == nil {
			_, err = io.Copy(fw, data)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequest(http.MethodPost, p.c.URL+"/sheet", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

func (p *page) send(req *http.Request) string {
	p.t.Helper()
	req.Header.Set("Origin", p.c.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := p.http.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("%s %s: %s\n%s", req.Method, req.URL.Path, resp.Status, b)
	}
	return string(b)
}

// text is a page's text without its markup, spaces folded, as a person
// reads it: inline elements (a name in <bdi>, <strong>, a link) run on
// with the words around them.
func text(page string) string {
	s := regexp.MustCompile(`(?s)</?(bdi|strong|a)\b[^>]*>`).ReplaceAllString(page, "")
	s = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(s, " ")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

var digestField = regexp.MustCompile(`name="digest" value="([0-9a-f]+)"`)

// attack sends one request that is not the console's own page's, and
// checks that it is refused with code.
func attack(t *testing.T, what string, req *http.Request, client *http.Client, code int) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != code {
		t.Errorf("%s: %s, want %d:\n%s", what, resp.Status, code, b)
	}
}

func fileNames(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			names = append(names, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func formRequest(method, u string, form url.Values) *http.Request {
	req, _ := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

func sprintRows(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("username,email\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%s%d,%s%d@example.org\n", prefix, i, prefix, i)
	}
	return b.String()
}

// Any web page the organizer has open can send requests to the console,
// and a name of an attacker's can be rebound to 127.0.0.1: each such
// request is refused, nothing is created on the wiki, and nothing is
// written outside the console's folder — with a run confirmed and
// waiting, a creator logged in and its password in the console's memory.
func TestConsoleRefusesWhatIsNotItsOwnPage(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	parent := t.TempDir()
	dir := filepath.Join(parent, "console")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	c := startUI(t, dir)
	p := c.page(t)
	p.post("/connect", url.Values{"api": {w.API}, "user": {w.Bulk.Login}, "password": {w.Bulk.Password}})
	p.upload("signups.csv", []byte(sprintRows("Sec", 3)))
	confirm := p.post("/prepare", url.Values{"reason": {"Security test"}, "mode": {"mail"}, "workers": {"1"}, "rate": {"0"}})
	m := digestField.FindStringSubmatch(confirm)
	if m == nil {
		t.Fatalf("no confirmation to attack:\n%s", text(confirm))
	}
	run := url.Values{"csrf": {p.csrf}, "digest": {m[1]}}
	u, _ := url.Parse(c.URL)
	port := u.Port()
	anon := &http.Client{Timeout: time.Minute}

	// No token: a page that only knows the port.
	attack(t, "a GET without the token's cookie", formRequest(http.MethodGet, c.URL+"/", nil), anon, http.StatusForbidden)
	attack(t, "a wrong token", formRequest(http.MethodGet, c.URL+"/?token=00"+strings.Repeat("a", 62), nil), anon, http.StatusForbidden)
	req := formRequest(http.MethodPost, c.URL+"/run", run)
	req.Header.Set("Origin", c.URL)
	attack(t, "a run without the cookie", req, anon, http.StatusForbidden)

	// DNS rebinding: the browser sends the attacker's name as Host, and
	// the console's cookie is not sent to that name — but refuse the Host
	// even with it.
	req = formRequest(http.MethodGet, c.URL+"/", nil)
	req.Host = "attacker.example:" + port
	attack(t, "a foreign Host", req, p.http, http.StatusMisdirectedRequest)
	req = formRequest(http.MethodPost, c.URL+"/run", run)
	req.Host = "attacker.example:" + port
	req.Header.Set("Origin", "http://attacker.example:"+port)
	attack(t, "a run through a rebound name", req, p.http, http.StatusMisdirectedRequest)

	// Another origin, with the cookie (as a browser sends it on a
	// top-level cross-site POST when SameSite is not honoured).
	req = formRequest(http.MethodPost, c.URL+"/run", run)
	req.Header.Set("Origin", "http://attacker.example")
	attack(t, "a foreign Origin", req, p.http, http.StatusForbidden)
	req = formRequest(http.MethodPost, c.URL+"/run", run)
	req.Header.Set("Origin", "null")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	attack(t, "a cross-site form post", req, p.http, http.StatusForbidden)
	req = formRequest(http.MethodPost, c.URL+"/run", url.Values{"digest": {m[1]}})
	req.Header.Set("Origin", c.URL)
	attack(t, "a post without the form's token", req, p.http, http.StatusForbidden)
	req = formRequest(http.MethodPost, c.URL+"/run", run)
	attack(t, "a post with no Origin", req, p.http, http.StatusForbidden)
	req = formRequest(http.MethodGet, c.URL+"/run?"+run.Encode(), nil)
	attack(t, "a GET of an action", req, p.http, http.StatusMethodNotAllowed)

	// An upload bigger than the console takes is refused as it is read.
	big := io.MultiReader(strings.NewReader("username,email\n"), &repeatReader{line: []byte("Big,big@example.org\n"), n: 65 << 20})
	req = p.uploadRequest("big.csv", big)
	req.Header.Set("Origin", c.URL)
	attack(t, "an oversized upload", req, p.http, http.StatusRequestEntityTooLarge)

	// A path in an upload's name is not a path: the sheet is saved in
	// the folder under its last part.
	for _, name := range []string{"../../escape.csv", `..\..\escape.csv`, "/tmp/escape.csv", "sub/../../escape.csv"} {
		p.upload(name, []byte(sprintRows("Esc", 1)))
	}
	if got := fileNames(t, parent); !slices.Equal(got, []string{"console/escape.csv", "console/signups.csv", "console/signups.log.jsonl"}) {
		t.Errorf("files after the uploads: %q, want only escape.csv, signups.csv and the run's log, in the console's folder", got)
	}
	if _, err := os.Stat("/tmp/escape.csv"); err == nil {
		t.Errorf("/tmp/escape.csv was written")
	}

	// Nothing was created, and the secret was never sent back.
	users, err := w.AllUsers()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if strings.HasPrefix(u, "Sec") || strings.HasPrefix(u, "Esc") {
			t.Errorf("the wiki holds %s", u)
		}
	}
	if page := p.get(c.URL + "/"); strings.Contains(page, w.Bulk.Password) {
		t.Errorf("the page holds the bot password")
	}
}

// repeatReader reads line over and over, n bytes in all.
type repeatReader struct {
	line []byte
	n    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.n > 0 {
		c := copy(p[k:min(len(p), k+r.n)], r.line[r.off:])
		r.off = (r.off + c) % len(r.line)
		k += c
		r.n -= c
	}
	return k, nil
}

// waitRun waits for the console's run or check to end, and returns the
// page then.
func (p *page) waitRun(timeout time.Duration) string {
	p.t.Helper()
	var last string
	if !poll(timeout, nil, func() bool {
		last = p.get(p.c.URL + "/")
		return strings.Contains(last, `data-phase="done"`)
	}) {
		p.t.Fatalf("the run did not end within %s:\n%s", timeout, text(last))
	}
	return last
}

// sameRecord compares two results files as bytes, but for what differs
// between two runs of one sheet: the times, and the wiki's address.
func sameRecord(t *testing.T, a, b string, wikiA, wikiB string) {
	t.Helper()
	times := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	norm := func(path, wiki string) string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return times.ReplaceAllString(strings.ReplaceAll(string(data), wiki, "WIKI"), "TIME")
	}
	if x, y := norm(a, wikiA), norm(b, wikiB); x != y {
		t.Errorf("the console's results differ from the command line's:\n--- console %s\n%s--- command line %s\n%s", a, x, b, y)
	}
}

// The console runs exactly what the command line runs: for the same
// sheet, column choice, reason and options, the two wikis hold the same
// accounts and the two results files are the same, byte for byte but for
// the times and the wiki's address; and the console's record resumes
// from the command line.
func TestConsoleRunIsTheCommandLinesRun(t *testing.T) {
	const sheetText = "Wiki name,Email address,Why here\n" +
		"Same_one,s1@example.org,\n" +
		"same one,s2@example.org,\n" + // a duplicate of line 2
		"Bad#name,b@example.org,\n" + // invalid
		"Plain,p@example.org,Teacher\n" +
		"Second,,\n" // no email: mailpassword needs one
	wc, wl := wikitest.Start(t, wikitest.Options{}), wikitest.Start(t, wikitest.Options{})

	// The command line, on one wiki.
	cliDir := t.TempDir()
	sheetPath := writeSheet(t, cliDir, "signups.csv", sheetText)
	r := runCLI(t, map[string]string{"MWPROVISION_PASSWORD": wl.Bulk.Password}, "run", "--api", wl.API, "--user", wl.Bulk.Login,
		"--column", "username=Wiki name", "--column", "email=Email address", "--column", "reason=",
		"--reason", "Console or not", "--rate", "0", "--yes", sheetPath)
	if r.code != exitRowsNotOK {
		t.Fatalf("command line: exit %d, want %d", r.code, exitRowsNotOK)
	}

	// The console, on the other.
	dir := t.TempDir()
	p := startUI(t, dir).page(t)
	p.post("/connect", url.Values{"api": {wc.API}, "user": {wc.Bulk.Login}, "password": {wc.Bulk.Password}})
	p.upload("signups.csv", []byte(sheetText))
	p.post("/columns", url.Values{"username": {"=Wiki name"}, "email": {"=Email address"}, "reason": {"="}})
	confirm := p.post("/prepare", url.Values{"reason": {"Console or not"}, "mode": {"mail"}, "workers": {"1"}, "rate": {"0"}})
	if got := text(confirm); !strings.Contains(got, "Create 2 accounts") || !strings.Contains(got, "Public reason “Console or not”") {
		t.Errorf("the confirmation does not say 2 accounts with the run's reason:\n%s", got)
	}
	m := digestField.FindStringSubmatch(confirm)
	if m == nil {
		t.Fatalf("no confirmation:\n%s", text(confirm))
	}
	p.post("/run", url.Values{"digest": {m[1]}})
	done := text(p.waitRun(time.Minute))
	if !strings.Contains(done, "2 created") {
		t.Errorf("the console's outcome:\n%s", done)
	}
	sameRecord(t, filepath.Join(dir, "signups.results.csv"), filepath.Join(cliDir, "signups.results.csv"), wc.API, wl.API)
	for _, w := range []*wikitest.Wiki{wc, wl} {
		users, err := w.Users("Same one", "Plain", "Second", "Bad#name")
		if err != nil {
			t.Fatal(err)
		}
		var made []string
		for _, u := range users {
			if !u.Missing && !u.Invalid {
				made = append(made, u.Name)
			}
		}
		if !slices.Equal(made, []string{"Same one", "Plain"}) {
			t.Errorf("%s holds %q, want Same one and Plain", w.API, made)
		}
	}

	// The console's record, resumed from the command line, after the
	// sheet is corrected.
	fixed := strings.Replace(sheetText, "Second,,", "Second,s3@example.org,", 1)
	if err := os.WriteFile(filepath.Join(dir, "signups.csv"), []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, map[string]string{"MWPROVISION_PASSWORD": wc.Bulk.Password}, "run", "--api", wc.API, "--user", wc.Bulk.Login,
		"--column", "username=Wiki name", "--column", "email=Email address", "--column", "reason=",
		"--reason", "Console or not", "--rate", "0", "--yes", "--resume", filepath.Join(dir, "signups.csv"))
	rows := readResults(t, filepath.Join(dir, "signups.results.csv"))
	var got []string
	for _, row := range rows {
		got = append(got, fmt.Sprintf("%d %s", row.Line, row.Status))
	}
	if want := []string{"2 created", "3 duplicate", "4 invalid", "5 created", "6 created"}; !slices.Equal(got, want) {
		t.Errorf("after the command line resumed the console's run: %q, want %q\n%s", got, want, r.stderr)
	}
}

// Ctrl-C ends the console as it ends a run: the run in progress stops
// (here in the wiki's window), every row is recorded, the record is
// committed, and the program exits 130.
func TestConsoleCtrlCStopsTheRunThenQuits(t *testing.T) {
	t.Parallel() // mostly waiting for the wiki's window
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 2, ThrottleSeconds: 30})
	dir := t.TempDir()
	c := startUI(t, dir)
	p := c.page(t)
	p.post("/connect", url.Values{"api": {w.API}, "user": {w.Limited.Login}, "password": {w.Limited.Password}})
	p.upload("signups.csv", []byte(sprintRows("Ctrl", 5)))
	confirm := p.post("/prepare", url.Values{"mode": {"mail"}, "workers": {"1"}, "rate": {"0"}})
	m := digestField.FindStringSubmatch(confirm)
	if m == nil {
		t.Fatalf("no confirmation:\n%s", text(confirm))
	}
	p.post("/run", url.Values{"digest": {m[1]}})
	results := filepath.Join(dir, "signups.results.csv")
	if !poll(time.Minute, nil, func() bool { return len(flushedRows(results)) >= 2 }) {
		t.Fatalf("the run did not reach the wiki's window:\n%s", text(p.get(c.URL+"/")))
	}
	c.stop() // Ctrl-C
	select {
	case code := <-c.exited:
		c.exited <- code // for the test's cleanup
		if code != exitInterrupted {
			t.Errorf("exit %d, want %d:\n%s", code, exitInterrupted, c.stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("the console did not end a minute after Ctrl-C:\n%s", c.stderr.String())
	}
	rows := readResults(t, results)
	if len(rows) != 5 || count(rows, report.Created) != 2 || count(rows, report.Pending) != 3 {
		t.Errorf("after Ctrl-C in the window: %+v, want 2 created and 3 pending", rows)
	}
	if _, err := os.Stat(results + ".partial"); err == nil {
		t.Errorf("the record was not committed: the .partial is still there")
	}
	if !strings.Contains(c.stderr.String(), "interrupted") {
		t.Errorf("the console did not say it was interrupted:\n%s", c.stderr.String())
	}
}

// What an organizer does wrong, or twice, leaves the console whole: a
// password typed for one wiki is never sent to another; a sheet whose
// username column has another name offers the column choice; an option
// the run refuses is said in its step and corrected there; two clicks on
// Review prepare one run; a sheet with nothing to send is recorded at
// once, every row, as run records it.
func TestConsoleHoldsUnderAnOrganizersMistakes(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	other := newRecordingProxy(t, w.URL) // another wiki, as far as the console knows
	dir := t.TempDir()
	c := startUI(t, dir)
	p := c.page(t)
	p.post("/connect", url.Values{"api": {w.API}, "user": {w.Bulk.Login}, "password": {w.Bulk.Password}})

	// The same login on another wiki, the password field left empty.
	page := text(p.post("/connect", url.Values{"api": {other.API}, "user": {w.Bulk.Login}}))
	if !strings.Contains(page, "a password typed for another wiki or login is never sent to this one") {
		t.Errorf("connecting to another wiki without its password:\n%s", page)
	}
	if secrets, actions := other.secrets(), other.actions(); len(secrets) > 0 || actions["login"] > 0 || actions["clientlogin"] > 0 {
		t.Errorf("the other wiki received %d secrets, actions %v", len(secrets), actions)
	}
	p.post("/connect", url.Values{"api": {w.API}, "user": {w.Bulk.Login}, "password": {w.Bulk.Password}})

	// A username column under another name: the choice is offered.
	page = text(p.upload("anmeldungen.csv", []byte("Benutzername,E-Mail\nMistake One,m1@example.org\nMistake Two,m2@example.org\n")))
	if !strings.Contains(page, "Which column feeds each field") {
		t.Fatalf("a sheet without a username column offers no column choice:\n%s", page)
	}
	page = text(p.post("/columns", url.Values{"username": {"=Benutzername"}, "email": {"=E-Mail"}}))
	if !strings.Contains(page, "2 rows: 2 pass the offline checks") {
		t.Fatalf("after choosing the columns:\n%s", page)
	}

	// confirmed without an expiry: refused in the options' step, then
	// corrected there.
	page = text(p.post("/prepare", url.Values{"mode": {"mail"}, "groups": {"confirmed"}, "workers": {"1"}, "rate": {"0"}}))
	if !strings.Contains(page, "expiry") || strings.Contains(page, "Create 2 accounts") {
		t.Errorf("confirmed without an expiry:\n%s", page)
	}
	// Two clicks on Review at once: one run is prepared, the other click
	// is told the console is busy; neither leaves the record locked.
	done := make(chan string, 2)
	for range 2 {
		go func() {
			done <- text(p.post("/prepare", url.Values{"mode": {"mail"}, "workers": {"1"}, "rate": {"0"}}))
		}()
	}
	a, b := <-done, <-done
	if !strings.Contains(a+b, "Create 2 accounts") {
		t.Fatalf("two clicks on Review prepared nothing:\n%s\n%s", a, b)
	}
	page = text(p.post("/prepare", url.Values{"mode": {"mail"}, "workers": {"1"}, "rate": {"0"}}))
	m := digestField.FindStringSubmatch(p.get(c.URL + "/"))
	if !strings.Contains(page, "Create 2 accounts") || m == nil {
		t.Fatalf("preparing again:\n%s", page)
	}
	p.post("/run", url.Values{"digest": {m[1]}})
	p.waitRun(time.Minute)

	// Nothing to send: every row recorded, at once, no confirmation.
	p.upload("none.csv", []byte("username,email\nBad#one,b1@example.org\nBad|two,b2@example.org\n"))
	p.post("/prepare", url.Values{"mode": {"mail"}, "workers": {"1"}, "rate": {"0"}})
	page = text(p.waitRun(time.Minute))
	rows := readResults(t, filepath.Join(dir, "none.results.csv"))
	if len(rows) != 2 || count(rows, report.Invalid) != 2 {
		t.Errorf("a sheet with nothing to send: %+v\n%s", rows, page)
	}
	rows = readResults(t, filepath.Join(dir, "anmeldungen.results.csv"))
	if count(rows, report.Created) != 2 {
		t.Errorf("the prepared run: %+v", rows)
	}
}
