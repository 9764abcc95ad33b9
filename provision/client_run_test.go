package provision

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/mwapi"
)

// A wiki that does not answer in time is said to, in those words, with the
// timeout — not as a context's deadline.
func TestNoAnswerWithinTheTimeout(t *testing.T) {
	release := make(chan struct{})
	hung := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer hung.Close()
	defer close(release)
	e := New(Config{API: hung.URL + "/w/api.php", User: "Owner@bulk", Password: "x", RequestTimeout: 50 * time.Millisecond}, Deps{})
	_, err := e.Preflight(context.Background())
	var na *mwapi.NoAnswerError
	if !errors.As(err, &na) || na.Within != 50*time.Millisecond {
		t.Fatalf("Preflight error = %v, want a *NoAnswerError", err)
	}
	if want := "log in to " + hung.URL + "/w/api.php: fetch login token: no answer from the wiki within 50ms"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if o := classify.Classify(e.anonymousSession().Get(context.Background(), url.Values{})); o.Action != classify.Backoff || o.Code != "network" ||
		o.Message != "no answer from the wiki within 50ms" || !o.Ambiguous {
		t.Errorf("Classify = %+v, want a network fault that may have acted", o)
	}
}
