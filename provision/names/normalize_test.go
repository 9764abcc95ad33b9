package names

import (
	"strings"
	"testing"
)

// The content languages' own rules (langClass), one by one.
func TestLanguageRules(t *testing.T) {
	for _, tt := range []struct{ lang, in, want, code string }{
		// LanguageAr::normalize: presentation forms become the letters.
		{"ar", "ﻣﺤﻤﺪ", "محمد", ""},
		{"ar", "محمد", "محمد", ""},
		{"arz", "ﻣﺤﻤﺪ_ﻋﻠﻲ", "محمد علي", ""},
		{"ary", "ﻣﺤﻤﺪ", "محمد", ""},
		{"arq", "ﻣﺤﻤﺪ", "محمد", ""},
		{"aeb-arab", "ﻣﺤﻤﺪ", "محمد", ""},
		{"aeb", "ﻣﺤﻤﺪ", "ﻣﺤﻤﺪ", ""}, // its fallback chain is aeb-arab, en: no class
		{"apc", "ﻣﺤﻤﺪ", "محمد", ""},
		{"acm", "ﻣﺤﻤﺪ", "محمد", ""},
		{"AR", "ﻣﺤﻤﺪ", "محمد", ""},
		{"ar", "ﻻ", "لا", ""},             // a ligature becomes two letters
		{"ar", "x&amp;ﻣ", "X&م", ""},      // normalized again after "&amp;"
		{"ar", "ﳳِ", "", "unstable-form"}, // U+FCF3 then kasra: marks out of canonical order
		{"en", "ﻣﺤﻤﺪ", "ﻣﺤﻤﺪ", ""},        // English: NFC only
		{"fa", "ﻣﺤﻤﺪ", "ﻣﺤﻤﺪ", ""},        // Persian has no class of its own
		// LanguageMl::normalize: consonant, virama, U+200D is the chillu.
		{"ml", "അവന\u0d4d\u200d", "അവൻ", ""},
		{"ml", "\u0d15\u0d4d\u200d", "ൿ", ""},
		{"ml", "\u0d15\u0d4d\u200c", "", "invisible-character"}, // ZWNJ stays, and is refused
		{"ml", "\u0d15\u200d", "", "invisible-character"},       // no virama: ZWJ stays
		{"en", "അവന\u0d4d\u200d", "", "invisible-character"},
		// A first i is İ: Turkish, Azerbaijani, Karakalpak, Kazakh in
		// Latin or Turkish script, and the languages falling back to them.
		// (Kazakh only before MediaWiki 1.43: "kk-latn@1.39".)
		{"kk-latn@1.39.17", "ivan", "İvan", ""},
		{"kk-tr@1.39", "ivan", "İvan", ""},
		{"kk-latn@1.42.7", "ivan", "İvan", ""},
		{"kk-latn@1.39", "İvan", "İvan", ""},
		{"kk-latn@1.39", "Ivan", "Ivan", ""},
		{"kk-latn@1.39", "i\u0307van", "İ\u0307van", ""},
		{"kk-latn@1.43.0", "ivan", "Ivan", ""},
		{"kk-tr@1.43.9", "ivan", "Ivan", ""},
		{"kk-latn@1.46.0-wmf.3", "ivan", "Ivan", ""},
		{"kk-latn", "ivan", "Ivan", ""}, // the version unknown: the newest
		{"kk-latn@1.43", "i\u0307van", "", "unstable-form"},
		{"tr@1.43", "ivan", "İvan", ""},
		{"kk", "ivan", "Ivan", ""}, // the default variant, kk-cyrl
		{"kk-cyrl", "ivan", "Ivan", ""},
		{"kk-arab", "ivan", "Ivan", ""},
		{"kaa", "ivan", "İvan", ""},
		{"tr", "ivan", "İvan", ""},
		{"lez", "ivan", "İvan", ""},
		{"en", "i\u0307van", "", "unstable-form"}, // I and U+0307, not NFC
	} {
		lang, version, _ := strings.Cut(tt.lang, "@")
		got, p := Rules{Lang: lang, MediaWiki: version}.Canonical(tt.in)
		code := ""
		if p != nil {
			code = p.Code
		}
		if got != tt.want || code != tt.code {
			t.Errorf("%s %+q: got %+q (%s), want %+q (%s)", tt.lang, tt.in, got, code, tt.want, tt.code)
		}
	}
}

// pairTable replaces as PHP's strtr does: the longest key first, and a
// replacement is not looked at again.
func TestPairTable(t *testing.T) {
	tab := newPairTable([][2]string{{"a", "b"}, {"ab", "X"}, {"b", "a"}})
	for in, want := range map[string]string{"": "", "zz": "zz", "a": "b", "ab": "X", "aab": "bX", "ba": "ab", "abab": "XX"} {
		if got := tab.replace(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
