package provision

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/report"
)

// grantOutcome is how a row's groups ended: what was done for each, and,
// when one failed, the code and message the row takes.
type grantOutcome struct {
	groups        report.Groups
	code, message string
	stop          error // the run stopped before the groups were done
}

// readUsers asks the wiki, read-only, about the accounts of names
// (list=users with usprop): what names a request in the log. users is nil
// when the request did not decide (t says why).
func (e *Engine) readUsers(ctx context.Context, log *zap.Logger, s *mwapi.Session, what string, line int, names []string, usprop string) ([]mwapi.UserAnswer, tried) {
	var users []mwapi.UserAnswer
	t := e.try(ctx, log, s, request{what: what, line: line, send: func(ctx context.Context) mwapi.Answer {
		return s.Users(ctx, names, usprop)
	}, classify: func(a mwapi.Answer) classify.Outcome {
		if o, done := classify.Envelope(a); done {
			return o
		}
		if a.Body.Query == nil {
			return classify.Outcome{Action: classify.Backoff, Code: "no-result", Message: "the wiki's answer has no query result"}
		}
		users = a.Body.Query.Users
		return classify.Outcome{Action: classify.Decide}
	}})
	if t.stop != nil || t.out.Status != "" {
		return nil, t
	}
	return users, t
}

// groupsProps are what list=users says about an account's groups: all of
// them (implicit ones too), and its memberships with their expiry.
const groupsProps = "groups|groupmemberships"

// answers are a list=users answer indexed by the wiki's spelling of each
// name; the only answer to a question about one name is that name's,
// however the wiki spells it.
type answers struct {
	byName map[string]mwapi.UserAnswer
	only   *mwapi.UserAnswer
}

// indexUsers indexes the answer to a question about asked names.
func indexUsers(users []mwapi.UserAnswer, asked int) answers {
	x := answers{byName: make(map[string]mwapi.UserAnswer, len(users))}
	for _, u := range users {
		x.byName[u.Name] = u
	}
	if asked == 1 && len(users) == 1 {
		x.only = &users[0]
	}
	return x
}

// find is the answer about name.
func (x answers) find(name string) (mwapi.UserAnswer, bool) {
	if u, ok := x.byName[name]; ok {
		return u, true
	}
	if x.only != nil {
		return *x.only, true
	}
	return mwapi.UserAnswer{}, false
}

// logGroups logs what was done for each group of a row.
func logGroups(log *zap.Logger, rs report.Groups) {
	for _, g := range rs {
		log.Info("group", zap.String("group", g.Group), zap.String("state", string(g.State)), zap.String("until", groups.ExpiryParam(g.Until)))
	}
}

// addGroups adds the account of a to a.Grants, as far as it needs: u is
// what the wiki said about the account, or nil to ask it now. Nothing is
// shortened; a group the wiki did not add is a failure of the row.
func (e *Engine) addGroups(ctx context.Context, w worker, a *Account, name, reason string, u *mwapi.UserAnswer) grantOutcome {
	s := w.s
	log := e.deps.Log.With(zap.Int("line", a.Line), zap.String("username", name), zap.Int("worker", w.id))
	if u == nil {
		users, t := e.readUsers(ctx, log, s, "read-groups", a.Line, []string{name}, groupsProps)
		if t.stop != nil {
			return grantOutcome{groups: groups.GroupResults(a.Grants, report.GrantPending), stop: e.stopCause(ctx, t)}
		}
		found, ok := indexUsers(users, 1).find(name)
		if users == nil || !ok {
			return e.grantFailed(log, a.Grants, nil, t.out, "the wiki did not say which groups the account holds")
		}
		u = &found
	}
	if u.Missing || u.Invalid {
		return e.grantFailed(log, a.Grants, nil, classify.Outcome{Code: "nosuchuser"}, fmt.Sprintf("there is no account %q on the wiki", name))
	}
	p := groups.PlanGrants(a.Grants, u.Groups, u.GroupMemberships)
	logGroups(log, p.Done)
	if len(p.Send) == 0 {
		return grantOutcome{groups: groups.InOrder(a.Grants, p.Done)}
	}
	if e.cfg.DryRun {
		return grantOutcome{groups: groups.InOrder(a.Grants, append(p.Done, groups.GroupResults(p.Send, report.GrantWould)...))}
	}
	var added []string
	t := e.try(ctx, log, s, request{what: "userrights", line: a.Line, send: func(ctx context.Context) mwapi.Answer {
		return s.UserRights(ctx, name, p.Send, reason)
	}, classify: func(ans mwapi.Answer) classify.Outcome {
		if o, done := classify.Envelope(ans); done {
			return o
		}
		if ans.Body.UserRights == nil {
			return classify.Outcome{Action: classify.Backoff, Code: "no-result", Message: "the wiki's answer has no userrights result", Ambiguous: true}
		}
		added = ans.Body.UserRights.Added
		return classify.Outcome{Action: classify.Decide}
	}})
	if t.stop != nil {
		return grantOutcome{groups: groups.InOrder(a.Grants, append(p.Done, groups.GroupResults(p.Send, report.GrantPending)...)), stop: e.stopCause(ctx, t)}
	}
	if t.out.Status != "" {
		return e.grantFailed(log, p.Send, p.Done, t.out, t.out.Message)
	}
	var missed, granted []groups.Grant
	for _, g := range p.Send {
		if slices.Contains(added, g.Group) {
			granted = append(granted, g)
		} else {
			missed = append(missed, g)
		}
	}
	logGroups(log, groups.GroupResults(granted, report.GrantAdded))
	results := append(p.Done, groups.GroupResults(granted, report.GrantAdded)...)
	if len(missed) > 0 {
		// An answer lost on the way, then the same request again: the
		// wiki answers that nothing changed. What it holds now decides.
		missed, results = e.heldNow(ctx, log, s, a.Line, name, missed, results)
	}
	if len(missed) == 0 {
		return grantOutcome{groups: groups.InOrder(a.Grants, results)}
	}
	out := e.grantFailed(log, missed, results, classify.Outcome{Code: "group-not-added"},
		"the wiki left them out of its answer and gave no reason: the creator may not add them there, or no such group exists")
	out.groups = groups.InOrder(a.Grants, out.groups)
	return out
}

// heldNow asks the wiki again which of the missed grants the account
// holds now as asked (or longer): those are done. It returns the grants
// still missed and the results with the others added.
func (e *Engine) heldNow(ctx context.Context, log *zap.Logger, s *mwapi.Session, line int, name string, missed []groups.Grant, results report.Groups) ([]groups.Grant, report.Groups) {
	users, _ := e.readUsers(ctx, log, s, "read-groups", line, []string{name}, groupsProps)
	u, ok := indexUsers(users, 1).find(name)
	if !ok {
		return missed, results
	}
	p := groups.PlanGrants(missed, nil, u.GroupMemberships)
	logGroups(log, p.Done)
	return p.Send, append(results, p.Done...)
}

// grantFailed is the outcome of a row whose grants failed, with done the
// groups already decided; why says what the wiki answered.
func (e *Engine) grantFailed(log *zap.Logger, failed []groups.Grant, done report.Groups, o classify.Outcome, why string) grantOutcome {
	code := o.Code
	if code == "" {
		code = "group-not-added"
	}
	names := make([]string, len(failed))
	for i, g := range failed {
		names[i] = g.Group
	}
	message := "not added to " + strings.Join(names, ", ") + ": " + why
	for _, g := range failed {
		log.Warn("group", zap.String("group", g.Group), zap.String("state", string(report.GrantFailed)), zap.String("code", code), zap.String("message", message))
	}
	return grantOutcome{groups: append(done, groups.GroupResults(failed, report.GrantFailed)...), code: code, message: message}
}

// apply puts the outcome of a row's groups into its row, after the groups
// it holds already (an earlier run's, which this one does not ask for): a
// failure takes the row's code and message, the status stays the
// account's.
func (g grantOutcome) apply(row *report.Row) {
	row.Groups = append(row.Groups, g.groups...)
	if g.code != "" {
		row.Code, row.Message = g.code, g.message
	}
	if g.stop != nil && row.Groups.Failed() {
		row.Message = strings.TrimPrefix(row.Message+"; ", "; ") + "the run stopped before its groups were added (" + g.stop.Error() + ")"
	}
}

// job is a row sent to a worker: to create, or only to add to groups —
// in a run that creates nothing, or, resuming, a row whose account an
// earlier run decided (prev) but whose groups are not all done.
type job struct {
	Account
	prev *report.Row
	// createsNone: the run creates nothing (grant), so an existing
	// account is what it expects, with no code.
	createsNone bool
}

// grantOnly reports whether the job only adds its account to groups.
func (j *job) grantOnly() bool { return j.createsNone || j.prev != nil }

// pending is the row of a job the run stopped before sending: an earlier
// run's row keeps its outcome, its groups not done.
func (j *job) pending(stop error, now time.Time) decided {
	if j.prev == nil {
		return pendingRow(&j.Account, stop, false, 0, now)
	}
	row := j.prevRow()
	grantOutcome{groups: groups.GroupResults(j.Grants, report.GrantPending), stop: stop}.apply(&row)
	return decided{seq: j.Seq, row: row, facts: Facts{Stop: stop}}
}

// prevRow is the earlier run's row of a job, the groups this run asks
// for to be redone: the others keep what the earlier run recorded — a
// resume never drops a fact its record holds. A code and message that
// were about the groups redone are dropped. An account a run that
// creates nothing found has no code; one a run found existing when it
// meant to create it keeps userexists.
func (j *job) prevRow() report.Row {
	row := *j.prev
	kept := groups.Except(row.Groups, j.Grants)
	if row.Groups.Failed() && !kept.Failed() {
		row.Code, row.Message = "", ""
		if row.Status == report.Exists && !j.createsNone {
			row.Code, row.Message = "userexists", "the account exists already"
		}
	}
	row.Groups = kept
	return row
}

// base is the row a grant-only job starts from: the earlier run's, its
// groups about to be redone, or the account found existing.
func (j *job) base(u mwapi.UserAnswer, attempts int, at time.Time) report.Row {
	if j.prev == nil {
		return rowFor(&j.Account, classify.Outcome{Status: report.Exists, Canonical: u.Name}, attempts, at)
	}
	return j.prevRow()
}

// grantBatch adds the existing accounts of a batch to their groups: one
// read of all their groups, then a userrights request per account that
// needs one. Each row is handed to decide as soon as it is decided, so
// that it is recorded before the next account's request goes out.
func (e *Engine) grantBatch(ctx context.Context, w worker, batch []job, decide func(decided)) {
	log := e.deps.Log.With(zap.Int("worker", w.id), zap.Int("first_line", batch[0].Line), zap.Int("names", len(batch)))
	names := make([]string, len(batch))
	for i := range batch {
		names[i] = batch[i].Canonical
	}
	users, t := e.readUsers(ctx, log, w.s, "read-groups", batch[0].Line, names, groupsProps)
	byName := indexUsers(users, len(names))
	for i := range batch {
		j := &batch[i]
		u, ok := byName.find(j.Canonical)
		read, tj := users != nil, t
		if !ok && read {
			// A name the wiki spells otherwise: asked about alone.
			var alone []mwapi.UserAnswer
			alone, tj = e.readUsers(ctx, log, w.s, "read-groups", j.Line, []string{j.Canonical}, groupsProps)
			u, ok = indexUsers(alone, 1).find(j.Canonical)
			read = alone != nil
		}
		decide(e.grantJob(ctx, w, j, u, ok, read, tj))
	}
}

// grantJob decides one job of a grant-only batch from what the wiki said
// about its account (u, when found), or from how the read ended (t).
func (e *Engine) grantJob(ctx context.Context, w worker, j *job, u mwapi.UserAnswer, found, read bool, t tried) decided {
	now := e.deps.Clock.Now()
	switch {
	case t.stop != nil:
		return j.pending(e.stopCause(ctx, t), now)
	case !read && j.prev == nil:
		// The read itself failed.
		return decided{seq: j.Seq, row: rowFor(&j.Account, t.out, t.attempts, t.finished(e.deps.Clock)), sent: true}
	case !found && j.prev == nil:
		return decided{seq: j.Seq, row: rowFor(&j.Account, classify.Outcome{Status: report.Failed, Code: "no-answer",
			Message: "the wiki did not answer about this name"}, t.attempts, now), sent: true}
	case found && u.Invalid:
		return decided{seq: j.Seq, row: rowFor(&j.Account, classify.Refusal("invaliduser", mwapi.RawMessageOf("noname", nil)), t.attempts, now), sent: true}
	case found && u.Missing && j.prev == nil:
		return decided{seq: j.Seq, row: rowFor(&j.Account, noAccount(j.Canonical), t.attempts, now), sent: true}
	}
	var known *mwapi.UserAnswer
	if found {
		known = &u
	}
	d := decided{seq: j.Seq, row: j.base(u, t.attempts, now), sent: true}
	if d.row.Canonical == "" {
		d.row.Canonical = j.Canonical
	}
	return e.withGroups(ctx, w, &j.Account, d, known)
}

// noAccount is the outcome of a row whose account a run that creates
// nothing does not find.
func noAccount(name string) classify.Outcome {
	return classify.Outcome{Action: classify.Decide, Status: report.Failed, Code: "nosuchuser",
		Message: fmt.Sprintf("there is no account %q on the wiki, and this run creates none: check the name", name)}
}

// Existing are the rows of a plan whose accounts exist already: a run
// adds them to their groups without creating them.
type Existing struct {
	Count int
	First []string // the first of them, as the wiki names them
}

// FindExisting asks the wiki, read-only, which of the accounts a run would
// create exist already — for a run that adds accounts to groups, whose
// confirmation says which existing accounts it will add: at an event, an
// existing name may be a stranger's. Names go as many a request as the
// creator may ask about, under the run's retry policy.
func (e *Engine) FindExisting(ctx context.Context, plan *Plan, c *Creator) (Existing, error) {
	var ex Existing
	sh, err := plan.reopen()
	if err != nil {
		return ex, err
	}
	s, size := c.session, namesPerRequest
	if c.HighLimits {
		size = namesPerRequestHigh
	}
	if s == nil {
		s = e.anonymousSession()
	}
	var names []string
	line := 0
	ask := func() error {
		if len(names) == 0 {
			return nil
		}
		users, t := e.readUsers(ctx, e.deps.Log, s, "find-existing", line, names, "")
		names = names[:0]
		switch {
		case t.stop != nil:
			return t.stop
		case users == nil:
			return fmt.Errorf("ask the wiki which accounts exist: %s", t.out.Message)
		}
		for _, u := range users {
			if !u.Missing && !u.Invalid {
				ex.Count++
				if len(ex.First) < previewNames {
					ex.First = append(ex.First, u.Name)
				}
			}
		}
		return nil
	}
	for st, err := range plan.steps(sh) {
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return ex, err
		}
		if st.verdict != send || len(st.Grants) == 0 {
			continue
		}
		if len(names) == 0 {
			line = st.Line
		}
		if names = append(names, st.Canonical); len(names) == size {
			if err := ask(); err != nil {
				return ex, err
			}
		}
	}
	return ex, ask()
}
