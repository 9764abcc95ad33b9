package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/report"
)

// Config is what a run needs to know; the command line fills it.
type Config struct {
	API          string
	User         string // bot password login, User@App
	Password     string // secret
	Reason       string
	MailPassword bool
	Workers      int
	Rate         rate.Limit // rate.Inf: no limit
	MaxAttempts  int
	MaxWait      time.Duration
	UserAgent    string
	// RequestTimeout bounds one request, also one already in flight when the
	// run is interrupted (its answer is still recorded).
	RequestTimeout time.Duration
}

// Reporter is told about the run as it goes; the terminal UI implements it.
// Calls come from several goroutines.
type Reporter interface {
	RowDone(report.Row)
	Paused(until time.Time, why string)
}

// Source yields the sheet's rows in order, io.EOF at the end.
type Source interface {
	Next() (Account, error)
}

// Sink stores decided rows, in input order.
type Sink interface {
	Write(rows ...report.Row) error
}

// Deps are the engine's collaborators, passed in rather than global.
type Deps struct {
	HTTP     *http.Client // shared transport; every session gets its own cookie jar
	Log      *zap.Logger
	Reporter Reporter
}

// Creator is what the pre-flight learned about the account creating the accounts.
type Creator struct {
	Login       string // User@App as given
	Name        string // the wiki account
	NoRateLimit bool   // exempt from the wiki's per-IP throttle
	SiteName    string
}

// Engine provisions accounts.
type Engine struct {
	cfg   Config
	deps  Deps
	pacer *Pacer
	first *Session // logged in by Preflight, handed to the first worker
	owner string
}

// New returns an engine.
func New(cfg Config, deps Deps) *Engine {
	if deps.Log == nil {
		deps.Log = zap.NewNop()
	}
	if deps.HTTP == nil {
		deps.HTTP = http.DefaultClient
	}
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	if cfg.MaxAttempts < 1 {
		cfg.MaxAttempts = 1
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	var paused func(time.Time, string)
	if deps.Reporter != nil {
		paused = deps.Reporter.Paused
	}
	return &Engine{cfg: cfg, deps: deps, pacer: NewPacer(cfg.Rate, cfg.MaxWait, deps.Log, paused)}
}

// Pacer exposes the shared pacer (for progress displays).
func (e *Engine) Pacer() *Pacer { return e.pacer }

// PreflightError is a reason not to start: nothing was created.
type PreflightError struct{ Msg string }

func (e *PreflightError) Error() string { return e.Msg }

// Preflight logs in and checks that the creator can create accounts
// unattended, before the first write.
func (e *Engine) Preflight(ctx context.Context) (*Creator, error) {
	s := e.newSession()
	ctx, cancel := context.WithTimeout(ctx, 2*e.cfg.RequestTimeout)
	defer cancel()
	if err := s.Prepare(ctx); err != nil {
		var le *LoginError
		if errors.As(err, &le) {
			return nil, &PreflightError{Msg: le.Error() + loginHint(e.cfg.User, e.cfg.Password)}
		}
		return nil, fmt.Errorf("log in to %s: %w", e.cfg.API, err)
	}
	ans := s.get(ctx, queryValues("meta", "userinfo|authmanagerinfo|siteinfo",
		"uiprop", "rights|ratelimits|groups", "amirequestsfor", "create", "siprop", "general"))
	if err := ans.err(); err != nil {
		return nil, fmt.Errorf("check the creator's rights: %w", err)
	}
	q := ans.Body.Query
	if q == nil || q.UserInfo == nil {
		return nil, errors.New("check the creator's rights: the wiki's answer has no userinfo")
	}
	ui := q.UserInfo
	if ui.Anon {
		return nil, &PreflightError{Msg: fmt.Sprintf("logged in as %s, but the wiki treats the session as anonymous; check that the wiki keeps cookies (session storage)", e.cfg.User)}
	}
	c := &Creator{Login: e.cfg.User, Name: ui.Name, NoRateLimit: slices.Contains(ui.Rights, "noratelimit")}
	if q.General != nil {
		c.SiteName = q.General.SiteName
	}
	if !slices.Contains(ui.Rights, "createaccount") {
		return nil, &PreflightError{Msg: fmt.Sprintf("%s may not create accounts (no createaccount right); give the bot password the \"Create accounts\" grant on Special:BotPasswords", e.cfg.User)}
	}
	if am := q.AuthManagerInfo; am != nil {
		ids := make([]string, 0, len(am.Requests))
		for _, r := range am.Requests {
			ids = append(ids, r.ID)
		}
		if slices.ContainsFunc(ids, func(id string) bool { return hasSuffix(id, "CaptchaAuthenticationRequest") }) {
			return nil, &PreflightError{Msg: fmt.Sprintf("the wiki would ask %s for a CAPTCHA on every account, which a batch cannot solve; the creator needs the skipcaptcha right (sysops and account creators have it)", ui.Name)}
		}
		if e.cfg.MailPassword && !slices.ContainsFunc(ids, func(id string) bool { return hasSuffix(id, "TemporaryPasswordAuthenticationRequest") }) {
			return nil, &PreflightError{Msg: "the wiki cannot mail temporary passwords (email is disabled there); run with --mailpassword=false and a password column, or enable email on the wiki"}
		}
	}
	e.first, e.owner = s, s.Owner
	e.deps.Log.Info("preflight", zap.String("creator", ui.Name), zap.Strings("groups", ui.Groups),
		zap.Bool("noratelimit", c.NoRateLimit))
	return c, nil
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

func loginHint(user, password string) string {
	if !isBotPasswordShape(password) {
		return "; a bot password is 32 or more characters of 0-9 and a-w (as Special:BotPasswords shows it) — this one is not, so the wiki took it as the main account password"
	}
	return "; check the name (User@AppName, as Special:BotPasswords shows it) and the password"
}

// isBotPasswordShape reports whether MediaWiki would try p as a bot password
// (BotPassword::canonicalizeLoginData: /^[0-9a-w]{32,}$/).
func isBotPasswordShape(p string) bool {
	if len(p) < 32 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'w') {
			return false
		}
	}
	return true
}

func queryValues(kv ...string) map[string][]string {
	v := map[string][]string{"action": {"query"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v[kv[i]] = []string{kv[i+1]}
	}
	return v
}

func (e *Engine) newSession() *Session {
	return NewSession(e.deps.HTTP, e.cfg.API, e.cfg.UserAgent, e.cfg.User, e.cfg.Password)
}

// ErrInterrupted is returned by Run when its context was cancelled: the rows
// not yet decided are pending.
var ErrInterrupted = errors.New("interrupted")

type result struct {
	seq int
	row report.Row
}

// Run provisions every row of src. Offline checks run in sheet order; rows
// that pass go to the workers; every row ends as exactly one results row,
// written to sink in input order as soon as it and all rows before it are
// decided. Cancelling ctx stops dispatching: requests in flight finish, and
// the rest end pending. Run returns the summary and ErrInterrupted,
// ErrStopped (a *StopError), or a sink or sheet error.
func (e *Engine) Run(ctx context.Context, src Source, check *Checker, sink Sink) (*report.Summary, error) {
	start := time.Now()
	sum := report.NewSummary()
	work := make(chan Account, e.cfg.Workers)
	results := make(chan result, 4*e.cfg.Workers)

	var seqErr error
	seqDone := make(chan struct{})
	go func() {
		defer close(seqDone)
		seqErr = e.sequence(results, sink, sum)
	}()

	var wg sync.WaitGroup
	for i := 0; i < e.cfg.Workers; i++ {
		s := e.first
		if i > 0 || s == nil {
			s = e.newSession()
		}
		wg.Add(1)
		go func(id int, s *Session) {
			defer wg.Done()
			for a := range work {
				results <- result{a.Seq, e.provision(ctx, id, s, &a)}
			}
		}(i, s)
	}

	readErr := e.dispatch(ctx, src, check, work, results)
	close(work)
	wg.Wait()
	close(results)
	<-seqDone
	sum.Elapsed = time.Since(start)

	switch {
	case readErr != nil:
		return sum, readErr
	case seqErr != nil:
		return sum, seqErr
	case ctx.Err() != nil:
		return sum, ErrInterrupted
	}
	return sum, e.pacer.Stopped()
}

// dispatch reads the sheet, decides offline what it can, and hands the rest
// to the workers — or, once the run stops, marks them pending.
func (e *Engine) dispatch(ctx context.Context, src Source, check *Checker, work chan<- Account, results chan<- result) error {
	for {
		a, err := src.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		check.Check(&a)
		if a.Problem != nil {
			results <- result{a.Seq, e.offlineRow(&a)}
			continue
		}
		if why := e.stopReason(ctx); why != "" {
			results <- result{a.Seq, pendingRow(&a, 0, why)}
			continue
		}
		select {
		case work <- a:
		case <-ctx.Done():
			results <- result{a.Seq, pendingRow(&a, 0, e.stopReason(ctx))}
		}
	}
}

func (e *Engine) stopReason(ctx context.Context) string {
	if ctx.Err() != nil {
		return "the run was interrupted before this row was sent"
	}
	if err := e.pacer.Stopped(); err != nil {
		return err.Error()
	}
	return ""
}

func (e *Engine) offlineRow(a *Account) report.Row {
	st := report.Invalid
	if a.Problem.Duplicate {
		st = report.Duplicate
	}
	e.deps.Log.Info("offline", zap.Int("line", a.Line), zap.String("username", a.Username),
		zap.String("status", string(st)), zap.String("code", a.Problem.Code))
	return report.Row{Line: a.Line, Username: a.Username, Canonical: a.Canonical, Status: st,
		Code: a.Problem.Code, Message: a.Problem.Message, FinishedAt: report.Timestamp{Time: time.Now()}}
}

func pendingRow(a *Account, attempts int, why string) report.Row {
	return report.Row{Line: a.Line, Username: a.Username, Canonical: a.Canonical, Status: report.Pending,
		Code: "pending", Message: why + "; run the sheet again later: accounts already created then report exists", Attempts: attempts,
		FinishedAt: report.Timestamp{Time: time.Now()}}
}

// sequence writes results in input order.
func (e *Engine) sequence(results <-chan result, sink Sink, sum *report.Summary) error {
	held := map[int]report.Row{}
	next := 0
	var batch []report.Row
	var err error
	for r := range results {
		held[r.seq] = r.row
		batch = batch[:0]
		for {
			row, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			next++
			batch = append(batch, row)
		}
		if len(batch) == 0 {
			continue
		}
		for _, row := range batch {
			sum.Add(row)
			if e.deps.Reporter != nil {
				e.deps.Reporter.RowDone(row)
			}
		}
		if err == nil {
			if err = sink.Write(batch...); err != nil {
				e.deps.Log.Error("results", zap.Error(err))
			}
		}
	}
	if len(held) > 0 && err == nil {
		err = fmt.Errorf("internal error: %d rows could not be ordered", len(held))
	}
	return err
}

// provision takes one row to a decision.
func (e *Engine) provision(ctx context.Context, worker int, s *Session, a *Account) report.Row {
	log := e.deps.Log.With(zap.Int("line", a.Line), zap.String("username", a.Canonical), zap.Int("worker", worker))
	reason := a.Reason
	if reason == "" {
		reason = e.cfg.Reason
	}
	attempts, faults := 0, 0
	ambiguous := false
	row := func(st report.Status, canonical, code, msg string) report.Row {
		if canonical == "" {
			canonical = a.Canonical
		}
		return report.Row{Line: a.Line, Username: a.Username, Canonical: canonical, Status: st,
			Code: code, Message: msg, Attempts: attempts, FinishedAt: report.Timestamp{Time: time.Now()}}
	}
	pending := func(err error) report.Row {
		why := e.stopReason(ctx)
		if why == "" {
			why = err.Error()
		}
		if ambiguous {
			why += "; an earlier attempt got no answer, so the wiki may have created this account"
		}
		log.Info("row", zap.String("status", "pending"), zap.Int("attempt", attempts), zap.String("why", why))
		return pendingRow(a, attempts, why)
	}
	fault := func(o Outcome) (report.Row, bool) {
		faults++
		if faults >= e.cfg.MaxAttempts {
			log.Warn("row", zap.String("status", string(report.Failed)), zap.String("code", o.Code), zap.Int("attempt", attempts))
			msg := fmt.Sprintf("%s (gave up after %d attempts)", o.Message, faults)
			if ambiguous {
				msg += "; an attempt got no answer, so the wiki may have created this account"
			}
			return row(report.Failed, "", o.Code, msg), true
		}
		return report.Row{}, false
	}

	for {
		if err := e.pacer.Wait(ctx); err != nil {
			return pending(err)
		}
		if !s.Ready() {
			relogin := !s.loggedIn
			rctx, cancel := e.requestContext(ctx)
			err := s.Prepare(rctx)
			cancel()
			if err == nil && relogin {
				log.Info("login", zap.String("user", e.cfg.User), zap.String("owner", s.Owner))
			}
			if err != nil {
				o := Outcome{Code: "login", Message: err.Error()}
				var le *LoginError
				if errors.As(err, &le) {
					return row(report.Failed, "", "login-failed", err.Error())
				}
				log.Warn("session", zap.Error(err))
				if r, done := fault(o); done {
					return r
				}
				if err := e.pacer.Backoff("cannot log in: " + err.Error()); err != nil {
					return pending(err)
				}
				continue
			}
			if e.owner == "" {
				e.owner = s.Owner
			}
		}
		attempts++
		rctx, cancel := e.requestContext(ctx)
		ans := s.createAccount(rctx, a, reason, e.cfg.MailPassword)
		cancel()
		o := Classify(ans)
		log.Info("createaccount", zap.String("action", o.Action.String()), zap.String("status", string(o.Status)),
			zap.String("code", o.Code), zap.String("message", o.Message), zap.Int("attempt", attempts),
			zap.Duration("latency", ans.Received.Sub(ans.Sent)))
		if o.Counted {
			e.pacer.Counted(ans.Sent, ans.Received)
		}
		if o.Action != Backoff {
			e.pacer.Success()
		}
		ambiguous = ambiguous || o.Ambiguous
		switch o.Action {
		case Decide:
			if o.Status == report.Exists && ambiguous {
				if r, ok := e.resolveAmbiguous(ctx, s, a, log, row); ok {
					return r
				}
			}
			return row(o.Status, o.Canonical, o.Code, o.Message)
		case Throttle:
			if err := e.pacer.Throttled(o.ThrottleCount, o.Wait, ans.Received); err != nil {
				return pending(err)
			}
		case Pause:
			if err := e.pacer.Pause(o.Wait, o.Code+": "+o.Message); err != nil {
				return pending(err)
			}
		case Relogin:
			s.Forget()
			if r, done := fault(o); done {
				return r
			}
		case NewToken:
			s.ForgetToken()
			if r, done := fault(o); done {
				return r
			}
		case Backoff:
			if r, done := fault(o); done {
				return r
			}
			if err := e.pacer.Backoff(o.Code + ": " + o.Message); err != nil {
				return pending(err)
			}
		}
	}
}

// resolveAmbiguous decides a row whose earlier attempt may have created the
// account: the wiki now says the name exists, and the newusers log tells
// whether we were the creator.
func (e *Engine) resolveAmbiguous(ctx context.Context, s *Session, a *Account, log *zap.Logger,
	row func(report.Status, string, string, string) report.Row) (report.Row, bool) {
	rctx, cancel := e.requestContext(ctx)
	defer cancel()
	when, ours, err := s.createdBy(rctx, a.Canonical, e.owner)
	if err != nil {
		log.Warn("newusers-log", zap.Error(err))
		return report.Row{}, false
	}
	log.Info("newusers-log", zap.Bool("created_by_us", ours), zap.Time("timestamp", when))
	if !ours {
		return report.Row{}, false
	}
	r := row(report.Created, "", "", "created by an earlier attempt whose answer was lost (found in the newusers log)")
	r.FinishedAt = report.Timestamp{Time: when}
	return r, true
}

func (e *Engine) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), e.cfg.RequestTimeout)
}
