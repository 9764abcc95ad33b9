package pacer

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// A pause that brings the total waited to exactly the limit is within it:
// --max-wait 1s allows a pause of one second.
func TestPauseOfExactlyMaxWaitIsAllowed(t *testing.T) {
	clock := newHandClock()
	p, reported := newTestPacer(time.Second, clock)
	if err := p.Pause(400*time.Millisecond, "first"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if err := p.Pause(600*time.Millisecond, "second"); err != nil {
		t.Errorf("a pause bringing the total to exactly --max-wait 1s: %v, want none", err)
	}
	if n := len(reported.all()); n != 2 {
		t.Errorf("%d pauses reported, want 2", n)
	}
}

// The first refusal about the creator is the one kept: a second worker's
// refusal after it does not replace it.
func TestHaltKeepsTheFirstRefusal(t *testing.T) {
	p, _ := newTestPacer(time.Hour, newHandClock())
	first := fmt.Errorf("the wiki asks for a CAPTCHA: %w", ErrStopped)
	second := fmt.Errorf("the creator is blocked: %w", ErrStopped)
	p.Halt(first)
	p.Halt(second)
	if got := p.Stopped(); got != first {
		t.Errorf("Stopped() = %v, want the first refusal %v", got, first)
	}
	if err := p.Wait(context.Background(), true); err != first {
		t.Errorf("Wait() = %v, want the first refusal", err)
	}
}

// A refusal about the creator that comes after the run stopped for the
// limit on waiting is still the one Stopped reports: a later run must see
// to it first.
func TestHaltAfterWaitLimitIsReported(t *testing.T) {
	clock := newHandClock()
	p, _ := newTestPacer(time.Second, clock)
	var wl *WaitLimitError
	if err := p.Pause(time.Hour, "maxlag"); !errors.As(err, &wl) {
		t.Fatalf("Pause past the limit = %v, want a *WaitLimitError", err)
	}
	ce := fmt.Errorf("the wiki asks for a CAPTCHA: %w", ErrStopped)
	p.Halt(ce)
	if got := p.Stopped(); got != ce {
		t.Errorf("Stopped() = %v, want the refusal about the creator %v", got, ce)
	}
}

// hookClock is a hand clock that runs a hook once, during the first sleep
// it is asked for: what another worker did while this one slept.
type hookClock struct {
	*handClock
	hook func()
}

func (c *hookClock) Sleep(ctx context.Context, d time.Duration) error {
	err := c.handClock.Sleep(ctx, d)
	if h := c.hook; h != nil && d > 0 {
		c.hook = nil
		h()
	}
	return err
}

// A worker waiting for the steady rate whose turn comes inside a pause
// another worker was asked for meanwhile waits out that pause before it
// sends.
func TestRateWaitEndingInAPauseWaitsItOut(t *testing.T) {
	clock := &hookClock{handClock: newHandClock()}
	p := New(rate.Every(time.Second), time.Hour, clock, zap.NewNop(), func(Pause) {})
	if err := p.Wait(context.Background(), true); err != nil { // takes the one token
		t.Fatal(err)
	}
	var pauseEnd time.Time
	clock.hook = func() {
		if err := p.Pause(10*time.Second, "http-503"); err != nil {
			t.Error(err)
		}
		pauseEnd = clock.Now().Add(10 * time.Second)
	}
	if err := p.Wait(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if pauseEnd.IsZero() {
		t.Fatal("the worker never slept for the rate")
	}
	if now := clock.Now(); now.Before(pauseEnd) {
		t.Errorf("the worker sent %s before the pause that began during its wait for the rate ended", pauseEnd.Sub(now))
	}
}

// An answer that is not a fault resets the backoff: a fault after it
// waits the first delay again, not the one the earlier streak had reached.
func TestSuccessResetsTheBackoff(t *testing.T) {
	clock := newHandClock()
	p, reported := newTestPacer(time.Hour, clock)
	last := func() time.Duration {
		ps := reported.all()
		return ps[len(ps)-1].Until.Sub(clock.Now())
	}
	for i := 0; i < 5; i++ {
		if err := p.Backoff("http-503"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(last())
	}
	p.Success()
	if err := p.Backoff("http-503"); err != nil {
		t.Fatal(err)
	}
	if d := last(); d >= p.Base {
		t.Errorf("the first fault after a success waits %s, want under %s", d, p.Base)
	}
}

// A wiki allowing more creations per window than the pacer keeps answers
// of falls back to a whole window from the refusal: the ring holds only
// the latest answers, and the earliest of them is not when the window began.
func TestThrottleBeyondTheRingWaitsAWholeWindow(t *testing.T) {
	clock := newHandClock()
	p, reported := newTestPacer(48*time.Hour, clock)
	n := 3000
	t0 := clock.Now().Add(-time.Duration(n) * time.Second)
	for i := 0; i < n; i++ {
		p.Counted(t0.Add(time.Duration(i) * time.Second))
	}
	hit := clock.Now()
	if err := p.Throttled(2000, time.Hour, hit); err != nil {
		t.Fatal(err)
	}
	want := hit.Add(time.Hour + time.Second + throttleMargin)
	if got := reported.all()[0].Until; !got.Equal(want) {
		t.Errorf("resume %s after the refusal, want %s (a whole window)", got.Sub(hit), want.Sub(hit))
	}
}
