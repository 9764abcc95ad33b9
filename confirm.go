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
)

// What the run says before it starts: warnings about the sheet and the
// creator, and — accounts can never be deleted — the confirmation.

// warnAboutSheet warns of what the sheet and the flags leave unused, and
// of rows that share an email.
func (o *runOptions) warnAboutSheet(stderr io.Writer, plan *provision.Plan) {
	if len(plan.Ignored) > 0 {
		fmt.Fprintf(stderr, "warning: ignoring columns %s (mwprovision reads username, email, realname, reason, password, groups, expiry; --column FIELD=COLUMN chooses one)\n", strings.Join(plan.Ignored, ", "))
	}
	if o.MailPassword && plan.HasPassword {
		fmt.Fprintln(stderr, "warning: the password column is ignored because --mailpassword is on (the wiki mails each user a temporary password); use --mailpassword=false to set these passwords")
	}
	if o.User != "" && !strings.Contains(o.User, "@") {
		fmt.Fprintln(stderr, "warning: --user has no @AppName: logging in with a main account password is deprecated; make a bot password on Special:BotPasswords")
	}
	if o.Contact == "" && o.API != "" && !isLoopback(o.API) {
		fmt.Fprintln(stderr, "warning: no --contact: Wikimedia's User-Agent policy asks for an email or user page so that the wiki's operators can reach you")
	}
	pv := plan.Preview
	for _, e := range pv.SharedEmails {
		fmt.Fprintf(stderr, "warning: line %d has the same email as line %d: allowed, as a family may share an address, but check that nobody signed up twice\n",
			e.Line, e.FirstLine)
	}
	if more := pv.SharedEmailRows - len(pv.SharedEmails); more > 0 {
		fmt.Fprintf(stderr, "warning: … and %d more rows have the email of an earlier row\n", more)
	}
}

// showColumns says which column feeds each field, with its first value.
func showColumns(w io.Writer, label string, cols []provision.ColumnUse) {
	for _, c := range cols {
		fmt.Fprintf(w, "%s%-8s ← %q", label, c.Field, c.Column)
		if c.Sample != "" {
			fmt.Fprintf(w, " (%s)", c.Sample)
		}
		fmt.Fprintln(w)
		label = strings.Repeat(" ", len(label))
	}
}

// warnAboutCreator says what the pre-flight found that a run will feel:
// the wiki's per-IP throttle, and names checked anonymously.
func (o *runOptions) warnAboutCreator(stderr io.Writer, c *provision.Creator, plan *provision.Plan) {
	if c.Blocked != "" {
		fmt.Fprintf(stderr, "warning: %s %s; the block lets it create accounts\n", c.Name, c.Blocked)
	}
	if !c.NoRateLimit {
		limit := "its limit is not known until the wiki first refuses; the run then estimates from the wiki's own count and window"
		if c.Wikimedia {
			limit = "on Wikimedia wikis, 6 accounts a day"
		}
		fmt.Fprintf(stderr, "warning: %s lacks the noratelimit right, so the wiki's per-IP account creation throttle applies "+
			"(%s); a run waits for each window, up to --max-wait %s. "+
			"To lift it, ask for the event coordinator or account creator right, or for a temporary lift of the IP cap for the event\n",
			c.Name, limit, o.MaxWait)
		if need := wikimediaTime(plan.Counts.ToCreate); c.Wikimedia && !o.DryRun && need > o.MaxWait {
			fmt.Fprintf(stderr, "warning: at Wikimedia's 6 accounts a day, %d accounts take about %s, more than --max-wait %s: "+
				"the run will create what the wiki allows and leave the rest pending for a later run\n", plan.Counts.ToCreate, need.Round(time.Hour), o.MaxWait)
		}
	}
	if o.DryRun && len(c.Overrides) > 0 {
		fmt.Fprintf(stderr, "note: %s holds %s, which the wiki's cancreate check honours but its createaccount does not; "+
			"the names are checked as an anonymous visitor, as the wiki will judge them in the run\n",
			c.Name, strings.Join(c.Overrides, ", "))
	}
}

// wikimediaTime is how long n creations take at Wikimedia's default of 6
// accounts per IP per day.
func wikimediaTime(n int) time.Duration {
	return time.Duration((n+5)/6-1) * 24 * time.Hour
}

// announce says what kind of run starts, or — for a run that creates
// accounts — asks for confirmation.
func (o *runOptions) announce(ctx context.Context, s *streams, plan *provision.Plan, c *provision.Creator) error {
	switch {
	case o.DryRun && o.API == "":
		o.say(s.err, "dry run, offline: checking the sheet only (give --api to check the names against the wiki)\n")
	case o.DryRun && c == nil:
		o.say(s.err, "dry run: checking the names against the wiki (give --user to check the creator too)\n")
	case o.DryRun:
		o.say(s.err, "dry run: checking the names against the wiki; nothing will be created\n")
	case plan.Counts.ToSend() > 0 && !o.Yes:
		return o.confirm(ctx, s, plan, c)
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

// confirm shows what is about to happen and asks — accounts can never be
// deleted. Without a terminal to ask on it refuses, unless --yes was given.
func (o *runOptions) confirm(ctx context.Context, s *streams, plan *provision.Plan, c *provision.Creator) error {
	if !s.interactive() {
		return errors.New("accounts can never be deleted, so mwprovision asks before creating them, and there is no terminal to ask on; check the sheet with --dry-run, then run again with --yes")
	}
	n := plan.Counts.ToCreate
	if o.grant {
		n = plan.Counts.ToGrant
		fmt.Fprintf(s.err, "\nAbout to add accounts to groups; nothing is created.\n"+
			"  wiki:     %s (%s)\n  creator:  %s\n  accounts: %d existing to add to groups (%d other rows need no request): %s\n",
			cmp.Or(c.SiteName, o.API), o.API, o.creatorName(c), n, plan.Counts.Rows-n, firstNames(plan, n))
	} else {
		fmt.Fprintf(s.err, "\nAbout to create accounts. Accounts can never be deleted.\n"+
			"  wiki:     %s (%s)\n  creator:  %s\n  accounts: %d to create (%d other rows need no request): %s\n",
			cmp.Or(c.SiteName, o.API), o.API, o.creatorName(c), n, plan.Counts.Rows-n, firstNames(plan, n))
		if ex := o.existing; ex != nil && ex.Count > 0 {
			fmt.Fprintf(s.err, "  existing: %d of these exist already, so %d are created; the %d are only added to their groups: %s\n",
				ex.Count, n-ex.Count, ex.Count, listMore(ex.First, ex.Count))
		}
		if g := plan.Counts.ToGrant; g > 0 {
			fmt.Fprintf(s.err, "            and %d accounts an earlier run created or found, whose groups are not all added yet\n", g)
		}
	}
	showColumns(s.err, "  columns:  ", plan.Preview.Columns)
	label := "groups:"
	for _, line := range o.groupLines(plan) {
		fmt.Fprintf(s.err, "  %-10s%s\n", label, line)
		label = ""
	}
	if !o.grant {
		mode := "the wiki mails each new user a temporary password"
		if !o.MailPassword {
			mode = "passwords from the sheet (no mail)"
		}
		fmt.Fprintf(s.err, "  mail:     %s\n", mode)
	}
	label = "reason:"
	for _, line := range o.reasonLines(plan) {
		fmt.Fprintf(s.err, "  %-10s%s\n", label, line)
		label = ""
	}
	switch {
	case o.grant:
		fmt.Fprintf(s.err, "\nAdd %d accounts to groups? [y/N] ", n)
	case n == 0:
		fmt.Fprintf(s.err, "\nAdd %d accounts to groups? [y/N] ", plan.Counts.ToGrant)
	case o.existing != nil && o.existing.Count > 0:
		fmt.Fprintf(s.err, "\nCreate %d accounts, and add them and %d existing accounts to groups? [y/N] ", n-o.existing.Count, o.existing.Count)
	case plan.GroupsAsked():
		fmt.Fprintf(s.err, "\nCreate %d accounts and add them to groups? [y/N] ", n)
	default:
		fmt.Fprintf(s.err, "\nCreate %d accounts? [y/N] ", n)
	}
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

// firstNames are the first of the n accounts to send, as the wiki will
// name them.
func firstNames(plan *provision.Plan, n int) string { return listMore(plan.Preview.First, n) }

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
func (o *runOptions) groupLines(plan *provision.Plan) []string {
	if !plan.GroupsAsked() {
		return nil
	}
	var lines []string
	for _, g := range plan.Preview.Grants {
		until := "until " + g.Until.Format("2 January 2006, 15:04 UTC")
		if g.Until.IsZero() {
			until = "permanently"
		}
		lines = append(lines, fmt.Sprintf("%s %s (%s)", g.Group, until, rowsOf(g.Rows)))
	}
	if len(lines) == 0 {
		lines = append(lines, "none (no row to send asks for a group)")
	}
	if !o.grant {
		lines = append(lines, "an account that exists already is not created, but it is added to its groups too")
	}
	return append(lines, "a membership that lasts longer is never shortened; confirmed is skipped for an account that is autoconfirmed")
}

// reasonLines say which reasons the run makes public, and that they are.
func (o *runOptions) reasonLines(plan *provision.Plan) []string {
	pv := plan.Preview
	runs := o.Reason
	if runs == "" {
		runs = "(none)"
	}
	where := "new-users log"
	switch {
	case o.grant:
		where = "rights log"
	case plan.GroupsAsked():
		where = "new-users and rights logs"
	}
	if pv.DistinctReasons == 0 {
		return []string{runs, "public: anyone can read it in the wiki's " + where + ", and it cannot be removed"}
	}
	var lines []string
	for _, r := range pv.Reasons {
		lines = append(lines, fmt.Sprintf("%q (%s)", r.Reason, rowsOf(r.Rows)))
	}
	if pv.WithoutReason > 0 {
		lines = append(lines, fmt.Sprintf("%s (--reason, %s)", runs, rowsOf(pv.WithoutReason)))
	}
	if more := pv.DistinctReasons - len(pv.Reasons); more > 0 {
		lines = append(lines, fmt.Sprintf("… and %d more reasons from the sheet's %q column", more, reasonColumn(pv)))
	}
	return append(lines, "public: anyone can read them in the wiki's "+where+", and they cannot be removed")
}

func reasonColumn(pv provision.Preview) string {
	for _, c := range pv.Columns {
		if c.Field == "reason" {
			return c.Column
		}
	}
	return "reason"
}

func rowsOf(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// creatorName is the creator's account with the login that acts for it.
func (o *runOptions) creatorName(c *provision.Creator) string {
	return fmt.Sprintf("%s (%s)", c.Name, cmp.Or(o.User, "OAuth token"))
}

// say prints unless --quiet.
func (o *runOptions) say(w io.Writer, format string, a ...any) {
	if !o.Quiet {
		fmt.Fprintf(w, format, a...)
	}
}
