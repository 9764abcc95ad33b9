//go:build dist

package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The packages make dist built (go test -tags dist, after make dist): six
// archives and a .deb per Linux architecture, each with its checksum; each
// archive holds LICENSE and THIRD_PARTY_LICENSES.md as they are here; the
// amd64 .deb installs on this machine, where the installed program prints
// its version, has its man page, completion and Debian copyright file
// (with the bundled modules' licences beside it), and checks a sheet.
func TestDistPackages(t *testing.T) {
	sums := map[string]string{}
	files, _ := filepath.Glob("dist/mwprovision_*_checksums.txt")
	if len(files) != 1 {
		t.Fatalf("dist/ holds %d checksum files, want 1: run make dist", len(files))
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sum, name, ok := strings.Cut(sc.Text(), "  "); ok {
			sums[name] = sum
		}
	}
	f.Close()
	version := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(files[0]), "mwprovision_"), "_checksums.txt")
	want := []string{"linux_amd64.tar.gz", "linux_arm64.tar.gz", "darwin_amd64.tar.gz", "darwin_arm64.tar.gz",
		"windows_amd64.zip", "windows_arm64.zip", "amd64.deb", "arm64.deb"}
	for _, w := range want {
		name := "mwprovision_" + version + "_" + w
		if sum, ok := sums[name]; !ok || sum != sha256File(t, filepath.Join("dist", name)) {
			t.Errorf("%s: checksum %q does not match the file (or is missing)", name, sum)
		}
	}
	if len(sums) != len(want) {
		t.Errorf("the checksums list %d files, want %d", len(sums), len(want))
	}
	for _, w := range want[:6] {
		name := filepath.Join("dist", "mwprovision_"+version+"_"+w)
		files := archiveFiles(t, name)
		for _, lic := range []string{"LICENSE", "THIRD_PARTY_LICENSES.md"} {
			here, err := os.ReadFile(lic)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := files[lic]; !ok || !bytes.Equal(got, here) {
				t.Errorf("%s: %s is missing or differs from the repository's (%v)", name, lic, ok)
			}
		}
	}

	deb, _ := filepath.Abs(filepath.Join("dist", "mwprovision_"+version+"_amd64.deb"))
	if out, err := exec.Command("dpkg-deb", "-c", deb).CombinedOutput(); err != nil || !strings.Contains(string(out), "./usr/share/doc/mwprovision/THIRD_PARTY_LICENSES.md") {
		t.Errorf("dpkg-deb -c %s: no THIRD_PARTY_LICENSES.md in /usr/share/doc/mwprovision (%v)\n%s", deb, err, out)
	}
	if out, err := exec.Command("dpkg", "-i", deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -i %s (as root): %v\n%s", deb, err, out)
	}
	t.Cleanup(func() { exec.Command("dpkg", "-r", "mwprovision").Run() })
	out, err := exec.Command("/usr/bin/mwprovision", "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), version) {
		t.Errorf("mwprovision --version: %q, %v; want %s", out, err, version)
	}
	for _, p := range []string{"/usr/share/man/man1/mwprovision.1", "/usr/share/bash-completion/completions/mwprovision"} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	// Debian's machine-readable copyright file: the program's licence, with
	// the pointer to the GPL's text on every Debian system.
	copyright, err := os.ReadFile("/usr/share/doc/mwprovision/copyright")
	if err != nil {
		t.Errorf("the installed package has no copyright file: %v", err)
	}
	for _, want := range []string{"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n",
		"\nFiles: *\n", "\nLicense: GPL-2.0-or-later\n", `"/usr/share/common-licenses/GPL-2"`, "THIRD_PARTY_LICENSES.md"} {
		if !strings.Contains(string(copyright), want) {
			t.Errorf("/usr/share/doc/mwprovision/copyright does not say %q:\n%s", want, copyright)
		}
	}
	dir := t.TempDir()
	dry := exec.Command("/usr/bin/mwprovision", "run", "--dry-run", "--out", filepath.Join(dir, "r.csv"), "samples/accounts.csv")
	out, err = dry.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "would-create") {
		t.Errorf("a dry run with the installed program: %v\n%s", err, out)
	}
	if rows := readResults(t, filepath.Join(dir, "r.csv")); len(rows) == 0 {
		t.Error("the dry run wrote no results")
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// archiveFiles returns the regular files of a .tar.gz or .zip archive by
// their path inside it.
func archiveFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatalf("%s: %s: %v", path, f.Name, err)
			}
			files[f.Name] = b
		}
		return files
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("%s: %s: %v", path, h.Name, err)
			}
			files[h.Name] = b
		}
	}
}
