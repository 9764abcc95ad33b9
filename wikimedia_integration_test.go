package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// A Wikimedia-like wiki (wikitest.MakeWikimediaLike), every protection at
// once, as an organizer meets them on the day: what the dry run predicts,
// what the run does, and what the wiki holds afterwards. make test runs it
// on MediaWiki 1.39 and 1.43.
func TestWikimediaLikeWiki(t *testing.T) {
	w, wm := wikitest.StartWikimediaLike(t, wikitest.Options{})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("username,email\nSpam_bot,s@example.org\nTroll_king,t@example.org\n")
	for i := 1; i <= wikitest.WikimediaThrottle; i++ {
		fmt.Fprintf(&b, "guest_%d,g%d@example.org\n", i, i)
	}
	sheet := writeSheet(t, dir, "event.csv", b.String())

	checkRefusedCreators(t, w, wm, sheet)

	// About the rows. The dry run sees the title blacklist (cancreate) but
	// not AbuseFilter, and says so; the creator lacks noratelimit.
	dry := runCLI(t, nil, append(append([]string{"run", "--dry-run"}, creatorArgs(w.Limited, w)...), sheet)...)
	for _, want := range []string{"the wiki runs AbuseFilter, which judges an account only when it is created", "lacks the noratelimit right"} {
		if !strings.Contains(dry.stderr, want) {
			t.Errorf("the dry run does not say %q", want)
		}
	}
	if dry.code != exitRowsNotOK {
		t.Errorf("dry run: exit %d, want %d", dry.code, exitRowsNotOK)
	}
	want := []expect{{2, report.WouldCreate, "Spam bot", ""}, {3, report.Invalid, "Troll king", "titleblacklist-forbidden"}}
	for i := 1; i <= wikitest.WikimediaThrottle; i++ {
		want = append(want, expect{3 + i, report.WouldCreate, fmt.Sprintf("Guest %d", i), ""})
	}
	checkResults(t, readResults(t, filepath.Join(dir, "event.dry-run.results.csv")), want)
	// The blacklist's rule reads as the wiki's administrators wrote it,
	// though MediaWiki 1.43 sends it escaped for wikitext ("&#60;").
	if line := "line 3: \"Troll_king\": the wiki's title blacklist forbids this username (titleblacklist-forbidden-new-account: .*Troll.* <newaccountonly>, Troll king)"; !strings.Contains(dry.stderr, line) {
		t.Errorf("the dry run's report lacks %q", line)
	}

	// The run, one worker so that the order is the sheet's: the filter
	// and the title blacklist refuse their rows, each refusal using up one
	// of the day's 6 (as Wikimedia configures TitleBlacklist, it judges
	// after the throttle counts), four guests are created and the last two
	// wait for tomorrow: pending, past --max-wait.
	run := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Limited, w)...),
		"--workers", "1", "--rate", "0", "--max-wait", "3s", "--yes", sheet)...)
	if run.code != exitRowsNotOK {
		t.Errorf("run: exit %d, want %d", run.code, exitRowsNotOK)
	}
	want[0] = expect{2, report.Failed, "Spam bot", "abusefilter-disallowed"}
	var created []string
	for i := 1; i <= wikitest.WikimediaThrottle; i++ {
		if i <= wikitest.WikimediaThrottle-2 {
			want[1+i].status = report.Created
			created = append(created, fmt.Sprintf("Guest %d", i))
		} else {
			want[1+i] = expect{3 + i, report.Pending, fmt.Sprintf("Guest %d", i), "pending"}
		}
	}
	checkResults(t, readResults(t, filepath.Join(dir, "event.results.csv")), want)

	checkWikimediaLikeHolds(t, w, created)
}

// checkRefusedCreators: what is about the creator stops the whole run
// before anything is sent: a CAPTCHA for a creator without skipcaptcha,
// and two-factor authentication on the main account.
func checkRefusedCreators(t *testing.T, w *wikitest.Wiki, wm wikitest.WikimediaLike, sheet string) {
	t.Helper()
	r := runCLI(t, nil, append(append([]string{"run", "--dry-run"}, creatorArgs(wm.NoCaptchaRight, w)...), sheet)...)
	if r.code != exitUsage || !strings.Contains(r.stderr, "skipcaptcha") {
		t.Errorf("creator without skipcaptcha: exit %d, want %d naming skipcaptcha:\n%s", r.code, exitUsage, r.stderr)
	}
	r = runCLI(t, nil, "run", "--dry-run", "--api", w.API, "--user", wikitest.AdminUser, "--password-file", w.AdminPasswordFile, sheet)
	if r.code != exitUsage || !strings.Contains(r.stderr, "two-factor authentication") || !strings.Contains(r.stderr, "Special:BotPasswords") {
		t.Errorf("main password with two-factor authentication: exit %d, want %d and the bot password steps:\n%s", r.code, exitUsage, r.stderr)
	}

}

// checkWikimediaLikeHolds: what the wiki holds after the run.
func checkWikimediaLikeHolds(t *testing.T, w *wikitest.Wiki, created []string) {
	t.Helper()
	// What the wiki holds: the four guests, created by Admin with their
	// passwords mailed, and one AbuseFilter hit on Admin's account creation
	// (whose name only AbuseFilter's private details show).
	events, err := w.NewUsersLog()
	if err != nil {
		t.Fatal(err)
	}
	var byAdmin []string
	for _, e := range events {
		if e.User == wikitest.AdminUser && e.Action == "byemail" {
			byAdmin = append(byAdmin, e.UserName())
		}
	}
	slices.Sort(byAdmin)
	if !slices.Equal(byAdmin, created) {
		t.Errorf("the wiki's newusers log has %q created by Admin, want %q", byAdmin, created)
	}
	hits, err := w.AbuseLog()
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Action != "createaccount" || hits[0].Result != "disallow" ||
		hits[0].User != wikitest.AdminUser || hits[0].Filter != "No "+wikitest.WikimediaFiltered+" accounts" {
		t.Errorf("AbuseFilter's log = %+v, want one disallowed createaccount by Admin", hits)
	}
}
