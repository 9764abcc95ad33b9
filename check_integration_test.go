package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/wikitest"
)

// check says, days before the event and without a sheet, what a creator
// can do on the real wiki: a creator exempt from the per-IP limit and one
// it holds (both can go ahead), one that may not add the group asked for,
// one the wiki would ask for a CAPTCHA and one that is blocked (neither
// can: exit 1, with what to do).
func TestCheckSaysWhatTheCreatorCanDo(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 6})
	org := organizer(t, w)
	captchaOn := filepath.Join(w.Dir, "captcha.on")
	if err := w.AskCaptcha(fmt.Sprintf("file_exists(%q)", w.PathForPHP(captchaOn))); err != nil {
		t.Fatal(err)
	}
	check := func(c wikitest.Creator, args ...string) cliRun {
		t.Helper()
		return runCLI(t, map[string]string{"MWPROVISION_PASSWORD": c.Password},
			append([]string{"check", "--api", w.API, "--user", c.Login}, args...)...)
	}
	expect := func(what string, r cliRun, code int, says ...string) {
		t.Helper()
		if r.code != code {
			t.Errorf("%s: exit %d, want %d", what, r.code, code)
		}
		for _, s := range says {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("%s: does not say %q:\n%s", what, s, r.stderr)
			}
		}
	}
	expect("exempt", check(w.Bulk), 0, "does not apply to Admin (it holds noratelimit)", "an event run can go ahead")
	expect("held by the limit", check(w.Limited), 0, "the wiki's limit of accounts per IP address applies to Admin", "an event run can go ahead")
	expect("confirmed asked", check(w.Limited, "--add-groups", "confirmed"), 1, `may not add accounts to "confirmed"`)
	expect("an organizer", check(org), 0, "Organizer may create accounts here")

	if err := os.WriteFile(captchaOn, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	expect("a CAPTCHA", check(org), 1, "CAPTCHA", "skipcaptcha")
	if err := os.Remove(captchaOn); err != nil {
		t.Fatal(err)
	}

	if err := w.Block("Organizer", "Spam from this account"); err != nil {
		t.Fatal(err)
	}
	expect("blocked", check(org), 1, "Organizer", "blocked")
	if r := check(org); strings.Contains(r.stderr, "an event run can go ahead") {
		t.Errorf("a blocked creator can go ahead:\n%s", r.stderr)
	}
}
