package main

import (
	"os"
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
