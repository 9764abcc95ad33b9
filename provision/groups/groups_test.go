package groups

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/report"
)

func TestSplitGroups(t *testing.T) {
	for in, want := range map[string][]string{
		"":                            nil,
		"sysop":                       {"sysop"},
		"sysop;bureaucrat":            {"sysop", "bureaucrat"},
		" sysop , bureaucrat | staff": {"sysop", "bureaucrat", "staff"},
		"sysop;;sysop,":               {"sysop"},
	} {
		if got := SplitGroups(in); !slices.Equal(got, want) {
			t.Errorf("SplitGroups(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	from := time.Date(2026, 11, 24, 19, 20, 30, 500, time.UTC)
	for _, tt := range []struct {
		in      string
		want    time.Time
		invalid bool
		past    bool
	}{
		{in: "infinite"}, {in: "Indefinite"}, {in: "infinity"}, {in: "never"},
		{in: "2 weeks", want: time.Date(2026, 12, 8, 19, 20, 30, 0, time.UTC)},
		{in: "1 week", want: time.Date(2026, 12, 1, 19, 20, 30, 0, time.UTC)},
		{in: "1 month", want: time.Date(2026, 12, 24, 19, 20, 30, 0, time.UTC)},
		{in: "1 month 3 days", want: time.Date(2026, 12, 27, 19, 20, 30, 0, time.UTC)},
		{in: "36 hours", want: time.Date(2026, 11, 26, 7, 20, 30, 0, time.UTC)},
		{in: "1 year", want: time.Date(2027, 11, 24, 19, 20, 30, 0, time.UTC)},
		{in: "2026-12-08", want: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)},
		{in: "2026-12-08T10:00:00+01:00", want: time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)},
		{in: "2026-12-08T10:00:00.5Z", want: time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)}, // the wiki keeps seconds
		{in: "2026-11-01", past: true},
		{in: "", invalid: true}, {in: "two weeks", invalid: true}, {in: "2 fortnights", invalid: true},
		{in: "-2 weeks", invalid: true}, {in: "2", invalid: true}, {in: "08/12/2026", invalid: true},
	} {
		got, err := ParseExpiry(tt.in, from)
		var ee *ExpiryError
		switch {
		case tt.invalid || tt.past:
			if !errors.As(err, &ee) || ee.Past != tt.past {
				t.Errorf("ParseExpiry(%q) = %v, %v; want an ExpiryError (past: %v)", tt.in, got, err, tt.past)
			}
		case err != nil || !got.Equal(tt.want):
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestGrantsOfARow(t *testing.T) {
	from := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	twoWeeks := from.AddDate(0, 0, 14)
	for _, tt := range []struct {
		name     string
		opts     Options
		groups   string
		expiry   string
		want     []Grant
		wantCode string
	}{
		{name: "no groups", want: nil},
		{name: "the run's", opts: Options{Add: []string{"confirmed"}, Expiry: "2 weeks"},
			want: []Grant{{"confirmed", twoWeeks}}},
		{name: "the run's then the sheet's, once each", opts: Options{Add: []string{"sysop"}}, groups: "bureaucrat;sysop",
			want: []Grant{{"sysop", time.Time{}}, {"bureaucrat", time.Time{}}}},
		{name: "the row's expiry wins", opts: Options{Add: []string{"confirmed"}, Expiry: "2 weeks"}, expiry: "infinite",
			want: []Grant{{"confirmed", time.Time{}}}},
		{name: "confirmed never without an expiry", groups: "confirmed", wantCode: "group-needs-expiry"},
		{name: "an expiry that is not one", opts: Options{Expiry: "soon"}, groups: "staff", wantCode: "invalid-expiry"},
		{name: "a group the creator may not add", opts: Options{Addable: []string{"confirmed"}, Expiry: "1 week"},
			groups: "confirmed;sysop", wantCode: "group-not-addable"},
		{name: "offline, every group may be added", opts: Options{Expiry: "1 week"}, groups: "sysop",
			want: []Grant{{"sysop", from.AddDate(0, 0, 7)}}},
		{name: "a duration from the record's first run that ended before this run",
			opts: Options{Add: []string{"confirmed"}, Expiry: "2 weeks", Now: from.AddDate(0, 0, 20)}, wantCode: "invalid-expiry"},
		{name: "the same duration while it lasts", opts: Options{Add: []string{"confirmed"}, Expiry: "2 weeks", Now: from.AddDate(0, 0, 3)},
			want: []Grant{{"confirmed", twoWeeks}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.From = from
			got, p := tt.opts.Grants(tt.groups, tt.expiry)
			code := ""
			if p != nil {
				code = p.Code
			}
			if code != tt.wantCode || p == nil && !slices.Equal(got, tt.want) {
				t.Errorf("grants = %v, %v; want %v, code %q", got, p, tt.want, tt.wantCode)
			}
		})
	}
}

// A membership is never shortened nor made temporary, and an account that
// is autoconfirmed gets no confirmed; everything else is sent.
func TestPlanGrantsNeverShortens(t *testing.T) {
	t1 := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	t2 := t1.AddDate(0, 1, 0)
	for _, tt := range []struct {
		name   string
		grant  Grant
		groups []string
		held   []Membership
		send   bool
		state  report.GrantState
	}{
		{name: "not a member", grant: Grant{"confirmed", t1}, send: true},
		{name: "held for good", grant: Grant{"confirmed", t1}, held: []Membership{{"confirmed", "infinity"}}, state: report.GrantAlready},
		{name: "held longer", grant: Grant{"confirmed", t1}, held: []Membership{{"confirmed", t2.Format(time.RFC3339)}}, state: report.GrantAlready},
		{name: "held exactly as asked: this record's grant, its answer lost", grant: Grant{"confirmed", t1}, held: []Membership{{"confirmed", t1.Format(time.RFC3339)}}, state: report.GrantAdded},
		{name: "held shorter: extended", grant: Grant{"confirmed", t2}, held: []Membership{{"confirmed", t1.Format(time.RFC3339)}}, send: true},
		{name: "held for a while, asked for good: made permanent", grant: Grant{"sysop", time.Time{}}, held: []Membership{{"sysop", t1.Format(time.RFC3339)}}, send: true},
		{name: "autoconfirmed needs no confirmed", grant: Grant{"confirmed", t1}, groups: []string{"*", "user", "autoconfirmed"}, state: report.GrantSkipped},
		{name: "autoconfirmed may still get another group", grant: Grant{"staff", t1}, groups: []string{"autoconfirmed"}, send: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanGrants([]Grant{tt.grant}, tt.groups, tt.held)
			if tt.send {
				if len(p.Send) != 1 || len(p.Done) != 0 {
					t.Errorf("plan %+v, want the grant sent", p)
				}
				return
			}
			if len(p.Send) != 0 || len(p.Done) != 1 || p.Done[0].State != tt.state {
				t.Errorf("plan %+v, want left alone: %s", p, tt.state)
			}
		})
	}
}

// A duration past the limit of 1000 a unit says the limit, not that it is
// not understood.
func TestParseExpirySaysTheLimit(t *testing.T) {
	from := time.Date(2026, 11, 24, 19, 20, 30, 0, time.UTC)
	for _, in := range []string{"1001 days", "2 weeks 5000 hours"} {
		_, err := ParseExpiry(in, from)
		var ee *ExpiryError
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), "at most 1000") || strings.Contains(err.Error(), "not understood") {
			t.Errorf("ParseExpiry(%q) error %v, want one that says the limit, 1000 a unit", in, err)
		}
	}
	if _, err := ParseExpiry("1000 days", from); err != nil {
		t.Errorf("ParseExpiry(1000 days): %v", err)
	}
}
