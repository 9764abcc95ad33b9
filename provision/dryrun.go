package provision

import (
	"context"
	"net/url"
	"slices"

	"go.uber.org/zap"

	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/report"
)

// Names per list=users request: the API's limit, and its limit for
// creators with the apihighlimits right.
const (
	namesPerRequest     = 50
	namesPerRequestHigh = 500
)

// predict says what a run would report for a name the wiki answered about.
// It maps through classifyRefusal, as a run's createaccount FAIL does.
func predict(u mwapi.UserAnswer) classify.Outcome {
	switch {
	case u.Invalid:
		return classify.Refusal("invaliduser", mwapi.RawMessageOf("noname", nil))
	case !u.Missing:
		return classify.Refusal("userexists", mwapi.RawMessageOf("userexists", nil))
	case u.CanCreate == nil:
		return classify.Outcome{Action: classify.Decide, Status: report.Failed, Code: "no-cancreate",
			Message: "the wiki did not say whether this account can be created"}
	case *u.CanCreate:
		return classify.Outcome{Action: classify.Decide, Status: report.WouldCreate}
	case len(u.CanCreateError) > 0:
		e := u.CanCreateError[0]
		o := classify.Refusal(e.Code, mwapi.RawMessageOf(e.Message, e.Params))
		if o.Action != classify.Decide {
			o = classify.Outcome{Action: classify.Decide, Status: report.Failed, Code: e.Code, Message: o.Message}
		}
		return o
	}
	return classify.Outcome{Action: classify.Decide, Status: report.Failed, Code: "cannot-create",
		Message: "the wiki says this account cannot be created, without a reason"}
}

// predict says what the run would report for a row the wiki answered
// about: a run that creates nothing expects the account to exist.
func (e *Engine) predict(u mwapi.UserAnswer, a *Account) classify.Outcome {
	o := predict(u)
	switch {
	case e.cfg.GrantOnly && !u.Invalid && u.Missing:
		return noAccount(a.Canonical)
	case e.cfg.GrantOnly && o.Status == report.Exists:
		return classify.Outcome{Action: classify.Decide, Status: report.Exists}
	}
	return o
}

// checkNames asks the wiki, read-only, about a batch of names: the dry run's
// online check. The answer is not in input order: it is matched by name, and
// a name the wiki spells differently is asked about again on its own. A
// job an earlier run decided keeps that run's row, its groups predicted.
func (e *Engine) checkNames(ctx context.Context, w worker, batch []job) []decided {
	s := w.s
	log := e.deps.Log.With(zap.Int("worker", w.id), zap.Int("first_line", batch[0].Line), zap.Int("names", len(batch)))
	names := make([]string, len(batch))
	for i := range batch {
		names[i] = batch[i].Canonical
	}
	usprop := "cancreate"
	if slices.ContainsFunc(batch, func(j job) bool { return len(j.Grants) > 0 }) {
		usprop += "|" + groupsProps
	}
	users, t := e.readUsers(ctx, log, s, "check-names", batch[0].Line, names, usprop)
	out := make([]decided, 0, len(batch))
	if t.stop != nil || t.out.Status != "" {
		// Stopped, or the request itself failed: the same for every name.
		for i := range batch {
			a := &batch[i].Account
			if t.stop != nil {
				out = append(out, pendingRow(a, e.stopCause(ctx, t), false, t.attempts, e.deps.Clock.Now()))
				continue
			}
			out = append(out, decided{seq: a.Seq, row: rowFor(a, t.out, t.attempts, t.finished(e.deps.Clock))})
		}
		return out
	}

	byName := indexUsers(users, len(batch))
	var again []job
	for i := range batch {
		a := &batch[i].Account
		u, ok := byName.find(a.Canonical)
		if !ok {
			again = append(again, batch[i])
			continue
		}
		o := e.predict(u, a)
		if o.Status == report.WouldCreate && !e.cfg.MailPassword && !e.cfg.GrantOnly {
			var stop error
			if o, stop = e.checkPassword(ctx, log, s, a); stop != nil {
				out = append(out, pendingRow(a, stop, false, t.attempts, e.deps.Clock.Now()))
				continue
			}
		}
		if u.Name != "" && !u.Invalid {
			o.Canonical = u.Name
		}
		d := decided{seq: a.Seq, row: rowFor(a, o, t.attempts, t.finished(e.deps.Clock))}
		if batch[i].prev != nil && !u.Missing && !u.Invalid {
			// Created or found by an earlier run: only its groups are left.
			d.row = batch[i].prevRow()
		}
		out = append(out, e.withGroups(ctx, w, a, d, &u))
	}
	if len(batch) == 1 && len(again) == 1 {
		a := &batch[0].Account
		return []decided{{seq: a.Seq, row: rowFor(a, classify.Outcome{Status: report.Failed, Code: "no-answer",
			Message: "the wiki did not answer about this name"}, t.attempts, e.deps.Clock.Now())}}
	}
	for i := range again {
		log.Info("check-names", zap.String("ask_alone", again[i].Canonical))
		out = append(out, e.checkNames(ctx, w, again[i:i+1])...)
	}
	return out
}

// checkPassword asks the wiki, read-only, whether a run's password would
// pass its password policy for this account (action=validatepassword); it
// returns why not when the run stopped before the answer.
func (e *Engine) checkPassword(ctx context.Context, log *zap.Logger, s *mwapi.Session, a *Account) (classify.Outcome, error) {
	t := e.try(ctx, log.With(zap.Int("line", a.Line)), s, request{what: "check-password", line: a.Line, send: func(ctx context.Context) mwapi.Answer {
		return s.Post(ctx, url.Values{"action": {"validatepassword"}, "password": {a.Password},
			"user": {a.Canonical}, "email": {a.Email}, "realname": {a.RealName}})
	}, classify: func(ans mwapi.Answer) classify.Outcome {
		if o, done := classify.Envelope(ans); done {
			return o
		}
		// Account creation needs "Good": on MediaWiki 1.39 a common password
		// or one containing the username is only "Change" (the login policy
		// suggests a change), yet createaccount refuses it with that code —
		// pinned by TestDryRunChecksPasswordsInMigrationMode.
		v := ans.Body.ValidatePassword
		switch {
		case v == nil:
			return classify.Outcome{Action: classify.Backoff, Code: "no-result", Message: "the wiki's answer has no validatepassword result"}
		case v.Validity != "Good" && len(v.ValidityMessages) > 0:
			m := v.ValidityMessages[0]
			o := classify.Refusal(m.Code, mwapi.RawMessageOf(m.Message, m.Params))
			if o.Action != classify.Decide {
				o = classify.Outcome{Action: classify.Decide, Status: report.Invalid, Code: m.Code, Message: o.Message}
			}
			return o
		case v.Validity != "Good":
			return classify.Outcome{Action: classify.Decide, Status: report.Invalid, Code: "password-invalid", Message: "the wiki's password policy refuses this password"}
		}
		return classify.Outcome{Action: classify.Decide, Status: report.WouldCreate}
	}})
	if t.stop != nil {
		return t.out, e.stopCause(ctx, t)
	}
	return t.out, nil
}
