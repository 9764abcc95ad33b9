package mwapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every answer is cleaned of the secrets its request and session hold
// before anything reads it: a server or a proxy that echoes the request in
// an error (the info or the code of an error, the reason of a refused
// login, the key or the parameters of a refusal) would otherwise carry the
// bot password, a sheet's password, a token or a session cookie into a
// message, the log, the results and the reports.
//
// What is cleaned: every field of an answer that reaches a person — texts,
// messages with their keys and parameters, and codes. A code mwprovision
// knows (KnownCode) is the wiki's own word, the same for every row, and
// stays as it is: a password that is an ordinary word ("password") must
// not break the answer that refuses it. The names the wiki gives (the
// account created, the creator, groups) and the tokens it hands out are
// data, not words, and are never changed.
//
// How a secret is found, whatever its case (an echo may be upper-cased)
// and in each spelling an echo may take (see spellings):
//
//   - A secret of fewer than shortSecret characters is found only where it
//     stands as a word of its own (not glued to a letter or digit on a side
//     where it has one): a one-letter password must not blot out every "a"
//     of a message. A secret is matched only in the answer to the request
//     that carries it, so this costs only that row's words.
//   - A longer secret is found anywhere, and so is any start or end of it
//     of at least minFragment characters: an echo cut short, or starting
//     inside the secret, leaks no more than minFragment-1 characters.
//   - Where a cut or a split leaves one — at the end of a field (a start of
//     the secret) or at its beginning (an end of the secret) — a piece of
//     two characters or more is found too, as is a secret split over two
//     neighbouring parameters of a message, in pieces of any length.

// Redacted stands where a secret was.
const Redacted = "[secret]"

// minSecret is the shortest token or session cookie taken for a secret:
// a shorter one is no secret ("+\" is every anonymous session's token).
// Passwords are secrets whatever their length.
const minSecret = 6

const (
	// shortSecret: a secret of fewer characters is found only as a word.
	shortSecret = 4
	// minFragment: a start or end of a secret this long is found anywhere.
	minFragment = 4
	// minEdgeFragment: a start or end this long is found where a cut leaves it.
	minEdgeFragment = 2
)

// secretFields are the request parameters that carry secrets.
var secretFields = []string{"lgpassword", "password", "retype", "lgtoken", "token", "createtoken", "logintoken"}

// passwordFields are those that carry passwords: secrets of any length.
var passwordFields = []string{"lgpassword", "password", "retype"}

// secretsOf are the secrets a request to the session carries or could
// make the server repeat: the session's own and those of form.
func (s *Session) secretsOf(form url.Values) []string {
	var out []string
	add := func(v string, password bool) {
		if v != "" && (password || len(v) >= minSecret) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	add(s.Password, true)
	add(s.bearer, false)
	add(s.token, false)
	add(s.rightsToken, false)
	for _, k := range secretFields {
		for _, v := range form[k] {
			add(v, slices.Contains(passwordFields, k))
		}
	}
	if u, err := url.Parse(s.api); err == nil && s.hc.Jar != nil {
		for _, c := range s.hc.Jar.Cookies(u) {
			// Sessions and tokens; not a cookie that holds the user's name.
			if name := strings.ToLower(c.Name); strings.Contains(name, "session") || strings.HasSuffix(name, "token") {
				add(c.Value, false)
			}
		}
	}
	return out
}

// clean removes the secrets from the words of an answer.
func (r *APIResponse) clean(secrets []string) {
	r.cleanWith(newRedactor(secrets))
}

func (r *APIResponse) cleanWith(c *redactor) {
	if c.none() {
		return
	}
	if e := r.Error; e != nil {
		e.Code = c.code(e.Code)
		e.Info = c.text(e.Info)
	}
	if l := r.Login; l != nil {
		l.Result = c.code(l.Result)
		l.Reason = c.raw(l.Reason)
	}
	if ca := r.CreateAccount; ca != nil {
		ca.Status = c.code(ca.Status)
		ca.Message = c.raw(ca.Message)
		ca.MessageCode = c.code(ca.MessageCode)
		ca.RedirectTarget = c.text(ca.RedirectTarget)
		for i := range ca.Requests {
			ca.Requests[i].ID = c.code(ca.Requests[i].ID)
		}
	}
	if v := r.ValidatePassword; v != nil {
		v.Validity = c.code(v.Validity)
		c.details(v.ValidityMessages)
	}
	if q := r.Query; q != nil {
		for i := range q.Users {
			c.details(q.Users[i].CanCreateError)
		}
		if q.UserInfo != nil {
			q.UserInfo.BlockReason = c.text(q.UserInfo.BlockReason)
		}
	}
}

func (c *redactor) details(ds []refusalDetail) {
	for i := range ds {
		ds[i].Message = c.code(ds[i].Message)
		ds[i].Code = c.code(ds[i].Code)
		if len(ds[i].Params) == 0 {
			continue
		}
		list, _ := json.Marshal(ds[i].Params)
		var params []json.RawMessage
		if json.Unmarshal(c.raw(list), &params) == nil && len(params) == len(ds[i].Params) {
			ds[i].Params = params
		}
	}
}

// redactor finds a request's secrets in the words of its answer. Their
// spellings are made when first needed: most answers have no words.
type redactor struct {
	plain    []string
	compiled []compiled
	done     bool
}

// compiled is one secret: each of its spellings, its characters folded.
type compiled struct {
	short bool
	forms [][]rune
}

func newRedactor(secrets []string) *redactor {
	c := &redactor{}
	for _, s := range secrets {
		if s != "" {
			c.plain = append(c.plain, s)
		}
	}
	return c
}

func (c *redactor) none() bool { return c == nil || len(c.plain) == 0 }

// secrets are the secrets with their spellings.
func (c *redactor) secrets() []compiled {
	if !c.done {
		c.done = true
		for _, s := range c.plain {
			cs := compiled{short: utf8.RuneCountInString(s) < shortSecret}
			for _, f := range spellings(s) {
				cs.forms = append(cs.forms, foldRunes(f))
			}
			c.compiled = append(c.compiled, cs)
		}
	}
	return c.compiled
}

// text replaces every secret in s. A secret behind character references
// of any spelling (MediaWiki 1.43 escapes message parameters for wikitext:
// '<' as "&#60;", '|' as "&#124;"), which a message shows decoded
// (plainParam), is found in the decoded text, which then stands for s.
func (c *redactor) text(s string) string {
	if c.none() || s == "" {
		return s
	}
	f := c.field(s)
	c.mark(&f)
	return f.String()
}

// code replaces every secret in a code or a message key, unless it is a
// code mwprovision knows. The start of a code that names its family
// (classify reads "password…", "titleblacklist…") stays when only a piece
// of a secret touches it: the code keeps its meaning.
func (c *redactor) code(s string) string {
	if c.none() || s == "" || KnownCode(s) {
		return s
	}
	f := c.field(s)
	c.mark(&f)
	for _, fam := range codeFamilies {
		if n := utf8.RuneCountInString(fam); !f.decoded && strings.HasPrefix(s, fam) && !slices.Contains(f.whole[:n], true) {
			clear(f.mask[:n])
		}
	}
	return f.String()
}

// raw cleans a JSON value (a message as text, or as a key with its
// parameters): its key as a code, every other string as text.
func (c *redactor) raw(raw json.RawMessage) json.RawMessage {
	if c.none() || len(raw) == 0 {
		return raw
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return raw // not JSON: the answer would not have decoded
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "Tom & Jerry" stays as the wiki wrote it
	if enc.Encode(c.value(v)) != nil {
		return raw
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func (c *redactor) value(v any) any {
	switch x := v.(type) {
	case string:
		return c.text(x)
	case []any:
		c.list(x)
	case map[string]any:
		for k := range x {
			if s, ok := x[k].(string); ok && k == "key" {
				x[k] = c.code(s)
			} else {
				x[k] = c.value(x[k])
			}
		}
	}
	return v
}

// list cleans the values of a list, where a secret may be split over two
// neighbouring strings (a message's parameters).
func (c *redactor) list(xs []any) {
	fields := make([]*field, len(xs))
	for i, x := range xs {
		if s, ok := x.(string); ok {
			f := c.field(s)
			c.mark(&f)
			fields[i] = &f
		} else {
			xs[i] = c.value(x)
		}
	}
	for i := 0; i+1 < len(xs); i++ {
		if fields[i] != nil && fields[i+1] != nil {
			c.markSplit(fields[i], fields[i+1])
		}
	}
	for i, f := range fields {
		if f != nil {
			xs[i] = f.String()
		}
	}
}

// field is one string of an answer being cleaned: its characters, folded
// for matching, and which of them belong to a secret.
type field struct {
	src   string
	off   []int  // the byte offset of each character in src, and len(src)
	fold  []rune // each character, case-folded
	mask  []bool // the character belongs to a secret
	whole []bool // … to a whole secret (not only to a piece of one)
	// decoded: src is the text with its character references decoded, and
	// what is kept of it is written with '&' escaped, so that a message
	// shows it as it is (plainParam decodes).
	decoded bool
}

// field returns the text of s to clean: s, or s with its character
// references decoded when a secret is found only so.
func (c *redactor) field(s string) field {
	f := newField(s)
	if d := decodeReferences(s); d != s {
		fd := newField(d)
		fd.decoded = true
		c.mark(&fd)
		if slices.Contains(fd.mask, true) {
			clear(fd.mask)
			clear(fd.whole)
			return fd
		}
	}
	return f
}

func newField(s string) field {
	f := field{src: s}
	for i, r := range s {
		f.off = append(f.off, i)
		f.fold = append(f.fold, foldRune(r))
	}
	f.off = append(f.off, len(s))
	f.mask = make([]bool, len(f.fold))
	f.whole = make([]bool, len(f.fold))
	return f
}

func (f *field) String() string {
	if !slices.Contains(f.mask, true) && !f.decoded {
		return f.src
	}
	var b strings.Builder
	for i := 0; i < len(f.fold); {
		if f.mask[i] {
			b.WriteString(Redacted)
			for i < len(f.fold) && f.mask[i] {
				i++
			}
			continue
		}
		seg := f.src[f.off[i]:f.off[i+1]]
		if f.decoded && seg == "&" {
			seg = "&#38;"
		}
		b.WriteString(seg)
		i++
	}
	return b.String()
}

func (f *field) set(from, to int, whole bool) {
	for i := from; i < to; i++ {
		f.mask[i] = true
		f.whole[i] = f.whole[i] || whole
	}
}

// cutMarks may follow an echo cut short, or precede one that starts late.
const cutMarks = " \t\r\n.…"

// end is where the field ends, before the marks of a cut.
func (f *field) end() int {
	n := len(f.fold)
	for n > 0 && strings.ContainsRune(cutMarks, f.fold[n-1]) {
		n--
	}
	return n
}

// start is where the field starts, after the marks of a cut.
func (f *field) start() int {
	i := 0
	for i < len(f.fold) && strings.ContainsRune(cutMarks, f.fold[i]) {
		i++
	}
	return i
}

// apart reports whether the characters from..to of f stand apart from
// their neighbours as spelling sp of a secret would: no letter or digit
// glued to a letter or digit of it.
func (f *field) apart(from, to int, first, last rune) bool {
	if from > 0 && isWordRune(f.fold[from-1]) && isWordRune(first) {
		return false
	}
	return to >= len(f.fold) || !isWordRune(f.fold[to]) || !isWordRune(last)
}

// mark finds the secrets in f.
func (c *redactor) mark(f *field) {
	n := len(f.fold)
	end, start := f.end(), f.start()
	for _, sec := range c.secrets() {
		for _, sp := range sec.forms {
			m := len(sp)
			for i := 0; i < n; i++ {
				// The secret, or a start of it, from i.
				k := commonPrefix(f.fold[i:], sp)
				switch {
				case k == m:
					if !sec.short || f.apart(i, i+m, sp[0], sp[m-1]) {
						f.set(i, i+m, true)
					}
				case k >= minFragment && !sec.short,
					k >= minEdgeFragment && i+k == end && f.apart(i, i+k, sp[0], sp[k-1]):
					f.set(i, i+k, false)
				}
				// An end of the secret, from i.
				for j := 1; j < m && m-j >= minEdgeFragment; j++ {
					rest := sp[j:]
					if m-j < minFragment || sec.short {
						if i != start || !f.apart(i, i+len(rest), rest[0], sp[m-1]) {
							continue
						}
					}
					if i+len(rest) <= n && commonPrefix(f.fold[i:], rest) == len(rest) {
						f.set(i, i+len(rest), false)
						break
					}
				}
			}
		}
	}
}

// markSplit finds a secret split over the end of a and the start of b.
func (c *redactor) markSplit(a, b *field) {
	ea, sb := a.end(), b.start()
	for _, sec := range c.secrets() {
		for _, sp := range sec.forms {
			for j := 1; j < len(sp); j++ {
				head, tail := sp[:j], sp[j:]
				from, to := ea-len(head), sb+len(tail)
				if from < 0 || to > len(b.fold) ||
					commonPrefix(a.fold[from:ea], head) != len(head) || commonPrefix(b.fold[sb:to], tail) != len(tail) {
					continue
				}
				if sec.short && (!a.apart(from, ea, sp[0], 'x') || !b.apart(sb, to, 'x', sp[len(sp)-1])) {
					continue
				}
				a.set(from, ea, true)
				b.set(sb, to, true)
			}
		}
	}
}

// commonPrefix is how many characters a and b share from their start.
func commonPrefix(a, b []rune) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// foldRune is r case-folded: the smallest character of its case orbit
// ('K', 'k' and the Kelvin sign are one).
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

func foldRunes(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, foldRune(r))
	}
	return out
}

// spellings are the spellings of a secret in an answer, in any case: as
// sent, URL-encoded (once, or twice when a request body is quoted in a
// URL; with hex digits in either case, which matching in any case finds),
// HTML-escaped, escaped inside a JSON string (as Go and as PHP escape it),
// and as MediaWiki makes a code of it. A secret upper- or lower-cased
// before it was encoded is encoded differently beyond ASCII: those
// spellings are there too.
func spellings(s string) []string {
	var forms []string
	for _, v := range []string{s, strings.ToUpper(s), strings.ToLower(s)} {
		q := url.QueryEscape(v)
		forms = append(forms, v, q, url.PathEscape(v), html.EscapeString(v), url.QueryEscape(q), url.PathEscape(url.PathEscape(v)), apiCode(v))
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		inJSON := strings.TrimSuffix(strings.TrimSpace(b.String()), `"`)[1:]
		forms = append(forms, inJSON, strings.ReplaceAll(inJSON, "/", `\/`), asciiJSON(inJSON), strings.ReplaceAll(asciiJSON(inJSON), "/", `\/`))
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	// One of each, in any case.
	var out []string
	for _, f := range forms {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, f) }) {
			out = append(out, f)
		}
	}
	return out
}

// apiCode is s as MediaWiki makes an API code of a message key: each byte
// outside [a-zA-Z0-9_-] becomes '_' (ApiMessageTrait::getApiCode).
func apiCode(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// asciiJSON escapes every character beyond ASCII as \uXXXX, as PHP's
// json_encode does by default.
func asciiJSON(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10)&0x3FF, 0xDC00+r&0x3FF)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}
