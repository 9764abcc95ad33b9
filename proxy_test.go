package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// recordingProxy stands between mwprovision and the real wiki and records
// every request, to prove what was — and was not — sent.
type recordingProxy struct {
	API  string // the proxy's api.php URL
	mu   sync.Mutex
	reqs []url.Values
}

func newRecordingProxy(t *testing.T, wikiURL string) *recordingProxy {
	t.Helper()
	target, err := url.Parse(wikiURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		params := r.URL.Query()
		if form, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range form {
				params[k] = append(params[k], v...)
			}
		}
		p.mu.Lock()
		p.reqs = append(p.reqs, params)
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.API = srv.URL + "/w/api.php"
	return p
}

// actions counts the requests per action (and list= for queries).
func (p *recordingProxy) actions() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := map[string]int{}
	for _, q := range p.reqs {
		a := q.Get("action")
		if a == "query" {
			a += ":" + strings.Join([]string{q.Get("list"), q.Get("meta")}, "/")
		}
		n[a]++
	}
	return n
}
