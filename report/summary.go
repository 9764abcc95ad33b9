package report

import (
	"fmt"
	"io"
	"time"
)

// Summary counts the outcomes of a run.
type Summary struct {
	Counts  map[Status]int
	Total   int
	Elapsed time.Duration
}

// NewSummary returns an empty summary.
func NewSummary() *Summary { return &Summary{Counts: map[Status]int{}} }

// Add counts one row.
func (s *Summary) Add(r Row) {
	s.Counts[r.Status]++
	s.Total++
}

// AllOK reports whether every row ended created, exists (or would-create).
func (s *Summary) AllOK() bool {
	for st, n := range s.Counts {
		if n > 0 && !st.OK() {
			return false
		}
	}
	return true
}

// PerSecond is the rate of created accounts over the elapsed time.
func (s *Summary) PerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Counts[Created]) / s.Elapsed.Seconds()
}

// Print writes the human summary: counts per status, elapsed and rate.
func (s *Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "%d rows: %s\n", s.Total, s.counts())
	if s.Counts[Created] > 0 {
		fmt.Fprintf(w, "elapsed %s, %.2f accounts/s\n", s.Elapsed.Round(100*time.Millisecond), s.PerSecond())
	} else {
		fmt.Fprintf(w, "elapsed %s\n", s.Elapsed.Round(100*time.Millisecond))
	}
}
