package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/report"
)

// console reports a run on stderr in plain lines: every row that needs
// attention, every pause, and a progress line at most every few seconds.
type console struct {
	w      io.Writer
	total  int
	every  time.Duration
	mu     sync.Mutex
	done   int
	counts map[report.Status]int
	last   time.Time
	// problems, when set, collects the rows that need attention for a
	// grouped report at the end (the dry run) instead of printing them.
	problems *report.Problems
}

var _ provision.Reporter = (*console)(nil)

func newConsole(w io.Writer, total int) *console {
	return &console{w: w, total: total, every: 5 * time.Second, counts: map[report.Status]int{}, last: time.Now()}
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
	case !r.Status.OK() && r.Status != report.Pending:
		fmt.Fprintf(c.w, "line %d: %q: %s", r.Line, r.Username, r.Status)
		if r.Message != "" {
			fmt.Fprintf(c.w, ": %s", r.Message)
		}
		fmt.Fprintln(c.w)
	}
	if now := time.Now(); now.Sub(c.last) >= c.every {
		c.last = now
		c.progressLocked()
	}
}

func (c *console) Paused(until time.Time, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, "pausing all workers for %s: %s (resuming at %s)\n",
		time.Until(until).Round(time.Second), why, until.Format("15:04:05"))
}

func (c *console) progressLocked() {
	made, verb := c.counts[report.Created], "created"
	if n := c.counts[report.WouldCreate]; n > 0 {
		made, verb = n, "would be created"
	}
	fmt.Fprintf(c.w, "progress: %d/%d rows, %d %s, %d exist, %d other\n", c.done, c.total,
		made, verb, c.counts[report.Exists], c.done-made-c.counts[report.Exists])
}
