package wikitest

import (
	"errors"
	"testing"
)

// Start installs and starts a fresh wiki in t.TempDir() on a free port of
// 127.0.0.1 and stops it when the test ends. On any failure it calls
// t.Fatalf saying what failed and how to fix it. It skips the test only
// under -short, which asks for the tests that need no wiki (make unit):
// make test runs every test.
func Start(t testing.TB, opts Options) *Wiki {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real MediaWiki: run without -short (make test)")
	}
	rel, err := ReleaseNamed(opts.MediaWiki)
	if err == nil {
		err = rel.Check()
	}
	if err != nil {
		t.Fatalf("wikitest: cannot run a MediaWiki for this test: %v", err)
	}
	dir, err := rel.tempDir(t)
	if err != nil {
		t.Fatalf("wikitest: no directory for the wiki: %v", err)
	}
	port, err := FreePort()
	if err != nil {
		t.Fatalf("wikitest: no free port on 127.0.0.1: %v", err)
	}
	w, err := Install(dir, port, opts)
	if err != nil {
		t.Fatalf("wikitest: installing MediaWiki into %s failed: %v", dir, err)
	}
	// Another process may grab the port during the install: move on.
	for attempt := 1; ; attempt++ {
		err = w.Start()
		if err == nil || !errors.Is(err, errPortInUse) || attempt == 3 {
			break
		}
		if port, err = FreePort(); err != nil {
			t.Fatalf("wikitest: no free port on 127.0.0.1: %v", err)
		}
		if err = w.changePort(port); err != nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("wikitest: starting MediaWiki (php -S) failed: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("wikitest: tail of the server log %s/server.log:\n%s", w.Dir, w.LogTail(15))
		}
		if err := w.Stop(); err != nil {
			t.Errorf("wikitest: stopping the wiki: %v", err)
		}
	})
	return w
}

// StartWikimediaLike starts a wiki like Start, with the throttle at
// WikimediaThrottle a day, and makes it Wikimedia-like (MakeWikimediaLike).
func StartWikimediaLike(t testing.TB, opts Options) (*Wiki, WikimediaLike) {
	t.Helper()
	opts.ThrottleCount, opts.ThrottleSeconds = WikimediaThrottle, 86400
	w := Start(t, opts)
	wm, err := w.MakeWikimediaLike()
	if err != nil {
		t.Fatalf("wikitest: making the wiki Wikimedia-like: %v", err)
	}
	return w, wm
}
