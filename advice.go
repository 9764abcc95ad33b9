package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// The engine states facts and codes; this file turns them into advice that
// names the flags of this program. advise completes the rows of the results
// file and the console, explain the errors printed on stderr.

// The message of a row a dry run without a wiki would create.
const (
	offlineFact   = "passes every offline check"
	offlineAdvice = offlineFact + "; give --api to check the name against the wiki"
)

// advise completes a decided row's message with what to do about it.
func advise(r *report.Row, f provision.Facts) {
	var ce *provision.CreatorError
	switch {
	case r.Status == report.Pending && errors.As(f.Stop, &ce):
		r.Message += "; " + creatorAdvice(ce) + "; then run again with --resume"
	case r.Status == report.Pending:
		r.Message = reword(r.Message, f.Stop) + "; run again with --resume to continue"
	case f.Offline && r.Message == offlineFact:
		r.Message = offlineAdvice // a constant: a million rows need no million strings
	case f.Offline:
		r.Message += "; give --api to check the name against the wiki"
	case r.Groups.Failed() && r.Status.Final():
		r.Message += "; run again with --resume to add the groups (nothing is created twice)"
	case r.Code == "group-needs-expiry" || r.Code == "invalid-expiry":
		r.Message += " (--group-expiry sets one for the run)"
	case r.Code == "missing-email":
		r.Message += " (or run with --mailpassword=false and a password column)"
	case r.Code == "missing-password":
		r.Message = "no password: with --mailpassword=false every row needs a password (or leave mailpassword on and give an email)"
	case strings.HasPrefix(r.Code, "http-3"):
		r.Message += ": give the URL of api.php there as --api"
	case strings.HasPrefix(r.Code, "http-4") && r.Status == report.Failed:
		r.Message += "; check --api"
	}
}

// explain is the message of an error that ends a command, with advice.
func explain(err error) string {
	msg := reword(err.Error(), err)
	var pe *provision.PreflightError
	var ac *sheet.AmbiguousColumnError
	var sn *sheet.SameNameColumnsError
	var nc *sheet.NoSuchColumnError
	var re *provision.RecordError
	var nr *report.NotResultsError
	var ce *provision.CreatorError
	switch {
	case errors.As(err, &ce):
		msg = "stopped: " + msg + ": " + creatorAdvice(ce) + "; then run again with --resume to create the rest"
	case errors.As(err, &pe) && pe.Code == provision.PreflightBlocked:
		msg += "; " + creatorAdvice(&provision.CreatorError{Trouble: classify.TroubleBlocked}) + "; nothing was sent"
	case errors.As(err, &pe) && pe.Code == provision.PreflightLoginSteps:
		msg += ". Log in with a bot password instead, which needs no second factor: on the wiki open Special:BotPasswords, " +
			"give the bot a name (such as bulk), tick \"Create accounts\" (and \"High-volume editing\" if you hold noratelimit), and create it; " +
			"then save the password it shows with mwprovision save-password FILE, and run with --user YOURNAME@bulk --password-file FILE. " +
			"Or use an owner-only OAuth 2 consumer with --oauth-token-file"
	case errors.As(err, &pe) && pe.Code == provision.PreflightNorm && pe.Norm != nil:
		msg += ". " + normAdvice(pe.Norm) + ". Nothing was sent"
	case errors.As(err, &pe) && pe.Code == provision.PreflightCannotMailPass:
		msg += "; run with --mailpassword=false and a password column, or enable email on the wiki"
	case errors.Is(err, report.ErrNoResults):
		msg += " (give --out if it is elsewhere)"
	case errors.Is(err, sheet.ErrNoUsernameColumn):
		msg += ", or choose the column with --column username=COLUMN"
	case errors.As(err, &ac):
		msg += fmt.Sprintf("; say which with --column %s=%q, or rename the other", ac.Field, ac.Choice)
	case errors.As(err, &sn):
		other := "the other"
		if len(sn.Positions) > 2 {
			other = "the others"
		}
		msg += fmt.Sprintf("; choose one by its position (the first column is #1), such as --column %s=#%d, or rename %s in the sheet",
			sn.Field, sn.Positions[len(sn.Positions)-1], other)
	case errors.As(err, &nc):
		msg = fmt.Sprintf("--column %s=%q: %s", nc.Field, nc.Column, msg)
	case errors.As(err, &re) && re.Created > 0:
		msg += fmt.Sprintf("; %d accounts this run created are in no row of it: make room, then run again with --resume, which finds them in the wiki's new-users log", re.Created)
	case errors.As(err, &re):
		msg += "; make room, then run again with --resume"
	case errors.As(err, &nr):
		msg += ": give another --out"
	case errors.Is(err, sheet.ErrSheetChanged) && !strings.Contains(msg, "nothing was created"):
		msg += "; nothing was sent for the rows from the change on, and they have no results row: check the sheet, then run again with --resume"
	}
	return msg
}

// normAdvice says how to run within a wiki's norm for the creator.
func normAdvice(b *provision.NormBreach) string {
	var do []string
	switch {
	case b.Confirmed && b.FromCell:
		do = append(do, fmt.Sprintf("shorten the sheet's expiry cells to \"%d days\" or less (line %d's first)", b.MaxDays, b.Line))
	case b.Confirmed:
		do = append(do, fmt.Sprintf("run with --group-expiry \"%d days\" or less", b.MaxDays))
	}
	if b.Passwords {
		do = append(do, "leave out --mailpassword=false, so that the wiki mails each participant a random password (every row then needs an email)")
	}
	return "To follow it, " + strings.Join(do, ", and ")
}

// creatorAdvice says what to do about a refusal that stops a run.
func creatorAdvice(ce *provision.CreatorError) string {
	const skipcaptcha = "ask the wiki's administrators to give the creator the skipcaptcha right (account creators, event organizers and sysops usually have it)"
	switch t := ce.Trouble; {
	case t == classify.TroubleCaptcha && ce.Code == "captcha-error":
		return "wait a while (the wiki limits CAPTCHA attempts), and " + skipcaptcha
	case t == classify.TroubleCaptcha:
		return skipcaptcha
	case t == classify.TroubleBlocked:
		return "see the block on the wiki's Special:BlockList and ask its administrators to lift it (or to exempt this IP address), or create from another account"
	case t == classify.TroubleNetwork:
		return "create from another network, or ask the wiki's administrators for an IP block exemption"
	case t == classify.TroubleLogin:
		return "check the bot password on the wiki's Special:BotPasswords (it may have been removed or reset) and the account's state"
	case t == classify.TroubleRight:
		return "check the creator's groups and the grants of its bot password (\"Create accounts\")"
	case t == classify.TroubleDisabled && ce.Code == "emaildisabled":
		return "run with --mailpassword=false and a password column, or enable email on the wiki"
	case t == classify.TroubleDisabled:
		return "ask the wiki's administrators when account creation opens again"
	case t == classify.TroubleServer:
		return "the wiki is failing, not busy: check that it works, or ask its administrators to look at its error log"
	case t == classify.TroubleExempt:
		return "waiting for the limit's window would not help: check the grants of the bot password on the wiki's Special:BotPasswords, or of the OAuth consumer " +
			"(\"High-volume editing\", highvolume, is the grant that carries noratelimit), and that the account is still in a group that has noratelimit " +
			"(sysop, or eventcoordinator on English Wikipedia; a membership may have expired); if both are so, the wiki's throttle counts differently " +
			"(an extension or a setting of its own): ask its administrators"
	}
	return "read the wiki's answer; if it is about the names, correct them"
}

// reword replaces, in msg, the engine's words for the facts in err with
// this program's, which name the flag to reach for.
func reword(msg string, err error) string {
	var wl *pacer.WaitLimitError
	if errors.As(err, &wl) {
		msg = strings.Replace(msg, wl.Error(), wl.Explain("--max-wait "+wl.Limit.String()), 1)
	}
	var re *mwapi.RedirectError
	if errors.As(err, &re) {
		msg = strings.Replace(msg, re.Error(), re.Error()+": give the URL of api.php there as --api", 1)
	}
	return msg
}
