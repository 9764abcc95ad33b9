package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"go.uber.org/zap"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/groups"
)

// The confirmation shows what is about to happen and creates nothing
// unless the answer is yes; without a terminal it refuses.
func TestConfirmAsksBeforeCreating(t *testing.T) {
	o := &runOptions{API: "https://wiki.example.org/w/api.php", User: "Organizer@bulk", MailPassword: true, Reason: "Edit-a-thon"}
	plan := planOf(t, "username,email\none,1@example.org\nbad#,b@example.org\ntwo,2@example.org\n")
	creator := &provision.Creator{Name: "Organizer", SiteName: "Test wiki"}
	prompt := "\nAbout to create accounts. Accounts can never be deleted.\n" +
		"  wiki:     Test wiki (https://wiki.example.org/w/api.php)\n  creator:  Organizer (Organizer@bulk)\n" +
		"  accounts: 2 to create (1 other rows need no request): One, Two\n" +
		"  columns:  username ← \"username\" (one)\n            email    ← \"email\" (1@example.org)\n" +
		"  mail:     the wiki mails each new user a temporary password\n  reason:   Edit-a-thon\n" +
		"            public: anyone can read it in the wiki's new-users log, and it cannot be removed\n\nCreate 2 accounts? [y/N] "
	for _, tt := range []struct {
		answer string
		tty    bool
		err    error
		stderr string
	}{
		{"y\n", true, nil, prompt},
		{"YES\n", true, nil, prompt},
		{"n\n", true, errNotConfirmed, prompt + "Nothing was created.\n"},
		{"", true, errNotConfirmed, prompt + "Nothing was created.\n"},
		{"y\n", false, nil, ""},
	} {
		s, _, stderr := bufferStreams(tt.answer, tt.tty)
		err := o.announce(t.Context(), s, o.job(), job.Site{}, nil, plan, nil, creator, zap.NewNop())
		switch {
		case !tt.tty && (err == nil || !strings.Contains(err.Error(), "no terminal to ask on")):
			t.Errorf("without a terminal: %v, want a refusal", err)
		case tt.tty && err != tt.err:
			t.Errorf("answer %q: %v, want %v", tt.answer, err, tt.err)
		case stderr.String() != tt.stderr:
			t.Errorf("answer %q: stderr\n%q\nwant\n%q", tt.answer, stderr.String(), tt.stderr)
		}
	}
	// --yes asks nothing, but says what it will publish, in the words of
	// the confirmation's reason lines; even --quiet does.
	o.Yes, o.Quiet = true, true
	public := "reason:   Edit-a-thon\n          public: anyone can read it in the wiki's new-users log, and it cannot be removed\n"
	if s, _, stderr := bufferStreams("", false); o.announce(t.Context(), s, o.job(), job.Site{}, nil, plan, nil, creator, zap.NewNop()) != nil || stderr.String() != public {
		t.Errorf("--yes says %q, want %q", stderr.String(), public)
	}
	o.Reason = ""
	if s, _, stderr := bufferStreams("", false); o.announce(t.Context(), s, o.job(), job.Site{}, nil, plan, nil, creator, zap.NewNop()) != nil || stderr.Len() != 0 {
		t.Errorf("--yes publishing no reason says %q", stderr.String())
	}
}

// confirmPlan asks on s to confirm a run of o's options and plan by c.
func confirmPlan(ctx context.Context, s *streams, o *runOptions, plan *provision.Plan, c *provision.Creator) error {
	return confirm(ctx, s, job.Confirm(o.job(), job.Site{}, nil, plan, c, nil))
}

// planOf reads data as the plan of a run in mailpassword mode.
func planOf(t *testing.T, data string) *provision.Plan {
	t.Helper()
	p, err := provision.ReadPlan(t.Context(), sheet.Stream(strings.NewReader(data)), provision.PlanOptions{MailPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The warnings before a run: columns left unused, a password column that
// mail mode ignores, a main-account login, no contact for a wiki elsewhere.
func TestWarnAboutSheet(t *testing.T) {
	plan := planOf(t, "username,email,password,team,shirt size\none,1@example.org,pw,red,M\n")
	for _, tt := range []struct {
		o    runOptions
		want string
	}{
		{runOptions{MailPassword: true, User: "Organizer", API: "https://wiki.example.org/w/api.php"},
			"warning: ignoring columns team, shirt size (mwprovision reads username, email, realname, reason, password, groups, expiry; --column FIELD=COLUMN chooses one)\n" +
				"warning: the password column is ignored because --mailpassword is on (the wiki mails each user a temporary password); use --mailpassword=false to set these passwords\n" +
				"warning: --user has no @AppName: logging in with a main account password is deprecated; make a bot password on Special:BotPasswords\n" +
				"warning: no --contact: Wikimedia's User-Agent policy asks for an email or user page so that the wiki's operators can reach you\n"},
		{runOptions{User: "Organizer@bulk", API: "http://127.0.0.1/w/api.php"},
			"warning: ignoring columns team, shirt size (mwprovision reads username, email, realname, reason, password, groups, expiry; --column FIELD=COLUMN chooses one)\n"},
	} {
		var b strings.Builder
		tt.o.warn(&b, job.SheetWarnings(tt.o.job(), plan))
		if b.String() != tt.want {
			t.Errorf("warnings:\n%s\nwant:\n%s", b.String(), tt.want)
		}
	}
	shared := planOf(t, "username,email\nana,family@example.org\nbo,family@example.org\nana_k,family@example.org\n")
	var b strings.Builder
	(&runOptions{}).warn(&b, job.SheetWarnings(job.Options{}, shared))
	want := "warning: line 3 has the same email as line 2: allowed, as a family may share an address, but check that nobody signed up twice\n" +
		"warning: line 4 has the same email as line 2: allowed, as a family may share an address, but check that nobody signed up twice\n"
	if b.String() != want {
		t.Errorf("shared emails:\n%s\nwant:\n%s", b.String(), want)
	}
}

// A creator without noratelimit hears of the wiki's throttle — Wikimedia's
// 6 a day only on a Wikimedia wiki, and then the time it would take when
// that passes --max-wait; a dry run says when names are checked
// anonymously; a block that still allows creating is named.
func TestWarnAboutCreator(t *testing.T) {
	var data strings.Builder
	data.WriteString("username,email\n")
	for i := 0; i < 13; i++ {
		fmt.Fprintf(&data, "eta_%02d,e%d@example.org\n", i, i)
	}
	plan := planOf(t, data.String())
	throttled := func(limit string) string {
		return "warning: Organizer lacks the noratelimit right, so the wiki's per-IP account creation throttle applies (" + limit + "); " +
			"a run waits for each window, up to --max-wait 2h0m0s. To lift it, ask for the event coordinator or account creator right, or for a temporary lift of the IP cap for the event\n"
	}
	wikimedia := throttled("on Wikimedia wikis, 6 accounts a day")
	unknown := throttled("its limit is not known until the wiki first refuses; the run then estimates from the wiki's own count and window")
	for _, tt := range []struct {
		name string
		o    runOptions
		c    provision.Creator
		want string
	}{
		{"throttled run on Wikimedia", runOptions{MaxWait: 2 * time.Hour}, provision.Creator{Name: "Organizer", Wikimedia: true}, wikimedia +
			"warning: at Wikimedia's 6 accounts a day, 13 accounts take about 48h0m0s, more than --max-wait 2h0m0s: the run will create what the wiki allows and leave the rest pending for a later run\n"},
		{"throttled dry run on Wikimedia", runOptions{MaxWait: 2 * time.Hour, DryRun: true}, provision.Creator{Name: "Organizer", Wikimedia: true}, wikimedia},
		{"throttled run elsewhere", runOptions{MaxWait: 2 * time.Hour}, provision.Creator{Name: "Organizer"}, unknown},
		{"blocked, may still create", runOptions{MaxWait: 2 * time.Hour}, provision.Creator{Name: "Organizer", NoRateLimit: true, Blocked: "is partially blocked by Admin with no expiry"},
			"warning: Organizer is partially blocked by Admin with no expiry; the block lets it create accounts\n"},
		{"exempt", runOptions{MaxWait: 2 * time.Hour}, provision.Creator{Name: "Organizer", NoRateLimit: true}, ""},
		{"overrides in a dry run", runOptions{DryRun: true}, provision.Creator{Name: "Admin", NoRateLimit: true, Overrides: []string{"tboverride"}},
			"note: Admin holds tboverride, which the wiki's cancreate check honours but its createaccount does not; the names are checked as an anonymous visitor, as the wiki will judge them in the run\n"},
	} {
		var b strings.Builder
		tt.o.warn(&b, job.CreatorWarnings(tt.o.job(), plan, &tt.c))
		if b.String() != tt.want {
			t.Errorf("%s:\n%s\nwant:\n%s", tt.name, b.String(), tt.want)
		}
	}
}

// The dry run's banners say how far it checks, and which column feeds
// each field.
func TestAnnounceDryRun(t *testing.T) {
	plan := planOf(t, "username,email\none,1@example.org\n")
	const columns = "columns: username ← \"username\" (one)\n         email    ← \"email\" (1@example.org)\n"
	for _, tt := range []struct {
		o    runOptions
		c    *provision.Creator
		want string
	}{
		{runOptions{DryRun: true}, nil, "dry run, offline: checking the sheet only (give --api to check the names against the wiki)\n" + columns},
		{runOptions{DryRun: true, API: "https://w/api.php"}, nil, "dry run: checking the names against the wiki (give --user to check the creator too)\n" + columns},
		{runOptions{DryRun: true, API: "https://w/api.php", User: "A@b"}, &provision.Creator{Name: "A"}, "dry run: checking the names against the wiki; nothing will be created\n" + columns},
		{runOptions{DryRun: true, Quiet: true}, nil, ""},
	} {
		s, _, stderr := bufferStreams("", false)
		if err := tt.o.announce(t.Context(), s, tt.o.job(), job.Site{}, nil, plan, nil, tt.c, zap.NewNop()); err != nil || stderr.String() != tt.want {
			t.Errorf("announce: %v, %q; want %q", err, stderr.String(), tt.want)
		}
	}
}

// The confirmation says which reasons will be public: the sheet's own, how
// many rows bring each, and the run's for the rest.
func TestConfirmShowsThePublicReasons(t *testing.T) {
	var data strings.Builder
	data.WriteString("username,email,reason\n")
	for i, r := range []string{"Table 1", "Table 2", "", "Table 1", "Table 3", "Table 4", "Table 5", "Table 6", "Table 7", ""} {
		fmt.Fprintf(&data, "person_%d,p%d@example.org,%s\n", i, i, r)
	}
	o := &runOptions{API: "https://w/api.php", User: "A@b", MailPassword: true, Reason: "Edit-a-thon"}
	s, _, stderr := bufferStreams("n\n", true)
	confirmPlan(t.Context(), s, o, planOf(t, data.String()), &provision.Creator{Name: "A"})
	want := "  reason:   \"Table 1\" (2 rows)\n" +
		"            \"Table 2\" (1 row)\n" +
		"            \"Table 3\" (1 row)\n" +
		"            \"Table 4\" (1 row)\n" +
		"            \"Table 5\" (1 row)\n" +
		"            Edit-a-thon (--reason, 2 rows)\n" +
		"            … and 2 more reasons from the sheet's \"reason\" column\n" +
		"            public: anyone can read them in the wiki's new-users log, and they cannot be removed\n"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("the confirmation:\n%s\nlacks:\n%s", stderr.String(), want)
	}
	if !strings.Contains(stderr.String(), "accounts: 10 to create (0 other rows need no request): Person 0, Person 1, Person 2, Person 3, Person 4 and 5 more\n") {
		t.Errorf("the confirmation does not name the first accounts:\n%s", stderr.String())
	}
}

// Ctrl-C at the question is no answer: nothing is created, whatever is
// typed after.
func TestCtrlCAtTheQuestionCreatesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, _, _ := bufferStreams("y\n", true)
	o := &runOptions{API: "https://w/api.php", User: "A@b", MailPassword: true}
	if err := confirmPlan(ctx, s, o, planOf(t, "username,email\none,1@example.org\n"), &provision.Creator{Name: "A"}); err != errInterruptedEarly {
		t.Errorf("confirm after Ctrl-C = %v, want errInterruptedEarly", err)
	}
	if _, err := promptSecret(ctx, s.readSecret, s.err, "Bot password: "); err != errInterruptedEarly {
		t.Errorf("the password prompt after Ctrl-C = %v, want errInterruptedEarly", err)
	}
}

// With groups, the confirmation says which, until when, that existing
// accounts get them too, and that the reason goes to the rights log; a
// group without an expiry is said to be permanent. grant says it creates
// nothing.
func TestConfirmShowsTheGroups(t *testing.T) {
	data := "username,email,groups,expiry\none,1@example.org,,\ntwo,2@example.org,staff,\nthree,3@example.org,staff,infinite\n"
	from := time.Date(2026, 11, 24, 19, 20, 0, 0, time.UTC)
	opts := provision.PlanOptions{MailPassword: true, Groups: groups.Options{Add: []string{"confirmed"}, Expiry: "2 weeks", From: from}}
	plan, err := provision.ReadPlan(t.Context(), sheet.Stream(strings.NewReader(data)), opts)
	if err != nil {
		t.Fatal(err)
	}
	o := &runOptions{API: "https://w/api.php", User: "A@b", MailPassword: true, Reason: "Edit-a-thon", groups: []string{"confirmed"}}
	s, _, stderr := bufferStreams("n\n", true)
	confirmPlan(t.Context(), s, o, plan, &provision.Creator{Name: "A"})
	for _, want := range []string{
		"  groups:   confirmed until 8 December 2026, 19:20 UTC (2 rows)\n" +
			"            staff until 8 December 2026, 19:20 UTC (1 row)\n" +
			"            confirmed permanently (1 row)\n" +
			"            staff permanently (1 row)\n" +
			"            an account that exists already is not created, but it is added to its groups too\n" +
			"            a membership that lasts longer is never shortened; confirmed is skipped for an account that is autoconfirmed\n",
		"public: anyone can read it in the wiki's new-users and rights logs",
		"Create 3 accounts and add them to groups? [y/N] ",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the confirmation:\n%s\nlacks:\n%s", stderr.String(), want)
		}
	}

	opts.GrantOnly, opts.MailPassword = true, false
	if plan, err = provision.ReadPlan(t.Context(), sheet.Stream(strings.NewReader(data)), opts); err != nil {
		t.Fatal(err)
	}
	o.grant = true
	s, _, stderr = bufferStreams("n\n", true)
	confirmPlan(t.Context(), s, o, plan, &provision.Creator{Name: "A"})
	for _, want := range []string{
		"About to add accounts to groups; nothing is created.\n",
		"  accounts: 3 existing to add to groups (0 other rows need no request): One, Two, Three\n",
		"public: anyone can read it in the wiki's rights log",
		"Add 3 accounts to groups? [y/N] ",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("grant's confirmation:\n%s\nlacks:\n%s", stderr.String(), want)
		}
	}
	if strings.Contains(stderr.String(), "mail:") || strings.Contains(stderr.String(), "is not created, but") {
		t.Errorf("grant's confirmation speaks of creating:\n%s", stderr.String())
	}
}

// The confirmation is one value, built here without a terminal or a wiki:
// existing accounts are said, and counted out of those to create.
func TestConfirmationTextOfExistingAccounts(t *testing.T) {
	conf := job.Confirmation{
		Wiki: "Test wiki", API: "https://w/api.php", Creator: "Organizer", Login: "Organizer@bulk",
		Rows: 4, Accounts: 3, First: []string{"Ann", "Bob", "Cy"}, Existing: &provision.Existing{Count: 1, First: []string{"Bob"}},
		GroupsAsked: true, MailPassword: true, Reason: "Edit-a-thon",
	}
	got := confirmationText(conf)
	for _, want := range []string{
		"  accounts: 3 to create (1 other rows need no request): Ann, Bob, Cy\n" +
			"  existing: 1 of these exist already, so 2 are created; the 1 are only added to their groups: Bob\n",
		"  groups:   none (no row to send asks for a group)\n",
		"\nCreate 2 accounts, and add them and 1 existing accounts to groups? [y/N] ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the confirmation:\n%s\nlacks:\n%s", got, want)
		}
	}
}

// A password column shows that its values are hidden, once in brackets,
// like the sample of any other column.
func TestShowColumnsHidesPasswords(t *testing.T) {
	pv, err := provision.ReadPlan(context.Background(), sheet.Stream(strings.NewReader("username,password\nmaria_g,Secret-Passw0rd!\n")),
		provision.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	showColumns(&b, "columns: ", pv.Preview.Columns)
	if got, want := b.String(), "columns: username ← \"username\" (maria_g)\n         password ← \"password\" (hidden)\n"; got != want {
		t.Errorf("showColumns:\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(b.String(), "Secret") {
		t.Error("the password is shown")
	}
}
