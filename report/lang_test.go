package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/mwprovision/mwprovision/provision/i18n"
)

// langCounts are the numbers of created accounts the reports are tried
// with: in Arabic, one of each plural category (zero, one, two, few, many,
// other).
var langCounts = []int{0, 1, 2, 3, 11, 100}

// The dates of the groups held until a date, and the results file's name.
var (
	dec8       = time.Date(2026, 12, 8, 19, 0, 0, 0, time.UTC)
	jan1       = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	langResult = "signups.results.csv"
)

// langRows is a results file of n created accounts (the first added to
// confirmed until 8 December 2026 and to staff), then two invalid names, a
// duplicate and an existing name that holds confirmed until 1 January 2027.
func langRows(n int) []Row {
	var rows []Row
	for i := 1; i <= n; i++ {
		r := Row{Line: i + 1, Username: fmt.Sprintf("user%03d", i), Canonical: fmt.Sprintf("User%03d", i), Status: Created, Attempts: 1}
		if i == 1 {
			r.Groups = Groups{{"confirmed", GrantAdded, dec8}, {"staff", GrantAdded, time.Time{}}}
		}
		rows = append(rows, r)
	}
	return append(rows,
		Row{Line: n + 2, Username: "Bad#One", Status: Invalid, Code: "forbidden-character", Message: "a username cannot contain '#'"},
		Row{Line: n + 3, Username: "Bad#Two", Status: Invalid, Code: "forbidden-character", Message: "a username cannot contain '#'"},
		Row{Line: n + 4, Username: "twin", Canonical: "Twin", Status: Duplicate, Code: "duplicate", Message: `repeats line 9 (both are "Twin" on the wiki)`},
		Row{Line: n + 5, Username: "Taken", Canonical: "Taken", Status: Exists, Code: "userexists", Message: "the username is already taken on the wiki (userexists)",
			Groups: Groups{{"confirmed", GrantAlready, jan1}}},
	)
}

// allowed are the words of a report that are no language's: usernames,
// group names, codes and the results file's name, as langRows has them.
var allowed = []string{
	"forbidden-character", "userexists", "| duplicate |", // codes (duplicate is a status too: only the Markdown code cell)
	"Bad#One", "Bad#Two", "twin", "Twin", "Taken", "User:", // names, and the wiki's own namespace
	"autoconfirmed", "confirmed", "staff", // groups
	langResult, "MediaWiki",
}

// pluralRules are each language's plural categories in MediaWiki's order
// and the category of a number, as CLDR has them, written out here rather
// than taken from the code under test.
var pluralRules = map[string]struct {
	cats []string
	of   func(n int) string
}{
	"en": {[]string{"one", "other"}, func(n int) string {
		if n == 1 {
			return "one"
		}
		return "other"
	}},
	"fr": {[]string{"one", "many", "other"}, func(n int) string {
		switch {
		case n == 0 || n == 1:
			return "one"
		case n != 0 && n%1000000 == 0:
			return "many"
		}
		return "other"
	}},
	"es": {[]string{"one", "many", "other"}, func(n int) string {
		switch {
		case n == 1:
			return "one"
		case n != 0 && n%1000000 == 0:
			return "many"
		}
		return "other"
	}},
	"ar": {[]string{"zero", "one", "two", "few", "many", "other"}, func(n int) string {
		switch m := n % 100; {
		case n == 0:
			return "zero"
		case n == 1:
			return "one"
		case n == 2:
			return "two"
		case m >= 3 && m <= 10:
			return "few"
		case m >= 11:
			return "many"
		}
		return "other"
	}},
}

var pluralRe = regexp.MustCompile(`\{\{PLURAL:\$1\|([^{}]*)\}\}`)

// pluralForms are the forms of the {{PLURAL}} of key in lang's file: the
// explicit ones ("0=…") by number, the others in order.
func pluralForms(t *testing.T, lang, key string) (map[string]string, []string) {
	t.Helper()
	msg, ok := i18n.Raw(lang, key)
	if !ok {
		t.Fatalf("messages/report/%s.json has no %s", lang, key)
	}
	m := pluralRe.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("%s of %s has no {{PLURAL:$1|…}}: %q", key, lang, msg)
	}
	explicit := map[string]string{}
	var plain []string
	for _, f := range strings.Split(m[1], "|") {
		if k, v, ok := strings.Cut(f, "="); ok && strings.Trim(k, "0123456789") == "" && k != "" {
			explicit[k] = v
			continue
		}
		plain = append(plain, f)
	}
	return explicit, plain
}

// form is the form of key's {{PLURAL}} that lang's rules call for n.
func form(t *testing.T, lang, key string, n int) string {
	t.Helper()
	explicit, plain := pluralForms(t, lang, key)
	if f, ok := explicit[fmt.Sprint(n)]; ok {
		return f
	}
	rules := pluralRules[lang]
	i := slices.Index(rules.cats, rules.of(n))
	if i >= len(plain) {
		i = len(plain) - 1 // a form left out is the last one's
	}
	return plain[i]
}

// counted is key, a message of a number, for n in lang: its {{PLURAL}}
// given the form lang's rules call for, its $1 the number as lang writes
// it. A message of lang's file without {{PLURAL}} is as T writes it.
func counted(t *testing.T, lang, key string, n int) string {
	t.Helper()
	msg, ok := i18n.Raw(lang, key)
	if !ok {
		t.Fatalf("messages/report/%s.json has no %s", lang, key)
	}
	if pluralRe.MatchString(msg) {
		msg = pluralRe.ReplaceAllLiteralString(msg, form(t, lang, key, n))
	}
	return strings.ReplaceAll(msg, "$1", i18n.Lang(lang).Number(n))
}

// langText is the text report of langRows(n) in lang, built from the
// catalogue line by line.
func langText(t *testing.T, lang string, n int) string {
	l := i18n.Lang(lang)
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	line(l.T("report-group-title", l.T("status-invalid")+": forbidden-character", counted(t, lang, "report-rows", 2)))
	line(l.T("report-problem-row", n+2, "Bad#One", l.RowMessage("invalid", "forbidden-character", "a username cannot contain '#'", 0)))
	line(l.T("report-problem-row", n+3, "Bad#Two", l.RowMessage("invalid", "forbidden-character", "a username cannot contain '#'", 0)))
	line(l.T("report-group-title", l.T("status-duplicate"), counted(t, lang, "report-rows", 1)))
	line(l.T("report-problem-row", n+4, "twin", l.RowMessage("duplicate", "duplicate", `repeats line 9 (both are "Twin" on the wiki)`, 9)))
	line(l.T("report-group-title", l.T("status-exists")+": userexists", counted(t, lang, "report-rows", 1)))
	line(l.T("report-problem-row", n+5, "Taken", l.RowMessage("exists", "userexists", "the username is already taken on the wiki (userexists)", 0)))
	var counts []string
	if n > 0 {
		counts = append(counts, counted(t, lang, "count-created", n))
	}
	counts = append(counts, counted(t, lang, "count-exists", 1), counted(t, lang, "count-invalid", 2), counted(t, lang, "count-duplicate", 1))
	line(l.T("report-summary", counted(t, lang, "report-rows", n+4), strings.Join(counts, l.T("comma-separator"))))
	var grants []string
	if n > 0 {
		grants = append(grants, counted(t, lang, "count-grant-added", 2))
	}
	grants = append(grants, counted(t, lang, "count-grant-already", 1))
	line(l.T("report-groups", strings.Join(grants, l.T("comma-separator"))))
	return b.String()
}

// langWikitext is the wikitext list of langRows(n) in lang.
func langWikitext(lang string, n int) string {
	l := i18n.Lang(lang)
	var b strings.Builder
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("User%03d", i)
		b.WriteString("* [[User:" + name + "|" + name + "]]")
		if i == 1 {
			b.WriteString(" " + l.T("wikitext-groups", l.T("wikitext-group-until", "confirmed", l.Date(8, 12, 2026))+l.T("comma-separator")+"staff"))
		}
		b.WriteString("\n")
	}
	return b.String() + "* [[User:Taken|Taken]] " + l.T("wikitext-groups", l.T("wikitext-group-until", "confirmed", l.Date(1, 1, 2027))) + "\n"
}

// langMarkdown is the Markdown report of langRows(n) in lang.
func langMarkdown(t *testing.T, lang string, n int) string {
	l := i18n.Lang(lang)
	var b strings.Builder
	row := func(cells ...string) {
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`) // a pipe in a message stays in its cell
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	row(l.T("report-md-status"), l.T("report-md-rows"))
	b.WriteString("|---|---:|\n")
	if n > 0 {
		row(l.T("status-created"), l.Number(n))
	}
	row(l.T("status-exists"), l.Number(1))
	row(l.T("status-invalid"), l.Number(2))
	row(l.T("status-duplicate"), l.Number(1))
	row("**"+l.T("report-md-total")+"**", "**"+l.Number(n+4)+"**")
	var grants []string
	if n > 0 {
		grants = append(grants, counted(t, lang, "count-grant-added", 2))
	}
	grants = append(grants, counted(t, lang, "count-grant-already", 1))
	b.WriteString("\n" + l.T("report-groups", strings.Join(grants, l.T("comma-separator"))) + "\n\n")
	row(l.T("report-md-line"), l.T("report-md-username"), l.T("report-md-status"), l.T("report-md-code"), l.T("report-md-message"))
	b.WriteString("|---:|---|---|---|---|\n")
	row(l.Number(n+2), "Bad#One", l.T("status-invalid"), "forbidden-character", l.RowMessage("invalid", "forbidden-character", "a username cannot contain '#'", 0))
	row(l.Number(n+3), "Bad#Two", l.T("status-invalid"), "forbidden-character", l.RowMessage("invalid", "forbidden-character", "a username cannot contain '#'", 0))
	row(l.Number(n+4), "twin", l.T("status-duplicate"), "duplicate", l.RowMessage("duplicate", "duplicate", `repeats line 9 (both are "Twin" on the wiki)`, 9))
	row(l.Number(n+5), "Taken", l.T("status-exists"), "userexists", l.RowMessage("exists", "userexists", "the username is already taken on the wiki (userexists)", 0))
	return b.String()
}

func write(t *testing.T, rows []Row, format, lang string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteIn(&buf, rows, format, langResult, i18n.Lang(lang)); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// For each language and 0, 1, 2, 3, 11 and 100 created accounts, the
// text, Markdown and wikitext reports are the catalogue's words, every
// count in the plural form the language's rules call for.
func TestReportInEachLanguage(t *testing.T) {
	for _, lang := range i18n.Languages {
		for _, n := range langCounts {
			t.Run(fmt.Sprintf("%s/%d", lang, n), func(t *testing.T) {
				rows := langRows(n)
				if got, want := write(t, rows, FormatText, lang), langText(t, lang, n); got != want {
					t.Errorf("text\n%s\nwant\n%s", got, want)
				}
				if got, want := write(t, rows, FormatMarkdown, lang), langMarkdown(t, lang, n); got != want {
					t.Errorf("markdown\n%s\nwant\n%s", got, want)
				}
				if got, want := write(t, rows, FormatWikitext, lang), langWikitext(lang, n); got != want {
					t.Errorf("wikitext\n%s\nwant\n%s", got, want)
				}
				// The created accounts alone: n rows, all created (or none).
				counts := i18n.Lang(lang).T("report-no-rows")
				if n > 0 {
					counts = counted(t, lang, "count-created", n)
				}
				want := i18n.Lang(lang).T("report-summary", counted(t, lang, "report-rows", n), counts) + "\n"
				created := slices.Clone(rows[:n])
				if n > 0 {
					created[0].Groups = nil
				}
				if got := write(t, created, FormatText, lang); got != want {
					t.Errorf("text of %d created = %q, want %q", n, got, want)
				}
			})
		}
	}
}

// The plural messages of the report choose among forms that differ: the
// test above tells a wrong choice from the right one. In Arabic the
// forms for one, two, few and many differ pairwise, as its grammar has
// them (zero may be other's).
func TestPluralFormsDiffer(t *testing.T) {
	for _, lang := range i18n.Languages {
		t.Run(lang, func(t *testing.T) {
			for _, key := range []string{"report-rows", "count-created", "slips-heading", "slips-tags-heading"} {
				if lang == "en" && key == "count-created" {
					continue // "1 created", "2 created": one word for both
				}
				forms := map[string]string{}
				for _, n := range langCounts {
					forms[pluralRules[lang].of(n)] = form(t, lang, key, n)
				}
				if forms["one"] == forms["other"] {
					t.Errorf("%s: one and other are both %q", key, forms["one"])
				}
				if lang != "ar" {
					continue
				}
				if _, plain := pluralForms(t, lang, key); len(plain) != 6 {
					t.Errorf("%s has %d forms, want 6 (zero, one, two, few, many, other)", key, len(plain))
				}
				cats := []string{"one", "two", "few", "many"}
				for i, a := range cats {
					for _, b := range cats[i+1:] {
						if forms[a] == forms[b] {
							t.Errorf("%s: %s and %s are both %q", key, a, b, forms[a])
						}
					}
				}
			}
		})
	}
}

// One expectation a language written by hand, not from the catalogue, so
// that a catalogue wrong in itself is caught: the text report of 1 and of
// 3 created accounts.
func TestReportAsASpeakerWritesIt(t *testing.T) {
	for _, tt := range []struct {
		lang       string
		one, three string
	}{
		{"en", "1 row: 1 created\n", "3 rows: 3 created\n"},
		{"fr", "1 ligne\u00a0: 1 créé\n", "3 lignes\u00a0: 3 créés\n"}, // a no-break space before the colon
		{"es", "1 fila: 1 creada\n", "3 filas: 3 creadas\n"},
		{"ar", "صف واحد: حساب واحد أُنشئ\n", "٣ صفوف: ٣ حسابات أُنشئت\n"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			for n, want := range map[int]string{1: tt.one, 3: tt.three} {
				rows := slices.Clone(langRows(n)[:n])
				rows[0].Groups = nil
				if got := write(t, rows, FormatText, tt.lang); got != want {
					t.Errorf("%d created: %q, want %q", n, got, want)
				}
			}
		})
	}
}

// English is as the reports always were, written out.
func TestReportInEnglishAsEver(t *testing.T) {
	rows := langRows(3)
	if got, want := write(t, rows, FormatText, "en"), `invalid: forbidden-character (2 rows)
  line 5: "Bad#One": a username cannot contain '#'
  line 6: "Bad#Two": a username cannot contain '#'
duplicate (1 row)
  line 7: "twin": repeats line 9 (both are "Twin" on the wiki)
exists: userexists (1 row)
  line 8: "Taken": the username is already taken on the wiki (userexists)
7 rows: 3 created, 1 exists, 2 invalid, 1 duplicate
groups: 2 added, 1 already held as long or longer
`; got != want {
		t.Errorf("text\n%s\nwant\n%s", got, want)
	}
	if got, want := write(t, rows, FormatWikitext, "en"), "* [[User:User001|User001]] (confirmed until 8 December 2026, staff)\n"+
		"* [[User:User002|User002]]\n* [[User:User003|User003]]\n* [[User:Taken|Taken]] (confirmed until 1 January 2027)\n"; got != want {
		t.Errorf("wikitext\n%s\nwant\n%s", got, want)
	}
	if got, want := write(t, langRows(1)[:1], FormatText, "en"), "1 row: 1 created\ngroups: 2 added\n"; got != want {
		t.Errorf("text of 1 created = %q, want %q", got, want)
	}
	// Numbers in plain digits, as ever: a script may read them.
	big := make([]Row, 1234)
	for i := range big {
		big[i] = Row{Line: i + 2, Username: fmt.Sprint("u", i), Status: Invalid, Code: "too-long", Message: "too long"}
	}
	got := write(t, big, FormatText, "en")
	for _, want := range []string{"invalid: too-long (1234 rows)\n", "  line 1235: \"u1233\": too long\n", "\n1234 rows: 1234 invalid\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the text report of 1234 rows lacks %q", want)
		}
	}
	if got := write(t, big, FormatMarkdown, "en"); !strings.Contains(got, "| **total** | **1234** |\n") || !strings.Contains(got, "| 1235 | u1233 |") {
		t.Errorf("the Markdown report of 1234 rows groups its digits:\n%.300s", got)
	}
}

// A username that cannot be shown as it is (a line break) is escaped, in
// every language, as the English report always did.
func TestReportEscapesAUsername(t *testing.T) {
	rows := []Row{{Line: 2, Username: "a\nb", Status: Invalid, Code: "invisible-character", Message: "x"}}
	for _, lang := range i18n.Languages {
		want := i18n.Lang(lang).T("report-problem-row", 2, `a\nb`, i18n.Lang(lang).RowMessage("invalid", "invisible-character", "x", 0))
		if got := write(t, rows, FormatText, lang); !strings.Contains(got, want+"\n") {
			t.Errorf("%s: %q lacks %q", lang, got, want)
		}
	}
}

// More rows than a group shows: the rest are in the results file.
func TestProblemsMoreInEachLanguage(t *testing.T) {
	for _, lang := range i18n.Languages {
		p := NewProblems(1)
		for _, r := range langRows(0)[:2] {
			p.Add(r)
		}
		var buf bytes.Buffer
		p.PrintIn(&buf, langResult, i18n.Lang(lang))
		if want := i18n.Lang(lang).T("report-more", 1, langResult) + "\n"; !strings.HasSuffix(buf.String(), want) {
			t.Errorf("%s: %q does not end with %q", lang, buf.String(), want)
		}
	}
}

// A duplicate's earlier line is read from its English message; a message
// edited out of shape is shown as it is, rather than a wrong line.
func TestDuplicateOf(t *testing.T) {
	for msg, want := range map[string]int{`repeats line 2 (both are "Ada" on the wiki)`: 2, "repeats line 1234": 1234, "repeats line": 0, "a copy of line 3": 0, "repeats line 12a": 0} {
		if got, ok := duplicateOf(msg); got != want || ok != (want > 0) {
			t.Errorf("duplicateOf(%q) = %d, %v; want %d", msg, got, ok, want)
		}
	}
	r := Row{Status: Duplicate, Code: "duplicate", Message: "see the other one"}
	for _, lang := range i18n.Languages {
		if got := r.MessageIn(i18n.Lang(lang)); got != r.Message {
			t.Errorf("%s: MessageIn = %q, want the row's own", lang, got)
		}
	}
}

// An unknown language is refused, naming the four, and nothing is written.
func TestWriteInRefusesAnUnknownLanguage(t *testing.T) {
	for _, lang := range []string{"de", "", "EN", "qqq"} {
		var buf bytes.Buffer
		err := WriteIn(&buf, langRows(1), FormatText, langResult, i18n.Lang(lang))
		want := `unknown language "` + lang + `": use en, fr, es or ar`
		if err == nil || err.Error() != want || buf.Len() != 0 {
			t.Errorf("WriteIn(%q) = %v, wrote %q; want %q", lang, err, buf.String(), want)
		}
	}
}

// shared are words English has and the language too, spelt alike: the
// check below lets them be.
var shared = map[string][]string{
	"fr": {"participant"}, // "demandez au participant"
}

// englishWords are the words of 8 letters or more of the English
// catalogue, its $N and {{PLURAL}} markup left out.
func englishWords(t *testing.T) map[string]bool {
	b, err := os.ReadFile("../provision/i18n/messages/report/en.json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	words := map[string]bool{}
	markup := regexp.MustCompile(`\{\{PLURAL:\$\d+\||\}\}|\$\d+`)
	for k, v := range m {
		s, ok := v.(string)
		if !ok || k == "@metadata" {
			continue
		}
		for _, w := range strings.FieldsFunc(markup.ReplaceAllString(s, " "), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if len([]rune(w)) >= 8 {
				words[w] = true
			}
		}
	}
	return words
}

// A report in French, Spanish or Arabic has no English word left but the
// usernames, group names, codes and file names it quotes.
func TestNoEnglishInOtherLanguages(t *testing.T) {
	english := englishWords(t)
	if !english["username"] || !english["December"] {
		t.Fatalf("the English words are not read: %v", english)
	}
	for _, lang := range i18n.Languages[1:] {
		t.Run(lang, func(t *testing.T) {
			left := map[string]bool{}
			for _, n := range langCounts {
				for _, format := range []string{FormatText, FormatMarkdown, FormatWikitext} {
					out := write(t, langRows(n), format, lang)
					for _, a := range allowed {
						out = strings.ReplaceAll(out, a, " ")
					}
					for _, w := range strings.FieldsFunc(out, func(r rune) bool { return !unicode.IsLetter(r) }) {
						if english[w] && !left[w] && !slices.Contains(shared[lang], w) {
							left[w] = true
							t.Errorf("%s of %d created: the English word %q is left", format, n, w)
						}
					}
				}
			}
		})
	}
}
