package mwapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Only the text of an answer is cleaned: a password that is an ordinary
// word keeps the codes and the structure of the answer that refuses it.
func TestCleaningKeepsCodesAndStructure(t *testing.T) {
	var r APIResponse
	body := `{"validatepassword":{"validity":"Invalid","validitymessages":[{"message":"passwordincommonlist","params":["your password is password"],"code":"passwordincommonlist"}]},` +
		`"error":{"code":"password-login-forbidden","info":"password=password\u0026x"}}`
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	r.clean([]string{"password"})
	v := r.ValidatePassword
	if v == nil || v.Validity != "Invalid" || v.ValidityMessages[0].Code != "passwordincommonlist" || v.ValidityMessages[0].Message != "passwordincommonlist" {
		t.Fatalf("the structure or a code changed: %+v", v)
	}
	if got := string(v.ValidityMessages[0].Params[0]); got != `"your [secret] is [secret]"` {
		t.Errorf("params %s", got)
	}
	if r.Error.Code != "password-login-forbidden" || r.Error.Info != "[secret]=[secret]&x" {
		t.Errorf("error %+v", r.Error)
	}
}

// A secret echoed in a message parameter escaped for wikitext, as
// MediaWiki 1.43 escapes parameters (numeric character references), is
// found, though a message shows parameters decoded.
func TestWikitextEscapedSecretsAreRedacted(t *testing.T) {
	const secret = "pa<ss>|word[1]"
	escaped := "pa&#60;ss&#62;&#124;word&#91;1&#93;"
	r := APIResponse{CreateAccount: &CreateAccountResult{
		Message: json.RawMessage(`{"key":"some-extension-refusal","params":["before ` + escaped + ` after","&#60;kept&#62;"]}`)}}
	r.clean([]string{secret})
	got := MessageText(r.CreateAccount.Message)
	if strings.Contains(got, secret) || strings.Contains(got, escaped) || !strings.Contains(got, "before [secret] after") {
		t.Errorf("message %q: want the secret redacted", got)
	}
	if !strings.Contains(got, "<kept>") {
		t.Errorf("message %q: want the other parameter decoded", got)
	}
}

// echoForm is one way a server or a proxy repeats a secret in an answer.
type echoForm struct {
	name   string
	secret string // the sheet's password of the row
	body   string // the answer, with %[1]s for the echo and %[2]s for a second part
	echo   func(secret, token string) (string, string)
	// leaks are the spellings that must not survive (besides the secret
	// and the echo itself).
	leaks func(secret, token string) []string
}

const unitToken = "5f1e0c3a9b7d2e4f6a8c0b1d3e5f7a9c+\\"

// lowerHex spells every %XX of s in lower case, as some servers encode.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = bytes.ToLower(b[i+1 : i+2])[0], bytes.ToLower(b[i+2 : i+3])[0]
		}
	}
	return string(b)
}

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

const (
	failParams  = `{"createaccount":{"status":"FAIL","message":{"key":"badretype","params":["%[1]s","%[2]s"]},"messagecode":"badretype"}}`
	errorInfo   = `{"error":{"code":"internal_api_error_DBQueryError","info":"Internal error while handling %[1]s%[2]s"}}`
	echoedCodes = `{"error":{"code":"%[1]s","info":"x"},"createaccount":{"status":"FAIL","message":{"key":"%[1]s","params":[]},"messagecode":"%[2]s"}}`
)

var echoForms = []echoForm{
	{name: "five-character password", secret: "Kiw1!", body: failParams,
		echo: func(s, _ string) (string, string) { return "password=" + url.QueryEscape(s) + "&retype=" + s, s }},
	{name: "three-character password", secret: "q7x", body: failParams,
		echo: func(s, _ string) (string, string) { return "password=" + s + "&retype=" + s, s }},
	{name: "one-character password", secret: "z", body: failParams,
		echo: func(s, _ string) (string, string) { return "password=" + s + "&retype=" + s, s }},
	{name: "lower-case percent-encoding", secret: "Sheet/Canäry-Pässword-7f3a9", body: errorInfo,
		echo: func(s, _ string) (string, string) { return lowerHex("password=" + url.QueryEscape(s) + "&x=1"), "" }},
	{name: "lower-case percent-encoding, quoted twice", secret: "Sheet/Canäry-Pässword-7f3a9", body: errorInfo,
		echo: func(s, _ string) (string, string) {
			return lowerHex(url.QueryEscape("password=" + url.QueryEscape(s))), ""
		}},
	{name: "an echo cut short", secret: "Sheet/Canäry-Pässword-7f3a9", body: errorInfo,
		echo:  func(s, _ string) (string, string) { return "password=" + s[:len(s)-1], "" },
		leaks: func(s, _ string) []string { return []string{s[:len(s)-1], s[:8]} }},
	{name: "an encoded echo cut short", secret: "Sheet/Canäry-Pässword-7f3a9", body: errorInfo,
		echo: func(s, _ string) (string, string) {
			q := url.QueryEscape(s)
			return "password=" + q[:len(q)-1] + "…", ""
		},
		leaks: func(s, _ string) []string { q := url.QueryEscape(s); return []string{q[:len(q)-1], q[:10]} }},
	{name: "a short password cut short", secret: "Kiw1!", body: errorInfo,
		echo:  func(s, _ string) (string, string) { return "password=" + s[:4], "" },
		leaks: func(s, _ string) []string { return []string{s[:4]} }},
	{name: "an echo starting inside the password", secret: "Sheet/Canäry-Pässword-7f3a9", body: errorInfo,
		echo:  func(s, _ string) (string, string) { return s[6:] + "&retype=", "" },
		leaks: func(s, _ string) []string { return []string{s[6:]} }},
	{name: "a password split over two parameters", secret: "Sheet/Canäry-Pässword-7f3a9", body: failParams,
		echo:  func(s, _ string) (string, string) { return "password=" + s[:13], s[13:] + "&retype=" },
		leaks: func(s, _ string) []string { return []string{s[:13], s[13:]} }},
	{name: "a password split near its end", secret: "Sheet/Canäry-Pässword-7f3a9", body: failParams,
		echo:  func(s, _ string) (string, string) { return "password=" + s[:len(s)-1], s[len(s)-1:] },
		leaks: func(s, _ string) []string { return []string{s[:len(s)-1]} }},
	{name: "a short password split", secret: "Kiw1!", body: failParams,
		echo:  func(s, _ string) (string, string) { return "password=" + s[:2], s[2:] },
		leaks: func(s, _ string) []string { return []string{s[:2] + ", " + s[2:], s[:2], s[2:]} }},
	{name: "the token in error.code and message codes", secret: "Sheet/Canäry-Pässword-7f3a9", body: echoedCodes,
		echo: func(s, tok string) (string, string) {
			return "badtoken-" + apiCode(tok), "bad-" + apiCode(s)
		},
		leaks: func(s, tok string) []string { return []string{apiCode(tok), apiCode(s), apiCode(tok)[:12]} }},
	{name: "the password as the code", secret: "Kiw1!", body: echoedCodes,
		echo: func(s, tok string) (string, string) { return s, apiCode(s) }},
	{name: "an upper-cased echo", secret: "Sheet/Canäry-Pässword-7f3a9", body: errorInfo,
		echo: func(s, _ string) (string, string) {
			return strings.ToUpper("password=" + s + " " + url.QueryEscape(s)), ""
		},
		leaks: func(s, _ string) []string { return []string{strings.ToUpper(s), strings.ToUpper(url.QueryEscape(s))} }},
	{name: "an upper-cased echo, encoded after", secret: "Sheet/Canäry-Pässword-7f3a9", body: errorInfo,
		echo:  func(s, _ string) (string, string) { return url.QueryEscape(strings.ToUpper(s)), "" },
		leaks: func(s, _ string) []string { return []string{url.QueryEscape(strings.ToUpper(s))} }},
	{name: "JSON escapes in upper case", secret: "Sheet/Canäry-Pässword-7f3a9", body: errorInfo,
		echo: func(s, _ string) (string, string) {
			return strings.ReplaceAll(strings.ReplaceAll(asciiJSON(s), `\u00e4`, `\u00E4`), "/", `\/`), ""
		}},
	{name: "character references in hex", secret: "pa<ss>|wörd", body: failParams,
		echo: func(s, _ string) (string, string) { return "pa&#x3c;ss&#x3E;&#X7c;w&#xf6;rd", "" }},
}

// Every form of echo is redacted from every field of the answer that
// reaches the results, the log or a report: text, messages and codes.
func TestEveryEchoFormIsRedacted(t *testing.T) {
	for _, f := range echoForms {
		t.Run(f.name, func(t *testing.T) {
			one, two := f.echo(f.secret, unitToken)
			body := fmt.Sprintf(f.body, jsonText(one), jsonText(two))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, body)
			}))
			defer srv.Close()
			s := NewSession(srv.Client(), time.Now, srv.URL, "test", "Owner@bulk", "botpassword0123456789abcdefghijk")
			s.token = unitToken
			ans := s.CreateAccount(context.Background(), NewAccount{Username: "Echo", Password: f.secret}, "", false)
			if ans.Body == nil {
				t.Fatalf("no body: %+v", ans)
			}
			said := outputsOf(ans.Body)
			if !strings.Contains(said, Redacted) {
				t.Errorf("nothing redacted: %s", said)
			}
			leaks := []string{f.secret, url.QueryEscape(f.secret), one, two}
			if f.leaks != nil {
				leaks = append(leaks, f.leaks(f.secret, unitToken)...)
			}
			for _, l := range leaks {
				if len(l) > 0 && strings.Contains(strings.ToLower(said), strings.ToLower(l)) &&
					!(len(l) < 4 && !containsWord(said, l)) {
					t.Errorf("%q survives in %s", l, said)
				}
			}
		})
	}
}

// outputsOf is what an answer's fields put into the results, the log and
// the reports: its codes, texts and messages.
func outputsOf(r *APIResponse) string {
	var out []string
	if e := r.Error; e != nil {
		out = append(out, e.Code, e.Info)
	}
	if ca := r.CreateAccount; ca != nil {
		out = append(out, ca.Status, ca.MessageCode, MessageText(ca.Message), string(ca.Message), ca.RedirectTarget)
	}
	return strings.Join(out, " | ")
}

// containsWord reports whether w stands in s as a word of its own: not
// next to a letter or digit.
func containsWord(s, w string) bool {
	s, w = strings.ToLower(s), strings.ToLower(w)
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after)) {
			return true
		}
		i = start + 1
	}
}

// A short password is redacted where it stands as a word, not inside
// other words: its row's answer keeps its text.
func TestShortSecretsKeepOtherWords(t *testing.T) {
	r := APIResponse{Error: &ErrorObject{Code: "internal_api_error_DBQueryError", Info: "a banana, a b; ab1x xab1 ab1"}}
	r.clean([]string{"a", "ab1"})
	if want := "[secret] banana, [secret] b; ab1x xab1 [secret]"; r.Error.Info != want {
		t.Errorf("info %q, want %q", r.Error.Info, want)
	}
}

// PHP's json_encode writes every character beyond ASCII as \uXXXX (and
// one beyond the Basic Multilingual Plane as a surrogate pair): a wiki or
// a proxy that quotes a request's JSON in an error's text echoes a secret
// with non-ASCII letters in that spelling, and it is redacted whole — not
// only its ASCII start and end, which would leave its middle readable.
func TestPHPJSONEscapedSecretsAreRedactedWhole(t *testing.T) {
	for _, tc := range []struct{ name, secret string }{
		{"Latin letters", "Zü-Bäckerei-Größe-9"},
		{"beyond the BMP", "ab-\U0001F511-schlüssel-cd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			php := strings.ReplaceAll(asciiJSON(tc.secret), "/", `\/`)
			if php == tc.secret || !strings.Contains(php, `\u`) {
				t.Fatalf("the test's echo %q is not escaped", php)
			}
			// The body of the answer quotes the echo as JSON again, as a
			// text of the error.
			body := `{"error":{"code":"internal_api_error_DBQueryError","info":"request {\"password\":\"` +
				strings.ReplaceAll(php, `\`, `\\`) + `\"} failed"}}`
			var r APIResponse
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.Error.Info, php) {
				t.Fatalf("the answer's text %q does not hold the echo %q", r.Error.Info, php)
			}
			r.clean([]string{tc.secret})
			if want := `request {"password":"[secret]"} failed`; r.Error.Info != want {
				t.Errorf("info %q, want %q", r.Error.Info, want)
			}
		})
	}
}

// A token or a session cookie of exactly minSecret characters is a
// secret; one shorter is not ("+\" is every anonymous session's token).
func TestTokenOfMinSecretLengthIsRedacted(t *testing.T) {
	exact := "k7Q2zX"[:minSecret]
	shorter := "w9Y4e"[:minSecret-1]
	for _, tc := range []struct {
		token string
		want  string
	}{
		{exact, "bad token [secret] given"},
		{shorter, "bad token " + shorter + " given"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"error":{"code":"internal_api_error_DBQueryError","info":"bad token %s given"}}`, tc.token)
		}))
		s := NewSession(srv.Client(), time.Now, srv.URL, "test", "Owner@bulk", "botpassword0123456789abcdefghijk")
		s.token = tc.token
		ans := s.CreateAccount(context.Background(), NewAccount{Username: "Echo", Password: "Unrelated-Password-42"}, "", false)
		srv.Close()
		if ans.Body == nil || ans.Body.Error == nil {
			t.Fatalf("token %q: no error in the answer: %+v", tc.token, ans)
		}
		if got := ans.Body.Error.Info; got != tc.want {
			t.Errorf("token of %d characters: info %q, want %q", len(tc.token), got, tc.want)
		}
	}
}
