package job

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// interruptWiki is just enough of api.php for one creator's run: any
// login succeeds, and every createaccount passes; that of hold is
// answered only once release is closed (the run is interrupted while it
// waits).
func interruptWiki(t *testing.T, hold string, held chan<- struct{}, release <-chan struct{}) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("fake wiki: %v", err)
			return
		}
		q := r.Form
		w.Header().Set("Content-Type", "application/json")
		switch {
		case q.Get("meta") == "tokens":
			http.SetCookie(w, &http.Cookie{Name: "fakesession", Value: "s1"})
			var toks []string
			for _, k := range strings.Split(q.Get("type"), "|") {
				toks = append(toks, fmt.Sprintf(`"%stoken":"tok+\\"`, k))
			}
			fmt.Fprintf(w, `{"query":{"tokens":{%s}}}`, strings.Join(toks, ","))
		case q.Get("action") == "login":
			fmt.Fprint(w, `{"login":{"result":"Success","lguserid":1,"lgusername":"Owner"}}`)
		case q.Get("list") == "logevents":
			fmt.Fprint(w, `{"query":{"logevents":[]}}`)
		case q.Get("action") == "createaccount" && q.Get("username") == hold:
			select {
			case held <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			fmt.Fprintf(w, `{"createaccount":{"status":"PASS","username":%q}}`, q.Get("username"))
		case q.Get("action") == "createaccount":
			fmt.Fprintf(w, `{"createaccount":{"status":"PASS","username":%q}}`, q.Get("username"))
		default:
			t.Errorf("fake wiki: unexpected request %v", q)
			w.WriteHeader(400)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A resumed run interrupted (Ctrl-C: its context cancelled) while a row
// waits on the wiki commits its record as a first run does: the results
// at the path hold the earlier run's rows and this run's — the row in
// flight decided by its answer, the rows not reached pending — and no
// NAME.partial is left behind.
func TestInterruptedResumedRunCommitsItsRecord(t *testing.T) {
	held, release := make(chan struct{}, 1), make(chan struct{})
	srv := interruptWiki(t, "Carl", held, release)
	api := srv.URL + "/w/api.php"
	path := filepath.Join(t.TempDir(), "r.csv")
	first := time.Now().Add(-time.Hour)

	// The first run created Bo.
	rec, err := report.OpenRecord(path, false)
	if err != nil {
		t.Fatal(err)
	}
	f, err := rec.Start(report.About{Wiki: api, Creator: "Owner", FirstRun: first}, report.Run{Started: first})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(report.Row{Line: 2, Username: "bo", Canonical: "Bo", Status: report.Created, Wiki: api, Creator: "Owner"}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Commit(false); err != nil {
		t.Fatal(err)
	}
	rec.Close()

	// The resumed run: Ana is created, Carl waits on the wiki, Dee is
	// never reached.
	o := Options{API: api, Out: path, Resume: true, MailPassword: true}
	rec, err = report.OpenRecord(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	prev, err := Previous(o, rec)
	if err != nil {
		t.Fatal(err)
	}
	const data = "username,email\nbo,b@example.org\nana,a@example.org\ncarl,c@example.org\ndee,d@example.org\n"
	plan, err := ReadPlan(t.Context(), o, Site{}, prev, sheet.Bytes([]byte(data)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if plan.Counts.Carried != 1 || plan.Counts.ToCreate != 3 {
		t.Fatalf("counts %+v, want Bo carried and three to create", plan.Counts)
	}
	creator := &provision.Creator{Name: "Owner"}
	results, err := Start(o, rec, plan, creator, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e := provision.New(provision.Config{API: api, User: "Owner@bulk", Password: "botpassword0123456789abcdefghijk", Workers: 1,
		Rate: rate.Inf, MailPassword: true, MaxWait: time.Minute, MaxAttempts: 3}, provision.Deps{Log: zap.NewNop()})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type ended struct {
		sum *report.Summary
		err error
	}
	done := make(chan ended, 1)
	go func() {
		sum, err := e.Run(ctx, plan, creator, results)
		done <- ended{sum, err}
	}()
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the wiki never got Carl's createaccount")
	}
	cancel()
	close(release)
	var run ended
	select {
	case run = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end 10 s after it was interrupted")
	}
	if !errors.Is(run.err, provision.ErrInterrupted) {
		t.Fatalf("the run ended with %v, want it interrupted", run.err)
	}
	end := Finish(rec, plan, run.sum, run.err, zap.NewNop())
	if !errors.Is(end.Err, provision.ErrInterrupted) {
		t.Errorf("end %+v, want interrupted", end)
	}
	if _, err := os.Stat(report.PartialPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the resumed run's partial results are still there (%v): the record was not committed", err)
	}
	rows, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s:%s", r.Canonical, r.Status))
	}
	if want := "Bo:created Ana:created Carl:created Dee:pending"; strings.Join(got, " ") != want {
		t.Errorf("the results at the path: %q, want %q", strings.Join(got, " "), want)
	}
}
