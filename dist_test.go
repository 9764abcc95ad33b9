//go:build dist

package main

import (
	"bufio"
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
// archives and a .deb per Linux architecture, each with its checksum, and
// the amd64 .deb installs on this machine, where the installed program
// prints its version, has its man page and completion, and checks a sheet.
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

	deb, _ := filepath.Abs(filepath.Join("dist", "mwprovision_"+version+"_amd64.deb"))
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
