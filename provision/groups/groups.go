// Package groups is group membership as MediaWiki's action=userrights
// has it: group names, expiries (durations, dates, infinite), the grants a
// row asks for, and which of them a membership the account holds already
// covers, so that a membership is never shortened.
package groups

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// Options say which groups a run adds the accounts of its rows to.
type Options struct {
	// Add are the groups for every row (a sheet's groups column adds
	// more per row).
	Add []string
	// Expiry is how long the memberships last, for rows whose expiry
	// column is empty: a duration ("2 weeks"), a date, or "infinite";
	// empty: permanently, which confirmed never is without asking.
	Expiry string
	// From is when a duration counts from: the start of the record's first
	// run, so that a resumed run asks for the same expiry again and finds
	// the grant it made (never extending it a second time).
	From time.Time
	// Now is when the run started: an expiry must come after it.
	Now time.Time
	// Addable are the groups the creator may add, from the pre-flight; nil
	// when unknown (offline), then every group is taken as addable.
	Addable []string
	// AddableWhy, when set, says why Addable is shorter than the
	// creator's groups suggest.
	AddableWhy string
}

// Grant is one group to add a row's account to, and until when (zero:
// permanently).
type Grant struct {
	Group string
	Until time.Time
}

// Confirmed is English Wikipedia's group for new users who need
// autoconfirmed's rights early; event coordinators may add it only for a
// while, so it is never granted permanently without asking.
const Confirmed = "confirmed"

// SplitGroups reads a list of groups: separated by ';', ',' or '|',
// spaces around each ignored, duplicates dropped.
func SplitGroups(s string) []string {
	var out []string
	for _, g := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == '|' }) {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// ExpiryError: an expiry mwprovision does not read, or one in the past.
type ExpiryError struct {
	Value string
	Past  bool
	// TooMany is the part of a duration past maxExpiryCount ("1001 days").
	TooMany string
}

// maxExpiryCount bounds the count of each unit of a duration.
const maxExpiryCount = 1000

func (e *ExpiryError) Error() string {
	if e.Past {
		return fmt.Sprintf("the expiry %q is in the past", e.Value)
	}
	if e.TooMany != "" {
		return fmt.Sprintf("the expiry %q counts %s, and a duration counts at most %d of a unit: write fewer of a larger unit, a date such as 2026-12-08 (UTC), or infinite",
			e.Value, e.TooMany, maxExpiryCount)
	}
	return fmt.Sprintf("the expiry %q is not understood: write a duration such as \"2 weeks\" or \"1 month\", a date such as 2026-12-08 (UTC), or infinite", e.Value)
}

// expiryUnits are the units of a duration, as MediaWiki's expiry fields
// accept them (singular, plural).
var expiryUnits = map[string]func(t time.Time, n int) time.Time{
	"second": func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Second) },
	"minute": func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Minute) },
	"hour":   func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Hour) },
	"day":    func(t time.Time, n int) time.Time { return t.AddDate(0, 0, n) },
	"week":   func(t time.Time, n int) time.Time { return t.AddDate(0, 0, 7*n) },
	"month":  func(t time.Time, n int) time.Time { return t.AddDate(0, n, 0) },
	"year":   func(t time.Time, n int) time.Time { return t.AddDate(n, 0, 0) },
}

// ParseExpiry reads an expiry as a time after from (whole seconds, UTC),
// or the zero time for one that never ends: "infinite" (also indefinite,
// infinity, never); a duration such as "2 weeks", "1 month 3 days"; a date
// (2026-12-08, the start of that day in UTC) or an RFC 3339 time. The wiki
// is sent the time itself, so the record says exactly what it holds.
func ParseExpiry(s string, from time.Time) (time.Time, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "infinite", "indefinite", "infinity", "never":
		return time.Time{}, nil
	case "":
		return time.Time{}, &ExpiryError{Value: s}
	}
	var t time.Time
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		t = d
	} else if d, err := time.Parse(time.RFC3339, strings.ToUpper(v)); err == nil {
		// The wiki keeps whole seconds: so does the record.
		t = d.UTC().Truncate(time.Second)
	} else if t, err = addDuration(from.UTC().Truncate(time.Second), v); err != nil {
		var tm tooMany
		errors.As(err, &tm)
		return time.Time{}, &ExpiryError{Value: s, TooMany: string(tm)}
	}
	if !t.After(from) {
		return time.Time{}, &ExpiryError{Value: s, Past: true}
	}
	return t, nil
}

// tooMany is the part of a duration that counts more than maxExpiryCount.
type tooMany string

func (e tooMany) Error() string { return string(e) + " is too many" }

// addDuration adds "N unit [N unit…]" to t.
func addDuration(t time.Time, v string) (time.Time, error) {
	f := strings.Fields(v)
	if len(f) == 0 || len(f)%2 != 0 {
		return t, fmt.Errorf("not a duration")
	}
	for i := 0; i < len(f); i += 2 {
		n, err := strconv.Atoi(f[i])
		add := expiryUnits[strings.TrimSuffix(f[i+1], "s")]
		if err != nil || n <= 0 || add == nil {
			return t, fmt.Errorf("not a duration")
		}
		if n > maxExpiryCount {
			return t, tooMany(f[i] + " " + f[i+1])
		}
		t = add(t, n)
	}
	return t, nil
}

// ErrNoExpiry: the run adds every account to confirmed, which is only
// ever given for a while, and neither the run nor the sheet (it has no
// expiry column) says until when.
var ErrNoExpiry = errors.New("confirmed is only ever added for a while, and neither the run nor the sheet says until when")

// CheckExpiry refuses (ErrNoExpiry) a run that adds every account to
// confirmed with no expiry of its own, on a sheet without an expiry
// column: every row would be refused. With the column, a row whose
// expiry cell is empty is refused alone (see Grants).
func (g *Options) CheckExpiry(expiryColumn bool) error {
	if slices.Contains(g.Add, Confirmed) && g.Expiry == "" && !expiryColumn {
		return ErrNoExpiry
	}
	return nil
}

// Grants resolves the groups of a row: the run's, then those of its groups
// cell, until the time of its expiry cell or the run's expiry. A problem makes the row invalid; the
// groups are returned with it, without an expiry.
func (g *Options) Grants(cell, expiryCell string) ([]Grant, *sheet.Problem) {
	groups := slices.Clone(g.Add)
	for _, x := range SplitGroups(cell) {
		if !slices.Contains(groups, x) {
			groups = append(groups, x)
		}
	}
	if len(groups) == 0 {
		return nil, nil
	}
	out := make([]Grant, len(groups))
	for i, x := range groups {
		out[i] = Grant{Group: x}
	}
	expiry, from := g.Expiry, "the run's expiry"
	if expiryCell != "" {
		expiry, from = expiryCell, "the expiry column"
	}
	var until time.Time
	if expiry == "" {
		if slices.Contains(groups, Confirmed) {
			return out, &sheet.Problem{Code: "group-needs-expiry", Message: "confirmed is only ever added for a while: give an expiry (the expiry column, or for the run), or \"infinite\" to add it permanently"}
		}
	} else {
		var err error
		if until, err = ParseExpiry(expiry, g.From); err != nil {
			return out, &sheet.Problem{Code: "invalid-expiry", Message: err.Error() + " (" + from + ")"}
		}
		if !g.Now.IsZero() && !until.IsZero() && !until.After(g.Now) {
			return out, &sheet.Problem{Code: "invalid-expiry", Message: fmt.Sprintf(
				"the expiry %q (%s) ends %s, before this run: a duration counts from the first run of this record that added groups, %s, so that a resumed run asks for the same expiry; give a date, or a longer duration",
				expiry, from, until.Format(time.RFC3339), g.From.UTC().Format(time.RFC3339))}
		}
	}
	for _, x := range groups {
		if g.Addable != nil && !slices.Contains(g.Addable, x) {
			return out, &sheet.Problem{Code: "group-not-addable", Message: NotAddable("the creator", x, g.Addable, g.AddableWhy)}
		}
	}
	for i := range out {
		out[i].Until = until
	}
	return out, nil
}

// NotAddable says that who may not add group, and why when known.
func NotAddable(who, group string, addable []string, why string) string {
	may := "no group"
	if len(addable) > 0 {
		may = strings.Join(addable, ", ")
	}
	msg := fmt.Sprintf("%s may not add accounts to %q (the wiki would ignore it in silence); it may add: %s", who, group, may)
	if why != "" {
		msg += "; " + why
	}
	return msg
}

// UserrightsThroughGrants says why a bureaucrat logged in by a bot
// password or an OAuth consumer may add fewer groups than on the wiki's
// pages: its userrights right, which adds any group, is in no grant, so
// only $wgAddGroups speaks for it through the API.
const UserrightsThroughGrants = "a bureaucrat's userrights right does not reach a bot password or an OAuth consumer " +
	"(no grant carries it), so through the API it adds only the groups $wgAddGroups gives its groups: " +
	"on your own wiki, add to LocalSettings.php a line such as $wgAddGroups['bureaucrat'] = [ 'sysop', 'bureaucrat' ];"

// Membership is a group an account holds, until when (zero: permanently).
type Membership struct {
	Group  string `json:"group"`
	Expiry string `json:"expiry"`
}

// until is when the membership ends, zero for never.
func (m Membership) until() time.Time {
	t, err := time.Parse(time.RFC3339, m.Expiry)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Plan is what a row's grants need, given what the account holds:
// the grants to send, and the groups left alone with why.
type Plan struct {
	Send []Grant
	Done report.Groups // left alone: held as long or longer, or autoconfirmed
}

// PlanGrants decides, for each grant, whether to send it: never to shorten
// a membership, nor to make a permanent one temporary, nor to give
// confirmed to an account that is autoconfirmed already.
func PlanGrants(grants []Grant, groups []string, held []Membership) Plan {
	var p Plan
	for _, g := range grants {
		if g.Group == Confirmed && slices.Contains(groups, "autoconfirmed") {
			p.Done = append(p.Done, report.GroupResult{Group: g.Group, State: report.GrantSkipped})
			continue
		}
		i := slices.IndexFunc(held, func(m Membership) bool { return m.Group == g.Group })
		if i >= 0 {
			u := held[i].until()
			if !u.IsZero() && u.Equal(g.Until) {
				// Exactly as asked, to the second: this record's grant,
				// whose answer a run cut off never heard.
				p.Done = append(p.Done, report.GroupResult{Group: g.Group, State: report.GrantAdded, Until: u})
				continue
			}
			if u.IsZero() || !g.Until.IsZero() && !u.Before(g.Until) {
				p.Done = append(p.Done, report.GroupResult{Group: g.Group, State: report.GrantAlready, Until: u})
				continue
			}
		}
		p.Send = append(p.Send, g)
	}
	return p
}

// ExpiryParam is how the wiki is told until when: a time, or infinite.
func ExpiryParam(until time.Time) string {
	if until.IsZero() {
		return "infinite"
	}
	return until.UTC().Format(time.RFC3339)
}

// GroupResults are the grants as results in a given state.
func GroupResults(grants []Grant, state report.GrantState) report.Groups {
	out := make(report.Groups, len(grants))
	for i, g := range grants {
		out[i] = report.GroupResult{Group: g.Group, State: state, Until: g.Until}
	}
	return out
}

// InOrder puts the results of a row's groups in the order it asked for them.
func InOrder(grants []Grant, rs report.Groups) report.Groups {
	out := make(report.Groups, 0, len(rs))
	for _, g := range grants {
		if i := slices.IndexFunc(rs, func(r report.GroupResult) bool { return r.Group == g.Group }); i >= 0 {
			out = append(out, rs[i])
		}
	}
	return out
}

// Except are the results of rs for the groups grants do not ask for: what
// an earlier run recorded of other groups, which a resume keeps.
func Except(rs report.Groups, grants []Grant) report.Groups {
	var out report.Groups
	for _, r := range rs {
		if !slices.ContainsFunc(grants, func(g Grant) bool { return g.Group == r.Group }) {
			out = append(out, r)
		}
	}
	return out
}
