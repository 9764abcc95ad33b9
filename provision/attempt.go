package provision

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/mwprovision/mwprovision/report"
)

// maxRecoveries bounds new tokens and logins for one request.
const maxRecoveries = 3

// tried is how a request ended after the shared retry policy.
type tried struct {
	ans       Answer
	out       Outcome // Action is Decide unless stop is set
	attempts  int     // requests sent
	ambiguous bool    // some attempt may have acted without an answer
	// uncertainSince is when the first attempt without a clear answer was
	// sent: an account the wiki holds from before it is not ours.
	uncertainSince time.Time
	stop           error // the run stopped (--max-wait, interrupted) first
}

func (t tried) finished() report.Timestamp {
	if t.ans.Received.IsZero() {
		return report.Timestamp{Time: time.Now()}
	}
	return report.Timestamp{Time: t.ans.Received}
}

// try sends a request until its answer decides, following one policy for
// every kind of request: wait for the shared pacer, log in when the session
// needs it, and on the answer — throttle or pause every worker, fetch a new
// token, log in again, or back off — retrying up to --max-attempts faults.
// Throttle and pause waits do not count as faults; --max-wait bounds them.
func (e *Engine) try(ctx context.Context, log *zap.Logger, s *Session, what string,
	send func(context.Context) Answer, classify func(Answer) Outcome) tried {
	var t tried
	faults, recoveries := 0, 0
	fault := func(o Outcome) bool {
		faults++
		if faults < e.cfg.MaxAttempts {
			return false
		}
		log.Warn(what, zap.String("status", string(report.Failed)), zap.String("code", o.Code), zap.Int("attempt", t.attempts))
		t.out = Outcome{Action: Decide, Status: report.Failed, Code: o.Code,
			Message: fmt.Sprintf("%s (gave up after %d attempts)", o.Message, faults)}
		return true
	}
	for {
		if err := e.pacer.Wait(ctx); err != nil {
			t.stop = err
			return t
		}
		if s.authenticated() && !s.Ready() {
			relogin := !s.loggedIn
			rctx, cancel := e.requestContext(ctx)
			err := s.Prepare(rctx)
			cancel()
			var le *LoginError
			switch {
			case err == nil:
				if relogin {
					log.Info("login", zap.String("user", e.cfg.User), zap.String("owner", s.Owner))
				}
			case errors.As(err, &le):
				t.out = Outcome{Action: Decide, Status: report.Failed, Code: "login-failed", Message: err.Error()}
				return t
			default:
				log.Warn("session", zap.Error(err))
				o := Outcome{Code: "login", Message: err.Error()}
				if fault(o) {
					return t
				}
				if err := e.pacer.Backoff("cannot log in: " + err.Error()); err != nil {
					t.stop = err
					return t
				}
				continue
			}
		}
		t.attempts++
		rctx, cancel := e.requestContext(ctx)
		ans := send(rctx)
		cancel()
		o := classify(ans)
		t.ans, t.out = ans, o
		log.Info(what, zap.String("action", o.Action.String()), zap.String("status", string(o.Status)),
			zap.String("code", o.Code), zap.String("message", o.Message), zap.Int("attempt", t.attempts),
			zap.Duration("latency", ans.Received.Sub(ans.Sent)))
		if o.Counted {
			e.pacer.Counted(ans.Received)
		}
		if o.Action == Decide {
			e.pacer.Success()
		}
		if o.Ambiguous && !t.ambiguous {
			t.ambiguous, t.uncertainSince = true, ans.Sent
		}
		var err error
		switch o.Action {
		case Decide:
			return t
		case Throttle:
			err = e.pacer.Throttled(o.ThrottleCount, o.Wait, ans.Received)
		case Pause:
			err = e.pacer.Pause(o.Wait, o.Code+": "+o.Message)
		case Relogin, NewToken:
			// Refetching a token or logging in again is routine: it has its
			// own small budget, apart from --max-attempts.
			if o.Action == Relogin {
				s.Forget()
			} else {
				s.ForgetToken()
			}
			if recoveries++; recoveries > maxRecoveries {
				t.out = Outcome{Action: Decide, Status: report.Failed, Code: o.Code,
					Message: fmt.Sprintf("%s (still after %d new tokens or logins)", o.Message, maxRecoveries)}
				return t
			}
		case Backoff:
			if fault(o) {
				return t
			}
			err = e.pacer.Backoff(o.Code + ": " + o.Message)
		}
		if err != nil {
			t.stop = err
			return t
		}
	}
}

// provision takes one row to a decision.
func (e *Engine) provision(ctx context.Context, worker int, s *Session, a *Account) report.Row {
	log := e.deps.Log.With(zap.Int("line", a.Line), zap.String("username", a.Canonical), zap.Int("worker", worker))
	reason := a.Reason
	if reason == "" {
		reason = e.cfg.Reason
	}
	t := e.try(ctx, log, s, "createaccount", func(ctx context.Context) Answer {
		return s.createAccount(ctx, a, reason, e.cfg.MailPassword)
	}, Classify)
	const mayExist = "; an attempt got no answer, so the wiki may have created this account"
	if t.stop != nil {
		why := e.stopWhy(ctx, t.stop)
		if t.ambiguous {
			why += mayExist
		}
		log.Info("row", zap.String("status", string(report.Pending)), zap.Int("attempt", t.attempts), zap.String("why", why))
		return pendingRow(a, t.attempts, why)
	}
	o := t.out
	if o.Status == report.Exists && (t.ambiguous || e.cfg.Resume) {
		// Within this run, only a creation since our first uncertain attempt
		// is ours; resuming, so is one by an earlier run that was cut off.
		since := t.uncertainSince
		if e.cfg.Resume {
			since = time.Time{}
		}
		if r, ok := e.resolveAmbiguous(ctx, s, a, t.attempts, since, log); ok {
			return r
		}
	}
	if o.Status == report.Failed && t.ambiguous {
		o.Message += mayExist
	}
	canonical := o.Canonical
	if canonical == "" {
		canonical = a.Canonical
	}
	return report.Row{Line: a.Line, Username: a.Username, Canonical: canonical, Status: o.Status,
		Code: o.Code, Message: o.Message, Attempts: t.attempts, FinishedAt: t.finished()}
}
