package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// THIRD_PARTY_LICENSES.md lists exactly the modules, versions and licence
// texts that the binaries are built from.
func TestThirdPartyLicensesUpToDate(t *testing.T) {
	root := filepath.Join("..", "..")
	want, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, Output))
	if err != nil {
		t.Fatalf("%v: run make licenses", err)
	}
	if string(got) == string(want) {
		return
	}
	row := regexp.MustCompile(`(?m)^\| .* \|$`)
	g, w := strings.Join(row.FindAllString(string(got), -1), "\n"), strings.Join(row.FindAllString(string(want), -1), "\n")
	if g != w {
		t.Fatalf("%s is out of date with the binary's dependencies: run make licenses\nit lists:\n%s\nthe build has:\n%s", Output, g, w)
	}
	t.Fatalf("%s is out of date (a licence text changed): run make licenses", Output)
}

func TestIdentifyKnownLicences(t *testing.T) {
	for id, copyright := range map[string]string{
		"MIT":          "The MIT License (MIT)\n\nCopyright (c) 2014 Someone\n\n",
		"BSD-2-Clause": "Blackfriday is distributed under the Simplified BSD License:\n\n> Copyright © 2011 Someone\n> All rights reserved.\n>\n",
		"BSD-3-Clause": "Copyright 2009 The Go Authors.\n\n",
		"Apache-2.0":   "",
		"GPL-2.0":      "",
	} {
		b, err := templateFS.ReadFile("templates/" + id + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		text := copyright + strings.ReplaceAll(string(b), placeholder, "the copyright holders and contributors")
		if id == "Apache-2.0" {
			text += "\n   APPENDIX: How to apply the Apache License to your work.\n\n   Copyright 2020 Someone\n"
		}
		if got, err := Identify(text); got != id || err != nil {
			t.Errorf("%s: Identify = %q, %v", id, got, err)
		}
		// Wrapped anew and quoted, it is the same licence.
		if got, err := Identify(strings.ReplaceAll(text, "\n", "\n> ")); got != id || err != nil {
			t.Errorf("%s, quoted: Identify = %q, %v", id, got, err)
		}
	}
}

// A licence that is not one of the known ones word for word is an error,
// never a guess.
func TestIdentifyRefusesTheUnknown(t *testing.T) {
	mit, _ := templateFS.ReadFile("templates/MIT.txt")
	bsd3, _ := templateFS.ReadFile("templates/BSD-3-Clause.txt")
	gpl2, _ := templateFS.ReadFile("templates/GPL-2.0.txt")
	for name, text := range map[string]string{
		"empty": "",
		"ISC": "Copyright (c) 2020 Someone\n\nPermission to use, copy, modify, and/or distribute this software for any\n" +
			"purpose with or without fee is hereby granted, provided that the above\ncopyright notice and this permission notice appear in all copies.\n",
		"MIT with a clause":          strings.Replace(string(mit), "copies or substantial portions of the Software.", "copies or substantial portions of the Software.\n\nThe Software shall be used for Good, not Evil.", 1),
		"MIT after a condition":      "Copyright (c) 2014 Someone\nFor non-commercial use only.\n\n" + string(mit),
		"MIT with a trailing clause": string(mit) + "\nThis licence does not apply to the files under assets/.\n",
		"BSD-3 without a clause":     strings.Replace(string(bsd3), "must retain the above copyright notice,", "", 1),
		"GPL-2.0 with an exception":  string(gpl2) + "\nAs a special exception, linking this library with other modules does not make the result a work based on it.\n",
	} {
		if got, err := Identify(text); err == nil {
			t.Errorf("%s: Identify = %q, want an error", name, got)
		}
	}
}

// An embedded asset is listed with the version in its VERSION and the
// licence it declares, only when its LICENSE is that licence's text, the
// licence is compatible and the files it embeds are there.
func TestReadAsset(t *testing.T) {
	gpl2, _ := templateFS.ReadFile("templates/GPL-2.0.txt")
	mit := "Copyright (c) 2022 Someone\n\n" + strings.ReplaceAll(mustRead(t, "templates/MIT.txt"), placeholder, "the authors")
	const version = "2.7.0 sha512-LZvhmGd2YcKKkavJVkWUVDL/aoBJRcSMO+PeEr5J5r4ieEye3nrtdZIuDygTezoKrLWMDNP9zUJG9kBmqzdUvw==\n"
	asset := func(license, text, version string, embeds ...string) (Asset, error) {
		root := t.TempDir()
		dir := filepath.Join(root, "assets", "x")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, body := range map[string]string{"LICENSE": text, "VERSION": version, "x.css": "a{}"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return readAsset(root, Asset{Name: "X", Dir: "assets/x", License: license, Embeds: embeds})
	}
	a, err := asset("GPL-2.0-or-later", string(gpl2), version, "x.css")
	if err != nil || a.Version != "2.7.0" || !strings.HasPrefix(a.Integrity, "sha512-LZvh") ||
		len(a.Files) != 1 || a.Files[0].name != "assets/x/LICENSE" {
		t.Errorf("readAsset = %+v, %v", a, err)
	}
	if _, err := asset("MIT", mit, version); err != nil {
		t.Errorf("an MIT asset: %v", err)
	}
	for name, c := range map[string]struct{ license, text, version, embed string }{
		"the GPL's text declared MIT":      {"MIT", string(gpl2), version, ""},
		"MIT's text declared the GPL":      {"GPL-2.0-or-later", mit, version, ""},
		"GPL-2.0-only":                     {"GPL-2.0-only", string(gpl2), version, ""},
		"an unknown licence":               {"MIT", "Do what you like.\n", version, ""},
		"VERSION without an integrity":     {"MIT", mit, "2.7.0\n", ""},
		"VERSION with a sha1":              {"MIT", mit, "2.7.0 sha1-aGVsbG8=\n", ""},
		"VERSION of two lines":             {"MIT", mit, "2.7.0\nsha512-aGVsbG8=\n", ""},
		"an embedded file that is missing": {"MIT", mit, version, "y.css"},
	} {
		var embeds []string
		if c.embed != "" {
			embeds = []string{c.embed}
		}
		if a, err := asset(c.license, c.text, c.version, embeds...); err == nil {
			t.Errorf("%s: readAsset = %+v, want an error", name, a)
		}
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := templateFS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
