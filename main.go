// Command mwprovision creates user accounts on a MediaWiki wiki in bulk,
// from a CSV sheet, through the Action API.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the run winds down; a second one ends the
		// process at once (the results file is valid at every row).
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args, systemStreams(), os.Getenv)
	stop()
	os.Exit(code)
}
