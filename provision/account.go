// Package provision is the engine of mwprovision: it reads a sheet of
// accounts, checks each row offline, and creates the accounts on a MediaWiki
// wiki through the Action API with a pool of workers that share one pacer.
//
// The engine never prints. It reports through the Reporter interface and
// writes results through a Sink; the command line decides how to show them.
package provision

import (
	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/sheet"
)

// Account is one data row of the input sheet, as the plan decides it.
type Account struct {
	sheet.Row
	Canonical string // as MediaWiki would store it; empty when the name is invalid
	// Grants are what the row's groups and expiry cells and the run's
	// groups resolve to.
	Grants []groups.Grant
	// GrantProblem says why the groups of a row an earlier run decided
	// cannot be added (an expiry in the past, a group the creator may not
	// add); the row keeps its outcome.
	GrantProblem *sheet.Problem
}
