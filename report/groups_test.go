package report

import (
	"reflect"
	"testing"
	"time"
)

// The groups cell says every state in words, and reads back as it was.
func TestGroupsCellRoundTrips(t *testing.T) {
	until := time.Date(2026, 12, 8, 19, 20, 0, 0, time.UTC)
	gs := Groups{
		{Group: "confirmed", State: GrantAdded, Until: until},
		{Group: "sysop", State: GrantAdded},
		{Group: "staff", State: GrantAlready, Until: until},
		{Group: "bot", State: GrantAlready},
		{Group: "confirmed", State: GrantSkipped},
		{Group: "interface-admin", State: GrantWould, Until: until},
		{Group: "x", State: GrantFailed},
		{Group: "y", State: GrantPending},
	}
	cell := gs.String()
	want := "confirmed: added until 2026-12-08T19:20:00Z; sysop: added permanently; staff: already until 2026-12-08T19:20:00Z; " +
		"bot: already permanently; confirmed: skipped, already autoconfirmed; interface-admin: would be added until 2026-12-08T19:20:00Z; " +
		"x: not added; y: pending"
	if cell != want {
		t.Errorf("cell\n%s\nwant\n%s", cell, want)
	}
	back, err := ParseGroups(cell)
	if err != nil || !reflect.DeepEqual(back, gs) {
		t.Errorf("ParseGroups = %+v, %v", back, err)
	}
	if !gs.Failed() || !gs.Done("sysop") || gs.Done("x") || gs.Done("interface-admin") || gs.Done("nope") {
		t.Error("Failed or Done disagree with the states")
	}
	for _, bad := range []string{"confirmed", "confirmed: granted", "confirmed: added until tomorrow"} {
		if _, err := ParseGroups(bad); err == nil {
			t.Errorf("ParseGroups(%q) accepted", bad)
		}
	}
}
