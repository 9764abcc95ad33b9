package provision

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// A run that creates nothing asks about its accounts in batches; a name
// the batch's answer spells otherwise is asked about alone before its row
// is decided: found, it is added; missing, it fails as no account, as the
// dry run says — never "exists".
func TestGrantOnlyAsksAloneAboutANameSpelledOtherwise(t *testing.T) {
	f, srv := newFakeWiki(t, nil)
	var mu sync.Mutex
	var asked [][]string
	f.users = func(names []string) string {
		mu.Lock()
		asked = append(asked, names)
		mu.Unlock()
		var us []string
		for _, n := range names {
			switch {
			case n == "Ghost" && len(names) == 1:
				us = append(us, `{"name":"Ghost","missing":true}`)
			case len(names) > 1 && (n == "Ann" || n == "Ghost"):
				us = append(us, fmt.Sprintf(`{"name":"%s-otherwise","missing":true}`, n))
			default:
				us = append(us, fmt.Sprintf(`{"userid":7,"name":%q,"groups":["*","user"],"groupmemberships":[]}`, n))
			}
		}
		return `{"query":{"users":[` + strings.Join(us, ",") + `]}}`
	}
	var granted []string
	f.rights = func(user string, groups []string) string {
		mu.Lock()
		granted = append(granted, user)
		mu.Unlock()
		return fmt.Sprintf(`{"userrights":{"user":%q,"added":["staff"],"removed":[]}}`, user)
	}
	opts := PlanOptions{GrantOnly: true, Groups: groups.Options{Add: []string{"staff"}, From: time.Now()}}
	plan, err := ReadPlan(t.Context(), sheet.Stream(strings.NewReader("username\nAnn\nBob\nGhost\n")), opts)
	if err != nil {
		t.Fatal(err)
	}
	e := New(Config{API: srv.URL, User: "Owner@bulk", Password: "canarybotpassword0123456789abcdefg", Workers: 1,
		Rate: rate.Inf, MaxWait: time.Minute, MaxAttempts: 3, GrantOnly: true, Groups: true}, Deps{Log: zap.NewNop()})
	sink := &memSink{}
	if _, err := e.Run(t.Context(), plan, owner, sink); err != nil {
		t.Fatal(err)
	}
	got := statuses(sink.rows)
	if want := "2:Ann:exists 3:Bob:exists 4:Ghost:failed"; got != want {
		t.Errorf("statuses %q, want %q", got, want)
	}
	if r := sink.rows[2]; r.Code != "nosuchuser" || r.Groups != nil {
		t.Errorf("Ghost: code %q groups %q, want nosuchuser and no groups", r.Code, r.Groups)
	}
	for _, r := range sink.rows[:2] {
		if r.Code != "" || r.Groups.String() != "staff: added permanently" {
			t.Errorf("%s: code %q groups %q, want no code and staff added", r.Username, r.Code, r.Groups)
		}
	}
	if !slices.Equal(granted, []string{"Ann", "Bob"}) || len(asked) != 3 {
		t.Errorf("granted %q after asking %q", granted, asked)
	}
}

// A dry run that continues a record predicts a row an earlier run created,
// whose groups are not all added yet, as that row — created, its groups
// would be added — never as exists.
func TestDryRunResumeKeepsTheRowsWhoseGroupsAreRedone(t *testing.T) {
	f, srv := newFakeWiki(t, nil)
	f.users = func(names []string) string {
		var us []string
		for _, n := range names {
			us = append(us, fmt.Sprintf(`{"userid":7,"name":%q,"cancreate":false,"cancreateerror":[{"message":"userexists","params":[],"code":"userexists"}],"groups":["*","user"],"groupmemberships":[]}`, n))
		}
		return `{"query":{"users":[` + strings.Join(us, ",") + `]}}`
	}
	prev := &report.Previous{Rows: map[string]report.Row{
		"Ann": {Line: 2, Username: "Ann", Canonical: "Ann", Status: report.Created, Message: "created",
			Groups: report.Groups{{Group: "staff", State: report.GrantFailed}}},
	}, Sent: map[string]time.Time{}}
	opts := PlanOptions{Previous: prev, Groups: groups.Options{Add: []string{"staff"}, From: time.Now()}}
	plan, err := ReadPlan(t.Context(), sheet.Stream(strings.NewReader("username,email\nAnn,a@example.org\n")), opts)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Counts.ToGrant != 1 {
		t.Fatalf("counts %+v, want the row's groups to redo", plan.Counts)
	}
	e := New(Config{API: srv.URL, Workers: 1, Rate: rate.Inf, MaxWait: time.Minute, MaxAttempts: 3, DryRun: true, Groups: true, MailPassword: true},
		Deps{Log: zap.NewNop()})
	sink := &memSink{}
	if _, err := e.Run(t.Context(), plan, nil, sink); err != nil {
		t.Fatal(err)
	}
	if r := sink.rows[0]; r.Status != report.Created || r.Code != "" || len(r.Groups) != 1 || r.Groups[0].State != report.GrantWould {
		t.Errorf("the row: %s %s, groups %q; want created, staff would be added", r.Status, r.Code, r.Groups)
	}
}
