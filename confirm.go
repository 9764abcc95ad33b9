package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/report"
	"go.uber.org/zap"
)

// What the run says before it starts: the warnings the steps of the run
// found, and — accounts can never be deleted — the confirmation.

// warn says warnings, in the words of the command line.
func (o runOptions) warn(stderr io.Writer, ws []job.Warning) {
	for _, w := range ws {
		if line := warningText(w); line != "" {
			fmt.Fprintln(stderr, line)
		}
	}
}

// warningText is a warning in the words of the command line.
func warningText(w job.Warning) string {
	switch w := w.(type) {
	case job.SiteUnknown:
		return fmt.Sprintf("warning: %s; names are checked by the rules of a wiki in %s (--wiki-language sets the wiki's)", reword(w.Err.Error(), w.Err), w.Lang)
	case job.PreviousCut:
		return fmt.Sprintf("warning: the last row of %s was cut off (a full disk or a crash?): that row is decided again", w.File)
	case job.Unmatched:
		return fmt.Sprintf("warning: %d rows that %s records as created or existing match no row of the sheet now (a name corrected since, or the results of another sheet?): they are kept, with the previous results kept aside at the end", w.Rows, w.Out)
	case job.IgnoredColumns:
		return fmt.Sprintf("warning: ignoring columns %s (mwprovision reads username, email, realname, reason, password, groups, expiry; --column FIELD=COLUMN chooses one)", strings.Join(w.Columns, ", "))
	case job.PasswordIgnored:
		return "warning: the password column is ignored because --mailpassword is on (the wiki mails each user a temporary password); use --mailpassword=false to set these passwords"
	case job.MainAccountLogin:
		return "warning: --user has no @AppName: logging in with a main account password is deprecated; make a bot password on Special:BotPasswords"
	case job.NoContact:
		return "warning: no --contact: Wikimedia's User-Agent policy asks for an email or user page so that the wiki's operators can reach you"
	case job.SharedEmail:
		return fmt.Sprintf("warning: line %d has the same email as line %d: allowed, as a family may share an address, but check that nobody signed up twice", w.Line, w.FirstLine)
	case job.MoreSharedEmails:
		return fmt.Sprintf("warning: … and %d more rows have the email of an earlier row", w.Rows)
	case job.VersionUnknown:
		which := fmt.Sprintf("%d names (the first on line %d) are", w.Rows, w.Line)
		if w.Rows == 1 {
			which = fmt.Sprintf("1 name (on line %d) is", w.Line)
		}
		return "warning: " + which + " capitalized differently by MediaWiki before 1.43 or PHP before 8.4; " +
			"without the wiki, names are checked as the newest versions make them: give --api to check them as the wiki will"
	case job.CreatorBlocked:
		return fmt.Sprintf("warning: %s %s; the block lets it create accounts", w.Creator, w.Block)
	case job.PerIPThrottle:
		limit := "its limit is not known until the wiki first refuses; the run then estimates from the wiki's own count and window"
		if w.Wikimedia {
			limit = "on Wikimedia wikis, 6 accounts a day"
		}
		return fmt.Sprintf("warning: %s lacks the noratelimit right, so the wiki's per-IP account creation throttle applies "+
			"(%s); a run waits for each window, up to --max-wait %s. "+
			"To lift it, ask for the event coordinator or account creator right, or for a temporary lift of the IP cap for the event",
			w.Creator, limit, w.MaxWait)
	case job.ThrottleOutlastsWait:
		return fmt.Sprintf("warning: at Wikimedia's 6 accounts a day, %d accounts take about %s, more than --max-wait %s: "+
			"the run will create what the wiki allows and leave the rest pending for a later run", w.ToCreate, w.Need.Round(time.Hour), w.MaxWait)
	case job.OverridesIgnored:
		return fmt.Sprintf("note: %s holds %s, which the wiki's cancreate check honours but its createaccount does not; "+
			"the names are checked as an anonymous visitor, as the wiki will judge them in the run",
			w.Creator, strings.Join(w.Rights, ", "))
	}
	return ""
}

// showColumns says which column feeds each field, with its first value.
func showColumns(w io.Writer, label string, cols []provision.ColumnUse) {
	for _, c := range cols {
		fmt.Fprintf(w, "%s%-8s ← %q", label, c.Field, c.Column)
		switch {
		case c.Hidden:
			fmt.Fprint(w, " (hidden)")
		case c.Sample != "":
			fmt.Fprintf(w, " (%s)", c.Sample)
		}
		fmt.Fprintln(w)
		label = strings.Repeat(" ", len(label))
	}
}

// announce says what kind of run starts, or — for a run that creates
// accounts — asks for confirmation.
func (o runOptions) announce(ctx context.Context, s *streams, jo job.Options, site job.Site, prev *report.Previous, plan *provision.Plan,
	eng *provision.Engine, c *provision.Creator, log *zap.Logger) error {
	switch {
	case o.DryRun && o.API == "":
		o.say(s.err, "dry run, offline: checking the sheet only (give --api to check the names against the wiki)\n")
	case o.DryRun && c == nil:
		o.say(s.err, "dry run: checking the names against the wiki (give --user to check the creator too)\n")
	case o.DryRun:
		o.say(s.err, "dry run: checking the names against the wiki; nothing will be created\n")
	case plan.Counts.ToSend() > 0 && !o.Yes:
		if !s.interactive() {
			return errors.New("accounts can never be deleted, so mwprovision asks before creating them, and there is no terminal to ask on; check the sheet with --dry-run, then run again with --yes")
		}
		ex, err := job.FindExisting(ctx, jo, eng, plan, c, log)
		if err != nil {
			fmt.Fprintf(s.err, "warning: cannot tell which accounts exist already (%v); those that do are added to the groups too\n", err)
		}
		return confirm(ctx, s, job.Confirm(jo, site, prev, plan, c, ex))
	case plan.Counts.ToSend() > 0:
		// --yes asks nothing: the run still says, before its first
		// request, what it will publish for ever, even with --quiet.
		sayPublic(s.err, job.Confirm(jo, site, prev, plan, c, nil))
		return nil
	default:
		return nil
	}
	if !o.Quiet {
		showColumns(s.err, "columns: ", plan.Preview.Columns)
	}
	return nil
}

// errNotConfirmed: the user did not confirm; nothing was created.
var errNotConfirmed = errors.New("not confirmed: nothing was created")

// confirm shows what is about to happen and asks on the terminal.
func confirm(ctx context.Context, s *streams, conf job.Confirmation) error {
	fmt.Fprint(s.err, confirmationText(conf))
	answer, err := s.readLine(ctx)
	if ctx.Err() != nil {
		fmt.Fprintln(s.err)
		return errInterruptedEarly
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("cannot read the answer: %v; nothing was created", err)
	}
	fmt.Fprintln(s.err, "Nothing was created.")
	return errNotConfirmed
}

// confirmationText is the confirmation in the words of the command line,
// ending in its question.
func confirmationText(conf job.Confirmation) string {
	var b strings.Builder
	n := conf.Accounts
	login := fmt.Sprintf("%s (%s)", conf.Creator, cmp.Or(conf.Login, "OAuth token"))
	if conf.Grant {
		fmt.Fprintf(&b, "\nAbout to add accounts to groups; nothing is created.\n"+
			"  wiki:     %s (%s)\n  creator:  %s\n  accounts: %d existing to add to groups (%d other rows need no request): %s\n",
			cmp.Or(conf.Wiki, conf.API), conf.API, login, n, conf.Rows-n, listMore(conf.First, n))
	} else {
		fmt.Fprintf(&b, "\nAbout to create accounts. Accounts can never be deleted.\n"+
			"  wiki:     %s (%s)\n  creator:  %s\n  accounts: %d to create (%d other rows need no request): %s\n",
			cmp.Or(conf.Wiki, conf.API), conf.API, login, n, conf.Rows-n, listMore(conf.First, n))
		if ex := conf.Existing; ex != nil && ex.Count > 0 {
			fmt.Fprintf(&b, "  existing: %d of these exist already, so %d are created; the %d are only added to their groups: %s\n",
				ex.Count, n-ex.Count, ex.Count, listMore(ex.First, ex.Count))
		}
		if g := conf.ToGrant; g > 0 {
			fmt.Fprintf(&b, "            and %d accounts an earlier run created or found, whose groups are not all added yet\n", g)
		}
	}
	showColumns(&b, "  columns:  ", conf.Columns)
	label := "groups:"
	for _, line := range groupLines(conf) {
		fmt.Fprintf(&b, "  %-10s%s\n", label, line)
		label = ""
	}
	if !conf.Grant {
		mode := "the wiki mails each new user a temporary password"
		if !conf.MailPassword {
			mode = "passwords from the sheet (no mail)"
		}
		fmt.Fprintf(&b, "  mail:     %s\n", mode)
	}
	label = "reason:"
	for _, line := range reasonLines(conf) {
		fmt.Fprintf(&b, "  %-10s%s\n", label, line)
		label = ""
	}
	switch ex := conf.Existing; {
	case conf.Grant:
		fmt.Fprintf(&b, "\nAdd %d accounts to groups? [y/N] ", n)
	case n == 0:
		fmt.Fprintf(&b, "\nAdd %d accounts to groups? [y/N] ", conf.ToGrant)
	case ex != nil && ex.Count > 0:
		fmt.Fprintf(&b, "\nCreate %d accounts, and add them and %d existing accounts to groups? [y/N] ", n-ex.Count, ex.Count)
	case conf.GroupsAsked:
		fmt.Fprintf(&b, "\nCreate %d accounts and add them to groups? [y/N] ", n)
	default:
		fmt.Fprintf(&b, "\nCreate %d accounts? [y/N] ", n)
	}
	return b.String()
}

// sayPublic says the public texts a run that asks nothing will publish,
// in the words of the confirmation's reason lines; nothing when it
// publishes none.
func sayPublic(w io.Writer, conf job.Confirmation) {
	if conf.Reason == "" && conf.DistinctReasons == 0 {
		return
	}
	label := "reason:"
	for _, line := range reasonLines(conf) {
		fmt.Fprintf(w, "%-10s%s\n", label, line)
		label = ""
	}
}

// listMore lists the first of n names, and says how many more.
func listMore(first []string, n int) string {
	s := strings.Join(first, ", ")
	if more := n - len(first); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// groupLines say which groups the accounts are added to, until when, and
// that existing accounts are added too; nil when the run adds none.
func groupLines(conf job.Confirmation) []string {
	if !conf.GroupsAsked {
		return nil
	}
	var lines []string
	for _, g := range conf.Groups {
		until := "until " + g.Until.Format("2 January 2006, 15:04 UTC")
		if g.Until.IsZero() {
			until = "permanently"
		}
		lines = append(lines, fmt.Sprintf("%s %s (%s)", g.Group, until, rowsOf(g.Rows)))
	}
	if len(lines) == 0 {
		lines = append(lines, "none (no row to send asks for a group)")
	}
	if !conf.Grant {
		lines = append(lines, "an account that exists already is not created, but it is added to its groups too")
	}
	return append(lines, "a membership that lasts longer is never shortened; confirmed is skipped for an account that is autoconfirmed")
}

// reasonLines say which reasons the run makes public, and that they are.
func reasonLines(conf job.Confirmation) []string {
	runs := conf.Reason
	if runs == "" {
		runs = "(none)"
	}
	where := "new-users log"
	switch {
	case conf.Grant:
		where = "rights log"
	case conf.GroupsAsked:
		where = "new-users and rights logs"
	}
	if conf.DistinctReasons == 0 {
		return []string{runs, "public: anyone can read it in the wiki's " + where + ", and it cannot be removed"}
	}
	var lines []string
	for _, r := range conf.Reasons {
		lines = append(lines, fmt.Sprintf("%q (%s)", r.Reason, rowsOf(r.Rows)))
	}
	if conf.WithoutReason > 0 {
		lines = append(lines, fmt.Sprintf("%s (--reason, %s)", runs, rowsOf(conf.WithoutReason)))
	}
	if more := conf.DistinctReasons - len(conf.Reasons); more > 0 {
		lines = append(lines, fmt.Sprintf("… and %d more reasons from the sheet's %q column", more, conf.ReasonColumn))
	}
	return append(lines, "public: anyone can read them in the wiki's "+where+", and they cannot be removed")
}

func rowsOf(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// say prints unless --quiet.
func (o runOptions) say(w io.Writer, format string, a ...any) {
	if !o.Quiet {
		fmt.Fprintf(w, format, a...)
	}
}
