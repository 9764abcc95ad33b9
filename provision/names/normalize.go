package names

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

//go:generate go run gen_normalize.go -mw /usr/share/mediawiki -o normalize_tables.go

// langClass is what a wiki's content language class does to a user name
// beyond MediaWiki's Language: MediaWiki 1.39 picks the class of the
// language itself or, when it has none, of the first language of its
// fallback chain that has one (LanguageFactory::newFromCode). Of the
// classes of MediaWiki 1.39, these override normalize or ucfirst:
//
//   - LanguageAr::normalize maps Arabic presentation forms to the letters
//     they show (normalizeArPairs) after NFC: ar, and arz, ary, arq,
//     aeb-arab through their fallback to ar, and apc and acm, which
//     MediaWiki 1.43 added (not aeb: its fallback chain, as the wiki
//     gives it, is aeb-arab then en, without ar).
//   - LanguageMl::normalize maps a consonant, virama and U+200D to its
//     atomic chillu (normalizeMlPairs): ml.
//   - LanguageTr, LanguageAz and LanguageKaa: a first i becomes İ. tr,
//     and gag, kiu, lzz through their fallback to tr; az, and lez through
//     ru (no class) to az; kaa.
//   - LanguageKk::ucfirst: a first i becomes İ when the preferred variant
//     is kk-latn or kk-tr. On a kk-latn or kk-tr wiki (no class of their
//     own: LanguageKk through their fallback to kk) that variant is the
//     language itself; on a kk wiki it is the variant of whoever asks
//     (kk-cyrl by default), which we cannot know, so there we assume the
//     default, and the run sends the name so capitalized, which every
//     variant keeps; kk-cyrl, kk-kz, kk-arab, kk-cn never make İ.
//
// TestLanguageClassesAreTheWikis checks these against every language of
// MediaWiki 1.39 and 1.43, whose classes differ only in LanguageKk.
//
// (LanguageBe_tarask, LanguageGan, LanguageYue, LanguageZh and
// LanguageZh_hans override normalizeForSearch only, which names never
// meet.) MediaWiki 1.43 no longer has LanguageKk::ucfirst: there every kk
// wiki capitalizes i as I (Rules.MediaWiki decides; unknown, the newest).
type langClass struct {
	dottedI bool
	// before143: dottedI holds only before MediaWiki 1.43 (LanguageKk).
	before143 bool
	// title: MediaWiki 1.43 and later capitalize a first letter by its
	// title case, not its upper case (ucfirstIn).
	title bool
	// unicode16: PHP 8.4 and later know the cases Unicode 16 added.
	unicode16 bool
	// tempReserved: from MediaWiki 1.43 a name beginning with '~' is kept
	// for temporary accounts ($wgAutoCreateTempUser's reservedPattern
	// "~$1" by default), enabled or not.
	tempReserved bool
	normalize    *pairTable // nil: NFC only
}

var (
	arabicTable    = newPairTable(normalizeArPairs[:])
	malayalamTable = newPairTable(normalizeMlPairs[:])
)

// langClasses maps a content language code to its class's rules; any
// other language has none.
var langClasses = map[string]langClass{
	"ar": {normalize: arabicTable}, "arz": {normalize: arabicTable}, "ary": {normalize: arabicTable},
	"arq": {normalize: arabicTable}, "aeb-arab": {normalize: arabicTable},
	"apc": {normalize: arabicTable}, "acm": {normalize: arabicTable}, // MediaWiki 1.43's languages
	"ml": {normalize: malayalamTable},
	"tr": {dottedI: true}, "gag": {dottedI: true}, "kiu": {dottedI: true}, "lzz": {dottedI: true},
	"az": {dottedI: true}, "lez": {dottedI: true}, "kaa": {dottedI: true},
	"kk-latn": {dottedI: true, before143: true}, "kk-tr": {dottedI: true, before143: true},
}

func classOf(lang string) langClass { return langClasses[strings.ToLower(lang)] }

// classIn is the class of lang's rules in MediaWiki version mw ("1.43.1")
// on PHP version php ("8.4.11"); empty: unknown, the newest.
func classIn(lang, mw, php string) langClass {
	lc := classOf(lang)
	lc.title = !versionBefore(mw, 1, 43)
	lc.unicode16 = !versionBefore(php, 8, 4)
	lc.tempReserved = lc.title
	if lc.before143 && lc.title {
		lc.dottedI = false
	}
	return lc
}

// versionBefore reports whether MediaWiki version mw ("1.39.17",
// "1.43.0-rc.1", "1.46.0-wmf.3") is known and older than major.minor.
func versionBefore(mw string, major, minor int) bool {
	var a, b int
	if n, _ := fmt.Sscanf(mw, "%d.%d", &a, &b); n != 2 {
		return false
	}
	return a < major || a == major && b < minor
}

// pairTable is ReplacementArray::replace, PHP's strtr with an array: at
// each position the longest key that matches is replaced, and the scan
// goes on after it (a replacement is never looked at again).
type pairTable struct {
	byFirst map[rune][][2]string // longest key first
}

func newPairTable(pairs [][2]string) *pairTable {
	t := &pairTable{byFirst: map[rune][][2]string{}}
	for _, p := range pairs {
		r, _ := utf8.DecodeRuneInString(p[0])
		t.byFirst[r] = append(t.byFirst[r], p)
	}
	for _, ps := range t.byFirst {
		sort.SliceStable(ps, func(i, j int) bool { return len(ps[i][0]) > len(ps[j][0]) })
	}
	return t
}

// replace applies the table to s.
func (t *pairTable) replace(s string) string {
	start := -1
	for i, r := range s {
		if _, ok := t.byFirst[r]; ok {
			start = i
			break
		}
	}
	if start < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:start])
	for i := start; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		matched := false
		for _, p := range t.byFirst[r] {
			if strings.HasPrefix(s[i:], p[0]) {
				b.WriteString(p[1])
				i += len(p[0])
				matched = true
				break
			}
		}
		if !matched {
			b.WriteString(s[i : i+size])
			i += size
		}
	}
	return b.String()
}
