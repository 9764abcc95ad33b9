package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// The journal of a record, NAME.sent beside its results file, says what
// the record's runs did that no row may say yet: a line when a run starts
// (when, and whether it adds groups), and a line written before each
// request that may create an account. Each line is written before what it
// tells of happens, so it survives a kill -9 at any point: a run killed
// before its first row still says when the record began, and a resumed run
// claims an account as this sheet's only when the journal shows that one
// of its runs asked the wiki to create it.
const journalHeader = "mwprovision journal 1"

// JournalPath is where the journal of the results at path is.
func JournalPath(path string) string { return path + ".sent" }

// journal appends to a record's journal.
type journal struct {
	mu sync.Mutex
	f  *os.File
}

// openJournal opens the journal of the results at path for appending,
// creating it (mode 0600: it names the participants) with its header.
func openJournal(path string) (*journal, error) {
	f, err := OpenPrivate(JournalPath(path), os.O_WRONLY|os.O_CREATE|os.O_APPEND)
	if err != nil {
		return nil, fmt.Errorf("create the journal: %w", err)
	}
	j := &journal{f: f}
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		if err := j.line(journalHeader); err != nil {
			f.Close()
			return nil, err
		}
	}
	return j, nil
}

// line appends one whole line, or nothing.
func (j *journal) line(s string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.WriteString(s + "\n"); err != nil {
		return fmt.Errorf("write the journal %s: %w", j.f.Name(), err)
	}
	return nil
}

// run says that a run starts at at, adding groups or not.
func (j *journal) run(at time.Time, groups bool) error {
	mark := "-"
	if groups {
		mark = "groups"
	}
	return j.line("run\t" + at.UTC().Format(time.RFC3339Nano) + "\t" + mark)
}

// sent says that a request to create the account name goes out at at.
func (j *journal) sent(at time.Time, name string) error {
	return j.line("sent\t" + at.UTC().Format(time.RFC3339Nano) + "\t" + name)
}

func (j *journal) close() error {
	if j == nil || j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// readJournal adds what the journal of the results at path says to prev:
// the first run's start, the start of the first run that added groups,
// and when each account was first asked for. No journal (a record of an
// earlier version) adds nothing; a last line cut off is left out.
func readJournal(path string, prev *Previous) error {
	b, err := os.ReadFile(JournalPath(path))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot read the journal: %w", err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i < len(b)-1 {
		b = b[:i+1] // a line cut off by a kill or a full disk
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			if line != journalHeader {
				return fmt.Errorf("%s is not the journal of a results file of mwprovision", JournalPath(path))
			}
			continue
		}
		kind, rest, _ := strings.Cut(line, "\t")
		stamp, arg, _ := strings.Cut(rest, "\t")
		at, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			return fmt.Errorf("%s, line %d: %q is not a time", JournalPath(path), n, stamp)
		}
		switch kind {
		case "run":
			if prev.About.FirstRun.IsZero() || at.Before(prev.About.FirstRun) {
				prev.About.FirstRun = at.Truncate(time.Second)
			}
			if arg == "groups" && (prev.GroupsFrom.IsZero() || at.Before(prev.GroupsFrom)) {
				prev.GroupsFrom = at.Truncate(time.Second)
			}
		case "sent":
			if first, ok := prev.Sent[arg]; !ok || at.Before(first) {
				prev.Sent[arg] = at
			}
		}
	}
	return sc.Err()
}
