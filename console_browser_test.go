package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
	"github.com/mwprovision/mwprovision/wikitest/browser"
)

// signupForm is a sign-up form's export, as organizers download it: a
// timestamp, the form's own questions as headers, a private answer.
const signupForm = "Timestamp,Wiki username,Email address,Your name as you want it shown,Do you need reasonable accommodations?\n" +
	"2026/11/20 10:01:02,Ada Browser,ada@example.org,Ada Lovelace,\n" +
	"2026/11/20 10:03:40,Grace Browser,grace@example.org,Grace Hopper,wheelchair access\n" +
	"2026/11/20 10:05:11,Katherine Browser,katherine@example.org,Katherine Johnson,\n" +
	"2026/11/20 10:06:59,Hedy Browser,hedy@example.org,Hedy Lamarr,\n" +
	"2026/11/20 10:07:30,ada Browser,ada2@example.org,Ada again,\n" +
	"2026/11/20 10:08:01,Radia Browser,radia@example.org,Radia Perlman,\n" +
	"2026/11/20 10:09:12,Bad#Browser,bad@example.org,Typo,\n"

// The organizer's whole job in a real browser, against the real wiki,
// with a creator the wiki's per-IP limit holds (3 accounts per 12 s):
// connect with the wiki's ordinary address, upload a sign-up form's
// export, change a column's mapping, read the offline and online dry
// run, confirm, watch the run pause for the wiki's window, stop, resume
// from the list of earlier runs, and copy the wikitext. The wiki then
// holds exactly the confirmed accounts, each created once, and the
// private answer is nowhere on it.
func TestConsoleInTheBrowser(t *testing.T) {
	t.Parallel() // mostly waiting for the wiki's window
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 3, ThrottleSeconds: 12})
	dir := t.TempDir()
	form := writeSheet(t, t.TempDir(), "Event sign-up (Responses).csv", signupForm)
	c := startUI(t, dir)
	b := browser.New(t, browser.Timeout(45*time.Second))
	shot := func(name string) { t.Logf("screenshot %s", b.Screenshot(name)) }

	b.Navigate(c.Open)
	b.WaitText("h1", "mwprovision")
	if strings.Contains(b.URL(), "token") {
		t.Errorf("the token stays in the address bar: %s", b.URL())
	}

	// 1. Connect, with the address of an ordinary page of the wiki.
	b.Fill("The wiki's address", w.URL+"/w/index.php?title=Main_Page")
	b.Fill("Bot password's user name", w.Limited.Login)
	b.Fill("Bot password", w.Limited.Password)
	b.ClickButton("Connect")
	b.WaitText("#connect", "Connected to")
	if got := b.Text("#connect"); !strings.Contains(got, "limit of accounts per IP address applies") {
		t.Errorf("the connect step does not say the per-IP limit applies:\n%s", got)
	}
	if strings.Contains(b.PageText(), w.Limited.Password) {
		t.Errorf("the page shows the bot password")
	}
	shot("console-connect")

	// 2. The sheet: upload, then map the full name to realname.
	b.Upload("The sign-up sheet (CSV: a form's or a spreadsheet's export)", form)
	b.ClickButton("Read the sheet")
	b.WaitText("#sheet-counts", "7 rows: 5 pass the offline checks")
	if got := b.Text("#sheet"); strings.Contains(got, "Ada Lovelace") {
		t.Errorf("the real name's column is mapped before it is chosen:\n%s", got)
	}
	b.Fill("realname", "Your name as you want it shown")
	b.ClickButton("Use these columns")
	b.WaitText("#sheet", "Ada Lovelace")
	b.ClickButton("Check the names against the wiki")
	b.WaitText("#table", "The wiki's answers (dry run)")
	table := b.Text("#table")
	for _, want := range []string{"would-create", "duplicate", "invalid"} {
		if !strings.Contains(table, want) {
			t.Errorf("the dry run's table has no %s row:\n%s", want, table)
		}
	}
	shot("console-sheet")

	// 3, 4. Options, and the confirmation.
	b.Fill("Reason (public: shown in the wiki's log of new accounts, for ever)", "Browser edit-a-thon")
	b.ClickButton("Review before creating")
	b.WaitText("#confirm", "Create 5 accounts")
	if got := b.Text("#confirm"); !strings.Contains(got, "Browser edit-a-thon") || strings.Contains(got, "wheelchair") ||
		!strings.Contains(got, "realname ← “Your name as you want it shown”") {
		t.Errorf("the confirmation's public reason:\n%s", got)
	}
	shot("console-confirm")

	// 5. The run: through the wiki's window, stopped in it.
	b.ClickButton("Create 5 accounts")
	b.WaitText("#pause", "every worker waits")
	shot("console-run-paused")
	b.ClickButton("Stop")
	b.WaitText("#outcome", "pending")
	stopped := readResults(t, filepath.Join(dir, "Event sign-up _Responses_.results.csv"))
	if n := count(stopped, report.Created); n != 3 {
		t.Errorf("after the stop in the pause, %d created, want the window's 3", n)
	}

	// Resume, from the list of earlier runs.
	b.ClickButton("Resume Event sign-up _Responses_.csv")
	b.WaitText("#sheet", "resuming")
	b.ClickButton("Review before creating")
	b.WaitText("#confirm", "Create 2 accounts")
	b.ClickButton("Create 2 accounts")
	b.WaitText("#outcome", "5 created")

	// 6. Afterwards: the wikitext copied, the results.
	b.ClickButton("Copy the list")
	b.WaitText("#copied", "Copied")
	var list string
	b.Eval(`document.getElementById("wikitext").value`, &list)
	for _, name := range []string{"Ada Browser", "Grace Browser", "Katherine Browser", "Hedy Browser", "Radia Browser"} {
		if !strings.Contains(list, "[[User:"+name) {
			t.Errorf("the wikitext list lacks %s:\n%s", name, list)
		}
	}
	shot("console-results")

	rows := readResults(t, filepath.Join(dir, "Event sign-up _Responses_.results.csv"))
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%d %s %s", r.Line, r.Canonical, r.Status))
	}
	want := []string{"2 Ada Browser created", "3 Grace Browser created", "4 Katherine Browser created", "5 Hedy Browser created",
		"6 Ada Browser duplicate", "7 Radia Browser created", "8  invalid"}
	if !slices.Equal(got, want) {
		t.Errorf("results:\n%q\nwant\n%q", got, want)
	}
	created := newUsersByName(t, w)
	for _, name := range []string{"Ada Browser", "Grace Browser", "Katherine Browser", "Hedy Browser", "Radia Browser"} {
		if n := len(created[name]); n != 1 {
			t.Errorf("%s created %d times", name, n)
		}
		for _, e := range created[name] {
			if e.Comment != "Browser edit-a-thon" {
				t.Errorf("%s's public reason: %q", name, e.Comment)
			}
		}
	}
	if len(created) != 5 {
		t.Errorf("the wiki created %d accounts, want 5: %v", len(created), created)
	}
	if _, err := os.Stat(filepath.Join(dir, "Event sign-up _Responses_.csv")); err != nil {
		t.Errorf("the sheet is not in the console's folder: %v", err)
	}
}

func count(rows []report.Row, st report.Status) int {
	n := 0
	for _, r := range rows {
		if r.Status == st {
			n++
		}
	}
	return n
}

// The console can be used by keyboard alone and read at 200 % zoom: every
// control has a label, Tab reaches each of the first step's controls in
// order, Enter in the form sends it, and a window half as wide (the same
// page at 200 %) needs no scrolling sideways.
func TestConsoleByKeyboardAndAtTwiceTheZoom(t *testing.T) {
	dir := t.TempDir()
	c := startUI(t, dir)
	b := browser.New(t, browser.WindowSize(640, 900))
	b.Navigate(c.Open)
	b.WaitText("h1", "mwprovision")
	b.Upload("The sign-up sheet (CSV: a form's or a spreadsheet's export)", writeSheet(t, t.TempDir(), "s.csv", signupForm))
	b.ClickButton("Read the sheet")
	b.WaitText("#sheet-counts", "7 rows")

	var unlabelled []string
	b.Eval(`[...document.querySelectorAll("input:not([type=hidden]), select, textarea, button, a[href]")]
		.filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !(e.textContent || "").trim())
		.map(e => e.outerHTML.slice(0, 120))`, &unlabelled)
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %q", unlabelled)
	}
	var overflow int
	b.Eval(`document.documentElement.scrollWidth - document.documentElement.clientWidth`, &overflow)
	if overflow > 0 {
		t.Errorf("at 200 %% (640 px) the page is %d px wider than the window", overflow)
	}
	t.Logf("screenshot %s", b.Screenshot("console-zoom"))

	var wide []string
	b.Eval(`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
		.map(e => e.tagName + "." + e.className + "#" + e.id).slice(0, 10)`, &wide)
	if len(wide) > 0 {
		t.Logf("wider than the window: %q", wide)
	}

	// Tab from the top of a freshly loaded page through the first step.
	var order []string
	b.Navigate(c.URL + "/")
	b.WaitText("h1", "mwprovision")
	for i := 0; i < 8; i++ {
		b.Run("press Tab", chromedp.KeyEvent(kb.Tab))
		var id string
		b.Eval(`document.activeElement.id || document.activeElement.textContent.trim()`, &id)
		order = append(order, id)
	}
	if want := []string{"lang", "Change", "Quit", "api", "user", "password"}; !slices.Equal(order[:6], want) {
		t.Errorf("Tab reaches %q, want %q first", order, want)
	}
	// Enter in a field sends its form: here the connect step, which says
	// what is wrong with an address that is no wiki.
	b.Run("focus the address", chromedp.Focus(chromedp.CSS("#api")))
	b.Run("type an address and Enter", chromedp.SendKeys(chromedp.CSS("#api"), "ftp://nowhere"+kb.Enter))
	b.WaitText("#connect", "is not the address of a wiki")
}
