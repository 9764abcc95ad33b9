package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

// browserEnv names a program to open the console's address with instead
// of the system's browser, the address its only argument; "none" opens
// nothing (a machine without a screen, or a test).
const browserEnv = "MWPROVISION_BROWSER"

// browserCommand is the system's own way to open url in the user's
// browser: xdg-open on Linux and the BSDs, open on macOS, url.dll's
// FileProtocolHandler on Windows. Each is given url as one argument and
// no shell reads it, so nothing in it (a query's &, for one) is taken for
// anything but the address. Tests replace it.
var browserCommand = func(url string) *exec.Cmd {
	switch runtime.GOOS {
	case "darwin":
		return exec.Command("open", url)
	case "windows":
		// Not cmd /c start, whose parsing would cut the address at its
		// first &.
		return exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		return exec.Command("xdg-open", url)
	}
}

// openBrowser asks for url to be opened in a browser and returns once the
// opener has started, without waiting for it (a browser may run for as
// long as the user keeps it); it is reaped when it ends. MWPROVISION_BROWSER
// names another opener, or "none" for none.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch prog := os.Getenv(browserEnv); prog {
	case "none":
		return nil
	case "":
		cmd = browserCommand(url)
	default:
		cmd = exec.Command(prog, url)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("opening a browser: %w", err)
	}
	// Its exit status says nothing the user would act on: xdg-open and
	// open end once they have handed the address on.
	go func() { _ = cmd.Wait() }()
	return nil
}
