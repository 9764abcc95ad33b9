package main

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

var captcha = &provision.CreatorError{Trouble: classify.TroubleCaptcha, Code: "captcha-createaccount-fail",
	Message: "the wiki asks for a CAPTCHA (captcha-createaccount-fail)", Line: 7}

var waitLimit = &pacer.WaitLimitError{Why: "wiki throttle: 2 per 10m0s for this IP", More: 10*time.Minute + time.Second,
	Limit: time.Minute}

// The engine states facts; advise adds what to do, naming this program's
// flags, and gives the results file the words it has always had.
func TestAdviseNamesTheFlags(t *testing.T) {
	tests := []struct {
		name  string
		row   report.Row
		facts provision.Facts
		want  string
	}{
		{"pending at the wait limit",
			report.Row{Status: report.Pending, Code: "pending", Message: waitLimit.Error()}, provision.Facts{Stop: waitLimit},
			"stopped waiting: wiki throttle: 2 per 10m0s for this IP asks for 10m1s more, which would pass --max-wait 1m0s; run again with --resume to continue"},
		{"pending after an answer was lost",
			report.Row{Status: report.Pending, Code: "pending", Message: "the run was interrupted before this row was sent; an attempt got no answer, so the wiki may have created this account"},
			provision.Facts{Stop: provision.ErrInterrupted},
			"the run was interrupted before this row was sent; an attempt got no answer, so the wiki may have created this account; run again with --resume to continue"},
		{"pending after a CAPTCHA",
			report.Row{Status: report.Pending, Code: "captcha-createaccount-fail", Message: "the run stopped before this row was decided: the wiki asks the creator for a CAPTCHA (line 7 was refused with captcha-createaccount-fail)"},
			provision.Facts{Stop: captcha},
			"the run stopped before this row was decided: the wiki asks the creator for a CAPTCHA (line 7 was refused with captcha-createaccount-fail); " +
				"ask the wiki's administrators to give the creator the skipcaptcha right (account creators, event organizers and sysops usually have it); then run again with --resume"},
		{"offline prediction", report.Row{Status: report.WouldCreate, Message: "passes every offline check"}, provision.Facts{Offline: true},
			"passes every offline check; give --api to check the name against the wiki"},
		{"online prediction", report.Row{Status: report.WouldCreate}, provision.Facts{}, ""},
		{"missing email", report.Row{Status: report.Invalid, Code: "missing-email", Message: "no email address: the wiki mails each new user a temporary password, so every row needs one"}, provision.Facts{},
			"no email address: the wiki mails each new user a temporary password, so every row needs one (or run with --mailpassword=false and a password column)"},
		{"missing password", report.Row{Status: report.Invalid, Code: "missing-password", Message: "no password: when the wiki does not mail passwords, every row needs one"}, provision.Facts{},
			"no password: with --mailpassword=false every row needs a password (or leave mailpassword on and give an email)"},
		{"redirect", report.Row{Status: report.Failed, Code: "http-308", Message: `the server redirects (HTTP 308) to "https://x/w/api.php"`}, provision.Facts{},
			`the server redirects (HTTP 308) to "https://x/w/api.php": give the URL of api.php there as --api`},
		{"not api.php", report.Row{Status: report.Failed, Code: "http-404", Message: "the server answered HTTP 404 Not Found"}, provision.Facts{},
			"the server answered HTTP 404 Not Found; check --api"},
		{"a server error is no advice", report.Row{Status: report.Failed, Code: "http-500", Message: "the server answered HTTP 500 Internal Server Error (gave up after 5 attempts)"}, provision.Facts{},
			"the server answered HTTP 500 Internal Server Error (gave up after 5 attempts)"},
		{"the wiki's refusal is its own", report.Row{Status: report.Exists, Code: "userexists", Message: "the username is already taken on the wiki (userexists)"}, provision.Facts{},
			"the username is already taken on the wiki (userexists)"},
	}
	for _, tt := range tests {
		r := tt.row
		advise(&r, tt.facts)
		if r.Message != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, r.Message, tt.want)
		}
	}
}

func TestExplainNamesTheFlags(t *testing.T) {
	redirect := &mwapi.RedirectError{Status: 301, Location: "https://wiki.example.org/w/api.php"}
	tests := []struct {
		err  error
		want string
	}{
		{waitLimit, "stopped waiting: wiki throttle: 2 per 10m0s for this IP asks for 10m1s more, which would pass --max-wait 1m0s"},
		{fmt.Errorf("log in to http://x/w/api.php: fetch login token: %w", redirect),
			`log in to http://x/w/api.php: fetch login token: the server redirects (HTTP 301) to "https://wiki.example.org/w/api.php": give the URL of api.php there as --api`},
		{&provision.PreflightError{Code: provision.PreflightCannotMailPass, Msg: "the wiki cannot mail temporary passwords (email is disabled there)"},
			"the wiki cannot mail temporary passwords (email is disabled there); run with --mailpassword=false and a password column, or enable email on the wiki"},
		{fmt.Errorf("nothing to resume: %w at s.results.csv", report.ErrNoResults),
			"nothing to resume: there is no results file at s.results.csv (give --out if it is elsewhere)"},
		{fmt.Errorf("s.csv: %w", &sheet.AmbiguousColumnError{Field: "username", Columns: []string{"Username", "Wiki username"}, Choice: "Wiki username"}),
			`s.csv: 2 columns could be the username: "Username", "Wiki username"; say which with --column username="Wiki username", or rename the other`},
		{fmt.Errorf("s.csv: %w", &sheet.AmbiguousColumnError{Field: "username", Columns: []string{"Wiki username", "Username", "Username"}, Choice: "#4"}),
			`s.csv: 3 columns could be the username: "Wiki username", "Username", "Username"; say which with --column username="#4", or rename the other`},
		{fmt.Errorf("s.csv: %w", &sheet.SameNameColumnsError{Field: "username", Column: "Name", Positions: []int{1, 3, 4}}),
			`s.csv: line 1: columns 1, 3 and 4 are all called "Name": any could be the username; choose one by its position (the first column is #1), such as --column username=#4, or rename the others in the sheet`},
		{&sheet.NoSuchColumnError{Field: "username", Column: "Wiki user", Header: []string{"Name", "E-mail"}},
			`--column username="Wiki user": the sheet has no column "Wiki user" for the username; its header has "Name", "E-mail"`},
		{&sheet.SheetError{Line: 1, Msg: "s.csv: no username column: the header has \"Name\"", Err: sheet.ErrNoUsernameColumn},
			`line 1: s.csv: no username column: the header has "Name", or choose the column with --column username=COLUMN`},
		{captcha, "stopped: the wiki asks the creator for a CAPTCHA (line 7 was refused: the wiki asks for a CAPTCHA (captcha-createaccount-fail)): " +
			"ask the wiki's administrators to give the creator the skipcaptcha right (account creators, event organizers and sysops usually have it); " +
			"then run again with --resume to create the rest"},
		{&provision.CreatorError{Trouble: classify.TroubleRepeated, Code: "odd", Message: "odd (odd)", Line: 9},
			"stopped: 5 rows in a row were refused with the same code, which mwprovision does not know (line 9 was refused: odd (odd)): " +
				"read the wiki's answer; if it is about the names, correct them; then run again with --resume to create the rest"},
		{&provision.CreatorError{Trouble: classify.TroubleServer, Code: "internal_api_error_DBQueryError", Message: "[x1] Exception caught", Line: 4},
			"stopped: the wiki answered 5 requests in a row with the same error of its own, internal_api_error_DBQueryError (line 4 was answered: [x1] Exception caught): " +
				"the wiki is failing, not busy: check that it works, or ask its administrators to look at its error log; then run again with --resume to create the rest"},
		{&provision.CreatorError{Trouble: classify.TroubleExempt, Code: "acct_creation_throttle_hit", Creator: "Admin", Line: 5,
			Message: `the wiki's account creation limit for this IP address was reached (acct_creation_throttle_hit: 6, {"duration":86400})`},
			"stopped: the wiki's per-IP limit on account creation refused Admin, which holds noratelimit and so should be exempt from it " +
				`(line 5 was refused: the wiki's account creation limit for this IP address was reached (acct_creation_throttle_hit: 6, {"duration":86400})): ` +
				"waiting for the limit's window would not help: check the grants of the bot password on the wiki's Special:BotPasswords, or of the OAuth consumer " +
				"(\"High-volume editing\", highvolume, is the grant that carries noratelimit), and that the account is still in a group that has noratelimit " +
				"(sysop, or eventcoordinator on English Wikipedia; a membership may have expired); if both are so, the wiki's throttle counts differently " +
				"(an extension or a setting of its own): ask its administrators; then run again with --resume to create the rest"},
		{&provision.PreflightError{Code: provision.PreflightNorm, Msg: "Coordinator … would break: …", Norm: &provision.NormBreach{
			Creator: "Coordinator", Group: "eventcoordinator", MaxDays: 10, Confirmed: true, Line: 2}},
			`Coordinator … would break: …. To follow it, run with --group-expiry "10 days" or less. Nothing was sent`},
		{&provision.PreflightError{Code: provision.PreflightNorm, Msg: "Coordinator … would break: …", Norm: &provision.NormBreach{
			Creator: "Coordinator", Group: "eventcoordinator", MaxDays: 10, Confirmed: true, Line: 4, FromCell: true, Passwords: true}},
			`Coordinator … would break: …. To follow it, shorten the sheet's expiry cells to "10 days" or less (line 4's first), ` +
				"and leave out --mailpassword=false, so that the wiki mails each participant a random password (every row then needs an email). Nothing was sent"},
		{&provision.PreflightError{Code: provision.PreflightBlocked, Msg: "Organizer is blocked by Admin (reason: \"spam\") with no expiry, which stops it creating accounts"},
			"Organizer is blocked by Admin (reason: \"spam\") with no expiry, which stops it creating accounts; see the block on the wiki's Special:BlockList and ask its administrators to lift it (or to exempt this IP address), or create from another account; nothing was sent"},
		{errors.New("anything else"), "anything else"},
	}
	for _, tt := range tests {
		if got := explain(tt.err); got != tt.want {
			t.Errorf("explain(%v):\n got %q\nwant %q", tt.err, got, tt.want)
		}
	}
}
