package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeBigSheet writes a sheet of n realistic rows: mixed case, spaces and
// underscores, some non-ASCII names, a few problems and duplicates.
func writeBigSheet(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	first := []string{"maria", "Jan", "aisha", "chen", "Søren", "lena", "tomasz", "priya", "olu", "Élodie"}
	fmt.Fprintln(w, "username,email,realname,reason")
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s_participant %d", first[i%len(first)], i)
		switch {
		case i%1000 == 7:
			name = fmt.Sprintf("bad#name%d", i) // invalid
		case i%1000 == 9:
			name = fmt.Sprintf("%s_participant %d", first[(i-2)%len(first)], i-2) // duplicate
		}
		fmt.Fprintf(w, "%s,p%d@example.org,Participant %d,\n", name, i, i)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

// BenchmarkDryRunOffline1M measures the whole program — the built binary,
// as a user runs it — on a 1,000,000-row sheet: time and peak RSS.
// Targets on a 2-core machine: under 10 s and under 150 MB.
func BenchmarkDryRunOffline1M(b *testing.B) {
	dir := b.TempDir()
	bin := buildBinary(b)
	sheet := filepath.Join(dir, "million.csv")
	writeBigSheet(b, sheet, 1_000_000)
	b.ResetTimer()
	var maxRSS int64
	var wall time.Duration
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "run", "--dry-run", "--out", filepath.Join(dir, "out.csv"),
			"--log-file", filepath.Join(dir, "log.jsonl"), sheet)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		wall += time.Since(start)
		if code := cmd.ProcessState.ExitCode(); code != 1 { // the sheet has problems on purpose
			b.Fatalf("exit %d (%v): %s", code, err, stderr.String())
		}
		maxRSS = max(maxRSS, peakRSSKiB(cmd.ProcessState))
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "s/run")
	b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MB")
}

// BenchmarkDryRunOfflineInProcess runs the same path in-process, per row,
// for profiling (go test -bench InProcess -cpuprofile …).
func BenchmarkDryRunOfflineInProcess(b *testing.B) {
	dir := b.TempDir()
	sheet := filepath.Join(dir, "sheet.csv")
	const rows = 200_000
	writeBigSheet(b, sheet, rows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		code := run(b.Context(), []string{"mwprovision", "run", "--dry-run", "--out", filepath.Join(dir, "out.csv"),
			"--log-file", filepath.Join(dir, "log.jsonl"), sheet}, &streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard},
			func(string) string { return "" })
		if code != 1 {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}
