package wikitest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ReadyTimeout is how long Start waits for the API to answer.
var ReadyTimeout = 30 * time.Second

// ServerWorkers is PHP_CLI_SERVER_WORKERS: requests served in parallel.
var ServerWorkers = 4

var errPortInUse = errors.New("port already in use")

// server is a php -S started by this process.
type server struct {
	cmd      *exec.Cmd
	pgid     int
	detached bool
	stdin    io.WriteCloser // child mode: the watchdog's pipe; closing it kills the server
	log      *os.File
	exited   chan struct{} // closed when cmd.Wait returns
	waitErr  error
}

// watchdog runs php -S (its arguments) in the background and kills its
// whole process group, php's workers included, as soon as stdin reaches
// EOF, i.e. when the Go process closes the pipe or dies in any way (even
// SIGKILL). This is needed because PHP_CLI_SERVER_WORKERS forks workers
// that hold the listening socket and survive the death of php's master
// process: a Pdeathsig on php alone would leave them serving.
// If php exits on its own, the group is killed too, so Wait returns.
const watchdog = `exec 3<&0 </dev/null
"$@" 3<&- &
php=$!
( read -r _ <&3; kill -KILL 0 ) &
exec 3<&-
wait "$php"
echo "wikitest: php -S exited with status $?" >&2
kill -KILL 0
`

// Start starts the wiki's server (php -S with ServerWorkers workers) as a
// child of this process, in its own process group, and waits until the
// API answers. The server dies with this process (on Linux even when it
// is killed: see the watchdog); Stop ends it earlier. Its output goes to
// DIR/server.log.
func (w *Wiki) Start() error { return w.start(false) }

// StartDetached starts the server like Start but detached (setsid): it
// survives this process. Its pid goes to DIR/server.pid; stop it with
// Stop, from this or another process (after Open).
func (w *Wiki) StartDetached() error { return w.start(true) }

func (w *Wiki) start(detached bool) error {
	if err := w.Release.Check(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.srv != nil {
		return errors.New("wikitest: server already started")
	}
	addr := "127.0.0.1:" + strconv.Itoa(w.Port)
	if l, err := net.Listen("tcp", addr); err != nil {
		return fmt.Errorf("wikitest: cannot start server on %s: %w (%v)", addr, errPortInUse, err)
	} else {
		l.Close()
	}
	logf, err := os.OpenFile(filepath.Join(w.Dir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== wikitest: starting php -S %s (%s)\n", addr, time.Now().Format(time.RFC3339))

	phpArgs := []string{"-S", addr, "-t", w.Release.inside(filepath.Join(w.Dir, "htdocs")),
		"-d", "sendmail_path=" + w.sendmailPath(),
		// OPcache serves the built-in server (its SAPI is not "cli"): check
		// LocalSettings.php on every request, so that AppendSettings takes
		// effect at the next one, not up to 2 seconds later.
		"-d", "opcache.revalidate_freq=0"}
	s := &server{detached: detached, log: logf, exited: make(chan struct{})}
	s.cmd = w.Release.command(context.Background(), w.settingsFile(), phpArgs, "PHP_CLI_SERVER_WORKERS="+strconv.Itoa(ServerWorkers))
	if detached {
		s.cmd.SysProcAttr = detachedAttr()
	} else {
		// The same command, under the watchdog.
		s.cmd.Args = append([]string{"/bin/sh", "-c", watchdog, "wikitest-server"}, s.cmd.Args...)
		s.cmd.Path = "/bin/sh"
		s.cmd.SysProcAttr = childAttr()
		if s.stdin, err = s.cmd.StdinPipe(); err != nil {
			logf.Close()
			return err
		}
	}
	s.cmd.Dir = w.Dir
	s.cmd.Stdout = logf
	s.cmd.Stderr = logf
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("wikitest: starting php -S: %w", err)
	}
	s.pgid = s.cmd.Process.Pid // Setpgid/Setsid: the group is led by the process
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	if detached {
		if err := os.WriteFile(filepath.Join(w.Dir, pidFile), []byte(strconv.Itoa(s.pgid)+"\n"), 0o644); err != nil {
			s.stop(w.Port)
			return err
		}
	}
	if err := w.waitReady(s); err != nil {
		s.stop(w.Port)
		if detached {
			os.Remove(filepath.Join(w.Dir, pidFile))
		}
		return err
	}
	w.srv = s
	return nil
}

func (w *Wiki) waitReady(s *server) error {
	deadline := time.Now().Add(ReadyTimeout)
	var lastErr error
	for {
		select {
		case <-s.exited:
			log := w.LogTail(20)
			err := fmt.Errorf("wikitest: php -S exited before the wiki answered (%v); %s:\n%s",
				s.waitErr, filepath.Join(w.Dir, logFile), log)
			if strings.Contains(log, "Address already in use") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
			return err
		default:
		}
		if lastErr = w.Ping(); lastErr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wikitest: wiki at %s did not answer within %v (last error: %v); tail of %s:\n%s",
				w.API, ReadyTimeout, lastErr, filepath.Join(w.Dir, logFile), w.LogTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Ping asks the API for siteinfo and returns nil if it answers.
func (w *Wiki) Ping() error {
	var r struct {
		Query struct {
			General struct {
				Sitename string `json:"sitename"`
			} `json:"general"`
		} `json:"query"`
	}
	s := w.newSession(nil, 2*time.Second)
	if err := s.Get(params("action", "query", "meta", "siteinfo"), &r); err != nil {
		return err
	}
	if r.Query.General.Sitename == "" {
		return errors.New("wikitest: siteinfo without sitename")
	}
	return nil
}

// LogTail returns the last n lines of DIR/server.log, leaving out php's
// per-connection "Accepted" and "Closing" lines.
func (w *Wiki) LogTail(n int) string {
	b, err := os.ReadFile(filepath.Join(w.Dir, logFile))
	if err != nil {
		return fmt.Sprintf("(cannot read server log: %v)\n", err)
	}
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasSuffix(l, " Accepted") && !strings.HasSuffix(l, " Closing") {
			keep = append(keep, l)
		}
	}
	return tail(strings.Join(keep, "\n"), n)
}

// Stop stops the server: the one this process started, or else the
// detached one recorded in DIR/server.pid. It kills the server's whole
// process group and returns once the port is closed. Stopping a stopped
// wiki is a no-op.
func (w *Wiki) Stop() error {
	w.mu.Lock()
	s := w.srv
	w.srv = nil
	w.mu.Unlock()
	if s != nil {
		err := s.stop(w.Port)
		if s.detached {
			os.Remove(filepath.Join(w.Dir, pidFile))
		}
		return err
	}
	pid := w.RunningPID()
	if pid == 0 {
		os.Remove(filepath.Join(w.Dir, pidFile))
		return nil
	}
	if err := killGroup(pid); err != nil {
		return fmt.Errorf("wikitest: stopping server (pid %d): %w", pid, err)
	}
	os.Remove(filepath.Join(w.Dir, pidFile))
	return waitPortClosed(w.Port, 10*time.Second)
}

func (s *server) stop(port int) error {
	err := killGroup(s.pgid)
	if s.stdin != nil {
		s.stdin.Close()
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		if err == nil {
			err = fmt.Errorf("wikitest: server process %d did not exit", s.pgid)
		}
	}
	s.log.Close()
	if perr := waitPortClosed(port, 10*time.Second); err == nil {
		err = perr
	}
	return err
}

// RunningPID returns the pid of the detached server recorded in
// DIR/server.pid if that process still exists and is this wiki's php -S,
// else 0.
func (w *Wiki) RunningPID() int {
	b, err := os.ReadFile(filepath.Join(w.Dir, pidFile))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0
	}
	if !isServerProcess(pid, cmp.Or(w.Release.Root, "/"), w.Release.inside(filepath.Join(w.Dir, "htdocs"))) {
		return 0
	}
	return pid
}

// waitPortClosed waits until nothing accepts connections on the port:
// then php's workers, which hold the listening socket, are gone.
func waitPortClosed(port int, timeout time.Duration) error {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
		if err != nil {
			return nil
		}
		c.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("wikitest: something still listens on %s after stopping the server", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
