package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"go.uber.org/zap"

	webconsole "github.com/mwprovision/mwprovision/provision/console"
	"github.com/mwprovision/mwprovision/provision/pacer"
)

// uiCommand starts the organizer's console: the same run, in the browser.
func uiCommand(s *streams) *cli.Command {
	var listen, dir string
	var noBrowser, anyAddress bool
	return &cli.Command{
		Name:  "ui",
		Usage: "the organizer's console: the whole job in your browser",
		Description: `Serves the console to your own browser, on this machine's loopback address
(127.0.0.1), and opens it: connect to the wiki, choose the sheet, check it,
confirm, watch the run, download the results. The console runs exactly what
mwprovision run does, with the same files: a run started in one can be
resumed in the other.

The console keeps its files (the sheets you give it, results, logs) in the
folder it was started in (--dir to choose). It ends on the page's Quit or on
Ctrl-C; a run in progress then stops as at Ctrl-C, its record written.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "the `ADDRESS:PORT` to listen on (port 0: a free one)", Destination: &listen},
			&cli.StringFlag{Name: "dir", Value: ".", Usage: "the `FOLDER` where the console keeps its files", Destination: &dir},
			&cli.BoolFlag{Name: "no-browser", Usage: "print the console's address, do not open a browser", Destination: &noBrowser},
			&cli.BoolFlag{Name: "listen-beyond-this-machine", Usage: "allow --listen on an address other machines can reach: whoever has the printed address (with its token) can then use the console and the bot password given to it, over plain http", Destination: &anyAddress},
		},
		Action: func(c *cli.Context) error {
			return serveConsole(c.Context, s, listen, dir, !noBrowser, anyAddress)
		},
	}
}

// serveConsole serves the console until the page's Quit or ctx ends.
func serveConsole(ctx context.Context, s *streams, listen, dir string, browse, anyAddress bool) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: give ADDRESS:PORT, such as 127.0.0.1:8080", listen)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) && !anyAddress {
		return fmt.Errorf("--listen %s can be reached from other machines: whoever reaches it with the console's address could use your bot password, over plain http; add --listen-beyond-this-machine if that is what you want", listen)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("--dir %s is not a folder", dir)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v", listen, err)
	}
	addr := ln.Addr().String()
	con, err := webconsole.New(ctx, consoleConfig(dir, s.err), addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: con, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	open := fmt.Sprintf("http://%s/?token=%s", addr, con.Token())
	if !ln.Addr().(*net.TCPAddr).IP.IsLoopback() {
		fmt.Fprintf(s.err, "warning: the console listens on %s, which other machines may reach\n", addr)
	}
	fmt.Fprintf(s.err, "the console is at %s\nits files are in %s\nquit on the page, or press Ctrl-C here\n", open, dir)
	if browse {
		if err := openBrowser(open); err != nil {
			fmt.Fprintf(s.err, "cannot open a browser (%v): open the address above in yours\n", err)
		}
	}
	select {
	case <-con.Done():
	case err := <-served:
		return err
	}
	// The page's last requests are answered first — none can start a
	// run once the console ends — then a run in progress, stopped as at
	// Ctrl-C, writes its record.
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	con.Wait()
	if ctx.Err() != nil {
		return errInterruptedConsole
	}
	fmt.Fprintln(s.err, "the console has ended")
	return nil
}

// errInterruptedConsole: Ctrl-C ended the console (a run in progress
// stopped, its record written).
var errInterruptedConsole = errors.New("interrupted: the console has ended; a run in progress was stopped, its record written (Resume in the console, or run --resume, continues it)")

// consoleConfig is the console's: the command line's rules, words and log.
func consoleConfig(dir string, stderr io.Writer) webconsole.Config {
	return webconsole.Config{
		Dir: dir, Setup: consoleSetup, Version: version, Clock: pacer.SystemClock{},
		OpenLog: func(path string) (*zap.Logger, func(), error) { return openLog(path, stderr) },
		HTTP:    newHTTPClient, Advise: advise, Explain: explain, Warning: warningText,
		Defaults: webconsole.Form{MailPassword: true, Workers: defaultWorkers, Rate: defaultRate},
	}
}

// consoleSetup checks a console's form by the rules of run's flags, and
// sets the run's options and files as run would for the same flags.
func consoleSetup(f webconsole.Form) (webconsole.Setup, error) {
	o := runOptions{
		API: f.API, User: f.User, Reason: f.Reason, MailPassword: f.MailPassword, Workers: f.Workers, Rate: f.Rate,
		MaxAttempts: defaultMaxAttempts, MaxWait: defaultMaxWait, Contact: f.Contact, Yes: true, DryRun: f.DryRun,
		Resume: f.Resume, Timeout: time.Minute, GroupExpiry: f.GroupExpiry,
		password: f.Password, oauth: f.OAuthToken, sheet: f.Sheet,
	}
	if f.AddGroups != "" {
		o.AddGroups = *cli.NewStringSlice(f.AddGroups)
	}
	for field, col := range f.Columns {
		o.Columns = *cli.NewStringSlice(append(o.Columns.Value(), field+"="+col)...)
	}
	if err := o.validateWiki(); err != nil {
		return webconsole.Setup{}, reflag(err)
	}
	if err := o.validateLimits(); err != nil {
		return webconsole.Setup{}, reflag(err)
	}
	var err error
	if o.columns, err = parseColumns(o.Columns.Value()); err != nil {
		return webconsole.Setup{}, reflag(err)
	}
	if err := o.validateGroups(); err != nil {
		return webconsole.Setup{}, reflag(err)
	}
	if o.User == "" && o.oauth == "" && !o.DryRun {
		return webconsole.Setup{}, errors.New("no creator: connect with a bot password made on Special:BotPasswords with the \"Create accounts\" grant")
	}
	if err := o.defaultPaths(); err != nil {
		return webconsole.Setup{}, reflag(err)
	}
	return webconsole.Setup{Job: o.job(), Sheet: o.sheet, LogFile: o.LogFile}, nil
}

// reflag says a command line's error in the console's words: its fields
// for the flags.
func reflag(err error) error {
	r := strings.NewReplacer("--api", "the wiki's address", "--workers", "workers", "--rate", "the rate",
		"--group-expiry", "the expiry", "--column", "the column", "--add-groups", "the groups", "--out", "the results file")
	return errors.New(r.Replace(err.Error()))
}
