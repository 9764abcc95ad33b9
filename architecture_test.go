package main

import (
	"errors"
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rooms are mwprovision's packages, lowest first (ARCHITECTURE.md draws
// them): a package may import only packages of the rooms below its own, so
// that no lower room ever refers to a higher one's types — the sheet never
// to the engine's, the engine never to a front-end's.
var rooms = [][]string{
	{"provision/sheet", "provision/pacer", "provision/i18n", "wikitest", "wikitest/browser", "provision/names/gen/reserved"},
	{"provision/names", "report", "wikitest/cmd/testwiki"},
	{"provision/groups"},
	{"provision/mwapi"},
	{"provision/classify"},
	{"provision"},         // the engine
	{"provision/job"},     // the steps of a run, which every front-end drives
	{"provision/console"}, // the organizer's console: the run in a browser
	{""},                  // the command line
}

// Every package of the module is in a room, and imports only packages of
// the rooms below it (tests may import anything). The packages are read as
// go list ./... reads them — without the go command, which a test of the
// Windows build run elsewhere does not have.
func TestRoomsDependDownward(t *testing.T) {
	list, err := listPackages(".", "github.com/mwprovision/mwprovision")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "github.com/mwprovision/mwprovision/provision/job ") {
		t.Fatalf("the packages were not read:\n%s", list)
	}
	if problems := downwardProblems(list, "github.com/mwprovision/mwprovision"); len(problems) > 0 {
		t.Errorf("the rooms of ARCHITECTURE.md are not kept:\n%s", strings.Join(problems, "\n"))
	}
}

// listPackages says, as go list -f '{{.ImportPath}} {{.Imports}}' ./...
// would, a line per package of the module below root: its path, then its
// imports.
func listPackages(root, module string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		var none *build.NoGoError
		if errors.As(err, &none) {
			return nil
		}
		if err != nil {
			return err
		}
		b.WriteString(module)
		if path != root {
			b.WriteString("/" + filepath.ToSlash(path))
		}
		for _, imp := range pkg.Imports {
			b.WriteString(" " + imp)
		}
		b.WriteString("\n")
		return nil
	})
	return b.String(), err
}

// downwardProblems reads go list's lines (a package, then its imports) and
// says each package in no room, and each import of a package of module
// that is not in a lower room.
func downwardProblems(list, module string) []string {
	level := map[string]int{}
	for i, room := range rooms {
		for _, p := range room {
			level[p] = i
		}
	}
	rel := func(path string) (string, bool) {
		if path == module {
			return "", true
		}
		p, ok := strings.CutPrefix(path, module+"/")
		return p, ok
	}
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		fields := strings.Fields(line)
		pkg, _ := rel(fields[0])
		from, ok := level[pkg]
		if !ok {
			problems = append(problems, fields[0]+" is in no room: add it to rooms and to ARCHITECTURE.md")
			continue
		}
		for _, imp := range fields[1:] {
			dep, ours := rel(imp)
			if !ours {
				continue
			}
			if to, ok := level[dep]; !ok || to >= from {
				problems = append(problems, fields[0]+" imports "+imp+", which is not in a room below it")
			}
		}
	}
	slices.Sort(problems)
	return problems
}

// The rule fails on an import upward or sideways, and on a package in no
// room.
func TestDownwardProblemsFindsEachBreak(t *testing.T) {
	const m = "example.org/m"
	for _, tt := range []struct {
		list string
		want int
	}{
		{m + "/provision " + m + "/provision/sheet " + m + "/report fmt\n" + m + " " + m + "/provision/job", 0},
		{m + "/provision/sheet " + m + "/provision", 1},         // the sheet refers to the engine
		{m + "/provision/names " + m + "/report", 1},            // sideways
		{m + "/provision/newroom " + m + "/provision/sheet", 1}, // in no room
	} {
		if got := downwardProblems(tt.list, m); len(got) != tt.want {
			t.Errorf("%q: %d problems %v, want %d", tt.list, len(got), got, tt.want)
		}
	}
}
