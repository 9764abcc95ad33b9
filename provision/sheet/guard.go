package sheet

import "strings"

// formulaStarts are the first characters that make a spreadsheet run a
// cell as a formula (OWASP's CSV injection list), and the guard itself.
const formulaStarts = "=+-@\t\r'"

// Guard neutralizes a cell that a spreadsheet would run as a formula (it
// starts with = + - @, a tab or a carriage return) by prefixing "'", as
// OWASP advises for CSV files. A cell already starting with "'" is
// prefixed too, so that Unguard(Guard(s)) is s for every s.
func Guard(s string) string {
	if s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// Unguard is the value of a guarded cell: without the "'" that Guard puts
// before a cell starting with = + - @ ' (or a tab, a CR). A value that
// merely starts with "'" (an apostrophe before a letter: 't Hooft) is left
// as it is.
func Unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.IndexByte(formulaStarts, s[1]) >= 0 {
		return s[1:]
	}
	return s
}
