package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/names"
	"github.com/mwprovision/mwprovision/provision/pacer"
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
		got, p := names.Rules{Lang: "tr"}.Canonical(name)
		if p != nil || len(resp.Query.Users) != 1 || resp.Query.Users[0].Name != got {
			t.Errorf("%q: we say %q (%v), the Turkish wiki %+v", name, got, p, resp.Query.Users)
		}
	}

	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", "username,email\nivan,ivan@example.org\nİvan,ivan2@example.org\n")
	results := filepath.Join(dir, "s.dry-run.results.csv")
	r := runCLI(t, nil, "run", "--dry-run", sheet)
	if r.code != 0 || !strings.Contains(r.stderr, "names: by the rules of a wiki in en, English namespace names only (--wiki-language for another language; --api asks the wiki)") {
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

// On a wiki in Arabic (and the languages that fall back to it) the wiki
// rewrites Arabic presentation forms as the letters they show
// (LanguageAr::normalize): "ﻣﺤﻤﺪ" is "محمد", one account. The dry run and
// the run say so, offline with --wiki-language ar as with --api, and the
// wiki holds "محمد" once.
func TestArabicWikiNamesAreTheWikis(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{Extra: "$wgLanguageCode = 'ar';"})
	for _, name := range []string{"ﻣﺤﻤﺪ", "محمد", "ﻋﻠﻲ_ﺣﺴﻦ"} {
		checkWikiNames(t, w, "ar", name)
	}

	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", "username,email\nمحمد,m1@example.org\nﻣﺤﻤﺪ,m2@example.org\nمحمدTest Salma,s@example.org\nمحمدTest Omar,o@example.org\n")
	results := filepath.Join(dir, "s.dry-run.results.csv")
	r := runCLI(t, nil, "run", "--dry-run", sheet)
	if r.code != 0 {
		t.Errorf("offline, English assumed: exit %d, want 0", r.code)
	}
	checkResults(t, readResults(t, results), []expect{{2, report.WouldCreate, "محمد", ""}, {3, report.WouldCreate, "ﻣﺤﻤﺪ", ""},
		{4, report.WouldCreate, "محمدTest Salma", ""}, {5, report.WouldCreate, "محمدTest Omar", ""}})
	want := []expect{{2, report.WouldCreate, "محمد", ""}, {3, report.Duplicate, "محمد", "duplicate"},
		{4, report.WouldCreate, "محمدTest Salma", ""}, {5, report.WouldCreate, "محمدTest Omar", ""}}
	for _, args := range [][]string{{"--wiki-language", "ar"}, {"--api", w.API}} {
		r = runCLI(t, nil, append(append([]string{"run", "--dry-run"}, args...), sheet)...)
		if r.code != 1 {
			t.Errorf("%v: exit %d, want 1 (a duplicate)", args, r.code)
		}
		checkResults(t, readResults(t, results), want)
	}

	r = runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", sheet)...)
	if r.code != 1 {
		t.Errorf("run: exit %d, want 1 (a duplicate)", r.code)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "s.results.csv")), []expect{{2, report.Created, "محمد", ""}, {3, report.Duplicate, "محمد", "duplicate"},
		{4, report.Created, "محمدTest Salma", ""}, {5, report.Created, "محمدTest Omar", ""}})
	checkWikiHolds(t, w, "محمد", map[string]bool{"محمد": true, "محمدTest Salma": true, "محمدTest Omar": true})
}

// On a wiki in Kazakh in Latin script a first i is İ, as in Turkish, on
// MediaWiki 1.39 (LanguageKk, whose variant is then kk-latn), and I from
// 1.43 (which dropped LanguageKk::ucfirst). Our rules learn the version
// from the wiki; without it they assume the newest and say so. Either way
// the run sends the name the dry run checked, so the wiki holds exactly
// the predicted names: "ivan" and "İvan" one account on 1.39, "ivan" and
// "Ivan" on 1.43.
func TestKazakhLatinWikiNamesAreTheWikis(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{Extra: "$wgLanguageCode = 'kk-latn';"})
	mw, _, err := w.Versions()
	if err != nil {
		t.Fatal(err)
	}
	old := strings.HasPrefix(mw, "1.39.")
	for _, name := range []string{"ivan", "İvan", "Ivan", "i\u0307van"} {
		checkWikiNames(t, w, "kk-latn", name)
	}

	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", "username,email\nivan,i1@example.org\nIvan,i2@example.org\nİvan,i3@example.org\n")
	results := filepath.Join(dir, "s.dry-run.results.csv")
	newest := []expect{{2, report.WouldCreate, "Ivan", ""}, {3, report.Duplicate, "Ivan", "duplicate"}, {4, report.WouldCreate, "İvan", ""}}
	want := newest
	if old {
		want = []expect{{2, report.WouldCreate, "İvan", ""}, {3, report.WouldCreate, "Ivan", ""}, {4, report.Duplicate, "İvan", "duplicate"}}
	}
	// Offline the version is unknown: the newest rules, and a warning
	// that names the row they decide.
	r := runCLI(t, nil, "run", "--dry-run", "--wiki-language", "kk-latn", sheet)
	if r.code != 1 || !strings.Contains(r.stderr, "warning: 1 name (on line 2) is capitalized differently by MediaWiki before 1.43") {
		t.Errorf("offline: exit %d, want 1 (a duplicate) and the version's warning", r.code)
	}
	checkResults(t, readResults(t, results), newest)
	r = runCLI(t, nil, "run", "--dry-run", "--api", w.API, sheet)
	if r.code != 1 || strings.Contains(r.stderr, "capitalized differently") {
		t.Errorf("--api: exit %d, want 1 (a duplicate) and no warning on the version", r.code)
	}
	checkResults(t, readResults(t, results), want)

	r = runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", sheet)...)
	if r.code != 1 {
		t.Errorf("run: exit %d, want 1 (a duplicate)", r.code)
	}
	var created []expect
	for _, e := range want {
		if e.status == report.WouldCreate {
			e.status = report.Created
		}
		created = append(created, e)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "s.results.csv")), created)
	// Either way the wiki holds İvan and Ivan, once each.
	checkWikiHolds(t, w, "İvan", map[string]bool{"İvan": true})
	checkWikiHolds(t, w, "Ivan", map[string]bool{"Ivan": true})
}

// On a wiki in Greek a sheet may name an account by its user page,
// "ΧΡΉΣΤΗΣ:hans" with the namespace in capitals. Whether the wiki itself
// sees the prefix depends on its PHP: before 8.3 mb_strtolower makes the
// final Σ a σ, the prefix is not the namespace's, and the wiki refuses the
// name for its ':'. We read it as the prefix, as PHP 8.3 and later do, and
// the run sends the name the dry run checked, "Hans": on every PHP the
// wiki creates it once, and the later "hans" is a duplicate of an account
// that exists, not of a row the wiki refused.
func TestGreekCapitalUserPrefixIsOneAccount(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{Extra: "$wgLanguageCode = 'el';"})
	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", "username,email\nΧΡΉΣΤΗΣ:hans,h1@example.org\nhans,h2@example.org\n")
	want := []expect{{2, report.WouldCreate, "Hans", ""}, {3, report.Duplicate, "Hans", "duplicate"}}
	for _, args := range [][]string{{"--api", w.API}, creatorArgs(w.Bulk, w)} {
		if r := runCLI(t, nil, append(append([]string{"run", "--dry-run"}, args...), sheet)...); r.code != 1 {
			t.Errorf("dry run %v: exit %d, want 1 (a duplicate)", args, r.code)
		}
		checkResults(t, readResults(t, filepath.Join(dir, "s.dry-run.results.csv")), want)
	}
	r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", sheet)...)
	if r.code != 1 {
		t.Errorf("run: exit %d, want 1 (a duplicate)", r.code)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "s.results.csv")), []expect{{2, report.Created, "Hans", ""}, {3, report.Duplicate, "Hans", "duplicate"}})
	checkWikiHolds(t, w, "Hans", map[string]bool{"Hans": true})
}

// checkWikiNames asks the wiki how it names name (list=users) and checks
// that our rules for a wiki in lang, of its MediaWiki and PHP versions,
// say the same.
func checkWikiNames(t *testing.T, w *wikitest.Wiki, lang, name string) {
	t.Helper()
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
	mw, php, err := w.Versions()
	if err != nil {
		t.Fatal(err)
	}
	got, p := names.Rules{Lang: lang, MediaWiki: mw, PHP: php}.Canonical(name)
	if p != nil && p.Code == "unstable-form" && len(resp.Query.Users) == 1 {
		return // a deliberate refusal: the wiki would store a name that is not NFC (its API shows the NFC form)
	}
	if p != nil || len(resp.Query.Users) != 1 || resp.Query.Users[0].Name != got {
		t.Errorf("%q: we say %q (%v), the wiki in %s (MediaWiki %s) %+v", name, got, p, lang, mw, resp.Query.Users)
	}
}

// On a wiki in German the User namespace is "Benutzer" (and "Benutzerin"):
// a sign-up sheet that copied user page titles names accounts the wiki
// creates without the prefix. The tool learns the wiki's namespace names
// from it, so "Benutzer:hans" and "Hans" are one account, as the wiki
// says, and a name in another namespace ("Diskussion:") is refused.
func TestGermanNamespacePrefixesAreTheWikis(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{Extra: "$wgLanguageCode = 'de';"})
	site, err := provision.AskSite(t.Context(), http.DefaultClient, pacer.SystemClock{}, w.API, "mwprovision-test", "", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Benutzer:hans", "benutzerin:Grete", "BENUTZER_DISKUSSION:x", "User:Hans", "Diskussion:Karl", "Hilfe:Karl", "Foo:Bar", "Benutzer: hans "} {
		var resp struct {
			Query struct {
				Users []struct {
					Name      string `json:"name"`
					CanCreate bool   `json:"cancreate"`
				} `json:"users"`
			} `json:"query"`
		}
		if err := w.Anonymous().Post(url.Values{"action": {"query"}, "list": {"users"}, "ususers": {"\x1f" + name}, "usprop": {"cancreate"}}, &resp); err != nil {
			t.Fatal(err)
		}
		got, p := site.Names.Canonical(name)
		if len(resp.Query.Users) != 1 || (p == nil) != resp.Query.Users[0].CanCreate || (p == nil && resp.Query.Users[0].Name != got) {
			t.Errorf("%q: we say %q (%v), the German wiki %+v", name, got, p, resp.Query.Users)
		}
	}

	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", "username,email\nBenutzer:hans,h1@example.org\nHans,h2@example.org\nBenutzerin:Grete,g@example.org\nDiskussion:Karl,k@example.org\n")
	want := []expect{{2, report.WouldCreate, "Hans", ""}, {3, report.Duplicate, "Hans", "duplicate"},
		{4, report.WouldCreate, "Grete", ""}, {5, report.Invalid, "", "namespace-prefix"}}
	if r := runCLI(t, nil, "run", "--dry-run", "--api", w.API, sheet); r.code != exitRowsNotOK {
		t.Errorf("dry run: exit %d, want %d", r.code, exitRowsNotOK)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "s.dry-run.results.csv")), want)
	if r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", sheet)...); r.code != exitRowsNotOK {
		t.Errorf("run: exit %d, want %d", r.code, exitRowsNotOK)
	}
	want[0].status, want[2].status = report.Created, report.Created
	checkResults(t, readResults(t, filepath.Join(dir, "s.results.csv")), want)
	users, err := w.Users("Hans", "Grete")
	if err != nil || len(users) != 2 {
		t.Fatalf("list=users Hans, Grete: %+v, %v", users, err)
	}
	for _, u := range users {
		if u.Missing || u.Invalid {
			t.Errorf("the wiki has no account %q: %+v", u.Name, u)
		}
	}
}

// On a wiki in German the names MediaWiki reserves are German: the
// "msg:" entries of $wgReservedUsernames are texts in the content
// language, so "MediaWiki-Spam-Säuberung" is reserved there and "Redirect
// fixer" is not. Offline the tool knows the defaults by language from
// MediaWiki's translations; with the wiki it asks for the wiki's own texts,
// so a customized message (MediaWiki:Usermessage-editor) counts. Dry run
// and run agree with the wiki: a reserved name is refused before anything
// is sent, the other is created.
func TestGermanReservedNamesAreTheWikis(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{Extra: "$wgLanguageCode = 'de';"})
	if err := w.EditPage("MediaWiki:Usermessage-editor", "Nachrichtenbote"); err != nil {
		t.Fatal(err)
	}
	site, err := provision.AskSite(t.Context(), http.DefaultClient, pacer.SystemClock{}, w.API, "mwprovision-test", "", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if site.Names.Reserved == nil {
		t.Fatal("the wiki's reserved names were not read")
	}
	offline := names.Rules{Lang: "de"}
	for name, custom := range map[string]bool{"MediaWiki-Spam-Säuberung": false, "mediaWiki-Spam-Säuberung": false, "Redirect fixer": false,
		"RedirectBot": false, "Proxy blocker": false, "Maintenance script": false, "MediaWiki spam cleanup": false,
		"Nachrichtenbote": true, "System-Messenger": true} {
		var resp struct {
			Query struct {
				Users []struct {
					Name      string `json:"name"`
					CanCreate bool   `json:"cancreate"`
				} `json:"users"`
			} `json:"query"`
		}
		if err := w.Anonymous().Post(url.Values{"action": {"query"}, "list": {"users"}, "ususers": {"\x1f" + name}, "usprop": {"cancreate"}}, &resp); err != nil {
			t.Fatal(err)
		}
		if len(resp.Query.Users) != 1 {
			t.Fatalf("%q: the wiki answered %+v", name, resp.Query.Users)
		}
		wiki := resp.Query.Users[0]
		got, p := site.Names.Canonical(name)
		if (p == nil) != wiki.CanCreate || (p == nil && wiki.Name != got) || (p != nil && p.Code != "reserved-name") {
			t.Errorf("%q: we say %q (%v), the German wiki %+v", name, got, p, wiki)
		}
		// The defaults of German agree too, but for the customized message.
		if _, p = offline.Canonical(name); !custom && (p == nil) != wiki.CanCreate {
			t.Errorf("%q offline in de: %v, the German wiki %+v", name, p, wiki)
		}
	}

	dir := t.TempDir()
	sheet := writeSheet(t, dir, "s.csv", "username,email\nMediaWiki-Spam-Säuberung,a@example.org\nRedirect fixer,b@example.org\n")
	want := []expect{{2, report.Invalid, "", "reserved-name"}, {3, report.WouldCreate, "Redirect fixer", ""}}
	if r := runCLI(t, nil, "run", "--dry-run", "--wiki-language", "de", sheet); r.code != exitRowsNotOK {
		t.Errorf("offline dry run in de: exit %d, want %d", r.code, exitRowsNotOK)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "s.dry-run.results.csv")), want)

	sheet = writeSheet(t, dir, "s.csv", "username,email\nMediaWiki-Spam-Säuberung,a@example.org\nRedirect fixer,b@example.org\nNachrichtenbote,c@example.org\nSystem-Messenger,d@example.org\n")
	want = append(want, expect{4, report.Invalid, "", "reserved-name"}, expect{5, report.WouldCreate, "System-Messenger", ""})
	if r := runCLI(t, nil, "run", "--dry-run", "--api", w.API, sheet); r.code != exitRowsNotOK {
		t.Errorf("dry run: exit %d, want %d", r.code, exitRowsNotOK)
	}
	checkResults(t, readResults(t, filepath.Join(dir, "s.dry-run.results.csv")), want)
	if r := runCLI(t, nil, append(append([]string{"run"}, creatorArgs(w.Bulk, w)...), "--rate", "0", "--yes", sheet)...); r.code != exitRowsNotOK {
		t.Errorf("run: exit %d, want %d", r.code, exitRowsNotOK)
	}
	want[1].status, want[3].status = report.Created, report.Created
	checkResults(t, readResults(t, filepath.Join(dir, "s.results.csv")), want)
	users, err := w.Users("Redirect fixer", "System-Messenger", "MediaWiki-Spam-Säuberung", "Nachrichtenbote")
	if err != nil || len(users) != 4 {
		t.Fatalf("list=users: %+v, %v", users, err)
	}
	for _, u := range users {
		if created := !u.Missing && !u.Invalid; created != (u.Name == "Redirect fixer" || u.Name == "System-Messenger") {
			t.Errorf("the wiki's account %q: %+v", u.Name, u)
		}
	}
}
