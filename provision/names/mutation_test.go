package names

import "testing"

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
