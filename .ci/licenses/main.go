// Command licenses writes THIRD_PARTY_LICENSES.md: every Go module compiled
// into mwprovision's release binaries, with its version, its licence (told
// by its text, never guessed) and that licence's full text from the module
// cache, the licence of the Go standard library the binary also holds, and
// the works that are not Go but that the binary embeds (Assets), each kept
// in the repository with its licence and version. It fails on a licence it
// does not know and on one that is not compatible with mwprovision's
// GPL-2.0-or-later. make licenses runs it from the repository's root; a
// test fails when the file is out of date.
package main

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Output is the file, relative to the repository's root.
const Output = "THIRD_PARTY_LICENSES.md"

// targets are the systems the release builds for (.ci/goreleaser.yaml).
var targets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

func main() {
	out, err := Generate(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "licenses:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(Output, out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "licenses:", err)
		os.Exit(1)
	}
}

// A Module is one dependency compiled into the binary.
type Module struct {
	Path, Version, Dir string
	License            string // SPDX identifier
	Files              []file // the licence first, then NOTICE or PATENTS
}

type file struct{ name, text string }

// Modules lists the modules the main package in root depends on, for every
// release target, without the main module and the standard library.
func Modules(root string) ([]Module, error) {
	seen := map[string]Module{}
	for _, t := range targets {
		goos, goarch, _ := strings.Cut(t, "/")
		cmd := exec.Command("go", "list", "-deps", "-f",
			`{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{with .Replace}}{{.Dir}}{{else}}{{.Dir}}{{end}}{{end}}{{end}}`, ".")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list for %s: %v\n%s", t, err, stderr.Bytes())
		}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.SplitN(line, " ", 3)
			if len(f) < 3 {
				continue
			}
			if f[2] == "" {
				return nil, fmt.Errorf("%s %s is not in the module cache: run go mod download", f[0], f[1])
			}
			seen[f[0]] = Module{Path: f[0], Version: f[1], Dir: f[2]}
		}
	}
	mods := make([]Module, 0, len(seen))
	for _, m := range seen {
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods, nil
}

var (
	licenseName = regexp.MustCompile(`(?i)^(licen[cs]e|copying)([.-](md|txt|markdown))?$`)
	noticeName  = regexp.MustCompile(`(?i)^(notice|patents)([.-](md|txt))?$`)
)

// readLicense finds the one licence file at the top of dir, identifies it,
// and adds the NOTICE or PATENTS file beside it.
func readLicense(dir string) (string, []file, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", nil, err
	}
	var lic, extra []file
	for _, e := range entries {
		if e.IsDir() || !(licenseName.MatchString(e.Name()) || noticeName.MatchString(e.Name())) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", nil, err
		}
		f := file{e.Name(), strings.TrimRight(string(b), "\n\r\t ") + "\n"}
		if licenseName.MatchString(e.Name()) {
			lic = append(lic, f)
		} else {
			extra = append(extra, f)
		}
	}
	if len(lic) != 1 {
		return "", nil, fmt.Errorf("%s: %d licence files (LICENSE, COPYING …), want exactly one", dir, len(lic))
	}
	id, err := Identify(lic[0].text)
	if err != nil {
		return "", nil, fmt.Errorf("%s/%s: %w", dir, lic[0].name, err)
	}
	return id, append(lic, extra...), nil
}

// compatible are the licences known to be compatible with GPL-2.0-or-later;
// Apache-2.0 only with its GPL-3.0 option, which the file's header says.
// GPL-2.0-or-later is never told by a text alone (the GPL's text does not
// say "or later"): only an asset can declare it (see Assets).
var compatible = map[string]bool{"MIT": true, "BSD-2-Clause": true, "BSD-3-Clause": true, "Apache-2.0": true, "GPL-2.0-or-later": true}

// An Asset is a work that is not Go but that the binary embeds (go:embed),
// kept in the repository in Dir, unchanged from the package it was
// published in: the text of its licence in Dir/LICENSE, and in Dir/VERSION
// one line, the package's version and its tarball's integrity.
type Asset struct {
	Name    string   // what it is
	Package string   // the npm package it is taken from
	Dir     string   // from the repository's root, with slashes
	Embeds  []string // the files of Dir the binary holds (none: see Use)
	Use     string   // what of it the binary holds, and what for
	License string   // SPDX identifier, as the package declares it

	Version, Integrity string // from Dir/VERSION
	Files              []file // Dir/LICENSE
}

// Assets are the embedded works. make codex (.ci/codex.sh) refreshes
// Codex's from npm and checks that each package still declares the licence
// said here; the text in LICENSE must be that licence's.
var Assets = []Asset{
	{
		Name: "Codex", Package: "@wikimedia/codex", Dir: "provision/console/assets/codex",
		Embeds:  []string{"codex.style.css", "codex.style-rtl.css"},
		Use:     "the CSS of Wikimedia's design system, for the browser console (provision/console)",
		License: "GPL-2.0-or-later",
	},
	{
		Name: "Codex icons", Package: "@wikimedia/codex-icons", Dir: "provision/console/assets/codex/codex-icons",
		Use:     "the icons that Codex's CSS carries inline, as SVG images",
		License: "MIT",
	},
}

// licenceText is the licence whose text a declared licence has, where the
// two differ.
var licenceText = map[string]string{"GPL-2.0-or-later": "GPL-2.0"}

var integrity = regexp.MustCompile(`^sha512-[A-Za-z0-9+/]+=*$`)

// readAsset reads a's version and licence from the repository at root, and
// checks that the files it embeds are there and that its licence's text is
// the one it declares, and compatible.
func readAsset(root string, a Asset) (Asset, error) {
	dir := filepath.Join(root, filepath.FromSlash(a.Dir))
	b, err := os.ReadFile(filepath.Join(dir, "VERSION"))
	if err != nil {
		return a, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 || strings.Count(string(b), "\n") > 1 || !integrity.MatchString(f[1]) {
		return a, fmt.Errorf("%s/VERSION: %q, want one line: the version, then the tarball's sha512 integrity", a.Dir, b)
	}
	a.Version, a.Integrity = f[0], f[1]
	for _, e := range a.Embeds {
		if _, err := os.Stat(filepath.Join(dir, e)); err != nil {
			return a, err
		}
	}
	if !compatible[a.License] {
		return a, fmt.Errorf("%s %s: %s is not known to be compatible with GPL-2.0-or-later", a.Name, a.Version, a.License)
	}
	b, err = os.ReadFile(filepath.Join(dir, "LICENSE"))
	if err != nil {
		return a, err
	}
	text := strings.TrimRight(string(b), "\n\r\t ") + "\n"
	want := a.License
	if t, ok := licenceText[want]; ok {
		want = t
	}
	id, err := Identify(text)
	if err != nil {
		return a, fmt.Errorf("%s/LICENSE: %w", a.Dir, err)
	}
	if id != want {
		return a, fmt.Errorf("%s/LICENSE is the text of %s, but %s %s is declared %s", a.Dir, id, a.Name, a.Version, a.License)
	}
	a.Files = []file{{a.Dir + "/LICENSE", text}}
	return a, nil
}

// Generate returns THIRD_PARTY_LICENSES.md for the repository at root.
func Generate(root string) ([]byte, error) {
	mods, err := Modules(root)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for i := range mods {
		id, files, err := readLicense(mods[i].Dir)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", mods[i].Path, mods[i].Version, err)
		}
		if !compatible[id] {
			return nil, fmt.Errorf("%s %s: %s is not known to be compatible with GPL-2.0-or-later", mods[i].Path, mods[i].Version, id)
		}
		mods[i].License, mods[i].Files = id, files
		ids[id] = true
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %v", err)
	}
	std, stdFiles, err := readLicense(strings.TrimSpace(string(goroot)))
	if err != nil {
		return nil, fmt.Errorf("the Go standard library: %w", err)
	}
	if !compatible[std] {
		return nil, fmt.Errorf("the Go standard library: %s is not known to be compatible with GPL-2.0-or-later", std)
	}
	ids[std] = true
	assets := make([]Asset, len(Assets))
	for i, a := range Assets {
		if assets[i], err = readAsset(root, a); err != nil {
			return nil, err
		}
		ids[a.License] = true
	}

	var b bytes.Buffer
	b.WriteString("# Third-party licences\n\n")
	b.WriteString("mwprovision is licensed under GPL-2.0-or-later: the GNU General Public\n" +
		"License, version 2 (the text is in LICENSE) or, at your option, any later\n" +
		"version. Its binaries are statically linked with the Go modules below and\n" +
		"with the Go standard library and runtime, and hold the web assets below;\n" +
		"each is under its own licence, whose full text follows: ")
	b.WriteString(strings.Join(sortedKeys(ids), ", "))
	b.WriteString(".\nEach of these licences is compatible with GPL-2.0-or-later.\n")
	if ids["Apache-2.0"] {
		b.WriteString("\nApache-2.0 is compatible with GPL version 3 but not with GPL version 2\n" +
			"alone: a binary that holds an Apache-2.0 module is distributed under\n" +
			"GPL version 3 or later, which GPL-2.0-or-later allows.\n")
	}
	b.WriteString("\nThis file is written by `make licenses` (go run ./.ci/licenses)\n" +
		"from the modules compiled into the binaries for\n" + strings.Join(targets, ", ") +
		",\nand from the web assets it lists (Assets in .ci/licenses/main.go);\n" +
		"a test fails when it is out of date.\n\n")
	b.WriteString("| module | version | licence |\n|---|---|---|\n")
	for _, m := range mods {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", m.Path, m.Version, m.License)
	}
	fmt.Fprintf(&b, "| Go standard library and runtime | (the Go that builds the binary) | %s |\n", std)
	b.WriteString("\nThe web assets, kept in the repository unchanged from their npm packages,\n" +
		"each with its licence's text and its version:\n\n")
	b.WriteString("| asset (npm package) | version | licence |\n|---|---|---|\n")
	for _, a := range assets {
		fmt.Fprintf(&b, "| %s (%s) | %s | %s |\n", a.Name, a.Package, a.Version, a.License)
	}
	for _, m := range mods {
		fmt.Fprintf(&b, "\n## %s %s\n\nLicence: %s\n", m.Path, m.Version, m.License)
		writeFiles(&b, m.Files)
	}
	fmt.Fprintf(&b, "\n## Go standard library and runtime\n\nLicence: %s\n", std)
	writeFiles(&b, stdFiles)
	for _, a := range assets {
		fmt.Fprintf(&b, "\n## %s %s\n\nLicence: %s\n\n", a.Name, a.Version, a.License)
		fmt.Fprintf(&b, "In the binaries: %s.\n\n", a.Use)
		fmt.Fprintf(&b, "From: the npm package %s %s, whose tarball's integrity is\n%s\n\n", a.Package, a.Version, a.Integrity)
		if len(a.Embeds) > 0 {
			fmt.Fprintf(&b, "Kept unchanged in %s (%s), with its licence's text:\n", a.Dir, strings.Join(a.Embeds, ", "))
		} else {
			fmt.Fprintf(&b, "Its licence's text, kept in %s:\n", a.Dir)
		}
		writeFiles(&b, a.Files)
	}
	return b.Bytes(), nil
}

func writeFiles(b *bytes.Buffer, files []file) {
	for _, f := range files {
		fence := "```"
		for strings.Contains(f.text, fence) {
			fence += "`"
		}
		fmt.Fprintf(b, "\n%s:\n\n%stext\n%s%s\n", f.name, fence, f.text, fence)
	}
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

//go:embed templates/*.txt
var templateFS embed.FS

// placeholder in a template stands for a name (one to 16 words).
const placeholder = "<<name>>"

type template struct {
	id string
	re *regexp.Regexp
}

// templates are the licences Identify knows, each as a regular expression
// over the normalized words of its text (see words).
var templates = func() []template {
	var ts []template
	names, _ := templateFS.ReadDir("templates")
	for _, n := range names {
		b, err := templateFS.ReadFile("templates/" + n.Name())
		if err != nil {
			panic(err)
		}
		var re strings.Builder
		re.WriteString("^")
		for _, w := range words(strings.ReplaceAll(string(b), placeholder, " xxplaceholderxx ")) {
			if w == "xxplaceholderxx" {
				re.WriteString(`(?: [^ ]+){1,16}?`)
			} else {
				re.WriteString(" " + regexp.QuoteMeta(w))
			}
		}
		id := strings.TrimSuffix(n.Name(), ".txt")
		if id == "Apache-2.0" {
			// The appendix that tells how to apply it may follow, filled in or not.
			re.WriteString(`(?: appendix how to apply the apache license to your work .*)?`)
		}
		re.WriteString("$")
		ts = append(ts, template{id, regexp.MustCompile(re.String())})
	}
	return ts
}()

// Identify returns the SPDX identifier of a licence text: its body must be
// one of the known licences word for word (names of the copyright holders
// aside), and the lines before it may only be a title and copyright lines.
// Anything else is an error.
func Identify(text string) (string, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	// The body starts at the first line that is not a title or copyright
	// line, or at a title line ("Apache License").
	for start := 0; start < len(lines); start++ {
		body := " " + strings.Join(words(strings.Join(lines[start:], "\n")), " ")
		for _, t := range templates {
			if t.re.MatchString(body) {
				return t.id, nil
			}
		}
		if !prefixLine(lines[start]) {
			break
		}
	}
	return "", errors.New("not a licence this tool knows (MIT, BSD-2-Clause, BSD-3-Clause, Apache-2.0, GPL-2.0, word for word): look at it and add it by hand")
}

// prefixLine: blank, a copyright line, "All rights reserved", or a short
// title that names a licence ("The MIT License (MIT)").
func prefixLine(line string) bool {
	w := words(line)
	switch {
	case len(w) == 0:
		return true
	case w[0] == "copyright" || strings.HasPrefix(strings.TrimLeft(line, "> \t"), "©") ||
		(len(w) > 1 && w[0] == "c" && strings.Contains(line, "(c)")):
		return true
	case strings.Join(w, " ") == "all rights reserved":
		return true
	case len(w) <= 10 && (contains(w, "license") || contains(w, "licence")) && !contains(w, "not") && !contains(w, "except"):
		return true
	}
	return false
}

func contains(ws []string, s string) bool {
	for _, w := range ws {
		if w == s {
			return true
		}
	}
	return false
}

// words is text lower-cased, as words of letters and digits; numbers alone
// (list items, section numbers) and the quoting of a reply (">") are left
// out, so that layout never counts.
func words(text string) []string {
	var ws []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if strings.IndexFunc(w, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
			continue
		}
		ws = append(ws, w)
	}
	return ws
}
