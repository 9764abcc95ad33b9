package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/mwapi"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

type memSink struct {
	noJournal
	mu   sync.Mutex
	rows []report.Row
}

// noJournal is a Sink's journal that keeps nothing.
type noJournal struct{}

func (noJournal) Sent(string, time.Time) error { return nil }

func (m *memSink) Write(rows ...report.Row) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = append(m.rows, rows...)
	return nil
}

// sheetOf is a sheet with one row per name, each with an email.
func sheetOf(names ...string) string {
	var b strings.Builder
	b.WriteString("username,email\n")
	for _, n := range names {
		fmt.Fprintf(&b, "%s,%s@example.org\n", n, strings.ToLower(n))
	}
	return b.String()
}

// planOf reads a sheet as a plan for a run in mailpassword mode.
func planOf(t testing.TB, data string) *Plan {
	t.Helper()
	p, err := ReadPlan(context.Background(), sheet.Stream(strings.NewReader(data)), PlanOptions{MailPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// owner is the creator the fake wiki's bot password belongs to; every
// worker logs in with it.
var owner = &Creator{Name: "Owner"}

type engineRun struct {
	rows []report.Row
	err  error
	log  string
}

func runEngine(t *testing.T, api string, cfg Config, data string) engineRun {
	t.Helper()
	return runEngineAs(t, api, cfg, data, owner)
}

// runEngineAs runs the engine with creator as the pre-flight found it.
func runEngineAs(t *testing.T, api string, cfg Config, data string, creator *Creator) engineRun {
	t.Helper()
	var logBuf bytes.Buffer
	var mu sync.Mutex
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logBuf.Write(p) })), zap.InfoLevel)
	cfg.API = api
	if cfg.User == "" {
		cfg.User, cfg.Password = "Owner@bulk", "canarybotpassword0123456789abcdefg"
	}
	if cfg.Rate == 0 {
		cfg.Rate = rate.Inf
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = time.Minute
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 3
	}
	cfg.MailPassword = true
	e := New(cfg, Deps{Log: zap.New(core)})
	e.pacer.Base = time.Millisecond
	sink := &memSink{}
	_, err := e.Run(context.Background(), planOf(t, data), creator, sink)
	mu.Lock()
	defer mu.Unlock()
	return engineRun{rows: sink.rows, err: err, log: logBuf.String()}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func statuses(rows []report.Row) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%d:%s:%s ", r.Line, r.Canonical, r.Status)
	}
	return strings.TrimSpace(b.String())
}

// Workers never exceed --workers requests in flight, and results come out in
// input order whatever order the answers arrive in.
//
// The wiki holds every createaccount until the test lets it answer: the
// test waits until all four workers have a request in flight, then answers
// them last first, and so on for every four rows. No sleep decides what
// overlaps.
func TestEngineBoundsConcurrencyAndKeepsInputOrder(t *testing.T) {
	const workers, total = 4, 60
	type held struct {
		name   string
		answer chan struct{}
	}
	arrived := make(chan held, total)
	f, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		h := held{name, make(chan struct{})}
		arrived <- h
		select {
		case <-h.answer:
		case <-time.After(10 * time.Second):
			t.Errorf("%s's request was never let through", name)
		}
		return pass(name)
	})
	var names []string
	for i := 0; i < total; i++ {
		names = append(names, fmt.Sprintf("User%02d", i))
	}
	go func() {
		for left := total; left > 0; {
			round := make([]held, 0, workers)
			for len(round) < min(workers, left) {
				select {
				case h := <-arrived:
					round = append(round, h)
				case <-time.After(10 * time.Second):
					t.Errorf("%d of %d requests in flight after 10 s; %d rows left", len(round), min(workers, left), left)
					for _, h := range round {
						close(h.answer)
					}
					return
				}
			}
			// Every worker has its request in flight: no other may come
			// while they are held. The first round gives one a moment to
			// (the only wait on time here: it bounds no answer, and the
			// test never needs it to pass).
			if left == total {
				select {
				case h := <-arrived:
					t.Errorf("%s's request came while %d were in flight, with %d workers", h.name, len(round), workers)
					round = append(round, h)
				case <-time.After(50 * time.Millisecond):
				}
			}
			if n := f.inFlight.Load(); n != int32(len(round)) {
				t.Errorf("%d requests in flight, want %d", n, len(round))
			}
			for i := len(round) - 1; i >= 0; i-- {
				close(round[i].answer)
			}
			left -= len(round)
		}
	}()
	r := runEngine(t, srv.URL, Config{Workers: workers}, sheetOf(names...))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.rows) != total {
		t.Fatalf("%d rows, want %d", len(r.rows), total)
	}
	for i, row := range r.rows {
		if row.Line != i+2 || row.Status != report.Created || row.Canonical != names[i] {
			t.Fatalf("row %d = %+v, want line %d created %s", i, row, i+2, names[i])
		}
	}
	if m := f.maxIn.Load(); m != workers {
		t.Errorf("max requests in flight = %d, want %d with %d workers", m, workers, workers)
	}
	if n := f.logins.Load(); n != workers {
		t.Errorf("%d logins, want one per worker (%d)", n, workers)
	}
}

// The request reached the wiki, the account was created, and the answer was
// lost. The retry hears userexists; the newusers log shows our own creation.
func TestEngineResolvesLostAnswerThroughNewUsersLog(t *testing.T) {
	f, srv := newFakeWiki(t, func(name string, attempt int) (int, string, bool) {
		switch {
		case (name == "Lost" || name == "Yesterday") && attempt == 1:
			return 0, "", true // created, then the connection dies
		case name == "Lost" || name == "Yesterday":
			return fail("userexists")
		case name == "Taken" && attempt == 1:
			return 502, "<html>Bad gateway</html>", false // not created
		case name == "Taken":
			return fail("userexists") // someone else's account
		}
		return pass(name)
	})
	// "Yesterday" was created by us in an earlier run; its first attempt now
	// gets no answer, and the retry hears userexists: that is not ours today.
	f.logTime["Yesterday"] = time.Now().Add(-24 * time.Hour)
	f.log = append(f.log, "Yesterday")
	r := runEngine(t, srv.URL, Config{Workers: 1}, sheetOf("Lost", "Taken", "Fine", "Yesterday"))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got, want := statuses(r.rows), "2:Lost:created 3:Taken:exists 4:Fine:created 5:Yesterday:exists"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	if r.rows[0].Attempts != 2 || !r.rows[0].FinishedAt.Equal(f.logTime["Lost"].Truncate(time.Second)) {
		t.Errorf("lost row: attempts %d finished %s, want 2 attempts and the log entry's time %s", r.rows[0].Attempts, r.rows[0].FinishedAt, f.logTime["Lost"])
	}
	for _, want := range []string{`"code":"network"`, `"code":"http-502"`, `"msg":"newusers-log"`} {
		if !strings.Contains(r.log, want) {
			t.Errorf("log lacks %s", want)
		}
	}
}

// Persistent server errors fail the row after --max-attempts; other rows go on.
func TestEngineFailsRowAfterMaxAttempts(t *testing.T) {
	_, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		if name == "Broken" {
			return 500, "<html>Internal error</html>", false
		}
		return pass(name)
	})
	r := runEngine(t, srv.URL, Config{Workers: 2, MaxAttempts: 3}, sheetOf("Broken", "Okay"))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got, want := statuses(r.rows), "2:Broken:failed 3:Okay:created"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	if r.rows[0].Attempts != 3 || r.rows[0].Code != "http-500" || !strings.Contains(r.rows[0].Message, "gave up after 3 attempts") {
		t.Errorf("failed row = %+v", r.rows[0])
	}
}

// badtoken: the worker fetches a new token once; assertuserfailed (the wiki
// lost the session): it logs in again. No row fails for either.
func TestEngineRecoversTokenAndSession(t *testing.T) {
	var f *fakeWiki
	f, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		if name == "Second" {
			f.mu.Lock()
			clear(f.sessions) // the wiki purges every session after this request
			f.mu.Unlock()
		}
		return pass(name)
	})
	f.badtokenAfterLogin = true
	// --max-attempts 1: new tokens and logins have their own budget.
	r := runEngine(t, srv.URL, Config{Workers: 1, MaxAttempts: 1}, sheetOf("First", "Second", "Third", "Fourth"))
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got, want := statuses(r.rows), "2:First:created 3:Second:created 4:Third:created 5:Fourth:created"; got != want {
		t.Fatalf("statuses %q, want %q", got, want)
	}
	if n := f.logins.Load(); n != 2 {
		t.Errorf("%d logins, want 2 (one more after the sessions were purged)", n)
	}
	// First: badtoken then PASS; Third: assertuserfailed, badtoken, PASS.
	if a := []int{r.rows[0].Attempts, r.rows[1].Attempts, r.rows[2].Attempts, r.rows[3].Attempts}; fmt.Sprint(a) != "[2 1 3 1]" {
		t.Errorf("attempts %v, want [2 1 3 1]", a)
	}
	for _, want := range []string{`"action":"newtoken"`, `"action":"relogin"`} {
		if !strings.Contains(r.log, want) {
			t.Errorf("log lacks %s", want)
		}
	}
}

// The canary bot password and sheet passwords appear in no log line and no
// results row — only in the POST bodies sent to the wiki.
func TestEngineNeverLogsSecrets(t *testing.T) {
	f, srv := newFakeWiki(t, func(name string, attempt int) (int, string, bool) {
		if attempt == 1 {
			return 500, "<html>boom</html>", false
		}
		return fail("passwordtooshort")
	})
	r := runEngine(t, srv.URL, Config{Workers: 1}, "username,email,password\nCanary,c@example.org,sheet-canary-secret\n")
	if r.err != nil {
		t.Fatal(r.err)
	}
	text := r.log + fmt.Sprintf("%+v", r.rows)
	for _, secret := range []string{"canarybotpassword0123456789abcdefg", "sheet-canary-secret", "tok+", "fakesession"} {
		if strings.Contains(text, secret) {
			t.Errorf("secret %q reached the log or results", secret)
		}
	}
	f.mu.Lock()
	sent := strings.Join(f.bodies, "\n")
	f.mu.Unlock()
	if !strings.Contains(sent, "canarybotpassword0123456789abcdefg") {
		t.Error("the bot password was never sent: the test proves nothing")
	}
}

type failingSink struct {
	noJournal
	mu     sync.Mutex
	writes int
	failed atomic.Bool // set as the failing write returns
}

func (f *failingSink) Write(...report.Row) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.writes > 1 {
		f.failed.Store(true)
		return errors.New("no space left on device")
	}
	return nil
}

// A results file that cannot be written stops the run: no account is
// created without a row to record it.
func TestEngineStopsWhenResultsCannotBeWritten(t *testing.T) {
	sink := &failingSink{}
	var after atomic.Int32 // createaccount requests that reached the wiki after the failure
	f, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		if sink.failed.Load() {
			after.Add(1)
		}
		return pass(name)
	})
	var names []string
	for i := 0; i < 20; i++ {
		names = append(names, fmt.Sprintf("Row%02d", i))
	}
	e := New(Config{API: srv.URL, User: "Owner@bulk", Password: "x", Workers: 1, Rate: rate.Inf,
		MaxWait: time.Minute, MaxAttempts: 3, MailPassword: true}, Deps{Log: zap.NewNop()})
	_, err := e.Run(context.Background(), planOf(t, sheetOf(names...)), owner, sink)
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Run error = %v, want the sink's error", err)
	}
	// The worker does not wait for each row's write, so it may have sent
	// more rows by the time the write fails; after the failure, at most
	// the one request in flight (one worker) may still reach the wiki.
	f.mu.Lock()
	created := len(f.log)
	f.mu.Unlock()
	if n := after.Load(); n > 1 || created == len(names) {
		t.Errorf("%d createaccount requests after the results file failed at the second row (%d accounts created in all)", n, created)
	}
}

// A redirect is never followed: the POST with the passwords is not re-sent,
// and the user is told where the API moved.
func TestSessionDoesNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/w/api.php", http.StatusPermanentRedirect)
	}))
	defer moved.Close()
	s := mwapi.NewSession(http.DefaultClient, time.Now, moved.URL, "test", "Owner@bulk", "secret0123456789abcdefghijklmnopq")
	err := s.Prepare(context.Background())
	var re *mwapi.RedirectError
	if !errors.As(err, &re) || re.Status != 308 || re.Location != other.URL+"/w/api.php" {
		t.Errorf("Prepare error = %v, want the redirect named", err)
	}
	o := classify.Classify(s.Post(context.Background(), url.Values{"action": {"createaccount"}, "password": {"sheet-secret"}}))
	if o.Status != report.Failed || o.Code != "http-308" {
		t.Errorf("Classify = %+v, want failed http-308", o)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

// A results file that cannot be written counts the accounts the run created
// beyond its record — not the rows an earlier run created, carried over.
func TestRecordErrorCountsOnlyThisRunsAccounts(t *testing.T) {
	f, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) { return pass(name) })
	previous := &report.Previous{Rows: map[string]report.Row{}}
	for _, n := range []string{"Done1", "Done2", "Done3"} {
		previous.Rows[n] = report.Row{Canonical: n, Status: report.Created}
	}
	plan, err := ReadPlan(context.Background(), sheet.Stream(strings.NewReader(sheetOf("Done1", "Done2", "Done3", "Fresh"))),
		PlanOptions{MailPassword: true, Previous: previous})
	if err != nil {
		t.Fatal(err)
	}
	e := New(Config{API: srv.URL, User: "Owner@bulk", Password: "x", Rate: rate.Inf, MaxWait: time.Minute, MailPassword: true}, Deps{})
	_, err = e.Run(context.Background(), plan, owner, sinkFunc(func(...report.Row) error { return errors.New("no space left on device") }))
	var re *RecordError
	if !errors.As(err, &re) {
		t.Fatalf("Run = %v, want a *RecordError", err)
	}
	f.mu.Lock()
	made := len(f.log)
	f.mu.Unlock()
	if re.Created != made || made > 1 {
		t.Errorf("RecordError.Created = %d, the wiki created %d (the three carried rows are not this run's)", re.Created, made)
	}
}

type sinkFunc func(...report.Row) error

func (f sinkFunc) Write(rows ...report.Row) error { return f(rows...) }

func (sinkFunc) Sent(string, time.Time) error { return nil }

// A resumed run's rate counts the accounts it created, not the rows an
// earlier run created, carried over; the reporter is told which rows this
// run sent.
func TestResumedRunRateCountsOnlyThisRunsAccounts(t *testing.T) {
	_, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) { return pass(name) })
	previous := &report.Previous{Rows: map[string]report.Row{}}
	for _, n := range []string{"Done1", "Done2", "Done3"} {
		previous.Rows[n] = report.Row{Canonical: n, Status: report.Created, Attempts: 1}
	}
	plan, err := ReadPlan(context.Background(), sheet.Stream(strings.NewReader(sheetOf("Done1", "Done2", "Done3", "Fresh"))),
		PlanOptions{MailPassword: true, Previous: previous})
	if err != nil {
		t.Fatal(err)
	}
	rep := &sentReporter{}
	e := New(Config{API: srv.URL, User: "Owner@bulk", Password: "x", Workers: 1, Rate: rate.Inf, MaxWait: time.Minute, MailPassword: true},
		Deps{Reporter: rep})
	sum, err := e.Run(context.Background(), plan, owner, &memSink{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[report.Created] != 4 {
		t.Fatalf("%d created rows, want 4 (3 carried over)", sum.Counts[report.Created])
	}
	if got := sum.PerSecond() * sum.Elapsed.Seconds(); got < 0.99 || got > 1.01 {
		t.Errorf("PerSecond × elapsed = %.2f accounts, want the 1 this run created", got)
	}
	if got := fmt.Sprint(rep.sent); got != "[false false false true]" {
		t.Errorf("rows reported as sent by this run: %s, want only the last", got)
	}
}

type sentReporter struct {
	NopReporter
	sent []bool
}

func (r *sentReporter) RowDone(_ report.Row, sent bool) { r.sent = append(r.sent, sent) }
