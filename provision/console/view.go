package console

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/i18n"
	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"bdi":    bdi,
	"strong": strong,
	"link":   link,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
}).ParseFS(assets, "assets/*.html"))

// pageSize is how many rows a table shows at once.
const pageSize = 100

// view is everything the page shows, in its language.
type view struct {
	L                  lang
	Lang, Dir          string
	Languages          []langChoice
	CSRF, Version      string
	Folder             string
	Notice, NoticeStep string
	Form               Form
	PasswordSet        bool
	Conn               *connView
	Sheet              *sheetView
	Confirm            *confirmView
	Task               *taskView
	Runs               []runView
	Quit               bool
}

type langChoice struct {
	Code, Name string
	Chosen     bool
}

type fact struct {
	OK   bool
	Text template.HTML
}

type connView struct {
	API, Wiki, Lang, Creator string
	Facts                    []fact
}

type colChoice struct {
	Field, Chosen, Sample string
	Label                 template.HTML
	Hidden                bool
	Options               []string
}

type tableView struct {
	L                  lang
	Rows               []rowView
	Shown, Total, Page int
	Pages              int
	OnlyProblems       bool
	Prev, Next         string
	Source             string // which verdicts: offline, the wiki's dry run, the run
}

type rowView struct {
	report.Row
	LineText, StatusText, What string
	Link                       string
	Problem                    bool
}

type sheetView struct {
	Name, Key string
	Columns   []colChoice
	Counts    provision.PlanCounts
	Warnings  []template.HTML
	Table     tableView
	Checked   bool // the table shows a dry run's verdicts
	Resume    bool
	Read      bool // the sheet reads: its counts and table are known
}

type confirmView struct {
	C                        job.Confirmation
	Digest, Sheet            string
	First, Button            template.HTML
	Columns, Reasons, Groups []template.HTML
	Warnings                 []template.HTML
	Existing                 int
}

type taskView struct {
	Kind, Phase            string
	Failure, Status, Pause string
	Outcome                string
	Progress               template.JS
	Results, Sheet         string
	Wikitext               string
	Table                  tableView
}

type runView struct {
	Sheet, Written, Counts string
}

// language is the console's language for a request: the one chosen on
// the page, else the browser's.
func (s *Server) language(r *http.Request) lang {
	s.mu.Lock()
	chosen := s.st.lang
	s.mu.Unlock()
	if chosen != "" {
		return lang{i18n.Lang(chosen)}
	}
	return lang{i18n.Lang(i18n.Match(r.Header.Get("Accept-Language")))}
}

// page renders the console at its current state.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	only := r.URL.Query().Get("only") == "problems"
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	l := s.language(r)
	runs := s.earlierRuns()
	s.mu.Lock()
	v := view{L: l, Lang: string(l.Lang), Dir: i18n.Dir(string(l.Lang)), CSRF: s.csrf, Version: s.cfg.Version, Folder: s.cfg.Dir,
		Notice: s.st.notice, NoticeStep: s.st.noticeStep,
		Form: s.st.form, PasswordSet: s.st.form.Password != "" || s.st.form.OAuthToken != "", Quit: s.st.quit}
	v.Form.Password, v.Form.OAuthToken = "", ""
	for _, code := range i18n.Languages {
		v.Languages = append(v.Languages, langChoice{Code: code, Name: i18n.Names[code], Chosen: code == v.Lang})
	}
	for _, e := range runs {
		v.Runs = append(v.Runs, runView{Sheet: e.Sheet, Written: l.date(e.Modified) + " " + l.clock(e.Modified), Counts: l.counts(e.Counts)})
	}
	if c := s.st.conn; c != nil {
		v.Conn = s.connView(l, c)
	}
	if sh := s.st.sheet; sh != nil {
		v.Sheet = s.sheetView(l, sh, only, pg)
	}
	if p := s.st.prepared; p != nil {
		v.Confirm = s.confirmView(l, p)
	}
	t := s.st.task
	s.mu.Unlock()
	if t != nil {
		tv := t.view(l, only, pg)
		if t.kind == kindCheck && v.Sheet != nil && t.key == v.Sheet.Key && tv.Phase == "done" && tv.Failure == "" {
			// The dry run of this very sheet, columns and wiki replaces
			// the offline verdicts.
			v.Sheet.Table, v.Sheet.Checked = tv.Table, true
		}
		v.Task = tv
	}
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "page.html", v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	_, _ = w.Write(b.Bytes())
}

func (s *Server) confirmView(l lang, p *prepared) *confirmView {
	c := p.conf
	cv := &confirmView{C: c, Digest: p.digest, Sheet: p.sheet}
	if len(c.First) > 0 {
		first := bdi(l.List(c.First))
		if c.Accounts > len(c.First) {
			first = l.T("console-c-more", first)
		}
		cv.First = first
	}
	for _, col := range c.Columns {
		h := l.T("console-c-column", fieldLabel(l, col.Field), bdi(col.Column))
		switch {
		case col.Hidden:
			h += " " + l.T("console-col-hidden")
		case col.Sample != "":
			h += " (" + bdi(col.Sample) + ")"
		}
		cv.Columns = append(cv.Columns, h)
	}
	for _, r := range c.Reasons {
		cv.Reasons = append(cv.Reasons, l.T("console-c-reason-column", bdi(r.Reason), l.T("console-rows", r.Rows), bdi(c.ReasonColumn)))
	}
	if len(c.Reasons) == 0 || c.WithoutReason > 0 {
		rows := c.WithoutReason
		if len(c.Reasons) == 0 {
			rows = c.Accounts
		}
		cv.Reasons = append(cv.Reasons, l.T("console-c-reason-rest", bdi(c.Reason), l.T("console-rows", rows)))
	}
	for _, g := range c.Groups {
		if g.Until.IsZero() {
			cv.Groups = append(cv.Groups, l.T("console-c-group-forever", bdi(g.Group), l.T("console-rows", g.Rows)))
		} else {
			cv.Groups = append(cv.Groups, l.T("console-c-group-until", bdi(g.Group), l.date(g.Until), l.T("console-rows", g.Rows)))
		}
	}
	switch {
	case c.Grant:
		cv.Button = l.T("console-add-groups", c.Accounts)
	case c.Accounts == 0:
		cv.Button = l.T("console-add-groups", c.ToGrant)
	default:
		cv.Button = l.T("console-create", c.Accounts)
	}
	if p.t.existingErr != nil {
		cv.Warnings = append(cv.Warnings, l.T("warn-existing-unknown"))
	}
	for _, wn := range c.Warnings {
		if h := l.warning(wn); h != "" {
			cv.Warnings = append(cv.Warnings, h)
		}
	}
	if c.Existing != nil {
		cv.Existing = c.Existing.Count
	}
	return cv
}

// fieldLabel is a field's name in the language.
func fieldLabel(l lang, field string) template.HTML {
	if key, ok := fieldKeys[field]; ok {
		return l.T(key)
	}
	return bdi(field)
}

func (s *Server) connView(l lang, c *connection) *connView {
	cv := &connView{API: c.API, Lang: c.Site.Names.Lang}
	cr := c.Creator
	if cr == nil {
		cv.Facts = append(cv.Facts, fact{false, l.T("fact-no-creator")})
		return cv
	}
	who := bdi(cr.Name)
	cv.Wiki, cv.Creator = cr.SiteName, cr.Name
	cv.Facts = append(cv.Facts, fact{true, l.T("fact-can-create", who)})
	switch {
	case cr.NoRateLimit:
		cv.Facts = append(cv.Facts, fact{true, l.T("fact-noratelimit", who)})
	case cr.Wikimedia:
		cv.Facts = append(cv.Facts, fact{false, l.T("fact-throttle-wikimedia", who)})
	default:
		cv.Facts = append(cv.Facts, fact{false, l.T("fact-throttle", who)})
	}
	if cr.Blocked != "" {
		cv.Facts = append(cv.Facts, fact{false, l.T("fact-blocked", who, bdi(cr.Blocked))})
	}
	switch {
	case len(cr.Addable) > 0:
		cv.Facts = append(cv.Facts, fact{true, l.T("fact-groups", bdi(l.List(cr.Addable)))})
	case cr.AddableWhy != "":
		cv.Facts = append(cv.Facts, fact{false, l.T("fact-no-groups-grants")})
	default:
		cv.Facts = append(cv.Facts, fact{true, l.T("fact-no-groups")})
	}
	if len(c.Site.DecidesAtCreation) > 0 {
		cv.Facts = append(cv.Facts, fact{false, l.T("fact-decides-at-creation", bdi(l.List(c.Site.DecidesAtCreation)))})
	}
	return cv
}

func (s *Server) sheetView(l lang, sh *sheetState, only bool, pg int) *sheetView {
	sv := &sheetView{Name: sh.Name, Key: sh.Key, Resume: s.st.form.Resume, Read: sh.Plan != nil}
	used := map[string]provision.ColumnUse{}
	if sh.Plan != nil {
		sv.Counts = sh.Plan.Counts
		for _, c := range sh.Plan.Preview.Columns {
			used[c.Field] = c
		}
	}
	if len(sh.Headers) == 0 {
		return sv
	}
	for _, field := range sheet.Fields {
		cc := colChoice{Field: field, Label: fieldLabel(l, field), Chosen: "auto", Options: sh.Headers}
		if c, ok := used[field]; ok {
			cc.Sample, cc.Hidden = c.Sample, c.Hidden
		}
		if col, ok := s.st.form.Columns[field]; ok {
			cc.Chosen = "=" + col
		}
		sv.Columns = append(sv.Columns, cc)
	}
	if sh.Plan == nil {
		// The sheet did not read: the columns are what to choose.
		return sv
	}
	for _, wn := range job.SheetWarnings(job.Options{MailPassword: s.st.form.MailPassword}, sh.Plan) {
		if h := l.warning(wn); h != "" {
			sv.Warnings = append(sv.Warnings, h)
		}
	}
	sv.Table = tableOf(l, sh.Rows, only, pg, "offline", s.connAPI())
	return sv
}

// tableOf is one page of rows, filtered, in the language.
func tableOf(l lang, rows []report.Row, only bool, pg int, source, api string) tableView {
	tv := tableView{L: l, Total: len(rows), OnlyProblems: only, Source: source}
	var sel []report.Row
	if only {
		for _, r := range rows {
			if r.NeedsAttention() {
				sel = append(sel, r)
			}
		}
	} else {
		sel = rows
	}
	tv.Shown = len(sel)
	tv.Pages = max(1, (len(sel)+pageSize-1)/pageSize)
	tv.Page = min(max(pg, 1), tv.Pages)
	from := (tv.Page - 1) * pageSize
	q := func(p int) string {
		v := url.Values{"page": {strconv.Itoa(p)}}
		if only {
			v.Set("only", "problems")
		}
		return "?" + v.Encode() + "#table"
	}
	if tv.Page > 1 {
		tv.Prev = q(tv.Page - 1)
	}
	if tv.Page < tv.Pages {
		tv.Next = q(tv.Page + 1)
	}
	for _, r := range sel[from:min(from+pageSize, len(sel))] {
		rv := rowView{Row: r, Problem: r.NeedsAttention(), LineText: l.Lang.Number(r.Line)}
		rv.StatusText = l.Text(statusKeys[r.Status][0])
		rv.What = r.MessageIn(l.Lang)
		if source == "offline" && r.Status == report.WouldCreate {
			// The results file's words name run's flag; here the button
			// asks the wiki.
			rv.What = l.Text("row-would-create")
		}
		if api != "" && (r.Status == report.Created || r.Status == report.Exists) && r.Canonical != "" {
			rv.Link = strings.TrimSuffix(api, "api.php") + "index.php?title=" + url.QueryEscape("User:"+r.Canonical)
		}
		tv.Rows = append(tv.Rows, rv)
	}
	return tv
}

func (t *task) view(l lang, only bool, pg int) *taskView {
	p, _ := t.progress(l)
	b, _ := json.Marshal(p)
	tv := &taskView{Kind: p.Kind, Phase: p.Phase, Failure: p.Failure, Status: p.Text, Pause: p.PauseText, Progress: template.JS(b),
		Results: filepath.Base(t.set.Job.Out), Sheet: filepath.Base(t.set.Sheet)}
	t.mu.Lock()
	rows := t.rows
	ranFor := t.ranFor
	t.mu.Unlock()
	if p.Phase == "done" {
		counts := map[report.Status]int{}
		for st, n := range p.Counts {
			counts[report.Status(st)] = n
		}
		tv.Outcome = l.Text("console-outcome", l.counts(counts), l.duration(ranFor))
		source := "run"
		switch {
		case t.kind == kindCheck && t.set.Job.API == "":
			source = "offline"
		case t.kind == kindCheck:
			source = "check"
		}
		tv.Table = tableOf(l, rows, only, pg, source, t.set.Job.API)
		if t.kind == kindRun {
			var w bytes.Buffer
			_ = report.WriteIn(&w, rows, report.FormatWikitext, t.set.Job.Out, l.Lang)
			tv.Wikitext = w.String()
		}
	}
	return tv
}

// download sends a file of the last run: its results, the fix-up sheet of
// its rows to correct, or the wikitext list of its accounts.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t := s.st.task
	s.mu.Unlock()
	if t == nil || !t.ended() {
		http.Error(w, "no run has ended yet", http.StatusNotFound)
		return
	}
	out := t.set.Job.Out
	stem := strings.TrimSuffix(filepath.Base(out), ".results.csv")
	t.mu.Lock()
	rows := t.rows
	t.mu.Unlock()
	switch r.PathValue("what") {
	case "results":
		b, err := os.ReadFile(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		attach(w, filepath.Base(out), "text/csv")
		_, _ = w.Write(b)
	case "failed":
		in, err := os.Open(t.set.Sheet)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer in.Close()
		var b bytes.Buffer
		if _, _, err := report.WriteFailedSheet(&b, in, t.set.Job.Columns, rows); err != nil {
			http.Error(w, s.cfg.Explain(err), http.StatusConflict)
			return
		}
		attach(w, stem+".to-fix.csv", "text/csv")
		_, _ = w.Write(b.Bytes())
	case "slips":
		// The login slips to print for the sign-in desk, in the page's
		// language, shown in the browser (its Print makes the paper).
		// Passwords are never on them here: the command line prints them
		// only into a file of the organizer's own, when asked.
		in, err := os.Open(t.set.Sheet)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer in.Close()
		l := s.language(r)
		var b bytes.Buffer
		wiki := ""
		if t.creator != nil {
			wiki = t.creator.SiteName
		}
		if _, err := report.WriteSlips(&b, in, t.set.Job.Columns, rows, report.SlipOptions{Lang: l.Lang,
			MailPassword: t.set.Job.MailPassword, WikiName: wiki}); err != nil {
			http.Error(w, s.cfg.Explain(err), http.StatusConflict)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The page has its own styles, inline, and no script at all.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		_, _ = w.Write(b.Bytes())
	case "wikitext":
		attach(w, stem+".wikitext.txt", "text/plain")
		_ = report.WriteIn(w, rows, report.FormatWikitext, out, s.language(r).Lang)
	default:
		http.NotFound(w, r)
	}
}

func attach(w http.ResponseWriter, name, typ string) {
	w.Header().Set("Content-Type", typ+"; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", cmp.Or(name, "download")))
}
