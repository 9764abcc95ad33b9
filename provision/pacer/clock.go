package pacer

import (
	"context"
	"time"
)

// Clock is where the engine reads the time and waits. Every wait it
// computes (the wiki's throttle window, a backoff, the steady rate) and
// every time it records (when an answer came, how long a run took) comes
// from it: the system clock in the program, a clock moved by hand in tests.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done; then it returns ctx's error.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real time.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or ctx, whichever comes first.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
