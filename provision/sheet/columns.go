package sheet

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The fields mwprovision reads from a sheet.
const (
	fieldUsername = iota
	fieldEmail
	fieldRealName
	fieldReason
	fieldPassword
	fieldGroups
	fieldExpiry
	numFields
)

// Fields are the names of the fields, as --column and the messages use them.
var Fields = [numFields]string{"username", "email", "realname", "reason", "password", "groups", "expiry"}

// headerAliases maps a normalized header (lower case, letters and digits
// only) to the field it names. Only headers that say what they hold are
// here: a generic one ("Name", "Comment", "Notes") feeds no field unless the
// user says so, because a form's "Name" is the participant's legal name,
// not the account they chose, and its "Comment" is private.
var headerAliases = map[string]int{
	"username": fieldUsername, "user": fieldUsername, "login": fieldUsername, "account": fieldUsername,
	"accountname": fieldUsername, "wikiusername": fieldUsername, "wikiuser": fieldUsername,
	"wikiaccount": fieldUsername, "desiredusername": fieldUsername,
	"email": fieldEmail, "mail": fieldEmail, "emailaddress": fieldEmail, "mailaddress": fieldEmail,
	"realname": fieldRealName, "fullname": fieldRealName, "displayname": fieldRealName,
	"password": fieldPassword, "pass": fieldPassword, "initialpassword": fieldPassword,
	// A form's "Group" is often a team or a workshop: only "groups" says
	// the wiki's user groups.
	"groups": fieldGroups, "usergroups": fieldGroups, "wikigroups": fieldGroups,
	"expiry": fieldExpiry, "groupexpiry": fieldExpiry, "groupsexpiry": fieldExpiry,
	// The reason is public for ever (the new-users and rights logs): only
	// a header that is a reason column feeds it, never one that merely
	// mentions a reason, such as a form's "Do you need reasonable
	// accommodations?" or "Reason for not attending (private)".
	"reason": fieldReason, "creationreason": fieldReason, "accountreason": fieldReason,
	"reasonforaccount": fieldReason,
}

// fieldOfHeader is the field a header names by itself, or -1: the whole
// header, case, spaces and punctuation aside, is one of headerAliases.
func fieldOfHeader(h string) int {
	if f, ok := headerAliases[normalizeHeader(h)]; ok {
		return f
	}
	return -1
}

func normalizeHeader(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FieldOf returns the field's index for a name such as "username".
func FieldOf(name string) (int, bool) {
	for f, n := range Fields {
		if n == name {
			return f, true
		}
	}
	return -1, false
}

// AmbiguousColumnError: more than one column of the sheet could feed a field.
type AmbiguousColumnError struct {
	Field   string
	Columns []string
}

func (e *AmbiguousColumnError) Error() string {
	return fmt.Sprintf("%d columns could be the %s: %s", len(e.Columns), e.Field, quoteList(e.Columns))
}

// NoSuchColumnError: the column chosen for a field is not in the sheet.
type NoSuchColumnError struct {
	Field, Column string
	Header        []string
}

func (e *NoSuchColumnError) Error() string {
	return fmt.Sprintf("the sheet has no column %q for the %s; its header has %s", e.Column, e.Field, quoteList(e.Header))
}

// mapColumns decides which column feeds each field: the columns chosen, by
// field name, in chosen (an empty column name: none), then the column whose
// header names the field. Two columns that could feed one field are an
// *AmbiguousColumnError, unless one was chosen.
func mapColumns(header []string, chosen map[string]string) (col [numFields]int, err error) {
	for f := range col {
		col[f] = -1
	}
	claimed := make([]bool, len(header))
	for name, want := range chosen {
		f, ok := FieldOf(name)
		if !ok {
			return col, fmt.Errorf("no field %q: the fields are %s", name, strings.Join(Fields[:], ", "))
		}
		if want == "" {
			col[f] = -2 // no column, by choice
			continue
		}
		i := findColumn(header, want)
		if i < 0 {
			return col, &NoSuchColumnError{Field: name, Column: want, Header: header}
		}
		col[f], claimed[i] = i, true
	}
	var candidates [numFields][]int
	for i, h := range header {
		if f := fieldOfHeader(h); f >= 0 && !claimed[i] && col[f] == -1 {
			candidates[f] = append(candidates[f], i)
		}
	}
	for f, cs := range candidates {
		switch {
		case len(cs) == 1:
			col[f] = cs[0]
		case len(cs) > 1:
			names := make([]string, len(cs))
			for j, i := range cs {
				names[j] = strings.TrimSpace(header[i])
			}
			return col, &AmbiguousColumnError{Field: Fields[f], Columns: names}
		}
	}
	for f := range col {
		col[f] = max(col[f], -1)
	}
	return col, nil
}

// findColumn is the index of the column called name: as written (spaces
// around it aside), else the only one that matches when case and
// punctuation are ignored; -1 when there is none.
func findColumn(header []string, name string) int {
	for i, h := range header {
		if strings.TrimSpace(h) == strings.TrimSpace(name) {
			return i
		}
	}
	found := -1
	for i, h := range header {
		if normalizeHeader(h) == normalizeHeader(name) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

// maxListed bounds the names a message lists.
const maxListed = 6

// quoteList quotes items for a message: at most maxListed, then how many more.
func quoteList(items []string) string {
	if len(items) == 0 {
		return "no columns"
	}
	q := make([]string, 0, maxListed)
	for _, it := range items[:min(len(items), maxListed)] {
		q = append(q, fmt.Sprintf("%q", Cut(it, 60)))
	}
	s := strings.Join(q, ", ")
	if len(items) > maxListed {
		s += fmt.Sprintf(" and %d more", len(items)-maxListed)
	}
	return s
}

// Cut shortens s to at most n bytes, on a character boundary, marking the cut.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
