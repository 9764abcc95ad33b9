package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mwprovision/mwprovision/wikitest"
)

// throttleNow is the fixed clock of the tests: 15 days before the event.
var throttleNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// validThrottle are options that pass the checks as of throttleNow; each
// test changes one.
func validThrottle() *throttleOptions {
	return &throttleOptions{
		APIs: *cli.NewStringSlice("https://en.wikipedia.org/w/api.php"),
		From: "2026-12-05T09:00:00-05:00", To: "2026-12-05T18:00:00-05:00",
		IPs: *cli.NewStringSlice("198.51.100.7"), Participants: 40,
		Event: "Edit-a-thon at the City Library", Task: "T123456",
	}
}

// The times: an offset, to the minute, an end after the start, at most 7
// days, a start at least 72 hours away unless --soon.
func TestThrottleTimeRules(t *testing.T) {
	for _, tt := range []struct {
		name, from, to string
		soon           bool
		wantErr        string // "" passes
		wantSoon       bool
	}{
		{"a day's event", "2026-12-05T09:00:00-05:00", "2026-12-05T18:00:00-05:00", false, "", false},
		{"without seconds", "2026-12-05T09:00-05:00", "2026-12-05T18:00-05:00", false, "", false},
		{"in UTC", "2026-12-05T09:00:00Z", "2026-12-05T18:00:00Z", false, "", false},
		{"half-hour offset", "2026-12-05T09:00:00+05:30", "2026-12-06T17:00:00+05:30", false, "", false},
		{"offsets differ (summer time ends in Sydney)", "2027-04-03T09:00:00+11:00", "2027-04-04T18:00:00+10:00", false, "", false},
		{"no offset", "2026-12-05T09:00:00", "2026-12-05T18:00:00-05:00", false, "--from 2026-12-05T09:00:00 has no offset from UTC: add the venue's, such as 2026-12-05T09:00:00-05:00", false},
		{"no offset, no seconds, a space", "2026-12-05 09:00", "2026-12-05T18:00:00-05:00", false, "has no offset from UTC", false},
		{"seconds", "2026-12-05T09:00:30-05:00", "2026-12-05T18:00:00-05:00", false, "--from 2026-12-05T09:00:30-05:00 has seconds: give the time to the minute, such as 2026-12-05T09:00:00-05:00", false},
		{"not a time", "5 December, 9 am", "2026-12-05T18:00:00-05:00", false, `--from "5 December, 9 am" is not a time with its offset from UTC`, false},
		{"the end not given", "2026-12-05T09:00:00-05:00", "", false, "throttle-request needs --from and --to", false},
		{"the end at the start", "2026-12-05T09:00:00-05:00", "2026-12-05T14:00:00Z", false, "--to 2026-12-05T14:00:00Z is not after --from 2026-12-05T09:00:00-05:00: give when the event ends", false},
		{"the end before the start", "2026-12-05T18:00:00-05:00", "2026-12-05T09:00:00-05:00", false, "is not after --from", false},
		{"7 days", "2026-12-05T09:00:00-05:00", "2026-12-12T09:00:00-05:00", false, "", false},
		{"longer than 7 days", "2026-12-05T09:00:00-05:00", "2026-12-12T09:01:00-05:00", false, "is 7 days 1 minute: an exception to the limit is for an event, 7 days at most", false},
		{"passed", "2026-11-19T09:00:00Z", "2026-11-19T18:00:00Z", true, "--from 2026-11-19T09:00:00Z has passed (it is 2026-11-20T12:00:00Z now)", false},
		{"started", "2026-11-20T11:00:00Z", "2026-11-20T18:00:00Z", true, "has passed", false},
		{"72 hours ahead", "2026-11-23T12:00:00Z", "2026-11-23T18:00:00Z", false, "", false},
		{"a minute short of 72 hours", "2026-11-23T11:59:00Z", "2026-11-23T18:00:00Z", false,
			"--from 2026-11-23T11:59:00Z is only 2 days 23 hours 59 minutes away: Wikimedia's deployers ask for 72 hours' notice, because an exception that starts sooner works only once they purge a cache by hand after deploying it. Move the event, or run again with --soon", false},
		{"tomorrow", "2026-11-21T09:00:00Z", "2026-11-21T18:00:00Z", false, "is only 21 hours away: Wikimedia's deployers ask for 72 hours' notice", false},
		{"tomorrow, --soon", "2026-11-21T09:00:00Z", "2026-11-21T18:00:00Z", true, "", true},
		{"later, --soon", "2026-12-05T09:00:00Z", "2026-12-05T18:00:00Z", true, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := validThrottle()
			o.From, o.To, o.Soon = tt.from, tt.to, tt.soon
			r, err := o.check(throttleNow, true)
			checkErr(t, err, tt.wantErr)
			if err == nil && r.soon != tt.wantSoon {
				t.Errorf("soon = %v, want %v", r.soon, tt.wantSoon)
			}
		})
	}
}

// checkErr checks that err holds want, or is nil when want is "".
func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("refused: %v", err)
	case want != "" && err == nil:
		t.Errorf("passed, want an error with %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("error:\n  %v\nwant it to hold:\n  %s", err, want)
	}
}

// An address the wikis never see as the venue's is refused, each kind
// with its reason and how to find the venue's public address.
func TestThrottleRefusesAddressesNoVenueHas(t *testing.T) {
	for _, tt := range []struct{ ip, want string }{
		{"10.1.2.3", "--ip 10.1.2.3 is a private address (RFC 1918): it is used only inside a local network"},
		{"172.16.5.4", "is a private address (RFC 1918)"},
		{"172.31.255.254", "is a private address (RFC 1918)"},
		{"192.168.1.20", "is a private address (RFC 1918)"},
		{"10.0.0.0/24", "--ip 10.0.0.0/24 takes in a private address (RFC 1918)"},
		{"fd12:3456:789a::1", "is a unique local address (RFC 4193)"},
		{"fc00::/64", "takes in a unique local address (RFC 4193)"},
		{"127.0.0.1", "is a loopback address: it is the computer itself"},
		{"::1", "is a loopback address"},
		{"169.254.10.1", "is a link-local address"},
		{"fe80::1", "is a link-local address"},
		{"fe80::1%eth0", "names a network interface (%eth0), which only this computer knows"},
		{"100.64.0.1", "is a shared address of carrier-grade NAT (100.64.0.0/10, RFC 6598): the venue's provider shares one public address"},
		{"100.127.255.254", "carrier-grade NAT"},
		{"0.0.0.0", "the unspecified address"},
		{"::", "is the unspecified address"},
		{"224.0.0.1", "is a multicast address"},
		{"ff02::1", "is a multicast address"},
		{"240.0.0.1", "is a reserved address"},
		{"255.255.255.255", "is a reserved address (240.0.0.0/4, the broadcast address too)"},
		{"198.18.0.1", "reserved for network tests (RFC 2544)"},
		{"192.0.2.1", "is an address reserved for documentation (RFC 5737)"},
		{"198.51.100.7", "is an address reserved for documentation (RFC 5737)"},
		{"203.0.113.0/28", "takes in an address reserved for documentation (RFC 5737)"},
		{"2001:db8::1", "is an address reserved for documentation (RFC 3849)"},
		{"3fff::1", "is an address reserved for documentation (RFC 9637)"},
		{"::ffff:192.168.1.20", "is a private address (RFC 1918)"}, // IPv4 in IPv6
	} {
		t.Run(tt.ip, func(t *testing.T) {
			_, err := parseVenue([]string{tt.ip}, false)
			checkErr(t, err, tt.want)
			if err != nil && (!strings.Contains(err.Error(), "ask the venue's IT") || !strings.Contains(err.Error(), `open a "what is my IP" page`)) {
				t.Errorf("the error does not say how to find the venue's address: %v", err)
			}
		})
	}
}

// Public addresses and ranges pass, IPv4 and IPv6, written as the wikis
// compare them; a range wider than a venue's, or not a range, is refused.
func TestThrottleVenueAddresses(t *testing.T) {
	for _, tt := range []struct {
		ips      []string
		examples bool
		want     []string // the prefixes; nil with wantErr
		wantErr  string
	}{
		{[]string{"1.2.3.4"}, false, []string{"1.2.3.4/32"}, ""},
		{[]string{"2a01:4f8:c0c:1234::7"}, false, []string{"2a01:4f8:c0c:1234::7/128"}, ""},
		{[]string{"198.51.100.7"}, true, []string{"198.51.100.7/32"}, ""},
		{[]string{"198.51.100.7/32"}, true, []string{"198.51.100.7/32"}, ""},
		{[]string{"198.51.100.0/28"}, true, []string{"198.51.100.0/28"}, ""},
		{[]string{"198.51.100.0/24"}, true, []string{"198.51.100.0/24"}, ""},
		{[]string{"2001:DB8:0:0::0007"}, true, []string{"2001:db8::7/128"}, ""}, // RFC 5952's form
		{[]string{"2001:db8:1200::/56"}, true, []string{"2001:db8:1200::/56"}, ""},
		{[]string{"2001:db8:1200:3400::/64"}, true, []string{"2001:db8:1200:3400::/64"}, ""},
		{[]string{"::ffff:198.51.100.7"}, true, []string{"198.51.100.7/32"}, ""},
		{[]string{"198.51.100.7", " 198.51.100.7 ", "2001:db8::7", "203.0.113.0/28"}, true,
			[]string{"198.51.100.7/32", "2001:db8::7/128", "203.0.113.0/28"}, ""},
		{nil, true, nil, "throttle-request needs --ip: the venue's public IP address, or its range as CIDR"},
		{[]string{"198.51.0.0/23"}, true, nil, "--ip 198.51.0.0/23 is wider than a venue needs: the exception lets anyone there create accounts, so it is kept to the venue's own addresses; give the venue's public address, or its range, at most 256 addresses (/24 or narrower)"},
		{[]string{"1.0.0.0/8"}, false, nil, "is wider than a venue needs"},
		{[]string{"2001:db8::/48"}, true, nil, "--ip 2001:db8::/48 is wider than a venue needs: the exception lets anyone there create accounts, so it is kept to the venue's own addresses; give the venue's public address, or its range, a /56 or narrower"},
		{[]string{"198.51.100.7/28"}, true, nil, "--ip 198.51.100.7/28 has bits set after the first 28: the range is 198.51.100.0/28; give that, or the single address 198.51.100.7"},
		{[]string{"::ffff:198.51.100.0/120"}, true, nil, "is an IPv4 range written as IPv6: give it as IPv4"},
		{[]string{"198.51.100.0/33"}, true, nil, `--ip "198.51.100.0/33" is not a CIDR range`},
		{[]string{"the library"}, true, nil, `--ip "the library" is neither an IP address nor a CIDR range`},
		{[]string{"198.051.100.7"}, true, nil, "is neither an IP address nor a CIDR range"},
		{[]string{"198.51.100.7-198.51.100.9"}, true, nil, "is neither an IP address nor a CIDR range"},
	} {
		t.Run(strings.Join(tt.ips, ","), func(t *testing.T) {
			got, err := parseVenue(tt.ips, tt.examples)
			checkErr(t, err, tt.wantErr)
			if err != nil {
				return
			}
			var s []string
			for _, p := range got {
				s = append(s, p.String())
			}
			if !reflect.DeepEqual(s, tt.want) {
				t.Errorf("got %v, want %v", s, tt.want)
			}
		})
	}
}

// The limit is the participants plus a fifth, rounded up, at least 5.
func TestThrottleMargin(t *testing.T) {
	for _, tt := range []struct{ participants, margin, limit int }{
		{1, 5, 6}, {10, 5, 15}, {25, 5, 30}, {26, 6, 32}, {40, 8, 48}, {100, 20, 120}, {101, 21, 122}, {1000, 200, 1200},
	} {
		r := &throttleRequest{participants: tt.participants}
		if m, l := margin(tt.participants), r.limit(); m != tt.margin || l != tt.limit {
			t.Errorf("%d participants: margin %d, limit %d; want %d, %d", tt.participants, m, l, tt.margin, tt.limit)
		}
	}
	for n, want := range map[int]string{
		0:  "throttle-request needs --participants N: how many participants are expected, 1 or more",
		-3: "--participants -3: give how many participants are expected, 1 or more",
	} {
		o := validThrottle()
		o.Participants = n
		_, err := o.check(throttleNow, true)
		checkErr(t, err, want)
	}
}

// The other flags: the wikis' URLs, the task, the event's name.
func TestThrottleOtherFlags(t *testing.T) {
	for _, tt := range []struct {
		name     string
		change   func(o *throttleOptions)
		wantErr  string
		wantTask string
	}{
		{"no --api", func(o *throttleOptions) { o.APIs = cli.StringSlice{} }, "throttle-request needs --api: the api.php URL of each wiki", ""},
		{"not a URL", func(o *throttleOptions) { o.APIs = *cli.NewStringSlice("en.wikipedia.org") }, `--api "en.wikipedia.org" is not an http(s) URL of api.php`, ""},
		{"a query", func(o *throttleOptions) {
			o.APIs = *cli.NewStringSlice("https://en.wikipedia.org/w/api.php?action=query")
		}, "has a query or a fragment", ""},
		{"a password", func(o *throttleOptions) { o.APIs = *cli.NewStringSlice("https://me:secret@en.wikipedia.org/w/api.php") }, "holds a user or password", ""},
		{"task T123", func(o *throttleOptions) { o.Task = "T123" }, "", "T123"},
		{"task 123", func(o *throttleOptions) { o.Task = "123" }, "", "T123"},
		{"task URL", func(o *throttleOptions) { o.Task = "https://phabricator.wikimedia.org/T123" }, "", "T123"},
		{"task not a task", func(o *throttleOptions) { o.Task = "#T12a" }, `--task "#T12a" is not a Phabricator task: give its number, such as T123456`, ""},
		{"no task, no event", func(o *throttleOptions) { o.Task, o.Event = "", "" }, "", ""},
		{"event on two lines", func(o *throttleOptions) { o.Event = "Edit-a-thon\nat the library" }, "--event holds a control character (U+000A, such as a line break)", ""},
		{"contact on two lines", func(o *throttleOptions) { o.Contact = "me@example.org\nX-Other: 1" }, "--contact holds a control character (U+000A", ""},
		{"event ending PHP", func(o *throttleOptions) { o.Event = "Why?> Because" }, `--event holds "?>", which would end the PHP code`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := validThrottle()
			tt.change(o)
			r, err := o.check(throttleNow, true)
			checkErr(t, err, tt.wantErr)
			if err == nil && r.task != tt.wantTask {
				t.Errorf("task %q, want %q", r.task, tt.wantTask)
			}
		})
	}
}

// from and to are written as throttle.php writes them: the local time to
// the minute, the offset as H:MM with its sign.
func TestThrottlePHPTime(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"2026-12-05T09:00:00-05:00", "2026-12-05T09:00 -5:00"},
		{"2026-12-05T09:00:00+05:30", "2026-12-05T09:00 +5:30"},
		{"2026-12-05T09:00:00Z", "2026-12-05T09:00 +0:00"},
		{"2026-12-05T09:00:00+00:00", "2026-12-05T09:00 +0:00"},
		{"2026-12-05T23:45:00-09:30", "2026-12-05T23:45 -9:30"},
		{"2026-12-05T00:00:00+14:00", "2026-12-05T00:00 +14:00"},
		{"2026-12-05T09:00:00-00:30", "2026-12-05T09:00 -0:30"},
	} {
		at, err := parseEventTime("--from", tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := phpTime(at); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.in, got, tt.want)
		}
	}
}

// fakeWikimedia serves siteinfo as a Wikimedia wiki would, and counts the
// requests; anything but a siteinfo GET with mwprovision's User-Agent
// fails the test.
func fakeWikimedia(t *testing.T, dbname, server string, temp bool, requests *atomic.Int32) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		q := r.URL.Query()
		if r.Method != http.MethodGet || q.Get("action") != "query" || q.Get("meta") != "siteinfo" || q.Get("siprop") != "general|autocreatetempuser" {
			t.Errorf("%s asked %s %s", server, r.Method, r.URL)
		}
		if ua := r.Header.Get("User-Agent"); ua != "mwprovision/"+version+" (+organizer@example.org)" {
			t.Errorf("%s: User-Agent %q", server, ua)
		}
		answer := map[string]any{
			"batchcomplete": true,
			"query": map[string]any{
				"general": map[string]any{
					"sitename": "Wikipedia", "servername": server, "wikiid": dbname, "lang": "en",
					"generator": "MediaWiki 1.46.0-wmf.1", "wmf-config": map[string]any{"wmgMasterDatacenter": "eqiad"},
				},
				"autocreatetempuser": map[string]any{"enabled": temp},
			},
		}
		if temp {
			answer["query"].(map[string]any)["autocreatetempuser"] = map[string]any{"enabled": true, "matchPatterns": []string{"~2$1"}}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// runThrottle runs throttle-request as the program does, with the fixed
// clock and the documentation's addresses taken.
func runThrottle(t *testing.T, now time.Time, args ...string) cliRun {
	t.Helper()
	var out, errb bytes.Buffer
	app := &cli.App{
		Name: "mwprovision", Writer: &out, ErrWriter: &errb,
		ExitErrHandler: func(*cli.Context, error) {}, DisableSliceFlagSeparator: true,
		Commands: []*cli.Command{throttleCommandWith(throttleEnv{now: func() time.Time { return now }, hc: newHTTPClient(1), examples: true})},
	}
	err := app.RunContext(context.Background(), append([]string{"mwprovision", "throttle-request"}, args...))
	code := exitCode(err, &errb)
	return cliRun{code: code, stdout: out.String(), stderr: errb.String()}
}

// theEvent is the command line of the realistic event: enwiki with
// temporary accounts, commonswiki without.
func theEvent(en, commons string) []string {
	return []string{"--api", en + "/w/api.php", "--api", commons + "/w/api.php",
		"--from", "2026-12-05T09:00:00-05:00", "--to", "2026-12-05T18:00:00-05:00",
		"--ip", "198.51.100.7", "--participants", "40",
		"--event", "Edit-a-thon at the City Library", "--task", "T123456", "--contact", "organizer@example.org"}
}

// The whole output for one realistic event, against wikis that serve
// siteinfo: one question to each, nothing else sent.
func TestThrottleRequestGolden(t *testing.T) {
	var enAsked, commonsAsked atomic.Int32
	en := fakeWikimedia(t, "enwiki", "en.wikipedia.org", true, &enAsked)
	commons := fakeWikimedia(t, "commonswiki", "commons.wikimedia.org", false, &commonsAsked)
	r := runThrottle(t, throttleNow, theEvent(en.URL, commons.URL)...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if enAsked.Load() != 1 || commonsAsked.Load() != 1 {
		t.Errorf("asked enwiki %d times, commonswiki %d times; want once each", enAsked.Load(), commonsAsked.Load())
	}
	golden := filepath.Join("testdata", "throttle-request.txt")
	if *updateTranscripts {
		if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("no golden output (%v): write it with go test -run '^TestThrottleRequestGolden$' -update", err)
	}
	if r.stdout != string(want) {
		t.Errorf("the output differs from %s (go test -run '^TestThrottleRequestGolden$' -update rewrites it):\n%s", golden, r.stdout)
	}
}

// A request checked false asks no wiki and writes nothing; --soon writes
// it with a warning and asks for the purge.
func TestThrottleRequestRefusesBeforeAsking(t *testing.T) {
	var asked atomic.Int32
	en := fakeWikimedia(t, "enwiki", "en.wikipedia.org", true, &asked)
	commons := fakeWikimedia(t, "commonswiki", "commons.wikimedia.org", false, &asked)
	fiftyHoursBefore := time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC).Add(-50 * time.Hour)

	r := runThrottle(t, fiftyHoursBefore, theEvent(en.URL, commons.URL)...)
	if r.code != exitUsage || r.stdout != "" || asked.Load() != 0 ||
		!strings.Contains(r.stderr, "mwprovision: --from 2026-12-05T09:00:00-05:00 is only 2 days 2 hours away: Wikimedia's deployers ask for 72 hours' notice") {
		t.Errorf("too soon: exit %d, %d questions, stdout %q, stderr:\n%s", r.code, asked.Load(), r.stdout, r.stderr)
	}

	r = runThrottle(t, fiftyHoursBefore, append(theEvent(en.URL, commons.URL), "--soon")...)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: the event starts in 2 days 2 hours, less than the 72 hours' notice") ||
		!strings.Contains(r.stdout, "- Soon: the event starts less than 72 hours after this request, so once the entry is deployed the throttle's cache needs purging by hand for that address (https://wikitech.wikimedia.org/wiki/Increasing_account_creation_threshold)\n") {
		t.Errorf("--soon: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	r = runThrottle(t, throttleNow, "--api", en.URL+"/w/api.php", "extra")
	if r.code != exitUsage || !strings.Contains(r.stderr, `throttle-request takes flags only, not "extra"`) {
		t.Errorf("an argument: exit %d, stderr %s", r.code, r.stderr)
	}
}

// Ctrl-C while a wiki is asked: nothing is written, and it says so.
func TestThrottleRequestInterrupted(t *testing.T) {
	asked := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(asked)
		<-r.Context().Done()
	}))
	defer slow.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-asked; cancel() }()
	o := validThrottle()
	o.APIs = *cli.NewStringSlice(slow.URL + "/w/api.php")
	var out, errb bytes.Buffer
	err := o.run(ctx, &out, &errb, throttleEnv{now: func() time.Time { return throttleNow }, hc: newHTTPClient(1), examples: true})
	if !errors.Is(err, errThrottleInterrupted) || out.Len() > 0 {
		t.Errorf("error %v, stdout %q; want %v and nothing", err, out.String(), errThrottleInterrupted)
	}
}

// A wiki that is not one of Wikimedia's, or not a wiki, is refused, and
// nothing is written.
func TestThrottleRequestRefusesOtherWikis(t *testing.T) {
	var asked atomic.Int32
	en := fakeWikimedia(t, "enwiki", "en.wikipedia.org", true, &asked)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"query":{"general":{"sitename":"Our wiki","servername":"wiki.example.org","wikiid":"ourwiki"}}}`))
	}))
	defer other.Close()
	notAWiki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`<html>Welcome</html>`))
	}))
	defer notAWiki.Close()
	for _, tt := range []struct{ api, want string }{
		{other.URL + "/w/api.php", "--api " + other.URL + "/w/api.php: wiki.example.org is not one of Wikimedia's wikis: throttle.php lifts the limit on Wikimedia's wikis only; on another wiki ask its administrators to raise $wgAccountCreationThrottle"},
		{notAWiki.URL + "/w/api.php", "--api " + notAWiki.URL + "/w/api.php: asking the wiki for its name: the server answered HTTP 200 with something that is not the API's JSON"},
	} {
		args := theEvent(en.URL, en.URL)
		args[3] = tt.api
		r := runThrottle(t, throttleNow, args...)
		if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s", tt.api, r.code, r.stdout, r.stderr)
		}
	}
}

// The entries parse back in the wiki's own PHP, into the array throttle.php
// holds: each wiki in one entry, tempaccountvalue only where it has
// temporary accounts, one address as IP and several as ranges; from and
// to mean, to PHP's strtotime, the times given; and they pass the checks
// Wikimedia's tests make of the file (an IP is one valid address, a range
// a valid CIDR range, both public). Without -short php must be there: make
// wiki-deps installs it.
func TestThrottleEntryParsesInPHP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PHP: run without -short (make test)")
	}
	php, err := exec.LookPath("php")
	if err != nil {
		t.Fatalf("php is not installed (no php in PATH): run `make wiki-deps` (as root: wikitest/install-deps.sh)")
	}
	autoload := filepath.Join(wikitest.MediaWikiDir, "vendor", "autoload.php")
	if _, err := os.Stat(autoload); err != nil {
		t.Fatalf("MediaWiki's libraries are not installed (%v): run `make wiki-deps` (as root: wikitest/install-deps.sh)", err)
	}
	en := throttleWiki{DBName: "enwiki", Server: "en.wikipedia.org", TempAccounts: true}
	commons := throttleWiki{DBName: "commonswiki", Server: "commons.wikimedia.org"}
	de := throttleWiki{DBName: "dewiki", Server: "de.wikipedia.org", TempAccounts: true}
	type entry map[string]any
	for _, tt := range []struct {
		name     string
		from, to string
		ips      []string
		wikis    []throttleWiki
		want     []entry
	}{
		{"the golden event", "2026-12-05T09:00:00-05:00", "2026-12-05T18:00:00-05:00", []string{"198.51.100.7"}, []throttleWiki{en, commons}, []entry{
			{"from": "2026-12-05T09:00 -5:00", "to": "2026-12-05T18:00 -5:00", "IP": "198.51.100.7", "dbname": []any{"enwiki"}, "value": 48.0, "tempaccountvalue": 48.0},
			{"from": "2026-12-05T09:00 -5:00", "to": "2026-12-05T18:00 -5:00", "IP": "198.51.100.7", "dbname": []any{"commonswiki"}, "value": 48.0},
		}},
		{"one range, India", "2026-12-05T09:00:00+05:30", "2026-12-07T17:30:00+05:30", []string{"203.0.113.16/28"}, []throttleWiki{commons}, []entry{
			{"from": "2026-12-05T09:00 +5:30", "to": "2026-12-07T17:30 +5:30", "range": "203.0.113.16/28", "dbname": []any{"commonswiki"}, "value": 48.0},
		}},
		{"IPv6 and IPv4, UTC", "2026-12-05T09:00:00Z", "2026-12-05T18:00:00Z", []string{"2001:db8::7", "2001:db8:1200::/56", "198.51.100.7"}, []throttleWiki{en, de}, []entry{
			{"from": "2026-12-05T09:00 +0:00", "to": "2026-12-05T18:00 +0:00", "range": []any{"2001:db8::7/128", "2001:db8:1200::/56", "198.51.100.7/32"},
				"dbname": []any{"enwiki", "dewiki"}, "value": 48.0, "tempaccountvalue": 48.0},
		}},
		{"one IPv6 address, summer time ends", "2026-10-24T09:00:00+02:00", "2026-10-25T18:00:00+01:00", []string{"2001:db8::7"}, []throttleWiki{commons}, []entry{
			{"from": "2026-10-24T09:00 +2:00", "to": "2026-10-25T18:00 +1:00", "IP": "2001:db8::7", "dbname": []any{"commonswiki"}, "value": 48.0},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := validThrottle()
			o.From, o.To, o.IPs = tt.from, tt.to, *cli.NewStringSlice(tt.ips...)
			from, _ := parseEventTime("--from", tt.from)
			r, err := o.check(from.Add(-10*24*time.Hour), true)
			if err != nil {
				t.Fatal(err)
			}
			r.wikis = tt.wikis
			var b bytes.Buffer
			r.write(&b)
			_, code, ok := strings.Cut(b.String(), "```lang=php\n")
			code, _, ok2 := strings.Cut(code, "```\n")
			if !ok || !ok2 {
				t.Fatalf("no PHP block in:\n%s", b.String())
			}
			file := filepath.Join(t.TempDir(), "entry.php")
			if err := os.WriteFile(file, []byte("<?php\n"+code), 0o644); err != nil {
				t.Fatal(err)
			}
			const check = `require $argv[2];
use Wikimedia\IPUtils;
$wmgThrottlingExceptions = [];
include $argv[1];
$checks = [];
foreach ( $wmgThrottlingExceptions as $rule ) {
	$c = [ 'from' => strtotime( $rule['from'] ), 'to' => strtotime( $rule['to'] ), 'bad' => [] ];
	if ( isset( $rule['IP'] ) && isset( $rule['range'] ) ) $c['bad'][] = 'both IP and range';
	if ( isset( $rule['IP'] ) && !( is_string( $rule['IP'] ) && IPUtils::isValid( $rule['IP'] ) && IPUtils::isPublic( $rule['IP'] ) ) ) $c['bad'][] = 'IP';
	foreach ( (array)( $rule['range'] ?? [] ) as $range ) {
		if ( !IPUtils::isValidRange( $range ) ) { $c['bad'][] = "range $range"; continue; }
		[ $start, $end ] = IPUtils::parseRange( $range );
		if ( !IPUtils::isPublic( IPUtils::formatHex( $start ) ) || !IPUtils::isPublic( IPUtils::formatHex( $end ) ) ) $c['bad'][] = "range $range not public";
	}
	if ( !is_int( $rule['value'] ) ) $c['bad'][] = 'value';
	$checks[] = $c;
}
echo json_encode( [ 'entries' => $wmgThrottlingExceptions, 'checks' => $checks ] );`
			out, err := exec.Command(php, "-r", check, file, autoload).Output()
			if err != nil {
				t.Fatalf("php: %v\n%s\nthe entry:\n%s", err, stderrOf(err), code)
			}
			var got struct {
				Entries []entry
				Checks  []struct {
					From, To int64
					Bad      []string
				}
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("php printed %q: %v", out, err)
			}
			if len(got.Checks) != len(tt.want) {
				t.Fatalf("PHP checked %d entries, want %d:\n%s", len(got.Checks), len(tt.want), out)
			}
			if !reflect.DeepEqual(got.Entries, tt.want) {
				t.Errorf("PHP reads the entry:\n%s\nas %v\nwant %v", code, got.Entries, tt.want)
			}
			for i, c := range got.Checks {
				if c.From != r.from.Unix() || c.To != r.to.Unix() {
					t.Errorf("entry %d: strtotime gives %s to %s, want %s to %s", i, time.Unix(c.From, 0).UTC(), time.Unix(c.To, 0).UTC(), r.from.UTC(), r.to.UTC())
				}
				if len(c.Bad) > 0 {
					t.Errorf("entry %d fails Wikimedia's checks: %v\n%s", i, c.Bad, code)
				}
			}
		})
	}
}

// stderrOf is what a failed command said on stderr.
func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// A real MediaWiki answers siteinfo as throttle-request reads it: its
// database name, and, on MediaWiki 1.43 with temporary accounts enabled,
// that it has them (1.39 knows no autocreatetempuser, warns, and has
// none).
func TestThrottleRequestReadsSiteinfoOfARealWiki(t *testing.T) {
	rel, err := wikitest.ReleaseNamed("")
	if err != nil {
		t.Fatal(err)
	}
	opts := wikitest.Options{}
	withTemp := rel.Name != "1.39"
	if withTemp {
		opts.Extra = "$wgAutoCreateTempUser['enabled'] = true;\n"
	}
	w := wikitest.Start(t, opts)
	g, temp, err := siteinfoOf(context.Background(), newHTTPClient(1), time.Now, w.API, "mwprovision/"+version)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s (%s): wikiid %q, temporary accounts %v", rel, g.Generator, g.WikiID, temp)
	if !dbName.MatchString(g.WikiID) || temp != withTemp {
		t.Errorf("%s: wikiid %q, temporary accounts %v; want a database name, and %v", rel, g.WikiID, temp, withTemp)
	}
	if g.Wikimedia() {
		t.Errorf("the test wiki %s counts as Wikimedia's", g.ServerName)
	}
}
