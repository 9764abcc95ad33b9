// Package console is the organizer's console: the run of package job
// driven from a page that the program serves to the organizer's own
// browser, on this machine's loopback address. It renders the pages on
// the server (html/template), with a little plain JavaScript and
// Wikimedia's Codex styles embedded in the binary.
//
// A page on 127.0.0.1 can be reached by any web page the organizer has
// open, so every request passes the guards of ServeHTTP: the console's
// own Host (no DNS rebinding), the cookie a secret token in the opening
// address was exchanged for, and, to change anything, the console's own
// Origin and the form's per-console token. No CORS header is ever sent,
// and the page may not be framed.
package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/report"
)

//go:embed assets
var assets embed.FS

// Form is what the organizer asked for in the console, before the
// command line's rules check it.
type Form struct {
	API, User, Password, OAuthToken, Contact string
	// Sheet is the sheet's path, in the console's folder.
	Sheet   string
	Columns map[string]string

	Reason       string
	MailPassword bool
	AddGroups    string
	GroupExpiry  string
	Workers      int
	Rate         string

	DryRun, Resume bool
}

// Setup is a run's options as the command line would set them for the
// same request, with the paths of its files.
type Setup struct {
	Job            job.Options
	Sheet, LogFile string
}

// Config is how the console does what the command line does: its rules,
// its words for errors and warnings, its log.
type Config struct {
	// Dir is the console's folder: sheets are saved, and runs write
	// their files, there alone.
	Dir string
	// Setup checks a form by the command line's rules and sets a run's
	// options and files as the same command would.
	Setup func(Form) (Setup, error)
	// OpenLog opens a run's JSON-lines log.
	OpenLog func(path string) (log *zap.Logger, close func(), err error)
	// HTTP is the client a run of that many workers uses.
	HTTP    func(workers int) *http.Client
	Advise  func(*report.Row, provision.Facts)
	Explain func(error) string
	Warning func(job.Warning) string
	Clock   pacer.Clock
	Version string
	// MaxUpload bounds a sheet's size, in bytes (default 64 MiB).
	MaxUpload int64
	// Defaults are the form's first values: workers, rate.
	Defaults Form
}

// Server is one console: one organizer, one run at a time.
type Server struct {
	cfg    Config
	token  string // in the opening address
	cookie string // what the token is exchanged for
	// cookieName is the session cookie's, with the console's port:
	// browsers send 127.0.0.1's cookies to every port, and two consoles
	// must not replace each other's.
	cookieName string
	// anyHost: the console listens on every address (0.0.0.0, [::]),
	// as asked: a request may name any of them.
	anyHost bool
	port    string
	csrf    string // in every form
	hosts   []string
	mux     *http.ServeMux
	ctx     context.Context
	quit    context.CancelFunc

	mu sync.Mutex
	st state
	// running is the chain that goes on in the background, if any.
	wg sync.WaitGroup
}

// New makes the console of cfg for the listener's address addr
// (host:port): the pages accept that Host, and localhost, 127.0.0.1 and
// [::1] at the same port. ctx ends the console: a run in progress stops
// as at Ctrl-C.
func New(ctx context.Context, cfg Config, addr string) (*Server, error) {
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 64 << 20
	}
	if cfg.Clock == nil {
		cfg.Clock = pacer.SystemClock{}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, token: secret(), cookie: secret(), csrf: secret(), mux: http.NewServeMux(),
		cookieName: "mwprovision-console-" + port, port: port}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		s.anyHost = true
	}
	s.ctx, s.quit = context.WithCancel(ctx)
	s.hosts = []string{addr, net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("localhost", port), net.JoinHostPort("::1", port)}
	s.st.form = cfg.Defaults
	s.routes()
	return s, nil
}

func secret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Token is the secret of the opening address: http://ADDR/?token=TOKEN.
func (s *Server) Token() string { return s.token }

// Done is closed when the organizer quits, or the console's context ends.
func (s *Server) Done() <-chan struct{} { return s.ctx.Done() }

// Wait waits for the run in progress, if any, to end and write its
// record: after Done, it has stopped as at Ctrl-C.
func (s *Server) Wait() { s.wg.Wait() }

// ServeHTTP guards every request, then serves it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer a browser sends
	// "Origin: null" on the console's own form posts.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if !s.hostOK(r.Host) {
		refuse(w, http.StatusMisdirectedRequest, "This is the mwprovision console of another address: open the address mwprovision printed.")
		return
	}
	if t := r.URL.Query().Get("token"); t != "" && r.URL.Path == "/" && r.Method == http.MethodGet {
		if subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) != 1 {
			refuse(w, http.StatusForbidden, "This address's token is not this console's: open the address mwprovision printed when it started.")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: s.cookieName, Value: s.cookie, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	c, err := r.Cookie(s.cookieName)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(s.cookie)) != 1 {
		refuse(w, http.StatusForbidden, "Open the console through the address mwprovision printed when it started (it holds the console's token).")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if !s.sameOrigin(r) {
			refuse(w, http.StatusForbidden, "Refused: the request does not come from the console's own page.")
			return
		}
		field, err := s.formCSRF(r)
		if mb := (*http.MaxBytesError)(nil); errors.As(err, &mb) {
			refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("Refused: the file is larger than the console takes (%d MB). Split the sheet, or run it from the command line.", s.cfg.MaxUpload>>20))
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Console-CSRF")), []byte(s.csrf)) != 1 &&
			subtle.ConstantTimeCompare([]byte(field), []byte(s.csrf)) != 1 {
			refuse(w, http.StatusForbidden, "Refused: the form is not one of this console's pages; reload the page and try again.")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// hostOK reports whether a request names the console's own address (a
// page whose name was rebound to 127.0.0.1 names its own).
func (s *Server) hostOK(host string) bool {
	host = strings.ToLower(host)
	if s.anyHost {
		_, port, err := net.SplitHostPort(host)
		return err == nil && port == s.port
	}
	return slices.Contains(s.hosts, host)
}

// sameOrigin reports whether a request that changes something comes from
// the console's own page: its Origin is the console's (browsers send it
// with every POST), and the browser does not call it cross-site.
func (s *Server) sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	o := r.Header.Get("Origin")
	return o != "" && o == "http://"+r.Host
}

// formCSRF is the csrf field of a form, read within the upload's bound
// and kept in memory: an upload is written nowhere but where the console
// saves the sheet.
func (s *Server) formCSRF(r *http.Request) (string, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, s.cfg.MaxUpload+1<<20)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(s.cfg.MaxUpload + 1<<20)
	} else {
		err = r.ParseForm()
	}
	return r.PostFormValue("csrf"), err
}

func refuse(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}

// static serves the embedded styles and script.
func static() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err)
	}
	return http.StripPrefix("/assets/", http.FileServer(http.FS(sub)))
}

var (
	errBusy   = errors.New("the console is busy with the wiki (a run, a check, or preparing one): wait for it to end, or stop it")
	errEnding = errors.New("the console is ending")
)
