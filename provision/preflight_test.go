package provision

import "testing"

// Wikimedia's wikis are known by their server names (and by the wmf-config
// block their siteinfo carries); a look-alike domain is not one of them.
func TestIsWikimediaHost(t *testing.T) {
	for host, want := range map[string]bool{
		"en.wikipedia.org": true, "commons.wikimedia.org": true, "www.wikidata.org": true, "www.mediawiki.org": true,
		"de.wikivoyage.org.": true, "EN.WIKIPEDIA.ORG": true,
		"wiki.example.org": false, "127.0.0.1": false, "notwikipedia.org": false, "wikipedia.org.example.com": false, "": false,
	} {
		if got := isWikimediaHost(host); got != want {
			t.Errorf("isWikimediaHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// A block is named with its author, its reason and its expiry.
func TestDescribeBlock(t *testing.T) {
	for _, tt := range []struct {
		b    blockInfo
		want string
	}{
		{blockInfo{BlockID: 3, BlockedBy: "Admin", BlockReason: "spam", BlockExpiry: "infinite"}, `is blocked by Admin (reason: "spam") with no expiry`},
		{blockInfo{BlockID: 4, BlockedBy: "Steward", BlockExpiry: "2026-12-01T00:00:00Z", BlockPartial: true}, "is partially blocked by Steward until 2026-12-01T00:00:00Z"},
	} {
		if got := tt.b.describe(); got != tt.want {
			t.Errorf("describe() = %q, want %q", got, tt.want)
		}
	}
}
