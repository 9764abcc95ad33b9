package mwapi

import "testing"

// Message parameters are decoded once, and only the references MediaWiki
// writes: ';' ends each, so a URL's "&not=2" stays as it is.
func TestDecodeReferences(t *testing.T) {
	for in, want := range map[string]string{
		".*Troll.* &#60;newaccountonly&#62;":   ".*Troll.* <newaccountonly>",
		"&#x3C;&#X3e;&lt;&gt;&amp;":            "<><>&",
		"?a=1&not=2&para=3&copy=4":             "?a=1&not=2&para=3&copy=4",
		"&amp;lt;":                             "&lt;",
		"&#0;&#xD800;&#1114112;&#;&#x;&bogus;": "&#0;&#xD800;&#1114112;&#;&#x;&bogus;",
		"Tom & Jerry; & more":                  "Tom & Jerry; & more",
		"&#91;&#91;not a link&#93;&#93;":       "[[not a link]]",
	} {
		if got := decodeReferences(in); got != want {
			t.Errorf("decodeReferences(%q) = %q, want %q", in, got, want)
		}
	}
	// An escaped "[[" is text, not a link: decoded after the links are
	// reduced to their text.
	if got := plainParam("&#91;&#91;x&#93;&#93; [[User:A|A]]"); got != "[[x]] A" {
		t.Errorf("plainParam = %q, want %q", got, "[[x]] A")
	}
}
