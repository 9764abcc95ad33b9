package provision

import "fmt"

// Checker applies every check that needs no wiki, in sheet order: the
// username rules, the fields the mode needs, and duplicates within the sheet.
// It keeps one map entry per creatable name, so it streams any sheet.
type Checker struct {
	MailPassword bool
	seen         map[string]int // canonical name → line of the row that claimed it
}

// NewChecker returns a Checker for the given mode.
func NewChecker(mailPassword bool) *Checker {
	return &Checker{MailPassword: mailPassword, seen: map[string]int{}}
}

// Check sets a.Canonical and, when the row cannot be created, a.Problem.
// Only a row that passes every other check claims its name, so a later row
// for the same person with the typo fixed is still created.
func (c *Checker) Check(a *Account) {
	if a.Problem != nil {
		return
	}
	canonical, p := CanonicalUsername(a.Username)
	if p != nil {
		a.Problem = p
		return
	}
	a.Canonical = canonical
	if p := c.fieldProblem(a); p != nil {
		a.Problem = p
		return
	}
	if first, ok := c.seen[canonical]; ok {
		a.Problem = &Problem{Code: "duplicate", Duplicate: true, FirstLine: first,
			Message: fmt.Sprintf("repeats line %d (both are %q on the wiki)", first, canonical)}
		return
	}
	c.seen[canonical] = a.Line
}

func (c *Checker) fieldProblem(a *Account) *Problem {
	switch {
	case c.MailPassword && a.Email == "":
		return &Problem{Code: "missing-email", Message: "no email address: the wiki mails each new user a temporary password, so every row needs one (or run with --mailpassword=false and a password column)"}
	case a.Email != "" && !ValidEmail(a.Email):
		return &Problem{Code: "invalid-email", Message: fmt.Sprintf("%q is not an email address MediaWiki accepts; correct it", a.Email)}
	case !c.MailPassword && a.Password == "":
		return &Problem{Code: "missing-password", Message: "no password: with --mailpassword=false every row needs a password (or leave mailpassword on and give an email)"}
	}
	return nil
}
