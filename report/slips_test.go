package report

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/mwprovision/mwprovision/provision/i18n"
)

const slipsAPI = "https://fr.wikipedia.org/w/api.php"

// slipsSheet is the sheet of rows, each with an email and a password
// made from its username.
func slipsSheet(rows []Row) string {
	var b strings.Builder
	b.WriteString("username,email,password,team\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s@example.org,pw-%s-secret,blue\n", r.Username, strings.ToLower(r.Username), r.Username)
	}
	return b.String()
}

// onWiki is rows as a run on slipsAPI wrote them.
func onWiki(rows []Row) []Row {
	rows = slices.Clone(rows)
	for i := range rows {
		rows[i].Wiki = slipsAPI
	}
	return rows
}

func slipsOf(t *testing.T, sheet string, rows []Row, o SlipOptions) (string, SlipsWritten) {
	t.Helper()
	if o.Lang == "" {
		o.Lang = English
	}
	var b bytes.Buffer
	done, err := WriteSlips(&b, strings.NewReader(sheet), nil, rows, o)
	if err != nil {
		t.Fatal(err)
	}
	return b.String(), done
}

var usernameRe = regexp.MustCompile(`<p class="username[^"]*"><bdi>([^<]*)</bdi></p>`)

// slipNames are the usernames of the page's slips, in order.
func slipNames(page string) []string {
	var names []string
	for _, m := range usernameRe.FindAllStringSubmatch(page, -1) {
		names = append(names, html.UnescapeString(m[1]))
	}
	return names
}

// A slip shows which address the password went to, and not the address:
// its first letter (with the accent written apart from it), an ellipsis
// and the domain, in any script; a value that is no address keeps its
// first letter alone.
func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"maria@example.org":         "m…@example.org",
		"a@example.org":             "a…@example.org",
		"ab@example.org":            "a…@example.org",
		"@example.org":              "…@example.org",
		"  Ünal@beispiel.de ":       "Ü…@beispiel.de",
		"e\u0301lodie@exemple.fr":   "e\u0301…@exemple.fr",
		"محمد@example.org":          "م…@example.org",
		"用户@例子.广告":                  "用…@例子.广告",
		"😀smile@example.org":        "😀…@example.org",
		"\"a@b\"@example.org":       "\"…@example.org",
		"no-address":                "n…",
		"x":                         "x…",
		"":                          "",
		"   ":                       "",
		"maria@":                    "m…@",
		"\xffbroken@example.org":    "…@example.org",
		"Jean-Luc.Picard@starfleet": "J…@starfleet",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

// The sign-in address is the wiki's index.php beside its api.php, at
// Special:UserLogin, going on to the page asked for; an address that is
// no api.php is refused.
func TestLoginURL(t *testing.T) {
	for _, tt := range []struct{ api, returnTo, want string }{
		{"https://fr.wikipedia.org/w/api.php", "", "https://fr.wikipedia.org/w/index.php?title=Special:UserLogin"},
		{"https://fr.wikipedia.org/w/api.php", "Projet:Atelier/Paris 2026", "https://fr.wikipedia.org/w/index.php?title=Special:UserLogin&returnto=Projet:Atelier/Paris_2026"},
		{"https://wiki.example.org/api.php?format=json", " A&B=C#d ", "https://wiki.example.org/index.php?title=Special:UserLogin&returnto=A%26B%3DC%23d"},
		{"http://127.0.0.1:8080/w/api.php", "ويكي", "http://127.0.0.1:8080/w/index.php?title=Special:UserLogin&returnto=%D9%88%D9%8A%D9%83%D9%8A"},
	} {
		got, err := LoginURL(tt.api, tt.returnTo)
		if err != nil || got != tt.want {
			t.Errorf("LoginURL(%q, %q) = %q, %v; want %q", tt.api, tt.returnTo, got, err, tt.want)
		}
	}
	for _, api := range []string{"", "https://fr.wikipedia.org/wiki/Accueil", "ftp://x.org/api.php", "api.php", "https:///w/api.php"} {
		if got, err := LoginURL(api, ""); err == nil {
			t.Errorf("LoginURL(%q) = %q, want an error", api, got)
		}
	}
	if got, want := Readable("https://x.org/index.php?title=Special:UserLogin&returnto=%D9%88%D9%8A%E2%80%AE%26%D9%83"),
		"https://x.org/index.php?title=Special:UserLogin&returnto=وي%E2%80%AE%26ك"; got != want {
		t.Errorf("Readable = %q, want %q (letters decoded, a direction mark and & not)", got, want)
	}
}

// The slips are the accounts created and the existing ones added to
// groups, in the sheet's order, each joined by line with its row of the
// sheet for the address its password went to; the other rows (invalid,
// duplicate, an existing name with no group, rows a run never reached)
// get none.
func TestSlipsJoinTheSheet(t *testing.T) {
	rows := onWiki(langRows(3))
	sheet := slipsSheet(rows) + "Later,later@example.org,pw,blue\n" // not reached
	page, done := slipsOf(t, sheet, rows, SlipOptions{MailPassword: true})
	if want := []string{"User001", "User002", "User003", "Taken"}; !slices.Equal(slipNames(page), want) || done.Slips != 4 {
		t.Errorf("slips of %v (%d), want %v", slipNames(page), done.Slips, want)
	}
	for _, want := range []string{"u…@example.org", "Your account now holds: confirmed until 1 January 2027"} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, absent := range []string{"user001@example.org", "Bad#One", "Twin", "Later", "pw-"} {
		if strings.Contains(page, html.EscapeString(absent)) {
			t.Errorf("the page holds %q", absent)
		}
	}
	if done.Login != "https://fr.wikipedia.org/w/index.php?title=Special:UserLogin" || !strings.Contains(page, "fr.wikipedia.org") {
		t.Errorf("the sign-in address is %q", done.Login)
	}

	// The columns as the run chose them, the sheet's own delimiter.
	chosen := "Login;Contact;Team\nuser001;ada@example.org;red\n"
	var b bytes.Buffer
	if _, err := WriteSlips(&b, strings.NewReader(chosen), map[string]string{"username": "Login", "email": "Contact"}, onWiki(langRows(1))[:1], SlipOptions{Lang: English, MailPassword: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "a…@example.org") {
		t.Errorf("the email of the chosen column is not on the slip:\n%s", b.String())
	}

	// Results of another sheet: nothing is written.
	b.Reset()
	_, err := WriteSlips(&b, strings.NewReader("username,email\nsomeone,s@example.org\n"), nil, rows, SlipOptions{Lang: English, MailPassword: true})
	var nts *NotTheSheetError
	if !errors.As(err, &nts) || nts.Line != 2 || b.Len() != 0 {
		t.Errorf("another sheet: %v, wrote %d bytes", err, b.Len())
	}
	// No account created: no slip.
	_, err = WriteSlips(&b, strings.NewReader(slipsSheet(langRows(0))), nil, onWiki(langRows(0))[:3], SlipOptions{Lang: English, MailPassword: true})
	if !errors.Is(err, ErrNoSlips) || b.Len() != 0 {
		t.Errorf("no account: %v, wrote %d bytes", err, b.Len())
	}
	// Results with no wiki (an offline dry run's): no address to sign in at.
	if _, err := WriteSlips(&b, strings.NewReader(slipsSheet(rows)), nil, langRows(3), SlipOptions{Lang: English, MailPassword: true}); err == nil || b.Len() != 0 {
		t.Errorf("no wiki: %v, wrote %d bytes", err, b.Len())
	}
}

// A password is printed only when the run set it and the organizer asks
// for it, and never on a name tag; an address never on a name tag.
func TestSlipsPasswordsOnlyWhenAsked(t *testing.T) {
	rows := onWiki(langRows(3))
	sheet := slipsSheet(rows)
	for _, tt := range []struct {
		name      string
		o         SlipOptions
		passwords bool
		next      string
	}{
		{"mailed", SlipOptions{MailPassword: true}, false, "A temporary password was emailed to"},
		{"set, not asked", SlipOptions{}, false, "Sign in with the password the organizers give you"},
		{"set and asked", SlipOptions{WithPasswords: true}, true, "Once signed in, choose a password of your own"},
		{"name tags", SlipOptions{NameTags: true}, false, ""},
		{"name tags of mailed", SlipOptions{NameTags: true, MailPassword: true}, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			page, done := slipsOf(t, sheet, rows, tt.o)
			if !done.PasswordColumn || done.Slips != 4 {
				t.Errorf("%+v", done)
			}
			if got := strings.Contains(page, "-secret"); got != tt.passwords {
				t.Errorf("a password is on the page: %v, want %v", got, tt.passwords)
			}
			if tt.passwords && strings.Count(page, "-secret") != 3 {
				t.Errorf("%d passwords, want the 3 created accounts'", strings.Count(page, "-secret"))
			}
			if tt.next != "" && strings.Count(page, html.EscapeString(tt.next)) != 3 {
				t.Errorf("%q is not on each created account's slip", tt.next)
			}
			if tt.o.NameTags && (strings.Contains(page, "@example.org") || strings.Contains(page, `class="next"`)) {
				t.Errorf("a name tag tells more than the name and the wiki")
			}
		})
	}
	for _, tt := range []struct {
		name string
		o    SlipOptions
	}{
		{"passwords the wiki mailed", SlipOptions{Lang: English, MailPassword: true, WithPasswords: true}},
		{"passwords on name tags", SlipOptions{Lang: English, WithPasswords: true, NameTags: true}},
		{"an unknown paper", SlipOptions{Lang: English, MailPassword: true, Paper: "a3"}},
		{"an unknown language", SlipOptions{Lang: "de", MailPassword: true}},
	} {
		var b bytes.Buffer
		if _, err := WriteSlips(&b, strings.NewReader(sheet), nil, rows, tt.o); err == nil || b.Len() != 0 {
			t.Errorf("%s: %v, wrote %d bytes", tt.name, err, b.Len())
		}
	}
	var b bytes.Buffer
	_, err := WriteSlips(&b, strings.NewReader("username,email\nuser001,a@example.org\n"), nil, rows[:1], SlipOptions{Lang: English})
	if !errors.Is(err, ErrNoPasswordColumn) {
		t.Errorf("passwords set from a sheet without a password column: %v", err)
	}
}

var pathRe = regexp.MustCompile(`<svg class="qr"[^>]* viewBox="0 0 (\d+) (\d+)"[^>]*>.*?<path fill="#000" d="([^"]*)"/></svg>`)

// qrImage draws the first QR code of the page as a browser would, scale
// pixels a module, from the SVG's own path.
func qrImage(t *testing.T, page string, scale int) image.Image {
	t.Helper()
	m := pathRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no QR code on the page")
	}
	size, _ := strconv.Atoi(m[1])
	img := image.NewGray(image.Rect(0, 0, size*scale, size*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, run := range regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(m[3], -1) {
		x, _ := strconv.Atoi(run[1])
		y, _ := strconv.Atoi(run[2])
		w, _ := strconv.Atoi(run[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return img
}

// The QR code on a slip reads back as the wiki's sign-in address, a long
// one and one in another script too, as a phone would read it.
func TestSlipsQRCodeReadsBackAsTheSignInAddress(t *testing.T) {
	for _, returnTo := range []string{"", "Wikipedia:Edit-a-thon/Women in Science, 21 November 2026", "ويكيبيديا:مشروع ويكي المرأة"} {
		rows := onWiki(langRows(1))
		page, done := slipsOf(t, slipsSheet(rows), rows, SlipOptions{MailPassword: true, ReturnTo: returnTo})
		bmp, err := gozxing.NewBinaryBitmapFromImage(qrImage(t, page, 4))
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("returnto %q: the QR code cannot be read: %v", returnTo, err)
		}
		if res.GetText() != done.Login || !strings.Contains(done.Login, "title=Special:UserLogin") {
			t.Errorf("returnto %q: the QR code reads %q, want %q", returnTo, res.GetText(), done.Login)
		}
	}
}

// Slips for A4 or Letter, eight a page, each page breaking after it and
// no slip cut by a page break; name tags eighteen a page.
func TestSlipsPaper(t *testing.T) {
	rows := onWiki(langRows(20))
	sheet := slipsSheet(rows)
	for _, tt := range []struct {
		o            SlipOptions
		size         string
		pages, first int
	}{
		{SlipOptions{MailPassword: true}, "size: A4;", 3, 8},
		{SlipOptions{MailPassword: true, Paper: PaperLetter}, "size: letter;", 3, 8},
		{SlipOptions{MailPassword: true, NameTags: true}, "size: A4;", 2, 18},
	} {
		page, done := slipsOf(t, sheet, rows, tt.o)
		if done.Slips != 21 || !strings.Contains(page, tt.size) || !strings.Contains(page, "break-inside: avoid") || !strings.Contains(page, "break-after: page") {
			t.Errorf("%+v: %d slips; want %s, break-inside: avoid and break-after: page", tt.o, done.Slips, tt.size)
		}
		sections := strings.Split(page, `<section class="page">`)[1:]
		if len(sections) != tt.pages || strings.Count(sections[0], `<article class="slip">`) != tt.first {
			t.Errorf("%+v: %d pages, %d slips on the first; want %d, %d", tt.o, len(sections), strings.Count(sections[0], `<article`), tt.pages, tt.first)
		}
	}
}

// htmlText is the text a page shows: no style, no QR code, no markup.
func htmlText(page string) string {
	page = regexp.MustCompile(`(?s)<style>.*?</style>|<svg.*?</svg>`).ReplaceAllString(page, " ")
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, " "))
}

// The page of slips in every language and for each plural category: the
// page's language and direction (Arabic right to left), the heading's
// count in the form the language's rules call for, every word from the
// catalogue (no missing message, no English word left).
func TestSlipsInEachLanguage(t *testing.T) {
	english := englishWords(t)
	for _, lang := range i18n.Languages {
		t.Run(lang, func(t *testing.T) {
			l := i18n.Lang(lang)
			for _, n := range langCounts[1:] {
				rows := onWiki(langRows(n))
				rows[len(rows)-1].Groups = nil // Taken: n slips, one of each plural category
				for _, tags := range []bool{false, true} {
					o := SlipOptions{Lang: l, MailPassword: true, NameTags: tags}
					page, done := slipsOf(t, slipsSheet(rows), rows, o)
					if want := fmt.Sprintf(`<html lang="%s" dir="%s">`, lang, i18n.Dir(lang)); !strings.Contains(page, want) {
						t.Errorf("%d: the page is not %s", n, want)
					}
					key := "slips-heading"
					if tags {
						key = "slips-tags-heading"
					}
					if done.Slips != n {
						t.Errorf("%d slips, want %d", done.Slips, n)
					}
					heading := strings.ReplaceAll(html.EscapeString(counted(t, lang, key, n)), "$2", "<bdi>fr.wikipedia.org</bdi>")
					if !strings.Contains(page, "<h1>"+heading+"</h1>") {
						t.Errorf("%d slips: the heading is not %q", done.Slips, heading)
					}
					if strings.Contains(page, "⧼") {
						t.Errorf("%d: a message is missing", n)
					}
					if tags || lang == "en" {
						continue
					}
					text := htmlText(page)
					for _, a := range []string{"fr.wikipedia.org", "example.org", "https://fr.wikipedia.org/w/index.php?title=Special:UserLogin", "confirmed", "staff", "Taken"} {
						text = strings.ReplaceAll(text, a, " ")
					}
					for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
						if english[w] && !slices.Contains(shared[lang], w) {
							t.Errorf("%d: the English word %q is left", n, w)
						}
					}
				}
			}
			// Every message of the slips is said somewhere.
			rows := onWiki(langRows(2))
			var all strings.Builder
			for _, o := range []SlipOptions{{MailPassword: true}, {}, {WithPasswords: true}} {
				o.Lang = l
				page, _ := slipsOf(t, slipsSheet(rows), rows, o)
				all.WriteString(html.UnescapeString(page))
			}
			noMail, _ := slipsOf(t, regexp.MustCompile(`,[^,]*@example.org,`).ReplaceAllString(slipsSheet(rows), ",,"), rows, SlipOptions{Lang: l, MailPassword: true})
			all.WriteString(html.UnescapeString(noMail))
			if !strings.Contains(all.String(), l.T("slips-title", "fr.wikipedia.org")) {
				t.Errorf("the pages never say slips-title")
			}
			for _, key := range []string{"slips-print-hint", "slips-username", "slips-login", "slips-password", "slips-scan",
				"slips-emailed-you", "slips-password-change", "slips-password-handed"} {
				if !strings.Contains(all.String(), l.T(key)) {
					t.Errorf("the pages never say %s (%q)", key, l.T(key))
				}
			}
		})
	}
}
