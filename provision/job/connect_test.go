package job

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Any page of a wiki leads to its API, through the EditURI link every
// MediaWiki page carries; an address of api.php is taken as it is.
func TestFindAPI(t *testing.T) {
	wiki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/wiki/Main_Page":
			fmt.Fprint(w, `<html><head><link rel="EditURI" type="application/rsd+xml" href="//`+r.Host+`/w/api.php?action=rsd&amp;x=1"/></head></html>`)
		case "/plain":
			fmt.Fprint(w, `<html><head><title>not a wiki</title></head></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer wiki.Close()
	host := strings.TrimPrefix(wiki.URL, "http://")
	for _, tt := range []struct{ in, want, wantErr string }{
		{in: wiki.URL + "/wiki/Main_Page", want: "http://" + host + "/w/api.php"},
		{in: wiki.URL + "/w/api.php?action=query#x", want: wiki.URL + "/w/api.php"},
		{in: "https://xx.wikipedia.org/w/api.php", want: "https://xx.wikipedia.org/w/api.php"},
		{in: "xx.wikipedia.org/w/api.php", want: "https://xx.wikipedia.org/w/api.php"},
		{in: wiki.URL + "/plain", wantErr: "names no API"},
		{in: wiki.URL + "/missing", wantErr: "404"},
		{in: "ftp://example.org/", wantErr: "not the address of a wiki"},
	} {
		got, err := FindAPI(context.Background(), wiki.Client(), tt.in, "test", 5*time.Second)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("FindAPI(%q) = %q, %v; want an error naming %q", tt.in, got, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("FindAPI(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
