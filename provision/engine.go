package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
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
	OAuthToken   string // secret: an owner-only OAuth 2 access token, instead of User and Password
	Reason       string
	MailPassword bool
	Workers      int
	Rate         rate.Limit // rate.Inf: no limit
	MaxAttempts  int
	MaxWait      time.Duration
	UserAgent    string
	// Done holds, by canonical name, the rows an earlier run already
	// decided created or exists (--resume): they are carried forward.
	Done map[string]report.Row
	// Resume: a row that now hears userexists may have been created by an
	// earlier, interrupted run; the newusers log decides.
	Resume bool
	// DryRun checks the rows and sends no write: offline only when API is
	// empty, else the names are checked with list=users&usprop=cancreate.
	DryRun bool
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
	Name        string // the wiki account
	NoRateLimit bool   // exempt from the wiki's per-IP throttle
	HighLimits  bool   // may ask about 500 names a request instead of 50
	// Overrides are rights that make the wiki's cancreate answer more
	// lenient for this creator than its own createaccount (which sends no
	// override request): tboverride, tboverride-account, override-antispoof.
	Overrides []string
	SiteName  string
}

// Engine provisions accounts.
type Engine struct {
	cfg   Config
	deps  Deps
	pacer *Pacer
	first *Session // logged in by Preflight, handed to the first worker
	owner string   // the creator's account, for OAuth sessions (no login tells it)
	// batchSize is the number of names per list=users request in a dry run.
	batchSize int
	// anonNames: a dry run asks about names from anonymous sessions.
	anonNames bool
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
	return &Engine{cfg: cfg, deps: deps, pacer: NewPacer(cfg.Rate, cfg.MaxWait, deps.Log, paused), batchSize: namesPerRequest}
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
	ans := s.get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo|authmanagerinfo|siteinfo"},
		"uiprop": {"rights|ratelimits|groups"}, "amirequestsfor": {"create"}, "siprop": {"general"}})
	if err := ans.err(); err != nil {
		return nil, fmt.Errorf("check the creator's rights: %w", err)
	}
	q := ans.Body.Query
	if q == nil || q.UserInfo == nil {
		return nil, errors.New("check the creator's rights: the wiki's answer has no userinfo")
	}
	ui := q.UserInfo
	if ui.Anon && e.cfg.OAuthToken != "" {
		return nil, &PreflightError{Msg: "the wiki did not accept the OAuth token: it treats the requests as anonymous. " +
			"Check that the wiki runs the OAuth extension, that the token belongs to an owner-only consumer with the \"Create accounts\" grant, and that it has not expired"}
	}
	if ui.Anon {
		return nil, &PreflightError{Msg: fmt.Sprintf("logged in as %s, but the wiki treats the session as anonymous; check that the wiki keeps cookies (session storage)", e.cfg.User)}
	}
	if e.cfg.OAuthToken != "" {
		s.Owner, e.owner = ui.Name, ui.Name
	}
	c := &Creator{Name: ui.Name, NoRateLimit: slices.Contains(ui.Rights, "noratelimit"),
		HighLimits: slices.Contains(ui.Rights, "apihighlimits")}
	for _, r := range []string{"tboverride", "tboverride-account", "override-antispoof"} {
		if slices.Contains(ui.Rights, r) {
			c.Overrides = append(c.Overrides, r)
		}
	}
	switch {
	case e.cfg.DryRun && len(c.Overrides) > 0:
		// Ask about names as nobody in particular: the title blacklist and
		// AntiSpoof then answer as they will to this creator's createaccount.
		e.anonNames = true
	case c.HighLimits:
		e.batchSize = namesPerRequestHigh
	}
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
		if slices.ContainsFunc(ids, func(id string) bool { return strings.HasSuffix(id, "CaptchaAuthenticationRequest") }) {
			return nil, &PreflightError{Msg: fmt.Sprintf("the wiki would ask %s for a CAPTCHA on every account, which a batch cannot solve; the creator needs the skipcaptcha right (sysops and account creators have it)", ui.Name)}
		}
		if e.cfg.MailPassword && !slices.ContainsFunc(ids, func(id string) bool { return strings.HasSuffix(id, "TemporaryPasswordAuthenticationRequest") }) {
			return nil, &PreflightError{Msg: "the wiki cannot mail temporary passwords (email is disabled there); run with --mailpassword=false and a password column, or enable email on the wiki"}
		}
	}
	e.first = s
	e.deps.Log.Info("preflight", zap.String("creator", ui.Name), zap.Strings("groups", ui.Groups),
		zap.Bool("noratelimit", c.NoRateLimit))
	return c, nil
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

func (e *Engine) newSession() *Session {
	s := NewSession(e.deps.HTTP, e.cfg.API, e.cfg.UserAgent, e.cfg.User, e.cfg.Password)
	if e.cfg.OAuthToken != "" {
		s.UseOAuth(e.cfg.OAuthToken, e.owner)
	}
	return s
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
	// A results file that cannot be written stops the run: no account may
	// be created without its row.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	work := make(chan []Account, e.cfg.Workers)
	results := make(chan result, 4*e.cfg.Workers)

	var seqErr error
	seqDone := make(chan struct{})
	go func() {
		defer close(seqDone)
		seqErr = e.sequence(results, sink, sum, stop)
	}()

	var wg sync.WaitGroup
	for i := 0; i < e.cfg.Workers; i++ {
		s := e.first
		switch {
		case e.anonNames:
			s = NewSession(e.deps.HTTP, e.cfg.API, e.cfg.UserAgent, "", "")
		case i > 0 || s == nil:
			s = e.newSession()
		}
		wg.Add(1)
		go func(id int, s *Session) {
			defer wg.Done()
			for batch := range work {
				if e.cfg.DryRun {
					for _, r := range e.checkNames(ctx, id, s, batch) {
						results <- r
					}
					continue
				}
				for i := range batch {
					results <- result{batch[i].Seq, e.provision(ctx, id, s, &batch[i])}
				}
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
// to the workers — one row at a time for a run, in batches for a dry run's
// name check — or, once the run stops, marks them pending.
func (e *Engine) dispatch(ctx context.Context, src Source, check *Checker, work chan<- []Account, results chan<- result) error {
	size := 1
	if e.cfg.DryRun {
		size = e.batchSize
	}
	var batch []Account
	flush := func() {
		if len(batch) == 0 {
			return
		}
		select {
		case work <- batch:
		case <-ctx.Done():
			for i := range batch {
				results <- result{batch[i].Seq, pendingRow(&batch[i], 0, e.stopReason(ctx))}
			}
		}
		batch = nil
	}
	for {
		a, err := src.Next()
		if err == io.EOF {
			flush()
			return nil
		}
		if err != nil {
			flush()
			return err
		}
		check.Check(&a)
		switch {
		case a.Problem != nil:
			results <- result{a.Seq, e.offlineRow(&a)}
		case e.cfg.Done[a.Canonical].Status.Final():
			prev := e.cfg.Done[a.Canonical]
			prev.Line, prev.Username = a.Line, a.Username
			results <- result{a.Seq, prev}
		case e.cfg.DryRun && e.cfg.API == "":
			results <- result{a.Seq, wouldCreateOffline(&a)}
		case e.stopReason(ctx) != "":
			results <- result{a.Seq, pendingRow(&a, 0, e.stopReason(ctx))}
		default:
			batch = append(batch, a)
			if len(batch) >= size {
				flush()
			}
		}
	}
}

func (e *Engine) stopReason(ctx context.Context) string {
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return "stopped: " + cause.Error()
		}
		return "the run was interrupted before this row was sent"
	}
	if err := e.pacer.Stopped(); err != nil {
		return err.Error()
	}
	return ""
}

// stopWhy says why a row ends pending: the run's reason, or err's.
func (e *Engine) stopWhy(ctx context.Context, err error) string {
	if why := e.stopReason(ctx); why != "" {
		return why
	}
	return err.Error()
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
		Code: "pending", Message: why + "; run again with --resume to continue", Attempts: attempts,
		FinishedAt: report.Timestamp{Time: time.Now()}}
}

// sequence writes results in input order. A row that is next in order is
// written at once; one decided early waits in held for the rows before it.
// Rows that are ready together are flushed together, so a decided row waits
// for nothing but the CPU while a fast dry run needs no syscall per row.
func (e *Engine) sequence(results <-chan result, sink Sink, sum *report.Summary, stop context.CancelCauseFunc) error {
	held := map[int]report.Row{}
	next := 0
	var batch []report.Row
	var err error
	take := func(r result) {
		if r.seq != next {
			held[r.seq] = r.row
			return
		}
		batch = append(batch, r.row)
		next++
		for len(held) > 0 {
			row, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			batch = append(batch, row)
			next++
		}
	}
	for r := range results {
		take(r)
	drain:
		for len(batch) < 4096 {
			select {
			case r, ok := <-results:
				if !ok {
					break drain
				}
				take(r)
			default:
				break drain
			}
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
				stop(fmt.Errorf("the results file cannot be written: %w", err))
			}
		}
		batch = batch[:0]
	}
	if len(held) > 0 && err == nil {
		err = fmt.Errorf("internal error: %d rows could not be ordered", len(held))
	}
	return err
}

// clockSkew is how far the wiki's clock may be behind ours.
const clockSkew = 2 * time.Minute

// resolveAmbiguous decides a row whose earlier attempt may have created the
// account: the wiki now says the name exists, and the newusers log tells
// whether we were the creator.
func (e *Engine) resolveAmbiguous(ctx context.Context, s *Session, a *Account, attempts int, since time.Time, log *zap.Logger) (report.Row, bool) {
	rctx, cancel := e.requestContext(ctx)
	defer cancel()
	// Allow for the wiki's clock being behind ours.
	if !since.IsZero() {
		since = since.Add(-clockSkew)
	}
	when, ours, err := s.createdBy(rctx, a.Canonical, s.Owner, since)
	if err != nil {
		log.Warn("newusers-log", zap.Error(err))
		return report.Row{}, false
	}
	log.Info("newusers-log", zap.Bool("created_by_us", ours), zap.Time("timestamp", when))
	if !ours {
		return report.Row{}, false
	}
	return report.Row{Line: a.Line, Username: a.Username, Canonical: a.Canonical, Status: report.Created,
		Message:  "created by an earlier attempt whose answer was lost, as the newusers log shows",
		Attempts: attempts, FinishedAt: report.Timestamp{Time: when}}, true
}

func (e *Engine) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), e.cfg.RequestTimeout)
}
