package provision

import (
	"fmt"
	"hash/maphash"

	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/names"
	"github.com/mwprovision/mwprovision/provision/sheet"
)

// Checker applies every check that needs no wiki, in sheet order: the
// username rules, the fields the mode needs, and duplicates within the sheet.
// It keeps one map entry per creatable name, so it streams any sheet.
type Checker struct {
	MailPassword bool
	// Carried, when set, names the accounts an earlier run already created
	// or found: their fields are not checked, as a field the sheet lacks
	// now (an email removed since) no longer matters.
	Carried func(canonical string) bool
	// Groups are the groups the run adds accounts to; nil: none but a
	// sheet's groups column.
	Groups *groups.Options
	// GrantOnly: the run creates nothing, it adds existing accounts to
	// groups: a row needs no email or password, but a group.
	GrantOnly bool
	// Names are the wiki's rules for names (its language); zero: an
	// English wiki's.
	Names names.Rules
	// seen maps a 128-bit hash of each claimed canonical name to the line
	// of the row that claimed it: 24 bytes a name instead of the name
	// itself, for million-row sheets. Two independently seeded 64-bit
	// hashes make a collision (a false duplicate) a 1-in-10^25 event for a
	// million names.
	seen         map[nameKey]int32
	seedA, seedB maphash.Seed
}

type nameKey struct{ a, b uint64 }

// NewChecker returns a Checker for the given mode.
func NewChecker(mailPassword bool) *Checker {
	return &Checker{MailPassword: mailPassword, seen: map[nameKey]int32{}, seedA: maphash.MakeSeed(), seedB: maphash.MakeSeed()}
}

// Check sets a.Canonical and, when the row cannot be created, a.Problem.
// Only a row that passes every other check claims its name, so a later row
// for the same person with the typo fixed is still created.
func (c *Checker) Check(a *Account) {
	if a.Problem != nil {
		return
	}
	canonical, p := c.Names.Canonical(a.Username)
	if p != nil {
		a.Problem = p
		return
	}
	a.Canonical = canonical
	carried := c.Carried != nil && c.Carried(canonical)
	if !carried {
		if p := c.fieldProblem(a); p != nil {
			a.Problem = p
			return
		}
	}
	if p := c.grantProblem(a, carried); p != nil {
		if !carried {
			a.Problem = p
			return
		}
		// An earlier run decided the account: the row keeps that, and
		// says what stops its groups.
		a.GrantProblem = p
	}
	c.claim(a)
}

// grantProblem resolves a's groups into a.Grants, or says why it cannot.
// A row an earlier run decided needs no group of its own.
func (c *Checker) grantProblem(a *Account, carried bool) *sheet.Problem {
	g := c.Groups
	if g == nil {
		g = &groups.Options{}
	}
	grants, p := g.Grants(a.Groups, a.Expiry)
	if p == nil && c.GrantOnly && len(grants) == 0 && !carried {
		p = &sheet.Problem{Code: "no-groups", Message: "no group to add: the row's groups cell is empty and the run adds none"}
	}
	a.Grants = grants
	return p
}

// claim takes a's name for its row, or marks a a duplicate of the row that
// took it.
func (c *Checker) claim(a *Account) {
	key := nameKey{maphash.String(c.seedA, a.Canonical), maphash.String(c.seedB, a.Canonical)}
	if first, ok := c.seen[key]; ok {
		a.Problem = &sheet.Problem{Code: "duplicate", Duplicate: true, FirstLine: int(first),
			Message: fmt.Sprintf("repeats line %d (both are %q on the wiki)", first, a.Canonical)}
		return
	}
	c.seen[key] = int32(a.Line)
}

func (c *Checker) fieldProblem(a *Account) *sheet.Problem {
	if c.GrantOnly {
		return nil
	}
	switch {
	case c.MailPassword && a.Email == "":
		return &sheet.Problem{Code: "missing-email", Message: "no email address: the wiki mails each new user a temporary password, so every row needs one"}
	case a.Email != "" && !names.ValidEmail(a.Email):
		return &sheet.Problem{Code: "invalid-email", Message: fmt.Sprintf("%q is not an email address MediaWiki accepts; correct it", a.Email)}
	case !c.MailPassword && a.Password == "":
		return &sheet.Problem{Code: "missing-password", Message: "no password: when the wiki does not mail passwords, every row needs one"}
	}
	return nil
}
