package provision

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/report"
)

// maxRecoveries bounds new tokens and logins for one request.
const maxRecoveries = 3

// tried is how a request ended after the shared retry policy.
type tried struct {
	ans       mwapi.Answer
	out       classify.Outcome // Action is Decide unless stop is set
	attempts  int              // requests sent
	ambiguous bool             // some attempt may have acted without an answer
	// uncertainSince is when the first attempt without a clear answer was
	// sent: an account the wiki holds from before it is not ours.
	uncertainSince time.Time
	stop           error // the run stopped first (waiting past the limit, interrupted), or refused says why
	// refused: this request's own answer, a refusal about the creator,
	// stopped the run; stop is that *CreatorError.
	refused bool
}

// request is one kind of request under try's policy.
type request struct {
	what     string // its name in the log: "createaccount", "check-names"
	line     int    // the line of its (first) row, named when a refusal stops the run
	write    bool   // paced by the steady rate, which is the rate of creations
	send     func(context.Context) mwapi.Answer
	classify func(mwapi.Answer) classify.Outcome
}

// finished is when the request's last answer came, or now without one.
func (t tried) finished(clock pacer.Clock) time.Time {
	if t.ans.Received.IsZero() {
		return clock.Now()
	}
	return t.ans.Received
}

// try sends a request until its answer decides, following one policy for
// every kind of request: wait for the shared pacer (and, for a write, the
// steady rate), log in when the session
// needs it, and on the answer — throttle or pause every worker, fetch a new
// token, log in again, or back off — retrying up to Config.MaxAttempts
// faults. Throttle and pause waits do not count as faults; Config.MaxWait
// bounds them. A refusal about the creator halts the run (tried.refused).
func (e *Engine) try(ctx context.Context, log *zap.Logger, s *mwapi.Session, req request) tried {
	r := retry{e: e, log: log, s: s, what: req.what, line: req.line}
	for {
		if err := e.pacer.Wait(ctx, req.write); err != nil {
			r.t.stop = err
			return r.t
		}
		if ready, done := r.login(ctx); done {
			return r.t
		} else if !ready {
			continue
		}
		r.t.attempts++
		rctx, cancel := e.requestContext(ctx)
		ans := req.send(rctx)
		cancel()
		if r.follow(ans, req.classify(ans)) {
			return r.t
		}
	}
}

// retry is one request under try's policy.
type retry struct {
	e    *Engine
	log  *zap.Logger
	s    *mwapi.Session
	what string
	line int

	t          tried
	faults     int // network and server faults so far
	recoveries int // new tokens and logins so far
}

// fault counts a network or server fault; true once the row fails for it.
func (r *retry) fault(o classify.Outcome) bool {
	r.faults++
	if r.faults < r.e.cfg.MaxAttempts {
		return false
	}
	r.log.Warn(r.what, zap.String("status", string(report.Failed)), zap.String("code", o.Code), zap.Int("attempt", r.t.attempts))
	r.t.out = classify.Outcome{Action: classify.Decide, Status: report.Failed, Code: o.Code,
		Message: fmt.Sprintf("%s (gave up after %d attempts)", o.Message, r.faults)}
	return true
}

// login logs the session in and fetches its token when it needs them.
// ready: send now; done: the request ended (the login was refused, too
// many faults, or the run stopped, also while it logged in); neither: try
// again after the backoff.
func (r *retry) login(ctx context.Context) (ready, done bool) {
	s := r.s
	if !s.Authenticated() || s.Ready() {
		return true, false
	}
	relogin := !s.LoggedIn
	rctx, cancel := r.e.requestContext(ctx)
	err := s.Prepare(rctx)
	cancel()
	var le *mwapi.LoginError
	switch {
	case err == nil:
		if relogin {
			r.log.Info("login", zap.String("user", r.e.cfg.User), zap.String("owner", s.Owner))
		}
		if stop := r.e.pacer.Stopped(); stop != nil {
			// The run stopped while this worker logged in.
			r.t.stop = stop
			return false, true
		}
		return true, false
	case errors.As(err, &le):
		// The wiki accepted this login before the run: the bot password
		// was revoked, or its account lost, and every row would fail.
		r.halt(classify.Outcome{Action: classify.Halt, Creator: classify.TroubleLogin, Code: "login-failed", Message: err.Error()})
		return false, true
	}
	r.log.Warn("session", zap.Error(err))
	if r.fault(classify.Outcome{Code: "login", Message: err.Error()}) {
		return false, true
	}
	if err := r.e.pacer.Backoff("cannot log in: " + err.Error()); err != nil {
		r.t.stop = err
		return false, true
	}
	return false, false
}

// follow acts on an answer; true when the request is decided or the run
// stopped.
func (r *retry) follow(ans mwapi.Answer, o classify.Outcome) bool {
	pacer := r.e.pacer
	r.t.ans, r.t.out = ans, o
	r.log.Info(r.what, zap.String("action", o.Action.String()), zap.String("status", string(o.Status)),
		zap.String("code", o.Code), zap.String("message", o.Message), zap.Int("attempt", r.t.attempts),
		zap.Duration("latency", ans.Received.Sub(ans.Sent)))
	if o.Counted {
		pacer.Counted(ans.Received)
	}
	if o.Action == classify.Decide {
		pacer.Success()
	}
	if o.Ambiguous && !r.t.ambiguous {
		r.t.ambiguous, r.t.uncertainSince = true, ans.Sent
	}
	if ce := r.e.faults.note(o, r.line); ce != nil {
		// The wiki fails every request the same way: retrying is waiting.
		r.e.pacer.Halt(ce)
		r.t.stop, r.t.refused = ce, true
		return true
	}
	var err error
	switch o.Action {
	case classify.Decide:
		return true
	case classify.Halt:
		r.halt(o)
		return true
	case classify.Throttle:
		if r.e.exempt != "" {
			// MediaWiki's throttle exempts noratelimit, which the
			// pre-flight found: the window is not the cause, and waiting
			// it out (a day on Wikimedia's wikis) would not end this.
			o.Action, o.Creator = classify.Halt, classify.TroubleExempt
			r.halt(o)
			return true
		}
		err = pacer.Throttled(o.ThrottleCount, o.Wait, ans.Received)
	case classify.PauseAll:
		err = pacer.Pause(o.Wait, o.Code+": "+o.Message)
	case classify.Relogin, classify.NewToken:
		// Refetching a token or logging in again is routine: it has its
		// own small budget, apart from Config.MaxAttempts.
		if o.Action == classify.Relogin {
			r.s.Forget()
		} else {
			r.s.ForgetToken()
		}
		if r.recoveries++; r.recoveries > maxRecoveries {
			r.t.out = classify.Outcome{Action: classify.Decide, Status: report.Failed, Code: o.Code,
				Message: fmt.Sprintf("%s (still after %d new tokens or logins)", o.Message, maxRecoveries)}
			return true
		}
	case classify.Backoff:
		if r.fault(o) {
			return true
		}
		err = pacer.Backoff(o.Code + ": " + o.Message)
	}
	if err != nil {
		r.t.stop = err
		return true
	}
	return false
}

// create takes one row of a run to a decision.
func (e *Engine) create(ctx context.Context, w worker, a *Account) decided {
	s := w.s
	log := e.deps.Log.With(zap.Int("line", a.Line), zap.String("username", a.Canonical), zap.Int("worker", w.id))
	reason := e.reasonFor(a)
	if err := w.sent(a.Canonical); err != nil {
		return pendingRow(a, err, false, 0, e.deps.Clock.Now())
	}
	// The request names the account as the dry run checked it, by its
	// canonical name, not as the sheet wrote it: the wiki then stores
	// exactly the predicted name even where its own answer for the sheet's
	// spelling depends on more than the plan can know (the creator's
	// language variant on a kk wiki before MediaWiki 1.43, the PHP version
	// under a Greek wiki's capital "ΧΡΉΣΤΗΣ:" prefix; docs/reference.md).
	t := e.try(ctx, log, s, request{what: "createaccount", line: a.Line, write: true, send: func(ctx context.Context) mwapi.Answer {
		return s.CreateAccount(ctx, mwapi.NewAccount{Username: a.Canonical, Email: a.Email, RealName: a.RealName, Password: a.Password}, reason, e.cfg.MailPassword)
	}, classify: classify.Classify})
	if t.stop != nil {
		return e.stopRow(ctx, log, a, t)
	}
	o := t.out
	if ce := e.streak.note(o, a.Line); ce != nil {
		e.pacer.Halt(ce)
	}
	if since, creators, ours := w.mayBeOurs(a, t); o.Status == report.Exists && ours {
		if row, ok := e.resolveAmbiguous(ctx, s, a, t.attempts, since, creators, log); ok {
			// Made by this run unless an earlier one asked for it too: then
			// either may have.
			earlier := false
			if w.earlier != nil {
				_, earlier = w.earlier.Sent[a.Canonical]
			}
			return e.withGroups(ctx, w, a, decided{seq: a.Seq, row: row, sent: true, made: t.ambiguous && !earlier}, nil)
		}
	}
	if o.Status == report.Failed && t.ambiguous {
		o.Message += mayExistNote
	}
	return e.withGroups(ctx, w, a, decided{seq: a.Seq, row: rowFor(a, o, t.attempts, t.finished(e.deps.Clock)), sent: true, made: o.Status == report.Created}, nil)
}

// mayBeOurs says whether an account the wiki says exists may be one this
// record asked for, and from when by the wiki's clock, by which creators:
// within this run, after an attempt whose answer was lost; resuming, after
// the first request an earlier run of the record sent for it, as its
// journal says — never for a name no run of the record asked for, however
// close in time, as that account is another's.
func (w worker) mayBeOurs(a *Account, t tried) (since time.Time, creators []string, ours bool) {
	creators = []string{w.s.Owner}
	if t.ambiguous {
		since, ours = t.uncertainSince, true
	}
	if w.earlier != nil {
		if at, sent := w.earlier.Sent[a.Canonical]; sent {
			if !ours || at.Before(since) {
				since = at
			}
			creators, ours = append(creators, w.earlier.Creators...), true
		}
	}
	return w.creator.wikiTime(since), creators, ours
}

// reasonFor is the public reason of a's row: its own, or the run's.
func (e *Engine) reasonFor(a *Account) string { return cmp.Or(a.Reason, e.cfg.Reason) }

// withGroups adds the account of a decided row to the row's groups, when
// it asks for any and the account is there (created, or existing); u is
// what the wiki said about the account, or nil.
func (e *Engine) withGroups(ctx context.Context, w worker, a *Account, d decided, u *mwapi.UserAnswer) decided {
	if len(a.Grants) == 0 || !d.row.Status.Final() && d.row.Status != report.WouldCreate {
		return d
	}
	if d.row.Status == report.WouldCreate {
		d.row.Groups = groups.GroupResults(a.Grants, report.GrantWould)
		return d
	}
	e.addGroups(ctx, w, a, d.row.Canonical, e.reasonFor(a), u).apply(&d.row)
	return d
}

// stopRow is the pending row of a request the run stopped before it was
// decided, or whose answer stopped the run: a refusal about the creator,
// or the wiki's own error met once too often, which the row keeps as its
// own cause.
func (e *Engine) stopRow(ctx context.Context, log *zap.Logger, a *Account, t tried) decided {
	d := pendingRow(a, e.stopCause(ctx, t), t.ambiguous, t.attempts, e.deps.Clock.Now())
	if t.refused {
		answer, why := "refused: ", ""
		if ce := (*CreatorError)(nil); errors.As(t.stop, &ce) {
			switch ce.Trouble {
			case classify.TroubleServer:
				answer = "the wiki answered: "
			case classify.TroubleExempt:
				// The wiki's words say to wait; the stop is about the creator.
				why = ": " + ce.Fact()
			}
		}
		d.row.Message = answer + t.out.Message + "; the run stopped for it" + why
		if t.ambiguous {
			d.row.Message += mayExistNote
		}
	}
	log.Info("row", zap.String("status", string(report.Pending)), zap.String("code", d.row.Code),
		zap.Int("attempt", t.attempts), zap.String("why", d.row.Message))
	return d
}

// stopCause is why a request the run stopped ends pending: its own refusal
// when that stopped the run, even after another stop; else what stopped
// the run, Ctrl-C and a record that cannot be written first.
func (e *Engine) stopCause(ctx context.Context, t tried) error {
	if t.refused {
		return t.stop
	}
	if stop := e.stopped(ctx); stop != nil {
		return stop
	}
	return t.stop
}

// halt stops the run for a refusal about the creator (o.Action is Halt)
// that this request met.
func (r *retry) halt(o classify.Outcome) {
	ce := &CreatorError{Trouble: o.Creator, Code: o.Code, Message: o.Message, Line: r.line}
	if o.Creator == classify.TroubleExempt {
		ce.Creator = r.e.exempt
	}
	r.e.pacer.Halt(ce)
	r.t.out, r.t.stop, r.t.refused = o, ce, true
}

// clockSkew is how far the wiki's clock may be behind ours, when the wiki
// did not say its time.
const clockSkew = 2 * time.Minute

// resolveAmbiguous decides a row whose earlier attempt may have created the
// account: the wiki now says the name exists, and the newusers log tells
// whether we were the creator.
func (e *Engine) resolveAmbiguous(ctx context.Context, s *mwapi.Session, a *Account, attempts int, since time.Time, creators []string, log *zap.Logger) (report.Row, bool) {
	rctx, cancel := e.requestContext(ctx)
	defer cancel()
	when, ours, err := s.CreatedBy(rctx, a.Canonical, creators, since)
	if err != nil {
		log.Warn("newusers-log", zap.Error(err))
		return report.Row{}, false
	}
	log.Info("newusers-log", zap.Bool("created_by_us", ours), zap.Time("timestamp", when))
	if !ours {
		return report.Row{}, false
	}
	return rowFor(a, classify.Outcome{Status: report.Created,
		Message: "created by an earlier attempt whose answer was lost, as the newusers log shows"}, attempts, when), true
}
