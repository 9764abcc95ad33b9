package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/time/rate"
)

// Canaries: secrets that must appear in nothing the engine says.
const (
	botCanary   = "botcanary0123456789abcdefghijklm" // a bot password's shape
	sheetCanary = "Sheet/Canäry-Pässword-7f3a9"      // '/' and non-ASCII: escaped in JSON
	tokenCanary = "tokcanary0123456789+\\"
)

// echoWiki is a server that repeats every request in its answers, in
// every spelling: as sent, URL-encoded, JSON-escaped (as Go and as PHP
// escape it) and in an HTML page. login answers Failed (refuse) or Success.
func echoWiki(t *testing.T, refuse bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(raw))
		for k, v := range r.URL.Query() {
			form[k] = v
		}
		var plain []string
		for k, vs := range form {
			plain = append(plain, k+"="+strings.Join(vs, ","))
		}
		echo := string(raw) + " | " + r.URL.RawQuery + " | " + strings.Join(plain, " ") + " | " + r.Header.Get("Cookie")
		php := strings.ReplaceAll(jsonString(echo), "/", `\/`)
		http.SetCookie(w, &http.Cookie{Name: "echosession", Value: "cookiecanary0123456789"})
		switch {
		case form.Get("meta") == "tokens":
			fmt.Fprintf(w, `{"query":{"tokens":{"%stoken":%s}}}`, form.Get("type"), jsonString(tokenCanary))
		case form.Get("action") == "login" && refuse:
			fmt.Fprintf(w, `{"login":{"result":"Failed","reason":%s}}`, php)
		case form.Get("action") == "login":
			fmt.Fprint(w, `{"login":{"result":"Success","lgusername":"Owner"}}`)
		case form.Get("username") == "Html":
			w.WriteHeader(400)
			fmt.Fprintf(w, "<html><body>%s</body></html>", echo)
		default:
			fmt.Fprintf(w, `{"createaccount":{"status":"FAIL","message":{"key":"badretype","params":[%s,%s]},"messagecode":"badretype"}}`,
				php, jsonString(url.QueryEscape(echo)))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// An answer that repeats the request carries no secret of it onward: not
// the bot password into the login's error, not a sheet's password, the
// token or the session cookie into a row or the log.
func TestEchoedSecretsAreRedacted(t *testing.T) {
	e := New(Config{API: echoWiki(t, true).URL, User: "Owner@bulk", Password: botCanary}, Deps{})
	_, err := e.Preflight(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the wiki refused the login of Owner@bulk") {
		t.Fatalf("Preflight = %v, want a refused login", err)
	}
	if strings.Contains(err.Error(), botCanary) || !strings.Contains(err.Error(), mwapi.Redacted) {
		t.Errorf("the login error carries the bot password, or nothing was echoed: %s", err)
	}

	var logBuf bytes.Buffer
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&logBuf), zap.InfoLevel))
	e = New(Config{API: echoWiki(t, false).URL, User: "Owner@bulk", Password: botCanary, Rate: rate.Inf, MaxAttempts: 1},
		Deps{Log: log})
	plan, err := ReadPlan(context.Background(), sheet.Stream(strings.NewReader("username,password\nEcho,"+sheetCanary+"\nHtml,"+sheetCanary+"\n")), PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	if _, err := e.Run(context.Background(), plan, owner, sink); err != nil {
		t.Fatal(err)
	}
	said := logBuf.String() + fmt.Sprintf("%+v", sink.rows)
	if !strings.Contains(said, mwapi.Redacted) {
		t.Fatalf("nothing was echoed, so the test proves nothing:\n%s", said)
	}
	for _, canary := range []string{botCanary, sheetCanary, tokenCanary, url.QueryEscape(sheetCanary), "tokcanary0123456789", "cookiecanary0123456789"} {
		if strings.Contains(said, canary) {
			t.Errorf("%q reached the rows or the log:\n%s", canary, said)
		}
	}
}
