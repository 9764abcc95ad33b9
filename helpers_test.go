// Test helpers shared by the tests of package main.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// cliRun runs the program in-process, like a user at a shell would.
type cliRun struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// bufferStreams are streams over buffers: stdin reads in, and tty makes
// stdin and stderr count as a terminal (a secret is then read from in).
func bufferStreams(in string, tty bool) (*streams, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	r := bufio.NewReader(strings.NewReader(in))
	read := func(ctx context.Context) (string, error) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		return r.ReadString('\n')
	}
	return &streams{in: r, out: &out, err: &errb, inTTY: tty, errTTY: tty, readLine: read, readSecret: read}, &out, &errb
}

func runCLI(t testing.TB, env map[string]string, args ...string) cliRun {
	t.Helper()
	return runCLIWith(t, "", false, env, args...)
}

// runCLIWith runs the program with stdin and, when tty, as if on a terminal.
func runCLIWith(t testing.TB, stdin string, tty bool, env map[string]string, args ...string) cliRun {
	t.Helper()
	s, out, errb := bufferStreams(stdin, tty)
	start := time.Now()
	code := run(context.Background(), append([]string{"mwprovision"}, args...), s, func(k string) string { return env[k] })
	r := cliRun{code: code, stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	t.Logf("mwprovision %s → exit %d in %s\n%s", strings.Join(args, " "), code, r.elapsed.Round(time.Millisecond), r.stderr)
	return r
}

func writeSheet(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeSecretFile writes a secret file that only its owner can read, as
// save-password does on every system.
func writeSecretFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := report.MakePrivate(path); err != nil {
		t.Fatal(err)
	}
}

func readResults(t *testing.T, path string) []report.Row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("results file: %v", err)
	}
	defer f.Close()
	rows, err := report.Read(f)
	if err != nil {
		t.Fatalf("read results %s: %v", path, err)
	}
	return rows
}

func creatorArgs(c wikitest.Creator, w *wikitest.Wiki) []string {
	return []string{"--api", w.API, "--user", c.Login, "--password-file", c.PasswordFile}
}

type expect struct {
	line      int
	status    report.Status
	canonical string
	code      string
}

func checkResults(t *testing.T, rows []report.Row, want []expect) {
	t.Helper()
	if len(rows) != len(want) {
		t.Fatalf("results have %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.Line != w.line || r.Status != w.status || (w.canonical != "" && r.Canonical != w.canonical) || (w.code != "" && r.Code != w.code) {
			t.Errorf("results row %d = line %d %s %q code %q (%s), want line %d %s %q code %q",
				i, r.Line, r.Status, r.Canonical, r.Code, r.Message, w.line, w.status, w.canonical, w.code)
		}
		if r.FinishedAt.IsZero() {
			t.Errorf("results row %d has no finished_at", i)
		}
	}
}

func newUsersByName(t *testing.T, w *wikitest.Wiki) map[string][]wikitest.LogEvent {
	t.Helper()
	evs, err := w.NewUsersLog()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]wikitest.LogEvent{}
	for _, e := range evs {
		m[e.UserName()] = append(m[e.UserName()], e)
	}
	return m
}

func readLog(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

func mustBotPassword(t *testing.T, w *wikitest.Wiki, app string, grants ...string) wikitest.Creator {
	t.Helper()
	c, err := w.CreateBotPassword("Admin", app, grants...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// built is the program, built once for every test of this process that
// runs it (buildBinary); TestMain removes it at the end.
var built struct {
	once     sync.Once
	dir, bin string
	out      []byte
	err      error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildBinary builds the program for a test that runs it as a process, the
// first time a test asks, and gives every later test the same; a test
// binary run where no Go is (the Windows tests under Wine) is given the
// program built for it in MWPROVISION_TEST_BINARY.
func buildBinary(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv("MWPROVISION_TEST_BINARY"); bin != "" {
		return bin
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "mwprovision-test-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "mwprovision")
		built.out, built.err = exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput()
	})
	if built.err != nil {
		tb.Fatalf("build: %v\n%s", built.err, built.out)
	}
	return built.bin
}

func numberedSheet(t *testing.T, dir, name, prefix string, n int) string {
	var b strings.Builder
	b.WriteString("username,email\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%s_%03d,%s%d@example.org\n", prefix, i, prefix, i)
	}
	return writeSheet(t, dir, name, b.String())
}

// checkAllCreatedOnce: every row created, one row per input row in order,
// and the wiki holds exactly these accounts, each created once.
func checkAllCreatedOnce(t *testing.T, w *wikitest.Wiki, results, prefix string, n int) {
	t.Helper()
	rows := readResults(t, results)
	if len(rows) != n {
		t.Fatalf("results have %d rows, want %d", len(rows), n)
	}
	created := map[string]bool{}
	for i, r := range rows {
		want := fmt.Sprintf("%s %03d", strings.ToUpper(prefix[:1])+prefix[1:], i+1)
		if r.Line != i+2 || r.Canonical != want || r.Status != report.Created {
			t.Errorf("row %d = line %d %q %s (%s), want line %d %q created", i, r.Line, r.Canonical, r.Status, r.Message, i+2, want)
		}
		created[r.Canonical] = true
	}
	checkWikiHolds(t, w, "", created)
}

// checkWikiHolds: of the accounts whose names start with prefix ("" for
// every one), the wiki's new-users log holds exactly those created, each
// created once.
func checkWikiHolds(t *testing.T, w *wikitest.Wiki, prefix string, created map[string]bool) {
	t.Helper()
	seen := map[string]int{}
	for name, evs := range newUsersByName(t, w) {
		if strings.HasPrefix(name, prefix) {
			seen[name] = len(evs)
		}
	}
	for name, c := range seen {
		if c != 1 {
			t.Errorf("%s was created %d times", name, c)
		}
		if !created[name] {
			t.Errorf("the wiki holds %s, which the results do not record as created", name)
		}
	}
	if len(seen) != len(created) {
		t.Errorf("the wiki holds %d new accounts %s*, the results record %d created", len(seen), prefix, len(created))
	}
}

// recordingProxy stands between mwprovision and the real wiki and records
// every request, to prove what was — and was not — sent.
type recordingProxy struct {
	API     string // the proxy's api.php URL
	mu      sync.Mutex
	reqs    []url.Values
	cookies []string // Cookie header values sent
	auth    []string // the Authorization header of every request ("" when absent)
	// before, when set, sees every request's parameters before the wiki does.
	before func(url.Values)
}

func newRecordingProxy(t *testing.T, wikiURL string) *recordingProxy {
	t.Helper()
	target, err := url.Parse(wikiURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		params := r.URL.Query()
		if form, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range form {
				params[k] = append(params[k], v...)
			}
		}
		p.mu.Lock()
		if p.before != nil {
			p.before(params)
		}
		p.reqs = append(p.reqs, params)
		p.auth = append(p.auth, r.Header.Get("Authorization"))
		if c := r.Header.Get("Cookie"); c != "" {
			p.cookies = append(p.cookies, c)
		}
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.API = srv.URL + "/w/api.php"
	return p
}

// secrets returns the token and cookie values that crossed the proxy.
func (p *recordingProxy) secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[string]bool{}
	for _, q := range p.reqs {
		for _, k := range []string{"createtoken", "lgtoken", "token", "logintoken", "lgpassword", "password", "retype"} {
			for _, v := range q[k] {
				seen[v] = true
			}
		}
	}
	for _, c := range p.cookies {
		for _, part := range strings.Split(c, ";") {
			if _, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
				seen[v] = true
			}
		}
	}
	var out []string
	for v := range seen {
		if len(v) >= 8 { // session ids, tokens, passwords; not flags like "1"
			out = append(out, v)
		}
	}
	return out
}

// actions counts the requests per action (and list= for queries).
func (p *recordingProxy) actions() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := map[string]int{}
	for _, q := range p.reqs {
		a := q.Get("action")
		if a == "query" {
			a += ":" + strings.Join([]string{q.Get("list"), q.Get("meta")}, "/")
		}
		n[a]++
	}
	return n
}

// faultProxy forwards to the real wiki and can, for action=createaccount
// (or the action it is set to count), answer in its place before forwarding (the wiki never sees the request)
// or after (the wiki has acted; the tool hears something else).
type faultProxy struct {
	API    string
	target string
	client *http.Client

	mu      sync.Mutex
	creates int
	// action is the action counted and faulted: createaccount unless set.
	action string
	// before may answer the n-th createaccount itself; true: handled.
	before func(n int, w http.ResponseWriter) bool
	// after may replace the wiki's answer to the n-th createaccount.
	after func(n int, w http.ResponseWriter, status int, header http.Header, body []byte) bool
}

func newFaultProxy(t *testing.T, wikiURL string) *faultProxy {
	p := &faultProxy{target: wikiURL, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.API = srv.URL + "/w/api.php"
	return p
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	n := 0
	p.mu.Lock()
	before, after := p.before, p.after // a test may change them between runs
	if action := form.Get("action"); action == "createaccount" && p.action == "" || action == p.action && action != "" {
		p.creates++
		n = p.creates
	}
	p.mu.Unlock()
	if n > 0 && before != nil && before(n, w) {
		return
	}
	out, err := http.NewRequest(r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	for _, h := range []string{"Content-Type", "Cookie", "User-Agent", "Authorization", "Accept"} {
		if v := r.Header.Get(h); v != "" {
			out.Header.Set(h, v)
		}
	}
	resp, err := p.client.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n > 0 && after != nil && after(n, w, resp.StatusCode, resp.Header, respBody) {
		return
	}
	writeAnswer(w, resp.StatusCode, resp.Header, respBody)
}

// createCount is how many createaccount requests reached the proxy.
func (p *faultProxy) createCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.creates
}

func writeAnswer(w http.ResponseWriter, status int, header http.Header, body []byte) {
	for k, vs := range header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	w.Write(body)
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
		}
	}
}

// poll checks cond every 20 ms until it holds (true), or until timeout has
// passed or stop is closed (false): tests wait on conditions, never on a
// fixed delay. stop may be nil.
func poll(timeout time.Duration, stop <-chan struct{}, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-stop:
			return cond()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// flushedRows reads the rows a running program has flushed to a results
// file so far, for polling. It never fails: a file not there yet holds no
// rows, and a last row caught half-written is left out (the text is cut
// after its last newline; should that still not parse, e.g. when the cut
// falls inside a quoted message, it counts as no rows and a later poll
// sees more).
func flushedRows(path string) []report.Row {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	rows, err := report.Read(bytes.NewReader(b[:bytes.LastIndexByte(b, '\n')+1]))
	if err != nil {
		return nil
	}
	return rows
}

// startProcess starts cmd and returns a channel closed once it has exited
// (cmd.ProcessState is then set). A process still running when the test
// ends is killed.
func startProcess(t *testing.T, cmd *exec.Cmd) <-chan struct{} {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited // killed: it ends
	})
	return exited
}

// processExitLimit bounds how long a test waits for a process it stopped
// to end: a run that never ends fails the test, not the suite's timeout.
const processExitLimit = 2 * time.Minute

// awaitOrGiveUp holds a proxied request until the test closes ch, or for
// processExitLimit at most: a test that fails before it closes ch must
// not leave the request, and the proxy's Close, waiting for ever.
func awaitOrGiveUp(ch <-chan struct{}) {
	select {
	case <-ch:
	case <-time.After(processExitLimit):
	}
}

// waitExited waits for the process of startProcess to end; when it does
// not within processExitLimit, it is killed and the test fails, saying
// what it waited for.
func waitExited(t *testing.T, cmd *exec.Cmd, exited <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-exited:
	case <-time.After(processExitLimit):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("%s: the process did not end within %s; killed", what, processExitLimit)
	}
}

// lockedBuffer is a bytes.Buffer that a running process writes to while
// the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writeResults writes rows as a results file.
func writeResults(t *testing.T, path string, rows ...report.Row) {
	t.Helper()
	f, err := report.Create(path, false, report.About{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(rows...); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(false); err != nil {
		t.Fatal(err)
	}
}
