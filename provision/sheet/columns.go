package sheet

import (
	"fmt"
	"slices"
	"strconv"
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

// AmbiguousColumnError: more than one column of the sheet could feed a
// field. Choice is the COLUMN that chooses the last of them: its name, or
// its position (#N) when another column has that name too.
type AmbiguousColumnError struct {
	Field   string
	Columns []string
	Choice  string
}

func (e *AmbiguousColumnError) Error() string {
	return fmt.Sprintf("%d columns could be the %s: %s", len(e.Columns), e.Field, quoteList(e.Columns))
}

// SameNameColumnsError: the column chosen for a field, or every column
// that could feed it, is the name of several columns: none may be taken
// for the other (a form's "Name" twice, the legal name and the chosen
// one). Positions count from 1.
type SameNameColumnsError struct {
	Field, Column string
	Positions     []int
}

func (e *SameNameColumnsError) Error() string {
	n := make([]string, len(e.Positions))
	for i, p := range e.Positions {
		n[i] = strconv.Itoa(p)
	}
	both, either := "both", "either"
	if len(n) > 2 {
		both, either = "all", "any"
	}
	list := strings.Join(n[:len(n)-1], ", ") + " and " + n[len(n)-1]
	return fmt.Sprintf("line 1: columns %s are %s called %q: %s could be the %s", list, both, Cut(e.Column, 60), either, e.Field)
}

// NoSuchColumnError: the column chosen for a field is not in the sheet.
type NoSuchColumnError struct {
	Field, Column string
	Header        []string
}

func (e *NoSuchColumnError) Error() string {
	if _, ok := position(e.Column); ok {
		return fmt.Sprintf("the sheet has no column %s for the %s: its header has %d columns", e.Column, e.Field, len(e.Header))
	}
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
		i, same := findColumn(header, want)
		switch {
		case len(same) > 1:
			return col, &SameNameColumnsError{Field: name, Column: strings.TrimSpace(want), Positions: same}
		case i < 0:
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
			positions := make([]int, len(cs))
			for j, i := range cs {
				names[j], positions[j] = strings.TrimSpace(header[i]), i+1
			}
			last := names[len(names)-1]
			if !slices.ContainsFunc(names[:len(names)-1], func(n string) bool { return n != last }) {
				return col, &SameNameColumnsError{Field: Fields[f], Column: last, Positions: positions}
			}
			choice := last
			if _, same := findColumn(header, last); len(same) > 1 {
				choice = "#" + strconv.Itoa(positions[len(positions)-1])
			}
			return col, &AmbiguousColumnError{Field: Fields[f], Columns: names, Choice: choice}
		}
	}
	for f := range col {
		col[f] = max(col[f], -1)
	}
	return col, nil
}

// findColumn is the index of the column called name: as written (spaces
// around it aside), else the one at position #N (counting from 1), else
// the one that matches when case and punctuation are ignored; -1 when
// there is none. When several columns have the name, it returns -1 and
// their positions, counting from 1.
func findColumn(header []string, name string) (int, []int) {
	match := func(same func(h string) bool) (int, []int) {
		var found []int
		for i, h := range header {
			if same(h) {
				found = append(found, i+1)
			}
		}
		if len(found) == 1 {
			return found[0] - 1, nil
		}
		return -1, found
	}
	if i, found := match(func(h string) bool { return strings.TrimSpace(h) == strings.TrimSpace(name) }); len(found) != 0 || i >= 0 {
		return i, found
	}
	if n, ok := position(name); ok {
		if n > len(header) {
			return -1, nil
		}
		return n - 1, nil
	}
	return match(func(h string) bool { return normalizeHeader(h) == normalizeHeader(name) })
}

// position reads a column's position, #N (counting from 1).
func position(name string) (int, bool) {
	digits, ok := strings.CutPrefix(strings.TrimSpace(name), "#")
	n, err := strconv.Atoi(digits)
	if !ok || err != nil || n < 1 || digits[0] == '+' {
		return 0, false
	}
	return n, true
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
