package provision

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeWiki is an in-process api.php for faults the real MediaWiki cannot be
// made to produce (lost answers, server errors, lost sessions) and for
// measuring the engine alone. It speaks just enough of the protocol.
type fakeWiki struct {
	t *testing.T
	// create answers one createaccount; attempt counts from 1 per username.
	// Returning drop=true closes the connection without an answer.
	create func(username string, attempt int) (status int, body string, drop bool)

	mu       sync.Mutex
	attempts map[string]int
	log      []string // created names, in order, all by "Owner"
	logTime  map[string]time.Time
	sessions map[string]bool
	badtoken map[string]bool // sessions whose next createaccount gets badtoken
	// badtokenAfterLogin makes the first createaccount of every new login answer badtoken.
	badtokenAfterLogin bool
	// beforeLogin, when set, runs before the n-th login is answered.
	beforeLogin func(n int)
	logins      atomic.Int32
	inFlight    atomic.Int32
	maxIn       atomic.Int32
	bodies      []string // every POST body, for secret checks
	// users answers list=users for the names asked, in order; rights
	// answers userrights for a user and the groups asked. Unset: such a
	// request is an error.
	users  func(names []string) string
	rights func(user string, groups []string) string
}

func newFakeWiki(t *testing.T, create func(string, int) (int, string, bool)) (*fakeWiki, *httptest.Server) {
	f := &fakeWiki{t: t, create: create, attempts: map[string]int{}, sessions: map[string]bool{}, badtoken: map[string]bool{},
		logTime: map[string]time.Time{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func pass(name string) (int, string, bool) {
	return 200, fmt.Sprintf(`{"createaccount":{"status":"PASS","username":%q}}`, name), false
}

func fail(code string) (int, string, bool) {
	return 200, fmt.Sprintf(`{"createaccount":{"status":"FAIL","message":{"key":%q,"params":[]},"messagecode":%q}}`, code, code), false
}

func (f *fakeWiki) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("fake wiki: %v", err)
		return
	}
	q := r.Form
	w.Header().Set("Content-Type", "application/json")
	session := ""
	if c, err := r.Cookie("fakesession"); err == nil {
		session = c.Value
	}
	switch {
	case q.Get("meta") == "tokens":
		f.serveToken(w, q.Get("type"), session)
	case q.Get("action") == "login":
		f.serveLogin(w, r, session)
	case q.Get("list") == "logevents":
		f.serveLogEvents(w, strings.TrimPrefix(q.Get("letitle"), "User:"))
	case q.Get("action") == "createaccount":
		f.serveCreateAccount(w, r, session)
	case q.Get("list") == "users" && f.users != nil:
		fmt.Fprint(w, f.users(strings.Split(strings.TrimPrefix(q.Get("ususers"), "\x1f"), "\x1f")))
	case q.Get("action") == "userrights" && f.rights != nil:
		fmt.Fprint(w, f.rights(q.Get("user"), strings.Split(q.Get("add"), "|")))
	default:
		f.t.Errorf("fake wiki: unexpected request %s %v", r.Method, q)
		w.WriteHeader(400)
	}
}

// serveToken answers meta=tokens, starting a session when there is none.
func (f *fakeWiki) serveToken(w http.ResponseWriter, kind, session string) {
	if session == "" {
		session = fmt.Sprintf("s%d", time.Now().UnixNano())
		http.SetCookie(w, &http.Cookie{Name: "fakesession", Value: session})
	}
	var toks []string
	for _, k := range strings.Split(kind, "|") {
		toks = append(toks, fmt.Sprintf(`"%stoken":"tok+\\"`, k))
	}
	fmt.Fprintf(w, `{"query":{"tokens":{%s}}}`, strings.Join(toks, ","))
}

// serveLogin logs the session in, whatever the password.
func (f *fakeWiki) serveLogin(w http.ResponseWriter, r *http.Request, session string) {
	f.mu.Lock()
	f.sessions[session] = true
	if f.badtokenAfterLogin {
		f.badtoken[session] = true
	}
	f.bodies = append(f.bodies, r.PostForm.Encode())
	f.mu.Unlock()
	if n := f.logins.Add(1); f.beforeLogin != nil {
		f.beforeLogin(int(n))
	}
	fmt.Fprint(w, `{"login":{"result":"Success","lguserid":1,"lgusername":"Owner"}}`)
}

// serveLogEvents answers list=logevents for one user page: the creation of
// the account, when the fake wiki has it on record.
func (f *fakeWiki) serveLogEvents(w http.ResponseWriter, title string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.log {
		if n == title {
			fmt.Fprintf(w, `{"query":{"logevents":[{"title":"User:%s","user":"Owner","action":"byemail","timestamp":%q}]}}`,
				n, f.logTime[n].UTC().Format(time.RFC3339))
			return
		}
	}
	fmt.Fprint(w, `{"query":{"logevents":[]}}`)
}

// serveCreateAccount answers createaccount: assertuserfailed for a session
// not logged in, badtoken when one is due, else what f.create says (a PASS,
// or an answer dropped, puts the account on record).
func (f *fakeWiki) serveCreateAccount(w http.ResponseWriter, r *http.Request, session string) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for m := f.maxIn.Load(); n > m && !f.maxIn.CompareAndSwap(m, n); m = f.maxIn.Load() {
	}
	name := r.Form.Get("username")
	f.mu.Lock()
	f.bodies = append(f.bodies, r.PostForm.Encode())
	if !f.sessions[session] {
		f.mu.Unlock()
		fmt.Fprint(w, `{"error":{"code":"assertuserfailed","info":"You are no longer logged in."}}`)
		return
	}
	if f.badtoken[session] {
		delete(f.badtoken, session)
		f.mu.Unlock()
		w.Header().Set("MediaWiki-API-Error", "badtoken")
		fmt.Fprint(w, `{"error":{"code":"badtoken","info":"Invalid CSRF token."}}`)
		return
	}
	f.attempts[name]++
	attempt := f.attempts[name]
	f.mu.Unlock()
	status, body, drop := f.create(name, attempt)
	if strings.Contains(body, `"PASS"`) || drop {
		f.mu.Lock()
		f.log = append(f.log, name)
		if _, ok := f.logTime[name]; !ok {
			f.logTime[name] = time.Now()
		}
		f.mu.Unlock()
	}
	if drop {
		hj, ok := w.(http.Hijacker)
		if !ok {
			f.t.Fatal("fake wiki: cannot hijack")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}
