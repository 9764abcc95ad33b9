package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// markdownFiles are the README and the manual in docs/, the files whose
// text the tests below keep true.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("docs/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md (%v)", err)
	}
	return append([]string{"README.md"}, docs...)
}

// The README is what a newcomer reads in a few minutes; the rest belongs
// in docs/.
func TestReadmeIsShort(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > 200 {
		t.Errorf("README.md has %d lines, want at most 200: move the detail to docs/", n)
	}
}

// Every command block of the README and of docs/ that a Windows user would
// type differently — the program run as ./mwprovision, a path under ~, a
// line continued with a backslash — is followed by its PowerShell form,
// which has none of those. The Linux-only blocks (make, sha256sum, tar) are
// exempt.
func TestReadmeAndDocsGiveEveryCommandInPowerShell(t *testing.T) {
	fence := regexp.MustCompile("(?m)^[ \t]*```([a-z]*)[ \t]*$")
	unixOnly := regexp.MustCompile(`(?m)^\s*(make |sha256sum|# Linux)`)
	differs := regexp.MustCompile(`\./mwprovision|~/| \\\n`)
	checked := map[string]int{}
	total := 0
	for _, file := range markdownFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		marks := fence.FindAllStringSubmatchIndex(string(b), -1)
		if len(marks)%2 != 0 {
			t.Errorf("%s: %d fence lines, an odd number: a code block is not closed", file, len(marks))
		}
		type block struct{ lang, text string }
		var blocks []block
		for i := 0; i+1 < len(marks); i += 2 {
			open, end := marks[i], marks[i+1]
			blocks = append(blocks, block{string(b[open[2]:open[3]]), string(b[open[1]:end[0]])})
		}
		for i, bl := range blocks {
			if bl.lang != "sh" || unixOnly.MatchString(bl.text) || !differs.MatchString(bl.text) {
				continue
			}
			checked[file]++
			total++
			if i+1 >= len(blocks) || blocks[i+1].lang != "powershell" {
				t.Errorf("%s: no PowerShell form after:\n%s", file, bl.text)
				continue
			}
			if ps := blocks[i+1].text; differs.MatchString(ps) || strings.Contains(ps, "chmod") {
				t.Errorf("%s: the PowerShell form still has a Unix form:\n%s", file, ps)
			}
		}
	}
	// The README's quickstart has four such blocks, the manual (organizers,
	// groups, migration, dry run, resume, reference) ten: far fewer means
	// the fences are not read as they should be.
	if inManual := total - checked["README.md"]; checked["README.md"] < 4 || inManual < 8 {
		t.Errorf("only %d command blocks checked in README.md and %d in docs/: the fences are not read as they should be", checked["README.md"], inManual)
	}
}

// testedWithFile holds the "Tested with" table.
const testedWithFile = "docs/guarantees.md"

// The "Tested with" table names tests that exist, and its 1.43 column
// says of each whether make test runs it against MediaWiki 1.43
// (MW143_TESTS in the Makefile, which names only tests of the packages
// that run there; it may hold core tests that no row names).
func TestDocsTestedWithTableIsTheTests(t *testing.T) {
	doc, err := os.ReadFile(testedWithFile)
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
	defined := definedTests(t, "*_test.go", "wikitest/*_test.go", "provision/names/*_test.go") // the packages make test runs on 1.43
	for name := range on143 {
		if !defined[name] {
			t.Errorf("MW143_TESTS names %s, which is no test of the packages run against 1.43", name)
		}
	}
	defined = definedTests(t, "*_test.go", "*/*_test.go")
	_, table, _ := strings.Cut(string(doc), "## Tested with")
	table, _, _ = strings.Cut(table, "\n## ")
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| wiki, protection |") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 5 || !strings.Contains(cells[3], "`Test") || (cells[4] != "yes" && cells[4] != "—") {
			t.Errorf("%s: Tested with row %q: want 5 cells, tests named in the 4th, yes or — in the 5th", testedWithFile, line)
			continue
		}
		rows++
		for _, n := range regexp.MustCompile("`(Test\\w+)`").FindAllStringSubmatch(cells[3], -1) {
			if !defined[n[1]] {
				t.Errorf("%s: Tested with names %s, which is no test", testedWithFile, n[1])
			}
			if want := on143[n[1]]; want != (cells[4] == "yes") {
				t.Errorf("%s: Tested with says %q for %s on 1.43; MW143_TESTS has it: %v", testedWithFile, cells[4], n[1], want)
			}
		}
	}
	if rows < 10 {
		t.Errorf("found %d rows in the Tested with table of %s; has its layout changed?", rows, testedWithFile)
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

// Every relative link of the README and of docs/ leads somewhere: to a file
// of the repository (another page, LICENSE, ARCHITECTURE.md, samples/…),
// and, with a #fragment, to a heading of that page as GitHub names it.
func TestReadmeAndDocsLinksResolve(t *testing.T) {
	fence := regexp.MustCompile("(?ms)^[ \t]*```.*?^[ \t]*```[ \t]*$")
	code := regexp.MustCompile("`[^`\n]*`")
	link := regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)
	external := regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	links := 0
	for _, file := range markdownFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := code.ReplaceAllString(fence.ReplaceAllString(string(b), ""), "")
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if external.MatchString(target) {
				continue
			}
			links++
			path, fragment, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
			}
			if strings.HasPrefix(filepath.ToSlash(dest), "../") || filepath.IsAbs(dest) {
				t.Errorf("%s: link %s leads out of the repository", file, target)
				continue
			}
			if _, err := os.Stat(dest); err != nil {
				t.Errorf("%s: link %s: %v", file, target, err)
				continue
			}
			if fragment == "" {
				continue
			}
			if !strings.HasSuffix(dest, ".md") {
				t.Errorf("%s: link %s: a #fragment of a file that is not Markdown", file, target)
				continue
			}
			if !headingAnchors(t, dest)[fragment] {
				t.Errorf("%s: link %s: %s has no heading #%s", file, target, dest, fragment)
			}
		}
	}
	if links < 20 {
		t.Errorf("only %d relative links found: the links are not read as they should be", links)
	}
}

// headingAnchors are the anchors GitHub gives the headings of a Markdown
// file: lower case, spaces made hyphens, punctuation dropped, and -1, -2, …
// after a repeated one. Lines in code blocks are no headings.
func headingAnchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	seen := map[string]int{}
	inCode := false
	heading := regexp.MustCompile(`^#{1,6}[ \t]+(.*?)[ \t#]*$`)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		m := heading.FindStringSubmatch(line)
		if inCode || m == nil {
			continue
		}
		anchor := strings.Map(func(r rune) rune {
			switch {
			case r == ' ':
				return '-'
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r):
				return unicode.ToLower(r)
			}
			return -1
		}, m[1])
		if n := seen[anchor]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", anchor, n)] = true
		} else {
			anchors[anchor] = true
		}
		seen[anchor]++
	}
	return anchors
}
