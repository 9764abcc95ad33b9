package job

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/names"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// Without a wiki the names are checked by the language given, or
// English, and nothing is asked of anyone.
func TestAskSiteOffline(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { asked.Add(1) }))
	defer srv.Close()
	for lang, want := range map[string]string{"": "en", "TR": "tr"} {
		site, err := AskSite(t.Context(), Options{DryRun: true, WikiLanguage: lang}, srv.Client(), pacer.SystemClock{})
		if err != nil || site.Names.Lang != want || site.Unknown != nil || len(SiteWarnings(site)) != 0 {
			t.Errorf("--wiki-language %q: %+v, %v; want %s and no warning", lang, site, err, want)
		}
	}
	if asked.Load() != 0 {
		t.Errorf("an offline run asked a server %d times", asked.Load())
	}
}

// A wiki that cannot say its language is a warning, not an error: names
// are then checked by the language given.
func TestAskSiteOfAWikiThatCannotSay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	o := Options{API: srv.URL + "/w/api.php", WikiLanguage: "de", RequestTimeout: 10 * time.Second}
	site, err := AskSite(t.Context(), o, srv.Client(), pacer.SystemClock{})
	if err != nil || site.Unknown == nil || site.Names.Lang != "de" {
		t.Fatalf("%+v, %v; want the wiki unknown and names by de", site, err)
	}
	ws := SiteWarnings(site)
	if len(ws) != 1 || ws[0].(SiteUnknown).Lang != "de" {
		t.Errorf("warnings %#v, want one SiteUnknown in de", ws)
	}
}

// A duration of a group expiry counts from the first run of a record that
// added groups, so that a resumed run asks for the same expiry; from this
// run otherwise.
func TestPlanOptionsCountAnExpiryFromTheFirstRun(t *testing.T) {
	now := time.Date(2026, 12, 2, 18, 0, 0, 0, time.UTC)
	first := now.Add(-3 * time.Hour)
	o := Options{MailPassword: true, AddGroups: []string{"confirmed"}, GroupExpiry: "2 weeks"}
	for _, tt := range []struct {
		name string
		prev *report.Previous
		want time.Time
	}{
		{"no record", nil, now},
		{"a record that added groups", &report.Previous{GroupsFrom: first.Add(time.Hour), GroupsAsked: true, About: report.About{FirstRun: first}}, first.Add(time.Hour)},
		{"a record of an earlier version that added groups", &report.Previous{GroupsAsked: true, About: report.About{FirstRun: first}}, first},
		{"a record that added none", &report.Previous{About: report.About{FirstRun: first}}, now},
	} {
		po := planOptions(o, Site{}, tt.prev, now)
		if !po.Groups.From.Equal(tt.want) || !po.Groups.Now.Equal(now) {
			t.Errorf("%s: from %s, now %s; want from %s", tt.name, po.Groups.From, po.Groups.Now, tt.want)
		}
	}
	if po := planOptions(Options{MailPassword: true, Grant: true}, Site{}, nil, now); po.MailPassword || !po.GrantOnly {
		t.Errorf("grant mails passwords or creates: %+v", po)
	}
}

// The confirmation is one value: the counts, the first names, the
// public reasons and every warning of the steps before it, in their order.
func TestConfirmGathersTheFacts(t *testing.T) {
	o := Options{API: "https://wiki.example.org/w/api.php", User: "Organizer", MailPassword: true, Reason: "Edit-a-thon", MaxWait: time.Hour}
	plan := planOf(t, o, "username,email,password,team\nana,fam@example.org,x,red\nbo,fam@example.org,y,blue\n")
	c := &provision.Creator{Name: "Organizer", SiteName: "Test wiki", Wikimedia: true}
	site := Site{Unknown: errors.New("no answer"), Names: names.Rules{Lang: "en"}}
	conf := Confirm(o, site, &report.Previous{Cut: "r.csv.partial"}, plan, c, nil)
	if conf.Accounts != 2 || conf.Rows != 2 || !reflect.DeepEqual(conf.First, []string{"Ana", "Bo"}) || conf.Wiki != "Test wiki" ||
		conf.Creator != "Organizer" || conf.Login != "Organizer" || conf.Reason != "Edit-a-thon" || conf.WithoutReason != 2 {
		t.Errorf("confirmation %+v", conf)
	}
	var kinds []string
	for _, w := range conf.Warnings {
		kinds = append(kinds, reflect.TypeOf(w).Name())
	}
	want := "SiteUnknown PreviousCut IgnoredColumns PasswordIgnored MainAccountLogin NoContact SharedEmail PerIPThrottle"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("warnings %s\nwant     %s", got, want)
	}
}

// Finish commits a record whose run ended whole — done, stopped by the
// wiki, or interrupted — and leaves a resumed run's partial where it is
// when the run failed otherwise.
func TestFinishCommitsAWholeRecord(t *testing.T) {
	for _, tt := range []struct {
		name      string
		err       error
		committed bool
	}{
		{"done", nil, true},
		{"interrupted", provision.ErrInterrupted, true},
		{"stopped", &pacer.WaitLimitError{Why: "throttle"}, true},
		{"the results cannot be written", &provision.RecordError{Err: errors.New("disk full")}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.csv")
			o := Options{Out: path, Resume: true}
			writeResults(t, path)
			rec, err := report.OpenRecord(path, true)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close()
			prev, err := Previous(o, rec)
			if err != nil {
				t.Fatal(err)
			}
			plan := planOf(t, Options{MailPassword: true}, "username,email\nana,a@example.org\n")
			f, err := Start(o, rec, plan, &provision.Creator{Name: "Organizer"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Write(report.Row{Line: 2, Username: "ana", Canonical: "Ana", Status: report.Created}); err != nil {
				t.Fatal(err)
			}
			end := Finish(rec, plan, report.NewSummary(), tt.err, zap.NewNop())
			_, partial := os.Stat(report.PartialPath(path))
			if committed := errors.Is(partial, os.ErrNotExist); committed != tt.committed {
				t.Errorf("committed %v, want %v (previous %d rows)", committed, tt.committed, len(prev.Rows))
			}
			if stopped := end.Stopped != nil; stopped != errors.Is(tt.err, pacer.ErrStopped) || (end.Err == nil) == (tt.err != nil && !stopped) {
				t.Errorf("end %+v for %v", end, tt.err)
			}
		})
	}
}

// Start refuses a sheet that changed after the plan read it, before the
// results file is opened, and stamps the rows with the first run's start.
func TestStartChecksTheSheetAndKeepsTheFirstRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sheet.csv")
	if err := os.WriteFile(path, []byte("username,email\nana,a@example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	plan, err := ReadPlan(t.Context(), Options{MailPassword: true}, Site{}, nil, sheet.File(f, 33), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("username,email\nbob,b@example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.csv")
	rec, err := report.OpenRecord(out, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	var sc *SheetChangedError
	if _, err := Start(Options{Out: out}, rec, plan, nil, time.Now()); !errors.As(err, &sc) || !errors.Is(err, sheet.ErrSheetChanged) {
		t.Errorf("Start on a changed sheet: %v, want a SheetChangedError", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a results file was opened for a changed sheet: %v", err)
	}
}

// planOf is the plan of data for a run of o.
func planOf(t *testing.T, o Options, data string) *provision.Plan {
	t.Helper()
	plan, err := ReadPlan(context.Background(), o, Site{}, nil, sheet.Bytes([]byte(data)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// writeResults writes a results file at path of one created row, as an
// earlier run leaves it.
func writeResults(t *testing.T, path string) {
	t.Helper()
	rec, err := report.OpenRecord(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	f, err := rec.Start(report.About{Creator: "Organizer", FirstRun: time.Now()}, report.Run{Started: time.Now(), Groups: false})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(report.Row{Line: 3, Username: "bo", Canonical: "Bo", Status: report.Created}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Commit(false); err != nil {
		t.Fatal(err)
	}
}
