package report

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Record is the results file of one run of a sheet, from the lock to the
// commit: the one owner of its path, its lock, the rows earlier runs left
// there, the file kept aside or the NAME.partial a resumed run writes, and
// the commit. A run opens its record before anything else, so that a second
// run of the same sheet is refused before it sends a request.
type Record struct {
	path   string
	resume bool
	lock   *Lock
	file   *File
	prev   *Previous
}

// OpenRecord takes the lock on the results file at path (an *InUseError
// when another program holds it). With resume the run continues the record
// there; without, a results file there is kept aside when the run starts.
func OpenRecord(path string, resume bool) (*Record, error) {
	lock, err := Acquire(path)
	if err != nil {
		return nil, err
	}
	return &Record{path: path, resume: resume, lock: lock}, nil
}

// Path is where the results are, once committed.
func (r *Record) Path() string { return r.path }

// OtherWikiError: the record a run would resume is about another wiki.
type OtherWikiError struct {
	Path string
	Wiki string // the record's
	Want string // the run's; empty offline
}

func (e *OtherWikiError) Error() string {
	return fmt.Sprintf("%s records a run on %s, not on %s", e.Path, e.Wiki, e.Want)
}

// Previous is what earlier runs recorded, for a resumed run on the wiki
// whose api.php is wiki (empty: offline); nil for a run that does not
// resume. A record about another wiki is an *OtherWikiError; no record at
// all wraps ErrNoResults.
func (r *Record) Previous(wiki string) (*Previous, error) {
	if !r.resume {
		return nil, nil
	}
	if r.prev == nil {
		prev, err := ReadPrevious(r.path)
		if err != nil {
			return nil, err
		}
		r.prev = prev
	}
	if w := r.prev.About.Wiki; w != "" && !sameWiki(w, wiki) {
		return nil, &OtherWikiError{Path: r.path, Wiki: w, Want: wiki}
	}
	return r.prev, nil
}

// Run is what the journal says of a run as it starts.
type Run struct {
	Started time.Time
	Groups  bool // it adds accounts to groups
	// DryRun: a prediction, which sends no request that may create an
	// account or add one to a group, and keeps no journal.
	DryRun bool
}

// sameWiki reports whether two api.php URLs name the same wiki: the same
// but for the case of the scheme and host name, which URLs ignore
// ("HTTPS://Wiki.Example.org/w/api.php"). The path keeps its case.
func sameWiki(a, b string) bool {
	return a == b || wikiKey(a) == wikiKey(b)
}

// wikiKey is an api.php URL with its scheme and host name in lower case.
func wikiKey(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	return u.String()
}

// Start creates the file the run writes its rows to, every row stamped
// with about (see Create), and writes in the record's journal that run
// starts — before the results file is there, so that the record knows
// when it began from its first byte. Without resume, the results and the
// journal that were at the path are kept aside together.
func (r *Record) Start(about About, run Run) (*File, error) {
	if r.file != nil {
		return nil, errors.New("report: the record was started already")
	}
	kept := ""
	if !r.resume {
		var err error
		if kept, err = keepAside(r.path, true); err != nil {
			return nil, fmt.Errorf("cannot keep the previous results: %w", err)
		}
		if kept != "" {
			err = os.Rename(JournalPath(r.path), JournalPath(kept))
		} else {
			_, err = KeepAside(JournalPath(r.path))
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("cannot keep the previous journal: %w", err)
		}
	}
	var j *journal
	if !run.DryRun {
		var err error
		if j, err = openJournal(r.path); err != nil {
			return nil, err
		}
		if err := j.run(run.Started, run.Groups); err != nil {
			j.close()
			return nil, err
		}
	}
	f, err := Create(r.path, r.resume, about)
	if err != nil {
		j.close()
		return nil, err
	}
	if kept != "" {
		f.Kept = kept
	}
	f.journal = j
	r.file = f
	return f, nil
}

// Commit ends the run's writing: a resumed run's NAME.partial takes the
// place of the results it continued, which are kept aside first when
// keepOld says they hold rows the new file does not.
func (r *Record) Commit(keepOld bool) error {
	if r.file == nil {
		return nil
	}
	return r.file.Commit(keepOld)
}

// Kept is where the results that were at the path went, or "".
func (r *Record) Kept() string {
	if r.file == nil {
		return ""
	}
	return r.file.Kept
}

// Close closes the file (a resumed run's NAME.partial stays where it is,
// to be resumed from) and lets go of the lock. Closing twice is harmless.
func (r *Record) Close() error {
	var err error
	if r.file != nil {
		err = r.file.Close()
	}
	return errors.Join(err, r.lock.Release())
}
