package classify

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/report"
)

func body(t *testing.T, js string) *mwapi.APIResponse {
	t.Helper()
	var r mwapi.APIResponse
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatalf("bad test JSON %s: %v", js, err)
	}
	return &r
}

// classifyCases are answers and what Classify makes of them. The bodies are
// copied from MediaWiki 1.39.17's answers (formatversion=2,
// createmessageformat=raw).
var classifyCases = []struct {
	name       string
	status     int
	retryAfter time.Duration
	js         string
	err        error
	want       Outcome
}{
	{name: "PASS records the wiki's canonical name", js: `{"createaccount":{"status":"PASS","username":"Test user1"}}`,
		want: Outcome{Action: Decide, Status: report.Created, Canonical: "Test user1", Counted: true}},
	{name: "throttle hit carries count and window", js: `{"createaccount":{"status":"FAIL","message":{"key":"acct_creation_throttle_hit","params":[3,{"duration":20}]},"messagecode":"acct_creation_throttle_hit","canpreservestate":false}}`,
		want: Outcome{Action: Throttle, Code: "acct_creation_throttle_hit", Wait: 20 * time.Second, ThrottleCount: 3,
			Message: "the wiki's account creation limit for this IP address was reached (acct_creation_throttle_hit: 3, {\"duration\":20})"}},
	{name: "userexists", js: `{"createaccount":{"status":"FAIL","message":{"key":"userexists","params":[]},"messagecode":"userexists","canpreservestate":false}}`,
		want: Outcome{Action: Decide, Status: report.Exists, Code: "userexists", Message: "the username is already taken on the wiki (userexists)"}},
	{name: "invalid name (noname → invaliduser)", js: `{"createaccount":{"status":"FAIL","message":{"key":"noname","params":[]},"messagecode":"invaliduser","canpreservestate":false}}`,
		want: Outcome{Action: Decide, Status: report.Invalid, Code: "invaliduser", Message: "the wiki does not accept this username (noname)"}},
	{name: "noemailcreate counts against the throttle", js: `{"createaccount":{"status":"FAIL","message":{"key":"noemailcreate","params":[]},"messagecode":"noemailcreate"}}`,
		want: Outcome{Action: Decide, Status: report.Invalid, Code: "noemailcreate", Counted: true, Message: "the wiki needs a valid email address to mail the temporary password (noemailcreate)"}},
	{name: "password policy", js: `{"createaccount":{"status":"FAIL","message":{"key":"passwordtooshort","params":[8]},"messagecode":"passwordtooshort"}}`,
		want: Outcome{Action: Decide, Status: report.Invalid, Code: "passwordtooshort", Counted: true, Message: "the password is shorter than the wiki's password policy allows (passwordtooshort: 8)"}},
	{name: "badretype", js: `{"createaccount":{"status":"FAIL","message":{"key":"badretype","params":[]},"messagecode":"badretype"}}`,
		want: Outcome{Action: Decide, Status: report.Invalid, Code: "badretype", Counted: true, Message: "the password and its repetition differ (badretype)"}},
	{name: "a CAPTCHA stops the run", js: `{"createaccount":{"status":"FAIL","message":{"key":"captcha-createaccount-fail","params":[]},"messagecode":"captcha-createaccount-fail"}}`,
		want: Outcome{Action: Halt, Creator: TroubleCaptcha, Code: "captcha-createaccount-fail", Counted: true,
			Message: "the wiki asks for a CAPTCHA (captcha-createaccount-fail)"}},
	{name: "ratelimited (1.41+) pauses everyone", js: `{"createaccount":{"status":"FAIL","message":{"key":"actionthrottledtext","params":[]},"messagecode":"ratelimited"}}`,
		want: Outcome{Action: PauseAll, Code: "ratelimited", Message: "actionthrottledtext"}},
	{name: "read-only FAIL pauses", js: `{"createaccount":{"status":"FAIL","message":{"key":"readonlytext","params":["maintenance"]},"messagecode":"readonly"}}`,
		want: Outcome{Action: PauseAll, Code: "readonly", Wait: defaultReadOnlyWait, Message: "readonlytext (readonlytext: maintenance)"}},
	{name: "a block stops the run; the wiki's bidi marks, links and line breaks are dropped", js: `{"createaccount":{"status":"FAIL","message":{"key":"blockedtext","params":["[[User:Admin|\u202aAdmin\u202c]]","Spam \"here\"\nand  there","127.0.0.1"]},"messagecode":"blocked"}}`,
		want: Outcome{Action: Halt, Creator: TroubleBlocked, Code: "blocked", Message: `the creator is blocked (blockedtext: Admin, Spam "here" and there, 127.0.0.1)`}},
	{name: "a lost right stops the run", js: `{"createaccount":{"status":"FAIL","message":{"key":"badaccess-groups","params":[]},"messagecode":"permissiondenied"}}`,
		want: Outcome{Action: Halt, Creator: TroubleRight, Code: "permissiondenied", Message: "the creator may not create accounts (badaccess-groups)"}},
	{name: "TitleBlacklist refuses the name", js: `{"createaccount":{"status":"FAIL","message":{"key":"titleblacklist-forbidden-new-account","params":[".*forbidden.* <newaccountonly>","Another forbidden one"]},"messagecode":"titleblacklist-forbidden","canpreservestate":false}}`,
		want: Outcome{Action: Decide, Status: report.Invalid, Code: "titleblacklist-forbidden", Counted: true,
			Message: "the wiki's title blacklist forbids this username (titleblacklist-forbidden-new-account: .*forbidden.* <newaccountonly>, Another forbidden one)"}},
	{name: "TitleBlacklist on MediaWiki 1.43 escapes its rule for wikitext", js: `{"createaccount":{"status":"FAIL","message":{"key":"titleblacklist-forbidden-new-account","params":[".*Troll.* &#60;newaccountonly&#62;","Troll king"]},"messagecode":"titleblacklist-forbidden","canpreservestate":false}}`,
		want: Outcome{Action: Decide, Status: report.Invalid, Code: "titleblacklist-forbidden", Counted: true,
			Message: "the wiki's title blacklist forbids this username (titleblacklist-forbidden-new-account: .*Troll.* <newaccountonly>, Troll king)"}},
	{name: "AntiSpoof refuses the name", js: `{"createaccount":{"status":"FAIL","message":{"key":"antispoof-conflict-top","params":["Alíce"]},"messagecode":"antispoof-conflict-top"}}`,
		want: Outcome{Action: Decide, Status: report.Invalid, Code: "antispoof-conflict-top", Counted: true, Message: "the name is too similar to an existing account (antispoof-conflict-top: Alíce)"}},
	{name: "an AbuseFilter refusal fails the row, unexplained", js: `{"createaccount":{"status":"FAIL","message":{"key":"abusefilter-disallowed","params":["x"]},"messagecode":"abusefilter-disallowed"}}`,
		want: Outcome{Action: Decide, Status: report.Failed, Code: "abusefilter-disallowed", Counted: true, Unexplained: true, Message: "an AbuseFilter filter of the wiki refused it (its description, its number); ask the wiki's administrators if the name is fine (abusefilter-disallowed: x)"}},
	{name: "UI needs a person", js: `{"createaccount":{"status":"UI","message":{"key":"some-step","params":[]},"messagecode":"some-step","requests":[{"id":"CaptchaAuthenticationRequest"}]}}`,
		want: Outcome{Action: Decide, Status: report.NeedsManual, Code: "ui",
			Message: "the wiki asks for a step a batch cannot take; create this account by hand: some-step; requests: CaptchaAuthenticationRequest"}},
	{name: "REDIRECT needs a person", js: `{"createaccount":{"status":"REDIRECT","redirecttarget":"https://idp.example/x","requests":[{"id":"OAuthRequest"}]}}`,
		want: Outcome{Action: Decide, Status: report.NeedsManual, Code: "redirect",
			Message: "the wiki asks for a step a batch cannot take; create this account by hand; redirect to https://idp.example/x; requests: OAuthRequest"}},
	{name: "badtoken", js: `{"error":{"code":"badtoken","info":"Invalid CSRF token."}}`,
		want: Outcome{Action: NewToken, Code: "badtoken", Message: "Invalid CSRF token."}},
	{name: "assertuserfailed", js: `{"error":{"code":"assertuserfailed","info":"You are no longer logged in, so the action could not be completed."}}`,
		want: Outcome{Action: Relogin, Code: "assertuserfailed", Message: "You are no longer logged in, so the action could not be completed."}},
	{name: "maxlag with Retry-After", retryAfter: 7 * time.Second, js: `{"error":{"code":"maxlag","info":"Waiting for db2: 6 seconds lagged","lag":6}}`,
		want: Outcome{Action: PauseAll, Code: "maxlag", Message: "Waiting for db2: 6 seconds lagged", Wait: 7 * time.Second}},
	{name: "maxlag without Retry-After", js: `{"error":{"code":"maxlag","info":"lagged"}}`,
		want: Outcome{Action: PauseAll, Code: "maxlag", Message: "lagged", Wait: defaultMaxlagWait}},
	{name: "readonly API error", js: `{"error":{"code":"readonly","info":"The wiki is currently in read-only mode."}}`,
		want: Outcome{Action: PauseAll, Code: "readonly", Message: "The wiki is currently in read-only mode.", Wait: defaultReadOnlyWait}},
	{name: "internal error is ambiguous", js: `{"error":{"code":"internal_api_error_DBQueryError","info":"boom"}}`,
		want: Outcome{Action: Backoff, Code: "internal_api_error_DBQueryError", Message: "boom", Ambiguous: true, ServerError: true}},
	{name: "other API error fails the row", js: `{"error":{"code":"missingparam","info":"The \"createreturnurl\" parameter must be set."}}`,
		want: Outcome{Action: Decide, Status: report.Failed, Code: "missingparam", Message: "The \"createreturnurl\" parameter must be set.", Unexplained: true}},
	{name: "HTTP 429 pauses with Retry-After", status: 429, retryAfter: 30 * time.Second,
		want: Outcome{Action: PauseAll, Code: "http-429", Message: "the server answered HTTP 429 Too Many Requests", Wait: 30 * time.Second}},
	{name: "HTTP 503 pauses, may have created", status: 503,
		want: Outcome{Action: PauseAll, Code: "http-503", Message: "the server answered HTTP 503 Service Unavailable", Ambiguous: true}},
	{name: "HTTP 500 backs off, the wiki's own error", status: 500,
		want: Outcome{Action: Backoff, Code: "http-500", Message: "the server answered HTTP 500 Internal Server Error", Ambiguous: true, ServerError: true}},
	{name: "HTTP 502 backs off", status: 502,
		want: Outcome{Action: Backoff, Code: "http-502", Message: "the server answered HTTP 502 Bad Gateway", Ambiguous: true}},
	{name: "HTTP 404 is a configuration mistake", status: 404,
		want: Outcome{Action: Decide, Status: report.Failed, Code: "http-404", Message: "the server answered HTTP 404 Not Found", Unexplained: true}},
	{name: "HTML instead of JSON", js: "",
		want: Outcome{Action: Backoff, Code: "not-json", Message: `the wiki's answer is not JSON: "<html>oops"`, Ambiguous: true}},
	{name: "connection reset", err: errors.New("read: connection reset by peer"),
		want: Outcome{Action: Backoff, Code: "network", Message: "read: connection reset by peer", Ambiguous: true}},
}

func TestClassify(t *testing.T) {
	for _, tt := range classifyCases {
		t.Run(tt.name, func(t *testing.T) {
			a := mwapi.Answer{HTTPStatus: 200, RetryAfter: tt.retryAfter, Err: tt.err}
			if tt.status != 0 {
				a.HTTPStatus = tt.status
			}
			switch {
			case tt.js != "":
				a.Body = body(t, tt.js)
			case tt.err == nil && tt.status == 0:
				a.BodyStart = "<html>oops"
			}
			got := Classify(a)
			if got != tt.want {
				t.Errorf("Classify() =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

func TestThrottleParams(t *testing.T) {
	count, window := throttleParams(json.RawMessage(`{"key":"acct_creation_throttle_hit","params":[6,{"duration":86400}]}`))
	if count != 6 || window != 24*time.Hour {
		t.Errorf("got %d per %s, want 6 per 24h", count, window)
	}
	if count, window := throttleParams(json.RawMessage(`"a plain text message"`)); count != 0 || window != 0 {
		t.Errorf("plain message: got %d per %s, want zeros", count, window)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		" 120 ":                         2 * time.Minute,
		"-3":                            0,
		"Sat, 21 Nov 2026 12:00:30 GMT": 30 * time.Second,
		"Sat, 21 Nov 2026 11:00:00 GMT": 0,
		"soon":                          0,
	} {
		if got := mwapi.ParseRetryAfter(h, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", h, got, want)
		}
	}
}

// Each refusal code about the creator, or where it creates from, stops the
// run; refusals about a row's data never do. The sources are MediaWiki 1.39
// and 1.43 and the extensions Wikimedia runs.
func TestClassifyCreatorRefusals(t *testing.T) {
	for _, tt := range []struct {
		code, source string
		want         CreatorTrouble // "" = about the row
	}{
		{"captcha-createaccount-fail", "ConfirmEdit CaptchaPreAuthenticationProvider::testForAccountCreation", TroubleCaptcha},
		{"captcha-error", "ConfirmEdit makeError: the CAPTCHA it demands failed with an error (its own rate limit)", TroubleCaptcha},
		{"blocked", "core ApiMessageTrait: blockedtext, blockedtext-partial, blockedtext-composite, systemblockedtext", TroubleBlocked},
		{"autoblocked", "core ApiMessageTrait: autoblockedtext, the creator's IP address used by a blocked user", TroubleBlocked},
		{"globalblocking-blockedtext-ip", "GlobalBlocking: a global block of the IP address", TroubleBlocked},
		{"globalblocking-blockedtext-range", "GlobalBlocking: a global block of its range", TroubleBlocked},
		{"globalblocking-blockedtext-user", "GlobalBlocking: a global block of the creator", TroubleBlocked},
		{"abusefilter-blocked-display", "AbuseFilter Block consequence: the filter blocked the creator", TroubleBlocked},
		{"sorbs_create_account_reason", "core AuthManager::authorizeInternal: the IP address is in a DNS blacklist", TroubleNetwork},
		{"torblock-blocked", "TorBlock: the IP address is a Tor exit node", TroubleNetwork},
		{"permissiondenied", "core ApiMessageTrait: badaccess-groups, the createaccount right is gone", TroubleRight},
		{"abusefilter-degrouped", "AbuseFilter Degroup consequence: the filter took the creator's groups", TroubleRight},
		{"userlogin-cannot-create", "core ApiAMCreateAccount::execute: AuthManager::canCreateAccounts() is false", TroubleDisabled},
		{"authmanager-create-disabled", "core AuthManager::beginAccountCreation, for callers other than the API", TroubleDisabled},
		{"emaildisabled", "core TemporaryPasswordPrimaryAuthenticationProvider: mail switched off mid-run", TroubleDisabled},
		// About the row: the same creator goes on with the next one.
		{"abusefilter-disallowed", "AbuseFilter Disallow: a filter may test the name; the streak guards the rest", ""},
		{"abusefilter-warning", "AbuseFilter Warn", ""},
		{"titleblacklist-forbidden", "TitleBlacklist: the name", ""},
		{"antispoof-conflict-top", "AntiSpoof: the name", ""},
		{"userexists", "core: the name is taken", ""},
		{"centralauth-account-exists", "CentralAuth: the name is a global account", ""},
		{"centralauth-account-unattached-exists", "CentralAuth: local accounts elsewhere hold the name", ""},
		{"noemailcreate", "core: the row's email", ""},
		{"passwordtooshort", "core password policy: the row's password", ""},
	} {
		t.Run(tt.code, func(t *testing.T) {
			o := Classify(mwapi.Answer{HTTPStatus: 200, Body: body(t, `{"createaccount":{"status":"FAIL","message":{"key":"`+tt.code+`","params":[]},"messagecode":"`+tt.code+`"}}`)})
			if o.Creator != tt.want || (o.Action == Halt) != (tt.want != "") {
				t.Errorf("%s (%s): action %s, creator %q; want creator %q", tt.code, tt.source, o.Action, o.Creator, tt.want)
			}
			if o.Action == Halt && o.Status != "" {
				t.Errorf("%s: a halt decides no status, got %q", tt.code, o.Status)
			}
		})
	}
	// The same codes as a top-level API error.
	o := Classify(mwapi.Answer{HTTPStatus: 200, Body: body(t, `{"error":{"code":"blocked","info":"You have been blocked from editing."}}`)})
	if o.Action != Halt || o.Creator != TroubleBlocked {
		t.Errorf("top-level blocked: %+v, want a halt for a block", o)
	}
}

// Every code classify reads by name is one redaction keeps (a password
// that is an ordinary word must not change what a refusal means).
func TestClassifierCodesAreKnown(t *testing.T) {
	codes := []string{"acct_creation_throttle_hit", "userexists", "centralauth-account-exists",
		"centralauth-account-unattached-exists", "authmanager-create-not-in-progress", "readonly", "readonlytext",
		"ratelimited", "actionthrottledtext", "usernameinprogress", "badtoken", "assertuserfailed",
		"assertnameduserfailed", "notloggedin", "maxlag", "PASS", "FAIL", "UI", "REDIRECT", "RESTART"}
	for _, m := range []map[string]bool{invalidCodes, notCountedCodes} {
		for c := range m {
			codes = append(codes, c)
		}
	}
	for c := range creatorCodes {
		codes = append(codes, c)
	}
	for _, c := range codes {
		if !mwapi.KnownCode(c) {
			t.Errorf("%s is not an mwapi.KnownCode", c)
		}
	}
}
