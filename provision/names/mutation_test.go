package names

import (
	"strings"
	"testing"
)

// dottedILanguages are the content languages whose wikis capitalize a
// first i as İ in every MediaWiki: LanguageTr (tr, and gag, kiu, lzz
// through their fallback to tr), LanguageAz (az, and lez through its
// fallback to az) and LanguageKaa (kaa).
var dottedILanguages = []string{"tr", "gag", "kiu", "lzz", "az", "lez", "kaa"}

// On a wiki in each of those languages a first i becomes İ, whatever
// blanks (spaces or underscores, which MediaWiki trims) come before it —
// and on an English wiki it stays I.
func TestEveryDottedILanguageCapitalizesAFirstIAfterBlanks(t *testing.T) {
	raws := []string{"ivan", "_ivan", " ivan", "__ivan", "  ivan", "_ _ivan", " _ivan"}
	for _, lang := range dottedILanguages {
		if !DottedCapitalI(lang) {
			t.Errorf("DottedCapitalI(%q) = false, want true", lang)
		}
		for _, raw := range raws {
			got, p := Rules{Lang: lang}.Canonical(raw)
			if p != nil || got != "İvan" {
				t.Errorf("Rules{Lang: %q}.Canonical(%q) = %q, %v; want \"İvan\"", lang, raw, got, p)
			}
		}
	}
	for _, raw := range raws {
		if got, p := (Rules{Lang: "en"}).Canonical(raw); p != nil || got != "Ivan" {
			t.Errorf("Rules{Lang: \"en\"}.Canonical(%q) = %q, %v; want \"Ivan\"", raw, got, p)
		}
	}
}

// A plain ASCII name that needs no rewriting (no lower-case first letter,
// no blank to collapse) is refused when it is longer than 235 bytes, as
// one that needs rewriting is: the fast path keeps the limit too.
// Kills too-long-fast-path.
func TestALongNameNeedingNoRewriteIsTooLong(t *testing.T) {
	for _, n := range []int{236, 240, 256} {
		raw := "A" + strings.Repeat("x", n-1)
		if got, p := en139.Canonical(raw); p == nil || p.Code != "too-long" {
			t.Errorf("a name of %d bytes: %q, %v; want too-long", n, got, p)
		}
	}
	raw := "A" + strings.Repeat("x", maxCreatableBytes-1)
	if got, p := en139.Canonical(raw); p != nil || got != raw {
		t.Errorf("a name of %d bytes: %q, %v; want it as it is", len(raw), got, p)
	}
}

// "MediaWiki talk", the longest English namespace name, is a namespace
// prefix, however it is spelled.
// Kills namespace-longest.
func TestTheLongestEnglishNamespaceIsAPrefix(t *testing.T) {
	for _, raw := range []string{"MediaWiki talk:Ann", "mediawiki_talk:Ann", "MEDIAWIKI TALK:Ann"} {
		if got, p := en139.Canonical(raw); p == nil || p.Code != "namespace-prefix" {
			t.Errorf("%q: %q, %v; want namespace-prefix", raw, got, p)
		}
	}
}

// A part of four digits is no part of an IPv4 address: MediaWiki's isIP
// (\d{1,3} each) takes "1234.5.6.7" for a name, and creates it.
// Kills ipv4-digits.
func TestFourDigitsAreNoIPv4Part(t *testing.T) {
	for _, raw := range []string{"1234.5.6.7", "1.2.3.4567", "12.3456.7.8"} {
		if got, p := en139.Canonical(raw); p != nil || got != raw {
			t.Errorf("%q: %q, %v; want it as it is", raw, got, p)
		}
	}
	if _, p := en139.Canonical("123.45.6.7"); p == nil || p.Code != "ip-address" {
		t.Errorf("123.45.6.7: %v, want ip-address", p)
	}
}
