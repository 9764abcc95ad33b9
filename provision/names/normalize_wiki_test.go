package names

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/mwprovision/mwprovision/wikitest"
)

// normalizeCorpus is size names (a few thousand in make test, hundreds of
// thousands in make names-differential) mixing what the content
// languages' classes and versions rewrite: Arabic letters and
// presentation forms (every key of LanguageAr's table, and forms it
// lacks), Malayalam with virama and U+200D or U+200C (every key of
// LanguageMl's table), i, ı, I, İ and a combining dot above at the start,
// letters whose title case is not their upper case (ß, ǆ, ﬁ, ᾳ) and those
// Unicode 16 gave a case, Latin, Cyrillic and Greek, the User namespace's
// names in several languages and cases (Greek capitals with a final Σ),
// other namespaces' names, '~', spaces, underscores and "&amp;", and
// every reserved name of the languages tested.
func normalizeCorpus(size int) []string {
	rng := rand.New(rand.NewPCG(1, 39))
	var names []string
	for _, p := range normalizeArPairs {
		names = append(names, p[0], "م"+p[0]+"د", " "+p[0]+"_x")
	}
	for _, p := range normalizeMlPairs {
		names = append(names, p[0], "മ"+p[0], p[0]+"ക", p[0]+"\u200d", "&amp;"+p[0])
	}
	for _, lang := range differentialLanguages {
		for name := range reservedFor(lang) {
			names = append(names, name, strings.ToLower(name[:1])+name[1:], name+"_")
		}
	}
	runeIn := func(lo, hi rune) string { return string(lo + rune(rng.IntN(int(hi-lo+1)))) }
	pick := func(list ...string) func() string { return func() string { return list[rng.IntN(len(list))] } }
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
		pick("\u200d", "\u200c"),
		pick("i", "ı", "I", "İ", "i\u0307", "I\u0307", "İ\u0307", "\u0307", "ivan", "iğdır", "ılgaz"),
		pick("ivan", "maria", "Petrov", "ß", "ǆ", "ǅ", "Ǆ", "ﬁ", "ﬀ", "ᾳ", "ŉ", "ǰ", "x", "7", "\u019b", "\u0264", "\U00010d70"),
		func() string { return runeIn(0x00C0, 0x024F) }, // Latin-1 and Extended-A, B
		func() string { return runeIn(0x1E00, 0x1FFF) }, // Latin and Greek Extended
		func() string { return runeIn(0x0370, 0x03FF) }, // Greek
		func() string { return runeIn(0x0400, 0x04FF) }, // Cyrillic
		pick("Жанна", "жанна", "іван", "ώμέγα", "ΐ", "σοφία", "ΣΟΦΊΑΣ"),
		// Namespace prefixes: the User namespace's names and aliases in
		// the languages tested, in other cases, and other namespaces'.
		pick("User:", "user:", "USER:", "Benutzer:", "benutzerin:", "Benutzer Diskussion:", "Diskussion:",
			"Χρήστης:", "χρήστης:", "ΧΡΉΣΤΗΣ:", "ΧΡΗΣΤΗΣ:", "Χρήστρια:", "Συζήτηση:",
			"مستخدم:", "مستخدمة:", "نقاش:", "Kullanıcı:", "KULLANICI:", "kullanıcı:", "İstifadəçi:", "istifadəçi:",
			"Qatıswşı:", "Қатысушы:", "ഉപയോക്താവ്:", "Talk:", "Project:", "Special:", ":"),
		pick(" ", "_", "  ", "_ ", "-", "&amp;", ".", "~", "~~", "\u00a0"),
	}
	for len(names) < size {
		var b strings.Builder
		for n := 1 + rng.IntN(4); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))]())
		}
		names = append(names, b.String())
	}
	return names
}

// differentialLanguages are the content languages the differential test
// sets up the wiki in: those whose class rewrites names (ar, ml), whose
// first i is İ (tr, az, kk-latn), whose answer depends on a variant (kk),
// whose User namespace has aliases or capitals PHP lower-cases by version
// (de, el), and English.
var differentialLanguages = []string{"ar", "kk-latn", "kk", "ml", "tr", "az", "el", "de", "en"}

// corpusSize is the size of the differential corpus: 5,000 names, or
// $MWPROVISION_NAMES_CORPUS (make names-differential sets 300,000).
func corpusSize(t *testing.T) int {
	v := os.Getenv("MWPROVISION_NAMES_CORPUS")
	if v == "" {
		return 5000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 {
		t.Fatalf("MWPROVISION_NAMES_CORPUS=%q: want a number of names, at least 1000", v)
	}
	return n
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
	corpus := normalizeCorpus(corpusSize(t))
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
		`file_put_contents( '` + w.PathForPHP(outFile) + `', json_encode( [ 'lang' => $l->getCode(), 'ns' => $l->getNamespaceIds(), 'names' => $out ], JSON_INVALID_UTF8_SUBSTITUTE ) ); echo "canonical: ", count( $out ), "\n";`
	for _, lang := range differentialLanguages {
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
			Lang  string         `json:"lang"`
			NS    map[string]int `json:"ns"`
			Names []any          `json:"names"`
		}
		if err := json.Unmarshal(b, &got); err != nil || got.Lang != lang || len(got.Names) != len(corpus) {
			t.Fatalf("%s: the wiki answered for %q, %d names (%v)", lang, got.Lang, len(got.Names), err)
		}
		// The wiki's namespace names, as AskSite reads them from siteinfo:
		// PHP's keys are its lower case, with underscores.
		rules := Rules{Lang: lang, MediaWiki: mw, PHP: php, Namespaces: map[string]int{}}
		for k, id := range got.NS {
			rules.Namespaces[NamespaceKey(strings.ReplaceAll(k, "_", " "))] = id
		}
		mismatches, refusals, languageRefusals, sigma, accepted, notEnglish := 0, 0, 0, 0, 0, 0
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
			case wiki == "" && p == nil && finalSigmaPrefix(raw) && versionBefore(php, 8, 3):
				// Deliberate: before PHP 8.3 the wiki lower-cases a final
				// Σ as σ and misses its User namespace's name; we read the
				// prefix as PHP 8.3 does, and the run sends the name
				// without it.
				sigma++
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
		t.Logf("MediaWiki %s, PHP %s, %s: %d names, %d accepted by the wiki, %d named otherwise than an English wiki would, %d mismatches, %d deliberate unstable-form refusals (%d not made in English), %d capital final-Σ prefixes read as PHP 8.3 does",
			mw, php, lang, len(corpus), accepted, notEnglish, mismatches, refusals, languageRefusals, sigma)
		if notEnglish == 0 && lang != "en" {
			t.Errorf("%s: the wiki names everything as an English wiki would: is its language set?", lang)
		}
	}
}

// finalSigmaPrefix reports whether raw starts with a prefix (before a
// ':') holding a capital Σ that ends a word: PHP before 8.3 lower-cases it
// as σ, where the namespace's name has ς.
func finalSigmaPrefix(raw string) bool {
	prefix, _, ok := strings.Cut(strings.TrimLeft(raw, " _"), ":")
	if !ok {
		return false
	}
	for i := strings.Index(prefix, "Σ"); i >= 0; {
		rest := prefix[i+len("Σ"):]
		if r, _ := utf8.DecodeRuneInString(rest); rest == "" || !unicode.IsLetter(r) {
			return true
		}
		j := strings.Index(rest, "Σ")
		if j < 0 {
			break
		}
		i += len("Σ") + j
	}
	return false
}

// TestLanguageClassesAreTheWikis asks the wiki, for every language it has
// a name for, what that language does to a first i and to an Arabic
// presentation form and a Malayalam chillu sequence, and checks that our
// classes say the same: a language added to a fallback chain, or a class
// dropped, is noticed.
func TestLanguageClassesAreTheWikis(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	mw, php, err := w.Versions()
	if err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(w.Dir, "classes.json")
	probe := "ﻣ" + normalizeMlPairs[0][0]
	code := `$s = MediaWiki\MediaWikiServices::getInstance(); $f = $s->getLanguageFactory(); $out = []; ` +
		`foreach ( array_keys( $s->getLanguageNameUtils()->getLanguageNames( null, 'mwfile' ) ) as $c ) { $l = $f->getLanguage( $c ); ` +
		`$out[$c] = [ $l->ucfirst( 'ivan' ), $l->normalize( ` + phpString(probe) + ` ) ]; } ` +
		`file_put_contents( '` + w.PathForPHP(outFile) + `', json_encode( $out ) ); echo "languages: ", count( $out ), "\n";`
	if out, err := w.Eval(code); err != nil || !strings.Contains(out, "languages: ") {
		t.Fatalf("eval.php: %v %q", err, out)
	}
	b, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string][2]string
	if err := json.Unmarshal(b, &got); err != nil || len(got) < 300 {
		t.Fatalf("the wiki answered for %d languages (%v)", len(got), err)
	}
	dotted, normalizing := 0, 0
	for c, ans := range got {
		lc := classIn(c, mw, php)
		want := [2]string{ucfirstIn("ivan", lc), probe}
		if lc.normalize != nil {
			want[1] = lc.normalize.replace(probe)
			normalizing++
		}
		if lc.dottedI {
			dotted++
		}
		if ans != want {
			t.Errorf("MediaWiki %s, %s: the wiki makes %+q, we %+q", mw, c, ans, want)
		}
	}
	t.Logf("MediaWiki %s: %d languages, %d with a dotted İ, %d normalizing names", mw, len(got), dotted, normalizing)
}

// phpString is s as a PHP string literal.
func phpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
