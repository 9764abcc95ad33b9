package provision

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/provision/names"
	"github.com/mwprovision/mwprovision/provision/pacer"
)

// Wikimedia's wikis are known by their server names (and by the wmf-config
// block their siteinfo carries); a look-alike domain is not one of them.
func TestIsWikimediaHost(t *testing.T) {
	for host, want := range map[string]bool{
		"en.wikipedia.org": true, "commons.wikimedia.org": true, "www.wikidata.org": true, "www.mediawiki.org": true,
		"de.wikivoyage.org.": true, "EN.WIKIPEDIA.ORG": true,
		"wiki.example.org": false, "127.0.0.1": false, "notwikipedia.org": false, "wikipedia.org.example.com": false, "": false,
	} {
		if got := mwapi.IsWikimediaHost(host); got != want {
			t.Errorf("isWikimediaHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// A block is named with its author, its reason and its expiry.
func TestDescribeBlock(t *testing.T) {
	for _, tt := range []struct {
		b    mwapi.BlockInfo
		want string
	}{
		{mwapi.BlockInfo{BlockID: 3, BlockedBy: "Admin", BlockReason: "spam", BlockExpiry: "infinite"}, `is blocked by Admin (reason: "spam") with no expiry`},
		{mwapi.BlockInfo{BlockID: 4, BlockedBy: "Steward", BlockExpiry: "2026-12-01T00:00:00Z", BlockPartial: true}, "is partially blocked by Steward until 2026-12-01T00:00:00Z"},
		// A composite block: {"blockid":null,"blockedby":"","blockreason":"There are multiple blocks…","blockexpiry":"infinite"}.
		{mwapi.BlockInfo{BlockReason: "There are multiple blocks against your account and/or IP address", BlockExpiry: "infinite"},
			`is blocked (by several blocks, or by the wiki's configuration: see Special:BlockList) (reason: "There are multiple blocks against your account and/or IP address") with no expiry`},
	} {
		if !tt.b.Present() {
			t.Errorf("%+v: not seen as a block", tt.b)
		}
		if got := tt.b.Describe(); got != tt.want {
			t.Errorf("describe() = %q, want %q", got, tt.want)
		}
	}
}

// A composite block arrives with a null id and no author; no block, with
// none of the fields.
func TestBlockInfoFromTheWikisAnswer(t *testing.T) {
	var r mwapi.APIResponse
	js := `{"query":{"userinfo":{"id":2,"name":"Organizer","blockid":null,"blockedby":"","blockedbyid":0,"blockreason":"multiple","blockexpiry":"infinite","blocknocreate":true}}}`
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	if b := r.Query.UserInfo.BlockInfo; !b.Present() || !b.BlockNoCreate {
		t.Errorf("composite block %+v not seen, or not as stopping creation", b)
	}
	if (mwapi.BlockInfo{}).Present() {
		t.Error("no fields, yet a block")
	}
}

// siteinfo tells a Wikimedia wiki by the wmf-config block its
// configuration adds, or by its server name.
func TestSiteinfoTellsAWikimediaWiki(t *testing.T) {
	for js, want := range map[string]bool{
		`{"sitename":"Wikipedia","servername":"wiki.example.org","wmf-config":{"wmfMasterDatacenter":"eqiad"}}`: true,
		`{"sitename":"Wikipedia","servername":"fr.wikipedia.org"}`:                                              true,
		`{"sitename":"Test wiki","servername":"127.0.0.1"}`:                                                     false,
	} {
		var g mwapi.SiteGeneral
		if err := json.Unmarshal([]byte(js), &g); err != nil {
			t.Fatal(err)
		}
		if got := g.Wikimedia(); got != want {
			t.Errorf("%s: wikimedia() = %v, want %v", js, got, want)
		}
	}
}

// AskSite takes the names the wiki reserves from its own texts of the
// messages, in its content language (a customized one counts); a wiki that
// does not answer for every message leaves the defaults of its language.
func TestAskSiteReservedNames(t *testing.T) {
	var asked url.Values
	answer := `{"query":{"general":{"lang":"de"},"allmessages":[
		{"name":"autochange-username","content":"Automatische MediaWiki-Änderung"},
		{"name":"double-redirect-fixer","content":"Weiterleitungsbot"},
		{"name":"proxyblocker","content":"Proxy blocker"},
		{"name":"sorbs","missing":true},
		{"name":"spambot_username","content":""},
		{"name":"usermessage-editor","content":"System-Messenger"}]}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		asked = r.Form
		_, _ = w.Write([]byte(answer))
	}))
	defer srv.Close()
	site, err := AskSite(t.Context(), srv.Client(), pacer.SystemClock{}, srv.URL, "test", "", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if asked.Get("uselang") != "content" || asked.Get("amenableparser") != "1" || !strings.Contains(asked.Get("meta"), "allmessages") ||
		asked.Get("ammessages") != strings.Join(names.ReservedMessageKeys(), "|") {
		t.Errorf("asked %v", asked)
	}
	for name, reserved := range map[string]bool{
		"Weiterleitungsbot": true, "RedirectBot": false, "Redirect fixer": false, "⧼sorbs⧽": true, "DNSBL": false,
		"MediaWiki-Spam-Säuberung": false, "Maintenance script": true, "System-Messenger": true,
	} {
		if site.Names.Reserved[name] != reserved {
			t.Errorf("%q: reserved %v, want %v", name, site.Names.Reserved[name], reserved)
		}
	}

	answer = `{"query":{"general":{"lang":"de"},"allmessages":[{"name":"sorbs","content":"X"}]}}`
	if site, err = AskSite(t.Context(), srv.Client(), pacer.SystemClock{}, srv.URL, "test", "", 10*time.Second); err != nil || site.Names.Reserved != nil {
		t.Errorf("a partial answer: %v, %v; want nil (the defaults of de)", site.Names.Reserved, err)
	}
	if _, p := site.Names.Canonical("MediaWiki-Spam-Säuberung"); p == nil || p.Code != "reserved-name" {
		t.Errorf("the defaults of de: MediaWiki-Spam-Säuberung is %v", p)
	}
}
