package provision

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mwprovision/mwprovision/provision/groups"
)

// The English Wikipedia's norm for event coordinators, which the wiki's
// software does not enforce: an event coordinator adds new accounts to
// confirmed for at most EventCoordinatorConfirmedDays, and always has the
// wiki mail each new account a random password.
const (
	EnglishWikipediaID            = "enwiki"
	EventCoordinatorGroup         = "eventcoordinator"
	EventCoordinatorPage          = "https://en.wikipedia.org/wiki/Wikipedia:Event_coordinator"
	EventCoordinatorConfirmedDays = 10
)

// NormBreach is how a run would break a wiki's norm for its creator: the
// facts of a PreflightError with the code PreflightNorm.
type NormBreach struct {
	Creator string // the creator's name
	Group   string // its group the norm is about
	Page    string // where the norm is written
	// Confirmed: the run adds accounts to confirmed for longer than
	// MaxDays, until Until (zero: permanently); Line is the first row
	// that asks for that, and FromCell says its expiry cell does (else
	// the run's expiry).
	Confirmed bool
	Until     time.Time
	Line      int
	FromCell  bool
	MaxDays   int
	// Passwords: the run gives the new accounts the sheet's passwords
	// instead of having the wiki mail each a random one.
	Passwords bool
}

// longest is the longest membership of a group that a plan's rows to send
// ask for.
type longest struct {
	asked    bool
	until    time.Time // zero: permanently
	line     int
	fromCell bool
}

// note takes the row a's grant of the group, when it is longer than the
// longest so far.
func (l *longest) note(a *Account, group string) {
	i := slices.IndexFunc(a.Grants, func(g groups.Grant) bool { return g.Group == group })
	if i < 0 {
		return
	}
	until := a.Grants[i].Until
	if l.asked && (l.until.IsZero() || !until.IsZero() && !until.After(l.until)) {
		return
	}
	*l = longest{asked: true, until: until, line: a.Line, fromCell: a.Expiry != ""}
}

// CheckNorms refuses a run that would break a norm the wiki sets its
// creator, before anything is sent: on the English Wikipedia, an event
// coordinator adds confirmed for at most 10 days, and has the wiki mail
// the passwords of the accounts it creates. The error is a
// *PreflightError with the code PreflightNorm and the facts in Norm.
func CheckNorms(plan *Plan, c *Creator) error {
	if c == nil || c.WikiID != EnglishWikipediaID || !slices.Contains(c.Groups, EventCoordinatorGroup) {
		return nil
	}
	b := NormBreach{Creator: c.Name, Group: EventCoordinatorGroup, Page: EventCoordinatorPage, MaxDays: EventCoordinatorConfirmedDays}
	if l := plan.confirmed; l.asked {
		now := plan.opts.Groups.Now
		if now.IsZero() {
			now = time.Now()
		}
		if l.until.IsZero() || l.until.After(now.AddDate(0, 0, b.MaxDays)) {
			b.Confirmed, b.Until, b.Line, b.FromCell = true, l.until, l.line, l.fromCell
		}
	}
	b.Passwords = !plan.opts.GrantOnly && !plan.opts.MailPassword && plan.Counts.ToCreate > 0
	if !b.Confirmed && !b.Passwords {
		return nil
	}
	return &PreflightError{Code: PreflightNorm, Msg: b.String(), Norm: &b}
}

// String states the breach in plain words.
func (b *NormBreach) String() string {
	var broken []string
	if b.Confirmed {
		until := "permanently"
		if !b.Until.IsZero() {
			until = "until " + b.Until.UTC().Format(time.RFC3339)
		}
		asks := "this run adds it " + until
		if b.FromCell {
			asks = fmt.Sprintf("line %d asks for it %s (its expiry cell)", b.Line, until)
		}
		broken = append(broken, fmt.Sprintf("confirmed is added for at most %d days, and %s", b.MaxDays, asks))
	}
	if b.Passwords {
		broken = append(broken, "the wiki mails each new account a random password, and this run gives them the sheet's passwords")
	}
	return fmt.Sprintf("%s is in the %s group on the English Wikipedia, whose norm for that group (%s) this run would break: %s",
		b.Creator, b.Group, b.Page, strings.Join(broken, "; "))
}
