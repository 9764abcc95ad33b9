//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A browser that is a shell script, as on a machine without a screen, is
// given the address as its one argument, byte for byte: no shell reads it
// before the script does.
func TestOpenBrowserScriptGetsTheAddressWhole(t *testing.T) {
	noBrowserCommand(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	script := filepath.Join(dir, "browser")
	body := "#!/bin/sh\nprintf '%s\\n%s' \"$#\" \"$1\" > '" + out + ".part' && mv '" + out + ".part' '" + out + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(browserEnv, script)
	if err := openBrowser(consoleURL); err != nil {
		t.Fatal(err)
	}
	got := waitFile(t, out)
	if count, arg, _ := strings.Cut(got, "\n"); count != "1" || arg != consoleURL {
		t.Errorf("the script was given %s argument(s), the first %q; want 1, %q", count, arg, consoleURL)
	}
}
