package mwapi

import (
	"encoding/json"
	"strings"
	"testing"
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
