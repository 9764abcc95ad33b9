package i18n

import (
	"strings"
	"testing"
)

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
