package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/provision/pacer"
)

// errCheckFailed: check found what stops an event run; it said why.
var errCheckFailed = errors.New("an event run cannot go ahead with this creator here")

// checkCommand says, without a sheet, what this creator can do on this
// wiki from this address.
func checkCommand(s *streams, getenv func(string) string) *cli.Command {
	o := &runOptions{MailPassword: true, Workers: 1, Rate: "0", MaxAttempts: 1, Timeout: time.Minute}
	return &cli.Command{
		Name:      "check",
		Usage:     "say what your creator can do on the wiki, days before the event",
		ArgsUsage: " ",
		Description: `Logs in as the creator and says, in plain words, what it can do on this wiki
from this address: create accounts at all, beyond the wiki's per-IP limit or
not, without a CAPTCHA, with the wiki mailing passwords, which groups it may
add, a block, and the wiki's language and the extensions that judge accounts
only when they are created — each problem with what to do. It creates
nothing. Exit 0 when an event run can go ahead, 1 (with the reasons) when not.

Examples:
  mwprovision check --api https://xx.wikipedia.org/w/api.php --user Organizer@bulk \
    --password-file ~/.config/mwprovision/botpassword --add-groups confirmed`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "api", Usage: "the wiki's api.php `URL`", EnvVars: []string{"MWPROVISION_API"}, Destination: &o.API},
			&cli.StringFlag{Name: "user", Usage: "bot password login, `User@AppName`", EnvVars: []string{"MWPROVISION_USER"}, Destination: &o.User},
			&cli.StringFlag{Name: "password-file", Usage: "`FILE` holding the bot password (mode 0600); or set MWPROVISION_PASSWORD", EnvVars: []string{"MWPROVISION_PASSWORD_FILE"}, Destination: &o.PasswordFile},
			&cli.StringFlag{Name: "oauth-token-file", Usage: "an owner-only OAuth 2 consumer's access token `FILE` instead; or set MWPROVISION_OAUTH_TOKEN", EnvVars: []string{"MWPROVISION_OAUTH_TOKEN_FILE"}, Destination: &o.OAuthFile},
			&cli.BoolFlag{Name: "mailpassword", Value: true, Usage: "check that the wiki can mail each new user a temporary password (--mailpassword=false: passwords will come from the sheet)", Destination: &o.MailPassword},
			&cli.StringSliceFlag{Name: "add-groups", Usage: "check that the creator may add accounts to these `GROUPS` (such as confirmed)", Destination: &o.AddGroups},
			&cli.StringFlag{Name: "contact", Usage: "email or user page for the User-Agent", EnvVars: []string{"MWPROVISION_CONTACT"}, Destination: &o.Contact},
			&cli.BoolFlag{Name: "allow-insecure-http", Usage: "allow a plain http:// --api on another machine", Destination: &o.Insecure},
		},
		Before: func(c *cli.Context) error {
			if c.Args().Len() > 0 {
				return fmt.Errorf("check takes no sheet (got %q): it checks the creator, not a sheet; mwprovision run --dry-run checks a sheet", c.Args().First())
			}
			if o.API == "" {
				return errors.New("no wiki: give --api https://…/w/api.php")
			}
			if err := o.validateWiki(); err != nil {
				return err
			}
			if err := o.validateLimits(); err != nil {
				return err
			}
			if err := o.validateGroups(); err != nil {
				return err
			}
			o.DryRun = false
			if err := o.readCreator(c.Context, s, getenv); err != nil {
				return err
			}
			return nil
		},
		Action: func(c *cli.Context) error { return o.check(c.Context, s.err, pacer.SystemClock{}) },
	}
}

// check says what the creator can do, and whether an event run can go
// ahead.
func (o runOptions) check(ctx context.Context, w io.Writer, clock pacer.Clock) error {
	jo := o.job()
	site, err := job.AskSite(ctx, jo, newHTTPClient(1), clock)
	if err != nil {
		return o.siteErr(err)
	}
	if site.Unknown != nil {
		fmt.Fprintf(w, "✗ the wiki did not answer as a MediaWiki wiki: %s\n", explain(site.Unknown))
		return errCheckFailed
	}
	fmt.Fprintf(w, "wiki: %s, content language %s\n", o.API, site.Names.Lang)
	c, err := job.Connect(ctx, jo, provision.Deps{HTTP: newHTTPClient(1), Clock: clock})
	if errors.Is(err, context.Canceled) {
		return errInterruptedEarly
	}
	var pe *provision.PreflightError
	if errors.As(err, &pe) {
		fmt.Fprintf(w, "✗ %s\n", explain(err))
		return errCheckFailed
	}
	if err != nil {
		return err
	}
	return sayCreator(w, o, site, c)
}

// sayCreator says what the pre-flight found: ✓ fine, ! to know, ✗ stops an
// event run.
func sayCreator(w io.Writer, o runOptions, site job.Site, c *provision.Creator) error {
	fmt.Fprintf(w, "logged in to %s as %s\n", cmp.Or(c.SiteName, o.API), c.Name)
	fmt.Fprintf(w, "✓ %s may create accounts here, and the wiki asks it for no CAPTCHA\n", c.Name)
	if o.MailPassword {
		fmt.Fprintln(w, "✓ the wiki can mail each new user a temporary password")
	}
	switch {
	case c.NoRateLimit:
		fmt.Fprintf(w, "✓ the wiki's limit of accounts per IP address does not apply to %s (it holds noratelimit)\n", c.Name)
	case c.Wikimedia:
		fmt.Fprintf(w, "! the wiki's limit of accounts per IP address applies to %s: 6 accounts a day from one address, for all the room together; "+
			"ask for the event coordinator or account creator right, or for a temporary exception for the event's address (mwprovision throttle-request writes the request)\n", c.Name)
	default:
		fmt.Fprintf(w, "! the wiki's limit of accounts per IP address applies to %s (the wiki does not say how many; MediaWiki's default is 6 a day): "+
			"ask the wiki's administrators for the noratelimit right, or to raise $wgAccountCreationThrottle for the event\n", c.Name)
	}
	if c.Blocked != "" {
		fmt.Fprintf(w, "! %s %s; the block lets it create accounts\n", c.Name, c.Blocked)
	}
	failed := false
	switch {
	case len(c.Addable) > 0:
		fmt.Fprintf(w, "✓ it may add accounts to these groups: %s\n", strings.Join(c.Addable, ", "))
	case c.AddableWhy != "":
		fmt.Fprintf(w, "! it may add accounts to no group: %s\n", c.AddableWhy)
	default:
		fmt.Fprintln(w, "! it may add accounts to no group")
	}
	for _, g := range o.groups {
		if !slices.Contains(c.Addable, g) {
			fmt.Fprintf(w, "✗ it may not add accounts to %s, which you asked for\n", g)
			failed = true
		}
	}
	for _, ext := range site.DecidesAtCreation {
		fmt.Fprintf(w, "! the wiki runs %s, which judges an account only when it is created: a dry run cannot foresee it\n", ext)
	}
	if failed {
		return errCheckFailed
	}
	fmt.Fprintln(w, "an event run can go ahead")
	return nil
}
