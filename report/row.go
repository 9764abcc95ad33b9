// Package report holds the results file of a run — one row per input row,
// written in input order as soon as each row and those before it are
// decided, its header and rows from one definition of its columns — with
// its Record (the lock, the rows of earlier runs, the file kept aside, the
// commit), the failed sheet joined from it, and the summaries and reports
// made from it.
package report

import (
	"time"
)

// Status is the outcome of one input row.
type Status string

// The statuses a results row can hold.
const (
	Created     Status = "created"
	Exists      Status = "exists"
	Invalid     Status = "invalid"
	Duplicate   Status = "duplicate"
	NeedsManual Status = "needs-manual"
	Failed      Status = "failed"
	Pending     Status = "pending"
	WouldCreate Status = "would-create" // dry run only
)

// Statuses lists every status in the order summaries show them.
var Statuses = []Status{Created, WouldCreate, Exists, Invalid, Duplicate, NeedsManual, Failed, Pending}

// Final reports whether a run decided the row for good: created or exists.
// A resumed run carries such rows forward and attempts all others.
func (s Status) Final() bool { return s == Created || s == Exists }

// OK reports whether a row with this status needs no further action.
func (s Status) OK() bool { return s == Created || s == Exists || s == WouldCreate }

// Row is one line of the results CSV. The column set and order are a
// contract: `line,username,canonical,status,code,message,attempts,
// finished_at,wiki,creator,first_run_at,groups`. Columns are only ever added
// at the end; the first eight are all a file from before the last four holds.
type Row struct {
	Line       int       `csv:"line"`
	Username   string    `csv:"username"`
	Canonical  string    `csv:"canonical"`
	Status     Status    `csv:"status"`
	Code       string    `csv:"code"`
	Message    string    `csv:"message"`
	Attempts   int       `csv:"attempts"`
	FinishedAt Timestamp `csv:"finished_at"`
	// What the record is about, the same on every row of a file: the wiki
	// (its api.php URL; empty for an offline dry run), the account that
	// created (empty when none logged in), and when the first run of this
	// sheet into this file started — a resumed run keeps it.
	Wiki       string    `csv:"wiki"`
	Creator    string    `csv:"creator"`
	FirstRunAt Timestamp `csv:"first_run_at"`
	// Groups says what was done for each group the run asked to add the
	// account to; the status stays the account's. Empty when no groups
	// were asked.
	Groups Groups `csv:"groups"`
}

// OK reports whether the row needs no further action: its account is
// created or exists (or would be created), and every group it asked for
// was added or needed no change.
func (r *Row) OK() bool { return r.Status.OK() && !r.Groups.Failed() }

// NeedsAttention reports whether a report lists the row: every status but
// created and would-create — an existing name too, as at an event it is
// usually someone else's account, unless it has no code (a run that
// creates nothing expected it) — and a row with a group not added.
func (r *Row) NeedsAttention() bool {
	expected := r.Status == Created || r.Status == WouldCreate || r.Status == Exists && r.Code == ""
	return !expected || r.Groups.Failed()
}

// About is what a results file is about: the Wiki, Creator and FirstRunAt
// columns of its rows.
type About struct {
	Wiki     string
	Creator  string
	FirstRun time.Time
}

// Timestamp is a time written as RFC 3339 in UTC (empty when zero).
type Timestamp struct{ time.Time }

// MarshalCSV implements gocsv.TypeMarshaller.
func (t Timestamp) MarshalCSV() (string, error) {
	if t.IsZero() {
		return "", nil
	}
	return t.UTC().Format(time.RFC3339), nil
}

// UnmarshalCSV implements gocsv.TypeUnmarshaller.
func (t *Timestamp) UnmarshalCSV(s string) error {
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}
