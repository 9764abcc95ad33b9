package provision

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
)

// maxBody bounds how much of an answer is read; api.php answers are small.
const maxBody = 4 << 20

// Answer is everything the wiki (or the network) said to one request: the
// input of Classify.
type Answer struct {
	HTTPStatus int
	Location   string        // where a redirect points
	RetryAfter time.Duration // from the Retry-After header; 0 when absent
	Body       *apiResponse  // nil when the body was not JSON
	BodyStart  string        // the first bytes of a body that was not JSON
	Err        error         // transport error: the request may or may not have reached the wiki
	Sent       time.Time
	Received   time.Time
}

// errorObject is the top-level "error" of an api.php answer.
type errorObject struct {
	Code string `json:"code"`
	Info string `json:"info"`
}

type createAccountResult struct {
	Status         string          `json:"status"`
	Username       string          `json:"username"`
	Message        json.RawMessage `json:"message"`
	MessageCode    string          `json:"messagecode"`
	RedirectTarget string          `json:"redirecttarget"`
	Requests       []authRequest   `json:"requests"`
}

// authRequest names an AuthManager request the wiki lists or asks for.
type authRequest struct {
	ID string `json:"id"`
}

// blockInfo is userinfo's blockinfo: the block that applies to the
// creator, by name or by the IP address it asks from (an autoblock too).
type blockInfo struct {
	BlockID       int    `json:"blockid"`
	BlockedBy     string `json:"blockedby"`
	BlockReason   string `json:"blockreason"`
	BlockExpiry   string `json:"blockexpiry"`
	BlockNoCreate bool   `json:"blocknocreate"`
	BlockPartial  bool   `json:"blockpartial"`
}

// siteGeneral is siteinfo's general part.
type siteGeneral struct {
	SiteName   string `json:"sitename"`
	Lang       string `json:"lang"` // the content language, whose rules make names canonical
	ServerName string `json:"servername"`
	Generator  string `json:"generator"`
	Time       string `json:"time"` // the wiki's clock
	// WMFConfig is only on Wikimedia's wikis (their configuration adds it
	// to siteinfo).
	WMFConfig json.RawMessage `json:"wmf-config"`
}

// wikimedia reports whether the wiki is one of Wikimedia's.
func (g *siteGeneral) wikimedia() bool {
	return len(g.WMFConfig) > 0 || isWikimediaHost(g.ServerName)
}

type apiResponse struct {
	Error            *errorObject         `json:"error"`
	CreateAccount    *createAccountResult `json:"createaccount"`
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
		UserInfo        *userInfo         `json:"userinfo"`
		AuthManagerInfo *authManagerInfo  `json:"authmanagerinfo"`
		General         *siteGeneral      `json:"general"`
		Extensions      []struct {
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
		Users     []userAnswer `json:"users"`
		LogEvents []struct {
			Title     string `json:"title"`
			User      string `json:"user"`
			Action    string `json:"action"`
			Timestamp string `json:"timestamp"`
		} `json:"logevents"`
	} `json:"query"`
}

// userInfo is meta=userinfo: the creator as the wiki sees this session.
type userInfo struct {
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
	blockInfo
}

// authManagerInfo is meta=authmanagerinfo for account creation.
type authManagerInfo struct {
	CanCreateAccounts bool          `json:"cancreateaccounts"`
	Requests          []authRequest `json:"requests"`
}

// Session is one cookie session with the wiki: one login, one
// createaccount token, reused for every creation of one worker.
type Session struct {
	api       string
	userAgent string
	now       func() time.Time
	timeout   time.Duration // for one answer; 0: none of its own
	hc        http.Client
	user      string
	password  string // secret: only ever written into a POST body
	bearer    string // secret: an OAuth 2 access token, sent instead of a login

	Owner    string // the account the bot password belongs to, from action=login
	token    string // createaccount token; secret
	loggedIn bool
	// rights: the session adds accounts to groups, so it holds a
	// userrights token too (secret).
	rights      bool
	rightsToken string
}

// NewSession returns a session with its own cookie jar on the shared
// transport; now times the answers.
func NewSession(base *http.Client, now func() time.Time, api, userAgent, user, password string) *Session {
	jar, _ := cookiejar.New(nil) // never fails with nil options
	s := &Session{api: api, userAgent: userAgent, now: now, hc: *base, user: user, password: password}
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
	s.bearer, s.Owner, s.loggedIn = token, owner, true
}

// authenticated reports whether the session acts for a creator.
func (s *Session) authenticated() bool { return s.user != "" || s.bearer != "" }

// Ready reports whether the session is logged in and holds its tokens.
func (s *Session) Ready() bool {
	return s.loggedIn && s.token != "" && (!s.rights || s.rightsToken != "")
}

// Forget drops the login and the token, after the wiki said the session is gone.
func (s *Session) Forget() {
	jar, _ := cookiejar.New(nil)
	s.hc.Jar = jar
	s.loggedIn, s.token, s.rightsToken = s.bearer != "", "", ""
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
	if !s.loggedIn {
		if err := s.login(ctx); err != nil {
			return err
		}
	}
	if s.token == "" || s.rights && s.rightsToken == "" {
		kinds := []string{"createaccount"}
		if s.rights {
			kinds = append(kinds, "userrights")
		}
		toks, err := s.fetchTokens(ctx, kinds...)
		if err != nil {
			return fmt.Errorf("fetch %s token: %w", strings.Join(kinds, " and "), err)
		}
		s.token = toks[0]
		if s.rights {
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
		ans := s.post(ctx, url.Values{
			"action": {"login"}, "lgname": {s.user}, "lgpassword": {s.password}, "lgtoken": {tok},
		})
		if err := ans.err(); err != nil {
			return fmt.Errorf("log in as %s: %w", s.user, err)
		}
		l := ans.Body.Login
		if l == nil {
			return fmt.Errorf("log in as %s: the wiki's answer has no login result", s.user)
		}
		switch l.Result {
		case "Success":
			s.loggedIn, s.Owner = true, l.Username
			return nil
		case "NeedToken", "WrongToken":
			continue // the session cookie was lost between the two requests: once more
		}
		return &LoginError{User: s.user, Result: l.Result, Reason: messageText(l.Reason)}
	}
	return &LoginError{User: s.user, Result: "WrongToken", Reason: "the wiki did not keep the session cookie between two requests"}
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
	ans := s.get(ctx, url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {strings.Join(kinds, "|")}})
	if err := ans.err(); err != nil {
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

// userRights adds the account user to the groups of grants
// (action=userrights), each until its time.
func (s *Session) userRights(ctx context.Context, user string, grants []Grant, reason string) Answer {
	groups, expiries := make([]string, len(grants)), make([]string, len(grants))
	for i, g := range grants {
		groups[i], expiries[i] = g.Group, expiryParam(g.Until)
	}
	form := url.Values{"action": {"userrights"}, "assert": {"user"}, "user": {user},
		"add": {strings.Join(groups, "|")}, "expiry": {strings.Join(expiries, "|")}, "token": {s.rightsToken}}
	if reason != "" {
		form.Set("reason", reason)
	}
	return s.post(ctx, form)
}

// users asks about accounts (list=users with usprop), read-only.
func (s *Session) users(ctx context.Context, names []string, usprop string) Answer {
	// A leading U+001F makes it the separator: names may hold '|'.
	q := url.Values{"action": {"query"}, "list": {"users"}, "ususers": {"\x1f" + strings.Join(names, "\x1f")}}
	if usprop != "" {
		q.Set("usprop", usprop)
	}
	return s.post(ctx, q)
}

// NewAccount is what a createaccount request says of the account.
type NewAccount struct {
	Username, Email, RealName string
	Password                  string // secret; sent only without mailPassword
}

// createAccount sends one action=createaccount for a.
func (s *Session) createAccount(ctx context.Context, a NewAccount, reason string, mailPassword bool) Answer {
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
	return s.post(ctx, form)
}

// createdBy looks the account up in the newusers log and returns the time it
// was created when one of creators created it. Only an entry from since on
// counts: an older account by the same creator was made for something
// else, and this row is then exists.
func (s *Session) createdBy(ctx context.Context, canonical string, creators []string, since time.Time) (time.Time, bool, error) {
	ans := s.get(ctx, url.Values{
		"action": {"query"}, "list": {"logevents"}, "letype": {"newusers"},
		"letitle": {"User:" + canonical}, "leprop": {"user|timestamp|title|type"}, "lelimit": {"10"},
	})
	if err := ans.err(); err != nil {
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

func (s *Session) get(ctx context.Context, q url.Values) Answer {
	addCommon(q)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.api+"?"+q.Encode(), nil)
	if err != nil {
		return Answer{Err: err}
	}
	return s.do(req, s.secretsOf(q))
}

func (s *Session) post(ctx context.Context, form url.Values) Answer {
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
	if s.timeout > 0 {
		ctx, cancel := context.WithTimeout(req.Context(), s.timeout)
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
	ans.Location = redactText(resp.Header.Get("Location"), secrets)
	ans.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), ans.Received)
	if err != nil {
		ans.Err = fmt.Errorf("read answer: %w", s.transportError(err))
		return ans
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		ans.BodyStart = snippet([]byte(redactText(string(body), secrets)))
		return ans
	}
	r.clean(secrets)
	ans.Body = &r
	return ans
}

// err turns an answer to a read request into an error, or nil when it holds a JSON body without an error.
func (a Answer) err() error {
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
	if s.timeout > 0 && (errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) {
		return &NoAnswerError{Within: s.timeout}
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

func parseRetryAfter(h string, now time.Time) time.Duration {
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

// userAnswer is one entry of list=users&usprop=cancreate.
type userAnswer struct {
	UserID         int             `json:"userid"`
	Name           string          `json:"name"`
	Missing        bool            `json:"missing"`
	Invalid        bool            `json:"invalid"`
	CanCreate      *bool           `json:"cancreate"`
	CanCreateError []refusalDetail `json:"cancreateerror"`
	// Groups are all the account's groups, implicit ones too
	// (autoconfirmed); GroupMemberships the explicit ones, with expiry.
	Groups           []string     `json:"groups"`
	GroupMemberships []membership `json:"groupmemberships"`
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

// isWikimediaHost reports whether host is a Wikimedia wiki's server name.
func isWikimediaHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return slices.ContainsFunc(wikimediaDomains, func(d string) bool {
		return host == d || strings.HasSuffix(host, "."+d)
	})
}
