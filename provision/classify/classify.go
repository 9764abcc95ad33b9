// Package classify says what an answer of the wiki means, as a pure
// function of the answer: decide the row, wait out the throttle, pause,
// back off, log in again, fetch a new token, or halt the run for a refusal
// about the creator.
package classify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/report"
)

// Action is what the engine does next with a row after an answer.
type Action int

// The actions, from final to retryable.
const (
	// Decide: the row is decided with Outcome.Status.
	Decide Action = iota
	// Throttle: the wiki's account creation throttle was hit; every worker
	// waits for its window, the row is retried and never failed for it.
	Throttle
	// PauseAll: the wiki asked everyone to wait (maxlag, ratelimited, read-only,
	// HTTP 429/503); shared pause, the row is retried within Config.MaxWait.
	PauseAll
	// Backoff: a network or server fault; shared exponential backoff, the
	// row is retried up to Config.MaxAttempts.
	Backoff
	// Relogin: the session is gone (assertuserfailed); log in again and retry.
	Relogin
	// NewToken: the token was refused (badtoken); fetch a new one and retry.
	NewToken
	// Halt: the refusal is about the creator or where it creates from
	// (Outcome.Creator says what), so every following row would get it:
	// the run stops, and the rows not yet decided end pending.
	Halt
)

var actionNames = [...]string{"decide", "throttle", "pause", "backoff", "relogin", "newtoken", "halt"}

func (a Action) String() string { return actionNames[a] }

// Outcome is the classification of one answer to action=createaccount.
type Outcome struct {
	Action    Action
	Status    report.Status // with Decide
	Canonical string        // the name the wiki stored, with PASS
	Code      string
	Message   string
	// Wait is the server's hint: Retry-After, or the throttle window.
	Wait time.Duration
	// ThrottleCount is the number of creations the wiki allows per window.
	ThrottleCount int
	// Counted: the attempt reached the wiki's pre-authentication tests and so
	// counted against its account creation throttle.
	Counted bool
	// Ambiguous: the request may have created the account although no
	// answer says so (connection lost, server error after the fact).
	Ambiguous bool
	// Creator says, with Halt, what about the creator the wiki refuses.
	Creator CreatorTrouble
	// Unexplained: a refusal whose code mwprovision does not know, so it
	// cannot tell whether it is about the row or the creator.
	Unexplained bool
	// ServerError: the wiki itself failed (an exception, HTTP 500), as
	// opposed to being busy or out of reach. Once now and then it is a
	// fault to retry; the same one answer after answer, a broken wiki.
	ServerError bool
}

// CreatorTrouble is what about the creator, or where it creates from, makes
// the wiki refuse every row.
type CreatorTrouble string

// The kinds of CreatorTrouble.
const (
	TroubleCaptcha  CreatorTrouble = "captcha"  // the wiki asks it for a CAPTCHA
	TroubleBlocked  CreatorTrouble = "blocked"  // it, or its IP address, is blocked (also globally)
	TroubleNetwork  CreatorTrouble = "network"  // its IP address is refused: Tor, a DNS blacklist
	TroubleRight    CreatorTrouble = "right"    // it lost the right to create accounts
	TroubleDisabled CreatorTrouble = "disabled" // account creation is switched off, or mail is
	TroubleLogin    CreatorTrouble = "login"    // its login, accepted before the run, is refused
	TroubleRepeated CreatorTrouble = "repeated" // rows in a row refused the same unexplained way
	TroubleServer   CreatorTrouble = "server"   // requests in a row met the same error of the wiki's own
	// TroubleExempt: the wiki's per-IP account creation throttle refused a
	// creator that holds noratelimit, which MediaWiki exempts from it. No
	// answer says it alone: the engine, which knows the creator's rights,
	// turns such a Throttle into a Halt.
	TroubleExempt CreatorTrouble = "exempt"
)

// creatorCodes are the refusals about the creator (MediaWiki 1.39 and 1.43
// core, ConfirmEdit, TorBlock, GlobalBlocking, AbuseFilter): where each comes
// from is in TestClassifyCreatorRefusals.
var creatorCodes = map[string]CreatorTrouble{
	"captcha-createaccount-fail":  TroubleCaptcha,
	"captcha-error":               TroubleCaptcha,
	"blocked":                     TroubleBlocked,
	"autoblocked":                 TroubleBlocked,
	"abusefilter-blocked-display": TroubleBlocked,
	"sorbs_create_account_reason": TroubleNetwork,
	"torblock-blocked":            TroubleNetwork,
	"permissiondenied":            TroubleRight,
	"badaccess-groups":            TroubleRight,
	"abusefilter-degrouped":       TroubleRight,
	"authmanager-create-disabled": TroubleDisabled,
	"userlogin-cannot-create":     TroubleDisabled,
	"emaildisabled":               TroubleDisabled,
}

// creatorTrouble says what about the creator a refusal code is, or "".
func creatorTrouble(code string) CreatorTrouble {
	if t, ok := creatorCodes[code]; ok {
		return t
	}
	if strings.HasPrefix(code, "globalblocking-") {
		return TroubleBlocked
	}
	return ""
}

// Waits for pauses the wiki asks for without saying how long.
const (
	defaultMaxlagWait   = 5 * time.Second
	defaultReadOnlyWait = 15 * time.Second
)

// invalidCodes are refusals of the row's data: the same row will never pass.
var invalidCodes = map[string]bool{
	"invaliduser": true, "noname": true, "invalidemailaddress": true, "noemailcreate": true,
	"badretype": true, "noemail": true,
}

// notCountedCodes are refusals decided before the throttle is consulted
// (AuthManager::beginAccountCreation checks them first), so they do not
// count against the wiki's per-IP window.
var notCountedCodes = map[string]bool{
	"userexists": true, "invaliduser": true, "noname": true, "usernameinprogress": true,
	"permissiondenied": true, "badaccess-groups": true, "readonly": true, "readonlytext": true,
	"acct_creation_throttle_hit": true, "ratelimited": true, "actionthrottledtext": true,
	"blocked": true, "blockedtext": true, "autoblocked": true, "torblock-blocked": true,
	// Refused by AuthManager before the pre-authentication tests run.
	"invalidemailaddress": true, "authmanager-create-disabled": true, "sorbs_create_account_reason": true,
	"userlogin-cannot-create": true,
	// Not titleblacklist-forbidden: with TitleBlacklist's default setting
	// it judges the name before the throttle counts, but Wikimedia's
	// wikis set $wgTitleBlacklistBlockAutoAccountCreation = false, and a
	// creator with tboverride is judged later, after the count
	// (TestWikimediaLikeWiki). Counting it errs on the polite side.
}

// Classify decides what an answer to action=createaccount means. It is a pure
// function of the answer: table-tested for every code and HTTP status.
func Classify(a mwapi.Answer) Outcome {
	if o, done := Envelope(a); done {
		return o
	}
	ca := a.Body.CreateAccount
	if ca == nil {
		return Outcome{Action: Backoff, Code: "no-result", Message: "the wiki's answer has no createaccount result", Ambiguous: true}
	}
	msg := mwapi.MessageText(ca.Message)
	switch ca.Status {
	case "PASS":
		return Outcome{Action: Decide, Status: report.Created, Canonical: ca.Username, Counted: true}
	case "UI", "REDIRECT", "RESTART":
		return Outcome{Action: Decide, Status: report.NeedsManual, Code: strings.ToLower(ca.Status),
			Message: needsManualMessage(ca, msg)}
	case "FAIL":
		return Refusal(ca.MessageCode, ca.Message)
	}
	return Outcome{Action: Decide, Status: report.Failed, Code: "unknown-status",
		Message: fmt.Sprintf("the wiki answered status %q, which mwprovision does not know", ca.Status)}
}

// Envelope decides what any api.php answer says before its module's
// result is read: transport errors, HTTP status, a body that is not JSON, a
// top-level error. done is false when the body holds a result to read.
func Envelope(a mwapi.Answer) (o Outcome, done bool) {
	if a.Err != nil {
		return Outcome{Action: Backoff, Code: "network", Message: a.Err.Error(), Ambiguous: true}, true
	}
	if a.HTTPStatus == http.StatusTooManyRequests || a.HTTPStatus == http.StatusServiceUnavailable {
		return Outcome{Action: PauseAll, Code: fmt.Sprintf("http-%d", a.HTTPStatus),
			Message: fmt.Sprintf("the server answered HTTP %d %s", a.HTTPStatus, http.StatusText(a.HTTPStatus)),
			Wait:    a.RetryAfter, Ambiguous: a.HTTPStatus == http.StatusServiceUnavailable}, true
	}
	if a.HTTPStatus >= 500 {
		return Outcome{Action: Backoff, Code: fmt.Sprintf("http-%d", a.HTTPStatus),
			Message: fmt.Sprintf("the server answered HTTP %d %s", a.HTTPStatus, http.StatusText(a.HTTPStatus)), Ambiguous: true,
			ServerError: a.HTTPStatus == http.StatusInternalServerError}, true
	}
	if a.HTTPStatus >= 300 && a.HTTPStatus < 400 {
		return Outcome{Action: Decide, Status: report.Failed, Code: fmt.Sprintf("http-%d", a.HTTPStatus),
			Message: (&mwapi.RedirectError{Status: a.HTTPStatus, Location: a.Location}).Error(), Unexplained: true}, true
	}
	if a.HTTPStatus != http.StatusOK {
		return Outcome{Action: Decide, Status: report.Failed, Code: fmt.Sprintf("http-%d", a.HTTPStatus),
			Message: fmt.Sprintf("the server answered HTTP %d %s", a.HTTPStatus, http.StatusText(a.HTTPStatus)), Unexplained: true}, true
	}
	if a.Body == nil {
		return Outcome{Action: Backoff, Code: "not-json",
			Message: fmt.Sprintf("the wiki's answer is not JSON: %q", a.BodyStart), Ambiguous: true}, true
	}
	if e := a.Body.Error; e != nil {
		return classifyAPIError(e, a.RetryAfter), true
	}
	return Outcome{}, false
}

// Refusal maps the code of a refusal — a createaccount FAIL, or a
// cancreateerror of list=users in a dry run — to what happens to the row.
// Both paths share it, so that a dry run predicts what a run reports.
func Refusal(code string, message json.RawMessage) Outcome {
	msg := mwapi.MessageText(message)
	counted := !notCountedCodes[code] && !strings.HasPrefix(code, "globalblocking-")
	switch {
	case code == "acct_creation_throttle_hit":
		count, window := throttleParams(message)
		return Outcome{Action: Throttle, Code: code, Message: msg, Wait: window, ThrottleCount: count}
	case code == "userexists" || code == "centralauth-account-exists" || code == "centralauth-account-unattached-exists":
		// CentralAuth (Wikimedia's single sign-on): the name is a global
		// account, or local accounts elsewhere hold it; a participant with
		// one is signed in here on the first visit.
		return Outcome{Action: Decide, Status: report.Exists, Code: code, Message: msg}
	case invalidCodes[code] || strings.HasPrefix(code, "password") || refusesName(code):
		return Outcome{Action: Decide, Status: report.Invalid, Code: code, Message: msg, Counted: counted}
	case creatorTrouble(code) != "":
		return Outcome{Action: Halt, Code: code, Message: msg, Counted: counted, Creator: creatorTrouble(code)}
	case code == "authmanager-create-not-in-progress":
		return Outcome{Action: Backoff, Code: code, Message: msg, Counted: counted}
	case code == "readonly" || code == "readonlytext":
		return Outcome{Action: PauseAll, Code: "readonly", Message: msg, Wait: defaultReadOnlyWait}
	case code == "ratelimited" || code == "actionthrottledtext":
		return Outcome{Action: PauseAll, Code: "ratelimited", Message: msg}
	case code == "usernameinprogress":
		return Outcome{Action: Backoff, Code: code, Message: msg}
	}
	// Not known to be about the row: an AbuseFilter refusal, say, may test
	// the name (some rows) or the creator's IP address (every row), and a
	// refusal of several errors at once is coded ___1____2. The engine
	// stops when such a code refuses row after row.
	return Outcome{Action: Decide, Status: report.Failed, Code: code, Message: msg, Counted: counted, Unexplained: true}
}

// refusesName reports codes of extensions that refuse a name for good:
// TitleBlacklist (bundled with MediaWiki) and AntiSpoof (Wikimedia wikis).
func refusesName(code string) bool {
	return strings.HasPrefix(code, "titleblacklist") || strings.HasPrefix(code, "antispoof")
}

func classifyAPIError(e *mwapi.ErrorObject, retryAfter time.Duration) Outcome {
	o := Outcome{Code: e.Code, Message: e.Info}
	switch {
	case e.Code == "badtoken":
		o.Action = NewToken
	case e.Code == "assertuserfailed" || e.Code == "assertnameduserfailed" || e.Code == "notloggedin":
		o.Action = Relogin
	case e.Code == "maxlag":
		o.Action, o.Wait = PauseAll, retryAfter
		if o.Wait <= 0 {
			o.Wait = defaultMaxlagWait
		}
	case e.Code == "readonly":
		o.Action, o.Wait = PauseAll, retryAfter
		if o.Wait <= 0 {
			o.Wait = defaultReadOnlyWait
		}
	case e.Code == "ratelimited":
		o.Action, o.Wait = PauseAll, retryAfter
	case creatorTrouble(e.Code) != "":
		// An error about the creator (a block, a lost right): every
		// request of the run would get it.
		o.Action, o.Creator = Halt, creatorTrouble(e.Code)
	case strings.HasPrefix(e.Code, "internal_api_error"):
		// The exception may have come after the account was stored.
		o.Action, o.Ambiguous, o.ServerError = Backoff, true, true
	default:
		// An error of the API itself (a revoked OAuth grant, a parameter
		// the wiki does not know): likely the same for every row.
		o.Action, o.Status, o.Unexplained = Decide, report.Failed, true
	}
	return o
}

// throttleParams reads [count, {"duration": seconds}] from the raw
// acct_creation_throttle_hit message.
func throttleParams(raw json.RawMessage) (int, time.Duration) {
	var m mwapi.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m.Params) < 2 {
		return 0, 0
	}
	var count int
	_ = json.Unmarshal(m.Params[0], &count)
	var d struct {
		Duration float64 `json:"duration"`
	}
	if json.Unmarshal(m.Params[1], &d) != nil {
		var secs float64
		if json.Unmarshal(m.Params[1], &secs) == nil {
			d.Duration = secs
		}
	}
	return count, time.Duration(d.Duration * float64(time.Second))
}

func needsManualMessage(ca *mwapi.CreateAccountResult, msg string) string {
	var ids []string
	for _, r := range ca.Requests {
		ids = append(ids, r.ID)
	}
	out := "the wiki asks for a step a batch cannot take; create this account by hand"
	if msg != "" {
		out += ": " + msg
	}
	if ca.RedirectTarget != "" {
		out += "; redirect to " + ca.RedirectTarget
	}
	if len(ids) > 0 {
		out += "; requests: " + strings.Join(ids, ", ")
	}
	return out
}
