package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/pacer"
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
	w     io.Writer
	tty   bool
	quiet bool
	total int
	// toSend is how many rows the plan sends to the wiki (not those it
	// decided itself, nor those carried over); 0 when not known.
	toSend int
	every  time.Duration // between plain progress lines
	draw   time.Duration // at most one redraw of the bar per draw
	clock  pacer.Clock

	mu         sync.Mutex
	done       int
	sent       int // rows decided by a request of this run
	counts     map[report.Status]int
	last       time.Time
	started    time.Time
	printed    int // problem lines printed
	pauseUntil time.Time
	pauseWhy   string
	throttle   pacer.ThrottleWindow // the wiki's, once a pause has reported it
	bar        *progressbar.ProgressBar
	stop       chan struct{}
	// problems, when set, collects the rows that need attention for a
	// grouped report at the end (the dry run) instead of printing them.
	problems *report.Problems
}

var _ provision.Reporter = (*console)(nil)

// consoleOptions configure a console.
type consoleOptions struct {
	tty    bool // draw a progress bar: stderr is a terminal
	quiet  bool // print only the summary
	total  int  // rows in all
	toSend int  // rows the plan sends to the wiki
	// group collects the problem rows for a report by kind at the end, as a
	// dry run shows them, instead of printing each as it comes.
	group bool
	clock pacer.Clock
}

func newConsole(w io.Writer, o consoleOptions) *console {
	now := o.clock.Now()
	c := &console{w: w, tty: o.tty, quiet: o.quiet, total: o.total, toSend: o.toSend, every: 5 * time.Second, draw: 100 * time.Millisecond,
		clock: o.clock, counts: map[report.Status]int{}, last: now, started: now}
	if o.group {
		c.problems = report.NewProblems(maxProblemLines)
	}
	return c
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
		progressbar.OptionThrottle(c.draw),
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
				c.refresh()
			}
		}
	}()
}

// refresh redraws the bar's description: the countdown and the ETA move.
func (c *console) refresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bar != nil { // finish may have removed it meanwhile
		c.bar.Describe(c.statusLocked())
	}
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

// printProblems prints the problem rows it grouped, if it groups them.
func (c *console) printProblems(resultsPath string) {
	if c.problems != nil {
		c.problems.Print(c.w, resultsPath)
	}
}

func (c *console) RowDone(r report.Row, sent bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done++
	if sent {
		c.sent++
	}
	c.counts[r.Status]++
	switch {
	case c.problems != nil:
		c.problems.Add(r)
	// Pending rows share one reason, printed once with the summary.
	case !c.quiet && !r.OK() && r.Status != report.Pending:
		c.printed++
		switch {
		case c.printed <= maxProblemLines:
			line := fmt.Sprintf("line %d: %q: %s", r.Line, r.Username, r.Status)
			switch {
			case r.Status.OK():
				// Its groups failed: the account itself is fine.
				line += ", but " + r.Message
			case r.Message != "":
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
	if now := c.clock.Now(); !c.quiet && now.Sub(c.last) >= c.every {
		c.last = now
		fmt.Fprintf(c.w, "progress: %d/%d rows, %s\n", c.done, c.total, c.statusLocked())
	}
}

func (c *console) Paused(p pacer.Pause) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pauseUntil, c.pauseWhy = p.Until, p.Why
	first := p.Throttle.Count > 0 && c.throttle != p.Throttle
	if p.Throttle.Count > 0 {
		c.throttle = p.Throttle
	}
	if c.quiet {
		return
	}
	if c.bar != nil {
		c.bar.Describe(c.statusLocked())
	} else {
		fmt.Fprintf(c.w, "pausing all workers for %s: %s (resuming at %s)\n",
			p.Until.Sub(c.clock.Now()).Round(time.Second), p.Why, p.Until.Format("15:04:05"))
	}
	if first {
		// The wiki's limit is known only now: say what it means for the run.
		c.printLocked(fmt.Sprintf("the wiki allows %d accounts per %s from this IP address: the %d rows left to send take about %s",
			p.Throttle.Count, p.Throttle.Length, c.leftToSendLocked(), c.etaLocked().Round(time.Second)))
	}
}

// interrupted says, once, what the first Ctrl-C does and what a second
// one would; it is printed even with --quiet, as warnings are.
func (c *console) interrupted(dryRun bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if dryRun {
		c.printLocked("interrupted: the dry run stops at the row it reached (Ctrl-C again quits at once)")
		return
	}
	c.printLocked("interrupted: sending nothing more; the requests in flight finish and every row is recorded (Ctrl-C again quits at once)")
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
	pending := c.counts[report.Pending]
	problems := c.done - made - c.counts[report.Exists] - pending
	counts := fmt.Sprintf("%d %s · %d exist · %d problems", made, verb, c.counts[report.Exists], problems)
	if pending > 0 {
		counts += fmt.Sprintf(" · %d pending", pending)
	}
	parts := []string{counts}
	if left := c.pauseUntil.Sub(c.clock.Now()); left > 0 {
		parts = append(parts, fmt.Sprintf("%s — resuming in %s", c.pauseWhy, left.Round(time.Second)))
	}
	if eta := c.etaLocked(); eta > 0 {
		parts = append(parts, "ETA "+eta.Round(time.Second).String())
	}
	return strings.Join(parts, " — ")
}

// leftToSendLocked is how many rows are still to be sent: only they wait
// for the wiki's windows.
func (c *console) leftToSendLocked() int {
	if c.toSend > 0 {
		return max(c.toSend-c.sent, 0)
	}
	return c.total - c.done
}

// etaLocked estimates the time left: from the wiki's throttle window once it
// has reported one (the run then goes at count accounts per window),
// otherwise from the rate so far.
func (c *console) etaLocked() time.Duration {
	left := c.total - c.done
	if left <= 0 {
		return 0
	}
	now := c.clock.Now()
	if count, window := c.throttle.Count, c.throttle.Length; count > 0 && window > 0 {
		left := c.leftToSendLocked()
		if left <= 0 {
			return 0
		}
		windows := (left + count - 1) / count
		eta := time.Duration(windows-1) * (window + time.Second)
		if p := c.pauseUntil.Sub(now); p > 0 {
			eta += p
		}
		return eta
	}
	if c.done == 0 {
		return 0
	}
	return time.Duration(float64(now.Sub(c.started)) / float64(c.done) * float64(left))
}
