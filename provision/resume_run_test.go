package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// A dry run's results predict, they decide nothing: a run resumed from
// them (--resume --out pointing at a dry run's results) sends every row
// the dry run said it would create, and carries none of them.
func TestResumeFromADryRunSendsItsWouldCreateRows(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.csv")
	const dry = "line,username,canonical,status,code,message,attempts,finished_at,wiki,creator,first_run_at,groups\n" +
		"2,Alice,Alice,would-create,,passes every offline check,0,2024-05-01T10:00:00Z,,,2024-05-01T10:00:00Z,\n" +
		"3,Bob,Bob,would-create,,passes every offline check,0,2024-05-01T10:00:00Z,,,2024-05-01T10:00:00Z,\n"
	if err := os.WriteFile(path, []byte(dry), 0o600); err != nil {
		t.Fatal(err)
	}
	prev, err := report.ReadPrevious(path)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := ReadPlan(context.Background(), sheet.Stream(strings.NewReader(sheetOf("Alice", "Bob"))),
		PlanOptions{MailPassword: true, Previous: prev})
	if err != nil {
		t.Fatal(err)
	}
	if want := (PlanCounts{Rows: 2, ToCreate: 2}); plan.Counts != want {
		t.Errorf("counts %+v, want %+v: a dry run's would-create rows are sent again", plan.Counts, want)
	}
	f, api, _ := watchedWiki(t)
	rows, err := runPlan(t, api, plan, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := describe(rows), []string{"2:Alice:Alice:created:", "3:Bob:Bob:created:"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	if got := created(f); !slices.Equal(got, []string{"Alice", "Bob"}) {
		t.Errorf("the wiki created %q, want both rows sent", got)
	}
}

// A row an earlier run created, whose groups are not all added, is not
// given them again when the grant can no longer be made as asked (its
// expiry has passed, or the creator may no longer add the group): the row
// keeps its account and says why, and the wiki is never asked to add the
// group — least of all permanently, for want of the expiry.
func TestResumeNeverRegrantsARowWhoseGrantCannotBeMade(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name string
		opts groups.Options
		code string
	}{
		{"expiry past", groups.Options{Add: []string{"staff"}, Expiry: "2001-01-01", From: now, Now: now}, "invalid-expiry"},
		{"group not addable", groups.Options{Add: []string{"staff"}, Expiry: "2099-01-01", From: now, Now: now, Addable: []string{"other"}}, "group-not-addable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFakeWiki(t, nil)
			f.users = func(names []string) string {
				var us []string
				for _, n := range names {
					us = append(us, fmt.Sprintf(`{"userid":7,"name":%q,"groups":["*","user"],"groupmemberships":[]}`, n))
				}
				return `{"query":{"users":[` + strings.Join(us, ",") + `]}}`
			}
			var mu sync.Mutex
			var granted []string
			f.rights = func(user string, gs []string) string {
				mu.Lock()
				granted = append(granted, user)
				mu.Unlock()
				return fmt.Sprintf(`{"userrights":{"user":%q,"added":["staff"],"removed":[]}}`, user)
			}
			prev := &report.Previous{Rows: map[string]report.Row{
				"Ann": {Line: 2, Username: "Ann", Canonical: "Ann", Status: report.Created, Attempts: 1,
					Groups: report.Groups{{Group: "staff", State: report.GrantFailed}}},
			}, Sent: map[string]time.Time{}}
			plan, err := ReadPlan(t.Context(), sheet.Stream(strings.NewReader("username,email\nAnn,a@example.org\n")),
				PlanOptions{MailPassword: true, Previous: prev, Groups: tc.opts})
			if err != nil {
				t.Fatal(err)
			}
			e := New(Config{API: srv.URL, User: "Owner@bulk", Password: "canarybotpassword0123456789abcdefg", Workers: 1,
				Rate: rate.Inf, MaxWait: time.Minute, MaxAttempts: 3, Groups: true, MailPassword: true}, Deps{Log: zap.NewNop()})
			sink := &memSink{}
			if _, err := e.Run(t.Context(), plan, owner, sink); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(granted) != 0 {
				t.Errorf("the wiki was asked to add %q to staff; want no request", granted)
			}
			if len(sink.rows) != 1 {
				t.Fatalf("rows %+v, want one", sink.rows)
			}
			r := sink.rows[0]
			if r.Status != report.Created || r.Code != tc.code || r.Groups.String() != "staff: not added" {
				t.Errorf("the row: %s %s, groups %q; want created, %s, staff not added", r.Status, r.Code, r.Groups, tc.code)
			}
		})
	}
}
