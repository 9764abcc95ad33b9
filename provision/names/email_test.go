package names

import "testing"

// Each expectation was checked with PHP 8.2's preg_match and the regular
// expression of Sanitizer::validateEmail copied from MediaWiki 1.39.17's
// includes/parser/Sanitizer.php on 2026-11-21 (the wiki offers no read-only
// API that validates an address).
var validEmailCases = []struct {
	addr string
	want bool
}{
	{"alice@example.org", true},
	{"Alice.Smith+tag@Example.COM", true},
	{"a@b", true},
	{"a@localhost", true},
	{"user@sub.domain.example", true},
	{"a@1.2.3.4", true},
	{"!#$%&'*+-/=?^_`{|}~@example.org", true},
	{".a..b.@example.org", true},
	{"a@b-c.d-e", true},
	{"a@-b-", true},
	{"a@b.", false},
	{"a@.b", false},
	{"a@b..c", false},
	{"@example.org", false},
	{"a@", false},
	{"a", false},
	{"", false},
	{"a@b@c", false},
	{"a b@c", false},
	{"a@b c", false},
	{"a\"b@c", false},
	{"a(b)@c", false},
	{"a,b@c", false},
	{"a;b@c", false},
	{"a:b@c", false},
	{"a<b>@c", false},
	{"a[b]@c", false},
	{"a\\b@c", false},
	{"a@b_c", false},
	{"a@[1.2.3.4]", false},
	{"\u00e9@example.org", false},
	{"a@ex\u00e4mple.org", false},
	{"a@b\n", true}, // PHP's '$' also matches before a final newline
	{"a@b\n\n", false},
	{"a@b\r", false},
	{"\na@b", false},
	{" a@b", false},
	{"a@b ", false},
	{"a@b\t", false},
	{"a@b.c\x00", false},
	{"a\u00a0@b", false},
}

func TestValidEmail(t *testing.T) {
	for _, c := range validEmailCases {
		if got := ValidEmail(c.addr); got != c.want {
			t.Errorf("ValidEmail(%q) = %v, want %v", c.addr, got, c.want)
		}
	}
}
