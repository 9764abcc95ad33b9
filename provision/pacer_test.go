package provision

import (
	"context"
	"errors"
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

// The window the wiki refused in is full: it began with the earliest of
// our last count counted answers — not with an older answer from a window
// that already ended.
func TestPacerResumesFromTheFullWindow(t *testing.T) {
	t0 := time.Now().Add(-30 * time.Second)
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
		p := NewPacer(rate.Inf, time.Hour, zap.NewNop(), nil)
		for _, c := range tt.counted {
			p.Counted(at(c))
		}
		if err := p.Throttled(3, 20*time.Second, at(tt.hit)); err != nil {
			t.Fatal(err)
		}
		if want := at(tt.want).Add(throttleMargin); !p.until.Equal(want) {
			t.Errorf("%s: resume at +%.2fs, want +%.2fs", tt.name, p.until.Sub(t0).Seconds(), want.Sub(t0).Seconds())
		}
	}
	p := NewPacer(rate.Inf, time.Hour, zap.NewNop(), nil)
	_ = p.Throttled(3, 2*time.Second, time.Now())
	if c, w := p.Window(); c != 3 || w != 2*time.Second {
		t.Errorf("Window() = %d per %s, want 3 per 2s", c, w)
	}
}

// Pauses without a server hint grow: a wiki answering 503 again and again is
// not asked once a second for the whole --max-wait.
func TestPausesWithoutHintBackOff(t *testing.T) {
	p := NewPacer(rate.Inf, time.Hour, zap.NewNop(), nil)
	var last time.Duration
	for i := 1; i <= 5; i++ {
		before := time.Now()
		if err := p.Pause(0, "http-503"); err != nil {
			t.Fatal(err)
		}
		d := p.until.Sub(before)
		if i > 2 && d <= last {
			t.Errorf("pause %d lasts %s, not longer than the one before (%s)", i, d, last)
		}
		last = d
		p.until = time.Time{} // as if waited out; no Success between: nothing decided
	}
}

// One worker's pause holds back every worker (rclone's TestCallParallel idea).
func TestThrottlePausesAllWorkers(t *testing.T) {
	var mu sync.Mutex
	var pausedUntil []time.Time
	p := NewPacer(rate.Inf, time.Minute, zap.NewNop(), func(u time.Time, _ string) {
		mu.Lock()
		pausedUntil = append(pausedUntil, u)
		mu.Unlock()
	})
	ctx := context.Background()
	if err := p.Pause(300*time.Millisecond, "test"); err != nil {
		t.Fatal(err)
	}
	until := p.until
	var wg sync.WaitGroup
	released := make([]time.Time, 8)
	for i := range released {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := p.Wait(ctx); err != nil {
				t.Error(err)
			}
			released[i] = time.Now()
		}(i)
	}
	wg.Wait()
	for i, r := range released {
		if r.Before(until) {
			t.Errorf("worker %d sent %s before the pause ended", i, until.Sub(r))
		}
	}
	if len(pausedUntil) != 1 || !pausedUntil[0].Equal(until) {
		t.Errorf("reporter saw pauses %v, want one until %v", pausedUntil, until)
	}
	// A shorter pause inside a longer one changes nothing and is not reported twice.
	if err := p.Pause(time.Millisecond, "short"); err != nil {
		t.Fatal(err)
	}
	if got := p.waited; got < 300*time.Millisecond || got > 400*time.Millisecond {
		t.Errorf("waited = %s, want about 300ms", got)
	}
}

func TestPauseBeyondMaxWaitStops(t *testing.T) {
	p := NewPacer(rate.Inf, time.Second, zap.NewNop(), nil)
	if err := p.Pause(600*time.Millisecond, "first"); err != nil {
		t.Fatal(err)
	}
	err := p.Throttled(6, 24*time.Hour, time.Now())
	var se *StopError
	if !errors.As(err, &se) || !errors.Is(err, ErrStopped) {
		t.Fatalf("Throttled over budget: err = %v, want a StopError", err)
	}
	if err := p.Wait(context.Background()); !errors.Is(err, ErrStopped) {
		t.Errorf("Wait after stop = %v, want ErrStopped", err)
	}
	if p.Stopped() == nil {
		t.Error("Stopped() = nil after stop")
	}
}

func TestWaitHonoursContext(t *testing.T) {
	p := NewPacer(rate.Inf, time.Hour, zap.NewNop(), nil)
	if err := p.Pause(time.Hour-time.Minute, "long"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait = %v, want the context's error", err)
	}
}

// The ring of counted answers wraps: after thousands of creations the
// window is still taken from the latest count answers.
func TestPacerCountedRingWraps(t *testing.T) {
	p := NewPacer(rate.Inf, time.Hour, zap.NewNop(), nil)
	t0 := time.Now().Add(-time.Hour)
	for i := 0; i < 3*maxCountedKept+5; i++ {
		p.Counted(t0.Add(time.Duration(i) * time.Second))
	}
	last := t0.Add(time.Duration(3*maxCountedKept+4) * time.Second)
	if err := p.Throttled(3, 20*time.Second, last.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if want := last.Add(-2*time.Second + 21*time.Second + throttleMargin); !p.until.Equal(want) {
		t.Errorf("resume %s after the last answer, want %s", p.until.Sub(last), want.Sub(last))
	}
}
