package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

func runCommand(s *streams, getenv func(string) string) *cli.Command {
	o := &runOptions{}
	return &cli.Command{
		Name:      "run",
		Usage:     "create the accounts of a CSV sheet on a wiki",
		ArgsUsage: "ACCOUNTS.csv",
		Description: `Reads ACCOUNTS.csv (a header row with at least a username column; email,
realname, reason and password columns are used when present), checks every
row offline, logs in with a bot password and creates each account through
the wiki's Action API. Every row ends with one line in the results CSV.

The bot password is read from --password-file or the MWPROVISION_PASSWORD
environment variable, never from the command line.

Examples:
  Check a sign-up sheet before the event (creates nothing)
    mwprovision run --dry-run signups.csv
    mwprovision run --dry-run --api https://xx.wikipedia.org/w/api.php --user Organizer@bulk \
      --password-file ~/.config/mwprovision/botpassword signups.csv

  Edit-a-thon: the wiki mails each participant a temporary password
    mwprovision run --api https://xx.wikipedia.org/w/api.php --user Organizer@bulk \
      --password-file ~/.config/mwprovision/botpassword --contact you@example.org \
      --reason "Edit-a-thon 2026" signups.csv

  Migration to your own wiki, with the passwords in the sheet
    mwprovision run --api https://wiki.example.org/w/api.php --user Admin@migrate \
      --password-file admin.botpassword --mailpassword=false --workers 4 --rate 10/s users.csv`,
		Flags: o.flags(false),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%v (see mwprovision run --help)", err)
		},
		Before: func(c *cli.Context) error { return o.validate(c.Context, c.Args().Slice(), s, getenv) },
		Action: func(c *cli.Context) error { return o.run(c.Context, s, pacer.SystemClock{}) },
	}
}

func grantCommand(s *streams, getenv func(string) string) *cli.Command {
	o := &runOptions{grant: true}
	return &cli.Command{
		Name:      "grant",
		Usage:     "add the existing accounts of a CSV sheet to groups, creating nothing",
		ArgsUsage: "ACCOUNTS.csv",
		Description: `Reads ACCOUNTS.csv (a header row with a username column; a groups and an
expiry column are used when present) and adds each row's existing account
to the groups of --add-groups and of its groups cell, never shortening a
membership it already holds, never giving confirmed to an account that is
autoconfirmed already. It creates no account: a name with no account is a
failed row, so a typo never becomes a new, permanent account. To create
accounts and add them to groups in one go, give run the same flags.

The results go to NAME.groups.results.csv beside the sheet.

Examples:
  Returning participants: confirmed for 10 days (the longest the English Wikipedia's
  event coordinators may give it)
    mwprovision grant --api https://xx.wikipedia.org/w/api.php --user Organizer@bulk \
      --password-file ~/.config/mwprovision/botpassword \
      --add-groups confirmed --group-expiry "10 days" --reason "Edit-a-thon 2026" returning.csv

  Check first: who exists, and who would be added until when
    mwprovision grant --dry-run --api https://xx.wikipedia.org/w/api.php \
      --add-groups confirmed --group-expiry "10 days" returning.csv`,
		Flags: o.flags(true),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%v (see mwprovision grant --help)", err)
		},
		Before: func(c *cli.Context) error { return o.validate(c.Context, c.Args().Slice(), s, getenv) },
		Action: func(c *cli.Context) error { return o.run(c.Context, s, pacer.SystemClock{}) },
	}
}

// flags are the flags of run, and of grant (which creates nothing, so has
// no --mailpassword).
func (o *runOptions) flags(grant bool) []cli.Flag {
	fs := []cli.Flag{
		&cli.StringFlag{Name: "api", Usage: "the wiki's api.php `URL`", EnvVars: []string{"MWPROVISION_API"}, Destination: &o.API},
		&cli.StringFlag{Name: "user", Usage: "bot password login, `User@AppName`", EnvVars: []string{"MWPROVISION_USER"}, Destination: &o.User},
		&cli.StringFlag{Name: "password-file", Usage: "`FILE` holding the bot password (mode 0600); or set MWPROVISION_PASSWORD", EnvVars: []string{"MWPROVISION_PASSWORD_FILE"}, Destination: &o.PasswordFile},
		&cli.StringFlag{Name: "oauth-token-file", Usage: "log in with an owner-only OAuth 2 consumer instead: `FILE` holding its access token (mode 0600); or set MWPROVISION_OAUTH_TOKEN", EnvVars: []string{"MWPROVISION_OAUTH_TOKEN_FILE"}, Destination: &o.OAuthFile},
		&cli.StringFlag{Name: "reason", Usage: "reason logged for each creation; a reason column overrides it per row", EnvVars: []string{"MWPROVISION_REASON"}, Destination: &o.Reason},
		&cli.BoolFlag{Name: "mailpassword", Value: true, Usage: "the wiki mails each new user a temporary password (every row needs an email); --mailpassword=false takes passwords from a password column", EnvVars: []string{"MWPROVISION_MAILPASSWORD"}, Destination: &o.MailPassword},
		&cli.StringFlag{Name: "out", Usage: "results CSV `FILE` (default: NAME.results.csv next to the sheet, NAME.dry-run.results.csv with --dry-run; an existing one is kept aside)", EnvVars: []string{"MWPROVISION_OUT"}, Destination: &o.Out},
		&cli.StringFlag{Name: "log-file", Usage: "JSON-lines log `FILE`, appended to (default: NAME.log.jsonl next to the sheet, NAME.dry-run.log.jsonl with --dry-run)", EnvVars: []string{"MWPROVISION_LOG_FILE"}, Destination: &o.LogFile},
		&cli.IntFlag{Name: "workers", Value: defaultWorkers, Usage: "concurrent sessions; keep 1 on Wikimedia wikis", EnvVars: []string{"MWPROVISION_WORKERS"}, Destination: &o.Workers},
		&cli.StringFlag{Name: "rate", Value: defaultRate, Usage: "at most this many creation requests, as `N/s`, N/m or N/h (0: no limit)", EnvVars: []string{"MWPROVISION_RATE"}, Destination: &o.Rate},
		&cli.IntFlag{Name: "max-attempts", Value: defaultMaxAttempts, Usage: "attempts per row on network and server faults (throttle waits do not count)", EnvVars: []string{"MWPROVISION_MAX_ATTEMPTS"}, Destination: &o.MaxAttempts},
		&cli.DurationFlag{Name: "max-wait", Value: defaultMaxWait, Usage: "longest total time to wait on the wiki's throttle and retries; then stop and leave the rest pending", EnvVars: []string{"MWPROVISION_MAX_WAIT"}, Destination: &o.MaxWait},
		&cli.StringFlag{Name: "contact", Usage: "email or user page for the User-Agent, as Wikimedia's User-Agent policy asks", EnvVars: []string{"MWPROVISION_CONTACT"}, Destination: &o.Contact},
		&cli.BoolFlag{Name: "yes", Usage: "do not ask for confirmation (needed without a terminal: accounts can never be deleted)", EnvVars: []string{"MWPROVISION_YES"}, Destination: &o.Yes},
		&cli.BoolFlag{Name: "allow-insecure-http", Usage: "allow a plain http:// --api on another machine (the passwords then travel unencrypted)", EnvVars: []string{"MWPROVISION_ALLOW_INSECURE_HTTP"}, Destination: &o.Insecure},
		&cli.BoolFlag{Name: "resume", Usage: "continue from the results file: skip rows already created or exists (matched by username), attempt the rest", EnvVars: []string{"MWPROVISION_RESUME"}, Destination: &o.Resume},
		&cli.DurationFlag{Name: "request-timeout", Value: time.Minute, Usage: "longest wait for one answer of the wiki (a request still going on at Ctrl-C is given this long)", EnvVars: []string{"MWPROVISION_REQUEST_TIMEOUT"}, Destination: &o.Timeout},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only errors, warnings, the public reasons a run with --yes publishes, and the summary", EnvVars: []string{"MWPROVISION_QUIET"}, Destination: &o.Quiet},
		&cli.BoolFlag{Name: "dry-run", Usage: "check the sheet and predict every row's status, creating nothing: offline without --api; with --api the names are checked against the wiki, with --user the creator too", EnvVars: []string{"MWPROVISION_DRY_RUN"}, Destination: &o.DryRun},
		&cli.StringSliceFlag{Name: "column", Usage: "which sheet column feeds a field, as `FIELD=COLUMN` (username, email, realname, reason, password, groups or expiry; COLUMN a header, or #N for the Nth column; empty: none); repeat for each field", Destination: &o.Columns},
		&cli.StringSliceFlag{Name: "add-groups", Usage: "add each account, new or existing, to these `GROUPS` (such as confirmed, or sysop;bureaucrat); a groups column adds more per row", EnvVars: []string{"MWPROVISION_ADD_GROUPS"}, Destination: &o.AddGroups},
		&cli.StringFlag{Name: "wiki-language", Usage: "the wiki's content language `CODE`, whose rules make names canonical (tr: \"ivan\" is \"İvan\" there); asked of the wiki when --api is given, English offline unless set", EnvVars: []string{"MWPROVISION_WIKI_LANGUAGE"}, Destination: &o.WikiLanguage},
		&cli.StringFlag{Name: "group-expiry", Usage: "how long the group memberships last: a `DURATION` such as \"2 weeks\", a date such as 2026-12-08, or infinite (confirmed needs one); an expiry column overrides it per row", EnvVars: []string{"MWPROVISION_GROUP_EXPIRY"}, Destination: &o.GroupExpiry},
	}
	if grant {
		fs = slices.DeleteFunc(fs, func(f cli.Flag) bool { return f.Names()[0] == "mailpassword" })
	}
	return fs
}

// run is the run action: one chain of the steps of a run (package job),
// each said in this program's words.
func (o runOptions) run(ctx context.Context, s *streams, clock pacer.Clock) error {
	started := clock.Now()
	jo := o.job()
	rec, err := report.OpenRecord(o.Out, o.Resume)
	if err != nil {
		return err
	}
	defer rec.Close()
	site, err := job.AskSite(ctx, jo, newHTTPClient(1), clock)
	if err != nil {
		return o.siteErr(err)
	}
	o.warn(s.err, job.SiteWarnings(site))
	prev, err := job.Previous(jo, rec)
	if err != nil {
		return o.previousErr(err)
	}
	o.warn(s.err, job.PreviousWarnings(prev))
	plan, closeSheet, err := o.readPlan(ctx, jo, site, prev, started)
	if err != nil {
		return err
	}
	defer closeSheet()
	o.warn(s.err, job.SheetWarnings(jo, plan))
	log, closeLog, err := openLog(o.LogFile, s.err)
	if err != nil {
		return err
	}
	defer closeLog()
	log.Info("start", zap.String("version", version), zap.String("sheet", o.sheet), zap.String("api", o.API),
		zap.String("user", o.User), zap.Bool("mailpassword", o.MailPassword), zap.Int("workers", o.Workers),
		zap.String("rate", o.Rate), zap.Bool("dry_run", o.DryRun), zap.Int("rows", plan.Counts.Rows), zap.Int("to_create", plan.Counts.ToCreate),
		zap.Int("to_grant", plan.Counts.ToGrant), zap.Strings("add_groups", o.groups), zap.String("group_expiry", o.GroupExpiry))
	con := newConsole(s.err, consoleOptions{tty: s.errTTY, quiet: o.Quiet, total: plan.Counts.Rows,
		toSend: plan.Counts.ToSend(), group: o.DryRun, clock: clock})
	eng := job.NewEngine(jo, plan, provision.Deps{HTTP: newHTTPClient(o.Workers), Log: log, Reporter: con, Clock: clock, Advise: advise})
	creator, err := job.Preflight(ctx, jo, eng, plan, log)
	if err != nil {
		return err
	}
	if creator != nil {
		o.say(s.err, "logged in to %s as %s\n", cmp.Or(creator.SiteName, o.API), creator.Name)
		o.warn(s.err, job.CreatorWarnings(jo, plan, creator))
	}
	if err := o.announce(ctx, s, jo, site, prev, plan, eng, creator, log); err != nil {
		log.Info("not confirmed", zap.Error(err))
		return err
	}
	results, err := job.Start(jo, rec, plan, creator, started)
	if sc := (*job.SheetChangedError)(nil); errors.As(err, &sc) {
		return fmt.Errorf("%s: %w; nothing was created: check the sheet, then run again", o.sheet, sc.Err)
	} else if err != nil {
		return err
	}
	o.sayStart(s.err, plan, rec.Kept())
	con.start()
	defer context.AfterFunc(ctx, func() { con.interrupted(o.DryRun) })()
	sum, runErr := eng.Run(ctx, plan, creator, results)
	con.finish()
	return o.finish(s.err, log, con, site, plan, job.Finish(rec, plan, sum, runErr, log))
}

// siteErr says what is wrong with what the wiki said of itself.
func (o runOptions) siteErr(err error) error {
	var le *job.LanguageError
	switch {
	case errors.Is(err, context.Canceled):
		return errInterruptedEarly
	case errors.As(err, &le):
		return fmt.Errorf("--wiki-language %s, but the wiki's content language is %s: leave --wiki-language out, the wiki's is used", le.Given, le.Wiki)
	}
	return err
}

// previousErr says what is wrong with the record a run would resume.
func (o runOptions) previousErr(err error) error {
	var ow *report.OtherWikiError
	if errors.As(err, &ow) {
		return fmt.Errorf("%s records a run on %s, not on %s: resume with that --api, or give this run another --out", ow.Path, ow.Wiki, cmp.Or(ow.Want, "no wiki (offline)"))
	}
	return err
}

// readPlan opens the sheet and reads it into the plan of the run: a
// regular file stays open for the run to read it again; anything else (a
// pipe, process substitution) is kept in memory as it is read. close
// closes it.
func (o runOptions) readPlan(ctx context.Context, jo job.Options, site job.Site, prev *report.Previous, started time.Time) (plan *provision.Plan, close func(), err error) {
	f, err := os.Open(o.sheet)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the sheet: %v", err)
	}
	src := sheet.Stream(f)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		src = sheet.File(f, fi.Size())
	}
	// Ctrl-C while reading: closing the sheet ends a read that waits on a
	// pipe.
	stop := context.AfterFunc(ctx, func() { f.Close() })
	plan, err = job.ReadPlan(ctx, jo, site, prev, src, started.UTC().Truncate(time.Second))
	if !stop() || err != nil {
		f.Close()
		switch {
		case ctx.Err() != nil:
			return nil, nil, errInterruptedEarly
		case errors.Is(err, groups.ErrNoExpiry):
			return nil, nil, errors.New("--add-groups confirmed needs --group-expiry or an expiry column in the sheet: confirmed is given for a while, such as --group-expiry \"10 days\" (--group-expiry infinite adds it permanently)")
		}
		return nil, nil, wrapSheetErr(o.sheet, err)
	}
	return plan, func() { f.Close() }, nil
}

// sayStart says where the previous results went and what the run will do.
func (o runOptions) sayStart(stderr io.Writer, plan *provision.Plan, kept string) {
	if kept != "" {
		o.say(stderr, "the previous results are kept as %s: this run starts a new record (--resume continues one)\n", kept)
	}
	verb := "to create"
	switch {
	case o.DryRun && plan.Counts.ToCreate == 1:
		verb = "passes the offline checks"
	case o.DryRun:
		verb = "pass the offline checks"
	}
	todo := fmt.Sprintf("%d %s", plan.Counts.ToCreate, verb)
	switch {
	case o.grant:
		todo = fmt.Sprintf("%d to add to groups", plan.Counts.ToGrant)
	case plan.Counts.ToGrant > 0:
		todo += fmt.Sprintf(", %d created or found before to add to groups", plan.Counts.ToGrant)
	}
	if o.Resume {
		o.say(stderr, "resuming: %s already created or existing, %s\n", rowsOf(plan.Counts.Carried), todo)
	} else {
		o.say(stderr, "%s, %s\n", rowsOf(plan.Counts.Rows), todo)
	}
}

// finish says how the run ended, and the summary; the error says it to
// the exit code.
func (o runOptions) finish(stderr io.Writer, log *zap.Logger, con *console, site job.Site, plan *provision.Plan, end job.End) error {
	if end.Kept != "" {
		fmt.Fprintf(stderr, "the previous results, with %d rows no longer in the sheet, are kept as %s\n", plan.Counts.Unmatched, end.Kept)
	}
	// The wiki made the run stop (a wait past --max-wait, a refusal about
	// the creator): the rows not decided are pending, and the record is
	// whole.
	if end.Stopped != nil {
		fmt.Fprintln(stderr, explain(end.Stopped))
	}
	con.printProblems(o.Out)
	sum := end.Summary
	sum.Print(stderr)
	if o.API == "" {
		fmt.Fprintf(stderr, "names: by the rules of a wiki in %s, English namespace names only (--wiki-language for another language; --api asks the wiki)\n", site.Names.Lang)
	}
	if o.DryRun && len(site.DecidesAtCreation) > 0 && sum.Counts[report.WouldCreate] > 0 {
		fmt.Fprintf(stderr, "note: the wiki runs %s, which judges an account only when it is created: a would-create row may still be refused then, and no dry run can know\n",
			strings.Join(site.DecidesAtCreation, " and "))
	}
	fmt.Fprintf(stderr, "results: %s\nlog: %s\n", o.Out, o.LogFile)
	switch runErr := end.Err; {
	case errors.Is(runErr, provision.ErrInterrupted) && o.DryRun:
		return errDryRunInterrupted
	case errors.Is(runErr, provision.ErrInterrupted):
		return runErr
	case runErr != nil:
		// Rows were already decided: not a setup error, whatever it was.
		log.Error("run", zap.Error(runErr))
		fmt.Fprintln(stderr, "mwprovision: "+explain(runErr))
		return errRowsNotOK
	case !sum.AllOK():
		return errRowsNotOK
	}
	return nil
}

// wrapSheetErr names the sheet in an error about it.
func wrapSheetErr(path string, err error) error {
	var se *sheet.SheetError
	var ac *sheet.AmbiguousColumnError
	var sn *sheet.SameNameColumnsError
	switch {
	case errors.As(err, &se):
		return &sheet.SheetError{Line: se.Line, Msg: fmt.Sprintf("%s: %s", path, se.Msg), Err: se.Err}
	case errors.As(err, &ac), errors.As(err, &sn):
		return fmt.Errorf("%s: %w", path, err)
	}
	return err
}

func newHTTPClient(workers int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = workers + 2
	return &http.Client{Transport: t}
}

// openLog opens the JSON-lines log for appending (mode 0600), and returns
// the logger and what closes it. If the log cannot be written (a full
// disk), stderr hears it once, in plain words.
func openLog(path string, stderr io.Writer) (*zap.Logger, func(), error) {
	f, err := report.OpenPrivate(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the log file: %v", err)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "time"
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	enc.EncodeDuration = zapcore.StringDurationEncoder
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(f), zap.InfoLevel),
		zap.ErrorOutput(zapcore.AddSync(&logFailure{path: path, w: stderr})))
	return log, func() { _ = log.Sync(); f.Close() }, nil
}

// logFailure takes zap's reports of a log that cannot be written and says
// so once.
type logFailure struct {
	path string
	w    io.Writer
	once sync.Once
}

func (l *logFailure) Write(p []byte) (int, error) {
	l.once.Do(func() {
		why := strings.TrimSpace(string(p))
		if _, after, ok := strings.Cut(why, "write error: "); ok {
			why = after
		}
		fmt.Fprintf(l.w, "warning: the log file %s cannot be written (%s); the run goes on, and the results file keeps the record\n", l.path, why)
	})
	return len(p), nil
}
