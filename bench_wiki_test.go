package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/wikitest"
)

// rawCreate is the ceiling: n sessions, each logged in once with one
// createaccount token, sending the same fields as mwprovision as fast as the
// wiki answers — no pacing, no checks, no results, no log.
func rawCreate(b *testing.B, w *wikitest.Wiki, n int, names []string) time.Duration {
	b.Helper()
	secret, err := os.ReadFile(w.Bulk.PasswordFile)
	if err != nil {
		b.Fatal(err)
	}
	get := func(c *http.Client, q string, out any) {
		resp, err := c.Get(w.API + "?" + q + "&format=json&formatversion=2")
		if err != nil {
			b.Error(err)
			return
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(out)
	}
	start := time.Now()
	sessions := make([]session, n)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = n + 2
	var logins sync.WaitGroup
	for i := range sessions {
		logins.Add(1)
		go func(i int) { // log in concurrently, as mwprovision's workers do
			defer logins.Done()
			sessions[i] = rawSession(b, w.API, w.Bulk.Login, strings.TrimSpace(string(secret)), transport, get)
		}(i)
	}
	logins.Wait()
	work := make(chan string)
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		go func(s session) {
			defer wg.Done()
			for name := range work {
				resp, err := s.c.PostForm(w.API, url.Values{"action": {"createaccount"}, "assert": {"user"}, "maxlag": {"5"},
					"createmessageformat": {"raw"}, "createreturnurl": {w.API}, "createtoken": {s.token}, "username": {name},
					"email": {strings.ToLower(strings.ReplaceAll(name, " ", "")) + "@example.org"}, "realname": {""},
					"mailpassword": {"1"}, "format": {"json"}, "formatversion": {"2"}})
				if err != nil {
					b.Error(err)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.Contains(string(body), `"PASS"`) {
					b.Errorf("raw client: %s", body)
				}
			}
		}(s)
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	return time.Since(start)
}

type session struct {
	c     *http.Client
	token string
}

// rawSession logs in with the bot password and fetches one createaccount token.
func rawSession(b *testing.B, api, user, password string, t http.RoundTripper, get func(*http.Client, string, any)) session {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: t}
	var tok struct {
		Query struct{ Tokens map[string]string } `json:"query"`
	}
	get(c, "action=query&meta=tokens&type=login", &tok)
	resp, err := c.PostForm(api, url.Values{"action": {"login"}, "lgname": {user},
		"lgpassword": {password}, "lgtoken": {tok.Query.Tokens["logintoken"]}, "format": {"json"}})
	if err != nil {
		b.Error(err)
		return session{c, ""}
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	get(c, "action=query&meta=tokens&type=createaccount", &tok)
	return session{c, tok.Query.Tokens["createaccounttoken"]}
}

// toolCreate runs mwprovision itself on the same kind of sheet.
func toolCreate(b *testing.B, w *wikitest.Wiki, n int, names []string) time.Duration {
	b.Helper()
	dir := b.TempDir()
	var sb strings.Builder
	sb.WriteString("username,email\n")
	for _, name := range names {
		fmt.Fprintf(&sb, "%s,%s@example.org\n", name, strings.ToLower(strings.ReplaceAll(name, " ", "")))
	}
	sheet := filepath.Join(dir, "bench.csv")
	os.WriteFile(sheet, []byte(sb.String()), 0o600)
	s, _, stderr := bufferStreams("", false)
	start := time.Now()
	code := run(context.Background(), []string{"mwprovision", "run", "--api", w.API, "--user", w.Bulk.Login,
		"--password-file", w.Bulk.PasswordFile, "--workers", fmt.Sprint(n), "--rate", "0", "--quiet", "--yes", sheet},
		s, func(string) string { return "" })
	took := time.Since(start)
	if code != 0 {
		b.Fatalf("mwprovision exit %d: %s", code, stderr.String())
	}
	return took
}

// BenchmarkWikiCeiling: accounts per second through mwprovision at 1, 2, 4
// and 8 workers, next to the raw client's ceiling measured in the same run
// on the same wiki, with cheap crypto and with MediaWiki's stock settings.
// Target: tool/ceiling >= 0.95 at the best worker count, on both settings.
func BenchmarkWikiCeiling(b *testing.B) {
	for _, setting := range []struct {
		name  string
		stock bool
		rows  int
	}{{"cheap-crypto", false, 120}, {"stock-crypto", true, 60}} {
		w := wikitest.Start(b, wikitest.Options{StockCrypto: setting.stock})
		batch := 0
		names := func(kind string) []string {
			batch++
			var out []string
			for i := 0; i < setting.rows; i++ {
				out = append(out, fmt.Sprintf("Bench %s %d %04d", kind, batch, i))
			}
			return out
		}
		for _, n := range []int{1, 2, 4, 8} {
			b.Run(fmt.Sprintf("%s/workers=%d", setting.name, n), func(b *testing.B) {
				var raw, tool time.Duration
				for i := 0; i < b.N; i++ {
					raw += rawCreate(b, w, n, names("raw"))
					tool += toolCreate(b, w, n, names("tool"))
				}
				rawRate := float64(setting.rows*b.N) / raw.Seconds()
				toolRate := float64(setting.rows*b.N) / tool.Seconds()
				b.ReportMetric(rawRate, "ceiling-acct/s")
				b.ReportMetric(toolRate, "tool-acct/s")
				b.ReportMetric(toolRate/rawRate, "ratio")
			})
		}
	}
}

// BenchmarkThrottleEfficiency: the wiki allows 3 creations per 20 s for
// this IP; 12 rows with the limited creator need 4 windows, so at least the
// 3 windows between them (60 s). Target: wall time <= 1.15 × that minimum.
func BenchmarkThrottleEfficiency(b *testing.B) {
	const count, window, rows = 3, 20 * time.Second, 12
	w := wikitest.Start(b, wikitest.Options{ThrottleCount: count, ThrottleSeconds: int(window / time.Second)})
	minimum := time.Duration((rows+count-1)/count-1) * window
	var total time.Duration
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		var sb strings.Builder
		sb.WriteString("username,email\n")
		for j := 0; j < rows; j++ {
			fmt.Fprintf(&sb, "throttle_bench_%d_%02d,t%d_%d@example.org\n", i, j, i, j)
		}
		sheet := filepath.Join(dir, "t.csv")
		os.WriteFile(sheet, []byte(sb.String()), 0o600)
		s, _, stderr := bufferStreams("", false)
		start := time.Now()
		code := run(context.Background(), []string{"mwprovision", "run", "--api", w.API, "--user", w.Limited.Login,
			"--password-file", w.Limited.PasswordFile, "--workers", "4", "--rate", "0", "--quiet", "--yes", sheet},
			s, func(string) string { return "" })
		total += time.Since(start)
		if code != 0 {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
		if i+1 < b.N {
			time.Sleep(window + 2*time.Second) // let the last window pass
		}
	}
	wall := total / time.Duration(b.N)
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(minimum.Seconds(), "minimum-s")
	b.ReportMetric(wall.Seconds()/minimum.Seconds(), "ratio")
}

// BenchmarkDryRunOnline100k: an online dry run of 100,000 names, as an
// organizer checks a sign-up sheet before the event (no --user: the names
// are asked about anonymously, 50 a request), at the default flags and with
// --rate 0. The checks only read, so --rate, the rate of creations, must
// not pace them. Target: default / --rate 0 <= 2.
func BenchmarkDryRunOnline100k(b *testing.B) {
	const rows = 100_000
	w := wikitest.Start(b, wikitest.Options{})
	dir := b.TempDir()
	var sb strings.Builder
	sb.WriteString("username,email\n")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&sb, "Signup %06d,s%d@example.org\n", i, i)
	}
	sheet := filepath.Join(dir, "signup.csv")
	if err := os.WriteFile(sheet, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	dryRun := func(extra ...string) time.Duration {
		s, _, stderr := bufferStreams("", false)
		args := append([]string{"mwprovision", "run", "--dry-run", "--api", w.API, "--quiet",
			"--out", filepath.Join(dir, "out.csv"), "--log-file", filepath.Join(dir, "log.jsonl")}, extra...)
		start := time.Now()
		code := run(context.Background(), append(args, sheet), s, func(string) string { return "" })
		took := time.Since(start)
		if code != 0 {
			b.Fatalf("dry run %v: exit %d: %s", extra, code, stderr.String())
		}
		return took
	}
	var def, unpaced time.Duration
	for i := 0; i < b.N; i++ {
		def += dryRun()
		unpaced += dryRun("--rate", "0")
	}
	b.ReportMetric(def.Seconds()/float64(b.N), "default-s")
	b.ReportMetric(unpaced.Seconds()/float64(b.N), "rate0-s")
	b.ReportMetric(def.Seconds()/unpaced.Seconds(), "ratio")
}
