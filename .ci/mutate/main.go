// Command mutate checks that the tests guarding mwprovision's promises fail
// when the code is wrong: it applies each mutation of a maintained list
// (.ci/mutants/*.txt) — an off-by-one, a dropped condition, a swapped
// branch — and runs the tests the mutation names, which must fail. The
// source tree is never touched: each mutant reaches the compiler through
// go test's -overlay.
//
// A list holds blocks like this one:
//
//	## redact-min-length: a token of exactly minSecret characters is not a secret
//	file: provision/mwapi/redact.go
//	test: ./provision/mwapi
//	test: . -run ^TestSecretsNeverReachOutputs$
//	- 	if len(s) >= minSecret {
//	+ 	if len(s) > minSecret {
//
// "## NAME: what the mutant breaks" starts a mutant. "file:" is the file
// it changes, from the repository's root. Each "test:" is a package and
// go test's arguments; the mutant is killed when one of them fails. The
// "- " lines, one after another, must occur exactly once in the file; the
// "+ " lines replace them (none: the lines are deleted). "equivalent: WHY"
// marks a mutant no test can kill because it changes nothing observable:
// it is still tried, and reported if a test kills it after all. Lines
// starting with "#" but not "##" are comments.
//
// Usage: go run ./.ci/mutate [-j N] [-only REGEXP] [LIST ...]
//
// It exits 0 when every mutant is killed (or is equivalent and survives),
// 1 when one survives unexplained, and 2 when the list does not match the
// code or a test fails without any mutant.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Mutant is one mutation and the tests that must kill it.
type Mutant struct {
	Name, What string
	File       string
	Tests      []Test
	Find       []string // the lines replaced
	Replace    []string // their replacement
	Equivalent string   // why no test can kill it; empty: one must
	Source     string   // list:line where it is defined
}

// Test is one go test command: a package and its arguments.
type Test struct {
	Pkg  string
	Args []string
}

func (t Test) String() string { return strings.TrimSpace(t.Pkg + " " + strings.Join(t.Args, " ")) }

// Parse reads a list of mutants.
func Parse(name string, r io.Reader) ([]Mutant, error) {
	var ms []Mutant
	var cur *Mutant
	sc := bufio.NewScanner(r)
	n := 0
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, a...))
	}
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			head := strings.TrimPrefix(line, "## ")
			id, what, ok := strings.Cut(head, ": ")
			if !ok || id == "" || strings.ContainsAny(id, " \t") {
				return nil, fail("want \"## NAME: what the mutant breaks\"")
			}
			ms = append(ms, Mutant{Name: id, What: what, Source: fmt.Sprintf("%s:%d", name, n)})
			cur = &ms[len(ms)-1]
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case cur == nil:
			return nil, fail("a line before the first \"## NAME: …\"")
		case strings.HasPrefix(line, "file: "):
			cur.File = strings.TrimSpace(strings.TrimPrefix(line, "file: "))
		case strings.HasPrefix(line, "test: "):
			f := strings.Fields(strings.TrimPrefix(line, "test: "))
			if len(f) == 0 {
				return nil, fail("test: names no package")
			}
			cur.Tests = append(cur.Tests, Test{Pkg: f[0], Args: f[1:]})
		case strings.HasPrefix(line, "equivalent: "):
			cur.Equivalent = strings.TrimSpace(strings.TrimPrefix(line, "equivalent: "))
		case strings.HasPrefix(line, "- "):
			if len(cur.Replace) > 0 {
				return nil, fail("a \"- \" line after the \"+ \" lines")
			}
			cur.Find = append(cur.Find, strings.TrimPrefix(line, "- "))
		case line == "-":
			cur.Find = append(cur.Find, "")
		case strings.HasPrefix(line, "+ "):
			cur.Replace = append(cur.Replace, strings.TrimPrefix(line, "+ "))
		case line == "+":
			cur.Replace = append(cur.Replace, "")
		default:
			return nil, fail("unknown line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, m := range ms {
		switch {
		case m.File == "" || len(m.Tests) == 0 || len(m.Find) == 0:
			return nil, fmt.Errorf("%s: %s: a mutant needs file:, test: and \"- \" lines", m.Source, m.Name)
		case seen[m.Name]:
			return nil, fmt.Errorf("%s: a second mutant named %s", m.Source, m.Name)
		}
		seen[m.Name] = true
	}
	return ms, nil
}

// Apply returns src with m's lines replaced, or an error when they do not
// occur exactly once.
func (m Mutant) Apply(src []byte) ([]byte, error) {
	find := []byte(strings.Join(m.Find, "\n") + "\n")
	switch n := bytes.Count(src, find); {
	case n == 0:
		return nil, fmt.Errorf("%s: %s: its \"- \" lines are not in %s: update the mutant to the code", m.Source, m.Name, m.File)
	case n > 1:
		return nil, fmt.Errorf("%s: %s: its \"- \" lines occur %d times in %s: take more lines", m.Source, m.Name, n, m.File)
	}
	repl := ""
	if len(m.Replace) > 0 {
		repl = strings.Join(m.Replace, "\n") + "\n"
	}
	out := bytes.Replace(src, find, []byte(repl), 1)
	if bytes.Equal(out, src) {
		return nil, fmt.Errorf("%s: %s: the mutant changes nothing", m.Source, m.Name)
	}
	return out, nil
}

// Verdict is what the tests made of a mutant.
type Verdict struct {
	Mutant   Mutant
	KilledBy string // the test command that failed; empty: survived
	Failure  string // the first failing lines
	Err      error  // the mutant could not be tried
	Took     time.Duration
}

// runner runs go test.
type runner struct {
	goCmd   string
	root    string
	timeout time.Duration
	env     []string
}

// run runs t with the overlay file (none: ""), and reports whether it
// passed, with its output.
func (r runner) run(ctx context.Context, t Test, overlay string) (bool, string, error) {
	args := []string{"test", "-count=1"}
	if overlay != "" {
		args = append(args, "-overlay="+overlay)
	}
	args = append(args, t.Pkg)
	args = append(args, t.Args...)
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.goCmd, args...)
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), r.env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		// A mutant that hangs a test is caught by it (a test without a
		// timeout of its own would hang the suite: that is a failure).
		return false, fmt.Sprintf("no answer in %s", r.timeout), nil
	}
	if bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]")) {
		return false, string(out), errors.New("does not compile:\n" + firstLines(string(out), 8))
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return false, string(out), err
	}
	return err == nil, string(out), nil
}

// try applies m through an overlay and runs its tests until one fails.
func (r runner) try(ctx context.Context, m Mutant, tmp string) (v Verdict) {
	start := time.Now()
	v = Verdict{Mutant: m}
	defer func() { v.Took = time.Since(start) }()
	path := filepath.Join(r.root, m.File)
	src, err := os.ReadFile(path)
	if err != nil {
		v.Err = err
		return v
	}
	mutated, err := m.Apply(src)
	if err != nil {
		v.Err = err
		return v
	}
	dir, err := os.MkdirTemp(tmp, m.Name+"-")
	if err != nil {
		v.Err = err
		return v
	}
	defer os.RemoveAll(dir)
	mfile := filepath.Join(dir, filepath.Base(m.File))
	if err := os.WriteFile(mfile, mutated, 0o644); err != nil {
		v.Err = err
		return v
	}
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {path: mfile}})
	overlay := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlay, ov, 0o644); err != nil {
		v.Err = err
		return v
	}
	for _, t := range m.Tests {
		passed, out, err := r.run(ctx, t, overlay)
		if err != nil {
			v.Err = fmt.Errorf("%s: %s: %w", m.Source, m.Name, err)
			return v
		}
		if !passed {
			v.KilledBy, v.Failure = t.String(), failureLines(out)
			return v
		}
	}
	return v
}

var failLine = regexp.MustCompile(`^\s+\S+_test\.go:\d+: |^--- FAIL|^panic:|no answer in`)

// failureLines are the first lines of out that say what failed.
func failureLines(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if failLine.MatchString(l) {
			keep = append(keep, strings.TrimSpace(l))
		}
		if len(keep) == 3 {
			break
		}
	}
	if len(keep) == 0 {
		return firstLines(out, 3)
	}
	return strings.Join(keep, " | ")
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func main() {
	os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
}

func mainErr(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jobs := fs.Int("j", 2, "mutants tried at once")
	only := fs.String("only", "", "try only the mutants whose name matches this regular expression")
	timeout := fs.Duration("timeout", 10*time.Minute, "the longest one test command may take")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	lists := fs.Args()
	if len(lists) == 0 {
		lists, _ = filepath.Glob(".ci/mutants/*.txt")
	}
	var all []Mutant
	for _, l := range lists {
		f, err := os.Open(l)
		if err != nil {
			fmt.Fprintln(stderr, "mutate:", err)
			return 2
		}
		ms, err := Parse(l, f)
		f.Close()
		if err != nil {
			fmt.Fprintln(stderr, "mutate:", err)
			return 2
		}
		all = append(all, ms...)
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fmt.Fprintln(stderr, "mutate: -only:", err)
			return 2
		}
		var keep []Mutant
		for _, m := range all {
			if re.MatchString(m.Name) {
				keep = append(keep, m)
			}
		}
		all = keep
	}
	if len(all) == 0 {
		fmt.Fprintln(stderr, "mutate: no mutants")
		return 2
	}
	root, _ := os.Getwd()
	goCmd := "go"
	if g := os.Getenv("GO"); g != "" {
		goCmd = g
	}
	r := runner{goCmd: goCmd, root: root, timeout: *timeout, env: []string{"MWPROVISION_TEST_MEDIAWIKI=1.39"}}
	ctx := context.Background()
	start := time.Now()

	// Every test command must pass on the code as it is: a mutant's
	// failure means something only then.
	var cmds []Test
	seen := map[string]bool{}
	for _, m := range all {
		for _, t := range m.Tests {
			if !seen[t.String()] {
				seen[t.String()] = true
				cmds = append(cmds, t)
			}
		}
	}
	fmt.Fprintf(stdout, "mutate: %d mutants; first the test commands they name (%d), on the code as it is\n", len(all), len(cmds))
	for _, t := range cmds {
		passed, out, err := r.run(ctx, t, "")
		if err != nil || !passed {
			fmt.Fprintf(stderr, "mutate: go test %s fails without any mutant:\n%s\n", t, firstLines(out, 20))
			return 2
		}
	}

	tmp, err := os.MkdirTemp("", "mwprovision-mutate-")
	if err != nil {
		fmt.Fprintln(stderr, "mutate:", err)
		return 2
	}
	defer os.RemoveAll(tmp)
	verdicts := make([]Verdict, len(all))
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range max(*jobs, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				v := r.try(ctx, all[i], tmp)
				verdicts[i] = v
				mu.Lock()
				report(stdout, v)
				mu.Unlock()
			}
		}()
	}
	for i := range all {
		work <- i
	}
	close(work)
	wg.Wait()
	return summary(stdout, verdicts, time.Since(start))
}

// report prints one mutant's verdict as it comes.
func report(w io.Writer, v Verdict) {
	m := v.Mutant
	took := v.Took.Round(time.Second)
	switch {
	case v.Err != nil:
		fmt.Fprintf(w, "ERROR     %s (%s): %v\n", m.Name, m.File, v.Err)
	case v.KilledBy != "" && m.Equivalent != "":
		fmt.Fprintf(w, "KILLED    %s, marked equivalent (%s): go test %s fails, so it is not: remove the mark\n", m.Name, took, v.KilledBy)
	case v.KilledBy != "":
		fmt.Fprintf(w, "killed    %s (%s) by go test %s: %s\n", m.Name, took, v.KilledBy, v.Failure)
	case m.Equivalent != "":
		fmt.Fprintf(w, "equal     %s (%s): survives, as listed: %s\n", m.Name, took, m.Equivalent)
	default:
		fmt.Fprintf(w, "SURVIVED  %s (%s): %s — %s changed, and every test passed\n", m.Name, took, m.What, m.File)
	}
}

// summary prints the figures by area (the list's file) and returns the
// exit code.
func summary(w io.Writer, vs []Verdict, took time.Duration) int {
	type fig struct{ tried, killed, equal, survived, errs int }
	byList := map[string]*fig{}
	total := &fig{}
	for _, v := range vs {
		list, _, _ := strings.Cut(v.Mutant.Source, ":")
		area := strings.TrimSuffix(filepath.Base(list), ".txt")
		f := byList[area]
		if f == nil {
			f = &fig{}
			byList[area] = f
		}
		for _, f := range []*fig{f, total} {
			f.tried++
			switch {
			case v.Err != nil:
				f.errs++
			case v.KilledBy != "" && v.Mutant.Equivalent == "":
				f.killed++
			case v.KilledBy == "" && v.Mutant.Equivalent != "":
				f.equal++
			default:
				f.survived++ // a survivor, or an "equivalent" one a test kills
			}
		}
	}
	areas := make([]string, 0, len(byList))
	for a := range byList {
		areas = append(areas, a)
	}
	sort.Strings(areas)
	fmt.Fprintf(w, "\n%-14s %6s %6s %10s %8s %6s\n", "area", "tried", "killed", "equivalent", "survived", "errors")
	for _, a := range append(areas, "all") {
		f := byList[a]
		if a == "all" {
			f = total
		}
		fmt.Fprintf(w, "%-14s %6d %6d %10d %8d %6d\n", a, f.tried, f.killed, f.equal, f.survived, f.errs)
	}
	fmt.Fprintf(w, "in %s\n", took.Round(time.Second))
	switch {
	case total.errs > 0:
		return 2
	case total.survived > 0:
		return 1
	}
	return 0
}
