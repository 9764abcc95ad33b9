package provision

import (
	"errors"
	"time"

	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/report"
)

// Facts are what the engine knows about a decided row besides its columns.
// The program driving the engine words its advice from them (Deps.Advise):
// the engine states what happened, the command line says which of its
// flags to reach for.
type Facts struct {
	// Stop is set on a pending row: what stopped the run before the row was
	// decided (ErrInterrupted, a *WaitLimitError, a *CreatorError or a
	// *RecordError).
	Stop error
	// Offline: decided by a dry run that did not ask the wiki.
	Offline bool
}

// ErrInterrupted is returned by Run when its context was cancelled (Ctrl-C):
// the rows not yet decided are pending.
var ErrInterrupted = errors.New("interrupted")

// RecordError stops a run: a decided row could not be recorded, and no
// account may be created without its row. Created counts the accounts the
// run created whose rows are not in the record (their requests were in
// flight, or their rows were in the write that failed).
type RecordError struct {
	Err     error
	Created int
}

func (e *RecordError) Error() string { return "the results file cannot be written: " + e.Err.Error() }
func (e *RecordError) Unwrap() error { return e.Err }

// mayExistNote ends the message of a row whose answer was lost.
const mayExistNote = "; an attempt got no answer, so the wiki may have created this account"

// rowFor is the results row of account a with outcome o: the one place a
// row is made from an account. The name the wiki answered with wins over
// the one the rules predicted.
func rowFor(a *Account, o classify.Outcome, attempts int, at time.Time) report.Row {
	canonical := o.Canonical
	if canonical == "" {
		canonical = a.Canonical
	}
	return report.Row{Line: a.Line, Username: a.Username, Canonical: canonical, Status: o.Status,
		Code: o.Code, Message: o.Message, Attempts: attempts, FinishedAt: report.Timestamp{Time: at}}
}

// pendingRow is the row of an account the run stopped before deciding.
func pendingRow(a *Account, stop error, mayExist bool, attempts int, at time.Time) decided {
	why := pendingWhy(stop)
	if mayExist {
		why += mayExistNote
	}
	code := "pending"
	var ce *CreatorError
	if errors.As(stop, &ce) {
		code = ce.Code
	}
	return decided{seq: a.Seq, row: rowFor(a, classify.Outcome{Status: report.Pending, Code: code, Message: why}, attempts, at),
		facts: Facts{Stop: stop}}
}

// pendingWhy states why a row is pending.
func pendingWhy(stop error) string {
	var wl *pacer.WaitLimitError
	var ce *CreatorError
	switch {
	case errors.As(stop, &wl):
		return wl.Error()
	case errors.As(stop, &ce):
		return "the run stopped before this row was decided: " + ce.rowWhy()
	case errors.Is(stop, ErrInterrupted):
		return "the run was interrupted before this row was sent"
	}
	return "stopped: " + stop.Error()
}

// problemRow is the row of an account the plan found a problem with.
func problemRow(a *Account, at time.Time) report.Row {
	st := report.Invalid
	if a.Problem.Duplicate {
		st = report.Duplicate
	}
	return rowFor(a, classify.Outcome{Status: st, Code: a.Problem.Code, Message: a.Problem.Message}, 0, at)
}
