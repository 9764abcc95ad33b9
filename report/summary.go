package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Summary counts the outcomes of a run.
type Summary struct {
	Counts  map[Status]int
	Total   int
	Elapsed time.Duration
	// CreatedNow counts the accounts the run created itself: of the
	// created rows, not those carried over from an earlier run.
	CreatedNow int
	// Grants count the groups of all rows by what happened to them.
	Grants map[GrantState]int
	// GrantsFailed counts the rows with a group not added or not tried.
	GrantsFailed int
}

// NewSummary returns an empty summary.
func NewSummary() *Summary { return &Summary{Counts: map[Status]int{}, Grants: map[GrantState]int{}} }

// Add counts one row.
func (s *Summary) Add(r Row) {
	s.Counts[r.Status]++
	s.Total++
	for _, g := range r.Groups {
		s.Grants[g.State]++
	}
	if r.Groups.Failed() {
		s.GrantsFailed++
	}
}

// AllOK reports whether every row ended created, exists (or would-create).
func (s *Summary) AllOK() bool {
	if s.GrantsFailed > 0 {
		return false
	}
	for st, n := range s.Counts {
		if n > 0 && !st.OK() {
			return false
		}
	}
	return true
}

// PerSecond is the rate of the accounts the run created over the elapsed time.
func (s *Summary) PerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.CreatedNow) / s.Elapsed.Seconds()
}

// Print writes the human summary: counts per status, elapsed and rate.
func (s *Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "%s: %s\n", rowCount(s.Total), s.counts())
	if g := s.grantCounts(); g != "" {
		fmt.Fprintf(w, "groups: %s\n", g)
	}
	if s.CreatedNow > 0 {
		fmt.Fprintf(w, "elapsed %s, %.2f accounts/s\n", s.Elapsed.Round(100*time.Millisecond), s.PerSecond())
	} else {
		fmt.Fprintf(w, "elapsed %s\n", s.Elapsed.Round(100*time.Millisecond))
	}
}

// grantStates lists the states of a group in the order summaries show
// them, with their words there.
var grantStates = []struct {
	state GrantState
	words string
}{
	{GrantAdded, "added"}, {GrantWould, "would be added"}, {GrantAlready, "already held as long or longer"},
	{GrantSkipped, "skipped (autoconfirmed already)"}, {GrantFailed, "not added"}, {GrantPending, "pending"},
}

// grantCounts is "12 added, 3 already held as long or longer, 1 not
// added", or "" when no row asked for a group.
func (s *Summary) grantCounts() string {
	var parts []string
	for _, st := range grantStates {
		if n := s.Grants[st.state]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st.words))
		}
	}
	return strings.Join(parts, ", ")
}

// rowCount is "1 row", "2 rows".
func rowCount(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}
