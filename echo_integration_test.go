package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/mwprovision/mwprovision/wikitest"
)

// An echo form: how a proxy in front of the wiki rewrites the answer to
// one row's createaccount so that it repeats the row's secrets. It returns
// the answer and the spellings of secrets the answer holds, none of which
// may reach an output.
type echoAnswer func(password, token, body string) (answer string, leaks []string)

func jsonQuoted(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// lowerPercent spells every %XX of s in lower case.
func lowerPercent(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = byte(unicode.ToLower(rune(b[i+1]))), byte(unicode.ToLower(rune(b[i+2])))
		}
	}
	return string(b)
}

// mwCode is s as MediaWiki makes an API code of it: each byte outside
// [a-zA-Z0-9_-] becomes '_'.
func mwCode(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

func echoError(code, info string) string {
	return fmt.Sprintf(`{"error":{"code":%s,"info":%s}}`, jsonQuoted(code), jsonQuoted(info))
}

func echoRefusal(key string, params ...string) string {
	p, _ := json.Marshal(params)
	return fmt.Sprintf(`{"createaccount":{"status":"FAIL","message":{"key":%s,"params":%s},"messagecode":%s}}`, jsonQuoted(key), p, jsonQuoted(mwCode(key)))
}

// The rows of the sheet: username, password, and the form its answer takes.
var echoRows = []struct {
	user, password string
	form           echoAnswer
}{
	{"echo_five", "Kiw1!", func(pw, _, body string) (string, []string) {
		return echoRefusal("badretype", body, pw), []string{pw, url.QueryEscape(pw)}
	}},
	{"echo_three", "q7x", func(pw, _, body string) (string, []string) {
		return echoRefusal("badretype", "password="+pw+"&retype="+pw, pw), []string{pw}
	}},
	{"echo_lowerhex", "Low/Canäry-Pässword-1a", func(pw, _, body string) (string, []string) {
		return echoError("echo-lowerhex", "Internal error while handling "+lowerPercent(body)), []string{pw, lowerPercent(url.QueryEscape(pw))}
	}},
	{"echo_cut", "Cut/Canäry-Pässword-2b", func(pw, _, _ string) (string, []string) {
		return echoError("echo-cut", "Internal error while handling password="+pw[:len(pw)-1]), []string{pw[:len(pw)-1], pw[:6]}
	}},
	{"echo_cutshort", "Kut1!", func(pw, _, _ string) (string, []string) {
		return echoError("echo-cutshort", "Internal error while handling password="+pw[:4]+"…"), []string{pw[:4]}
	}},
	{"echo_split", "Split/Canäry-Pässword-3c", func(pw, _, _ string) (string, []string) {
		return echoRefusal("echo-halves", "password="+pw[:11], pw[11:]+"&retype="), []string{pw[:11], pw[11:]}
	}},
	{"echo_code", "Code/Canäry-Pässword-4d", func(pw, tok, _ string) (string, []string) {
		return echoError("badtoken-"+mwCode(tok)+"-"+mwCode(pw), "x"), []string{mwCode(tok), mwCode(pw), tok}
	}},
	{"echo_key", "Key/Canäry-Pässword-5e", func(pw, tok, _ string) (string, []string) {
		return echoRefusal("echo-" + mwCode(tok) + "-" + mwCode(pw)), []string{mwCode(tok), mwCode(pw)}
	}},
	{"echo_upper", "Upper/Canäry-Pässword-6f", func(pw, _, body string) (string, []string) {
		return echoError("echo-upper", strings.ToUpper("Internal error while handling "+body+" "+pw)),
			[]string{strings.ToUpper(pw), strings.ToUpper(url.QueryEscape(pw))}
	}},
	{"echo_json", "Json/Canäry-Pässword-7a", func(pw, _, _ string) (string, []string) {
		e := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(jsonQuoted(pw), `"`), `"`), "/", `\/`)
		e = strings.ReplaceAll(strings.ReplaceAll(e, "Pä", `P\u00e4`), "ä", `\u00E4`)
		return echoError("echo-json", `{"password":"`+e+`"}`), []string{e}
	}},
	{"echo_charref", "Ref<Canäry>|Pässword-8b", func(pw, _, _ string) (string, []string) {
		var b strings.Builder
		for _, r := range pw {
			fmt.Fprintf(&b, "&#x%X;", r)
		}
		return echoRefusal("echo-charref", b.String()), []string{b.String()}
	}},
}

// A proxy in front of the real wiki that rewrites every answer to a
// createaccount into one of the echo forms, per row, repeating the row's
// password and the token as the request sent them, lets none of them reach
// the results, the log, stdout, stderr or a report.
func TestEchoFormsNeverReachOutputs(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	sheet := "username,password\n"
	forms := map[string]echoAnswer{}
	for _, r := range echoRows {
		sheet += r.user + "," + r.password + "\n"
		forms[r.user] = r.form
	}
	path := writeSheet(t, dir, "e.csv", sheet)
	var mu sync.Mutex
	var leaks []string
	proxy := newRewritingProxy(t, w.URL, func(form url.Values, body string, answer []byte) []byte {
		f := forms[strings.ToLower(strings.ReplaceAll(form.Get("username"), " ", "_"))]
		if f == nil {
			t.Errorf("no echo form for %q", form.Get("username"))
			return answer
		}
		out, l := f(form.Get("password"), form.Get("createtoken"), body)
		mu.Lock()
		leaks = append(leaks, append(l, form.Get("createtoken"), body)...)
		mu.Unlock()
		return []byte(out)
	})
	secret, _ := os.ReadFile(w.Bulk.PasswordFile)
	env := map[string]string{"MWPROVISION_PASSWORD": strings.TrimSpace(string(secret))}
	r := runCLI(t, env, "run", "--api", proxy+"/w/api.php", "--user", w.Bulk.Login, "--mailpassword=false", "--rate", "0", "--yes",
		"--max-attempts", "1", path)
	results := filepath.Join(dir, "e.results.csv")
	outputs := []string{r.stdout, r.stderr}
	for _, format := range []string{"text", "markdown"} {
		rep := runCLI(t, nil, "report", "--format", format, results)
		outputs = append(outputs, rep.stdout+rep.stderr)
	}
	for _, f := range []string{results, filepath.Join(dir, "e.log.jsonl")} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(b))
	}
	all := strings.Join(outputs, "\n")
	for _, row := range echoRows {
		leaks = append(leaks, row.password, url.QueryEscape(row.password))
	}
	for _, l := range leaks {
		if found(all, l) {
			t.Errorf("the secret %q reached an output", l)
		}
	}
	// Each row's answer echoes, and each echo is redacted at least once.
	if n := strings.Count(all, "[secret]"); n < 2*len(echoRows) {
		t.Errorf("%d redactions for %d rows: little was echoed, so the test proves little", n, len(echoRows))
	}
	if t.Failed() {
		t.Logf("the outputs:\n%s", all)
	}
}

// found reports whether s holds l, in any case; l of fewer than four
// characters only as a word of its own (not next to a letter or digit).
func found(s, l string) bool {
	if l == "" {
		return false
	}
	s, l = strings.ToLower(s), strings.ToLower(l)
	if utf8.RuneCountInString(l) >= 4 {
		return strings.Contains(s, l)
	}
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for i := 0; ; {
		j := strings.Index(s[i:], l)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(l)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !word(before)) && (end == len(s) || !word(after)) {
			return true
		}
		i = start + 1
	}
}

// newRewritingProxy forwards to the wiki at base, and replaces the wiki's
// answer to each action=createaccount with rewrite's. It returns its URL.
func newRewritingProxy(t *testing.T, base string, rewrite func(form url.Values, body string, answer []byte) []byte) string {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		out, _ := http.NewRequest(r.Method, base+r.URL.RequestURI(), bytes.NewReader(body))
		out.Header = r.Header.Clone()
		resp, err := client.Do(out)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if form, _ := url.ParseQuery(string(body)); form.Get("action") == "createaccount" {
			answer = rewrite(form, string(body), answer)
			resp.Header.Set("Content-Type", "application/json")
		}
		writeAnswer(rw, resp.StatusCode, resp.Header, answer)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
