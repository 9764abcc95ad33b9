package report

import (
	"fmt"
	"io"
	"sort"

	"github.com/mwprovision/mwprovision/provision/i18n"
)

// Problems groups the rows that need attention by status and code, for the
// human report of a dry run. It keeps at most Limit rows per group, so a
// sheet of any size fits in memory; the results file has them all.
type Problems struct {
	Limit  int
	groups map[groupKey]*group
	order  []groupKey
}

type groupKey struct {
	Status Status
	Code   string
}

type group struct {
	rows  []Row
	count int
}

// NewProblems returns an empty report keeping up to limit rows per group.
func NewProblems(limit int) *Problems {
	return &Problems{Limit: limit, groups: map[groupKey]*group{}}
}

// Add records r when it needs attention (Row.NeedsAttention).
func (p *Problems) Add(r Row) {
	if !r.NeedsAttention() {
		return
	}
	k := groupKey{r.Status, r.Code}
	g := p.groups[k]
	if g == nil {
		g = &group{}
		p.groups[k] = g
		p.order = append(p.order, k)
	}
	g.count++
	if len(g.rows) < p.Limit {
		g.rows = append(g.rows, r)
	}
}

// Print writes the groups, most serious status first, each with its rows,
// in English (the command line's):
//
//	invalid: forbidden-character (2 rows)
//	  line 14: "Jane#Doe": a username cannot contain '#'
func (p *Problems) Print(w io.Writer, resultsPath string) { p.PrintIn(w, resultsPath, English) }

// PrintIn writes the groups as Print does, in l: statuses and what is
// wrong with each row in l's words; codes, usernames and the results
// file's name as they are.
func (p *Problems) PrintIn(w io.Writer, resultsPath string, l i18n.Lang) {
	rank := map[Status]int{}
	for i, s := range []Status{Invalid, Duplicate, NeedsManual, Failed, Pending, Exists, Created} {
		rank[s] = i
	}
	keys := append([]groupKey(nil), p.order...)
	sort.SliceStable(keys, func(i, j int) bool { return rank[keys[i].Status] < rank[keys[j].Status] })
	for _, k := range keys {
		g := p.groups[k]
		title := statusWord(l, k.Status)
		if k.Code != "" && k.Code != string(k.Status) {
			title += ": " + k.Code
		}
		fmt.Fprintln(w, l.T("report-group-title", title, rowCount(l, g.count)))
		for _, r := range g.rows {
			fmt.Fprintln(w, l.T("report-problem-row", num(l, r.Line), quoted(r.Username), r.MessageIn(l)))
		}
		if more := g.count - len(g.rows); more > 0 {
			fmt.Fprintln(w, l.T("report-more", num(l, more), resultsPath))
		}
	}
}
