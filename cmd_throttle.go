package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"

	"github.com/mwprovision/mwprovision/provision/mwapi"
)

// Wikimedia's rules for an exception to the per-IP limit on account
// creation (wmf-config/throttle.php in operations/mediawiki-config).
const (
	// throttleNotice: an exception that starts sooner works only once a
	// deployer has purged the throttle's cache by hand.
	throttleNotice = 72 * time.Hour
	// throttleLongest: an exception is for an event, not a season.
	throttleLongest = 7 * 24 * time.Hour
	// The widest ranges taken: a venue's network, not its provider's.
	widestIPv4 = 24
	widestIPv6 = 56
	// The margin over the participants expected: a fifth, at least 5.
	marginPercent = 20
	marginLeast   = 5
	// throttleTimeout bounds each wiki's answer to siteinfo.
	throttleTimeout = time.Minute
	// throttleHowTo is Wikitech's page for the deployers.
	throttleHowTo = "https://wikitech.wikimedia.org/wiki/Increasing_account_creation_threshold"
)

// throttleOptions are the flags of throttle-request.
type throttleOptions struct {
	APIs         cli.StringSlice
	From, To     string
	IPs          cli.StringSlice
	Participants int
	Event        string
	Task         string
	Contact      string
	Soon         bool
}

// throttleEnv is what throttle-request takes from the world: the clock,
// the HTTP client, and whether the addresses reserved for documentation
// pass (in tests only: no venue has one).
type throttleEnv struct {
	now      func() time.Time
	hc       *http.Client
	examples bool
}

func throttleRequestCommand() *cli.Command {
	return throttleCommandWith(throttleEnv{now: time.Now, hc: newHTTPClient(1)})
}

func throttleCommandWith(env throttleEnv) *cli.Command {
	o := &throttleOptions{}
	return &cli.Command{
		Name:  "throttle-request",
		Usage: "write the request to lift Wikimedia's per-IP limit on new accounts for an event, with its throttle.php entry",
		Description: `Wikimedia's wikis let each IP address create 6 accounts a day. For an event
where the participants sign up from the venue's network, a deployer can lift
that limit for the venue's address, the event's hours and the event's wikis,
with an entry in wmf-config/throttle.php. This command checks the event's
details, asks each wiki (--api) for its database name and whether it has
temporary accounts, and writes to stdout a request to paste into a task on
Wikimedia's Phabricator, then the entry for throttle.php. It sends nothing
else anywhere. The task and the entry are public.

--from and --to are the venue's local time with its offset from UTC. The
start must be at least 72 hours away: deployers ask for that notice, since
an exception that starts sooner needs a cache purged by hand (--soon asks
for it anyway). The limit asked for is the participants expected plus a
margin of 20 % (at least 5) for late arrivals and second tries.

Example:
  A one-day edit-a-thon on the English Wikipedia and Commons
    mwprovision throttle-request --api https://en.wikipedia.org/w/api.php \
      --api https://commons.wikimedia.org/w/api.php \
      --from 2026-12-05T09:00:00-05:00 --to 2026-12-05T18:00:00-05:00 \
      --ip 198.51.100.7 --participants 40 \
      --event "Edit-a-thon at the City Library" --task T123456`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "api", Usage: "the api.php `URL` of a wiki where the participants will sign up; repeat for each wiki", Destination: &o.APIs},
			&cli.StringFlag{Name: "from", Usage: "when the event starts: the venue's local `TIME` with its offset from UTC, such as 2026-12-05T09:00:00-05:00", Destination: &o.From},
			&cli.StringFlag{Name: "to", Usage: "when the event ends, written as --from (`TIME`)", Destination: &o.To},
			&cli.StringSliceFlag{Name: "ip", Usage: "the venue's public IP `ADDRESS` (IPv4 or IPv6), or its range as CIDR such as 198.51.100.0/28; repeat for each", Destination: &o.IPs},
			&cli.IntFlag{Name: "participants", Usage: "how many participants are expected (`N`); a margin is added", Destination: &o.Participants},
			&cli.StringFlag{Name: "event", Usage: "the event's `NAME`, for the request and the entry's comment (public)", Destination: &o.Event},
			&cli.StringFlag{Name: "task", Usage: "the Phabricator `TASK` of the request, such as T123456, for the entry's comment", Destination: &o.Task},
			&cli.StringFlag{Name: "contact", Usage: "email or user page for the User-Agent, as Wikimedia's User-Agent policy asks", EnvVars: []string{"MWPROVISION_CONTACT"}, Destination: &o.Contact},
			&cli.BoolFlag{Name: "soon", Usage: "write the request although the event starts within 72 hours (the deployer must then purge a cache by hand)", Destination: &o.Soon},
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%v (see mwprovision throttle-request --help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("throttle-request takes flags only, not %q: quote a --event name that has spaces", c.Args().First())
			}
			return o.run(c.Context, c.App.Writer, c.App.ErrWriter, env)
		},
	}
}

// run checks the request, asks the wikis, and writes the request: all of
// it, or nothing.
func (o *throttleOptions) run(ctx context.Context, stdout, stderr io.Writer, env throttleEnv) error {
	r, err := o.check(env.now(), env.examples)
	if err != nil {
		return err
	}
	ua := runOptions{Contact: o.Contact}.userAgent()
	seen := map[string]bool{}
	for _, api := range r.apis {
		w, err := askThrottleWiki(ctx, env.hc, env.now, api, ua)
		if ctx.Err() != nil {
			return errThrottleInterrupted
		}
		if err != nil {
			return err
		}
		if !seen[w.DBName] {
			seen[w.DBName] = true
			r.wikis = append(r.wikis, w)
		}
	}
	if r.soon {
		fmt.Fprintf(stderr, "warning: the event starts in %s, less than the 72 hours' notice Wikimedia's deployers ask for: the request asks them to purge the throttle's cache by hand after deploying; file it at once\n", hoursOf(r.from.Sub(env.now())))
	}
	var b bytes.Buffer
	r.write(&b)
	_, err = stdout.Write(b.Bytes())
	return err
}

// throttleRequest is a request that passed the checks.
type throttleRequest struct {
	apis         []string
	from, to     time.Time
	venue        []netip.Prefix // a single address is a /32 or a /128
	participants int
	event, task  string
	soon         bool // it starts within throttleNotice
	wikis        []throttleWiki
}

// throttleWiki is what a wiki says of itself.
type throttleWiki struct {
	DBName, Server string
	TempAccounts   bool
}

// check checks every flag, offline, as of now.
func (o *throttleOptions) check(now time.Time, examples bool) (*throttleRequest, error) {
	r := &throttleRequest{participants: o.Participants}
	var err error
	if r.apis, err = checkThrottleAPIs(o.APIs.Value()); err != nil {
		return nil, err
	}
	if o.From == "" || o.To == "" {
		return nil, errors.New("throttle-request needs --from and --to: when the event starts and ends, in the venue's local time with its offset from UTC, such as --from 2026-12-05T09:00:00-05:00 --to 2026-12-05T18:00:00-05:00")
	}
	if r.from, err = parseEventTime("--from", o.From); err != nil {
		return nil, err
	}
	if r.to, err = parseEventTime("--to", o.To); err != nil {
		return nil, err
	}
	if r.soon, err = checkWindow(r.from, r.to, now, o.Soon); err != nil {
		return nil, err
	}
	if r.venue, err = parseVenue(o.IPs.Value(), examples); err != nil {
		return nil, err
	}
	if o.Participants == 0 {
		return nil, errors.New("throttle-request needs --participants N: how many participants are expected, 1 or more (a margin is added)")
	}
	if o.Participants < 1 {
		return nil, fmt.Errorf("--participants %d: give how many participants are expected, 1 or more (a margin is added)", o.Participants)
	}
	if r.event, err = checkEventName(o.Event); err != nil {
		return nil, err
	}
	if r.task, err = checkTask(o.Task); err != nil {
		return nil, err
	}
	if i := strings.IndexFunc(o.Contact, unicode.IsControl); i >= 0 {
		return nil, fmt.Errorf("--contact holds a control character (%U, such as a line break): give one email address or user page", []rune(o.Contact[i:])[0])
	}
	return r, nil
}

// checkThrottleAPIs checks the --api URLs; one given twice counts once.
func checkThrottleAPIs(apis []string) ([]string, error) {
	if len(apis) == 0 {
		return nil, errors.New("throttle-request needs --api: the api.php URL of each wiki where the participants will sign up, such as --api https://en.wikipedia.org/w/api.php (repeat --api for each wiki)")
	}
	var out []string
	for _, api := range apis {
		u, err := url.Parse(api)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return nil, fmt.Errorf("--api %q is not an http(s) URL of api.php: give one such as https://en.wikipedia.org/w/api.php", api)
		case u.User != nil:
			return nil, fmt.Errorf("--api %q holds a user or password: give the URL of api.php alone; throttle-request logs in nowhere", api)
		case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(api, "#"):
			return nil, fmt.Errorf("--api %q has a query or a fragment (after ? or #): give the URL of api.php itself, such as https://en.wikipedia.org/w/api.php", api)
		}
		if !slices.Contains(out, api) {
			out = append(out, api)
		}
	}
	return out, nil
}

// eventLayouts are the forms of --from and --to: RFC 3339, and the same
// without seconds.
var eventLayouts = []string{time.RFC3339, "2006-01-02T15:04Z07:00"}

// parseEventTime reads --from or --to: a time with its offset from UTC,
// to the minute, as throttle.php writes it.
func parseEventTime(flag, value string) (time.Time, error) {
	value = strings.TrimSpace(value)
	for _, layout := range eventLayouts {
		t, err := time.Parse(layout, value)
		if err != nil {
			continue
		}
		if t.Second() != 0 || t.Nanosecond() != 0 {
			return time.Time{}, fmt.Errorf("%s %s has seconds: give the time to the minute, such as %s", flag, value, t.Truncate(time.Minute).Format("2006-01-02T15:04:05Z07:00"))
		}
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, value); err == nil {
			return time.Time{}, fmt.Errorf("%s %s has no offset from UTC: add the venue's, such as %s-05:00 for 5 hours behind UTC, or Z for UTC itself", flag, value, t.Format("2006-01-02T15:04:05"))
		}
	}
	return time.Time{}, fmt.Errorf("%s %q is not a time with its offset from UTC: write the venue's local time as 2026-12-05T09:00:00-05:00 (date, T, time, then the offset; Z for UTC)", flag, value)
}

// checkWindow checks when the event is, as of now: an end after its
// start, at most throttleLongest later, and a start at least
// throttleNotice away (sooner only with --soon, which soon reports).
func checkWindow(from, to, now time.Time, soonOK bool) (soon bool, err error) {
	switch ahead := from.Sub(now); {
	case !to.After(from):
		return false, fmt.Errorf("--to %s is not after --from %s: give when the event ends", to.Format(time.RFC3339), from.Format(time.RFC3339))
	case to.Sub(from) > throttleLongest:
		return false, fmt.Errorf("--from %s to --to %s is %s: an exception to the limit is for an event, 7 days at most; for a longer programme ask for one per session (run throttle-request for each), or ask for the event coordinator or account creator right, which the limit does not bind",
			from.Format(time.RFC3339), to.Format(time.RFC3339), hoursOf(to.Sub(from)))
	case ahead <= 0:
		return false, fmt.Errorf("--from %s has passed (it is %s now): give when the event starts", from.Format(time.RFC3339), now.In(from.Location()).Format(time.RFC3339))
	case ahead < throttleNotice && !soonOK:
		return false, fmt.Errorf("--from %s is only %s away: Wikimedia's deployers ask for 72 hours' notice, because an exception that starts sooner works only once they purge a cache by hand after deploying it. Move the event, or run again with --soon to write the request anyway, asking for that purge",
			from.Format(time.RFC3339), hoursOf(ahead))
	case ahead < throttleNotice:
		return true, nil
	}
	return false, nil
}

// hoursOf says a duration in days, hours and minutes.
func hoursOf(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, minutes := int(d/(24*time.Hour)), int(d/time.Hour)%24, int(d/time.Minute)%60
	var parts []string
	for _, p := range []struct {
		n    int
		unit string
	}{{days, "day"}, {hours, "hour"}, {minutes, "minute"}} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.unit)
		case p.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", p.n, p.unit))
		}
	}
	if len(parts) == 0 {
		return "less than a minute"
	}
	return strings.Join(parts, " ")
}

// notAVenue is a block of addresses that no venue's public address is in.
type notAVenue struct {
	prefix netip.Prefix
	what   string // what an address there is
	why    string // why the wikis never see it as the venue's
	// example: reserved for documentation; taken in tests.
	example bool
}

func block(p, what, why string) notAVenue {
	return notAVenue{prefix: netip.MustParsePrefix(p), what: what, why: why}
}

// docBlock is a block reserved for documentation, by the RFC named.
func docBlock(p, rfc string) notAVenue {
	return notAVenue{prefix: netip.MustParsePrefix(p), what: "an address reserved for documentation (" + rfc + ")", why: whyDocs, example: true}
}

const (
	whyLocal = "it is used only inside a local network, and the wikis see the venue's public address instead"
	whyNone  = "no computer on the internet has it"
	whyDocs  = "it appears in examples only, and no network uses it"
)

var notVenues = []notAVenue{
	block("0.0.0.0/8", "an address of \"this network\" (0.0.0.0/8), the unspecified address", whyNone),
	block("10.0.0.0/8", "a private address (RFC 1918)", whyLocal),
	block("100.64.0.0/10", "a shared address of carrier-grade NAT (100.64.0.0/10, RFC 6598)", "the venue's provider shares one public address among its customers, and the wikis see that one"),
	block("127.0.0.0/8", "a loopback address", "it is the computer itself"),
	block("169.254.0.0/16", "a link-local address", "it is valid on one network link only, and the wikis see the venue's public address instead"),
	block("172.16.0.0/12", "a private address (RFC 1918)", whyLocal),
	docBlock("192.0.2.0/24", "RFC 5737"),
	block("192.168.0.0/16", "a private address (RFC 1918)", whyLocal),
	block("198.18.0.0/15", "an address reserved for network tests (RFC 2544)", whyNone),
	docBlock("198.51.100.0/24", "RFC 5737"),
	docBlock("203.0.113.0/24", "RFC 5737"),
	block("224.0.0.0/4", "a multicast address", "it names a group of receivers, never a computer that sends"),
	block("240.0.0.0/4", "a reserved address (240.0.0.0/4, the broadcast address too)", whyNone),
	block("::/128", "the unspecified address", whyNone),
	block("::1/128", "a loopback address", "it is the computer itself"),
	docBlock("2001:db8::/32", "RFC 3849"),
	docBlock("3fff::/20", "RFC 9637"),
	block("fc00::/7", "a unique local address (RFC 4193)", whyLocal),
	block("fe80::/10", "a link-local address", "it is valid on one network link only, and the wikis see the venue's public address instead"),
	block("ff00::/8", "a multicast address", "it names a group of receivers, never a computer that sends"),
}

// findVenue is how to learn the venue's public address.
const findVenue = "give the venue's public address: ask the venue's IT, or, on the day you test the venue's network, open a \"what is my IP\" page in a browser there"

// parseVenue reads the --ip values: addresses and CIDR ranges of the
// venue, public, none wider than the venue needs. One given twice counts
// once.
func parseVenue(values []string, examples bool) ([]netip.Prefix, error) {
	if len(values) == 0 {
		return nil, errors.New("throttle-request needs --ip: the venue's public IP address, or its range as CIDR (such as 198.51.100.0/28); ask the venue's IT, or, on the day you test the venue's network, open a \"what is my IP\" page in a browser there")
	}
	var out []netip.Prefix
	for _, v := range values {
		p, err := parseVenueOne(strings.TrimSpace(v), examples)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func parseVenueOne(v string, examples bool) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(v, "/") {
		var err error
		if p, err = netip.ParsePrefix(v); err != nil {
			return p, fmt.Errorf("--ip %q is not a CIDR range: write the first address, a slash and the prefix length, such as 198.51.100.0/28 or 2001:db8:1200::/56", v)
		}
		if p.Addr().Is4In6() {
			return p, fmt.Errorf("--ip %s is an IPv4 range written as IPv6: give it as IPv4, such as 198.51.100.0/28", v)
		}
		if p != p.Masked() {
			return p, fmt.Errorf("--ip %s has bits set after the first %d: the range is %s; give that, or the single address %s", v, p.Bits(), p.Masked(), p.Addr())
		}
	} else {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return p, fmt.Errorf("--ip %q is neither an IP address nor a CIDR range: give one address such as 198.51.100.7 or 2001:db8::7, or a range such as 198.51.100.0/28", v)
		}
		if a.Zone() != "" {
			return p, fmt.Errorf("--ip %s names a network interface (%%%s), which only this computer knows: %s", v, a.Zone(), findVenue)
		}
		a = a.Unmap()
		p = netip.PrefixFrom(a, a.BitLen())
	}
	for _, n := range notVenues {
		if !n.prefix.Overlaps(p) || n.example && examples {
			continue
		}
		verb := "is"
		if !isSingle(p) {
			verb = "takes in"
		}
		return p, fmt.Errorf("--ip %s %s %s: %s. %s", v, verb, n.what, n.why, capitalize(findVenue))
	}
	widest := widestIPv4
	if p.Addr().Is6() {
		widest = widestIPv6
	}
	if p.Bits() < widest {
		why := "at most 256 addresses (/24 or narrower)"
		if p.Addr().Is6() {
			why = "a /56 or narrower, what a provider usually gives one site"
		}
		return p, fmt.Errorf("--ip %s is wider than a venue needs: the exception lets anyone there create accounts, so it is kept to the venue's own addresses; give the venue's public address, or its range, %s", v, why)
	}
	return p, nil
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// isSingle reports whether a prefix is one address.
func isSingle(p netip.Prefix) bool { return p.Bits() == p.Addr().BitLen() }

// checkEventName checks --event, which goes into a PHP comment: one line,
// and no ?>, which would end the PHP code there.
func checkEventName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if i := strings.IndexFunc(name, unicode.IsControl); i >= 0 {
		return "", fmt.Errorf("--event holds a control character (%U, such as a line break): give the event's name on one line", []rune(name[i:])[0])
	}
	if strings.Contains(name, "?>") {
		return "", errors.New("--event holds \"?>\", which would end the PHP code of throttle.php in the entry's comment: leave it out of the name")
	}
	return name, nil
}

// taskNumber is a Phabricator task: T and digits (the T may be left out).
var taskNumber = regexp.MustCompile(`^[Tt]?([1-9][0-9]*)$`)

func checkTask(task string) (string, error) {
	task = strings.TrimSpace(task)
	if task == "" {
		return "", nil
	}
	m := taskNumber.FindStringSubmatch(strings.TrimPrefix(task, "https://phabricator.wikimedia.org/"))
	if m == nil {
		return "", fmt.Errorf("--task %q is not a Phabricator task: give its number, such as T123456", task)
	}
	return "T" + m[1], nil
}

// margin is how many accounts more than the participants expected the
// limit allows: marginPercent of them, rounded up, at least marginLeast.
func margin(participants int) int {
	return max(marginLeast, (participants*marginPercent+99)/100)
}

// dbName is a Wikimedia database name, as throttle.php compares it.
var dbName = regexp.MustCompile(`^[a-z0-9_]+$`)

// askThrottleWiki asks the wiki at api for its database name, and checks
// it is one of Wikimedia's.
func askThrottleWiki(ctx context.Context, hc *http.Client, now func() time.Time, api, userAgent string) (throttleWiki, error) {
	var w throttleWiki
	g, temp, err := siteinfoOf(ctx, hc, now, api, userAgent)
	switch {
	case err != nil:
		return w, err
	case !g.Wikimedia():
		return w, fmt.Errorf("--api %s: %s is not one of Wikimedia's wikis: throttle.php lifts the limit on Wikimedia's wikis only; on another wiki ask its administrators to raise $wgAccountCreationThrottle for the event, or for a right that the limit does not bind (noratelimit)", api, cmp.Or(g.ServerName, g.SiteName, "the wiki"))
	case !dbName.MatchString(g.WikiID):
		return w, fmt.Errorf("--api %s: the wiki gives its database name as %q, which is not one throttle.php can name: check --api", api, g.WikiID)
	}
	w.DBName, w.Server, w.TempAccounts = g.WikiID, g.ServerName, temp
	return w, nil
}

// siteinfoOf asks the wiki at api, anonymously, for siteinfo: its general
// part, and whether it has temporary accounts (siprop=autocreatetempuser,
// MediaWiki 1.42 and later; an older wiki does not know that siprop,
// warns, and has none).
func siteinfoOf(ctx context.Context, hc *http.Client, now func() time.Time, api, userAgent string) (*mwapi.SiteGeneral, bool, error) {
	s := mwapi.NewSession(hc, now, api, userAgent, "", "")
	s.Timeout = throttleTimeout
	ans := s.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}, "siprop": {"general|autocreatetempuser"}})
	if err := ans.AsError(); err != nil {
		return nil, false, fmt.Errorf("--api %s: asking the wiki for its name: %w", api, err)
	}
	q := ans.Body.Query
	if q == nil || q.General == nil || q.General.WikiID == "" {
		return nil, false, fmt.Errorf("--api %s: the answer has no siteinfo with the wiki's database name: give the api.php URL of a MediaWiki wiki", api)
	}
	return q.General, q.AutoCreateTempUser != nil && q.AutoCreateTempUser.Enabled, nil
}

// limit is the number of accounts a day the request asks for.
func (r *throttleRequest) limit() int { return r.participants + margin(r.participants) }

// write writes the request text, then the throttle.php entries.
func (r *throttleRequest) write(b *bytes.Buffer) {
	what := cmp.Or(r.event, "an event")
	title := "Lift the per-IP limit on account creation for " + what
	if r.task != "" {
		title += " (" + r.task + ")"
	}
	fmt.Fprintf(b, "%s\n\n", title)
	b.WriteString("Wikimedia's wikis let each IP address create 6 accounts a day. The participants of this event sign up from the venue's network, so please add an exception to wmf-config/throttle.php:\n\n")
	if r.event != "" {
		fmt.Fprintf(b, "- What: %s\n", r.event)
	}
	fmt.Fprintf(b, "- When: %s\n", r.when())
	fmt.Fprintf(b, "- Where: %s\n", r.where())
	fmt.Fprintf(b, "- How many: %d participants expected; with a margin of %d (%d %%, at least %d) for late arrivals and second tries, a limit of %d accounts a day from %s\n",
		r.participants, margin(r.participants), marginPercent, marginLeast, r.limit(), r.fromThere())
	var names, temp []string
	for _, w := range r.wikis {
		n := w.DBName
		if w.Server != "" {
			n += " (" + w.Server + ")"
		}
		names = append(names, n)
		if w.TempAccounts {
			temp = append(temp, w.DBName)
		}
	}
	fmt.Fprintf(b, "- Wikis: %s\n", strings.Join(names, ", "))
	switch {
	case len(temp) == len(r.wikis) && len(temp) == 1:
		fmt.Fprintf(b, "- Temporary accounts: %s has them, so its limit on temporary accounts (tempaccountvalue) is raised to %d as well\n", temp[0], r.limit())
	case len(temp) == len(r.wikis):
		fmt.Fprintf(b, "- Temporary accounts: every wiki above has them, so their limit on temporary accounts (tempaccountvalue) is raised to %d as well\n", r.limit())
	case len(temp) > 0:
		have := "have"
		if len(temp) == 1 {
			have = "has"
		}
		fmt.Fprintf(b, "- Temporary accounts: %s %s them, so the limit on temporary accounts (tempaccountvalue) is raised to %d there as well (an entry of its own)\n",
			strings.Join(temp, ", "), have, r.limit())
	}
	if r.soon {
		fmt.Fprintf(b, "- Soon: the event starts less than 72 hours after this request, so once the entry is deployed the throttle's cache needs purging by hand for %s (%s)\n", r.fromThere(), throttleHowTo)
	}
	if len(temp) > 0 && len(temp) < len(r.wikis) {
		b.WriteString("\nThe entries for wmf-config/throttle.php, one for the wikis with temporary accounts and one for the others:\n\n```lang=php\n")
	} else {
		b.WriteString("\nThe entry for wmf-config/throttle.php:\n\n```lang=php\n")
	}
	r.writePHP(b)
	b.WriteString("```\n")
}

// when says the event's hours in the venue's time, and in UTC.
func (r *throttleRequest) when() string {
	const day, clock = "Monday 2 January 2006", "15:04"
	var local string
	_, off1 := r.from.Zone()
	_, off2 := r.to.Zone()
	if off1 == off2 && r.from.Format(day) == r.to.Format(day) {
		local = fmt.Sprintf("%s, %s to %s, the venue's time (%s)", r.from.Format(day), r.from.Format(clock), r.to.Format(clock), utcOffset(r.from))
	} else {
		local = fmt.Sprintf("%s %s (%s) to %s %s (%s), the venue's time", r.from.Format(day), r.from.Format(clock), utcOffset(r.from), r.to.Format(day), r.to.Format(clock), utcOffset(r.to))
	}
	if off1 == 0 && off2 == 0 {
		return local
	}
	const utc = "2006-01-02 15:04"
	return fmt.Sprintf("%s; in UTC %s to %s", local, r.from.UTC().Format(utc), r.to.UTC().Format(utc))
}

// utcOffset says a time's offset: UTC, UTC+5:30, UTC-5:00.
func utcOffset(t time.Time) string {
	if _, off := t.Zone(); off == 0 {
		return "UTC"
	}
	return "UTC" + phpOffset(t)
}

// where says the venue's addresses.
func (r *throttleRequest) where() string {
	if len(r.venue) == 1 && isSingle(r.venue[0]) {
		return "the venue's public IP address " + r.venue[0].Addr().String()
	}
	if p := r.venue[0]; len(r.venue) == 1 && p.Addr().Is4() {
		return fmt.Sprintf("the venue's public address range %s (%d addresses)", p, 1<<(32-p.Bits()))
	}
	if len(r.venue) == 1 {
		return "the venue's public address range " + r.venue[0].String()
	}
	var all []string
	for _, p := range r.venue {
		all = append(all, venueString(p))
	}
	return "the venue's public addresses " + strings.Join(all, ", ")
}

// fromThere says where the accounts come from, briefly.
func (r *throttleRequest) fromThere() string {
	if len(r.venue) == 1 && isSingle(r.venue[0]) {
		return "that address"
	}
	return "those addresses"
}

// venueString is an address as itself, a range as CIDR.
func venueString(p netip.Prefix) string {
	if isSingle(p) {
		return p.Addr().String()
	}
	return p.String()
}

// writePHP writes the throttle.php entries: one for the wikis with
// temporary accounts (with tempaccountvalue), one for the others.
func (r *throttleRequest) writePHP(b *bytes.Buffer) {
	var withTemp, without []string
	for _, w := range r.wikis {
		if w.TempAccounts {
			withTemp = append(withTemp, w.DBName)
		} else {
			without = append(without, w.DBName)
		}
	}
	if len(withTemp) > 0 {
		r.writeEntry(b, withTemp, true)
	}
	if len(without) > 0 {
		r.writeEntry(b, without, false)
	}
}

// writeEntry writes one entry, as throttle.php writes them.
func (r *throttleRequest) writeEntry(b *bytes.Buffer, dbnames []string, temp bool) {
	comment := strings.Join(slices.DeleteFunc([]string{r.task, r.event}, func(s string) bool { return s == "" }), " - ")
	b.WriteString("$wmgThrottlingExceptions[] = [")
	if comment != "" {
		b.WriteString(" // " + comment)
	}
	b.WriteString("\n")
	fmt.Fprintf(b, "\t'from' => %s,\n", phpQuote(phpTime(r.from)))
	fmt.Fprintf(b, "\t'to' => %s,\n", phpQuote(phpTime(r.to)))
	// One address is 'IP'. Several are ranges, each address a /32 or a
	// /128: Wikimedia's checks of the file take 'IP' as one address, and
	// refuse an entry with both 'IP' and 'range' (one would need both).
	switch {
	case len(r.venue) == 1 && isSingle(r.venue[0]):
		fmt.Fprintf(b, "\t'IP' => %s,\n", phpQuote(r.venue[0].Addr().String()))
	case len(r.venue) == 1:
		fmt.Fprintf(b, "\t'range' => %s,\n", phpQuote(r.venue[0].String()))
	default:
		var all []string
		for _, p := range r.venue {
			all = append(all, p.String())
		}
		fmt.Fprintf(b, "\t'range' => %s,\n", phpList(all))
	}
	fmt.Fprintf(b, "\t'dbname' => %s,\n", phpList(dbnames))
	fmt.Fprintf(b, "\t'value' => %d, // %d expected participants\n", r.limit(), r.participants)
	if temp {
		fmt.Fprintf(b, "\t'tempaccountvalue' => %d,\n", r.limit())
	}
	b.WriteString("];\n")
}

// phpTime writes a time as throttle.php does: the local time to the
// minute, and the offset as H:MM with its sign ('2026-12-05T09:00 -5:00').
func phpTime(t time.Time) string {
	return t.Format("2006-01-02T15:04") + " " + phpOffset(t)
}

// phpOffset is a time's offset from UTC as H:MM with its sign: +0:00,
// -5:00, +5:30.
func phpOffset(t time.Time) string {
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s%d:%02d", sign, off/3600, off%3600/60)
}

// phpQuote is s as a PHP single-quoted string.
func phpQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// phpList is a PHP list of strings, as throttle.php writes one.
func phpList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = phpQuote(s)
	}
	return "[ " + strings.Join(q, ", ") + " ]"
}
