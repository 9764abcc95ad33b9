package wikitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// RequestTimeout bounds every HTTP request the helpers make.
var RequestTimeout = 30 * time.Second

// APIError is an {"error":{...}} answer of the API.
type APIError struct{ Code, Info string }

func (e *APIError) Error() string { return "MediaWiki API error " + e.Code + ": " + e.Info }

// Session talks to the wiki's api.php, with its own cookie jar when it
// is logged in. All requests go to the wiki on 127.0.0.1 only.
type Session struct {
	api    string
	client *http.Client
}

// Anonymous returns a session without cookies.
func (w *Wiki) Anonymous() *Session { return w.newSession(nil, RequestTimeout) }

func (w *Wiki) newSession(jar http.CookieJar, timeout time.Duration) *Session {
	return &Session{api: w.API, client: &http.Client{
		Jar:     jar,
		Timeout: timeout,
		// No proxies, no keep-alive pooling across wikis: every request
		// goes straight to 127.0.0.1.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// NewSession returns a fresh session with an empty cookie jar.
func (w *Wiki) NewSession() *Session {
	jar, _ := cookiejar.New(nil)
	return w.newSession(jar, RequestTimeout)
}

// Login logs in with action=login (bot passwords such as w.Bulk, or
// main passwords) and returns the logged-in session.
func (w *Wiki) Login(name, password string) (*Session, error) {
	s := w.NewSession()
	tok, err := s.Token("login")
	if err != nil {
		return nil, err
	}
	var r struct {
		Login struct {
			Result, Reason, Lgusername string
		} `json:"login"`
	}
	if err := s.Post(params("action", "login", "lgname", name, "lgpassword", password, "lgtoken", tok), &r); err != nil {
		return nil, err
	}
	if r.Login.Result != "Success" {
		return nil, fmt.Errorf("wikitest: login as %s: %s %s", name, r.Login.Result, r.Login.Reason)
	}
	return s, nil
}

// ClientLogin logs in with action=clientlogin (a user's own password) and
// returns the status: "PASS"; "UI" when MediaWiki asks for more, e.g. a
// new password after logging in with a temporary (mailed) one; "FAIL"
// for a wrong password; etc. err is for transport and API errors only.
func (w *Wiki) ClientLogin(user, password string) (status string, err error) {
	s := w.NewSession()
	tok, err := s.Token("login")
	if err != nil {
		return "", err
	}
	var r struct {
		ClientLogin struct {
			Status, Message, MessageCode string
		} `json:"clientlogin"`
	}
	err = s.Post(params("action", "clientlogin", "username", user, "password", password,
		"logintoken", tok, "loginreturnurl", "http://127.0.0.1/"), &r)
	if err != nil {
		return "", err
	}
	if r.ClientLogin.Status == "" {
		return "", fmt.Errorf("wikitest: clientlogin as %s: answer without status", user)
	}
	return r.ClientLogin.Status, nil
}

// Token fetches a token of the given type ("login", "createaccount",
// "csrf", ...) for this session.
func (s *Session) Token(kind string) (string, error) {
	var r struct {
		Query struct {
			Tokens map[string]string `json:"tokens"`
		} `json:"query"`
	}
	if err := s.Get(params("action", "query", "meta", "tokens", "type", kind), &r); err != nil {
		return "", err
	}
	tok := r.Query.Tokens[kind+"token"]
	if tok == "" {
		return "", fmt.Errorf("wikitest: no %s token in answer", kind)
	}
	return tok, nil
}

// Get sends a GET to api.php and decodes the JSON answer into out (may be
// nil). format=json and formatversion=2 are added unless given. An
// {"error":...} answer is returned as *APIError.
func (s *Session) Get(p url.Values, out any) error {
	p = withFormat(p)
	req, err := http.NewRequest(http.MethodGet, s.api+"?"+p.Encode(), nil)
	if err != nil {
		return err
	}
	return s.do(req, p.Get("action"), out)
}

// Post is Get as a form POST.
func (s *Session) Post(p url.Values, out any) error {
	p = withFormat(p)
	req, err := http.NewRequest(http.MethodPost, s.api, strings.NewReader(p.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req, p.Get("action"), out)
}

func (s *Session) do(req *http.Request, action string, out any) error {
	if host := req.URL.Hostname(); host != "127.0.0.1" {
		return fmt.Errorf("wikitest: refusing request to %s", host)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("wikitest: action=%s: %w", action, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("wikitest: action=%s: reading answer: %w", action, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wikitest: action=%s: HTTP %s: %s", action, resp.Status, snippet(body))
	}
	var e struct {
		Error *struct{ Code, Info string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return fmt.Errorf("wikitest: action=%s: answer is not JSON (%v): %s", action, err, snippet(body))
	}
	if e.Error != nil {
		return &APIError{Code: e.Error.Code, Info: e.Error.Info}
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("wikitest: action=%s: decoding answer: %w: %s", action, err, snippet(body))
		}
	}
	return nil
}

func withFormat(p url.Values) url.Values {
	q := url.Values{}
	for k, v := range p {
		q[k] = v
	}
	if q.Get("format") == "" {
		q.Set("format", "json")
	}
	if q.Get("formatversion") == "" {
		q.Set("formatversion", "2")
	}
	return q
}

// params builds url.Values from key, value pairs.
func params(kv ...string) url.Values {
	p := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		p.Set(kv[i], kv[i+1])
	}
	return p
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}

// multi joins values for a multi-value API parameter, switching to the
// U+001F separator when a value contains "|".
func multi(vals []string) string {
	for _, v := range vals {
		if strings.Contains(v, "|") {
			return "\x1f" + strings.Join(vals, "\x1f")
		}
	}
	return strings.Join(vals, "|")
}

// query runs a list query and follows "continue" until done; each page's
// answer goes to page.
func (s *Session) query(p url.Values, page func(body json.RawMessage) error) error {
	cont := map[string]string{}
	for {
		q := url.Values{}
		for k, v := range p {
			q[k] = v
		}
		for k, v := range cont {
			q.Set(k, v)
		}
		var r struct {
			Continue map[string]json.RawMessage `json:"continue"`
			Query    json.RawMessage            `json:"query"`
		}
		if err := s.Get(q, &r); err != nil {
			return err
		}
		if len(r.Query) > 0 {
			if err := page(r.Query); err != nil {
				return err
			}
		}
		if len(r.Continue) == 0 {
			return nil
		}
		cont = map[string]string{}
		for k, raw := range r.Continue {
			var v string
			if json.Unmarshal(raw, &v) != nil {
				v = string(raw) // a number or boolean: its JSON text
			}
			cont[k] = v
		}
	}
}

// User is an entry of list=users.
type User struct {
	ID           int    `json:"userid"`
	Name         string `json:"name"`
	Missing      bool   `json:"missing"`
	Invalid      bool   `json:"invalid"`
	Registration string `json:"registration"` // e.g. "2026-11-21T22:22:10Z"
	EditCount    int    `json:"editcount"`
}

// Users looks users up anonymously with list=users, 50 names a request.
// Names come back normalized (first letter upper case, "_" -> " ");
// unknown ones have Missing, impossible ones Invalid.
func (w *Wiki) Users(names ...string) ([]User, error) {
	var all []User
	s := w.Anonymous()
	for len(names) > 0 {
		n := min(50, len(names))
		batch := names[:n]
		names = names[n:]
		var r struct {
			Query struct {
				Users []User `json:"users"`
			} `json:"query"`
		}
		err := s.Get(params("action", "query", "list", "users", "ususers", multi(batch),
			"usprop", "registration|editcount"), &r)
		if err != nil {
			return all, err
		}
		all = append(all, r.Query.Users...)
	}
	return all, nil
}

// LogEvent is an entry of the newusers log.
type LogEvent struct {
	ID        int    `json:"logid"`
	Title     string `json:"title"`  // "User:Test user1"
	User      string `json:"user"`   // who performed it: "Admin", or the new user itself
	Action    string `json:"action"` // "create", "create2", "byemail", "autocreate"
	Comment   string `json:"comment"`
	Timestamp string `json:"timestamp"`
}

// UserName is the created account's name: Title without its namespace.
func (e LogEvent) UserName() string { return afterNamespace(e.Title) }

// afterNamespace is a user page's title without its namespace, which a
// wiki in another language names in its own ("Kullanıcı:Ivan").
func afterNamespace(title string) string {
	_, name, _ := strings.Cut(title, ":")
	return name
}

// NewUsersLog returns the whole newusers log, oldest first.
func (w *Wiki) NewUsersLog() ([]LogEvent, error) {
	return wholeLog[LogEvent](w, "newusers", "ids|title|type|user|timestamp|comment")
}

// wholeLog returns every entry of the log of type letype, oldest first,
// with the properties leprop.
func wholeLog[E any](w *Wiki, letype, leprop string) ([]E, error) {
	return wholeList[E](w, "logevents", params("letype", letype, "lelimit", "max", "ledir", "newer", "leprop", leprop))
}

// wholeList returns every entry of list=list, asked anonymously with the
// further parameters p.
func wholeList[E any](w *Wiki, list string, p url.Values) ([]E, error) {
	p.Set("action", "query")
	p.Set("list", list)
	var all []E
	err := w.Anonymous().query(p, func(q json.RawMessage) error {
		var r map[string]json.RawMessage
		var page []E
		if err := json.Unmarshal(q, &r); err != nil {
			return err
		}
		if err := json.Unmarshal(r[list], &page); err != nil {
			return fmt.Errorf("wikitest: list=%s: %w", list, err)
		}
		all = append(all, page...)
		return nil
	})
	return all, err
}

// AllUsers returns the names of all users (list=allusers), sorted.
func (w *Wiki) AllUsers() ([]string, error) {
	var all []string
	err := w.Anonymous().query(params("action", "query", "list", "allusers", "aulimit", "max"),
		func(q json.RawMessage) error {
			var r struct {
				AllUsers []struct {
					Name string `json:"name"`
				} `json:"allusers"`
			}
			if err := json.Unmarshal(q, &r); err != nil {
				return err
			}
			for _, u := range r.AllUsers {
				all = append(all, u.Name)
			}
			return nil
		})
	return all, err
}
