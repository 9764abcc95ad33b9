package job

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/sheet"
)

// preflightWiki answers a pre-flight: any token, a login, and userinfo
// with siteinfo for a creator in groups on the wiki wikiid. Any other
// request is an error: the pre-flight sends nothing else.
func preflightWiki(t *testing.T, wikiid string, groups ...string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		q := r.Form
		switch {
		case q.Get("meta") == "tokens":
			var toks []string
			for _, k := range strings.Split(q.Get("type"), "|") {
				toks = append(toks, fmt.Sprintf(`"%stoken":"tok+\\"`, k))
			}
			fmt.Fprintf(w, `{"query":{"tokens":{%s}}}`, strings.Join(toks, ","))
		case q.Get("action") == "login":
			fmt.Fprint(w, `{"login":{"result":"Success","lguserid":7,"lgusername":"Coordinator"}}`)
		case strings.Contains(q.Get("meta"), "userinfo"):
			g, _ := json.Marshal(append([]string{"*", "user", "autoconfirmed"}, groups...))
			fmt.Fprintf(w, `{"query":{"userinfo":{"id":7,"name":"Coordinator","groups":%s,"rights":["createaccount","noratelimit"],"changeablegroups":{"add":["confirmed"]}},`+
				`"authmanagerinfo":{"cancreateaccounts":true,"requests":[{"id":"MediaWiki\\Auth\\PasswordAuthenticationRequest"},{"id":"MediaWiki\\Auth\\TemporaryPasswordAuthenticationRequest"}]},`+
				`"general":{"sitename":"Wikipedia","wikiid":%q,"servername":"wiki.example.org","lang":"en","time":%q}}}`, g, wikiid, time.Now().UTC().Format(time.RFC3339))
		default:
			t.Errorf("the pre-flight sent %v", q)
			http.Error(w, "unexpected", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/w/api.php"
}

// The English Wikipedia's norm for event coordinators: confirmed for at
// most 10 days, and the wiki mails each new account a random password. A
// run that would break it is refused by the pre-flight, before anything
// is sent, naming the norm's page; the same run by another group, or on
// another wiki, goes ahead. Rows the run does not send (a name the wiki
// would refuse) do not count.
func TestPreflightRefusesARunAgainstTheEventCoordinatorNorm(t *testing.T) {
	const mailed = "username,email\nana,ana@example.org\nbo,bo@example.org\n"
	const cells = "username,email,expiry\nana,ana@example.org,10 days\nbo,bo@example.org,2 weeks\ncy,cy@example.org,1 week\n"
	const passwords = "username,email,password\nana,ana@example.org,correct horse battery\n"
	confirmed := func(expiry string) Options {
		return Options{MailPassword: true, AddGroups: []string{"confirmed"}, GroupExpiry: expiry}
	}
	ec := []string{"eventcoordinator"}
	for _, tt := range []struct {
		name   string
		wikiid string
		groups []string
		o      Options
		data   string
		want   *provision.NormBreach // nil: the run goes ahead
	}{
		{"confirmed for 2 weeks", "enwiki", ec, confirmed("2 weeks"), mailed,
			&provision.NormBreach{Confirmed: true, Line: 2}},
		{"confirmed for 10 days", "enwiki", ec, confirmed("10 days"), mailed, nil},
		{"confirmed for 240 hours", "enwiki", ec, confirmed("240 hours"), mailed, nil},
		{"confirmed permanently", "enwiki", ec, confirmed("infinite"), mailed,
			&provision.NormBreach{Confirmed: true, Line: 2}},
		{"an expiry cell of 2 weeks", "enwiki", ec, Options{MailPassword: true, AddGroups: []string{"confirmed"}}, cells,
			&provision.NormBreach{Confirmed: true, Line: 3, FromCell: true}},
		{"2 weeks on a row the wiki would refuse", "enwiki", ec, Options{MailPassword: true, AddGroups: []string{"confirmed"}},
			"username,email,expiry\nana,ana@example.org,10 days\nbad#name,b@example.org,2 weeks\n", nil},
		{"passwords from the sheet", "enwiki", ec, Options{}, passwords, &provision.NormBreach{Passwords: true}},
		{"both", "enwiki", ec, Options{AddGroups: []string{"confirmed"}, GroupExpiry: "1 month"}, passwords,
			&provision.NormBreach{Confirmed: true, Line: 2, Passwords: true}},
		{"returning participants for 2 weeks", "enwiki", ec, Options{Grant: true, AddGroups: []string{"confirmed"}, GroupExpiry: "2 weeks"}, mailed,
			&provision.NormBreach{Confirmed: true, Line: 2}},
		{"returning participants for 10 days", "enwiki", ec, Options{Grant: true, AddGroups: []string{"confirmed"}, GroupExpiry: "10 days"}, mailed, nil},
		{"a dry run predicts the refusal", "enwiki", ec, Options{DryRun: true, MailPassword: true, AddGroups: []string{"confirmed"}, GroupExpiry: "2 weeks"}, mailed,
			&provision.NormBreach{Confirmed: true, Line: 2}},
		{"another wiki", "frwiki", ec, confirmed("2 weeks"), mailed, nil},
		{"another wiki, passwords", "frwiki", ec, Options{}, passwords, nil},
		{"another group", "enwiki", []string{"sysop"}, confirmed("2 weeks"), mailed, nil},
		{"another group, passwords", "enwiki", []string{"accountcreator"}, Options{}, passwords, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.API, o.User, o.Password = preflightWiki(t, tt.wikiid, tt.groups...), "Coordinator@event", "0123456789abcdefghijklmnopqrstuv"
			o.RequestTimeout, o.Workers, o.MaxAttempts = 10*time.Second, 1, 1
			plan, err := ReadPlan(t.Context(), o, Site{}, nil, sheet.Bytes([]byte(tt.data)), time.Now().UTC().Truncate(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			eng := NewEngine(o, plan, provision.Deps{})
			c, err := Preflight(t.Context(), o, eng, plan, zap.NewNop())
			var pe *provision.PreflightError
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Preflight: %v, want the run to go ahead", err)
			case tt.want == nil:
				if c == nil || c.WikiID != tt.wikiid {
					t.Errorf("creator %+v, want one on %s", c, tt.wikiid)
				}
				return
			case !errors.As(err, &pe) || pe.Code != provision.PreflightNorm || pe.Norm == nil:
				t.Fatalf("Preflight: %v, want a PreflightError %s", err, provision.PreflightNorm)
			}
			b := pe.Norm
			if b.Confirmed != tt.want.Confirmed || b.Passwords != tt.want.Passwords || b.Line != tt.want.Line || b.FromCell != tt.want.FromCell ||
				b.Creator != "Coordinator" || b.Group != "eventcoordinator" || b.MaxDays != 10 {
				t.Errorf("breach %+v, want %+v", b, tt.want)
			}
			if b.Confirmed && (o.GroupExpiry == "infinite") != b.Until.IsZero() {
				t.Errorf("breach until %s, with the expiry %q", b.Until, o.GroupExpiry)
			}
			for _, want := range []string{"Coordinator", "https://en.wikipedia.org/wiki/Wikipedia:Event_coordinator"} {
				if !strings.Contains(pe.Error(), want) {
					t.Errorf("Error() = %q, want it to name %s", pe.Error(), want)
				}
			}
		})
	}
}
