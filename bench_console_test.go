package main

import (
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/wikitest"
	"github.com/mwprovision/mwprovision/wikitest/browser"
)

// bigSheet is a sheet of n rows, every tenth with a problem to show.
func bigSheet(n int) []byte {
	var b strings.Builder
	b.WriteString("username,email,realname\n")
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("Participant %06d", i)
		if i%10 == 0 {
			name += "#" // invalid
		}
		fmt.Fprintf(&b, "%s,p%d@example.org,Person %d\n", name, i, i)
	}
	return []byte(b.String())
}

// The console of the built binary takes a 10,000-row and a 100,000-row
// sheet: the time from sending the upload to receiving the page with its
// offline table, the time to page through the larger one and filter it,
// and the console process's peak RSS.
func BenchmarkConsoleSheets(b *testing.B) {
	bin := buildBinary(b)
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cmd := exec.Command(bin, "ui", "--no-browser", "--dir", dir)
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		if !poll(30*time.Second, nil, func() bool { return consoleAddress.MatchString(stderr.String()) }) {
			cmd.Process.Kill()
			b.Fatalf("no address:\n%s", stderr.String())
		}
		m := consoleAddress.FindStringSubmatch(stderr.String())
		c := &uiConsole{URL: m[1], Open: m[1] + m[2], Dir: dir}
		p := c.page(b)
		for _, n := range []int{10_000, 100_000} {
			data := bigSheet(n)
			start := time.Now()
			page := p.upload(fmt.Sprintf("rows%d.csv", n), data)
			took := time.Since(start)
			if want := fmt.Sprintf("%d rows: %d pass the offline checks", n, n-n/10); !strings.Contains(text(page), want) {
				b.Fatalf("the page does not say %q", want)
			}
			b.ReportMetric(took.Seconds(), fmt.Sprintf("upload-%dk-s", n/1000))
		}
		start := time.Now()
		last := p.get(c.URL + "/?page=1000")
		problems := p.get(c.URL + "/?only=problems&page=50")
		b.ReportMetric(time.Since(start).Seconds()/2, "page-100k-s")
		if !strings.Contains(text(last), "page 1000 of 1000") || !strings.Contains(text(problems), "page 50 of 100") {
			b.Fatalf("paging the 100,000 rows:\n%s", text(problems)[:2000])
		}
		p.post("/quit", url.Values{})
		if err := cmd.Wait(); err != nil {
			b.Fatalf("the console: %v\n%s", err, stderr.String())
		}
		b.ReportMetric(float64(peakRSSKiB(cmd.ProcessState))/1024, "peak-RSS-MB")
	}
}

// A run from the console is as fast as the same run from the command
// line, on the real wiki: the command's whole run next to the console's
// from the options' form to the end, 200 accounts, 4 workers, no rate.
func BenchmarkConsoleRunVsCommandLine(b *testing.B) {
	const n = 200
	w := wikitest.Start(b, wikitest.Options{})
	var cli, con time.Duration
	for i := 0; i < b.N; i++ {
		for _, front := range []string{"cli", "console"} {
			dir := b.TempDir()
			prefix := fmt.Sprintf("B%d%s", i, front)
			var sheet strings.Builder
			sheet.WriteString("username,email\n")
			for j := 1; j <= n; j++ {
				fmt.Fprintf(&sheet, "%s %03d,%s%d@example.org\n", prefix, j, prefix, j)
			}
			if front == "cli" {
				path := writeSheet(b, dir, "s.csv", sheet.String())
				start := time.Now()
				r := runCLI(b, map[string]string{"MWPROVISION_PASSWORD": w.Bulk.Password}, "run", "--api", w.API, "--user", w.Bulk.Login,
					"--workers", "4", "--rate", "0", "--yes", "-q", path)
				cli += time.Since(start)
				if r.code != 0 {
					b.Fatalf("command line: exit %d", r.code)
				}
				continue
			}
			p := startUI(b, dir).page(b)
			p.post("/connect", url.Values{"api": {w.API}, "user": {w.Bulk.Login}, "password": {w.Bulk.Password}})
			p.upload("s.csv", []byte(sheet.String()))
			start := time.Now()
			confirm := p.post("/prepare", url.Values{"mode": {"mail"}, "workers": {"4"}, "rate": {"0"}})
			m := digestField.FindStringSubmatch(confirm)
			if m == nil {
				b.Fatalf("no confirmation:\n%s", text(confirm))
			}
			p.post("/run", url.Values{"digest": {m[1]}})
			done := p.waitRun(5 * time.Minute)
			con += time.Since(start)
			if !strings.Contains(text(done), fmt.Sprintf("%d created", n)) {
				b.Fatalf("the console's run:\n%s", text(done))
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/cli.Seconds(), "cli-acct/s")
	b.ReportMetric(float64(n*b.N)/con.Seconds(), "console-acct/s")
	b.ReportMetric(cli.Seconds()/con.Seconds(), "ratio")
}

// In a real browser: from the click on "Read the sheet" with a
// 10,000-row sheet chosen to its offline table on screen.
func BenchmarkConsoleSheetOnScreen(b *testing.B) {
	dir := b.TempDir()
	path := writeSheet(b, b.TempDir(), "rows10000.csv", string(bigSheet(10_000)))
	c := startUI(b, dir)
	br := browser.New(b)
	br.Navigate(c.Open)
	br.WaitText("h1", "mwprovision")
	var took time.Duration
	for i := 0; i < b.N; i++ {
		br.Navigate(c.URL + "/")
		br.Upload("The sign-up sheet (CSV: a form's or a spreadsheet's export)", path)
		start := time.Now()
		br.ClickButton("Read the sheet")
		br.WaitText("#table", "Participant 000100")
		took += time.Since(start)
		if got := br.Text("#sheet-counts"); !strings.Contains(got, "10000 rows: 9000 pass") {
			b.Fatalf("the sheet's counts: %q", got)
		}
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "on-screen-10k-s")
}
