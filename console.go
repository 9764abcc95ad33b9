package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/report"
)

// maxProblemLines bounds the problem rows printed while a run goes on; the
// results file has them all.
const maxProblemLines = 50

// console shows a run on stderr. On a terminal: a progress bar with the
// counts, the rate, a countdown while the wiki makes everyone wait, and an
// ETA that uses the wiki's throttle window once it is known. Elsewhere (CI,
// cron, a pipe): plain lines — problems, pauses, and a progress line at most
// every few seconds. It draws nothing decorative and uses no colour, so
// NO_COLOR holds trivially.
type console struct {
	w      io.Writer
	tty    bool
	quiet  bool
	total  int
	every  time.Duration
	window func() (int, time.Duration) // the wiki's throttle, once reported

	mu         sync.Mutex
	done       int
	counts     map[report.Status]int
	last       time.Time
	started    time.Time
	printed    int // problem lines printed
	pauseUntil time.Time
	pauseWhy   string
	bar        *progressbar.ProgressBar
	stop       chan struct{}
	// problems, when set, collects the rows that need attention for a
	// grouped report at the end (the dry run) instead of printing them.
	problems *report.Problems
}

var _ provision.Reporter = (*console)(nil)

// isTerminal reports whether s is a terminal (tests pass buffers: never).
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newConsole(w io.Writer, tty, quiet bool, total int) *console {
	now := time.Now()
	return &console{w: w, tty: tty, quiet: quiet, total: total, every: 5 * time.Second,
		counts: map[report.Status]int{}, last: now, started: now}
}

// start draws the bar on a terminal and refreshes it every half second, so
// the countdown moves while nothing else happens.
func (c *console) start() {
	if !c.tty || c.quiet {
		return
	}
	c.bar = progressbar.NewOptions(c.total,
		progressbar.OptionSetWriter(c.w),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetElapsedTime(false),
		progressbar.OptionEnableColorCodes(false),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetRenderBlankState(true),
	)
	c.stop = make(chan struct{})
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				c.mu.Lock()
				if c.bar != nil { // finish may have removed it meanwhile
					c.bar.Describe(c.statusLocked())
				}
				c.mu.Unlock()
			}
		}
	}()
}

// finish removes the bar before the summary is printed.
func (c *console) finish() {
	if c.bar == nil {
		return
	}
	close(c.stop)
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.bar.Clear()
	fmt.Fprintln(c.w)
	c.bar = nil
}

func (c *console) RowDone(r report.Row) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done++
	c.counts[r.Status]++
	switch {
	case c.problems != nil:
		c.problems.Add(r)
	// Pending rows share one reason, printed once with the summary.
	case !c.quiet && !r.Status.OK() && r.Status != report.Pending:
		c.printed++
		switch {
		case c.printed <= maxProblemLines:
			line := fmt.Sprintf("line %d: %q: %s", r.Line, r.Username, r.Status)
			if r.Message != "" {
				line += ": " + r.Message
			}
			c.printLocked(line)
		case c.printed == maxProblemLines+1:
			c.printLocked("… more problem rows: see the results file")
		}
	}
	if c.bar != nil {
		c.bar.Describe(c.statusLocked())
		_ = c.bar.Set(c.done)
		return
	}
	if now := time.Now(); !c.quiet && now.Sub(c.last) >= c.every {
		c.last = now
		fmt.Fprintf(c.w, "progress: %d/%d rows, %s\n", c.done, c.total, c.statusLocked())
	}
}

func (c *console) Paused(until time.Time, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pauseUntil, c.pauseWhy = until, why
	if c.quiet {
		return
	}
	if c.bar != nil {
		c.bar.Describe(c.statusLocked())
		return
	}
	fmt.Fprintf(c.w, "pausing all workers for %s: %s (resuming at %s)\n",
		time.Until(until).Round(time.Second), why, until.Format("15:04:05"))
}

// printLocked prints a line above the bar, or plainly.
func (c *console) printLocked(line string) {
	if c.bar != nil {
		_ = c.bar.Clear()
		fmt.Fprintln(c.w, line)
		_ = c.bar.RenderBlank()
		return
	}
	fmt.Fprintln(c.w, line)
}

// statusLocked is the bar's description: counts, a countdown during a
// pause, and the ETA.
func (c *console) statusLocked() string {
	made, verb := c.counts[report.Created], "created"
	if n := c.counts[report.WouldCreate]; n > 0 {
		made, verb = n, "would be created"
	}
	problems := c.done - made - c.counts[report.Exists]
	parts := []string{fmt.Sprintf("%d %s · %d exist · %d problems", made, verb, c.counts[report.Exists], problems)}
	if left := time.Until(c.pauseUntil); left > 0 {
		parts = append(parts, fmt.Sprintf("%s — resuming in %s", c.pauseWhy, left.Round(time.Second)))
	}
	if eta := c.etaLocked(); eta > 0 {
		parts = append(parts, "ETA "+eta.Round(time.Second).String())
	}
	return strings.Join(parts, " — ")
}

// etaLocked estimates the time left: from the wiki's throttle window once it
// has reported one (the run then goes at count accounts per window),
// otherwise from the rate so far.
func (c *console) etaLocked() time.Duration {
	left := c.total - c.done
	if left <= 0 {
		return 0
	}
	if c.window != nil {
		if count, window := c.window(); count > 0 && window > 0 {
			windows := (left + count - 1) / count
			eta := time.Duration(windows-1) * (window + time.Second)
			if p := time.Until(c.pauseUntil); p > 0 {
				eta += p
			}
			return eta
		}
	}
	if c.done == 0 {
		return 0
	}
	return time.Duration(float64(time.Since(c.started)) / float64(c.done) * float64(left))
}
