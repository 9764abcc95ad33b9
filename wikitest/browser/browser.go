// Package browser drives Debian's chromium, headless, from Go tests, for the
// end-to-end tests of the console that mwprovision serves to the
// organizer's browser. It uses chromedp, which speaks the DevTools
// protocol to the browser over a pipe: no separate driver binary.
//
// Its helpers find things as a person does — a field by its label, a
// button by its text — and every step has a deadline: a step that does
// not happen in time fails the test, saying which step it was, the page's
// address and the text the page showed, so no test hangs.
//
//	b := browser.New(t, browser.Language("ar"))
//	b.Navigate(srv.URL)
//	b.Fill("Wiki address", api)
//	b.Upload("Sheet", "testdata/accounts.csv")
//	b.ClickButton("Check")
//	b.WaitText("#summary", "3 rows")
//	b.Screenshot("checked")
//
// make wiki-deps (wikitest/install-deps.sh) installs chromium, its fonts
// and pdftotext.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ScreenshotsEnv names the environment variable with the folder that
// Screenshot writes into; without it, a temporary folder of the test.
const ScreenshotsEnv = "MWPROVISION_SCREENSHOTS"

// DefaultTimeout is how long each step may take unless Timeout says.
const DefaultTimeout = 30 * time.Second

// Option changes how New starts the browser.
type Option func(*config)

type config struct {
	width, height int
	lang          string
	timeout       time.Duration
}

// WindowSize sets the size of the page's viewport, as a window of that
// size would show it: 1280×900 by default. (Headless chromium's
// --window-size alone leaves a viewport smaller by the height of a
// toolbar it does not draw, so the viewport is set as well.)
func WindowSize(width, height int) Option {
	return func(c *config) { c.width, c.height = width, height }
}

// Language makes the browser a person's whose language is lang, a BCP 47
// tag ("ar", "fr", "pt-BR") or a list of them by preference ("ar,fr"):
// chromium's --lang and --accept-lang, so that every request's
// Accept-Language header and navigator.languages say it, and the page's
// locale (Intl) is the first. Without it, chromium says en-US.
func Language(lang string) Option {
	return func(c *config) { c.lang = lang }
}

// Timeout sets how long each step may take (DefaultTimeout without it).
func Timeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// Browser is one headless chromium with one tab, for one test.
type Browser struct {
	t       testing.TB
	ctx     context.Context // the tab's
	timeout time.Duration
	output  *tail

	shotsOnce sync.Once
	shots     string
}

// New starts a headless chromium for the test and closes it when the test
// ends. It fails the test if chromium is not installed or does not start.
func New(t testing.TB, opts ...Option) *Browser {
	t.Helper()
	if testing.Short() {
		// As wikitest.Start: make unit runs without what make test installs.
		t.Skip("needs Debian's chromium: run without -short (make test)")
	}
	c := config{width: 1280, height: 900, timeout: DefaultTimeout}
	for _, o := range opts {
		o(&c)
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("browser: chromium is not installed (%v): make wiki-deps installs it", err)
	}
	out := &tail{max: 8 << 10}
	flags := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests run as root, where chromium's sandbox refuses to start
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.WindowSize(c.width, c.height),
		chromedp.CombinedOutput(out),
	)
	setup := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(int64(c.width), int64(c.height))}
	if c.lang != "" {
		// --lang alone changes neither the header nor navigator.languages
		// on Linux; --accept-lang changes both. Intl follows neither.
		first, _, _ := strings.Cut(c.lang, ",")
		flags = append(flags, chromedp.Flag("lang", first), chromedp.Flag("accept-lang", c.lang))
		setup = append(setup, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetLocaleOverride,
				emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(first, "-", "_")})
			return err
		}))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	closeAll := func() {
		cancelTab()
		done := make(chan struct{})
		go func() { cancelAlloc(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Logf("browser: chromium had not exited 15 s after it was told to")
		}
	}
	b := &Browser{t: t, ctx: ctx, timeout: c.timeout, output: out}

	// The first run starts the browser and lives as long as its context,
	// which so has no deadline: a timer stops the browser instead.
	timer := time.AfterFunc(c.timeout, cancelAlloc)
	err = chromedp.Do(ctx, setup...)
	late := !timer.Stop()
	if err != nil {
		closeAll()
		if late {
			t.Fatalf("browser: chromium (%s) did not start within %v; its output:\n%s", path, c.timeout, out)
		}
		t.Fatalf("browser: starting chromium (%s): %v; its output:\n%s", path, err, out)
	}
	t.Cleanup(func() {
		closeAll()
		if t.Failed() {
			t.Logf("browser: chromium's output (its end):\n%s", out)
		}
	})
	return b
}

// Run runs the actions in order as one step of the test, within the
// step's deadline. If one fails or the deadline passes, it fails the test
// with the step's name, the page's address and the text it showed.
func (b *Browser) Run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	Get(b, step, chromedp.Steps(actions...))
}

// Get runs one action that returns a value as one step of the test, as
// Run does, and returns the value.
func Get[T any](b *Browser, step string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err == nil {
		return v
	}
	switch {
	case b.ctx.Err() != nil:
		b.t.Fatalf("browser: step %q: the browser is gone: %v\nchromium's output (its end):\n%s", step, err, b.output)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		b.t.Fatalf("browser: step %q timed out after %v (%v)\n%s", step, b.timeout, err, b.page())
	default:
		b.t.Fatalf("browser: step %q failed: %v\n%s", step, err, b.page())
	}
	return v
}

// page tells the page's address and the text it shows, for a failure.
func (b *Browser) page() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Sprintf("(the page could not be read: %v)", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		text = fmt.Sprintf("(its text could not be read: %v)", err)
	}
	const most = 4000
	if len(text) > most {
		text = text[:most] + "\n…"
	}
	return fmt.Sprintf("page: %s\nit shows:\n%s", url, indent(text))
}

func indent(s string) string {
	return "\t" + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n\t")
}

// Navigate opens url in the tab and waits for it to load.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.Run("open "+url, chromedp.Navigate(url))
}

// URL returns the page's current address.
func (b *Browser) URL() string {
	b.t.Helper()
	return Get(b, "read the page's address", chromedp.Location())
}

// PageText returns the text the whole page shows (its body's innerText).
func (b *Browser) PageText() string {
	b.t.Helper()
	return Get(b, "read the page's text", chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
}

// Text waits for the first element that the CSS selector sel matches and
// returns the text it shows (innerText).
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	// One evaluation, waiting for the element: a page that reloads between
	// finding the element and reading it is read again.
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e : null })()`, jsString(sel))
	read := fmt.Sprintf(`document.querySelector(%s).innerText`, jsString(sel))
	step := fmt.Sprintf("read the text of %s", sel)
	for range 4 {
		b.Run(step, chromedp.Query(chromedp.JSPath(js)))
		ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](read))
		cancel()
		if err == nil {
			return Plain(text)
		}
	}
	b.Run(step, chromedp.Query(chromedp.JSPath(js)))
	return Plain(Get(b, step, chromedp.Evaluate[string](read)))
}

// Plain is s with its no-break and narrow no-break spaces as spaces: how
// Text reads a page, and how to compare a message with it.
func Plain(s string) string { return strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s) }

// WaitText waits until the first element that the CSS selector sel
// matches shows text (innerText) containing substring.
func (b *Browser) WaitText(sel, substring string) {
	b.t.Helper()
	// Spaces of every kind (a French no-break space before a colon) are
	// compared as spaces.
	js := fmt.Sprintf(`(() => { const norm = s => s.replace(/\s+/g, " "), e = document.querySelector(%s);
		return e && norm(e.innerText).includes(norm(%s)) ? e : null })()`,
		jsString(sel), jsString(substring))
	b.Run(fmt.Sprintf("wait until %s shows %q", sel, substring), chromedp.Query(chromedp.JSPath(js)))
}

// ClickButton waits for a visible, enabled button whose text (or, for an
// input, value; or aria-label) is label, spaces collapsed, and clicks it
// with the mouse.
func (b *Browser) ClickButton(label string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => {
	const norm = s => (s || "").replace(/\s+/g, " ").trim(), want = norm(%s);
	return [...document.querySelectorAll('button, input[type=submit], input[type=button], input[type=reset], [role=button]')]
		.find(e => e.checkVisibility() && !e.disabled && e.getAttribute("aria-disabled") !== "true" &&
			(norm(e.innerText || e.value) === want || norm(e.getAttribute("aria-label")) === want)) || null;
})()`, jsString(label))
	b.Run(fmt.Sprintf("click the button %q", label), chromedp.Click(chromedp.JSPath(js)))
}

// field returns a JSPath expression for the form control whose <label>
// says label (its text without that of the controls inside it, spaces
// collapsed), or else whose aria-label does; visible only, if visible.
func field(label string, visible bool) chromedp.JSPath {
	return chromedp.JSPath(fmt.Sprintf(`(() => {
	const norm = s => (s || "").replace(/\s+/g, " ").trim(), want = norm(%s), visible = %t;
	const text = l => { const c = l.cloneNode(true); c.querySelectorAll("input, select, textarea, button").forEach(x => x.remove()); return norm(c.textContent); };
	const ok = e => e && (!visible || e.checkVisibility());
	for (const l of document.querySelectorAll("label"))
		if (text(l) === want && ok(l.control)) return l.control;
	for (const e of document.querySelectorAll("input[aria-label], select[aria-label], textarea[aria-label]"))
		if (norm(e.getAttribute("aria-label")) === want && ok(e)) return e;
	return null;
})()`, jsString(label), visible))
}

// Fill waits for the visible field labelled label (see field) and puts
// value into it as a person would: it focuses the field, empties it and
// types value (as text input, so any script, Arabic too), firing the
// page's input events. For a <select>, it chooses the option whose text
// or value is value.
func (b *Browser) Fill(label, value string) {
	b.t.Helper()
	set := fmt.Sprintf(`((value) => {
	const e = document.activeElement, norm = s => (s || "").replace(/\s+/g, " ").trim();
	const tell = () => { e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); };
	if (e instanceof HTMLSelectElement) {
		const o = [...e.options].find(o => norm(o.text) === value || o.value === value);
		if (!o) throw new Error("the list has no option " + JSON.stringify(value));
		e.value = o.value; tell(); return true;
	}
	if (!("value" in e)) throw new Error("the focused element is a " + e.tagName + ", not a field");
	e.value = "";
	if (value === "") { tell(); return true; }
	return false;
})(%s)`, jsString(value))
	b.Run(fmt.Sprintf("fill %q with %q", label, value),
		chromedp.Focus(field(label, true), chromedp.NodeVisible),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			done, err := chromedp.Evaluate[bool](set)(ctx, tg)
			if err != nil || done {
				return err
			}
			_, err = cdp.Call(ctx, tg, input.InsertText, input.InsertTextParams{Text: value})
			return err
		}))
}

// Upload chooses the file at path in the file field labelled label (see
// field; it may be hidden, as styled file fields are), as the browser's
// file dialog would.
func (b *Browser) Upload(label, path string) {
	b.t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		b.t.Fatalf("browser: upload %s: %v", path, err)
	}
	b.Run(fmt.Sprintf("choose the file %s for %q", path, label),
		chromedp.SetUploadFiles(field(label, false), []string{abs}))
}

// Eval evaluates the JavaScript expression js in the page (awaiting it if
// it is a promise) and decodes its JSON value into out, unless out is nil.
// Headless, the clipboard cannot be read: a test reads what a "copy"
// button would copy from the page through Eval.
func (b *Browser) Eval(js string, out any) {
	b.t.Helper()
	step := "evaluate " + js
	if len(step) > 80 {
		step = step[:77] + "…"
	}
	raw := Get(b, step, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if out == nil {
		return
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("browser: step %q: its value %s does not decode into %T: %v", step, raw, out, err)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot writes a PNG of the whole page (beyond the window, as tall as
// the page) into the folder MWPROVISION_SCREENSHOTS names, or else a
// temporary folder of the test, and returns its path. The file is named
// for the test and name.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png := Get(b, fmt.Sprintf("take the screenshot %q", name), fullPage)
	b.shotsOnce.Do(func() {
		if b.shots = os.Getenv(ScreenshotsEnv); b.shots == "" {
			b.shots = b.t.TempDir()
		}
	})
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		b.t.Fatalf("browser: screenshot %q: %v", name, err)
	}
	path := filepath.Join(b.shots, unsafeName.ReplaceAllString(b.t.Name()+"_"+name, "_")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("browser: screenshot %q: %v", name, err)
	}
	return path
}

// fullPage captures the whole page as a PNG. Capturing beyond the
// viewport (as chromedp.FullScreenshot does) shifts a right-to-left page
// that fits in the window off its right edge, so a page that fits is
// captured as the window shows it, and only a larger one beyond the
// viewport, clipped to the page's content.
func fullPage(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
	m, err := cdp.Call(ctx, tg, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	yes, content, view := true, m.CSSContentSize, m.CSSLayoutViewport
	p := page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng, FromSurface: &yes}
	if content.Width > float64(view.ClientWidth) || content.Height > float64(view.ClientHeight) {
		p.CaptureBeyondViewport = &yes
		p.Clip = &page.Viewport{X: content.X, Y: content.Y, Width: content.Width, Height: content.Height, Scale: 1}
	}
	res, err := cdp.Call(ctx, tg, page.CaptureScreenshot, p)
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}

// PrintPDF prints the page as the browser's "Save as PDF" would (print
// styles, backgrounds included, and the paper size of the page's CSS
// @page rule where it has one) to the file at path.
func (b *Browser) PrintPDF(path string) {
	b.t.Helper()
	pdf := Get(b, "print the page to "+path, chromedp.PrintToPDF(chromedp.PDFPrintBackground(), chromedp.PDFPreferCSSPageSize()))
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		b.t.Fatalf("browser: print to %s: %v", path, err)
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

// tail keeps the last max bytes written to it: the end of chromium's
// output.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (w *tail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

// String is the output but for D-Bus's complaints, which chromium makes
// wherever no D-Bus runs (as in a container) and which mean nothing here.
func (w *tail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var kept []string
	for _, line := range strings.Split(string(w.buf), "\n") {
		if !strings.Contains(line, ":ERROR:dbus/") {
			kept = append(kept, line)
		}
	}
	return indent(strings.Join(kept, "\n"))
}
