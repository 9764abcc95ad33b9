package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/provision/names"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// watchedWiki is the fake wiki, every account created under the name
// MediaWiki stores, behind a server that counts every request it gets,
// whatever it is.
func watchedWiki(t *testing.T) (f *fakeWiki, api string, requests *atomic.Int32) {
	t.Helper()
	f, _ = newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		canonical, p := names.CanonicalUsername(name)
		if p != nil {
			t.Errorf("the wiki was sent %q: %v", name, p)
		}
		return pass(canonical)
	})
	requests = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		f.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL, requests
}

// runPlan runs plan against the wiki at api with one worker, in
// mailpassword mode: a dry run without a creator when dryRun is set,
// otherwise a run that creates as owner.
func runPlan(t *testing.T, api string, plan *Plan, dryRun bool) ([]report.Row, error) {
	t.Helper()
	e := New(Config{API: api, User: "Owner@bulk", Password: "canarybotpassword0123456789abcdefg", Workers: 1,
		Rate: rate.Inf, MailPassword: true, MaxWait: time.Minute, MaxAttempts: 3, DryRun: dryRun}, Deps{Log: zap.NewNop()})
	creator := owner
	if dryRun {
		creator = nil
	}
	sink := &memSink{}
	_, err := e.Run(context.Background(), plan, creator, sink)
	return sink.rows, err
}

// created is what the fake wiki created, in order, as the names were sent.
func created(f *fakeWiki) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// createRequests counts the createaccount requests the fake wiki got.
func createRequests(f *fakeWiki) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, a := range f.attempts {
		n += a
	}
	return n
}

// describe is each row as line:username:canonical:status:code.
func describe(rows []report.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%d:%s:%s:%s:%s", r.Line, r.Username, r.Canonical, r.Status, r.Code)
	}
	return out
}

// openSheet writes sheet to a file in a test directory and opens it, as the
// command line opens the sheet it plans.
func openSheet(t *testing.T, data string) (path string, src sheet.Source) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "sheet.csv")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return path, sheet.File(f, int64(len(data)))
}

// mixedSheet has one row of every kind a plan decides: line 2 is sent,
// line 3 has an invalid name, line 4 is sent and line 5 repeats it after
// canonicalization, line 6 has no email, line 7 an earlier run created,
// and line 8 an earlier run failed, so it is sent again.
const mixedSheet = "username,email,team\n" +
	"Alice,alice@example.org,red\n" +
	"Bad#Name,bad@example.org,red\n" +
	"maria_garcia,maria@example.org,blue\n" +
	"Maria garcia,maria2@example.org,blue\n" +
	"NoMail,,blue\n" +
	"bob,bob@example.org,red\n" +
	"Carol,carol@example.org,red\n"

// mixedPrevious is what an earlier run of mixedSheet decided, when its rows
// were in another order.
var mixedPrevious = map[string]report.Row{
	"Bob":   {Line: 9, Username: "Bob", Canonical: "Bob", Status: report.Created, Attempts: 1},
	"Carol": {Line: 3, Username: "Carol", Canonical: "Carol", Status: report.Failed, Code: "http-500", Attempts: 3},
}

// The plan decides every row once, and its counts are what Run then does:
// problems and carried rows never reach the wiki, the rest are created (or,
// without a wiki, predicted without a single request).
func TestPlanDecidesEachRowOnce(t *testing.T) {
	tests := []struct {
		name        string
		offline     bool
		wantRows    []string
		wantCreated []string
	}{
		{
			name: "run",
			wantRows: []string{
				"2:Alice:Alice:created:",
				"3:Bad#Name::invalid:forbidden-character",
				"4:maria_garcia:Maria garcia:created:",
				"5:Maria garcia:Maria garcia:duplicate:duplicate",
				"6:NoMail:NoMail:invalid:missing-email",
				"7:bob:Bob:created:", // carried over, moved to this line
				"8:Carol:Carol:created:",
			},
			wantCreated: []string{"Alice", "Maria garcia", "Carol"},
		},
		{
			name:    "offline dry run",
			offline: true,
			wantRows: []string{
				"2:Alice:Alice:would-create:",
				"3:Bad#Name::invalid:forbidden-character",
				"4:maria_garcia:Maria garcia:would-create:",
				"5:Maria garcia:Maria garcia:duplicate:duplicate",
				"6:NoMail:NoMail:invalid:missing-email",
				"7:bob:Bob:created:",
				"8:Carol:Carol:would-create:",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, api, requests := watchedWiki(t)
			plan, err := ReadPlan(context.Background(), sheet.Stream(strings.NewReader(mixedSheet)),
				PlanOptions{MailPassword: true, Offline: tt.offline, Previous: &report.Previous{Rows: mixedPrevious}})
			if err != nil {
				t.Fatal(err)
			}
			if want := (PlanCounts{Rows: 7, ToCreate: 3, Carried: 1}); plan.Counts != want {
				t.Errorf("counts %+v, want %+v", plan.Counts, want)
			}
			if plan.Previous() == nil {
				t.Error("a plan with previous results does not say it resumes")
			}
			rows, err := runPlan(t, api, plan, tt.offline)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(rows); !slices.Equal(got, tt.wantRows) {
				t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantRows, "\n"))
			}
			if got := created(f); !slices.Equal(got, tt.wantCreated) {
				t.Errorf("the wiki created %q, want %q", got, tt.wantCreated)
			}
			if n := createRequests(f); n != len(tt.wantCreated) {
				t.Errorf("%d createaccount requests, want %d (one per row sent)", n, len(tt.wantCreated))
			}
			if tt.offline && requests.Load() != 0 {
				t.Errorf("a dry run without a wiki sent %d requests", requests.Load())
			}
			// The carried row is the earlier run's, at this sheet's line.
			if carried := rows[5]; carried.Attempts != 1 || carried.Line != 7 || carried.Username != "bob" {
				t.Errorf("carried row %+v, want the earlier row (1 attempt) at line 7 as written here", carried)
			}
		})
	}
}

// The plan reports the sheet's header as written, the columns it does not
// read, and whether the sheet brings its own passwords.
func TestPlanDescribesTheHeader(t *testing.T) {
	tests := []struct {
		sheet        string
		wantHeader   []string
		wantIgnored  []string
		wantPassword bool
	}{
		{"username,email\nAlice,a@example.org\n", []string{"username", "email"}, nil, false},
		{"User Name;E-Mail;Team;Password\nAlice;a@example.org;red;secret-secret\n",
			[]string{"User Name", "E-Mail", "Team", "Password"}, []string{"Team"}, true},
		{"login,initial password,shirt size\nAlice,secret-secret,M\n",
			[]string{"login", "initial password", "shirt size"}, []string{"shirt size"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.wantHeader[0], func(t *testing.T) {
			plan, err := ReadPlan(context.Background(), sheet.Stream(strings.NewReader(tt.sheet)), PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(plan.Ignored, tt.wantIgnored) || plan.HasPassword != tt.wantPassword {
				t.Errorf("ignored %q password %v, want %q %v", plan.Ignored, plan.HasPassword, tt.wantIgnored, tt.wantPassword)
			}
			if plan.Previous() != nil {
				t.Error("a plan without previous results says it resumes")
			}
		})
	}
}

// A sheet that is not a regular file — a reader in memory, a pipe between
// goroutines, an operating-system pipe as in `mwprovision run <(…)` — is
// planned and then run from the copy the plan kept.
func TestPlanReadsAPipe(t *testing.T) {
	data := sheetOf("Alice", "Bob", "Carol")
	tests := []struct {
		name string
		open func(t *testing.T) io.Reader
	}{
		{"strings.Reader", func(*testing.T) io.Reader { return strings.NewReader(data) }},
		{"io.Pipe", func(*testing.T) io.Reader {
			r, w := io.Pipe()
			go func() { w.CloseWithError(writeSlowly(w, data)) }()
			return r
		}},
		{"os.Pipe", func(t *testing.T) io.Reader {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			go func() {
				writeSlowly(w, data)
				w.Close()
			}()
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, api, _ := watchedWiki(t)
			plan, err := ReadPlan(context.Background(), sheet.Stream(tt.open(t)), PlanOptions{MailPassword: true})
			if err != nil {
				t.Fatal(err)
			}
			if want := (PlanCounts{Rows: 3, ToCreate: 3}); plan.Counts != want {
				t.Errorf("counts %+v, want %+v", plan.Counts, want)
			}
			rows, err := runPlan(t, api, plan, false)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := statuses(rows), "2:Alice:created 3:Bob:created 4:Carol:created"; got != want {
				t.Errorf("statuses %q, want %q", got, want)
			}
			if got, want := created(f), []string{"Alice", "Bob", "Carol"}; !slices.Equal(got, want) {
				t.Errorf("the wiki created %q, want %q", got, want)
			}
		})
	}
}

// writeSlowly writes s a few bytes at a time, so that the reader gets it in
// several reads, as from a real pipe.
func writeSlowly(w io.Writer, s string) error {
	for len(s) > 0 {
		n := min(len(s), 7)
		if _, err := io.WriteString(w, s[:n]); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}

// A sheet written in place after the plan read it (and the user confirmed
// the plan) is refused before anything is sent or recorded.
func TestRunRefusesASheetChangedAfterThePlan(t *testing.T) {
	small := sheetOf("Alice", "Bob", "Carol")
	// A sheet of three blocks changed in its last: the run must not send
	// the rows of the blocks before it either.
	large := string(wholeRows(2*sheet.SnapshotBlock + 100))
	tests := []struct {
		name    string
		sheet   string
		changed string
	}{
		{"same size", small, strings.ReplaceAll(small, "arol", "aryl")},
		{"one byte", small, strings.Replace(small, "Bob,", "Rob,", 1)},
		{"longer", small, small + "Dave,dave@example.org\n"},
		{"a final blank line", small, small + "\n"},
		{"shorter", small, sheetOf("Alice", "Bob")},
		{"empty", small, ""},
		{"the last block of a large sheet", large, large[:len(large)-3] + "RG\n"},
		{"a large sheet, longer", large, large + "Dave,dave@example.org\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.changed == tt.sheet || strings.Contains(tt.name, "same size") && len(tt.changed) != len(tt.sheet) {
				t.Fatalf("the changed sheet (%d bytes, the sheet %d) is not what the case says", len(tt.changed), len(tt.sheet))
			}
			f, api, requests := watchedWiki(t)
			path, in := openSheet(t, tt.sheet)
			plan, err := ReadPlan(context.Background(), in, PlanOptions{MailPassword: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.changed), 0o600); err != nil {
				t.Fatal(err)
			}
			rows, err := runPlan(t, api, plan, false)
			if !errors.Is(err, sheet.ErrSheetChanged) {
				t.Errorf("Run error = %v, want ErrSheetChanged", err)
			}
			if n := requests.Load(); n != 0 || len(created(f)) != 0 {
				t.Errorf("%d requests reached the wiki, which created %q", n, created(f))
			}
			if len(rows) != 0 {
				t.Errorf("%d results rows written: %v", len(rows), describe(rows))
			}
		})
	}
}

// An editor or a sync client that saves by writing a new file and renaming
// it over the sheet leaves the planned contents behind the open descriptor:
// the run creates the rows the plan showed, not the new ones.
func TestRunReadsTheBytesThePlanRead(t *testing.T) {
	f, api, _ := watchedWiki(t)
	path, in := openSheet(t, sheetOf("Alice", "Bob"))
	plan, err := ReadPlan(context.Background(), in, PlanOptions{MailPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	saved := path + ".tmp"
	if err := os.WriteFile(saved, []byte(sheetOf("Mallory", "Trent", "Eve")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(saved, path); err != nil {
		if runtime.GOOS != "windows" {
			t.Fatal(err)
		}
		// Windows replaces no file that is open: the editor's save fails,
		// and the run still creates the rows the plan showed.
		t.Logf("the save over the open sheet: %v", err)
	}
	rows, err := runPlan(t, api, plan, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(rows), "2:Alice:created 3:Bob:created"; got != want {
		t.Errorf("statuses %q, want %q", got, want)
	}
	if got, want := created(f), []string{"Alice", "Bob"}; !slices.Equal(got, want) {
		t.Errorf("the wiki created %q, want %q", got, want)
	}
}

// endlessSheet is a sheet that never ends; it calls onRead before each read.
type endlessSheet struct {
	header bool
	row    int
	onRead func()
}

func (e *endlessSheet) Read(p []byte) (int, error) {
	e.onRead()
	if !e.header {
		e.header = true
		return copy(p, "username,email\n"), nil
	}
	e.row++
	return copy(p, fmt.Sprintf("User%d,user%d@example.org\n", e.row, e.row)), nil
}

// A cancelled context stops the plan's read: before it starts, and in the
// middle of a sheet that would otherwise never end.
func TestReadPlanStopsWhenCancelled(t *testing.T) {
	tests := []struct {
		name string
		in   func(cancel context.CancelFunc) io.Reader
	}{
		{"cancelled before", func(cancel context.CancelFunc) io.Reader {
			cancel()
			return strings.NewReader(sheetOf("Alice", "Bob"))
		}},
		{"cancelled while reading", func(cancel context.CancelFunc) io.Reader {
			reads := 0
			return &endlessSheet{onRead: func() {
				if reads++; reads == 1000 {
					cancel()
				}
			}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			plan, err := ReadPlan(ctx, sheet.Stream(tt.in(cancel)), PlanOptions{MailPassword: true})
			if !errors.Is(err, context.Canceled) || plan != nil {
				t.Errorf("ReadPlan = %v, %v; want no plan and context.Canceled", plan, err)
			}
		})
	}
}

// A row an earlier run created stays carried over when the sheet now lacks
// a field (the email, removed since): the account exists, and the row
// still matches it.
func TestPlanCarriesARowWhoseFieldWentMissing(t *testing.T) {
	previous := &report.Previous{Rows: map[string]report.Row{"Ana": {Canonical: "Ana", Status: report.Created}}}
	p, err := ReadPlan(context.Background(), sheet.Stream(strings.NewReader("username,email\nana,\nana,again@example.org\n")),
		PlanOptions{MailPassword: true, Previous: previous})
	if err != nil {
		t.Fatal(err)
	}
	if p.Counts != (PlanCounts{Rows: 2, Carried: 1}) {
		t.Errorf("counts %+v, want the first row carried, the second a duplicate, none unmatched", p.Counts)
	}
}
