package job

import (
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/report"
)

// A Warning is something a person should know before a run goes ahead, as
// facts; each front-end words it. The kinds are the types below.
type Warning interface{ warning() }

// Warnings about the wiki, the record and the sheet.
type (
	// SiteUnknown: the wiki could not say its language (Err); names are
	// checked by the rules of Lang.
	SiteUnknown struct {
		Err  error
		Lang string
	}
	// PreviousCut: the last row of the record File was cut off (a full
	// disk, a crash); that row is decided again.
	PreviousCut struct{ File string }
	// Unmatched: Rows the record at Out decided for good match no row of
	// the sheet now; they are kept, the previous results kept aside.
	Unmatched struct {
		Rows int
		Out  string
	}
	// IgnoredColumns: columns of the sheet no field reads.
	IgnoredColumns struct{ Columns []string }
	// PasswordIgnored: the sheet has a password column, and the wiki mails
	// each new user a temporary password instead.
	PasswordIgnored struct{}
	// MainAccountLogin: the login is a main account's, not a bot
	// password's (no @AppName).
	MainAccountLogin struct{}
	// NoContact: the run tells another machine's wiki no way to reach
	// the person running it (Wikimedia's User-Agent policy asks for one).
	NoContact struct{}
	// SharedEmail: the row at Line has the email of the row at FirstLine.
	SharedEmail struct{ Line, FirstLine int }
	// MoreSharedEmails: Rows more rows have the email of an earlier row.
	MoreSharedEmails struct{ Rows int }
	// VersionUnknown: the names of Rows rows (the first at Line) depend on
	// the wiki's MediaWiki and PHP versions, which a check without the
	// wiki does not know: it named them as the newest versions do.
	VersionUnknown struct{ Rows, Line int }
)

// Warnings about the creator, from the pre-flight.
type (
	// CreatorBlocked: a block on Creator that still lets it create
	// accounts, described.
	CreatorBlocked struct{ Creator, Block string }
	// PerIPThrottle: Creator lacks noratelimit, so the wiki's per-IP
	// throttle applies (on Wikimedia's wikis 6 accounts a day); the run
	// waits each window out, up to MaxWait.
	PerIPThrottle struct {
		Creator   string
		Wikimedia bool
		MaxWait   time.Duration
	}
	// ThrottleOutlastsWait: at Wikimedia's 6 accounts a day, ToCreate
	// accounts take about Need, more than MaxWait: the rest stays pending.
	ThrottleOutlastsWait struct {
		ToCreate      int
		Need, MaxWait time.Duration
	}
	// OverridesIgnored: Creator holds Rights that the wiki's cancreate
	// check honours and its createaccount does not: a dry run checks the
	// names as an anonymous visitor.
	OverridesIgnored struct {
		Creator string
		Rights  []string
	}
)

func (SiteUnknown) warning()          {}
func (PreviousCut) warning()          {}
func (Unmatched) warning()            {}
func (IgnoredColumns) warning()       {}
func (PasswordIgnored) warning()      {}
func (MainAccountLogin) warning()     {}
func (NoContact) warning()            {}
func (SharedEmail) warning()          {}
func (MoreSharedEmails) warning()     {}
func (VersionUnknown) warning()       {}
func (CreatorBlocked) warning()       {}
func (PerIPThrottle) warning()        {}
func (ThrottleOutlastsWait) warning() {}
func (OverridesIgnored) warning()     {}

// SiteWarnings are what the site leaves to know.
func SiteWarnings(site Site) []Warning {
	if site.Unknown != nil {
		return []Warning{SiteUnknown{Err: site.Unknown, Lang: site.Names.Lang}}
	}
	return nil
}

// PreviousWarnings are what the record a run resumes (nil: none) leaves to
// know.
func PreviousWarnings(prev *report.Previous) []Warning {
	if prev != nil && prev.Cut != "" {
		return []Warning{PreviousCut{File: prev.Cut}}
	}
	return nil
}

// SheetWarnings are what the plan and the options leave unused or
// doubtful: rows of the record the sheet no longer has, columns no field
// reads, a password column in mail mode, the login, the contact, rows
// that share an email, and names the wiki's unknown version decides.
func SheetWarnings(o Options, plan *provision.Plan) []Warning {
	var ws []Warning
	if n := plan.Counts.Unmatched; n > 0 {
		ws = append(ws, Unmatched{Rows: n, Out: o.Out})
	}
	if len(plan.Ignored) > 0 {
		ws = append(ws, IgnoredColumns{Columns: plan.Ignored})
	}
	if o.MailPassword && plan.HasPassword {
		ws = append(ws, PasswordIgnored{})
	}
	if o.User != "" && !strings.Contains(o.User, "@") {
		ws = append(ws, MainAccountLogin{})
	}
	if o.Contact == "" && o.API != "" && !IsLoopback(o.API) {
		ws = append(ws, NoContact{})
	}
	pv := plan.Preview
	for _, e := range pv.SharedEmails {
		ws = append(ws, SharedEmail{Line: e.Line, FirstLine: e.FirstLine})
	}
	if more := pv.SharedEmailRows - len(pv.SharedEmails); more > 0 {
		ws = append(ws, MoreSharedEmails{Rows: more})
	}
	if pv.VersionDecides > 0 {
		ws = append(ws, VersionUnknown{Rows: pv.VersionDecides, Line: pv.VersionLine})
	}
	return ws
}

// CreatorWarnings are what the pre-flight found that the run will feel:
// a block that still lets the creator create, the wiki's per-IP throttle,
// and names a dry run checks anonymously.
func CreatorWarnings(o Options, plan *provision.Plan, c *provision.Creator) []Warning {
	var ws []Warning
	if c.Blocked != "" {
		ws = append(ws, CreatorBlocked{Creator: c.Name, Block: c.Blocked})
	}
	if !c.NoRateLimit {
		ws = append(ws, PerIPThrottle{Creator: c.Name, Wikimedia: c.Wikimedia, MaxWait: o.MaxWait})
		if need := wikimediaTime(plan.Counts.ToCreate); c.Wikimedia && !o.DryRun && need > o.MaxWait {
			ws = append(ws, ThrottleOutlastsWait{ToCreate: plan.Counts.ToCreate, Need: need, MaxWait: o.MaxWait})
		}
	}
	if o.DryRun && len(c.Overrides) > 0 {
		ws = append(ws, OverridesIgnored{Creator: c.Name, Rights: c.Overrides})
	}
	return ws
}

// wikimediaTime is how long n creations take at Wikimedia's default of 6
// accounts per IP per day.
func wikimediaTime(n int) time.Duration {
	return time.Duration((n+5)/6-1) * 24 * time.Hour
}

// Confirmation is what a person confirms before a run writes to the wiki
// — accounts can never be deleted — as one value that each front-end
// renders in its own words.
type Confirmation struct {
	// Grant: the run creates nothing; it adds existing accounts to groups.
	Grant bool
	Wiki  string // the wiki's name, as it says it
	API   string
	// Creator is the account that creates; Login the bot password that
	// acts for it (empty: an OAuth token).
	Creator, Login string

	Rows int // data rows of the sheet
	// Accounts are the accounts the run sends: to create, or for Grant to
	// add to groups; First are the first of them, as the wiki will name
	// them. ToGrant are the accounts an earlier run created or found
	// whose groups are not all added yet.
	Accounts int
	First    []string
	ToGrant  int
	// Existing are the accounts to create that exist already (they are
	// only added to their groups); nil when not known.
	Existing *provision.Existing

	Columns []provision.ColumnUse
	// GroupsAsked: the run adds accounts to groups; Groups are those the
	// rows to send ask for, until when, by how many rows.
	GroupsAsked bool
	Groups      []provision.GrantUse
	// MailPassword: the wiki mails each new user a temporary password;
	// else the passwords come from the sheet.
	MailPassword bool

	// The public reasons: the run's (Reason, for the rows that bring
	// none: WithoutReason), the sheet's own (Reasons, DistinctReasons of
	// them in all, from ReasonColumn).
	Reason          string
	Reasons         []provision.ReasonUse
	DistinctReasons int
	WithoutReason   int
	ReasonColumn    string

	// Warnings are everything the steps before warned of.
	Warnings []Warning
}

// Confirm gathers the facts of the confirmation of a run that will write
// to the wiki, from the steps before it.
func Confirm(o Options, site Site, prev *report.Previous, plan *provision.Plan, c *provision.Creator, ex *provision.Existing) Confirmation {
	n := plan.Counts.ToCreate
	if o.Grant {
		n = plan.Counts.ToGrant
	}
	pv := plan.Preview
	conf := Confirmation{
		Grant: o.Grant, Wiki: c.SiteName, API: o.API, Creator: c.Name, Login: o.User,
		Rows: plan.Counts.Rows, Accounts: n, First: pv.First, ToGrant: plan.Counts.ToGrant, Existing: ex,
		Columns: pv.Columns, GroupsAsked: plan.GroupsAsked(), Groups: pv.Grants, MailPassword: o.MailPassword,
		Reason: o.Reason, Reasons: pv.Reasons, DistinctReasons: pv.DistinctReasons, WithoutReason: pv.WithoutReason, ReasonColumn: "reason",
	}
	for _, col := range pv.Columns {
		if col.Field == "reason" {
			conf.ReasonColumn = col.Column
		}
	}
	for _, ws := range [][]Warning{SiteWarnings(site), PreviousWarnings(prev), SheetWarnings(o, plan), CreatorWarnings(o, plan, c)} {
		conf.Warnings = append(conf.Warnings, ws...)
	}
	return conf
}

// IsLoopback reports whether api is on this machine.
func IsLoopback(api string) bool {
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
