package console

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"github.com/mwprovision/mwprovision/provision/i18n"
	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/report"
)

// lang is the page's language: its messages as HTML, the catalogue's
// text escaped and the parameters that are HTML already (a name in
// <bdi>, a link) kept as they are.
type lang struct{ i18n.Lang }

// T is the message key, as HTML.
func (l lang) T(key string, params ...any) template.HTML {
	var kept []template.HTML
	ps := make([]any, len(params))
	for i, p := range params {
		if h, ok := p.(template.HTML); ok {
			ps[i] = fmt.Sprintf("\x00%d\x00", len(kept))
			kept = append(kept, h)
			continue
		}
		ps[i] = p
	}
	out := html.EscapeString(l.Lang.T(key, ps...))
	for i, h := range kept {
		out = strings.ReplaceAll(out, fmt.Sprintf("\x00%d\x00", i), string(h))
	}
	return template.HTML(out)
}

// Text is the message key as plain text.
func (l lang) Text(key string, params ...any) string { return l.Lang.T(key, params...) }

// bdi isolates a name or a value from the sentence around it, so that a
// Latin name reads right in Arabic, and an Arabic one in French.
func bdi(s string) template.HTML { return template.HTML("<bdi>" + html.EscapeString(s) + "</bdi>") }

func strong(h template.HTML) template.HTML { return "<strong>" + h + "</strong>" }

func link(href string, text template.HTML) template.HTML {
	return template.HTML(`<a href="`+html.EscapeString(href)+`">`) + text + "</a>"
}

// fieldKeys are the fields' names in the catalogue.
var fieldKeys = map[string]string{
	"username": "field-username", "email": "field-email", "realname": "field-realname", "reason": "field-reason",
	"password": "field-password", "groups": "field-groups", "expiry": "field-expiry",
}

// statusKeys are the statuses' words, and their counts, in the catalogue.
var statusKeys = map[report.Status][2]string{
	report.Created: {"status-created", "count-created"}, report.WouldCreate: {"status-would-create", "count-would-create"},
	report.Exists: {"status-exists", "count-exists"}, report.Invalid: {"status-invalid", "count-invalid"},
	report.Duplicate: {"status-duplicate", "count-duplicate"}, report.NeedsManual: {"status-needs-manual", "count-needs-manual"},
	report.Failed: {"status-failed", "count-failed"}, report.Pending: {"status-pending", "count-pending"},
}

// counts are "5 created, 1 invalid", in the language, in the summaries'
// order.
func (l lang) counts(c map[report.Status]int) string {
	var parts []string
	for _, st := range report.Statuses {
		if n := c[st]; n > 0 {
			parts = append(parts, l.Text(statusKeys[st][1], n))
		}
	}
	return l.List(parts)
}

// duration is d as "1 h 5 min 3 s" in the language.
func (l lang) duration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	h, m, sec := s/3600, s%3600/60, s%60
	var parts []string
	if h > 0 {
		parts = append(parts, l.Text("duration-h", h))
	}
	if h > 0 || m > 0 {
		parts = append(parts, l.Text("duration-min", m))
	}
	parts = append(parts, l.Text("duration-s", sec))
	return strings.Join(parts, l.Text("duration-join"))
}

// date is a day, and clock a time of day, as the language writes them.
func (l lang) date(t time.Time) string {
	t = t.Local()
	return l.Date(t.Day(), int(t.Month()), t.Year())
}

func (l lang) clock(t time.Time) string {
	t = t.Local()
	return l.Lang.Number(t.Hour()) + ":" + l.twoDigits(t.Minute())
}

func (l lang) twoDigits(n int) string {
	if n < 10 {
		return l.Lang.Number(0) + l.Lang.Number(n)
	}
	return l.Lang.Number(n)
}

// warning is a warning of the run's steps in the console's words.
func (l lang) warning(w job.Warning) template.HTML {
	switch w := w.(type) {
	case job.SiteUnknown:
		return l.T("warn-site-unknown", bdi(w.Lang))
	case job.PreviousCut:
		return l.T("warn-previous-cut", bdi(baseName(w.File)))
	case job.Unmatched:
		return l.T("warn-unmatched", w.Rows, bdi(baseName(w.Out)))
	case job.IgnoredColumns:
		var cols []string
		for _, c := range w.Columns {
			cols = append(cols, "«"+c+"»")
		}
		return l.T("warn-ignored-columns", bdi(l.List(cols)))
	case job.PasswordIgnored:
		return l.T("warn-password-ignored")
	case job.MainAccountLogin:
		return l.T("warn-main-account-login")
	case job.NoContact:
		return l.T("warn-no-contact")
	case job.SharedEmail:
		return l.T("warn-shared-email", w.Line, w.FirstLine)
	case job.MoreSharedEmails:
		return l.T("warn-more-shared-emails", w.Rows)
	case job.VersionUnknown:
		return l.T("warn-version-unknown", w.Rows, w.Line)
	case job.CreatorBlocked:
		return l.T("warn-creator-blocked", bdi(w.Creator), bdi(w.Block))
	case job.PerIPThrottle:
		if w.Wikimedia {
			return l.T("warn-throttle-wikimedia", bdi(w.Creator), l.duration(w.MaxWait))
		}
		return l.T("warn-throttle", bdi(w.Creator), l.duration(w.MaxWait))
	case job.ThrottleOutlastsWait:
		return l.T("warn-throttle-outlasts", w.ToCreate, l.duration(w.Need.Round(time.Hour)), l.duration(w.MaxWait))
	case job.OverridesIgnored:
		return l.T("warn-overrides-ignored", bdi(w.Creator), bdi(strings.Join(w.Rights, ", ")))
	}
	return ""
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
