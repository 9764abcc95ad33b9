package main

import (
	"encoding/pem"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/wikitest"
)

// TLS is always verified: a wiki whose certificate no known CA signed is
// refused, and SSL_CERT_FILE adds a CA (as for an internal wiki).
func TestTLSVerifiedAndExtraCAsFromSSLCertFile(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	bin := buildBinary(t)
	target, _ := url.Parse(w.URL)
	tlsWiki := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(target))
	defer tlsWiki.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsWiki.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	sheet := writeSheet(t, dir, "tls.csv", "username,email\ntls_person,t@example.org\n")
	run := func(env ...string) (int, string) {
		cmd := exec.Command(bin, "run", "--dry-run", "--api", tlsWiki.URL+"/w/api.php", "--user", w.Bulk.Login,
			"--password-file", w.Bulk.PasswordFile, sheet)
		cmd.Env = append(os.Environ(), env...)
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := run(); code != 2 || !strings.Contains(out, "certificate") {
		t.Errorf("an unknown certificate: exit %d, %s; want 2 and a certificate error", code, out)
	}
	if code, out := run("SSL_CERT_FILE=" + ca); code != 0 {
		t.Errorf("with SSL_CERT_FILE: exit %d, %s; want 0", code, out)
	}
}

// An owner-only OAuth 2 consumer's token goes, as Authorization: Bearer, on
// every request, and no action=login is sent. This wiki has no OAuth
// extension, so it treats the requests as anonymous: the pre-flight must stop
// with a clear message before anything is created — never create anonymously.
func TestOAuthTokenIsSentAndAnUnacceptedTokenStops(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	dir := t.TempDir()
	const token = "oauth-canary-access-token-5f1e2d"
	tokenFile := filepath.Join(dir, "token")
	writeSecretFile(t, tokenFile, token+"\n")
	sheet := writeSheet(t, dir, "o.csv", "username,email\noauth_person,o@example.org\n")
	for _, mode := range [][]string{{"run", "--yes"}, {"run", "--dry-run"}} {
		proxy := newRecordingProxy(t, w.URL)
		r := runCLI(t, nil, append(mode, "--api", proxy.API, "--oauth-token-file", tokenFile, sheet)...)
		if r.code != 2 || !strings.Contains(r.stderr, "did not accept the OAuth token") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2: the token was not accepted", mode, r.code, r.stderr)
		}
		n := proxy.actions()
		if n["login"] != 0 || n["createaccount"] != 0 || n["clientlogin"] != 0 {
			t.Errorf("%v: requests %v: want no login and no createaccount", mode, n)
		}
		proxy.mu.Lock()
		if len(proxy.auth) == 0 {
			t.Errorf("%v: no request reached the wiki", mode)
		}
		for i, a := range proxy.auth {
			if a != "Bearer "+token {
				t.Errorf("%v: request %d has Authorization %q", mode, i, a)
			}
		}
		proxy.mu.Unlock()
		if strings.Contains(r.stderr, token) {
			t.Errorf("%v: the token reached stderr", mode)
		}
	}
	if log := newUsersByName(t, w); len(log) != 0 {
		t.Errorf("%d accounts were created", len(log))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "o.*"))
	if len(files) == 0 {
		t.Error("no log file was written")
	}
	for _, f := range files {
		if b, _ := os.ReadFile(f); strings.Contains(string(b), token) {
			t.Errorf("%s holds the token", f)
		}
	}
	// Through the environment too, and never together with a bot password.
	if r := runCLI(t, map[string]string{"MWPROVISION_OAUTH_TOKEN": token}, "run", "--api", w.API, "--user", w.Bulk.Login, sheet); r.code != 2 ||
		!strings.Contains(r.stderr, "not both") {
		t.Errorf("token and --user: exit %d, %s", r.code, r.stderr)
	}
}

// A creator with two-factor authentication who gives the main password:
// the wiki answers that action=login cannot take the second step, and the
// run says to use a bot password, with the steps, or OAuth.
func TestTwoFactorCreatorIsToldToUseABotPassword(t *testing.T) {
	w := wikitest.Start(t, wikitest.Options{})
	if err := w.LoadExtensions("OATHAuth"); err != nil {
		t.Fatal(err)
	}
	if err := w.EnableTwoFactor(wikitest.AdminUser); err != nil {
		t.Fatal(err)
	}
	sheet := writeSheet(t, t.TempDir(), "s.csv", "username,email\nsomebody,s@example.org\n")
	r := runCLI(t, nil, "run", "--dry-run", "--api", w.API, "--user", wikitest.AdminUser, "--password-file", w.AdminPasswordFile, sheet)
	for _, want := range []string{"two-factor authentication", "Special:BotPasswords", "Create accounts", "save-password", "--user YOURNAME@bulk", "--oauth-token-file"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the refusal lacks %q", want)
		}
	}
	if r.code != exitUsage {
		t.Errorf("exit %d, want %d", r.code, exitUsage)
	}
	// The bot password of the same account still works.
	if r := runCLI(t, nil, append([]string{"run", "--dry-run"}, append(creatorArgs(w.Bulk, w), sheet)...)...); r.code != 0 {
		t.Errorf("with the bot password: exit %d", r.code)
	}
}
