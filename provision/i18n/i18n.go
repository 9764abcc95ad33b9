// Package i18n holds mwprovision's words in the languages it speaks, as
// MediaWiki holds its own: one JSON file a language in messages/ (en.json,
// fr.json, …), a key to a message, and qqq.json saying to translators what
// each message is for. A message takes its parameters as $1, $2, …, and
// chooses among forms by a number with {{PLURAL:$1|one|other}}, the forms
// in the order of the language's plural categories (zero, one, two, few,
// many, other: the categories it has), an explicit form such as 0=… first
// if wanted. Numbers are written as the language writes them.
//
// A language that lacks a message falls back to English, message by
// message; the tests require every shipped language to have every message.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

//go:embed messages
var files embed.FS

// Languages are the languages shipped, English first.
var Languages = []string{"en", "fr", "es", "ar"}

// Names are the languages' names in themselves, for a switcher.
var Names = map[string]string{"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}

// rtl are the languages written right to left.
var rtl = map[string]bool{"ar": true}

// categories are, per language, its plural categories in MediaWiki's
// order: the forms of a {{PLURAL}} in that language.
var categories = map[string][]plural.Form{
	"en": {plural.One, plural.Other},
	"fr": {plural.One, plural.Many, plural.Other},
	"es": {plural.One, plural.Many, plural.Other},
	"ar": {plural.Zero, plural.One, plural.Two, plural.Few, plural.Many, plural.Other},
}

// catalog is every language's messages, by key.
var catalog = load()

func load() map[string]map[string]string {
	c := map[string]map[string]string{}
	parts, err := files.ReadDir("messages")
	if err != nil {
		panic(err)
	}
	for _, lang := range append(slices.Clone(Languages), "qqq") {
		c[lang] = map[string]string{}
		for _, part := range parts {
			name := path.Join("messages", part.Name(), lang+".json")
			b, err := files.ReadFile(name)
			if err != nil {
				continue // a language may lack a part: English stands in
			}
			// Every value is a message but @metadata, an object (its
			// authors), as in MediaWiki's files.
			m := map[string]json.RawMessage{}
			if err := json.Unmarshal(b, &m); err != nil {
				panic(fmt.Sprintf("%s: %v", name, err))
			}
			delete(m, "@metadata")
			for k, raw := range m {
				var v string
				if err := json.Unmarshal(raw, &v); err != nil {
					panic(fmt.Sprintf("%s: the message %s is not a string: %v", name, k, err))
				}
				if _, twice := c[lang][k]; twice {
					panic(fmt.Sprintf("%s: the key %s is in another folder too", name, k))
				}
				c[lang][k] = v
			}
		}
	}
	return c
}

// Keys are the English catalogue's keys, sorted.
func Keys() []string {
	var keys []string
	for k := range catalog["en"] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Raw is the message key of lang as written in its file, and whether
// that file has it.
func Raw(lang, key string) (string, bool) {
	m, ok := catalog[lang][key]
	return m, ok
}

// Match is the shipped language that fits a browser's Accept-Language
// header best (English when none does).
func Match(acceptLanguage string) string {
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return Languages[i]
}

var matcher = language.NewMatcher([]language.Tag{language.English, language.French, language.Spanish, language.Arabic})

// Known reports whether lang is shipped.
func Known(lang string) bool { return slices.Contains(Languages, lang) }

// Dir is the writing direction of lang: "rtl" or "ltr".
func Dir(lang string) string {
	if rtl[lang] {
		return "rtl"
	}
	return "ltr"
}

// Lang is a language's words.
type Lang string

// T is the message key in this language (English where it has none),
// with its parameters: numbers are written as the language writes them,
// and a {{PLURAL}} takes its number from the parameter it names.
func (l Lang) T(key string, params ...any) string {
	lang := string(l)
	msg, ok := catalog[lang][key]
	if !ok {
		lang = "en"
		if msg, ok = catalog["en"][key]; !ok {
			return "⧼" + key + "⧽" // as MediaWiki shows a missing message
		}
	}
	return expand(lang, msg, params)
}

// Number is n as lang writes it.
func (l Lang) Number(n int) string {
	return message.NewPrinter(tag(string(l))).Sprint(number.Decimal(n))
}

func tag(lang string) language.Tag {
	t, err := language.Parse(lang)
	if err != nil {
		return language.English
	}
	return t
}

var (
	pluralRe = regexp.MustCompile(`\{\{PLURAL:\$(\d+)\|([^{}]*)\}\}`)
	paramRe  = regexp.MustCompile(`\$(\d+)`)
)

// expand fills in a message's PLURALs, then its parameters.
func expand(lang, msg string, params []any) string {
	arg := func(n int) (any, bool) {
		if n < 1 || n > len(params) {
			return nil, false
		}
		return params[n-1], true
	}
	msg = pluralRe.ReplaceAllStringFunc(msg, func(m string) string {
		sub := pluralRe.FindStringSubmatch(m)
		n, _ := strconv.Atoi(sub[1])
		p, ok := arg(n)
		if !ok {
			return m
		}
		return choose(lang, toInt(p), strings.Split(sub[2], "|"))
	})
	return paramRe.ReplaceAllStringFunc(msg, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		p, ok := arg(n)
		if !ok {
			return m
		}
		switch v := p.(type) {
		case int:
			return Lang(lang).Number(v)
		case string:
			return v
		}
		return fmt.Sprint(p)
	})
}

func toInt(p any) int {
	switch v := p.(type) {
	case int:
		return v
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}

// choose picks the form of forms for n in lang: an explicit "n=…" form
// first, then the form of n's plural category; a language's forms left
// out are its last form's.
func choose(lang string, n int, forms []string) string {
	var plain []string
	for _, f := range forms {
		if k, v, ok := strings.Cut(f, "="); ok {
			if want, err := strconv.Atoi(k); err == nil {
				if want == n {
					return v
				}
				continue
			}
		}
		plain = append(plain, f)
	}
	if len(plain) == 0 {
		return ""
	}
	cats := categories[lang]
	if cats == nil {
		cats = categories["en"]
	}
	abs := max(n, -n)
	form := plural.Cardinal.MatchPlural(tag(lang), abs, 0, 0, 0, 0)
	i := slices.Index(cats, form)
	if i < 0 || i >= len(plain) {
		i = len(plain) - 1
	}
	return plain[i]
}

// RowMessage is what is wrong with a row and what to do, in this
// language: the words for its code, when the catalogue has them (a
// duplicate names the earlier line), else the row's own message — the
// wiki's words, or English ones the catalogue has no code for. In English
// the row's own message is kept: it is the more precise.
func (l Lang) RowMessage(status, code, msg string, firstLine int) string {
	if l == "en" || l == "" {
		return msg
	}
	if code == "" {
		code = status
	}
	key := "row-" + code
	if _, ok := catalog["en"][key]; ok {
		return l.T(key, firstLine)
	}
	if msg == "" {
		return ""
	}
	return l.T("row-unknown", msg)
}

// Date is a day as this language writes it: "8 December 2026". The year
// is in the language's digits, as the day is, but never grouped (not
// "2 026").
func (l Lang) Date(day, month, year int) string {
	y := message.NewPrinter(tag(string(l))).Sprint(number.Decimal(year, number.NoSeparator()))
	return l.T("date-format", l.Number(day), l.T(fmt.Sprintf("month-%d", month)), y)
}

// List joins items as this language lists them.
func (l Lang) List(items []string) string { return strings.Join(items, l.T("comma-separator")) }
