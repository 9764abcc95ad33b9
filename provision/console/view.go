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
	"time"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"join": strings.Join,
	"date": func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") },
	"add":  func(a, b int) int { return a + b },
	"rows": func(n int) string {
		if n == 1 {
			return "1 row"
		}
		return strconv.Itoa(n) + " rows"
	},
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

// view is everything the page shows.
type view struct {
	CSRF, Version, Dir string
	Notice, NoticeStep string
	Form               Form
	PasswordSet        bool
	Conn               *connView
	Sheet              *sheetView
	Confirm            *confirmView
	Task               *taskView
	Runs               []earlierRun
	Quit               bool
}

type fact struct {
	OK   bool
	Text string
}

type connView struct {
	API, Wiki, Lang, Creator string
	Facts                    []fact
}

type colChoice struct {
	Field, Chosen, Sample string
	Options               []string
}

type tableView struct {
	Rows               []rowView
	Shown, Total, Page int
	Pages              int
	OnlyProblems       bool
	Prev, Next         string
	Source             string // which verdicts: offline, the wiki's dry run, the run
}

type rowView struct {
	report.Row
	Link    string
	Problem bool
}

type sheetView struct {
	Name, Key string
	Columns   []colChoice
	Counts    provision.PlanCounts
	Warnings  []string
	Table     tableView
	Checked   bool // the table shows a dry run's verdicts
	Resume    bool
	Read      bool // the sheet reads: its counts and table are known
}

type confirmView struct {
	C        job.Confirmation
	Digest   string
	Sheet    string
	Warnings []string
	Existing int
}

type taskView struct {
	Kind, Phase, Failure string
	Progress             template.JS
	Results, Sheet       string
	Counts               []statusCount
	Wikitext             string
	Table                tableView
	RanFor               string
}

type statusCount struct {
	Status string
	N      int
}

// page renders the console at its current state.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	only := r.URL.Query().Get("only") == "problems"
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	runs := s.earlierRuns()
	s.mu.Lock()
	v := view{CSRF: s.csrf, Version: s.cfg.Version, Dir: s.cfg.Dir, Notice: s.st.notice, NoticeStep: s.st.noticeStep,
		Form: s.st.form, PasswordSet: s.st.form.Password != "" || s.st.form.OAuthToken != "", Runs: runs, Quit: s.st.quit}
	v.Form.Password, v.Form.OAuthToken = "", ""
	if c := s.st.conn; c != nil {
		v.Conn = s.connView(c)
	}
	if sh := s.st.sheet; sh != nil {
		v.Sheet = s.sheetView(sh, only, pg)
	}
	if p := s.st.prepared; p != nil {
		v.Confirm = &confirmView{C: p.conf, Digest: p.digest, Sheet: p.sheet}
		if err := p.t.existingErr; err != nil {
			v.Confirm.Warnings = append(v.Confirm.Warnings, "Which accounts exist already could not be learned ("+s.cfg.Explain(err)+"); those that do are added to the groups too.")
		}
		for _, wn := range p.conf.Warnings {
			if line := s.cfg.Warning(wn); line != "" {
				v.Confirm.Warnings = append(v.Confirm.Warnings, line)
			}
		}
		if p.conf.Existing != nil {
			v.Confirm.Existing = p.conf.Existing.Count
		}
	}
	t := s.st.task
	s.mu.Unlock()
	if t != nil {
		tv := t.view(only, pg)
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
	_, _ = w.Write(b.Bytes())
}

func (s *Server) connView(c *connection) *connView {
	cv := &connView{API: c.API, Lang: c.Site.Names.Lang}
	cr := c.Creator
	if cr == nil {
		cv.Facts = append(cv.Facts, fact{false, "No creator: the sheet's names can be checked against the wiki, but nothing can be created. Give a bot password to create accounts."})
		return cv
	}
	cv.Wiki, cv.Creator = cr.SiteName, cr.Name
	cv.Facts = append(cv.Facts, fact{true, cr.Name + " may create accounts here, with no CAPTCHA to solve."})
	if cr.NoRateLimit {
		cv.Facts = append(cv.Facts, fact{true, "The wiki's limit of accounts per IP address does not apply to " + cr.Name + " (it holds noratelimit)."})
	} else {
		limit := "its limit is not known until the wiki first refuses"
		if cr.Wikimedia {
			limit = "on Wikimedia wikis, 6 accounts a day"
		}
		cv.Facts = append(cv.Facts, fact{false, "The wiki's limit of accounts per IP address applies to " + cr.Name + " (" + limit +
			"): a run waits for each window. To lift it, ask for the event coordinator or account creator right, or for a temporary exception for the event's address."})
	}
	if cr.Blocked != "" {
		cv.Facts = append(cv.Facts, fact{false, cr.Name + " " + cr.Blocked + "; the block lets it create accounts."})
	}
	switch {
	case len(cr.Addable) > 0:
		cv.Facts = append(cv.Facts, fact{true, "It may add accounts to these groups: " + strings.Join(cr.Addable, ", ") + "."})
	case cr.AddableWhy != "":
		cv.Facts = append(cv.Facts, fact{false, "It may add accounts to no group: " + cr.AddableWhy})
	default:
		cv.Facts = append(cv.Facts, fact{true, "It may add accounts to no group."})
	}
	if len(c.Site.DecidesAtCreation) > 0 {
		cv.Facts = append(cv.Facts, fact{false, "The wiki runs " + strings.Join(c.Site.DecidesAtCreation, " and ") + ", which judges an account only when it is created: the check cannot foresee it."})
	}
	return cv
}

func (s *Server) sheetView(sh *sheetState, only bool, pg int) *sheetView {
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
		cc := colChoice{Field: field, Chosen: "auto", Options: sh.Headers}
		if c, ok := used[field]; ok {
			cc.Sample = c.Sample
			if c.Hidden {
				cc.Sample = "(hidden)"
			}
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
		if line := s.cfg.Warning(wn); line != "" {
			sv.Warnings = append(sv.Warnings, line)
		}
	}
	sv.Table = s.table(sh.Rows, only, pg, "offline")
	return sv
}

// table is one page of rows, filtered.
func (s *Server) table(rows []report.Row, only bool, pg int, source string) tableView {
	var api string
	if s.st.conn != nil {
		api = s.st.conn.API
	}
	return tableOf(rows, only, pg, source, api)
}

func tableOf(rows []report.Row, only bool, pg int, source, api string) tableView {
	tv := tableView{Total: len(rows), OnlyProblems: only, Source: source}
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
		rv := rowView{Row: r, Problem: r.NeedsAttention()}
		if source == "offline" && r.Status == report.WouldCreate {
			// The results file's words name run's flag; here the button
			// asks the wiki.
			rv.Message = "passes every offline check"
		}
		if api != "" && (r.Status == report.Created || r.Status == report.Exists) && r.Canonical != "" {
			rv.Link = strings.TrimSuffix(api, "api.php") + "index.php?title=" + url.QueryEscape("User:"+r.Canonical)
		}
		tv.Rows = append(tv.Rows, rv)
	}
	return tv
}

func (t *task) view(only bool, pg int) *taskView {
	p, _ := t.progress()
	b, _ := json.Marshal(p)
	tv := &taskView{Kind: p.Kind, Phase: p.Phase, Failure: p.Failure, Progress: template.JS(b),
		Results: filepath.Base(t.set.Job.Out), Sheet: filepath.Base(t.set.Sheet)}
	t.mu.Lock()
	rows := t.rows
	ranFor := t.ranFor
	t.mu.Unlock()
	if p.Phase == "done" {
		tv.RanFor = ranFor.Round(time.Second).String()
		for _, st := range report.Statuses {
			if n := p.Counts[string(st)]; n > 0 {
				tv.Counts = append(tv.Counts, statusCount{string(st), n})
			}
		}
		source := "run"
		switch {
		case t.kind == kindCheck && t.set.Job.API == "":
			source = "offline"
		case t.kind == kindCheck:
			source = "check"
		}
		tv.Table = tableOf(rows, only, pg, source, t.set.Job.API)
		if t.kind == kindRun {
			var w bytes.Buffer
			_ = report.Write(&w, rows, report.FormatWikitext, t.set.Job.Out)
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
	case "wikitext":
		attach(w, stem+".wikitext.txt", "text/plain")
		_ = report.Write(w, rows, report.FormatWikitext, out)
	default:
		http.NotFound(w, r)
	}
}

func attach(w http.ResponseWriter, name, typ string) {
	w.Header().Set("Content-Type", typ+"; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", cmp.Or(name, "download")))
}
