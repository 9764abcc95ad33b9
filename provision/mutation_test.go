package provision

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// Network faults and a busy wiki (HTTP 503, which may have stored the
// account, so it is ambiguous) are an outage that may end: however many
// come in a row, they never count toward the streak of the wiki's own
// errors, and leave the run to the limit on waiting.
func TestFaultStreakIgnoresOutages(t *testing.T) {
	s := faults()
	answers := []mwapi.Answer{
		{Err: errors.New("connection reset by peer")},
		{HTTPStatus: http.StatusServiceUnavailable},
		{HTTPStatus: http.StatusBadGateway},
	}
	for _, a := range answers {
		o, _ := classify.Envelope(a)
		for i := 0; i < 2*haltAfterFaults; i++ {
			if ce := s.note(o, i+2); ce != nil {
				t.Fatalf("%d answers in a row of %s (ambiguous %v) stopped the run: %v; an outage is not the wiki's own error",
					i+1, o.Code, o.Ambiguous, ce)
			}
		}
	}
}

// A row refused offline does not claim its name: the row below it for
// the same person, with the mistake corrected, is created, not refused as
// a duplicate of the refused one — whether the mistake was a missing
// field or the row's groups.
func TestRefusedRowDoesNotClaimItsName(t *testing.T) {
	for _, tc := range []struct {
		name       string
		bad, fixed sheet.Row
		code       string
	}{
		{"missing email", sheet.Row{Line: 2, Username: "Ann"}, sheet.Row{Line: 3, Username: "Ann", Email: "ann@example.org"}, "missing-email"},
		{"invalid expiry", sheet.Row{Line: 2, Username: "Ann", Email: "ann@example.org", Groups: "staff", Expiry: "soon"},
			sheet.Row{Line: 3, Username: "Ann", Email: "ann@example.org", Groups: "staff", Expiry: "infinite"}, "invalid-expiry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewChecker(true)
			bad, fixed := Account{Row: tc.bad}, Account{Row: tc.fixed}
			c.Check(&bad)
			c.Check(&fixed)
			if bad.Problem == nil || bad.Problem.Code != tc.code {
				t.Errorf("the row with the mistake: problem %+v, want %s", bad.Problem, tc.code)
			}
			if fixed.Problem != nil {
				t.Errorf("the corrected row below it: problem %+v, want none", fixed.Problem)
			}
		})
	}
}

// resumePlan reads data as a plan continuing prev, with the run's groups.
func resumePlan(t *testing.T, data string, prev *report.Previous, opts PlanOptions) *Plan {
	t.Helper()
	opts.MailPassword, opts.Previous = true, prev
	p, err := ReadPlan(t.Context(), sheet.Stream(strings.NewReader(data)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A carried row is sent again for its groups when any group it asks for
// is not done — not only the first.
func TestCarriedRowRegrantedForAnyGroupNotDone(t *testing.T) {
	prev := &report.Previous{Rows: map[string]report.Row{
		"Ann": {Canonical: "Ann", Status: report.Created, Groups: report.Groups{
			{Group: "staff", State: report.GrantAdded}, {Group: "editor", State: report.GrantFailed}}},
	}}
	p := resumePlan(t, "username,email\nAnn,ann@example.org\n", prev,
		PlanOptions{Groups: groups.Options{Add: []string{"staff", "editor"}, Expiry: "infinite"}})
	if want := (PlanCounts{Rows: 1, ToGrant: 1}); p.Counts != want {
		t.Errorf("counts %+v, want %+v: editor was not added, so the row is sent again for it", p.Counts, want)
	}
}

// An offline dry run cannot add groups: a carried row whose groups are
// not all done stays carried, not counted as a row to send.
func TestOfflineDryRunCarriesARowWithGroupsLeft(t *testing.T) {
	prev := &report.Previous{Rows: map[string]report.Row{
		"Ann": {Canonical: "Ann", Status: report.Created, Groups: report.Groups{{Group: "staff", State: report.GrantFailed}}},
	}}
	p := resumePlan(t, "username,email\nAnn,ann@example.org\nBob,bob@example.org\n", prev,
		PlanOptions{Offline: true, Groups: groups.Options{Add: []string{"staff"}, Expiry: "infinite"}})
	if want := (PlanCounts{Rows: 2, ToCreate: 1, Carried: 1}); p.Counts != want {
		t.Errorf("counts %+v, want %+v", p.Counts, want)
	}
}

// A run that only adds to groups counts its rows as rows to grant, never
// as accounts to create, so the confirmation says what it does.
func TestGrantOnlyPlanCountsGrants(t *testing.T) {
	p, err := ReadPlan(t.Context(), sheet.Stream(strings.NewReader("username\nAnn\nBob\n")),
		PlanOptions{GrantOnly: true, Groups: groups.Options{Add: []string{"staff"}, Expiry: "infinite"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (PlanCounts{Rows: 2, ToGrant: 2}); p.Counts != want {
		t.Errorf("counts %+v, want %+v", p.Counts, want)
	}
}

// A carried row whose group cannot be added now says so for that group,
// and keeps what the earlier run recorded of its other groups.
func TestCarriedRowWithAGrantProblemKeepsItsOtherGroups(t *testing.T) {
	prev := &report.Previous{Rows: map[string]report.Row{
		"Ann": {Line: 7, Canonical: "Ann", Status: report.Created, Groups: report.Groups{
			{Group: "editor", State: report.GrantAdded}, {Group: "staff", State: report.GrantFailed}}},
	}}
	p := &Plan{opts: PlanOptions{Previous: prev}}
	st := &step{Account: Account{Row: sheet.Row{Line: 2, Username: "ann"}, Canonical: "Ann",
		Grants:       []groups.Grant{{Group: "staff"}},
		GrantProblem: &sheet.Problem{Code: "group-not-addable", Message: "may not add staff"}}, verdict: carried}
	r := p.previous(st)
	if got, want := r.Groups.String(), "editor: added permanently; staff: not added"; got != want {
		t.Errorf("groups %q, want %q", got, want)
	}
	if r.Line != 2 || r.Code != "group-not-addable" {
		t.Errorf("line %d, code %q; want line 2, group-not-addable", r.Line, r.Code)
	}
}

// journalSink keeps the rows and the names the journal was told of.
type journalSink struct {
	memSink
	mu   sync.Mutex
	sent []string
}

func (j *journalSink) Sent(name string, _ time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.sent = append(j.sent, name)
	return nil
}

func (j *journalSink) wasSent(name string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Contains(j.sent, name)
}

// The journal hears of a request to create an account before the wiki
// gets it: a run killed between them must still leave the account claimed.
func TestJournalIsWrittenBeforeTheRequest(t *testing.T) {
	sink := &journalSink{}
	var early []string
	var mu sync.Mutex
	_, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		if !sink.wasSent(name) {
			mu.Lock()
			early = append(early, name)
			mu.Unlock()
		}
		return pass(name)
	})
	e := New(Config{API: srv.URL, User: "Owner@bulk", Password: "canarybotpassword0123456789abcdefg", Workers: 1,
		Rate: rate.Inf, MaxWait: time.Minute, MaxAttempts: 3, MailPassword: true}, Deps{Log: zap.NewNop()})
	if _, err := e.Run(context.Background(), planOf(t, sheetOf("Ann", "Bob")), owner, sink); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(early) != 0 {
		t.Errorf("the wiki was asked to create %q before the journal said so", early)
	}
	if len(sink.rows) != 2 {
		t.Errorf("rows %+v, want two", sink.rows)
	}
}

// Resuming, an account the wiki says exists that the journal shows an
// earlier run of the record asked for, and the new-users log shows the
// creator made after that request, is the record's own: its row says
// created, not exists.
func TestResumeClaimsAnAccountTheJournalAskedFor(t *testing.T) {
	f, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) { return fail("userexists") })
	asked := time.Now().Add(-time.Hour)
	f.log = append(f.log, "Ann")
	f.logTime["Ann"] = asked.Add(time.Minute)
	prev := &report.Previous{Rows: map[string]report.Row{
		"Ann": {Canonical: "Ann", Status: report.Pending},
	}, Sent: map[string]time.Time{"Ann": asked}}
	plan := resumePlan(t, sheetOf("Ann"), prev, PlanOptions{})
	e := New(Config{API: srv.URL, User: "Owner@bulk", Password: "canarybotpassword0123456789abcdefg", Workers: 1,
		Rate: rate.Inf, MaxWait: time.Minute, MaxAttempts: 3, MailPassword: true}, Deps{Log: zap.NewNop()})
	sink := &memSink{}
	if _, err := e.Run(t.Context(), plan, owner, sink); err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(sink.rows), "2:Ann:created"; got != want {
		t.Errorf("statuses %q, want %q: the journal shows a run of the record asked for Ann", got, want)
	}
}
