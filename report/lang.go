package report

import (
	"regexp"
	"strconv"

	"github.com/mwprovision/mwprovision/provision/i18n"
)

// English is the language of the command line and of Write.
const English i18n.Lang = "en"

// statusKeys are, per status, its messages: the word alone (a table cell)
// and a count of rows ("12 created").
var statusKeys = map[Status]struct{ word, count string }{
	Created:     {"status-created", "count-created"},
	WouldCreate: {"status-would-create", "count-would-create"},
	Exists:      {"status-exists", "count-exists"},
	Invalid:     {"status-invalid", "count-invalid"},
	Duplicate:   {"status-duplicate", "count-duplicate"},
	NeedsManual: {"status-needs-manual", "count-needs-manual"},
	Failed:      {"status-failed", "count-failed"},
	Pending:     {"status-pending", "count-pending"},
}

// grantKeys lists the states of a group in the order summaries show
// them, each with its count's message ("12 added").
var grantKeys = []struct {
	state GrantState
	count string
}{
	{GrantAdded, "count-grant-added"},
	{GrantWould, "count-grant-would"},
	{GrantAlready, "count-grant-already"},
	{GrantSkipped, "count-grant-skipped"},
	{GrantFailed, "count-grant-failed"},
	{GrantPending, "count-grant-pending"},
}

// statusWord is st as l says it; a status no version of mwprovision
// wrote (a hand-edited file) stays as it is.
func statusWord(l i18n.Lang, st Status) string {
	k, ok := statusKeys[st]
	if !ok {
		return string(st)
	}
	return l.T(k.word)
}

// num is n as a parameter of a message: as l writes numbers, but in
// English in plain digits ("1234 rows"), as the reports always wrote them
// — a script reading an English report may count on it.
func num(l i18n.Lang, n int) any {
	if l == English {
		return strconv.Itoa(n)
	}
	return n
}

// number is n alone, as num writes it.
func number(l i18n.Lang, n int) string {
	if l == English {
		return strconv.Itoa(n)
	}
	return l.Number(n)
}

// quoted is s as Go's %q writes it, less its quotation marks: the message
// puts the language's own around it; a character that cannot be shown
// (a line break, an invisible one) is escaped.
func quoted(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// MessageIn is what is wrong with r, and what to do, in l: in English the
// row's own message, else the catalogue's words for its code.
func (r Row) MessageIn(l i18n.Lang) string {
	if l == English {
		return r.Message
	}
	first := 0
	if r.Code == "duplicate" || r.Code == "" && r.Status == Duplicate {
		n, ok := duplicateOf(r.Message)
		if !ok {
			return r.Message // edited by hand: the earlier line is unknown
		}
		first = n
	}
	return l.RowMessage(string(r.Status), r.Code, r.Message, first)
}

var repeatsRe = regexp.MustCompile(`^repeats line (\d+)\b`)

// duplicateOf is the earlier line a duplicate row repeats, read from its
// English message ("repeats line 2 (both are "Ada" on the wiki)"): a
// report reads rows back from the results file, whose columns carry the
// message and no line of its own for the earlier row.
func duplicateOf(msg string) (int, bool) {
	m := repeatsRe.FindStringSubmatch(msg)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}
