package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every command block of the README that a Windows user would type
// differently — the program run as ./mwprovision, a path under ~, a line
// continued with a backslash — is followed by its PowerShell form, which
// has none of those. The Linux-only blocks (make, sha256sum, tar) are
// exempt.
func TestReadmeGivesEveryCommandInPowerShell(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	fence := regexp.MustCompile("(?m)^[ \t]*```([a-z]*)[ \t]*$")
	marks := fence.FindAllStringSubmatchIndex(string(b), -1)
	type block struct{ lang, text string }
	var blocks []block
	for i := 0; i+1 < len(marks); i += 2 {
		open, end := marks[i], marks[i+1]
		blocks = append(blocks, block{string(b[open[2]:open[3]]), string(b[open[1]:end[0]])})
	}
	unixOnly := regexp.MustCompile(`(?m)^\s*(make |sha256sum|# Linux)`)
	differs := regexp.MustCompile(`\./mwprovision|~/| \\\n`)
	checked := 0
	for i, bl := range blocks {
		if bl.lang != "sh" || unixOnly.MatchString(bl.text) || !differs.MatchString(bl.text) {
			continue
		}
		checked++
		if i+1 >= len(blocks) || blocks[i+1].lang != "powershell" {
			t.Errorf("no PowerShell form after:\n%s", bl.text)
			continue
		}
		if ps := blocks[i+1].text; differs.MatchString(ps) || strings.Contains(ps, "chmod") {
			t.Errorf("the PowerShell form still has a Unix form:\n%s", ps)
		}
	}
	if checked < 8 {
		t.Errorf("only %d command blocks checked: the README's fences are not read as they should be", checked)
	}
}

// The README's "Tested with" table names tests that exist, and its 1.43
// column says of each whether make test runs it against MediaWiki 1.43
// (MW143_TESTS in the Makefile, which names only tests of the packages
// that run there; it may hold core tests that no row names).
func TestReadmeTestedWithTableIsTheTests(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^MW143_TESTS := \^\((.*)\)\$\$$`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("no MW143_TESTS := ^(…)$$ line in the Makefile")
	}
	on143 := map[string]bool{}
	for _, name := range strings.Split(string(m[1]), "|") {
		on143[name] = true
	}
	defined := definedTests(t, "*_test.go", "wikitest/*_test.go") // the packages make test runs on 1.43
	for name := range on143 {
		if !defined[name] {
			t.Errorf("MW143_TESTS names %s, which is no test of the packages run against 1.43", name)
		}
	}
	defined = definedTests(t, "*_test.go", "*/*_test.go")
	_, table, _ := strings.Cut(string(readme), "## Tested with")
	table, _, _ = strings.Cut(table, "\n## ")
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| wiki, protection |") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 5 || !strings.Contains(cells[3], "`Test") || (cells[4] != "yes" && cells[4] != "—") {
			t.Errorf("README's Tested with row %q: want 5 cells, tests named in the 4th, yes or — in the 5th", line)
			continue
		}
		rows++
		for _, n := range regexp.MustCompile("`(Test\\w+)`").FindAllStringSubmatch(cells[3], -1) {
			if !defined[n[1]] {
				t.Errorf("README's Tested with names %s, which is no test", n[1])
			}
			if want := on143[n[1]]; want != (cells[4] == "yes") {
				t.Errorf("README's Tested with says %q for %s on 1.43; MW143_TESTS has it: %v", cells[4], n[1], want)
			}
		}
	}
	if rows < 10 {
		t.Errorf("found %d rows in README's Tested with table; has its layout changed?", rows)
	}
}

// definedTests are the Test functions of the test files the patterns
// match.
func definedTests(t *testing.T, patterns ...string) map[string]bool {
	t.Helper()
	defined := map[string]bool{}
	var files []string
	for _, p := range patterns {
		m, _ := filepath.Glob(p)
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`).FindAllSubmatch(b, -1) {
			defined[string(m[1])] = true
		}
	}
	return defined
}
