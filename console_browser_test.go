package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mwprovision/mwprovision/provision/i18n"
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
func TestConsoleInTheBrowser(t *testing.T) { consoleFlow(t, "en") }

// The same job in French, the browser asking for French: every word on
// the page is the catalogue's French, none is left in English.
func TestConsoleInFrench(t *testing.T) { consoleFlow(t, "fr") }

// The same job in Arabic: the page is right to left, its layout mirrored,
// and no English is left on it.
func TestConsoleInArabic(t *testing.T) { consoleFlow(t, "ar") }

func consoleFlow(t *testing.T, lang string) {
	t.Parallel() // mostly waiting for the wiki's window
	l := words(lang)
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 3, ThrottleSeconds: 12})
	dir := t.TempDir()
	form := writeSheet(t, t.TempDir(), "Event sign-up (Responses).csv", signupForm)
	c := startUI(t, dir)
	opts := []browser.Option{browser.Timeout(45 * time.Second)}
	if lang != "en" {
		opts = append(opts, browser.Language(lang))
	}
	b := browser.New(t, opts...)
	shot := func(name string) {
		if lang != "en" {
			name = lang + "-" + name
		}
		t.Logf("screenshot %s", b.Screenshot(name))
	}
	// english checks, on each page of the flow, that no English words of
	// the catalogue are left on a page in another language.
	english := func(step string) {
		if lang != "en" {
			noEnglishLeft(t, b, lang, step)
		}
	}

	b.Navigate(c.Open)
	b.WaitText("h1", "mwprovision")
	if strings.Contains(b.URL(), "token") {
		t.Errorf("the token stays in the address bar: %s", b.URL())
	}
	if lang == "ar" {
		rightToLeft(t, b)
	}
	english("the opening page")

	// 1. Connect, with the address of an ordinary page of the wiki.
	b.Fill(l.T("console-api"), w.URL+"/w/index.php?title=Main_Page")
	b.Fill(l.T("console-user"), w.Limited.Login)
	b.Fill(l.T("console-password"), w.Limited.Password)
	b.ClickButton(l.T("console-connect"))
	b.WaitText("#connect", l.T("fact-can-create", "Admin"))
	if got, want := b.Text("#connect"), l.T("fact-throttle", "Admin"); !strings.Contains(got, want) {
		t.Errorf("the connect step does not say the per-IP limit applies (%q):\n%s", want, got)
	}
	if strings.Contains(b.PageText(), w.Limited.Password) {
		t.Errorf("the page shows the bot password")
	}
	shot("console-connect")
	english("connected")

	// 2. The sheet: upload, then map the column of real names.
	b.Upload(l.T("console-sheet-file"), form)
	b.ClickButton(l.T("console-read-sheet"))
	b.WaitText("#sheet-counts", l.T("console-sheet-counts", l.T("console-rows", 7), 5))
	if got := b.Text("#sheet"); strings.Contains(got, "Ada Lovelace") {
		t.Errorf("the real name's column is mapped before it is chosen:\n%s", got)
	}
	b.Fill(l.T("field-realname"), "Your name as you want it shown")
	b.ClickButton(l.T("console-use-columns"))
	b.WaitText("#sheet", "Ada Lovelace")
	b.ClickButton(l.T("console-check-wiki"))
	b.WaitText("#table", l.T("console-table-check"))
	table := b.Text("#table")
	for _, st := range []string{"status-would-create", "status-duplicate", "status-invalid"} {
		if !strings.Contains(table, l.T(st)) {
			t.Errorf("the dry run's table has no %s row:\n%s", l.T(st), table)
		}
	}
	shot("console-sheet")
	english("the sheet, checked")

	// 3, 4. Options, and the confirmation.
	b.Fill(l.T("console-reason"), "Browser edit-a-thon")
	b.ClickButton(l.T("console-review"))
	b.WaitText("#confirm", l.T("console-create", 5))
	if got := b.Text("#confirm"); !strings.Contains(got, "Browser edit-a-thon") || strings.Contains(got, "wheelchair") ||
		!strings.Contains(got, l.T("console-c-column", l.T("field-realname"), "Your name as you want it shown")) {
		t.Errorf("the confirmation's public reason and columns:\n%s", got)
	}
	shot("console-confirm")
	english("the confirmation")

	// 5. The run: through the wiki's window, stopped in it.
	b.ClickButton(l.T("console-create", 5))
	b.Run("wait for the wiki's pause", chromedp.WaitVisible(chromedp.CSS("#pause")))
	if got := b.Text("#pause"); !strings.Contains(got, l.Number(3)) || !strings.Contains(got, l.T("duration-s", 12)) {
		t.Errorf("the pause says %q", got)
	}
	shot("console-run-paused")
	english("the run, paused")
	b.ClickButton(l.T("console-stop"))
	b.WaitText("#outcome", l.T("count-pending", 2))
	results := filepath.Join(dir, "Event sign-up _Responses_.results.csv")
	stopped := readResults(t, results)
	if n := count(stopped, report.Created); n != 3 {
		t.Errorf("after the stop in the pause, %d created, want the window's 3", n)
	}

	// Resume, from the list of earlier runs.
	b.ClickButton(l.T("console-resume", "Event sign-up _Responses_.csv"))
	b.WaitText("#sheet", l.T("console-resuming"))
	b.ClickButton(l.T("console-review"))
	b.WaitText("#confirm", l.T("console-create", 2))
	b.ClickButton(l.T("console-create", 2))
	b.WaitText("#outcome", l.T("count-created", 5))

	// 6. Afterwards: the wikitext copied, the results.
	b.ClickButton(l.T("console-copy"))
	b.WaitText("#copied", l.T("console-copied"))
	var list string
	b.Eval(`document.getElementById("wikitext").value`, &list)
	for _, name := range []string{"Ada Browser", "Grace Browser", "Katherine Browser", "Hedy Browser", "Radia Browser"} {
		if !strings.Contains(list, "[[User:"+name) {
			t.Errorf("the wikitext list lacks %s:\n%s", name, list)
		}
	}
	shot("console-results")
	english("the results")

	// The login slips to print, in the page's language: one per account.
	b.Navigate(c.URL + "/download/slips")
	b.WaitText("body", "Radia Browser")
	slips := b.Text("body")
	for _, name := range []string{"Ada Browser", "Grace Browser", "Katherine Browser", "Hedy Browser", "Radia Browser"} {
		if !strings.Contains(slips, name) {
			t.Errorf("the slips lack %s", name)
		}
	}
	if strings.Contains(slips, "Bad#Browser") || strings.Contains(slips, "ada@example.org") {
		t.Errorf("the slips name a row without an account, or a whole email address:\n%s", slips)
	}
	shot("console-slips")

	rows := readResults(t, results)
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

// noEnglishLeft checks that the page's own words (not the names and
// values it shows, which sit in <bdi>, fields and the wikitext) hold no
// English text of the catalogue: every English message's fixed words of
// ten letters or more that the language words otherwise.
func noEnglishLeft(t *testing.T, b *browser.Browser, lang, step string) {
	t.Helper()
	var words string
	b.Eval(`(() => {
		const c = document.body.cloneNode(true);
		c.querySelectorAll("bdi, textarea, input, option[dir=auto], script").forEach(e => e.remove());
		return c.textContent.replace(/\s+/g, " ");
	})()`, &words)
	for _, key := range i18n.Keys() {
		en, _ := i18n.Raw("en", key)
		other, _ := i18n.Raw(lang, key)
		if en == other {
			continue
		}
		for _, frag := range englishFragments(en) {
			// A term the translation keeps (mwprovision,
			// Special:BotPasswords) is not English left.
			if strings.Contains(words, frag) && !strings.Contains(other, frag) {
				t.Errorf("%s, in %s: English %q (of %s) is on the page", step, lang, frag, key)
			}
		}
	}
}

var markup = regexp.MustCompile(`\$\d+|\{\{PLURAL:\$\d+\||\}\}|\|`)

// englishFragments are the runs of words of a message between its
// parameters and markup that are long enough to be telling.
func englishFragments(msg string) []string {
	var out []string
	for _, f := range markup.Split(msg, -1) {
		f = strings.TrimSpace(f)
		letters := 0
		for _, r := range f {
			if unicode.IsLetter(r) {
				letters++
			}
		}
		if letters >= 10 {
			out = append(out, f)
		}
	}
	return out
}

// rightToLeft checks that an Arabic page is right to left for real: its
// computed direction, and a mirrored layout — the title at the right of
// the header and the Quit button at its left, a step's number at the
// right of its heading.
func rightToLeft(t *testing.T, b *browser.Browser) {
	t.Helper()
	var got struct {
		Dir                  string
		Title, Quit, Num, H2 float64
	}
	b.Eval(`(() => {
		const x = e => document.querySelector(e).getBoundingClientRect();
		return {Dir: getComputedStyle(document.body).direction, Title: x("h1").right, Quit: x(".quit button").right,
			Num: x("#h-connect .num").left, H2: x("#h-connect").left};
	})()`, &got)
	if got.Dir != "rtl" {
		t.Errorf("the Arabic page's direction is %q", got.Dir)
	}
	if got.Title <= got.Quit {
		t.Errorf("the title (right edge %.0f) is not to the right of Quit (%.0f): the header is not mirrored", got.Title, got.Quit)
	}
	if got.Num <= got.H2+50 {
		t.Errorf("a step's number (left %.0f) is not at the right of its heading (left %.0f)", got.Num, got.H2)
	}
}

// words are a language's messages as a page shows them (Plain).
type words string

func (w words) T(key string, params ...any) string {
	return browser.Plain(i18n.Lang(w).T(key, params...))
}

func (w words) Number(n int) string { return i18n.Lang(w).Number(n) }

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
