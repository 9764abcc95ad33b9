package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"
	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/report"
)

// maxSheetBytes refuses files no sheet of accounts reaches (a million rows
// are about 60 MiB), before reading them.
const maxSheetBytes = 2 << 30

// Defaults safe on a Wikimedia wiki: one request at a time (API etiquette:
// "make your requests in series"), one account every two seconds.
const (
	defaultWorkers     = 1
	defaultRate        = "30/m"
	defaultMaxAttempts = 5
	defaultMaxWait     = 30 * time.Minute
	maxWorkers         = 64
)

// runOptions is the configuration of `mwprovision run`.
type runOptions struct {
	API          string
	User         string
	PasswordFile string
	Reason       string
	MailPassword bool
	Out          string
	LogFile      string
	Workers      int
	Rate         string
	MaxAttempts  int
	MaxWait      time.Duration
	Contact      string
	Yes          bool
	DryRun       bool
	Quiet        bool
	Resume       bool
	Insecure     bool
	Timeout      time.Duration

	OAuthFile string

	sheet    string
	password string // secret
	oauth    string // secret: OAuth 2 access token
	limit    rate.Limit
}

func runCommand(getenv func(string) string) *cli.Command {
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
		Flags: []cli.Flag{
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
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only errors, warnings and the summary", EnvVars: []string{"MWPROVISION_QUIET"}, Destination: &o.Quiet},
			&cli.BoolFlag{Name: "dry-run", Usage: "check the sheet and predict every row's status, creating nothing: offline without --api; with --api the names are checked against the wiki, with --user the creator too", EnvVars: []string{"MWPROVISION_DRY_RUN"}, Destination: &o.DryRun},
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usagef("%v (see mwprovision run --help)", err)
		},
		Before: func(c *cli.Context) error { return o.validate(c, getenv) },
		Action: func(c *cli.Context) error { return o.run(c.Context, c.App.Reader, c.App.ErrWriter) },
	}
}

func (o *runOptions) validate(c *cli.Context, getenv func(string) string) error {
	if c.NArg() != 1 {
		return usagef("run needs exactly one sheet: mwprovision run [flags] ACCOUNTS.csv (got %d arguments)", c.NArg())
	}
	o.sheet = c.Args().First()
	switch {
	case o.API == "" && !o.DryRun:
		return usagef("no wiki: give --api https://…/w/api.php (or MWPROVISION_API), or check the sheet offline with --dry-run")
	case o.API == "" && (o.User != "" || o.OAuthFile != ""):
		return usagef("--user and --oauth-token-file need --api: the creator is checked on the wiki")
	case o.API != "":
		u, err := url.Parse(o.API)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--api %q is not an http(s) URL of api.php", o.API)
		}
		if u.User != nil {
			return usagef("--api must not contain a user or password; use --user and --password-file")
		}
		if u.Scheme == "http" && !isLoopback(o.API) && !o.Insecure {
			return usagef("--api %s is plain http to another machine: the bot password and the sheet's passwords would travel unencrypted; use https://, or --allow-insecure-http if you must", o.API)
		}
	}
	var err error
	if o.OAuthFile != "" || getenv("MWPROVISION_OAUTH_TOKEN") != "" {
		if o.User != "" {
			return usagef("give either --user (a bot password) or an OAuth token, not both")
		}
		if o.oauth, err = readSecret(o.OAuthFile, "MWPROVISION_OAUTH_TOKEN", "OAuth token", getenv); err != nil {
			return err
		}
	}
	if o.User == "" && o.oauth == "" && !o.DryRun {
		return usagef("no creator: give --user User@AppName, a bot password made on Special:BotPasswords with the \"Create accounts\" grant (or --oauth-token-file)")
	}
	if o.Workers < 1 || o.Workers > maxWorkers {
		return usagef("--workers %d: give 1 to %d", o.Workers, maxWorkers)
	}
	if o.MaxAttempts < 1 {
		return usagef("--max-attempts %d: give 1 or more", o.MaxAttempts)
	}
	if o.MaxWait < 0 {
		return usagef("--max-wait %s: give 0 or more", o.MaxWait)
	}
	if o.limit, err = parseRate(o.Rate); err != nil {
		return usagef("--rate %q: %v", o.Rate, err)
	}
	if o.User != "" {
		if o.password, err = readSecret(o.PasswordFile, "MWPROVISION_PASSWORD", "bot password", getenv); err != nil {
			if o.PasswordFile != "" || !isTerminal(c.App.Reader) || !isTerminal(c.App.ErrWriter) {
				return err
			}
			if o.password, err = promptSecret(c.App.Reader.(*os.File), c.App.ErrWriter, "Bot password for "+o.User+": "); err != nil {
				return err
			}
		}
	}
	base := strings.TrimSuffix(o.sheet, filepath.Ext(o.sheet))
	if o.DryRun {
		// Never overwrite a real run's results with a prediction.
		base += ".dry-run"
	}
	if o.Out == "" {
		o.Out = base + ".results.csv"
	}
	if o.LogFile == "" {
		o.LogFile = base + ".log.jsonl"
	}
	return nil
}

// parseRate reads "2/s", "30/m", "500/h", a bare number (per second), or 0
// for no limit.
func parseRate(s string) (rate.Limit, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	num, unit, _ := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n < 0 {
		return 0, errors.New("give a rate such as 2/s, 30/m or 500/h (0 for no limit)")
	}
	if n == 0 {
		return rate.Inf, nil
	}
	switch strings.TrimSpace(unit) {
	case "", "s", "sec", "second":
		return rate.Limit(n), nil
	case "m", "min", "minute":
		return rate.Limit(n / 60), nil
	case "h", "hour":
		return rate.Limit(n / 3600), nil
	}
	return 0, fmt.Errorf("unknown unit %q: use s, m or h", unit)
}

// readSecret takes a secret from a file that only its owner can read, or
// from the environment variable env.
func readSecret(file, env, what string, getenv func(string) string) (string, error) {
	if file != "" {
		fi, err := os.Stat(file)
		if err != nil {
			return "", usagef("cannot read the %s file: %v", what, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", usagef("the %s file %s can be read by other users (mode %04o); run: chmod 600 %s", what, file, fi.Mode().Perm(), file)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", usagef("cannot read the %s file: %v", what, err)
		}
		p := strings.TrimRight(string(b), "\r\n \t")
		if p == "" {
			return "", usagef("the %s file %s is empty", what, file)
		}
		return p, nil
	}
	if p := getenv(env); p != "" {
		return p, nil
	}
	return "", usagef("no %s: give its file (mode 0600) or set %s", what, env)
}

// promptSecret asks on the terminal without echo: the secret never
// reaches argv, the shell's history or the screen.
func promptSecret(in *os.File, out io.Writer, prompt string) (string, error) {
	fmt.Fprint(out, prompt)
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return "", usagef("cannot read the password from the terminal: %v", err)
	}
	if p := strings.TrimSpace(string(b)); p != "" {
		return p, nil
	}
	return "", usagef("no bot password given")
}

// userAgent follows Wikimedia's User-Agent policy: the tool, its version,
// and how to reach the person running it.
func (o *runOptions) userAgent() string {
	if o.Contact == "" {
		return "mwprovision/" + version
	}
	return fmt.Sprintf("mwprovision/%s (+%s)", version, o.Contact)
}

// scan reads the whole sheet once before anything is sent: it finds
// problems that make the sheet unusable and counts what a run will attempt.
func scan(path string, mailPassword bool, done map[string]report.Row) (*sheetScan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("cannot open the sheet: %v", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxSheetBytes {
		return nil, &provision.SheetError{Msg: fmt.Sprintf("%s is %d MiB: that is no sheet of accounts (the limit is %d MiB); check the file name, or split the sheet",
			path, fi.Size()>>20, maxSheetBytes>>20)}
	}
	sh, err := provision.NewSheet(f)
	if err != nil {
		return nil, wrapSheetErr(path, err)
	}
	sc := &sheetScan{ignored: sh.Ignored, hasPassword: sh.Column("password") >= 0}
	check := provision.NewChecker(mailPassword)
	for {
		a, err := sh.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, wrapSheetErr(path, err)
		}
		check.Check(&a)
		sc.rows++
		switch {
		case a.Problem != nil:
		case done[a.Canonical].Status.Final():
			sc.carried++
		default:
			sc.toCreate++
		}
	}
	return sc, nil
}

type sheetScan struct {
	rows, toCreate int
	carried        int // decided by an earlier run (--resume)
	ignored        []string
	hasPassword    bool
}

func wrapSheetErr(path string, err error) error {
	var se *provision.SheetError
	if errors.As(err, &se) {
		return &provision.SheetError{Line: se.Line, Msg: fmt.Sprintf("%s: %s", path, se.Msg)}
	}
	return err
}

func (o *runOptions) run(ctx context.Context, stdin io.Reader, stderr io.Writer) error {
	var done map[string]report.Row
	if o.Resume {
		var err error
		if done, err = readPrevious(o.Out); err != nil {
			return err
		}
	}
	sc, err := scan(o.sheet, o.MailPassword, done)
	if err != nil {
		return err
	}
	if len(sc.ignored) > 0 {
		fmt.Fprintf(stderr, "warning: ignoring columns %s (mwprovision reads username, email, realname, reason, password)\n", strings.Join(sc.ignored, ", "))
	}
	if o.MailPassword && sc.hasPassword {
		fmt.Fprintln(stderr, "warning: the password column is ignored because --mailpassword is on (the wiki mails each user a temporary password); use --mailpassword=false to set these passwords")
	}
	if o.User != "" && !strings.Contains(o.User, "@") {
		fmt.Fprintln(stderr, "warning: --user has no @AppName: logging in with a main account password is deprecated; make a bot password on Special:BotPasswords")
	}
	if o.Contact == "" && o.API != "" && !isLoopback(o.API) {
		fmt.Fprintln(stderr, "warning: no --contact: Wikimedia's User-Agent policy asks for an email or user page so that the wiki's operators can reach you")
	}

	logFile, err := os.OpenFile(o.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return usagef("cannot open the log file: %v", err)
	}
	defer logFile.Close()
	log := newFileLogger(logFile)
	defer log.Sync()
	log.Info("start", zap.String("version", version), zap.String("sheet", o.sheet), zap.String("api", o.API),
		zap.String("user", o.User), zap.Bool("mailpassword", o.MailPassword), zap.Int("workers", o.Workers),
		zap.String("rate", o.Rate), zap.Bool("dry_run", o.DryRun), zap.Int("rows", sc.rows), zap.Int("to_create", sc.toCreate))

	con := newConsole(stderr, isTerminal(stderr), o.Quiet, sc.rows)
	if o.DryRun {
		con.problems = report.NewProblems(50)
	}
	eng := provision.New(provision.Config{
		API: o.API, User: o.User, Password: o.password, OAuthToken: o.oauth, Reason: o.Reason, MailPassword: o.MailPassword,
		Workers: o.Workers, Rate: o.limit, MaxAttempts: o.MaxAttempts, MaxWait: o.MaxWait,
		UserAgent: o.userAgent(), DryRun: o.DryRun, Done: done, Resume: o.Resume, RequestTimeout: o.Timeout,
	}, provision.Deps{HTTP: newHTTPClient(o.Workers), Log: log, Reporter: con})
	con.window = eng.Pacer().Window
	say := func(format string, a ...any) {
		if !o.Quiet {
			fmt.Fprintf(stderr, format, a...)
		}
	}

	// The same pre-flight for a run (before its first write) and for a dry
	// run with --user: a setup that would fail every row stops here.
	site, who := o.API, o.User
	authenticated := o.User != "" || o.oauth != ""
	if authenticated && (o.DryRun || sc.toCreate > 0) {
		creator, err := eng.Preflight(ctx)
		if err != nil {
			log.Error("preflight", zap.Error(err))
			return err
		}
		site = orDefault(creator.SiteName, o.API)
		say("logged in to %s as %s\n", site, creator.Name)
		who = fmt.Sprintf("%s (%s)", creator.Name, orDefault(o.User, "OAuth token"))
		if !creator.NoRateLimit {
			fmt.Fprintf(stderr, "warning: %s lacks the noratelimit right, so the wiki's per-IP account creation throttle applies "+
				"(6 accounts a day on Wikimedia wikis); a run waits for each window, up to --max-wait %s. "+
				"To lift it, ask for the event coordinator or account creator right, or for a temporary lift of the IP cap for the event\n",
				creator.Name, o.MaxWait)
			if need := wikimediaTime(sc.toCreate); !o.DryRun && need > o.MaxWait {
				fmt.Fprintf(stderr, "warning: at Wikimedia's 6 accounts a day, %d accounts take about %s, more than --max-wait %s: "+
					"the run will create what the wiki allows and leave the rest pending for a later run\n", sc.toCreate, need.Round(time.Hour), o.MaxWait)
			}
		}
		if o.DryRun && len(creator.Overrides) > 0 {
			fmt.Fprintf(stderr, "note: %s holds %s, which the wiki's cancreate check honours but its createaccount does not; "+
				"the names are checked as an anonymous visitor, as the wiki will judge them in the run\n",
				creator.Name, strings.Join(creator.Overrides, ", "))
		}
	}
	switch {
	case o.DryRun && o.API == "":
		say("dry run, offline: checking the sheet only (give --api to check the names against the wiki)\n")
	case o.DryRun && !authenticated:
		say("dry run: checking the names against the wiki (give --user to check the creator too)\n")
	case o.DryRun:
		say("dry run: checking the names against the wiki; nothing will be created\n")
	case sc.toCreate > 0 && !o.Yes:
		if err := o.confirm(stdin, stderr, site, who, sc); err != nil {
			log.Info("not confirmed", zap.Error(err))
			return err
		}
	}

	f, err := os.Open(o.sheet)
	if err != nil {
		return usagef("cannot open the sheet: %v", err)
	}
	defer f.Close()
	sh, err := provision.NewSheet(f)
	if err != nil {
		return wrapSheetErr(o.sheet, err)
	}
	// A resumed run writes NAME.partial and renames it over the results
	// when it ends, so the results file is replaced in one step; a run that
	// is killed leaves both, and the next --resume reads both.
	outPath := o.Out
	if o.Resume {
		outPath = o.Out + ".partial"
	} else if kept, err := keepPrevious(o.Out); err != nil {
		return usagef("cannot keep the previous results: %v", err)
	} else if kept != "" {
		say("the previous results are kept as %s (run with --resume to continue from them)\n", kept)
	}
	w, out, err := report.Create(outPath)
	if err != nil {
		return usagef("%v", err)
	}
	defer out.Close()

	verb := "to create"
	if o.DryRun {
		verb = "pass the offline checks"
	}
	if o.Resume {
		say("resuming: %d rows already created or existing, %d %s\n", sc.carried, sc.toCreate, verb)
	} else {
		say("%d rows, %d %s\n", sc.rows, sc.toCreate, verb)
	}
	con.start()
	sum, runErr := eng.Run(ctx, sh, provision.NewChecker(o.MailPassword), w)
	con.finish()
	log.Info("summary", zap.Any("counts", sum.Counts), zap.Int("rows", sum.Total),
		zap.Duration("elapsed", sum.Elapsed), zap.Float64("accounts_per_second", sum.PerSecond()))
	if err := out.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("close results file: %w", err)
	}
	if o.Resume && runErr == nil || o.Resume && (errors.Is(runErr, provision.ErrInterrupted) || errors.Is(runErr, provision.ErrStopped)) {
		if err := os.Rename(outPath, o.Out); err != nil {
			return fmt.Errorf("replace the results file: %w", err)
		}
	}
	if runErr != nil && errors.Is(runErr, provision.ErrStopped) {
		fmt.Fprintln(stderr, runErr.Error())
		runErr = nil
	}
	if con.problems != nil {
		con.problems.Print(stderr, o.Out)
	}
	sum.Print(stderr)
	fmt.Fprintf(stderr, "results: %s\nlog: %s\n", o.Out, o.LogFile)
	if errors.Is(runErr, provision.ErrInterrupted) {
		return runErr
	}
	if runErr != nil {
		// Rows were already decided: not a setup error, whatever it was.
		log.Error("run", zap.Error(runErr))
		fmt.Fprintln(stderr, "mwprovision: "+runErr.Error())
		return errRowsNotOK
	}
	if !sum.AllOK() {
		return errRowsNotOK
	}
	return nil
}

// readPrevious reads the results of earlier runs for --resume: the results
// file and, when a resumed run was killed, its .partial file (newer).
// Rows are keyed by canonical name, so a changed sheet still matches.
func readPrevious(out string) (map[string]report.Row, error) {
	done := map[string]report.Row{}
	found := false
	for _, p := range []string{out, out + ".partial"} {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, usagef("cannot read the results to resume from: %v", err)
		}
		rows, err := report.Read(f)
		f.Close()
		if err != nil {
			return nil, usagef("%s is not a results file of mwprovision, so there is nothing to resume from: %v", p, err)
		}
		found = true
		for _, r := range rows {
			if r.Canonical != "" {
				done[r.Canonical] = r
			}
		}
	}
	if !found {
		return nil, usagef("nothing to resume: there is no results file at %s (give --out if it is elsewhere)", out)
	}
	return done, nil
}

// keepPrevious moves an existing results file aside (NAME.TIMESTAMP.csv), so
// that running a sheet again never loses the record of what the last run
// created. It returns the new name, or "" when there was nothing to keep.
func keepPrevious(path string) (string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	ext := filepath.Ext(path)
	kept := fmt.Sprintf("%s.%s%s", strings.TrimSuffix(path, ext), fi.ModTime().UTC().Format("20060102T150405Z"), ext)
	for i := 2; ; i++ {
		if _, err := os.Stat(kept); errors.Is(err, os.ErrNotExist) {
			break
		}
		kept = fmt.Sprintf("%s.%s-%d%s", strings.TrimSuffix(path, ext), fi.ModTime().UTC().Format("20060102T150405Z"), i, ext)
	}
	return kept, os.Rename(path, kept)
}

// wikimediaTime is how long n creations take at Wikimedia's default of 6
// accounts per IP per day.
func wikimediaTime(n int) time.Duration {
	return time.Duration((n+5)/6-1) * 24 * time.Hour
}

// errNotConfirmed: the user did not confirm; nothing was created.
var errNotConfirmed = errors.New("not confirmed: nothing was created")

// confirm shows what is about to happen and asks — accounts can never be
// deleted. Without a terminal to ask on it refuses, unless --yes was given.
func (o *runOptions) confirm(stdin io.Reader, stderr io.Writer, site, who string, sc *sheetScan) error {
	if !isTerminal(stdin) || !isTerminal(stderr) {
		return usagef("accounts can never be deleted, so mwprovision asks before creating them, and there is no terminal to ask on; check the sheet with --dry-run, then run again with --yes")
	}
	mode := "the wiki mails each new user a temporary password"
	if !o.MailPassword {
		mode = "passwords from the sheet (no mail)"
	}
	reason := o.Reason
	if reason == "" {
		reason = "(none)"
	}
	fmt.Fprintf(stderr, "\nAbout to create accounts. Accounts can never be deleted.\n"+
		"  wiki:     %s (%s)\n  creator:  %s\n  accounts: %d to create (%d other rows decided offline)\n"+
		"  mail:     %s\n  reason:   %s\n\nCreate %d accounts? [y/N] ",
		site, o.API, who, sc.toCreate, sc.rows-sc.toCreate, mode, reason, sc.toCreate)
	answer, _ := bufio.NewReader(stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	fmt.Fprintln(stderr, "Nothing was created.")
	return errNotConfirmed
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func isLoopback(api string) bool {
	u, err := url.Parse(api)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newHTTPClient(workers int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = workers + 2
	return &http.Client{Transport: t}
}

func newFileLogger(w io.Writer) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "time"
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	enc.EncodeDuration = zapcore.StringDurationEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(w), zap.InfoLevel)
	return zap.New(core)
}
