package main

import (
	"maps"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/time/rate"
)

// validate runs the checks `mwprovision run` makes before anything else,
// on flags set as the command line would set them.
func validate(t *testing.T, o runOptions, env map[string]string, stdin string, tty bool, args ...string) (*runOptions, error) {
	t.Helper()
	if o.Workers == 0 {
		o.Workers = defaultWorkers
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = defaultMaxAttempts
	}
	if o.Rate == "" {
		o.Rate = defaultRate
	}
	if o.Timeout == 0 {
		o.Timeout = time.Minute
	}
	if o.MaxWait == 0 {
		o.MaxWait = defaultMaxWait
	}
	s, _, _ := bufferStreams(stdin, tty)
	err := o.validate(t.Context(), args, s, func(k string) string { return env[k] })
	return &o, err
}

func TestValidateRefusesWhatCannotWork(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "bot.password")
	writeSecretFile(t, secret, "0123456789abcdefghijklmnopqrstuv\n")
	api := "https://wiki.example.org/w/api.php"
	tests := []struct {
		name string
		o    runOptions
		env  map[string]string
		args []string
		want string
	}{
		{"no sheet", runOptions{DryRun: true}, nil, nil, "run needs exactly one sheet"},
		{"two sheets", runOptions{DryRun: true}, nil, []string{"a.csv", "b.csv"}, "(got 2 arguments)"},
		{"no wiki", runOptions{User: "A@b", PasswordFile: secret}, nil, []string{"s.csv"}, "no wiki: give --api"},
		{"creator without a wiki", runOptions{DryRun: true, User: "A@b"}, nil, []string{"s.csv"}, "--user and --oauth-token-file need --api"},
		{"not an URL", runOptions{API: "wiki.example.org", User: "A@b", PasswordFile: secret}, nil, []string{"s.csv"}, "is not an http(s) URL of api.php"},
		{"credentials in the URL", runOptions{API: "https://a:b@wiki.example.org/w/api.php", User: "A@b", PasswordFile: secret}, nil, []string{"s.csv"}, "must not contain a user or password"},
		{"plain http elsewhere", runOptions{API: "http://wiki.example.org/w/api.php", User: "A@b", PasswordFile: secret}, nil, []string{"s.csv"}, "--allow-insecure-http"},
		{"no creator", runOptions{API: api}, nil, []string{"s.csv"}, "no creator: give --user"},
		{"too many workers", runOptions{API: api, User: "A@b", PasswordFile: secret, Workers: 65}, nil, []string{"s.csv"}, "--workers 65: give 1 to 64"},
		{"no attempt", runOptions{API: api, User: "A@b", PasswordFile: secret, MaxAttempts: -1}, nil, []string{"s.csv"}, "--max-attempts -1"},
		{"negative wait", runOptions{API: api, User: "A@b", PasswordFile: secret, MaxWait: -time.Second}, nil, []string{"s.csv"}, "--max-wait -1s"},
		{"bad rate", runOptions{API: api, User: "A@b", PasswordFile: secret, Rate: "fast"}, nil, []string{"s.csv"}, `--rate "fast"`},
		{"token and bot password", runOptions{API: api, User: "A@b"}, map[string]string{"MWPROVISION_OAUTH_TOKEN": "tok"}, []string{"s.csv"}, "not both"},
		{"no bot password", runOptions{API: api, User: "A@b"}, nil, []string{"s.csv"}, "no bot password: give its file (readable by you alone: mwprovision save-password FILE writes one) or set MWPROVISION_PASSWORD"},
		{"a rate of NaN", runOptions{DryRun: true, Rate: "NaN"}, nil, []string{"s.csv"}, `--rate "NaN": give a rate such as 2/s`},
		{"an infinite rate", runOptions{DryRun: true, Rate: "+Inf/s"}, nil, []string{"s.csv"}, `--rate "+Inf/s": give a rate such as 2/s`},
		{"a rate that would never send", runOptions{DryRun: true, Rate: "0.0000001/h", MaxWait: 5 * time.Second}, nil, []string{"s.csv"},
			"--rate 0.0000001/h sends one request every more than a century: slower than one a day, a run would seem to hang"},
		{"one request in two days", runOptions{DryRun: true, Rate: "0.02/h"}, nil, []string{"s.csv"},
			"--rate 0.02/h sends one request every 50h0m0s: slower than one a day, a run would seem to hang; give a faster rate such as 1/h, or 0 for no limit"},
		{"no timeout", runOptions{DryRun: true, Timeout: -5 * time.Second}, nil, []string{"s.csv"}, "--request-timeout -5s: give how long to wait for one answer"},
		{"a line break in the contact", runOptions{DryRun: true, Contact: "me@example.org\nX-Evil: 1"}, nil, []string{"s.csv"}, "--contact holds a control character (U+000A"},
		{"a query in the API URL", runOptions{API: api + "?action=query", User: "A@b", PasswordFile: secret}, nil, []string{"s.csv"}, "has a query or a fragment"},
		{"a fragment in the API URL", runOptions{API: api + "#top", User: "A@b", PasswordFile: secret}, nil, []string{"s.csv"}, "has a query or a fragment"},
		{"an empty query in the API URL", runOptions{API: api + "?", User: "A@b", PasswordFile: secret}, nil, []string{"s.csv"}, "has a query or a fragment"},
		{"a column without a field", runOptions{DryRun: true, Columns: *cli.NewStringSlice("Wiki username")}, nil, []string{"s.csv"},
			`--column "Wiki username": write FIELD=COLUMN`},
		{"a column for no field", runOptions{DryRun: true, Columns: *cli.NewStringSlice("nick=Wiki username")}, nil, []string{"s.csv"},
			`"nick" is no field; the fields are username, email, realname, reason, password`},
		{"a field chosen twice", runOptions{DryRun: true, Columns: *cli.NewStringSlice("username=A", "Username=B")}, nil, []string{"s.csv"},
			"--column username= is given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := validate(t, tt.o, tt.env, "", false, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("validate: %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestValidateDerivesPathsSecretsAndRate(t *testing.T) {
	dir := t.TempDir()
	sheet := filepath.Join(dir, "signups.csv")
	secret := filepath.Join(dir, "bot.password")
	writeSecretFile(t, secret, "from-the-file\r\n")
	api := "http://127.0.0.1:8080/w/api.php" // plain http is fine on this machine
	tests := []struct {
		name          string
		o             runOptions
		env           map[string]string
		stdin         string
		tty           bool
		out, log      string
		password      string
		oauth         string
		limit         rate.Limit
		wantUserAgent string
		columns       map[string]string
	}{
		{name: "offline dry run", o: runOptions{DryRun: true, Rate: "0"},
			out: filepath.Join(dir, "signups.dry-run.results.csv"), log: filepath.Join(dir, "signups.dry-run.log.jsonl"), limit: rate.Inf, wantUserAgent: "mwprovision/" + version},
		{name: "a run, password from its file", o: runOptions{API: api, User: "A@b", PasswordFile: secret, Rate: "30/m", Contact: "me@example.org"},
			out: filepath.Join(dir, "signups.results.csv"), log: filepath.Join(dir, "signups.log.jsonl"), password: "from-the-file", limit: 0.5,
			wantUserAgent: "mwprovision/" + version + " (+me@example.org)"},
		{name: "password from the environment", o: runOptions{API: api, User: "A@b", Rate: "2/s"}, env: map[string]string{"MWPROVISION_PASSWORD": "from-env"},
			out: filepath.Join(dir, "signups.results.csv"), log: filepath.Join(dir, "signups.log.jsonl"), password: "from-env", limit: 2},
		{name: "password asked on the terminal", o: runOptions{API: api, User: "A@b", Rate: "500/h"}, stdin: "typed-in \n", tty: true,
			out: filepath.Join(dir, "signups.results.csv"), log: filepath.Join(dir, "signups.log.jsonl"), password: "typed-in", limit: rate.Limit(500.0 / 3600)},
		{name: "OAuth token from the environment", o: runOptions{API: api, Out: "x.csv", LogFile: "x.jsonl"}, env: map[string]string{"MWPROVISION_OAUTH_TOKEN": "tok"},
			out: "x.csv", log: "x.jsonl", oauth: "tok", limit: 0.5},
		{name: "columns chosen, commas and all", o: runOptions{DryRun: true, Rate: "0", Columns: *cli.NewStringSlice(" Username = Name, given ", "reason=")},
			out: filepath.Join(dir, "signups.dry-run.results.csv"), log: filepath.Join(dir, "signups.dry-run.log.jsonl"), limit: rate.Inf,
			columns: map[string]string{"username": "Name, given", "reason": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := validate(t, tt.o, tt.env, tt.stdin, tt.tty, sheet)
			if err != nil {
				t.Fatal(err)
			}
			if o.Out != tt.out || o.LogFile != tt.log {
				t.Errorf("paths %q %q, want %q %q", o.Out, o.LogFile, tt.out, tt.log)
			}
			if o.password != tt.password || o.oauth != tt.oauth {
				t.Errorf("secrets %q %q, want %q %q", o.password, o.oauth, tt.password, tt.oauth)
			}
			if math.Abs(float64(o.limit-tt.limit)) > 1e-9 {
				t.Errorf("rate %v, want %v", o.limit, tt.limit)
			}
			if len(o.columns) != len(tt.columns) || !maps.Equal(o.columns, tt.columns) {
				t.Errorf("columns %q, want %q", o.columns, tt.columns)
			}
			if tt.wantUserAgent != "" && o.userAgent() != tt.wantUserAgent {
				t.Errorf("User-Agent %q, want %q", o.userAgent(), tt.wantUserAgent)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want rate.Limit
		err  string
	}{
		{"0", rate.Inf, ""},
		{"2", 2, ""},
		{"2/s", 2, ""},
		{" 30 / m ", 0.5, ""},
		{"30/min", 0.5, ""},
		{"3600/h", 1, ""},
		{"1.5/sec", 1.5, ""},
		{"NaN", 0, "give a rate such as 2/s"},
		{"inf/s", 0, "give a rate such as 2/s"},
		{"fast", 0, "give a rate such as 2/s"},
		{"-1/s", 0, "give a rate such as 2/s"},
		{"5/d", 0, `unknown unit "d"`},
		// strconv.ParseFloat reads more than a rate: a sign, underscores
		// between digits, exponents, hexadecimal.
		{"-0", 0, "give a rate such as 2/s"},
		{"+2/s", 0, "give a rate such as 2/s"},
		{"1_0/s", 0, "give a rate such as 2/s"},
		{"1e3/h", 0, "give a rate such as 2/s"},
		{"0x10/m", 0, "give a rate such as 2/s"},
		{"5 /s", 5, ""}, // spaces around the slash, as in " 30 / m "
		{".5/s", 0.5, ""},
	}
	for _, tt := range tests {
		got, err := parseRate(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("parseRate(%q) error %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || math.Abs(float64(got-tt.want)) > 1e-9):
			t.Errorf("parseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
