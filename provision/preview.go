package provision

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/mwprovision/mwprovision/provision/groups"
	"github.com/mwprovision/mwprovision/provision/names"
	"github.com/mwprovision/mwprovision/provision/sheet"
)

// How much a preview keeps: enough to show, bounded for any sheet.
const (
	previewNames       = 5
	previewReasons     = 5
	previewShared      = 10
	previewGrants      = 10
	maxDistinctReasons = 1000
)

// Preview is what a plan shows before anything is sent: which column feeds
// each field, the first accounts to create, the reasons that will be made
// public, and the emails that several rows share.
type Preview struct {
	Columns []ColumnUse
	// First are the first accounts to create, as the wiki will name them.
	First []string
	// Reasons are the reasons that rows to create bring themselves, in order
	// of first use; DistinctReasons counts them (up to maxDistinctReasons),
	// WithoutReason counts the rows that bring none (the run's reason is
	// theirs).
	Reasons         []ReasonUse
	DistinctReasons int
	WithoutReason   int
	// SharedEmails are rows whose email an earlier row has (allowed: a
	// family may share an address), the first ones by line;
	// SharedEmailRows counts them all.
	SharedEmails    []SharedEmail
	SharedEmailRows int
	// Grants are the groups the rows to send ask for, each with its
	// expiry and the rows that ask for it, in order of first use (up to
	// previewGrants of them).
	Grants []GrantUse
	// VersionDecides counts the rows to create whose name the wiki's
	// MediaWiki or PHP version decides, when the plan's rules do not know
	// them (names.Rules.VersionDecides): a check without the wiki assumes
	// the newest. VersionLine is the first such row's line.
	VersionDecides, VersionLine int

	names       names.Rules
	reasonRows  map[string]int
	reasonOrder []string // the first previewReasons reasons, in order of first use
	// emails are the rows' emails, hashed, with their lines: sorted once
	// at the end, they take a fifth of the memory of a map of a million.
	emails []emailLine
	seed   maphash.Seed
}

type emailLine struct {
	hash uint64
	line int32
}

// ColumnUse says which column of the sheet feeds a field, with its first
// value (a password is never shown).
type ColumnUse struct {
	Field, Column, Sample string
	// Hidden: the column holds values never shown (passwords); Sample is empty.
	Hidden bool
}

// ReasonUse is one reason and the rows that bring it.
type ReasonUse struct {
	Reason string
	Rows   int
}

// GrantUse is a group, until when (zero: permanently), and the rows that
// ask for it.
type GrantUse struct {
	groups.Grant
	Rows int
}

// SharedEmail is a row whose email an earlier row has.
type SharedEmail struct {
	Line, FirstLine int
}

// newPreview starts the preview of sh, which holds about rows rows.
func newPreview(sh *sheet.Sheet, rows int, rules names.Rules) Preview {
	pv := Preview{names: rules, reasonRows: map[string]int{}, seed: maphash.MakeSeed(), emails: make([]emailLine, 0, rows)}
	for f, c := range sh.Col {
		if c >= 0 {
			pv.Columns = append(pv.Columns, ColumnUse{Field: sheet.Fields[f], Column: strings.TrimSpace(sh.Header[c])})
		}
	}
	return pv
}

// add takes a row into the preview.
func (pv *Preview) add(st *step) {
	pv.sample(&st.Account)
	if st.verdict == problem {
		return
	}
	if st.Email != "" {
		pv.emails = append(pv.emails, emailLine{maphash.String(pv.seed, strings.ToLower(st.Email)), int32(st.Line)})
	}
	if st.verdict != send && st.verdict != wouldCreate && st.verdict != regrant {
		return
	}
	pv.addGrants(st.Grants)
	if st.verdict == regrant {
		return
	}
	if len(pv.First) < previewNames {
		pv.First = append(pv.First, st.Canonical)
	}
	if pv.names.VersionDecides(st.Username, st.Canonical) {
		if pv.VersionDecides++; pv.VersionLine == 0 {
			pv.VersionLine = st.Line
		}
	}
	switch n, seen := pv.reasonRows[st.Reason]; {
	case st.Reason == "":
		pv.WithoutReason++
	case seen:
		pv.reasonRows[st.Reason] = n + 1
	case len(pv.reasonRows) < maxDistinctReasons:
		pv.reasonRows[st.Reason] = 1
		if len(pv.reasonOrder) < previewReasons {
			pv.reasonOrder = append(pv.reasonOrder, st.Reason)
		}
	}
}

// addGrants counts the groups a row asks for.
func (pv *Preview) addGrants(grants []groups.Grant) {
	for _, g := range grants {
		i := slices.IndexFunc(pv.Grants, func(u GrantUse) bool { return u.Grant == g })
		switch {
		case i >= 0:
			pv.Grants[i].Rows++
		case len(pv.Grants) < previewGrants:
			pv.Grants = append(pv.Grants, GrantUse{Grant: g, Rows: 1})
		}
	}
}

// sample keeps the first value of each column it shows.
func (pv *Preview) sample(a *Account) {
	for i := range pv.Columns {
		c := &pv.Columns[i]
		if c.Sample != "" || c.Hidden {
			continue
		}
		switch c.Field {
		case "username":
			c.Sample = a.Username
		case "email":
			c.Sample = a.Email
		case "realname":
			c.Sample = a.RealName
		case "reason":
			c.Sample = a.Reason
		case "password":
			c.Hidden = a.Password != ""
		case "groups":
			c.Sample = a.Groups
		case "expiry":
			c.Sample = a.Expiry
		}
		c.Sample = sheet.Cut(c.Sample, 60)
	}
}

// finish counts the reasons it shows, finds the emails rows share, and
// lets go of what only counting needed.
func (pv *Preview) finish() {
	pv.DistinctReasons = len(pv.reasonRows)
	for _, r := range pv.reasonOrder {
		pv.Reasons = append(pv.Reasons, ReasonUse{Reason: r, Rows: pv.reasonRows[r]})
	}
	slices.SortFunc(pv.emails, func(a, b emailLine) int {
		return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(a.line, b.line))
	})
	for i, first := 1, 0; i < len(pv.emails); i++ {
		if pv.emails[i].hash != pv.emails[i-1].hash {
			first = i
			continue
		}
		pv.SharedEmailRows++
		pv.SharedEmails = append(pv.SharedEmails, SharedEmail{Line: int(pv.emails[i].line), FirstLine: int(pv.emails[first].line)})
		if len(pv.SharedEmails) > 4*previewShared {
			pv.keepFirstShared()
		}
	}
	pv.keepFirstShared()
	pv.reasonRows, pv.reasonOrder, pv.emails = nil, nil, nil
}

// keepFirstShared keeps the shared emails of the first lines.
func (pv *Preview) keepFirstShared() {
	slices.SortFunc(pv.SharedEmails, func(a, b SharedEmail) int { return cmp.Compare(a.Line, b.Line) })
	pv.SharedEmails = pv.SharedEmails[:min(len(pv.SharedEmails), previewShared)]
}
