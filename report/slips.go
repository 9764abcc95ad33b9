package report

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/boombuler/barcode/qr"

	"github.com/mwprovision/mwprovision/provision/i18n"
)

// The papers the login slips are laid out for.
const (
	PaperA4     = "a4"
	PaperLetter = "letter"
)

// SlipOptions says how WriteSlips lays the slips out and what they say.
type SlipOptions struct {
	Lang  i18n.Lang // the page's words: one of i18n.Languages
	Paper string    // PaperA4 (also when empty) or PaperLetter
	// NameTags lays out name tags instead of slips: smaller, the name big,
	// and nothing on them that is not for everyone to see (no password,
	// no address).
	NameTags bool
	// MailPassword: the run had the wiki mail each new user a temporary
	// password (run's --mailpassword, on by default). Else the run set the
	// passwords of the sheet's password column.
	MailPassword bool
	// WithPasswords prints each password on its slip: only when the run
	// set them, and never on name tags.
	WithPasswords bool
	// WikiName is the wiki's name on the slips; its host when empty.
	WikiName string
	// ReturnTo is the page the sign-in leads to (the event page, say);
	// when empty the wiki shows its main page.
	ReturnTo string
}

// Slip is one account's login slip.
type Slip struct {
	Line     int
	Username string // as the wiki has it
	Email    string // the sheet's
	Password string // the sheet's, only when asked for
	// Created is false for an existing account the run added to groups,
	// Groups says which, and until when.
	Created bool
	Groups  Groups
}

// SlipsWritten is what WriteSlips wrote.
type SlipsWritten struct {
	Slips          int
	Wiki           string // the results' api.php URL
	Login          string // the address of the wiki's sign-in page
	PasswordColumn bool   // the sheet has a password column
}

// ErrNoSlips: the results hold no account created or added to groups, so
// there is no slip to print.
var ErrNoSlips = errors.New("no account was created or added to groups: no slip to print")

// ErrNoPasswordColumn: slips of a run that set passwords from a sheet
// without a password column.
var ErrNoPasswordColumn = errors.New("the sheet has no password column, so the run cannot have set passwords from it")

// SlipFor reports whether r gets a login slip: a created account, or an
// existing one the run added to groups (or found holding them), as the
// wikitext list has them.
func SlipFor(r Row) bool {
	return r.Status == Created || r.Status == Exists && heldGroups(r.Groups, English) != ""
}

// WriteSlips joins the sheet in with its results (chosen are its --column
// choices, as for a run) and writes to w a printable HTML page with a
// login slip for each account created or added to groups: its username,
// the wiki's name, its sign-in address and a QR code of it, and what to
// do next — where the temporary password was mailed (the address
// masked), or the password itself when o.WithPasswords. The page needs
// nothing from the network. Nothing is written unless every row joins.
func WriteSlips(w io.Writer, in io.Reader, chosen map[string]string, results []Row, o SlipOptions) (SlipsWritten, error) {
	var done SlipsWritten
	if !i18n.Known(string(o.Lang)) {
		return done, fmt.Errorf("unknown language %q: use %s", o.Lang, LanguageChoice())
	}
	if o.Paper == "" {
		o.Paper = PaperA4
	}
	if _, ok := papers[o.Paper]; !ok {
		return done, fmt.Errorf("unknown paper %q: use a4 or letter", o.Paper)
	}
	switch {
	case o.WithPasswords && o.MailPassword:
		return done, errors.New("the wiki mailed the passwords (--mailpassword): the sheet's are not the accounts'; give --mailpassword=false if the run set them")
	case o.WithPasswords && o.NameTags:
		return done, errors.New("a name tag is worn where everyone sees it: it never holds a password")
	}
	j, err := newJoin(in, chosen, results)
	if err != nil {
		return done, err
	}
	done.PasswordColumn = j.sheet.Column("password") >= 0
	if !o.MailPassword && !done.PasswordColumn {
		return done, ErrNoPasswordColumn
	}
	var slips []Slip
	for {
		a, r, err := j.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return done, err
		}
		if !SlipFor(r) {
			continue
		}
		if done.Wiki == "" {
			done.Wiki = r.Wiki
		}
		s := Slip{Line: r.Line, Username: r.Canonical, Email: a.Email, Created: r.Status == Created, Groups: r.Groups}
		if s.Username == "" {
			s.Username = r.Username
		}
		if o.WithPasswords {
			s.Password = a.Password
		}
		slips = append(slips, s)
	}
	if len(slips) == 0 {
		return done, ErrNoSlips
	}
	done.Login, err = LoginURL(done.Wiki, o.ReturnTo)
	if err != nil {
		return done, err
	}
	if o.WikiName == "" {
		u, _ := url.Parse(done.Wiki)
		o.WikiName = u.Host
	}
	var b bytes.Buffer
	if err := renderSlips(&b, slips, done.Login, o); err != nil {
		return done, err
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return done, err
	}
	done.Slips = len(slips)
	return done, nil
}

// LoginURL is the address of the sign-in page of the wiki whose api.php
// is at api: its index.php with title=Special:UserLogin, and returnto the
// page to go on to, if one is given.
func LoginURL(api, returnTo string) (string, error) {
	if api == "" {
		return "", errors.New("the results name no wiki (a dry run offline?): the slips need its address")
	}
	u, err := url.Parse(api)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || !strings.HasSuffix(u.Path, "/api.php") {
		return "", fmt.Errorf("the results' wiki %q is no api.php address", api)
	}
	u.Path = strings.TrimSuffix(u.Path, "api.php") + "index.php"
	u.RawQuery = "title=Special:UserLogin"
	if returnTo = strings.TrimSpace(returnTo); returnTo != "" {
		u.RawQuery += "&returnto=" + queryTitle(returnTo)
	}
	u.Fragment, u.User = "", nil
	return u.String(), nil
}

// queryTitle is a page title as a query value: spaces as underscores, as
// MediaWiki writes titles in addresses, and the colons and slashes of
// namespaces and subpages kept as they are, so that the address stays
// readable; whatever else would end or change the value escaped.
func queryTitle(t string) string {
	e := url.QueryEscape(strings.ReplaceAll(t, " ", "_"))
	return strings.NewReplacer("%3A", ":", "%2F", "/").Replace(e)
}

// Readable is the address u as a slip prints it, for a person to type:
// its percent-escapes of letters beyond ASCII decoded
// (returnto=ويكيبيديا:ورشة), the rest as it is. An escape of anything
// that cannot be seen or that changes the text's direction stays escaped.
func Readable(u string) string {
	var b strings.Builder
	for i := 0; i < len(u); {
		r, n := escapedRune(u[i:])
		if n > 0 {
			b.WriteRune(r)
			i += n
			continue
		}
		b.WriteByte(u[i])
		i++
	}
	return b.String()
}

// escapedRune is the character beyond ASCII that the percent-escapes at
// the start of s spell, and their length; 0 if they spell none, or one
// that cannot be seen: a control, format (such as a direction mark) or
// space character.
func escapedRune(s string) (rune, int) {
	var b []byte
	for len(b) < utf8.UTFMax && len(s) >= 3*(len(b)+1) && s[3*len(b)] == '%' {
		v, err := strconv.ParseUint(s[3*len(b)+1:3*len(b)+3], 16, 8)
		if err != nil || v < 0x80 {
			break
		}
		b = append(b, byte(v))
		if utf8.FullRune(b) {
			break
		}
	}
	r, size := utf8.DecodeRune(b)
	if size == 0 || r == utf8.RuneError || size != len(b) || !unicode.IsGraphic(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
		return 0, 0
	}
	return r, 3 * size
}

// English Wikipedia's hosts: its event coordinators may not hand
// participants passwords.
var enwiki = map[string]bool{"en.wikipedia.org": true, "en.m.wikipedia.org": true}

// IsEnglishWikipedia reports whether the api.php URL api is the English
// Wikipedia's.
func IsEnglishWikipedia(api string) bool {
	u, err := url.Parse(api)
	return err == nil && enwiki[strings.ToLower(u.Hostname())]
}

// MaskEmail is addr as a slip shows it, to tell its owner which address
// the mail went to without showing it to others: the first letter, an
// ellipsis and the domain ("m…@example.org"). A value that is no address
// (no @) keeps its first letter alone; an empty one stays empty.
func MaskEmail(addr string) string {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return ""
	}
	local, domain := addr, ""
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local, domain = addr[:i], addr[i:]
	}
	return firstLetter(local) + "…" + domain
}

// firstLetter is the first character of s with the marks that go with it
// (an accent written apart), so that no letter is cut in two.
func firstLetter(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n <= 1 {
		return ""
	}
	for n < len(s) {
		m, size := utf8.DecodeRuneInString(s[n:])
		if !unicode.Is(unicode.M, m) && m != '\u200d' {
			break
		}
		n += size
	}
	return s[:n]
}

// paper is a paper's size and margins, and how many slips or name tags a
// page of it holds.
type paper struct {
	Name             string // as CSS @page size says it
	Width, Height    float64
	Margin           float64 // mm, on every side
	SlipCols         int
	SlipRows         int
	TagCols, TagRows int
}

var papers = map[string]paper{
	PaperA4:     {Name: "A4", Width: 210, Height: 297, Margin: 10, SlipCols: 2, SlipRows: 4, TagCols: 3, TagRows: 6},
	PaperLetter: {Name: "letter", Width: 215.9, Height: 279.4, Margin: 10, SlipCols: 2, SlipRows: 4, TagCols: 3, TagRows: 6},
}

// QRSVG is an inline SVG of a QR code of text (error correction M, with
// the quiet zone of four modules around it): one path of the dark
// modules, row by row.
func QRSVG(text, label string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("QR code of %s: %v", text, err)
	}
	const quiet = 4
	n := code.Bounds().Dx()
	var d strings.Builder
	for y := 0; y < n; y++ {
		for x := 0; x < n; {
			if !dark(code.At(x, y)) {
				x++
				continue
			}
			run := 1
			for x+run < n && dark(code.At(x+run, y)) {
				run++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run
		}
	}
	size := n + 2*quiet
	return template.HTML(fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		size, size, html.EscapeString(label), size, size, d.String())), nil
}

// dark reports whether a module of the code is dark.
func dark(c interface{ RGBA() (r, g, b, a uint32) }) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

// tHTML is the message key of l with its parameters, as HTML: the
// message's text escaped, each parameter that is template.HTML put in as
// it is (a <bdi> around a name), the others as T puts them.
func tHTML(l i18n.Lang, key string, params ...any) template.HTML {
	marks := make([]any, len(params))
	var swap []string
	for i, p := range params {
		h, ok := p.(template.HTML)
		if !ok {
			marks[i] = p
			continue
		}
		mark := fmt.Sprintf("\uE000%d\uE001", i)
		marks[i] = mark
		swap = append(swap, html.EscapeString(mark), string(h))
	}
	return template.HTML(strings.NewReplacer(swap...).Replace(html.EscapeString(l.T(key, marks...))))
}

// bdi is s isolated from the text around it, for a name or an address in
// a sentence of another direction; dir is "ltr" for an address, else ""
// (the direction of s's first strong letter).
func bdi(s, dir string) template.HTML {
	if dir != "" {
		return template.HTML(`<bdi dir="` + dir + `">` + html.EscapeString(s) + `</bdi>`)
	}
	return template.HTML(`<bdi>` + html.EscapeString(s) + `</bdi>`)
}

// slipView is one slip as the page shows it.
type slipView struct {
	Username string
	Size     string // the username's size class: "", "long" or "longer"
	Next     template.HTML
	Password string
}

// sizeClass shrinks a long username so that it stays on the slip.
func sizeClass(name string, tags bool) string {
	n := utf8.RuneCountInString(name)
	long, longer := 15, 26
	if tags {
		long, longer = 12, 20
	}
	switch {
	case n > longer:
		return "longer"
	case n > long:
		return "long"
	}
	return ""
}

// renderSlips writes the page of slips.
func renderSlips(w io.Writer, slips []Slip, login string, o SlipOptions) error {
	l := o.Lang
	p := papers[o.Paper]
	cols, rows := p.SlipCols, p.SlipRows
	if o.NameTags {
		cols, rows = p.TagCols, p.TagRows
	}
	scan := l.T("slips-scan")
	qrCode, err := QRSVG(login, scan)
	if err != nil {
		return err
	}
	views := make([]slipView, len(slips))
	for i, s := range slips {
		v := slipView{Username: s.Username, Size: sizeClass(s.Username, o.NameTags)}
		switch {
		case o.NameTags:
		case !s.Created:
			v.Next = tHTML(l, "slips-own-password", heldGroups(s.Groups, l))
		case o.MailPassword && s.Email != "":
			v.Next = tHTML(l, "slips-emailed", template.HTML(`<bdi dir="ltr" class="mail">`+html.EscapeString(MaskEmail(s.Email))+`</bdi>`))
		case o.MailPassword:
			v.Next = tHTML(l, "slips-emailed-you")
		case s.Password != "":
			v.Password = s.Password
			v.Next = tHTML(l, "slips-password-change")
		default:
			v.Next = tHTML(l, "slips-password-handed")
		}
		views[i] = v
	}
	var pages [][]slipView
	for per := cols * rows; len(views) > 0; views = views[min(per, len(views)):] {
		pages = append(pages, views[:min(per, len(views))])
	}
	heading := "slips-heading"
	if o.NameTags {
		heading = "slips-tags-heading"
	}
	usable := func(size float64, n int) string { return fmt.Sprintf("%.2fmm", (size-2*p.Margin)/float64(n)-0.2) }
	data := map[string]any{
		"Lang":      string(l),
		"Dir":       i18n.Dir(string(l)),
		"Title":     l.T("slips-title", o.WikiName),
		"Heading":   tHTML(l, heading, len(slips), bdi(o.WikiName, "")),
		"Hint":      l.T("slips-print-hint"),
		"Paper":     p,
		"PageW":     fmt.Sprintf("%gmm", p.Width),
		"PageH":     fmt.Sprintf("%gmm", p.Height),
		"Margin":    fmt.Sprintf("%gmm", p.Margin),
		"Cols":      cols,
		"CellW":     usable(p.Width, cols),
		"CellH":     usable(p.Height, rows),
		"Tags":      o.NameTags,
		"Pages":     pages,
		"WikiName":  o.WikiName,
		"AccountOn": tHTML(l, "slips-account-on", template.HTML(`<b>`+string(bdi(o.WikiName, ""))+`</b>`)),
		"UserWord":  l.T("slips-username"),
		"LoginWord": l.T("slips-login"),
		"PassWord":  l.T("slips-password"),
		"Scan":      scan,
		"Login":     Readable(login),
		"QR":        qrCode,
	}
	return slipsPage.Execute(w, data)
}

var slipsPage = template.Must(template.New("slips").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{.Dir}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
@page { size: {{.Paper.Name}}; margin: {{.Margin}}; }
:root { --cell-w: {{.CellW}}; --cell-h: {{.CellH}}; }
* { box-sizing: border-box; }
html { background: #e8e8e8; color: #000; font-family: "DejaVu Sans", "Noto Sans", "Noto Sans Arabic", Arial, sans-serif; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; padding: 6mm 0; }
header { width: {{.PageW}}; margin: 0 auto 4mm; font-size: 11pt; }
header h1 { font-size: 15pt; margin: 0 0 1mm; }
header p { margin: 0; color: #444; }
.page { width: {{.PageW}}; height: {{.PageH}}; padding: {{.Margin}}; margin: 0 auto 6mm; background: #fff; box-shadow: 0 0.5mm 2mm rgba(0,0,0,.25);
	display: grid; grid-template-columns: repeat({{.Cols}}, var(--cell-w)); grid-auto-rows: var(--cell-h); align-content: start; justify-content: start; }
.slip { break-inside: avoid; page-break-inside: avoid; overflow: hidden; outline: 0.25mm dashed #888; outline-offset: -0.125mm;
	padding: 4.5mm 5mm; display: grid; grid-template-columns: minmax(0, 1fr) 30mm; grid-template-rows: auto auto 1fr; column-gap: 4mm; }
.slip .wiki { grid-column: 1 / 3; margin: 0 0 2.5mm; padding-bottom: 1.5mm; border-bottom: 0.3mm solid #000; font-size: 9.5pt; }
.slip .who { min-width: 0; }
.label { margin: 0; font-size: 7pt; color: #555; text-transform: uppercase; letter-spacing: .04em; }
:lang(ar) .label { text-transform: none; letter-spacing: 0; font-size: 8pt; }
.username { margin: 0 0 2mm; font-size: 17pt; font-weight: bold; line-height: 1.15; overflow-wrap: anywhere; }
.username.long { font-size: 13pt; }
.username.longer { font-size: 10pt; }
.url { margin: 0 0 2mm; font-family: "DejaVu Sans Mono", monospace; font-size: 6.5pt; line-height: 1.3; word-break: break-all; color: #222; }
.mail { white-space: nowrap; }
.secret { margin: 0 0 1.5mm; font-family: "DejaVu Sans Mono", monospace; font-size: 12pt; font-weight: bold; overflow-wrap: anywhere; }
.next { grid-column: 1 / 3; margin: 1mm 0 0; font-size: 8.5pt; line-height: 1.35; align-self: end; }
.code { grid-row: 2; grid-column: 2; text-align: center; }
.qr { display: block; width: 30mm; height: 30mm; }
.code p { margin: 0.5mm 0 0; font-size: 6.5pt; color: #555; }
.tags .slip { padding: 3.5mm 4mm; grid-template-columns: minmax(0, 1fr) 19mm; grid-template-rows: 1fr auto; column-gap: 3mm; }
.tags .username { grid-column: 1 / 3; align-self: center; text-align: center; font-size: 22pt; margin: 0; }
.tags .username.long { font-size: 16pt; }
.tags .username.longer { font-size: 12pt; }
.tags .wiki { grid-column: 1; grid-row: 2; align-self: end; border: 0; margin: 0; padding: 0; font-size: 8pt; color: #333; }
.tags .code { grid-column: 2; grid-row: 2; }
.tags .qr { width: 19mm; height: 19mm; }
@media print {
	html, body { background: none; padding: 0; }
	header { display: none; }
	.page { width: auto; height: auto; padding: 0; margin: 0; box-shadow: none; break-after: page; }
	.page:last-child { break-after: auto; }
}
</style>
</head>
<body{{if .Tags}} class="tags"{{end}}>
<header>
<h1>{{.Heading}}</h1>
<p>{{.Hint}}</p>
</header>
{{range .Pages}}<section class="page">
{{range .}}{{if $.Tags}}<article class="slip">
<p class="username {{.Size}}"><bdi>{{.Username}}</bdi></p>
<p class="wiki"><bdi>{{$.WikiName}}</bdi></p>
<div class="code">{{$.QR}}</div>
</article>
{{else}}<article class="slip">
<p class="wiki">{{$.AccountOn}}</p>
<div class="who">
<p class="label">{{$.UserWord}}</p>
<p class="username {{.Size}}"><bdi>{{.Username}}</bdi></p>
{{if .Password}}<p class="label">{{$.PassWord}}</p>
<p class="secret"><bdi dir="ltr">{{.Password}}</bdi></p>
{{end}}<p class="label">{{$.LoginWord}}</p>
<p class="url"><bdi dir="ltr">{{$.Login}}</bdi></p>
</div>
<div class="code">{{$.QR}}<p>{{$.Scan}}</p></div>
<p class="next">{{.Next}}</p>
</article>
{{end}}{{end}}</section>
{{end}}</body>
</html>
`))
