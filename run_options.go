package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
	"github.com/urfave/cli/v2"
)

// Defaults safe on a Wikimedia wiki: one request at a time (API etiquette:
// "make your requests in series"), one account every two seconds.
const (
	defaultWorkers     = 1
	defaultRate        = "30/m"
	defaultMaxAttempts = 5
	defaultMaxWait     = 30 * time.Minute
	maxWorkers         = 64
	// maxRateInterval is the longest wait between two requests a --rate
	// may ask for: slower, a run would seem to hang for ever.
	maxRateInterval = 24 * time.Hour
)

// runOptions is the configuration of `mwprovision run`: its flags, then
// what validate derives from them.
type runOptions struct {
	API          string
	User         string
	PasswordFile string
	OAuthFile    string
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
	Columns      cli.StringSlice
	AddGroups    cli.StringSlice
	GroupExpiry  string
	WikiLanguage string

	// grant: the grant command, which creates nothing and adds the
	// existing accounts of the sheet to groups.
	grant    bool
	groups   []string // --add-groups
	sheet    string
	password string // secret
	oauth    string // secret: OAuth 2 access token
	limit    rate.Limit
	columns  map[string]string // --column: field → sheet column
}

// validate checks the command line and reads the secrets, before anything
// else happens.
func (o *runOptions) validate(ctx context.Context, args []string, s *streams, getenv func(string) string) error {
	if len(args) != 1 {
		cmd := "run"
		if o.grant {
			cmd = "grant"
		}
		return fmt.Errorf("%s needs exactly one sheet: mwprovision %s [flags] ACCOUNTS.csv (got %d arguments)", cmd, cmd, len(args))
	}
	o.sheet = args[0]
	if err := o.validateWiki(); err != nil {
		return err
	}
	if err := o.validateLimits(); err != nil {
		return err
	}
	var err error
	if o.columns, err = parseColumns(o.Columns.Value()); err != nil {
		return err
	}
	if err := o.validateGroups(); err != nil {
		return err
	}
	if err := o.readCreator(ctx, s, getenv); err != nil {
		return err
	}
	return o.defaultPaths()
}

// defaultPaths puts the results and the log beside the sheet: NAME.results.csv
// and NAME.log.jsonl (NAME.dry-run.… for a dry run). A sheet that comes
// through a pipe has no folder: --out names the results, and the log goes
// beside them.
func (o *runOptions) defaultPaths() error {
	base := strings.TrimSuffix(o.sheet, filepath.Ext(o.sheet))
	if fi, err := os.Stat(o.sheet); err == nil && fi.IsDir() {
		return fmt.Errorf("the sheet %s is a folder: give the sheet's file", o.sheet)
	} else if err == nil && !fi.Mode().IsRegular() {
		if o.Out == "" {
			return fmt.Errorf("the sheet %s is a pipe or a device, with no folder beside it for the results: give --out FILE (the log goes beside it)", o.sheet)
		}
		base = strings.TrimSuffix(strings.TrimSuffix(o.Out, filepath.Ext(o.Out)), ".results")
	}
	if o.grant && !strings.HasSuffix(base, ".groups") && !strings.HasSuffix(base, ".groups.dry-run") {
		// The record of adding to groups is not the record of creating.
		base += ".groups"
	}
	if o.DryRun && !strings.HasSuffix(base, ".dry-run") {
		// Never overwrite a real run's results with a prediction.
		base += ".dry-run"
	}
	if o.Out == "" {
		o.Out = base + ".results.csv"
	}
	if o.LogFile == "" {
		o.LogFile = base + ".log.jsonl"
	}
	if err := distinctFiles(
		namedPath{"the sheet", o.sheet}, namedPath{"--out", o.Out},
		namedPath{"--out's .partial", report.PartialPath(o.Out)}, namedPath{"--log-file", o.LogFile}); err != nil {
		return err
	}
	// A file at --out is kept aside, or resumed from: only a results file.
	return report.CheckResultsFile(o.Out)
}

// namedPath is a path with what the user knows it as.
type namedPath struct{ what, path string }

// distinctFiles refuses paths that are one file, or would be, and paths to
// write that are directories: a run never writes into its sheet, its log
// into its results, or results over a folder.
func distinctFiles(paths ...namedPath) error {
	for i, a := range paths {
		if fi, err := os.Stat(a.path); i > 0 && err == nil && fi.IsDir() {
			return fmt.Errorf("%s %s is a folder: give a file", a.what, a.path)
		}
		for _, b := range paths[i+1:] {
			if sameFile(a.path, b.path) {
				return fmt.Errorf("%s and %s are one file (%s): give each its own", a.what, b.what, b.path)
			}
		}
	}
	return nil
}

// sameFile reports whether two paths name one file: the same file on disk,
// or the same absolute path.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// validateWiki checks --api and --contact.
func (o *runOptions) validateWiki() error {
	switch {
	case o.API == "" && !o.DryRun:
		return errors.New("no wiki: give --api https://…/w/api.php (or MWPROVISION_API), or check the sheet offline with --dry-run")
	case o.API == "" && (o.User != "" || o.OAuthFile != ""):
		return errors.New("--user and --oauth-token-file need --api: the creator is checked on the wiki")
	case o.API != "":
		u, err := url.Parse(o.API)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--api %q is not an http(s) URL of api.php", o.API)
		}
		if u.User != nil {
			return errors.New("--api must not contain a user or password; use --user and --password-file")
		}
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(o.API, "#") {
			return fmt.Errorf("--api %q has a query or a fragment (after ? or #): give the URL of api.php itself, such as https://xx.wikipedia.org/w/api.php", o.API)
		}
		if u.Scheme == "http" && !job.IsLoopback(o.API) && !o.Insecure {
			return fmt.Errorf("--api %s is plain http to another machine: the bot password and the sheet's passwords would travel unencrypted; use https://, or --allow-insecure-http if you must", o.API)
		}
	}
	if i := strings.IndexFunc(o.Contact, unicode.IsControl); i >= 0 {
		return fmt.Errorf("--contact holds a control character (%U, such as a line break): give one email address or user page", []rune(o.Contact[i:])[0])
	}
	return nil
}

// validateGroups checks --add-groups and --group-expiry.
func (o *runOptions) validateGroups() error {
	o.groups = groups.SplitGroups(strings.Join(o.AddGroups.Value(), ";"))
	if o.GroupExpiry != "" {
		if _, err := groups.ParseExpiry(o.GroupExpiry, time.Now()); err != nil {
			return fmt.Errorf("--group-expiry: %v", err)
		}
	}
	// --add-groups confirmed without --group-expiry is refused once the
	// sheet's header is read, unless it has an expiry column (readPlan).
	if o.grant && o.DryRun && o.API == "" {
		return errors.New("grant --dry-run needs --api: whether each account exists, and which groups it holds, is known to the wiki alone")
	}
	return nil
}

// validateLimits checks the numbers that bound a run.
func (o *runOptions) validateLimits() error {
	if o.Workers < 1 || o.Workers > maxWorkers {
		return fmt.Errorf("--workers %d: give 1 to %d", o.Workers, maxWorkers)
	}
	if o.MaxAttempts < 1 {
		return fmt.Errorf("--max-attempts %d: give 1 or more", o.MaxAttempts)
	}
	if o.MaxWait < 0 {
		return fmt.Errorf("--max-wait %s: give 0 or more", o.MaxWait)
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--request-timeout %s: give how long to wait for one answer, such as 60s", o.Timeout)
	}
	var err error
	if o.limit, err = parseRate(o.Rate); err != nil {
		return fmt.Errorf("--rate %q: %v", o.Rate, err)
	}
	if every := 1 / float64(o.limit); o.limit != rate.Inf && every > maxRateInterval.Seconds() {
		return fmt.Errorf("--rate %s sends one request every %s: slower than one a day, a run would seem to hang; give a faster rate such as 1/h, or 0 for no limit",
			o.Rate, seconds(every))
	}
	return nil
}

// seconds says a number of seconds as a duration, however large.
func seconds(s float64) string {
	if s > float64(math.MaxInt64/int64(time.Second)) {
		return "more than a century"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}

// parseColumns reads the --column choices: FIELD=COLUMN, by field name; an
// empty COLUMN says no column feeds the field.
func parseColumns(specs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, spec := range specs {
		field, column, ok := strings.Cut(spec, "=")
		field = strings.ToLower(strings.TrimSpace(field))
		if !ok {
			return nil, fmt.Errorf("--column %q: write FIELD=COLUMN, such as --column username=\"Wiki username\"", spec)
		}
		if _, known := sheet.FieldOf(field); !known {
			return nil, fmt.Errorf("--column %q: %q is no field; the fields are %s", spec, field, strings.Join(sheet.Fields[:], ", "))
		}
		if _, twice := m[field]; twice {
			return nil, fmt.Errorf("--column %s= is given twice", field)
		}
		m[field] = strings.TrimSpace(column)
	}
	return m, nil
}

// readCreator reads the creator's secret: an OAuth token, or the bot
// password from its file, the environment or, on a terminal, a prompt.
func (o *runOptions) readCreator(ctx context.Context, s *streams, getenv func(string) string) error {
	var err error
	// An OAuth token in the environment means nothing offline.
	if o.OAuthFile != "" || o.API != "" && getenv("MWPROVISION_OAUTH_TOKEN") != "" {
		if o.User != "" {
			return errors.New("give either --user (a bot password) or an OAuth token, not both")
		}
		if o.oauth, err = readSecret(ctx, o.OAuthFile, "MWPROVISION_OAUTH_TOKEN", "OAuth token", getenv); err != nil {
			return err
		}
	}
	if o.User == "" && o.oauth == "" && !o.DryRun {
		return errors.New("no creator: give --user User@AppName, a bot password made on Special:BotPasswords with the \"Create accounts\" grant (or --oauth-token-file)")
	}
	if o.User == "" {
		return nil
	}
	o.password, err = readSecret(ctx, o.PasswordFile, "MWPROVISION_PASSWORD", "bot password", getenv)
	if err != nil && o.PasswordFile == "" && s.interactive() {
		o.password, err = promptSecret(ctx, s.readSecret, s.err, "Bot password for "+o.User+": ")
	}
	return err
}

// parseRate reads "2/s", "30/m", "500/h", a bare number (per second), or 0
// for no limit.
// rateNumber is how many of a rate: 2, 0.5, .5.
var rateNumber = regexp.MustCompile(`^([0-9]+\.?[0-9]*|\.[0-9]+)$`)

func parseRate(s string) (rate.Limit, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	num, unit, _ := strings.Cut(s, "/")
	num = strings.TrimSpace(num)
	n, err := strconv.ParseFloat(num, 64)
	// Digits and a decimal point only: ParseFloat also reads a sign ("-0"
	// would mean no limit), underscores, exponents and hexadecimal.
	if err != nil || !rateNumber.MatchString(num) || math.IsNaN(n) || math.IsInf(n, 0) {
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

// userAgent follows Wikimedia's User-Agent policy: the tool, its version,
// and how to reach the person running it.
func (o runOptions) userAgent() string {
	if o.Contact == "" {
		return "mwprovision/" + version
	}
	return fmt.Sprintf("mwprovision/%s (+%s)", version, o.Contact)
}

// job is what the run is asked to do, for the steps of a run.
func (o runOptions) job() job.Options {
	return job.Options{
		API: o.API, User: o.User, Password: o.password, OAuthToken: o.oauth, UserAgent: o.userAgent(), Contact: o.Contact,
		Reason: o.Reason, MailPassword: o.MailPassword, Grant: o.grant, DryRun: o.DryRun, Resume: o.Resume,
		Workers: o.Workers, Rate: o.limit, MaxAttempts: o.MaxAttempts, MaxWait: o.MaxWait, RequestTimeout: o.Timeout,
		Columns: o.columns, AddGroups: o.groups, GroupExpiry: o.GroupExpiry, WikiLanguage: o.WikiLanguage, Out: o.Out,
	}
}
