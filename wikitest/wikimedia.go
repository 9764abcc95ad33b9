package wikitest

import (
	"fmt"
)

// A "Wikimedia-like" wiki: defended as Wikimedia's wikis are, with the
// anti-abuse and login extensions that MediaWiki bundles (Debian's
// extensions-core).
const (
	// WikimediaThrottle is $wgAccountCreationThrottle there: 6 accounts a
	// day from one IP address for a creator without noratelimit.
	WikimediaThrottle = 6
	// WikimediaFiltered: AbuseFilter disallows creating an account whose
	// name contains it.
	WikimediaFiltered = "Spam"
	// WikimediaBlacklisted: the title blacklist page forbids new accounts
	// whose name contains it (a <newaccountonly> rule).
	WikimediaBlacklisted = "Troll"
)

// Organizer is the account AddOrganizer makes.
const Organizer = "Organizer"

// AddOrganizer makes a plain account, as an event organizer has
// (Organizer), with the bot password Organizer@events that may create
// accounts (basic, createaccount): no skipcaptcha, no noratelimit, no
// block exemption.
func (w *Wiki) AddOrganizer() (Creator, error) {
	if err := w.CreateUser(Organizer, "Organizer-Password-"+randomString(8, alnum)); err != nil {
		return Creator{}, err
	}
	return w.CreateBotPassword(Organizer, "events", "basic", "createaccount")
}

// WikimediaLike is what MakeWikimediaLike set up beyond the wiki's usual
// creators (Bulk and Limited are Admin's, a sysop: skipcaptcha).
type WikimediaLike struct {
	// NoCaptchaRight is Organizer@events (AddOrganizer), who lacks
	// skipcaptcha: the wiki asks it for a CAPTCHA on every account
	// creation.
	NoCaptchaRight Creator
}

// MakeWikimediaLike turns a running wiki installed with ThrottleCount
// WikimediaThrottle into a Wikimedia-like one:
//   - AbuseFilter, with a filter that disallows account names containing
//     WikimediaFiltered;
//   - TitleBlacklist, with the page MediaWiki:Titleblacklist forbidding new
//     accounts whose name contains WikimediaBlacklisted, configured as on
//     Wikimedia's wikis ($wgTitleBlacklistBlockAutoAccountCreation = false);
//   - ConfirmEdit (QuestyCaptcha) asking for a CAPTCHA on every account
//     creation, except of creators with skipcaptcha (sysops, bots);
//   - OATHAuth, with two-factor authentication on Admin's main account
//     (its bot passwords go on working);
//   - the plain user Organizer and the bot password NoCaptchaRight.
func (w *Wiki) MakeWikimediaLike() (WikimediaLike, error) {
	if err := w.LoadExtensions("AbuseFilter", "OATHAuth", "TitleBlacklist"); err != nil {
		return WikimediaLike{}, err
	}
	// Wikimedia's setting: TitleBlacklist judges a new account's name
	// with the other pre-authentication tests, after the throttle counts.
	if err := w.AppendSettings(`$wgTitleBlacklistBlockAutoAccountCreation = false;`); err != nil {
		return WikimediaLike{}, err
	}
	if err := w.AskCaptcha("true"); err != nil {
		return WikimediaLike{}, err
	}
	rule := fmt.Sprintf(`action == "createaccount" & accountname rlike %s`, phpString(WikimediaFiltered))
	if err := w.AddAbuseFilter("No "+WikimediaFiltered+" accounts", rule); err != nil {
		return WikimediaLike{}, err
	}
	if err := w.EditPage("MediaWiki:Titleblacklist", ".*"+WikimediaBlacklisted+".* <newaccountonly>\n"); err != nil {
		return WikimediaLike{}, err
	}
	organizer, err := w.AddOrganizer()
	if err != nil {
		return WikimediaLike{}, err
	}
	// Last: Admin's main password no longer logs in by itself after this.
	if err := w.EnableTwoFactor(AdminUser); err != nil {
		return WikimediaLike{}, err
	}
	return WikimediaLike{NoCaptchaRight: organizer}, nil
}

// AbuseHit is an entry of AbuseFilter's log (list=abuselog).
type AbuseHit struct {
	Filter string `json:"filter"` // the filter's name
	User   string `json:"user"`   // who acted: for account creation, the creator
	Title  string `json:"title"`  // for account creation, "Special:UserLogin"
	Action string `json:"action"` // "createaccount"
	Result string `json:"result"` // what the filter did: "disallow"
}

// AbuseLog returns AbuseFilter's log (which anybody may read), newest
// first.
func (w *Wiki) AbuseLog() ([]AbuseHit, error) {
	return wholeList[AbuseHit](w, "abuselog", params("afllimit", "max", "aflprop", "filter|user|title|action|result"))
}
