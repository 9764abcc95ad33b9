package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/report"
	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// From the 4th request on, the wiki refuses every row because the creator's
// IP address is autoblocked: the run stops at the first refusal. Only the
// requests already in flight (at most one a worker) meet it; the rows not
// decided end pending with the code, and no row is failed for it.
func TestEngineStopsAtCreatorRefusal(t *testing.T) {
	const workers = 3
	var sent, refused atomic.Int32
	_, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		if sent.Add(1) <= 3 {
			return pass(name)
		}
		refused.Add(1)
		return 200, `{"createaccount":{"status":"FAIL","message":{"key":"autoblockedtext","params":["Admin","spam"]},"messagecode":"autoblocked"}}`, false
	})
	var names []string
	for i := 0; i < 20; i++ {
		names = append(names, fmt.Sprintf("User%02d", i))
	}
	r := runEngine(t, srv.URL, Config{Workers: workers}, sheetOf(names...))
	var ce *CreatorError
	if !errors.As(r.err, &ce) || ce.Trouble != classify.TroubleBlocked || ce.Code != "autoblocked" || !errors.Is(r.err, pacer.ErrStopped) {
		t.Fatalf("Run() error %v, want a *CreatorError for the autoblock", r.err)
	}
	if n := refused.Load(); n < 1 || n > workers {
		t.Errorf("%d requests refused, want 1..%d (those in flight)", n, workers)
	}
	if len(r.rows) != 20 {
		t.Fatalf("%d rows, want 20", len(r.rows))
	}
	counts := map[report.Status]int{}
	for _, row := range r.rows {
		counts[row.Status]++
		if row.Status == report.Pending && (row.Code != "autoblocked" || !strings.Contains(row.Message, "blocked")) {
			t.Errorf("pending row %+v, want code autoblocked and the cause", row)
		}
	}
	if counts[report.Created] != 3 || counts[report.Pending] != 17 {
		t.Errorf("statuses %s, want 3 created and 17 pending", statuses(r.rows))
	}
	if n := strings.Count(r.log, `"msg":"halt"`); n != 1 {
		t.Errorf("the log says halt %d times, want once", n)
	}
}

// A refusal code mwprovision does not know fails its row, as it may be
// about the name; five rows in a row refused with the same one stop the
// run. Another answer in between starts the count again.
func TestEngineStopsAfterRepeatedUnexplainedRefusals(t *testing.T) {
	var sent atomic.Int32
	_, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		sent.Add(1)
		switch {
		case name == "Fine":
			return pass(name)
		case name == "Odd":
			return fail("abusefilter-disallowed")
		}
		return fail("mysterious-refusal")
	})
	names := []string{"Odd", "Odd2", "Fine"}
	for i := 0; i < 10; i++ {
		names = append(names, fmt.Sprintf("Late%02d", i))
	}
	r := runEngine(t, srv.URL, Config{Workers: 1}, sheetOf(names...))
	var ce *CreatorError
	if !errors.As(r.err, &ce) || ce.Trouble != classify.TroubleRepeated || !strings.HasPrefix(ce.Error(), fmt.Sprintf("%d rows in a row", haltAfterUnexplained)) || ce.Code != "mysterious-refusal" {
		t.Fatalf("Run() error %v, want a *CreatorError for %d rows in a row", r.err, haltAfterUnexplained)
	}
	want := "2:Odd:failed 3:Odd2:failed 4:Fine:created 5:Late00:failed 6:Late01:failed 7:Late02:failed 8:Late03:failed 9:Late04:failed " +
		"10:Late05:pending 11:Late06:pending 12:Late07:pending 13:Late08:pending 14:Late09:pending"
	if got := statuses(r.rows); got != want {
		t.Errorf("statuses\n %s\nwant\n %s", got, want)
	}
	if n := sent.Load(); n != 3+haltAfterUnexplained {
		t.Errorf("%d requests sent, want %d", n, 3+haltAfterUnexplained)
	}
	if got := r.rows[len(r.rows)-1]; got.Code != "mysterious-refusal" {
		t.Errorf("pending row code %q, want the refusal's", got.Code)
	}
}

// Another worker's refusal halts the run while this worker logs in: once
// logged in, it sends nothing, and its row ends pending with the cause.
func TestNoRequestAfterAHaltDuringALogin(t *testing.T) {
	var sent atomic.Int32
	f, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		sent.Add(1)
		return pass(name)
	})
	e := New(Config{API: srv.URL, User: "Owner@bulk", Password: "canarybotpassword0123456789abcdefg", Workers: 1,
		Rate: rate.Inf, MaxWait: time.Minute, MaxAttempts: 3, MailPassword: true}, Deps{Log: zap.NewNop()})
	halt := &CreatorError{Trouble: classify.TroubleCaptcha, Code: "captcha-createaccount-fail", Message: "the wiki asks for a CAPTCHA", Line: 9}
	f.beforeLogin = func(int) { e.pacer.Halt(halt) }
	sink := &memSink{}
	_, err := e.Run(context.Background(), planOf(t, sheetOf("Late1", "Late2")), owner, sink)
	if !errors.Is(err, halt) {
		t.Fatalf("Run() error %v, want the halt", err)
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d createaccount requests after the halt, want none", n)
	}
	if got := statuses(sink.rows); got != "2:Late1:pending 3:Late2:pending" {
		t.Errorf("statuses %q, want both pending", got)
	}
	for _, row := range sink.rows {
		if row.Code != "captcha-createaccount-fail" {
			t.Errorf("line %d: code %q, want the halt's", row.Line, row.Code)
		}
	}
}

// The wiki answers every createaccount with the same error of its own (an
// exception, or HTTP 500): it is broken, not busy, and backing off until
// the limit on waiting would only wait. The run stops after a few answers
// in a row, without failing a row for it: the rows not decided end
// pending, noting that the account may exist (the error may have come
// after the wiki stored it).
func TestEngineStopsWhenTheWikiFailsTheSameWayAgain(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		status     int
		body       string
	}{
		{"exception", "internal_api_error_DBQueryError", 200,
			`{"error":{"code":"internal_api_error_DBQueryError","info":"[%d] Exception caught: A database query error has occurred."}}`},
		{"http-500", "http-500", 500, `<html><body>Internal error %d</body></html>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent atomic.Int32
			_, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
				n := sent.Add(1)
				if name == "Fine" {
					return pass(name)
				}
				return tc.status, fmt.Sprintf(tc.body, n), false
			})
			names := []string{"Fine"}
			for i := 0; i < 6; i++ {
				names = append(names, fmt.Sprintf("Late%02d", i))
			}
			// The wait allowed is short: it is not what stops the run.
			r := runEngine(t, srv.URL, Config{Workers: 1, MaxAttempts: 5, MaxWait: 2 * time.Second}, sheetOf(names...))
			var ce *CreatorError
			if !errors.As(r.err, &ce) || ce.Trouble != classify.TroubleServer || ce.Code != tc.code || !errors.Is(r.err, pacer.ErrStopped) {
				t.Fatalf("Run() error %v, want a *CreatorError for the wiki's repeated %s", r.err, tc.code)
			}
			if want := "2:Fine:created 3:Late00:pending 4:Late01:pending 5:Late02:pending 6:Late03:pending 7:Late04:pending 8:Late05:pending"; statuses(r.rows) != want {
				t.Errorf("statuses\n %s\nwant\n %s", statuses(r.rows), want)
			}
			if n := sent.Load(); n != 1+haltAfterFaults {
				t.Errorf("%d requests sent, want %d", n, 1+haltAfterFaults)
			}
			for _, row := range r.rows[1:] {
				if row.Code != tc.code {
					t.Errorf("line %d: code %q, want %q", row.Line, row.Code, tc.code)
				}
			}
			if got := r.rows[1]; got.Attempts != haltAfterFaults || !strings.Contains(got.Message, "may have created") {
				t.Errorf("the row that met the errors: %d attempts, %q; want %d and that the account may exist", got.Attempts, got.Message, haltAfterFaults)
			}
			if !strings.Contains(ce.Error(), fmt.Sprintf("%d requests in a row", haltAfterFaults)) {
				t.Errorf("Error() = %q, want it to say how many requests met the error", ce.Error())
			}
			if n := strings.Count(r.log, `"msg":"halt"`); n != 1 {
				t.Errorf("the log says halt %d times, want once", n)
			}
		})
	}
}

// A server error now and then is retried as before: another answer in
// between starts the count again, and the run creates every account.
func TestEngineRetriesServerErrorsBetweenAnswers(t *testing.T) {
	var sent atomic.Int32
	_, srv := newFakeWiki(t, func(name string, attempt int) (int, string, bool) {
		sent.Add(1)
		if attempt <= 2 {
			return 200, `{"error":{"code":"internal_api_error_DBQueryError","info":"Exception caught"}}`, false
		}
		return pass(name)
	})
	var names []string
	for i := 0; i < 6; i++ {
		names = append(names, fmt.Sprintf("User%02d", i))
	}
	r := runEngine(t, srv.URL, Config{Workers: 1, MaxAttempts: 5, MaxWait: time.Hour}, sheetOf(names...))
	if r.err != nil {
		t.Fatalf("Run() error %v", r.err)
	}
	for _, row := range r.rows {
		if row.Status != report.Created {
			t.Errorf("line %d: %s (%s), want created", row.Line, row.Status, row.Message)
		}
	}
}

// throttleHit is MediaWiki's answer when its per-IP account creation
// throttle refuses (1.39's, with Wikimedia's limit: 6 a day).
const throttleHit = `{"createaccount":{"status":"FAIL","message":{"key":"acct_creation_throttle_hit","params":[6,{"duration":86400}]},"messagecode":"acct_creation_throttle_hit","canpreservestate":false}}`

// The wiki's per-IP throttle refuses a creator that the pre-flight found
// holding noratelimit, which MediaWiki exempts from it: the window (a day
// here) is not the cause, so the run stops at once instead of waiting,
// the rows not decided pending with the wiki's code, and the stop names
// the creator and its right. A creator without noratelimit still waits
// for the window, within the limit on waiting.
func TestEngineStopsWhenAnExemptCreatorIsThrottled(t *testing.T) {
	var names []string
	for i := 0; i < 8; i++ {
		names = append(names, fmt.Sprintf("User%02d", i))
	}
	wiki := func(sent *atomic.Int32) string {
		_, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
			if sent.Add(1) <= 3 {
				return pass(name)
			}
			return 200, throttleHit, false
		})
		return srv.URL
	}

	t.Run("exempt", func(t *testing.T) {
		var sent atomic.Int32
		start := time.Now()
		// A wait would last a day: the limit on waiting allows it.
		r := runEngineAs(t, wiki(&sent), Config{Workers: 1, MaxWait: 48 * time.Hour}, sheetOf(names...),
			&Creator{Name: "Owner", NoRateLimit: true})
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("the run took %s: it waited", took)
		}
		var ce *CreatorError
		if !errors.As(r.err, &ce) || ce.Trouble != classify.TroubleExempt || ce.Code != "acct_creation_throttle_hit" || !errors.Is(r.err, pacer.ErrStopped) {
			t.Fatalf("Run() error %v, want a *CreatorError for a throttled exempt creator", r.err)
		}
		if msg := ce.Error(); !strings.Contains(msg, "refused Owner, which holds noratelimit") || ce.Line != 5 {
			t.Errorf("Error() = %q (line %d), want it to name the creator and noratelimit, and line 5", msg, ce.Line)
		}
		want := "2:User00:created 3:User01:created 4:User02:created 5:User03:pending 6:User04:pending 7:User05:pending 8:User06:pending 9:User07:pending"
		if got := statuses(r.rows); got != want {
			t.Errorf("statuses\n %s\nwant\n %s", got, want)
		}
		for _, row := range r.rows[3:] {
			if row.Code != "acct_creation_throttle_hit" || !strings.Contains(row.Message, "noratelimit") {
				t.Errorf("line %d: %q %q, want the wiki's code and the cause", row.Line, row.Code, row.Message)
			}
		}
		if n := sent.Load(); n != 4 {
			t.Errorf("%d createaccount requests, want 4: none after the refusal", n)
		}
		if strings.Contains(r.log, `"msg":"pause"`) || strings.Count(r.log, `"msg":"halt"`) != 1 {
			t.Errorf("the log pauses, or does not halt once:\n%s", r.log)
		}
	})

	t.Run("not exempt", func(t *testing.T) {
		var sent atomic.Int32
		r := runEngineAs(t, wiki(&sent), Config{Workers: 1, MaxWait: time.Hour}, sheetOf(names...), &Creator{Name: "Owner"})
		var wl *pacer.WaitLimitError
		if !errors.As(r.err, &wl) || !strings.Contains(wl.Why, "wiki throttle: 6 per 24h0m0s") {
			t.Fatalf("Run() error %v, want the day's window to pass the limit on waiting", r.err)
		}
		for _, row := range r.rows[3:] {
			if row.Status != report.Pending || row.Code != "pending" {
				t.Errorf("line %d: %s %q, want pending at the limit on waiting", row.Line, row.Status, row.Code)
			}
		}
	})
}

// Five in a row means five of the same code: a streak of one code that
// gives way to another starts the count again from the other's first
// answer — A A A A B B B B is no reason to stop, a fifth B is.
func TestStreakStartsAgainWhenTheCodeChanges(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    *streak
		of   func(code string) classify.Outcome
	}{
		{"unexplained", unexplained(), func(code string) classify.Outcome { return classify.Outcome{Code: code, Unexplained: true} }},
		{"faults", faults(), func(code string) classify.Outcome { return classify.Outcome{Code: code, ServerError: true} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codes := []string{"code-a", "code-a", "code-a", "code-a", "code-b", "code-b", "code-b", "code-b"}
			for i, code := range codes {
				if ce := tc.s.note(tc.of(code), i+2); ce != nil {
					t.Fatalf("answer %d (%s, after %q) stopped the run: %v; want no stop before five of one code in a row", i+1, code, codes[:i], ce)
				}
			}
			ce := tc.s.note(tc.of("code-b"), len(codes)+2)
			if ce == nil || ce.Code != "code-b" || ce.Line != len(codes)+2 {
				t.Errorf("the fifth code-b in a row: %v, want the stop for code-b at line %d", ce, len(codes)+2)
			}
		})
	}
}

// The engine counts the same way: rows refused with one unknown code,
// then with another, four each, are failed rows, not a stop.
func TestEngineDoesNotStopForFourOfOneCodeThenAnother(t *testing.T) {
	_, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		if strings.HasPrefix(name, "A") {
			return fail("mysterious-refusal-a")
		}
		return fail("mysterious-refusal-b")
	})
	r := runEngine(t, srv.URL, Config{Workers: 1}, sheetOf("A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"))
	if r.err != nil {
		t.Fatalf("Run() error %v, want none: no code refused five rows in a row", r.err)
	}
	want := "2:A1:failed 3:A2:failed 4:A3:failed 5:A4:failed 6:B1:failed 7:B2:failed 8:B3:failed 9:B4:failed"
	if got := statuses(r.rows); got != want {
		t.Errorf("statuses\n %s\nwant\n %s", got, want)
	}
}

// rateWaitClock is the system clock, but for the waits for the steady
// rate (one an hour): the first passes at once, moving the clock an hour
// on; every later one says it began (on blocked) and lasts until it is
// woken.
type rateWaitClock struct {
	blocked chan struct{}

	mu     sync.Mutex
	offset time.Duration
	long   int
}

func (c *rateWaitClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *rateWaitClock) Sleep(ctx context.Context, d time.Duration) error {
	if d < 30*time.Minute {
		return pacer.SystemClock{}.Sleep(ctx, d)
	}
	c.mu.Lock()
	c.long++
	first := c.long == 1
	if first {
		c.offset += d
	}
	c.mu.Unlock()
	if first {
		return ctx.Err()
	}
	select {
	case c.blocked <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

// A worker that waits for the steady rate, logged in and ready to send,
// when another worker's row meets a refusal about the creator wakes to
// the halt and sends nothing. No pause is in force that would hold the
// woken worker back anyway, and it needs no login that would look again:
// the halt alone must stop it.
//
// Two workers, one request an hour: one sends the first row, whose answer
// waits; the other waits its hour at once (the clock moves on), sends the
// second row, created, and waits for the rate again. Then the first row's
// answer is a CAPTCHA.
func TestNoRequestAfterAHaltFromAWorkerWaitingForTheRate(t *testing.T) {
	clock := &rateWaitClock{blocked: make(chan struct{}, 1)}
	var sent atomic.Int32
	_, srv := newFakeWiki(t, func(name string, _ int) (int, string, bool) {
		if sent.Add(1) > 1 {
			return pass(name)
		}
		select {
		case <-clock.blocked:
		case <-time.After(10 * time.Second):
			t.Errorf("no worker waited for the rate again while %s's request was in flight", name)
		}
		return fail("captcha-createaccount-fail")
	})
	e := New(Config{API: srv.URL, User: "Owner@bulk", Password: "canarybotpassword0123456789abcdefg", Workers: 2,
		Rate: rate.Every(time.Hour), MaxWait: time.Minute, MaxAttempts: 3, MailPassword: true}, Deps{Log: zap.NewNop(), Clock: clock})
	sink := &memSink{}
	done := make(chan error, 1)
	go func() {
		_, err := e.Run(context.Background(), planOf(t, sheetOf("First", "Second", "Third", "Fourth")), owner, sink)
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the run did not end 10 s after it began (%d requests sent): a worker still waits for the rate after the halt", sent.Load())
	}
	var ce *CreatorError
	if !errors.As(err, &ce) || ce.Trouble != classify.TroubleCaptcha {
		t.Fatalf("Run() error %v, want the CAPTCHA halt", err)
	}
	if n := sent.Load(); n != 2 {
		t.Errorf("%d createaccount requests, want 2: none after the halt", n)
	}
	var created, pending int
	for _, r := range sink.rows {
		switch r.Status {
		case report.Created:
			created++
		case report.Pending:
			pending++
		}
	}
	if created != 1 || pending != 3 {
		t.Errorf("statuses %q, want one created and the others pending", statuses(sink.rows))
	}
}
