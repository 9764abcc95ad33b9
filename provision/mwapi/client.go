// Package mwapi is a client of MediaWiki's Action API: one cookie session
// per worker (bot password login, OAuth 2, tokens), the requests a run
// sends, the answers' types, their messages in plain text, and the
// redaction of every secret a server or a proxy echoes back.
package mwapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mwprovision/mwprovision/provision/groups"
)

// maxBody bounds how much of an answer is read; api.php answers are small.
const maxBody = 4 << 20

// bodyStartWindow is how much of a body that is not JSON is cleaned of
// secrets to show its start (snippet shows far less).
const bodyStartWindow = 4096

// Answer is everything the wiki (or the network) said to one request: the
// input of Classify.
type Answer struct {
	HTTPStatus int
	Location   string        // where a redirect points
	RetryAfter time.Duration // from the Retry-After header; 0 when absent
	Body       *APIResponse  // nil when the body was not JSON
	BodyStart  string        // the first bytes of a body that was not JSON
	Err        error         // transport error: the request may or may not have reached the wiki
	Sent       time.Time
	Received   time.Time
}

// ErrorObject is the top-level "error" of an api.php answer.
type ErrorObject struct {
	Code string `json:"code"`
	Info string `json:"info"`
}

type CreateAccountResult struct {
	Status         string          `json:"status"`
	Username       string          `json:"username"`
	Message        json.RawMessage `json:"message"`
	MessageCode    string          `json:"messagecode"`
	RedirectTarget string          `json:"redirecttarget"`
	Requests       []AuthRequest   `json:"requests"`
}

// AuthRequest names an AuthManager request the wiki lists or asks for.
type AuthRequest struct {
	ID string `json:"id"`
}

// BlockInfo is userinfo's blockinfo: the block that applies to the
// creator, by name or by the IP address it asks from (an autoblock too).
type BlockInfo struct {
	BlockID       int    `json:"blockid"`
	BlockedBy     string `json:"blockedby"`
	BlockReason   string `json:"blockreason"`
	BlockExpiry   string `json:"blockexpiry"`
	BlockNoCreate bool   `json:"blocknocreate"`
	BlockPartial  bool   `json:"blockpartial"`
}

// SiteGeneral is siteinfo's general part.
type SiteGeneral struct {
	SiteName   string `json:"sitename"`
	WikiID     string `json:"wikiid"` // the wiki's database name: enwiki for the English Wikipedia
	Lang       string `json:"lang"`   // the content language, whose rules make names canonical
	ServerName string `json:"servername"`
	Generator  string `json:"generator"`  // "MediaWiki 1.43.9"
	PHPVersion string `json:"phpversion"` // "8.4.27"
	Time       string `json:"time"`       // the wiki's clock
	// WMFConfig is only on Wikimedia's wikis (their configuration adds it
	// to siteinfo).
	WMFConfig json.RawMessage `json:"wmf-config"`
}

// Wikimedia reports whether the wiki is one of Wikimedia's.
func (g *SiteGeneral) Wikimedia() bool {
	return len(g.WMFConfig) > 0 || IsWikimediaHost(g.ServerName)
}

type APIResponse struct {
	Error            *ErrorObject         `json:"error"`
	CreateAccount    *CreateAccountResult `json:"createaccount"`
	ValidatePassword *struct {
		Validity         string          `json:"validity"`
		ValidityMessages []refusalDetail `json:"validitymessages"`
	} `json:"validatepassword"`
	Login *struct {
		Result   string          `json:"result"`
		Reason   json.RawMessage `json:"reason"`
		Username string          `json:"lgusername"`
	} `json:"login"`
	UserRights *struct {
		User  string   `json:"user"`
		Added []string `json:"added"`
	} `json:"userrights"`
	Query *struct {
		Tokens          map[string]string `json:"tokens"`
		UserInfo        *UserInfo         `json:"userinfo"`
		AuthManagerInfo *AuthManagerInfo  `json:"authmanagerinfo"`
		General         *SiteGeneral      `json:"general"`
		// AutoCreateTempUser is siprop=autocreatetempuser (MediaWiki
		// 1.42 and later): whether the wiki has temporary accounts.
		AutoCreateTempUser *struct {
			Enabled bool `json:"enabled"`
		} `json:"autocreatetempuser"`
		Extensions []struct {
			Name string `json:"name"`
		} `json:"extensions"`
		Namespaces map[string]struct {
			ID        int    `json:"id"`
			Name      string `json:"name"`
			Canonical string `json:"canonical"`
		} `json:"namespaces"`
		NamespaceAliases []struct {
			ID    int    `json:"id"`
			Alias string `json:"alias"`
		} `json:"namespacealiases"`
		// AllMessages is meta=allmessages.
		AllMessages []Message    `json:"allmessages"`
		Users       []UserAnswer `json:"users"`
		LogEvents   []struct {
			Title     string `json:"title"`
			User      string `json:"user"`
			Action    string `json:"action"`
			Timestamp string `json:"timestamp"`
		} `json:"logevents"`
	} `json:"query"`
}

// Message is one of meta=allmessages: the message's text, or Missing
// when the wiki has no such message.
type Message struct {
	Name    string `json:"name"`
	Content string `json:"content"`
	Missing bool   `json:"missing"`
}

// UserInfo is meta=userinfo: the creator as the wiki sees this session.
type UserInfo struct {
	ID         int             `json:"id"`
	Name       string          `json:"name"`
	Anon       bool            `json:"anon"`
	Groups     []string        `json:"groups"`
	Rights     []string        `json:"rights"`
	RateLimits json.RawMessage `json:"ratelimits"`
	// ChangeableGroups are the groups it may add and remove.
	ChangeableGroups *struct {
		Add []string `json:"add"`
	} `json:"changeablegroups"`
	BlockInfo
}

// AuthManagerInfo is meta=authmanagerinfo for account creation.
type AuthManagerInfo struct {
	CanCreateAccounts bool          `json:"cancreateaccounts"`
	Requests          []AuthRequest `json:"requests"`
}

// Session is one cookie session with the wiki: one login, one
// createaccount token, reused for every creation of one worker.
type Session struct {
	api       string
	userAgent string
	now       func() time.Time
	Timeout   time.Duration // for one answer; 0: none of its own
	hc        http.Client
	User      string
	Password  string // secret: only ever written into a POST body
	bearer    string // secret: an OAuth 2 access token, sent instead of a login

	Owner    string // the account the bot password belongs to, from action=login
	token    string // createaccount token; secret
	LoggedIn bool
	// Rights: the session adds accounts to groups, so it holds a
	// userrights token too (secret).
	Rights      bool
	rightsToken string
}

// NewSession returns a session with its own cookie jar on the shared
// transport; now times the answers.
func NewSession(base *http.Client, now func() time.Time, api, userAgent, user, password string) *Session {
	jar, _ := cookiejar.New(nil) // never fails with nil options
	s := &Session{api: api, userAgent: userAgent, now: now, hc: *base, User: user, Password: password}
	s.hc.Jar = jar
	// Never follow a redirect: a POST re-sent to another URL would carry
	// the passwords there. The user is told where the API moved instead.
	s.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return s
}

// UseOAuth makes the session send an OAuth 2 access token with every
// request (Authorization: Bearer) instead of logging in; owner is the
// account the token acts for, as the pre-flight learned it.
func (s *Session) UseOAuth(token, owner string) {
	s.bearer, s.Owner, s.LoggedIn = token, owner, true
}

// Authenticated reports whether the session acts for a creator.
func (s *Session) Authenticated() bool { return s.User != "" || s.bearer != "" }

// Ready reports whether the session is logged in and holds its tokens.
func (s *Session) Ready() bool {
	return s.LoggedIn && s.token != "" && (!s.Rights || s.rightsToken != "")
}

// Forget drops the login and the token, after the wiki said the session is gone.
func (s *Session) Forget() {
	jar, _ := cookiejar.New(nil)
	s.hc.Jar = jar
	s.LoggedIn, s.token, s.rightsToken = s.bearer != "", "", ""
}

// ForgetToken drops the tokens, after badtoken.
func (s *Session) ForgetToken() { s.token, s.rightsToken = "", "" }

// LoginError is a login the wiki refused; retrying will not help.
type LoginError struct {
	User, Result, Reason string
}

func (e *LoginError) Error() string {
	msg := fmt.Sprintf("the wiki refused the login of %s (%s)", e.User, e.Result)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Prepare logs in when needed and fetches the createaccount token.
func (s *Session) Prepare(ctx context.Context) error {
	if !s.LoggedIn {
		if err := s.login(ctx); err != nil {
			return err
		}
	}
	if s.token == "" || s.Rights && s.rightsToken == "" {
		kinds := []string{"createaccount"}
		if s.Rights {
			kinds = append(kinds, "userrights")
		}
		toks, err := s.fetchTokens(ctx, kinds...)
		if err != nil {
			return fmt.Errorf("fetch %s token: %w", strings.Join(kinds, " and "), err)
		}
		s.token = toks[0]
		if s.Rights {
			s.rightsToken = toks[1]
		}
	}
	return nil
}

func (s *Session) login(ctx context.Context) error {
	for try := 0; try < 2; try++ {
		tok, err := s.fetchToken(ctx, "login")
		if err != nil {
			return fmt.Errorf("fetch login token: %w", err)
		}
		ans := s.Post(ctx, url.Values{
			"action": {"login"}, "lgname": {s.User}, "lgpassword": {s.Password}, "lgtoken": {tok},
		})
		if err := ans.AsError(); err != nil {
			return fmt.Errorf("log in as %s: %w", s.User, err)
		}
		l := ans.Body.Login
		if l == nil {
			return fmt.Errorf("log in as %s: the wiki's answer has no login result", s.User)
		}
		switch l.Result {
		case "Success":
			s.LoggedIn, s.Owner = true, l.Username
			return nil
		case "NeedToken", "WrongToken":
			continue // the session cookie was lost between the two requests: once more
		}
		return &LoginError{User: s.User, Result: l.Result, Reason: MessageText(l.Reason)}
	}
	return &LoginError{User: s.User, Result: "WrongToken", Reason: "the wiki did not keep the session cookie between two requests"}
}

func (s *Session) fetchToken(ctx context.Context, kind string) (string, error) {
	toks, err := s.fetchTokens(ctx, kind)
	if err != nil {
		return "", err
	}
	return toks[0], nil
}

// fetchTokens fetches tokens of several kinds in one request.
func (s *Session) fetchTokens(ctx context.Context, kinds ...string) ([]string, error) {
	ans := s.Get(ctx, url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {strings.Join(kinds, "|")}})
	if err := ans.AsError(); err != nil {
		return nil, err
	}
	out := make([]string, len(kinds))
	for i, kind := range kinds {
		if ans.Body.Query == nil || ans.Body.Query.Tokens[kind+"token"] == "" {
			return nil, errors.New("the wiki's answer has no " + kind + " token")
		}
		out[i] = ans.Body.Query.Tokens[kind+"token"]
	}
	return out, nil
}

// UserRights adds the account user to the groups of grants
// (action=userrights), each until its time.
func (s *Session) UserRights(ctx context.Context, user string, grants []groups.Grant, reason string) Answer {
	add, expiries := make([]string, len(grants)), make([]string, len(grants))
	for i, g := range grants {
		add[i], expiries[i] = g.Group, groups.ExpiryParam(g.Until)
	}
	form := url.Values{"action": {"userrights"}, "assert": {"user"}, "user": {user},
		"add": {strings.Join(add, "|")}, "expiry": {strings.Join(expiries, "|")}, "token": {s.rightsToken}}
	if reason != "" {
		form.Set("reason", reason)
	}
	return s.Post(ctx, form)
}

// Users asks about accounts (list=users with usprop), read-only.
func (s *Session) Users(ctx context.Context, names []string, usprop string) Answer {
	// A leading U+001F makes it the separator: names may hold '|'.
	q := url.Values{"action": {"query"}, "list": {"users"}, "ususers": {"\x1f" + strings.Join(names, "\x1f")}}
	if usprop != "" {
		q.Set("usprop", usprop)
	}
	return s.Post(ctx, q)
}

// NewAccount is what a createaccount request says of the account.
type NewAccount struct {
	Username, Email, RealName string
	Password                  string // secret; sent only without mailPassword
}

// CreateAccount sends one action=createaccount for a.
func (s *Session) CreateAccount(ctx context.Context, a NewAccount, reason string, mailPassword bool) Answer {
	form := url.Values{
		"action":              {"createaccount"},
		"assert":              {"user"},
		"createmessageformat": {"raw"},
		"createreturnurl":     {s.api},
		"createtoken":         {s.token},
		"username":            {a.Username},
		// MediaWiki drops the whole user-data request (email and real name)
		// when either field is missing from the POST: always send both.
		"email":    {a.Email},
		"realname": {a.RealName},
	}
	if reason != "" {
		form.Set("reason", reason)
	}
	if mailPassword {
		// Any value turns it on, even "0": the parameter is only ever sent in this mode.
		form.Set("mailpassword", "1")
	} else {
		form.Set("password", a.Password)
		form.Set("retype", a.Password)
	}
	return s.Post(ctx, form)
}

// CreatedBy looks the account up in the newusers log and returns the time it
// was created when one of creators created it. Only an entry from since on
// counts: an older account by the same creator was made for something
// else, and this row is then exists.
func (s *Session) CreatedBy(ctx context.Context, canonical string, creators []string, since time.Time) (time.Time, bool, error) {
	ans := s.Get(ctx, url.Values{
		"action": {"query"}, "list": {"logevents"}, "letype": {"newusers"},
		"letitle": {"User:" + canonical}, "leprop": {"user|timestamp|title|type"}, "lelimit": {"10"},
	})
	if err := ans.AsError(); err != nil {
		return time.Time{}, false, err
	}
	if ans.Body.Query == nil {
		return time.Time{}, false, errors.New("the wiki's answer has no query result")
	}
	for _, ev := range ans.Body.Query.LogEvents {
		t, err := time.Parse(time.RFC3339, ev.Timestamp)
		if slices.Contains(creators, ev.User) && err == nil && !t.Before(since) {
			return t, true, nil
		}
	}
	return time.Time{}, false, nil
}

func (s *Session) Get(ctx context.Context, q url.Values) Answer {
	addCommon(q)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.api+"?"+q.Encode(), nil)
	if err != nil {
		return Answer{Err: err}
	}
	return s.do(req, s.secretsOf(q))
}

func (s *Session) Post(ctx context.Context, form url.Values) Answer {
	addCommon(form)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.api, strings.NewReader(form.Encode()))
	if err != nil {
		return Answer{Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req, s.secretsOf(form))
}

func addCommon(v url.Values) {
	v.Set("format", "json")
	v.Set("formatversion", "2")
	v.Set("maxlag", "5")
}

// do sends a request and reads its answer, cleaned of secrets.
func (s *Session) do(req *http.Request, secrets []string) Answer {
	req.Header.Set("User-Agent", s.userAgent)
	if s.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+s.bearer)
	}
	req.Header.Set("Accept", "application/json")
	if s.Timeout > 0 {
		ctx, cancel := context.WithTimeout(req.Context(), s.Timeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	ans := Answer{Sent: s.now()}
	resp, err := s.hc.Do(req)
	if err != nil {
		ans.Received = s.now()
		ans.Err = s.transportError(err)
		return ans
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	ans.Received = s.now()
	ans.HTTPStatus = resp.StatusCode
	red := newRedactor(secrets)
	ans.Location = red.text(resp.Header.Get("Location"))
	ans.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), ans.Received)
	if err != nil {
		ans.Err = fmt.Errorf("read answer: %w", s.transportError(err))
		return ans
	}
	var r APIResponse
	if err := json.Unmarshal(body, &r); err != nil {
		// Only the start is shown: only the start is cleaned.
		ans.BodyStart = snippet([]byte(red.text(string(body[:min(len(body), bodyStartWindow)]))))
		return ans
	}
	r.cleanWith(red)
	ans.Body = &r
	return ans
}

// AsError turns an answer to a read request into an error, or nil when it holds a JSON body without an error.
func (a Answer) AsError() error {
	switch {
	case a.Err != nil:
		return a.Err
	case a.HTTPStatus >= 300 && a.HTTPStatus < 400:
		return &RedirectError{Status: a.HTTPStatus, Location: a.Location}
	case a.Body == nil:
		return fmt.Errorf("the server answered HTTP %d with something that is not the API's JSON (is the URL that of api.php?): %q", a.HTTPStatus, a.BodyStart)
	case a.Body.Error != nil:
		return &WikiError{Code: a.Body.Error.Code, Info: a.Body.Error.Info}
	}
	return nil
}

// WikiError is the wiki's refusal of a request as a whole: the top-level
// error object of api.php.
type WikiError struct{ Code, Info string }

func (e *WikiError) Error() string { return fmt.Sprintf("the wiki answered %s: %s", e.Code, e.Info) }

// RedirectError: the server sent a redirect, which is never followed (a
// POST sent again elsewhere would carry the passwords there).
type RedirectError struct {
	Status   int
	Location string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("the server redirects (HTTP %d) to %q", e.Status, e.Location)
}

// NoAnswerError: the wiki did not answer within the request timeout.
type NoAnswerError struct{ Within time.Duration }

func (e *NoAnswerError) Error() string {
	return fmt.Sprintf("no answer from the wiki within %s", e.Within)
}

// transportError says what went wrong on the way: no answer in time, or
// the network's error without the URL's query string.
func (s *Session) transportError(err error) error {
	var ne net.Error
	if s.Timeout > 0 && (errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) {
		return &NoAnswerError{Within: s.Timeout}
	}
	return scrubURLError(err)
}

// scrubURLError keeps the operation and cause of a *url.Error but not the
// URL's query string (GET parameters) nor credentials in the URL.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		if perr == nil {
			u.RawQuery, u.User = "", nil
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

func ParseRetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(h)); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func snippet(b []byte) string {
	const n = 80
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// UserAnswer is one entry of list=users&usprop=cancreate.
type UserAnswer struct {
	UserID         int             `json:"userid"`
	Name           string          `json:"name"`
	Missing        bool            `json:"missing"`
	Invalid        bool            `json:"invalid"`
	CanCreate      *bool           `json:"cancreate"`
	CanCreateError []refusalDetail `json:"cancreateerror"`
	// Groups are all the account's groups, implicit ones too
	// (autoconfirmed); GroupMemberships the explicit ones, with expiry.
	Groups           []string            `json:"groups"`
	GroupMemberships []groups.Membership `json:"groupmemberships"`
}

// refusalDetail is one message of an API answer in errorformat=bc with
// formatversion=2: cancreateerror, validitymessages.
type refusalDetail struct {
	Message string            `json:"message"`
	Params  []json.RawMessage `json:"params"`
	Code    string            `json:"code"`
}

// wikimediaDomains are the domains of Wikimedia's wikis.
var wikimediaDomains = []string{"wikipedia.org", "wikimedia.org", "wiktionary.org", "wikibooks.org",
	"wikinews.org", "wikiquote.org", "wikisource.org", "wikiversity.org", "wikivoyage.org",
	"wikidata.org", "wikifunctions.org", "mediawiki.org"}

// IsWikimediaHost reports whether host is a Wikimedia wiki's server name.
func IsWikimediaHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return slices.ContainsFunc(wikimediaDomains, func(d string) bool {
		return host == d || strings.HasSuffix(host, "."+d)
	})
}

// Present reports whether a block applies. A composite block (several at
// once: the account's and an autoblock of its IP address, say) and one
// from the wiki's configuration have no id and no author, but an expiry.
func (b BlockInfo) Present() bool {
	return b.BlockID != 0 || b.BlockedBy != "" || b.BlockExpiry != ""
}

// Describe words a block: who placed it, why, until when.
func (b BlockInfo) Describe() string {
	what := "is blocked"
	if b.BlockPartial {
		what = "is partially blocked"
	}
	if b.BlockedBy != "" {
		what += " by " + b.BlockedBy
	} else {
		what += " (by several blocks, or by the wiki's configuration: see Special:BlockList)"
	}
	if b.BlockReason != "" {
		what += fmt.Sprintf(" (reason: %q)", b.BlockReason)
	}
	if b.BlockExpiry == "" || b.BlockExpiry == "infinite" || b.BlockExpiry == "infinity" {
		return what + " with no expiry"
	}
	return what + " until " + b.BlockExpiry
}
