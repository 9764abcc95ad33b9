package wikitest_test

import (
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/wikitest"
)

func TestHarnessStartsRealWiki(t *testing.T) {
	start := time.Now()
	w := wikitest.Start(t, wikitest.Options{ThrottleCount: 3, ThrottleSeconds: 60})
	t.Logf("wiki up at %s after %v (dir %s)", w.API, time.Since(start).Round(time.Millisecond), w.Dir)
	// The wiki is the release asked for (the environment's, see EnvMediaWiki).
	if v, err := w.Version(); err != nil || !strings.HasPrefix(v, "MediaWiki "+w.Release.Name+".") {
		t.Fatalf("the wiki says it is %q (%v); want %s", v, err, w.Release)
	}

	bulk := checkCreatorsLogIn(t, w)
	checkUsers(t, w)

	// One account created directly through the API by Bulk, password by mail.
	const (
		name   = "Harness user1"
		email  = "harness1@example.org"
		reason = "wikitest harness check"
	)
	createAccount(t, bulk, url.Values{
		"username":     {name},
		"email":        {email},
		"realname":     {""},
		"mailpassword": {"1"},
		"reason":       {reason},
	})
	entry := waitNewUsersEntry(t, w, name)
	if entry.Action != "byemail" || entry.Comment != reason || entry.User != "Admin" || entry.Title != "User:"+name {
		t.Errorf("log entry %+v, want action byemail by Admin with comment %q", entry, reason)
	}
	pw := checkAccountMail(t, w, email)
	checkDBUser(t, w, name, email)

	// The mailed password works but must be changed: clientlogin says UI.
	if st, err := w.ClientLogin(name, pw); err != nil || st != "UI" {
		t.Errorf("ClientLogin with the temporary password = %q, %v; want UI", st, err)
	}
	if st, err := w.ClientLogin(name, "wrong password"); err != nil || st != "FAIL" {
		t.Errorf("ClientLogin with a wrong password = %q, %v; want FAIL", st, err)
	}

	checkMaintenanceUsers(t, w)
	all, err := w.AllUsers()
	if err != nil {
		t.Fatalf("AllUsers: %v", err)
	}
	if !slices.Contains(all, name) || !slices.Contains(all, "Admin") || !slices.Contains(all, "Harness sysop") ||
		slices.Contains(all, "Harness nogroup") {
		t.Errorf("AllUsers = %q, want Admin, Harness sysop and %q", all, name)
	}
	t.Logf("done after %v", time.Since(start).Round(time.Millisecond))
}

// checkCreatorsLogIn: both creators log in with their bot passwords through
// action=login, and their password files hold the password, mode 0600. It
// returns Bulk's session.
func checkCreatorsLogIn(t *testing.T, w *wikitest.Wiki) *wikitest.Session {
	t.Helper()
	bulk, err := w.Login(w.Bulk.Login, w.Bulk.Password)
	if err != nil {
		t.Fatalf("login as Bulk: %v", err)
	}
	if _, err := w.Login(w.Limited.Login, w.Limited.Password); err != nil {
		t.Fatalf("login as Limited: %v", err)
	}
	for _, c := range []wikitest.Creator{w.Bulk, w.Limited} {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil || string(b) != c.Password+"\n" {
			t.Errorf("password file %s = %q, %v; want the password and a newline", c.PasswordFile, b, err)
		}
		if fi, err := os.Stat(c.PasswordFile); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("password file %s: mode %v, %v; want 0600", c.PasswordFile, fi.Mode().Perm(), err)
		}
	}
	return bulk
}

// checkUsers: Users finds Admin and says a missing user is missing.
func checkUsers(t *testing.T, w *wikitest.Wiki) {
	t.Helper()
	users, err := w.Users("Admin", "Nobody here")
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	if len(users) != 2 || users[0].Name != "Admin" || users[0].Missing || users[0].ID == 0 || users[0].Registration == "" {
		t.Fatalf("Users(Admin, Nobody here)[0] = %+v, want Admin with an ID", users)
	}
	if !users[1].Missing {
		t.Errorf("Users: %+v should be missing", users[1])
	}
}

// createAccount sends one action=createaccount in session s with the given
// fields, and fails the test unless the wiki answers PASS.
func createAccount(t *testing.T, s *wikitest.Session, fields url.Values) {
	t.Helper()
	tok, err := s.Token("createaccount")
	if err != nil {
		t.Fatalf("createaccount token: %v", err)
	}
	form := url.Values{"action": {"createaccount"}, "createtoken": {tok}, "createreturnurl": {"http://127.0.0.1/"}}
	for k, v := range fields {
		form[k] = v
	}
	var cr struct {
		CreateAccount struct {
			Status, Username, Message, MessageCode string
		} `json:"createaccount"`
	}
	if err := s.Post(form, &cr); err != nil {
		t.Fatalf("createaccount: %v", err)
	}
	if cr.CreateAccount.Status != "PASS" {
		t.Fatalf("createaccount: %+v, want status PASS", cr.CreateAccount)
	}
}

// waitNewUsersEntry polls the newusers log (possibly written after the
// answer) until it holds an entry for name, for 5 s at most.
func waitNewUsersEntry(t *testing.T, w *wikitest.Wiki, name string) wikitest.LogEvent {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		log, err := w.NewUsersLog()
		if err != nil {
			t.Fatalf("NewUsersLog: %v", err)
		}
		for i := range log {
			if log[i].UserName() == name {
				return log[i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("NewUsersLog has no entry for %q: %+v", name, log)
		}
	}
}

// checkAccountMail: exactly one mail, the account creation mail to email,
// with a 10-character temporary password, which it returns.
func checkAccountMail(t *testing.T, w *wikitest.Wiki, email string) string {
	t.Helper()
	mails, err := w.WaitMails(1, 10*time.Second)
	if err != nil {
		t.Fatalf("WaitMails: %v", err)
	}
	if len(mails) != 1 {
		t.Fatalf("%d mails, want exactly 1: %+v", len(mails), mails)
	}
	m := mails[0]
	if m.To != email || m.Subject != "Account creation for "+wikitest.Sitename {
		t.Errorf("mail To=%q Subject=%q, want %q and the account creation subject", m.To, m.Subject, email)
	}
	pw := m.TemporaryPassword()
	if len(pw) != 10 {
		t.Fatalf("temporary password %q, want 10 chars; mail:\n%s", pw, m.Raw)
	}
	return pw
}

// checkDBUser: the user table holds name with its email and no real name,
// and DBUser says ErrNoSuchUser of a user that is not there.
func checkDBUser(t *testing.T, w *wikitest.Wiki, name, email string) {
	t.Helper()
	dbu, err := w.DBUser(name)
	if err != nil {
		t.Fatalf("DBUser: %v", err)
	}
	if dbu.Name != name || dbu.Email != email || dbu.RealName != "" {
		t.Errorf("DBUser = %+v, want email %q and no real name", dbu, email)
	}
	if _, err := w.DBUser("Nobody here"); !errors.Is(err, wikitest.ErrNoSuchUser) {
		t.Errorf("DBUser(Nobody here) error = %v, want ErrNoSuchUser", err)
	}
}

// checkMaintenanceUsers: plain users from the maintenance script log in
// with their password; an unknown group is refused.
func checkMaintenanceUsers(t *testing.T, w *wikitest.Wiki) {
	t.Helper()
	if err := w.CreateUser("Harness sysop", "Harness-pass-8472", "sysop", "suppress"); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if st, err := w.ClientLogin("Harness sysop", "Harness-pass-8472"); err != nil || st != "PASS" {
		t.Errorf("ClientLogin as the created user = %q, %v; want PASS", st, err)
	}
	if err := w.CreateUser("Harness nogroup", "Harness-pass-8472", "no-such-group"); err == nil {
		t.Errorf("CreateUser with an unknown group succeeded")
	}
}
