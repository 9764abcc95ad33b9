package report

import (
	"fmt"
	"io"
	"sort"
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

// Print writes the groups, most serious status first, each with its rows:
//
//	invalid: forbidden-character (2 rows)
//	  line 14: "Jane#Doe": a username cannot contain '#'
func (p *Problems) Print(w io.Writer, resultsPath string) {
	rank := map[Status]int{}
	for i, s := range []Status{Invalid, Duplicate, NeedsManual, Failed, Pending, Exists, Created} {
		rank[s] = i
	}
	keys := append([]groupKey(nil), p.order...)
	sort.SliceStable(keys, func(i, j int) bool { return rank[keys[i].Status] < rank[keys[j].Status] })
	for _, k := range keys {
		g := p.groups[k]
		rows := "rows"
		if g.count == 1 {
			rows = "row"
		}
		title := string(k.Status)
		if k.Code != "" && k.Code != string(k.Status) {
			title += ": " + k.Code
		}
		fmt.Fprintf(w, "%s (%d %s)\n", title, g.count, rows)
		for _, r := range g.rows {
			fmt.Fprintf(w, "  line %d: %q: %s\n", r.Line, r.Username, r.Message)
		}
		if more := g.count - len(g.rows); more > 0 {
			fmt.Fprintf(w, "  … and %d more in %s\n", more, resultsPath)
		}
	}
}
