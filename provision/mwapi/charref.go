package mwapi

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mwprovision/mwprovision/provision/names"
)

// decodeReferences decodes the character references MediaWiki writes in
// message parameters: "&#60;", "&#x3C;" and "&lt;", each ended by ';'.
// Anything else stays as it is: unlike html.UnescapeString, "&not=2" in a
// URL is not "¬=2".
func decodeReferences(s string) string {
	if strings.IndexByte(s, '&') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] == '&' {
			if dec, n := reference(s[i:]); n > 0 {
				b.WriteString(dec)
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// reference decodes the reference at the start of s (which starts with
// '&') and returns it and its length, or 0 when there is none.
func reference(s string) (string, int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 40 {
		return "", 0
	}
	body := s[1:end]
	if body[0] == '#' {
		digits, base := body[1:], 10
		if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
			digits, base = digits[1:], 16
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil || v == 0 || !utf8.ValidRune(rune(v)) {
			return "", 0
		}
		return string(rune(v)), end + 1
	}
	for i := 0; i < len(body); i++ {
		if !names.IsEntityNameByte(body[i]) {
			return "", 0
		}
	}
	if dec, ok := names.DecodeEntity(s[1 : end+1]); ok {
		return dec, end + 1
	}
	return "", 0
}
