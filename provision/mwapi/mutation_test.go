package mwapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// These tests kill mutants of .ci/mutants/redaction.txt that no other unit
// test kills: each names the mutant it guards against.

// mutationServer answers every request with answer, given the request.
func mutationServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(answer))
	t.Cleanup(srv.Close)
	return srv
}

func mutationContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A refused login whose reason echoes the bot password and the login token
// leaves neither in the error — even a bot password shorter than minSecret,
// which is a secret all the same.
// Kills redact-login-reason, redact-login-token, redact-short-password.
func TestRefusedLoginEchoLeavesNoSecret(t *testing.T) {
	const (
		loginToken = "9c1e4b7a2d5f8e0b3a6c+\\"
		botPass    = "Zq7!x" // shorter than minSecret
	)
	if len(botPass) >= minSecret {
		t.Fatalf("the bot password %q is not shorter than minSecret", botPass)
	}
	srv := mutationServer(t, func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		if r.Form.Get("action") == "query" {
			tok, _ := json.Marshal(loginToken)
			fmt.Fprintf(w, `{"query":{"tokens":{"logintoken":%s}}}`, tok)
			return
		}
		reason, _ := json.Marshal(fmt.Sprintf("lgpassword %s does not match (lgtoken %s)", r.Form.Get("lgpassword"), r.Form.Get("lgtoken")))
		fmt.Fprintf(w, `{"login":{"result":"Failed","reason":%s}}`, reason)
	})
	s := NewSession(srv.Client(), time.Now, srv.URL, "test", "Owner@bulk", botPass)
	err := s.Prepare(mutationContext(t))
	if err == nil {
		t.Fatal("the login was refused, and Prepare returned no error")
	}
	msg := err.Error()
	for _, secret := range []string{botPass, loginToken, url.QueryEscape(loginToken)} {
		if strings.Contains(msg, secret) {
			t.Errorf("the error %q holds the secret %q", msg, secret)
		}
	}
	if !strings.Contains(msg, Redacted) {
		t.Errorf("the error %q redacts nothing", msg)
	}
}

// A session cookie the server echoes in an error is redacted.
// Kills redact-session-cookie.
func TestEchoedSessionCookieIsRedacted(t *testing.T) {
	const session = "q3v8kd0s1n6f2a9h4c7m5e0p2l"
	srv := mutationServer(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("mywiki_session")
		if err != nil {
			http.SetCookie(w, &http.Cookie{Name: "mywiki_session", Value: session, Path: "/"})
			fmt.Fprint(w, `{"batchcomplete":true}`)
			return
		}
		fmt.Fprintf(w, `{"error":{"code":"internal_api_error_DBQueryError","info":"session %s expired"}}`, c.Value)
	})
	s := NewSession(srv.Client(), time.Now, srv.URL, "test", "Owner@bulk", "botpassword0123456789abcdefghijk")
	ctx := mutationContext(t)
	s.Get(ctx, url.Values{"action": {"query"}})
	ans := s.Get(ctx, url.Values{"action": {"query"}})
	if ans.Body == nil || ans.Body.Error == nil {
		t.Fatalf("no error in the answer: %+v", ans)
	}
	if got, want := ans.Body.Error.Info, "session [secret] expired"; got != want {
		t.Errorf("info %q, want %q", got, want)
	}
}

// A block reason that echoes the session's token is redacted: it reaches
// the pre-flight's error.
// Kills redact-block-reason.
func TestEchoedSecretInBlockReasonIsRedacted(t *testing.T) {
	const token = "7e2b9d4a1c6f3e8b5a0d+\\"
	srv := mutationServer(t, func(w http.ResponseWriter, r *http.Request) {
		reason, _ := json.Marshal("abuse with token " + token)
		fmt.Fprintf(w, `{"query":{"userinfo":{"id":1,"name":"Owner","blockid":3,"blockreason":%s}}}`, reason)
	})
	s := NewSession(srv.Client(), time.Now, srv.URL, "test", "Owner@bulk", "botpassword0123456789abcdefghijk")
	s.token = token
	ans := s.Get(mutationContext(t), url.Values{"action": {"query"}, "meta": {"userinfo"}})
	if ans.Body == nil || ans.Body.Query == nil || ans.Body.Query.UserInfo == nil {
		t.Fatalf("no userinfo in the answer: %+v", ans)
	}
	if got, want := ans.Body.Query.UserInfo.BlockReason, "abuse with token [secret]"; got != want {
		t.Errorf("block reason %q, want %q", got, want)
	}
}

// A password with characters that only query encoding escapes (a space,
// '+', '&', '=') echoed as a form body is redacted whole, not only its
// plain start.
// Kills redact-url-encoded.
func TestQueryEncodedSecretIsRedactedWhole(t *testing.T) {
	const secret = "blue sky+moon&star=9"
	r := APIResponse{Error: &ErrorObject{Code: "internal_api_error_DBQueryError",
		Info: "bad request password=" + url.QueryEscape(secret) + " x"}}
	r.clean([]string{secret})
	if want := "bad request password=[secret] x"; r.Error.Info != want {
		t.Errorf("info %q, want %q", r.Error.Info, want)
	}
}

// A start of a long secret of exactly minFragment characters, inside a
// text, is redacted.
// Kills redact-fragment-length.
func TestSecretStartOfMinFragmentIsRedacted(t *testing.T) {
	const secret = "Sheet/Canary-Password-7f3a9"
	start := secret[:minFragment]
	r := APIResponse{Error: &ErrorObject{Code: "internal_api_error_DBQueryError",
		Info: "value " + start + " rejected"}}
	r.clean([]string{secret})
	if want := "value [secret] rejected"; r.Error.Info != want {
		t.Errorf("info %q, want %q", r.Error.Info, want)
	}
}

// A redirect whose Location carries the token does not show it: the
// location reaches the error that says where the API moved.
// Kills redact-location.
func TestRedirectLocationIsRedacted(t *testing.T) {
	const token = "3f8a1c6e9b2d5f0a7c4e+\\"
	srv := mutationServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://elsewhere.example/w/api.php?token="+url.QueryEscape(token))
		w.WriteHeader(http.StatusFound)
	})
	s := NewSession(srv.Client(), time.Now, srv.URL, "test", "Owner@bulk", "botpassword0123456789abcdefghijk")
	s.token = token
	ans := s.Get(mutationContext(t), url.Values{"action": {"query"}})
	if ans.HTTPStatus != http.StatusFound {
		t.Fatalf("status %d, want 302: %+v", ans.HTTPStatus, ans)
	}
	if strings.Contains(ans.Location, url.QueryEscape(token)) || !strings.Contains(ans.Location, Redacted) {
		t.Errorf("location %q: want the token redacted", ans.Location)
	}
	if msg := ans.AsError().Error(); strings.Contains(msg, url.QueryEscape(token)) {
		t.Errorf("error %q holds the token", msg)
	}
}

// The start of an answer that is not JSON (a proxy's error page quoting
// the request) does not show the row's password.
// Kills redact-body-start.
func TestNonJSONAnswerStartIsRedacted(t *testing.T) {
	const password = "Sheet-Pw-4k9q-Zebra"
	srv := mutationServer(t, func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "<html>bad gateway for password=%s</html>", r.PostForm.Get("password"))
	})
	s := NewSession(srv.Client(), time.Now, srv.URL, "test", "Owner@bulk", "botpassword0123456789abcdefghijk")
	s.token = "5f1e0c3a9b7d2e4f6a8c+\\"
	ans := s.CreateAccount(mutationContext(t), NewAccount{Username: "Echo", Password: password}, "", false)
	if ans.Body != nil {
		t.Fatalf("the answer decoded as JSON: %+v", ans.Body)
	}
	if strings.Contains(ans.BodyStart, password) || !strings.Contains(ans.BodyStart, Redacted) {
		t.Errorf("body start %q: want the password redacted", ans.BodyStart)
	}
}

// The bot password is a secret in every answer of its session, whatever
// its length, not only in the answer to the login that sends it.
// Kills redact-short-password.
func TestShortBotPasswordEchoedLaterIsRedacted(t *testing.T) {
	const botPass = "Zq7!x" // shorter than minSecret
	srv := mutationServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"error":{"code":"internal_api_error_DBQueryError","info":"login Owner@bulk:%s failed"}}`, botPass)
	})
	s := NewSession(srv.Client(), time.Now, srv.URL, "test", "Owner@bulk", botPass)
	ans := s.Get(mutationContext(t), url.Values{"action": {"query"}})
	if ans.Body == nil || ans.Body.Error == nil {
		t.Fatalf("no error in the answer: %+v", ans)
	}
	if got, want := ans.Body.Error.Info, "login Owner@bulk:[secret] failed"; got != want {
		t.Errorf("info %q, want %q", got, want)
	}
}

// A short password sent alone in the "password" field (the dry run's
// action=validatepassword sends no "retype") is a secret whatever its
// length.
// Kills redact-sheet-password-field.
func TestShortPasswordOfValidatePasswordIsRedacted(t *testing.T) {
	const password = "Kiw1!" // shorter than minSecret
	srv := mutationServer(t, func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		fmt.Fprintf(w, `{"error":{"code":"internal_api_error_DBQueryError","info":"cannot check %s now"}}`, r.PostForm.Get("password"))
	})
	s := NewSession(srv.Client(), time.Now, srv.URL, "test", "Owner@bulk", "botpassword0123456789abcdefghijk")
	ans := s.Post(mutationContext(t), url.Values{"action": {"validatepassword"}, "password": {password}})
	if ans.Body == nil || ans.Body.Error == nil {
		t.Fatalf("no error in the answer: %+v", ans)
	}
	if got, want := ans.Body.Error.Info, "cannot check [secret] now"; got != want {
		t.Errorf("info %q, want %q", got, want)
	}
}
