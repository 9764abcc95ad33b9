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
	API     string // the proxy's api.php URL
	mu      sync.Mutex
	reqs    []url.Values
	cookies []string // Cookie header values sent
	auth    []string // the Authorization header of every request ("" when absent)
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
		p.auth = append(p.auth, r.Header.Get("Authorization"))
		if c := r.Header.Get("Cookie"); c != "" {
			p.cookies = append(p.cookies, c)
		}
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.API = srv.URL + "/w/api.php"
	return p
}

// secrets returns the token and cookie values that crossed the proxy.
func (p *recordingProxy) secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[string]bool{}
	for _, q := range p.reqs {
		for _, k := range []string{"createtoken", "lgtoken", "token", "logintoken", "lgpassword", "password", "retype"} {
			for _, v := range q[k] {
				seen[v] = true
			}
		}
	}
	for _, c := range p.cookies {
		for _, part := range strings.Split(c, ";") {
			if _, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
				seen[v] = true
			}
		}
	}
	var out []string
	for v := range seen {
		if len(v) >= 8 { // session ids, tokens, passwords; not flags like "1"
			out = append(out, v)
		}
	}
	return out
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
