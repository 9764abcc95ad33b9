package mwapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Every answer is cleaned of the secrets its request and session hold
// before anything reads it: a server or a proxy that echoes the request in
// an error (the info of an error, the reason of a refused login, the
// parameters of a refusal) would otherwise carry the bot password, a
// sheet's password, a token or a session cookie into a message, the log,
// the results and the reports. Only the text an answer carries is cleaned,
// never its codes or its structure: a password that is an ordinary word
// ("password") must not break the answer that refuses it.

// Redacted stands where a secret was.
const Redacted = "[secret]"

// minSecret is the shortest value taken for a secret: a shorter one would
// blot out ordinary text (no password policy allows one so short).
const minSecret = 6

// secretFields are the request parameters that carry secrets.
var secretFields = []string{"lgpassword", "password", "retype", "lgtoken", "token", "createtoken", "logintoken"}

// secretsOf are the secrets a request to the session carries or could
// make the server repeat: the session's own and those of form.
func (s *Session) secretsOf(form url.Values) []string {
	var out []string
	add := func(v string) {
		if len(v) >= minSecret && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	add(s.Password)
	add(s.bearer)
	add(s.token)
	add(s.rightsToken)
	for _, k := range secretFields {
		for _, v := range form[k] {
			add(v)
		}
	}
	if u, err := url.Parse(s.api); err == nil && s.hc.Jar != nil {
		for _, c := range s.hc.Jar.Cookies(u) {
			// Sessions and tokens; not a cookie that holds the user's name.
			if name := strings.ToLower(c.Name); strings.Contains(name, "session") || strings.HasSuffix(name, "token") {
				add(c.Value)
			}
		}
	}
	return out
}

// clean removes the secrets from the text of an answer.
func (r *APIResponse) clean(secrets []string) {
	if len(secrets) == 0 {
		return
	}
	if e := r.Error; e != nil {
		e.Info = redactText(e.Info, secrets)
	}
	if l := r.Login; l != nil {
		l.Reason = redactRaw(l.Reason, secrets)
	}
	if ca := r.CreateAccount; ca != nil {
		ca.Message = redactRaw(ca.Message, secrets)
		ca.RedirectTarget = redactText(ca.RedirectTarget, secrets)
	}
	if v := r.ValidatePassword; v != nil {
		cleanDetails(v.ValidityMessages, secrets)
	}
	if q := r.Query; q != nil {
		for i := range q.Users {
			cleanDetails(q.Users[i].CanCreateError, secrets)
		}
	}
}

func cleanDetails(ds []refusalDetail, secrets []string) {
	for i := range ds {
		for j, p := range ds[i].Params {
			ds[i].Params[j] = redactRaw(p, secrets)
		}
	}
}

// redactRaw cleans every string in a JSON value (a message as text, or as
// a key with its parameters), keeping the keys.
func redactRaw(raw json.RawMessage, secrets []string) json.RawMessage {
	if len(raw) == 0 {
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
	if enc.Encode(redactValue(v, secrets)) != nil {
		return raw
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func redactValue(v any, secrets []string) any {
	switch x := v.(type) {
	case string:
		return redactText(x, secrets)
	case []any:
		for i := range x {
			x[i] = redactValue(x[i], secrets)
		}
	case map[string]any:
		for k := range x {
			x[k] = redactValue(x[k], secrets)
		}
	}
	return v
}

// redactText replaces every secret in s, in each form a server may echo it
// in: as sent, URL-encoded (once, or twice when a request body is quoted in
// a URL), HTML-escaped, or escaped inside a JSON string. A secret behind
// character references of any spelling (MediaWiki 1.43 escapes message
// parameters for wikitext: '<' as "&#60;", '|' as "&#124;"), which a
// message shows decoded (plainParam), is found in the decoded text, which
// then stands for s.
func redactText(s string, secrets []string) string {
	s = replaceSecrets(s, secrets)
	if decoded := decodeReferences(s); decoded != s {
		if cleaned := replaceSecrets(decoded, secrets); cleaned != decoded {
			// Its '&' escaped, so that a message shows this text as it
			// is (plainParam decodes).
			return strings.ReplaceAll(cleaned, "&", "&#38;")
		}
	}
	return s
}

func replaceSecrets(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) < minSecret {
			continue
		}
		for _, form := range secretForms(sec) {
			s = strings.ReplaceAll(s, form, Redacted)
		}
	}
	return s
}

// secretForms are the spellings of a secret in an answer, the longest
// first: an escaped spelling may hold the plain one's start.
func secretForms(s string) []string {
	q := url.QueryEscape(s)
	forms := []string{s, q, url.PathEscape(s), html.EscapeString(s), url.QueryEscape(q), url.PathEscape(q)}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	inJSON := strings.TrimSuffix(strings.TrimSpace(b.String()), `"`)[1:]
	forms = append(forms, inJSON, strings.ReplaceAll(inJSON, "/", `\/`), asciiJSON(inJSON), strings.ReplaceAll(asciiJSON(inJSON), "/", `\/`))
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(forms)
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
