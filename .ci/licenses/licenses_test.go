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
	for name, text := range map[string]string{
		"empty": "",
		"ISC": "Copyright (c) 2020 Someone\n\nPermission to use, copy, modify, and/or distribute this software for any\n" +
			"purpose with or without fee is hereby granted, provided that the above\ncopyright notice and this permission notice appear in all copies.\n",
		"MIT with a clause":          strings.Replace(string(mit), "copies or substantial portions of the Software.", "copies or substantial portions of the Software.\n\nThe Software shall be used for Good, not Evil.", 1),
		"MIT after a condition":      "Copyright (c) 2014 Someone\nFor non-commercial use only.\n\n" + string(mit),
		"MIT with a trailing clause": string(mit) + "\nThis licence does not apply to the files under assets/.\n",
		"BSD-3 without a clause":     strings.Replace(string(bsd3), "must retain the above copyright notice,", "", 1),
	} {
		if got, err := Identify(text); err == nil {
			t.Errorf("%s: Identify = %q, want an error", name, got)
		}
	}
}
