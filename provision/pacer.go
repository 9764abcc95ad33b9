package provision

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// ErrStopped is returned by the pacer once waiting longer would pass
// --max-wait: the rows not yet decided end pending.
var ErrStopped = errors.New("stopped: waiting longer would pass --max-wait")

// StopError says why the pacer stopped the run.
type StopError struct{ Reason string }

func (e *StopError) Error() string        { return e.Reason }
func (e *StopError) Is(target error) bool { return target == ErrStopped }

// Backoff limits for network and server faults.
const (
	backoffBase = 1 * time.Second
	backoffCap  = 60 * time.Second
	// throttleMargin is added after the computed end of the wiki's window.
	throttleMargin = 250 * time.Millisecond
	// defaultThrottleWait is used when a throttle answer does not say its window.
	defaultThrottleWait = 60 * time.Second
)

// scaledBackoff is the wait before retry n (1-based): base·2^(n−1), at most
// backoffCap, scaled by jitter ∈ [0,1) into [½, 1) of that.
func scaledBackoff(base time.Duration, n int, jitter float64) time.Duration {
	d := base
	for i := 1; i < n && d < backoffCap; i++ {
		d *= 2
	}
	d = min(d, backoffCap)
	return time.Duration(float64(d) * (0.5 + jitter/2))
}

// throttleResume is when the wiki's account creation window has surely
// passed. MediaWiki's Throttler counts attempts in a window that starts at
// the first counted attempt and stores its expiry with one-second
// resolution, so a window ends at most window+1s after it began. When the
// wiki refuses with count attempts allowed, the window is full: if all of
// them were ours, they are our last count counted attempts, and the window
// began no later than the earliest of their answers (windowStart). With
// fewer of ours on record, or an estimate already past, the window was
// (also) filled by someone else: a whole window from the refusal's answer is
// then the safe bound.
func throttleResume(windowStart, hit time.Time, window time.Duration) time.Time {
	if !windowStart.IsZero() {
		if r := windowStart.Add(window + time.Second + throttleMargin); r.After(hit) {
			return r
		}
	}
	return hit.Add(window + time.Second + throttleMargin)
}

// maxCountedKept bounds the answers kept for throttleResume; a wiki that
// allows more per window than this falls back to a whole window.
const maxCountedKept = 1024

// Pacer is shared by all workers: one rate limiter for the steady rate, and
// one gate that makes every worker wait when the wiki asks any of them to.
type Pacer struct {
	limiter *rate.Limiter
	maxWait time.Duration
	log     *zap.Logger
	paused  func(until time.Time, why string)
	base    time.Duration // first backoff delay; tests shorten it

	mu          sync.Mutex
	until       time.Time // nobody sends before this
	why         string
	waited      time.Duration // total of all pauses so far (overlaps counted once)
	stop        *StopError
	failures    int                       // consecutive faults, for the backoff
	counted     [maxCountedKept]time.Time // ring of the answers of the latest counted attempts
	nCounted    int                       // how many were ever recorded
	window      time.Duration
	windowCount int
	pauses      int
	resumes     int
}

// NewPacer returns a pacer allowing r requests per second (rate.Inf: no
// limit) and at most maxWait of pauses in all. paused, when not nil, is told
// of every pause.
func NewPacer(r rate.Limit, maxWait time.Duration, log *zap.Logger, paused func(time.Time, string)) *Pacer {
	return &Pacer{limiter: rate.NewLimiter(r, 1), maxWait: maxWait, log: log, paused: paused, base: backoffBase}
}

// Wait blocks until this worker may send: after any shared pause, then the
// rate limiter. It returns ErrStopped (a *StopError) or the context's error.
func (p *Pacer) Wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		if p.stop != nil {
			p.mu.Unlock()
			return p.stop
		}
		until := p.until
		p.mu.Unlock()
		if d := time.Until(until); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			p.noteResume()
			continue
		}
		if err := p.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		p.mu.Lock()
		again := p.stop != nil || time.Now().Before(p.until)
		p.mu.Unlock()
		if !again {
			return nil
		}
	}
}

func (p *Pacer) noteResume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resumes < p.pauses && !time.Now().Before(p.until) {
		p.resumes = p.pauses
		p.log.Info("resume", zap.String("after", p.why), zap.Duration("waited_total", p.waited))
	}
}

// Counted records the answer of an attempt that counted against the wiki's
// throttle.
func (p *Pacer) Counted(received time.Time) {
	p.mu.Lock()
	p.counted[p.nCounted%maxCountedKept] = received
	p.nCounted++
	p.mu.Unlock()
}

// Throttled pauses every worker until the wiki's throttle window has passed.
func (p *Pacer) Throttled(count int, window time.Duration, hit time.Time) error {
	p.mu.Lock()
	if window <= 0 {
		window = defaultThrottleWait
	}
	p.window, p.windowCount = window, count
	var start time.Time
	if count > 0 && count <= maxCountedKept && p.nCounted >= count {
		for i := p.nCounted - count; i < p.nCounted; i++ {
			if t := p.counted[i%maxCountedKept]; start.IsZero() || t.Before(start) {
				start = t
			}
		}
	}
	why := fmt.Sprintf("wiki throttle: %d per %s for this IP", count, window)
	return p.pauseLocked(throttleResume(start, hit, window), why) // unlocks
}

// Window is the wiki's throttle as last reported: count per window (zero when unknown).
func (p *Pacer) Window() (int, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.windowCount, p.window
}

// Pause makes every worker wait d (the server's hint); with no hint, an
// exponential backoff.
func (p *Pacer) Pause(d time.Duration, why string) error {
	p.mu.Lock()
	if d <= 0 {
		p.failures++
		d = scaledBackoff(p.base, p.failures, rand.Float64())
	}
	return p.pauseLocked(time.Now().Add(d), why)
}

// Backoff makes every worker wait after a network or server fault: the
// delay doubles with each consecutive fault, with jitter.
func (p *Pacer) Backoff(why string) error {
	p.mu.Lock()
	p.failures++
	return p.pauseLocked(time.Now().Add(scaledBackoff(p.base, p.failures, rand.Float64())), why)
}

// Success resets the backoff after an answer that was not a fault.
func (p *Pacer) Success() {
	p.mu.Lock()
	p.failures = 0
	p.mu.Unlock()
}

// Stopped returns the reason the pacer stopped, or nil.
func (p *Pacer) Stopped() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop == nil {
		return nil
	}
	return p.stop
}

// pauseLocked extends the shared pause to until, within the --max-wait
// budget. It must be called with p.mu held and releases it.
func (p *Pacer) pauseLocked(until time.Time, why string) error {
	if p.stop != nil {
		p.mu.Unlock()
		return p.stop
	}
	if !until.After(p.until) {
		p.mu.Unlock()
		return nil
	}
	now := time.Now()
	from := now
	if p.until.After(now) {
		from = p.until
	}
	extra := until.Sub(from)
	if p.waited+extra > p.maxWait {
		already := ""
		if p.waited > 0 {
			already = fmt.Sprintf(" (after %s of waiting)", p.waited.Round(time.Second))
		}
		p.stop = &StopError{Reason: fmt.Sprintf("stopped waiting: %s asks for %s more%s, which would pass --max-wait %s",
			why, until.Sub(now).Round(time.Second), already, p.maxWait)}
		p.log.Warn("stop", zap.String("why", why), zap.Duration("wait", until.Sub(now)),
			zap.Duration("waited_total", p.waited), zap.Duration("max_wait", p.maxWait))
		stop := p.stop
		p.mu.Unlock()
		return stop
	}
	p.waited += extra
	p.until, p.why = until, why
	p.pauses++
	p.log.Info("pause", zap.String("why", why), zap.Time("until", until),
		zap.Duration("wait", until.Sub(now)), zap.Duration("waited_total", p.waited))
	paused := p.paused
	p.mu.Unlock()
	if paused != nil {
		paused(until, why)
	}
	return nil
}
