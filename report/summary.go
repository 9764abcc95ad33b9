package report

import (
	"fmt"
	"io"
	"time"

	"github.com/mwprovision/mwprovision/provision/i18n"
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
// It is the command line's, in English.
func (s *Summary) Print(w io.Writer) {
	s.printCounts(w, English)
	if s.CreatedNow > 0 {
		fmt.Fprintf(w, "elapsed %s, %.2f accounts/s\n", s.Elapsed.Round(100*time.Millisecond), s.PerSecond())
	} else {
		fmt.Fprintf(w, "elapsed %s\n", s.Elapsed.Round(100*time.Millisecond))
	}
}

// printCounts writes the counts line, "12 rows: 10 created, 2 invalid",
// then, when a row asked for groups, the groups line, in l.
func (s *Summary) printCounts(w io.Writer, l i18n.Lang) {
	fmt.Fprintln(w, l.T("report-summary", rowCount(l, s.Total), s.counts(l)))
	if g := s.grantCounts(l); g != "" {
		fmt.Fprintln(w, l.T("report-groups", g))
	}
}

// counts is "2 created, 1 invalid", or "no rows", in l.
func (s *Summary) counts(l i18n.Lang) string {
	var parts []string
	for _, st := range Statuses {
		if n := s.Counts[st]; n > 0 {
			parts = append(parts, l.T(statusKeys[st].count, num(l, n)))
		}
	}
	if len(parts) == 0 {
		return l.T("report-no-rows")
	}
	return l.List(parts)
}

// grantCounts is "12 added, 3 already held as long or longer, 1 not
// added" in l, or "" when no row asked for a group.
func (s *Summary) grantCounts(l i18n.Lang) string {
	var parts []string
	for _, st := range grantKeys {
		if n := s.Grants[st.state]; n > 0 {
			parts = append(parts, l.T(st.count, num(l, n)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return l.List(parts)
}

// rowCount is "1 row", "2 rows" in l.
func rowCount(l i18n.Lang, n int) string { return l.T("report-rows", num(l, n)) }
