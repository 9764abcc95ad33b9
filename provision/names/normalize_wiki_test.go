package names

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mwprovision/mwprovision/wikitest"
)

// normalizeCorpus is a few thousand names mixing what the content
// languages' classes rewrite: Arabic letters and presentation forms (every
// key of LanguageAr's table, and forms it lacks), Malayalam with virama and
// U+200D or U+200C (every key of LanguageMl's table), i, ı, I, İ and a
// combining dot above at the start, Latin, Cyrillic and Greek, spaces,
// underscores and "&amp;".
func normalizeCorpus() []string {
	rng := rand.New(rand.NewPCG(1, 39))
	var names []string
	for _, p := range normalizeArPairs {
		names = append(names, p[0], "م"+p[0]+"د", " "+p[0]+"_x")
	}
	for _, p := range normalizeMlPairs {
		names = append(names, p[0], "മ"+p[0], p[0]+"ക", p[0]+"\u200d", "&amp;"+p[0])
	}
	runeIn := func(lo, hi rune) string { return string(lo + rune(rng.IntN(int(hi-lo+1)))) }
	pieces := []func() string{
		func() string { return normalizeArPairs[rng.IntN(len(normalizeArPairs))][0] },
		func() string { return runeIn(0xFB50, 0xFDFF) }, // presentation forms A, some not in the table
		func() string { return runeIn(0xFE70, 0xFEFC) }, // presentation forms B
		func() string { return runeIn(0x0621, 0x064A) }, // Arabic letters
		func() string { return runeIn(0x064B, 0x0652) }, // Arabic marks
		func() string { return normalizeMlPairs[rng.IntN(len(normalizeMlPairs))][0] },
		func() string { return runeIn(0x0D15, 0x0D39) + "\u0d4d" }, // consonant and virama
		func() string { return runeIn(0x0D15, 0x0D39) + runeIn(0x0D3E, 0x0D4C) },
		func() string { return runeIn(0x0D7A, 0x0D7F) }, // atomic chillus
		func() string { return []string{"\u200d", "\u200c"}[rng.IntN(2)] },
		func() string {
			return []string{"i", "ı", "I", "İ", "i\u0307", "I\u0307", "İ\u0307", "\u0307", "ivan", "iğdır", "ılgaz"}[rng.IntN(11)]
		},
		func() string { return []string{"ivan", "maria", "Petrov", "ß", "ǆ", "x", "7"}[rng.IntN(7)] },
		func() string {
			return []string{"Жанна", "жанна", "іван", "ώμέγα", "ΐ"}[rng.IntN(5)]
		},
		func() string { return []string{" ", "_", "  ", "_ ", "-", "&amp;", "."}[rng.IntN(7)] },
	}
	for len(names) < 5000 {
		var b strings.Builder
		for n := 1 + rng.IntN(4); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))]())
		}
		names = append(names, b.String())
	}
	return names
}

// TestNormalizationAgreesWithRealWiki compares our names with MediaWiki's
// own over normalizeCorpus, for wikis in Arabic, Kazakh in Latin script,
// Malayalam and Turkish (a control): one PHP process per language runs
// the content language's normalize (what WebRequest does to every
// parameter) and UserNameUtils::getCanonical($name, 'creatable') and
// isUsable over all the names. We must agree on every name but our
// deliberate unstable-form refusals (the wiki stores a name that is not
// NFC).
func TestNormalizationAgreesWithRealWiki(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	// The content language comes from a file, so one wiki serves all.
	langFile := filepath.Join(w.Dir, "content-language")
	if err := w.AppendSettings(`if ( is_readable( __DIR__ . '/content-language' ) ) { $wgLanguageCode = trim( file_get_contents( __DIR__ . '/content-language' ) ); }`); err != nil {
		t.Fatal(err)
	}
	mw, php, err := w.Versions()
	if err != nil {
		t.Fatal(err)
	}
	corpus := normalizeCorpus()
	in, err := json.Marshal(corpus)
	if err != nil {
		t.Fatal(err)
	}
	inFile, outFile := filepath.Join(w.Dir, "names.json"), filepath.Join(w.Dir, "canonical.json")
	if err := os.WriteFile(inFile, in, 0o644); err != nil {
		t.Fatal(err)
	}
	code := `$s = MediaWiki\MediaWikiServices::getInstance(); $l = $s->getContentLanguage(); $u = $s->getUserNameUtils(); $out = []; ` +
		`foreach ( json_decode( file_get_contents( '` + w.PathForPHP(inFile) + `' ), true ) as $n ) { $c = $u->getCanonical( $l->normalize( $n ), 'creatable' ); $out[] = ( $c !== false && $u->isUsable( $c ) ) ? $c : false; } ` +
		`file_put_contents( '` + w.PathForPHP(outFile) + `', json_encode( [ 'lang' => $l->getCode(), 'names' => $out ], JSON_INVALID_UTF8_SUBSTITUTE ) ); echo "canonical: ", count( $out ), "\n";`
	for _, lang := range []string{"ar", "kk-latn", "ml", "tr"} {
		if err := os.WriteFile(langFile, []byte(lang), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(outFile)
		if out, err := w.Eval(code); err != nil || !strings.Contains(out, "canonical: ") {
			t.Fatalf("%s: eval.php: %v %q", lang, err, out)
		}
		b, err := os.ReadFile(outFile)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Lang  string `json:"lang"`
			Names []any  `json:"names"`
		}
		if err := json.Unmarshal(b, &got); err != nil || got.Lang != lang || len(got.Names) != len(corpus) {
			t.Fatalf("%s: the wiki answered for %q, %d names (%v)", lang, got.Lang, len(got.Names), err)
		}
		rules := Rules{Lang: lang, MediaWiki: mw, PHP: php}
		mismatches, refusals, languageRefusals, accepted, notEnglish := 0, 0, 0, 0, 0
		for i, raw := range corpus {
			wiki, _ := got.Names[i].(string) // false: refused
			ours, p := rules.Canonical(raw)
			if wiki != "" {
				accepted++
			}
			if en, _ := (Rules{MediaWiki: mw, PHP: php}).Canonical(raw); en != wiki {
				notEnglish++
			}
			switch {
			case ours == wiki:
			case p != nil && p.Code == "unstable-form" && wiki != "":
				refusals++
				if _, enP := (Rules{MediaWiki: mw, PHP: php}).Canonical(raw); enP == nil || enP.Code != "unstable-form" {
					languageRefusals++
					if testing.Verbose() && languageRefusals <= 5 {
						t.Logf("%s: %+q: the wiki stores %+q, we refuse it as unstable", lang, raw, wiki)
					}
				}
			default:
				mismatches++
				if mismatches <= 20 {
					code := ""
					if p != nil {
						code = p.Code
					}
					t.Errorf("%s: %+q: we say %+q (%s), the wiki %+q", lang, raw, ours, code, wiki)
				}
			}
			if !utf8.ValidString(wiki) {
				t.Errorf("%s: %+q: the wiki's answer is not UTF-8", lang, raw)
			}
		}
		t.Logf("%s: %d names, %d accepted by the wiki, %d named otherwise than an English wiki would, %d mismatches, %d deliberate unstable-form refusals (%d not made in English)",
			lang, len(corpus), accepted, notEnglish, mismatches, refusals, languageRefusals)
		if notEnglish == 0 {
			t.Errorf("%s: the wiki names everything as an English wiki would: is its language set?", lang)
		}
	}
}
