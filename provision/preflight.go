package provision

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/provision/names"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"go.uber.org/zap"
)

// Creator is the account that creates the accounts, as the pre-flight
// found it. Run takes it: the session the pre-flight logged in goes on
// with the first worker.
type Creator struct {
	Name        string // the wiki account
	SiteName    string // the wiki's name
	WikiID      string // the wiki's id (siteinfo's wikiid): enwiki for the English Wikipedia
	NoRateLimit bool   // exempt from the wiki's per-IP throttle
	// Groups are the groups it is in, the implicit ones (user,
	// autoconfirmed) too.
	Groups []string
	// Wikimedia: the wiki is one of Wikimedia's, whose throttle is known:
	// 6 accounts per IP address a day.
	Wikimedia bool
	// Blocked describes a block on the creator that still lets it create
	// accounts (one that does not is a PreflightError), or is empty.
	Blocked    string
	HighLimits bool // may ask about 500 names a request instead of 50
	// Overrides are rights that make the wiki's cancreate answer more
	// lenient for this creator than its own createaccount (which sends no
	// override request): tboverride, tboverride-account, override-antispoof.
	Overrides []string
	// Addable are the groups it may add accounts to, when the run adds
	// groups (nil otherwise); AddableWhy says why they are fewer than its
	// groups suggest, when that is known.
	Addable    []string
	AddableWhy string

	session *mwapi.Session
	// margin is how far a time by our clock may be from the wiki's: the
	// gap the pre-flight measured, and a second each side for its
	// timestamps; two minutes when the wiki did not say its time.
	margin time.Duration
	ahead  time.Duration // our clock minus the wiki's
}

// wikiTime turns a time by our clock into one by the wiki's, early by the
// margin: a creation logged from then on may be ours.
func (c *Creator) wikiTime(t time.Time) time.Time {
	if c.margin == 0 {
		return t.Add(-clockSkew)
	}
	return t.Add(-c.ahead - c.margin)
}

// PreflightError is a reason not to start: nothing was created. Code says
// which, for the advice the command line adds.
type PreflightError struct {
	Code string
	Msg  string
	// Norm, with PreflightNorm, says how the run would break the norm.
	Norm *NormBreach
}

func (e *PreflightError) Error() string { return e.Msg }

// Codes of PreflightError.
const (
	PreflightLoginRefused = "login-refused"
	// PreflightLoginSteps: the wiki wants more than a password to log the
	// creator in (two-factor authentication), which a program cannot give.
	PreflightLoginSteps     = "login-needs-more-steps"
	PreflightOAuthRefused   = "oauth-refused"
	PreflightAnonymous      = "anonymous-session"
	PreflightNoCreateRight  = "no-createaccount"
	PreflightCaptcha        = "captcha"
	PreflightCannotMailPass = "email-disabled"
	PreflightBlocked        = "blocked"
	PreflightGroup          = "group-not-addable"
	// PreflightNorm: the run would break a norm the wiki sets its
	// creator's group, which its software does not enforce (CheckNorms).
	PreflightNorm = "breaks-wiki-norm"
)

// Preflight logs in and checks that the creator can create accounts
// unattended, before the first write.
func (e *Engine) Preflight(ctx context.Context) (*Creator, error) {
	s := e.newSession("")
	ctx, cancel := context.WithTimeout(ctx, 2*e.cfg.RequestTimeout)
	defer cancel()
	if err := s.Prepare(ctx); err != nil {
		var le *mwapi.LoginError
		if errors.As(err, &le) && le.Result == "Aborted" {
			// action=login with a main password, and the account asks for
			// a second factor (OATHAuth) or another interactive step.
			return nil, &PreflightError{Code: PreflightLoginSteps, Msg: fmt.Sprintf(
				"the wiki wants more than a password to log %s in (two-factor authentication, most likely), and a program cannot give it", le.User)}
		}
		if errors.As(err, &le) {
			return nil, &PreflightError{Code: PreflightLoginRefused, Msg: le.Error() + loginHint(e.cfg.Password)}
		}
		return nil, fmt.Errorf("log in to %s: %w", e.cfg.API, err)
	}
	uiprop := "rights|ratelimits|groups|blockinfo"
	if e.cfg.Groups {
		uiprop += "|changeablegroups"
	}
	ans := s.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo|authmanagerinfo|siteinfo"},
		"uiprop": {uiprop}, "amirequestsfor": {"create"}, "siprop": {"general"}})
	if err := ans.AsError(); err != nil {
		return nil, fmt.Errorf("check the creator's rights: %w", err)
	}
	q := ans.Body.Query
	if q == nil || q.UserInfo == nil {
		return nil, errors.New("check the creator's rights: the wiki's answer has no userinfo")
	}
	ui := q.UserInfo
	if ui.Anon && e.cfg.OAuthToken != "" {
		return nil, &PreflightError{Code: PreflightOAuthRefused, Msg: "the wiki did not accept the OAuth token: it treats the requests as anonymous. " +
			"Check that the wiki runs the OAuth extension, that the token belongs to an owner-only consumer with the \"Create accounts\" grant, and that it has not expired"}
	}
	if ui.Anon {
		return nil, &PreflightError{Code: PreflightAnonymous, Msg: fmt.Sprintf("logged in as %s, but the wiki treats the session as anonymous; check that the wiki keeps cookies (session storage)", e.cfg.User)}
	}
	if e.cfg.OAuthToken != "" {
		s.Owner = ui.Name
	}
	c := &Creator{Name: ui.Name, NoRateLimit: slices.Contains(ui.Rights, "noratelimit"), Groups: ui.Groups,
		HighLimits: slices.Contains(ui.Rights, "apihighlimits"), session: s}
	for _, r := range []string{"tboverride", "tboverride-account", "override-antispoof"} {
		if slices.Contains(ui.Rights, r) {
			c.Overrides = append(c.Overrides, r)
		}
	}
	if g := q.General; g != nil {
		c.SiteName, c.WikiID, c.Wikimedia = g.SiteName, g.WikiID, g.Wikimedia()
		if t, err := time.Parse(time.RFC3339, g.Time); err == nil {
			c.ahead, c.margin = ans.Received.Sub(t), 2*time.Second
		}
	}
	if err := e.checkGroups(c, ui); err != nil {
		return nil, err
	}
	if !e.cfg.GrantOnly {
		if err := e.checkCreating(c, ui, q.AuthManagerInfo); err != nil {
			return nil, err
		}
	}
	e.deps.Log.Info("preflight", zap.String("creator", ui.Name), zap.Strings("groups", ui.Groups),
		zap.Bool("noratelimit", c.NoRateLimit), zap.Strings("addable", c.Addable))
	return c, nil
}

// checkGroups learns which groups the creator may add, when the run adds
// groups, and refuses a run's group it may not add.
func (e *Engine) checkGroups(c *Creator, ui *mwapi.UserInfo) error {
	if !e.cfg.Groups {
		return nil
	}
	c.Addable = []string{}
	if cg := ui.ChangeableGroups; cg != nil {
		c.Addable = cg.Add
	}
	if slices.Contains(ui.Groups, "bureaucrat") && !slices.Contains(ui.Rights, "userrights") {
		c.AddableWhy = groups.UserrightsThroughGrants
	}
	for _, g := range e.cfg.AddGroups {
		if !slices.Contains(c.Addable, g) {
			return &PreflightError{Code: PreflightGroup, Msg: groups.NotAddable(ui.Name, g, c.Addable, c.AddableWhy)}
		}
	}
	return nil
}

// checkCreating checks that the creator can create accounts unattended:
// the right, no block that stops it, no CAPTCHA, and mail when the wiki
// is to mail passwords.
func (e *Engine) checkCreating(c *Creator, ui *mwapi.UserInfo, am *mwapi.AuthManagerInfo) error {
	if !slices.Contains(ui.Rights, "createaccount") {
		fix := "give the bot password the \"Create accounts\" grant on Special:BotPasswords"
		if e.cfg.OAuthToken != "" {
			fix = "give the OAuth consumer the \"Create accounts\" grant"
		}
		return &PreflightError{Code: PreflightNoCreateRight, Msg: fmt.Sprintf("%s may not create accounts (no createaccount right); %s",
			cmp.Or(e.cfg.User, ui.Name), fix)}
	}
	if b := ui.BlockInfo; b.Present() {
		if b.BlockNoCreate {
			return &PreflightError{Code: PreflightBlocked, Msg: ui.Name + " " + b.Describe() + ", which stops it creating accounts"}
		}
		c.Blocked = b.Describe()
	}
	if am == nil {
		return nil
	}
	asked := func(suffix string) bool {
		return slices.ContainsFunc(am.Requests, func(r mwapi.AuthRequest) bool { return strings.HasSuffix(r.ID, suffix) })
	}
	if asked("CaptchaAuthenticationRequest") {
		return &PreflightError{Code: PreflightCaptcha, Msg: fmt.Sprintf("the wiki would ask %s for a CAPTCHA on every account, which a batch cannot solve; the creator needs the skipcaptcha right (sysops and account creators have it)", ui.Name)}
	}
	if e.cfg.MailPassword && !asked("TemporaryPasswordAuthenticationRequest") {
		return &PreflightError{Code: PreflightCannotMailPass, Msg: "the wiki cannot mail temporary passwords (email is disabled there)"}
	}
	return nil
}

func loginHint(password string) string {
	if !isBotPasswordShape(password) {
		return "; a bot password is 32 or more characters of 0-9 and a-w (as Special:BotPasswords shows it) — this one is not, so the wiki took it as the main account password"
	}
	return "; check the name (User@AppName, as Special:BotPasswords shows it) and the password"
}

// isBotPasswordShape reports whether MediaWiki would try p as a bot password
// (BotPassword::canonicalizeLoginData: /^[0-9a-w]{32,}$/).
func isBotPasswordShape(p string) bool {
	if len(p) < 32 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'w') {
			return false
		}
	}
	return true
}

// newSession is a session of the creator; owner is the account an OAuth
// token acts for, as the pre-flight learned it.
func (e *Engine) newSession(owner string) *mwapi.Session {
	s := e.anonymousSession()
	s.User, s.Password = e.cfg.User, e.cfg.Password
	s.Rights = e.cfg.Groups && !e.cfg.DryRun
	if e.cfg.OAuthToken != "" {
		s.UseOAuth(e.cfg.OAuthToken, owner)
	}
	return s
}

// anonymousSession is a session that never logs in (a dry run's names).
func (e *Engine) anonymousSession() *mwapi.Session {
	s := mwapi.NewSession(e.deps.HTTP, e.deps.Clock.Now, e.cfg.API, e.cfg.UserAgent, "", "")
	s.Timeout = e.cfg.RequestTimeout
	return s
}

// asksAnonymously reports whether a dry run asks about names from
// anonymous sessions: without a creator, or when the creator's override
// rights would make the wiki's cancreate answer more lenient than the
// run's createaccount will be (the title blacklist and AntiSpoof then
// answer as they will to this creator's createaccount).
func (e *Engine) asksAnonymously(c *Creator) bool {
	return c.Name == "" || e.cfg.DryRun && len(c.Overrides) > 0
}

// sessions are the workers' sessions: the first goes on with the
// pre-flight's login.
func (e *Engine) sessions(c *Creator) []*mwapi.Session {
	out := make([]*mwapi.Session, e.cfg.Workers)
	for i := range out {
		switch {
		case e.asksAnonymously(c):
			out[i] = e.anonymousSession()
		case i == 0 && c.session != nil:
			out[i] = c.session
		default:
			out[i] = e.newSession(c.Name)
		}
	}
	return out
}

// batchSize is the number of names a dry run, or a run that only adds
// accounts to groups, asks about in one request.
func (e *Engine) batchSize(c *Creator) int {
	switch {
	case !e.cfg.DryRun && !e.cfg.GrantOnly:
		return 1
	case c.HighLimits && !e.asksAnonymously(c):
		return namesPerRequestHigh
	}
	return namesPerRequest
}

// Site is what a wiki says of itself before a run reads the sheet.
type Site struct {
	// Names are its rules for usernames: its content language and its
	// namespace names.
	Names names.Rules
	// DecidesAtCreation names the installed extensions that judge an
	// account only when it is created, which no dry run can foresee
	// (AbuseFilter).
	DecidesAtCreation []string
}

// atCreation are the extensions, by siteinfo's name, whose rules run when
// an account is created and that list=users&usprop=cancreate does not ask.
var atCreation = map[string]string{"abusefilter": "AbuseFilter"}

// AskSite asks the wiki, anonymously and read-only, for its content
// language, its namespaces and its extensions (siteinfo), and for the
// names it reserves (allmessages). An OAuth token, when the run has
// one, goes with it as with every request.
func AskSite(ctx context.Context, hc *http.Client, clock pacer.Clock, api, userAgent, oauthToken string, timeout time.Duration) (Site, error) {
	s := mwapi.NewSession(hc, clock.Now, api, userAgent, "", "")
	s.Timeout = timeout
	if oauthToken != "" {
		s.UseOAuth(oauthToken, "")
	}
	// The reserved usernames: MediaWiki's UserNameUtils::isUsable takes the
	// texts of the "msg:" entries of $wgReservedUsernames in the content
	// language with ->text() — allmessages with its parser, in the content
	// language (uselang=content; amlang would need the language this very
	// answer gives) — so a message the wiki customized counts.
	keys := names.ReservedMessageKeys()
	ans := s.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo|allmessages"}, "siprop": {"general|extensions|namespaces|namespacealiases"},
		"ammessages": {strings.Join(keys, "|")}, "amenableparser": {"1"}, "uselang": {"content"}})
	if err := ans.AsError(); err != nil {
		return Site{}, fmt.Errorf("ask %s for its language: %w", api, err)
	}
	q := ans.Body.Query
	if q == nil || q.General == nil || q.General.Lang == "" {
		return Site{}, fmt.Errorf("ask %s for its language: the answer has no siteinfo", api)
	}
	site := Site{Names: names.Rules{Lang: q.General.Lang, Namespaces: map[string]int{},
		MediaWiki: strings.TrimPrefix(q.General.Generator, "MediaWiki "), PHP: q.General.PHPVersion}}
	// As Language::getNsIndex decides between names that collide: the
	// canonical (English) names first, then the aliases, then the local
	// names, so each is written over the ones it beats.
	add := func(name string, id int) {
		if name != "" {
			site.Names.Namespaces[names.NamespaceKey(strings.ReplaceAll(name, "_", " "))] = id
		}
	}
	for _, ns := range q.Namespaces {
		add(ns.Name, ns.ID)
	}
	for _, a := range q.NamespaceAliases {
		add(a.Alias, a.ID)
	}
	for _, ns := range q.Namespaces {
		add(ns.Canonical, ns.ID)
	}
	site.Names.Reserved = reservedNames(keys, q.AllMessages)
	for _, ext := range q.Extensions {
		if name, ok := atCreation[strings.ToLower(strings.ReplaceAll(ext.Name, " ", ""))]; ok {
			site.DecidesAtCreation = append(site.DecidesAtCreation, name)
		}
	}
	return site, nil
}

// reservedNames are the names a wiki reserves, by its answer to
// meta=allmessages for keys: nil (MediaWiki's defaults for the wiki's
// language, names.Rules says) unless it answered for every key. A message
// the wiki does not have is "⧼key⧽" to ->text(), and reserves that.
func reservedNames(keys []string, answer []mwapi.Message) map[string]bool {
	texts := make(map[string]string, len(answer))
	for _, m := range answer {
		if m.Missing {
			texts[m.Name] = "⧼" + m.Name + "⧽"
		} else {
			texts[m.Name] = m.Content
		}
	}
	list := make([]string, 0, len(keys))
	for _, k := range keys {
		t, ok := texts[k]
		if !ok {
			return nil
		}
		list = append(list, t)
	}
	return names.ReservedNames(list)
}
