package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/report"
)

// testClock is a clock the test moves.
type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time { return c.now }

func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return ctx.Err()
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 11, 21, 12, 0, 0, 0, time.Local)}
}

func throttlePause(clock *testClock, in time.Duration) pacer.Pause {
	return pacer.Pause{Until: clock.now.Add(in), Why: "wiki throttle: 2 per 10s for this IP",
		Throttle: pacer.ThrottleWindow{Count: 2, Length: 10 * time.Second}}
}

// On a terminal (forced here, as gh's SetStdoutTTY does), the bar shows the
// counts, a countdown while the wiki makes everyone wait, and an ETA from
// the wiki's window; both move with the clock. A problem row is printed
// above the bar.
func TestConsoleOnATerminalShowsCountdownAndETA(t *testing.T) {
	clock := newTestClock()
	var out bytes.Buffer
	c := newConsole(&out, consoleOptions{tty: true, total: 5, clock: clock})
	c.draw = 0 // draw at every change
	c.start()
	c.RowDone(report.Row{Line: 2, Username: "room_one", Status: report.Created}, false)
	c.RowDone(report.Row{Line: 3, Username: "room_two", Status: report.Created}, false)
	c.Paused(throttlePause(clock, 11*time.Second))
	want := "2 created · 0 exist · 0 problems — wiki throttle: 2 per 10s for this IP — resuming in 11s — ETA 22s"
	if got := c.bar.String(); !strings.Contains(got, "(2/5, ") || !strings.Contains(got, want) {
		t.Errorf("the bar during the pause reads %q, want the counts and %q", got, want)
	}
	clock.now = clock.now.Add(5 * time.Second)
	c.refresh()
	if got, want := c.bar.String(), "resuming in 6s — ETA 17s"; !strings.Contains(got, want) {
		t.Errorf("5 s later the bar reads %q, want %q", got, want)
	}
	c.RowDone(report.Row{Line: 4, Username: "bad#name", Status: report.Invalid, Code: "forbidden-character", Message: "a username cannot contain '#'"}, false)
	if !strings.Contains(out.String(), "\rline 4: \"bad#name\": invalid: a username cannot contain '#'\n") {
		t.Errorf("the problem row is not printed above the bar:\n%q", out.String())
	}
	c.finish()
	if c.bar != nil || !strings.Contains(out.String(), "\r") {
		t.Errorf("a bar was not drawn and removed: %q", out.String())
	}
}

// Without a terminal: plain lines only — each pause, the estimate once the
// wiki has said its limit (from the rows left to send: the invalid row
// waits for no window), each problem, and a progress line at most every
// 5 s of the clock.
func TestConsoleWithoutTerminalPrintsPlainLines(t *testing.T) {
	clock := newTestClock()
	var out bytes.Buffer
	c := newConsole(&out, consoleOptions{total: 4, toSend: 3, clock: clock})
	c.start()
	c.RowDone(report.Row{Line: 2, Username: "one", Status: report.Created, Attempts: 1}, true)
	c.Paused(throttlePause(clock, 11*time.Second))
	c.RowDone(report.Row{Line: 3, Username: "bad#x", Status: report.Invalid, Message: "a username cannot contain '#'"}, false)
	clock.now = clock.now.Add(5 * time.Second)
	c.RowDone(report.Row{Line: 4, Username: "two", Status: report.Exists, Attempts: 1}, true)
	c.RowDone(report.Row{Line: 5, Username: "three", Status: report.Pending, Message: "not sent"}, false)
	c.finish()
	want := "pausing all workers for 11s: wiki throttle: 2 per 10s for this IP (resuming at 12:00:11)\n" +
		"the wiki allows 2 accounts per 10s from this IP address: the 2 rows left to send take about 11s\n" +
		"line 3: \"bad#x\": invalid: a username cannot contain '#'\n" +
		"progress: 3/4 rows, 1 created · 1 exist · 1 problems — wiki throttle: 2 per 10s for this IP — resuming in 6s — ETA 6s\n"
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

// However many rows need attention, at most maxProblemLines are printed,
// then one line that points to the results file; --quiet prints none.
func TestConsoleBoundsProblemLines(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		var out bytes.Buffer
		c := newConsole(&out, consoleOptions{quiet: quiet, total: 300, clock: newTestClock()})
		for i := 0; i < 300; i++ {
			c.RowDone(report.Row{Line: i + 2, Username: fmt.Sprintf("bad#%d", i), Status: report.Invalid}, false)
		}
		lines := strings.Count(out.String(), "\n")
		switch {
		case quiet && lines != 0:
			t.Errorf("--quiet printed %d lines", lines)
		case !quiet && (lines != maxProblemLines+1 || !strings.HasSuffix(out.String(), "… more problem rows: see the results file\n")):
			t.Errorf("%d lines for 300 problems, want %d ending with a pointer to the results", lines, maxProblemLines+1)
		}
	}
}

// Without a throttle window the ETA comes from the rate so far; a dry run
// counts the would-create rows.
func TestConsoleStatusLine(t *testing.T) {
	clock := newTestClock()
	c := newConsole(&bytes.Buffer{}, consoleOptions{total: 6, quiet: true, clock: clock})
	c.RowDone(report.Row{Status: report.WouldCreate}, false)
	c.RowDone(report.Row{Status: report.Duplicate}, false)
	clock.now = clock.now.Add(10 * time.Second)
	if got, want := c.statusLocked(), "1 would be created · 0 exist · 1 problems — ETA 20s"; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
}

// A dry run groups the problem rows by kind and prints them at the end.
func TestConsoleGroupsProblemsForADryRun(t *testing.T) {
	var out bytes.Buffer
	c := newConsole(&out, consoleOptions{total: 3, group: true, clock: newTestClock()})
	c.RowDone(report.Row{Line: 2, Username: "ok", Status: report.WouldCreate}, false)
	c.RowDone(report.Row{Line: 3, Username: "a#", Status: report.Invalid, Code: "forbidden-character", Message: "m"}, false)
	c.RowDone(report.Row{Line: 4, Username: "b#", Status: report.Invalid, Code: "forbidden-character", Message: "m"}, false)
	if out.Len() != 0 {
		t.Errorf("a dry run printed rows as they came: %q", out.String())
	}
	c.printProblems("s.dry-run.results.csv")
	if got, want := out.String(), "invalid: forbidden-character (2 rows)\n  line 3: \"a#\": m\n  line 4: \"b#\": m\n"; got != want {
		t.Errorf("grouped problems:\n%s\nwant:\n%s", got, want)
	}
}

// Resuming: the rows an earlier run created are carried over, not sent by
// this run, and the estimate once the wiki's throttle is known counts the
// rows still to send.
func TestConsoleEstimateLeavesOutCarriedRows(t *testing.T) {
	var b strings.Builder
	clock := &testClock{now: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
	c := newConsole(&b, consoleOptions{total: 5, toSend: 2, clock: clock})
	for i := 0; i < 3; i++ {
		c.RowDone(report.Row{Line: i + 2, Username: fmt.Sprint("done", i), Status: report.Created, Attempts: 1}, false)
	}
	c.Paused(pacer.Pause{Until: clock.now.Add(time.Hour), Why: "wiki throttle: 6 per 24h0m0s for this IP",
		Throttle: pacer.ThrottleWindow{Count: 6, Length: 24 * time.Hour}})
	if !strings.Contains(b.String(), "the 2 rows left to send take about 1h0m0s") {
		t.Errorf("the estimate does not count the 2 rows left to send:\n%s", b.String())
	}
}
