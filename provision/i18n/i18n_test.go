package i18n

import "testing"

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
