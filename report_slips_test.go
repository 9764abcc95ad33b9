package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/mwprovision/mwprovision/report"
	"github.com/mwprovision/mwprovision/wikitest/browser"
)

// slipsWiki is the wiki the slips' results are about: no wiki answers
// there, and none needs to: the slips are made from the results alone.
const slipsWiki = "https://wiki.example.org/w/api.php"

// slipsAccount is a row of the sheet the slips are made from, and what
// its run decided.
type slipsAccount struct {
	name, email, password string
	status                report.Status
	code                  string
	groups                report.Groups
}

// slipsAccounts: nine accounts created (more than a page of slips holds:
// eight) with names in several scripts, a long one; a returning
// participant added to confirmed; a name someone else holds, an invalid
// one and a failed one, which get no slip.
var slipsAccounts = []slipsAccount{
	{"Ada Lovelace", "ada@example.org", "Pw-ada-7731", report.Created, "", nil},
	{"Grace Hopper", "grace@example.org", "Pw-grace-2840", report.Created, "", nil},
	{"Żaneta Wójcik", "zaneta@example.pl", "Pw-zaneta-5519", report.Created, "", nil},
	{"ليلى", "layla@example.org", "Pw-layla-9902", report.Created, "", nil},
	{"Bartholomew Featherstonehaugh-Cholmondeley", "bart@example.org", "Pw-bart-1203", report.Created, "", nil},
	{"Katherine Johnson", "katherine@example.org", "Pw-kj-6634", report.Created, "", nil},
	{"Hedy Lamarr", "hedy@example.org", "Pw-hedy-4471", report.Created, "", nil},
	{"Radia Perlman", "radia@example.org", "Pw-radia-3358", report.Created, "", nil},
	{"Mary Jackson", "mary@example.org", "Pw-mary-8826", report.Created, "", nil},
	{"Returning Rita", "rita@example.org", "Pw-rita-0045", report.Exists, "userexists",
		report.Groups{{Group: "confirmed", State: report.GrantAdded, Until: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)}}},
	{"Someone Else", "else@example.org", "Pw-else-7777", report.Exists, "userexists", nil},
	{"Bad#Name", "bad@example.org", "Pw-bad-1111", report.Invalid, "forbidden-character", nil},
	{"Failed Fiona", "fiona@example.org", "Pw-fiona-2222", report.Failed, "noemailcreate", nil},
}

// slipped reports whether the account gets a slip.
func (a slipsAccount) slipped() bool { return a.status == report.Created || a.groups != nil }

// slipsFiles writes the sheet of slipsAccounts (with a password column)
// and the results of its run on wiki into dir.
func slipsFiles(t *testing.T, dir, wiki string) (sheet, results string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("username,email,password,team\n")
	at := report.Timestamp{Time: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	var rows []report.Row
	for i, a := range slipsAccounts {
		fmt.Fprintf(&b, "%s,%s,%s,blue\n", a.name, a.email, a.password)
		rows = append(rows, report.Row{Line: i + 2, Username: a.name, Canonical: a.name, Status: a.status, Code: a.code, Attempts: 1, FinishedAt: at, Groups: a.groups})
	}
	sheet = writeSheet(t, dir, "signups.csv", b.String())
	results = filepath.Join(dir, "signups.results.csv")
	f, err := report.Create(results, false, report.About{Wiki: wiki, Creator: "Organizer@bulk", FirstRun: at.Time})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Write(rows...); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(false); err != nil {
		t.Fatal(err)
	}
	return sheet, results
}

// serveFile serves the file at path, as a browser would open it.
func serveFile(t *testing.T, path string) string {
	t.Helper()
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// pdfTool runs one of poppler's tools (pdftotext, pdfinfo) on the PDF at
// path and returns what it prints.
func pdfTool(t *testing.T, tool string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s is not installed (%v): make wiki-deps installs it (poppler-utils)", tool, err)
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// squeezed is s without its spaces and line breaks: a name that the
// slip wraps is found in the PDF's text all the same.
func squeezed(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// The login slips printed to PDF by headless chromium: every account
// created or added to groups has its slip (its username in the PDF's
// text), with the wiki's name and where its temporary password was
// mailed, the address masked; the names that got no account have none;
// no password is printed unless --with-passwords asks, and then the page
// is a file for the organizer alone. The paper is the one asked for, the
// slips eight a page (two pages here), and the QR code on the page reads
// back as the wiki's sign-in address.
func TestReportSlipsPrintToPDF(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Debian's chromium and poppler-utils: run without -short (make test)")
	}
	dir := t.TempDir()
	sheet, results := slipsFiles(t, dir, slipsWiki)
	login := "https://wiki.example.org/w/index.php?title=Special:UserLogin&returnto=Project:Edit-a-thon/2026"
	for _, tt := range []struct {
		name      string
		args      []string
		paper     string // as pdfinfo says it
		wikiName  string
		passwords bool
	}{
		{name: "mailed", args: []string{"--returnto", "Project:Edit-a-thon/2026"}, paper: "A4", wikiName: "wiki.example.org"},
		{name: "passwords set, not printed", args: []string{"--mailpassword=false", "--returnto", "Project:Edit-a-thon/2026", "--paper", "letter"},
			paper: "letter", wikiName: "wiki.example.org"},
		{name: "with passwords", args: []string{"--mailpassword=false", "--with-passwords", "--returnto", "Project:Edit-a-thon/2026", "--paper", "letter", "--wiki-name", "Example Wiki"},
			paper: "letter", wikiName: "Example Wiki", passwords: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "slips.html")
			args := append([]string{"report", "--format", "slips", "--input", sheet, "--out", out}, tt.args...)
			r := runCLI(t, nil, append(args, results)...)
			if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "wrote 10 login slips to "+out) {
				t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			if who, _, err := report.Readers(out); err != nil || who != "" {
				t.Errorf("%s may be read by %s (%v): it must be the organizer's alone", out, who, err)
			}
			b := browser.New(t, browser.WindowSize(1000, 1200))
			b.Navigate(serveFile(t, out))
			if tt.name == "mailed" {
				shot := b.Screenshot("slips")
				if got := decodeQR(t, shot); got != login {
					t.Errorf("the QR code on the page reads %q, want %q", got, login)
				}
			}
			// Beside the screenshots, when they are kept, for a person to see.
			pdf := filepath.Join(t.TempDir(), "slips.pdf")
			if shots := os.Getenv(browser.ScreenshotsEnv); shots != "" {
				pdf = filepath.Join(shots, strings.NewReplacer("/", "_", " ", "_", ",", "").Replace(t.Name())+".pdf")
			}
			b.PrintPDF(pdf)
			// -raw: the text in the order the page has it, each slip's
			// together (not line by line across the columns).
			text := pdfTool(t, "pdftotext", "-raw", "-enc", "UTF-8", pdf, "-")
			t.Logf("the PDF's text:\n%s", text)
			flat := squeezed(text)
			if !strings.Contains(flat, squeezed(tt.wikiName)) {
				t.Errorf("the PDF's text lacks the wiki's name %q", tt.wikiName)
			}
			if !strings.Contains(flat, squeezed(login)) {
				t.Errorf("the PDF's text lacks the sign-in address %s", login)
			}
			for _, a := range slipsAccounts {
				if got := strings.Contains(flat, squeezed(a.name)); got != a.slipped() {
					t.Errorf("%q (%s) is in the PDF: %v, want %v", a.name, a.status, got, a.slipped())
				}
				if got := strings.Contains(text, a.password); got != (tt.passwords && a.slipped() && a.status == report.Created) {
					t.Errorf("the password of %q is in the PDF: %v (--with-passwords: %v)", a.name, got, tt.passwords)
				}
				if strings.Contains(text, a.email) {
					t.Errorf("the PDF shows %q's whole address %s", a.name, a.email)
				}
			}
			if tt.name == "mailed" && !strings.Contains(text, "a…@example.org") {
				t.Errorf("the PDF does not say where Ada's password was mailed (a…@example.org)")
			}
			info := pdfTool(t, "pdfinfo", pdf)
			if !regexp.MustCompile(`(?m)^Pages:\s+2$`).MatchString(info) || !regexp.MustCompile(`(?m)^Page size:.*\(`+tt.paper+`\)`).MatchString(info) {
				t.Errorf("want 2 pages of %s (8 slips and 2):\n%s", tt.paper, info)
			}
		})
	}
}

// The slips on the English Wikipedia: with passwords set by the run, the
// command says that the English Wikipedia's norm for event coordinators
// forbids handing them out; with mailed ones it says nothing.
func TestReportSlipsWarnOnEnglishWikipedia(t *testing.T) {
	dir := t.TempDir()
	sheet, results := slipsFiles(t, dir, "https://en.wikipedia.org/w/api.php")
	r := runCLI(t, nil, "report", "--format", "slips", "--input", sheet, "--mailpassword=false", results)
	if r.code != 0 || !strings.Contains(r.stderr, "English Wikipedia, the event coordinator norm forbids handing participants passwords") {
		t.Errorf("exit %d, stderr %q: no warning of the event coordinator norm", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "https://en.wikipedia.org/w/index.php?title=Special:UserLogin") {
		t.Errorf("the slips lack the English Wikipedia's sign-in page:\n%.500s", r.stdout)
	}
	r = runCLI(t, nil, "report", "--format", "slips", "--input", sheet, results)
	if r.code != 0 || strings.Contains(r.stderr, "event coordinator") {
		t.Errorf("mailed passwords: exit %d, stderr %q", r.code, r.stderr)
	}
}

// What `report --format slips` refuses, before it writes anything.
func TestReportSlipsRefusals(t *testing.T) {
	dir := t.TempDir()
	sheet, results := slipsFiles(t, dir, slipsWiki)
	noPasswords := writeSheet(t, dir, "no-passwords.csv", "username,email\nAda Lovelace,ada@example.org\n")
	out := filepath.Join(dir, "slips.html")
	for _, tt := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no sheet", []string{"--format", "slips", results},
			"mwprovision: --format slips needs --input, the sheet these results are about"},
		{"passwords to the terminal", []string{"--format", "slips", "--input", sheet, "--mailpassword=false", "--with-passwords", results},
			"mwprovision: --with-passwords writes the passwords to a file readable by you alone, never to the terminal"},
		{"passwords the wiki mailed", []string{"--format", "slips", "--input", sheet, "--with-passwords", "--out", out, results},
			"mwprovision: --with-passwords prints the passwords a run set from the sheet (run --mailpassword=false)"},
		{"passwords on name tags", []string{"--format", "slips", "--input", sheet, "--mailpassword=false", "--with-passwords", "--name-tags", "--out", out, results},
			"mwprovision: --with-passwords cannot go with --name-tags"},
		{"no password column", []string{"--format", "slips", "--input", noPasswords, "--mailpassword=false", results},
			"mwprovision: --mailpassword=false: " + noPasswords + " has no password column"},
		{"another paper", []string{"--format", "slips", "--input", sheet, "--paper", "a3", results},
			"mwprovision: unknown paper \"a3\": use a4 or letter"},
		{"a slips flag without slips", []string{"--paper", "letter", results},
			"mwprovision: --paper is for --format slips"},
		{"the sheet as --out", []string{"--format", "slips", "--input", sheet, "--out", sheet, results},
			"mwprovision: --input and --out are one file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"report"}, tt.args...)...)
			if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %.200q, stderr %q; want exit 2, stderr %q…", r.code, r.stdout, r.stderr, tt.stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}

// decodeQR reads the first QR code in the PNG at path.
func decodeQR(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return decodeQRImage(t, img)
}

func decodeQRImage(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no QR code read: %v", err)
	}
	return res.GetText()
}
