package provision

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/provision/sheet"
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
	// DryRun sends no write: the names of the rows the plan sends are
	// checked with list=users&usprop=cancreate instead of being created,
	// by one session, not paced by Rate (which is the rate of creations).
	DryRun bool
	// RequestTimeout bounds one request, also one already in flight when the
	// run is interrupted (its answer is still recorded).
	RequestTimeout time.Duration
	// GrantOnly: create nothing; add the existing accounts of the rows to
	// their groups (a row whose account does not exist fails).
	GrantOnly bool
	// Groups: rows may ask for groups, so sessions fetch a userrights
	// token too, and the pre-flight learns which groups the creator may
	// add. AddGroups are the run's groups for every row: the pre-flight
	// refuses one the creator may not add.
	Groups    bool
	AddGroups []string
}

// Reporter is told about the run as it goes; the terminal UI implements it.
// Calls come from several goroutines.
type Reporter interface {
	// RowDone: a row is decided; sent when a request of this run decided
	// it (not a row carried over from an earlier run, nor one the plan or
	// a stop decided).
	RowDone(row report.Row, sent bool)
	Paused(pacer.Pause)
}

// NopReporter is a Reporter that shows nothing.
type NopReporter struct{}

// RowDone does nothing.
func (NopReporter) RowDone(report.Row, bool) {}

// Paused does nothing.
func (NopReporter) Paused(pacer.Pause) {}

// Sink stores decided rows, in input order, and keeps the journal of the
// requests that may create an account.
type Sink interface {
	Write(rows ...report.Row) error
	// Sent writes down that a request to create the account name goes
	// out at at; it returns before the request is sent, so that a resumed
	// run can tell an account this record asked for from another's.
	Sent(name string, at time.Time) error
}

// Deps are the engine's collaborators, passed in rather than global. Any
// left nil gets a default that does nothing, or the real thing.
type Deps struct {
	HTTP     *http.Client // shared transport; every session gets its own cookie jar
	Log      *zap.Logger
	Reporter Reporter
	Clock    pacer.Clock
	// Advise completes a decided row, before it is reported and recorded,
	// with what the user can do about it, worded from its code and facts.
	Advise func(*report.Row, Facts)
}

// Engine provisions accounts.
type Engine struct {
	cfg    Config
	deps   Deps
	pacer  *pacer.Pacer
	streak *streak // unexplained refusals in a row
	faults *streak // the same error of the wiki's own in a row
	// exempt is the creator's name when it holds noratelimit and its own
	// sessions send the run's requests: the wiki's per-IP throttle should
	// never refuse them. Set by Run before its workers start.
	exempt string
}

// New returns an engine.
func New(cfg Config, deps Deps) *Engine {
	if deps.Log == nil {
		deps.Log = zap.NewNop()
	}
	if deps.HTTP == nil {
		deps.HTTP = http.DefaultClient
	}
	if deps.Reporter == nil {
		deps.Reporter = NopReporter{}
	}
	if deps.Clock == nil {
		deps.Clock = pacer.SystemClock{}
	}
	if deps.Advise == nil {
		deps.Advise = func(*report.Row, Facts) {}
	}
	cfg.Workers = max(cfg.Workers, 1)
	if cfg.DryRun {
		// A dry run only reads: one request at a time, as the wiki's read
		// etiquette asks, as many names a request as the creator may.
		cfg.Workers = 1
	}
	cfg.MaxAttempts = max(cfg.MaxAttempts, 1)
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	return &Engine{cfg: cfg, deps: deps, pacer: pacer.New(cfg.Rate, cfg.MaxWait, deps.Clock, deps.Log, deps.Reporter.Paused),
		streak: unexplained(), faults: faults()}
}

// decided is a row the engine has decided, on its way to be recorded.
type decided struct {
	seq   int
	row   report.Row
	facts Facts
	sent  bool // decided by a request of this run (not carried, not offline)
	// made: this run's request created the account (not an earlier run's
	// found in the new-users log, not an account an earlier run decided).
	made bool
}

// Run carries out plan: the rows the plan decided are recorded as they are,
// and the others go to the wiki, created (or, in a dry run, checked) by
// sessions of creator — the one Preflight returned, or nil when nobody
// logs in (a dry run that only reads). Every row ends as exactly one
// results row, written to sink in input order as soon as it and all rows
// before it are decided. Cancelling ctx stops dispatching: requests in
// flight finish, and the rest end pending — but a dry run, which records
// nothing on the wiki, stops at the row it reached. Run returns the summary and
// ErrInterrupted, a *WaitLimitError, a *CreatorError (both match
// ErrStopped), a *RecordError, or an error reading
// the sheet again: ErrSheetChanged when it is no longer what the plan read
// — before anything was sent when it had changed by the time Run began,
// else where the reading reached the changed block.
func (e *Engine) Run(ctx context.Context, plan *Plan, creator *Creator, sink Sink) (*report.Summary, error) {
	start := e.deps.Clock.Now()
	sum := report.NewSummary()
	if creator == nil {
		creator = &Creator{}
	}
	if creator.Name == "" && plan.Counts.ToSend() > 0 && !e.cfg.DryRun {
		return sum, errors.New("provision: creating accounts, or adding them to groups, needs the creator that Preflight returns")
	}
	sh, err := plan.reopen()
	if err != nil {
		return sum, err
	}
	if creator.NoRateLimit && !e.asksAnonymously(creator) {
		e.exempt = creator.Name
	}
	// A results file that cannot be written stops the run: no account may
	// be created without its row.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	work := make(chan []job, e.cfg.Workers)
	results := make(chan decided, 4*e.cfg.Workers)

	var recordErr error
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		recordErr = e.record(results, sink, sum, stop)
	}()

	var wg sync.WaitGroup
	for i, s := range e.sessions(creator) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := worker{id: i, s: s, earlier: plan.opts.Previous, creator: creator, sent: func(name string) error {
				if err := sink.Sent(name, e.deps.Clock.Now()); err != nil {
					re := &RecordError{Err: err}
					e.deps.Log.Error("journal", zap.Error(err))
					stop(re)
					return re
				}
				return nil
			}}
			for batch := range work {
				switch {
				case e.cfg.DryRun:
					for _, d := range e.checkNames(ctx, w, batch) {
						results <- d
					}
				case batch[0].grantOnly():
					e.grantBatch(ctx, w, batch, func(d decided) { results <- d })
				default:
					for j := range batch {
						results <- e.create(ctx, w, &batch[j].Account)
					}
				}
			}
		}()
	}

	size := e.batchSize(creator)
	// The sessions and batches the run really uses: a dry run, which only
	// reads, has one session whatever Config.Workers asked for.
	e.deps.Log.Info("sessions", zap.Int("workers", e.cfg.Workers), zap.Int("rows_per_request", size))
	readErr := e.dispatch(ctx, plan, sh, size, work, results)
	close(work)
	wg.Wait()
	close(results)
	<-recorded
	sum.Elapsed = e.deps.Clock.Now().Sub(start)

	switch {
	case readErr != nil:
		return sum, readErr
	case recordErr != nil:
		return sum, recordErr
	case ctx.Err() != nil:
		return sum, ErrInterrupted
	}
	return sum, e.pacer.Stopped()
}

// worker is one of the run's concurrent sessions.
type worker struct {
	id      int
	s       *mwapi.Session
	earlier *report.Previous // what earlier runs recorded, when the run continues them
	creator *Creator
	// sent writes down that a request to create the account name goes
	// out; an error stops the run (nothing is sent unrecorded).
	sent func(name string) error
}

// dispatch goes through the plan: the rows it decided are recorded, the
// rest go to the workers — one row at a time for a run, in batches for a
// dry run's name check — or, once the run stops, end pending.
func (e *Engine) dispatch(ctx context.Context, plan *Plan, sh *sheet.Sheet, size int, work chan<- []job, results chan<- decided) error {
	var batch []job
	flush := func() {
		if len(batch) == 0 {
			return
		}
		select {
		case work <- batch:
		case <-ctx.Done():
			for i := range batch {
				results <- batch[i].pending(e.stopped(ctx), e.deps.Clock.Now())
			}
		}
		batch = nil
	}
	defer flush()
	for st, err := range plan.steps(sh) {
		if err != nil {
			return err
		}
		if e.cfg.DryRun && ctx.Err() != nil {
			// A prediction is no record: an interrupted dry run stops at
			// once, its results holding the rows it reached.
			return nil
		}
		a := &st.Account
		now := e.deps.Clock.Now()
		switch {
		case st.verdict == problem:
			row := problemRow(a, now)
			e.deps.Log.Info("offline", zap.Int("line", a.Line), zap.String("username", a.Username),
				zap.String("status", string(row.Status)), zap.String("code", row.Code))
			results <- decided{seq: a.Seq, row: row}
		case st.verdict == carried:
			results <- decided{seq: a.Seq, row: plan.previous(&st)}
		case st.verdict == wouldCreate:
			row := rowFor(a, classify.Outcome{Status: report.WouldCreate, Message: "passes every offline check"}, 0, now)
			if len(a.Grants) > 0 {
				row.Groups = groups.GroupResults(a.Grants, report.GrantWould)
			}
			results <- decided{seq: a.Seq, row: row, facts: Facts{Offline: true}}
		default:
			j := job{Account: *a, createsNone: e.cfg.GrantOnly}
			if st.verdict == regrant {
				prev := plan.previous(&st)
				j.prev = &prev
			}
			if stop := e.stopped(ctx); stop != nil {
				results <- j.pending(stop, now)
				continue
			}
			batch = append(batch, j)
			if len(batch) >= size {
				flush()
			}
		}
	}
	return nil
}

// stopped returns what stops the run, or nil: a row that cannot be
// recorded, an interruption, or waiting past the limit.
func (e *Engine) stopped(ctx context.Context) error {
	if ctx.Err() != nil {
		var re *RecordError
		if errors.As(context.Cause(ctx), &re) {
			return re
		}
		return ErrInterrupted
	}
	return e.pacer.Stopped()
}

// record writes decided rows in input order. A row that is next in order is
// written at once; one decided early waits in held for the rows before it.
// Rows that are ready together are written together, so a decided row waits
// for nothing but the CPU while a fast dry run needs no syscall per row.
// Each row is completed with advice, counted and reported first.
func (e *Engine) record(results <-chan decided, sink Sink, sum *report.Summary, stop context.CancelCauseFunc) error {
	held := map[int]decided{}
	next := 0
	var batch []report.Row
	var sent []bool // of each row in batch: decided by a request of this run
	created := 0    // accounts this run created, of the rows in batch
	var err *RecordError
	take := func(d decided) {
		if d.seq != next {
			held[d.seq] = d
			return
		}
		for ok := true; ok; d, ok = held[next] {
			delete(held, next)
			e.deps.Advise(&d.row, d.facts)
			batch, sent = append(batch, d.row), append(sent, d.sent)
			if d.made {
				created++
				sum.CreatedNow++
			}
			next++
		}
	}
	for d := range results {
		take(d)
	drain:
		for len(batch) < 4096 {
			select {
			case d, ok := <-results:
				if !ok {
					break drain
				}
				take(d)
			default:
				break drain
			}
		}
		if len(batch) == 0 {
			continue
		}
		for i, row := range batch {
			sum.Add(row)
			e.deps.Reporter.RowDone(row, sent[i])
		}
		if err == nil {
			if werr := sink.Write(batch...); werr != nil {
				err = &RecordError{Err: werr}
				e.deps.Log.Error("results", zap.Error(werr))
				stop(err)
			}
		}
		if err != nil {
			err.Created += created
		}
		batch, sent, created = batch[:0], sent[:0], 0
	}
	if len(held) > 0 && err == nil {
		err = &RecordError{Err: errors.New("internal error: rows could not be ordered")}
	}
	if err == nil {
		return nil
	}
	return err
}

func (e *Engine) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), e.cfg.RequestTimeout)
}
