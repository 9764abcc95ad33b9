package names

import "strings"

// ValidEmail reports whether MediaWiki's Sanitizer::validateEmail accepts addr
// (MediaWiki 1.39, no IsValidEmailAddr hook). That is the regular expression
//
//	/^[a-z0-9!#$%&'*+\-\/=?^_`{|}~.]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*$/ix
//
// matched by PCRE on bytes: ASCII only, and, as PHP's '$' does, a single
// final "\n" is tolerated.
func ValidEmail(addr string) bool {
	addr = strings.TrimSuffix(addr, "\n")
	at := strings.IndexByte(addr, '@')
	if at <= 0 {
		return false
	}
	for i := 0; i < at; i++ {
		if !emailLocalByte[addr[i]] {
			return false
		}
	}
	label := 0 // length of the current domain label
	for i := at + 1; i < len(addr); i++ {
		c := addr[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
			label++
		default:
			return false
		}
	}
	return label > 0
}

// emailLocalByte is the class [a-z0-9!#$%&'*+\-\/=?^_`{|}~.] with /i.
var emailLocalByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-/=?^_`{|}~." {
		t[c] = true
	}
	return t
}()
