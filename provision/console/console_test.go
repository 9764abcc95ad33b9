package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/provision/job"
)

func testServer(t testing.TB) (*Server, *httptest.Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	s, err := New(context.Background(), Config{Dir: t.TempDir(), Version: "test",
		Explain: func(err error) string { return err.Error() }, Warning: func(job.Warning) string { return "" },
		Setup: func(Form) (Setup, error) { return Setup{}, nil }}, ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = s
	ts.Start()
	t.Cleanup(ts.Close)
	return s, ts
}

// The token of the opening address is exchanged for a cookie only the
// console's own requests carry, and dropped from the address.
func TestTokenBecomesAStrictCookie(t *testing.T) {
	s, ts := testServer(t)
	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(ts.URL + "/?token=" + s.Token())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("the token's address: %s to %q, want 303 to /", resp.Status, resp.Header.Get("Location"))
	}
	cs := resp.Cookies()
	if len(cs) != 1 || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode || cs[0].Path != "/" || cs[0].Value == s.Token() {
		t.Fatalf("cookies %+v, want one HttpOnly SameSite=Strict cookie for /, not the token", cs)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("Access-Control-Allow-Origin: %q", v)
	}
	// With the cookie, the page; without it, nothing.
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/", nil)
	req.AddCookie(cs[0])
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the page with the cookie: %s", resp.Status)
	}
	resp, err = client.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the page without the cookie: %s, want 403", resp.Status)
	}
	if strings.HasSuffix(ts.URL, ":0") {
		t.Fatal("no port")
	}
}

// Hosts: the console's own address and its loopback names at its port;
// nothing else, whatever else a request carries.
func TestOnlyTheConsolesHosts(t *testing.T) {
	s, ts := testServer(t)
	u, _ := url.Parse(ts.URL)
	port := u.Port()
	for host, want := range map[string]int{
		u.Host: http.StatusSeeOther, "localhost:" + port: http.StatusSeeOther, "[::1]:" + port: http.StatusSeeOther,
		"LOCALHOST:" + port:        http.StatusSeeOther,
		"attacker.example:" + port: http.StatusMisdirectedRequest, "127.0.0.1": http.StatusMisdirectedRequest,
		"127.0.0.1:1" + port: http.StatusMisdirectedRequest, "": http.StatusMisdirectedRequest,
	} {
		req := httptest.NewRequest(http.MethodGet, "/?token="+s.Token(), nil)
		req.Host = host
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %q: %d, want %d", host, rec.Code, want)
		}
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"signups.csv":           "signups.csv",
		"../../etc/passwd":      "passwd.csv",
		`..\..\Windows\win.ini`: "win.csv",
		"/tmp/x.csv":            "x.csv",
		"Inscripción 2026.csv":  "Inscripción 2026.csv",
		"a:b*c?.csv":            "a_b_c_.csv",
		"..":                    "sheet.csv",
		"/":                     "sheet.csv",
		"":                      "sheet.csv",
		".csv":                  "sheet.csv",
		"CON .csv":              "_CON.csv",
		"nul.csv":               "_nul.csv",
		"signups.results.csv":   "signups_results.csv",
		"priya.raman.csv":       "priya_raman.csv",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}
