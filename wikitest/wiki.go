// Package wikitest installs and runs a real MediaWiki (Debian's mediawiki
// package with SQLite: bookworm's 1.39, or trixie's 1.43 in a chroot; see
// Release) behind PHP's built-in web server on 127.0.0.1, for integration
// tests and demos.
//
// A wiki lives entirely in one directory DIR:
//
//	DIR/LocalSettings.php   configuration (installer output + wikitest settings)
//	DIR/data/               SQLite databases
//	DIR/htdocs/w            symlink to the MediaWiki sources (script path /w)
//	DIR/sendmail.sh         PHP's sendmail_path: captures every mail
//	DIR/mail/*.eml          captured mails, one file each
//	DIR/admin.password      password of the sysop "Admin" (mode 0600)
//	DIR/<app>.password      bot passwords (mode 0600)
//	DIR/wikitest.json       port and logins, read by Open
//	DIR/server.log          output of php -S
//	DIR/server.pid          pid of a detached server (see StartDetached)
//
// Tests use Start(t, opts); the testwiki command uses Install/Open and
// StartDetached.
package wikitest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MediaWikiDir is where Debian's mediawiki package installs MediaWiki.
var MediaWikiDir = "/usr/share/mediawiki"

// AdminUser is the sysop (and bureaucrat) created by the installer.
const AdminUser = "Admin"

// Sitename is the wiki's $wgSitename; it appears in mail subjects.
const Sitename = "Test wiki"

// Options configure a wiki at install time.
type Options struct {
	// ThrottleCount and ThrottleSeconds set $wgAccountCreationThrottle:
	// at most ThrottleCount accounts per IP per ThrottleSeconds, for
	// creators without the noratelimit right. 0 = no throttle.
	// ThrottleSeconds <= 0 with a count means MediaWiki's default, 86400.
	ThrottleCount, ThrottleSeconds int
	// DisableEmail sets $wgEnableEmail = false.
	DisableEmail bool
	// StockCrypto keeps MediaWiki's expensive password hashing
	// (by default it is made cheap so that tests run fast).
	StockCrypto bool
	// Extra is PHP appended verbatim to LocalSettings.php.
	Extra string
	// MediaWiki is the release: "1.39" or "1.43"; "" is the default,
	// from the environment variable EnvMediaWiki.
	MediaWiki string
}

// Creator is a bot-password login that may create accounts.
type Creator struct {
	Login        string // "USER@APP", for action=login
	Password     string // 32 chars from [0-9a-w]
	PasswordFile string // DIR/<app>.password, mode 0600, Password + "\n"
}

// Wiki is an installed wiki; see Install, Open and Start.
type Wiki struct {
	Dir  string // absolute
	API  string // http://127.0.0.1:PORT/w/api.php
	URL  string // http://127.0.0.1:PORT
	Port int
	// Release is the MediaWiki that serves it.
	Release Release

	AdminPassword     string // password of AdminUser ("Admin")
	AdminPasswordFile string // DIR/admin.password, mode 0600
	// Bulk is Admin@bulk with grants basic,createaccount,highvolume:
	// exempt from the account creation throttle.
	Bulk Creator
	// Limited is Admin@limited with grants basic,createaccount: throttled.
	Limited Creator

	mu  sync.Mutex
	srv *server // the server started by this process, nil if none
}

// state is DIR/wikitest.json.
type state struct {
	Port    int    `json:"port"`
	Bulk    string `json:"bulk_login"`
	Limited string `json:"limited_login"`
	// MediaWiki is the release's name (none: 1.39), Root its chroot.
	MediaWiki string `json:"mediawiki,omitempty"`
	Root      string `json:"root,omitempty"`
}

const (
	stateFile     = "wikitest.json"
	adminPassFile = "admin.password"
	pidFile       = "server.pid"
	logFile       = "server.log"
)

// Install installs a new wiki into dir (created if needed; it must not
// hold a LocalSettings.php yet) for http://127.0.0.1:port: runs
// MediaWiki's installer, appends the wikitest settings, sets up mail
// capture and creates the bot passwords Admin@bulk and Admin@limited.
// It does not start the server. Takes about 2 s.
func Install(dir string, port int, opts Options) (*Wiki, error) {
	rel, err := ReleaseNamed(opts.MediaWiki)
	if err != nil {
		return nil, err
	}
	if err := rel.Check(); err != nil {
		return nil, err
	}
	if port <= 0 || port > 65535 {
		return nil, fmt.Errorf("wikitest: invalid port %d", port)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	if err := rel.holds(dir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "LocalSettings.php")); err == nil {
		return nil, fmt.Errorf("wikitest: %s already holds a wiki (LocalSettings.php exists); use Open or an empty directory", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := newWiki(dir, port, rel)
	w.AdminPassword = "Adm" + randomString(20, alnum)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// No MW_CONFIG_FILE: the installer must not see one.
	cmd := rel.command(ctx, "", []string{filepath.Join(MediaWikiDir, "maintenance", "install.php"),
		"--dbtype", "sqlite",
		"--dbpath", rel.inside(filepath.Join(dir, "data")),
		"--dbname", "wiki",
		"--confpath", rel.inside(dir),
		"--server", w.URL,
		"--scriptpath", "/w",
		"--pass", w.AdminPassword,
		Sitename, AdminUser})
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("wikitest: MediaWiki installer failed: %v\n%s", err, tail(string(out), 30))
	}

	// Docroot: DIR/htdocs/w -> MediaWiki (where php runs).
	if err := os.MkdirAll(filepath.Join(dir, "htdocs"), 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink(MediaWikiDir, filepath.Join(dir, "htdocs", "w")); err != nil {
		return nil, err
	}
	if err := w.setUpMail(); err != nil {
		return nil, err
	}
	if err := w.AppendSettings(settings(opts)); err != nil {
		return nil, err
	}
	if err := writeSecret(w.AdminPasswordFile, w.AdminPassword); err != nil {
		return nil, err
	}
	if w.Bulk, err = w.CreateBotPassword(AdminUser, "bulk", "basic", "createaccount", "highvolume"); err != nil {
		return nil, err
	}
	if w.Limited, err = w.CreateBotPassword(AdminUser, "limited", "basic", "createaccount"); err != nil {
		return nil, err
	}
	if err := w.saveState(); err != nil {
		return nil, err
	}
	return w, nil
}

// setUpMail makes DIR/mail and DIR/sendmail.sh, which stores each mail
// there atomically (tmp + rename), so readers never see half a mail.
func (w *Wiki) setUpMail() error {
	dir := filepath.Join(w.Dir, "mail")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sendmail := "#!/bin/sh\n" +
		"# wikitest: PHP's sendmail_path; stores each mail as one file.\n" +
		"f=" + shellQuote(w.Release.inside(dir)) + "/\"$(date +%s%N).$$\"\n" +
		"cat > \"$f.tmp\" && mv \"$f.tmp\" \"$f.eml\"\n"
	return os.WriteFile(filepath.Join(w.Dir, "sendmail.sh"), []byte(sendmail), 0o755)
}

// Open loads a wiki that Install put into dir. It does not start it.
func Open(dir string) (*Wiki, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, fmt.Errorf("wikitest: %s is not a wiki installed by wikitest (an interrupted install? remove the directory and install again): %w", dir, err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("wikitest: %s: %w", filepath.Join(dir, stateFile), err)
	}
	// The release it was installed for, where it was: not the
	// environment's of today.
	rel := Release{Name: cmp.Or(st.MediaWiki, "1.39"), Root: st.Root}
	if err := rel.holds(dir); err != nil {
		return nil, err
	}
	w := newWiki(dir, st.Port, rel)
	if w.AdminPassword, err = readSecret(w.AdminPasswordFile); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		login string
		dst   *Creator
	}{{st.Bulk, &w.Bulk}, {st.Limited, &w.Limited}} {
		_, app, _ := strings.Cut(c.login, "@")
		file := filepath.Join(dir, app+".password")
		pw, err := readSecret(file)
		if err != nil {
			return nil, err
		}
		*c.dst = Creator{Login: c.login, Password: pw, PasswordFile: file}
	}
	return w, nil
}

func newWiki(dir string, port int, rel Release) *Wiki {
	w := &Wiki{Dir: dir, Release: rel, AdminPasswordFile: filepath.Join(dir, adminPassFile)}
	w.setPort(port)
	return w
}

func (w *Wiki) setPort(port int) {
	w.Port = port
	w.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	w.API = w.URL + "/w/api.php"
}

func (w *Wiki) saveState() error {
	b, err := json.MarshalIndent(state{Port: w.Port, Bulk: w.Bulk.Login, Limited: w.Limited.Login, MediaWiki: w.Release.Name, Root: w.Release.Root}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w.Dir, stateFile), append(b, '\n'), 0o644)
}

// changePort moves an installed, stopped wiki to another port.
func (w *Wiki) changePort(port int) error {
	if err := w.AppendSettings(fmt.Sprintf("$wgServer = 'http://127.0.0.1:%d';", port)); err != nil {
		return err
	}
	w.setPort(port)
	return w.saveState()
}

func settings(o Options) string {
	var b strings.Builder
	b.WriteString("# wikitest settings\n")
	b.WriteString("// The installer's CACHE_NONE silently disables the account creation throttle.\n")
	b.WriteString("$wgMainCacheType = CACHE_DB;\n")
	fmt.Fprintf(&b, "$wgEnableEmail = %t;\n", !o.DisableEmail)
	secs := o.ThrottleSeconds
	if secs <= 0 {
		secs = 86400
	}
	count := o.ThrottleCount
	if count < 0 {
		count = 0
	}
	fmt.Fprintf(&b, "$wgAccountCreationThrottle = [ [ 'count' => %d, 'seconds' => %d ] ]; // count 0 = off\n", count, secs)
	if !o.StockCrypto {
		b.WriteString("// Cheap crypto: tests log in a lot.\n")
		b.WriteString("$wgSessionPbkdf2Iterations = 1;\n")
		b.WriteString("$wgPasswordConfig['pbkdf2']['cost'] = '1000';\n")
	}
	b.WriteString("$wgShowExceptionDetails = true;\n")
	if o.Extra != "" {
		b.WriteString("# Options.Extra\n")
		b.WriteString(o.Extra)
		b.WriteString("\n")
	}
	return b.String()
}

// AppendSettings appends PHP to LocalSettings.php. The running server
// re-reads it on every request, so this takes effect immediately (e.g.
// `$wgReadOnly = 'maintenance';`). Later assignments override earlier ones.
func (w *Wiki) AppendSettings(php string) error {
	path := filepath.Join(w.Dir, "LocalSettings.php")
	before, err := os.Stat(path)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n" + strings.TrimRight(php, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// OPcache compares whole seconds of the file's time: a change in the
	// second of the last one would go unseen. Move it on a second.
	mtime := time.Now()
	if next := before.ModTime().Truncate(time.Second).Add(time.Second); mtime.Before(next) {
		mtime = next
	}
	return os.Chtimes(path, mtime, mtime)
}

// maintenance runs a maintenance script; with split, stdout and stderr
// are returned separately, else combined in the first result. A non-empty
// secret is masked in the error.
func (w *Wiki) maintenance(split bool, secret, script string, args ...string) (string, string, error) {
	if !strings.HasSuffix(script, ".php") {
		script += ".php"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	argv := append([]string{"-d", "sendmail_path=" + w.sendmailPath(),
		filepath.Join(MediaWikiDir, "maintenance", script)}, args...)
	cmd := w.Release.command(ctx, w.settingsFile(), argv)
	cmd.Dir = w.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	if split {
		cmd.Stderr = &stderr
	} else {
		cmd.Stderr = &stdout
	}
	err := cmd.Run()
	if err != nil {
		msg := fmt.Sprintf("wikitest: maintenance/%s %s: %v\n%s%s", script,
			strings.Join(args, " "), err, tail(stdout.String(), 20), tail(stderr.String(), 20))
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "***")
		}
		err = errors.New(msg)
	}
	return stdout.String(), stderr.String(), err
}

// CreateUser creates a user with maintenance/createAndPromote.php.
// Groups "sysop", "bureaucrat", "interface-admin" and "bot" map to the
// script's flags, others to --custom-groups (they must exist).
// An unknown group is an error before anything is created. The newusers
// log records such an account as action "autocreate".
func (w *Wiki) CreateUser(name, password string, groups ...string) error {
	var args, custom []string
	for _, g := range groups {
		switch g {
		case "sysop", "bureaucrat", "interface-admin", "bot":
			args = append(args, "--"+g)
		default:
			custom = append(custom, g)
		}
	}
	if len(custom) > 0 {
		// createAndPromote would create the user and only warn about an
		// unknown group: check first.
		known, err := w.groups()
		if err != nil {
			return err
		}
		for _, g := range custom {
			if !slices.Contains(known, g) {
				return fmt.Errorf("wikitest: CreateUser %s: no group %q (groups: %s)", name, g, strings.Join(known, ", "))
			}
		}
		args = append(args, "--custom-groups", strings.Join(custom, ","))
	}
	args = append(args, name, password)
	out, _, err := w.maintenance(false, password, "createAndPromote", args...)
	if err != nil {
		return err
	}
	if strings.Contains(out, "is not a valid group") {
		return fmt.Errorf("wikitest: createAndPromote %s (the user was created): %s", name, strings.TrimSpace(out))
	}
	return nil
}

// groups lists the wiki's user groups.
func (w *Wiki) groups() ([]string, error) {
	const code = `echo json_encode(MediaWiki\MediaWikiServices::getInstance()->getUserGroupManager()->listAllGroups()), "\n";`
	stdout, err := w.eval(code)
	if err != nil {
		return nil, err
	}
	var groups []string
	i := strings.IndexByte(stdout, '[')
	if i < 0 || json.NewDecoder(strings.NewReader(stdout[i:])).Decode(&groups) != nil {
		return nil, fmt.Errorf("wikitest: cannot list user groups: %q", tail(stdout, 5))
	}
	return groups, nil
}

// Eval runs PHP code in the wiki with maintenance/eval.php (one process,
// MediaWiki set up as for a web request) and returns what it printed.
// eval.php runs each line by itself: a statement must not span lines. A
// file the code reads or writes must be under w.Dir, named as PathForPHP
// gives it.
func (w *Wiki) Eval(code string) (string, error) { return w.eval(code) }

// eval runs PHP code with maintenance/eval.php and returns its stdout.
func (w *Wiki) eval(code string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := w.Release.command(ctx, w.settingsFile(), []string{filepath.Join(MediaWikiDir, "maintenance", "eval.php")})
	cmd.Dir = w.Dir
	cmd.Stdin = strings.NewReader(code + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("wikitest: maintenance/eval.php: %v\n%s", err, tail(stderr.String(), 20))
	}
	return stdout.String(), nil
}

// CreateBotPassword creates the bot password USER@APP with the given
// grants (default "basic") and a random password, and writes it to
// DIR/<app>.password.
func (w *Wiki) CreateBotPassword(user, app string, grants ...string) (Creator, error) {
	if len(grants) == 0 {
		grants = []string{"basic"}
	}
	if app == "" || strings.ContainsAny(app, "/@ \t\n") {
		return Creator{}, fmt.Errorf("wikitest: bad bot password app id %q", app)
	}
	// MediaWiki treats a login password as a bot password only if it
	// matches ^[0-9a-w]{32,}$ (no x, y, z!).
	pw := randomString(32, "0123456789abcdefghijklmnopqrstuvw")
	out, _, err := w.maintenance(false, pw, "createBotPassword", "--appid", app, "--grants", strings.Join(grants, ","), user, pw)
	if err != nil {
		return Creator{}, err
	}
	if !strings.Contains(out, "Success") {
		return Creator{}, fmt.Errorf("wikitest: createBotPassword %s@%s: %s", user, app, strings.TrimSpace(out))
	}
	file := filepath.Join(w.Dir, app+".password")
	if err := writeSecret(file, pw); err != nil {
		return Creator{}, err
	}
	return Creator{Login: user + "@" + app, Password: pw, PasswordFile: file}, nil
}

// DBUser is what the database holds about a user that the API won't show.
type DBUser struct{ Name, Email, RealName string }

// ErrNoSuchUser is returned by DBUser for a name not in the user table.
var ErrNoSuchUser = errors.New("no such user")

// DBUser reads user_email and user_real_name of the user with the
// canonical name (e.g. "Test user1") straight from the user table, with
// maintenance/sql.php --json.
func (w *Wiki) DBUser(name string) (DBUser, error) {
	// hex() keeps the name out of the SQL text: no quoting issues.
	q := "SELECT user_name, user_email, user_real_name FROM user WHERE hex(user_name) = '" +
		strings.ToUpper(hex.EncodeToString([]byte(name))) + "'"
	stdout, _, err := w.maintenance(true, "", "sql", "--json", "--query", q)
	if err != nil {
		return DBUser{}, err
	}
	i := strings.IndexByte(stdout, '[')
	if i < 0 {
		return DBUser{}, fmt.Errorf("wikitest: sql.php printed no JSON: %q", tail(stdout, 10))
	}
	var rows []struct {
		Name     string `json:"user_name"`
		Email    string `json:"user_email"`
		RealName string `json:"user_real_name"`
	}
	if err := json.NewDecoder(strings.NewReader(stdout[i:])).Decode(&rows); err != nil {
		return DBUser{}, fmt.Errorf("wikitest: sql.php output: %v: %q", err, tail(stdout, 10))
	}
	if len(rows) == 0 {
		return DBUser{}, fmt.Errorf("wikitest: DBUser %q: %w", name, ErrNoSuchUser)
	}
	return DBUser{Name: rows[0].Name, Email: rows[0].Email, RealName: rows[0].RealName}, nil
}

func (w *Wiki) settingsFile() string { return filepath.Join(w.Dir, "LocalSettings.php") }

// sendmailPath is the php.ini sendmail_path value. PHP hands it to
// /bin/sh, so the path is shell-quoted; checkDir keeps it free of
// characters that would need more.
func (w *Wiki) sendmailPath() string {
	return shellQuote(w.Release.inside(filepath.Join(w.Dir, "sendmail.sh")))
}

// checkDir rejects paths that cannot be embedded safely in shell
// commands, php.ini values and LocalSettings.php.
func checkDir(dir string) error {
	for _, r := range dir {
		if r < ' ' || r == 0x7f || strings.ContainsRune("\"'\\$`", r) {
			return fmt.Errorf("wikitest: directory %q contains %q; use a path without quotes, backslashes, $, ` or control characters", dir, r)
		}
	}
	return nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomString(n int, alphabet string) string {
	limit := 256 - 256%len(alphabet) // reject bytes >= limit: no modulo bias
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic(err)
		}
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return string(out)
}

func writeSecret(file, secret string) error {
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		return err
	}
	return os.Chmod(file, 0o600) // in case it existed with other bits
}

func readSecret(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("wikitest: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	if s == "" {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// Block blocks user from everything, account creation included, with no
// expiry, as an administrator would while a run goes on: with
// maintenance/blockUsers.php in a process of its own. As by default on
// Special:Block, it also autoblocks the IP addresses the user edited from
// (127.0.0.1, once it has created an account): other users of the wiki are
// then blocked too, but for the sysop Admin (ipblock-exempt).
func (w *Wiki) Block(user, reason string) error {
	list := filepath.Join(w.Dir, "block-"+randomString(8, "abcdefghijklmnopqrstuvwxyz")+".txt")
	if err := os.WriteFile(list, []byte(user+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(list)
	out, _, err := w.maintenance(false, "", "blockUsers", "--performer", AdminUser, "--reason", reason, w.Release.inside(list))
	if err != nil {
		return err
	}
	if !strings.Contains(out, "succeeded") {
		return fmt.Errorf("wikitest: blockUsers %s: %s", user, strings.TrimSpace(out))
	}
	return nil
}
