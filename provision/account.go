// Package provision is the engine of mwprovision: it reads a sheet of
// accounts, checks each row offline, and creates the accounts on a MediaWiki
// wiki through the Action API with a pool of workers that share one pacer.
//
// The engine never prints. It reports through the Reporter interface and
// writes results through a Sink; the command line decides how to show them.
package provision

// Account is one data row of the input sheet.
type Account struct {
	// Seq is the 0-based index of the data row; results are written in Seq order.
	Seq int
	// Line is the line number in the sheet where the row starts (the header is line 1).
	Line int

	Username  string // as written in the sheet
	Canonical string // as MediaWiki would store it; empty when the name is invalid
	Email     string
	RealName  string
	Reason    string
	Password  string // secret: never logged, never written to results
	// Groups and Expiry are the sheet's groups and expiry columns, as
	// written; Grants are what they and the run's groups resolve to.
	Groups string
	Expiry string
	Grants []Grant
	// GrantProblem says why the groups of a row an earlier run decided
	// cannot be added (an expiry in the past, a group the creator may not
	// add); the row keeps its outcome.
	GrantProblem *Problem

	// Problem is set when the row can be decided offline (invalid, duplicate).
	Problem *Problem
}

// Problem says why a row cannot be created, in the words a user reads:
// Code is stable and machine-readable, Message says what is wrong and what to do.
type Problem struct {
	Code    string
	Message string
	// Duplicate is true when the row repeats an earlier row after
	// canonicalization; FirstLine is that earlier row's line.
	Duplicate bool
	FirstLine int
}

func (p *Problem) Error() string { return p.Code + ": " + p.Message }
