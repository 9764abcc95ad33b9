package report

import (
	"fmt"
	"strings"
	"time"
)

// GrantState is what happened to one group a row asked for.
type GrantState string

// The states of a group in the groups column.
const (
	// GrantAdded: the wiki added the account to the group (or made its
	// membership last longer), as its answer says.
	GrantAdded GrantState = "added"
	// GrantAlready: the account already held the group as long as asked,
	// or longer; it was left alone, never shortened.
	GrantAlready GrantState = "already"
	// GrantSkipped: the account is autoconfirmed, so a temporary confirmed
	// would give it nothing.
	GrantSkipped GrantState = "skipped, already autoconfirmed"
	// GrantWould: a dry run's prediction.
	GrantWould GrantState = "would be added"
	// GrantFailed: not added; the row's code and message say why.
	GrantFailed GrantState = "not added"
	// GrantPending: not tried, the run stopped first.
	GrantPending GrantState = "pending"
)

// GroupResult is one group of a row: what happened and until when the
// membership lasts (zero: permanently).
type GroupResult struct {
	Group string
	State GrantState
	Until time.Time
}

// Done reports whether nothing is left to do for the group.
func (g GroupResult) Done() bool {
	return g.State == GrantAdded || g.State == GrantAlready || g.State == GrantSkipped
}

func (g GroupResult) String() string {
	s := g.Group + ": " + string(g.State)
	switch g.State {
	case GrantAdded, GrantAlready, GrantWould:
		if g.Until.IsZero() {
			return s + " permanently"
		}
		return s + " until " + g.Until.UTC().Format(time.RFC3339)
	}
	return s
}

// Groups is the groups column of a results row: what was done for each
// group the row asked for, as "confirmed: added until
// 2026-12-08T19:20:00Z; sysop: already permanently". Empty when the run
// asked for no groups.
type Groups []GroupResult

// groupsSep separates the groups of a cell.
const groupsSep = "; "

func (gs Groups) String() string {
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = g.String()
	}
	return strings.Join(parts, groupsSep)
}

// Failed reports whether a group was not added, or not tried.
func (gs Groups) Failed() bool {
	for _, g := range gs {
		if g.State == GrantFailed || g.State == GrantPending {
			return true
		}
	}
	return false
}

// Done reports whether nothing is left to do for group.
func (gs Groups) Done(group string) bool {
	for _, g := range gs {
		if g.Group == group {
			return g.Done()
		}
	}
	return false
}

// MarshalCSV implements gocsv.TypeMarshaller.
func (gs Groups) MarshalCSV() (string, error) { return gs.String(), nil }

// UnmarshalCSV implements gocsv.TypeUnmarshaller.
func (gs *Groups) UnmarshalCSV(s string) error {
	v, err := ParseGroups(unguard(s))
	*gs = v
	return err
}

// ParseGroups reads a groups cell back.
func ParseGroups(s string) (Groups, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var gs Groups
	for _, part := range strings.Split(s, groupsSep) {
		g, err := parseGroup(part)
		if err != nil {
			return nil, err
		}
		gs = append(gs, g)
	}
	return gs, nil
}

func parseGroup(s string) (GroupResult, error) {
	group, rest, ok := strings.Cut(s, ": ")
	if !ok || group == "" {
		return GroupResult{}, fmt.Errorf("groups: %q is not GROUP: STATE", s)
	}
	for _, st := range []GrantState{GrantAdded, GrantAlready, GrantWould, GrantSkipped, GrantFailed, GrantPending} {
		tail, ok := strings.CutPrefix(rest, string(st))
		if !ok {
			continue
		}
		g := GroupResult{Group: group, State: st}
		switch {
		case tail == "" || tail == " permanently":
			return g, nil
		case strings.HasPrefix(tail, " until "):
			t, err := time.Parse(time.RFC3339, strings.TrimPrefix(tail, " until "))
			if err != nil {
				return GroupResult{}, fmt.Errorf("groups: %q: %w", s, err)
			}
			g.Until = t
			return g, nil
		}
	}
	return GroupResult{}, fmt.Errorf("groups: %q: unknown state", s)
}
