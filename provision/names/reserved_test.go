package names

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Reserved names follow the wiki's content language, as MediaWiki resolves
// the "msg:" entries of $wgReservedUsernames: on a German wiki
// "MediaWiki-Spam-Säuberung" is reserved and "Redirect fixer" is not.
func TestReservedNamesFollowTheWikisLanguage(t *testing.T) {
	cases := []struct {
		lang, in string
		reserved bool
	}{
		{"de", "MediaWiki-Spam-Säuberung", true},
		{"de", "mediaWiki-Spam-Säuberung", true}, // reserved after canonicalization
		{"de", "RedirectBot", true},
		{"de", "Redirect fixer", false},
		{"de", "MediaWiki spam cleanup", false},
		{"de", "Proxy blocker", true},      // de has no translation: English, its fallback
		{"de", "Maintenance script", true}, // plain entries: every language
		{"DE", "MediaWiki-Spam-Säuberung", true},
		// de-formal and de-at translate neither message: their fallback, de.
		{"de-formal", "MediaWiki-Spam-Säuberung", true},
		{"de-at", "RedirectBot", true},
		{"de-at", "Redirect fixer", false},
		// gsw has its own translations, and falls back to de otherwise.
		{"gsw", "MediaWiki Spam-Syyferig", true},
		{"gsw", "MediaWiki-Spam-Säuberung", false},
		// MediaWiki compares the canonical name with the entry exactly:
		// ksh's "Open_Proxy_Blocker" is no canonical name, so it reserves
		// none ("Open Proxy Blocker" can be created there).
		{"ksh", "Open Proxy Blocker", false},
		{"ksh", "Proxy blocker", false},
		// A language the table does not know has English's.
		{"xx-unknown", "Redirect fixer", true},
		{"", "Redirect fixer", true},
		{"en", "MediaWiki-Spam-Säuberung", false},
		{"fr", "Nettoyage de pourriels par MediaWiki", true},
		{"fr", "MediaWiki spam cleanup", false},
	}
	for _, c := range cases {
		got, p := Rules{Lang: c.lang}.Canonical(c.in)
		if reserved := p != nil && p.Code == "reserved-name"; reserved != c.reserved || (!c.reserved && p != nil) {
			t.Errorf("%s: %q = %q, %v; want reserved %v", c.lang, c.in, got, p, c.reserved)
		}
	}
}

// With a wiki, its own texts of the messages decide (a customized message
// counts); the plain entries always count.
func TestReservedNamesFromTheWiki(t *testing.T) {
	r := Rules{Lang: "de", Reserved: ReservedNames([]string{"Aufräumer", "", "Open_Proxy_Blocker"})}
	for in, reserved := range map[string]bool{
		"Aufräumer": true, "aufräumer": true, "Maintenance script": true, "Unknown user": true,
		"MediaWiki-Spam-Säuberung": false, "Redirect fixer": false, "Open Proxy Blocker": false,
	} {
		got, p := r.Canonical(in)
		if (p != nil && p.Code == "reserved-name") != reserved || (!reserved && p != nil) {
			t.Errorf("%q = %q, %v; want reserved %v", in, got, p, reserved)
		}
	}
	if ReservedNames(nil)[""] {
		t.Error("an empty text reserves the empty name")
	}
	if len(ReservedMessageKeys()) != 6 {
		t.Errorf("ReservedMessageKeys() = %v", ReservedMessageKeys())
	}
}

// reserved_table.go is what the generator writes from the MediaWiki trees
// on this machine, when both are here.
func TestReservedTableIsGenerated(t *testing.T) {
	trees := []string{"/usr/share/mediawiki", "/var/lib/mwprovision/trixie/usr/share/mediawiki"}
	for _, d := range trees {
		if _, err := os.Stat(filepath.Join(d, "languages/i18n/en.json")); err != nil {
			t.Skipf("no MediaWiki at %s", d)
		}
	}
	out := filepath.Join(t.TempDir(), "reserved_table.go")
	cmd := exec.Command("go", append([]string{"run", "./gen/reserved", "-o", out}, trees...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen/reserved: %v\n%s", err, b)
	}
	want, _ := os.ReadFile(out)
	got, err := os.ReadFile("reserved_table.go")
	if err != nil || string(got) != string(want) {
		t.Errorf("reserved_table.go is not what gen/reserved writes (%v): run go generate ./provision/names", err)
	}
}
