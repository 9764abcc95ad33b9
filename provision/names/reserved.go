package names

import "strings"

//go:generate go run ./gen/reserved -o reserved_table.go /usr/share/mediawiki /var/lib/mwprovision/trixie/usr/share/mediawiki

// This file decides UserNameUtils::isUsable: whether a name is one of the
// wiki's $wgReservedUsernames. MediaWiki resolves each "msg:KEY" entry to
// the message's text in the wiki's content language
// (->inContentLanguage()->text(), through the language's fallback chain to
// English) and compares the canonical name with each entry exactly
// (in_array(…, true)): the entries are not made canonical, so one that is
// not a canonical name ("Open_Proxy_Blocker", a text with a line break)
// reserves no name, and one that is empty reserves nothing.
//
// Offline, reserved_table.go (go generate, from MediaWiki 1.39 and 1.43's
// own sources) gives the default entries by language; a name either version
// reserves is reserved. With a wiki, ReservedNames builds the set from the
// wiki's own texts of the messages (customized ones count), as AskSite
// does.

// reservedSets caches reservedFor by language.
var reservedSets = func() map[string]map[string]bool {
	m := make(map[string]map[string]bool, len(reservedByLanguage))
	for code, texts := range reservedByLanguage {
		m[code] = ReservedNames(texts)
	}
	return m
}()

// englishReserved is the set of an English wiki.
var englishReserved = reservedSets["en"]

// reservedFor is the default set of reserved names of a wiki in lang: a
// language the table does not list has English's.
func reservedFor(lang string) map[string]bool {
	if s, ok := reservedSets[strings.ToLower(lang)]; ok {
		return s
	}
	return englishReserved
}

// ReservedMessageKeys are the keys of the "msg:" entries of MediaWiki's
// default $wgReservedUsernames, whose texts in the wiki's content language
// ReservedNames takes.
func ReservedMessageKeys() []string { return append([]string(nil), reservedMessageKeys...) }

// ReservedNames is the set of names a wiki reserves whose texts of
// ReservedMessageKeys are texts (its answer to meta=allmessages in its
// content language, with the parser, as ->text() gives them): those texts
// and the plain entries of the default $wgReservedUsernames. Empty texts
// reserve nothing.
func ReservedNames(texts []string) map[string]bool {
	set := make(map[string]bool, len(reservedPlain)+len(texts))
	for _, n := range reservedPlain {
		set[n] = true
	}
	for _, t := range texts {
		if t != "" {
			set[t] = true
		}
	}
	return set
}
