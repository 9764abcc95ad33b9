package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// faultProxy forwards to the real wiki and can, for action=createaccount,
// answer in its place before forwarding (the wiki never sees the request)
// or after (the wiki has acted; the tool hears something else).
type faultProxy struct {
	API    string
	target string
	client *http.Client

	mu      sync.Mutex
	creates int
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
	if form.Get("action") == "createaccount" {
		p.mu.Lock()
		p.creates++
		n = p.creates
		p.mu.Unlock()
		if p.before != nil && p.before(n, w) {
			return
		}
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
		http.Error(w, err.Error(), 502)
		return
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n > 0 && p.after != nil && p.after(n, w, resp.StatusCode, resp.Header, respBody) {
		return
	}
	writeAnswer(w, resp.StatusCode, resp.Header, respBody)
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
	evs, err := w.NewUsersLog()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range evs {
		seen[e.UserName()]++
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
		t.Errorf("the wiki holds %d new accounts, the results record %d created", len(seen), len(created))
	}
}

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

// A fault-injecting proxy between the tool and the real wiki spoils 20% of
// the creation requests, before or after the wiki acted. Every row ends
// created (those whose answer was lost too), the wiki holds exactly those
// accounts, and the log shows every retry with its cause.
func TestFaultsBetweenToolAndWiki(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	const rows = 200
	sheet := numberedSheet(t, dir, "faulty.csv", "faulty", rows)
	proxy := newFaultProxy(t, w.URL)
	rnd := rand.New(rand.NewPCG(2026, 11))
	kinds := map[string]int{}
	var kmu sync.Mutex
	pick := func() string {
		kmu.Lock()
		defer kmu.Unlock()
		if rnd.Float64() >= 0.2 {
			return ""
		}
		k := []string{"reset", "timeout-after-create", "502", "503", "429", "slow", "truncated-after-create", "html-after-create", "html", "maxlag"}[rnd.IntN(10)]
		kinds[k]++
		return k
	}
	fault := map[int]string{}
	proxy.before = func(n int, rw http.ResponseWriter) bool {
		k := pick()
		kmu.Lock()
		fault[n] = k
		kmu.Unlock()
		switch k {
		case "reset":
			dropConnection(rw)
		case "502":
			http.Error(rw, "<html><body>Bad gateway</body></html>", 502)
		case "503":
			rw.Header().Set("Retry-After", "1")
			http.Error(rw, "<html><body>Service unavailable</body></html>", 503)
		case "429":
			rw.Header().Set("Retry-After", "1")
			http.Error(rw, "<html><body>Too many requests</body></html>", 429)
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
	proxy.after = func(n int, rw http.ResponseWriter, status int, header http.Header, body []byte) bool {
		kmu.Lock()
		k := fault[n]
		kmu.Unlock()
		switch k {
		case "timeout-after-create":
			time.Sleep(2500 * time.Millisecond) // past --request-timeout 2s
			dropConnection(rw)
		case "slow":
			time.Sleep(1200 * time.Millisecond)
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
	r := runCLI(t, nil, "run", "--api", proxy.API, "--user", w.Bulk.Login, "--password-file", w.Bulk.PasswordFile,
		"--workers", "2", "--rate", "0", "--max-attempts", "10", "--request-timeout", "2s", "--yes", sheet)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	t.Logf("faults injected: %v", kinds)
	checkAllCreatedOnce(t, w, filepath.Join(dir, "faulty.results.csv"), "faulty", rows)

	injected := 0
	for k, n := range kinds {
		if k != "slow" {
			injected += n
		}
	}
	if injected < 20 {
		t.Fatalf("only %d faults injected: the test proves little", injected)
	}
	retries, causes := 0, map[string]int{}
	for _, e := range readLog(t, filepath.Join(dir, "faulty.log.jsonl")) {
		if e["msg"] == "createaccount" && e["action"] != "decide" {
			retries++
			causes[fmt.Sprint(e["code"])]++
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
