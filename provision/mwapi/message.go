package mwapi

import (
	"encoding/json"
	"regexp"
	"strings"
)

// The words of a wiki's answer: its messages, in plain text.

// RawMessage is a message in createmessageformat=raw.
type RawMessage struct {
	Key    string            `json:"key"`
	Params []json.RawMessage `json:"params"`
}

func RawMessageOf(key string, params []json.RawMessage) json.RawMessage {
	if params == nil {
		params = []json.RawMessage{}
	}
	b, _ := json.Marshal(RawMessage{Key: key, Params: params})
	return b
}

// messageTexts explains the wiki's most common refusals in plain words.
var messageTexts = map[string]string{
	"abusefilter-disallowed":                "an AbuseFilter filter of the wiki refused it (its description, its number); ask the wiki's administrators if the name is fine",
	"userexists":                            "the username is already taken on the wiki",
	"noname":                                "the wiki does not accept this username",
	"invalidemailaddress":                   "the wiki does not accept this email address",
	"noemailcreate":                         "the wiki needs a valid email address to mail the temporary password",
	"badretype":                             "the password and its repetition differ",
	"passwordtooshort":                      "the password is shorter than the wiki's password policy allows",
	"passwordtoolong":                       "the password is longer than the wiki's password policy allows",
	"password-name-match":                   "the password must differ from the username",
	"passwordincommonlist":                  "the password is one of the most common passwords; choose another",
	"password-login-forbidden":              "this username and password combination is forbidden by the wiki",
	"acct_creation_throttle_hit":            "the wiki's account creation limit for this IP address was reached",
	"acct_creation_throttle_hit-temp":       "the wiki's account creation limit for this IP address was reached",
	"titleblacklist-forbidden-new-account":  "the wiki's title blacklist forbids this username",
	"antispoof-conflict-top":                "the name is too similar to an existing account",
	"antispoof-name-illegal":                "the wiki's AntiSpoof check refuses this name",
	"usernameinprogress":                    "another account creation for this name is in progress",
	"centralauth-account-exists":            "the name is already a global account on this wiki family",
	"centralauth-account-unattached-exists": "the name is held by accounts on other wikis of this family",
	"captcha-createaccount-fail":            "the wiki asks for a CAPTCHA",
	"blockedtext":                           "the creator is blocked",
	"blockedtext-partial":                   "the creator is blocked from creating accounts",
	"autoblockedtext":                       "the creator's IP address is blocked automatically, because a blocked user used it",
	"systemblockedtext":                     "the creator's IP address is blocked by the wiki's configuration",
	"sorbs_create_account_reason":           "the creator's IP address is listed as an open proxy in a DNS blacklist the wiki uses",
	"torblock-blocked":                      "the creator's IP address is a Tor exit node, which the wiki blocks",
	"badaccess-groups":                      "the creator may not create accounts",
	"authmanager-create-disabled":           "the wiki does not allow account creation",
	"emaildisabled":                         "the wiki sends no mail",
}

// MessageText renders a message from the API: a plain string, or a raw
// {key, params} object in readable form.
func MessageText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var m RawMessage
	if json.Unmarshal(raw, &m) != nil || m.Key == "" {
		return string(raw)
	}
	text := messageTexts[m.Key]
	if text == "" {
		text = m.Key
	}
	var params []string
	for _, p := range m.Params {
		var s string
		if json.Unmarshal(p, &s) != nil {
			s = string(p) // a number, or an object such as {"duration":20}
		}
		params = append(params, plainParam(s))
	}
	if len(params) > 0 {
		text += " (" + m.Key + ": " + strings.Join(params, ", ") + ")"
	} else if text != m.Key {
		text += " (" + m.Key + ")"
	}
	return text
}

// wikiLink is a wikitext link, [[target]] or [[target|text]], as block
// messages name their author: the text is kept.
var wikiLink = regexp.MustCompile(`\[\[(?:[^|\]]*\|)?([^\]]*)\]\]`)

// plainParam is a message parameter as one line of plain text: without
// bidi marks, with a link's text for the link, a block's reason (which may
// span several lines) on one line, and characters the wiki escaped for
// wikitext as themselves (MediaWiki 1.43's TitleBlacklist sends its rule
// ".*Troll.* <newaccountonly>" as ".*Troll.* &#60;newaccountonly&#62;").
func plainParam(s string) string {
	s = strings.Map(dropBidi, s)
	if strings.Contains(s, "[[") {
		s = wikiLink.ReplaceAllString(s, "$1")
	}
	s = decodeReferences(s)
	return strings.Join(strings.Fields(s), " ")
}

// dropBidi drops the invisible bidirectional embedding marks MediaWiki puts
// around user names in messages (U+202A…U+202E, U+2066…U+2069): in a
// results file they only confuse.
func dropBidi(r rune) rune {
	if r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' {
		return -1
	}
	return r
}
