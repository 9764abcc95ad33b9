package report

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/mwprovision/mwprovision/provision/i18n"
)

// Formats of `mwprovision report`.
const (
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatWikitext = "wikitext"
	// FormatSlips is a printable page of login slips: WriteSlips, which
	// joins the results with their sheet.
	FormatSlips = "slips"
)

// Write renders rows of a results file in format, in English: text and
// markdown give the counts per status and the rows that need attention by
// line; wikitext lists the created accounts for an event page.
func Write(w io.Writer, rows []Row, format, resultsPath string) error {
	return WriteIn(w, rows, format, resultsPath, English)
}

// WriteIn renders rows as Write does, in lang, one of i18n.Languages:
// every word from its catalogue; usernames, group names, codes and the
// results file's name as they are.
func WriteIn(w io.Writer, rows []Row, format, resultsPath string, lang i18n.Lang) error {
	if !i18n.Known(string(lang)) {
		return fmt.Errorf("unknown language %q: use %s", lang, LanguageChoice())
	}
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
		p.PrintIn(w, resultsPath, lang)
		sum.printCounts(w, lang)
	case FormatMarkdown:
		writeMarkdown(w, rows, sum, lang)
	case FormatWikitext:
		writeWikitext(w, rows, lang)
	case FormatSlips:
		return fmt.Errorf("login slips are made with their sheet: WriteSlips")
	default:
		return fmt.Errorf("unknown format %q: use text, markdown, wikitext or slips", format)
	}
	return nil
}

// LanguageChoice is the languages a report speaks, for a message: "en, fr,
// es or ar".
func LanguageChoice() string {
	n := len(i18n.Languages)
	return strings.Join(i18n.Languages[:n-1], ", ") + " or " + i18n.Languages[n-1]
}

// writeMarkdown tables the counts per status, then the rows that need
// attention, every cell kept in its column.
func writeMarkdown(w io.Writer, rows []Row, sum *Summary, l i18n.Lang) {
	fmt.Fprintf(w, "| %s | %s |\n", l.T("report-md-status"), l.T("report-md-rows"))
	fmt.Fprintln(w, "|---|---:|")
	for _, st := range Statuses {
		if n := sum.Counts[st]; n > 0 {
			fmt.Fprintf(w, "| %s | %s |\n", mdCell(statusWord(l, st)), number(l, n))
		}
	}
	fmt.Fprintf(w, "| **%s** | **%s** |\n", l.T("report-md-total"), number(l, sum.Total))
	if g := sum.grantCounts(l); g != "" {
		fmt.Fprintf(w, "\n%s\n", l.T("report-groups", g))
	}
	var attention []Row
	for _, r := range rows {
		if r.NeedsAttention() {
			attention = append(attention, r)
		}
	}
	if len(attention) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", l.T("report-md-line"), l.T("report-md-username"), l.T("report-md-status"), l.T("report-md-code"), l.T("report-md-message"))
	fmt.Fprintln(w, "|---:|---|---|---|---|")
	for _, r := range attention {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", number(l, r.Line), mdCell(r.Username), mdCell(statusWord(l, r.Status)), mdCell(r.Code), mdCell(r.MessageIn(l)))
	}
}

// mdCell keeps a value inside its Markdown table cell: a pipe escaped,
// each run of spaces and line breaks one space. A no-break space stays:
// it breaks no cell, and French puts one before its colons.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.FieldsFunc(s, breaksSpace), " ")
}

// breaksSpace reports whether r is a space a line may break at.
func breaksSpace(r rune) bool {
	switch r {
	case '\u00a0', '\u2007', '\u202f': // no-break, figure and narrow no-break spaces
		return false
	}
	return unicode.IsSpace(r)
}

// writeWikitext lists, for an event page, the accounts created and the
// existing ones added to groups, each with the groups it holds and until
// when: "* [[User:Ada|Ada]] (confirmed until 8 December 2026)".
func writeWikitext(w io.Writer, rows []Row, l i18n.Lang) {
	for _, r := range rows {
		held := heldGroups(r.Groups, l)
		if r.Status != Created && (r.Status != Exists || held == "") {
			continue
		}
		name := r.Canonical
		if name == "" {
			name = r.Username
		}
		fmt.Fprintf(w, "* [[User:%s|%s]]", name, name)
		if held != "" {
			fmt.Fprint(w, " "+l.T("wikitext-groups", held))
		}
		fmt.Fprintln(w)
	}
}

// heldGroups says, in l's words, which of the groups were added or held
// and until when: "confirmed until 8 December 2026, staff".
func heldGroups(gs Groups, l i18n.Lang) string {
	var parts []string
	for _, g := range gs {
		switch {
		case g.State != GrantAdded && g.State != GrantAlready:
			continue
		case g.Until.IsZero():
			parts = append(parts, g.Group)
		default:
			u := g.Until.UTC()
			parts = append(parts, l.T("wikitext-group-until", g.Group, l.Date(u.Day(), int(u.Month()), u.Year())))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return l.List(parts)
}
