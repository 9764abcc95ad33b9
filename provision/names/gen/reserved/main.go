// Command reserved writes reserved_table.go of package names: the names
// MediaWiki's default $wgReservedUsernames reserves, by content language,
// read from MediaWiki's own sources.
//
// Usage (from provision/names; go generate runs it):
//
//	go run ./gen/reserved -o reserved_table.go /usr/share/mediawiki [more MediaWiki trees…]
//
// For each MediaWiki tree it reads $wgReservedUsernames from
// includes/MainConfigSchema.php (includes/DefaultSettings.php before
// MediaWiki 1.39), the messages of every language from languages/i18n/*.json
// and the fallback chains from languages/messages/Messages*.php ($fallback).
// It resolves each "msg:KEY" entry as UserNameUtils::isUsable does — the
// message in the wiki's content language, ->text() — through the language's
// fallback chain, which ends in English (LocalisationCache). A name reserved
// by any of the trees is written: the table serves wikis of every version.
//
// ->text() expands {{…}}; no translation of these messages uses it, and the
// command refuses one that does rather than guess. A message whose text is
// empty reserves nothing (isUsable compares names with the text, and no
// name is empty), so it is left out.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

func main() {
	out := flag.String("o", "reserved_table.go", "the Go file to write")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: reserved -o FILE MEDIAWIKI_DIR...")
		os.Exit(2)
	}
	t := newTable()
	for _, dir := range flag.Args() {
		if err := t.read(dir); err != nil {
			fmt.Fprintln(os.Stderr, "reserved:", err)
			os.Exit(1)
		}
	}
	src, err := t.source()
	if err != nil {
		fmt.Fprintln(os.Stderr, "reserved:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "reserved:", err)
		os.Exit(1)
	}
}

type table struct {
	versions []string
	plain    map[string]bool
	keys     map[string]bool
	// byLang: language code → the texts of the msg: entries there.
	byLang map[string]map[string]bool
}

func newTable() *table {
	return &table{plain: map[string]bool{}, keys: map[string]bool{}, byLang: map[string]map[string]bool{}}
}

var (
	schemaBlock   = regexp.MustCompile(`(?s)public const ReservedUsernames = \[\s*'default' => \[(.*?)\]`)
	settingsBlock = regexp.MustCompile(`(?s)\$wgReservedUsernames = \[(.*?)\];`)
	phpString     = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'`)
	phpComment    = regexp.MustCompile(`//[^\n]*`)
	fallbackLine  = regexp.MustCompile(`(?m)^\$fallback = '([^']*)';`)
	versionLine   = regexp.MustCompile(`define\( 'MW_VERSION', '([^']+)' \)`)
)

// reservedUsernames reads the default $wgReservedUsernames.
func reservedUsernames(dir string) ([]string, error) {
	var body string
	for _, f := range []struct {
		path string
		re   *regexp.Regexp
	}{{"includes/MainConfigSchema.php", schemaBlock}, {"includes/DefaultSettings.php", settingsBlock}} {
		b, err := os.ReadFile(filepath.Join(dir, f.path))
		if err != nil {
			continue
		}
		if m := f.re.FindSubmatch(b); m != nil {
			body = string(m[1])
			break
		}
	}
	if body == "" {
		return nil, fmt.Errorf("%s: no $wgReservedUsernames in includes/MainConfigSchema.php or includes/DefaultSettings.php", dir)
	}
	body = phpComment.ReplaceAllString(body, "")
	var names []string
	for _, m := range phpString.FindAllStringSubmatch(body, -1) {
		names = append(names, strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(m[1]))
	}
	return names, nil
}

// codeOf is the language code of a Messages*.php file: MessagesDe_formal.php
// is de-formal (LanguageNameUtils::getMessagesFileName, reversed).
func codeOf(file string) string {
	c := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), "Messages"), ".php")
	return strings.ToLower(strings.ReplaceAll(c, "_", "-"))
}

func (t *table) read(dir string) error {
	if b, err := os.ReadFile(filepath.Join(dir, "includes/Defines.php")); err == nil {
		if m := versionLine.FindSubmatch(b); m != nil {
			t.versions = append(t.versions, string(m[1]))
		}
	}
	entries, err := reservedUsernames(dir)
	if err != nil {
		return err
	}
	var keys []string
	for _, e := range entries {
		if k, ok := strings.CutPrefix(e, "msg:"); ok {
			keys = append(keys, k)
			t.keys[k] = true
		} else {
			t.plain[e] = true
		}
	}

	// Every language's messages.
	files, err := filepath.Glob(filepath.Join(dir, "languages/i18n/*.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("%s: no languages/i18n/*.json", dir)
	}
	messages := map[string]map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var all map[string]any
		if err := json.Unmarshal(b, &all); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		code := strings.TrimSuffix(filepath.Base(f), ".json")
		m := map[string]string{}
		for _, k := range keys {
			if v, ok := all[k].(string); ok {
				m[k] = v
			}
		}
		messages[code] = m
	}
	if len(messages["en"]) != len(keys) {
		return fmt.Errorf("%s: languages/i18n/en.json lacks some of %v", dir, keys)
	}

	// Fallback chains: LocalisationCache takes the language's own $fallback
	// list as it is and ends it with English.
	fallback := map[string][]string{}
	mfiles, err := filepath.Glob(filepath.Join(dir, "languages/messages/Messages*.php"))
	if err != nil || len(mfiles) == 0 {
		return fmt.Errorf("%s: no languages/messages/Messages*.php", dir)
	}
	for _, f := range mfiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		code := codeOf(f)
		if m := fallbackLine.FindSubmatch(b); m != nil {
			for _, c := range strings.Split(string(m[1]), ",") {
				if c = strings.TrimSpace(c); c != "" {
					fallback[code] = append(fallback[code], c)
				}
			}
		}
	}
	codes := map[string]bool{}
	for c := range messages {
		codes[c] = true
	}
	for c := range fallback {
		codes[c] = true
	}
	// qqq documents the messages; qqx shows their keys. Neither is a
	// wiki's language.
	delete(codes, "qqq")
	delete(codes, "qqx")
	for code := range codes {
		chain := append([]string{code}, fallback[code]...)
		if chain[len(chain)-1] != "en" {
			chain = append(chain, "en")
		}
		if code == "en" {
			chain = []string{"en"}
		}
		set := t.byLang[code]
		if set == nil {
			set = map[string]bool{}
			t.byLang[code] = set
		}
		for _, k := range keys {
			for _, c := range chain {
				v, ok := messages[c][k]
				if !ok {
					continue
				}
				if strings.Contains(v, "{{") {
					return fmt.Errorf("%s: %s in %s is %q: its {{…}} would need MediaWiki's parser", dir, k, c, v)
				}
				if v != "" {
					set[v] = true
				}
				break
			}
		}
	}
	return nil
}

func sorted(m map[string]bool) []string {
	s := make([]string, 0, len(m))
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

func (t *table) source() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by gen/reserved from MediaWiki %s; DO NOT EDIT.\n\n", strings.Join(t.versions, " and "))
	b.WriteString("// The texts are MediaWiki's translations (translatewiki.net), licensed as\n// MediaWiki is, GPL-2.0-or-later.\n\npackage names\n\n")
	b.WriteString("// reservedPlain are the entries of MediaWiki's default $wgReservedUsernames\n// that are names: reserved in every language.\nvar reservedPlain = []string{\n")
	for _, n := range sorted(t.plain) {
		fmt.Fprintf(&b, "\t%q,\n", n)
	}
	b.WriteString("}\n\n// reservedMessageKeys are the keys of its \"msg:\" entries, which reserve the\n// messages' texts in the wiki's content language.\nvar reservedMessageKeys = []string{\n")
	for _, k := range sorted(t.keys) {
		fmt.Fprintf(&b, "\t%q,\n", k)
	}
	en := sorted(t.byLang["en"])
	b.WriteString("}\n\n// reservedByLanguage maps a content language to the texts of the \"msg:\"\n// entries there (its fallback chain resolved, empty texts left out). A\n// language not listed has English's.\nvar reservedByLanguage = map[string][]string{\n")
	for _, code := range sorted(func() map[string]bool {
		m := map[string]bool{}
		for c := range t.byLang {
			m[c] = true
		}
		return m
	}()) {
		names := sorted(t.byLang[code])
		if code != "en" && slices.Equal(names, en) {
			continue
		}
		fmt.Fprintf(&b, "\t%q: {", code)
		for i, n := range names {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", n)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
