// Package pacer is the one gate every worker of a run passes before a
// request: the steady rate of writes, the wiki's throttle window, shared
// pauses and backoff within a limit on waiting, and the halt that stops
// every worker for good. Time comes from a Clock, so tests move it by hand.
package pacer

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

// WaitLimitError stops a run: waiting as the wiki asks would pass the run's
// limit on waiting (Config.MaxWait). The rows not yet decided end pending.
type WaitLimitError struct {
	Why    string        // what asks to wait, e.g. "wiki throttle: 6 per 24h0m0s for this IP"
	More   time.Duration // how much longer it asks to wait
	Waited time.Duration // how long the run has waited so far
	Limit  time.Duration
}

func (e *WaitLimitError) Error() string {
	return e.Explain("the limit on waiting, " + e.Limit.String())
}

// Is makes errors.Is(err, ErrStopped) true.
func (e *WaitLimitError) Is(target error) bool { return target == ErrStopped }

// ErrStopped matches what stops a run before every row is decided, the
// rest ending pending: a *WaitLimitError, a *CreatorError.
var ErrStopped = errors.New("the run stopped")

// Explain words the stop with the limit named as the caller knows it (the
// command line: "--max-wait 30m0s").
func (e *WaitLimitError) Explain(limit string) string {
	already := ""
	if e.Waited > 0 {
		already = fmt.Sprintf(" (after %s of waiting)", e.Waited.Round(time.Second))
	}
	return fmt.Sprintf("stopped waiting: %s asks for %s more%s, which would pass %s", e.Why, e.More.Round(time.Second), already, limit)
}

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

// ThrottleWindow is the wiki's account creation limit for this IP address,
// as its refusal states it: Count creations per Length.
type ThrottleWindow struct {
	Count  int
	Length time.Duration
}

// Pause is a wait that every worker makes because the wiki asked one of them to.
type Pause struct {
	Until time.Time
	Why   string
	// Throttle is set when the pause waits out the wiki's account creation window.
	Throttle ThrottleWindow
}

// Pacer is shared by all workers: one rate limiter for the steady rate, and
// one gate that makes every worker wait when the wiki asks any of them to.
type Pacer struct {
	limiter *rate.Limiter
	maxWait time.Duration
	clock   Clock
	log     *zap.Logger
	paused  func(Pause)
	Base    time.Duration // first backoff delay; tests shorten it

	mu       sync.Mutex
	until    time.Time // nobody sends before this
	why      string
	waited   time.Duration   // total of all pauses so far (overlaps counted once)
	stop     error           // what stopped the run first: a *WaitLimitError, a *CreatorError
	halt     error           // the first refusal about the creator, even after another stop
	stopped  context.Context // done when stop is set: wakes every waiting worker
	stopAll  context.CancelFunc
	failures int                       // consecutive faults, for the backoff
	counted  [maxCountedKept]time.Time // ring of the answers of the latest counted attempts
	nCounted int                       // how many were ever recorded
	pauses   int
	resumes  int
}

// New returns a pacer allowing r requests per second (rate.Inf: no
// limit) and at most maxWait of pauses in all; paused is told of every pause.
func New(r rate.Limit, maxWait time.Duration, clock Clock, log *zap.Logger, paused func(Pause)) *Pacer {
	stopped, stopAll := context.WithCancel(context.Background())
	return &Pacer{limiter: rate.NewLimiter(r, 1), maxWait: maxWait, clock: clock, log: log, paused: paused, Base: backoffBase,
		stopped: stopped, stopAll: stopAll}
}

// stopLocked stops the pacer for good, waking the workers that wait.
func (p *Pacer) stopLocked(why error) {
	if p.stop == nil {
		p.stop = why
		p.stopAll()
	}
}

// sleep waits for d, or until ctx is done (its error) or the pacer stops
// (nil: the caller looks again and sees the stop). A worker in a long
// shared pause — the wiki's throttle window may be hours — must not keep a
// run that has stopped from ending.
func (p *Pacer) sleep(ctx context.Context, d time.Duration) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(p.stopped, cancel)()
	p.clock.Sleep(sctx, d)
	return ctx.Err()
}

// Wait blocks until this worker may send: after any shared pause, then,
// for a write, the rate limiter (the steady rate is the rate of creation
// requests; reads follow the wiki's read etiquette: in series, yielding to
// maxlag). It returns a *WaitLimitError or the context's error.
func (p *Pacer) Wait(ctx context.Context, write bool) error {
	for {
		p.mu.Lock()
		if p.stop != nil {
			p.mu.Unlock()
			return p.stop
		}
		until := p.until
		p.mu.Unlock()
		now := p.clock.Now()
		if d := until.Sub(now); d > 0 {
			if err := p.sleep(ctx, d); err != nil {
				return err
			}
			p.noteResume()
			continue
		}
		if !write {
			return nil
		}
		r := p.limiter.ReserveN(now, 1)
		if !r.OK() {
			return fmt.Errorf("the rate %v allows no request", p.limiter.Limit())
		}
		delay := r.DelayFrom(now)
		if delay >= tellRateWaitFrom {
			p.tellRateWait(now, delay)
		}
		if err := p.sleep(ctx, delay); err != nil {
			r.CancelAt(p.clock.Now())
			return err
		}
		p.mu.Lock()
		again := p.stop != nil || p.clock.Now().Before(p.until)
		p.mu.Unlock()
		if !again {
			return nil
		}
		r.CancelAt(p.clock.Now()) // a no-op once its time has come; not when the stop woke us
	}
}

// tellRateWaitFrom is the shortest wait for the steady rate that is told
// like a pause: a slow rate (1/h) must not leave a run silent for an hour.
const tellRateWaitFrom = time.Minute

// tellRateWait tells the reporter of a long wait for the steady rate. The
// limit on waiting does not count it: it is the pace the run was asked to
// keep, not a wait the wiki imposes.
func (p *Pacer) tellRateWait(now time.Time, d time.Duration) {
	every := time.Duration(float64(time.Second) / float64(p.limiter.Limit()))
	pa := Pause{Until: now.Add(d), Why: fmt.Sprintf("the steady rate: one creation every %s", every.Round(time.Second))}
	p.log.Info("pause", zap.String("why", pa.Why), zap.Time("until", pa.Until), zap.Duration("wait", d))
	p.paused(pa)
}

func (p *Pacer) noteResume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resumes < p.pauses && !p.clock.Now().Before(p.until) {
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
	var start time.Time
	if count > 0 && count <= maxCountedKept && p.nCounted >= count {
		for i := p.nCounted - count; i < p.nCounted; i++ {
			if t := p.counted[i%maxCountedKept]; start.IsZero() || t.Before(start) {
				start = t
			}
		}
	}
	why := fmt.Sprintf("wiki throttle: %d per %s for this IP", count, window)
	return p.pauseLocked(Pause{Until: throttleResume(start, hit, window), Why: why, Throttle: ThrottleWindow{count, window}}) // unlocks
}

// Pause makes every worker wait d (the server's hint); with no hint, an
// exponential backoff.
func (p *Pacer) Pause(d time.Duration, why string) error {
	p.mu.Lock()
	if d <= 0 {
		p.failures++
		d = scaledBackoff(p.Base, p.failures, rand.Float64())
	}
	return p.pauseLocked(Pause{Until: p.clock.Now().Add(d), Why: why})
}

// Backoff makes every worker wait after a network or server fault: the
// delay doubles with each consecutive fault, with jitter.
func (p *Pacer) Backoff(why string) error {
	p.mu.Lock()
	p.failures++
	return p.pauseLocked(Pause{Until: p.clock.Now().Add(scaledBackoff(p.Base, p.failures, rand.Float64())), Why: why})
}

// Success resets the backoff after an answer that was not a fault.
func (p *Pacer) Success() {
	p.mu.Lock()
	p.failures = 0
	p.mu.Unlock()
}

// Stopped returns what stopped the pacer, or nil: a refusal about the
// creator before any other cause, as the one a later run must see to first.
func (p *Pacer) Stopped() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.halt != nil {
		return p.halt
	}
	return p.stop
}

// Halt stops every worker for good: no request is sent after it, and the
// workers waiting in a pause wake. The first refusal is logged and kept.
func (p *Pacer) Halt(why error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.halt == nil {
		p.halt = why
		p.log.Warn("halt", zap.Error(why))
	}
	p.stopLocked(why)
}

// pauseLocked extends the shared pause to pa.Until, within the limit on
// waiting. A pause that ends before the one in force changes nothing and
// is not reported; one that ends later adds only what lies beyond it. It
// must be called with p.mu held and releases it.
func (p *Pacer) pauseLocked(pa Pause) error {
	if p.stop != nil {
		p.mu.Unlock()
		return p.stop
	}
	if !pa.Until.After(p.until) {
		p.mu.Unlock()
		return nil
	}
	now := p.clock.Now()
	from := now
	if p.until.After(now) {
		from = p.until
	}
	extra := pa.Until.Sub(from)
	if p.waited+extra > p.maxWait {
		stop := &WaitLimitError{Why: pa.Why, More: pa.Until.Sub(now), Waited: p.waited, Limit: p.maxWait}
		p.stopLocked(stop)
		p.log.Warn("stop", zap.String("why", pa.Why), zap.Duration("wait", pa.Until.Sub(now)),
			zap.Duration("waited_total", p.waited), zap.Duration("max_wait", p.maxWait))
		p.mu.Unlock()
		return stop
	}
	p.waited += extra
	p.until, p.why = pa.Until, pa.Why
	p.pauses++
	p.log.Info("pause", zap.String("why", pa.Why), zap.Time("until", pa.Until),
		zap.Duration("wait", pa.Until.Sub(now)), zap.Duration("waited_total", p.waited))
	p.mu.Unlock()
	p.paused(pa)
	return nil
}
