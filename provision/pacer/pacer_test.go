package pacer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.5, 750 * time.Millisecond},
		{2, 0, time.Second},
		{3, 0, 2 * time.Second},
		{6, 0, 16 * time.Second},
		{7, 0, 30 * time.Second}, // 64 s capped to 60, halved by jitter 0
		{50, 0.5, 45 * time.Second},
	}
	for _, tt := range tests {
		if got := scaledBackoff(backoffBase, tt.n, tt.jitter); got != tt.want {
			t.Errorf("scaledBackoff(%s, %d, %v) = %s, want %s", backoffBase, tt.n, tt.jitter, got, tt.want)
		}
	}
}

func TestThrottleResume(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	window := 20 * time.Second
	tests := []struct {
		name        string
		windowStart time.Time
		hit         time.Time
		want        time.Time
	}{
		{"window began at our first counted attempt", t0, t0.Add(2 * time.Second), t0.Add(21*time.Second + throttleMargin)},
		{"no counted attempt of ours: a whole window from the hit", time.Time{}, t0.Add(5 * time.Second), t0.Add(26*time.Second + throttleMargin)},
		{"our window already over: someone else's window", t0, t0.Add(30 * time.Second), t0.Add(51*time.Second + throttleMargin)},
	}
	for _, tt := range tests {
		if got := throttleResume(tt.windowStart, tt.hit, window); !got.Equal(tt.want) {
			t.Errorf("%s: throttleResume = %s, want %s", tt.name, got.Sub(t0), tt.want.Sub(t0))
		}
	}
}

// pauseLog records what a pacer reports.
type pauseLog struct {
	mu     sync.Mutex
	pauses []Pause
}

func (l *pauseLog) add(p Pause) {
	l.mu.Lock()
	l.pauses = append(l.pauses, p)
	l.mu.Unlock()
}

func (l *pauseLog) all() []Pause {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Pause(nil), l.pauses...)
}

func newTestPacer(maxWait time.Duration, clock Clock) (*Pacer, *pauseLog) {
	l := &pauseLog{}
	return New(rate.Inf, maxWait, clock, zap.NewNop(), l.add), l
}

// The window the wiki refused in is full: it began with the earliest of
// our last count counted answers — not with an older answer from a window
// that already ended. The pause tells the reporter the wiki's window.
func TestPacerResumesFromTheFullWindow(t *testing.T) {
	clock := newHandClock()
	t0 := clock.Now()
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	tests := []struct {
		name    string
		counted []float64
		hit     float64
		want    float64 // resume, seconds after t0, before the margin
	}{
		{"our three attempts filled the window", []float64{0.5, 0.1, 0.9}, 1.2, 0.1 + 21},
		{"an answer from the previous window is not the start", []float64{-1, 21.5, 22.5, 23.5}, 24.5, 21.5 + 21},
		{"fewer of ours than the window holds: a whole window from the hit", []float64{3, 4}, 5, 5 + 21},
		{"our window is long over: someone else filled this one", []float64{0, 1, 2}, 40, 40 + 21},
	}
	for _, tt := range tests {
		p, reported := newTestPacer(time.Hour, clock)
		for _, c := range tt.counted {
			p.Counted(at(c))
		}
		if err := p.Throttled(3, 20*time.Second, at(tt.hit)); err != nil {
			t.Fatal(err)
		}
		want := Pause{Until: at(tt.want).Add(throttleMargin), Why: "wiki throttle: 3 per 20s for this IP", Throttle: ThrottleWindow{3, 20 * time.Second}}
		if got := reported.all(); len(got) != 1 || got[0] != want {
			t.Errorf("%s: reported %+v, want %+v (resume at +%.2fs)", tt.name, got, want, want.Until.Sub(t0).Seconds())
		}
	}
}

// Pauses without a server hint grow: a wiki answering 503 again and again is
// not asked once a second for the whole --max-wait.
func TestPausesWithoutHintBackOff(t *testing.T) {
	clock := newHandClock()
	p, reported := newTestPacer(time.Hour, clock)
	var last time.Duration
	for i := 1; i <= 5; i++ {
		before := clock.Now()
		if err := p.Pause(0, "http-503"); err != nil {
			t.Fatal(err)
		}
		pauses := reported.all()
		d := pauses[len(pauses)-1].Until.Sub(before)
		if i > 2 && d <= last {
			t.Errorf("pause %d lasts %s, not longer than the one before (%s)", i, d, last)
		}
		last = d
		clock.Advance(d) // waited out; no Success between: nothing decided
	}
}

// One worker's pause holds back every worker (rclone's TestCallParallel
// idea), on the real clock.
func TestThrottlePausesAllWorkers(t *testing.T) {
	p, reported := newTestPacer(time.Minute, SystemClock{})
	if err := p.Pause(300*time.Millisecond, "test"); err != nil {
		t.Fatal(err)
	}
	until := reported.all()[0].Until
	var wg sync.WaitGroup
	released := make([]time.Time, 8)
	for i := range released {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := p.Wait(context.Background(), true); err != nil {
				t.Error(err)
			}
			released[i] = time.Now()
		}(i)
	}
	waitGroupWithin(t, &wg, "every worker to pass the pause")
	for i, r := range released {
		if r.Before(until) {
			t.Errorf("worker %d sent %s before the pause ended", i, until.Sub(r))
		}
	}
	if n := len(reported.all()); n != 1 {
		t.Errorf("reporter saw %d pauses, want 1", n)
	}
}

// Overlapping pauses are waited and counted once: a shorter pause inside
// the one in force changes nothing and is not reported; a longer one adds
// only what lies beyond; a pause after the last one ended is a new pause.
func TestOverlappingPausesCountOnce(t *testing.T) {
	clock := newHandClock()
	t0 := clock.Now()
	p, reported := newTestPacer(time.Hour, clock)
	steps := []struct {
		at       time.Duration // when the pause is asked for, after t0
		pause    time.Duration
		until    time.Duration // the shared pause ends then, after t0
		waited   time.Duration
		reported int
	}{
		{0, 300 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond, 1},
		{100 * time.Millisecond, time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond, 1}, // inside: nothing
		{100 * time.Millisecond, 500 * time.Millisecond, 600 * time.Millisecond, 600 * time.Millisecond, 2},
		{700 * time.Millisecond, time.Millisecond, 701 * time.Millisecond, 601 * time.Millisecond, 3}, // the last one ended
	}
	for i, s := range steps {
		clock.Advance(t0.Add(s.at).Sub(clock.Now()))
		if err := p.Pause(s.pause, "step"); err != nil {
			t.Fatal(err)
		}
		p.mu.Lock()
		until, waited := p.until.Sub(t0), p.waited
		p.mu.Unlock()
		if until != s.until || waited != s.waited || len(reported.all()) != s.reported {
			t.Errorf("step %d: pause until +%s, waited %s, %d reported; want +%s, %s, %d",
				i, until, waited, len(reported.all()), s.until, s.waited, s.reported)
		}
	}
}

func TestPauseBeyondMaxWaitStops(t *testing.T) {
	clock := newHandClock()
	p, _ := newTestPacer(time.Second, clock)
	if err := p.Pause(600*time.Millisecond, "first"); err != nil {
		t.Fatal(err)
	}
	err := p.Throttled(6, 24*time.Hour, clock.Now())
	var wl *WaitLimitError
	if !errors.As(err, &wl) {
		t.Fatalf("Throttled over budget: err = %v, want a *WaitLimitError", err)
	}
	want := WaitLimitError{Why: "wiki throttle: 6 per 24h0m0s for this IP", More: 24*time.Hour + time.Second + throttleMargin,
		Waited: 600 * time.Millisecond, Limit: time.Second}
	if *wl != want {
		t.Errorf("stop = %+v, want %+v", *wl, want)
	}
	if got := wl.Explain("--max-wait 1s"); got != "stopped waiting: wiki throttle: 6 per 24h0m0s for this IP asks for 24h0m1s more (after 1s of waiting), which would pass --max-wait 1s" {
		t.Errorf("Explain = %q", got)
	}
	if err := p.Wait(context.Background(), true); !errors.As(err, &wl) {
		t.Errorf("Wait after stop = %v, want the *WaitLimitError", err)
	}
	if p.Stopped() == nil {
		t.Error("Stopped() = nil after stop")
	}
}

func TestWaitHonoursContext(t *testing.T) {
	p, _ := newTestPacer(time.Hour, SystemClock{})
	if err := p.Pause(time.Hour-time.Minute, "long"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait = %v, want the context's error", err)
	}
}

// The steady rate is kept on the pacer's clock: ten requests at 2/s take
// 4.5 s of that clock (the first goes at once).
func TestWaitKeepsTheSteadyRate(t *testing.T) {
	clock := newHandClock()
	p := New(2, time.Hour, clock, zap.NewNop(), func(Pause) {})
	if got := waitTimes(t, p, clock, 10, true); got != 4500*time.Millisecond {
		t.Errorf("ten requests at 2/s took %s, want 4.5s", got)
	}
}

// The ring of counted answers wraps: after thousands of creations the
// window is still taken from the latest count answers.
func TestPacerCountedRingWraps(t *testing.T) {
	clock := newHandClock()
	p, reported := newTestPacer(time.Hour, clock)
	t0 := clock.Now().Add(-time.Duration(3*maxCountedKept+4) * time.Second)
	for i := 0; i < 3*maxCountedKept+5; i++ {
		p.Counted(t0.Add(time.Duration(i) * time.Second))
	}
	last := t0.Add(time.Duration(3*maxCountedKept+4) * time.Second)
	if err := p.Throttled(3, 20*time.Second, last.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if want, got := last.Add(-2*time.Second+21*time.Second+throttleMargin), reported.all()[0].Until; !got.Equal(want) {
		t.Errorf("resume %s after the last answer, want %s", got.Sub(last), want.Sub(last))
	}
}

// Reads are not paced by the steady rate, which is the rate of creations;
// a pause the wiki asked for holds them all the same.
func TestReadsWaitForPausesButNotForTheRate(t *testing.T) {
	clock := newHandClock()
	t0 := clock.Now()
	p := New(2, time.Hour, clock, zap.NewNop(), func(Pause) {})
	if got := waitTimes(t, p, clock, 10, false); got != 0 {
		t.Errorf("ten reads at a rate of 2/s waited %s, want none", got)
	}
	if err := p.Pause(3*time.Second, "maxlag"); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(context.Background(), false); err != nil || clock.Now().Sub(t0) != 3*time.Second {
		t.Errorf("a read during a 3s pause went at +%s (%v)", clock.Now().Sub(t0), err)
	}
}

// A halt wakes the workers waiting in a shared pause at once, and those
// waiting for the rate: a run that stopped must not sit out the wiki's
// throttle window (which may be a day) before it ends.
func TestHaltWakesTheWaitingWorkers(t *testing.T) {
	clock := sleepSignal{sleeping: make(chan time.Duration, 8)}
	p := New(rate.Every(time.Hour), 48*time.Hour, clock, zap.NewNop(), func(Pause) {})
	if err := p.Wait(context.Background(), true); err != nil { // takes the one token: the next write waits an hour
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- p.Wait(context.Background(), true) }() // for the rate
	if err := p.Pause(time.Hour, "wiki throttle"); err != nil {
		t.Fatal(err)
	}
	go func() { done <- p.Wait(context.Background(), false) }() // in the pause
	for i := 0; i < 2; i++ {
		if d := receiveWithin(t, clock.sleeping, "worker %d to start sleeping", i+1); d < 30*time.Minute {
			t.Fatalf("a worker sleeps %s, want about an hour", d)
		}
	}
	ce := fmt.Errorf("the wiki asks for a CAPTCHA: %w", ErrStopped) // a refusal about the creator
	p.Halt(ce)
	for i := 0; i < 2; i++ {
		if err := receiveWithin(t, done, "worker %d to wake after the halt", i+1); err != ce || !errors.Is(err, ErrStopped) {
			t.Errorf("Wait() = %v, want the halt", err)
		}
	}
	if p.Stopped() != ce {
		t.Errorf("Stopped() = %v, want the halt", p.Stopped())
	}
}

// A worker that waits for the steady rate alone — no pause in force that
// would send it round again — and is woken by a halt returns the halt: it
// must not take the wake for its turn and send.
func TestHaltWakesAWorkerWaitingForTheRateWithoutSending(t *testing.T) {
	clock := sleepSignal{sleeping: make(chan time.Duration, 8)}
	p := New(rate.Every(time.Hour), 48*time.Hour, clock, zap.NewNop(), func(Pause) {})
	if err := p.Wait(context.Background(), true); err != nil { // takes the one token: the next write waits an hour
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Wait(context.Background(), true) }()
	if d := receiveWithin(t, clock.sleeping, "the worker to wait for the rate"); d < 30*time.Minute {
		t.Fatalf("the worker sleeps %s, want about an hour", d)
	}
	ce := fmt.Errorf("the wiki asks for a CAPTCHA: %w", ErrStopped)
	p.Halt(ce)
	if err := receiveWithin(t, done, "the worker to wake after the halt"); err != ce {
		t.Errorf("Wait() = %v after the halt, want the halt (nil: the worker would send)", err)
	}
}

// receiveWithin is the next value from ch, or fails the test saying what
// it waited for when none comes within waitLimit.
func receiveWithin[T any](t *testing.T, ch <-chan T, what string, args ...any) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("waited %s for "+what, append([]any{waitLimit}, args...)...)
		panic("unreachable")
	}
}

// waitGroupWithin waits for wg, or fails the test saying what it waited
// for after waitLimit.
func waitGroupWithin(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	receiveWithin(t, done, what)
}

// waitLimit bounds every wait of a test on another goroutine: a bug that
// leaves one waiting fails the test with a message instead of hanging it.
const waitLimit = 10 * time.Second

// sleepSignal is the system clock that says when someone starts sleeping,
// and for how long.
type sleepSignal struct {
	SystemClock
	sleeping chan time.Duration
}

func (c sleepSignal) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.sleeping <- d
	}
	return c.SystemClock.Sleep(ctx, d)
}

// waitTimes waits n times for a write or a read, and returns how long that
// took on the hand clock.
func waitTimes(t *testing.T, p *Pacer, clock *handClock, n int, write bool) time.Duration {
	t.Helper()
	t0 := clock.Now()
	for i := 0; i < n; i++ {
		if err := p.Wait(context.Background(), write); err != nil {
			t.Fatal(err)
		}
	}
	return clock.Now().Sub(t0)
}

// A wait for the steady rate that is long (--rate 1/h) is told like a
// pause, so that the run does not sit silent for an hour; it is the pace
// the run was asked to keep, not a wait the wiki imposes, so the limit on
// waiting does not count it. Short ones (2/s) are not told.
func TestLongSteadyRateWaitIsTold(t *testing.T) {
	clock := newHandClock()
	t0 := clock.Now()
	reported := &pauseLog{}
	p := New(rate.Every(time.Hour), 5*time.Second, clock, zap.NewNop(), reported.add)
	for i := 0; i < 2; i++ {
		if err := p.Wait(context.Background(), true); err != nil {
			t.Fatalf("write %d: %v", i+1, err)
		}
	}
	got := reported.all()
	if len(got) != 1 || !got[0].Until.Equal(t0.Add(time.Hour)) || got[0].Why != "the steady rate: one creation every 1h0m0s" {
		t.Errorf("reported %+v, want one pause of an hour for the steady rate", got)
	}
	if err := p.Pause(3*time.Second, "maxlag"); err != nil {
		t.Errorf("a pause within the limit after the steady rate's hour: %v", err)
	}

	fast := &pauseLog{}
	p = New(rate.Limit(2), time.Minute, clock, zap.NewNop(), fast.add)
	for i := 0; i < 10; i++ {
		if err := p.Wait(context.Background(), true); err != nil {
			t.Fatal(err)
		}
	}
	if got := fast.all(); len(got) != 0 {
		t.Errorf("at 2/s reported %+v, want nothing", got)
	}
}
