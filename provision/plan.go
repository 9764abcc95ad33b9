package provision

import (
	"context"
	"io"
	"iter"

	"github.com/mwprovision/mwprovision/report"
)

// PlanOptions say how the rows of a sheet are decided.
type PlanOptions struct {
	// MailPassword: the wiki mails each new user a temporary password, so
	// every row needs an email; otherwise every row needs a password.
	MailPassword bool
	// Offline: a dry run without a wiki. A row that passes every offline
	// check would be created.
	Offline bool
	// Previous is what earlier runs of this sheet recorded: a row decided
	// created or exists there is carried over and not sent again. Nil when
	// the run does not resume.
	Previous *report.Previous
	// Columns choose, by field name, the column that feeds a field where
	// the header does not say it alone (see NewSheet).
	Columns map[string]string
}

// Plan is what a run will do with each row of a sheet, decided before
// anything is sent. ReadPlan reads the sheet once; the confirmation shows
// the plan's counts, and Run carries out the same decisions on the same
// bytes, so what was shown is what happens.
type Plan struct {
	Ignored     []string // header columns mwprovision does not read
	HasPassword bool     // the sheet has a password column
	Counts      PlanCounts
	Preview     Preview

	opts PlanOptions
	src  snapshot
}

// PlanCounts count a plan's rows by what happens to them.
type PlanCounts struct {
	Rows int // data rows of the sheet
	// ToCreate are the rows that pass every offline check and that no
	// earlier run decided: created in a run, predicted in a dry run.
	ToCreate int
	Carried  int // rows an earlier run decided (PlanOptions.Previous)
	// Unmatched are the rows the previous results decided for good that
	// match no row of the sheet now (a name corrected since, another
	// sheet's results): they are in no row of the new results.
	Unmatched int
}

// verdict is what the plan decides for a row before anything is sent.
type verdict int

const (
	send        verdict = iota // to the wiki: created in a run, checked in a dry run
	problem                    // invalid or duplicate (Account.Problem says which)
	carried                    // decided by an earlier run
	wouldCreate                // a dry run without a wiki: passes every offline check
)

// step is one data row of the sheet and the plan's verdict on it.
type step struct {
	Account
	verdict verdict
}

// ReadPlan reads a sheet from in and decides what happens to each row.
// Run reads a regular file again: keep it open until Run returns. An error that
// makes the sheet unusable is a *SheetError; a cancelled ctx stops the read.
func ReadPlan(ctx context.Context, in io.Reader, opts PlanOptions) (*Plan, error) {
	p := &Plan{opts: opts}
	r, err := p.src.record(in)
	if err != nil {
		return nil, err
	}
	sh, err := NewSheet(r, opts.Columns)
	if err != nil {
		return nil, err
	}
	p.Ignored, p.HasPassword = sh.Ignored, sh.Column("password") >= 0
	p.Preview = newPreview(sh, sh.rowsIn(p.src.expect))
	for st, err := range p.steps(sh) {
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return nil, err
		}
		p.Counts.Rows++
		switch st.verdict {
		case send, wouldCreate:
			p.Counts.ToCreate++
		case carried:
			p.Counts.Carried++
		}
		p.Preview.add(&st)
	}
	p.Preview.finish()
	if prev := opts.Previous; prev != nil {
		for _, r := range prev.Rows {
			if r.Status.Final() {
				p.Counts.Unmatched++
			}
		}
		p.Counts.Unmatched -= p.Counts.Carried
	}
	return p, nil
}

// Previous is what the earlier runs the plan continues recorded, or nil.
func (p *Plan) Previous() *report.Previous { return p.opts.Previous }

// Verify checks that the sheet is still what the plan read: nil, or
// ErrSheetChanged.
func (p *Plan) Verify() error { return p.src.verify() }

// reopen reads the sheet again for the run, after checking that it is
// still what the plan read.
func (p *Plan) reopen() (*Sheet, error) {
	if err := p.src.verify(); err != nil {
		return nil, err
	}
	return NewSheet(p.src.reader(), p.opts.Columns)
}

// steps yields the rows of sh with their verdicts, in sheet order.
func (p *Plan) steps(sh *Sheet) iter.Seq2[step, error] {
	return func(yield func(step, error) bool) {
		check := NewChecker(p.opts.MailPassword)
		check.Carried = p.carried
		for {
			a, err := sh.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(step{}, err)
				return
			}
			if !yield(p.decide(a, check), nil) {
				return
			}
		}
	}
}

// decide is the plan's one rule for a row: a problem found offline, a row
// an earlier run already decided, a prediction without a wiki, or a
// request to the wiki.
func (p *Plan) decide(a Account, check *Checker) step {
	check.Check(&a)
	switch {
	case a.Problem != nil:
		return step{a, problem}
	case p.carried(a.Canonical):
		return step{a, carried}
	case p.opts.Offline:
		return step{a, wouldCreate}
	}
	return step{a, send}
}

// carried reports whether an earlier run the plan continues created or
// found the account named canonical.
func (p *Plan) carried(canonical string) bool {
	return p.opts.Previous != nil && canonical != "" && p.opts.Previous.Rows[canonical].Status.Final()
}

// previous is the row an earlier run decided for a carried step, moved to
// the step's line.
func (p *Plan) previous(st *step) report.Row {
	r := p.opts.Previous.Rows[st.Canonical]
	r.Line, r.Username = st.Line, st.Username
	return r
}
