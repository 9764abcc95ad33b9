// Package job is one run of a sheet on a wiki as a chain of steps, each
// returning the value the next one needs, so that every front-end — the
// command line, the organizer's console — drives the same run:
//
//	site    := AskSite(…)                  the wiki's language, namespaces, extensions
//	prev    := Previous(…)                 what earlier runs recorded (resuming)
//	plan    := ReadPlan(…, site, prev, src) every row decided, from a sheet the caller hands over
//	eng     := NewEngine(…, plan)
//	creator := Preflight(…, eng, plan)     who creates, and what it may do
//	ex      := FindExisting(…)             the accounts to create that exist already
//	conf    := Confirm(…)                  the facts a person confirms, as one value
//	results := Start(…)                    the results file opened
//	sum     := eng.Run(…)                  rows created, reported through a provision.Reporter
//	end     := Finish(…)                   the record committed; how the run ended
//
// The steps state facts and codes, never words: each front-end says them
// in its own.
package job

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/names"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// Options are what one run is asked to do, validated, passed by value: the
// command line fills them from its flags, the console from its form.
type Options struct {
	API        string // the wiki's api.php; empty for an offline dry run
	User       string // bot password login, User@App
	Password   string // secret
	OAuthToken string // secret: an owner-only OAuth 2 access token, instead of User and Password
	UserAgent  string
	// Contact is how the wiki's operators reach the person running the
	// run (in UserAgent too); empty when none was given.
	Contact string

	Reason       string // the public reason of every row that brings none
	MailPassword bool   // the wiki mails each new user a temporary password
	// Grant: create nothing; add the existing accounts of the sheet to
	// groups.
	Grant bool
	// DryRun creates nothing and predicts every row: offline without API.
	DryRun bool
	// Resume continues the record at Out: rows it decided for good are
	// carried over.
	Resume bool

	Workers        int
	Rate           rate.Limit // of creation requests; rate.Inf: no limit
	MaxAttempts    int
	MaxWait        time.Duration
	RequestTimeout time.Duration

	// Columns choose, by field name, the column that feeds a field.
	Columns map[string]string
	// AddGroups are the groups every account is added to; GroupExpiry how
	// long (empty: permanently, unless a row says otherwise).
	AddGroups   []string
	GroupExpiry string
	// WikiLanguage is the wiki's content language as given (empty: asked
	// of the wiki, else English).
	WikiLanguage string

	Out string // the results file
}

// Authenticated reports whether the run logs in: a creator was given.
func (o Options) Authenticated() bool { return o.User != "" || o.OAuthToken != "" }

// Offline reports whether the run is a dry run without a wiki.
func (o Options) Offline() bool { return o.DryRun && o.API == "" }

// Site is what the run knows of the wiki before it reads the sheet.
type Site struct {
	// Names are the rules names are checked by: the wiki's language and
	// namespace names, or the language given (English by default) with
	// English namespace names.
	Names names.Rules
	// DecidesAtCreation names the wiki's extensions that judge an account
	// only when it is created (AbuseFilter): no dry run can foresee them.
	DecidesAtCreation []string
	// Unknown says why the wiki could not say its language, when it could
	// not: names are then checked by Names.Lang's rules, and the
	// pre-flight tells what is wrong with the wiki.
	Unknown error
}

// LanguageError: the run was told a content language, and the wiki has
// another.
type LanguageError struct{ Given, Wiki string }

func (e *LanguageError) Error() string {
	return "the wiki's content language is " + e.Wiki + ", not " + e.Given
}

// AskSite learns the rules the sheet's names are checked by: from the wiki
// when the run has one, else from the language given, else English. A
// wiki that cannot say is no error (Site.Unknown); one whose language is
// not the one given is a *LanguageError.
func AskSite(ctx context.Context, o Options, hc *http.Client, clock pacer.Clock) (Site, error) {
	site := Site{Names: names.Rules{Lang: cmp.Or(strings.ToLower(o.WikiLanguage), "en")}}
	if o.API == "" {
		return site, nil
	}
	s, err := provision.AskSite(ctx, hc, clock, o.API, o.UserAgent, o.OAuthToken, o.RequestTimeout)
	site.DecidesAtCreation = s.DecidesAtCreation
	switch {
	case ctx.Err() != nil:
		return site, ctx.Err()
	case err != nil:
		site.Unknown = err
		return site, nil
	}
	if o.WikiLanguage != "" && !strings.EqualFold(o.WikiLanguage, s.Names.Lang) {
		return site, &LanguageError{Given: o.WikiLanguage, Wiki: s.Names.Lang}
	}
	site.Names = s.Names
	return site, nil
}

// Previous is what earlier runs of the sheet recorded, for a run that
// resumes (nil otherwise); a record about another wiki is refused (a
// *report.OtherWikiError).
func Previous(o Options, rec *report.Record) (*report.Previous, error) {
	return rec.Previous(o.API)
}

// ReadPlan reads the sheet from src — which the caller owns, and keeps
// open until the run returns — and decides every row: the plan of the run.
// started is when the run started: a duration of a group expiry counts
// from it, or from the first run of a record that added groups.
func ReadPlan(ctx context.Context, o Options, site Site, prev *report.Previous, src sheet.Source, started time.Time) (*provision.Plan, error) {
	return provision.ReadPlan(ctx, src, planOptions(o, site, prev, started))
}

// planOptions say how the plan decides rows.
func planOptions(o Options, site Site, prev *report.Previous, started time.Time) provision.PlanOptions {
	// A duration counts from the start of the first run of the record
	// that added groups, as its journal says, so that a resumed run asks
	// for the same expiry and finds the grant an earlier one made — even
	// one killed before it recorded a row; else from this run.
	from := started
	switch {
	case prev == nil:
	case !prev.GroupsFrom.IsZero():
		from = prev.GroupsFrom
	case prev.GroupsAsked && !prev.About.FirstRun.IsZero():
		// A record of an earlier version, without a journal.
		from = prev.About.FirstRun
	}
	return provision.PlanOptions{MailPassword: o.MailPassword && !o.Grant, Offline: o.Offline(), Previous: prev, Columns: o.Columns,
		Groups: groups.Options{Add: o.AddGroups, Expiry: o.GroupExpiry, From: from, Now: started}, GrantOnly: o.Grant, Names: site.Names}
}

// NewEngine is the engine that carries out plan.
func NewEngine(o Options, plan *provision.Plan, deps provision.Deps) *provision.Engine {
	return provision.New(provision.Config{
		API: o.API, User: o.User, Password: o.Password, OAuthToken: o.OAuthToken, Reason: o.Reason, MailPassword: o.MailPassword,
		Workers: o.Workers, Rate: o.Rate, MaxAttempts: o.MaxAttempts, MaxWait: o.MaxWait,
		UserAgent: o.UserAgent, DryRun: o.DryRun, RequestTimeout: o.RequestTimeout,
		GrantOnly: o.Grant, Groups: plan.GroupsAsked(), AddGroups: o.AddGroups,
	}, deps)
}

// Preflight logs in and checks the creator, when the run has one and will
// send something: a setup that would fail every row stops here, and a row
// asking for a group the creator may not add becomes a problem of the
// plan. A run that would break a norm the wiki sets the creator's group
// (provision.CheckNorms) stops here too. It returns nil and no error when
// nobody logs in.
func Preflight(ctx context.Context, o Options, eng *provision.Engine, plan *provision.Plan, log *zap.Logger) (*provision.Creator, error) {
	if !o.Authenticated() || !o.DryRun && plan.Counts.ToSend() == 0 {
		return nil, nil
	}
	c, err := eng.Preflight(ctx)
	if err == nil && c.Addable != nil {
		err = plan.Restrict(ctx, c.Addable, c.AddableWhy)
	}
	if err == nil {
		// After Restrict: the rows it made problems send nothing.
		err = provision.CheckNorms(plan, c)
	}
	if err != nil {
		log.Error("preflight", zap.Error(err))
		return nil, err
	}
	return c, nil
}

// FindExisting learns which of the accounts to create exist already, for
// a run that adds accounts to groups: it adds them to the groups too, and
// at an event an existing name may be a stranger's. It returns nil and no
// error when the run would not add such accounts.
func FindExisting(ctx context.Context, o Options, eng *provision.Engine, plan *provision.Plan, c *provision.Creator, log *zap.Logger) (*provision.Existing, error) {
	if o.DryRun || o.Grant || c == nil || !plan.GroupsAsked() || plan.Counts.ToCreate == 0 {
		return nil, nil
	}
	ex, err := eng.FindExisting(ctx, plan, c)
	if err != nil {
		log.Warn("existing", zap.Error(err))
		return nil, err
	}
	log.Info("existing", zap.Int("accounts", ex.Count))
	return &ex, nil
}

// SheetChangedError: the sheet is no longer what the plan read (and a
// person confirmed); nothing was sent.
type SheetChangedError struct{ Err error }

func (e *SheetChangedError) Error() string { return e.Err.Error() }
func (e *SheetChangedError) Unwrap() error { return e.Err }

// Start checks that the sheet is still what the plan read (a
// *SheetChangedError if not: nothing was sent) and opens the results
// file of the run, each row stamped with the wiki, the creator and the
// start of the record's first run — this one's, unless it resumes an
// earlier.
func Start(o Options, rec *report.Record, plan *provision.Plan, c *provision.Creator, started time.Time) (*report.File, error) {
	if err := plan.Verify(); err != nil {
		return nil, &SheetChangedError{Err: err}
	}
	about := report.About{Wiki: o.API, FirstRun: started}
	if c != nil {
		about.Creator = c.Name
	}
	if prev := plan.Previous(); prev != nil && !prev.About.FirstRun.IsZero() {
		about.FirstRun = prev.About.FirstRun
	}
	return rec.Start(about, report.Run{Started: started, Groups: plan.GroupsAsked(), DryRun: o.DryRun})
}

// End is how a run ended, once its record is committed.
type End struct {
	Summary *report.Summary
	// Stopped is what made the wiki's side stop the run, rows left
	// pending: a wait past the limit, a refusal about the creator
	// (matches pacer.ErrStopped). The record is whole.
	Stopped error
	// Err is what else ended the run: provision.ErrInterrupted, a results
	// file that cannot be written, a sheet changed under the run; nil
	// when every row was decided.
	Err error
	// Kept is where the previous results went, with rows no longer in
	// the sheet, when they were kept aside at the commit.
	Kept string
}

// Finish commits the record of a run that Run ended with sum and runErr:
// a run that ended, was stopped or was interrupted leaves a whole record.
func Finish(rec *report.Record, plan *provision.Plan, sum *report.Summary, runErr error, log *zap.Logger) End {
	log.Info("summary", zap.Any("counts", sum.Counts), zap.Int("rows", sum.Total),
		zap.Duration("elapsed", sum.Elapsed), zap.Float64("accounts_per_second", sum.PerSecond()))
	end := End{Summary: sum}
	unmatched := plan.Counts.Unmatched
	if runErr == nil || errors.Is(runErr, pacer.ErrStopped) || errors.Is(runErr, provision.ErrInterrupted) {
		if err := rec.Commit(unmatched > 0); err != nil && runErr == nil {
			runErr = err
		}
		if unmatched > 0 {
			end.Kept = rec.Kept()
		}
	}
	if errors.Is(runErr, pacer.ErrStopped) {
		end.Stopped = runErr
	} else {
		end.Err = runErr
	}
	return end
}
