//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// mkfifo makes a named pipe, as `mwprovision run <(…)` or a pipe from
// another program gives the sheet.
func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sheet.csv")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A sheet that is a pipe is read once and runs.
func TestRunReadsAPipedSheet(t *testing.T) {
	pipe := mkfifo(t)
	go os.WriteFile(pipe, []byte("username,email\npiped_one,p1@example.org\npiped_two,p2@example.org\n"), 0o600)
	out := filepath.Join(t.TempDir(), "out.csv")
	r := runCLI(t, nil, "run", "--dry-run", "--out", out, "--log-file", out+".log", pipe)
	if r.code != 0 || !strings.Contains(r.stderr, "2 rows: 2 would-create") {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	if rows := readResults(t, out); len(rows) != 2 || rows[1].Canonical != "Piped two" {
		t.Errorf("results %+v", rows)
	}
}

// Ctrl-C or SIGTERM while the sheet is still being read — an endless pipe,
// or one that waits — ends the program: neither pipe ever ends, so only the
// interrupt can end it. Nothing was sent.
func TestInterruptWhileReadingThePipe(t *testing.T) {
	for _, endless := range []bool{true, false} {
		pipe := mkfifo(t)
		var written atomic.Int64
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			f, err := os.OpenFile(pipe, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer f.Close()
			f.WriteString("username,email\n")
			for endless {
				select {
				case <-stop:
					return
				default:
				}
				n, err := f.WriteString(strings.Repeat("bob,b@example.org\n", 1000))
				if err != nil {
					return
				}
				written.Add(int64(n))
			}
			<-stop
		}()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan int)
		s, _, stderr := bufferStreams("", false)
		dir := t.TempDir()
		go func() {
			done <- run(ctx, []string{"mwprovision", "run", "--dry-run", "--out", filepath.Join(dir, "o.csv"),
				"--log-file", filepath.Join(dir, "o.log"), pipe}, s, func(string) string { return "" })
		}()
		if !poll(10*time.Second, nil, func() bool { return !endless || written.Load() > 1<<20 }) {
			t.Fatal("the sheet was never read")
		}
		cancel()
		select {
		case code := <-done:
			if code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted before any account was created") {
				t.Errorf("endless %v: exit %d:\n%s", endless, code, stderr.String())
			}
		case <-time.After(30 * time.Second): // a hang guard, not a bound on speed
			t.Fatalf("endless %v: still reading 30 s after the interrupt", endless)
		}
		if _, err := os.Stat(filepath.Join(dir, "o.csv")); err == nil {
			t.Errorf("endless %v: a results file was written", endless)
		}
	}
}

// A sheet that comes through a pipe has no folder for the results: --out
// names them, and the log goes beside them.
func TestPipedSheetNeedsOut(t *testing.T) {
	pipe := mkfifo(t)
	r := runCLI(t, nil, "run", "--dry-run", pipe)
	if r.code != 2 || !strings.Contains(r.stderr, "is a pipe or a device, with no folder beside it for the results: give --out FILE") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
	o, err := validate(t, runOptions{DryRun: true, Out: "/tmp/x/event.results.csv"}, nil, "", false, pipe)
	if err != nil || o.LogFile != "/tmp/x/event.dry-run.log.jsonl" {
		t.Errorf("log beside the results: %q, %v", o.LogFile, err)
	}
}

// Ctrl-C during a dry run of a large sheet ends it: a prediction is no
// record, so it stops at the row it reached, well short of the sheet's end.
// The interrupt comes once a thousand rows are recorded, and the rows a
// loaded machine records before it stops are a few ten thousand at most:
// the sheet is large enough to outlast that (under -short, half as large,
// as the plan's read of it is most of the test's time).
func TestInterruptedDryRunStopsAtOnce(t *testing.T) {
	dir := t.TempDir()
	sheet := filepath.Join(dir, "big.csv")
	total := 400_000
	if testing.Short() {
		total = 200_000
	}
	writeBigSheet(t, sheet, total)
	out := filepath.Join(dir, "big.dry-run.results.csv")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int)
	s, _, stderr := bufferStreams("", false)
	go func() {
		done <- run(ctx, []string{"mwprovision", "run", "--dry-run", sheet}, s, func(string) string { return "" })
	}()
	if !poll(30*time.Second, nil, func() bool { return len(flushedRows(out)) > 1000 }) {
		t.Fatal("the dry run never recorded a row")
	}
	cancel()
	select {
	case code := <-done:
		if code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted: the dry run's results hold the rows it checked") {
			t.Errorf("exit %d:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second): // a hang guard, not a bound on speed
		t.Fatal("still going 30 s after the interrupt")
	}
	if rows := readResults(t, out); len(rows) == 0 || len(rows) == total {
		t.Errorf("%d rows recorded of %d, want some but not all", len(rows), total)
	}
}
