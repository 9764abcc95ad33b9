package browser

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// formPage has what the console's pages have: labelled fields, a file
// field, and buttons whose plain JavaScript writes into the page (a
// hidden "Send" first, which a person could not click).
const formPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Accounts</title>
<style>body { font-family: sans-serif; margin: 2em } label { display: block; margin: 1em 0 }</style></head>
<body>
<h1>Create accounts</h1>
<form id="f">
<label for="name">Organizer name</label><input id="name" name="name">
<p>Typed so far: <span id="echo"></span></p>
<label>Sheet <input type="file" name="sheet"></label>
<label>Wiki <select name="wiki"><option value="en">English Wikipedia</option><option value="ar">Arabic Wikipedia</option></select></label>
<button type="button" hidden>Send</button>
<button type="button" id="send">
	Send
</button>
</form>
<p id="out">Nothing sent yet.</p>
<script>
const f = document.getElementById("f");
f.name.addEventListener("input", () => { document.getElementById("echo").textContent = f.name.value; });
document.getElementById("send").addEventListener("click", async () => {
	const r = await fetch("/upload", {method: "POST", body: new FormData(f)});
	document.getElementById("out").textContent = await r.text();
});
</script>
</body></html>`

// arabicPage is a right-to-left page in Arabic with one Latin word.
const arabicPage = `<!doctype html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>الحسابات</title>
<style>body { font-family: sans-serif; font-size: 20px; margin: 2em }</style></head>
<body>
<h1>إنشاء الحسابات</h1>
<p>أنشئ حسابات المشاركين على MediaWiki دفعة واحدة.</p>
</body></html>`

// server is a small site for the browser, which records what it was sent.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	sheet    []byte
	language string
}

func newServer(t *testing.T) *server {
	s := &server{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.language = r.Header.Get("Accept-Language")
		s.mu.Unlock()
		io.WriteString(w, formPage)
	})
	mux.HandleFunc("GET /ar", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, arabicPage) })
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		file, header, err := r.FormFile("sheet")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer file.Close()
		b, err := io.ReadAll(file)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.sheet = b
		s.mu.Unlock()
		fmt.Fprintf(w, "Thank you, %s: %s (%d bytes) for %s.", r.FormValue("name"), header.Filename, len(b), r.FormValue("wiki"))
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestBrowserFillsUploadsClicksAndPrints(t *testing.T) {
	s := newServer(t)
	b := New(t)
	sheet := filepath.Join(t.TempDir(), "accounts.csv")
	content := "username,email\nAlice,alice@example.org\nسمير,samir@example.org\n"
	if err := os.WriteFile(sheet, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}

	b.Navigate(s.URL)
	b.Fill("Organizer name", "Dana")
	b.Fill("Organizer name", "Dana Şahin") // again: the field is emptied first
	b.WaitText("#echo", "Dana Şahin")      // typed, so the page's input events fired
	b.Fill("Wiki", "Arabic Wikipedia")
	b.Upload("Sheet", sheet)
	b.ClickButton("Send")
	b.WaitText("#out", "Thank you")
	if got, want := b.Text("#out"), fmt.Sprintf("Thank you, Dana Şahin: accounts.csv (%d bytes) for ar.", len(content)); got != want {
		t.Errorf("the page says %q, want %q", got, want)
	}
	s.mu.Lock()
	got := string(s.sheet)
	s.mu.Unlock()
	if got != content {
		t.Errorf("the server received the sheet %q, want %q", got, content)
	}
	var echo string
	b.Eval(`document.getElementById("echo").textContent`, &echo)
	if echo != "Dana Şahin" {
		t.Errorf("Eval: %q", echo)
	}
	if !strings.Contains(b.PageText(), "Create accounts") || b.URL() != s.URL+"/" {
		t.Errorf("PageText or URL: %q %q", b.PageText(), b.URL())
	}
	checkScreenshot(t, b.Screenshot("form"), 1280, 900)

	b.Navigate(s.URL + "/ar")
	// Right to left, shorter than the window, then taller: the text ends
	// at the right margin (40 px), not beyond the edge, and the whole
	// page is taken.
	for _, shot := range []struct {
		name   string
		height int
	}{{"arabic", 900}, {"arabic-long", 1300}} {
		if shot.height > 900 {
			b.Eval(`document.body.insertAdjacentHTML("beforeend", '<div style="height: 1200px"></div><p>النهاية</p>')`, nil)
		}
		img := checkScreenshot(t, b.Screenshot(shot.name), 1280, shot.height)
		if n := darkPixels(img, image.Rect(1280-40, 0, 1280, 200)); n > 0 {
			t.Errorf("%s: %d dark pixels in the right margin: the page is shifted", shot.name, n)
		}
		if n := darkPixels(img, image.Rect(1000, 0, 1240, 200)); n < 100 {
			t.Errorf("%s: %d dark pixels where the heading begins", shot.name, n)
		}
	}
	pdf := filepath.Join(t.TempDir(), "arabic.pdf")
	b.PrintPDF(pdf)
	text := pdfText(t, pdf)
	t.Logf("the PDF's text:\n%s", text)
	for _, want := range []string{"MediaWiki", "الحسابات"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
}

// checkScreenshot fails unless path is a PNG at least w×h whose pixels
// are not all one colour: a rendering, with text. It returns the image.
func checkScreenshot(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is no PNG: %v", path, err)
	}
	bounds := img.Bounds()
	if bounds.Dx() < w || bounds.Dy() < h {
		t.Errorf("%s is %v, want at least %d×%d", path, bounds.Size(), w, h)
	}
	if dark := darkPixels(img, bounds); dark < 500 || len(data) < 5000 {
		t.Errorf("%s: %d bytes, %d dark pixels: no text rendered?", path, len(data), dark)
	}
	return img
}

// darkPixels counts the pixels of img in the rectangle r that are dark.
func darkPixels(img image.Image, r image.Rectangle) int {
	n := 0
	b := r.Intersect(img.Bounds())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0x8000 {
				n++
			}
		}
	}
	return n
}

// pdfText is the text of the PDF at path, as pdftotext reads it.
func pdfText(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatalf("pdftotext is not installed (%v): make wiki-deps installs it (poppler-utils)", err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext %s: %v\n%s", path, err, out)
	}
	return string(out)
}

// The language asked for is the one the server hears, and the page's.
func TestBrowserSpeaksTheLanguageAskedFor(t *testing.T) {
	s := newServer(t)
	for _, lang := range []string{"ar", "fr"} {
		b := New(t, Language(lang))
		b.Navigate(s.URL)
		s.mu.Lock()
		heard := s.language
		s.mu.Unlock()
		if heard != lang {
			t.Errorf("Language(%q): the server got Accept-Language %q", lang, heard)
		}
		var page []string
		b.Eval(`[navigator.language, Intl.DateTimeFormat().resolvedOptions().locale]`, &page)
		if len(page) != 2 || page[0] != lang || page[1] != lang {
			t.Errorf("Language(%q): navigator.language and Intl's locale are %q", lang, page)
		}
	}
}

// fatalRecorder is a test that records its first fatal failure and, as a
// real test does, stops the goroutine that failed.
type fatalRecorder struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.msg = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *fatalRecorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

// failure returns the failure recorded, and forgets it.
func (r *fatalRecorder) failure() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := r.msg
	r.msg = ""
	return msg
}

// fails runs step with b on rec and returns how long it took to fail and
// what it said; it fails t if the step passes or takes more than limit.
func fails(t *testing.T, rec *fatalRecorder, limit time.Duration, step func()) (time.Duration, string) {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		step()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("the step had not ended after %v", limit)
	}
	took := time.Since(start)
	msg := rec.failure()
	if msg == "" {
		t.Fatalf("the step did not fail the test")
	}
	return took, msg
}

// A step whose element never appears fails the test within its deadline,
// naming the step and showing the page; a step that errs fails at once.
func TestStepFailsNamedAndInTime(t *testing.T) {
	s := newServer(t)
	rec := &fatalRecorder{TB: t}
	b := New(rec, Timeout(2*time.Second))
	b.Navigate(s.URL)

	took, msg := fails(t, rec, 20*time.Second, func() { b.ClickButton("Delete everything") })
	t.Logf("failed after %v:\n%s", took.Round(time.Millisecond), msg)
	if took < 2*time.Second || took > 10*time.Second {
		t.Errorf("the step failed after %v, want just after its 2 s", took)
	}
	for _, want := range []string{`step "click the button \"Delete everything\"" timed out after 2s`, "page: " + s.URL + "/", "Create accounts", "Nothing sent yet."} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure lacks %q:\n%s", want, msg)
		}
	}

	took, msg = fails(t, rec, 20*time.Second, func() { b.Fill("Wiki", "Klingon Wikipedia") })
	if took > time.Second || !strings.Contains(msg, `step "fill \"Wiki\" with \"Klingon Wikipedia\"" failed`) || !strings.Contains(msg, "no option") {
		t.Errorf("after %v:\n%s", took, msg)
	}
}

// Without chromium, New fails the test (never skips it) and says what
// installs it.
func TestNewSaysHowToInstallChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("New skips under -short before it looks for chromium (make unit)")
	}
	t.Setenv("PATH", t.TempDir())
	rec := &fatalRecorder{TB: t}
	_, msg := fails(t, rec, 5*time.Second, func() { New(rec) })
	if !strings.Contains(msg, "chromium is not installed") || !strings.Contains(msg, "make wiki-deps installs it") {
		t.Errorf("New without chromium says:\n%s", msg)
	}
}
