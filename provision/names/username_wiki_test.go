package names

import (
	"net/url"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/wikitest"
)

// TestUsernameCasesAgreeWithRealWiki asks the real MediaWiki 1.39 about every
// name of canonicalUsernameCases (list=users&usprop=cancreate, read-only) and
// checks that it still answers what the table records in wiki139. Together
// with TestCanonicalUsername (our answer is want) this pins both sides:
// where want and wiki139 differ, the difference is one of the deliberate
// refusals listed above the table.
func TestUsernameCasesAgreeWithRealWiki(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	s := w.Anonymous()
	mw, php, err := w.Versions()
	if err != nil {
		t.Fatal(err)
	}
	ours := Rules{MediaWiki: mw, PHP: php}
	for _, tt := range canonicalUsernameCases {
		var resp struct {
			Query struct {
				Users []struct {
					Name      string `json:"name"`
					Missing   bool   `json:"missing"`
					Invalid   bool   `json:"invalid"`
					CanCreate *bool  `json:"cancreate"`
				} `json:"users"`
			} `json:"query"`
		}
		// A leading U+001F makes U+001F the separator, so '|' can be asked about.
		err := s.Post(url.Values{"action": {"query"}, "list": {"users"}, "usprop": {"cancreate"},
			"ususers": {"\x1f" + tt.in}}, &resp)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		got := "" // no answer (an empty name), invalid, existing or not creatable
		switch n := len(resp.Query.Users); {
		case n > 1:
			t.Fatalf("%q: the wiki answered %d users", tt.in, n)
		case n == 1:
			if u := resp.Query.Users[0]; !u.Invalid && u.Missing && u.CanCreate != nil && *u.CanCreate {
				got = u.Name
			}
		}
		if strings.HasPrefix(mw, "1.39.") && got != tt.wiki139 {
			t.Errorf("%q: the wiki now answers %q, the table records %q", tt.in, got, tt.wiki139)
		}
		// On any version our answer is the wiki's, but for the deliberate
		// refusals (the table's codes).
		if name, p := ours.Canonical(tt.in); name != got && (p == nil || p.Code != tt.code) {
			t.Errorf("%q: MediaWiki %s on PHP %s answers %q, we say %q (%v)", tt.in, mw, php, got, name, p)
		}
		if tt.want != tt.wiki139 && tt.code != "forbidden-character" && tt.code != "unstable-form" && tt.code != "reserved-name" {
			t.Errorf("%q: we answer %q (%s) but the wiki %q, and this is not one of the deliberate refusals", tt.in, tt.want, tt.code, tt.wiki139)
		}
	}
}
