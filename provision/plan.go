package provision

import (
	"context"
	"io"
	"iter"
	"slices"

	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/names"
	"github.com/mwprovision/mwprovision/provision/sheet"
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
	// the header does not say it alone (see sheet.New).
	Columns map[string]string
	// Groups are the groups the run adds accounts to, besides a sheet's
	// groups column.
	Groups groups.Options
	// GrantOnly: the run creates nothing; it adds the existing accounts
	// of the sheet to groups.
	GrantOnly bool
	// Names are the wiki's rules for names, from its language (zero: an
	// English wiki's).
	Names names.Rules
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
	src  sheet.Snapshot
	// groupsColumn: the sheet has a groups column; sheetGroups are the
	// groups it names.
	groupsColumn bool
	sheetGroups  []string
	// confirmed is the longest membership of confirmed the rows to send
	// ask for (CheckNorms).
	confirmed longest
}

// PlanCounts count a plan's rows by what happens to them.
type PlanCounts struct {
	Rows int // data rows of the sheet
	// ToCreate are the rows that pass every offline check and that no
	// earlier run decided: created in a run, predicted in a dry run.
	ToCreate int
	// ToGrant are the rows whose account is only added to groups: every
	// row to send when the run creates nothing, and, resuming, the rows
	// an earlier run decided whose groups are not all done.
	ToGrant int
	Carried int // rows an earlier run decided for good (PlanOptions.Previous)
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
	regrant                    // decided by an earlier run, but its groups are not all done
)

// step is one data row of the sheet and the plan's verdict on it.
type step struct {
	Account
	verdict verdict
}

// ReadPlan reads a sheet from in and decides what happens to each row.
// Run reads a regular file again: keep it open until Run returns. An error that
// makes the sheet unusable is a *SheetError; a run that adds confirmed
// with no expiry, from the run or the sheet's column, is groups.ErrNoExpiry;
// a cancelled ctx stops the read.
func ReadPlan(ctx context.Context, src sheet.Source, opts PlanOptions) (*Plan, error) {
	p := &Plan{opts: opts}
	r, err := p.src.Record(src)
	if err != nil {
		return nil, err
	}
	sh, err := sheet.New(r, opts.Columns)
	if err != nil {
		return nil, err
	}
	if err := opts.Groups.CheckExpiry(sh.Column("expiry") >= 0); err != nil {
		return nil, err
	}
	p.Ignored, p.HasPassword = sh.Ignored, sh.Column("password") >= 0
	p.groupsColumn = sh.Column("groups") >= 0
	if err := p.count(ctx, sh); err != nil {
		return nil, err
	}
	return p, nil
}

// count decides every row of sh and counts the verdicts.
func (p *Plan) count(ctx context.Context, sh *sheet.Sheet) error {
	p.Counts = PlanCounts{}
	p.Preview = newPreview(sh, sh.RowsIn(p.src.Expect()), p.opts.Names)
	p.sheetGroups, p.confirmed = nil, longest{}
	matched := 0
	for st, err := range p.steps(sh) {
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return err
		}
		p.Counts.Rows++
		switch {
		case st.verdict == send && p.opts.GrantOnly:
			p.Counts.ToGrant++
		case st.verdict == send, st.verdict == wouldCreate:
			p.Counts.ToCreate++
		case st.verdict == carried:
			p.Counts.Carried++
			matched++
		case st.verdict == regrant:
			p.Counts.ToGrant++
			matched++
		}
		if st.verdict == send || st.verdict == regrant {
			p.confirmed.note(&st.Account, groups.Confirmed)
		}
		if st.verdict != problem && st.Groups != "" {
			// The row's groups, as the checker resolved them (the run's
			// too: the pre-flight refuses those it may not add anyway).
			for _, g := range st.Grants {
				if len(p.sheetGroups) < maxSheetGroups && !slices.Contains(p.sheetGroups, g.Group) {
					p.sheetGroups = append(p.sheetGroups, g.Group)
				}
			}
		}
		p.Preview.add(&st)
	}
	p.Preview.finish()
	if prev := p.opts.Previous; prev != nil {
		for _, r := range prev.Rows {
			if r.Status.Final() {
				p.Counts.Unmatched++
			}
		}
		p.Counts.Unmatched -= matched
	}
	return nil
}

// maxSheetGroups bounds the distinct groups a plan keeps from a sheet's
// groups column.
const maxSheetGroups = 100

// ToSend counts the rows the run sends to the wiki: to create, or to add
// to groups.
func (c PlanCounts) ToSend() int { return c.ToCreate + c.ToGrant }

// Groups are the groups the run may add accounts to: the run's, then
// those of the sheet's groups column (up to 100), in order of first use.
func (p *Plan) Groups() []string {
	out := slices.Clone(p.opts.Groups.Add)
	for _, g := range p.sheetGroups {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// GroupsAsked reports whether the run adds accounts to groups: by the
// run's own, or through the sheet's groups column.
func (p *Plan) GroupsAsked() bool { return len(p.opts.Groups.Add) > 0 || p.groupsColumn }

// Restrict tells the plan which groups the creator may add, as the
// pre-flight learned (and why they are so few, when known): a row whose groups cell names another is a problem
// (the wiki would ignore that group in silence). The rows are decided
// again when a group of the sheet is not among them.
func (p *Plan) Restrict(ctx context.Context, addable []string, why string) error {
	p.opts.Groups.Addable, p.opts.Groups.AddableWhy = addable, why
	all := len(p.sheetGroups) < maxSheetGroups // else some were not kept
	if all && !slices.ContainsFunc(p.sheetGroups, func(g string) bool { return !slices.Contains(addable, g) }) {
		return nil
	}
	sh, err := p.reopen()
	if err != nil {
		return err
	}
	return p.count(ctx, sh)
}

// Previous is what the earlier runs the plan continues recorded, or nil.
func (p *Plan) Previous() *report.Previous { return p.opts.Previous }

// Verify checks that the sheet is still what the plan read: nil, or
// ErrSheetChanged.
func (p *Plan) Verify() error { return p.src.Verify() }

// reopen reads the sheet again for the run, after checking that it is
// still what the plan read.
func (p *Plan) reopen() (*sheet.Sheet, error) {
	if err := p.src.Verify(); err != nil {
		return nil, err
	}
	return sheet.New(p.src.Reader(), p.opts.Columns)
}

// steps yields the rows of sh with their verdicts, in sheet order.
func (p *Plan) steps(sh *sheet.Sheet) iter.Seq2[step, error] {
	return func(yield func(step, error) bool) {
		check := NewChecker(p.opts.MailPassword)
		check.Carried = p.carried
		check.Groups, check.GrantOnly, check.Names = &p.opts.Groups, p.opts.GrantOnly, p.opts.Names
		for {
			a, err := sh.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(step{}, err)
				return
			}
			if !yield(p.decide(Account{Row: a}, check), nil) {
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
	case p.carried(a.Canonical) && a.GrantProblem == nil && !p.opts.Offline && !p.grantsDone(&a):
		return step{a, regrant}
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

// grantsDone reports whether the earlier run that decided a's account
// did everything its grants ask.
func (p *Plan) grantsDone(a *Account) bool {
	prev := p.opts.Previous.Rows[a.Canonical].Groups
	for _, g := range a.Grants {
		if !prev.Done(g.Group) {
			return false
		}
	}
	return true
}

// previous is the row an earlier run decided for a carried step, moved to
// the step's line. A group that cannot be added now is the row's problem.
func (p *Plan) previous(st *step) report.Row {
	r := p.opts.Previous.Rows[st.Canonical]
	r.Line, r.Username = st.Line, st.Username
	if gp := st.GrantProblem; gp != nil {
		r.Code, r.Message = gp.Code, gp.Message
		// The groups asked now cannot be added; the others keep what the
		// earlier run recorded.
		r.Groups = append(groups.Except(r.Groups, st.Grants), groups.GroupResults(st.Grants, report.GrantFailed)...)
	}
	return r
}
