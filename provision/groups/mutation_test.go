package groups

import (
	"errors"
	"testing"
	"time"
)

// A run that adds every account to confirmed with no expiry of its own is
// refused up front when the sheet has no expiry column; with the column,
// or with an expiry, or without confirmed, it goes on.
func TestCheckExpiryRefusesConfirmedWithoutExpiry(t *testing.T) {
	for _, tt := range []struct {
		name   string
		opts   Options
		column bool
		want   error
	}{
		{"confirmed, no expiry, no column", Options{Add: []string{"sysop", Confirmed}}, false, ErrNoExpiry},
		{"confirmed, no expiry, an expiry column", Options{Add: []string{Confirmed}}, true, nil},
		{"confirmed for two weeks", Options{Add: []string{Confirmed}, Expiry: "2 weeks"}, false, nil},
		{"no confirmed", Options{Add: []string{"sysop"}}, false, nil},
	} {
		if err := tt.opts.CheckExpiry(tt.column); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: CheckExpiry = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// A creator the pre-flight found may add no group at all (an empty, not a
// nil, list) is refused every group: the wiki would ignore them in silence.
func TestGrantsWhenTheCreatorMayAddNoGroup(t *testing.T) {
	from := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	opts := Options{Addable: []string{}, Expiry: "1 week", From: from}
	_, p := opts.Grants("sysop", "")
	if p == nil || p.Code != "group-not-addable" {
		t.Fatalf("Grants(sysop) by a creator who may add no group: problem %v, want group-not-addable", p)
	}
}

// The wiki is told an expiry in UTC, whatever the zone of the time.
func TestExpiryParamIsUTC(t *testing.T) {
	zone := time.FixedZone("UTC+2", 2*60*60)
	until := time.Date(2026, 12, 8, 2, 0, 0, 0, zone)
	if got, want := ExpiryParam(until), "2026-12-08T00:00:00Z"; got != want {
		t.Errorf("ExpiryParam(%v) = %q, want %q", until, got, want)
	}
	if got := ExpiryParam(time.Time{}); got != "infinite" {
		t.Errorf("ExpiryParam(zero) = %q, want infinite", got)
	}
}
