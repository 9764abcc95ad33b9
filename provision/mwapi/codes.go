package mwapi

import "strings"

// The codes of the wiki's answers that mwprovision knows: its own words,
// the same for every row, which redaction never changes (a password that
// is an ordinary word — "password" — must not turn passwordtooshort into
// "[secret]tooshort", nor a fragment of one "usernameinprogress" into
// "[secret]nameinprogress"). Any other code may be an echo and is cleaned.
// TestClassifierCodesAreKnown (provision/classify) keeps every code
// classify reads here.

// knownCodes are the codes, message keys and statuses mwprovision reads
// or explains, besides those of messageTexts.
var knownCodes = map[string]bool{}

func init() {
	for _, c := range strings.Fields(`
		PASS FAIL UI REDIRECT RESTART
		Success Failed NeedToken WrongToken Aborted
		Good Change Invalid
		badtoken assertuserfailed assertnameduserfailed notloggedin maxlag readonly readonlytext
		ratelimited actionthrottledtext permissiondenied blocked autoblocked
		mustbeposted mustpostparams missingparam badvalue unknown_action
		internal_api_error_DBQueryError internal_api_error_DBConnectionError internal_api_error_MWException
		acct_creation_throttle_hit acct_creation_throttle_hit-temp userexists usernameinprogress
		authmanager-create-not-in-progress authmanager-create-disabled userlogin-cannot-create
		invaliduser noname invalidemailaddress noemailcreate noemail badretype
		passwordtooshort passwordtoolong password-name-match password-login-forbidden
		passwordincommonlist passwordinlargeblacklist password-substring-username-match
		passwordpolicies-policy-minimalpasswordlength
		titleblacklist-forbidden titleblacklist-forbidden-new-account titleblacklist-invalid
		antispoof-conflict-top antispoof-conflict-item antispoof-conflict-bottom antispoof-name-illegal
		antispoof-empty antispoof-blacklisted antispoof-combining antispoof-unassigned
		centralauth-account-exists centralauth-account-unattached-exists
		captcha-createaccount-fail captcha-error
		abusefilter-disallowed abusefilter-blocked-display abusefilter-degrouped abusefilter-warning
		sorbs_create_account_reason torblock-blocked badaccess-groups emaildisabled
		blockedtext blockedtext-partial autoblockedtext systemblockedtext
		globalblocking-blockedtext-ip globalblocking-blockedtext-range globalblocking-blockedtext-xff
		globalblocking-blockedtext-user globalblocking-ipblocked globalblocking-ipblocked-range
		globalblocking-ipblocked-xff globalblocking-blocked
	`) {
		knownCodes[c] = true
	}
	for c := range messageTexts {
		knownCodes[c] = true
	}
}

// KnownCode reports whether code is one of the wiki's codes that
// mwprovision knows, which redaction keeps.
func KnownCode(code string) bool { return knownCodes[code] }

// codeFamilies are the starts of codes whose family classify reads.
var codeFamilies = []string{"password", "titleblacklist", "antispoof", "globalblocking-", "internal_api_error_"}
