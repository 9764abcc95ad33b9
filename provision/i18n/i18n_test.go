package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var paramRef = regexp.MustCompile(`\$\d+`)

func params(msg string) []string {
	ps := paramRef.FindAllString(msg, -1)
	slices.Sort(ps)
	return slices.Compact(ps)
}

// Every shipped language has every message, no message English lacks,
// and each message takes the parameters English's takes; qqq.json
// documents every message.
func TestEveryLanguageHasEveryMessage(t *testing.T) {
	for _, lang := range append(slices.Clone(Languages[1:]), "qqq") {
		for _, key := range Keys() {
			msg, ok := Raw(lang, key)
			if !ok {
				t.Errorf("%s: no message %s", lang, key)
				continue
			}
			if lang == "qqq" {
				continue
			}
			en, _ := Raw("en", key)
			if got, want := params(msg), params(en); !slices.Equal(got, want) {
				t.Errorf("%s: %s takes %v, English's takes %v", lang, key, got, want)
			}
			if strings.Count(msg, "{{") != strings.Count(msg, "}}") {
				t.Errorf("%s: %s has an unclosed {{…}}", lang, key)
			}
		}
		for key := range catalog[lang] {
			if _, ok := catalog["en"][key]; !ok {
				t.Errorf("%s: %s is no English message", lang, key)
			}
		}
	}
}

// A row's words (row-CODE) are used when the program gives a row that
// code, or that status: the code is written in the source (the wiki's
// own codes, in the lists of those the program knows). Months
// (month-N) are Date's, 1 to 12.
func familyUsed(key, src string) (used, family bool) {
	switch {
	case strings.HasPrefix(key, "row-"):
		code := strings.TrimPrefix(key, "row-")
		return code == "unknown" || regexp.MustCompile(`[^a-z0-9-]`+regexp.QuoteMeta(code)+`[^a-z0-9-]`).MatchString(src), true
	case strings.HasPrefix(key, "month-"):
		n, err := strconv.Atoi(strings.TrimPrefix(key, "month-"))
		return err == nil && n >= 1 && n <= 12, true
	}
	return false, false
}

// Every message is used: its key is written somewhere in the program's
// source (Go code or the console's pages), or it belongs to a family.
func TestEveryMessageIsUsed(t *testing.T) {
	var source strings.Builder
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata" || d.Name() == "messages") {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".go" && !strings.HasSuffix(path, "_test.go") || ext == ".html" || ext == ".js") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			source.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	src := source.String()
	for _, key := range Keys() {
		if used, family := familyUsed(key, src); family {
			if !used {
				t.Errorf("the message %s is for a code or month the program never has", key)
			}
			continue
		}
		if !strings.Contains(src, `"`+key+`"`) {
			t.Errorf("the message %s is used nowhere: remove it from every language, or use it", key)
		}
	}
}

// PLURAL chooses by each language's categories: Arabic's six for 0, 1,
// 2, 3, 11 and 100; French's and Spanish's one and other; English's.
func TestPlural(t *testing.T) {
	forms := "{{PLURAL:$1|zero|one|two|few|many|other}}"
	for _, tt := range []struct {
		lang string
		want map[int]string
	}{
		{"ar", map[int]string{0: "zero", 1: "one", 2: "two", 3: "few", 11: "many", 100: "other", 102: "other", 111: "many"}},
		{"en", map[int]string{0: "one", 1: "zero", 2: "one", 100: "one"}},  // English has one, other: the first two forms
		{"fr", map[int]string{0: "zero", 1: "zero", 2: "two", 100: "two"}}, // French: one (0 and 1), many, other
	} {
		for n, want := range tt.want {
			if got := expand(tt.lang, forms, []any{n}); got != want {
				t.Errorf("%s, %d: %q, want %q", tt.lang, n, got, want)
			}
		}
	}
	two := "{{PLURAL:$1|$1 row|$1 rows}}"
	for n, want := range map[int]string{0: "0 rows", 1: "1 row", 2: "2 rows", 1000: "1,000 rows"} {
		if got := expand("en", two, []any{n}); got != want {
			t.Errorf("en, %d: %q, want %q", n, got, want)
		}
	}
	if got := expand("en", "{{PLURAL:$1|0=no rows|$1 row|$1 rows}}", []any{0}); got != "no rows" {
		t.Errorf("an explicit 0= form: %q", got)
	}
	if got := expand("ar", "$1", []any{12}); got != "١٢" {
		t.Errorf("Arabic numbers: %q, want ١٢", got)
	}
}

// A message a language lacks is English's; one nobody has shows its key
// as MediaWiki shows a missing message.
func TestFallback(t *testing.T) {
	catalog["xx"] = map[string]string{}
	defer delete(catalog, "xx")
	if got, want := Lang("xx").T("report-rows", 2), "2 rows"; got != want {
		t.Errorf("fallback: %q, want %q", got, want)
	}
	if got := Lang("en").T("no-such-message"); got != "⧼no-such-message⧽" {
		t.Errorf("a missing message: %q", got)
	}
}

func TestMatch(t *testing.T) {
	for header, want := range map[string]string{
		"ar,en;q=0.9": "ar", "fr-CA,fr;q=0.9,en;q=0.8": "fr", "es-419,es;q=0.9": "es", "de-DE,de;q=0.9": "en", "": "en",
		"ar-EG": "ar", "de,fr;q=0.5": "fr",
	} {
		if got := Match(header); got != want {
			t.Errorf("Match(%q) = %s, want %s", header, got, want)
		}
	}
}

// The dates of every language, with its month names.
func TestDate(t *testing.T) {
	for _, lang := range Languages {
		got := Lang(lang).Date(8, 12, 2026)
		month := Lang(lang).T("month-12")
		if !strings.Contains(got, month) || !strings.Contains(got, Lang(lang).Number(8)) {
			t.Errorf("%s: 8 December 2026 is %q", lang, got)
		}
	}
	for m := 1; m <= 12; m++ {
		if _, ok := Raw("en", "month-"+string(rune('0'+m/10))+string(rune('0'+m%10))); ok && m < 10 {
			t.Errorf("month keys are month-N, not zero-padded")
		}
	}
}

// The catalogue loads as MediaWiki writes its files — @metadata an object,
// every other value a message — and English has the report's words.
func TestCatalogueLoads(t *testing.T) {
	if len(Keys()) == 0 {
		t.Fatal("the English catalogue is empty")
	}
	if _, ok := Raw("en", "@metadata"); ok {
		t.Error("@metadata is taken for a message")
	}
	if got, want := Lang("en").T("report-rows", 1), "1 row"; got != want {
		t.Errorf("report-rows 1 = %q, want %q", got, want)
	}
	if got, want := Lang("en").T("report-rows", 2), "2 rows"; got != want {
		t.Errorf("report-rows 2 = %q, want %q", got, want)
	}
}

// A date's year is in the language's digits, as its day, and not grouped.
func TestDateYear(t *testing.T) {
	for lang, want := range map[string]string{"en": "8 December 2026", "fr": "8 décembre 2026", "es": "8 de diciembre de 2026", "ar": "٨ ديسمبر ٢٠٢٦"} {
		if got := Lang(lang).Date(8, 12, 2026); got != want {
			t.Errorf("%s: Date(8, 12, 2026) = %q, want %q", lang, got, want)
		}
	}
	for _, lang := range Languages {
		if got := Lang(lang).Date(1, 1, 2027); strings.Contains(got, "2,027") || strings.Contains(got, "2 027") || strings.Contains(got, "2.027") || strings.Contains(got, "٢٬٠٢٧") {
			t.Errorf("%s: the year is grouped: %q", lang, got)
		}
	}
}
