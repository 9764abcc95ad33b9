// Command testwiki installs and runs a throwaway MediaWiki for demos:
//
//	testwiki start -dir DIR -port PORT [-throttle 3/20]
//	testwiki stop -dir DIR
//
// start installs the wiki into DIR unless DIR already holds one, starts
// php -S detached (pid in DIR/server.pid, output in DIR/server.log),
// waits until the API answers and prints shell-friendly KEY=VALUE lines
// (API, BULK_USER, BULK_PASSWORD_FILE, ...) on stdout. If the wiki is
// already running it just prints them. stop kills the server.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mwprovision/mwprovision/wikitest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "testwiki:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  testwiki start -dir DIR -port PORT [-throttle COUNT/SECONDS]
  testwiki stop -dir DIR`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "start":
		return start(args[1:], stdout, stderr)
	case "stop":
		return stop(args[1:], stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func start(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("testwiki start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory of the wiki (created and installed if it has no LocalSettings.php)")
	port := fs.Int("port", 0, "port on 127.0.0.1 (required to install; must match an installed wiki)")
	throttle := fs.String("throttle", "", "account creation throttle COUNT/SECONDS, e.g. 3/20 (default: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return errors.New(usage)
	}
	var opts wikitest.Options
	if *throttle != "" {
		c, s, ok := strings.Cut(*throttle, "/")
		n, err1 := strconv.Atoi(c)
		secs, err2 := strconv.Atoi(s)
		if !ok || err1 != nil || err2 != nil || n < 0 || secs <= 0 {
			return fmt.Errorf("-throttle %q: want COUNT/SECONDS, e.g. 3/20", *throttle)
		}
		opts.ThrottleCount, opts.ThrottleSeconds = n, secs
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}

	var w *wikitest.Wiki
	if _, err := os.Stat(filepath.Join(abs, "LocalSettings.php")); errors.Is(err, os.ErrNotExist) {
		if *port == 0 {
			return errors.New("-port is required to install a new wiki")
		}
		fmt.Fprintf(stderr, "testwiki: installing MediaWiki into %s for port %d\n", abs, *port)
		if w, err = wikitest.Install(abs, *port, opts); err != nil {
			return err
		}
	} else {
		if w, err = wikitest.Open(abs); err != nil {
			return err
		}
		if *port != 0 && *port != w.Port {
			return fmt.Errorf("%s holds a wiki for port %d, not %d: use -port %d or another -dir", abs, w.Port, *port, w.Port)
		}
		if pid := w.RunningPID(); pid != 0 {
			if err := w.Ping(); err != nil {
				return fmt.Errorf("server pid %d runs but the wiki does not answer (%v); try `testwiki stop -dir %s`", pid, err, abs)
			}
			if *throttle != "" {
				fmt.Fprintln(stderr, "testwiki: already running; -throttle ignored (stop and start again to change it)")
			}
			fmt.Fprintf(stderr, "testwiki: already running (pid %d)\n", pid)
			printEnv(stdout, w)
			return nil
		}
		if *throttle != "" { // later settings override the installed ones
			err := w.AppendSettings(fmt.Sprintf("$wgAccountCreationThrottle = [ [ 'count' => %d, 'seconds' => %d ] ];",
				opts.ThrottleCount, opts.ThrottleSeconds))
			if err != nil {
				return err
			}
		}
	}
	if err := w.StartDetached(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "testwiki: running at %s (pid %d, log %s)\n", w.URL, w.RunningPID(), filepath.Join(abs, "server.log"))
	printEnv(stdout, w)
	return nil
}

func stop(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("testwiki stop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory of the wiki")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return errors.New(usage)
	}
	w, err := wikitest.Open(*dir)
	if err != nil {
		return err
	}
	pid := w.RunningPID()
	if pid == 0 {
		fmt.Fprintln(stderr, "testwiki: not running")
		return nil
	}
	if err := w.Stop(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "testwiki: stopped (pid %d)\n", pid)
	return nil
}

func printEnv(out io.Writer, w *wikitest.Wiki) {
	for _, kv := range [][2]string{
		{"API", w.API},
		{"WIKI_URL", w.URL},
		{"WIKI_DIR", w.Dir},
		{"MAIL_DIR", filepath.Join(w.Dir, "mail")},
		{"ADMIN_USER", wikitest.AdminUser},
		{"ADMIN_PASSWORD_FILE", w.AdminPasswordFile},
		{"BULK_USER", w.Bulk.Login},
		{"BULK_PASSWORD_FILE", w.Bulk.PasswordFile},
		{"LIMITED_USER", w.Limited.Login},
		{"LIMITED_PASSWORD_FILE", w.Limited.PasswordFile},
	} {
		fmt.Fprintf(out, "%s=%s\n", kv[0], shellWord(kv[1]))
	}
}

// shellWord quotes s for sh unless it is plain.
func shellWord(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
