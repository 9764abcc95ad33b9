package report

import (
	"fmt"
	"io"
	"strings"
)

// Formats of `mwprovision report`.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatWikitext = "wikitext"
)

// Write renders rows of a results file in format: text and markdown give the
// counts per status and the rows that need attention by line; wikitext lists
// the created accounts for an event page.
func Write(w io.Writer, rows []Row, format, resultsPath string) error {
	sum := NewSummary()
	for _, r := range rows {
		sum.Add(r)
	}
	switch format {
	case FormatText:
		p := NewProblems(len(rows) + 1)
		for _, r := range rows {
			p.Add(r)
		}
		p.Print(w, resultsPath)
		fmt.Fprintf(w, "%s: %s\n", rowCount(sum.Total), sum.counts())
		if g := sum.grantCounts(); g != "" {
			fmt.Fprintf(w, "groups: %s\n", g)
		}
	case FormatMarkdown:
		fmt.Fprintln(w, "| status | rows |")
		fmt.Fprintln(w, "|---|---:|")
		for _, st := range Statuses {
			if n := sum.Counts[st]; n > 0 {
				fmt.Fprintf(w, "| %s | %d |\n", st, n)
			}
		}
		fmt.Fprintf(w, "| **total** | **%d** |\n", sum.Total)
		if g := sum.grantCounts(); g != "" {
			fmt.Fprintf(w, "\ngroups: %s\n", g)
		}
		var attention []Row
		for _, r := range rows {
			if r.NeedsAttention() {
				attention = append(attention, r)
			}
		}
		if len(attention) > 0 {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "| line | username | status | code | message |")
			fmt.Fprintln(w, "|---:|---|---|---|---|")
			for _, r := range attention {
				fmt.Fprintf(w, "| %d | %s | %s | %s | %s |\n", r.Line, mdCell(r.Username), r.Status, mdCell(r.Code), mdCell(r.Message))
			}
		}
	case FormatWikitext:
		writeWikitext(w, rows)
	default:
		return fmt.Errorf("unknown format %q: use text, markdown or wikitext", format)
	}
	return nil
}

// mdCell keeps a value inside its Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// counts is "2 created, 1 invalid", or "no rows".
func (s *Summary) counts() string {
	var parts []string
	for _, st := range Statuses {
		if n := s.Counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(parts) == 0 {
		return "no rows"
	}
	return strings.Join(parts, ", ")
}

// writeWikitext lists, for an event page, the accounts created and the
// existing ones added to groups, each with the groups it holds and until
// when: "* [[User:Ada|Ada]] (confirmed until 8 December 2026)".
func writeWikitext(w io.Writer, rows []Row) {
	for _, r := range rows {
		held := heldGroups(r.Groups)
		if r.Status != Created && (r.Status != Exists || held == "") {
			continue
		}
		name := r.Canonical
		if name == "" {
			name = r.Username
		}
		fmt.Fprintf(w, "* [[User:%s|%s]]", name, name)
		if held != "" {
			fmt.Fprintf(w, " (%s)", held)
		}
		fmt.Fprintln(w)
	}
}

// heldGroups says, in words, which of the groups were added or held and
// until when: "confirmed until 8 December 2026, staff".
func heldGroups(gs Groups) string {
	var parts []string
	for _, g := range gs {
		switch {
		case g.State != GrantAdded && g.State != GrantAlready:
			continue
		case g.Until.IsZero():
			parts = append(parts, g.Group)
		default:
			parts = append(parts, g.Group+" until "+g.Until.UTC().Format("2 January 2006"))
		}
	}
	return strings.Join(parts, ", ")
}
