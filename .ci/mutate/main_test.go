package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleList = `# area: a comment
## min-length: a token of exactly the minimum is not a secret
file: m/m.go
test: ./m
- 	return len(s) >= 6
+ 	return len(s) > 6

## no-op: an equal mutant
file: m/m.go
test: ./m -run ^TestSecret$
equivalent: the two spellings mean the same
- 	n := 6
+ 	n := 3 + 3
`

func TestParseAndApply(t *testing.T) {
	ms, err := Parse("list.txt", strings.NewReader(sampleList))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Name != "min-length" || ms[0].File != "m/m.go" || ms[1].Equivalent == "" ||
		ms[1].Tests[0].String() != "./m -run ^TestSecret$" || ms[0].Source != "list.txt:2" {
		t.Fatalf("parsed %+v", ms)
	}
	src := []byte("package m\n\nfunc Secret(s string) bool {\n\treturn len(s) >= 6\n}\n")
	out, err := ms[0].Apply(src)
	if err != nil || !bytes.Contains(out, []byte("\treturn len(s) > 6\n")) || bytes.Contains(out, []byte(">=")) {
		t.Fatalf("applied: %q, %v", out, err)
	}
	if _, err := ms[1].Apply(src); err == nil || !strings.Contains(err.Error(), "not in m/m.go") {
		t.Errorf("lines not in the file: %v", err)
	}
	twice := append(append([]byte{}, src...), "func Again(s string) bool {\n\treturn len(s) >= 6\n}\n"...)
	if _, err := ms[0].Apply(twice); err == nil || !strings.Contains(err.Error(), "occur 2 times") {
		t.Errorf("lines twice in the file: %v", err)
	}
	for _, bad := range []string{"file: x\n", "## no colon\n", "## a: b\nfile: f\n- x\n", "## a: b\nfile: f\ntest: .\n+ y\n- x\n", "## a: b\nbogus\n"} {
		if _, err := Parse("bad.txt", strings.NewReader(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The whole command on a module of its own: a mutant its test kills, one
// that survives, and an equivalent one; the tree is left as it was.
func TestMutateKillsReportsAndLeavesTheTree(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code := "package m\n\nfunc Secret(s string) bool {\n\tn := 6\n\treturn len(s) >= n\n}\n\nfunc Half(n int) int {\n\treturn n / 2\n}\n"
	write("go.mod", "module example.org/m\n\ngo 1.22\n")
	write("m/m.go", code)
	write("m/m_test.go", "package m\n\nimport \"testing\"\n\nfunc TestSecret(t *testing.T) {\n\tif !Secret(\"abcdef\") || Secret(\"abcde\") {\n\t\tt.Error(\"six characters are a secret, five are not\")\n\t}\n}\n")
	write("list.txt", `## min-length: six characters are no secret
file: m/m.go
test: ./m
- 	return len(s) >= n
+ 	return len(s) > n

## half: Half rounds up
file: m/m.go
test: ./m
- 	return n / 2
+ 	return (n + 1) / 2

## same-six: an equal spelling
file: m/m.go
test: ./m
equivalent: 3 + 3 is 6
- 	n := 6
+ 	n := 3 + 3
`)
	t.Chdir(dir)
	var out, errb bytes.Buffer
	code1 := mainErr([]string{"-j", "1", "list.txt"}, &out, &errb)
	t.Log(out.String(), errb.String())
	if code1 != 1 {
		t.Errorf("exit %d, want 1 (a survivor)", code1)
	}
	for _, want := range []string{"killed    min-length", "SURVIVED  half", "equal     same-six", "all                 3      1          1        1      0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "m/m.go")); string(b) != code {
		t.Errorf("the tree changed: %q", b)
	}
	out.Reset()
	if c := mainErr([]string{"-only", "^(min-length|same-six)$", "list.txt"}, &out, &errb); c != 0 {
		t.Errorf("without the survivor: exit %d, want 0\n%s", c, out.String())
	}
}
