package provision

import (
	"testing"

	"github.com/mwprovision/mwprovision/provision/names"
	"github.com/mwprovision/mwprovision/provision/sheet"
)

// A wiki's content language capitalizes names: on a Turkish or an
// Azerbaijani wiki (and those that fall back to them) a first i is İ, so
// "ivan" and "İvan" are one account; elsewhere "ivan" is "Ivan".
func TestCanonicalUsernameInTheWikisLanguage(t *testing.T) {
	for _, tt := range []struct{ raw, lang, want string }{
		{"ivan", "en", "Ivan"},
		{"ivan", "", "Ivan"},
		{"ivan", "tr", "İvan"},
		{"ivan", "TR", "İvan"},
		{"İvan", "tr", "İvan"},
		{"Ivan", "tr", "Ivan"},
		{"  ivan_petrov ", "tr", "İvan petrov"},
		{"ıvan", "tr", "Ivan"},
		{"ivan", "az", "İvan"},
		{"ivan", "gag", "İvan"},
		{"ivan", "lez", "İvan"},
		{"ivan", "kaa", "İvan"},
		{"ivan", "de", "Ivan"},
		{"maria", "tr", "Maria"},
	} {
		got, p := names.Rules{Lang: tt.lang}.Canonical(tt.raw)
		if p != nil || got != tt.want {
			t.Errorf("Rules{Lang: %q}.Canonical(%q) = %q, %v; want %q", tt.lang, tt.raw, got, p, tt.want)
		}
	}
	check := NewChecker(true)
	check.Names.Lang = "tr"
	a, b := Account{Row: sheet.Row{Line: 2, Username: "ivan", Email: "a@example.org"}}, Account{Row: sheet.Row{Line: 3, Username: "İvan", Email: "b@example.org"}}
	check.Check(&a)
	check.Check(&b)
	if a.Problem != nil || b.Problem == nil || !b.Problem.Duplicate || b.Problem.FirstLine != 2 {
		t.Errorf("on a Turkish wiki, ivan then İvan: %+v, %+v; want the second a duplicate of line 2", a.Problem, b.Problem)
	}
}
