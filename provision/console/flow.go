package console

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/i18n"
	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// state is what the console knows, step by step.
type state struct {
	form Form // the organizer's answers so far; the password stays here only
	// conn is the wiki and creator of the connect step, when connected.
	conn *connection
	// sheet is the chosen sheet, read offline.
	sheet *sheetState
	// prepared is a run waiting for its confirmation.
	prepared *prepared
	// task is the run or check going on, or the last one.
	task *task
	// working says what goes on with the wiki now, outside any lock
	// (connecting, preparing a run, starting a check): one thing at a
	// time, so that no two of them race to change the state.
	working string
	// secretFor is the wiki and login the secret in form was typed for:
	// it is sent nowhere else.
	secretFor string
	// notice is the last error, shown in the step it belongs to.
	notice, noticeStep string
	// quit: the organizer quit.
	quit bool
	// lang is the language chosen on the page ("": the browser's).
	lang string
}

type connection struct {
	API     string
	Site    job.Site
	Creator *provision.Creator
}

type sheetState struct {
	Name    string // file name in the folder
	Path    string
	Plan    *provision.Plan
	Rows    []report.Row // offline verdicts
	Headers []string
	Key     string // checkKey of the verdicts
}

func (s *Server) routes() {
	s.mux.Handle("GET /assets/", static())
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.HandleFunc("GET /events", s.events)
	s.mux.HandleFunc("GET /download/{what}", s.download)
	s.mux.HandleFunc("POST /connect", s.step("connect", s.connect))
	s.mux.HandleFunc("POST /sheet", s.step("sheet", s.upload))
	s.mux.HandleFunc("POST /columns", s.step("sheet", s.columns))
	s.mux.HandleFunc("POST /check", s.step("sheet", s.check))
	s.mux.HandleFunc("POST /prepare", s.step("options", s.prepare))
	s.mux.HandleFunc("POST /run", s.step("confirm", s.run))
	s.mux.HandleFunc("POST /cancel", s.step("confirm", s.cancelPrepared))
	s.mux.HandleFunc("POST /stop", s.step("run", s.stop))
	s.mux.HandleFunc("POST /resume", s.step("run", s.resume))
	s.mux.HandleFunc("POST /quit", s.quitConsole)
	s.mux.HandleFunc("POST /lang", s.step("connect", s.chooseLanguage))
}

// step runs a form's action and sends the browser back to the page, at
// the step; an error is shown there.
func (s *Server) step(name string, action func(r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := action(r)
		s.mu.Lock()
		s.st.notice, s.st.noticeStep = "", ""
		if err != nil {
			s.st.notice, s.st.noticeStep = s.cfg.Explain(err), name
		}
		s.mu.Unlock()
		if r.Header.Get("X-Console-CSRF") != "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		http.Redirect(w, r, "/#"+name, http.StatusSeeOther)
	}
}

// busyLocked reports whether a run or check goes on, or the console is
// working with the wiki; called with mu held.
func (s *Server) busyLocked() bool {
	return s.st.working != "" || s.st.task != nil && !s.st.task.ended()
}

// claim starts a long action (one that talks to the wiki without the
// lock held): it returns what ends it, or errBusy while another goes on.
func (s *Server) claim(what string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.ctx.Err() != nil:
		return nil, errEnding
	case s.busyLocked():
		return nil, errBusy
	}
	s.st.working = what
	return func() {
		s.mu.Lock()
		s.st.working = ""
		s.mu.Unlock()
	}, nil
}

// secretKey is what a secret is typed for: a wiki and a login.
func secretKey(api, user string) string { return api + "\x00" + user }

func (s *Server) connect(r *http.Request) error {
	release, err := s.claim("connecting")
	if err != nil {
		return err
	}
	defer release()
	s.mu.Lock()
	f, secretFor := s.st.form, s.st.secretFor
	s.mu.Unlock()
	f.Contact = strings.TrimSpace(r.PostFormValue("contact"))
	f.User = strings.TrimSpace(r.PostFormValue("user"))
	ua := "mwprovision/" + s.cfg.Version
	api, err := job.FindAPI(r.Context(), s.cfg.HTTP(1), r.PostFormValue("api"), ua, time.Minute)
	if err != nil {
		return err
	}
	f.API = api
	// A secret field left empty keeps the secret typed before — the page
	// never holds it — but only for the wiki and login it was typed for.
	password, token := r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("oauth"))
	switch {
	case token != "":
		f.OAuthToken, f.Password, f.User = token, "", ""
	case password != "":
		f.Password, f.OAuthToken = password, ""
	case secretFor != secretKey(f.API, f.User):
		f.Password, f.OAuthToken = "", ""
		if f.User != "" {
			return fmt.Errorf("type the bot password of %s for %s: a password typed for another wiki or login is never sent to this one", f.User, f.API)
		}
	}
	f.DryRun = true
	set, err := s.cfg.Setup(f)
	if err != nil {
		return err
	}
	o := set.Job
	// The password mode and the groups are the options' step's: connecting
	// requires neither.
	o.MailPassword, o.AddGroups = false, nil
	site, err := job.AskSite(r.Context(), o, s.cfg.HTTP(1), s.cfg.Clock)
	if err != nil {
		return err
	}
	conn := &connection{API: api, Site: site}
	if o.Authenticated() {
		c, err := job.Connect(r.Context(), o, provision.Deps{HTTP: s.cfg.HTTP(1), Clock: s.cfg.Clock})
		if err != nil {
			return err
		}
		conn.Creator = c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.form.API, s.st.form.User, s.st.form.Password, s.st.form.OAuthToken, s.st.form.Contact = f.API, f.User, f.Password, f.OAuthToken, f.Contact
	s.st.secretFor = secretKey(f.API, f.User)
	s.st.conn = conn
	s.dropPreparedLocked()
	if s.st.sheet != nil {
		return s.readSheetLocked(r.Context(), s.st.sheet.Name)
	}
	return nil
}

// upload saves a sheet in the folder, under its own name made safe, never
// over another file, and reads it.
func (s *Server) upload(r *http.Request) error {
	f, hdr, err := r.FormFile("sheet")
	if err != nil {
		return errors.New("choose the sheet's file (CSV, as a form or a spreadsheet exports it)")
	}
	defer f.Close()
	if hdr.Size > s.cfg.MaxUpload {
		return fmt.Errorf("the sheet is larger than the console takes (%d MB)", s.cfg.MaxUpload>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, s.cfg.MaxUpload+1))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busyLocked() {
		return errBusy
	}
	name, err := s.save(hdr.Filename, data)
	if err != nil {
		return err
	}
	s.st.form.Columns = nil
	s.st.form.Resume = false
	s.dropPreparedLocked()
	return s.readSheetLocked(r.Context(), name)
}

// safeName is the base of an uploaded file's name with nothing that
// could be a path or trouble on any system, and no dot before .csv (so
// that it never reads as one of a run's files, NAME.results.csv and
// the like).
func safeName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSuffix(name, filepath.Ext(name))
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == '_' || r == ' ' || unicode.IsLetter(r) || unicode.IsDigit(r):
			return r
		}
		return '_'
	}, name)
	clean = strings.TrimSpace(clean)
	if strings.Trim(clean, "_") == "" {
		clean = "sheet"
	}
	if reservedOnWindows.MatchString(clean) {
		clean = "_" + clean
	}
	return clean + ".csv"
}

// reservedOnWindows are the names Windows keeps for devices.
var reservedOnWindows = regexp.MustCompile(`(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])$`)

// save writes data to the folder as name (made safe): a file of that name
// with other bytes is never replaced; the sheet then gets a name of its
// own, name-2.csv and so on.
func (s *Server) save(name string, data []byte) (string, error) {
	base := safeName(name)
	stem := strings.TrimSuffix(base, ".csv")
	for i := 1; i < 1000; i++ {
		cand := base
		if i > 1 {
			cand = fmt.Sprintf("%s-%d.csv", stem, i)
		}
		path := filepath.Join(s.cfg.Dir, cand)
		old, err := os.ReadFile(path)
		if err == nil && bytes.Equal(old, data) {
			return cand, nil
		}
		if err == nil {
			continue
		}
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("cannot save the sheet in %s: %v", s.cfg.Dir, err)
		}
		_, err = fh.Write(data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return "", fmt.Errorf("cannot save the sheet in %s: %v", s.cfg.Dir, err)
		}
		return cand, nil
	}
	return "", errors.New("too many sheets of that name in the folder")
}

// readSheetLocked reads the sheet name of the folder offline, by the
// wiki's rules when connected: the columns and every row's verdict. It
// reads with the chosen columns and password mode only — options a later
// step checks (groups, rate) never stop a sheet from being read — and,
// resuming, with the earlier runs' record.
func (s *Server) readSheetLocked(ctx context.Context, name string) error {
	path := filepath.Join(s.cfg.Dir, name)
	f := Form{Sheet: path, DryRun: true, Columns: s.st.form.Columns, MailPassword: s.st.form.MailPassword,
		Workers: 1, Rate: "0", Resume: s.st.form.Resume}
	hdr, _ := headers(path)
	s.st.sheet = &sheetState{Name: name, Path: path, Headers: hdr}
	set, err := s.cfg.Setup(f)
	if err != nil {
		return err
	}
	o := set.Job
	o.Resume = false // the dry run's own record is not the one resumed
	site, err := job.AskSite(ctx, o, nil, s.cfg.Clock)
	if err != nil {
		return err
	}
	if s.st.conn != nil {
		site = s.st.conn.Site
	}
	var prev *report.Previous
	if s.st.form.Resume {
		if prev, err = report.ReadPrevious(resultsOf(path)); err != nil {
			return err
		}
	}
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return err
	}
	plan, err := job.ReadPlan(ctx, o, site, prev, sheet.File(fh, fi.Size()), s.cfg.Clock.Now().UTC().Truncate(time.Second))
	if err != nil {
		return sheetErr(name, err)
	}
	mem := &memorySink{}
	eng := job.NewEngine(o, plan, provision.Deps{Clock: s.cfg.Clock, Advise: s.cfg.Advise})
	if _, err := eng.Run(ctx, plan, nil, mem); err != nil {
		return err
	}
	s.st.sheet.Plan, s.st.sheet.Rows = plan, mem.rows
	s.st.sheet.Key = checkKey(name, s.st.form.Columns, s.st.form.MailPassword, s.connAPI())
	return nil
}

// resultsOf is the results file of a run of the sheet at path, as run
// names it.
func resultsOf(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".results.csv"
}

// connAPI is the wiki connected to, or "".
func (s *Server) connAPI() string {
	if s.st.conn == nil {
		return ""
	}
	return s.st.conn.API
}

// checkKey says what a dry run checked: a sheet, read with these columns
// in this password mode, against this wiki (or none). A check's answers
// are shown for the sheet only while the key is the same.
func checkKey(name string, cols map[string]string, mail bool, api string) string {
	b, _ := json.Marshal(cols)
	return fmt.Sprintf("%s|%s|%t|%s", name, b, mail, api)
}

// sheetErr names the sheet in an error about it.
func sheetErr(name string, err error) error {
	var se *sheet.SheetError
	if errors.As(err, &se) {
		return &sheet.SheetError{Line: se.Line, Msg: name + ": " + se.Msg, Err: se.Err}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// headers are the header row's cells, for the column choices.
func headers(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The first line, split at its most frequent delimiter (the sheet has
	// been read, so it is a CSV's header).
	line, _ := bufio.NewReader(io.NewSectionReader(f, 0, 1<<20)).ReadString('\n')
	line = strings.TrimPrefix(strings.TrimRight(line, "\r\n"), "\ufeff")
	delim := ','
	for _, d := range []rune{';', '\t'} {
		if strings.Count(line, string(d)) > strings.Count(line, string(delim)) {
			delim = d
		}
	}
	r := csv.NewReader(strings.NewReader(line))
	r.Comma, r.LazyQuotes = delim, true
	return r.Read()
}

// columns changes which column feeds each field, as --column does.
func (s *Server) columns(r *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.sheet == nil {
		return errors.New("choose a sheet first")
	}
	if s.busyLocked() {
		return errBusy
	}
	cols := map[string]string{}
	for _, field := range sheet.Fields {
		if v, ok := r.PostForm[field]; ok && len(v) == 1 && v[0] != "auto" {
			cols[field] = strings.TrimPrefix(v[0], "=")
		}
	}
	s.st.form.Columns = cols
	s.dropPreparedLocked()
	return s.readSheetLocked(r.Context(), s.st.sheet.Name)
}

// formOptions takes the options step's answers.
func (s *Server) formOptionsLocked(r *http.Request) error {
	f := &s.st.form
	f.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	f.MailPassword = r.PostFormValue("mode") != "sheet"
	f.AddGroups = strings.TrimSpace(r.PostFormValue("groups"))
	f.GroupExpiry = strings.TrimSpace(r.PostFormValue("expiry"))
	if v := r.PostFormValue("workers"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("workers %q: give a whole number", v)
		}
		f.Workers = n
	}
	if v := strings.TrimSpace(r.PostFormValue("rate")); v != "" {
		f.Rate = v
	}
	return nil
}

// prepared is a run whose every step up to the confirmation is done,
// waiting for the organizer's word: the confirmation shown is the one
// that runs.
type prepared struct {
	conf   job.Confirmation
	digest string
	t      *task
	sheet  string // its name in the folder
}

// digestOf is the fingerprint of a confirmation, with the sheet's.
func digestOf(conf job.Confirmation, t *task) string {
	b, _ := json.Marshal(conf)
	h := sha256.New()
	h.Write(b)
	fmt.Fprintf(h, "%s|%d|%d", t.set.Sheet, t.plan.Counts.Rows, t.plan.Counts.ToSend())
	return hex.EncodeToString(h.Sum(nil))
}

// dropPreparedLocked lets go of a run that was not confirmed.
func (s *Server) dropPreparedLocked() {
	if p := s.st.prepared; p != nil {
		p.t.abandon()
		s.st.prepared = nil
	}
}

func (s *Server) cancelPrepared(*http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropPreparedLocked()
	return nil
}

// prepare runs the chain up to the confirmation, for the options asked.
// A run that sends nothing (every row a problem, or done before) needs no
// confirmation: it starts at once and records every row, as run does.
func (s *Server) prepare(r *http.Request) error {
	release, err := s.claim("preparing")
	if err != nil {
		return err
	}
	defer release()
	s.mu.Lock()
	s.dropPreparedLocked()
	// The options first: a sheet that no longer reads because of an
	// earlier answer is read again with these.
	if err := s.formOptionsLocked(r); err != nil {
		s.mu.Unlock()
		return err
	}
	if s.st.conn == nil || s.st.conn.Creator == nil {
		s.mu.Unlock()
		return errors.New("connect to the wiki with the creator's bot password first")
	}
	if s.st.sheet == nil {
		s.mu.Unlock()
		return errors.New("choose the sheet first")
	}
	if err := s.readSheetLocked(r.Context(), s.st.sheet.Name); err != nil {
		s.mu.Unlock()
		return err
	}
	f := s.st.form
	f.Sheet, f.DryRun = s.st.sheet.Path, false
	s.mu.Unlock()
	set, err := s.cfg.Setup(f)
	if err != nil {
		return err
	}
	t, err := s.begin(r.Context(), set, kindRun)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.plan.Counts.ToSend() == 0 {
		return s.startLocked(t)
	}
	conf := job.Confirm(set.Job, t.site, t.prev, t.plan, t.creator, t.existing)
	p := &prepared{conf: conf, t: t, sheet: filepath.Base(set.Sheet)}
	p.digest = digestOf(conf, t)
	s.st.prepared = p
	return nil
}

// startLocked runs t in the background, as the console's task.
func (s *Server) startLocked(t *task) error {
	if s.ctx.Err() != nil {
		t.abandon()
		return errEnding
	}
	s.st.task = t
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t.run(s.ctx)
	}()
	return nil
}

// run starts the prepared run, if the confirmation the organizer saw is
// the one prepared.
func (s *Server) run(r *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.prepared
	if p == nil || r.PostFormValue("digest") != p.digest {
		return errors.New("the confirmation you saw is not the one prepared now (the options or the sheet changed): read it again, then confirm")
	}
	if s.busyLocked() {
		return errBusy
	}
	s.st.prepared = nil
	return s.startLocked(p.t)
}

// check runs the dry run, in the background: against the wiki when
// connected (the table then shows the wiki's verdicts), else offline.
func (s *Server) check(r *http.Request) error {
	release, err := s.claim("checking")
	if err != nil {
		return err
	}
	defer release()
	s.mu.Lock()
	if s.st.sheet == nil || s.st.sheet.Plan == nil {
		s.mu.Unlock()
		return errors.New("choose a sheet that reads first")
	}
	s.dropPreparedLocked()
	f := s.st.form
	f.Sheet, f.DryRun, f.Resume = s.st.sheet.Path, true, false
	f.AddGroups, f.GroupExpiry, f.Workers, f.Rate = "", "", 1, "0"
	if s.st.conn == nil {
		f.API, f.User, f.Password, f.OAuthToken = "", "", "", ""
	}
	key := s.st.sheet.Key
	s.mu.Unlock()
	set, err := s.cfg.Setup(f)
	if err != nil {
		return err
	}
	t, err := s.begin(r.Context(), set, kindCheck)
	if err != nil {
		return err
	}
	t.key = key
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked(t)
}

func (s *Server) stop(*http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busyLocked() {
		s.st.task.stop()
	}
	return nil
}

// resume takes up a run recorded in the folder: its sheet, and the
// results to continue.
func (s *Server) resume(r *http.Request) error {
	name := r.PostFormValue("sheet")
	runs := s.earlierRuns()
	if !slices.ContainsFunc(runs, func(e earlierRun) bool { return e.Sheet == name }) {
		return errors.New("no run of that sheet is recorded in the console's folder")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busyLocked() {
		return errBusy
	}
	s.dropPreparedLocked()
	// Another sheet's column choices are not this one's.
	s.st.form.Columns = nil
	s.st.form.Resume = true
	return s.readSheetLocked(r.Context(), name)
}

// earlierRun is a run recorded in the folder: a sheet with a results file.
type earlierRun struct {
	Sheet, Results string
	Modified       time.Time
	Counts         map[report.Status]int
}

// earlierRuns lists the runs recorded in the folder, newest first.
func (s *Server) earlierRuns() []earlierRun {
	matches, _ := filepath.Glob(filepath.Join(s.cfg.Dir, "*.results.csv"))
	var runs []earlierRun
	for _, m := range matches {
		base := strings.TrimSuffix(filepath.Base(m), ".results.csv")
		if strings.HasSuffix(base, ".dry-run") || strings.HasSuffix(base, ".groups") {
			continue
		}
		sheetName := base + ".csv"
		if _, err := os.Stat(filepath.Join(s.cfg.Dir, sheetName)); err != nil {
			continue
		}
		fi, err := os.Stat(m)
		if err != nil {
			continue
		}
		e := earlierRun{Sheet: sheetName, Results: filepath.Base(m), Modified: fi.ModTime(), Counts: map[report.Status]int{}}
		if prev, err := report.ReadPrevious(m); err == nil {
			for _, row := range prev.Rows {
				e.Counts[row.Status]++
			}
		}
		runs = append(runs, e)
	}
	slices.SortFunc(runs, func(a, b earlierRun) int { return b.Modified.Compare(a.Modified) })
	return runs
}

// chooseLanguage sets the console's language, one of those shipped.
func (s *Server) chooseLanguage(r *http.Request) error {
	l := r.PostFormValue("lang")
	if !i18n.Known(l) {
		return fmt.Errorf("no language %q", l)
	}
	s.mu.Lock()
	s.st.lang = l
	s.mu.Unlock()
	return nil
}

func (s *Server) quitConsole(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.busyLocked() {
		s.st.task.stop()
	}
	s.st.quit = true
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	l := s.language(r)
	_ = pages.ExecuteTemplate(w, "quit.html", map[string]any{"L": l, "Lang": string(l.Lang), "Dir": i18n.Dir(string(l.Lang))})
	// The page is sent first; then the program ends.
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	s.quit()
}

// memorySink keeps a run's rows in memory: the offline table.
type memorySink struct{ rows []report.Row }

func (m *memorySink) Write(rows ...report.Row) error { m.rows = append(m.rows, rows...); return nil }
func (m *memorySink) Sent(string, time.Time) error   { return nil }
