// Package names holds MediaWiki's rules for user names as mwprovision
// predicts them offline — how the wiki makes a name canonical in its
// content language, with its namespace names, and which names it refuses —
// and the email addresses it accepts.
package names

import (
	"cmp"
	"fmt"
	"html"
	"net/netip"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mwprovision/mwprovision/provision/sheet"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// This file predicts, offline, what MediaWiki 1.39 does with a username given
// for account creation: UserNameUtils::getCanonical($name, RIGOR_CREATABLE)
// as reached through the Action API. The steps below follow MediaWiki's own
// order (the PHP function each step mirrors is named in its comment):
//
//  1. WebRequest: invalid UTF-8, C0 controls other than tab/LF/CR, U+FFFE and
//     U+FFFF become U+FFFD (so the name is invalid); the text is normalized
//     by the content language: NFC, then in Arabic and Malayalam (and the
//     languages falling back to them) a table (see langClass).
//  2. UserNameUtils::getCanonical: Language::ucfirst, then any '#' is refused.
//  3. MediaWikiTitleCodec::parseTitle: HTML character references are decoded
//     ("&amp;" becomes '&'); when the name contains '&' it is normalized
//     again by the content language.
//  4. MediaWikiTitleCodec::splitTitleString in the User namespace: bidi marks
//     are removed, runs of spaces, underscores and other Unicode spaces become
//     one space, the ends are trimmed, a leading ':' and a "User:" prefix are
//     handled, a '#' (only possible from "&num;" and friends) starts a
//     fragment that is dropped, title-invalid characters, "%41", "&foo;",
//     "." and "..", "~~~" and more than 255 bytes are refused, and the first
//     letter is capitalized.
//  5. UserNameUtils::isCreatable: at most 235 bytes, none of
//     $wgInvalidUsernameCharacters ('@', ':', '>') — plus '=' by our choice,
//     see extraInvalidUsernameCharacters.
//  6. UserNameUtils::isValid: not an IP address, no '/', no C1 controls,
//     zero-width characters or private-use characters.
//  7. UserNameUtils::isUsable: not one of $wgReservedUsernames, whose
//     "msg:" entries are texts in the wiki's content language (reserved.go),
//     and from MediaWiki 1.43 not beginning with '~' (temporary accounts).
//  8. Ours: the result must be NFC (see unstable-form below).

// extraInvalidUsernameCharacters is our deliberate departure from MediaWiki
// 1.39: its default $wgInvalidUsernameCharacters is "@:>", but MediaWiki 1.40
// and later refuse '=' too, and the Wikimedia wikis run current MediaWiki. We
// refuse '=' everywhere so that a sheet checked here works on any current wiki.
// Each character here must have an entry in extraInvalidUsernameReasons.
const extraInvalidUsernameCharacters = "="

// extraInvalidUsernameReasons says, for the message, why we refuse a
// character that MediaWiki 1.39 itself would accept.
var extraInvalidUsernameReasons = map[byte]string{
	'=': "MediaWiki 1.40 and later refuse it",
}

// mediaWikiInvalidUsernameCharacters is MediaWiki 1.39's default
// $wgInvalidUsernameCharacters.
const mediaWikiInvalidUsernameCharacters = "@:>"

// maxCreatableBytes is the length limit of UserNameUtils::isCreatable (T25080).
const maxCreatableBytes = 235

// CanonicalUsername returns the name as MediaWiki stores it, or a Problem when
// MediaWiki would refuse to create it (or when we refuse it on purpose, see
// extraInvalidUsernameCharacters and "unstable-form").
//
// Problem codes: empty-username, invalid-unicode, invisible-character,
// private-use-character, forbidden-character, url-encoding, html-entity,
// namespace-prefix, relative-path, magic-tilde, too-long, ip-address,
// reserved-name, unstable-form.
//
// A returned name is valid UTF-8, NFC, non-empty, at most 235 bytes, without
// '_', double spaces or spaces at the ends, and CanonicalUsername returns it
// unchanged.
func CanonicalUsername(raw string) (string, *sheet.Problem) {
	if name, ok := canonicalFast(raw, englishReserved); ok {
		return name, nil
	}
	return canonicalFull(raw, classIn("en", "", ""), nil, englishReserved)
}

// Rules are what a wiki's language decides about its usernames.
type Rules struct {
	// Lang is the wiki's content language (siteinfo's lang, such as
	// "tr"): it decides how the first letter is capitalized. Empty:
	// English.
	Lang string
	// Namespaces maps the wiki's own names of its namespaces, aliases
	// included (siteinfo's namespaces and namespacealiases, such as
	// "Benutzer" and "Benutzerin" on a German wiki), in lower case
	// (namespaceKey), to their numbers. A name may start with a prefix for
	// the User namespace (2), which the wiki drops ("Benutzer:Hans" is
	// "Hans" there); any other namespace makes it a page title. English
	// names always count. Nil: English names only.
	Namespaces map[string]int
	// Reserved are the names the wiki reserves ($wgReservedUsernames, its
	// "msg:" entries as the wiki's own texts of those messages in its
	// content language; see ReservedNames), compared with the canonical
	// name exactly. Nil: MediaWiki's defaults for Lang, from its
	// translations (reserved_table.go).
	Reserved map[string]bool // MediaWiki is the wiki's version (siteinfo's generator without
	// "MediaWiki ", such as "1.43.1") and PHP its PHP's (siteinfo's
	// phpversion, such as "8.4.11"). They decide how some first letters
	// are capitalized: from MediaWiki 1.43 by their title case ("ß"
	// becomes "Ss", not "SS"), and no longer as İ on a kk-latn or kk-tr
	// wiki; from PHP 8.4 with the case pairs of Unicode 16. Empty:
	// unknown, the newest rules (VersionDecides says when that matters).
	MediaWiki, PHP string
}

// class is the language class of r's language, version and PHP.
func (r Rules) class() langClass { return classIn(r.Lang, r.MediaWiki, r.PHP) }

// VersionDecides reports whether the versions r does not know (MediaWiki's,
// PHP's) decide the name of raw, whose canonical name by r is canonical:
// an older MediaWiki (1.39) on an older PHP (8.2) would name it otherwise.
// A check without the wiki cannot know which name the wiki will make.
func (r Rules) VersionDecides(raw, canonical string) bool {
	if r.MediaWiki != "" && r.PHP != "" {
		return false
	}
	if !classOf(r.Lang).before143 {
		ascii := true
		for i := 0; i < len(raw) && ascii; i++ {
			ascii = raw[i] < utf8.RuneSelf
		}
		if ascii {
			return false // ASCII letters are capitalized alike in every version
		}
	}
	old := r
	old.MediaWiki, old.PHP = cmp.Or(r.MediaWiki, "1.39"), cmp.Or(r.PHP, "8.2")
	name, _ := old.Canonical(raw)
	return name != canonical
}

// reserved is the set of reserved names the rules use.
func (r Rules) reserved() map[string]bool {
	if r.Reserved != nil {
		return r.Reserved
	}
	return reservedFor(r.Lang)
}

// Canonical is CanonicalUsername by the wiki's rules: on a Turkish wiki
// "ivan" is "İvan", not "Ivan"; on an Arabic wiki "ﻣﺤﻤﺪ" (presentation
// forms) is "محمد" (see langClass).
func (r Rules) Canonical(raw string) (string, *sheet.Problem) {
	lc := r.class()
	reserved := r.reserved()
	// Only a first letter i is capitalized otherwise there, the
	// normalization tables hold no ASCII, and a ':' (a namespace prefix)
	// always takes the full path.
	if !lc.dottedI || !strings.HasPrefix(strings.TrimLeft(raw, " _"), "i") {
		if name, ok := canonicalFast(raw, reserved); ok {
			return name, nil
		}
	}
	return canonicalFull(raw, lc, r.Namespaces, reserved)
}

// NamespaceUser is the number of the User namespace.
const NamespaceUser = 2

// DottedCapitalI reports whether a wiki in language lang capitalizes a
// first i as İ (LanguageTr, LanguageAz, LanguageKaa and, for kk-latn and
// kk-tr before MediaWiki 1.43, LanguageKk; see langClass), in the newest
// MediaWiki.
func DottedCapitalI(lang string) bool { return classIn(lang, "", "").dottedI }

// fastByte marks the ASCII bytes canonicalFast handles; any other byte sends
// the name to canonicalFull, which handles everything.
var fastByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range " _-.'!\"$()*+,;?\\^`" {
		t[c] = true
	}
	return t
}()

// canonicalFast handles the common case — plain ASCII letters, digits, spaces
// and harmless punctuation — with at most one allocation. It reports ok only
// for names MediaWiki accepts; everything else (including every name with a
// problem) goes to canonicalFull, which gives the same answer for these names
// (FuzzCanonicalUsername checks that).
func canonicalFast(raw string, reserved map[string]bool) (name string, ok bool) {
	n := len(raw)
	if n == 0 || n > 256 {
		return "", false
	}
	rewrite := raw[0] >= 'a' && raw[0] <= 'z'
	space := true // a space before the first byte, so a leading space needs a rewrite
	for i := 0; i < n; i++ {
		c := raw[i]
		if !fastByte[c] {
			return "", false
		}
		if c == ' ' || c == '_' {
			if c == '_' || space {
				rewrite = true
			}
			space = true
		} else {
			space = false
		}
	}
	if space {
		rewrite = true // trailing space, or nothing but spaces
	}
	name = raw
	if rewrite {
		var buf [256]byte
		b := buf[:0]
		pending := false
		for i := 0; i < n; i++ {
			c := raw[i]
			if c == ' ' || c == '_' {
				pending = len(b) > 0
				continue
			}
			if pending {
				b = append(b, ' ')
				pending = false
			}
			b = append(b, c)
		}
		if len(b) == 0 {
			return "", false
		}
		if b[0] >= 'a' && b[0] <= 'z' {
			b[0] -= 'a' - 'A'
		}
		if len(b) > maxCreatableBytes {
			return "", false
		}
		name = string(b)
	} else if n > maxCreatableBytes {
		return "", false
	}
	if name == "." || name == ".." || looksLikeIPv4(name) || reserved[name] {
		return "", false
	}
	return name, true
}

// canonicalFull mirrors MediaWiki step by step; see the comment at the top of
// this file.
func canonicalFull(raw string, lc langClass, namespaces map[string]int, reserved map[string]bool) (string, *sheet.Problem) {
	// Step 1, WebRequest: invalid UTF-8 and some code points become U+FFFD,
	// which splitTitleString refuses anywhere in the name.
	if !utf8.ValidString(raw) {
		return "", &sheet.Problem{Code: "invalid-unicode", Message: "the username contains bytes that are not valid UTF-8 text; save the sheet as UTF-8 and check the name"}
	}
	for _, r := range raw {
		switch {
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			return "", invisibleProblem(r)
		case r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF:
			return "", &sheet.Problem{Code: "invalid-unicode", Message: "a username cannot contain " + codePoint(r) + "; the text was probably damaged when the sheet was saved, retype the name"}
		}
	}
	s := norm.NFC.String(raw)
	if lc.normalize != nil {
		// The rest of the content language's normalize (LanguageAr, LanguageMl).
		s = lc.normalize.replace(s)
	}
	// Step 2, UserNameUtils::getCanonical.
	s = ucfirstIn(s, lc)
	if strings.IndexByte(s, '#') >= 0 {
		return "", forbiddenProblem('#')
	}

	// Step 3, Sanitizer::decodeCharReferencesAndNormalize.
	if strings.IndexByte(s, '&') >= 0 {
		// The content language's normalize: NFC and its table.
		s = norm.NFC.String(decodeCharReferences(s))
		if lc.normalize != nil {
			s = lc.normalize.replace(s)
		}
	}

	// Step 4, MediaWikiTitleCodec::splitTitleString.
	s = collapseTitleSpaces(s)
	if isIPv6(s) {
		return "", ipProblem()
	}
	mainNamespace := false
	if strings.HasPrefix(s, ":") {
		mainNamespace = true
		s = strings.TrimLeft(s[1:], " ")
	}
	if s == "" {
		return "", emptyProblem()
	}
	// The prefix regexp /^(.+?)_*:_*(.*)$/S: the first ':' after the first
	// byte; '.' does not match "\n", and '$' also matches before a final "\n".
	if i := strings.IndexByte(s[1:], ':'); i >= 0 {
		i++
		prefix := strings.TrimRight(s[:i], " ")
		rest := strings.TrimLeft(s[i+1:], " ")
		restBody := strings.TrimSuffix(rest, "\n")
		if strings.IndexByte(prefix, '\n') < 0 && strings.IndexByte(restBody, '\n') < 0 {
			switch ns := namespaceOf(prefix, namespaces); {
			case ns == "User":
				s = restBody
				mainNamespace = false
			case ns != "":
				return "", &sheet.Problem{Code: "namespace-prefix", Message: fmt.Sprintf("a username cannot start with '%s:'; remove the prefix", prefix)}
			}
			// Anything else (an interwiki prefix or plain text) keeps its
			// ':', which isCreatable refuses below.
		}
	}
	if mainNamespace {
		return "", &sheet.Problem{Code: "namespace-prefix", Message: "a username cannot start with ':'; remove it"}
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = strings.TrimRight(s[:i], " ")
	}
	if strings.HasSuffix(s, " ") {
		// Only "User:Foo \n": the prefix regexp drops the final "\n" but
		// nothing trims the space before it, and isValid then refuses the
		// name because parsing it again gives "Foo".
		return "", invisibleProblem('\n')
	}
	if p := titleInvalid(s); p != nil {
		return "", p
	}
	if s == "." || s == ".." {
		return "", &sheet.Problem{Code: "relative-path", Message: "a username cannot be just '.' or '..'"}
	}
	if strings.Contains(s, "~~~") {
		return "", &sheet.Problem{Code: "magic-tilde", Message: "a username cannot contain '~~~' (three or more tildes in a row)"}
	}
	// The 255-byte title limit comes before capitalization, the 235-byte
	// creation limit after it; capitalizing changes the length by a few bytes
	// at most, so the 235-byte check below decides both.
	s = ucfirstIn(s, lc)
	if s == "" {
		return "", emptyProblem()
	}

	// Step 5, UserNameUtils::isCreatable.
	if len(s) > maxCreatableBytes {
		return "", &sheet.Problem{Code: "too-long", Message: fmt.Sprintf("the username is %d bytes long; MediaWiki allows at most %d", len(s), maxCreatableBytes)}
	}
	if looksLikeIPv4(s) {
		return "", ipProblem()
	}
	if i := strings.IndexAny(s, mediaWikiInvalidUsernameCharacters+extraInvalidUsernameCharacters); i >= 0 {
		return "", forbiddenProblem(s[i])
	}

	// Step 6, UserNameUtils::isValid.
	if strings.IndexByte(s, '/') >= 0 {
		return "", forbiddenProblem('/')
	}
	for _, r := range s {
		switch {
		case r >= 0x80 && r <= 0x9F, r >= 0x200B && r <= 0x200D:
			return "", invisibleProblem(r)
		case r >= 0xE000 && r <= 0xF8FF:
			return "", &sheet.Problem{Code: "private-use-character", Message: "a username cannot contain " + codePoint(r) + "; retype the name without it"}
		}
	}
	if ucfirstIn(s, lc) != s || !norm.NFC.IsNormalString(s) {
		// MediaWiki normalizes before it capitalizes the first letter and
		// removes bidi marks, so for a few names ("ΐ" becomes "Ϊ́" as three
		// code points; "i" followed by U+0307 becomes "I" and U+0307; "k",
		// U+202B, U+0301 becomes "k" and U+0301) it stores a name that is not
		// NFC. Its API shows the NFC form, but anyone typing that form reaches
		// a different account. We refuse on purpose and suggest the NFC form,
		// which MediaWiki stores as shown.
		return "", &sheet.Problem{Code: "unstable-form", Message: fmt.Sprintf("the wiki would store this name in a different form than it shows; write it as '%s' instead", norm.NFC.String(s))}
	}

	// Step 7, UserNameUtils::isUsable (and isCreatable's TempUserConfig
	// check, the same from the API).
	if lc.tempReserved && strings.HasPrefix(s, "~") {
		return "", &sheet.Problem{Code: "reserved-name", Message: "names beginning with '~' are kept for the wiki's temporary accounts; choose another username"}
	}
	if reserved[s] {
		return "", &sheet.Problem{Code: "reserved-name", Message: fmt.Sprintf("the name '%s' is reserved by MediaWiki; choose another username", s)}
	}
	return s, nil
}

func emptyProblem() *sheet.Problem {
	return &sheet.Problem{Code: "empty-username", Message: "the username is empty; fill in a name"}
}

func ipProblem() *sheet.Problem {
	return &sheet.Problem{Code: "ip-address", Message: "a username cannot be an IP address"}
}

func forbiddenProblem(c byte) *sheet.Problem {
	msg := fmt.Sprintf("a username cannot contain '%c'", c)
	if why, ok := extraInvalidUsernameReasons[c]; ok {
		msg += " (" + why + ")"
	}
	return &sheet.Problem{Code: "forbidden-character", Message: msg}
}

func invisibleProblem(r rune) *sheet.Problem {
	return &sheet.Problem{Code: "invisible-character", Message: "a username cannot contain " + codePoint(r) + "; retype the name without it"}
}

// codePoint names an invisible character, e.g. "U+200B (zero width space)".
func codePoint(r rune) string {
	var name string
	switch {
	case r == '\t':
		name = "tab"
	case r == '\n':
		name = "line break"
	case r == '\r':
		name = "carriage return"
	case r == 0:
		name = "null character"
	case r == 0x7F:
		name = "delete character"
	case r < 0x20 || r >= 0x80 && r <= 0x9F:
		name = "control character"
	case r == 0x200B:
		name = "zero width space"
	case r == 0x200C:
		name = "zero width non-joiner"
	case r == 0x200D:
		name = "zero width joiner"
	case r >= 0xE000 && r <= 0xF8FF:
		name = "private-use character, often an icon from a special font"
	case r == utf8.RuneError:
		name = "replacement character"
	case r == 0xFFFE || r == 0xFFFF:
		name = "not a character"
	default:
		return fmt.Sprintf("U+%04X", r)
	}
	return fmt.Sprintf("U+%04X (%s)", r, name)
}

// NamespaceKey is a namespace name as Language::getNsIndex compares it:
// in lower case by PHP's mb_strtolower, full case mapping included ("İ" is
// "i̇", as on PHP 8.2 and 8.4). A final Σ becomes ς as on PHP 8.3 and later
// (MediaWiki 1.43 on Debian trixie); PHP 8.2 (1.39 on bookworm) makes it σ,
// so there a Greek namespace name typed in capitals is not found by the
// wiki, which refuses the name that we take: the dry run mispredicts, the
// run gets the wiki's refusal.
func NamespaceKey(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return cases.Lower(language.Und).String(name)
		}
	}
	return strings.ToLower(name)
}

// upperCasers holds golang.org/x/text/cases uppercasers, which are stateful.
// For every single code point they give the same result as PHP 8.2's
// mb_strtoupper, full case mapping included ("ß" becomes "SS"); this was
// checked over all of U+0080..U+10FFFF.
var upperCasers = sync.Pool{New: func() any { c := cases.Upper(language.Und); return &c }}

// ucfirstIn is Language::ucfirst as the wiki's language class and
// version have it: with dottedI LanguageTr's (and LanguageAz's), where a
// first i becomes İ; from MediaWiki 1.43, the first character's title case
// (ucfirstTitle), before it its upper case (ucfirst); on PHP 8.4 and later
// with the letters Unicode 16 gave a case (unicode16Upper).
func ucfirstIn(s string, lc langClass) string {
	if lc.dottedI && strings.HasPrefix(s, "i") {
		return "İ" + s[1:]
	}
	if lc.unicode16 && s != "" && s[0] >= utf8.RuneSelf {
		r, size := utf8.DecodeRuneInString(s)
		if u, ok := unicode16Upper[r]; ok {
			return string(u) + s[size:]
		}
	}
	if lc.title {
		return ucfirstTitle(s)
	}
	return ucfirst(s)
}

// unicode16Upper are the lower-case letters whose upper (and title) case
// came with Unicode 16, which PHP 8.4's mbstring has and Go's unicode
// tables (Unicode 15) do not: each maps to itself in PHP 8.2. Checked over
// every code point against PHP 8.4's mb_strtoupper and mb_convert_case.
var unicode16Upper = func() map[rune]rune {
	m := map[rune]rune{0x019B: 0xA7DC, 0x0264: 0xA7CB, 0x1C8A: 0x1C89, 0xA7CD: 0xA7CC, 0xA7DB: 0xA7DA}
	for r := rune(0x10D70); r <= 0x10D85; r++ { // Garay
		m[r] = r - 0x20
	}
	return m
}()

// titleCasers holds golang.org/x/text/cases title casers, which are
// stateful; NoLower leaves the rest of the text as it is.
var titleCasers = sync.Pool{New: func() any { c := cases.Title(language.Und, cases.NoLower); return &c }}

// ucfirst is Language::ucfirst of MediaWiki 1.39: an ASCII first byte goes
// through PHP's ucfirst, a multibyte first character through mb_strtoupper
// ($wgOverrideUcfirstCharacters is empty by default).
func ucfirst(s string) string { return firstCase(s, false) }

// ucfirstTitle is Language::ucfirst of MediaWiki 1.43: a multibyte first
// character through mb_convert_case with MB_CASE_TITLE instead, so "ß"
// becomes "Ss" and "ǆ" "ǅ" where 1.39 made them "SS" and "Ǆ". For every
// single code point it gives what PHP 8.4 gives but for unicode16Upper
// (checked over U+0080..U+10FFFF).
func ucfirstTitle(s string) string { return firstCase(s, true) }

// firstCase capitalizes the first character of s: by its upper case or,
// with title, its title case. Only the characters of hasSpecialUpper map
// to more than one code point, in either case; the others need no caser.
func firstCase(s string, title bool) string {
	if s == "" {
		return s
	}
	if c := s[0]; c < utf8.RuneSelf {
		if c >= 'a' && c <= 'z' {
			return string(rune(c-'a'+'A')) + s[1:]
		}
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	if !hasSpecialUpper(r) {
		u := unicode.ToUpper(r)
		if title {
			u = unicode.ToTitle(r)
		}
		if u == r {
			return s
		}
		return string(u) + s[size:]
	}
	pool := &upperCasers
	if title {
		pool = &titleCasers
	}
	caser := pool.Get().(*cases.Caser)
	up := caser.String(s[:size])
	pool.Put(caser)
	if up == s[:size] {
		return s
	}
	return up + s[size:]
}

// hasSpecialUpper reports whether r may have an upper-case mapping of more
// than one code point (SpecialCasing.txt), where unicode.ToUpper is not
// enough. Outside these ranges unicode.ToUpper (Unicode 15.0 in Go 1.26)
// agrees with PHP 8.2's mb_strtoupper on every code point.
func hasSpecialUpper(r rune) bool {
	switch {
	case r < 0xDF:
		return false
	case r == 0xDF, r == 0x149, r == 0x1F0, r == 0x390, r == 0x3B0, r == 0x587:
		return true
	case r >= 0x1E96 && r <= 0x1E9A, r >= 0x1F50 && r <= 0x1FFC, r >= 0xFB00 && r <= 0xFB17:
		return true
	}
	return false
}

// decodeCharReferences is Sanitizer::decodeCharReferences for a name
// without '#': "&name;" with a known HTML5 entity name is decoded; anything
// else stays as it is. (Numeric references need '#', refused before this.)
func decodeCharReferences(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] != '&' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i + 1
		for j < len(s) && IsEntityNameByte(s[j]) {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == ';' {
			if dec, ok := DecodeEntity(s[i+1 : j+1]); ok {
				b.WriteString(dec)
				i = j + 1
				continue
			}
		}
		b.WriteByte('&')
		i++
	}
	return b.String()
}

// IsEntityNameByte is the class [A-Za-z0-9\x80-\xff] of Sanitizer's
// CHAR_REFS_REGEX and of the title-invalid regex.
func IsEntityNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// DecodeEntity is Sanitizer::decodeEntity; name ends with ';'.
func DecodeEntity(name string) (string, bool) {
	switch name {
	case "רלמ;", "رلم;": // Sanitizer::MW_ENTITY_ALIASES for "rlm;"
		return "\u200F", true
	case "nGt;": // in RemexHtml's HTML5 table, missing from Go's html package
		return "\u226B\u20D2", true
	case "nLt;":
		return "\u226A\u20D2", true
	}
	for k := 0; k < len(name); k++ {
		if name[k] >= 0x80 {
			return "", false
		}
	}
	// html.UnescapeString also decodes legacy entities without ';' at the
	// start of a longer name ("&ampx;" gives "&x;"); a whole-name match gives
	// one or two code points, such a partial match at least three.
	dec := html.UnescapeString("&" + name)
	if dec == "&"+name || utf8.RuneCountInString(dec) > 2 {
		return "", false
	}
	return dec, true
}

// collapseTitleSpaces removes bidi marks (U+200E, U+200F, U+202A..U+202E),
// turns each run of spaces, underscores and the whitespace class of
// splitTitleString into one space, and trims the ends.
func collapseTitleSpaces(s string) string {
	if !needsCollapse(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for _, r := range s {
		switch {
		case r == 0x200E || r == 0x200F || r >= 0x202A && r <= 0x202E:
			continue
		case isTitleSpace(r):
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// needsCollapse reports whether collapseTitleSpaces would change s.
func needsCollapse(s string) bool {
	space := true // a space before the start, so a leading space counts
	for _, r := range s {
		switch {
		case r == ' ':
			if space {
				return true
			}
			space = true
		case r == '_' || r == 0x200E || r == 0x200F || r >= 0x202A && r <= 0x202E || isTitleSpace(r):
			return true
		default:
			space = false
		}
	}
	return space
}

// isTitleSpace is the class [ _\xA0\x{1680}\x{180E}\x{2000}-\x{200A}
// \x{2028}\x{2029}\x{202F}\x{205F}\x{3000}] of splitTitleString.
func isTitleSpace(r rune) bool {
	switch r {
	case ' ', '_', 0xA0, 0x1680, 0x180E, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// namespaceOf returns the canonical English namespace named by prefix (as
// Language::getNsIndex matches it: case-insensitively, aliases included),
// "User" or prefix itself for one of the wiki's own names in namespaces,
// or "" when prefix names none we know. Interwiki prefixes are not known
// here; they keep their ':', which is refused anyway.
func namespaceOf(prefix string, namespaces map[string]int) string {
	if namespaces != nil {
		if ns, ok := namespaces[NamespaceKey(prefix)]; ok {
			if ns == NamespaceUser {
				return "User"
			}
			return prefix
		}
	}
	if len(prefix) > len("MediaWiki talk") {
		return ""
	}
	switch strings.ToLower(prefix) {
	case "user":
		return "User"
	case "media", "special", "talk", "user talk", "project", "project talk",
		"file", "file talk", "image", "image talk", "mediawiki", "mediawiki talk",
		"template", "template talk", "help", "help talk", "category", "category talk":
		return prefix
	}
	return ""
}

// titleInvalid applies MediaWikiTitleCodec::getTitleInvalidRegex: characters
// outside $wgLegalTitleChars, "%" with two hex digits, and "&name;".
func titleInvalid(s string) *sheet.Problem {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7F:
			return invisibleProblem(rune(c))
		case strings.IndexByte("#<>[]{}|", c) >= 0:
			return forbiddenProblem(c)
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			return &sheet.Problem{Code: "url-encoding", Message: fmt.Sprintf("a username cannot contain '%s' (it looks like URL encoding); write the character itself", s[i:i+3])}
		case c == '&':
			j := i + 1
			for j < len(s) && IsEntityNameByte(s[j]) {
				j++
			}
			if j > i+1 && j < len(s) && s[j] == ';' {
				return &sheet.Problem{Code: "html-entity", Message: fmt.Sprintf("a username cannot contain '%s' (it looks like an HTML entity); write the character itself", s[i:j+1])}
			}
		}
	}
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// looksLikeIPv4 is UserNameUtils::isIP without IPv6 (which needs ':', refused
// anyway): /^\d{1,3}\.\d{1,3}\.\d{1,3}\.(?:xxx|\d{1,3})$/, which also covers
// every IPUtils::isValid IPv4 address.
func looksLikeIPv4(s string) bool {
	if len(s) < 7 || len(s) > 15 {
		return false
	}
	for part := 0; part < 4; part++ {
		if part == 3 && s == "xxx" {
			return true
		}
		j := 0
		for j < len(s) && j < 4 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == 0 || j > 3 {
			return false
		}
		s = s[j:]
		if part == 3 {
			return s == ""
		}
		if s == "" || s[0] != '.' {
			return false
		}
		s = s[1:]
	}
	return false
}

// isIPv6 reports whether s is an IPv6 address, only to word the problem
// (the ':' is refused anyway).
func isIPv6(s string) bool {
	if strings.IndexByte(s, ':') < 0 || strings.IndexByte(s, '%') >= 0 {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}
