package main

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest"
)

// On a wiki in Turkish a first i is İ: "ivan" and "İvan" are one account.
// Our rules give the names the real wiki gives, run and dry run take the
// wiki's language from it, and offline the summary says which language's
// rules it assumed, which --wiki-language sets.
func TestTurkishWikiNamesAreTheWikis(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{Extra: "$wgLanguageCode = 'tr';"})
	for _, name := range []string{"ivan", "İvan", "Ivan", "ıvan", " ivan_petrov", "iğdır", "i", "maria"} {
		var resp struct {
			Query struct {
				Users []struct {
					Name string `json:"name"`
				} `json:"users"`
			} `json:"query"`
		}
		if err := w.Anonymous().Post(url.Values{"action": {"query"}, "list": {"users"}, "ususers": {"\x1f" + name}}, &resp); err != nil {
			t.Fatal(err)
		}
		got, p := provision.CanonicalUsernameIn(name, "tr")
		if p != nil || len(resp.Query.Users) != 1 || resp.Query.Users[0].Name != got {
			t.Errorf("%q: we say %q (%v), the Turkish wiki %+v", name, got, p, resp.Query.Users)
		}
	}

	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", "username,email\nivan,ivan@example.org\nİvan,ivan2@example.org\n")
	results := filepath.Join(dir, "s.dry-run.results.csv")
	r := runCLI(t, nil, "run", "--dry-run", sheet)
	if r.code != 0 || !strings.Contains(r.stderr, "names: by the rules of a wiki in en (--wiki-language for another)") {
		t.Errorf("offline, English assumed: exit %d", r.code)
	}
	checkResults(t, readResults(t, results), []expect{{2, report.WouldCreate, "Ivan", ""}, {3, report.WouldCreate, "İvan", ""}})
	for _, args := range [][]string{{"--wiki-language", "tr"}, {"--api", w.API}} {
		r = runCLI(t, nil, append(append([]string{"run", "--dry-run"}, args...), sheet)...)
		if r.code != 1 {
			t.Errorf("%v: exit %d, want 1 (a duplicate)", args, r.code)
		}
		checkResults(t, readResults(t, results), []expect{{2, report.WouldCreate, "İvan", ""}, {3, report.Duplicate, "İvan", "duplicate"}})
	}
	if r = runCLI(t, nil, "run", "--dry-run", "--api", w.API, "--wiki-language", "en", sheet); r.code != exitUsage || !strings.Contains(r.stderr, "the wiki's content language is tr") {
		t.Errorf("--wiki-language en on a Turkish wiki: exit %d, want %d", r.code, exitUsage)
	}

	r = runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", sheet)...)
	if r.code != 1 {
		t.Errorf("run: exit %d, want 1 (a duplicate)", r.code)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "s.results.csv")), []expect{{2, report.Created, "İvan", ""}, {3, report.Duplicate, "İvan", "duplicate"}})
	checkWikiHolds(t, w, "İvan", map[string]bool{"İvan": true})
}
